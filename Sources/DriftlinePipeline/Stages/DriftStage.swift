import DriftlineCore
import DriftlinePostgres
import Foundation
import Logging

/// The `drift` stage: evaluates the windows as of the run's date for every customer and stores the events
/// (``DriftService``), with the settings of the pipeline file's `drift` section (``DriftSettings``). Idempotent:
/// a rerun inserts nothing new and changes no stored event.
package struct DriftStage: Stage {
    package static let name = "drift"
    package let settings: DriftSettings

    package init(settings: DriftSettings = DriftSettings()) { self.settings = settings }

    package func run(_ context: StageContext) async throws -> StageOutcome {
        let settings = settings
        return try await DedicatedThread.run(name: "driftline-drift") {
            let service = DriftService(settings: settings, logger: context.logger, retry: context.retry)
            let outcome = try service.evaluate(
                asOf: context.asOf,
                customerID: nil,
                runID: context.runID,
                connections: ConnectionProvider(url: context.databaseURL)
            )
            return Self.outcome(outcome.summary)
        }
    }

    package func recordedOutcome(checkpoint: [String: Int64], context: StageContext) async throws -> StageOutcome {
        Self.outcome(checkpoint)
    }

    /// The run's share: events found and new, from the stage's counters.
    private static func outcome(_ counters: [String: Int64]) -> StageOutcome {
        let found = counters["events_found"] ?? 0
        let inserted = counters["events_inserted"] ?? 0
        return StageOutcome(
            summary: ["drift_events_found": found, "drift_events_inserted": inserted],
            headline: "drift events \(found) (\(inserted) new)",
            checkpoint: counters
        )
    }
}

/// The `drift` section, read strictly by ``DriftSettings/parse(_:file:)``.
extension DriftSettings: StageSettings {
    package static var keys: [String] { sectionKeys }

    package init(section: StageSection) throws(ConfigError) {
        self = try DriftSettings.parse(section.node, file: section.file)
    }
}
