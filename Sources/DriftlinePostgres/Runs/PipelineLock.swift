import DriftlineCore
import Foundation

/// The session-level advisory lock that keeps two runs of one pipeline apart, across hosts.
/// It lives on its own connection and vanishes with it, so a killed process never leaves it behind.
package final class PipelineLock {
    private let connection: PGConnection
    package let pipeline: String

    private init(connection: PGConnection, pipeline: String) {
        self.connection = connection
        self.pipeline = pipeline
    }

    /// Takes the lock, polling until `wait` seconds have passed; `nil` when another run holds it.
    package static func acquire(pipeline: String, url: String, wait: Double) throws -> PipelineLock? {
        let connection = try PGConnection(url: url)
        let deadline = Date().addingTimeInterval(wait)
        while true {
            let taken = try connection.query(
                "SELECT pg_try_advisory_lock(hashtext($1))", ["driftline.pipeline." + pipeline],
                operation: "take pipeline lock"
            ).scalar == "t"
            if taken { return PipelineLock(connection: connection, pipeline: pipeline) }
            if Date() >= deadline { return nil }
            Thread.sleep(forTimeInterval: min(0.5, max(0.05, deadline.timeIntervalSinceNow)))
        }
    }

    /// Releases the lock (closing the connection would too).
    package func release() {
        _ = try? connection.query(
            "SELECT pg_advisory_unlock(hashtext($1))", ["driftline.pipeline." + pipeline], operation: "release pipeline lock")
    }
}
