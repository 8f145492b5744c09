import DriftlineCore
import DriftlinePipeline
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Logging
import Testing

#if DEBUG
/// The drift and alert stages with their customer filters deliberately dropped (``UnscopedQueryTestHook``,
/// debug builds only) still see one customer at a time: row-level security alone keeps them apart. Each test
/// also runs the same unscoped code where RLS does not hold (outside a tenant, or with RLS switched off on
/// the table it reads), to show the hook really drops the filter and the test can fail.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct UnscopedStageQueryTests {
    static let alpha = "alpha-clinic"
    static let beta = "beta-clinic"
    static let asOf = "2026-11-21"

    /// 100 claims decided in the baseline window (5 denied) and 100 in the current one (50 denied, decided
    /// 70 days later): a denial-rate and a decision-time drift for `payer`.
    static func drifting(_ customer: String, payer: String) -> String {
        var rows = [Claims.header]
        for id in 1...200 {
            let current = id > 100
            let denied = current ? id % 2 == 0 : id % 20 == 0
            rows.append(
                Claims.row(
                    id,
                    customer: customer,
                    payer: payer,
                    outcome: denied ? "denied" : "paid",
                    decided: current ? "2026-11-10" : "2026-09-01",
                    denial: denied ? "CO-97" : "",
                    allowed: denied ? "0.00" : "120.00",
                    paid: denied ? "0.00" : "96.00"
                )
            )
        }
        return rows.joined(separator: "\n") + "\n"
    }

    /// Both customers' drifting claims, loaded by the real pipeline (load stage only).
    static func loadTwoCustomers() throws -> TestDatabase {
        let database = try TestDatabase()
        let workspace = try Workspace(stages: ["load"])
        try workspace.drop(drifting(alpha, payer: "AETNA"), customer: alpha, name: "claims.csv")
        try workspace.drop(drifting(beta, payer: "CIGNA"), customer: beta, name: "claims.csv")
        let run = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", asOf],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(run.status == 0, "\(run.stderr)")
        return database
    }

    static func unscoped<T>(_ body: () throws -> T) rethrows -> T {
        try UnscopedQueryTestHook.$dropsCustomerFilters.withValue(true, operation: body)
    }

    @Test func theDriftAggregationWithoutItsCustomerFilterStillSeesOneCustomer() throws {
        let database = try Self.loadTwoCustomers()
        let connection = try database.connect()
        let asOf = try #require(CivilDate.parse(Self.asOf))
        let settings = DriftSettings()
        let windows = settings.windows(asOf: asOf)

        // The hook drops the filter: outside a tenant (this superuser bypasses RLS) the query sees both.
        let everyone = try Self.unscoped {
            try DriftStore.aggregates(windows: windows, customers: [Self.alpha], on: connection)
        }
        #expect(Set(everyone.map(\.triple.customerID)) == [Self.alpha, Self.beta])
        // Inside each customer's tenant scope: that customer's groups, exactly as with the filter.
        for customer in [Self.alpha, Self.beta] {
            let hooked = try Self.unscoped {
                try connection.withTenant(customer) {
                    try DriftStore.aggregates(windows: windows, customers: [customer], on: connection)
                }
            }
            let filtered = try connection.withTenant(customer) {
                try DriftStore.aggregates(windows: windows, customers: [customer], on: connection)
            }
            #expect(!hooked.isEmpty)
            #expect(Set(hooked.map(\.triple.customerID)) == [customer])
            #expect(Set(hooked) == Set(filtered))
        }

        // The drift stage's service, end to end, with the hook on: every group once, each customer's events
        // built from its own claims.
        let service = DriftService(settings: settings, logger: Logger(label: "test.unscoped"))
        let outcome = try Self.unscoped {
            try service.evaluate(
                asOf: asOf,
                customerID: nil,
                runID: nil,
                connections: ConnectionProvider(url: database.url)
            )
        }
        #expect(outcome.triples == everyone.count)
        let found = Set(outcome.records.map { [$0.customerID, $0.payer] })
        #expect(found == [[Self.alpha, "AETNA"], [Self.beta, "CIGNA"]], "\(found)")

        // Control: with RLS off on the summary the stage reads (decision_days, which the evaluation above filled
        // for both), the same unscoped stage sees both customers under each tenant.
        try connection.execute(
            "ALTER TABLE driftline.decision_days DISABLE ROW LEVEL SECURITY",
            operation: "test: rls off"
        )
        // (The stage aggregates a batch of customers per statement and merges rows by triple, so the leak shows
        // in what one customer's aggregation returns.)
        let leaked = try Self.unscoped {
            try connection.withTenant(Self.alpha) {
                try DriftStore.aggregates(windows: windows, customers: [Self.alpha], on: connection)
            }
        }
        #expect(Set(leaked.map(\.triple.customerID)) == [Self.alpha, Self.beta])
    }

    @Test func theAlertEvaluationWithoutItsCustomerFilterStillSeesOneCustomer() throws {
        let book = try AlertRuleBook.load(directory: Workspace.repositoryRoot.appendingPathComponent("rules"))
        // Alerts whose drift event belongs to another customer than the alert row says.
        let crossed = """
            SELECT count(*) FROM driftline.alert_events a
              JOIN driftline.drift_events d ON d.event_id = a.drift_event_id
             WHERE d.customer_id <> a.customer_id
            """
        func events(_ database: TestDatabase) throws -> PGConnection {
            let connection = try database.connect()
            for customer in [Self.alpha, Self.beta] {
                for payer in ["AETNA", "CIGNA"] {
                    try DriftEvents.insert(connection, customer: customer, payer: payer)
                }
            }
            return connection
        }

        let database = try TestDatabase()
        let connection = try events(database)
        let summary = try Self.unscoped { try AlertStore.evaluate(book: book, asOf: nil, on: connection) }
        #expect(summary.events == 4, "each customer evaluated its own two events, once")
        #expect(try database.int(crossed) == 0)
        #expect(try database.int("SELECT count(DISTINCT drift_event_id) FROM driftline.alert_events") == 4)
        #expect(
            try database.rows(
                "SELECT customer_id, count(*)::text FROM driftline.outbox GROUP BY 1 ORDER BY 1"
            ).map { $0[0] } == [Self.alpha, Self.beta]
        )

        // Control: with RLS off on drift_events, alpha's unscoped evaluation takes beta's events as its own.
        let open = try TestDatabase()
        let openConnection = try events(open)
        try openConnection.execute(
            "ALTER TABLE driftline.drift_events DISABLE ROW LEVEL SECURITY",
            operation: "test: rls off"
        )
        let leaked = try Self.unscoped { try AlertStore.evaluate(book: book, asOf: nil, on: openConnection) }
        #expect(leaked.events > 4)
        #expect(try open.int(crossed) > 0)
    }
}
#endif
