import DriftlineCore
import DriftlinePipeline
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// Update-heavy nights (issue 14): new claims COPYed straight in, stored claims updated only when the row is
/// newer and different, older rows skipped as stale, and no statement that makes the server raise an error.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable))
struct UpdateNightTests {
    private static func file(_ rows: [String]) -> String { ([Claims.header] + rows).joined(separator: "\n") + "\n" }

    /// Claim `id` as first sent: pending, submitted 2026-05-03.
    private static func pending(_ id: Int, submitted: String = "2026-05-03") -> String {
        Claims.row(id, outcome: "pending", decided: "", allowed: "", paid: "").replacingOccurrences(
            of: ",2026-05-03,",
            with: ",\(submitted),"
        )
    }

    /// Claim `id` decided (paid) on `decided`.
    private static func paid(_ id: Int, decided: String = "2026-05-20", paid: String = "96.00") -> String {
        Claims.row(id, decided: decided, paid: paid)
    }

    private func claims(_ harness: LoadHarness) throws -> [[String?]] {
        try harness.database.rows(
            """
            SELECT claim_id, outcome, coalesce(decided_date::text, ''), coalesce(paid_amount::text, ''),
                   submitted_date::text
              FROM driftline.claims ORDER BY claim_id
            """
        )
    }

    private func counts(_ harness: LoadHarness, _ file: String) throws -> [String?] {
        try harness.database.rows(
            "SELECT rows_read, rows_loaded, rows_rejected, rows_stale FROM driftline.uploads WHERE file_name = $1",
            [file]
        ).first ?? []
    }

