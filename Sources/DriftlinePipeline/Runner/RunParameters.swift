import DriftlineCore
import Foundation

/// A run's parameters as recorded in `driftline.runs.parameters`, so `resume` and `rerun` run with the
/// settings the run started with: the pipeline file's run-wide keys (folders made absolute: the pipeline
/// file's paths are relative to the working directory, and a resume may start elsewhere) and each
/// stage's settings (``StageRegistry/parameters(for:)``).
package enum RunParameters {
    package static func record(_ config: PipelineConfig) -> [String: String] {
        var parameters = [
            "pipeline_file": absolute(config.file), "name": config.name, "inbox": absolute(config.inbox),
            "archive": absolute(config.archive), "rejected": absolute(config.rejected), "rules": absolute(config.rules),
            "settle_seconds": String(config.settleSeconds), "max_reject_rate": String(config.maxRejectRate),
            "stages": config.stages.joined(separator: ","),
        ]
        if let metrics = config.metricsDirectory { parameters["metrics_dir"] = absolute(metrics) }
        return parameters
    }

    /// The run-wide settings a run recorded.
    package static func config(from run: RunCheckpoint) -> PipelineConfig {
        let parameters = run.parameters
        var config = PipelineConfig(
            name: parameters["name"] ?? run.pipeline,
            file: parameters["pipeline_file"] ?? "<run>"
        )
        config.inbox = parameters["inbox"] ?? config.inbox
        config.archive = parameters["archive"] ?? config.archive
        config.rejected = parameters["rejected"] ?? config.rejected
        config.rules = parameters["rules"] ?? config.rules
        config.settleSeconds = parameters["settle_seconds"].flatMap(Double.init) ?? config.settleSeconds
        config.maxRejectRate = parameters["max_reject_rate"].flatMap(Double.init) ?? config.maxRejectRate
        config.metricsDirectory = parameters["metrics_dir"]
        config.stages = run.stages.map(\.stage)
        return config
    }

    private static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        return URL(
            fileURLWithPath: path,
            relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        )
        .standardizedFileURL.path
    }
}
