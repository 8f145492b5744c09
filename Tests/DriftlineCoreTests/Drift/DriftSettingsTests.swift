import DriftlineCore
import Testing

@Suite("Drift: settings from the pipeline file's drift section")
struct DriftSettingsTests {
    private static func parse(_ yaml: String) throws -> DriftSettings {
        let root = try #require(try YAMLNode.parseConfig(yaml, file: "pipelines/nightly.yaml"))
        return try DriftSettings.parse(root["drift"], file: "pipelines/nightly.yaml")
    }

    private static func error(_ yaml: String) -> ConfigError? {
        do {
            _ = try parse(yaml)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("unexpected \(type(of: error))")
            return nil
        }
    }

    @Test("the defaults: 30 days against 90, 30 decided, 5 points and 25%, 3 days and 20%, q = 0.05")
    func defaults() throws {
        let settings = DriftSettings()
        #expect(settings.currentWindowDays == 30 && settings.baselineWindowDays == 90)
        #expect(settings.minimumDecidedPerWindow == 30 && settings.falseDiscoveryRate == 0.05)
        #expect(settings.denialRateMinimumChange == 0.05 && settings.denialRateMinimumRelativeChange == 0.25)
        #expect(settings.decisionTimeMinimumDays == 3 && settings.decisionTimeMinimumRelativeChange == 0.2)
        #expect(try Self.parse("name: nightly\n") == settings)
        #expect(try Self.parse("name: nightly\ndrift:\n") == settings)
        #expect(try DriftSettings.parse(nil, file: "x.yaml") == settings)
    }

    @Test("every key, nested sections included")
    func everyKey() throws {
        let settings = try Self.parse(
            """
            name: nightly
            drift:
              current_days: 14
              baseline_days: 60
              min_decided: 50
              fdr: 0.1
              denial_rate:
                min_change: 0.03
                min_relative: 0.2
              decision_time:
                min_days: 2.5
                min_relative: 0.1
            """
        )
        #expect(
            settings
                == DriftSettings(
                    currentWindowDays: 14,
                    baselineWindowDays: 60,
                    minimumDecidedPerWindow: 50,
                    falseDiscoveryRate: 0.1,
                    denialRateMinimumChange: 0.03,
                    denialRateMinimumRelativeChange: 0.2,
                    decisionTimeMinimumDays: 2.5,
                    decisionTimeMinimumRelativeChange: 0.1
                )
        )
        #expect(try Self.parse("drift:\n  denial_rate:\n    min_change: 0.1\n").denialRateMinimumChange == 0.1)
    }

    @Test("an unknown key, at the top or nested, names the file, the line and the known keys")
    func unknownKeys() throws {
        let top = try #require(Self.error("name: nightly\ndrift:\n  current_day: 30\n"))
        #expect(top.file == "pipelines/nightly.yaml" && top.line == 3)
        #expect(top.message.description.contains("unknown key 'current_day' in the drift section"))
        #expect(top.message.description.contains("current_days"))
        let nested = try #require(Self.error("drift:\n  decision_time:\n    min_day: 3\n"))
        #expect(nested.line == 3 && nested.message.description.contains("'min_day'"))
    }

    @Test("wrong types and out-of-range values name the line")
    func badValues() throws {
        let cases: [(String, Int, String)] = [
            ("drift:\n  current_days: thirty\n", 2, "'current_days' must be a whole number"),
            ("drift:\n  current_days: 30.5\n", 2, "'current_days' must be a whole number"),
            ("drift:\n  baseline_days: 0\n", 2, "'baseline_days' must be between 1 and 3660"),
            ("drift:\n  min_decided: -1\n", 2, "'min_decided' must be between"),
            ("drift:\n  fdr: 0\n", 2, "'fdr' must be above 0 and at most 1"),
            ("drift:\n  fdr: 1.5\n", 2, "'fdr' must be above 0 and at most 1"),
            ("drift:\n  fdr: lots\n", 2, "'fdr' must be a number"),
            ("drift:\n\n  denial_rate:\n    min_change: 5\n", 4, "'min_change' must be between 0 and 1"),
            ("drift:\n  decision_time:\n    min_days: -3\n", 3, "'min_days' must not be negative"),
            ("drift:\n  denial_rate: 0.05\n", 2, "denial_rate must be a mapping"),
            ("drift: [30, 90]\n", 1, "the drift section must be a mapping"),
            ("drift:\n  fdr: [0.05]\n", 2, "'fdr' must be a value"),
        ]
        for (yaml, line, message) in cases {
            let error = try #require(Self.error(yaml), "\(yaml)")
            #expect(error.line == line, "\(yaml)")
            #expect(error.message.description.contains(message), "\(yaml): \(error.message)")
            #expect(error.description.hasPrefix("pipelines/nightly.yaml:\(line): "))
        }
    }
}
