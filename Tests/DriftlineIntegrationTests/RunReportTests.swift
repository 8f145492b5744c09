import DriftlineCore
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// The run report (issue 15): the report stage's page and `driftline report`, on a run whose history has a
/// planted denial-rate rise, checked as text (self-contained, aggregates only, one customer's with
/// `--customer`) and in a real browser (drawn, no network request, no console error).
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct RunReportTests {
    static let asOf = "2026-11-21"

    /// A workspace whose acme-clinic history (AETNA, E&M) goes from 10% denied in the baseline window to
    /// 40% in the current one, and a second customer with a little plain history; run through
    /// load → drift → report. Returns the run's result.
    static func runWithDrift(_ workspace: Workspace, _ database: TestDatabase) throws -> DriftlineProcess.Result {
        let pipeline = workspace.root.appendingPathComponent("pipelines/nightly.yaml")
        let text = try String(contentsOf: pipeline, encoding: .utf8) + "\nreport: {html_dir: reports}\n"
        try text.write(to: pipeline, atomically: true, encoding: .utf8)
        let baselineStart = CivilDate.parse("2026-07-25")!
        let currentStart = CivilDate.parse("2026-10-23")!
        var rows: [String] = []
        for index in 0..<300 {
            let denied = index % 10 == 0
            rows.append(
                Claims.row(
                    index,
                    outcome: denied ? "denied" : "paid",
                    decided: CivilDate.format(baselineStart + Int32(index % 88)),
                    denial: denied ? "CO-50" : "",
                    paid: denied ? "" : "96.00"
                )
            )
        }
        for index in 300..<420 {
            let denied = index % 5 < 2
            rows.append(
                Claims.row(
                    index,
                    outcome: denied ? "denied" : "paid",
                    decided: CivilDate.format(currentStart + Int32(index % 29)),
                    denial: denied ? "CO-50" : "",
                    paid: denied ? "" : "96.00"
                )
            )
        }
        _ = try workspace.drop(
            ([Claims.header] + rows).joined(separator: "\n") + "\n",
            customer: "acme-clinic",
            name: "a.csv"
        )
        _ = try workspace.drop(Claims.file(rows: 40, customer: "beta-care"), customer: "beta-care", name: "b.csv")
        return try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", asOf],
            in: workspace.path,
            databaseURL: database.url
        )
    }

    /// What the alerts and deliver stages leave for the run's drift events: the high one notified and its
    /// message dead-lettered, the others suppressed, and a silence in force whose reason carries the canary.
    /// Written straight into the tables (as migration 0005 of the alerts part defines them; created here when
    /// this database's schema predates it).
    static func addAlerts(_ database: TestDatabase) throws {
        if try database.scalar("SELECT to_regclass('driftline.alert_events') IS NULL") == "t" {
            for statement in [
                """
                CREATE TABLE driftline.alert_events (alert_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                  drift_event_id bigint NOT NULL, rule_id text NOT NULL, customer_id text NOT NULL, payer text NOT NULL,
                  cpt_group text NOT NULL, drift_type text NOT NULL, severity text NOT NULL, direction text NOT NULL,
                  current_end date NOT NULL, status text NOT NULL, reason text, channels text[] NOT NULL DEFAULT '{}',
                  run_id bigint)
                """,
                """
                CREATE TABLE driftline.outbox (message_id text PRIMARY KEY, endpoint text NOT NULL,
                  customer_id text NOT NULL, event_type text NOT NULL, alert_ids bigint[] NOT NULL, body text NOT NULL,
                  status text NOT NULL DEFAULT 'pending')
                """,
                """
                CREATE TABLE driftline.alert_silences (silence_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                  customer_id text, payer text, cpt_group text, drift_type text, direction text,
                  starts_at timestamptz NOT NULL DEFAULT now(), ends_at timestamptz NOT NULL, reason text NOT NULL,
                  created_by text NOT NULL, expired_at timestamptz)
                """,
                "GRANT SELECT ON driftline.alert_events, driftline.outbox, driftline.alert_silences TO driftline_loader",
            ] {
                _ = try database.rows(statement)
            }
        }
        _ = try database.rows(
            """
            INSERT INTO driftline.alert_events (drift_event_id, rule_id, customer_id, payer, cpt_group, drift_type,
                   severity, direction, current_end, status, reason, channels, run_id)
            SELECT event_id, 'every-drift', customer_id, payer, cpt_group, drift_type, severity, direction, current_end,
                   CASE WHEN drift_type = 'denial_rate' THEN 'notify' ELSE 'suppressed' END,
                   CASE WHEN drift_type = 'denial_rate' THEN NULL ELSE 'below_severity' END,
                   CASE WHEN drift_type = 'denial_rate' THEN '{default}'::text[] ELSE '{}' END, run_id
              FROM driftline.drift_events ORDER BY event_id
            """
        )
        _ = try database.rows(
            """
            INSERT INTO driftline.outbox (message_id, endpoint, customer_id, event_type, alert_ids, body, status)
            SELECT 'msg_1', 'default', customer_id, 'drift.alert', array_agg(alert_id), '{}', 'dead'
              FROM driftline.alert_events WHERE status = 'notify' GROUP BY customer_id
            """
        )
        _ = try database.rows(
            """
            INSERT INTO driftline.alert_silences (customer_id, payer, ends_at, reason, created_by)
            VALUES ('beta-care', 'UHC', now() + interval '7 days', $1, 'ops')
            """,
            ["renegotiation \(Claims.canary)"]
        )
    }

    @Test func theReportStageWritesOneSelfContainedPageWithTheDriftAsAChart() throws {
        let database = try TestDatabase()
        let workspace = try Workspace(stages: ["load", "drift", "report"])
        let result = try Self.runWithDrift(workspace, database)
        #expect(result.status == 0, result.summary)
        #expect(try database.int("SELECT count(*) FROM driftline.drift_events WHERE run_id = 1") >= 1)

        let page = try workspace.read("reports/run-1.html")
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("content=\"\(RunReportRenderer.contentSecurityPolicy)\""))
        // Self-contained: no script, no URL of anywhere else.
        for forbidden in ["<script", "http://", "https://", "src=", "url(", "@import"] {
            #expect(!page.contains(forbidden), "\(forbidden)")
        }
        // The run, the uploads with their own reports (relative links that resolve), the drift chart.
        #expect(page.contains("Run 1 <span class=\"pill good\">succeeded</span>"))
        #expect(page.contains("exit status <b>0</b>"))
        #expect(page.contains("<a href=\"../archive/acme-clinic/\(Self.asOf)/a.csv.report.html\">a.csv</a>"))
        #expect(
            FileManager.default.fileExists(
                atPath: workspace.path + "/archive/acme-clinic/\(Self.asOf)/a.csv.report.html"
            )
        )
        #expect(page.contains("<svg class=\"chart\""))
        #expect(page.contains("AETNA · E&amp;M"))
        #expect(page.contains("class=\"ci\""), "the denial rate's interval is drawn")
        // Aggregates only: no claim id, patient reference or any other row value.
        #expect(!page.contains(Claims.canary))
        #expect(!page.contains("CO-50"))
        #expect(result.stderr.contains("msg=\"run report written\""))

        // `driftline report` makes the same page (up to its clock and the report stage's own line).
        let again = try DriftlineProcess.run(
            ["report", "1", "--output", "reports/again.html"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(again.status == 0, again.summary)
        let second = try workspace.read("reports/again.html")
        #expect(second.contains("<svg class=\"chart\"") && second.contains("a.csv.report.html"))
        #expect(!second.contains(Claims.canary))

        // `runs show` names the run's drift events (plain text: not a terminal, no sparkline).
        let show = try DriftlineProcess.run(["runs", "show", "1"], in: workspace.path, databaseURL: database.url)
        #expect(show.stdout.contains("DRIFT EVENTS ("), show.summary)
        #expect(show.stdout.contains("acme-clinic") && show.stdout.contains("denial_rate"))
        #expect(!show.stdout.contains("▁") && !show.stdout.contains("│"))
    }

    /// The weekly series read from the daily summary equal a `GROUP BY` of the claims themselves, weeks, counts,
    /// denial rates and medians (`percentile_cont`), after a night that appeals some denials (the summary
    /// retracts the replaced versions) and decides a few more claims.
    @Test func theWeeklySeriesEqualTheClaimsCountedOneByOne() throws {
        let database = try TestDatabase()
        let workspace = try Workspace(stages: ["load", "drift", "report"])
        #expect(try Self.runWithDrift(workspace, database).status == 0)
        let currentStart = CivilDate.parse("2026-10-23")!
        var night: [String] = []
        for index in stride(from: 300, to: 420, by: 5) {  // denied in the current window: overturned a day later
            night.append(
                Claims.row(index, outcome: "paid", decided: CivilDate.format(currentStart + Int32(index % 29) + 1))
            )
        }
        for index in 500..<560 {  // more decisions in both windows, some denied
            let denied = index % 3 == 0
            night.append(
                Claims.row(
                    index,
                    outcome: denied ? "denied" : "paid",
                    decided: CivilDate.format(currentStart - 60 + Int32(index % 89)),
                    denial: denied ? "CO-50" : "",
                    paid: denied ? "" : "96.00"
                )
            )
        }
        _ = try workspace.drop(
            ([Claims.header] + night).joined(separator: "\n") + "\n",
            customer: "acme-clinic",
            name: "night-2.csv"
        )
        let second = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", Self.asOf],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(second.status == 0, second.summary)

        let connection = try database.connect()
        let events = try connection.eachTenant(nil) { _ in try DriftStore.all(on: connection) }.joined()
        #expect(!events.isEmpty)
        // Each event's series both ways: its denial rates and its medians.
        let series = events.flatMap { event in
            ["denial_rate", "decision_time"].map { type in
                var other = event
                other.driftType = type
                return other
            }
        }
        for event in series {
            let weeks = try RunReportStore.weeks(of: event, on: connection)
            let reference = try database.rows(
                """
                WITH w AS (
                    SELECT n, ($4::date - 7 * n - 6) AS week_start, ($4::date - 7 * n) AS week_end
                      FROM generate_series(0, ($4::date - $3::date + 1) / 7 - 1) AS n
                ), c AS (
                    SELECT ($4::date - decided_date) / 7 AS n, outcome, decided_date - submitted_date AS days
                      FROM driftline.claims
                     WHERE customer_id = $1 AND payer = $2 AND coalesce(cpt_group, '') = $5
                       AND decided_date BETWEEN $3::date AND $4::date AND outcome IN ('paid', 'denied')
                )
                SELECT w.week_start::text, w.week_end::text, count(c.outcome),
                       (count(*) FILTER (WHERE c.outcome = 'denied'))::float8 / nullif(count(c.outcome), 0),
                       percentile_cont(0.5) WITHIN GROUP (ORDER BY c.days), w.week_end >= $6::date
                  FROM w LEFT JOIN c USING (n)
                 GROUP BY w.n, w.week_start, w.week_end ORDER BY w.n DESC
                """,
                [
                    event.customerID, event.payer, event.baselineStart, event.currentEnd, event.cptGroup,
                    event.currentStart,
                ]
            )
            let denialRate = event.driftType == "denial_rate"
            let expected = reference.map { row in
                RunReport.Week(
                    start: row[0] ?? "",
                    end: row[1] ?? "",
                    decided: Int64(row[2] ?? "") ?? 0,
                    value: (denialRate ? row[3] : row[4]).flatMap(Double.init),
                    isCurrent: row[5] == "t"
                )
            }
            #expect(weeks == expected, "\(event.payer) \(event.cptGroup) \(event.driftType)")
            #expect(weeks.contains { $0.decided > 0 })
        }
        #expect(
            try database.int("SELECT rows_loaded FROM driftline.uploads WHERE file_name = 'night-2.csv'") == 84,
            "night 2 loaded (24 appeals, 60 new claims)"
        )
    }

    @Test func aCustomersReportHoldsThatCustomerAndNoOther() throws {
        let database = try TestDatabase()
        let workspace = try Workspace(stages: ["load", "drift", "report"])
        let result = try Self.runWithDrift(workspace, database)
        #expect(result.status == 0, result.summary)

        try Self.addAlerts(database)
        let beta = try DriftlineProcess.run(
            ["report", "1", "--customer", "beta-care", "--output", "beta.html"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(beta.status == 0, beta.summary)
        let page = try workspace.read("beta.html")
        #expect(page.contains("beta-care"))
        #expect(page.contains("b.csv"))
        #expect(page.contains("<dt>silences in force</dt><dd>1</dd>"), "its own silence")
        #expect(page.contains("<dt>notified</dt><dd>0</dd>") && page.contains("<dt>dead-lettered</dt><dd>0</dd>"))
        for other in ["acme-clinic", "a.csv", "AETNA · E&amp;M", "<svg class=\"chart\"", "every-drift"] {
            #expect(!page.contains(other), "\(other)")
        }
        // The run-wide totals would count the other customer's rows: the page shows this customer's.
        #expect(page.contains("<dt>rows read</dt><dd>40</dd>"))
        #expect(!page.contains(Claims.canary))

        let acme = try DriftlineProcess.run(
            ["report", "1", "--customer", "acme-clinic"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(acme.stdout.contains("<svg class=\"chart\"") && !acme.stdout.contains("beta-care"))
        #expect(acme.stdout.contains("<dt>silences in force</dt><dd>0</dd>"), "not the other customer's silence")

        let unknown = try DriftlineProcess.run(
            ["report", "1", "--customer", "nobody"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(unknown.status == 78, unknown.summary)
        let noRun = try DriftlineProcess.run(["report", "99"], in: workspace.path, databaseURL: database.url)
        #expect(noRun.status == 78 && noRun.stderr.contains("no run with id 99"), noRun.summary)
    }

    @Test(.enabled(if: HeadlessBrowser.isAvailable))
    func theReportRendersInChromiumWithoutNetworkOrConsoleErrors() throws {
        let database = try TestDatabase()
        let workspace = try Workspace(stages: ["load", "drift", "report"])
        let result = try Self.runWithDrift(workspace, database)
        #expect(result.status == 0, result.summary)
        let page = workspace.root.appendingPathComponent("reports/run-1.html")
        #expect(!(try String(contentsOf: page, encoding: .utf8)).contains(Claims.canary))

        // With the alerts of the run's drift events.
        try Self.addAlerts(database)
        let report = try DriftlineProcess.run(
            ["report", "1", "--output", "reports/run-1.html"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(report.status == 0, report.summary)
        let html = try String(contentsOf: page, encoding: .utf8)
        #expect(html.contains("<dt>dead-lettered</dt><dd>1</dd>"), "\(html)")
        #expect(html.contains("suppressed: below_severity"))
        #expect(html.contains("<dt>silences in force</dt><dd>1</dd>"))
        #expect(!html.contains(Claims.canary))

        let rendering = try HeadlessBrowser.render(page, width: 1200, height: 2400)
        #expect(rendering.consoleMessages.isEmpty, "\(rendering.consoleMessages)")
        #expect(rendering.networkRequests.isEmpty, "\(rendering.networkRequests)")
        let image = try PNGImage(rendering.screenshot)
        #expect(image.width == 1200 && image.height == 2400)
        #expect(image.luminanceVariance > 200, "a blank page has none: \(image.luminanceVariance)")
        #expect(image.colorCount > 100, "\(image.colorCount) colours")
        if let keep = ProcessInfo.processInfo.environment["DRIFTLINE_REPORT_SCREENSHOT"] {
            try rendering.screenshot.write(to: URL(fileURLWithPath: keep))
        }

        // A phone's width lays the same page out without error.
        let phone = try HeadlessBrowser.render(page, width: 390, height: 1600)
        #expect(phone.consoleMessages.isEmpty && phone.networkRequests.isEmpty)
    }

    /// The checks above can fail: a page that reaches for the network is seen doing it (no CSP: a request;
    /// the report's CSP: a console error), and a blank page has no variance.
    @Test(.enabled(if: HeadlessBrowser.isAvailable))
    func theBrowserChecksSeeARequestAConsoleErrorAndABlankPage() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("driftline-control-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = "<img src=\"https://example.invalid/pixel.png\" alt=\"\">"
        let open = folder.appendingPathComponent("open.html")
        try "<!DOCTYPE html><html><body><p>x</p>\(image)</body></html>".write(
            to: open,
            atomically: true,
            encoding: .utf8
        )
        let locked = folder.appendingPathComponent("locked.html")
        try """
        <!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" \
        content="\(RunReportRenderer.contentSecurityPolicy)"></head><body>\(image)</body></html>
        """.write(to: locked, atomically: true, encoding: .utf8)
        let blank = folder.appendingPathComponent("blank.html")
        try "<!DOCTYPE html><html><body></body></html>".write(to: blank, atomically: true, encoding: .utf8)

        #expect(
            try HeadlessBrowser.render(open, width: 400, height: 300).networkRequests.contains {
                $0.contains("example.invalid")
            }
        )
        #expect(try !HeadlessBrowser.render(locked, width: 400, height: 300).consoleMessages.isEmpty)
        #expect(try PNGImage(HeadlessBrowser.render(blank, width: 400, height: 300).screenshot).luminanceVariance < 1)
    }
}
