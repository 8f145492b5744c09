import DriftlineCore
import DriftlinePipeline
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// Runs the pipeline in-process over a workspace, capturing logs.
struct LoadHarness {
    let database: TestDatabase
    let workspace: Workspace
    let logs = LogCapture()

    init(maxRejectRate: Double = 0.05) throws {
        database = try TestDatabase()
        workspace = try Workspace(maxRejectRate: maxRejectRate)
    }

    var config: PipelineConfig {
        get throws {
            var config = try StageRegistry.standard.loadPipeline(
                path: workspace.root.appendingPathComponent("pipelines/nightly.yaml").path
            )
            for keyPath in [\PipelineConfig.inbox, \.archive, \.rejected, \.rules] {
                config[keyPath: keyPath] = workspace.root.appendingPathComponent(config[keyPath: keyPath]).path
            }
            config.metricsDirectory = workspace.root.appendingPathComponent("metrics").path
            return config
        }
    }

    func run(asOf: String = "2026-11-21") async throws -> RunOutcome {
        await PipelineRunner(databaseURL: database.url, logger: logs.logger())
            .run(config: try config, asOf: CivilDate.parse(asOf)!)
    }

    /// Every log line and every recorded message, for leak checks.
    func allText() throws -> String {
        let stored = try database.rows(
            """
            SELECT coalesce(string_agg(coalesce(error_message, ''), '|'), '') FROM driftline.uploads
            UNION ALL SELECT coalesce(string_agg(message || coalesce(column_name, ''), '|'), '') FROM driftline.rejects
            UNION ALL SELECT coalesce(string_agg(coalesce(error, '') || summary::text, '|'), '') FROM driftline.stage_runs
            """
        )
        let metrics = (try? workspace.read("metrics/driftline.prom")) ?? ""
        return logs.text + stored.map { $0[0] ?? "" }.joined() + metrics
    }

    func upload(_ fileName: String) throws -> [String: String?] {
        let row = try database.rows(
            """
            SELECT status, rows_read::text, rows_loaded::text, rows_rejected::text, error_code, error_line::text
              FROM driftline.uploads WHERE file_name = $1
            """,
            [fileName]
        )
        guard let row = row.first else { return [:] }
        return [
            "status": row[0], "read": row[1], "loaded": row[2], "rejected": row[3], "error": row[4], "line": row[5],
        ]
    }
}

