/// Which way a drift goes for the customer: `drift_events.direction`.
package enum DriftDirection: String, Sendable, Hashable, CaseIterable, LogSafe {
    /// A higher denial rate, or slower decisions.
    case worse
    /// A lower denial rate, or faster decisions.
    case better

    package var description: String { rawValue }
}
