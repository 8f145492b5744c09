/// One window's decided claims of a customer × payer × CPT group: how many were denied out of how many decided.
///
/// `decided` counts paid and denied claims whose `decided_date` is in the window (pending claims have no
/// decision date and are in no window). The stage fills it from `count(*) FILTER (WHERE outcome = 'denied')`
/// and `count(*)` over those rows.
package struct DenialCounts: Sendable, Hashable {
    /// Denied claims, `0...decided`.
    package var denied: Int
    /// Paid plus denied claims.
    package var decided: Int

    /// - Precondition: `0 ≤ denied ≤ decided` (aggregates, not data: a violation is a bug in the query).
    package init(denied: Int, decided: Int) {
        precondition(denied >= 0 && denied <= decided, "denied must be within 0...decided")
        self.denied = denied
        self.decided = decided
    }

    /// The denial rate `denied / decided`; `nil` with nothing decided.
    package var rate: Double? {
        decided > 0 ? Double(denied) / Double(decided) : nil
    }
}
