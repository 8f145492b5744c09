/// What a compiled rule tests. Payloads are trivial values (indices into the rule book's side tables), so
/// evaluating a rule touches no reference counts.
package enum RuleCheck: Sendable, Hashable {
    case required(RuleField)
    /// The field must be empty (`when_then` only: `then: {field: decided_date, empty: true}`).
    case empty(RuleField)
    /// The value is in a value table (`one_of` values or a `lookup` list), case-insensitively.
    case member(RuleField, table: Int32)
    case pattern(RuleField, pattern: Int32)
    case maxLength(RuleField, max: Int32)
    case dateRange(slot: Int8, min: Int32, max: Int32)
    case amountRange(slot: Int8, min: Int64, max: Int64)
    /// Links `start..<start+count` of the rule book's comparisons.
    case compare(start: Int32, count: Int32)
    case npi(RuleField)
    case noPHI(RuleField)
    /// Conditions `start..<start+count` all hold ⇒ the `then` check (index into the then-checks) passes.
    case whenThen(start: Int32, count: Int32, then: Int32)
}
