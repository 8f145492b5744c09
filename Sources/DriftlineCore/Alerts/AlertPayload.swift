import Foundation

/// The JSON body of a webhook (Standard Webhooks' `type` / `timestamp` / `data` envelope).
///
/// Aggregates only: customer, payer, group, windows, counts, rates or medians, change, interval, severity.
/// Nothing here is built from a claim row — no claim id, patient reference or field value can reach it.
package struct AlertPayload: Sendable, Codable, Hashable {
    /// `drift.alert` or `drift.resolved`.
    package var type: String
    /// When the notification was written (ISO 8601, UTC).
    package var timestamp: String
    package var data: Content

    /// The `data` object.
    package struct Content: Sendable, Codable, Hashable {
        package var customerID: String
        package var events: [Event]

        enum CodingKeys: String, CodingKey {
            case customerID = "customer_id"
            case events
        }
    }

    /// A window's aggregate: dates, decided claims, the denial rate (0…1) or median decision time (days).
    package struct Window: Sendable, Codable, Hashable {
        package var start: String
        package var end: String
        package var n: Int
        package var value: Double

        package init(start: String, end: String, n: Int, value: Double) {
            self.start = start
            self.end = end
            self.n = n
            self.value = value
        }
    }

    package struct Event: Sendable, Codable, Hashable {
        package var alertID: Int64
        package var driftEventID: Int64
        package var ruleID: String
        package var payer: String
        package var cptGroup: String
        package var driftType: String
        package var method: String?
        package var severity: String
        package var direction: String
        package var baseline: Window?
        package var current: Window?
        package var absChange: Double?
        package var relChange: Double?
        package var ciLow: Double?
        package var ciHigh: Double?
        package var pValue: Double?
        package var qValue: Double?
        /// For `drift.resolved`: the as-of date at which the triple no longer drifted.
        package var resolvedAsOf: String?

        enum CodingKeys: String, CodingKey {
            case alertID = "alert_id"
            case driftEventID = "drift_event_id"
            case ruleID = "rule_id"
            case payer
            case cptGroup = "cpt_group"
            case driftType = "drift_type"
            case method, severity, direction, baseline, current
            case absChange = "abs_change"
            case relChange = "rel_change"
            case ciLow = "ci_low"
            case ciHigh = "ci_high"
            case pValue = "p_value"
            case qValue = "q_value"
            case resolvedAsOf = "resolved_as_of"
        }

        package init(
            alertID: Int64,
            driftEventID: Int64,
            ruleID: String,
            payer: String,
            cptGroup: String,
            driftType: String,
            method: String? = nil,
            severity: String,
            direction: String,
            baseline: Window? = nil,
            current: Window? = nil,
            absChange: Double? = nil,
            relChange: Double? = nil,
            ciLow: Double? = nil,
            ciHigh: Double? = nil,
            pValue: Double? = nil,
            qValue: Double? = nil,
            resolvedAsOf: String? = nil
        ) {
            self.alertID = alertID
            self.driftEventID = driftEventID
            self.ruleID = ruleID
            self.payer = payer
            self.cptGroup = cptGroup
            self.driftType = driftType
            self.method = method
            self.severity = severity
            self.direction = direction
            self.baseline = baseline
            self.current = current
            self.absChange = absChange
            self.relChange = relChange
            self.ciLow = ciLow
            self.ciHigh = ciHigh
            self.pValue = pValue
            self.qValue = qValue
            self.resolvedAsOf = resolvedAsOf
        }
    }

    package init(type: String, timestamp: String, customerID: String, events: [Event]) {
        self.type = type
        self.timestamp = timestamp
        self.data = Content(customerID: customerID, events: events)
    }

    /// The exact bytes sent (keys sorted: the same payload always encodes the same way).
    package func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings and finite numbers cannot fail.
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
