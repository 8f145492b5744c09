import DriftlineCore
import DriftlinePostgres
import Foundation
import Logging

/// What a stage needs: the run's parameters, its database connection and its logger.
package struct StageContext {
    package var runID: Int64
    package var stage: String
    package var config: PipelineConfig
    /// The run's as-of date (days since 1970-01-01).
    package var asOf: Int32
    package var connections: ConnectionProvider
    package var logger: Logger
    package var retry: RetryPolicy
    package var progress: Progress?
}

/// A checkpointed step of a pipeline. Stages are idempotent: running one twice leaves the database
/// as running it once does. Bad data is an outcome in the summary; throw only when the stage cannot finish.
package protocol PipelineStage {
    var name: String { get }
    /// Runs the stage; returns the summary to checkpoint, or `nil` when the stage kept its summary
    /// up to date in its own transactions.
    func run(_ context: StageContext) throws -> [String: Int64]?
}

/// A stage failed for a reason that retrying will not fix (configuration, data). Safe to print.
package struct StageFailure: Error, LogSafe {
    package var message: SafeMessage
    package init(_ message: SafeMessage) { self.message = message }
    package var description: String { message.description }
}
