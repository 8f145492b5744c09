import DriftlineCore
import DriftlinePostgres
import Foundation
import Logging

/// Retries transient PostgreSQL failures (connection lost, deadlock, serialization, lock timeout) with
/// exponential backoff and full jitter; anything else fails at once.
package struct RetryPolicy: Sendable {
    package var maxAttempts: Int
    package var baseDelay: Double
    package var maxDelay: Double

    package init(maxAttempts: Int = 6, baseDelay: Double = 0.2, maxDelay: Double = 5) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    package static var `default`: RetryPolicy {
        if let attempts = ProcessInfo.processInfo.environment["DRIFTLINE_RETRY_ATTEMPTS"].flatMap(Int.init) {
            return RetryPolicy(maxAttempts: max(1, attempts))
        }
        return RetryPolicy()
    }

    /// The delay before attempt `attempt + 1` (attempt counts from 1).
    package func delay(after attempt: Int) -> Double {
        let ceiling = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
        return Double.random(in: ceiling / 2...ceiling)
    }

    package func run<T>(logger: Logger, operation: String, _ body: (Int) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try body(attempt)
            } catch let error as PostgresError where error.isTransient && attempt < maxAttempts {
                let wait = delay(after: attempt)
                logger.warning(
                    "transient database error, retrying",
                    metadata: [
                        "op": .safe(SafeText(operation)), "attempt": .safe(attempt),
                        "sqlstate": .safe(SafeText(error.sqlState ?? "-")), "error.kind": .safe(error.kind),
                        "retry_in_ms": .safe(Int(wait * 1000)),
                    ]
                )
                Thread.sleep(forTimeInterval: wait)
                attempt += 1
            }
        }
    }
}

/// Hands out the stage's connection, reconnecting after a lost one.
package final class ConnectionProvider {
    private let url: String
    private var current: PGConnection?

    package init(url: String) { self.url = url }

    package func connection() throws -> PGConnection {
        if let current, current.isHealthy { return current }
        current = nil
        let fresh = try PGConnection(url: url)
        current = fresh
        return fresh
    }
}
