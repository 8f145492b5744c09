import ArgumentParser
import DriftlineCore
import DriftlinePipeline
import DriftlinePostgres
import Foundation

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "Run history: stages, durations, counts and errors.",
        subcommands: [List.self, Show.self],
        defaultSubcommand: List.self
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Recent runs.")
        @Option(help: "How many runs.") var limit = 20
        @Flag(help: "JSON for scripts.") var json = false

        func run() throws {
            let runs = try withDatabase { connection in
                try Migrator.migrate(connection)
                return try RunStore.recent(limit: limit, on: connection)
            }
            if json { return printJSON(runs) }
            print("RUN  PIPELINE          STATUS     AS-OF       STARTED               DURATION  STAGES")
            for run in runs {
                let stages = run.stages.map { "\($0.stage):\($0.status)" }.joined(separator: " ")
                print(
                    pad(String(run.runID), 5) + pad(run.pipeline, 18)
                        + pad(run.abandoned ? "abandoned" : run.status, 11) + pad(run.asOf, 12)
                        + pad(run.startedAt, 22)
                        + pad(run.durationSeconds.map { String(format: "%.1fs", $0) } ?? "-", 10)
                        + stages
                )
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One run in detail.")
        @Argument(help: "The run id.") var runID: Int64
        @Flag(help: "JSON for scripts.") var json = false

        func run() throws {
            guard let run = try withDatabase({ connection in try RunStore.run(runID, on: connection) }) else {
                FileHandle.standardError.write(Data("driftline: no run with id \(runID)\n".utf8))
                throw ExitCode(ExitStatus.configuration.rawValue)
            }
            if json { return printJSON(run) }
            print("run \(run.runID)  pipeline \(run.pipeline)  status \(run.status)  as-of \(run.asOf)")
            if run.abandoned {
                print(
                    "its process (pid \(run.pid ?? 0) on this host) is gone: `driftline resume \(run.runID)` continues it"
                )
            }
            print("started \(run.startedAt)  finished \(run.finishedAt ?? "-")")
            if let error = run.error { print("error: \(error)") }
            for (key, value) in run.parameters.sorted(by: { $0.key < $1.key }) { print("  \(key) = \(value)") }
            print("")
            print("STAGE     STATUS     ATTEMPT  DURATION  SUMMARY")
            for stage in run.stages {
                let summary = stage.summary.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(
                    separator: " "
                )
                print(
                    pad(stage.stage, 10) + pad(stage.status.rawValue, 11) + pad(String(stage.attempt), 9)
                        + pad(stage.durationSeconds.map { String(format: "%.2fs", $0) } ?? "-", 10) + summary
                )
                if let error = stage.error { print("          error: \(error)") }
            }
            printDriftEvents(of: run)
        }
    }
}

/// Runs `body` on a connection; an unreachable database exits 69 like the run commands.
private func withDatabase<T>(_ body: (PGConnection) throws -> T) throws -> T {
    do {
        return try body(PGConnection(url: try Database.url()))
    } catch let error as PostgresError where error.kind == .connectionFailed || error.kind == .connectionLost {
        FileHandle.standardError.write(Data("driftline: \(error)\n".utf8))
        throw ExitCode(ExitStatus.databaseUnavailable.rawValue)
    }
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

private func printJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
}

/// The drift events of the run's as-of date, one line each; with a sparkline of the weekly series when
/// stdout is a terminal (plain text otherwise).
private func printDriftEvents(of run: RunStore.RunRecord) {
    guard
        let report = try? withDatabase({ connection in
            try RunReportStore.gather(runID: run.runID, on: connection)
        }), !report.drift.isEmpty
    else { return }
    let terminal = isatty(STDOUT_FILENO) == 1
    print("")
    print("DRIFT EVENTS (\(report.drift.count))")
    let events = report.drift.sorted { ($0.severityRank, $0.eventID) < ($1.severityRank, $1.eventID) }
    for event in events {
        let format: (Double) -> String =
            event.isDenialRate
            ? { String(format: "%.1f%%", $0 * 100) } : { String(format: "%.1f d", $0) }
        let group = event.cptGroup.isEmpty ? "-" : event.cptGroup
        var line =
            pad(event.customerID, 18) + pad(event.payer, 12) + pad(group, 16) + pad(event.driftType, 14)
            + pad("\(format(event.baselineValue)) → \(format(event.currentValue))", 18)
            + pad("\(event.severity) (\(event.direction))", 16)
        if terminal { line += sparkline(event.weeks) }
        while line.hasSuffix(" ") { line.removeLast() }
        print(line)
    }
}
