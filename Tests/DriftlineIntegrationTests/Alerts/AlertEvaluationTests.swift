import DriftlineCore
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// `alerts evaluate` on a real database: every outcome recorded, idempotent, race-free, resolved once.
@Suite(.enabled(if: TestDatabase.isAvailable))
struct AlertEvaluationTests {
    static let book = try! AlertRuleBook.parse(
        yaml: """
            feedback_days: 30
            endpoints:
              default: {owner: operator}
              acme: {customer: acme-clinic}
            rules:
              - id: operator
                match: {min_severity: medium}
                channels: [default]
                cooldown_days: 7
              - id: acme-own
                match: {customers: [acme-clinic], direction: worse}
                channels: [acme]
                cooldown_days: 0
                grouping: event
            """,
        file: "alerts.yaml"
    )

    static func rows(_ database: TestDatabase) throws -> [[String?]] {
        try database.rows(
            """
            SELECT drift_event_id::text, rule_id, status, coalesce(reason, '')
            FROM driftline.alert_events ORDER BY drift_event_id, rule_id
            """
        )
    }

    @Test func everyOutcomeIsRecordedAndTheOutboxWrittenWithIt() throws {
        let database = try TestDatabase()
        let connection = try database.connect()
        let notify = try DriftEvents.insert(connection, payer: "AETNA")
        let low = try DriftEvents.insert(connection, customer: "lakeview-health", payer: "UHC", severity: "low")
        let silenced = try DriftEvents.insert(connection, customer: "lakeview-health", payer: "CIGNA")
        _ = try AlertStore.addSilence(
            customerID: "lakeview-health",
            matchers: ["payer": "CIGNA"],
            until: CivilDate.today() + 3,
            reason: "payer outage",
            user: "tester",
            on: connection
        )
        let summary = try AlertStore.evaluate(book: Self.book, asOf: nil, on: connection)
        #expect(summary.events == 3)
        #expect(
            try Self.rows(database) == [
                [String(notify), "acme-own", "notify", ""],
                [String(notify), "operator", "notify", ""],
                [String(low), "operator", "suppressed", "below_severity"],
                [String(silenced), "operator", "suppressed", "silenced"],
            ]
        )
        // acme-own groups per event, operator per customer: two messages for acme-clinic, none for lakeview.
        let messages = try database.rows(
            "SELECT endpoint, customer_id, event_type, cardinality(alert_ids) FROM driftline.outbox ORDER BY endpoint"
        )
        #expect(
            messages == [["acme", "acme-clinic", "drift.alert", "1"], ["default", "acme-clinic", "drift.alert", "1"]]
        )
        // Evaluating again finds nothing new and writes nothing.
        let again = try AlertStore.evaluate(book: Self.book, asOf: nil, on: connection)
        #expect(again.events == 0 && again.messages == 0)
        #expect(try database.int("SELECT count(*) FROM driftline.alert_events") == 4)
        #expect(try database.int("SELECT count(*) FROM driftline.outbox") == 2)
    }

    @Test func noMatchingRuleCooldownAndFeedback() throws {
        let database = try TestDatabase()
        let connection = try database.connect()
        // lakeview, better, low: no rule's scope matches (operator wants medium+ → that is below_severity, so
        // use a book whose only rule wants worse).
        let worseOnly = try AlertRuleBook.parse(
            yaml: """
                endpoints: {default: {owner: operator}}
                rules:
                  - id: worse
                    match: {direction: worse}
                    channels: [default]
                    cooldown_days: 7
                """,
            file: "alerts.yaml"
        )
        let better = try DriftEvents.insert(connection, customer: "lakeview-health", direction: "better")
        let first = try DriftEvents.insert(connection, payer: "UHC", currentEnd: "2026-11-01")
        _ = try AlertStore.evaluate(book: worseOnly, asOf: nil, on: connection)
        let second = try DriftEvents.insert(connection, payer: "UHC", currentEnd: "2026-11-05")
        _ = try AlertStore.evaluate(book: worseOnly, asOf: nil, on: connection)
        let third = try DriftEvents.insert(connection, payer: "UHC", currentEnd: "2026-11-09")
        // Noise feedback on the first alert suppresses the rest of the triple.
        let firstAlert = try #require(
            Int64(
                try database.scalar(
                    "SELECT alert_id::text FROM driftline.alert_events WHERE drift_event_id = $1",
                    [String(first)]
                ) ?? ""
            )
        )
        let feedback = try AlertStore.addFeedback(
            alertID: firstAlert,
            noise: true,
            noiseDays: 30,
            user: "tester",
            on: connection
        )
        #expect(feedback != nil)
        _ = try AlertStore.evaluate(book: worseOnly, asOf: nil, on: connection)
        #expect(
            try Self.rows(database) == [
                [String(better), "-", "suppressed", "no_matching_rule"],
                [String(first), "worse", "notify", ""],
                [String(second), "worse", "suppressed", "cooldown"],
                [String(third), "worse", "suppressed", "feedback"],
            ]
        )
        #expect(try database.scalar("SELECT created_by FROM driftline.alert_feedback") == "tester")
        #expect(
            try AlertStore.addFeedback(alertID: 999_999, noise: true, noiseDays: 1, user: "t", on: connection) == nil
        )
    }

    @Test func anExpiredSilenceNoLongerSuppresses() throws {
        let database = try TestDatabase()
        let connection = try database.connect()
        let silence = try AlertStore.addSilence(
            customerID: nil,
            matchers: ["payer": "AETNA"],
            until: CivilDate.today() + 1,
            reason: "maintenance",
            user: "tester",
            on: connection
        )
        #expect(try AlertStore.silences(includeExpired: false, on: connection).map(\.silenceID) == [silence])
        #expect(try AlertStore.expireSilence(silence, user: "tester2", on: connection))
        #expect(try !AlertStore.expireSilence(silence, user: "tester2", on: connection))
        #expect(try AlertStore.silences(includeExpired: false, on: connection).isEmpty)
        let all = try AlertStore.silences(includeExpired: true, on: connection)
        #expect(all.first?.expiredBy == "tester2" && all.first?.createdBy == "tester")
        try DriftEvents.insert(connection)
        _ = try AlertStore.evaluate(book: Self.book, asOf: nil, on: connection)
        #expect(try database.int("SELECT count(*) FROM driftline.alert_events WHERE status = 'notify'") == 2)
    }

    @Test func twoConcurrentEvaluatorsCreateEachAlertOnce() async throws {
        let database = try TestDatabase()
        let setup = try database.connect()
        for index in 0..<20 {
            try DriftEvents.insert(
                setup,
                customer: index % 2 == 0 ? "acme-clinic" : "lakeview-health",
                payer: "P\(index)"
            )
        }
        let url = database.url
        try await withThrowingTaskGroup(of: AlertEvaluationSummary.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try AlertStore.evaluate(book: Self.book, asOf: nil, on: try PGConnection(url: url))
                }
            }
            var total = 0
            for try await summary in group { total += summary.events }
            #expect(total == 20)
        }
        // 10 acme events × 2 rules + 10 lakeview × 1 rule.
        #expect(try database.int("SELECT count(*) FROM driftline.alert_events") == 30)
        #expect(
            try database.int(
                "SELECT count(*) FROM (SELECT unnest(alert_ids) AS a FROM driftline.outbox) s GROUP BY a HAVING count(*) > 1"
            ) == 0
        )
        // Every notify alert is in exactly one message per channel.
        #expect(try database.int("SELECT count(*) FROM (SELECT unnest(alert_ids) FROM driftline.outbox) s") == 30)
    }

    @Test func aTripleThatNoLongerDriftsIsResolvedOnce() throws {
        let database = try TestDatabase()
        let connection = try database.connect()
        try DriftEvents.insert(connection, payer: "AETNA", currentEnd: "2026-11-20")
        try DriftEvents.insert(connection, payer: "UHC", currentEnd: "2026-11-20")
        _ = try AlertStore.evaluate(book: Self.book, asOf: CivilDate.parse("2026-11-20"), on: connection)
        // The next night UHC still drifts, AETNA does not.
        try DriftEvents.insert(connection, payer: "UHC", currentEnd: "2026-11-21")
        let night = try AlertStore.evaluate(book: Self.book, asOf: CivilDate.parse("2026-11-21"), on: connection)
        #expect(night.resolved == 2)  // AETNA's two alerts (operator and acme-own)
        let resolved = try database.rows(
            "SELECT endpoint, body FROM driftline.outbox WHERE event_type = 'drift.resolved' ORDER BY endpoint"
        )
        #expect(resolved.map { $0[0] } == ["acme", "default"])
        #expect(resolved.allSatisfy { ($0[1] ?? "").contains("\"payer\":\"AETNA\"") && !($0[1] ?? "").contains("UHC") })
        // Once: the next evaluation resolves nothing more.
        let later = try AlertStore.evaluate(book: Self.book, asOf: CivilDate.parse("2026-11-22"), on: connection)
        #expect(later.resolved == 3)  // now UHC's: the 11-20 alerts (operator, acme-own) and 11-21 acme-own
        #expect(try database.int("SELECT count(*) FROM driftline.outbox WHERE event_type = 'drift.resolved'") == 4)
        let final = try AlertStore.evaluate(book: Self.book, asOf: CivilDate.parse("2026-11-23"), on: connection)
        #expect(final.resolved == 0 && final.messages == 0)
    }

    @Test func withoutADriftEventsTableThereIsNothingToEvaluate() throws {
        let database = try TestDatabase()
        let connection = try database.connect()
        if try database.scalar("SELECT to_regclass('driftline.drift_events') IS NULL") == "t" {
            let summary = try AlertStore.evaluate(book: Self.book, asOf: nil, on: connection)
            #expect(!summary.driftEventsTable && summary.events == 0)
        }
    }
}
