/// Where a run and its stage checkpoints are recorded, and the pipeline's lock.
///
/// ``PostgresCheckpointStore`` keeps them in `driftline.runs`/`driftline.stage_runs` (production, the
/// integration tests); `InMemoryCheckpointStore` (Tests/DriftlineTestSupport) lets the runner's tests
/// run without a database.
package protocol CheckpointStore: Sendable {
    /// Makes the store usable (PostgreSQL: connect and migrate); fails when it is unreachable.
    func open() async throws

    /// Takes the pipeline's lock, waiting up to `wait` seconds; `nil` when another run holds it.
    func lock(pipeline: String, wait: Double) async throws -> (any PipelineLease)?

    /// Records a new run with its stages pending; returns the run id.
    func createRun(
        pipeline: String,
        asOf: String,
        parameters: [String: String],
        stages: [String]
    ) async throws
        -> Int64

    /// A recorded run, `nil` when there is none with that id.
    func run(_ runID: Int64) async throws -> RunCheckpoint?

    /// Marks stages pending again (a rerun).
    func resetStages(runID: Int64, stages: [String]) async throws

    /// Marks a stage running (one more attempt) and its run running; `resetCounters` empties its counters.
    func startStage(runID: Int64, stage: String, resetCounters: Bool) async throws

    /// Marks a stage succeeded, replacing its counters when `counters` is given.
    func finishStage(runID: Int64, stage: String, counters: [String: Int64]?) async throws

    /// Marks a stage failed with a message safe to print.
    func failStage(runID: Int64, stage: String, error: String) async throws

    /// Marks the run finished: succeeded, or failed with a message safe to print.
    func finishRun(runID: Int64, succeeded: Bool, error: String?) async throws
}
