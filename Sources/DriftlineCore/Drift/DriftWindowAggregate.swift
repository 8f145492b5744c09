/// What the database aggregates for one triple in one window: the claims decided in it (by `decided_date`).
///
/// `denials.decided` and `decisionDays.count` count the same claims when both come from the same rows; they are
/// kept apart so each test's volume guard reads its own input.
package struct DriftWindowAggregate: Sendable, Hashable {
    /// Denied out of decided claims.
    package var denials: DenialCounts
    /// Their decision times.
    package var decisionDays: DecisionTimeHistogram

    package init(denials: DenialCounts, decisionDays: DecisionTimeHistogram) {
        self.denials = denials
        self.decisionDays = decisionDays
    }
}
