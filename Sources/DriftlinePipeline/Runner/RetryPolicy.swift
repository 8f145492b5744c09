import DriftlineCore
import DriftlinePostgres
import Foundation
import Logging

/// Retries what `isRetryable` says is transient with exponential backoff and full jitter; anything
/// else fails at once.
///
/// The delay before attempt `n + 1` is `Double.random(in: 0...min(maxDelay, baseDelay · 2ⁿ⁻¹))` (full
/// jitter: retrying processes spread over the whole window instead of clustering above its middle).
/// Delays pass through ``clock`` and draw from ``randomSource``, so tests check them without sleeping.
package struct RetryPolicy: Sendable {
    package var maxAttempts: Int
    package var baseDelay: Double
    package var maxDelay: Double
    /// Whether an error is worth another attempt (a lost connection, a deadlock; an HTTP 503).
    package var isRetryable: @Sendable (any Error) -> Bool
    package var clock: any RetryClock
    /// Random bits for the jitter (the system generator unless a test fixes them).
    package var randomSource: @Sendable () -> UInt64

    package init(
        maxAttempts: Int = 6,
        baseDelay: Double = 0.2,
        maxDelay: Double = 5,
        isRetryable: @escaping @Sendable (any Error) -> Bool = RetryPolicy.isTransientDatabaseError,
        clock: any RetryClock = SystemRetryClock(),
        randomSource: @escaping @Sendable () -> UInt64 = { UInt64.random(in: .min ... .max) }
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.isRetryable = isRetryable
        self.clock = clock
        self.randomSource = randomSource
    }

    /// Transient PostgreSQL failures: connection lost, deadlock, serialization failure, lock timeout.
    package static let isTransientDatabaseError: @Sendable (any Error) -> Bool = { error in
        (error as? PostgresError)?.isTransient == true
    }

    /// The database policy; `DRIFTLINE_RETRY_ATTEMPTS` overrides the attempts (tests).
    package static var `default`: RetryPolicy {
        if let attempts = ProcessInfo.processInfo.environment["DRIFTLINE_RETRY_ATTEMPTS"].flatMap(Int.init) {
            return RetryPolicy(maxAttempts: max(1, attempts))
        }
        return RetryPolicy()
    }

    /// The ceiling of the delay before attempt `attempt + 1` (attempt counts from 1), in seconds.
    package func ceiling(after attempt: Int) -> Double {
        min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
    }

    /// The delay before attempt `attempt + 1`: uniform in `0...ceiling(after: attempt)`.
    package func delay(after attempt: Int) -> Duration {
        var generator = Source(source: randomSource)
        return .seconds(Double.random(in: 0...ceiling(after: attempt), using: &generator))
    }

    /// Runs `body` until it succeeds, fails with an error that is not retryable, or runs out of attempts.
    package func run<T>(
        logger: Logger,
        operation: String,
        _ body: (Int) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await body(attempt)
            } catch  where isRetryable(error) && attempt < maxAttempts {
                let wait = delay(after: attempt)
                log(error, attempt: attempt, wait: wait, operation: operation, logger: logger)
                try await clock.sleep(for: wait)
                attempt += 1
            }
        }
    }

    /// The same, sleeping on the current thread: for work on a stage's own thread.
    package func runBlocking<T>(logger: Logger, operation: String, _ body: (Int) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try body(attempt)
            } catch  where isRetryable(error) && attempt < maxAttempts {
                let wait = delay(after: attempt)
                log(error, attempt: attempt, wait: wait, operation: operation, logger: logger)
                clock.sleepBlocking(for: wait)
                attempt += 1
            }
        }
    }

    /// Logs the retry with codes only (a foreign error's text may quote values).
    private func log(_ error: any Error, attempt: Int, wait: Duration, operation: String, logger: Logger) {
        var metadata: Logger.Metadata = [
            "op": .safe(SafeText(code: operation)), "attempt": .safe(attempt),
            "retry_in_ms": .safe(Int(wait.seconds * 1000)),
        ]
        if let error = error as? PostgresError {
            metadata["sqlstate"] = .safe(SafeText(code: error.sqlState ?? "-"))
            metadata["error.kind"] = .safe(error.kind)
            logger.warning("transient database error, retrying", metadata: metadata)
        } else {
            metadata["error.type"] = .safe(SafeText(code: String(describing: type(of: error))))
            logger.warning("transient error, retrying", metadata: metadata)
        }
    }

    /// A generator over `randomSource`.
    private struct Source: RandomNumberGenerator {
        var source: @Sendable () -> UInt64
        mutating func next() -> UInt64 { source() }
    }
}
