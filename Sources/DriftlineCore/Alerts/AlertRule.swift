/// One rule of `rules/alerts.yaml`: which drift events notify which endpoints, how often.
package struct AlertRule: Sendable, Hashable {
    /// How a rule's notifications are bundled.
    package enum Grouping: String, Sendable, Hashable, CaseIterable, LogSafe {
        /// One notification per customer and endpoint per evaluation, listing its events (the default).
        case customer
        /// One notification per alert.
        case event

        package var description: String { rawValue }
    }

    /// Stable id: `alert_events.rule_id`, in errors and in `alerts list`.
    package var id: String
    package var match: AlertMatch
    /// Endpoint names (``AlertEndpoint/name``).
    package var channels: [String]
    /// No second notification for the same customer, payer, group and drift type within this many days of
    /// the last one (measured between the events' current-window ends, so backfills behave like nights).
    package var cooldownDays: Int
    package var grouping: Grouping

    package init(
        id: String,
        match: AlertMatch,
        channels: [String],
        cooldownDays: Int = 7,
        grouping: Grouping = .customer
    ) {
        self.id = id
        self.match = match
        self.channels = channels
        self.cooldownDays = cooldownDays
        self.grouping = grouping
    }
}
