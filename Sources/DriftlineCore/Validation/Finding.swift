/// How a finding affects its row.
package enum Severity: String, Sendable, LogSafe, CaseIterable, Comparable, Codable {
    /// The row is rejected.
    case error
    /// The row loads; the finding is reported.
    case warning
    /// Reported only.
    case info

    package var description: String { rawValue }

    private var rank: Int {
        switch self {
        case .error: 0
        case .warning: 1
        case .info: 2
        }
    }
    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// A rule's verdict on one row: where and which rule, never the value.
package struct Finding: Sendable, LogSafe {
    /// Physical line where the record starts (header = 1).
    package var line: Int
    /// The column the finding is about, by header name, when there is one.
    package var column: String?
    package var ruleID: String
    package var severity: Severity
    package var message: SafeMessage

    package init(line: Int, column: String?, ruleID: String, severity: Severity, message: SafeMessage) {
        self.line = line
        self.column = column
        self.ruleID = ruleID
        self.severity = severity
        self.message = message
    }

    package var description: String {
        "line \(line)" + (column.map { ", column \($0)" } ?? "") + ": \(ruleID) (\(severity)): \(message)"
    }
}
