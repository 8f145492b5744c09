import DriftlineCore

/// What a stage reports to the run: its verdict, its share of the run's summary and the counters of
/// its checkpoint.
package struct StageOutcome: Sendable, Equatable {
    package var verdict: StageVerdict
    /// Counters for the run's summary (`run finished`, the command's summary line). Keys are
    /// `snake_case` (`rows_loaded`); the log shows them dotted (`rows.loaded`).
    package var summary: [String: Int64]
    /// The summary line's words for this stage ("files loaded 3, …"), built from counts only.
    package var headline: SafeMessage?
    /// Replaces the checkpoint's counters; `nil` keeps those the stage recorded in its own transactions.
    package var checkpoint: [String: Int64]?

    package init(
        verdict: StageVerdict = .ok,
        summary: [String: Int64] = [:],
        headline: SafeMessage? = nil,
        checkpoint: [String: Int64]? = nil
    ) {
        self.verdict = verdict
        self.summary = summary
        self.headline = headline
        self.checkpoint = checkpoint
    }
}
