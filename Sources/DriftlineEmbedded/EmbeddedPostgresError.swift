import Foundation

/// An error from managing the embedded (private, unix-socket-only) PostgreSQL cluster.
///
/// When the server fails to start, `logFile` names the server log and `logTail` holds its last
/// lines (server-generated messages only; nothing else is attached).
package struct EmbeddedPostgresError: Error, CustomStringConvertible, Sendable {
    package var message: String
    package var logFile: URL?
    package var logTail: [String]

    package init(_ message: String, logFile: URL? = nil, logTail: [String] = []) {
        self.message = message
        self.logFile = logFile
        self.logTail = logTail
    }

    package var description: String {
        var text = "embedded PostgreSQL: " + message
        if let logFile {
            text += "\nserver log: \(logFile.path)"
        }
        if !logTail.isEmpty {
            text += "\n--- last \(logTail.count) log lines ---\n" + logTail.joined(separator: "\n")
        }
        return text
    }
}
