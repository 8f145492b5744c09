import DriftlineCore
import Foundation

/// Gathers a ``RunReport`` from the database: the run and its checkpoints, each customer's uploads and rule
/// counts, the drift events of the run's as-of date with their weekly series (aggregated here, in SQL, from
/// the daily summary by `decided_date`), and what the alerts stages did with them.
///
/// Every tenant table is read one customer at a time with the tenant set (``PGConnection/withTenant(_:_:)``),
/// so row-level security keeps each customer's part to that customer; with `customer` given, no other
/// customer is read at all. Only aggregates leave the database: counts, rates, medians, ids and codes.
package enum RunReportStore {
    /// Where the page will be written, for relative links to each upload's own report.
    package struct Links: Sendable {
        /// The folder the page is written to (absolute).
        package var pageDirectory: String
        package init(pageDirectory: String) { self.pageDirectory = pageDirectory }
    }

    /// The report of run `runID`, or `nil` when there is no such run.
    ///
    /// - Parameters:
    ///   - customer: only this customer's data (`nil`: every customer's).
    ///   - links: where the page goes; `nil` leaves the uploads without links.
    ///   - topRules: how many rules to list per customer.
    package static func gather(
        runID: Int64,
        customer: String? = nil,
        links: Links? = nil,
        topRules: Int = 5,
        on connection: PGConnection
    ) throws -> RunReport? {
        guard let record = try RunStore.run(runID, on: connection) else { return nil }
        let stages = record.stages.map { stage in
            RunReport.Stage(
                name: stage.stage,
                status: stage.status.rawValue,
                durationSeconds: stage.durationSeconds,
                summary: stage.summary
            )
        }
        let run = RunReport.Run(
            runID: record.runID,
            pipeline: record.pipeline,
            status: record.abandoned ? "abandoned" : record.status,
            asOf: record.asOf,
            startedAt: record.startedAt,
            finishedAt: record.finishedAt,
            durationSeconds: record.durationSeconds,
            error: record.error,
            stages: stages
        )
        let everyone = try customer.map { [$0] } ?? UploadTotals.customers(on: connection)
        // Only customers with a part in the report (uploads, drift or alerts of the run or its as-of date, or
        // a silence of their own), found by one probe; silences for every customer are read under the first.
        var customers = try connection.tenants(
            among: everyone,
            probe: "SELECT * FROM driftline.report_customers($1::text[], $2::bigint, $3::date)",
            arguments: [String(runID), record.asOf],
            operation: "find customers in the run report"
        )
        if let first = everyone.first, customers.first != first { customers.insert(first, at: 0) }
        let hasDrift = try tableExists("driftline.drift_events", on: connection)
        let hasAlerts = try tableExists("driftline.alert_events", on: connection)
        var uploads: [RunReport.CustomerUploads] = []
        var drift: [RunReport.DriftChart] = []
        var alerts = hasAlerts ? RunReport.Alerts() : nil
        for customerID in customers {
            try connection.withTenant(customerID) {
                if let part = try customerUploads(
                    runID,
                    customerID,
                    record: record,
                    links: links,
                    topRules: topRules,
                    on: connection
                ) {
                    uploads.append(part)
                }
                if hasDrift {
                    drift += try driftCharts(runID, customerID, asOf: record.asOf, on: connection)
                }
            }
        }
        if var gathered = alerts {
            for customerID in customers {
                try connection.withTenant(customerID) {
                    try gatherAlerts(runID, customerID, asOf: record.asOf, into: &gathered, on: connection)
                }
            }
            // Under row-level security each tenant sees its own silences and those for every customer.
            var seen = Set<Int64>()
            for customerID in customers {
                let own = try connection.withTenant(customerID) { try silences(customer: customerID, on: connection) }
                gathered.silences += own.filter { seen.insert($0.silenceID).inserted }
            }
            gathered.silences.sort { $0.silenceID < $1.silenceID }
            alerts = gathered
        }
        let now =
            try connection.query(
                "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
                operation: "read clock"
            ).scalar ?? ""
        return RunReport(
            run: run,
            customer: customer,
            maxRejectRate: record.parameters["max_reject_rate"].flatMap(Double.init) ?? 0.05,
            uploads: uploads,
            drift: drift,
            alerts: alerts,
            generatedAt: now
        )
    }

    /// Each drift event's weekly series, for the terminal's sparklines (`drift`, `runs show`): the weeks of
    /// its customer's claims, read with that customer's tenant set.
    package static func weeks(of event: DriftEventRecord, on connection: PGConnection) throws -> [RunReport.Week] {
        try connection.withTenant(event.customerID) {
            try weeks(
                customerID: event.customerID,
                payer: event.payer,
                cptGroup: event.cptGroup,
                denialRate: event.driftType == "denial_rate",
                from: event.baselineStart,
                currentStart: event.currentStart,
                to: event.currentEnd,
                on: connection
            )
        }
    }

    // MARK: - Parts

    private static func tableExists(_ name: String, on connection: PGConnection) throws -> Bool {
        try connection.query("SELECT to_regclass($1) IS NOT NULL", [name], operation: "look up table").scalar == "t"
    }

    private static func customerUploads(
        _ runID: Int64,
        _ customerID: String,
        record: RunStore.RunRecord,
        links: Links?,
        topRules: Int,
        on connection: PGConnection
    ) throws -> RunReport.CustomerUploads? {
        let rows = try connection.query(
            """
            SELECT upload_id, file_name, status, rows_read, rows_loaded, rows_rejected, error_code
              FROM driftline.uploads WHERE run_id = $1 AND customer_id = $2 ORDER BY file_name, upload_id
            """,
            [String(runID), customerID],
            operation: "read run uploads"
        ).rows
        guard !rows.isEmpty else { return nil }
        let uploads = rows.map { row in
            let status = row[2] ?? "loaded"
            let fileName = row[1] ?? "?"
            return RunReport.Upload(
                uploadID: Int64(row[0] ?? "") ?? 0,
                fileName: fileName,
                status: status,
                rowsRead: Int64(row[3] ?? "") ?? 0,
                rowsLoaded: Int64(row[4] ?? "") ?? 0,
                rowsRejected: Int64(row[5] ?? "") ?? 0,
                errorCode: row[6],
                reportLink: links.flatMap {
                    reportLink(
                        customerID: customerID,
                        fileName: fileName,
                        status: status,
                        record: record,
                        links: $0
                    )
                }
            )
        }
        let rules = try connection.query(
            """
            SELECT f.rule_id, min(f.severity), sum(f.count)::bigint
              FROM driftline.upload_findings f JOIN driftline.uploads u USING (upload_id)
             WHERE u.run_id = $1 AND f.customer_id = $2
             GROUP BY f.rule_id ORDER BY 3 DESC, 1 LIMIT $3
            """,
            [String(runID), customerID, String(topRules)],
            operation: "read rule counts"
        ).rows.map { row in
            RunReport.RuleCount(ruleID: row[0] ?? "?", severity: row[1] ?? "error", count: Int64(row[2] ?? "") ?? 0)
        }
        return RunReport.CustomerUploads(customerID: customerID, uploads: uploads, topRules: rules)
    }

    /// The upload's `.report.html` where the load stage filed it (archive/<customer>/<as-of>/ or
    /// rejected/<customer>/), relative to the page; `nil` when it is not there.
    private static func reportLink(
        customerID: String,
        fileName: String,
        status: String,
        record: RunStore.RunRecord,
        links: Links
    ) -> String? {
        let folder: String
        if status == "loaded" {
            guard let archive = record.parameters["archive"] else { return nil }
            folder = archive + "/" + customerID + "/" + record.asOf
        } else {
            guard let rejected = record.parameters["rejected"] else { return nil }
            folder = rejected + "/" + customerID
        }
        let path = folder + "/" + fileName + ".report.html"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return relativePath(from: links.pageDirectory, to: path)
    }

    /// `to` relative to the folder `from` (both absolute), percent-encoded for an `href`.
    package static func relativePath(from directory: String, to path: String) -> String {
        let base = URL(fileURLWithPath: directory).standardizedFileURL.pathComponents
        let target = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        var common = 0
        while common < base.count, common < target.count - 1, base[common] == target[common] { common += 1 }
        let parts = Array(repeating: "..", count: base.count - common) + target[common...]
        let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: ":?#"))
        return parts.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0 }.joined(separator: "/")
    }

    /// The drift events of the run's as-of date for one customer (those this run found, and those an earlier
    /// run found for the same windows: the stage is idempotent and keeps the first), with their weeks.
    private static func driftCharts(
        _ runID: Int64,
        _ customerID: String,
        asOf: String,
        on connection: PGConnection
    ) throws -> [RunReport.DriftChart] {
        let rows = try connection.query(
            """
            SELECT event_id, payer, cpt_group, drift_type, baseline_start::text, baseline_end::text,
                   current_start::text, current_end::text, baseline_n, current_n, baseline_value, current_value,
                   abs_change, rel_change, ci_low, ci_high, q_value, severity, direction
              FROM driftline.drift_events
             WHERE customer_id = $1 AND (run_id = $2 OR current_end = $3::date)
             ORDER BY event_id
            """,
            [customerID, String(runID), asOf],
            operation: "read drift events"
        ).rows
        return try rows.map { row in
            let double = { (index: Int) in row[index].flatMap(Double.init) }
            let driftType = row[3] ?? "denial_rate"
            var chart = RunReport.DriftChart(
                eventID: Int64(row[0] ?? "") ?? 0,
                customerID: customerID,
                payer: row[1] ?? "?",
                cptGroup: row[2] ?? "",
                driftType: driftType,
                baselineStart: row[4] ?? "",
                baselineEnd: row[5] ?? "",
                currentStart: row[6] ?? "",
                currentEnd: row[7] ?? "",
                baselineN: Int64(row[8] ?? "") ?? 0,
                currentN: Int64(row[9] ?? "") ?? 0,
                baselineValue: double(10) ?? 0,
                currentValue: double(11) ?? 0,
                absChange: double(12) ?? 0,
                relChange: double(13),
                ciLow: double(14),
                ciHigh: double(15),
                qValue: double(16) ?? 1,
                severity: row[17] ?? "low",
                direction: row[18] ?? "worse"
            )
            chart.weeks = try weeks(
                customerID: customerID,
                payer: chart.payer,
                cptGroup: chart.cptGroup,
                denialRate: driftType == "denial_rate",
                from: chart.baselineStart,
                currentStart: chart.currentStart,
                to: chart.currentEnd,
                on: connection
            )
            return chart
        }
    }

    /// Whole weeks ending at `to` and every 7 days before it, back to `from` (a partial first week is left
    /// out): the decided claims of the triple (by `decided_date`), their denial rate or median decision time.
    /// The caller has set the tenant.
    ///
    /// Read from the daily summary the drift stage counted the events from (`decision_days`, brought up to date
    /// by each drift run), one range of its primary key: each cell is expanded into its `decided` claims (the
    /// first `denied` of them denied), so the median is `percentile_cont` over the same decision days a
    /// `GROUP BY` of the claims would see (`RunReportTests`, against the claims themselves).
    private static func weeks(
        customerID: String,
        payer: String,
        cptGroup: String,
        denialRate: Bool,
        from: String,
        currentStart: String,
        to: String,
        on connection: PGConnection
    ) throws -> [RunReport.Week] {
        let rows = try connection.query(
            """
            WITH w AS (
                SELECT n, ($4::date - 7 * n - 6) AS week_start, ($4::date - 7 * n) AS week_end
                  FROM generate_series(0, ($4::date - $3::date + 1) / 7 - 1) AS n
            ), c AS (
                SELECT ($4::date - s.decided_date) / 7 AS n, k <= s.denied AS denied, s.days
                  FROM driftline.decision_days AS s CROSS JOIN LATERAL generate_series(1, s.decided) AS k
                 WHERE s.customer_id = $1 AND s.decided_date BETWEEN $3::date AND $4::date
                   AND s.payer = $2 AND s.cpt_group = $5
            )
            SELECT w.week_start::text, w.week_end::text, count(c.days),
                   (count(*) FILTER (WHERE c.denied))::float8 / nullif(count(c.days), 0),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY c.days),
                   w.week_end >= $6::date
              FROM w LEFT JOIN c USING (n)
             GROUP BY w.n, w.week_start, w.week_end ORDER BY w.n DESC
            """,
            [customerID, payer, from, to, cptGroup, currentStart],
            operation: "read weekly drift series"
        ).rows
        return rows.map { row in
            RunReport.Week(
                start: row[0] ?? "",
                end: row[1] ?? "",
                decided: Int64(row[2] ?? "") ?? 0,
                value: (denialRate ? row[3] : row[4]).flatMap(Double.init),
                isCurrent: row[5] == "t"
            )
        }
    }

    /// The alert evaluations of one customer's drift events of the run (or its as-of date), with the state
    /// of the outbox messages that carry them.
    private static func gatherAlerts(
        _ runID: Int64,
        _ customerID: String,
        asOf: String,
        into alerts: inout RunReport.Alerts,
        on connection: PGConnection
    ) throws {
        let rows = try connection.query(
            """
            SELECT a.alert_id, a.rule_id, a.payer, a.cpt_group, a.drift_type, a.severity, a.status, a.reason,
                   array_to_string(a.channels, ','),
                   (SELECT CASE WHEN bool_or(o.status = 'dead') THEN 'dead'
                                WHEN bool_or(o.status = 'pending') THEN 'pending'
                                WHEN bool_or(o.status = 'delivered') THEN 'delivered' END
                      FROM driftline.outbox o
                     WHERE o.customer_id = $1 AND a.alert_id = ANY (o.alert_ids) AND o.event_type = 'drift.alert')
              FROM driftline.alert_events a
             WHERE a.customer_id = $1 AND (a.run_id = $2 OR a.current_end = $3::date)
             ORDER BY a.alert_id
            """,
            [customerID, String(runID), asOf],
            operation: "read alert events"
        ).rows
        for row in rows {
            alerts.alerts.append(
                RunReport.Alert(
                    alertID: Int64(row[0] ?? "") ?? 0,
                    ruleID: row[1] ?? "-",
                    customerID: customerID,
                    payer: row[2] ?? "?",
                    cptGroup: row[3] ?? "",
                    driftType: row[4] ?? "",
                    severity: row[5] ?? "",
                    status: row[6] ?? "",
                    reason: row[7],
                    channels: (row[8] ?? "").split(separator: ",").map(String.init),
                    delivery: row[9]
                )
            )
        }
        let messages =
            try connection.query(
                """
                SELECT count(*) FILTER (WHERE o.status = 'delivered'), count(*) FILTER (WHERE o.status = 'pending'),
                       count(*) FILTER (WHERE o.status = 'dead')
                  FROM driftline.outbox o
                 WHERE o.customer_id = $1 AND EXISTS (
                       SELECT 1 FROM driftline.alert_events a
                        WHERE a.customer_id = $1 AND a.alert_id = ANY (o.alert_ids)
                          AND (a.run_id = $2 OR a.current_end = $3::date))
                """,
                [customerID, String(runID), asOf],
                operation: "read outbox"
            ).first ?? []
        let counts = messages.map { $0.flatMap { Int($0) } ?? 0 }
        if counts.count == 3 {
            alerts.messagesDelivered += counts[0]
            alerts.messagesPending += counts[1]
            alerts.messagesDead += counts[2]
        }
    }

    /// Silences in force now for `customer`: its own and those for every customer (`customer_id IS NULL`).
    /// Their reasons are the operator's free text and are left out. The caller has set the tenant.
    private static func silences(customer: String, on connection: PGConnection) throws -> [RunReport.Silence] {
        let run = { (customerID: String) throws -> [[String?]] in
            try connection.query(
                """
                SELECT silence_id, customer_id, concat_ws(', ', 'payer=' || payer, 'cpt_group=' || cpt_group,
                       'drift_type=' || drift_type, 'direction=' || direction),
                       to_char(ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI"Z"'), created_by
                  FROM driftline.alert_silences
                 WHERE expired_at IS NULL AND starts_at <= now() AND ends_at > now()
                   AND (customer_id IS NULL OR customer_id = $1)
                 ORDER BY silence_id
                """,
                [customerID],
                operation: "read silences"
            ).rows
        }
        return try run(customer).map { row in
            RunReport.Silence(
                silenceID: Int64(row[0] ?? "") ?? 0,
                customerID: row[1],
                matchers: (row[2] ?? "").isEmpty ? "everything" : row[2]!,
                endsAt: row[3] ?? "",
                createdBy: row[4] ?? ""
            )
        }
    }
}
