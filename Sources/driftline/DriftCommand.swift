import ArgumentParser
import DriftlineCommandSupport
import DriftlineCore
import DriftlinePipeline
import DriftlinePostgres
import Foundation
import Logging

struct DriftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Payer drift: denial rate and decision time per customer × payer × CPT group.",
        subcommands: [Detect.self, List.self],
        defaultSubcommand: Detect.self
    )

    struct Detect: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "detect",
            abstract: "Evaluate the windows as of a date (or each day of a backfill), store and print the events.",
            discussion: """
                The current window is the `current_days` (30) days ending at the as-of date, the baseline the \
                `baseline_days` (90) days before it, by decision date. Settings come from the `drift` section \
                of --pipeline (defaults without one). Events already stored are kept as they are.
                """
        )

        @Option(help: "Pipeline definition whose `drift` section sets the windows and guards.")
        var pipeline: String?

        @Option(name: .customLong("as-of"), help: "The last day of the current window, YYYY-MM-DD (default: today).")
        var asOf: String?

        @Option(help: "Backfill: the first as-of date, YYYY-MM-DD (with --to).") var from: String?
        @Option(help: "Backfill: the last as-of date, YYYY-MM-DD (with --from).") var to: String?

        @Option(help: "One customer only (Benjamini–Hochberg then runs across its tests alone).")
        var customer: String?

        @Flag(help: "Print the events as JSON (keys are drift_events' columns).") var json = false

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            if (from == nil) != (to == nil) { throw ValidationError("--from and --to go together") }
            if from != nil, asOf != nil { throw ValidationError("--as-of or --from/--to, not both") }
        }

        func run() throws {
            let logger = logging.makeLogger()
            var settings = DriftSettings()
            var name: String?
            if let pipeline {
                do {
                    let config = try StageRegistry.standard.loadPipeline(path: pipeline)
                    settings = try DriftSettings.parse(config.sections[DriftStage.name], file: config.file)
                    name = config.name
                } catch {
                    try fail(.configuration, error, logger)
                }
            }
            let days: [Int32]
            if let from, let to {
                guard let first = CivilDate.parse(from), let last = CivilDate.parse(to) else {
                    throw ValidationError("--from and --to must be dates in YYYY-MM-DD form")
                }
                guard first <= last else { throw ValidationError("--from must not be after --to") }
                guard last - first < 3660 else { throw ValidationError("a backfill covers at most 3,660 days") }
                days = Array(first...last)
            } else {
                days = [try parseDate(asOf)]
            }
            let url = try databaseURL(logging)
            let service = DriftService(settings: settings, logger: logger)
            var records: [DriftEventRecord] = []
            var inserted = 0
            var testsRun = 0
            do {
                let connections = ConnectionProvider(url: url)
                let connection = try connections.connection()
                _ = try Migrator.migrate(connection)
                var parameters = try StageRegistry.parameters(for: [DriftStage(settings: settings)])
                if let name { parameters["name"] = name }
                if let customer { parameters["customer"] = customer }
                if days.count > 1 {
                    parameters["from"] = CivilDate.format(days.first!)
                    parameters["to"] = CivilDate.format(days.last!)
                }
                let runID = try RunStore.createRun(
                    pipeline: name.map { $0 + ".drift" } ?? "drift",
                    asOf: CivilDate.format(days.last!),
                    parameters: parameters,
                    stages: ["drift"],
                    on: connection
                )
                var runLogger = logger
                runLogger[metadataKey: "run"] = .safe(runID)
                runLogger[metadataKey: "stage"] = "drift"
                var runService = service
                runService.logger = runLogger
                try RunStore.startStage(runID: runID, stage: "drift", resetSummary: false, on: connection)
                var total: [String: Int64] = [:]
                do {
                    for day in days {
                        let outcome = try runService.evaluate(
                            asOf: day,
                            customerID: customer,
                            runID: runID,
                            connections: connections
                        )
                        records += outcome.records
                        inserted += outcome.inserted
                        testsRun += outcome.detection.testsRun
                        total.merge(outcome.summary, uniquingKeysWith: +)
                    }
                } catch {
                    let text = Self.reason(error)
                    if let connection = try? connections.connection() {
                        try? RunStore.failStage(runID: runID, stage: "drift", error: text.description, on: connection)
                        try? RunStore.finishRun(runID: runID, status: "failed", error: text.description, on: connection)
                    }
                    throw error
                }
                try RetryPolicy.default.runBlocking(logger: runLogger, operation: "checkpoint stage") { _ in
                    let connection = try connections.connection()
                    try connection.transaction {
                        try RunStore.finishStage(runID: runID, stage: "drift", summary: total, on: connection)
                    }
                    try RunStore.finishRun(runID: runID, status: "succeeded", error: nil, on: connection)
                }
            } catch {
                let status: ExitStatus =
                    if let error = error as? PostgresError,
                        error.kind == .connectionFailed || error.kind == .connectionLost || error.isTransient
                    {
                        .databaseUnavailable
                    } else {
                        .software
                    }
                try fail(status, Self.reason(error), logger)
            }
            if json {
                printDriftJSON(records)
            } else {
                printDriftTable(records, sparklines: terminalSparklines(records, url: url))
                let range = days.count == 1 ? CivilDate.format(days[0]) : "\(from!) … \(to!)"
                print("drift as of \(range): \(testsRun) tests, \(records.count) events (\(inserted) new)")
            }
        }

        /// What to print about `error`: PostgreSQL errors carry no server text; any other foreign error is
        /// named by its type only.
        static func reason(_ error: any Error) -> any LogSafe {
            switch error {
            case let error as PostgresError: error
            case let error as ConfigError: error
            default: SafeMessage(trusted: "internal error (\(type(of: error)))")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Stored drift events, newest current window first."
        )

        @Option(help: "Only this customer.") var customer: String?
        @Option(help: "Only this canonical payer id.") var payer: String?
        @Option(help: "Only events whose current window ends on or after this date, YYYY-MM-DD.") var since: String?
        @Option(help: "At most this many events.") var limit = 50
        @Option(help: "Only events with a smaller event_id (the next page: the last id printed).") var before: Int64?
        @Flag(help: "JSON for scripts (keys are drift_events' columns).") var json = false
        @OptionGroup var logging: LoggingOptions

        func run() throws {
            guard limit > 0 else { throw ValidationError("--limit must be positive") }
            var filter = DriftStore.Filter(customerID: customer, payer: payer, limit: limit)
            if let since {
                guard let day = CivilDate.parse(since) else { throw ValidationError("--since must be YYYY-MM-DD") }
                filter.since = day
            }
            filter.before = before
            let logger = logging.makeLogger()
            let url = try databaseURL(logging)
            let records: [DriftEventRecord]
            do {
                let connection = try PGConnection(url: url)
                _ = try Migrator.migrate(connection)
                // Each customer's page read under its tenant (row-level security), merged newest first.
                records = try connection.eachTenant(customer) { tenant in
                    var scoped = filter
                    scoped.customerID = tenant
                    return try DriftStore.list(scoped, on: connection)
                }
                .joined()
                .sorted { ($0.currentEnd, $0.eventID ?? Int64(0)) > ($1.currentEnd, $1.eventID ?? Int64(0)) }
                .prefix(limit).map { $0 }
            } catch let error as PostgresError {
                let unavailable = error.kind == .connectionFailed || error.kind == .connectionLost || error.isTransient
                try fail(unavailable ? .databaseUnavailable : .software, error, logger)
            } catch {
                try fail(.software, Detect.reason(error), logger)
            }
            if json { return printDriftJSON(records) }
            printDriftTable(records, showIDs: true, sparklines: terminalSparklines(records, url: url))
        }
    }
}

