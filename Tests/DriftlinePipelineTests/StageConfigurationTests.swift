import DriftlineCore
import DriftlinePipeline
import DriftlineTestSupport
import Foundation
import Testing

/// Stages are named once (the registry) and read their own section of the pipeline file strictly.
@Suite struct StageConfigurationTests {
    private func configError(_ yaml: String) -> ConfigError? {
        do {
            let config = try PipelineConfig.parse(yaml, file: "p.yaml", knownStages: StageRegistry.test.names)
            _ = try StageRegistry.test.stages(for: config)
            return nil
        } catch {
            return error
        }
    }

    @Test func anUnknownStageNamesTheFileAndLine() throws {
        let error = try #require(configError("name: n\nstages:\n  - alpha\n  - betta\n"))
        #expect(error.description == "p.yaml:4: unknown stage 'betta' (known: alpha, beta, gamma)")
        let inline = try #require(configError("name: n\nstages: [alpha, delta]\n"))
        #expect(inline.line == 2)
    }

    @Test func theStandardRegistryKnowsTheLibraryStages() throws {
        // `deliver` links an HTTP client: the command line adds it (DriftlineCLITests check the shipped pipeline).
        #expect(StageRegistry.standard.names == ["load", "drift", "alerts", "report"])
    }

    @Test func aStageReadsItsSection() throws {
        let config = try PipelineConfig.parse(
            "name: n\nstages: [alpha, gamma]\nalpha: {}\ngamma:\n  current_days: 7\n  label: west\n"
                + "  payers: [Aetna, Cigna]\n  dry_run: true\n",
            file: "p.yaml",
            knownStages: StageRegistry.test.names
        )
        let stages = try StageRegistry.test.stages(for: config)
        let gamma = try #require(stages.last as? GammaStage)
        #expect(gamma.settings.currentDays == 7 && gamma.settings.label == "west")
        #expect(gamma.settings.payers == ["Aetna", "Cigna"] && gamma.settings.dryRun)

        // No section, or a null one: the defaults.
        for yaml in ["name: n\nstages: [gamma]\n", "name: n\nstages: [gamma]\ngamma:\n"] {
            let config = try PipelineConfig.parse(yaml, file: "p.yaml", knownStages: StageRegistry.test.names)
            let stage = try #require(try StageRegistry.test.stages(for: config).first as? GammaStage)
            #expect(stage.settings.currentDays == 30 && stage.settings.label == "all")
            #expect(stage.settings.payers.isEmpty && !stage.settings.dryRun)
        }
    }

    @Test func aSectionIsReadStrictly() throws {
        let typo = try #require(configError("name: n\nstages: [gamma]\ngamma:\n  curent_days: 7\n"))
        #expect(typo.line == 4)
        #expect(typo.description.contains("unknown key 'curent_days' in the 'gamma' section"))

        let wrongType = try #require(configError("name: n\nstages: [gamma]\ngamma:\n  current_days: soon\n"))
        #expect(wrongType.description == "p.yaml:4: 'current_days' must be a whole number")

        let outOfRange = try #require(configError("name: n\nstages: [gamma]\ngamma: {current_days: 0}\n"))
        #expect(outOfRange.description == "p.yaml:3: 'current_days' must be at least 1")

        let notABool = try #require(configError("name: n\nstages: [gamma]\ngamma:\n  dry_run: yes\n"))
        #expect(notABool.description == "p.yaml:4: 'dry_run' must be true or false")

        let notAList = try #require(configError("name: n\nstages: [gamma]\ngamma:\n  payers: Aetna\n"))
        #expect(notAList.description == "p.yaml:4: 'payers' must be a list")

        let notAMapping = try #require(configError("name: n\nstages: [gamma]\ngamma: [1, 2]\n"))
        #expect(notAMapping.description == "p.yaml:3: the 'gamma' section must be a mapping")

        let noSettings = try #require(configError("name: n\nstages: [alpha]\nalpha:\n  fast: true\n"))
        #expect(noSettings.description == "p.yaml:4: stage 'alpha' takes no settings (found 'fast')")

        let unlisted = try #require(configError("name: n\nstages: [alpha]\ngamma: {}\n"))
        #expect(unlisted.description == "p.yaml:3: section 'gamma' is for a stage 'stages' does not list")

        let unknownSection = try #require(configError("name: n\nstages: [alpha]\ndelta: {}\n"))
        #expect(unknownSection.line == 3)
        #expect(unknownSection.description.contains("unknown key 'delta'"))
    }

    @Test func stageSettingsAreRecordedAndResumeRunsWithThem() async throws {
        let store = InMemoryCheckpointStore()
        let script = StageScript()
        script.fail("gamma", with: StageFailure("not yet"))
        let config = try PipelineConfig.parse(
            "name: n\nstages: [alpha, gamma]\ngamma: {current_days: 7, label: west}\n",
            file: "p.yaml",
            knownStages: StageRegistry.test.names
        )
        let runner = PipelineRunner(
            store: store,
            databaseURL: "postgresql://unused",
            registry: .test,
            logger: LogCapture().logger()
        )
        let asOf = CivilDate.parse("2026-11-21")!
        _ = await StageScript.$current.withValue(script) { await runner.run(config: config, asOf: asOf) }
        let parameters = try #require(store.record(1)?.parameters)
        #expect(parameters["stage.gamma"] == #"{"currentDays":7,"dryRun":false,"label":"west","payers":[]}"#)
        #expect(parameters["stage.alpha"] == nil)

        // The pipeline file may have changed since: resume uses what the run recorded.
        #expect(await StageScript.$current.withValue(script) { await runner.resume(runID: 1) }.status == .ok)
        #expect(
            script.calls.filter { $0.stage == "gamma" }.map(\.settings)
                == Array(repeating: "current_days=7 label=west", count: 2)
        )

        // Recorded settings this build cannot read, or a stage it does not know: loud, nothing runs.
        store.update(1) { $0.parameters["stage.gamma"] = #"{"currentDays":"seven"}"# }
        let unreadable = await runner.rerun(runID: 1, stage: "gamma", downstream: false)
        #expect(unreadable.status == .failed(.configuration))
        #expect(unreadable.message?.description == "run 1: the recorded settings of stage 'gamma' cannot be read")
        store.update(1) { $0.stages[0].stage = "omega" }
        let unknown = await runner.rerun(runID: 1, stage: "gamma", downstream: false)
        #expect(unknown.message?.description == "run 1: the run has a stage 'omega' this build does not know")
        #expect(script.calls.count == 3)
    }
}
