import DriftlineCore
import DriftlineDelivery
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Logging
import Testing

/// Delivery against a real HTTP receiver on loopback and a real database.
@Suite(.enabled(if: TestDatabase.isAvailable))
struct WebhookDeliveryTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    static let book = try! AlertRuleBook.parse(
        yaml: """
            endpoints:
              default: {owner: operator}
              acme: {customer: acme-clinic}
              lake: {customer: lakeview-health}
            rules:
              - id: acme
                match: {customers: [acme-clinic]}
                channels: [acme]
                cooldown_days: 0
                grouping: event
              - id: lake
                match: {customers: [lakeview-health]}
                channels: [lake]
                cooldown_days: 0
                grouping: event
            """,
        file: "alerts.yaml"
    )

    /// A deliverer with a short schedule (no jitter), posting `acme` to /acme and `lake` to /lake.
    static func deliverer(
        _ receiver: WebhookReceiver,
        schedule: [Double] = [0.05, 0.05, 0.05],
        timeout: Double = 2,
        breaker: Int = 100,
        linger: Double = 10,
        endpoints: [String] = ["acme", "lake"]
    ) throws -> WebhookDeliverer {
        var environment: [String: String] = [:]
        for name in endpoints {
            environment["DRIFTLINE_WEBHOOK_\(name.uppercased())_URL"] = receiver.url("/\(name)")
            environment["DRIFTLINE_WEBHOOK_\(name.uppercased())_SECRET"] = secret
        }
        var settings = DeliverySettings()
        settings.retrySchedule = schedule
        settings.timeoutSeconds = timeout
        settings.breakerFailures = breaker
        settings.breakerPauseSeconds = 3600
        settings.lingerSeconds = linger
        var deliverer = WebhookDeliverer(
            book: book,
            credentials: try WebhookCredentials.load(book: book, environment: environment, secretsFile: nil),
            settings: settings,
            fileChannel: FileManager.default.temporaryDirectory.appendingPathComponent("alerts-\(UUID().uuidString)")
        )
        deliverer.jitter = { $0 }
        return deliverer
    }

    /// `count` acme-clinic alerts (one message each) in the outbox.
    static func alerts(_ database: TestDatabase, count: Int = 1, customer: String = "acme-clinic") throws {
        let connection = try database.connect()
        for index in 0..<count { try DriftEvents.insert(connection, customer: customer, payer: "P\(index)") }
        _ = try AlertStore.evaluate(book: book, asOf: nil, on: connection)
    }

    static func attempts(_ database: TestDatabase) throws -> [[String?]] {
        try database.rows(
            """
            SELECT attempt::text, coalesce(status_code::text, ''), outcome, coalesce(error_class, '')
            FROM driftline.delivery_attempts ORDER BY attempt_id
            """
        )
    }

    @Test func twoServerErrorsThenSuccessDeliversOnceWithOneStableID() async throws {
        let database = try TestDatabase()
        try Self.alerts(database)
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        receiver.script("/acme", [.init(status: 500), .init(status: 500), .init(status: 200)])
        let logs = LogCapture()
        let summary = try await Self.deliverer(receiver).run(databaseURL: database.url, logger: logs.logger())
        #expect(summary.delivered == 1 && summary.retried == 2 && summary.deadLettered == 0)
        let requests = receiver.requests(to: "/acme")
        #expect(requests.count == 3)
        #expect(Set(requests.map(\.webhookID)).count == 1)
        #expect(requests[0].webhookID.hasPrefix("msg_"))
        #expect(Set(requests.map(\.body)).count == 1)
        for request in requests {
            let timestamp = try #require(Int64(request.headers["webhook-timestamp"] ?? ""))
            let expected = try WebhookSigner(secrets: [Self.secret], endpoint: "acme")
                .signature(id: request.webhookID, timestamp: timestamp, body: request.body)
            #expect(request.headers["webhook-signature"] == expected)
            #expect(request.headers["content-type"] == "application/json")
        }
        #expect(
            try Self.attempts(database) == [
                ["1", "500", "retry", "http_5xx"], ["2", "500", "retry", "http_5xx"], ["3", "200", "delivered", ""],
            ]
        )
        #expect(try database.scalar("SELECT status FROM driftline.outbox") == "delivered")
        #expect(try database.int("SELECT attempts FROM driftline.outbox") == 3)
        #expect(!logs.text.contains(receiver.url("/acme")) && !logs.text.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    }

    @Test func aSlowReceiverPastTheTimeoutIsRetried() async throws {
        let database = try TestDatabase()
        try Self.alerts(database)
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        // The first answer would come after 30 s; the deliverer gives up after 0.3 s and tries again.
        receiver.script("/acme", [.init(status: 200, delay: 30)])
        let summary = try await Self.deliverer(receiver, timeout: 0.3).run(
            databaseURL: database.url,
            logger: LogCapture().logger()
        )
        #expect(summary.delivered == 1 && summary.retried == 1)
        #expect(try Self.attempts(database) == [["1", "", "retry", "timeout"], ["2", "200", "delivered", ""]])
        let duration = try #require(
            Double(try database.scalar("SELECT duration_ms FROM driftline.delivery_attempts WHERE attempt = 1") ?? "")
        )
        // Not before the timeout. No upper bound: the attempt row's `timeout` (not a 200 after 30 s) already says the
        // deliverer gave up before the answer, and how late the awaiting task resumes depends on the test process —
        // other suites' tests block the cooperative pool's two threads while they wait for child processes (a
        // fresh-clone CI measured 25 s).
        #expect(duration >= 250, "\(duration)")
        let requests = receiver.requests(to: "/acme")
        #expect(requests.count == 2)
        #expect(Set(requests.map(\.webhookID)).count == 1)
    }

    @Test func aClientErrorIsNotRetried() async throws {
        let database = try TestDatabase()
        try Self.alerts(database)
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        receiver.script("/acme", [.init(status: 400)])
        let summary = try await Self.deliverer(receiver).run(databaseURL: database.url, logger: LogCapture().logger())
        #expect(summary.deadLettered == 1 && summary.delivered == 0)
        #expect(receiver.requests(to: "/acme").count == 1)
        #expect(try Self.attempts(database) == [["1", "400", "dead", "http_400"]])
        #expect(try database.scalar("SELECT status || ' ' || last_error FROM driftline.outbox") == "dead http_400")
        // Redelivery replays the same message, same id.
        let id = try #require(try database.scalar("SELECT message_id FROM driftline.outbox"))
        #expect(try OutboxStore.redeliver(id, on: database.connect()))
        let again = try await Self.deliverer(receiver).run(databaseURL: database.url, logger: LogCapture().logger())
        #expect(again.delivered == 1)
        #expect(receiver.requests(to: "/acme").map(\.webhookID) == [id, id])
    }

    @Test func goneDisablesTheEndpoint() async throws {
        let database = try TestDatabase()
        try Self.alerts(database, count: 3)
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        receiver.script("/acme", [.init(status: 410)])
        let summary = try await Self.deliverer(receiver).run(databaseURL: database.url, logger: LogCapture().logger())
        #expect(summary.deadLettered == 3)
        #expect(receiver.requests(to: "/acme").count == 1)  // the other two were never sent
        #expect(
            try database.scalar("SELECT disabled_reason FROM driftline.webhook_endpoints WHERE endpoint = 'acme'")
                == "http_410"
        )
        #expect(
            try database.rows("SELECT error_class FROM driftline.delivery_attempts ORDER BY attempt_id").map { $0[0] }
                == [
                    "http_410", "endpoint_disabled", "endpoint_disabled",
                ]
        )
    }

    @Test func tooManyRequestsWaitsForRetryAfter() async throws {
        let database = try TestDatabase()
        try Self.alerts(database)
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        receiver.script("/acme", [.init(status: 429, headers: [("retry-after", "1")])])
        let summary = try await Self.deliverer(receiver).run(databaseURL: database.url, logger: LogCapture().logger())
        #expect(summary.delivered == 1 && summary.retried == 1)
        let requests = receiver.requests(to: "/acme")
        #expect(requests.count == 2)
        #expect(requests[1].receivedAt.timeIntervalSince(requests[0].receivedAt) >= 0.95)
        #expect(try Self.attempts(database) == [["1", "429", "retry", "http_429"], ["2", "200", "delivered", ""]])
        let planned = try #require(
            Double(
                try database.scalar(
                    "SELECT extract(epoch FROM next_attempt_at - started_at) FROM driftline.delivery_attempts WHERE attempt = 1"
                ) ?? ""
            )
        )
        #expect(planned >= 1)
    }

    @Test func theLastFailedAttemptDeadLetters() async throws {
        let database = try TestDatabase()
        try Self.alerts(database)
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        receiver.script("/acme", Array(repeating: .init(status: 503), count: 5))
        let summary = try await Self.deliverer(receiver, schedule: [0.05, 0.05]).run(
            databaseURL: database.url,
            logger: LogCapture().logger()
        )
        #expect(summary.deadLettered == 1 && summary.retried == 2)
        #expect(receiver.requests(to: "/acme").count == 3)
        #expect(try Self.attempts(database).map { $0[2] } == ["retry", "retry", "dead"])
    }

    @Test func theCircuitBreakerPausesAnEndpointFailingInARow() async throws {
        let database = try TestDatabase()
        try Self.alerts(database, count: 4)
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        receiver.script("/acme", Array(repeating: .init(status: 500), count: 10))
        let summary = try await Self.deliverer(receiver, schedule: [30], breaker: 2, linger: 0).run(
            databaseURL: database.url,
            logger: LogCapture().logger()
        )
        #expect(receiver.requests(to: "/acme").count == 2)
        #expect(summary.retried == 2 && summary.pending == 4)
        #expect(
            try database.scalar("SELECT paused_until > now() FROM driftline.webhook_endpoints WHERE endpoint = 'acme'")
                == "t"
        )
    }

    @Test func twoConcurrentDeliverersSendEachMessageOnce() async throws {
        let database = try TestDatabase()
        try Self.alerts(database, count: 12)
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        // Slow answers, so the two deliverers overlap.
        receiver.script("/acme", Array(repeating: .init(status: 200, delay: 0.05), count: 12))
        let first = try Self.deliverer(receiver)
        let second = try Self.deliverer(receiver)
        let url = database.url
        async let a = first.run(databaseURL: url, logger: LogCapture().logger())
        async let b = second.run(databaseURL: url, logger: LogCapture().logger())
        let (one, two) = try await (a, b)
        #expect(one.delivered + two.delivered == 12)
        #expect(one.delivered > 0 && two.delivered > 0)
        let ids = receiver.requests(to: "/acme").map(\.webhookID)
        #expect(ids.count == 12 && Set(ids).count == 12)
        #expect(try database.int("SELECT count(*) FROM driftline.delivery_attempts") == 12)
    }

    @Test func aCustomersAlertNeverReachesAnotherCustomersEndpoint() async throws {
        let database = try TestDatabase()
        try Self.alerts(database, count: 3, customer: "acme-clinic")
        try Self.alerts(database, count: 2, customer: "lakeview-health")
        // A message forged into the outbox for the wrong tenant is refused at delivery, never sent.
        try database.connect().execute(
            """
            INSERT INTO driftline.outbox (message_id, endpoint, customer_id, event_type, alert_ids, body)
            VALUES ('msg_forged', 'lake', 'acme-clinic', 'drift.alert', '{}', '{}')
            """,
            operation: "forge"
        )
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        let summary = try await Self.deliverer(receiver).run(databaseURL: database.url, logger: LogCapture().logger())
        #expect(summary.delivered == 5 && summary.deadLettered == 1)
        let acme = receiver.requests(to: "/acme")
        let lake = receiver.requests(to: "/lake")
        #expect(acme.count == 3 && lake.count == 2)
        #expect(
            acme.allSatisfy { $0.body.contains("\"customer_id\":\"acme-clinic\"") && !$0.body.contains("lakeview") }
        )
        #expect(
            lake.allSatisfy { $0.body.contains("\"customer_id\":\"lakeview-health\"") && !$0.body.contains("acme") }
        )
        #expect(
            try database.scalar("SELECT last_error FROM driftline.outbox WHERE message_id = 'msg_forged'")
                == "tenant_mismatch"
        )
    }

    @Test func anEndpointWithoutAURLWritesTheFileChannel() async throws {
        let database = try TestDatabase()
        try Self.alerts(database, count: 2)
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        let deliverer = try Self.deliverer(receiver, endpoints: [])
        let summary = try await deliverer.run(databaseURL: database.url, logger: LogCapture().logger())
        #expect(summary.filed == 2 && receiver.requests.isEmpty)
        let file = deliverer.fileChannel.appendingPathComponent("acme.jsonl")
        let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect((object["webhook_id"] as? String)?.hasPrefix("msg_") == true)
            #expect(((object["payload"] as? [String: Any])?["type"] as? String) == "drift.alert")
        }
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try? FileManager.default.removeItem(at: deliverer.fileChannel)
    }

    @Test func thePayloadCarriesAggregatesOnly() async throws {
        let database = try TestDatabase()
        try Self.alerts(database)
        let receiver = try WebhookReceiver()
        defer { receiver.shutdown() }
        _ = try await Self.deliverer(receiver).run(databaseURL: database.url, logger: LogCapture().logger())
        let body = try #require(receiver.requests(to: "/acme").first?.body)
        let payload = try JSONDecoder().decode(AlertPayload.self, from: Data(body.utf8))
        #expect(payload.type == "drift.alert")
        #expect(payload.data.customerID == "acme-clinic")
        let event = try #require(payload.data.events.first)
        #expect(event.payer == "P0" && event.cptGroup == "E&M" && event.driftType == "denial_rate")
        #expect(event.severity == "high" && event.direction == "worse")
        #expect(event.baseline == AlertPayload.Window(start: "2026-07-25", end: "2026-10-22", n: 412, value: 0.1))
        #expect(event.current == AlertPayload.Window(start: "2026-10-23", end: "2026-11-21", n: 388, value: 0.25))
        #expect(event.absChange == 0.15 && event.relChange == 1.5 && event.ciLow == 0.1 && event.ciHigh == 0.2)
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        #expect(Set(keys.keys) == ["type", "timestamp", "data"])
        for forbidden in ["claim", "patient", "npi", "billed", "amount"] { #expect(!body.contains(forbidden)) }
    }
}
