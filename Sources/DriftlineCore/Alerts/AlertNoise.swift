/// Feedback that an alert was noise: events of the same customer, payer, group and drift type are suppressed
/// as `feedback` until it lapses (the store passes only feedback still in force).
package struct AlertNoise: Sendable, Hashable {
    /// `alert_feedback.feedback_id`.
    package var id: Int64
    package var triple: DriftTriple
    package var type: DriftType

    package init(id: Int64, triple: DriftTriple, type: DriftType) {
        self.id = id
        self.triple = triple
        self.type = type
    }

    package func matches(_ candidate: AlertCandidate) -> Bool {
        triple == candidate.triple && type == candidate.type
    }
}
