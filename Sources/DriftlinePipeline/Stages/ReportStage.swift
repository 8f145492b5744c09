import DriftlineCore
import DriftlinePostgres
import Foundation
import Logging

/// Sums up the run from what committed (`uploads` of this run, stage checkpoints), writes the Prometheus
/// textfile when `metrics_dir` is configured, and the run's HTML report (``RunReportRenderer``) as
/// `run-<id>.html` in its section's `html_dir` (default: beside the metrics textfile). Idempotent. Its
/// counters go to its checkpoint, not to the run's summary (the load stage's are those).
package struct ReportStage: Stage {
    /// `report: {html_dir: reports}`: the folder of the run's HTML page, relative to the working directory.
    package struct Settings: StageSettings {
        package static let keys = ["html_dir"]
        /// `nil`: the run's `metrics_dir` (no page when neither is set).
        package var htmlDirectory: String?

        package init(htmlDirectory: String? = nil) { self.htmlDirectory = htmlDirectory }

        package init(section: StageSection) throws(ConfigError) {
            guard try section.value("html_dir") != nil else { return }
            let directory = try section.string("html_dir", default: "")
            guard !directory.isEmpty, !directory.contains("\0") else {
                throw try section.invalid("html_dir", "'html_dir' must be a folder name")
            }
            htmlDirectory = directory
        }
    }

    package static let name = "report"
    package let settings: Settings

    package init(settings: Settings = Settings()) { self.settings = settings }

    /// The page's path for run `runID`, or `nil` when no folder is configured.
    package func pagePath(runID: Int64, config: PipelineConfig) -> String? {
        guard let directory = settings.htmlDirectory ?? config.metricsDirectory else { return nil }
        let absolute =
            directory.hasPrefix("/")
            ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        return URL(fileURLWithPath: absolute).standardizedFileURL.path + "/run-\(runID).html"
    }

    package func run(_ context: StageContext) async throws -> StageOutcome {
        try await DedicatedThread.run(name: "driftline-report") {
            StageOutcome(checkpoint: try report(context, connection: try PGConnection(url: context.databaseURL)))
        }
    }

    private func report(_ context: StageContext, connection: PGConnection) throws -> [String: Int64] {
        // One customer at a time with the tenant set: the sums read `uploads` under row-level security.
        let totals = try UploadTotals.forRun(context.runID, on: connection)
        let summary: [String: Int64] = [
            "files_loaded": totals.filesLoaded, "files_rejected": totals.filesRejected,
            "rows_read": totals.rowsRead, "rows_loaded": totals.rowsLoaded,
            "rows_rejected": totals.rowsRejected, "bytes": totals.bytes,
        ]
        CrashPoint.reach("report.write")
        if let directory = context.config.metricsDirectory {
            try writeMetrics(directory: directory, summary: summary, context: context, on: connection)
        }
        if let path = pagePath(runID: context.runID, config: context.config) {
            let directory = (path as NSString).deletingLastPathComponent
            if var report = try RunReportStore.gather(
                runID: context.runID,
                links: RunReportStore.Links(pageDirectory: directory),
                on: connection
            ) {
                report.run.markFinishing(stage: Self.name, at: report.generatedAt)
                // Aggregates only, no PHI: readable by the operator's tools like the metrics textfile.
                try FileMover.makeDirectory(directory, mode: 0o755)
                try FileMover.writeAtomically(Data(RunReportRenderer.html(report).utf8), to: path, mode: 0o644)
                context.logger.info("run report written", metadata: ["path": .safe(SafeText(configuration: path))])
            }
        }
        return summary
    }

    private func writeMetrics(
        directory: String,
        summary: [String: Int64],
        context: StageContext,
        on connection: PGConnection
    ) throws {
        let stages = try RunStore.run(context.runID, on: connection)?.stages ?? []
        var metrics = MetricsTextfile()
        let pipeline = [("pipeline", context.config.name)]
        metrics.add(
            "driftline_last_success_timestamp_seconds",
            Date().timeIntervalSince1970.rounded(),
            help: "Unix time of the last successful run",
            labels: pipeline
        )
        metrics.add("driftline_last_run_id", Double(context.runID), help: "Id of the last run", labels: pipeline)
        for stage in stages {
            metrics.add(
                "driftline_stage_duration_seconds",
                stage.durationSeconds ?? 0,
                help: "Duration of each stage in the last run",
                labels: pipeline + [("stage", stage.stage)]
            )
        }
        for (key, help) in [
            ("rows_read", "Rows read in the last run"), ("rows_loaded", "Rows loaded in the last run"),
            ("rows_rejected", "Rows rejected in the last run"), ("files_loaded", "Files loaded in the last run"),
            ("files_rejected", "Files rejected as a whole in the last run"),
        ] {
            metrics.add("driftline_\(key)", Double(summary[key] ?? 0), help: help, labels: pipeline)
        }
        try metrics.write(toDirectory: directory)
    }
}
