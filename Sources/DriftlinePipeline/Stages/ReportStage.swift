import DriftlineCore
import DriftlinePostgres
import Foundation
import Logging

/// Sums up the run from what committed (`uploads` of this run, stage checkpoints) and, when
/// `metrics_dir` is configured, writes the Prometheus textfile. Idempotent. Takes no settings of its
/// own; its counters go to its checkpoint, not to the run's summary (the load stage's are those).
package struct ReportStage: Stage {
    package static let name = "report"
    package let settings: NoSettings

    package init(settings: NoSettings = NoSettings()) { self.settings = settings }

    package func run(_ context: StageContext) async throws -> StageOutcome {
        try await DedicatedThread.run(name: "driftline-report") {
            StageOutcome(checkpoint: try report(context, connection: try PGConnection(url: context.databaseURL)))
        }
    }

    private func report(_ context: StageContext, connection: PGConnection) throws -> [String: Int64] {
        let totals = try connection.query(
            """
            SELECT count(*) FILTER (WHERE status = 'loaded'), count(*) FILTER (WHERE status = 'rejected'),
                   coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0), coalesce(sum(rows_rejected), 0),
                   coalesce(sum(size_bytes), 0)
              FROM driftline.uploads WHERE run_id = $1
            """,
            [String(context.runID)],
            operation: "sum up run"
        ).first!
        let summary: [String: Int64] = [
            "files_loaded": Int64(totals[0]!)!, "files_rejected": Int64(totals[1]!)!,
            "rows_read": Int64(totals[2]!)!, "rows_loaded": Int64(totals[3]!)!,
            "rows_rejected": Int64(totals[4]!)!, "bytes": Int64(totals[5]!)!,
        ]
        CrashPoint.reach("report.write")
        if let directory = context.config.metricsDirectory {
            try writeMetrics(directory: directory, summary: summary, context: context, on: connection)
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
