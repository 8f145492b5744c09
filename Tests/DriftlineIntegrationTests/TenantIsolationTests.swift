import DriftlineCore
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// Tenant isolation enforced by PostgreSQL: row-level security on every tenant table, real roles (cluster-wide:
/// each test creates its own, uniquely named, and drops them), the load's COPY as driftline_bulk, readers
/// mapped to one customer, and `db doctor`.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct TenantIsolationTests {
    static let tenantTables = DatabaseDoctor.coreTenantTables
    static let alpha = "alpha-clinic"
    static let beta = "beta-clinic"
    static let run = ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", "2026-11-21"]

    /// A login role of its own for one test, dropped at the end.
    final class TestRole {
        let name: String
        private let server: PGConnection

        init(_ prefix: String, _ attributes: String) throws {
            name = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
            server = try PGConnection(url: TestDatabase.url(TestDatabase.serverURL!, database: "postgres"))
            try server.execute("CREATE ROLE \(name) \(attributes)", operation: "test: create role")
        }

        /// `url` connecting as this role (libpq keeps the last `user`).
        func url(_ database: TestDatabase) -> String { database.url + "&user=" + name }

        deinit { try? server.execute("DROP ROLE IF EXISTS \(name)", operation: "test: drop role") }
    }

    /// Two customers' uploads loaded by the real pipeline: valid rows (claims), a dirty row (rejects,
    /// findings), the queue and the customers rows.
    static func loadTwoCustomers(_ database: TestDatabase, as role: TestRole? = nil) throws {
        let workspace = try Workspace()
        for customer in [alpha, beta] {
            let dirty = Claims.file(rows: 40, customer: customer) + Claims.row(99, customer: customer, cpt: "1") + "\n"
            try workspace.drop(dirty, customer: customer, name: "claims.csv")
        }
        let result = try DriftlineProcess.run(run, in: workspace.path, databaseURL: role?.url(database) ?? database.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!(result.stdout + result.stderr).contains(Claims.canary))
    }

    /// Rows per customer in `table`, as the connection sees them.
    static func customers(in table: String, _ connection: PGConnection) throws -> [String: Int] {
        var seen: [String: Int] = [:]
        for row in try connection.query(
            "SELECT customer_id, count(*) FROM driftline.\(table) GROUP BY 1",
            operation: "test: count"
        ).rows {
            seen[row[0]!] = Int(row[1]!)!
        }
        return seen
    }

    @Test func aReaderGrantedOneCustomerSeesNoneOfAnothersRowsInAnyTenantTable() throws {
        let database = try TestDatabase()
        try Self.loadTwoCustomers(database)
        let admin = try database.connect()
        for table in Self.tenantTables {
            #expect(Set(try Self.customers(in: table, admin).keys) == [Self.alpha, Self.beta], "\(table)")
        }
        let reader = try TestRole("rls_reader", "LOGIN")
        let workspace = try Workspace()
        let granted = try DriftlineProcess.run(
            ["db", "grant-reader", reader.name, "--customer", Self.alpha],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(granted.status == 0, "\(granted.stderr)")
        let bi = try PGConnection(url: reader.url(database))
        for table in Self.tenantTables {
            let seen = try Self.customers(in: table, bi)
            #expect(Array(seen.keys) == [Self.alpha], "\(table)")
            #expect(seen[Self.alpha] == (try Self.customers(in: table, admin))[Self.alpha], "\(table)")
        }
        // A BI tool's own SET cannot widen it: the readers' policies read the mapping by session_user.
        try bi.execute("SET driftline.customer_id = '\(Self.beta)'", operation: "test: set tenant")
        for table in Self.tenantTables {
            #expect(Array(try Self.customers(in: table, bi).keys) == [Self.alpha], "\(table)")
        }
        // Read-only, and it cannot take the pipeline's roles.
        #expect(throws: PostgresError.self) {
            try bi.query("DELETE FROM driftline.claims", operation: "test: delete")
        }
        #expect(throws: PostgresError.self) {
            try bi.execute("SET ROLE driftline_bulk", operation: "test: set role")
        }
        // The mapping itself is not readable by readers.
        #expect(throws: PostgresError.self) {
            try bi.query("SELECT * FROM driftline.reader_customers", operation: "test: mapping")
        }
        let revoked = try DriftlineProcess.run(
            ["db", "grant-reader", reader.name, "--customer", Self.alpha, "--revoke"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(revoked.status == 0, "\(revoked.stderr)")
        // Its last customer gone, it is no reader any more: not even a SELECT is allowed.
        let former = try PGConnection(url: reader.url(database))
        #expect(throws: PostgresError.self) { try Self.customers(in: "claims", former) }
        // A pipeline role cannot be made a reader.
        let refused = try DriftlineProcess.run(
            ["db", "grant-reader", "driftline_loader", "--customer", Self.alpha],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(refused.status != 0)
    }

    @Test func writesForAnotherCustomerWithATenantSetFailWith42501() throws {
        let database = try TestDatabase()
        try Self.loadTwoCustomers(database)
        let connection = try database.connect()
        let attempts: [(String, String)] = [
            (
                "insert claim",
                """
                INSERT INTO driftline.claims (customer_id, claim_id, payer, cpt_code, service_date, submitted_date,
                    outcome, billed_amount, patient_ref, provider_npi, upload_id, line_no)
                VALUES ('\(Self.beta)', 'X1', 'AETNA', '99213', '2026-05-01', '2026-05-02', 'paid', 1, 'p', 'n', 1, 1)
                """
            ),
            (
                "insert upload",
                """
                INSERT INTO driftline.uploads (customer_id, file_name, sha256, size_bytes, status)
                VALUES ('\(Self.beta)', 'f.csv', repeat('a', 64), 1, 'loaded')
                """
            ),
            ("insert customer", "INSERT INTO driftline.customers (customer_id) VALUES ('gamma-clinic')"),
            ("move claim to another customer", "UPDATE driftline.claims SET customer_id = '\(Self.beta)'"),
            ("move upload to another customer", "UPDATE driftline.uploads SET customer_id = '\(Self.beta)'"),
        ]
        for (what, sql) in attempts {
            var state: String?
            do {
                _ = try connection.withTenant(Self.alpha) { try connection.query(sql, operation: "test: write") }
            } catch let error as PostgresError {
                state = error.sqlState
            }
            #expect(state == "42501", "\(what)")
        }
        // Another customer's rows are not even there to update or delete.
        let touched = try connection.withTenant(Self.alpha) {
            try connection.query(
                "UPDATE driftline.claims SET payer = 'X' WHERE customer_id = $1",
                [Self.beta],
                operation: "test: update"
            ).affected
                + connection.query(
                    "DELETE FROM driftline.rejects WHERE customer_id = $1",
                    [Self.beta],
                    operation: "test: delete"
                ).affected
        }
        #expect(touched == 0)
        #expect(try Self.customers(in: "claims", connection) == [Self.alpha: 40, Self.beta: 40])
    }

    @Test func withoutATenantTheLoaderSeesNoRowAndWritesNone() throws {
        let database = try TestDatabase()
        try Self.loadTwoCustomers(database)
        // A real login role granted driftline_loader, as on a server given by DATABASE_URL.
        let loader = try TestRole("rls_loader", "LOGIN IN ROLE driftline_loader")
        let connection = try PGConnection(url: loader.url(database))
        for table in Self.tenantTables where table != "customers" {
            #expect(try Self.customers(in: table, connection).isEmpty, "\(table)")
        }
        // The superuser taking the loader role without a tenant: the same.
        let admin = try database.connect()
        try admin.transaction {
            try admin.execute("SET LOCAL ROLE driftline_loader", operation: "test: role")
            for table in Self.tenantTables where table != "customers" {
                #expect(try Self.customers(in: table, admin).isEmpty, "\(table)")
            }
        }
        var state: String?
        do {
            try connection.query(
                "INSERT INTO driftline.uploads (customer_id, file_name, sha256, size_bytes, status) VALUES ($1, 'f', repeat('b', 64), 1, 'loaded')",
                [Self.alpha],
                operation: "test: insert"
            )
        } catch {  // `query` throws PostgresError only (typed throws)
            state = error.sqlState
        }
        #expect(state == "42501")
        // The tenant list holds ids only: the pipeline may list it to work one customer at a time.
        #expect(Set(try UploadTotals.customers(on: connection)) == [Self.alpha, Self.beta])
    }

    @Test func aLoginRoleGrantedLoaderAndBulkLoadsThroughCopyAndTheRowsAreVisibleOnlyToTheirTenant() throws {
        let database = try TestDatabase()
        let etl = try TestRole("rls_etl", "LOGIN IN ROLE driftline_loader, driftline_bulk")
        try Self.loadTwoCustomers(database, as: etl)
        // A resend takes the staging-and-merge path, also as that role.
        let workspace = try Workspace()
        try workspace.drop(Claims.file(rows: 5, customer: Self.alpha), customer: Self.alpha, name: "resend.csv")
        let resend = try DriftlineProcess.run(Self.run, in: workspace.path, databaseURL: etl.url(database))
        #expect(resend.status == 0, "\(resend.stderr)")

        let admin = try database.connect()
        #expect(try Self.customers(in: "claims", admin) == [Self.alpha: 40, Self.beta: 40])
        #expect(try Self.customers(in: "rejects", admin) == [Self.alpha: 1, Self.beta: 1])
        #expect(try database.int("SELECT count(*) FROM driftline.uploads") == 3)
        let connection = try PGConnection(url: etl.url(database))
        // (`customers` is the tenant directory: ids only, listed by the pipeline; see the loader test.)
        for customer in [Self.alpha, Self.beta] {
            for table in Self.tenantTables where table != "customers" {
                let seen = try connection.withTenant(customer) { try Self.customers(in: table, connection) }
                #expect(Array(seen.keys) == [customer], "\(table)")
            }
        }
        #expect(try Self.customers(in: "claims", connection).isEmpty)
        // Doctor, as that role over the socket: isolation as documented, nothing unsafe.
        let doctor = try DriftlineProcess.run(["db", "doctor"], in: workspace.path, databaseURL: etl.url(database))
        #expect(doctor.status == 0, "\(doctor.stdout)")
    }

    @Test func anUnscopedQueryRunThroughWithTenantSeesOneCustomer() throws {
        let database = try TestDatabase()
        try Self.loadTwoCustomers(database)
        let connection = try database.connect()
        for customer in [Self.alpha, Self.beta] {
            for table in Self.tenantTables where table != "customers" {
                // Deliberately no customer filter.
                let seen = try connection.withTenant(customer) {
                    try connection.query(
                        "SELECT DISTINCT customer_id FROM driftline.\(table)",
                        operation: "test: unscoped"
                    )
                    .rows.map { $0[0] }
                }
                #expect(seen == [customer], "\(table)")
            }
        }
        // The report stage's per-customer sums add up to what the superuser sees.
        let runID = Int64(try database.scalar("SELECT max(run_id) FROM driftline.uploads")!)!
        let totals = try UploadTotals.forRun(runID, on: connection)
        #expect(totals.filesLoaded == 2 && totals.rowsLoaded == 80 && totals.rowsRejected == 2)
        #expect(Int64(try database.int("SELECT sum(rows_read) FROM driftline.uploads")) == totals.rowsRead)
    }

    @Test func doctorFlagsWhatLetsPHIReachTheServerLogOrBreaksIsolationAndExitsNonZero() throws {
        let database = try TestDatabase()
        try Self.loadTwoCustomers(database)
        let workspace = try Workspace()
        let clean = try DriftlineProcess.run(["db", "doctor"], in: workspace.path, databaseURL: database.url)
        #expect(clean.status == 0, "\(clean.stdout)")
        #expect(clean.stdout.contains("doctor: 0 unsafe"), "\(clean.stdout)")

        // At database level: no ALTER SYSTEM, nothing outside this test's database changes.
        try database.connect().execute(
            "ALTER DATABASE \(database.name) SET log_statement = 'all'",
            operation: "test: setting"
        )
        let logged = try DriftlineProcess.run(["db", "doctor"], in: workspace.path, databaseURL: database.url)
        #expect(logged.status == 1, "\(logged.stdout)")
        #expect(logged.stdout.contains("unsafe setting.log_statement: is all"), "\(logged.stdout)")
        #expect(!(logged.stdout + logged.stderr).contains(Claims.canary))

        try database.connect().execute(
            "ALTER DATABASE \(database.name) RESET log_statement; "
                + "ALTER TABLE driftline.rejects NO FORCE ROW LEVEL SECURITY; ALTER TABLE driftline.claims DISABLE ROW LEVEL SECURITY",
            operation: "test: weaken"
        )
        let weakened = try DriftlineProcess.run(["db", "doctor"], in: workspace.path, databaseURL: database.url)
        #expect(weakened.status == 1)
        #expect(weakened.stdout.contains("unsafe rls.claims: row-level security is off"), "\(weakened.stdout)")
        #expect(weakened.stdout.contains("unsafe rls.rejects: row-level security is not FORCEd"), "\(weakened.stdout)")
        #expect(!(weakened.stdout + weakened.stderr).contains(Claims.canary))

        // A later table with a customer_id that nobody put under RLS is caught too.
        try database.connect().execute(
            "CREATE TABLE driftline.forgotten_events (customer_id text NOT NULL, note text)",
            operation: "test: new table"
        )
        let forgotten = try DriftlineProcess.run(["db", "doctor"], in: workspace.path, databaseURL: database.url)
        #expect(
            forgotten.stdout.contains("unsafe rls.forgotten_events: row-level security is off"),
            "\(forgotten.stdout)"
        )

        // `driftline run` warns at its start about the same.
        try workspace.drop(
            Claims.file(rows: 3, customer: Self.alpha, startingAt: 500),
            customer: Self.alpha,
            name: "b.csv"
        )
        let run = try DriftlineProcess.run(Self.run, in: workspace.path, databaseURL: database.url)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("database doctor: unsafe"), "\(run.stderr)")
        #expect(run.stderr.contains("rls.claims"), "\(run.stderr)")
        #expect(!(run.stdout + run.stderr).contains(Claims.canary))
    }

    @Test func doctorWantsVerifyFullOverTCP() {
        #expect(DatabaseDoctor.transportFindings(unixSocket: true, sslmode: "disable").isEmpty)
        #expect(DatabaseDoctor.transportFindings(unixSocket: false, sslmode: "verify-full").isEmpty)
        #expect(DatabaseDoctor.transportFindings(unixSocket: false, sslmode: "require").map(\.severity) == [.warning])
        #expect(DatabaseDoctor.transportFindings(unixSocket: false, sslmode: "verify-ca").map(\.severity) == [.warning])
        for mode in ["disable", "allow", "prefer", nil] {
            #expect(DatabaseDoctor.transportFindings(unixSocket: false, sslmode: mode).map(\.severity) == [.unsafe])
        }
    }
}
