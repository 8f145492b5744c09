import Foundation
import Yams

/// A pipeline definition from `pipelines/*.yaml`.
///
/// ```yaml
/// name: nightly
/// inbox: inbox            # paths are relative to the working directory
/// archive: archive
/// rejected: rejected
/// rules: rules
/// settle_seconds: 60
/// max_reject_rate: 0.05
/// metrics_dir: metrics    # optional: Prometheus textfile
/// stages: [load, report]
/// ```
package struct PipelineConfig: Sendable, Equatable {
    package var name: String
    package var inbox: String
    package var archive: String
    package var rejected: String
    package var rules: String
    package var settleSeconds: Double
    package var maxRejectRate: Double
    package var metricsDirectory: String?
    package var stages: [String]
    /// Where the definition was read from.
    package var file: String

    package static let knownStages: Set<String> = ["load", "report"]

    package init(
        name: String,
        inbox: String = "inbox",
        archive: String = "archive",
        rejected: String = "rejected",
        rules: String = "rules",
        settleSeconds: Double = 60,
        maxRejectRate: Double = 0.05,
        metricsDirectory: String? = nil,
        stages: [String] = ["load", "report"],
        file: String = "<inline>"
    ) {
        self.name = name
        self.inbox = inbox
        self.archive = archive
        self.rejected = rejected
        self.rules = rules
        self.settleSeconds = settleSeconds
        self.maxRejectRate = maxRejectRate
        self.metricsDirectory = metricsDirectory
        self.stages = stages
        self.file = file
    }

    private struct File: Decodable {
        var name: String
        var inbox: String?
        var archive: String?
        var rejected: String?
        var rules: String?
        var settle_seconds: Double?
        var max_reject_rate: Double?
        var metrics_dir: String?
        var stages: [String]
    }

    package static func load(path: String) throws(ConfigError) -> PipelineConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(file: path, message: "cannot read the pipeline file")
        }
        return try parse(text, file: path)
    }

    package static func parse(_ text: String, file: String) throws(ConfigError) -> PipelineConfig {
        let decoded: File
        do { decoded = try YAMLDecoder().decode(File.self, from: text) } catch {
            throw ConfigError(
                file: file,
                line: ConfigError.line(of: error),
                message: SafeMessage(trusted: "malformed pipeline definition: \(Self.describe(error))")
            )
        }
        var config = PipelineConfig(name: decoded.name, file: file)
        config.inbox = decoded.inbox ?? config.inbox
        config.archive = decoded.archive ?? config.archive
        config.rejected = decoded.rejected ?? config.rejected
        config.rules = decoded.rules ?? config.rules
        config.settleSeconds = decoded.settle_seconds ?? config.settleSeconds
        config.maxRejectRate = decoded.max_reject_rate ?? config.maxRejectRate
        config.metricsDirectory = decoded.metrics_dir
        config.stages = decoded.stages
        guard !config.name.isEmpty, config.name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        else { throw ConfigError(file: file, message: "name must be letters, digits, '-' or '_'") }
        guard (0...1).contains(config.maxRejectRate) else {
            throw ConfigError(file: file, message: "max_reject_rate must be between 0 and 1")
        }
        guard config.settleSeconds >= 0 else { throw ConfigError(file: file, message: "settle_seconds must be >= 0") }
        guard !config.stages.isEmpty else { throw ConfigError(file: file, message: "stages must not be empty") }
        for stage in config.stages where !knownStages.contains(stage) {
            throw ConfigError(
                file: file,
                message: SafeMessage(
                    trusted: "unknown stage '\(stage)' (known: \(knownStages.sorted().joined(separator: ", ")))"
                )
            )
        }
        guard Set(config.stages).count == config.stages.count else {
            throw ConfigError(file: file, message: "a stage is listed twice")
        }
        return config
    }

    /// Decoding errors name keys from the pipeline file (configuration, not PHI).
    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "missing key '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'"
        default: "not valid YAML"
        }
    }
}
