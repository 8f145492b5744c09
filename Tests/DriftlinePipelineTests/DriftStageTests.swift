import DriftlineCore
import DriftlinePipeline
import DriftlineTestSupport
import Testing

/// The drift stage's place in the registry and its section of the pipeline file (no database).
@Suite struct DriftStageTests {
    @Test func theDriftSectionConfiguresTheStageStrictly() throws {
        let config = try PipelineConfig.parse(
            "name: n\nstages: [load, drift]\ndrift:\n  current_days: 14\n  decision_time: {min_days: 5}\n",
            file: "p.yaml",
            knownStages: StageRegistry.standard.names
        )
        let stages = try StageRegistry.standard.stages(for: config)
        let drift = try #require(stages.last as? DriftStage)
        #expect(drift.settings.currentWindowDays == 14 && drift.settings.decisionTimeMinimumDays == 5)
        #expect(drift.settings.baselineWindowDays == 90)

        let typo = try PipelineConfig.parse(
            "name: n\nstages: [drift]\ndrift:\n  fdr: 0.1\n  curent_days: 3\n",
            file: "p.yaml",
            knownStages: StageRegistry.standard.names
        )
        do {
            _ = try StageRegistry.standard.stages(for: typo)
            Issue.record("a typo in the drift section was accepted")
        } catch {
            #expect(error.description.contains("p.yaml:5"), "\(error.description)")
            #expect(error.description.contains("curent_days"), "\(error.description)")
        }
    }

    @Test func aRunRecordsTheDriftSettingsForResume() throws {
        let settings = DriftSettings(currentWindowDays: 14, minimumDecidedPerWindow: 50, falseDiscoveryRate: 0.01)
        let parameters = try StageRegistry.parameters(for: [DriftStage(settings: settings)])
        let json = try #require(parameters[StageRegistry.parameterKey(stage: "drift")])
        #expect(json.contains("\"currentWindowDays\":14"), "\(json)")
        #expect(try StageRegistry.parameters(for: [DriftStage()]).count == 1)
    }
}
