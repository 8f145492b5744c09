import Foundation

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
/// load: {}                # optional: a stage's own settings, under its name (read by the stage)
/// ```
///
/// The pipeline file's own keys are read here; which stages exist is the caller's to say
/// (`knownStages`, the stage registry's names), and each stage's section is left unread for the stage.
package struct PipelineConfig: Sendable {
    package var name: String
    package var inbox: String
    package var archive: String
    package var rejected: String
    package var rules: String
    package var settleSeconds: Double
    package var maxRejectRate: Double
    package var metricsDirectory: String?
    package var stages: [String]
    /// The line of each stage in `stages`, for errors found after parsing.
    package var stageLines: [String: Int] = [:]
    /// Each stage's section of the file (the top-level key named after the stage), unread: the stage
    /// reads it strictly. A listed stage without a section has no entry.
    package var sections: [String: YAMLNode] = [:]
    /// Where the definition was read from.
    package var file: String

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

    /// The file's own keys; every other top-level key is a stage's section.
    package static let runWideKeys = [
        "name", "inbox", "archive", "rejected", "rules", "settle_seconds", "max_reject_rate", "metrics_dir", "stages",
    ]

    /// Reads a pipeline file; `knownStages` are the names a pipeline may list (and give a section).
    package static func load(path: String, knownStages: [String]) throws(ConfigError) -> PipelineConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(file: path, message: "cannot read the pipeline file")
        }
        return try parse(text, file: path, knownStages: knownStages)
    }

    package static func parse(
        _ text: String,
        file: String,
        knownStages: [String]
    ) throws(ConfigError)
        -> PipelineConfig
    {
        guard let root = try YAMLNode.parseConfig(text, file: file) else {
            throw ConfigError(file: file, message: "empty pipeline definition")
        }
        let what = "a pipeline definition"
        let mapping = try root.configMapping(what, file: file)
        try mapping.checkKeys(runWideKeys + knownStages, in: what, file: file)
        var config = PipelineConfig(
            name: try mapping.required("name", in: what, file: file).configString("name", file: file),
            file: file
        )
        let stageList = try mapping.required("stages", in: what, file: file)
        config.stages = try stageList.configStrings("stages", file: file)
        if case .sequence(let items) = stageList {
            for item in items where config.stageLines[item.string ?? ""] == nil {
                config.stageLines[item.string ?? ""] = item.mark.line
            }
        }
        for (key, value) in mapping {
            switch key.string {
            case "name", "stages": break
            case "inbox": config.inbox = try value.configString("inbox", file: file)
            case "archive": config.archive = try value.configString("archive", file: file)
            case "rejected": config.rejected = try value.configString("rejected", file: file)
            case "rules": config.rules = try value.configString("rules", file: file)
            case "settle_seconds": config.settleSeconds = try value.configNumber("settle_seconds", file: file)
            case "max_reject_rate": config.maxRejectRate = try value.configNumber("max_reject_rate", file: file)
            case "metrics_dir": config.metricsDirectory = try value.configOptionalString("metrics_dir", file: file)
            case let stage?:
                guard config.stages.contains(stage) else {
                    throw ConfigError(
                        file: file,
                        line: key.mark.line,
                        message: SafeMessage(trusted: "section '\(stage)' is for a stage 'stages' does not list")
                    )
                }
                config.sections[stage] = value
            case nil: break
            }
        }
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
                line: config.stageLines[stage],
                message: SafeMessage(
                    trusted: "unknown stage '\(stage)' (known: \(knownStages.joined(separator: ", ")))"
                )
            )
        }
        guard Set(config.stages).count == config.stages.count else {
            throw ConfigError(file: file, message: "a stage is listed twice")
        }
        return config
    }
}
