/// A rule that failed on a row: the rule's index in its ``RuleBook`` and the column to blame.
package struct RuleHit: Sendable, Equatable {
    package var rule: Int32
    /// For `compare` and `when_then`, the dependent column (e.g. `submitted_date`, `denial_reason`).
    package var column: ClaimColumn?

    package init(rule: Int32, column: ClaimColumn?) {
        self.rule = rule
        self.column = column
    }
}
