import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// Cron safety (one run per pipeline, exit 75 or `--wait`), several `--worker`s on one inbox, and
/// `rerun` leaving no duplicates.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct ConcurrencyTests {
    static let lockKey = "driftline.pipeline.nightly"

    /// A workspace with one small valid upload.
    private func smallWorkspace() throws -> Workspace {
        let workspace = try Workspace()
        try workspace.drop(Claims.file(rows: 20), customer: "acme-clinic", name: "claims-1.csv")
        return workspace
    }

    @Test func runExits75AtOnceWhileAnotherHoldsThePipelineLock() throws {
        let database = try TestDatabase()
        let workspace = try smallWorkspace()
        let holder = try database.connect()
        try holder.query("SELECT pg_advisory_lock(hashtext($1))", [Self.lockKey], operation: "hold lock")

        let started = Date()
        let locked = try RecoveryFixture.run(workspace, database)
        #expect(locked.status == 75, locked.summary)
        #expect(Date().timeIntervalSince(started) < 10)  // no waiting (generous for a loaded machine)
        #expect(locked.stderr.contains("another run of this pipeline is active"), locked.summary)
        #expect(try database.int("SELECT count(*) FROM driftline.runs") == 0)
        #expect(workspace.files(in: "inbox") == ["acme-clinic/claims-1.csv"])

        // resume and rerun respect the lock too.
        try holder.query("SELECT pg_advisory_unlock(hashtext($1))", [Self.lockKey], operation: "release lock")
        #expect(try RecoveryFixture.run(workspace, database).status == 0)
        try holder.query("SELECT pg_advisory_lock(hashtext($1))", [Self.lockKey], operation: "hold lock")
        let rerun = try DriftlineProcess.run(
            ["rerun", "1", "--stage", "report"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(rerun.status == 75, rerun.summary)
    }

    @Test func runWithWaitProceedsOnceTheLockIsReleased() throws {
        let database = try TestDatabase()
        let workspace = try smallWorkspace()
        let holder = try database.connect()
        try holder.query("SELECT pg_advisory_lock(hashtext($1))", [Self.lockKey], operation: "hold lock")

        let waiting = try RecoveryFixture.start(workspace, database, extra: ["--wait", "10"])
        Thread.sleep(forTimeInterval: 1)
        #expect(waiting.process.isRunning, "the second run should be waiting for the lock")
        try holder.query("SELECT pg_advisory_unlock(hashtext($1))", [Self.lockKey], operation: "release lock")
        let result = waiting.wait()
        #expect(result.status == 0, result.summary)
        #expect(workspace.files(in: "inbox").isEmpty)
        #expect(try database.int("SELECT count(*) FROM driftline.claims") == 20)

        // A wait that runs out is still exit 75.
        try holder.query("SELECT pg_advisory_lock(hashtext($1))", [Self.lockKey], operation: "hold lock")
        let started = Date()
        let timedOut = try RecoveryFixture.run(workspace, database, extra: ["--wait", "1"])
        #expect(timedOut.status == 75, timedOut.summary)
        #expect(Date().timeIntervalSince(started) >= 1)
    }

    @Test func secondOfTwoRealRunsExits75() throws {
        let database = try TestDatabase()
        let workspace = try RecoveryFixture.workspace()
        // The first run sits mid-COPY of its first file for 4 s, holding the pipeline lock.
        let first = try RecoveryFixture.start(
            workspace,
            database,
            environment: ["DRIFTLINE_PAUSE_AT": "load.copy:10", "DRIFTLINE_PAUSE_MS": "4000"]
        )
        try waitFor("the first run to take the lock") {
            try database.int(
                """
                SELECT count(*) FROM pg_locks
                 WHERE locktype = 'advisory' AND granted
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """
            ) > 0
        }
        let second = try RecoveryFixture.run(workspace, database)
        #expect(second.status == 75, second.summary)
        #expect(second.stderr.contains("another run of this pipeline is active"), second.summary)
        let firstResult = first.wait()
        #expect(firstResult.status == 65, firstResult.summary)
        #expect(try database.int("SELECT count(*) FROM driftline.runs") == 1)
        #expect(try database.int("SELECT count(*) FROM driftline.claims") == RecoveryFixture.loadedClaims)
    }

    @Test func runThatLosesItsLockToAnotherStopsWith75AndResumes() throws {
        let database = try TestDatabase()
        let workspace = try RecoveryFixture.workspace()
        let running = try RecoveryFixture.start(
            workspace,
            database,
            environment: ["DRIFTLINE_PAUSE_AT": "stage.after:load", "DRIFTLINE_PAUSE_MS": "3000"]
        )
        try waitFor("the load stage to finish") {
            try database.scalar("SELECT status FROM driftline.stage_runs WHERE stage = 'load'") == "succeeded"
        }
        // The lock's backend dies (as in a failover) and another run takes the lock meanwhile.
        let holder = try database.connect()
        #expect(
            try database.int(
                """
                SELECT count(pg_terminate_backend(pid)) FROM pg_locks
                 WHERE locktype = 'advisory' AND granted
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                """
            ) == 1
        )
        try waitFor("the lock to be free") {
            try holder.query("SELECT pg_try_advisory_lock(hashtext($1))", [Self.lockKey], operation: "take lock").scalar
                == "t"
        }
        let lost = running.wait()
        #expect(lost.status == 75, lost.summary)
        #expect(lost.stderr.contains("lost the pipeline lock"), lost.summary)
        #expect(
            try database.rows("SELECT stage, status FROM driftline.stage_runs ORDER BY position")
                == [["load", "succeeded"], ["report", "failed"]]
        )
        #expect(try database.scalar("SELECT status FROM driftline.runs") == "failed")

        try holder.query("SELECT pg_advisory_unlock(hashtext($1))", [Self.lockKey], operation: "release lock")
        let resumed = try DriftlineProcess.run(["resume", "1"], in: workspace.path, databaseURL: database.url)
        #expect(resumed.status == 65, resumed.summary)
        #expect(try RunSnapshot.take(database, workspace) == RunRecoveryTests.baseline.get())
    }

    @Test func twoWorkersLoadEachOfTwentyFilesOnce() throws {
        let database = try TestDatabase()
        let workspace = try Workspace(stages: ["load"])
        let customers = ["acme-clinic", "birch-health", "cedar-med", "dune-care"]
        for (c, customer) in customers.enumerated() {
            for file in 0..<5 {
                try workspace.drop(
                    Claims.file(rows: 150, customer: customer, startingAt: 10_000 * c + 1000 * file),
                    customer: customer,
                    name: "claims-\(file).csv"
                )
            }
        }
        // Each commit waits 100 ms, so the workers overlap for the whole inbox.
        let environment = ["DRIFTLINE_PAUSE_AT": "load.before_commit:*", "DRIFTLINE_PAUSE_MS": "100"]
        let workers = try (0..<2).map { _ in
            try RecoveryFixture.start(workspace, database, extra: ["--worker"], environment: environment)
        }
        let results = workers.map { $0.wait() }
        for result in results { #expect(result.status == 0, result.summary) }

        #expect(try database.int("SELECT count(*) FROM driftline.uploads") == 20)
        #expect(try database.int("SELECT count(DISTINCT (customer_id, sha256)) FROM driftline.uploads") == 20)
        #expect(try database.int("SELECT count(*) FROM driftline.claims") == 20 * 150)
        #expect(try database.int("SELECT sum(rows_loaded) FROM driftline.uploads") == 20 * 150)
        #expect(try database.rows("SELECT state, count(*) FROM driftline.inbox_files GROUP BY 1") == [["done", "20"]])
        #expect(workspace.files(in: "inbox").isEmpty)
        #expect(workspace.uploads(in: "archive").count == 20)
        // Both workers' runs recorded, and their load summaries add up to the inbox.
        #expect(
            try database.int(
                "SELECT count(*) FROM driftline.runs WHERE pipeline = 'nightly.worker' AND status = 'succeeded'"
            ) == 2
        )
        #expect(try database.int("SELECT sum((summary ->> 'files_loaded')::int) FROM driftline.stage_runs") == 20)
        // And they really shared the work.
        let perRun = try database.rows("SELECT count(*) FROM driftline.uploads GROUP BY run_id")
        #expect(perRun.count == 2, "one worker loaded everything: \(perRun)")
    }

    @Test func resendsOfTheSameClaimsInOppositeOrdersMergeWithoutDeadlock() throws {
        let database = try TestDatabase()
        let workspace = try Workspace(stages: ["load"])
        let count = 20_000
        try workspace.drop(Claims.file(rows: count), customer: "acme-clinic", name: "claims-0.csv")
        #expect(try RecoveryFixture.run(workspace, database).status == 0)

        // Two resends of every claim, one in claim order and one reversed: both take the merge path and
        // update the same rows. Merged in file order they would lock them in opposite orders and deadlock;
        // with one retry attempt a deadlock fails the run.
        func resend(_ ids: [Int], billed: String) -> String {
            ([Claims.header] + ids.map { Claims.row($0, billed: billed) }).joined(separator: "\n") + "\n"
        }
        try workspace.drop(resend(Array(1...count), billed: "181.00"), customer: "acme-clinic", name: "claims-1.csv")
        try workspace.drop(
            resend(Array((1...count).reversed()), billed: "182.00"),
            customer: "acme-clinic",
            name: "claims-2.csv"
        )
        let environment = ["DRIFTLINE_RETRY_ATTEMPTS": "1"]
        let workers = try (0..<2).map { _ in
            try RecoveryFixture.start(workspace, database, extra: ["--worker"], environment: environment)
        }
        for result in workers.map({ $0.wait() }) {
            #expect(result.status == 0, result.summary)
            #expect(!result.stderr.contains("40P01"))
        }
        #expect(try database.int("SELECT count(*) FROM driftline.claims") == count)
        #expect(try database.int("SELECT count(*) FROM driftline.uploads WHERE status = 'loaded'") == 3)
        // The two workers each merged one resend (else nothing raced).
        #expect(try database.int("SELECT count(DISTINCT run_id) FROM driftline.uploads") == 3)
        // Every claim carries one resend's amount, whole: the later upload's.
        #expect(try database.int("SELECT count(DISTINCT (upload_id, billed_amount)) FROM driftline.claims") == 1)
    }

    @Test func rerunningStagesLeavesNoDuplicates() throws {
        let database = try TestDatabase()
        let workspace = try RecoveryFixture.workspace()
        #expect(try RecoveryFixture.run(workspace, database).status == 65)
        let runID = try RecoveryFixture.onlyRunID(database)
        let before = try RunSnapshot.take(database, workspace)

        // The same uploads dropped again: recognised by content, not loaded twice.
        for file in before.archived {
            let customer = String(file.split(separator: "/")[0])
            let data = try Data(contentsOf: workspace.root.appendingPathComponent("archive/\(file)"))
            try workspace.drop(data, customer: customer, name: "again-" + (file as NSString).lastPathComponent)
        }
        for _ in 0..<2 {
            let rerun = try DriftlineProcess.run(
                ["rerun", String(runID), "--stage", "load"],
                in: workspace.path,
                databaseURL: database.url
            )
            #expect(rerun.status == 65, rerun.summary)
            #expect(workspace.files(in: "inbox").isEmpty)
        }
        let downstream = try DriftlineProcess.run(
            ["rerun", String(runID), "--stage", "report", "--downstream"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(downstream.status == 65, downstream.summary)
        let everything = try DriftlineProcess.run(
            ["rerun", String(runID), "--stage", "load", "--downstream"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(everything.status == 65, everything.summary)

        let after = try RunSnapshot.take(database, workspace)
        #expect(after.claimsHash == before.claimsHash)
        #expect(after.claims == before.claims)
        #expect(after.uploads == before.uploads)
        #expect(after.rejects == before.rejects)
        #expect(after.findings == before.findings)
        #expect(after.queue == before.queue)
        #expect(after.runs == before.runs)
        #expect(
            try database.rows("SELECT stage, status, attempt FROM driftline.stage_runs ORDER BY position")
                == [["load", "succeeded", "4"], ["report", "succeeded", "3"]]
        )
        // The report stage's summary is recomputed from what committed, not accumulated.
        #expect(
            try database.scalar("SELECT summary ->> 'rows_loaded' FROM driftline.stage_runs WHERE stage = 'report'")
                == String(RecoveryFixture.loadedClaims)
        )
        let unknown = try DriftlineProcess.run(
            ["rerun", String(runID), "--stage", "nope"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(unknown.status == 78, unknown.summary)
    }
}

/// Polls `condition` every 50 ms for up to `seconds`.
func waitFor(_ what: String, seconds: Double = 20, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try !condition() {
        guard Date() < deadline else {
            Issue.record("timed out waiting for \(what)")
            return
        }
        Thread.sleep(forTimeInterval: 0.05)
    }
}
