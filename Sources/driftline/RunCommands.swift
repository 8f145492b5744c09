import ArgumentParser
import DriftlineCore
import DriftlinePipeline
import DriftlinePostgres
import Foundation
import Logging

struct RunCommand: ParsableCommand {
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

    func run() throws {
        let logger = logging.makeLogger()
        var config: PipelineConfig
        do { config = try PipelineConfig.load(path: pipeline) } catch {
            try finish(
                RunResult(runID: nil, status: .configuration, message: SafeMessage(trusted: error.description)),
                logging,
                logged: false
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
        let result = PipelineRunner(databaseURL: url, logger: logger, options: options).run(config: config, asOf: day)
        printSummary(result)
        try finish(result, logging, logged: true)
    }
}

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a failed or killed run from its first unfinished stage."
    )

    @Argument(help: "The run id (see `driftline runs`).") var runID: Int64
    @Option(help: "Wait up to SECONDS for the pipeline lock.") var wait: Double = 0
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        var options = PipelineRunner.Options()
        options.waitSeconds = wait
        options.showProgress = true
        let url = try databaseURL(logging)
        let result = PipelineRunner(databaseURL: url, logger: logging.makeLogger(), options: options).resume(
            runID: runID
        )
        printSummary(result)
        try finish(result, logging, logged: true)
    }
}

struct RerunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rerun",
        abstract: "Run one stage of an earlier run again."
    )

    @Argument(help: "The run id.") var runID: Int64
    @Option(help: "The stage to run again.") var stage: String
    @Flag(help: "Also run every stage after it.") var downstream = false
    @Option(help: "Wait up to SECONDS for the pipeline lock.") var wait: Double = 0
    @OptionGroup var logging: LoggingOptions

    func run() throws {
        var options = PipelineRunner.Options()
        options.waitSeconds = wait
        let url = try databaseURL(logging)
        let result = PipelineRunner(databaseURL: url, logger: logging.makeLogger(), options: options)
            .rerun(runID: runID, stage: stage, downstream: downstream)
        printSummary(result)
        try finish(result, logging, logged: true)
    }
}

/// The database to run against, or the end of the command (exit 69) when there is none.
func databaseURL(_ logging: LoggingOptions) throws -> String {
    do { return try Database.url() } catch {
        try finish(
            RunResult(runID: nil, status: .databaseUnavailable, message: SafeMessage(trusted: "\(error)")),
            logging,
            logged: false
        )
    }
}

/// Ends a run command with the result's exit code. The failure message goes to stderr as a plain
/// `driftline: …` line, except with `--log-format json`, where stderr holds only JSON events: there the
/// runner already logged it (`logged`), or it is logged here.
func finish(_ result: RunResult, _ logging: LoggingOptions, logged: Bool) throws -> Never {
    guard logging.format == .json, result.status != .ok else { try finish(result) }
    if !logged, let message = result.message {
        logging.makeLogger().error(
            "run failed",
            metadata: ["error": .safe(SafeText(message.description)), "exit": .safe(result.status)]
        )
    }
    throw ExitCode(result.status.rawValue)
}

/// The one-line summary on stdout, for people and scripts.
func printSummary(_ result: RunResult) {
    let summary = result.summary
    var line = "run \(result.runID.map(String.init) ?? "-"): exit \(result.status.rawValue)"
    if !summary.isEmpty {
        line += ", files loaded \(summary["files_loaded"] ?? 0), rejected \(summary["files_rejected"] ?? 0)"
        if let left = summary["files_left"], left > 0 { line += ", left in the inbox \(left)" }
        line +=
            ", rows read \(summary["rows_read"] ?? 0), loaded \(summary["rows_loaded"] ?? 0), rejected \(summary["rows_rejected"] ?? 0)"
    }
    print(line)
}
