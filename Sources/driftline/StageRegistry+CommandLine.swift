import DriftlinePipeline

extension StageRegistry {
    /// The stages of `driftline run`: the standard ones and `deliver`, run in the `driftline-deliver` process.
    static let commandLine = StageRegistry.standard.adding([DeliverProcessStage.self])
}
