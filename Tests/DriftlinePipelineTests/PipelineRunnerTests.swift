import DriftlineCore
import DriftlinePipeline
import DriftlineTestSupport
import Logging
import Testing

/// The runner's state machine over an in-memory checkpoint store and test stages: no database.
@Suite struct PipelineRunnerTests {
    let store = InMemoryCheckpointStore()
    let script = StageScript()
    let logs = LogCapture()
    static let asOf = CivilDate.parse("2026-11-21")!

    func runner(worker: Bool = false) -> PipelineRunner {
        var options = PipelineRunner.Options()
        options.worker = worker
        options.retry = RetryPolicy(maxAttempts: 1, clock: RecordingRetryClock())
        return PipelineRunner(
            store: store,
            databaseURL: "postgresql://unused",
            registry: .test,
            logger: logs.logger(),
            options: options
        )
    }

    func config(_ yaml: String = "stages: [alpha, beta, gamma]\n") throws -> PipelineConfig {
        try PipelineConfig.parse("name: t\n" + yaml, file: "t.yaml", knownStages: StageRegistry.test.names)
    }

    func run(_ config: PipelineConfig) async -> RunOutcome {
        await StageScript.$current.withValue(script) { await runner().run(config: config, asOf: Self.asOf) }
    }

    func resume(_ runID: Int64) async -> RunOutcome {
        await StageScript.$current.withValue(script) { await runner().resume(runID: runID) }
    }

    func rerun(_ runID: Int64, _ stage: String, downstream: Bool = false) async -> RunOutcome {
        await StageScript.$current.withValue(script) {
            await runner().rerun(runID: runID, stage: stage, downstream: downstream)
        }
    }

    func statuses(_ runID: Int64) -> [String] {
        store.record(runID)?.stages.map { "\($0.stage):\($0.status.rawValue):\($0.attempt)" } ?? []
    }

