import ArgumentParser
import DriftlineCommandSupport
import DriftlineCore
import DriftlinePostgres
import Foundation
import Logging

/// `driftline alerts …`: evaluate drift events, deliver notifications, silences, feedback and history.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Alert evaluation and webhook delivery, silences, feedback and history.",
        discussion: """
            Exit codes: 0 ok, 69 database unavailable, 76 a notification was dead-lettered (see
            `alerts outbox --status dead`, replay with `alerts redeliver ID`), 78 bad alert rules or endpoint settings.
            """,
        subcommands: [
            Evaluate.self, Deliver.self, List.self, Silence.self, Silences.self, Expire.self, Feedback.self,
            Redeliver.self, Outbox.self,
        ]
    )

    /// A notification was dead-lettered or could not be delivered (sysexits' EX_PROTOCOL: the remote side).
    static let deliveryIncomplete: Int32 = 76
    /// Row-level security refused a silence for every customer to this login (sysexits' EX_NOPERM).
    static let notPermitted: Int32 = 77

    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evaluate",
            abstract: "Evaluate new drift events against rules/alerts.yaml and write alerts and the outbox."
        )
        @Option(help: "The rules folder (alerts.yaml).") var rules = "rules"
        @Option(name: .customLong("as-of"), help: "Drift was evaluated for this date: resolve what no longer drifts.")
        var asOf: String?
        @Option(help: "Only this customer.") var customer: String?
        @Flag(help: "JSON for scripts.") var json = false
        @OptionGroup var logging: LoggingOptions

        func run() throws {
            let logger = logging.makeLogger()
            let book = try loadBook(rules)
            let asOfDay = try asOf.map { text in try parseDate(text) }
            let summary = try withAlertsDatabase { connection in
                try AlertStore.evaluate(book: book, asOf: asOfDay, customer: customer, on: connection)
            }
            if !summary.driftEventsTable {
                logger.notice("no drift events table yet: nothing to evaluate")
            }
            var metadata: Logger.Metadata = [:]
            for (key, value) in summary.counts { metadata[key] = "\(value)" }
            logger.info("alerts evaluated", metadata: metadata)
            if json { return printAlertsJSON(summary.counts) }
            let suppressed = AlertSuppression.allCases.map { "\($0.rawValue) \(summary.suppressed[$0] ?? 0)" }
            print(
                "events \(summary.events), notify \(summary.notified), suppressed: "
                    + suppressed.joined(separator: ", ")
                    + "; messages \(summary.messages), resolved \(summary.resolved)"
            )
        }
    }

    struct Deliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "deliver",
            abstract: DeliverCommandHelp.abstract,
            discussion: DeliverCommandHelp.discussion
                + "\nRuns driftline-deliver (beside driftline: the only executable that links the HTTP client)."
        )
        @Argument(
            parsing: .captureForPassthrough,
            help: """
                --rules DIR, --secrets FILE, --file-channel DIR, --retry-schedule, --timeout, --linger, \
                --breaker-failures, --breaker-pause, --log-format, --verbose (driftline-deliver send --help)
                """
        )
        var options: [String] = []

        func run() async throws {
            let url = try databaseURLOrExit()
            try withAlertsDatabase { _ in }
            DeliveryProcess.exec(arguments: ["send"] + options, databaseURL: url)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Alert history, newest first.")
        @Option(help: "Only this customer.") var customer: String?
        @Option(help: "notify, suppressed, open (notified, not resolved) or resolved.") var status: String?
        @Option(help: "Created on or after this date (YYYY-MM-DD).") var since: String?
        @Option(help: "How many alerts.") var limit = 50
        @Option(help: "Older than this alert id (the next page).") var before: Int64?
        @Flag(help: "JSON for scripts.") var json = false

        func run() throws {
            if let status, !["notify", "suppressed", "open", "resolved"].contains(status) {
                throw ValidationError("--status is notify, suppressed, open or resolved")
            }
            let sinceDay = try since.map { text in try parseDate(text) }
            // Each customer's page read under its tenant (row-level security), merged newest first.
            let alerts = try withAlertsDatabase { connection in
                try connection.eachTenant(customer) { tenant in
                    try AlertStore.list(
                        customer: tenant,
                        status: status,
                        since: sinceDay,
                        limit: max(1, limit),
                        beforeID: before,
                        on: connection
                    )
                }
                .joined().sorted { $0.alertID > $1.alertID }.prefix(max(1, limit)).map { $0 }
            }
            if json { return printAlertsJSON(alerts) }
            print(
                "ALERT  CUSTOMER          PAYER       GROUP           TYPE           SEV     DIR     RULE          STATUS"
            )
            for alert in alerts {
                let status =
                    alert.status == "suppressed"
                    ? "suppressed (\(alert.reason ?? "?"))"
                    : alert.resolvedAsOf.map { "notify, resolved \($0)" } ?? "notify"
                print(
                    padded(String(alert.alertID), 7) + padded(alert.customerID, 18) + padded(alert.payer, 12)
                        + padded(alert.cptGroup, 16) + padded(alert.driftType, 15) + padded(alert.severity, 8)
                        + padded(alert.direction, 8) + padded(alert.ruleID, 14) + status
                )
            }
            if alerts.count == max(1, limit), let last = alerts.last {
                print("more: --before \(last.alertID)")
            }
        }
    }

    struct Silence: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "silence",
            abstract: "Suppress matching alerts until a date (recorded with your user name)."
        )
        @Option(help: "KEY=VALUE: payer, cpt_group, drift_type or direction (repeatable).") var match: [String] = []
        @Option(help: "Only this customer (default: every customer).") var customer: String?
        @Option(help: "Until this date (YYYY-MM-DD, exclusive: the silence ends at its start).") var until: String
        @Option(help: "Why (shown in `alerts silences`).") var reason: String

        func run() throws {
            var matchers: [String: String] = [:]
            for item in match {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, AlertSilence.matcherKeys.contains(parts[0]), !parts[1].isEmpty else {
                    throw ValidationError(
                        "--match is KEY=VALUE with KEY one of \(AlertSilence.matcherKeys.joined(separator: ", "))"
                    )
                }
                if parts[0] == "drift_type", DriftType(rawValue: parts[1]) == nil {
                    throw ValidationError("drift_type is denial_rate or decision_time")
                }
                if parts[0] == "direction", DriftDirection(rawValue: parts[1]) == nil {
                    throw ValidationError("direction is worse or better")
                }
                matchers[parts[0]] = parts[1]
            }
            guard !matchers.isEmpty || customer != nil else {
                throw ValidationError("a silence needs --customer or at least one --match")
            }
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--reason must say why")
            }
            let untilDay = try parseDate(until)
            let id = try withAlertsDatabase { connection in
                try asTenantOrBypass(customer, connection) {
                    try AlertStore.addSilence(
                        customerID: customer,
                        matchers: matchers,
                        until: untilDay,
                        reason: reason,
                        user: osUser(),
                        on: connection
                    )
                }
            }
            print("silence \(id) until \(CivilDate.format(untilDay))")
        }
    }

    struct Silences: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "silences", abstract: "Active silences.")
        @Flag(help: "Include expired and ended silences.") var all = false
        @Flag(help: "JSON for scripts.") var json = false

        func run() throws {
            // Each customer's own silences and the ones for every customer (which each tenant sees), once each.
            let silences = try withAlertsDatabase { connection in
                let pages = try connection.eachTenant(nil) { _ in
                    try AlertStore.silences(includeExpired: all, on: connection)
                }
                var byID: [Int64: AlertStore.SilenceRecord] = [:]
                for silence in pages.joined() { byID[silence.silenceID] = silence }
                return byID.values.sorted { $0.silenceID < $1.silenceID }
            }
            if json { return printAlertsJSON(silences) }
            print(
                "ID     CUSTOMER          MATCH                              UNTIL                   BY          REASON"
            )
            for silence in silences {
                let match = silence.matchers.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    .joined(separator: " ")
                print(
                    padded(String(silence.silenceID), 7) + padded(silence.customerID ?? "*", 18)
                        + padded(match.isEmpty ? "*" : match, 35) + padded(silence.endsAt, 24)
                        + padded(silence.createdBy, 12) + silence.reason
                        + (silence.expiredAt != nil ? " (expired by \(silence.expiredBy ?? "?"))" : "")
                )
            }
        }
    }

    struct Expire: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "expire", abstract: "End a silence now.")
        @Argument(help: "The silence id.") var id: Int64

        func run() throws {
            let expired = try withAlertsDatabase { connection in
                // Found under the first tenant that sees it; expired under its own customer's tenant.
                let owner = try connection.firstTenant { _ in
                    try connection.query(
                        "SELECT coalesce(customer_id, '') FROM driftline.alert_silences WHERE silence_id = $1",
                        [String(id)],
                        operation: "find silence"
                    ).scalar
                }
                guard let owner else { return false }
                return try asTenantOrBypass(owner.value.isEmpty ? nil : owner.value, connection) {
                    try AlertStore.expireSilence(id, user: osUser(), on: connection)
                }
            }
            guard expired else {
                FileHandle.standardError.write(Data("driftline: no active silence with id \(id)\n".utf8))
                throw ExitCode(65)
            }
            print("silence \(id) expired")
        }
    }

    struct Feedback: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "feedback",
            abstract: "Mark an alert noise (suppresses its customer/payer/group/type for feedback_days) or useful."
        )
        @Argument(help: "The alert id.") var alertID: Int64
        @Flag(help: "The alert was noise.") var noise = false
        @Flag(help: "The alert was useful.") var useful = false
        @Option(help: "The rules folder (alerts.yaml: feedback_days).") var rules = "rules"

        func validate() throws {
            guard noise != useful else { throw ValidationError("give exactly one of --noise or --useful") }
        }

        func run() throws {
            let book = try loadBook(rules)
            // Recorded under the tenant of the customer whose alert it is (the first that sees it).
            let id = try withAlertsDatabase { connection in
                try connection.firstTenant { _ in
                    try AlertStore.addFeedback(
                        alertID: alertID,
                        noise: noise,
                        noiseDays: book.feedbackDays,
                        user: osUser(),
                        on: connection
                    )
                }?.value
            }
            guard let id else {
                FileHandle.standardError.write(Data("driftline: no alert with id \(alertID)\n".utf8))
                throw ExitCode(65)
            }
            print(
                "feedback \(id): alert \(alertID) "
                    + (noise ? "noise (matching alerts suppressed for \(book.feedbackDays) days)" : "useful")
            )
        }
    }

    struct Redeliver: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "redeliver",
            abstract: "Put a dead-lettered message back in the outbox (same webhook-id); `alerts deliver` sends it."
        )
        @Argument(help: "The message id (msg_…, see `alerts outbox --status dead`).") var messageID: String
        @Flag(name: .customLong("enable-endpoint"), help: "Also re-enable its endpoint if a 410 disabled it.")
        var enableEndpoint = false

        func run() throws {
            let done = try withAlertsDatabase { connection in
                try connection.transaction {
                    if enableEndpoint,
                        let endpoint = try connection.query(
                            "SELECT endpoint FROM driftline.outbox WHERE message_id = $1",
                            [messageID],
                            operation: "find message"
                        ).scalar
                    {
                        _ = try OutboxStore.enableEndpoint(endpoint, on: connection)
                    }
                    return try OutboxStore.redeliver(messageID, on: connection)
                }
            }
            guard done else {
                FileHandle.standardError.write(Data("driftline: no dead-lettered message with that id\n".utf8))
                throw ExitCode(65)
            }
            print("message queued again; run `driftline alerts deliver`")
        }
    }

    struct Outbox: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "outbox", abstract: "Outbox messages.")
        @Option(help: "pending, delivered or dead.") var status: String?
        @Option(help: "How many.") var limit = 50
        @Flag(help: "JSON for scripts.") var json = false

        struct Row: Codable {
            var message_id: String
            var endpoint: String
            var customer_id: String
            var event_type: String
            var status: String
            var attempts: Int
            var next_attempt_at: String
            var last_error: String?
        }

        func run() throws {
            let rows = try withAlertsDatabase { connection in
                try connection.query(
                    """
                    SELECT message_id, endpoint, customer_id, event_type, status, attempts, next_attempt_at::text,
                           last_error
                    FROM driftline.outbox WHERE ($1::text IS NULL OR status = $1)
                    ORDER BY created_at DESC, message_id LIMIT $2
                    """,
                    [status, String(max(1, limit))],
                    operation: "list outbox"
                ).rows
            }.map { row in
                Row(
                    message_id: row[0] ?? "",
                    endpoint: row[1] ?? "",
                    customer_id: row[2] ?? "",
                    event_type: row[3] ?? "",
                    status: row[4] ?? "",
                    attempts: Int(row[5] ?? "") ?? 0,
                    next_attempt_at: row[6] ?? "",
                    last_error: row[7]
                )
            }
            if json { return printAlertsJSON(rows) }
            print(
                "MESSAGE                               ENDPOINT      CUSTOMER          TYPE            STATUS     TRIES  ERROR"
            )
            for row in rows {
                print(
                    padded(row.message_id, 38) + padded(row.endpoint, 14) + padded(row.customer_id, 18)
                        + padded(row.event_type, 16) + padded(row.status, 11) + padded(String(row.attempts), 7)
                        + (row.last_error ?? "")
                )
            }
        }
    }
}

