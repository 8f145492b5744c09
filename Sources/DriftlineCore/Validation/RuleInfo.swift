/// A rule's identity and reporting text, from its rules file.
package struct RuleInfo: Sendable {
    /// The stable id (`service-date-recent`), unique across the rules directory.
    package var id: String
    /// The rule kind as written (`range`, `when_then`, …).
    package var kind: String
    package var severity: Severity
    /// The rule's `message`: configuration text, never row values.
    package var message: SafeMessage
    /// The column the rule is about (for `compare`, the blamed side of the first link; for `when_then`, the
    /// `then` field).
    package var claimColumn: ClaimColumn?
    /// The rules file and line where the rule starts.
    package var file: String
    package var line: Int

    /// The header name of ``claimColumn``: the primary column findings of this rule name.
    package var column: String? { claimColumn?.name }
}
