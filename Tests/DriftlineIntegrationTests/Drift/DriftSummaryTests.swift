import DriftlineCore
import DriftlinePipeline
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Synchronization
import Testing

/// The drift stage's daily summary (`decision_days`, migration 0014): after every kind of night the real
/// loader writes, and whatever was or was not summarized in between, it holds exactly what a `GROUP BY` over
/// the decided claims gives; refreshes of one customer take turns, and a merge in flight is counted once.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable))
struct DriftSummaryTests {
    private static let windows = DriftSettings().windows(asOf: CivilDate.parse("2026-11-21")!)

    private static func file(_ rows: [String]) -> String { ([Claims.header] + rows).joined(separator: "\n") + "\n" }

    private static func pending(
        _ id: Int,
        customer: String = "acme-clinic",
        submitted: String = "2026-05-03"
    )
        -> String
    {
        Claims.row(id, customer: customer, outcome: "pending", decided: "", allowed: "", paid: "")
            .replacingOccurrences(of: ",2026-05-03,", with: ",\(submitted),")
    }

    private static func paid(
        _ id: Int,
        customer: String = "acme-clinic",
        decided: String = "2026-05-20",
        paid: String = "96.00",
        payer: String = "AETNA"
    ) -> String {
        Claims.row(id, customer: customer, payer: payer, decided: decided, paid: paid)
    }

    private static func denied(_ id: Int, decided: String) -> String {
        Claims.row(id, outcome: "denied", decided: decided, denial: "CO-97", paid: "0.00")
    }

    /// Rows of `decision_days` that a `GROUP BY` over the decided claims does not give, and the reverse.
    private static func mismatches(_ database: TestDatabase) throws -> [[String?]] {
        try database.rows(
            """
            WITH summary AS (
                SELECT customer_id, decided_date, payer, cpt_group, days, decided, denied
                  FROM driftline.decision_days WHERE decided <> 0 OR denied <> 0
            ), claims AS (
                SELECT customer_id, decided_date, payer, coalesce(cpt_group, '') AS cpt_group,
                       decided_date - submitted_date AS days, count(*) AS decided,
                       count(*) FILTER (WHERE outcome = 'denied') AS denied
                  FROM driftline.claims WHERE decided_date IS NOT NULL AND outcome <> 'pending'
                 GROUP BY 1, 2, 3, 4, 5
            )
            (SELECT 'summary only', * FROM summary EXCEPT ALL SELECT 'summary only', * FROM claims)
            UNION ALL
            (SELECT 'claims only', * FROM claims EXCEPT ALL SELECT 'claims only', * FROM summary)
            """
        )
    }

    /// What the drift stage does first: every customer's summary brought up to date (and the windows read).
    @discardableResult
    private static func refresh(_ database: TestDatabase) throws -> [DriftAggregate] {
        let connection = try database.connect()
        let customers = try UploadTotals.customers(on: connection)
        guard let first = customers.first else { return [] }
        return try connection.withTenant(first) {
            try DriftStore.aggregates(windows: windows, customers: customers, on: connection)
        }
    }

    @Test func theSummaryEqualsTheDecidedClaimsAfterEveryKindOfNight() async throws {
        let harness = try LoadHarness(maxRejectRate: 0.5)
        let database = harness.database
        func night(_ name: String, _ rows: [String], customer: String = "acme-clinic") async throws {
            try harness.workspace.drop(Self.file(rows), customer: customer, name: name)
            #expect(try await harness.run().status == .ok, "\(name)")
        }
        // Night 1, summarized: 1-4 pending, 5 and 6 paid, 7 denied.
        try await night(
            "night-1.csv",
            (1...4).map { Self.pending($0) } + [Self.paid(5), Self.paid(6), Self.denied(7, decided: "2026-05-20")]
        )
        try Self.refresh(database)
        #expect(try Self.mismatches(database).isEmpty)
        #expect(try database.int("SELECT sum(decided) FROM driftline.decision_days") == 3)

        // Night 2, not summarized before night 3 replaces some of it: 1 decided, 5's amount changed, 6 denied on
        // appeal, 7 resubmitted (pending again), 8 new. 5, 6 and 7 replace counted versions: three retractions.
        try await night(
            "night-2.csv",
            [
                Self.paid(1, decided: "2026-05-22"), Self.paid(5, paid: "90.00"), Self.denied(6, decided: "2026-06-15"),
                Self.pending(7, submitted: "2026-06-01"), Self.paid(8),
            ]
        )
        #expect(try database.int("SELECT count(*) FROM driftline.decision_days_retractions") == 3)
        // Night 3: 1 denied later (replaces night 2's version, never counted), 5's amount again (the same), 6
        // paid earlier (stale: skipped), 2 decided; another customer's first night.
        try await night(
            "night-3.csv",
            [
                Self.denied(1, decided: "2026-05-25"), Self.paid(5, paid: "80.00"), Self.paid(6, decided: "2026-05-10"),
                Self.paid(2, decided: "2026-05-21"),
            ]
        )
        try await night(
            "beta-1.csv",
            [Self.paid(1, customer: "beta-health", payer: "CIGNA"), Self.paid(2, customer: "beta-health")],
            customer: "beta-health"
        )
        #expect(try Self.mismatches(database) != [], "the summary is behind the claims until the refresh")
        try Self.refresh(database)
        let afterRefresh = try Self.mismatches(database)
        #expect(afterRefresh.isEmpty, "\(afterRefresh)")
        #expect(try database.int("SELECT count(*) FROM driftline.decision_days_retractions") == 0)
        #expect(
            try database.int("SELECT sum(decided) FROM driftline.decision_days WHERE customer_id = 'acme-clinic'") == 5
        )

