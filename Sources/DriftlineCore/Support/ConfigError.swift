/// A bad configuration, pipeline or rules file: names the file, the line when known, and the rule id.
package struct ConfigError: Error, LogSafe {
    package var file: String
    package var line: Int?
    package var ruleID: String?
    package var message: SafeMessage

    package init(file: String, line: Int? = nil, ruleID: String? = nil, message: SafeMessage) {
        self.file = file
        self.line = line
        self.ruleID = ruleID
        self.message = message
    }

    package var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let ruleID { text += " rule \(ruleID)" }
        return text + ": " + message.description
    }
}