    @Test func aNightOfUpdatesLoadsNewClaimsAndUpdatesOnlyWhatChanged() async throws {
        let harness = try LoadHarness()
        // Night 1: claims 1-6, of which 1-4 pending.
        try harness.workspace.drop(
            Self.file((1...4).map { Self.pending($0) } + [Self.paid(5), Self.paid(6)]),
            customer: "acme-clinic",
            name: "night-1.csv"
        )
        #expect(try await harness.run().status == .ok)
        let firstUpdatedAt = try harness.database.scalar(
            "SELECT updated_at::text FROM driftline.claims WHERE claim_id = 'C6-\(Claims.canary)'"
        )
        // Night 2: 1-3 decided, 4 still pending (unchanged), 6 unchanged, 7-9 new, interleaved.
        try harness.workspace.drop(
            Self.file([
                Self.paid(7), Self.paid(1), Self.pending(4), Self.paid(8), Self.paid(2, paid: "90.00"), Self.paid(6),
                Self.paid(3, decided: "2026-06-01"), Self.paid(9),
            ]),
            customer: "acme-clinic",
            name: "night-2.csv"
        )
        let result = try await harness.run()
        #expect(result.status == .ok)
        #expect(try counts(harness, "night-2.csv") == ["8", "8", "0", "0"])
        let rows = try claims(harness)
        #expect(rows.count == 9)
        #expect(rows.filter { $0[1] == "pending" }.map { $0[0] } == ["C4-\(Claims.canary)"])
        #expect(rows.first { $0[0] == "C2-\(Claims.canary)" }?[3] == "90.00")
        #expect(rows.first { $0[0] == "C3-\(Claims.canary)" }?[2] == "2026-06-01")
        // The unchanged claims were not rewritten; the updated ones carry the new upload.
        #expect(
            try harness.database.scalar(
                "SELECT updated_at::text FROM driftline.claims WHERE claim_id = 'C6-\(Claims.canary)'"
            )
                == firstUpdatedAt
        )
        #expect(
            try harness.database.rows(
                """
                SELECT u.file_name, count(*) FROM driftline.claims c JOIN driftline.uploads u USING (upload_id)
                 GROUP BY 1 ORDER BY 1
                """
            ) == [["night-1.csv", "3"], ["night-2.csv", "6"]]
        )
        let summary =
            try harness.database.scalar(
                "SELECT summary::text FROM driftline.stage_runs WHERE stage = 'load' ORDER BY run_id DESC LIMIT 1"
            ) ?? ""
        #expect(summary.contains("\"rows_updated\": 3"), "\(summary)")
        #expect(summary.contains("\"rows_unchanged\": 2"), "\(summary)")
        #expect(try !harness.allText().contains(Claims.canary))
    }

    @Test func claimsNeverMoveBackwards() async throws {
        let harness = try LoadHarness(maxRejectRate: 0.5)
        // Stored: 1 paid on 05-20, 2 paid on 05-20, 3 pending, 4 paid on 05-20, 5 paid on 05-20.
        try harness.workspace.drop(
            Self.file([Self.paid(1), Self.paid(2), Self.pending(3), Self.paid(4), Self.paid(5)]),
            customer: "acme-clinic",
            name: "newer.csv"
        )
        #expect(try await harness.run().status == .ok)
        // An older export arrives late:
        //  1 pending, same submission       → stale (a decision is newer than pending)
        //  2 paid on an earlier day (05-10) → stale (an earlier decided_date is older)
        //  3 pending, same                  → unchanged
        //  4 pending, resubmitted 06-01      → newer (a later submitted_date wins, even over a decision)
        //  5 denied on a later day (06-15)  → newer (an appeal decided later)
        //  6 new
        try harness.workspace.drop(
            Self.file([
                Self.pending(1), Self.paid(2, decided: "2026-05-10"), Self.pending(3),
                Self.pending(4, submitted: "2026-06-01"),
                Claims.row(5, outcome: "denied", decided: "2026-06-15", denial: "CO-97", paid: "0.00"),
                Self.paid(6),
            ]),
            customer: "acme-clinic",
            name: "older.csv"
        )
        let result = try await harness.run()
        #expect(result.status == .ok)
        // read = loaded + rejected + stale
        #expect(try counts(harness, "older.csv") == ["6", "4", "0", "2"])
        #expect(result.summary["rows_stale"] == 2)
        let rows = try claims(harness)
        #expect(
            rows.map { "\($0[1]!) \($0[2]!) \($0[4]!)" } == [
                "paid 2026-05-20 2026-05-03", "paid 2026-05-20 2026-05-03", "pending  2026-05-03",
                "pending  2026-06-01", "denied 2026-06-15 2026-05-03", "paid 2026-05-20 2026-05-03",
            ]
        )
        // The stale lines are named in the upload's report, with the analyst's rows; counted in the database.
        let report = try harness.workspace.read("archive/acme-clinic/2026-11-21/older.csv.rejects.csv")
        #expect(report.contains("2,\"\",claim.stale,info,"), "\(report)")
        #expect(report.contains("3,\"\",claim.stale,info,"), "\(report)")
        #expect(!report.contains("4,\"\",claim.stale"), "\(report)")
        let json = try harness.workspace.read("archive/acme-clinic/2026-11-21/older.csv.report.json")
        #expect(json.contains("\"stale\" : 2") || json.contains("\"stale\":2"), "\(json)")
        #expect(
            try harness.database.rows(
                """
                SELECT f.severity, f.count::text FROM driftline.upload_findings f JOIN driftline.uploads u USING (upload_id)
                 WHERE u.file_name = 'older.csv' AND f.rule_id = 'claim.stale'
                """
            ) == [["info", "2"]]
        )
        #expect(
            try harness.database.int(
                "SELECT count(*) FROM driftline.uploads WHERE rows_read <> rows_loaded + rows_rejected + rows_stale"
            ) == 0
        )
        #expect(try !harness.allText().contains(Claims.canary))
    }

    @Test func anOldFileDroppedAgainUnderANewNameChangesNothing() async throws {
        let harness = try LoadHarness()
        let week1 = (1...20).map { Self.pending($0) }
        try harness.workspace.drop(Self.file(week1), customer: "acme-clinic", name: "week-1.csv")
        #expect(try await harness.run().status == .ok)
        try harness.workspace.drop(
            Self.file((1...20).map { Self.paid($0) }),
            customer: "acme-clinic",
            name: "week-2.csv"
        )
        #expect(try await harness.run().status == .ok)
        // The same bytes under a new name: recognised by content, not loaded again.
        try harness.workspace.drop(Self.file(week1), customer: "acme-clinic", name: "week-1-again.csv")
        #expect(try await harness.run().status == .ok)
        #expect(try harness.database.int("SELECT count(*) FROM driftline.uploads") == 2)
        // Re-exported (other bytes, rows in another order): every row is stale, nothing regresses.
        try harness.workspace.drop(Self.file(week1.reversed()), customer: "acme-clinic", name: "week-1-export.csv")
        #expect(try await harness.run().status == .ok)
        #expect(try counts(harness, "week-1-export.csv") == ["20", "0", "0", "20"])
        #expect(try harness.database.int("SELECT count(*) FROM driftline.claims WHERE outcome = 'paid'") == 20)
    }

    /// Resends and repeated claim ids used to make the direct COPY meet the primary key: the server logged
    /// `ERROR: duplicate key … DETAIL: Key (customer_id, claim_id)=(…)`. Now no statement can.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: LoadTests.serverLog)))
    func resendsRaiseNoErrorOnTheServer() async throws {
        let before =
            (try? FileManager.default.attributesOfItem(atPath: LoadTests.serverLog)[.size] as? NSNumber)?.intValue ?? 0
        let harness = try LoadHarness(maxRejectRate: 0.5)
        try harness.workspace.drop(Claims.file(rows: 3), customer: "acme-clinic", name: "a.csv")
        #expect(try await harness.run().status == .ok)
        let resend = [
            Claims.row(1, outcome: "denied", denial: "CO-97"), Claims.row(2), Claims.row(9), Claims.row(9),
            Claims.row(2),
        ]
        try harness.workspace.drop(Self.file(resend), customer: "acme-clinic", name: "b.csv")
        #expect(try await harness.run().status == .ok)
        #expect(try counts(harness, "b.csv") == ["5", "3", "2", "0"])
        #expect(
            try harness.database.rows("SELECT line_no::text FROM driftline.rejects ORDER BY line_no").map { $0[0] }
                == ["5", "6"]
        )
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: LoadTests.serverLog))
        try handle.seek(toOffset: UInt64(before))
        let appended = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        #expect(!appended.contains("claims_pkey"))
        #expect(!appended.contains("duplicate key"))
        #expect(!appended.contains(Claims.canary))
    }
}

