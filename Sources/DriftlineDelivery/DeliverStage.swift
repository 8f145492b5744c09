import DriftlineCore
import DriftlinePipeline
import Foundation
import Logging

/// Sends the outbox's due notifications (``WebhookDeliverer``); its section of the pipeline file is
/// ``DeliverySettings``' `deliver:` section, plus `secrets_file`. A dead-lettered notification makes the run's
/// verdict ``StageVerdict/undelivered`` (exit 76).
///
/// It lives here, not in `DriftlinePipeline`, so that only the command line links the HTTP client; the command
/// line registers it (``StageRegistry/adding(_:)``).
package struct DeliverStage: Stage {
    package struct Settings: StageSettings {
        package static let keys = DeliverySettings.keys + ["secrets_file"]
        package var delivery: DeliverySettings
        /// A `KEY=VALUE` secrets file (mode 0600); else `$DRIFTLINE_WEBHOOK_SECRETS_FILE`.
        package var secretsFile: String?

        package init(delivery: DeliverySettings = DeliverySettings(), secretsFile: String? = nil) {
            self.delivery = delivery
            self.secretsFile = secretsFile
        }

        package init(section: StageSection) throws(ConfigError) {
            secretsFile = try section.value("secrets_file").map { node throws(ConfigError) in
                try node.configString("secrets_file", file: section.file)
            }
            var node = section.node
            if case .mapping(var mapping) = node {
                mapping.pairs.removeAll { $0.key.string == "secrets_file" }
                node = .mapping(mapping)
            }
            delivery = try DeliverySettings.parse(node, file: section.file)
        }
    }

    package static let name = "deliver"
    package let settings: Settings

    package init(settings: Settings = Settings()) { self.settings = settings }

    package func run(_ context: StageContext) async throws -> StageOutcome {
        let book = try AlertRuleBook.load(directory: URL(fileURLWithPath: context.config.rules))
        let environment = ProcessInfo.processInfo.environment
        let credentials: WebhookCredentials
        do {
            credentials = try WebhookCredentials.load(
                book: book,
                environment: environment,
                secretsFile: settings.secretsFile ?? environment["DRIFTLINE_WEBHOOK_SECRETS_FILE"]
            )
        } catch {
            throw ConfigError(file: "webhook endpoints", message: SafeMessage(trusted: error.description))
        }
        let deliverer = WebhookDeliverer(
            book: book,
            credentials: credentials,
            settings: settings.delivery,
            fileChannel: URL(fileURLWithPath: settings.delivery.fileChannel)
        )
        let summary = try await deliverer.run(databaseURL: context.databaseURL, logger: context.logger)
        return StageOutcome(
            verdict: summary.deadLettered > 0 ? .undelivered : .ok,
            summary: ["notifications_undelivered": Int64(summary.deadLettered)],
            headline: """
                notifications delivered \(summary.delivered + summary.filed), dead-lettered \(summary.deadLettered), \
                pending \(summary.pending)
                """,
            checkpoint: summary.counts.reduce(into: [String: Int64]()) {
                $0[$1.key.replacingOccurrences(of: ".", with: "_")] = $1.value
            }
        )
    }

    package func recordedOutcome(checkpoint: [String: Int64], context: StageContext) async throws -> StageOutcome {
        let dead = checkpoint["deliver_dead_lettered"] ?? 0
        return StageOutcome(verdict: dead > 0 ? .undelivered : .ok, summary: ["notifications_undelivered": dead])
    }
}
