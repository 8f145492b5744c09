import DriftlineCore
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// The probes that tell the load, alerts and report stages which customers they have work for (migration
/// 0013): each customer is probed under its own tenant, and a customer is left out only when its stage would
/// do nothing for it.
@Suite(.enabled(if: TestDatabase.isAvailable))
struct StageProbeTests {
    static let book = try! AlertRuleBook.parse(
        yaml: """
            endpoints:
              default: {owner: operator}
            rules:
              - id: operator
                match: {min_severity: low}
                channels: [default]
            """,
        file: "alerts.yaml"
    )

    static let run: Int64 = 7
    static let asOf = "2026-11-21"

    @Test func probesNameExactlyTheCustomersWithWork() throws {
        let database = try TestDatabase()
        let connection = try database.connect()
        // e-idle: an event evaluated long ago and its alert resolved since, an upload of another run.
        try DriftEvents.insert(connection, customer: "e-idle", currentEnd: "2026-10-01")
        try AlertStore.evaluate(book: Self.book, asOf: CivilDate.parse("2026-10-02")!, on: connection)
        // c-open-alert: a notified alert not resolved (of an older as-of date, not of this run).
        try DriftEvents.insert(connection, customer: "c-open-alert", currentEnd: "2026-10-15")
        try AlertStore.evaluate(book: Self.book, asOf: nil, on: connection)
        // b-new-event: a drift event of the run's as-of date that no evaluation has seen.
        try DriftEvents.insert(connection, customer: "b-new-event", currentEnd: Self.asOf)
        // d-silence: nothing but a silence of its own in force.
        try connection.query(
            "INSERT INTO driftline.customers (customer_id) VALUES ('a-upload'), ('d-silence')",
            operation: "test customers"
        )
        try AlertStore.addSilence(
            customerID: "d-silence",
            matchers: ["payer": "CIGNA"],
            until: CivilDate.today() + 3,
            reason: "payer outage",
            user: "tester",
            on: connection
        )
        // a-upload: two uploads in the run; e-idle one in another run.
        for (customer, run, rows) in [("a-upload", Self.run, 10), ("a-upload", Self.run, 5), ("e-idle", 6, 99)] {
            try connection.query(
                """
                INSERT INTO driftline.uploads (customer_id, file_name, sha256, size_bytes, rows_read, rows_loaded,
                                               status, run_id)
                VALUES ($1, 'claims.csv', encode(sha256(random()::text::bytea), 'hex'), 1000, $2, $2, 'loaded', $3)
                """,
                [customer, String(rows), String(run)],
                operation: "test upload"
            )
        }
        let everyone = ["a-upload", "b-new-event", "c-open-alert", "d-silence", "e-idle"]
        #expect(try UploadTotals.customers(on: connection) == everyone)

        let alerting = try connection.tenants(
            among: everyone,
            probe: "SELECT * FROM driftline.alert_work_customers($1::text[])",
            operation: "test probe"
        )
        #expect(alerting == ["b-new-event", "c-open-alert"])

        let reported = try connection.tenants(
            among: everyone,
            probe: "SELECT * FROM driftline.report_customers($1::text[], $2::bigint, $3::date)",
            arguments: [String(Self.run), Self.asOf],
            operation: "test probe"
        )
        #expect(reported == ["a-upload", "b-new-event", "d-silence"])

        let totals = try UploadTotals.forRun(Self.run, on: connection)
        #expect(totals.filesLoaded == 2 && totals.rowsRead == 15 && totals.rowsLoaded == 15 && totals.bytes == 2000)
        #expect(try UploadTotals.forRun(6, on: connection).rowsRead == 99)
        #expect(try UploadTotals.forRun(8, on: connection) == UploadTotals())

        // What the probes leave out is a no-op there: evaluating every customer's alerts as of the run's date
        // touches b (new event) and c (its alert resolves: no event ends on the as-of date) only.
        let summary = try AlertStore.evaluate(book: Self.book, asOf: CivilDate.parse(Self.asOf)!, on: connection)
        #expect(summary.events == 1 && summary.resolved == 1)
        #expect(
            try connection.tenants(
                among: everyone,
                probe: "SELECT * FROM driftline.alert_work_customers($1::text[])",
                operation: "test probe"
            ) == ["b-new-event"],
            "b's alert is open now; c's is resolved"
        )
    }
}