/// Two workers loading two versions of the same claims at once (real processes).
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct ConcurrentVersionTests {
    @Test(arguments: [false, true])
    func twoWorkersLoadingTwoVersionsEndAsTheDocumentedOrder(newerFirst: Bool) throws {
        let database = try TestDatabase()
        let workspace = try Workspace(stages: ["load"])
        let count = 5_000
        let pending = (1...count).map {
            Claims.row($0, outcome: "pending", decided: "", allowed: "", paid: "")
        }
        let decided = (1...count).reversed().map { Claims.row($0, decided: "2026-05-20") }
        func file(_ rows: [String]) -> String { ([Claims.header] + rows).joined(separator: "\n") + "\n" }
        // Queue order decides which worker takes which file first; both versions race either way.
        try workspace.drop(file(newerFirst ? decided : pending), customer: "acme-clinic", name: "claims-a.csv")
        try workspace.drop(file(newerFirst ? pending : decided), customer: "acme-clinic", name: "claims-b.csv")
        let environment = ["DRIFTLINE_PAUSE_AT": "load.before_commit:*", "DRIFTLINE_PAUSE_MS": "300"]
        let workers = try (0..<2).map { _ in
            try RecoveryFixture.start(workspace, database, extra: ["--worker"], environment: environment)
        }
        for result in workers.map({ $0.wait() }) {
            #expect(result.status == 0, result.summary)
            #expect(!result.stderr.contains("40P01"))
            #expect(!result.stderr.contains("23505"))
        }
        // Whatever the order, every claim ends decided: the pending version is older.
        #expect(try database.int("SELECT count(*) FROM driftline.claims") == count)
        #expect(try database.int("SELECT count(*) FROM driftline.claims WHERE outcome = 'paid'") == count)
        #expect(try database.int("SELECT sum(rows_loaded + rows_stale) FROM driftline.uploads") == 2 * count)
        #expect(try database.int("SELECT count(DISTINCT run_id) FROM driftline.uploads") == 2, "nothing raced")
        let stale = try database.int("SELECT sum(rows_stale) FROM driftline.uploads")
        let pendingUpload = try database.scalar(
            "SELECT upload_id FROM driftline.uploads WHERE file_name = $1",
            [newerFirst ? "claims-b.csv" : "claims-a.csv"]
        )
        let decidedUpload = try database.scalar(
            "SELECT upload_id FROM driftline.uploads WHERE file_name = $1",
            [newerFirst ? "claims-a.csv" : "claims-b.csv"]
        )
        // Loaded second, the pending file is all stale; loaded first, the decided file updated every claim.
        #expect(stale == 0 || stale == count)
        #expect(
            try database.int("SELECT count(*) FROM driftline.claims WHERE upload_id = $1", [decidedUpload]) == count
        )
        _ = pendingUpload
    }
}
