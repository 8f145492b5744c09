import DriftlineCore
import Foundation

/// A message of the outbox, claimed for one attempt.
package struct OutboxMessage: Sendable, Hashable {
    /// The `webhook-id`: the same on every attempt and redelivery.
    package var messageID: String
    package var endpoint: String
    package var customerID: String
    package var eventType: String
    /// The exact JSON sent.
    package var body: String
    /// Attempts made before this one.
    package var attempts: Int
}

/// The outbox's SQL. A deliverer claims one due message at a time with `FOR UPDATE SKIP LOCKED` and keeps the
/// row locked while it sends, records the attempt and commits: two deliverers never send the same message, and
/// one that dies releases it (the next one sends it again, with the same id).
package enum OutboxStore {
    /// Claims the next due message, in an open transaction; skips endpoints the circuit breaker paused.
    package static func claimNext(on connection: PGConnection) throws -> OutboxMessage? {
        guard
            let row = try connection.query(
                """
                SELECT o.message_id, o.endpoint, o.customer_id, o.event_type, o.body, o.attempts
                FROM driftline.outbox o
                WHERE o.status = 'pending' AND o.next_attempt_at <= now()
                  AND NOT EXISTS (SELECT 1 FROM driftline.webhook_endpoints e
                                  WHERE e.endpoint = o.endpoint AND e.paused_until > now() AND e.disabled_at IS NULL)
                ORDER BY o.next_attempt_at, o.message_id
                LIMIT 1
                FOR UPDATE OF o SKIP LOCKED
                """,
                operation: "claim outbox message"
            ).first
        else { return nil }
        return OutboxMessage(
            messageID: row[0] ?? "",
            endpoint: row[1] ?? "",
            customerID: row[2] ?? "",
            eventType: row[3] ?? "",
            body: row[4] ?? "",
            attempts: Int(row[5] ?? "") ?? 0
        )
    }

    /// Seconds until the next pending message falls due (0 when one is due now), `nil` when none is pending.
    package static func secondsUntilNextDue(on connection: PGConnection) throws -> Double? {
        try connection.query(
            """
            SELECT extract(epoch FROM min(greatest(o.next_attempt_at, coalesce(e.paused_until, o.next_attempt_at))) - now())
            FROM driftline.outbox o LEFT JOIN driftline.webhook_endpoints e ON e.endpoint = o.endpoint
            WHERE o.status = 'pending'
            """,
            operation: "next due message"
        ).scalar.flatMap(Double.init).map { max(0, $0) }  // min() of no rows is NULL: nothing pending
    }

    /// Whether a 410 disabled `endpoint`.
    package static func isDisabled(_ endpoint: String, on connection: PGConnection) throws -> Bool {
        try connection.query(
            "SELECT 1 FROM driftline.webhook_endpoints WHERE endpoint = $1 AND disabled_at IS NOT NULL",
            [endpoint],
            operation: "read endpoint"
        ).first != nil
    }

    /// One attempt and its consequence, written in the claiming transaction.
    package struct Attempt: Sendable {
        package var channel: String
        package var startedAt: Date
        package var durationMs: Double
        package var statusCode: Int?
        package var errorClass: String?

        package init(channel: String, startedAt: Date, durationMs: Double, statusCode: Int?, errorClass: String?) {
            self.channel = channel
            self.startedAt = startedAt
            self.durationMs = durationMs
            self.statusCode = statusCode
            self.errorClass = errorClass
        }
    }

    /// Records `attempt` of `message` and applies `action` to the message and its endpoint.
    ///
    /// Times are `clock_timestamp()`, not `now()`: the transaction began before the request was sent, and a
    /// retry's delay counts from the answer.
    package static func record(
        _ attempt: Attempt,
        of message: OutboxMessage,
        action: DeliveryAction,
        settings: DeliverySettings,
        on connection: PGConnection
    ) throws {
        let number = message.attempts + 1
        let outcome: String
        var delay: Double?
        var errorClass = attempt.errorClass
        switch action {
        case .delivered: outcome = "delivered"
        case .retry(let seconds, let error):
            outcome = "retry"
            delay = seconds
            errorClass = errorClass ?? error
        case .dead(let error):
            outcome = "dead"
            errorClass = errorClass ?? error
        case .disableEndpoint:
            outcome = "dead"
            errorClass = errorClass ?? "http_410"
        }
        try connection.query(
            """
            INSERT INTO driftline.delivery_attempts (message_id, endpoint, attempt, channel, started_at, duration_ms,
                status_code, outcome, error_class, next_attempt_at)
            VALUES ($1, $2, $3, $4, to_timestamp($5::double precision), $6, $7, $8, $9,
                    CASE WHEN $10::double precision IS NULL THEN NULL
                         ELSE clock_timestamp() + make_interval(secs => $10::double precision) END)
            """,
            [
                message.messageID, message.endpoint, String(number), attempt.channel,
                String(attempt.startedAt.timeIntervalSince1970), String(attempt.durationMs),
                attempt.statusCode.map(String.init), outcome, errorClass, delay.map { String($0) },
            ],
            operation: "record delivery attempt"
        )
        switch action {
        case .delivered:
            try connection.query(
                """
                UPDATE driftline.outbox SET status = 'delivered', attempts = $2, delivered_at = clock_timestamp(), last_error = NULL
                WHERE message_id = $1
                """,
                [message.messageID, String(number)],
                operation: "mark delivered"
            )
        case .retry(let seconds, _):
            try connection.query(
                """
                UPDATE driftline.outbox SET attempts = $2, last_error = $3,
                    next_attempt_at = clock_timestamp() + make_interval(secs => $4::double precision)
                WHERE message_id = $1
                """,
                [message.messageID, String(number), errorClass, String(seconds)],
                operation: "schedule retry"
            )
        case .dead, .disableEndpoint:
            try connection.query(
                """
                UPDATE driftline.outbox SET status = 'dead', attempts = $2, last_error = $3, dead_at = clock_timestamp()
                WHERE message_id = $1
                """,
                [message.messageID, String(number), errorClass],
                operation: "dead-letter message"
            )
        }
        guard attempt.channel == "webhook" else { return }
        switch action {
        case .delivered:
            try connection.query(
                """
                INSERT INTO driftline.webhook_endpoints (endpoint) VALUES ($1)
                ON CONFLICT (endpoint) DO UPDATE SET consecutive_failures = 0, paused_until = NULL
                """,
                [message.endpoint],
                operation: "reset endpoint"
            )
        case .disableEndpoint:
            try connection.query(
                """
                INSERT INTO driftline.webhook_endpoints (endpoint, disabled_at, disabled_reason) VALUES ($1, now(), 'http_410')
                ON CONFLICT (endpoint) DO UPDATE SET disabled_at = now(), disabled_reason = 'http_410'
                """,
                [message.endpoint],
                operation: "disable endpoint"
            )
        case .retry, .dead:
            // The circuit breaker counts failures in a row, whatever the message; N of them pause the endpoint.
            try connection.query(
                """
                INSERT INTO driftline.webhook_endpoints AS e (endpoint, consecutive_failures) VALUES ($1, 1)
                ON CONFLICT (endpoint) DO UPDATE SET consecutive_failures = e.consecutive_failures + 1
                """,
                [message.endpoint],
                operation: "count endpoint failure"
            )
            try connection.query(
                """
                UPDATE driftline.webhook_endpoints
                SET paused_until = clock_timestamp() + make_interval(secs => $3::double precision)
                WHERE endpoint = $1 AND consecutive_failures >= $2 AND disabled_at IS NULL
                """,
                [message.endpoint, String(settings.breakerFailures), String(settings.breakerPauseSeconds)],
                operation: "pause endpoint"
            )
        }
    }

    /// Puts a dead-lettered message back in the queue (same id); `false` when it is not dead.
    package static func redeliver(_ messageID: String, on connection: PGConnection) throws -> Bool {
        try connection.query(
            """
            UPDATE driftline.outbox SET status = 'pending', attempts = 0, next_attempt_at = now(), dead_at = NULL
            WHERE message_id = $1 AND status = 'dead'
            """,
            [messageID],
            operation: "redeliver message"
        ).affected == 1
    }

    /// Re-enables an endpoint a 410 disabled (before `redeliver` of its messages).
    package static func enableEndpoint(_ endpoint: String, on connection: PGConnection) throws -> Bool {
        try connection.query(
            """
            UPDATE driftline.webhook_endpoints SET disabled_at = NULL, disabled_reason = NULL,
                consecutive_failures = 0, paused_until = NULL
            WHERE endpoint = $1 AND disabled_at IS NOT NULL
            """,
            [endpoint],
            operation: "enable endpoint"
        ).affected == 1
    }

    /// Messages by status, counts only.
    package static func counts(on connection: PGConnection) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try connection.query(
            "SELECT status, count(*) FROM driftline.outbox GROUP BY status",
            operation: "count outbox"
        ).rows {
            counts[row[0] ?? ""] = Int(row[1] ?? "") ?? 0
        }
        return counts
    }
}
