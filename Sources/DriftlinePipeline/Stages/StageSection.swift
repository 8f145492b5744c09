import DriftlineCore

/// A stage's section of the pipeline file (the top-level key named after the stage), read strictly:
/// every error names the file and the line.
///
/// ```swift
/// static let keys = ["current_days"]  // the registry refuses any other key first
/// init(section: StageSection) throws(ConfigError) {
///     currentDays = try section.integer("current_days", default: 30)
/// }
/// ```
package struct StageSection: Sendable {
    package var stage: String
    /// `nil` when the file has no section for the stage.
    package var node: YAMLNode?
    package var file: String

    package init(stage: String, node: YAMLNode?, file: String) {
        self.stage = stage
        self.node = node
        self.file = file
    }

    private var what: String { "the '\(stage)' section" }

    /// The section's mapping; empty for no section or a null one (`load:`).
    package func mapping() throws(ConfigError) -> YAMLNode.Mapping? {
        guard let node, !node.isNull else { return nil }
        return try node.configMapping(what, file: file)
    }

    /// Throws for a key not in `known` (a typo is an error, not a default).
    package func checkKeys(_ known: [String]) throws(ConfigError) {
        guard let mapping = try mapping() else { return }
        if known.isEmpty, let key = mapping.first?.key {
            throw ConfigError(
                file: file,
                line: key.mark.line,
                message: SafeMessage(trusted: "stage '\(stage)' takes no settings (found '\(key.string ?? "?")')")
            )
        }
        try mapping.checkKeys(known, in: what, file: file)
    }

    /// The value of `key`, if the section sets it.
    package func value(_ key: String) throws(ConfigError) -> YAMLNode? {
        try mapping()?[key]
    }

    /// A whole number (`30`), or `fallback` when the key is absent.
    package func integer(_ key: String, default fallback: Int) throws(ConfigError) -> Int {
        guard let value = try value(key) else { return fallback }
        guard let number = Int(try value.configString(key, file: file)) else {
            throw ConfigError(
                file: file,
                line: value.mark.line,
                message: SafeMessage(trusted: "'\(key)' must be a whole number")
            )
        }
        return number
    }

    /// A decimal number, or `fallback` when the key is absent.
    package func number(_ key: String, default fallback: Double) throws(ConfigError) -> Double {
        guard let value = try value(key) else { return fallback }
        return try value.configNumber(key, file: file)
    }

    /// Text, or `fallback` when the key is absent.
    package func string(_ key: String, default fallback: String) throws(ConfigError) -> String {
        guard let value = try value(key) else { return fallback }
        return try value.configString(key, file: file)
    }

    /// `true` or `false`, or `fallback` when the key is absent.
    package func bool(_ key: String, default fallback: Bool) throws(ConfigError) -> Bool {
        guard let value = try value(key) else { return fallback }
        switch try value.configString(key, file: file) {
        case "true": return true
        case "false": return false
        default:
            throw ConfigError(
                file: file,
                line: value.mark.line,
                message: SafeMessage(trusted: "'\(key)' must be true or false")
            )
        }
    }

    /// A list of values (`[a, b]` or one item per line), or `fallback` when the key is absent.
    package func strings(_ key: String, default fallback: [String]) throws(ConfigError) -> [String] {
        guard let value = try value(key) else { return fallback }
        return try value.configStrings(key, file: file)
    }

    /// An error about `key`'s value (a range check the stage makes), at its line.
    package func invalid(_ key: String, _ message: SafeMessage) throws(ConfigError) -> ConfigError {
        ConfigError(file: file, line: try value(key)?.mark.line ?? node?.mark.line, message: message)
    }
}
