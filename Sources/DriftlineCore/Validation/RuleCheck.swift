/// What a compiled rule tests. Payloads are trivial values (indices into the rule book's side tables), so
/// evaluating a rule touches no reference counts, and small: a check is 16 bytes (a test pins it), so the
/// checks a row runs share few cache lines.
package enum RuleCheck: Sendable, Hashable {
    case required(RuleField)
    /// The field must be empty (`when_then` only: `then: {field: decided_date, empty: true}`).
    case empty(RuleField)
    /// The value is in a value table (`one_of` values or a `lookup` list), case-insensitively.
    case member(RuleField, table: Int32)
    case pattern(RuleField, pattern: Int32)
    case maxLength(RuleField, max: Int32)
    case dateRange(slot: Int8, min: Int32, max: Int32)
    /// Bounds in cents, `bounds` indexing the rule book's amount bounds.
    case amountRange(slot: Int8, bounds: Int32)
    /// Links `start..<start+count` of the rule book's comparisons.
    case compare(start: Int32, count: Int32)
    case npi(RuleField)
    case noPHI(RuleField)
    /// Conditions `start..<start+count` all hold ⇒ the `then` check (index into the then-checks) passes.
    case whenThen(start: Int32, count: Int32, then: Int32)
}

/// The inclusive bounds of an amount `range` rule, in cents (`Int64.min`/`.max` when open).
package struct AmountBounds: Sendable, Hashable {
    package var min: Int64
    package var max: Int64
}
