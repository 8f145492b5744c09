import ArgumentParser
import DriftlineCommandSupport
import DriftlineCore
import DriftlinePipeline
import DriftlinePostgres
import Foundation
import Logging

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline over the inbox (a new run)."
    )

    @Option(help: "Pipeline definition (YAML).")
    var pipeline = "pipelines/nightly.yaml"

    @Option(name: .customLong("as-of"), help: "The run's business date, YYYY-MM-DD (default: today, UTC).")
    var asOf: String?

    @Option(help: "Override the pipeline's inbox folder.") var inbox: String?
    @Option(help: "Override the pipeline's archive folder.") var archive: String?
    @Option(help: "Override the pipeline's rejected folder.") var rejected: String?
    @Option(help: "Override the pipeline's rules folder.") var rules: String?
    @Option(name: .customLong("settle-seconds"), help: "Override settle_seconds.") var settleSeconds: Double?

    @Flag(help: "Load only, alongside other workers and without the pipeline lock.")
    var worker = false

    @Option(help: "Wait up to SECONDS for another run of the pipeline to finish instead of exiting 75.")
    var wait: Double = 0

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.makeLogger()
        var config: PipelineConfig
        do { config = try StageRegistry.commandLine.loadPipeline(path: pipeline) } catch {
            try finish(
                RunOutcome(
                    runID: nil,
                    status: .failed(.configuration),
                    message: SafeMessage(trusted: error.description)
                ),
                logging,
                fromRunner: false
            )
        }
        if let inbox { config.inbox = inbox }
        if let archive { config.archive = archive }
        if let rejected { config.rejected = rejected }
        if let rules { config.rules = rules }
        if let settleSeconds { config.settleSeconds = settleSeconds }
        let day = try parseDate(asOf)
        let url = try databaseURL(logging)
        var options = PipelineRunner.Options()
        options.worker = worker
        options.waitSeconds = wait
        options.showProgress = true
        let outcome = await PipelineRunner(databaseURL: url, registry: .commandLine, logger: logger, options: options)
            .run(config: config, asOf: day)
        printSummary(outcome)
        try finish(outcome, logging, fromRunner: true)
    }
}

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a failed or killed run from its first unfinished stage."
    )

    @Argument(help: "The run id (see `driftline runs`).") var runID: Int64
    @Option(help: "Wait up to SECONDS for the pipeline lock.") var wait: Double = 0
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        var options = PipelineRunner.Options()
        options.waitSeconds = wait
        options.showProgress = true
        let url = try databaseURL(logging)
        let outcome = await PipelineRunner(
            databaseURL: url,
            registry: .commandLine,
            logger: logging.makeLogger(),
            options: options
        )
        .resume(runID: runID)
        printSummary(outcome)
        try finish(outcome, logging, fromRunner: true)
    }
}

struct RerunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerun",
        abstract: "Run one stage of an earlier run again."
    )

    @Argument(help: "The run id.") var runID: Int64
    @Option(help: "The stage to run again.") var stage: String
    @Flag(help: "Also run every stage after it.") var downstream = false
    @Option(help: "Wait up to SECONDS for the pipeline lock.") var wait: Double = 0
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        var options = PipelineRunner.Options()
        options.waitSeconds = wait
        let url = try databaseURL(logging)
        let outcome = await PipelineRunner(
            databaseURL: url,
            registry: .commandLine,
            logger: logging.makeLogger(),
            options: options
        )
        .rerun(runID: runID, stage: stage, downstream: downstream)
        printSummary(outcome)
        try finish(outcome, logging, fromRunner: true)
    }
}

/// The database to run against, or the end of the command (exit 69) when there is none.
func databaseURL(_ logging: LoggingOptions) throws -> String {
    do { return try Database.url() } catch {
        try finish(
            RunOutcome(runID: nil, status: .failed(.databaseUnavailable), message: SafeMessage(trusted: "\(error)")),
            logging,
            fromRunner: false
        )
    }
}

/// Ends a run command with the exit code of its outcome.
///
/// The end of a run the runner started is an event (`run finished` with the summary counters, or
/// `run failed`); a failure's message also goes to stderr as a plain `driftline: …` line, except with
/// `--log-format json`, where stderr holds only JSON events (a failure before the runner started is
/// then logged as an event too).
func finish(_ outcome: RunOutcome, _ logging: LoggingOptions, fromRunner: Bool) throws -> Never {
    let status = ExitStatus(outcome.status)
    var logger = logging.makeLogger()
    if let runID = outcome.runID { logger[metadataKey: "run"] = .safe(runID) }
    if let pipeline = outcome.pipeline { logger[metadataKey: "pipeline"] = .safe(SafeText(configuration: pipeline)) }
    if case .finished(let verdict) = outcome.status {
        var metadata: Logger.Metadata = ["status": .safe(verdict), "exit": .safe(status)]
        for (key, value) in outcome.summary {
            metadata[key.replacingOccurrences(of: "_", with: ".")] = .safe(value)
        }
        metadata["duration_ms"] = .safe(Int(outcome.durationSeconds * 1000))
        logger.notice("run finished", metadata: metadata)
        throw ExitCode(status.rawValue)
    }
    let message = outcome.message ?? "failed"
    if fromRunner || logging.format == .json {
        logger.error("run failed", metadata: ["error": .safe(message), "exit": .safe(status)])
    }
    if logging.format != .json {
        FileHandle.standardError.write(Data("driftline: \(message)\n".utf8))
    }
    throw ExitCode(status.rawValue)
}

/// The one-line summary on stdout, for people and scripts: the run, its exit code, each stage's words.
func printSummary(_ outcome: RunOutcome) {
    let line =
        ["run \(outcome.runID.map(String.init) ?? "-"): exit \(ExitStatus(outcome.status).rawValue)"]
        + outcome.headlines.map(\.description)
    print(line.joined(separator: ", "))
}
