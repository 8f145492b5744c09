/// How strong a drift event is, from its effect size and its significance: `drift_events.severity`.
///
/// The rule, for an event that passed every guard (so its q-value is at most the run's false discovery rate
/// and its effect is at least the minimum effect):
///
/// | severity | effect multiple | and q-value |
/// |---|---|---|
/// | `high` | ≥ 3 | ≤ 0.001 |
/// | `medium` | ≥ 2 | ≤ 0.01 |
/// | `low` | otherwise | |
///
/// The *effect multiple* is how many times the event clears the minimum effect: the smaller of
/// `|absolute change| / minimum absolute change` and `|relative change| / minimum relative change` (a guard set
/// to 0, or a relative change that is undefined because the baseline is 0, leaves the other one to decide).
/// With the defaults a denial rate of 10% becoming 25% on a few hundred claims is 3 × (15 points against 5;
/// 150% against 25%): `high` when its q-value is ≤ 0.001. Both conditions are needed because a tiny q alone
/// only says the volume is large, and a large effect alone may rest on few claims.
package enum DriftSeverity: String, Sendable, Hashable, CaseIterable, Comparable, LogSafe {
    case low
    case medium
    case high

    package var description: String { rawValue }

    /// The severity of an event that clears its minimum effect `effectMultiple` times, with q-value `qValue`.
    package init(effectMultiple: Double, qValue: Double) {
        // The slack keeps 10% → 25% at 3 × 5 points although 0.25 − 0.1 is a hair below 0.15 in binary.
        if effectMultiple >= 3 - 1e-9 && qValue <= 0.001 {
            self = .high
        } else if effectMultiple >= 2 - 1e-9 && qValue <= 0.01 {
            self = .medium
        } else {
            self = .low
        }
    }

    private var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        }
    }

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}