/// Ends the command: the message on stderr (or as a JSON log event with `--log-format json`), the exit status.
private func fail(_ status: ExitStatus, _ reason: some LogSafe, _ logger: Logger) throws -> Never {
    logger.error("drift failed", metadata: ["error": .safe(reason), "exit": .safe(status)])
    throw ExitCode(status.rawValue)
}

private func printDriftJSON(_ records: [DriftEventRecord]) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    if let data = try? encoder.encode(records) { print(String(decoding: data, as: UTF8.self)) }
}

/// The events as a table: customer, payer, group, type, before → after, change with its interval, q, severity.
private func printDriftTable(_ records: [DriftEventRecord], showIDs: Bool = false, sparklines: [String]? = nil) {
    guard !records.isEmpty else {
        print("no drift events")
        return
    }
    var rows: [[String]] = [
        (showIDs ? ["ID", "END"] : [])
            + ["CUSTOMER", "PAYER", "GROUP", "TYPE", "BEFORE → AFTER", "CHANGE [95% CI]", "Q", "SEVERITY"]
            + (sparklines == nil ? [] : ["WEEKLY (baseline│current)"])
    ]
    for (index, record) in records.enumerated() {
        let isRate = record.driftType == DriftType.denialRate.rawValue
        let before = isRate ? percent(record.baselineValue) : days(record.baselineValue)
        let after = isRate ? percent(record.currentValue) : days(record.currentValue)
        var change = isRate ? points(record.absChange) : signedDays(record.absChange)
        if let low = record.ciLow, let high = record.ciHigh {
            change += " [\(points(low, unit: false)), \(points(high, unit: false))]"
        }
        if let relative = record.relChange { change += " (\(String(format: "%+.0f%%", relative * 100)))" }
        rows.append(
            (showIDs ? [record.eventID.map { String($0) } ?? "-", record.currentEnd] : [])
                + [
                    record.customerID, record.payer, record.cptGroup.isEmpty ? "-" : record.cptGroup,
                    record.driftType, "\(before) → \(after)", change, String(format: "%.2g", record.qValue),
                    "\(record.severity) (\(record.direction))",
                ] + (sparklines.map { [$0[index]] } ?? [])
        )
    }
    var widths = [Int](repeating: 0, count: rows[0].count)
    for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
    for row in rows {
        var line = ""
        for (index, cell) in row.enumerated() {
            line += index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
        }
        print(line)
    }
}

private func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
private func days(_ value: Double) -> String { String(format: "%.1f d", value) }
private func signedDays(_ value: Double) -> String { String(format: "%+.1f d", value) }
private func points(_ value: Double, unit: Bool = true) -> String {
    String(format: "%+.1f", value * 100) + (unit ? " pts" : "")
}

/// One sparkline per event of its weekly series (``RunReportStore/weeks(of:on:)``), when stdout is a
/// terminal; `nil` otherwise (scripts and pipes get the plain table) or when the series cannot be read.
func terminalSparklines(_ records: [DriftEventRecord], url: String) -> [String]? {
    guard isatty(STDOUT_FILENO) == 1, !records.isEmpty, let connection = try? PGConnection(url: url) else { return nil }
    var lines: [String] = []
    for record in records {
        guard let weeks = try? RunReportStore.weeks(of: record, on: connection) else { return nil }
        lines.append(sparkline(weeks))
    }
    return lines
}

/// The weekly series as block characters, `│` where the current window starts; weeks with too few decided
/// claims are blanks (as in the report's charts).
func sparkline(_ weeks: [RunReport.Week]) -> String {
    Sparkline.render(
        weeks.map { $0.decided >= RunReportRenderer.minimumWeeklyClaims ? $0.value : nil },
        separator: weeks.firstIndex { $0.isCurrent }
    )
}