/// The alert rules, or exit 78 naming file, line and rule id.
private func loadBook(_ rules: String) throws -> AlertRuleBook {
    do {
        return try AlertRuleBook.load(directory: URL(fileURLWithPath: rules))
    } catch {
        FileHandle.standardError.write(Data("driftline: \(error)\n".utf8))
        throw ExitCode(78)
    }
}

private func databaseURLOrExit() throws -> String {
    do { return try Database.url() } catch {
        FileHandle.standardError.write(Data("driftline: the database is unavailable\n".utf8))
        throw ExitCode(69)
    }
}

/// Runs `body` on a migrated connection; an unreachable database exits 69.
private func withAlertsDatabase<T>(_ body: (PGConnection) throws -> T) throws -> T {
    do {
        let connection = try PGConnection(url: try databaseURLOrExit())
        try Migrator.migrate(connection)
        return try body(connection)
    } catch let error as PostgresError where error.kind == .connectionFailed || error.kind == .connectionLost {
        FileHandle.standardError.write(Data("driftline: \(error)\n".utf8))
        throw ExitCode(69)
    }
}

/// Runs `body` under `customer`'s tenant or, for a silence of every customer (`customer` nil), as the connecting
/// login outside any tenant: the policies let no tenant write a row without a customer, so only a login that
/// bypasses row-level security (a superuser, as the embedded cluster connects) may; under `driftline_loader`
/// that is refused with exit 77 (EX_NOPERM), naming what to do instead.
private func asTenantOrBypass<T>(_ customer: String?, _ connection: PGConnection, _ body: () throws -> T) throws -> T {
    if let customer { return try connection.withTenant(customer, body) }
    do {
        return try connection.transaction(body)
    } catch let error as PostgresError where error.sqlState == "42501" {
        FileHandle.standardError.write(
            Data(
                """
                driftline: a silence for every customer is written outside any tenant, which row-level security \
                allows only a login that bypasses it (the database superuser); as \(TenantRole.loader) give \
                --customer ID (once per customer)\n
                """.utf8
            )
        )
        throw ExitCode(AlertsCommand.notPermitted)
    }
}

/// The OS user running the command: who silences, expires and gives feedback.
private func osUser() -> String {
    if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
    return ProcessInfo.processInfo.environment["USER"] ?? "uid \(geteuid())"
}

private func padded(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

private func printAlertsJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
}