@Suite(.serialized, .enabled(if: TestDatabase.isAvailable))
struct LoadTests {
    @Test func loadsAWholeInboxAndFilesItAway() async throws {
        let harness = try LoadHarness()
        try harness.workspace.drop(Claims.file(rows: 40), customer: "acme-clinic", name: "a.csv")
        try harness.workspace.drop(
            Claims.file(rows: 25, customer: "northside-group"),
            customer: "northside-group",
            name: "b.csv"
        )
        let zst = try compress(Claims.file(rows: 10, customer: "acme-clinic", startingAt: 100))
        try harness.workspace.drop(zst, customer: "acme-clinic", name: "c.csv.zst")

        let result = try await harness.run()
        #expect(result.status == .ok)
        #expect(result.summary["rows_loaded"] == 75)
        #expect(try harness.database.int("SELECT count(*) FROM driftline.claims") == 75)
        #expect(try harness.database.int("SELECT count(*) FROM driftline.uploads WHERE status = 'loaded'") == 3)
        #expect(try harness.database.int("SELECT count(*) FROM driftline.claims WHERE cpt_group = 'E&M'") == 75)
        #expect(try harness.database.scalar("SELECT billed_amount::text FROM driftline.claims LIMIT 1") == "180.00")
        #expect(harness.workspace.files(in: "inbox").isEmpty)
        #expect(
            harness.workspace.files(in: "archive").filter { !$0.contains(".report.") } == [
                "acme-clinic/2026-11-21/a.csv", "acme-clinic/2026-11-21/c.csv.zst", "northside-group/2026-11-21/b.csv",
            ]
        )
        let report = try harness.workspace.read("archive/acme-clinic/2026-11-21/a.csv.report.json")
        #expect(report.contains("\"read\" : 40") || report.contains("\"read\":40"))
        #expect(
            FileManager.default.fileExists(
                atPath: harness.workspace.path + "/archive/acme-clinic/2026-11-21/a.csv.report.html"
            )
        )
        #expect(
            try harness.database.int(
                "SELECT count(*) FROM driftline.uploads WHERE rows_read <> rows_loaded + rows_rejected"
            ) == 0
        )
        #expect(try !harness.allText().contains(Claims.canary))
    }

    @Test func theSameFileDroppedAgainLoadsNothingTwice() async throws {
        let harness = try LoadHarness()
        try harness.workspace.drop(Claims.file(rows: 5), customer: "acme-clinic", name: "a.csv")
        #expect(try await harness.run().status == .ok)
        try harness.workspace.drop(Claims.file(rows: 5), customer: "acme-clinic", name: "a-again.csv")
        let second = try await harness.run()
        #expect(second.status == .ok)
        #expect(try harness.database.int("SELECT count(*) FROM driftline.uploads") == 1)
        #expect(try harness.database.int("SELECT count(*) FROM driftline.claims") == 5)
        #expect(harness.workspace.files(in: "inbox").isEmpty)
        #expect(harness.logs.text.contains("upload already processed"))
    }

    @Test func aResentClaimUpdatesTheStoredOne() async throws {
        let harness = try LoadHarness()
        let pending = Claims.row(1, outcome: "pending", decided: "", allowed: "", paid: "")
        try harness.workspace.drop(Claims.header + "\n" + pending + "\n", customer: "acme-clinic", name: "a.csv")
        #expect(try await harness.run().status == .ok)
        #expect(try harness.database.scalar("SELECT outcome FROM driftline.claims") == "pending")
        try harness.workspace.drop(Claims.header + "\n" + Claims.row(1) + "\n", customer: "acme-clinic", name: "b.csv")
        #expect(try await harness.run().status == .ok)
        #expect(
            try harness.database.scalar("SELECT outcome || ' ' || decided_date FROM driftline.claims")
                == "paid 2026-05-20"
        )
        #expect(try harness.database.int("SELECT count(*) FROM driftline.claims") == 1)
    }

    /// The embedded cluster's server log (``UpdateNightTests/resendsRaiseNoErrorOnTheServer()`` reads it).
    static let serverLog = Workspace.repositoryRoot.appendingPathComponent(".driftline/postgres.log").path

    @Test func rowsOfAnotherCustomerAreRejectedByTheTenantGuard() async throws {
        let harness = try LoadHarness(maxRejectRate: 0.5)
        let rows = (1...4).map { Claims.row($0) } + [Claims.row(5, customer: "northside-group")]
        try harness.workspace.drop(
            ([Claims.header] + rows).joined(separator: "\n") + "\n",
            customer: "acme-clinic",
            name: "a.csv"
        )
        #expect(try await harness.run().status == .ok)
        #expect(
            try harness.database.int("SELECT count(*) FROM driftline.claims WHERE customer_id = 'northside-group'") == 0
        )
        let reject = try harness.database.rows("SELECT line_no::text, column_name, rule_id FROM driftline.rejects")
        #expect(reject == [["6", "customer_id", "tenant.customer_id"]])
        let report = try harness.workspace.read("archive/acme-clinic/2026-11-21/a.csv.rejects.csv")
        #expect(report.contains("6,\"customer_id\",tenant.customer_id,error,"))
        #expect(report.contains(Claims.row(5, customer: "northside-group")))  // the analyst's copy keeps the line
    }

    @Test func tooManyRejectedRowsRejectTheWholeFile() async throws {
        let harness = try LoadHarness()
        let rows = (1...10).map { Claims.row($0, billed: $0 <= 2 ? "-1.00" : "180.00") }
        try harness.workspace.drop(
            ([Claims.header] + rows).joined(separator: "\n") + "\n",
            customer: "acme-clinic",
            name: "a.csv"
        )
        let result = try await harness.run()
        #expect(result.status == .finished(.dataRejected))
        #expect(try harness.database.int("SELECT count(*) FROM driftline.claims") == 0)
        let upload = try harness.upload("a.csv")
        #expect(upload["status"] == "rejected")
        #expect(upload["read"] == "10" && upload["loaded"] == "0" && upload["rejected"] == "10")
        #expect(upload["error"] == "reject_rate")
        #expect(
            harness.workspace.files(in: "rejected") == [
                "acme-clinic/a.csv", "acme-clinic/a.csv.rejects.csv", "acme-clinic/a.csv.report.html",
                "acme-clinic/a.csv.report.json",
            ]
        )
        let findings = try harness.database.rows(
            "SELECT rule_id, severity, count::text FROM driftline.upload_findings ORDER BY rule_id"
        )
        #expect(
            findings == [
                ["file.reject_rate", "error", "1"], ["format.negative_amount", "error", "2"],
            ],
            "\(findings)"
        )
    }

    @Test func aRepeatedClaimIDIsRejectedOnItsLaterLines() async throws {
        let harness = try LoadHarness(maxRejectRate: 0.5)
        let rows = [Claims.row(1), Claims.row(2), Claims.row(1), Claims.row(3), Claims.row(1)]
        try harness.workspace.drop(
            ([Claims.header] + rows).joined(separator: "\n") + "\n",
            customer: "acme-clinic",
            name: "a.csv"
        )
        #expect(try await harness.run().status == .ok)
        #expect(try harness.database.int("SELECT count(*) FROM driftline.claims") == 3)
        #expect(try harness.database.scalar("SELECT line_no FROM driftline.claims WHERE claim_id LIKE 'C1-%'") == "2")
        let lines = try harness.database.rows("SELECT line_no::text FROM driftline.rejects ORDER BY line_no").map {
            $0[0]!
        }
        #expect(lines == ["4", "6"])
        let report = try harness.workspace.read("archive/acme-clinic/2026-11-21/a.csv.rejects.csv")
        #expect(report.contains("6,\"claim_id\",duplicate.claim_id,error,"))
        #expect(report.contains(Claims.row(1)), "the analyst's report keeps the repeated line")
        #expect(try harness.upload("a.csv")["rejected"] == "2")
    }

    @Test func anUnknownColumnIsNeverLoadedAndIsReported() async throws {
        let harness = try LoadHarness()
        let text = Claims.header + ",ssn\n" + Claims.row(1) + ",123-45-6789\n"
        try harness.workspace.drop(text, customer: "acme-clinic", name: "a.csv")
        #expect(try await harness.run().status == .ok)
        // Named by position: a header name the format does not know may be a value (a headerless file).
        #expect(try harness.database.scalar("SELECT unknown_columns::text FROM driftline.uploads") == "{15}")
        #expect(harness.logs.text.contains("columns.ignored=\"1 unknown column at position 15\""))
        #expect(!harness.logs.text.contains("ssn"))
        #expect(!harness.logs.text.contains("123-45-6789"))
    }

    @Test func filesStillBeingWrittenAreLeftAlone() async throws {
        let harness = try LoadHarness()
        try harness.workspace.drop(Claims.file(rows: 2), customer: "acme-clinic", name: "a.csv.part")
        try harness.workspace.drop(Claims.file(rows: 2), customer: "acme-clinic", name: ".hidden.csv")
        let fresh = try harness.workspace.drop(Claims.file(rows: 2), customer: "acme-clinic", name: "fresh.csv")
        try FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: fresh)
        var config = try harness.config
        config.settleSeconds = 600
        let result = await PipelineRunner(databaseURL: harness.database.url, logger: harness.logs.logger())
            .run(config: config, asOf: CivilDate.parse("2026-11-21")!)
        #expect(result.status == .ok)
        #expect(try harness.database.int("SELECT count(*) FROM driftline.uploads") == 0)
        #expect(harness.workspace.files(in: "inbox").count == 3)
    }

    @Test func aMalformedRulesFileStopsTheRunBeforeAnyFileIsTouched() async throws {
        let harness = try LoadHarness()
        try harness.workspace.drop(Claims.file(rows: 3), customer: "acme-clinic", name: "a.csv")
        let broken = """
            rules:
              - id: broken-pattern
                kind: pattern
                field: payer
                pattern: '([A-Z'
                severity: error
                message: payer looks wrong
            """
        try broken.write(
            to: harness.workspace.root.appendingPathComponent("rules/zz-broken.yaml"),
            atomically: true,
            encoding: .utf8
        )
        let result = try await harness.run()
        #expect(result.status == .failed(.configuration))
        let message = result.message?.description ?? ""
        #expect(message.contains("zz-broken.yaml:5") && message.contains("broken-pattern"), "\(message)")
        #expect(harness.workspace.files(in: "inbox") == ["acme-clinic/a.csv"])
        #expect(try harness.database.int("SELECT count(*) FROM driftline.inbox_files") == 0)
    }

    /// Every bad input of the issue: reported with file and line, the run goes on, nothing lost.
    @Test func badInputsAreReportedAndTheRunGoesOn() async throws {
        let harness = try LoadHarness(maxRejectRate: 0.2)
        let good = Claims.file(rows: 3)
        let ws = harness.workspace
        try ws.drop("", customer: "acme-clinic", name: "empty.csv")
        try ws.drop(Claims.header + "\n", customer: "acme-clinic", name: "header-only.csv")
        try ws.drop(
            Claims.header.replacingOccurrences(of: ",payer", with: "") + "\n",
            customer: "acme-clinic",
            name: "missing-column.csv"
        )
        try ws.drop(
            Claims.header + "\n" + Claims.row(1) + "\n2,\"unclosed\n" + Claims.row(3) + "\n",
            customer: "acme-clinic",
            name: "unclosed.csv"
        )
        let stray =
            [Claims.header] + (1...9).map { Claims.row($0) } + [
                Claims.row(10).replacingOccurrences(of: "AETNA", with: "AE\"TNA")
            ]
        try ws.drop(stray.joined(separator: "\n") + "\n", customer: "acme-clinic", name: "stray-quote.csv")
        let mixed =
            [Claims.header] + (1...20).map { Claims.row($0) } + [
                Claims.row(21, serviceDate: "2026-02-30"), Claims.row(22, billed: "-3.00"),
                Claims.row(23, outcome: "lost"),
                Claims.row(24) + ",extra",
            ]
        try ws.drop(mixed.joined(separator: "\n") + "\n", customer: "acme-clinic", name: "mixed.csv")
        var nul = Array((Claims.header + "\n").utf8)
        for id in 1...9 { nul += Array((Claims.row(id) + "\n").utf8) }
        nul +=
            Array(Claims.row(10, payer: "AE\u{0}TNA").utf8) + [0x0A]
            + Array(Claims.row(11, payer: "AETNA").utf8).map { $0 == 0x5A ? 0xC3 : $0 } + [0x0A]
        try ws.drop(Data(nul), customer: "acme-clinic", name: "nul-and-utf8.csv")
        let zst = try compress(Claims.file(rows: 200))
        try ws.drop(zst.prefix(zst.count / 2), customer: "acme-clinic", name: "truncated.csv.zst")
        try FileManager.default.createDirectory(
            atPath: ws.root.appendingPathComponent("inbox/acme-clinic/subdir").path,
            withIntermediateDirectories: true
        )
        try FileManager.default.createSymbolicLink(
            atPath: ws.root.appendingPathComponent("inbox/acme-clinic/unreadable.csv").path,
            withDestinationPath: "/nonexistent/x.csv"
        )
        try ws.drop(good, customer: "acme-clinic", name: "good.csv")

        let result = try await harness.run()
        #expect(result.status == .finished(.dataRejected))
        #expect(try harness.upload("good.csv")["status"] == "loaded")
        #expect(try harness.upload("empty.csv")["error"] == "empty_file")
        #expect(try harness.upload("header-only.csv")["error"] == "header_only")
        #expect(try harness.upload("missing-column.csv")["error"] == "missing_column")
        let unclosed = try harness.upload("unclosed.csv")
        #expect(unclosed["error"] == "malformed_csv" && unclosed["line"] == "3")
        #expect(try harness.upload("truncated.csv.zst")["error"] == "truncated_zstd")
        let stray1 = try harness.upload("stray-quote.csv")
        #expect(stray1["status"] == "loaded" && stray1["rejected"] == "1" && stray1["loaded"] == "9")
        #expect(
            try harness.database.int(
                "SELECT count(*) FROM driftline.rejects r JOIN driftline.uploads u USING (upload_id) WHERE u.file_name = 'stray-quote.csv' AND r.line_no = 11 AND r.rule_id = 'csv.structure' AND r.column_name = 'payer'"
            ) == 1
        )
        let mixedRejects = try harness.database.rows(
            "SELECT line_no::text, coalesce(column_name, '-'), rule_id FROM driftline.rejects r JOIN driftline.uploads u USING (upload_id) WHERE u.file_name = 'mixed.csv' ORDER BY line_no"
        )
        #expect(
            mixedRejects == [
                ["22", "service_date", "format.date"], ["23", "billed_amount", "format.negative_amount"],
                ["24", "outcome", "format.outcome"], ["25", "-", "csv.column_count"],
            ]
        )
        let nulRejects = try harness.database.rows(
            "SELECT line_no::text, column_name, rule_id FROM driftline.rejects r JOIN driftline.uploads u USING (upload_id) WHERE u.file_name = 'nul-and-utf8.csv' ORDER BY line_no"
        )
        #expect(nulRejects == [["11", "payer", "format.nul"], ["12", "claim_id", "format.encoding"]])
        // Left in place and reported: the directory and the unreadable entry.
        #expect(harness.workspace.files(in: "inbox").isEmpty)
        #expect(FileManager.default.fileExists(atPath: ws.root.appendingPathComponent("inbox/acme-clinic/subdir").path))
        #expect(harness.logs.text.contains("inbox/acme-clinic/subdir"))
        #expect(harness.logs.text.contains("unreadable.csv"))
        #expect(result.summary["files_left"] == 2)  // the directory and the unreadable entry
        #expect(
            try harness.database.int(
                "SELECT count(*) FROM driftline.uploads WHERE rows_read <> rows_loaded + rows_rejected"
            ) == 0
        )
        #expect(try !harness.allText().contains(Claims.canary))
    }
}

/// zstd-compresses text with the `zstd` command-line tool.
func compress(_ text: String) throws -> Data {
    let input = FileManager.default.temporaryDirectory.appendingPathComponent("z-\(UUID().uuidString).csv")
    try text.write(to: input, atomically: true, encoding: .utf8)
    defer {
        try? FileManager.default.removeItem(at: input)
        try? FileManager.default.removeItem(atPath: input.path + ".zst")
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/zstd")
    process.arguments = ["-q", "-f", input.path]
    try process.run()
    process.waitUntilExit()
    return try Data(contentsOf: URL(fileURLWithPath: input.path + ".zst"))
}
