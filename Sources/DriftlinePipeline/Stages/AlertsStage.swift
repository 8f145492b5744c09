import DriftlineCore
import DriftlinePostgres
import Foundation
import Logging

/// Evaluates the drift events no alert rule has judged yet against `rules/alerts.yaml` (the run-wide rules
/// folder) and writes every outcome to `alert_events`, the notifications to the outbox; resolves what no longer
/// drifts at the run's as-of date. Idempotent (unique drift event × rule); takes no settings of its own.
package struct AlertsStage: Stage {
    package static let name = "alerts"
    package let settings: NoSettings

    package init(settings: NoSettings = NoSettings()) { self.settings = settings }

    package func run(_ context: StageContext) async throws -> StageOutcome {
        let book = try AlertRuleBook.load(directory: URL(fileURLWithPath: context.config.rules))
        let summary = try await DedicatedThread.run(name: "driftline-alerts") {
            try context.retry.runBlocking(logger: context.logger, operation: "evaluate alerts") { _ in
                try AlertStore.evaluate(
                    book: book,
                    asOf: context.asOf,
                    runID: context.runID,
                    on: try PGConnection(url: context.databaseURL)
                )
            }
        }
        if !summary.driftEventsTable {
            context.logger.notice("no driftline.drift_events table yet (no drift stage has run): nothing to evaluate")
        }
        var metadata: Logger.Metadata = [:]
        for (key, value) in summary.counts { metadata[key] = "\(value)" }
        context.logger.info("alerts evaluated", metadata: metadata)
        let suppressed = summary.suppressed.values.reduce(0, +)
        return StageOutcome(
            summary: [
                "alerts_notified": Int64(summary.notified), "alerts_suppressed": Int64(suppressed),
                "alerts_resolved": Int64(summary.resolved),
            ],
            headline: "alerts \(summary.notified), suppressed \(suppressed), resolved \(summary.resolved)",
            checkpoint: summary.counts.reduce(into: [String: Int64]()) {
                $0[$1.key.replacingOccurrences(of: ".", with: "_")] = $1.value
            }
        )
    }
}
