import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// The work queue (`driftline.inbox_files`) with real files, real `driftline` processes and a real
/// PostgreSQL: "already processed" means a loaded upload exists, entries belong to one pipeline and inbox,
/// an upload that fails every time is parked, and a file rejected as a whole can come back.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct InboxQueueTests {
    static let asOf = "2026-11-21"

    static func run(
        _ workspace: Workspace,
        _ database: TestDatabase,
        pipeline: String = "pipelines/nightly.yaml",
        in directory: String? = nil,
        extra: [String] = [],
        environment: [String: String] = [:]
    ) throws -> DriftlineProcess.Result {
        try DriftlineProcess.run(
            ["run", "--pipeline", pipeline, "--as-of", asOf] + extra,
            in: directory ?? workspace.path,
            databaseURL: database.url,
            environment: environment
        )
    }

    @Test func aFileThatVanishesBetweenScanAndClaimLoadsWhenItComesBack() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        let bytes = Claims.file(rows: 12)
        let path = try workspace.drop(bytes, customer: "acme-clinic", name: "claims.csv")
        let running = try DriftlineProcess.start(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", Self.asOf],
            in: workspace.path,
            databaseURL: database.url,
            environment: ["DRIFTLINE_PAUSE_AT": "load.after_scan", "DRIFTLINE_PAUSE_MS": "4000"]
        )
        try waitFor("the file registered") {
            try database.int("SELECT count(*) FROM driftline.inbox_files") == 1
        }
        let moved = workspace.root.appendingPathComponent("elsewhere.csv").path
        try FileManager.default.moveItem(atPath: path, toPath: moved)
        let first = running.wait()
        #expect(first.status == 0, first.summary)
        #expect(first.stderr.contains("queued upload vanished from the inbox"), first.summary)
        #expect(try database.int("SELECT count(*) FROM driftline.uploads") == 0)
        #expect(try database.int("SELECT count(*) FROM driftline.inbox_files") == 0)

        // The same bytes, back: loaded like any new file.
        try workspace.drop(bytes, customer: "acme-clinic", name: "claims.csv")
        let second = try Self.run(workspace, database)
        #expect(second.status == 0, second.summary)
        #expect(try database.rows("SELECT status, rows_loaded FROM driftline.uploads") == [["loaded", "12"]])
        #expect(try database.int("SELECT count(*) FROM driftline.claims") == 12)
        #expect(workspace.uploads(in: "archive") == ["acme-clinic/\(Self.asOf)/claims.csv"])
        #expect(workspace.files(in: "rejected").isEmpty)
        #expect(!second.stderr.contains(Claims.canary))
    }

    @Test func aQueuedFileIsFoundWhateverTheClaimingProcesssWorkingDirectory() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        try workspace.drop(Claims.file(rows: 5), customer: "acme-clinic", name: "claims.csv")
        // A worker of the pipeline started from another folder, naming the same inbox its own way.
        let elsewhere = workspace.root.appendingPathComponent("ops")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let pipeline = try workspace.read("pipelines/nightly.yaml")
            .replacingOccurrences(of: "inbox: inbox", with: "inbox: ../inbox")
            .replacingOccurrences(of: "archive: archive", with: "archive: ../archive")
            .replacingOccurrences(of: "rejected: rejected", with: "rejected: ../rejected")
            .replacingOccurrences(of: "rules: rules", with: "rules: ../rules")
        try pipeline.write(to: elsewhere.appendingPathComponent("nightly.yaml"), atomically: true, encoding: .utf8)
        let worker = try DriftlineProcess.start(
            ["run", "--pipeline", "nightly.yaml", "--as-of", Self.asOf, "--worker"],
            in: elsewhere.path,
            databaseURL: database.url,
            environment: ["DRIFTLINE_PAUSE_AT": "load.after_scan", "DRIFTLINE_PAUSE_MS": "5000"]
        )
        try waitFor("the file registered") {
            try database.int("SELECT count(*) FROM driftline.inbox_files") == 1
        }
        // Meanwhile a worker in the deployment's folder registers it too, and dies before claiming it.
        let killed = try Self.run(
            workspace,
            database,
            extra: ["--worker"],
            environment: ["DRIFTLINE_CRASH_AT": "load.after_scan"]
        )
        #expect(killed.signal == SIGKILL, killed.summary)
        // The first worker claims the entry and finds the file from its own working directory.
        let result = worker.wait()
        #expect(result.status == 0, result.summary)
        #expect(try database.rows("SELECT status, rows_loaded FROM driftline.uploads") == [["loaded", "5"]])
        #expect(workspace.uploads(in: "archive") == ["acme-clinic/\(Self.asOf)/claims.csv"])
        #expect(try database.rows("SELECT state, count(*) FROM driftline.inbox_files GROUP BY 1") == [["done", "1"]])
    }

    /// `pipelines/<name>.yaml` with folders `<folder>-<name>` and its own rules folder.
    static func addPipeline(_ name: String, to workspace: Workspace) throws {
        let manager = FileManager.default
        try manager.createDirectory(
            at: workspace.root.appendingPathComponent("inbox-\(name)"),
            withIntermediateDirectories: true
        )
        try manager.copyItem(
            at: workspace.root.appendingPathComponent("rules"),
            to: workspace.root.appendingPathComponent("rules-\(name)")
        )
        try """
        name: \(name)
        inbox: inbox-\(name)
        archive: archive-\(name)
        rejected: rejected-\(name)
        rules: rules-\(name)
        settle_seconds: 0
        max_reject_rate: 0.05
        stages: [load]
        """.write(
            to: workspace.root.appendingPathComponent("pipelines/\(name).yaml"),
            atomically: true,
            encoding: .utf8
        )
    }

    @Test func twoPipelinesOnOneDatabaseEachLoadOnlyTheirOwnInbox() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        try Self.addPipeline("alpha", to: workspace)
        try Self.addPipeline("beta", to: workspace)
        // beta's own rules warn on every claim without a denial reason.
        try """
        rules:
          - {id: beta-denial-reason, kind: required, field: denial_reason, severity: warning, message: beta wants a denial reason}
        """.write(
            to: workspace.root.appendingPathComponent("rules-beta/beta.yaml"),
            atomically: true,
            encoding: .utf8
        )
        let alphaFile = workspace.root.appendingPathComponent("inbox-alpha/acme-clinic")
        try FileManager.default.createDirectory(at: alphaFile, withIntermediateDirectories: true)
        let alphaBytes = Claims.file(rows: 7)
        try alphaBytes.write(to: alphaFile.appendingPathComponent("a.csv"), atomically: true, encoding: .utf8)
        let betaFile = workspace.root.appendingPathComponent("inbox-beta/birch-health")
        try FileManager.default.createDirectory(at: betaFile, withIntermediateDirectories: true)
        try Claims.file(rows: 4, customer: "birch-health").write(
            to: betaFile.appendingPathComponent("b.csv"),
            atomically: true,
            encoding: .utf8
        )

        // alpha registers its file and dies before claiming it: the entry stays queued.
        let killed = try Self.run(
            workspace,
            database,
            pipeline: "pipelines/alpha.yaml",
            environment: ["DRIFTLINE_CRASH_AT": "load.after_scan"]
        )
        #expect(killed.signal == SIGKILL, killed.summary)
        #expect(try database.int("SELECT count(*) FROM driftline.inbox_files WHERE state = 'queued'") == 1)

        // beta loads its own file, with its own rules, and leaves alpha's alone.
        let beta = try Self.run(workspace, database, pipeline: "pipelines/beta.yaml")
        #expect(beta.status == 0, beta.summary)
        #expect(
            try database.rows("SELECT customer_id, rows_loaded, rows_warned FROM driftline.uploads ORDER BY 1")
                == [["birch-health", "4", "4"]]
        )
        #expect(workspace.uploads(in: "archive-beta") == ["birch-health/\(Self.asOf)/b.csv"])
        #expect(workspace.files(in: "inbox-alpha") == ["acme-clinic/a.csv"])
        #expect(workspace.files(in: "archive-alpha").isEmpty)
        // alpha's entry was not even looked at: still queued, as alpha left it.
        #expect(
            try database.rows("SELECT pipeline, state FROM driftline.inbox_files ORDER BY 1")
                == [["alpha", "queued"], ["beta", "done"]]
        )
        #expect(!beta.stderr.contains("vanished"), beta.summary)

        let alpha = try Self.run(workspace, database, pipeline: "pipelines/alpha.yaml")
        #expect(alpha.status == 0, alpha.summary)
        #expect(
            try database.rows("SELECT customer_id, rows_loaded, rows_warned FROM driftline.uploads ORDER BY 1")
                == [["acme-clinic", "7", "0"], ["birch-health", "4", "4"]]
        )
        #expect(workspace.uploads(in: "archive-alpha") == ["acme-clinic/\(Self.asOf)/a.csv"])
        #expect(workspace.uploads(in: "archive-beta") == ["birch-health/\(Self.asOf)/b.csv"])
        #expect(
            try database.rows("SELECT pipeline, state FROM driftline.inbox_files ORDER BY 1")
                == [["alpha", "done"], ["beta", "done"]]
        )
    }

    @Test func anUploadThatFailsEveryTimeIsParkedAndTheOthersLoad() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        // A managed server's statement_timeout: a large upload's COPY (150,000 rows, about a second even
        // at release speed) outlasts it every time and is cancelled at 400 ms; small uploads and the
        // bookkeeping finish well within it.
        try workspace.drop(Claims.file(rows: 150_000), customer: "acme-clinic", name: "a-large.csv")
        try workspace.drop(Claims.file(rows: 5, startingAt: 90_001), customer: "acme-clinic", name: "b-small.csv")
        try workspace.drop(Claims.file(rows: 6, customer: "birch-health"), customer: "birch-health", name: "c.csv")
        let admin = try database.connect()
        let name = try #require(try database.scalar("SELECT current_database()"))
        try admin.execute("ALTER DATABASE \(name) SET statement_timeout = '400ms'", operation: "test timeout")

        let result = try Self.run(workspace, database)
        #expect(result.status == 65, result.summary)
        #expect(
            try database.rows("SELECT file_name, rows_loaded FROM driftline.uploads ORDER BY 1")
                == [["b-small.csv", "5"], ["c.csv", "6"]]
        )
        #expect(
            try database.rows(
                "SELECT file_name, state, attempts, last_error FROM driftline.inbox_files WHERE state = 'failed'"
            )
                == [["a-large.csv", "failed", "3", "copy_failed 57014"]]
        )
        #expect(result.stderr.contains("upload failed to load and was parked as failed"), result.summary)
        #expect(result.stderr.contains("files.failed=1"), result.summary)
        #expect(!result.stderr.contains(Claims.canary))
        #expect(workspace.uploads(in: "rejected") == ["acme-clinic/a-large.csv"])
        let report = try workspace.read("rejected/acme-clinic/a-large.csv.rejects.csv")
        #expect(report.contains("upload.failed"), "\(report)")
        #expect(!report.contains(Claims.canary))

        // Visible in the run's history; a later run has nothing left to retry and exits 0.
        let runID = try #require(try database.scalar("SELECT max(run_id) FROM driftline.runs"))
        let shown = try DriftlineProcess.run(["runs", "show", runID], in: workspace.path, databaseURL: database.url)
        #expect(shown.stdout.contains("files_failed=1"), "\(shown.stdout)")
        let next = try Self.run(workspace, database)
        #expect(next.status == 0, next.summary)
    }

    @Test func aFileRejectedAsAWholeLoadsWhenDroppedAgainAfterARulesFix() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        // A rule that is wrong for this customer rejects every row, so the file as a whole.
        let strict = workspace.root.appendingPathComponent("rules/strict.yaml")
        try """
        rules:
          - {id: too-strict, kind: required, field: denial_reason, severity: error, message: denial reason required}
        """.write(to: strict, atomically: true, encoding: .utf8)
        let bytes = Claims.file(rows: 8)
        try workspace.drop(bytes, customer: "acme-clinic", name: "claims.csv")
        let first = try Self.run(workspace, database)
        #expect(first.status == 65, first.summary)
        #expect(workspace.uploads(in: "rejected") == ["acme-clinic/claims.csv"])

        // The rules are fixed and the analyst drops the same bytes again.
        try FileManager.default.removeItem(at: strict)
        try workspace.drop(bytes, customer: "acme-clinic", name: "claims.csv")
        let second = try Self.run(workspace, database)
        #expect(second.status == 0, second.summary)
        #expect(second.stderr.contains("upload rejected before and dropped again"), second.summary)
        #expect(
            try database.rows("SELECT status, rows_loaded FROM driftline.uploads ORDER BY upload_id")
                == [["rejected", "0"], ["loaded", "8"]]
        )
        #expect(try database.int("SELECT count(*) FROM driftline.claims") == 8)
        #expect(workspace.uploads(in: "archive") == ["acme-clinic/\(Self.asOf)/claims.csv"])

        // Loaded bytes dropped once more are still recognised: filed beside the original, not loaded.
        try workspace.drop(bytes, customer: "acme-clinic", name: "again.csv")
        let third = try Self.run(workspace, database)
        #expect(third.status == 0, third.summary)
        #expect(third.stderr.contains("upload already processed, not loaded again"), third.summary)
        #expect(try database.int("SELECT count(*) FROM driftline.uploads") == 2)
    }

    @Test func uploadsRetryMovesARejectedFileBackForTheNextRun() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        let strict = workspace.root.appendingPathComponent("rules/strict.yaml")
        try """
        rules:
          - {id: too-strict, kind: required, field: denial_reason, severity: error, message: denial reason required}
        """.write(to: strict, atomically: true, encoding: .utf8)
        // claims.csv is rejected as a whole by a rule that is wrong for it.
        try workspace.drop(Claims.file(rows: 6), customer: "acme-clinic", name: "claims.csv")
        let first = try Self.run(workspace, database)
        #expect(first.status == 65, first.summary)
        let rejectedID = try #require(try database.scalar("SELECT upload_id FROM driftline.uploads"))

        try FileManager.default.removeItem(at: strict)
        try workspace.drop(Claims.file(rows: 2, startingAt: 50), customer: "acme-clinic", name: "fine.csv")
        let loaded = try Self.run(workspace, database)
        #expect(loaded.status == 0, loaded.summary)
        let loadedID = try #require(try database.scalar("SELECT max(upload_id) FROM driftline.uploads"))

        // Only a rejected upload can be retried.
        let refused = try DriftlineProcess.run(
            ["uploads", "retry", loadedID],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(refused.status == 78, "\(refused.stderr)")

        let retried = try DriftlineProcess.run(
            ["uploads", "retry", rejectedID],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(workspace.files(in: "inbox") == ["acme-clinic/claims.csv"])
        let again = try Self.run(workspace, database)
        #expect(again.status == 0, again.summary)
        #expect(
            try database.rows("SELECT file_name, status, rows_loaded FROM driftline.uploads ORDER BY upload_id")
                == [["claims.csv", "rejected", "0"], ["fine.csv", "loaded", "2"], ["claims.csv", "loaded", "6"]]
        )
        #expect(workspace.files(in: "inbox").isEmpty)
    }
}
