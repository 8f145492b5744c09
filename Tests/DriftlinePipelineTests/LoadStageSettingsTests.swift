import DriftlineCore
import DriftlinePipeline
import Foundation
import Testing

/// The load stage's section: caps, attempts and the completion signal, read strictly.
@Suite struct LoadStageSettingsTests {
    private func load(_ section: String) throws -> LoadStage {
        let config = try PipelineConfig.parse(
            "name: n\nstages: [load]\n" + section,
            file: "p.yaml",
            knownStages: StageRegistry.standard.names
        )
        return try #require(try StageRegistry.standard.stages(for: config).first as? LoadStage)
    }

    private func error(_ section: String) -> ConfigError? {
        do {
            _ = try load(section)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            return nil
        }
    }

    @Test func defaultsAndASectionThatSetsEveryKey() throws {
        let defaults = try load("")
        #expect(defaults.settings == LoadStage.Settings())
        #expect(defaults.settings.maxAttempts == 3 && defaults.settings.completion == .settle)
        #expect(defaults.settings.maxRows == 20_000_000 && defaults.settings.maxBytes == 8 << 30)
        #expect(defaults.settings.maxStoredRejects == 10_000 && defaults.settings.maxReportRejects == 10_000)

        let set = try load(
            "load:\n  completion: done_marker\n  max_attempts: 5\n  max_bytes: 1000\n  max_rows: 10\n"
                + "  max_stored_rejects: 2\n  max_report_rejects: 3\n"
        )
        #expect(set.settings.completion == .doneMarker && set.settings.maxAttempts == 5)
        #expect(set.settings.maxBytes == 1000 && set.settings.maxRows == 10)
        #expect(set.settings.maxStoredRejects == 2 && set.settings.maxReportRejects == 3)
    }

    @Test func badValuesNameTheFileAndLine() throws {
        #expect(
            error("load:\n  completion: rename\n")?.description
                == "p.yaml:4: 'completion' must be settle or done_marker"
        )
        #expect(error("load: {max_attempts: 0}\n")?.description == "p.yaml:3: 'max_attempts' must be at least 1")
        #expect(error("load:\n  max_rows: 0\n")?.description == "p.yaml:4: 'max_rows' must be at least 1")
        #expect(error("load:\n  max_row: 5\n")?.description.contains("unknown key 'max_row'") == true)
    }

    @Test func aRunRecordedBeforeTheSettingsExistedResumesWithTheDefaults() throws {
        let recorded = try JSONDecoder().decode(LoadStage.Settings.self, from: Data("{}".utf8))
        #expect(recorded == LoadStage.Settings())
        var custom = LoadStage.Settings()
        custom.maxRows = 7
        custom.completion = .doneMarker
        let roundTrip = try JSONDecoder().decode(LoadStage.Settings.self, from: JSONEncoder().encode(custom))
        #expect(roundTrip == custom)
    }
}
