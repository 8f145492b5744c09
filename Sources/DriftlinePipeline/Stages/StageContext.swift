import DriftlineCore
import Logging

/// What a stage gets from the run: its ids and as-of date, the run-wide settings, the database, a
/// logger carrying `run`, `pipeline` and `stage`, the retry policy and the terminal's progress line.
package struct StageContext: Sendable {
    package var runID: Int64
    package var stage: String
    /// The run-wide part of the pipeline file (folders, settle time, reject rate, metrics folder).
    package var config: PipelineConfig
    /// The run's as-of date (days since 1970-01-01).
    package var asOf: Int32
    /// The database (a libpq URI): a stage opens its own connections (``ConnectionProvider``).
    package var databaseURL: String
    package var logger: Logger
    package var retry: RetryPolicy
    package var progress: Progress?

    package init(
        runID: Int64,
        stage: String,
        config: PipelineConfig,
        asOf: Int32,
        databaseURL: String,
        logger: Logger,
        retry: RetryPolicy,
        progress: Progress? = nil
    ) {
        self.runID = runID
        self.stage = stage
        self.config = config
        self.asOf = asOf
        self.databaseURL = databaseURL
        self.logger = logger
        self.retry = retry
        self.progress = progress
    }
}