    @Test func stagesRunInOrderEachCheckpointedBeforeTheNext() async throws {
        let outcome = await run(try config())
        #expect(outcome.status == .ok)
        #expect(outcome.runID == 1)
        #expect(script.stagesCalled == ["alpha", "beta", "gamma"])
        #expect(script.calls.allSatisfy { $0.runID == 1 && $0.asOf == Self.asOf })
        #expect(
            store.events == [
                "lock", "create", "start alpha", "finish alpha", "start beta", "finish beta", "start gamma",
                "finish gamma", "run succeeded", "unlock",
            ]
        )
        #expect(statuses(1) == ["alpha:succeeded:1", "beta:succeeded:1", "gamma:succeeded:1"])
        #expect(store.record(1)?.stages.first?.counters == ["runs": 1, "verdict": 0])
        #expect(store.record(1)?.status == .succeeded)
        #expect(store.record(1)?.asOf == "2026-11-21")
        #expect(outcome.summary == ["alpha_runs": 1, "beta_runs": 1, "gamma_runs": 1])
        #expect(outcome.headlines.map(\.description) == ["alpha done", "beta done", "gamma done"])
    }

    @Test func aFailingStageStopsTheRunAndIsRecorded() async throws {
        script.fail("beta", with: ConfigError(file: "rules/x.yaml", line: 3, message: "bad rule"))
        let outcome = await run(try config())
        #expect(outcome.status == .failed(.configuration))
        #expect(outcome.message?.description == "rules/x.yaml:3: bad rule")
        #expect(script.stagesCalled == ["alpha", "beta"])
        #expect(statuses(1) == ["alpha:succeeded:1", "beta:failed:1", "gamma:pending:0"])
        #expect(store.record(1)?.stages[1].error == "rules/x.yaml:3: bad rule")
        #expect(store.record(1)?.status == .failed)
        #expect(store.events.suffix(3) == ["fail beta", "run failed", "unlock"])
        #expect(logs.text.contains("msg=\"stage failed\"") && logs.text.contains("stage=beta"))
    }

    @Test func resumeStartsAtTheFirstUnfinishedStage() async throws {
        script.fail("beta", with: StageFailure("not yet"))
        #expect(await run(try config()).status == .failed(.configuration))

        let resumed = await resume(1)
        #expect(resumed.status == .ok)
        #expect(script.stagesCalled == ["alpha", "beta", "beta", "gamma"])
        #expect(statuses(1) == ["alpha:succeeded:1", "beta:succeeded:2", "gamma:succeeded:1"])
        #expect(store.record(1)?.status == .succeeded)
        // alpha counts with what it recorded; beta and gamma ran now.
        #expect(resumed.headlines.map(\.description) == ["alpha recorded", "beta done", "gamma done"])

        let again = await resume(1)
        #expect(again.status == .failed(.configuration))
        #expect(again.message?.description.contains("nothing to resume") == true)
        #expect(await resume(42).status == .failed(.configuration))
    }

    @Test func rerunRunsOneStageOrItAndTheStagesAfterIt() async throws {
        #expect(await run(try config()).status == .ok)
        store.clearEvents()

        #expect(await rerun(1, "beta").status == .ok)
        #expect(script.stagesCalled == ["alpha", "beta", "gamma", "beta"])
        #expect(store.events == ["lock", "reset beta", "start beta", "finish beta", "run succeeded", "unlock"])
        #expect(statuses(1) == ["alpha:succeeded:1", "beta:succeeded:2", "gamma:succeeded:1"])

        #expect(await rerun(1, "beta", downstream: true).status == .ok)
        #expect(script.stagesCalled.suffix(2) == ["beta", "gamma"])
        #expect(statuses(1) == ["alpha:succeeded:1", "beta:succeeded:3", "gamma:succeeded:2"])

        let unknown = await rerun(1, "delta")
        #expect(unknown.status == .failed(.configuration))
        #expect(unknown.message?.description == "the run has no stage with that name")
    }

    @Test func theRunTakesTheWorstVerdictIncludingRecordedOnes() async throws {
        script.verdict("alpha", .dataRejected)
        script.fail("gamma", with: StageFailure("later"))
        #expect(await run(try config()).status == .failed(.configuration))
        // Resumed in a new process: alpha's verdict comes from its checkpoint.
        let resumed = await resume(1)
        #expect(resumed.status == .finished(.dataRejected))
        #expect(script.stagesCalled == ["alpha", "beta", "gamma", "gamma"])
        #expect(resumed.summary == ["alpha_runs": 1, "beta_runs": 1, "gamma_runs": 1])
    }

    @Test func anErrorNobodyKnowsIsAnInternalFailureWithoutItsText() async throws {
        struct Leaky: Error, CustomStringConvertible { var description: String { "SSN 123-45-6789" } }
        script.fail("alpha", with: Leaky())
        let outcome = await run(try config())
        #expect(outcome.status == .failed(.internalError))
        #expect(outcome.message?.description == "internal error (Leaky)")
        #expect(!logs.text.contains("123-45-6789"))
        #expect(store.record(1)?.stages[0].error == "internal error (Leaky)")
    }

    @Test func anotherRunHoldingTheLockStopsTheRunBeforeItStarts() async throws {
        store.holdLock(pipeline: "t")
        let outcome = await run(try config())
        #expect(outcome.status == .failed(.locked))
        #expect(outcome.runID == nil)
        #expect(script.calls.isEmpty)
        #expect(store.record(1) == nil)
    }

    @Test func aLostLockStopsTheRunAtTheNextStage() async throws {
        store.loseLease()
        let outcome = await run(try config())
        #expect(outcome.status == .failed(.locked))
        #expect(script.calls.isEmpty)
        #expect(store.record(1)?.status == .failed)
    }

    // MARK: - Resume needs the run's own as-of date

    @Test func resumeRefusesARunWhoseAsOfDateCannotBeRead() async throws {
        script.fail("beta", with: StageFailure("not yet"))
        _ = await run(try config())
        store.update(1) { $0.asOf = "infinity" }
        store.clearEvents()

        for outcome in [await resume(1), await rerun(1, "alpha")] {
            #expect(outcome.status == .failed(.configuration))
            #expect(
                outcome.message?.description
                    == "run 1: its stored as-of date cannot be read, so it cannot be resumed or rerun (nothing was run)"
            )
        }
        #expect(script.stagesCalled == ["alpha", "beta"])
        #expect(store.events.isEmpty)
        #expect(statuses(1) == ["alpha:succeeded:1", "beta:failed:1", "gamma:pending:0"])
    }
}
