import DriftlineCore
import DriftlinePostgres
import Foundation
import Logging

/// Runs a pipeline's stages in order, checkpointing each in a ``CheckpointStore``; resumes from the
/// first unfinished stage and reruns single stages. One run per pipeline at a time (the store's lock).
///
/// The runner knows stages only through ``Stage``: it builds them with the ``StageRegistry``, runs
/// them, and combines their ``StageOutcome``s into a ``RunOutcome`` (the command line maps it to an
/// exit code). Each step is a state change in the store: run created → stage running → stage
/// succeeded (its counters) → … → run finished; a failed stage stops the run and is recorded.
package struct PipelineRunner: Sendable {
    package struct Options: Sendable {
        package var worker = false
        package var waitSeconds: Double = 0
        package var showProgress = false
        package var retry = RetryPolicy.default
        package init() {}
    }

    package var store: any CheckpointStore
    /// Handed to stages (``StageContext/databaseURL``).
    package var databaseURL: String
    package var registry: StageRegistry
    package var logger: Logger
    package var options: Options

    package init(
        store: any CheckpointStore,
        databaseURL: String,
        registry: StageRegistry = .standard,
        logger: Logger,
        options: Options = Options()
    ) {
        self.store = store
        self.databaseURL = databaseURL
        self.registry = registry
        self.logger = logger
        self.options = options
    }

    /// A runner checkpointing in the PostgreSQL database at `databaseURL`.
    package init(
        databaseURL: String,
        registry: StageRegistry = .standard,
        logger: Logger,
        options: Options = Options()
    ) {
        self.init(
            store: PostgresCheckpointStore(url: databaseURL, logger: logger),
            databaseURL: databaseURL,
            registry: registry,
            logger: logger,
            options: options
        )
    }

    /// What a run, resume or rerun is about to do.
    private struct Plan {
        var runID: Int64
        var asOf: Int32
        var config: PipelineConfig
        /// Every stage of the run, in order.
        var stages: [any Stage]
        /// The names of the stages to run now.
        var selected: [String]
        /// Checkpoints of an earlier process (resume, rerun): the outcomes of stages not run now.
        var recorded: [RunCheckpoint.StageCheckpoint] = []
        var rerun = false
    }

    /// Starts a new run. With ``Options/worker``, only the load stage runs, without the lock.
    package func run(config: PipelineConfig, asOf: Int32) async -> RunOutcome {
        let started = ContinuousClock.now
        var config = config
        if options.worker { config.stages = [LoadStage.name] }
        let stages: [any Stage]
        let parameters: [String: String]
        do {
            stages = try registry.stages(for: config)
            parameters = RunParameters.record(config).merging(try StageRegistry.parameters(for: stages)) { $1 }
            try await store.open()
        } catch {
            return failure(error, runID: nil, pipeline: config.name, started: started)
        }
        return await execute(pipeline: config.name, started: started) {
            let runID = try await store.createRun(
                pipeline: options.worker ? config.name + ".worker" : config.name,
                asOf: CivilDate.format(asOf),
                parameters: parameters,
                stages: config.stages
            )
            return Plan(runID: runID, asOf: asOf, config: config, stages: stages, selected: config.stages)
        }
    }

    /// Continues a failed or killed run from its first unfinished stage, with its original parameters.
    package func resume(runID: Int64) async -> RunOutcome {
        await resumeOrRerun(runID: runID, stage: nil, downstream: false)
    }

    /// Runs one stage of an earlier run again (and the stages after it with `downstream`).
    package func rerun(runID: Int64, stage: String, downstream: Bool) async -> RunOutcome {
        await resumeOrRerun(runID: runID, stage: stage, downstream: downstream)
    }

    private func resumeOrRerun(runID: Int64, stage: String?, downstream: Bool) async -> RunOutcome {
        let started = ContinuousClock.now
        let record: RunCheckpoint
        let config: PipelineConfig
        let stages: [any Stage]
        let asOf: Int32
        do {
            try await store.open()
            guard let found = try await store.run(runID) else {
                return failure(StageFailure("no such run"), runID: runID, pipeline: nil, started: started)
            }
            record = found
            config = RunParameters.config(from: found)
            stages = try registry.stages(recorded: found)
            // Never today's date: a resumed run files uploads and evaluates rules as of its own day.
            guard let day = CivilDate.parse(found.asOf) else {
                throw ConfigError(
                    file: "run \(runID)",
                    message: "its stored as-of date cannot be read, so it cannot be resumed or rerun (nothing was run)"
                )
            }
            asOf = day
        } catch {
            return failure(error, runID: runID, pipeline: nil, started: started)
        }
        return await execute(pipeline: config.name, started: started) {
            var plan = Plan(runID: runID, asOf: asOf, config: config, stages: stages, selected: [])
            plan.recorded = record.stages
            let names = record.stages.map(\.stage)
            if let stage {
                guard let index = names.firstIndex(of: stage) else {
                    throw StageFailure("the run has no stage with that name")
                }
                plan.selected = downstream ? Array(names[index...]) : [stage]
                plan.rerun = true
                try await store.resetStages(runID: runID, stages: plan.selected)
                return plan
            }
            guard record.status != .succeeded || record.stages.contains(where: { $0.status != .succeeded }) else {
                throw StageFailure("the run already succeeded: nothing to resume (use rerun)")
            }
            plan.selected = record.stages.filter { $0.status != .succeeded }.map(\.stage)
            return plan
        }
    }

    /// Takes the pipeline lock, plans the run and runs the selected stages.
    private func execute(
        pipeline: String,
        started: ContinuousClock.Instant,
        plan makePlan: () async throws -> Plan
    ) async -> RunOutcome {
        var lease: (any PipelineLease)?
        if !options.worker {
            do {
                lease = try await store.lock(pipeline: pipeline, wait: options.waitSeconds)
            } catch {
                return failure(error, runID: nil, pipeline: pipeline, started: started)
            }
            guard lease != nil else {
                logger.error(
                    "another run of this pipeline is active",
                    metadata: ["pipeline": .safe(SafeText(configuration: pipeline))]
                )
                return RunOutcome(
                    runID: nil,
                    pipeline: pipeline,
                    status: .failed(.locked),
                    message: "another run of this pipeline is active",
                    durationSeconds: seconds(since: started)
                )
            }
        }
        let outcome = await execute(lease: lease, pipeline: pipeline, started: started, plan: makePlan)
        await lease?.release()
        return outcome
    }

    private func execute(
        lease: (any PipelineLease)?,
        pipeline: String,
        started: ContinuousClock.Instant,
        plan makePlan: () async throws -> Plan
    ) async -> RunOutcome {
        let plan: Plan
        do { plan = try await makePlan() } catch {
            return failure(error, runID: nil, pipeline: pipeline, started: started)
        }
        var logger = self.logger
        logger[metadataKey: "run"] = .safe(plan.runID)
        logger[metadataKey: "pipeline"] = .safe(SafeText(configuration: pipeline))
        logger.info(
            "run started",
            metadata: [
                "stages": .safe(SafeText(code: plan.selected.joined(separator: ","))),
                "as_of": .safe(SafeText(code: CivilDate.format(plan.asOf))),
            ]
        )
        let retry = options.retry
        let progress = options.showProgress ? Progress.forTerminal() : nil
        func context(for stage: any Stage, logger: Logger) -> StageContext {
            StageContext(
                runID: plan.runID,
                stage: stage.name,
                config: plan.config,
                asOf: plan.asOf,
                databaseURL: databaseURL,
                logger: logger,
                retry: retry,
                progress: progress
            )
        }

        var outcomes: [String: StageOutcome] = [:]
        for stage in plan.stages where plan.selected.contains(stage.name) {
            var stageLogger = logger
            stageLogger[metadataKey: "stage"] = .safe(SafeText(code: stage.name))
            let stageStarted = ContinuousClock.now
            do {
                // A lost lock connection (server restart, terminated backend) drops the lock: take it
                // again before each stage, and stop if another run took it meanwhile.
                if let lease {
                    let held = try await retry.run(logger: stageLogger, operation: "check pipeline lock") { _ in
                        try await lease.ensureHeld()
                    }
                    if !held { throw LockLost() }
                }
                try await retry.run(logger: stageLogger, operation: "start stage") { _ in
                    try await store.startStage(runID: plan.runID, stage: stage.name, resetCounters: plan.rerun)
                }
                stageLogger.info("stage started")
                let outcome = try await stage.run(context(for: stage, logger: stageLogger))
                try await retry.run(logger: stageLogger, operation: "checkpoint stage") { _ in
                    try await store.finishStage(runID: plan.runID, stage: stage.name, counters: outcome.checkpoint)
                }
                stageLogger.info(
                    "stage succeeded",
                    metadata: ["duration_ms": .safe(Int(seconds(since: stageStarted) * 1000))]
                )
                outcomes[stage.name] = outcome
                CrashPoint.reach("stage.after:\(stage.name)")
            } catch {
                progress?.finish()
                let (failure, message) = classify(error)
                stageLogger.error(
                    "stage failed",
                    metadata: ["error": .safe(message), "failure": .safe(failure)]
                )
                try? await store.failStage(runID: plan.runID, stage: stage.name, error: message.description)
                try? await store.finishRun(runID: plan.runID, succeeded: false, error: message.description)
                return RunOutcome(
                    runID: plan.runID,
                    pipeline: pipeline,
                    status: .failed(failure),
                    message: message,
                    durationSeconds: seconds(since: started)
                )
            }
        }
        progress?.finish()

        // Stages that succeeded in an earlier process count with what they recorded.
        var verdict = StageVerdict.ok
        var summary: [String: Int64] = [:]
        var headlines: [SafeMessage] = []
        do {
            for stage in plan.stages {
                var outcome = outcomes[stage.name]
                if outcome == nil,
                    let checkpoint = plan.recorded.first(where: { $0.stage == stage.name }),
                    checkpoint.status == .succeeded
                {
                    var stageLogger = logger
                    stageLogger[metadataKey: "stage"] = .safe(SafeText(code: stage.name))
                    outcome = try await stage.recordedOutcome(
                        checkpoint: checkpoint.counters,
                        context: context(for: stage, logger: stageLogger)
                    )
                }
                guard let outcome else { continue }
                verdict = max(verdict, outcome.verdict)
                summary.merge(outcome.summary) { $1 }
                if let headline = outcome.headline { headlines.append(headline) }
            }
            try await retry.run(logger: logger, operation: "finish run") { _ in
                try await store.finishRun(runID: plan.runID, succeeded: true, error: nil)
            }
        } catch {
            let outcome = failure(error, runID: plan.runID, pipeline: pipeline, started: started)
            try? await store.finishRun(runID: plan.runID, succeeded: false, error: outcome.message?.description)
            return outcome
        }
        return RunOutcome(
            runID: plan.runID,
            pipeline: pipeline,
            status: .finished(verdict),
            summary: summary,
            headlines: headlines,
            durationSeconds: seconds(since: started)
        )
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start).seconds
    }

    private func failure(
        _ error: any Error,
        runID: Int64?,
        pipeline: String?,
        started: ContinuousClock.Instant
    ) -> RunOutcome {
        let (failure, message) = classify(error)
        return RunOutcome(
            runID: runID,
            pipeline: pipeline,
            status: .failed(failure),
            message: message,
            durationSeconds: seconds(since: started)
        )
    }

    /// The pipeline lock was lost mid-run and another run holds it now.
    private struct LockLost: Error {}

    /// Maps any error to a failure and a message safe to print (foreign errors are not printed).
    private func classify(_ error: any Error) -> (RunFailure, SafeMessage) {
        switch error {
        case let error as PostgresError:
            let unavailable = error.kind == .connectionFailed || error.kind == .connectionLost || error.isTransient
            return (unavailable ? .databaseUnavailable : .internalError, SafeMessage(trusted: error.description))
        case let error as ConfigError:
            return (.configuration, SafeMessage(trusted: error.description))
        case let error as StageFailure:
            return (.configuration, error.message)
        case is LockLost:
            return (.locked, "lost the pipeline lock: another run of this pipeline took over")
        case let error as UploadError:
            return (.data, SafeMessage(trusted: error.description))
        case let error as FileSystemError:
            // A path from the inbox layout and an errno: say which file and why.
            return (.internalError, "file system error: \(error)")
        case let error as any LogSafe:
            // Safe to print by its type's contract (a child process's exit status, …).
            return (.internalError, "internal error: \(error)")
        default:
            return (.internalError, SafeMessage(trusted: "internal error (\(type(of: error)))"))
        }
    }
}
