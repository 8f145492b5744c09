/// One outcome of evaluating a drift event: an `alert_events` row to be.
package struct AlertDecision: Sendable, Hashable {
    /// The rule's id; ``noRule`` for ``AlertSuppression/noMatchingRule``.
    package var ruleID: String
    package var status: AlertStatus
    package var reason: AlertSuppression?
    /// The endpoints to notify (only for ``AlertStatus/notify``).
    package var channels: [String]
    package var grouping: AlertRule.Grouping
    /// The silence or feedback that suppressed it, for `alerts list`.
    package var silenceID: Int64?
    package var feedbackID: Int64?

    /// `alert_events.rule_id` of an event no rule matched (the unique key needs a value).
    package static let noRule = "-"

    package init(
        ruleID: String,
        status: AlertStatus,
        reason: AlertSuppression? = nil,
        channels: [String] = [],
        grouping: AlertRule.Grouping = .customer,
        silenceID: Int64? = nil,
        feedbackID: Int64? = nil
    ) {
        self.ruleID = ruleID
        self.status = status
        self.reason = reason
        self.channels = channels
        self.grouping = grouping
        self.silenceID = silenceID
        self.feedbackID = feedbackID
    }

    package static func suppressed(_ ruleID: String, _ reason: AlertSuppression) -> AlertDecision {
        AlertDecision(ruleID: ruleID, status: .suppressed, reason: reason)
    }
}
