import DriftlineCore

/// The result of a run, resume or rerun.
package struct RunOutcome: Sendable {
    package var runID: Int64?
    package var pipeline: String?
    package var status: RunStatus
    /// The stages' summary counters, merged in pipeline order.
    package var summary: [String: Int64]
    /// The stages' summary words in pipeline order ("files loaded 3, rejected 1, …").
    package var headlines: [SafeMessage]
    /// Why the run failed, safe to print.
    package var message: SafeMessage?
    /// From the start of the command's work to its end.
    package var durationSeconds: Double

    package init(
        runID: Int64?,
        pipeline: String? = nil,
        status: RunStatus,
        summary: [String: Int64] = [:],
        headlines: [SafeMessage] = [],
        message: SafeMessage? = nil,
        durationSeconds: Double = 0
    ) {
        self.runID = runID
        self.pipeline = pipeline
        self.status = status
        self.summary = summary
        self.headlines = headlines
        self.message = message
        self.durationSeconds = durationSeconds
    }
}
