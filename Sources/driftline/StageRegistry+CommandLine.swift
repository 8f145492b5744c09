import DriftlineDelivery
import DriftlinePipeline

extension StageRegistry {
    /// The stages of `driftline run`: the standard ones and `deliver`, which only the command line links.
    static let commandLine = StageRegistry.standard.adding([DeliverStage.self])
}
