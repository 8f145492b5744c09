import DriftlineCore
import DriftlinePipeline
import Foundation
import Logging

/// Sends the outbox's due notifications (``WebhookDeliverer``); its section of the pipeline file is
/// ``DeliverySettings``' `deliver:` section, plus `secrets_file`. A dead-lettered notification makes the run's
/// verdict ``StageVerdict/undelivered`` (exit 76).
///
/// It lives here, not in `DriftlinePipeline`, so that only `driftline-deliver` links the HTTP client: `driftline
/// run` registers a stage of the same name that runs this one in that process (the tests link it directly).
package struct DeliverStage: Stage {
    package typealias Settings = DeliverStageSettings

    package static let name = DeliverStageSettings.stageName
    package let settings: Settings

    package init(settings: Settings = Settings()) { self.settings = settings }

    package func run(_ context: StageContext) async throws -> StageOutcome {
        let book = try AlertRuleBook.load(directory: URL(fileURLWithPath: context.config.rules))
        let credentials: WebhookCredentials
        do {
            credentials = try WebhookCredentials.fromEnvironment(book: book, secretsFile: settings.secretsFile)
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
        let counts = summary.counts.reduce(into: [String: Int64]()) {
            $0[$1.key.replacingOccurrences(of: ".", with: "_")] = $1.value
        }
        return .delivery(counts: counts, headline: true)
    }

    package func recordedOutcome(checkpoint: [String: Int64], context: StageContext) async throws -> StageOutcome {
        .delivery(counts: checkpoint, headline: false)
    }
}
