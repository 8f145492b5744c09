import AsyncHTTPClient
import DriftlineCore
import DriftlinePostgres
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Drains the outbox: posts each due message to its endpoint per the Standard Webhooks specification, or
/// appends it to the file channel when the endpoint has no URL, and records every attempt.
///
/// One message at a time, each in its own transaction that holds the message's row (`FOR UPDATE SKIP LOCKED`)
/// while it is sent: concurrent deliverers share the outbox and never send one message twice at once; a
/// deliverer killed after sending and before committing leaves the message pending, and the next attempt
/// carries the same `webhook-id` (receivers dedupe on it).
package struct WebhookDeliverer: Sendable {
    package var book: AlertRuleBook
    package var credentials: WebhookCredentials
    package var settings: DeliverySettings
    /// Where file-channel lines go (``DeliverySettings/fileChannel`` resolved against the working directory).
    package var fileChannel: URL
    /// Full jitter (`base ↦ uniform(0…base)`); tests pass the identity.
    package var jitter: @Sendable (Double) -> Double = DeliveryAction.fullJitter
    /// Waits while lingering for retries; tests may shorten it.
    package var sleep: @Sendable (Double) async throws -> Void = { seconds in
        try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
    }
    /// The `webhook-timestamp` clock.
    package var now: @Sendable () -> Date = { Date() }

    package init(book: AlertRuleBook, credentials: WebhookCredentials, settings: DeliverySettings, fileChannel: URL) {
        self.book = book
        self.credentials = credentials
        self.settings = settings
        self.fileChannel = fileChannel
    }

    /// Sends what is due; waits for the next retry whenever it falls due within ``DeliverySettings/lingerSeconds``.
    ///
    /// - Parameter limit: stop after this many attempts (tests).
    package func run(databaseURL: String, logger: Logger, limit: Int = .max) async throws -> DeliverySummary {
        let connection = try PGConnection(url: databaseURL)
        let configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(
                connect: .milliseconds(Int64(settings.timeoutSeconds * 1000)),
                read: .milliseconds(Int64(settings.timeoutSeconds * 1000))
            )
        )
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var summary = DeliverySummary()
        do {
            var attempts = 0
            while attempts < limit {
                if try await deliverOne(connection: connection, client: client, summary: &summary, logger: logger) {
                    attempts += 1
                    continue
                }
                // Wait for a retry only when it falls due within the linger (bounded: the schedule is finite).
                guard let due = try OutboxStore.secondsUntilNextDue(on: connection), due <= settings.lingerSeconds
                else { break }
                try await sleep(max(due, 0.01))
            }
            summary.pending = try OutboxStore.counts(on: connection)["pending"] ?? 0
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        var metadata: Logger.Metadata = [:]
        for (key, value) in summary.counts { metadata[key] = "\(value)" }
        logger.log(level: summary.deadLettered > 0 ? .warning : .info, "delivery finished", metadata: metadata)
        return summary
    }

    /// Claims and attempts one due message; `false` when none is due.
    private func deliverOne(
        connection: PGConnection,
        client: HTTPClient,
        summary: inout DeliverySummary,
        logger: Logger
    ) async throws -> Bool {
        try connection.execute("BEGIN", operation: "begin delivery")
        do {
            guard let message = try OutboxStore.claimNext(on: connection) else {
                try connection.execute("COMMIT", operation: "commit delivery")
                return false
            }
            var log = logger
            log[metadataKey: "webhook.id"] = "\(message.messageID)"
            log[metadataKey: "endpoint"] = "\(message.endpoint)"
            log[metadataKey: "attempt"] = "\(message.attempts + 1)"
            let (attempt, action) = try await send(message, connection: connection, client: client)
            // Sent, not yet recorded: a crash here makes the next deliverer send the same webhook-id again.
            CrashPoint.reach("deliver.after_send")
            try OutboxStore.record(attempt, of: message, action: action, settings: settings, on: connection)
            try connection.execute("COMMIT", operation: "commit delivery")
            switch action {
            case .delivered:
                if attempt.channel == "file" { summary.filed += 1 } else { summary.delivered += 1 }
                log.info("notification delivered", metadata: ["channel": "\(attempt.channel)"])
            case .retry(let delay, let errorClass):
                summary.retried += 1
                log.notice(
                    "delivery failed, will retry",
                    metadata: [
                        "error.class": "\(errorClass)", "http.status": "\(attempt.statusCode ?? 0)",
                        "retry.seconds": "\(String(format: "%.3f", delay))",
                    ]
                )
            case .dead(let errorClass):
                summary.deadLettered += 1
                log.warning(
                    "notification dead-lettered",
                    metadata: ["error.class": "\(errorClass)", "http.status": "\(attempt.statusCode ?? 0)"]
                )
            case .disableEndpoint:
                summary.deadLettered += 1
                log.warning("endpoint answered 410 Gone: disabled, notification dead-lettered")
            }
            return true
        } catch {
            if connection.isHealthy { try? connection.execute("ROLLBACK", operation: "rollback delivery") }
            throw error
        }
    }

    private func send(
        _ message: OutboxMessage,
        connection: PGConnection,
        client: HTTPClient
    ) async throws -> (OutboxStore.Attempt, DeliveryAction) {
        let started = Date()
        func local(
            _ channel: String,
            _ action: DeliveryAction,
            _ errorClass: String?
        ) -> (OutboxStore.Attempt, DeliveryAction) {
            let attempt = OutboxStore.Attempt(
                channel: channel,
                startedAt: started,
                durationMs: Date().timeIntervalSince(started) * 1000,
                statusCode: nil,
                errorClass: errorClass
            )
            return (attempt, action)
        }
        // The tenant guard, once more: the endpoint must still exist and accept this customer.
        guard let endpoint = book.endpoints[message.endpoint] else {
            return local("webhook", .dead(errorClass: "unknown_endpoint"), "unknown_endpoint")
        }
        guard endpoint.accepts(customerID: message.customerID) else {
            return local("webhook", .dead(errorClass: "tenant_mismatch"), "tenant_mismatch")
        }
        guard let target = credentials.endpoint(message.endpoint) else {
            do {
                try appendToFileChannel(message)
                return local("file", .delivered, nil)
            } catch {
                return local("file", .dead(errorClass: "file_channel"), "file_channel")
            }
        }
        if try OutboxStore.isDisabled(message.endpoint, on: connection) {
            return local("webhook", .dead(errorClass: "endpoint_disabled"), "endpoint_disabled")
        }
        let timestamp = Int64(now().timeIntervalSince1970)
        let sent = Date()
        var request = HTTPClientRequest(url: target.url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "user-agent", value: "driftline")
        request.headers.add(name: "webhook-id", value: message.messageID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(
            name: "webhook-signature",
            value: target.signer.signature(id: message.messageID, timestamp: timestamp, body: message.body)
        )
        request.body = .bytes(ByteBuffer(string: message.body))
        let result: DeliveryResult
        var statusCode: Int?
        do {
            let (status, retryAfterHeader) = try await Self.post(
                request,
                with: client,
                timeoutSeconds: settings.timeoutSeconds
            )
            statusCode = status
            result = .response(status: status, retryAfter: retryAfterHeader.flatMap(Self.retryAfterSeconds))
        } catch is RequestTimedOut {
            result = .timeout
        } catch let error as HTTPClientError
            where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout
        {
            result = .timeout
        } catch {
            // Never the error's text: it may quote the URL.
            result = .connection
        }
        let action = DeliveryAction.after(result, attempt: message.attempts + 1, settings: settings, jitter: jitter)
        let attempt = OutboxStore.Attempt(
            channel: "webhook",
            startedAt: sent,
            durationMs: Date().timeIntervalSince(sent) * 1000,
            statusCode: statusCode,
            errorClass: Self.errorClass(result)
        )
        return (attempt, action)
    }

    private static func errorClass(_ result: DeliveryResult) -> String? {
        switch result {
        case .response(let status, _):
            switch status {
            case 200..<300: nil
            case 500..<600: "http_5xx"
            default: "http_\(status)"
            }
        case .timeout: "timeout"
        case .connection: "connection"
        }
    }

    /// `Retry-After`: delay-seconds or an HTTP-date.
    package static func retryAfterSeconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed), seconds.isFinite, seconds >= 0 { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: trimmed).map { max(0, $0.timeIntervalSinceNow) }
    }

    /// One JSON line per notification in `<file channel>/<endpoint>.jsonl` (mode 0600, like every file that
    /// leaves the database).
    private func appendToFileChannel(_ message: OutboxMessage) throws {
        try FileManager.default.createDirectory(at: fileChannel, withIntermediateDirectories: true)
        let url = fileChannel.appendingPathComponent("\(message.endpoint).jsonl")
        if !FileManager.default.fileExists(atPath: url.path) {
            guard
                FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600])
            else { throw CocoaError(.fileWriteUnknown) }
        }
        let line =
            "{\"endpoint\":\"\(message.endpoint)\",\"webhook_id\":\"\(message.messageID)\",\"payload\":\(message.body)}\n"
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(line.utf8))
    }

    /// The client gave up waiting (see ``post(_:with:timeoutSeconds:)``).
    private struct RequestTimedOut: Error {}

    /// Sends `request` and reads the response within `timeoutSeconds`: the status and `Retry-After`.
    ///
    /// AsyncHTTPClient's own deadline is passed too, but on a loaded machine it was seen not to fire (a
    /// 0.3 s timeout took 28 s), so the request also races a sleep of the same length and its task is
    /// cancelled when the sleep wins.
    private static func post(
        _ request: HTTPClientRequest,
        with client: HTTPClient,
        timeoutSeconds: Double
    ) async throws -> (Int, String?) {
        try await withThrowingTaskGroup(of: (Int, String?)?.self) { group in
            group.addTask {
                let response = try await client.execute(
                    request,
                    timeout: .milliseconds(Int64(timeoutSeconds * 1000))
                )
                let retryAfter = response.headers.first(name: "retry-after")
                _ = try? await response.body.collect(upTo: 64 * 1024)
                return (Int(response.status.code), retryAfter)
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(max(0, timeoutSeconds) * 1_000_000_000))
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let answer = first else { throw RequestTimedOut() }
            return answer
        }
    }

}
