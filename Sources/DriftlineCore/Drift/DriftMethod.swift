/// The statistical test behind a drift event: `drift_events.method`.
package enum DriftMethod: String, Sendable, Hashable, CaseIterable, LogSafe {
    /// ``TwoProportionZTest``: pooled two-proportion z-test, two-sided.
    case twoProportionZ = "two_proportion_z"
    /// ``MannWhitneyUTest``: normal approximation with tie and continuity corrections, two-sided.
    case mannWhitneyU = "mann_whitney_u"

    package var description: String { rawValue }
}
