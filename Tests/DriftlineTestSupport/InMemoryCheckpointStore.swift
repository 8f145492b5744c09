import DriftlinePipeline
import Synchronization

/// Runs and checkpoints in memory, for the runner's tests without a database: it records every
/// call in ``events`` (`"start beta"`, `"finish beta"`, …) so tests can check the order of state changes.
package final class InMemoryCheckpointStore: CheckpointStore {
    private struct State {
        var runs: [Int64: RunCheckpoint] = [:]
        var events: [String] = []
        var lockedPipelines: Set<String> = []
        var leaseLost = false
    }

    private let state = Mutex(State())

    package init() {}

    /// Every call so far, in order: `create`, `lock`, `start <stage>`, `finish <stage>`, `fail <stage>`,
    /// `reset <stages>`, `run succeeded` / `run failed`.
    package var events: [String] { state.withLock { $0.events } }

    package func clearEvents() { state.withLock { $0.events = [] } }

    /// A recorded run.
    package func record(_ runID: Int64) -> RunCheckpoint? { state.withLock { $0.runs[runID] } }

    /// Changes a recorded run (a test corrupting what a run stored).
    package func update(_ runID: Int64, _ change: @Sendable (inout RunCheckpoint) -> Void) {
        state.withLock { state in
            if var run = state.runs[runID] {
                change(&run)
                state.runs[runID] = run
            }
        }
    }

    /// Makes the pipeline's lock taken by another run.
    package func holdLock(pipeline: String) { _ = state.withLock { $0.lockedPipelines.insert(pipeline) } }

    /// Makes a held lease report that another run took the lock.
    package func loseLease() { state.withLock { $0.leaseLost = true } }

    package func open() async throws {}

    package func lock(pipeline: String, wait: Double) async throws -> (any PipelineLease)? {
        state.withLock { state in
            guard !state.lockedPipelines.contains(pipeline) else { return nil }
            state.lockedPipelines.insert(pipeline)
            state.events.append("lock")
            return Lease(store: self, pipeline: pipeline)
        }
    }

    package func createRun(
        pipeline: String,
        asOf: String,
        parameters: [String: String],
        stages: [String]
    )
        async throws -> Int64
    {
        state.withLock { state in
            let id = Int64(state.runs.count + 1)
            state.runs[id] = RunCheckpoint(
                runID: id,
                pipeline: pipeline,
                status: .running,
                asOf: asOf,
                parameters: parameters,
                stages: stages.map { RunCheckpoint.StageCheckpoint(stage: $0, status: .pending) }
            )
            state.events.append("create")
            return id
        }
    }

    package func run(_ runID: Int64) async throws -> RunCheckpoint? { record(runID) }

    package func resetStages(runID: Int64, stages: [String]) async throws {
        changeStages(runID, stages, event: "reset " + stages.joined(separator: ",")) { stage in
            stage.status = .pending
            stage.error = nil
        }
    }

    package func startStage(runID: Int64, stage: String, resetCounters: Bool) async throws {
        changeStages(runID, [stage], event: "start " + stage) { stage in
            stage.status = .running
            stage.attempt += 1
            stage.error = nil
            if resetCounters { stage.counters = [:] }
        }
        update(runID) { run in run.status = .running }
    }

    package func finishStage(runID: Int64, stage: String, counters: [String: Int64]?) async throws {
        changeStages(runID, [stage], event: "finish " + stage) { stage in
            stage.status = .succeeded
            if let counters { stage.counters = counters }
        }
    }

    package func failStage(runID: Int64, stage: String, error: String) async throws {
        changeStages(runID, [stage], event: "fail " + stage) { stage in
            stage.status = .failed
            stage.error = error
        }
    }

    package func finishRun(runID: Int64, succeeded: Bool, error: String?) async throws {
        state.withLock { state in
            state.runs[runID]?.status = succeeded ? .succeeded : .failed
            state.runs[runID]?.error = error
            state.events.append(succeeded ? "run succeeded" : "run failed")
        }
    }

    private func changeStages(
        _ runID: Int64,
        _ names: [String],
        event: String,
        _ change: (inout RunCheckpoint.StageCheckpoint) -> Void
    ) {
        state.withLock { state in
            guard var run = state.runs[runID] else { return }
            for index in run.stages.indices where names.contains(run.stages[index].stage) {
                change(&run.stages[index])
            }
            state.runs[runID] = run
            state.events.append(event)
        }
    }

    private func release(pipeline: String) {
        state.withLock { state in
            state.lockedPipelines.remove(pipeline)
            state.events.append("unlock")
        }
    }

    private var leaseLost: Bool { state.withLock { $0.leaseLost } }

    private struct Lease: PipelineLease {
        let store: InMemoryCheckpointStore
        let pipeline: String
        func ensureHeld() async throws -> Bool { !store.leaseLost }
        func release() async { store.release(pipeline: pipeline) }
    }
}