        // An unchanged resend writes nothing; a second refresh changes nothing.
        let before = try database.rows("SELECT * FROM driftline.decision_days ORDER BY 1, 2, 3, 4, 5")
        try await night(
            "night-3-again.csv",
            [Self.denied(1, decided: "2026-05-25"), Self.paid(5, paid: "80.00"), Self.paid(2, decided: "2026-05-21")]
        )
        try Self.refresh(database)
        try Self.refresh(database)
        #expect(try database.rows("SELECT * FROM driftline.decision_days ORDER BY 1, 2, 3, 4, 5") == before)
        #expect(try Self.mismatches(database).isEmpty)
        // Each customer's rows are under its tenant only (row-level security on the summary, too).
        let connection = try database.connect()
        let seen = try connection.withTenant("beta-health") {
            try connection.query("SELECT DISTINCT customer_id FROM driftline.decision_days", operation: "test").rows
        }
        #expect(seen == [["beta-health"]])
    }

    /// A customer's first upload marks the rows it COPYs (`first_load`, migration 0016): the upload index leaves
    /// them out, and the refresh that finds the upload pending rebuilds the customer's summary from its claims,
    /// the later uploads pending with it included. Without the rebuild, night 1's claims would never be counted.
    @Test func aFirstUploadIsSummarizedByARebuildOfTheCustomer() async throws {
        let harness = try LoadHarness(maxRejectRate: 0.5)
        let database = harness.database
        func night(_ name: String, _ rows: [String]) async throws {
            try harness.workspace.drop(Self.file(rows), customer: "acme-clinic", name: name)
            #expect(try await harness.run().status == .ok, "\(name)")
        }
        try await night("night-1.csv", (1...3).map { Self.pending($0) } + (4...9).map { Self.paid($0) })
        // Night 2 before any refresh: 1 decided, 4 denied on appeal (a retraction), 10 new.
        try await night(
            "night-2.csv",
            [Self.paid(1, decided: "2026-05-22"), Self.denied(4, decided: "2026-06-15"), Self.paid(10)]
        )
        let uploads = try database.rows(
            "SELECT file_name, first_load FROM driftline.uploads ORDER BY upload_id"
        )
        #expect(uploads == [["night-1.csv", "t"], ["night-2.csv", nil]])
        // Night 1's rows that night 2 did not replace keep the mark; night 2's versions have none.
        #expect(try database.int("SELECT count(*) FROM driftline.claims WHERE first_load") == 7)
        #expect(
            try database.int(
                "SELECT count(*) FROM driftline.claims WHERE first_load IS NULL AND split_part(claim_id, '-', 1) IN ('C1', 'C4', 'C10')"
            ) == 3
        )
        #expect(try database.int("SELECT count(*) FROM driftline.decision_days_retractions") == 1)
        try Self.refresh(database)
        let left = try Self.mismatches(database)
        #expect(left.isEmpty, "\(left)")
        #expect(try database.int("SELECT sum(decided) FROM driftline.decision_days") == 8)
        #expect(try database.int("SELECT count(*) FROM driftline.decision_days_retractions") == 0)
        #expect(try database.int("SELECT count(*) FROM driftline.uploads WHERE summarized_at IS NULL") == 0)

        // Then incremental: night 3 (9 denied) is added to the rebuilt summary, not rebuilt again.
        try await night("night-3.csv", [Self.denied(9, decided: "2026-06-20")])
        try Self.refresh(database)
        #expect(try Self.mismatches(database).isEmpty)
        #expect(try database.int("SELECT sum(denied) FROM driftline.decision_days") == 2)
    }

    /// A merge in flight while the refresh runs: its claims and the retractions it recorded become visible
    /// together, so the claim is counted by one version whichever commits first.
    @Test func aMergeInFlightIsCountedOnceWhicheverCommitsFirst() throws {
        let database = try TestDatabase()
        let admin = try database.connect()
        try Self.seed(admin, customer: "acme-clinic", claims: 50)
        try Self.refresh(database)
        #expect(try Self.mismatches(database).isEmpty)

        for round in 1...2 {
            let merge = try database.connect()
            try merge.execute("BEGIN", operation: "test: merge")
            let upload = try Self.upload(merge, customer: "acme-clinic", name: "merge-\(round).csv")
            // Every decided claim decided a day later, its decision then denied: each fires the trigger.
            try merge.execute(
                """
                UPDATE driftline.claims SET decided_date = decided_date + 1, outcome = 'denied', upload_id = \(upload)
                 WHERE customer_id = 'acme-clinic' AND claim_id LIKE '%\(round)' AND outcome <> 'pending'
                """,
                operation: "test: update"
            )
            if round == 1 {
                try Self.refresh(database)  // the merge is not committed: nothing to add yet
                try merge.execute("COMMIT", operation: "test: commit")
            } else {
                try merge.execute("COMMIT", operation: "test: commit")
            }
            #expect(try Self.mismatches(database) != [])
            try Self.refresh(database)
            let left = try Self.mismatches(database)
            #expect(left.isEmpty, "round \(round): \(left)")
        }
    }

    /// Two refreshes of one customer take turns on its advisory lock: the second waits for the first to commit,
    /// then finds nothing left to add (without the lock it would count the uploads again).
    @Test func twoRefreshesOfOneCustomerTakeTurns() throws {
        let database = try TestDatabase()
        let admin = try database.connect()
        try Self.seed(admin, customer: "acme-clinic", claims: 200)

        let first = try database.connect()
        try first.execute("BEGIN", operation: "test: first refresh")
        try first.enterTenant("acme-clinic")
        _ = try DriftStore.aggregates(windows: Self.windows, customers: ["acme-clinic"], on: first)

        let url = database.url
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Int, any Error>?>(nil)
        DispatchQueue.global().async {
            let result = Result { () throws -> Int in
                let second = try PGConnection(url: url)
                return try second.withTenant("acme-clinic") {
                    try DriftStore.aggregates(windows: Self.windows, customers: ["acme-clinic"], on: second).count
                }
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        // The second refresh waits on the advisory lock (not on the uploads it would mark).
        var waiting = false
        for _ in 0..<200 where !waiting {
            waiting =
                try admin.query(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
                    operation: "test: lock waits"
                ).scalar == "1"
            if !waiting { usleep(20_000) }
        }
        #expect(waiting, "the second refresh did not wait on the advisory lock")
        #expect(done.wait(timeout: .now() + 0.2) == .timedOut)
        try first.execute("COMMIT", operation: "test: commit")
        #expect(done.wait(timeout: .now() + 30) == .success)
        let groups = try #require(outcome.withLock { $0 }).get()
        #expect(groups > 0)
        let left = try Self.mismatches(database)
        #expect(left.isEmpty, "\(left)")
    }

    // MARK: - Fixtures written in SQL (the loader's own nights are in the first test)

    private static func upload(_ connection: PGConnection, customer: String, name: String) throws -> String {
        try connection.query(
            """
            INSERT INTO driftline.uploads (customer_id, file_name, sha256, size_bytes, status)
            VALUES ($1, $2, encode(sha256(convert_to($2, 'UTF8')), 'hex'), 0, 'loaded') RETURNING upload_id
            """,
            [customer, name],
            operation: "test: upload"
        ).scalar!
    }

    /// `claims` claims of one upload, a third pending, decided over the windows' days.
    private static func seed(_ connection: PGConnection, customer: String, claims: Int) throws {
        try connection.query(
            "INSERT INTO driftline.customers (customer_id) VALUES ($1)",
            [customer],
            operation: "test: customer"
        )
        let upload = try upload(connection, customer: customer, name: "seed.csv")
        try connection.query(
            """
            INSERT INTO driftline.claims (customer_id, claim_id, payer, cpt_code, cpt_group, service_date,
                                          submitted_date, decided_date, outcome, billed_amount, patient_ref,
                                          provider_npi, upload_id, line_no)
            SELECT $1, 'c' || n, (ARRAY['AETNA', 'CIGNA'])[1 + n % 2], '99213', 'E&M', '2026-07-01',
                   '2026-07-01'::date + n % 90,
                   CASE WHEN n % 3 = 0 THEN NULL ELSE '2026-08-01'::date + n % 100 END,
                   CASE WHEN n % 3 = 0 THEN 'pending' WHEN n % 5 = 0 THEN 'denied' ELSE 'paid' END,
                   100, 'p' || n, '1234567893', $2::bigint, n
              FROM generate_series(1, $3::int) AS n
            """,
            [customer, upload, String(claims)],
            operation: "test: claims"
        )
    }
}
