/// A recorded run as the runner needs it: its parameters, as-of date and stage checkpoints in order.
package struct RunCheckpoint: Sendable, Equatable {
    package enum Status: String, Sendable {
        case running, succeeded, failed
    }

    package struct StageCheckpoint: Sendable, Equatable {
        package enum Status: String, Sendable {
            case pending, running, succeeded, failed, skipped
        }

        package var stage: String
        package var status: Status
        package var attempt: Int
        package var counters: [String: Int64]
        package var error: String?

        package init(
            stage: String,
            status: Status,
            attempt: Int = 0,
            counters: [String: Int64] = [:],
            error: String? = nil
        ) {
            self.stage = stage
            self.status = status
            self.attempt = attempt
            self.counters = counters
            self.error = error
        }
    }

    package var runID: Int64
    package var pipeline: String
    package var status: Status
    /// The run's as-of date as stored (`YYYY-MM-DD` when readable).
    package var asOf: String
    package var parameters: [String: String]
    package var stages: [StageCheckpoint]
    package var error: String?

    package init(
        runID: Int64,
        pipeline: String,
        status: Status,
        asOf: String,
        parameters: [String: String],
        stages: [StageCheckpoint],
        error: String? = nil
    ) {
        self.runID = runID
        self.pipeline = pipeline
        self.status = status
        self.asOf = asOf
        self.parameters = parameters
        self.stages = stages
        self.error = error
    }
}
