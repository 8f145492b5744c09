import DriftlinePostgres

/// Hands out one connection, reconnecting after a lost one. Belongs to one thread or task.
package final class ConnectionProvider {
    private let url: String
    private var current: PGConnection?
    private var siblings: [ConnectionProvider] = []

    package init(url: String) { self.url = url }

    package func connection() throws -> PGConnection {
        if let current, current.isHealthy { return current }
        current = nil
        let fresh = try PGConnection(url: url)
        current = fresh
        return fresh
    }

    /// `count` more providers to the same database, for work split across connections at once (each then
    /// belongs to the thread it is handed to until that work ends). Kept and handed out again next time.
    package func siblings(_ count: Int) -> [ConnectionProvider] {
        while siblings.count < count { siblings.append(ConnectionProvider(url: url)) }
        return Array(siblings.prefix(count))
    }
}
