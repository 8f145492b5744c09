import DriftlinePostgres

/// Hands out one connection, reconnecting after a lost one. Belongs to one thread or task.
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
