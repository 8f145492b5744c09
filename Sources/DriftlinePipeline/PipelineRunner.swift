import DriftlineCore
import DriftlinePostgres
import Foundation
import Logging

/// How a command ended, in sysexits terms (documented in the README).
package enum ExitStatus: Int32, Sendable, LogSafe {
    case ok = 0
    /// A file was rejected as a whole (row rejects alone do not count).
    case dataRejected = 65
    /// The database is unreachable (the inbox is left untouched).
    case databaseUnavailable = 69
    /// Internal failure.
    case software = 70
    /// Another run of this pipeline holds the lock.
    case locked = 75
    /// Bad configuration: pipeline, rules or CPT group files.
    case configuration = 78

    package var description: String { String(rawValue) }
}

/// The result of a run, resume or rerun.
package struct RunResult: Sendable {
    package var runID: Int64?
    package var status: ExitStatus
    package var summary: [String: Int64] = [:]
    package var message: SafeMessage?

    package init(runID: Int64?, status: ExitStatus, summary: [String: Int64] = [:], message: SafeMessage? = nil) {
        self.runID = runID
        self.status = status
        self.summary = summary
        self.message = message
    }
}

/// Runs a pipeline's stages in order, checkpointing each in `driftline.stage_runs`; resumes from the
/// first unfinished stage and reruns single stages. One run per pipeline at a time (advisory lock).
package struct PipelineRunner {
    package struct Options: Sendable {
        package var worker = false
        package var waitSeconds: Double = 0
        package var showProgress = false
        package init() {}
    }

    package var databaseURL: String
    package var logger: Logger
    package var options: Options

    package init(databaseURL: String, logger: Logger, options: Options = Options()) {
        self.databaseURL = databaseURL
        self.logger = logger
        self.options = options
    }

    /// Starts a new run.
    package func run(config: PipelineConfig, asOf: Int32) -> RunResult {
        var config = config
        if options.worker { config.stages = ["load"] }
        return execute(config: config) { connection in
            let parameters = Self.parameters(config: config)
            let runID = try RunStore.createRun(
                pipeline: options.worker ? config.name + ".worker" : config.name,
                asOf: CivilDate.format(asOf),
                parameters: parameters,
                stages: config.stages,
                on: connection
            )
            return (runID, asOf, config.stages, false)
        }
    }

    /// Continues a failed or killed run from its first unfinished stage, with its original parameters.
    package func resume(runID: Int64) -> RunResult {
        resumeOrRerun(runID: runID, stage: nil, downstream: false)
    }

    /// Runs one stage of an earlier run again (and the stages after it with `downstream`).
    package func rerun(runID: Int64, stage: String, downstream: Bool) -> RunResult {
        resumeOrRerun(runID: runID, stage: stage, downstream: downstream)
    }

    private func resumeOrRerun(runID: Int64, stage: String?, downstream: Bool) -> RunResult {
        let record: RunStore.RunRecord
        let config: PipelineConfig
        do {
            let connection = try PGConnection(url: databaseURL)
            try Migrator.migrate(connection)
            guard let found = try RunStore.run(runID, on: connection) else {
                return logFailure(RunResult(runID: runID, status: .configuration, message: "no such run"))
            }
            record = found
            config = try Self.config(from: found)
        } catch {
            return failure(error, runID: runID)
        }
        return execute(config: config) { connection in
            let asOf = CivilDate.parse(record.asOf) ?? CivilDate.today()
            let names = record.stages.map(\.stage)
            if let stage {
                guard let index = names.firstIndex(of: stage) else {
                    throw StageFailure("the run has no stage with that name")
                }
                let selected = downstream ? Array(names[index...]) : [stage]
                try RunStore.resetStages(runID: runID, stages: selected, on: connection)
                return (runID, asOf, selected, true)
            }
            guard record.status != "succeeded" || record.stages.contains(where: { $0.status != .succeeded }) else {
                throw StageFailure("the run already succeeded: nothing to resume (use rerun)")
            }
            let remaining = record.stages.filter { $0.status != .succeeded }.map(\.stage)
            return (runID, asOf, remaining, false)
        }
    }

    /// Connects, takes the pipeline lock, prepares the run and runs the selected stages.
    private func execute(
        config: PipelineConfig,
        prepare: (PGConnection) throws -> (runID: Int64, asOf: Int32, stages: [String], rerun: Bool)
    ) -> RunResult {
        let started = Date()
        let groups: CPTGroups
        do {
            groups = try CPTGroups.load(
                from: URL(fileURLWithPath: config.rules).appendingPathComponent("cpt_groups.yaml")
            )
        } catch {
            return failure(error, runID: nil)
        }
        let connection: PGConnection
        do {
            connection = try PGConnection(url: databaseURL)
            try Migrator.migrate(connection)
        } catch {
            return failure(error, runID: nil)
        }
        var lock: PipelineLock?
        if !options.worker {
            do {
                lock = try PipelineLock.acquire(pipeline: config.name, url: databaseURL, wait: options.waitSeconds)
            } catch {
                return failure(error, runID: nil)
            }
            guard lock != nil else {
                logger.error(
                    "another run of this pipeline is active",
                    metadata: ["pipeline": .safe(SafeText(config.name))]
                )
                return RunResult(runID: nil, status: .locked, message: "another run of this pipeline is active")
            }
        }
        defer { lock?.release() }

        let prepared: (runID: Int64, asOf: Int32, stages: [String], rerun: Bool)
        do { prepared = try prepare(connection) } catch { return failure(error, runID: nil) }
        var logger = self.logger
        logger[metadataKey: "run"] = .safe(prepared.runID)
        logger[metadataKey: "pipeline"] = .safe(SafeText(config.name))

        // Rules compile once per run, before any file is touched; the as-of date is the run's.
        let ruleBook: RuleBook
        do {
            ruleBook = try RuleBook.load(
                directory: URL(fileURLWithPath: config.rules),
                groups: groups,
                asOf: prepared.asOf
            )
        } catch {
            try? RunStore.finishRun(runID: prepared.runID, status: "failed", error: error.description, on: connection)
            return failure(error, runID: prepared.runID)
        }
        logger.info(
            "run started",
            metadata: [
                "stages": .safe(SafeText(prepared.stages.joined(separator: ","))),
                "as_of": .safe(SafeText(CivilDate.format(prepared.asOf))),
                "rules": .safe(ruleBook.count),
            ]
        )

        let provider = ConnectionProvider(url: databaseURL)
        let progress = options.showProgress ? Progress.forTerminal() : nil
        var result = RunResult(runID: prepared.runID, status: .ok)
        for stageName in prepared.stages {
            let stage: any PipelineStage =
                switch stageName {
                case "load": LoadStage(rules: ruleBook, groups: groups)
                default: ReportStage()
                }
            var stageLogger = logger
            stageLogger[metadataKey: "stage"] = .safe(SafeText(stageName))
            let context = StageContext(
                runID: prepared.runID,
                stage: stageName,
                config: config,
                asOf: prepared.asOf,
                connections: provider,
                logger: stageLogger,
                retry: .default,
                progress: progress
            )
            let stageStarted = Date()
            do {
                // A lost lock connection (server restart, terminated backend) drops the lock: take it
                // again before each stage, and stop if another run took it meanwhile.
                if let lock {
                    let held = try RetryPolicy.default.run(logger: stageLogger, operation: "check pipeline lock") { _ in
                        try lock.ensureHeld()
                    }
                    if !held { throw LockLost() }
                }
                try RetryPolicy.default.run(logger: stageLogger, operation: "start stage") { _ in
                    try RunStore.startStage(
                        runID: prepared.runID,
                        stage: stageName,
                        resetSummary: prepared.rerun,
                        on: provider.connection()
                    )
                }
                stageLogger.info("stage started")
                let summary = try stage.run(context)
                try RetryPolicy.default.run(logger: stageLogger, operation: "checkpoint stage") { _ in
                    let connection = try provider.connection()
                    try connection.transaction {
                        try RunStore.finishStage(
                            runID: prepared.runID,
                            stage: stageName,
                            summary: summary,
                            on: connection
                        )
                    }
                }
                stageLogger.info(
                    "stage succeeded",
                    metadata: ["duration_ms": .safe(Int(Date().timeIntervalSince(stageStarted) * 1000))]
                )
                CrashPoint.reach("stage.after:\(stageName)")
            } catch {
                progress?.finish()
                let failed = classify(error, runID: prepared.runID)
                let text = failed.message?.description ?? "failed"
                stageLogger.error(
                    "stage failed",
                    metadata: ["error": .safe(SafeText(text)), "exit": .safe(failed.status)]
                )
                if let connection = try? provider.connection() {
                    try? RunStore.failStage(runID: prepared.runID, stage: stageName, error: text, on: connection)
                    try? RunStore.finishRun(runID: prepared.runID, status: "failed", error: text, on: connection)
                }
                return logFailure(failed)
            }
        }
        progress?.finish()
        do {
            let connection = try provider.connection()
            try RunStore.finishRun(runID: prepared.runID, status: "succeeded", error: nil, on: connection)
            let totals = try connection.query(
                """
                SELECT count(*) FILTER (WHERE status = 'loaded'), count(*) FILTER (WHERE status = 'rejected'),
                       coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0),
                       (SELECT coalesce((summary ->> 'files_unreadable')::bigint, 0)
                               + coalesce((summary ->> 'files_skipped')::bigint, 0)
                          FROM driftline.stage_runs WHERE run_id = $1 AND stage = 'load')
                  FROM driftline.uploads WHERE run_id = $1
                """,
                [String(prepared.runID)],
                operation: "sum up run"
            ).first!
            result.summary = [
                "files_loaded": Int64(totals[0]!)!, "files_rejected": Int64(totals[1]!)!,
                "rows_read": Int64(totals[2]!)!, "rows_loaded": Int64(totals[3]!)!, "rows_rejected": Int64(totals[4]!)!,
                // Inbox entries that could not be taken (unreadable, a directory, outside a customer folder).
                "files_left": totals[5].flatMap { Int64($0) } ?? 0,
            ]
        } catch {
            return failure(error, runID: prepared.runID)
        }
        if (result.summary["files_rejected"] ?? 0) > 0 || (result.summary["files_left"] ?? 0) > 0 {
            result.status = .dataRejected
        }
        let summary = result.summary
        logger.notice(
            "run finished",
            metadata: [
                "status": .safe(SafeText(result.status == .ok ? "ok" : "data_rejected")), "exit": .safe(result.status),
                "files.loaded": .safe(summary["files_loaded"] ?? 0),
                "files.rejected": .safe(summary["files_rejected"] ?? 0),
                "files.left": .safe(summary["files_left"] ?? 0),
                "rows.read": .safe(summary["rows_read"] ?? 0), "rows.loaded": .safe(summary["rows_loaded"] ?? 0),
                "rows.rejected": .safe(summary["rows_rejected"] ?? 0),
                "duration_ms": .safe(Int(Date().timeIntervalSince(started) * 1000)),
            ]
        )
        return result
    }

    /// Classifies `error` (see ``classify(_:runID:)``) and logs the run's end, so log readers (JSON
    /// ones included) see every failure as an event, not only as the CLI's closing line.
    private func failure(_ error: any Error, runID: Int64?) -> RunResult {
        logFailure(classify(error, runID: runID))
    }

    @discardableResult
    private func logFailure(_ result: RunResult) -> RunResult {
        var metadata: Logger.Metadata = [
            "error": .safe(SafeText(result.message?.description ?? "failed")), "exit": .safe(result.status),
        ]
        if let runID = result.runID { metadata["run"] = .safe(runID) }
        logger.error("run failed", metadata: metadata)
        return result
    }

    /// The pipeline lock was lost mid-run and another run holds it now.
    private struct LockLost: Error {}

    /// Maps any error to an exit status and a message safe to print (foreign errors are not printed).
    private func classify(_ error: any Error, runID: Int64?) -> RunResult {
        switch error {
        case let error as PostgresError:
            let status: ExitStatus =
                error.kind == .connectionFailed || error.kind == .connectionLost || error.isTransient
                ? .databaseUnavailable : .software
            return RunResult(runID: runID, status: status, message: SafeMessage(trusted: error.description))
        case let error as ConfigError:
            return RunResult(runID: runID, status: .configuration, message: SafeMessage(trusted: error.description))
        case let error as StageFailure:
            return RunResult(runID: runID, status: .configuration, message: error.message)
        case is LockLost:
            return RunResult(
                runID: runID,
                status: .locked,
                message: "lost the pipeline lock: another run of this pipeline took over"
            )
        case let error as UploadError:
            return RunResult(runID: runID, status: .dataRejected, message: SafeMessage(trusted: error.description))
        default:
            return RunResult(
                runID: runID,
                status: .software,
                message: SafeMessage(trusted: "internal error (\(type(of: error)))")
            )
        }
    }

    /// The run's parameters as recorded for `resume` and `rerun`, with folders made absolute: the
    /// pipeline file's paths are relative to the working directory, and a resume may start elsewhere.
    static func parameters(config: PipelineConfig) -> [String: String] {
        var parameters = [
            "pipeline_file": absolute(config.file), "name": config.name, "inbox": absolute(config.inbox),
            "archive": absolute(config.archive), "rejected": absolute(config.rejected), "rules": absolute(config.rules),
            "settle_seconds": String(config.settleSeconds), "max_reject_rate": String(config.maxRejectRate),
            "stages": config.stages.joined(separator: ","),
        ]
        if let metrics = config.metricsDirectory { parameters["metrics_dir"] = absolute(metrics) }
        return parameters
    }

    private static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        return URL(
            fileURLWithPath: path,
            relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        )
        .standardizedFileURL.path
    }

    static func config(from record: RunStore.RunRecord) throws -> PipelineConfig {
        let parameters = record.parameters
        var config = PipelineConfig(
            name: parameters["name"] ?? record.pipeline,
            file: parameters["pipeline_file"] ?? "<run>"
        )
        config.inbox = parameters["inbox"] ?? config.inbox
        config.archive = parameters["archive"] ?? config.archive
        config.rejected = parameters["rejected"] ?? config.rejected
        config.rules = parameters["rules"] ?? config.rules
        config.settleSeconds = parameters["settle_seconds"].flatMap(Double.init) ?? config.settleSeconds
        config.maxRejectRate = parameters["max_reject_rate"].flatMap(Double.init) ?? config.maxRejectRate
        config.metricsDirectory = parameters["metrics_dir"]
        config.stages = record.stages.map(\.stage)
        return config
    }
}
