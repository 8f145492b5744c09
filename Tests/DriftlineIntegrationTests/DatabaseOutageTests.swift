import DriftlineEmbedded
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// PostgreSQL unreachable at start, or cut away mid-run (`pg_ctl stop -m immediate`): the run exits 69
/// with a clear message, leaves the unloaded files in the inbox, and `resume` finishes it once the
/// server is back. Runs its own embedded cluster, since it stops it.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct DatabaseOutageTests {
    @Test func unreachableDatabaseAtStartExits69AndLeavesTheInboxAlone() throws {
        let workspace = try RecoveryFixture.workspace()
        let url = "postgresql:///driftline?host=%2Ftmp%2Fdlo-nonexistent-\(getpid())&user=postgres&connect_timeout=2"
        let result = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", RecoveryFixture.asOf],
            in: workspace.path,
            databaseURL: url
        )
        #expect(result.status == 69, result.summary)
        #expect(result.signal == nil)
        #expect(result.stderr.contains("driftline: PostgreSQL connection_failed during connect"), result.summary)
        #expect(workspace.files(in: "inbox").count == 4)
        #expect(workspace.files(in: "archive").isEmpty && workspace.files(in: "rejected").isEmpty)
        #expect(!result.stderr.contains(Claims.canary))
    }

    @Test func databaseStoppedMidRunFailsCleanlyAndResumeFinishesIt() throws {
        let baseline = try RunRecoveryTests.baseline.get()
        let directory = URL(fileURLWithPath: "/tmp/dlo-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cluster = EmbeddedPostgres(root: directory.appendingPathComponent(".driftline"))
        defer {
            try? cluster.stop(mode: .immediate)
            try? FileManager.default.removeItem(at: directory)
        }
        let url = try cluster.start()
        try Migrator.migrate(PGConnection(url: url))

        let workspace = try RecoveryFixture.workspace()
        let arguments = ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", RecoveryFixture.asOf]
        // Paused mid-COPY of the second file (the first committed) while the server goes away.
        let running = try DriftlineProcess.start(
            arguments,
            in: workspace.path,
            databaseURL: url,
            environment: [
                "DRIFTLINE_PAUSE_AT": "load.copy:750", "DRIFTLINE_PAUSE_MS": "5000", "DRIFTLINE_RETRY_ATTEMPTS": "3",
            ]
        )
        do {
            let probe = try PGConnection(url: url)
            try waitFor("the first upload to commit") {
                Int(try probe.query("SELECT count(*) FROM driftline.uploads", operation: "probe").scalar ?? "0") == 1
            }
        }
        Thread.sleep(forTimeInterval: 0.5)
        try cluster.stop(mode: .immediate)

        let failed = running.wait()
        for line in failed.stderr.split(separator: "\n") {
            #expect(line.hasPrefix("ts=") || line.hasPrefix("driftline: "), "not a log line: \(line)")
        }
        #expect(failed.status == 69, failed.summary)
        #expect(failed.signal == nil, failed.summary)
        #expect(failed.stdout.hasPrefix("run 1: exit 69"), failed.summary)
        #expect(failed.stderr.contains("driftline: PostgreSQL connection_"), failed.summary)
        #expect(failed.stderr.contains("msg=\"stage failed\""), failed.summary)
        #expect(failed.stderr.contains("msg=\"transient database error, retrying\""), failed.summary)
        #expect(!failed.stderr.contains(Claims.canary))
        // The interrupted upload and the ones after it are still waiting; the committed one was filed.
        #expect(
            workspace.files(in: "inbox") == [
                "birch-health/claims-1.csv", "cedar-med/claims-1.csv", "cedar-med/claims-2.csv",
            ]
        )
        #expect(workspace.uploads(in: "archive") == ["acme-clinic/2026-11-21/claims-1.csv"])

        // While it is down, a new run touches nothing.
        let down = try DriftlineProcess.run(arguments, in: workspace.path, databaseURL: url)
        #expect(down.status == 69, down.summary)
        #expect(workspace.files(in: "inbox").count == 3)
        let runs = try DriftlineProcess.run(["runs"], in: workspace.path, databaseURL: url)
        #expect(runs.status == 69, runs.summary)
        #expect(runs.stderr.hasPrefix("driftline: PostgreSQL connection_failed"), runs.summary)

        _ = try cluster.start()
        let resumed = try DriftlineProcess.run(["resume", "1", "--wait", "10"], in: workspace.path, databaseURL: url)
        #expect(resumed.status == 65, resumed.summary)
        let state = try RunSnapshot.take(connection: PGConnection(url: url), workspace)
        #expect(state == baseline, "after resume:\n\(state)\nuninterrupted:\n\(baseline)")
    }

    /// After a failover the old address can reach a standby: every write fails with `25006`
    /// (read_only_sql_transaction). That is the database being unavailable (69), not an internal error.
    @Test func aReadOnlyServerIsADatabaseOutage() throws {
        let database = try TestDatabase()
        try database.connect().execute(
            "ALTER DATABASE \(database.name) SET default_transaction_read_only = on",
            operation: "make the test database read-only"
        )
        let workspace = try RecoveryFixture.workspace()
        let result = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", RecoveryFixture.asOf],
            in: workspace.path,
            databaseURL: database.url,
            environment: ["DRIFTLINE_RETRY_ATTEMPTS": "2"]
        )
        #expect(result.status == 69, result.summary)
        #expect(result.stderr.contains("SQLSTATE 25006"), result.summary)
        #expect(workspace.files(in: "inbox").count == 4)
        #expect(workspace.files(in: "archive").isEmpty && workspace.files(in: "rejected").isEmpty)
        #expect(!result.stderr.contains(Claims.canary))
    }

    /// A database restart of about 10 seconds mid-load (a minor-version upgrade, a failover) is ridden
    /// out by the default retry budget: the run finishes as if nothing had happened.
    @Test func aTenSecondRestartMidLoadIsRiddenOut() throws {
        let baseline = try RunRecoveryTests.baseline.get()
        let directory = URL(fileURLWithPath: "/tmp/dlr-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cluster = EmbeddedPostgres(root: directory.appendingPathComponent(".driftline"))
        defer {
            try? cluster.stop(mode: .immediate)
            try? FileManager.default.removeItem(at: directory)
        }
        let url = try cluster.start()
        try Migrator.migrate(PGConnection(url: url))

        let workspace = try RecoveryFixture.workspace()
        let running = try DriftlineProcess.start(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", RecoveryFixture.asOf],
            in: workspace.path,
            databaseURL: url,
            environment: ["DRIFTLINE_PAUSE_AT": "load.copy:750", "DRIFTLINE_PAUSE_MS": "3000"]
        )
        do {
            let probe = try PGConnection(url: url)
            try waitFor("the first upload to commit") {
                Int(try probe.query("SELECT count(*) FROM driftline.uploads", operation: "probe").scalar ?? "0") == 1
            }
        }
        Thread.sleep(forTimeInterval: 0.5)
        try cluster.stop(mode: .immediate)
        Thread.sleep(forTimeInterval: 10)
        _ = try cluster.start()

        let result = running.wait()
        #expect(result.status == 65, result.summary)  // cedar-med/claims-2.csv is rejected as a whole
        #expect(result.stderr.contains("msg=\"transient database error, retrying\""), result.summary)
        let state = try RunSnapshot.take(connection: PGConnection(url: url), workspace)
        #expect(state == baseline, "after the restart:\n\(state)\nuninterrupted:\n\(baseline)")
    }
}
