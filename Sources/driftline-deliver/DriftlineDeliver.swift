import ArgumentParser
import DriftlineCommandSupport
import DriftlineCore
import DriftlineDelivery
import DriftlinePipeline
import DriftlinePostgres
import Foundation
import Logging

/// Webhook delivery in a process of its own: the only executable that links the HTTP client (AsyncHTTPClient,
/// SwiftNIO, TLS), so the nightly load's `driftline` process maps none of it. `driftline alerts deliver` and the
/// `deliver` stage of `driftline run` start it next to themselves; it is not meant to be called by hand.
/// The database is `$DATABASE_URL`, which they set.
@main
struct DriftlineDeliver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "driftline-deliver",
        abstract: "Webhook delivery for driftline (run as `driftline alerts deliver` and by `driftline run`).",
        subcommands: [Send.self, StageCommand.self],
        defaultSubcommand: Send.self
    )

    /// Files the file channel writes may hold what an alert says: owner only, as `driftline` creates files.
    static func main() async {
        umask(0o077)
        await main(nil)
    }
}

/// Exit statuses shared with `driftline` (sysexits): 69 database unavailable, 76 dead-lettered, 78 configuration.
enum DeliverExit {
    static let databaseUnavailable: Int32 = 69
    static let internalError: Int32 = 70
    static let undelivered: Int32 = 76
    static let configuration: Int32 = 78

    static func fail(_ message: String, _ status: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("driftline: \(message)\n".utf8))
        return ExitCode(status)
    }

    static func databaseURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
            throw fail("DATABASE_URL is not set (run `driftline alerts deliver`)", databaseUnavailable)
        }
        return url
    }
}

/// `driftline alerts deliver`: sends the due outbox messages once.
struct Send: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: DeliverCommandHelp.abstract,
        discussion: DeliverCommandHelp.discussion
    )
    @Option(help: "The rules folder (alerts.yaml).") var rules = "rules"
    @Option(help: "A KEY=VALUE secrets file (mode 0600); default $DRIFTLINE_WEBHOOK_SECRETS_FILE.")
    var secrets: String?
    @Option(name: .customLong("file-channel"), help: "Folder for endpoints without a URL.") var fileChannel: String?
    @Option(name: .customLong("retry-schedule"), help: "Base delays before each retry, e.g. 5s,5m,30m,2h.")
    var retrySchedule: String?
    @Option(help: "Per-attempt timeout, e.g. 10s.") var timeout: String?
    @Option(help: "Wait for a retry that falls due within this long, e.g. 60s.") var linger: String?
    @Option(name: .customLong("breaker-failures"), help: "Failures in a row that pause an endpoint.")
    var breakerFailures: Int?
    @Option(name: .customLong("breaker-pause"), help: "How long a tripped endpoint pauses, e.g. 5m.")
    var breakerPause: String?
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.makeLogger()
        let book: AlertRuleBook
        do { book = try AlertRuleBook.load(directory: URL(fileURLWithPath: rules)) } catch {
            throw DeliverExit.fail("\(error)", DeliverExit.configuration)
        }
        let settings = try deliverySettings()
        let credentials: WebhookCredentials
        do {
            credentials = try WebhookCredentials.fromEnvironment(book: book, secretsFile: secrets)
        } catch {
            throw DeliverExit.fail("\(error)", DeliverExit.configuration)
        }
        let deliverer = WebhookDeliverer(
            book: book,
            credentials: credentials,
            settings: settings,
            fileChannel: URL(fileURLWithPath: settings.fileChannel)
        )
        let url = try DeliverExit.databaseURL()
        let summary: DeliverySummary
        do {
            summary = try await deliverer.run(databaseURL: url, logger: logger)
        } catch let error as PostgresError where error.kind == .connectionFailed || error.kind == .connectionLost {
            throw DeliverExit.fail("\(error)", DeliverExit.databaseUnavailable)
        }
        print(
            "delivered \(summary.delivered), filed \(summary.filed), retried \(summary.retried), "
                + "dead-lettered \(summary.deadLettered), pending \(summary.pending)"
        )
        if summary.deadLettered > 0 { throw ExitCode(DeliverExit.undelivered) }
    }

    private func deliverySettings() throws -> DeliverySettings {
        var settings = DeliverySettings()
        if let retrySchedule {
            guard let schedule = DeliverySettings.schedule(retrySchedule) else {
                throw ValidationError("--retry-schedule is a comma-separated list of durations such as 5s,5m,2h")
            }
            settings.retrySchedule = schedule
        }
        func seconds(_ text: String?, _ name: String) throws -> Double? {
            guard let text else { return nil }
            guard let value = DeliverySettings.duration(text) else {
                throw ValidationError("--\(name) is a duration such as 500ms, 10s or 5m")
            }
            return value
        }
        if let value = try seconds(timeout, "timeout") { settings.timeoutSeconds = value }
        if let value = try seconds(linger, "linger") { settings.lingerSeconds = value }
        if let value = try seconds(breakerPause, "breaker-pause") { settings.breakerPauseSeconds = value }
        if let breakerFailures { settings.breakerFailures = max(1, breakerFailures) }
        if let fileChannel { settings.fileChannel = fileChannel }
        return settings
    }
}

/// The `deliver` stage of a `driftline run` (``DeliverStage``), with the settings the run recorded: prints
/// the stage's checkpoint counters as one JSON object on stdout; logs on stderr with the run's fields.
struct StageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stage",
        abstract: "Run the deliver stage of a `driftline run` (started by it).",
        shouldDisplay: false
    )
    @Option(help: "The stage's settings (JSON, as the run recorded them).") var settings: String
    @Option(help: "The rules folder (alerts.yaml).") var rules: String
    @Option(name: .customLong("run-id"), help: "The run.") var runID: Int64
    @Option(help: "The pipeline's name.") var pipeline: String
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        var logger = logging.makeLogger()
        logger[metadataKey: "pipeline"] = "\(pipeline)"
        logger[metadataKey: "run"] = "\(runID)"
        logger[metadataKey: "stage"] = "\(DeliverStageSettings.stageName)"
        let decoded: DeliverStageSettings
        do {
            decoded = try JSONDecoder().decode(DeliverStageSettings.self, from: Data(settings.utf8))
        } catch {
            throw DeliverExit.fail("the deliver stage's settings are not readable", DeliverExit.configuration)
        }
        let context = StageContext(
            runID: runID,
            stage: DeliverStageSettings.stageName,
            config: PipelineConfig(name: pipeline, rules: rules),
            asOf: CivilDate.today(),
            databaseURL: try DeliverExit.databaseURL(),
            logger: logger,
            retry: .default
        )
        let outcome: StageOutcome
        do {
            outcome = try await DeliverStage(settings: decoded).run(context)
        } catch let error as ConfigError {
            throw DeliverExit.fail(error.description, DeliverExit.configuration)
        } catch let error as PostgresError {
            let unavailable = error.kind == .connectionFailed || error.kind == .connectionLost || error.isTransient
            throw DeliverExit.fail(
                error.description,
                unavailable ? DeliverExit.databaseUnavailable : DeliverExit.internalError
            )
        }
        let counts = try JSONEncoder().encode(outcome.checkpoint ?? [:])
        print(String(decoding: counts, as: UTF8.self))
    }
}
