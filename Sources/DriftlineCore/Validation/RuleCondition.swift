/// One clause of a `when_then` rule's `if:`: the field's value is one of a set (case-insensitive), or empty.
package struct RuleCondition: Sendable {
    package var field: RuleField
    /// Index into the rule book's value tables, or -1 when only "empty" is accepted.
    package var table: Int32
    /// Whether an empty field satisfies the clause (`''` among the values).
    package var matchesEmpty: Bool
}
