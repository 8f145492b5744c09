/// `alert_events.status`: what became of a drift event under one rule.
package enum AlertStatus: String, Sendable, Hashable, CaseIterable, LogSafe {
    /// Notifications were written to the outbox.
    case notify
    /// Recorded, not sent: see ``AlertSuppression``.
    case suppressed

    package var description: String { rawValue }
}

/// `alert_events.reason` of a suppressed event: why nothing was sent.
package enum AlertSuppression: String, Sendable, Hashable, CaseIterable, LogSafe {
    /// The rule notified for the same customer, payer, group and drift type within its cooldown.
    case cooldown
    /// An active silence matches.
    case silenced
    /// An alert of the same customer, payer, group and drift type was marked noise.
    case feedback
    /// The rule's scope matches but the event's severity is below its floor.
    case belowSeverity = "below_severity"
    /// No rule's scope matches the event.
    case noMatchingRule = "no_matching_rule"

    package var description: String { rawValue }
}
