import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// A run SIGKILLed anywhere (mid-COPY, before and after a commit, between stages, inside the report
/// stage), then `driftline resume`d, ends in exactly the state of a run that was never interrupted.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct RunRecoveryTests {
    /// The state an uninterrupted run leaves, in its own database and workspace (computed once).
    static let baseline: Result<RunSnapshot, any Error> = Result {
        let database = try TestDatabase()
        let workspace = try RecoveryFixture.workspace()
        let result = try RecoveryFixture.run(workspace, database)
        guard result.status == 65 else { throw BaselineFailure(result: result.summary.rawValue) }
        return try RunSnapshot.take(database, workspace)
    }

    struct BaselineFailure: Error { var result: String }

    @Test func uninterruptedRunLoadsTheFixture() throws {
        let baseline = try Self.baseline.get()
        #expect(baseline.claims == RecoveryFixture.loadedClaims)
        #expect(baseline.uploads.count == 4)
        #expect(baseline.rejects.count == RecoveryFixture.badLines.count + 1)
        #expect(baseline.inbox.isEmpty)
        #expect(baseline.archived.count == 3)
        #expect(baseline.rejected == ["cedar-med/claims-2.csv"])
        #expect(baseline.stages.allSatisfy { $0.contains("|succeeded|") }, "\(baseline.stages)")
        #expect(baseline.runs == ["1|nightly|succeeded|2026-11-21"])
    }

    @Test(arguments: [
        "load.copy:500",  // mid-COPY of the first file
        "load.copy:750",  // mid-COPY of the second file, the first committed
        "load.before_commit",
        "load.after_commit",  // the first file committed, still in the inbox
        "load.after_commit:3",
        "load.after_filing",  // the first file filed, its reports still staged
        "stage.after:load",  // between stages
        "report.write",  // inside the later stage
    ])
    func killedRunResumesToTheStateOfAnUninterruptedRun(crashAt: String) throws {
        let baseline = try Self.baseline.get()
        let database = try TestDatabase()
        let workspace = try RecoveryFixture.workspace()

        let crashed = try RecoveryFixture.run(workspace, database, environment: ["DRIFTLINE_CRASH_AT": crashAt])
        #expect(crashed.signal == SIGKILL, crashed.summary)
        let runID = try RecoveryFixture.onlyRunID(database)
        #expect(
            try database.scalar("SELECT status FROM driftline.runs WHERE run_id = $1", [String(runID)]) == "running"
        )
        #expect(
            try database.int(
                "SELECT count(*) FROM driftline.stage_runs WHERE run_id = $1 AND status <> 'succeeded'",
                [String(runID)]
            ) > 0
        )
        #expect(try RunSnapshot.take(database, workspace) != baseline)

        let resumed = try DriftlineProcess.run(
            ["resume", String(runID), "--wait", "10"],
            in: NSTemporaryDirectory(),
            databaseURL: database.url
        )  // any directory
        #expect(resumed.status == 65, resumed.summary)  // cedar-med/claims-2.csv is rejected as a whole
        #expect(resumed.stdout.hasPrefix("run \(runID): exit 65"), resumed.summary)

        let state = try RunSnapshot.take(database, workspace)
        #expect(state == baseline, "after resume:\n\(state)\nuninterrupted:\n\(baseline)")
        #expect(
            try database.int(
                "SELECT count(*) FROM driftline.stage_runs WHERE status <> 'succeeded' OR error IS NOT NULL"
            ) == 0
        )
        #expect(
            try database.int(
                "SELECT count(*) FROM driftline.uploads GROUP BY customer_id, sha256 ORDER BY 1 DESC LIMIT 1"
            ) == 1
        )
        // The killed process's half-written reject report (raw rows) does not outlive it.
        #expect(workspace.stagingFiles.isEmpty, "\(workspace.stagingFiles)")
    }

    @Test func killedMidCopyLeavesNothingOfThatFile() throws {
        let database = try TestDatabase()
        let workspace = try RecoveryFixture.workspace()
        let crashed = try RecoveryFixture.run(workspace, database, environment: ["DRIFTLINE_CRASH_AT": "load.copy:500"])
        #expect(crashed.signal == SIGKILL, crashed.summary)
        #expect(try database.int("SELECT count(*) FROM driftline.uploads") == 0)
        #expect(try database.int("SELECT count(*) FROM driftline.claims") == 0)
        #expect(try database.int("SELECT count(*) FROM driftline.rejects") == 0)
        #expect(workspace.files(in: "inbox").count == 4)
        #expect(try database.scalar("SELECT status FROM driftline.stage_runs WHERE stage = 'load'") == "running")
        #expect(
            try database.scalar("SELECT summary ->> 'files_loaded' FROM driftline.stage_runs WHERE stage = 'load'")
                == nil
        )

        // Killed in the second file: the first stays committed, the second left no trace.
        let second = try TestDatabase()
        let workspace2 = try RecoveryFixture.workspace()
        let crashed2 = try RecoveryFixture.run(workspace2, second, environment: ["DRIFTLINE_CRASH_AT": "load.copy:750"])
        #expect(crashed2.signal == SIGKILL, crashed2.summary)
        #expect(try second.rows("SELECT customer_id, status FROM driftline.uploads") == [["acme-clinic", "loaded"]])
        #expect(try second.int("SELECT count(*) FROM driftline.claims") == 600)
        #expect(try second.int("SELECT count(*) FROM driftline.claims WHERE customer_id = 'birch-health'") == 0)
        #expect(
            workspace2.files(in: "inbox") == [
                "birch-health/claims-1.csv", "cedar-med/claims-1.csv", "cedar-med/claims-2.csv",
            ]
        )
        #expect(
            try second.scalar("SELECT summary ->> 'files_loaded' FROM driftline.stage_runs WHERE stage = 'load'") == "1"
        )
    }

    @Test func resumeOfAFinishedRunIsRefused() throws {
        let database = try TestDatabase()
        let workspace = try RecoveryFixture.workspace()
        #expect(try RecoveryFixture.run(workspace, database).status == 65)
        let runID = try RecoveryFixture.onlyRunID(database)
        let again = try DriftlineProcess.run(["resume", String(runID)], in: workspace.path, databaseURL: database.url)
        #expect(again.status == 78, again.summary)
        #expect(again.stderr.contains("nothing to resume"), again.summary)
        let missing = try DriftlineProcess.run(["resume", "999"], in: workspace.path, databaseURL: database.url)
        #expect(missing.status == 78, missing.summary)
    }

    /// A run whose stored as-of date cannot be read is not resumed as of another day (today): the
    /// command refuses it (exit 78, a message naming the run) and changes nothing.
    @Test func resumeOfARunWithAnUnreadableAsOfDateFailsLoudly() throws {
        let database = try TestDatabase()
        let workspace = try RecoveryFixture.workspace()
        let crashed = try RecoveryFixture.run(
            workspace,
            database,
            environment: ["DRIFTLINE_CRASH_AT": "stage.after:load"]
        )
        #expect(crashed.signal == SIGKILL, crashed.summary)
        let runID = try RecoveryFixture.onlyRunID(database)
        // A date PostgreSQL stores but no as-of date can be: `as_of::text` reads back "infinity".
        try database.connect().execute(
            "UPDATE driftline.runs SET as_of = 'infinity' WHERE run_id = \(runID)",
            operation: "corrupt as_of"
        )
        let before = try RunSnapshot.take(database, workspace)

        for arguments in [["resume", String(runID)], ["rerun", String(runID), "--stage", "report"]] {
            let refused = try DriftlineProcess.run(arguments, in: workspace.path, databaseURL: database.url)
            #expect(refused.status == 78, refused.summary)
            #expect(
                refused.stderr.contains(
                    "driftline: run \(runID): its stored as-of date cannot be read, so it cannot be resumed or rerun"
                ),
                refused.summary
            )
            #expect(!refused.stderr.contains("stage started"), refused.summary)
        }
        #expect(try RunSnapshot.take(database, workspace) == before)
        #expect(
            try database.scalar(
                "SELECT status FROM driftline.stage_runs WHERE run_id = $1 AND stage = 'report'",
                [
                    String(runID)
                ]
            ) == "pending"
        )
    }
}

extension Workspace {
    /// Reject reports still being written (or left by a killed process).
    var stagingFiles: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("rejected/.staging").path))
            ?? []
    }
}
