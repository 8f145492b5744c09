import DriftlineCore
import Foundation

/// The stages a pipeline may name, each registered once by its type.
///
/// ```swift
/// static let standard = StageRegistry([LoadStage.self, ReportStage.self])  // + DriftStage.self
/// ```
///
/// The registry builds a pipeline's stages from their sections of the pipeline file (a new run) or
/// from the settings a run recorded (`resume`, `rerun`); a name it does not know is a configuration
/// error naming the file and line.
package struct StageRegistry: Sendable {
    /// The stages of `driftline run`.
    package static let standard = StageRegistry([
        LoadStage.self, DriftStage.self, AlertsStage.self, ReportStage.self,
    ])

    private let types: [any Stage.Type]

    package init(_ types: [any Stage.Type]) {
        precondition(Set(types.map { $0.name }).count == types.count, "a stage name is registered twice")
        precondition(
            types.allSatisfy { !PipelineConfig.runWideKeys.contains($0.name) },
            "a stage name is a key of the pipeline file"
        )
        self.types = types
    }

    /// These stages and `more`: stages defined outside this module (`deliver`, which links an HTTP client
    /// only the command line may link).
    package func adding(_ more: [any Stage.Type]) -> StageRegistry { StageRegistry(types + more) }

    /// The registered names, in registration order.
    package var names: [String] { types.map { $0.name } }

    private func type(named name: String) -> (any Stage.Type)? {
        types.first { $0.name == name }
    }

    /// Reads a pipeline file, knowing these stages.
    package func loadPipeline(path: String) throws(ConfigError) -> PipelineConfig {
        try PipelineConfig.load(path: path, knownStages: names)
    }

    /// The pipeline's stages in order, each built from its section of the pipeline file.
    package func stages(for config: PipelineConfig) throws(ConfigError) -> [any Stage] {
        var stages: [any Stage] = []
        for name in config.stages {
            guard let type = type(named: name) else {
                throw ConfigError(
                    file: config.file,
                    line: config.stageLines[name],
                    message: SafeMessage(trusted: "unknown stage '\(name)' (known: \(names.joined(separator: ", ")))")
                )
            }
            stages.append(try type.configured(section: config.sections[name], file: config.file))
        }
        return stages
    }

    /// The parameter that records a stage's settings.
    package static func parameterKey(stage: String) -> String { "stage." + stage }

    /// The stages' settings as run parameters (JSON per stage; stages without settings record nothing).
    package static func parameters(for stages: [any Stage]) throws -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var parameters: [String: String] = [:]
        for stage in stages where !(stage.settings is NoSettings) {
            parameters[parameterKey(stage: stage.name)] = String(
                decoding: try encoder.encode(stage.settings),
                as: UTF8.self
            )
        }
        return parameters
    }

    /// A recorded run's stages, with the settings it recorded (defaults for a stage that recorded none).
    ///
    /// - Throws: ``ConfigError`` for a stage this build does not know or settings it cannot read.
    package func stages(recorded run: RunCheckpoint) throws(ConfigError) -> [any Stage] {
        let file = "run \(run.runID)"
        var stages: [any Stage] = []
        for checkpoint in run.stages {
            guard let type = type(named: checkpoint.stage) else {
                throw ConfigError(
                    file: file,
                    message: SafeMessage(trusted: "the run has a stage '\(checkpoint.stage)' this build does not know")
                )
            }
            stages.append(
                try type.recorded(settings: run.parameters[Self.parameterKey(stage: checkpoint.stage)], file: file)
            )
        }
        return stages
    }
}

extension Stage {
    /// The stage with the settings a run recorded (`nil`: none recorded, the defaults).
    fileprivate static func recorded(settings json: String?, file: String) throws(ConfigError) -> Self {
        guard let json else { return try configured(section: nil, file: file) }
        do {
            return Self(settings: try JSONDecoder().decode(Settings.self, from: Data(json.utf8)))
        } catch {
            throw ConfigError(
                file: file,
                message: SafeMessage(trusted: "the recorded settings of stage '\(name)' cannot be read")
            )
        }
    }
}
