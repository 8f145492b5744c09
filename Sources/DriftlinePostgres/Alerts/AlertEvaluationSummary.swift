import DriftlineCore

/// What one evaluation did: counts only (for logs, `runs show` and the stage's outcome).
package struct AlertEvaluationSummary: Sendable, Hashable {
    /// Drift events evaluated now (each yields at least one `alert_events` row).
    package var events = 0
    package var notified = 0
    package var suppressed: [AlertSuppression: Int] = [:]
    /// Outbox messages written (alerts and resolutions).
    package var messages = 0
    /// Alerts resolved (their triple no longer drifts).
    package var resolved = 0
    /// `false` when `driftline.drift_events` does not exist yet (no drift stage has run on this database).
    package var driftEventsTable = true

    package init() {}

    /// Flat counts, `alerts.*` keys.
    package var counts: [String: Int64] {
        var counts: [String: Int64] = [
            "alerts.events": Int64(events), "alerts.notified": Int64(notified), "alerts.messages": Int64(messages),
            "alerts.resolved": Int64(resolved),
        ]
        for reason in AlertSuppression.allCases {
            counts["alerts.suppressed.\(reason.rawValue)"] = Int64(suppressed[reason] ?? 0)
        }
        return counts
    }
}
