import DriftlineCore
import Foundation

/// Evaluates new drift events against the alert rules and writes `alert_events` and the outbox.
///
/// One transaction per customer, under a per-customer advisory lock (lock order: customer → alert events →
/// outbox), so two evaluators never interleave for a customer; the unique key (drift event, rule) is the
/// backstop that makes a repeated or concurrent evaluation insert nothing twice. Notifications are written to
/// the outbox in the same transaction as the alerts they carry.
package enum AlertStore {
    /// First key of the per-customer `pg_advisory_xact_lock(int, int)` ("al").
    static let lockClass: Int32 = 0x616C

    /// The primary key of `driftline.drift_events` (migration 0004, the drift branch: `event_id`), which
    /// `alert_events.drift_event_id` refers to.
    static let driftEventKey = "event_id"

    /// Evaluates every drift event that has no `alert_events` row yet.
    ///
    /// - Parameters:
    ///   - asOf: when given, drift was evaluated for this date: an alerted customer/payer/group/type with no
    ///     drift event whose current window ends on it is resolved (a `drift.resolved` notification, once).
    ///   - customer: only this customer.
    ///   - runID: recorded on the alerts.
    ///   - now: the payload's timestamp.
    package static func evaluate(
        book: AlertRuleBook,
        asOf: Int32?,
        customer: String? = nil,
        runID: Int64? = nil,
        now: Date = Date(),
        on connection: PGConnection
    ) throws -> AlertEvaluationSummary {
        var summary = AlertEvaluationSummary()
        guard
            try connection.query(
                "SELECT to_regclass('driftline.drift_events') IS NOT NULL",
                operation: "find drift events"
            ).scalar == "t"
        else {
            summary.driftEventsTable = false
            return summary
        }
        // One customer at a time with its tenant set (row-level security): every query below sees that
        // customer's drift events, alerts, silences and feedback only. A customer with nothing new is a no-op.
        // Only those with a drift event not evaluated yet or an alert left to resolve (one probe for all).
        let customers = try connection.tenants(
            among: customer.map { [$0] } ?? UploadTotals.customers(on: connection),
            probe: "SELECT * FROM driftline.alert_work_customers($1::text[])",
            operation: "find customers with alert work"
        )
        let evaluator = AlertEvaluator(book: book)
        for customerID in customers {
            try connection.withTenant(customerID) {
                try evaluateCustomer(
                    customerID,
                    evaluator: evaluator,
                    asOf: asOf,
                    runID: runID,
                    now: now,
                    summary: &summary,
                    on: connection
                )
            }
        }
        return summary
    }

    private struct Pending {
        var alertID: Int64
        var event: AlertPayload.Event
    }

    private static func evaluateCustomer(
        _ customerID: String,
        evaluator: AlertEvaluator,
        asOf: Int32?,
        runID: Int64?,
        now: Date,
        summary: inout AlertEvaluationSummary,
        on connection: PGConnection
    ) throws {
        try connection.query(
            "SELECT pg_advisory_xact_lock($1::int, hashtext($2))",
            [String(lockClass), customerID],
            operation: "lock customer alerts"
        )
        let events = try connection.query(
            """
            SELECT \(driftEventKey), payer, cpt_group, drift_type, method, severity, direction,
                   baseline_start::text, baseline_end::text, current_start::text, current_end::text,
                   baseline_n, current_n, baseline_value, current_value, abs_change, rel_change,
                   ci_low, ci_high, p_value, q_value
            FROM driftline.drift_events d
            WHERE ($1::text IS NULL OR customer_id = $1)
              AND NOT EXISTS (SELECT 1 FROM driftline.alert_events a WHERE a.drift_event_id = d.\(driftEventKey))
            ORDER BY current_end, \(driftEventKey)
            """,
            [UnscopedQueryTestHook.filter(customerID)],
            operation: "read new drift events"
        ).rows
        let silences = try activeSilences(customerID, on: connection)
        let noise = try activeNoise(customerID, on: connection)
        // (endpoint, grouping key) → alerts to notify; grouping key 0 bundles a customer's alerts.
        var messages: [String: [Int64: [Pending]]] = [:]
        for row in events {
            guard let eventID = Int64(row[0] ?? ""), let payer = row[1], let group = row[2],
                let type = DriftType(rawValue: row[3] ?? ""), let severity = DriftSeverity(rawValue: row[5] ?? ""),
                let direction = DriftDirection(rawValue: row[6] ?? ""), let end = row[10].flatMap(CivilDate.parse)
            else {
                throw AlertStoreError(message: "a drift event row does not read (type, severity, direction or window)")
            }
            let candidate = AlertCandidate(
                driftEventID: eventID,
                triple: DriftTriple(customerID: customerID, payer: payer, cptGroup: group),
                type: type,
                severity: severity,
                direction: direction,
                currentEnd: end
            )
            let decisions = try evaluator.evaluate(candidate, silences: silences, noise: noise) { ruleID in
                try lastNotified(ruleID, candidate, on: connection)
            }
            summary.events += 1
            for decision in decisions {
                let inserted = try connection.query(
                    """
                    INSERT INTO driftline.alert_events (drift_event_id, rule_id, customer_id, payer, cpt_group,
                        drift_type, severity, direction, current_end, status, reason, channels, silence_id,
                        feedback_id, run_id)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::date, $10, $11, $12::text[], $13, $14, $15)
                    ON CONFLICT (drift_event_id, rule_id) DO NOTHING
                    RETURNING alert_id
                    """,
                    [
                        String(eventID), decision.ruleID, customerID, payer, group, type.rawValue, severity.rawValue,
                        direction.rawValue, row[10], decision.status.rawValue, decision.reason?.rawValue,
                        textArrayLiteral(decision.channels), decision.silenceID.map(String.init),
                        decision.feedbackID.map(String.init), runID.map(String.init),
                    ],
                    operation: "insert alert event"
                )
                guard let alertID = inserted.scalar.flatMap({ Int64($0) }) else { continue }
                guard decision.status == .notify else {
                    if let reason = decision.reason { summary.suppressed[reason, default: 0] += 1 }
                    continue
                }
                summary.notified += 1
                let event = payloadEvent(alertID: alertID, ruleID: decision.ruleID, row: row)
                for channel in decision.channels {
                    let key = decision.grouping == .customer ? 0 : alertID
                    messages[channel, default: [:]][key, default: []].append(Pending(alertID: alertID, event: event))
                }
            }
        }
        let timestamp = UTCTimestamp.string(from: now)
        for (endpoint, groups) in messages.sorted(by: { $0.key < $1.key }) {
            for (_, pending) in groups.sorted(by: { $0.key < $1.key }) {
                try insertMessage(
                    endpoint: endpoint,
                    customerID: customerID,
                    type: "drift.alert",
                    alertIDs: pending.map(\.alertID),
                    payload: AlertPayload(
                        type: "drift.alert",
                        timestamp: timestamp,
                        customerID: customerID,
                        events: pending.map(\.event)
                    ),
                    on: connection
                )
                summary.messages += 1
            }
        }
        if let asOf {
            try resolve(customerID, asOf: asOf, timestamp: timestamp, summary: &summary, on: connection)
        }
    }

    /// Alerts of `customerID` whose customer/payer/group/type has no drift event ending on `asOf`: resolved
    /// once (the UPDATE only takes unresolved rows), one `drift.resolved` message per endpoint.
    private static func resolve(
        _ customerID: String,
        asOf: Int32,
        timestamp: String,
        summary: inout AlertEvaluationSummary,
        on connection: PGConnection
    ) throws {
        let rows = try connection.query(
            """
            UPDATE driftline.alert_events a SET resolved_at = now(), resolved_as_of = $2::date
            WHERE a.customer_id = $1 AND a.status = 'notify' AND a.resolved_at IS NULL AND a.current_end < $2::date
              AND NOT EXISTS (
                SELECT 1 FROM driftline.drift_events d
                WHERE d.customer_id = a.customer_id AND d.payer = a.payer AND d.cpt_group = a.cpt_group
                  AND d.drift_type = a.drift_type AND d.current_end = $2::date)
            RETURNING alert_id, drift_event_id, rule_id, payer, cpt_group, drift_type, severity, direction,
                      array_to_string(channels, ',')
            """,
            [customerID, CivilDate.format(asOf)],
            operation: "resolve alerts"
        ).rows
        summary.resolved += rows.count
        var byEndpoint: [String: [(Int64, AlertPayload.Event)]] = [:]
        for row in rows {
            guard let alertID = Int64(row[0] ?? ""), let eventID = Int64(row[1] ?? "") else { continue }
            let event = AlertPayload.Event(
                alertID: alertID,
                driftEventID: eventID,
                ruleID: row[2] ?? "",
                payer: row[3] ?? "",
                cptGroup: row[4] ?? "",
                driftType: row[5] ?? "",
                severity: row[6] ?? "",
                direction: row[7] ?? "",
                resolvedAsOf: CivilDate.format(asOf)
            )
            for endpoint in (row[8] ?? "").split(separator: ",").map(String.init) {
                byEndpoint[endpoint, default: []].append((alertID, event))
            }
        }
        for (endpoint, items) in byEndpoint.sorted(by: { $0.key < $1.key }) {
            try insertMessage(
                endpoint: endpoint,
                customerID: customerID,
                type: "drift.resolved",
                alertIDs: items.map { $0.0 },
                payload: AlertPayload(
                    type: "drift.resolved",
                    timestamp: timestamp,
                    customerID: customerID,
                    events: items.map { $0.1 }
                ),
                on: connection
            )
            summary.messages += 1
        }
    }

    private static func insertMessage(
        endpoint: String,
        customerID: String,
        type: String,
        alertIDs: [Int64],
        payload: AlertPayload,
        on connection: PGConnection
    ) throws {
        let id = "msg_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try connection.query(
            """
            INSERT INTO driftline.outbox (message_id, endpoint, customer_id, event_type, alert_ids, body)
            VALUES ($1, $2, $3, $4, $5::bigint[], $6)
            """,
            [id, endpoint, customerID, type, textArrayLiteral(alertIDs.map(String.init)), payload.encoded()],
            operation: "insert outbox message"
        )
    }

    private static func lastNotified(
        _ ruleID: String,
        _ candidate: AlertCandidate,
        on connection: PGConnection
    ) throws
        -> Int32?
    {
        try connection.query(
            """
            SELECT max(current_end)::text FROM driftline.alert_events
            WHERE status = 'notify' AND rule_id = $1 AND customer_id = $2 AND payer = $3 AND cpt_group = $4
              AND drift_type = $5 AND current_end <= $6::date AND drift_event_id <> $7
            """,
            [
                ruleID, candidate.triple.customerID, candidate.triple.payer, candidate.triple.cptGroup,
                candidate.type.rawValue, CivilDate.format(candidate.currentEnd), String(candidate.driftEventID),
            ],
            operation: "read cooldown"
        ).scalar.flatMap(CivilDate.parse)
    }

    private static func activeSilences(_ customerID: String, on connection: PGConnection) throws -> [AlertSilence] {
        try connection.query(
            """
            SELECT silence_id, customer_id, payer, cpt_group, drift_type, direction FROM driftline.alert_silences
            WHERE (customer_id IS NULL OR customer_id = $1) AND expired_at IS NULL
              AND starts_at <= now() AND ends_at > now()
            ORDER BY silence_id
            """,
            [customerID],
            operation: "read silences"
        ).rows.compactMap { row in
            guard let id = Int64(row[0] ?? "") else { return nil }
            return AlertSilence(
                id: id,
                customerID: row[1],
                payer: row[2],
                cptGroup: row[3],
                driftType: row[4].flatMap(DriftType.init(rawValue:)),
                direction: row[5].flatMap(DriftDirection.init(rawValue:))
            )
        }
    }

    private static func activeNoise(_ customerID: String, on connection: PGConnection) throws -> [AlertNoise] {
        try connection.query(
            """
            SELECT feedback_id, payer, cpt_group, drift_type FROM driftline.alert_feedback
            WHERE customer_id = $1 AND verdict = 'noise' AND suppress_until > now()
            ORDER BY feedback_id
            """,
            [customerID],
            operation: "read feedback"
        ).rows.compactMap { row in
            guard let id = Int64(row[0] ?? ""), let payer = row[1], let group = row[2],
                let type = DriftType(rawValue: row[3] ?? "")
            else { return nil }
            return AlertNoise(
                id: id,
                triple: DriftTriple(customerID: customerID, payer: payer, cptGroup: group),
                type: type
            )
        }
    }

    private static func payloadEvent(alertID: Int64, ruleID: String, row: [String?]) -> AlertPayload.Event {
        func number(_ index: Int) -> Double? { row[index].flatMap(Double.init).flatMap { $0.isFinite ? $0 : nil } }
        func window(_ start: Int, _ end: Int, _ n: Int, _ value: Int) -> AlertPayload.Window? {
            guard let startText = row[start], let endText = row[end] else { return nil }
            return AlertPayload.Window(
                start: startText,
                end: endText,
                n: row[n].flatMap { Int($0) } ?? 0,
                value: number(value) ?? 0
            )
        }
        return AlertPayload.Event(
            alertID: alertID,
            driftEventID: Int64(row[0] ?? "") ?? 0,
            ruleID: ruleID,
            payer: row[1] ?? "",
            cptGroup: row[2] ?? "",
            driftType: row[3] ?? "",
            method: row[4],
            severity: row[5] ?? "",
            direction: row[6] ?? "",
            baseline: window(7, 8, 11, 13),
            current: window(9, 10, 12, 14),
            absChange: number(15),
            relChange: number(16),
            ciLow: number(17),
            ciHigh: number(18),
            pValue: number(19),
            qValue: number(20)
        )
    }
}

/// An alert store failure that is not PostgreSQL's: fixed text, no row values.
package struct AlertStoreError: Error, LogSafe {
    package var message: SafeMessage
    package var description: String { message.description }
}
