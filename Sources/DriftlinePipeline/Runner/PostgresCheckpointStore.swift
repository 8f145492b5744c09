import DriftlineCore
import DriftlinePostgres
import Foundation

/// Runs and checkpoints in `driftline.runs` and `driftline.stage_runs` (``RunStore``), the pipeline
/// lock a PostgreSQL advisory lock (``PipelineLock``). Calls block on libpq for the few milliseconds
/// a checkpoint takes; waiting for the lock runs on a thread of its own.
///
/// `@unchecked Sendable`: its one connection is used only under `lock`.
package final class PostgresCheckpointStore: CheckpointStore, @unchecked Sendable {
    private let url: String
    private let lock = NSLock()
    private let connections: ConnectionProvider

    package init(url: String) {
        self.url = url
        connections = ConnectionProvider(url: url)
    }

    private func withConnection<T>(_ body: (PGConnection) throws -> T) throws -> T {
        try lock.withLock { try body(connections.connection()) }
    }

    package func open() async throws {
        try withConnection { connection in _ = try Migrator.migrate(connection) }
    }

    package func lock(pipeline: String, wait: Double) async throws -> (any PipelineLease)? {
        let url = url
        let lease: PostgresLease? = try await DedicatedThread.run(name: "driftline-lock") {
            guard let lock = try PipelineLock.acquire(pipeline: pipeline, url: url, wait: wait) else { return nil }
            return PostgresLease(lock)
        }
        return lease
    }

    package func createRun(
        pipeline: String,
        asOf: String,
        parameters: [String: String],
        stages: [String]
    )
        async throws -> Int64
    {
        try withConnection { connection in
            try RunStore.createRun(
                pipeline: pipeline,
                asOf: asOf,
                parameters: parameters,
                stages: stages,
                on: connection
            )
        }
    }

    package func run(_ runID: Int64) async throws -> RunCheckpoint? {
        guard let record = try withConnection({ connection in try RunStore.run(runID, on: connection) }) else {
            return nil
        }
        return RunCheckpoint(
            runID: record.runID,
            pipeline: record.pipeline,
            status: RunCheckpoint.Status(rawValue: record.status) ?? .failed,
            asOf: record.asOf,
            parameters: record.parameters,
            stages: record.stages.map { stage in
                RunCheckpoint.StageCheckpoint(
                    stage: stage.stage,
                    status: RunCheckpoint.StageCheckpoint.Status(rawValue: stage.status.rawValue) ?? .pending,
                    attempt: stage.attempt,
                    counters: stage.summary,
                    error: stage.error
                )
            },
            error: record.error
        )
    }

    package func resetStages(runID: Int64, stages: [String]) async throws {
        try withConnection { connection in try RunStore.resetStages(runID: runID, stages: stages, on: connection) }
    }

    package func startStage(runID: Int64, stage: String, resetCounters: Bool) async throws {
        try withConnection { connection in
            try RunStore.startStage(runID: runID, stage: stage, resetSummary: resetCounters, on: connection)
        }
    }

    package func finishStage(runID: Int64, stage: String, counters: [String: Int64]?) async throws {
        try withConnection { connection in
            try RunStore.finishStage(runID: runID, stage: stage, summary: counters, on: connection)
        }
    }

    package func failStage(runID: Int64, stage: String, error: String) async throws {
        try withConnection { connection in
            try RunStore.failStage(runID: runID, stage: stage, error: error, on: connection)
        }
    }

    package func finishRun(runID: Int64, succeeded: Bool, error: String?) async throws {
        try withConnection { connection in
            try RunStore.finishRun(
                runID: runID,
                status: succeeded ? "succeeded" : "failed",
                error: error,
                on: connection
            )
        }
    }
}
