import DriftlineCore
import Foundation

/// The session-level advisory lock that keeps two runs of one pipeline apart, across hosts.
/// It lives on its own connection and vanishes with it, so a killed process never leaves it behind.
package final class PipelineLock {
    private var connection: PGConnection
    private let url: String
    package let pipeline: String

    private init(connection: PGConnection, url: String, pipeline: String) {
        self.connection = connection
        self.url = url
        self.pipeline = pipeline
    }

    private static func tryLock(pipeline: String, on connection: PGConnection) throws -> Bool {
        try connection.query(
            "SELECT pg_try_advisory_lock(hashtext($1))",
            ["driftline.pipeline." + pipeline],
            operation: "take pipeline lock"
        ).scalar == "t"
    }

    /// Takes the lock, polling until `wait` seconds have passed; `nil` when another run holds it.
    package static func acquire(pipeline: String, url: String, wait: Double) throws -> PipelineLock? {
        let connection = try PGConnection(url: url)
        let deadline = Date().addingTimeInterval(wait)
        while true {
            if try tryLock(pipeline: pipeline, on: connection) {
                return PipelineLock(connection: connection, url: url, pipeline: pipeline)
            }
            if Date() >= deadline { return nil }
            Thread.sleep(forTimeInterval: min(0.5, max(0.05, deadline.timeIntervalSinceNow)))
        }
    }

    /// Makes sure the lock is still this process's. The lock lives only as long as its connection: after
    /// a server restart or a terminated backend it is gone, and is taken again on a new connection
    /// unless another run took it meanwhile.
    /// - Returns: `false` when another run holds the lock now.
    /// - Throws: ``PostgresError`` when the server cannot be reached.
    package func ensureHeld() throws -> Bool {
        if connection.isHealthy, (try? connection.query("SELECT 1", operation: "check pipeline lock")) != nil {
            return true
        }
        let fresh = try PGConnection(url: url)
        guard try Self.tryLock(pipeline: pipeline, on: fresh) else { return false }
        connection = fresh
        return true
    }

    /// Releases the lock (closing the connection would too).
    package func release() {
        _ = try? connection.query(
            "SELECT pg_advisory_unlock(hashtext($1))",
            ["driftline.pipeline." + pipeline],
            operation: "release pipeline lock"
        )
    }
}
