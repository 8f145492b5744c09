import DriftlineCore
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// `driftline alerts …` end to end: real processes, a real receiver, canary claims loaded first.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct AlertsCommandTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    /// A database with canary claims loaded for acme-clinic, and a drift event on them.
    static func loaded() throws -> (TestDatabase, Workspace) {
        let database = try TestDatabase()
        let workspace = try Workspace()
        try workspace.drop(Claims.file(rows: 40), customer: "acme-clinic", name: "a.csv")
        let run = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", "2026-11-21"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(run.status == 0, "\(run.stderr)")
        try DriftEvents.insert(database.connect(), customer: "acme-clinic", payer: "AETNA")
        return (database, workspace)
    }

    @Test func evaluateDeliverListAndNoCanaryAnywhere() throws {
        let (database, workspace) = try Self.loaded()
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        let environment = [
            "DRIFTLINE_WEBHOOK_DEFAULT_URL": receiver.url("/hook"),
            "DRIFTLINE_WEBHOOK_DEFAULT_SECRET": Self.secret,
        ]
        let evaluate = try DriftlineProcess.run(["alerts", "evaluate"], in: workspace.path, databaseURL: database.url)
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        #expect(evaluate.stdout.contains("events 1, notify 1"), "\(evaluate.stdout)")
        let deliver = try DriftlineProcess.run(
            ["alerts", "deliver"],
            in: workspace.path,
            databaseURL: database.url,
            environment: environment
        )
        #expect(deliver.status == 0, "\(deliver.stderr)")
        #expect(deliver.stdout.contains("delivered 1"), "\(deliver.stdout)")
        let list = try DriftlineProcess.run(
            ["alerts", "list", "--json"],
            in: workspace.path,
            databaseURL: database.url
        )
        let alerts = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(alerts.count == 1 && alerts.first?["rule_id"] as? String == "every-drift")
        let table = try DriftlineProcess.run(
            ["alerts", "list", "--customer", "acme-clinic", "--status", "notify"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(table.stdout.contains("every-drift"))

        // The canary is in the claims, and nowhere an alert goes.
        #expect(
            try database.int(
                "SELECT count(*) FROM driftline.claims WHERE patient_ref LIKE '%' || $1 || '%'",
                [Claims.canary]
            ) == 40
        )
        let bodies = receiver.requests.map { $0.body + $0.headers.description }.joined()
        #expect(!bodies.isEmpty && !bodies.contains(Claims.canary))
        for output in [evaluate, deliver, list, table] {
            #expect(!(output.stdout + output.stderr).contains(Claims.canary))
            #expect(!(output.stdout + output.stderr).contains(receiver.url("/hook")))
            #expect(!(output.stdout + output.stderr).contains("MfKQ9r8"))
        }
        let stored = try database.rows(
            """
            SELECT body FROM driftline.outbox UNION ALL
            SELECT coalesce(error_class, '') FROM driftline.delivery_attempts UNION ALL
            SELECT row_to_json(a)::text FROM driftline.alert_events a
            """
        ).map { $0[0] ?? "" }.joined()
        #expect(!stored.contains(Claims.canary) && !stored.contains(receiver.url("/hook")))
    }

    @Test func deadLetteredExitsSeventySixAndRedeliverReplays() throws {
        let (database, workspace) = try Self.loaded()
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        receiver.script("/hook", [.init(status: 422)])
        let environment = [
            "DRIFTLINE_WEBHOOK_DEFAULT_URL": receiver.url("/hook"),
            "DRIFTLINE_WEBHOOK_DEFAULT_SECRET": Self.secret,
        ]
        _ = try DriftlineProcess.run(["alerts", "evaluate"], in: workspace.path, databaseURL: database.url)
        let failed = try DriftlineProcess.run(
            ["alerts", "deliver"],
            in: workspace.path,
            databaseURL: database.url,
            environment: environment
        )
        #expect(failed.status == 76, "\(failed.stdout) \(failed.stderr)")
        let dead = try DriftlineProcess.run(
            ["alerts", "outbox", "--status", "dead", "--json"],
            in: workspace.path,
            databaseURL: database.url
        )
        let messages = try #require(try JSONSerialization.jsonObject(with: Data(dead.stdout.utf8)) as? [[String: Any]])
        let id = try #require(messages.first?["message_id"] as? String)
        let redeliver = try DriftlineProcess.run(
            ["alerts", "redeliver", id],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(redeliver.status == 0, "\(redeliver.stderr)")
        let again = try DriftlineProcess.run(
            ["alerts", "deliver"],
            in: workspace.path,
            databaseURL: database.url,
            environment: environment
        )
        #expect(again.status == 0, "\(again.stderr)")
        #expect(receiver.requests.map(\.webhookID) == [id, id])
    }

    @Test func twoDelivererProcessesSendEachMessageOnce() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        let connection = try database.connect()
        for index in 0..<10 { try DriftEvents.insert(connection, customer: "c\(index)", payer: "AETNA") }
        let evaluate = try DriftlineProcess.run(["alerts", "evaluate"], in: workspace.path, databaseURL: database.url)
        #expect(evaluate.stdout.contains("messages 10"), "\(evaluate.stdout)")
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        receiver.script("/hook", Array(repeating: .init(status: 200, delay: 0.1), count: 10))
        let environment = [
            "DRIFTLINE_WEBHOOK_DEFAULT_URL": receiver.url("/hook"),
            "DRIFTLINE_WEBHOOK_DEFAULT_SECRET": Self.secret,
        ]
        let first = try DriftlineProcess.start(
            ["alerts", "deliver"],
            in: workspace.path,
            databaseURL: database.url,
            environment: environment
        )
        let second = try DriftlineProcess.start(
            ["alerts", "deliver"],
            in: workspace.path,
            databaseURL: database.url,
            environment: environment
        )
        let results = [first.wait(), second.wait()]
        #expect(results.allSatisfy { $0.status == 0 }, "\(results.map(\.stderr))")
        let ids = receiver.requests.map(\.webhookID)
        #expect(ids.count == 10 && Set(ids).count == 10)
        #expect(try database.int("SELECT count(*) FROM driftline.delivery_attempts") == 10)
        #expect(try database.int("SELECT count(*) FROM driftline.outbox WHERE status = 'delivered'") == 10)
    }

    @Test func aRunKilledAfterSendingResendsTheSameID() throws {
        let (database, workspace) = try Self.loaded()
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        let environment = [
            "DRIFTLINE_WEBHOOK_DEFAULT_URL": receiver.url("/hook"),
            "DRIFTLINE_WEBHOOK_DEFAULT_SECRET": Self.secret,
        ]
        _ = try DriftlineProcess.run(["alerts", "evaluate"], in: workspace.path, databaseURL: database.url)
        let killed = try DriftlineProcess.run(
            ["alerts", "deliver"],
            in: workspace.path,
            databaseURL: database.url,
            environment: environment.merging(["DRIFTLINE_CRASH_AT": "deliver.after_send"]) { $1 }
        )
        #expect(killed.signal == SIGKILL)
        #expect(try database.int("SELECT count(*) FROM driftline.delivery_attempts") == 0)
        let resumed = try DriftlineProcess.run(
            ["alerts", "deliver"],
            in: workspace.path,
            databaseURL: database.url,
            environment: environment
        )
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let ids = receiver.requests.map(\.webhookID)
        #expect(ids.count == 2 && Set(ids).count == 1)
        #expect(try database.int("SELECT count(*) FROM driftline.outbox") == 1)
    }

    @Test func silencesAndFeedbackRecordWhoAndWhen() throws {
        let (database, workspace) = try Self.loaded()
        let silence = try DriftlineProcess.run(
            [
                "alerts", "silence", "--match", "payer=AETNA", "--customer", "acme-clinic", "--until", "2099-01-01",
                "--reason", "payer migration",
            ],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(silence.status == 0, "\(silence.stderr)")
        let evaluate = try DriftlineProcess.run(["alerts", "evaluate"], in: workspace.path, databaseURL: database.url)
        #expect(evaluate.stdout.contains("silenced 1"), "\(evaluate.stdout)")
        let listing = try DriftlineProcess.run(
            ["alerts", "silences", "--json"],
            in: workspace.path,
            databaseURL: database.url
        )
        let silences = try #require(
            try JSONSerialization.jsonObject(with: Data(listing.stdout.utf8)) as? [[String: Any]]
        )
        let user = String(cString: getpwuid(geteuid())!.pointee.pw_name)
        #expect(silences.first?["created_by"] as? String == user)
        #expect(silences.first?["reason"] as? String == "payer migration")
        #expect((silences.first?["created_at"] as? String)?.isEmpty == false)
        let expire = try DriftlineProcess.run(["alerts", "expire", "1"], in: workspace.path, databaseURL: database.url)
        #expect(expire.status == 0)
        let twice = try DriftlineProcess.run(["alerts", "expire", "1"], in: workspace.path, databaseURL: database.url)
        #expect(twice.status != 0)
        let feedback = try DriftlineProcess.run(
            ["alerts", "feedback", "1", "--noise"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(feedback.status == 0, "\(feedback.stderr)")
        #expect(
            try database.scalar("SELECT verdict || ' ' || created_by FROM driftline.alert_feedback") == "noise \(user)"
        )
        let both = try DriftlineProcess.run(
            ["alerts", "feedback", "1", "--noise", "--useful"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(both.status != 0)
    }

    @Test func theNightlyPipelineRunsTheAlertsAndDeliverStages() throws {
        let database = try TestDatabase()
        let workspace = try Workspace(stages: ["load", "alerts", "deliver", "report"])
        try workspace.drop(Claims.file(rows: 10), customer: "acme-clinic", name: "a.csv")
        try DriftEvents.insert(database.connect(), customer: "acme-clinic", payer: "AETNA", currentEnd: "2026-11-20")
        let run = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", "2026-11-20"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(run.status == 0, "\(run.stderr)")
        // No URL for `default`: the file channel, one JSON line.
        let lines = try String(contentsOfFile: workspace.path + "/alerts/default.jsonl", encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("\"type\":\"drift.alert\""))
        #expect(!lines[0].contains(Claims.canary) && !run.stderr.contains(Claims.canary))
        let stages = try database.rows(
            "SELECT stage, status FROM driftline.stage_runs WHERE run_id = 1 ORDER BY position"
        )
        #expect(
            stages == [
                ["load", "succeeded"], ["alerts", "succeeded"], ["deliver", "succeeded"], ["report", "succeeded"],
            ]
        )
        // The next night the triple no longer drifts: resolved, once.
        let next = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", "2026-11-21"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(next.status == 0, "\(next.stderr)")
        let after = try String(contentsOfFile: workspace.path + "/alerts/default.jsonl", encoding: .utf8)
            .split(separator: "\n")
        #expect(after.count == 2 && after[1].contains("\"type\":\"drift.resolved\""))
    }

    @Test func aDeadLetterInTheDeliverStageMakesTheRunExitSeventySix() throws {
        let database = try TestDatabase()
        let workspace = try Workspace(stages: ["load", "alerts", "deliver", "report"])
        try DriftEvents.insert(database.connect(), customer: "acme-clinic", payer: "AETNA")
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        receiver.script("/hook", [.init(status: 404)])
        let run = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", "2026-11-21"],
            in: workspace.path,
            databaseURL: database.url,
            environment: [
                "DRIFTLINE_WEBHOOK_DEFAULT_URL": receiver.url("/hook"),
                "DRIFTLINE_WEBHOOK_DEFAULT_SECRET": Self.secret,
            ]
        )
        #expect(run.status == 76, "\(run.stdout) \(run.stderr)")
        #expect(receiver.requests.count == 1)
        #expect(!(run.stdout + run.stderr).contains(receiver.url("/hook")))
    }

    @Test func aRuleRoutingToAnotherCustomersEndpointExitsSeventyEight() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        try """
        endpoints:
          default: {owner: operator}
          acme: {customer: acme-clinic}
        rules:
          - id: leaky
            channels: [acme]
        """.write(toFile: workspace.path + "/rules/alerts.yaml", atomically: true, encoding: .utf8)
        let result = try DriftlineProcess.run(["alerts", "evaluate"], in: workspace.path, databaseURL: database.url)
        #expect(result.status == 78)
        #expect(result.stderr.contains("alerts.yaml:6 rule leaky:"), "\(result.stderr)")
    }
}
