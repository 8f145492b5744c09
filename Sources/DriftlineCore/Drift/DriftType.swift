/// What drifted: `drift_events.drift_type`.
package enum DriftType: String, Sendable, Hashable, CaseIterable, LogSafe {
    /// The share of decided claims that were denied.
    case denialRate = "denial_rate"
    /// Days from submission to decision.
    case decisionTime = "decision_time"

    package var description: String { rawValue }

    /// The test that decides this type of drift.
    package var method: DriftMethod {
        switch self {
        case .denialRate: .twoProportionZ
        case .decisionTime: .mannWhitneyU
        }
    }
}
