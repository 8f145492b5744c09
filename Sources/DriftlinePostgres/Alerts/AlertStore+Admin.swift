import DriftlineCore
import Foundation

/// Silences, feedback, history and redelivery: what `driftline alerts …` does besides evaluating.
extension AlertStore {
    /// A silence as `alerts silences` shows it.
    package struct SilenceRecord: Sendable, Codable, Hashable {
        package var silenceID: Int64
        package var customerID: String?
        package var matchers: [String: String]
        package var startsAt: String
        package var endsAt: String
        package var reason: String
        package var createdBy: String
        package var createdAt: String
        package var expiredBy: String?
        package var expiredAt: String?
        package var active: Bool

        enum CodingKeys: String, CodingKey {
            case silenceID = "silence_id"
            case customerID = "customer_id"
            case matchers
            case startsAt = "starts_at"
            case endsAt = "ends_at"
            case reason
            case createdBy = "created_by"
            case createdAt = "created_at"
            case expiredBy = "expired_by"
            case expiredAt = "expired_at"
            case active
        }
    }

    /// An `alert_events` row as `alerts list` shows it.
    package struct AlertRecord: Sendable, Codable, Hashable {
        package var alertID: Int64
        package var driftEventID: Int64
        package var ruleID: String
        package var customerID: String
        package var payer: String
        package var cptGroup: String
        package var driftType: String
        package var severity: String
        package var direction: String
        package var currentEnd: String
        package var status: String
        package var reason: String?
        package var channels: [String]
        package var createdAt: String
        package var resolvedAsOf: String?

        enum CodingKeys: String, CodingKey {
            case alertID = "alert_id"
            case driftEventID = "drift_event_id"
            case ruleID = "rule_id"
            case customerID = "customer_id"
            case payer
            case cptGroup = "cpt_group"
            case driftType = "drift_type"
            case severity, direction
            case currentEnd = "current_end"
            case status, reason, channels
            case createdAt = "created_at"
            case resolvedAsOf = "resolved_as_of"
        }
    }

    /// Adds a silence; returns its id.
    ///
    /// - Parameter matchers: keys of ``AlertSilence/matcherKeys``.
    package static func addSilence(
        customerID: String?,
        matchers: [String: String],
        until: Int32,
        reason: String,
        user: String,
        on connection: PGConnection
    ) throws -> Int64 {
        let id = try connection.query(
            """
            INSERT INTO driftline.alert_silences (customer_id, payer, cpt_group, drift_type, direction, ends_at,
                reason, created_by)
            VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8) RETURNING silence_id
            """,
            [
                customerID, matchers["payer"], matchers["cpt_group"], matchers["drift_type"], matchers["direction"],
                CivilDate.format(until), reason, user,
            ],
            operation: "add silence"
        ).scalar.flatMap({ Int64($0) })
        guard let id else { throw AlertStoreError(message: "the silence was not stored") }
        return id
    }

    package static func silences(includeExpired: Bool, on connection: PGConnection) throws -> [SilenceRecord] {
        try connection.query(
            """
            SELECT silence_id, customer_id, payer, cpt_group, drift_type, direction, starts_at::text, ends_at::text,
                   reason, created_by, created_at::text, expired_by, expired_at::text,
                   expired_at IS NULL AND starts_at <= now() AND ends_at > now()
            FROM driftline.alert_silences
            WHERE $1 OR (expired_at IS NULL AND ends_at > now())
            ORDER BY silence_id
            """,
            [includeExpired ? "true" : "false"],
            operation: "list silences"
        ).rows.map { row in
            var matchers: [String: String] = [:]
            for (index, key) in AlertSilence.matcherKeys.enumerated() { matchers[key] = row[2 + index] }
            return SilenceRecord(
                silenceID: Int64(row[0] ?? "") ?? 0,
                customerID: row[1],
                matchers: matchers,
                startsAt: row[6] ?? "",
                endsAt: row[7] ?? "",
                reason: row[8] ?? "",
                createdBy: row[9] ?? "",
                createdAt: row[10] ?? "",
                expiredBy: row[11],
                expiredAt: row[12],
                active: row[13] == "t"
            )
        }
    }

    /// Ends a silence now; `false` when there is no such silence or it had already been expired.
    package static func expireSilence(_ id: Int64, user: String, on connection: PGConnection) throws -> Bool {
        try connection.query(
            """
            UPDATE driftline.alert_silences SET expired_at = now(), expired_by = $2
            WHERE silence_id = $1 AND expired_at IS NULL
            """,
            [String(id), user],
            operation: "expire silence"
        ).affected == 1
    }

    /// Records feedback on an alert; noise suppresses its customer/payer/group/type for `noiseDays`.
    ///
    /// - Returns: the feedback id, `nil` when there is no such alert.
    package static func addFeedback(
        alertID: Int64,
        noise: Bool,
        noiseDays: Int,
        user: String,
        on connection: PGConnection
    ) throws -> Int64? {
        try connection.query(
            """
            INSERT INTO driftline.alert_feedback (alert_id, verdict, customer_id, payer, cpt_group, drift_type,
                suppress_until, created_by)
            SELECT alert_id, $2, customer_id, payer, cpt_group, drift_type,
                   CASE WHEN $2 = 'noise' THEN now() + make_interval(days => $3::int) END, $4
            FROM driftline.alert_events WHERE alert_id = $1
            RETURNING feedback_id
            """,
            [String(alertID), noise ? "noise" : "useful", String(noiseDays), user],
            operation: "add feedback"
        ).scalar.flatMap({ Int64($0) })
    }

    /// Alert history, newest first.
    ///
    /// - Parameter status: `notify`, `suppressed`, `resolved` (notified and since resolved) or `open`.
    package static func list(
        customer: String?,
        status: String?,
        since: Int32?,
        limit: Int,
        beforeID: Int64? = nil,
        on connection: PGConnection
    ) throws -> [AlertRecord] {
        try connection.query(
            """
            SELECT alert_id, drift_event_id, rule_id, customer_id, payer, cpt_group, drift_type, severity, direction,
                   current_end::text, status, reason, array_to_string(channels, ','), created_at::text,
                   resolved_as_of::text
            FROM driftline.alert_events
            WHERE ($1::text IS NULL OR customer_id = $1)
              AND ($2::text IS NULL OR status = $2
                   OR ($2 = 'resolved' AND status = 'notify' AND resolved_at IS NOT NULL)
                   OR ($2 = 'open' AND status = 'notify' AND resolved_at IS NULL))
              AND ($3::date IS NULL OR created_at >= $3::date)
              AND ($5::bigint IS NULL OR alert_id < $5)
            ORDER BY alert_id DESC
            LIMIT $4
            """,
            [customer, status, since.map(CivilDate.format), String(limit), beforeID.map(String.init)],
            operation: "list alerts"
        ).rows.map { row in
            AlertRecord(
                alertID: Int64(row[0] ?? "") ?? 0,
                driftEventID: Int64(row[1] ?? "") ?? 0,
                ruleID: row[2] ?? "",
                customerID: row[3] ?? "",
                payer: row[4] ?? "",
                cptGroup: row[5] ?? "",
                driftType: row[6] ?? "",
                severity: row[7] ?? "",
                direction: row[8] ?? "",
                currentEnd: row[9] ?? "",
                status: row[10] ?? "",
                reason: row[11],
                channels: (row[12] ?? "").split(separator: ",").map(String.init),
                createdAt: row[13] ?? "",
                resolvedAsOf: row[14]
            )
        }
    }
}
