import DriftlineCore
import DriftlinePostgres
import Foundation

/// A private, migrated database per test, cloned from a template migrated once per test process.
///
/// The server is `$DATABASE_URL` (`make test` starts the embedded cluster and sets it). Suites that
/// need it are gated with `.enabled(if: TestDatabase.isAvailable)`.
package final class TestDatabase: @unchecked Sendable {
    package let name: String
    /// A libpq URI for this database.
    package let url: String

    package static var serverURL: String? {
        ProcessInfo.processInfo.environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    package static var isAvailable: Bool { serverURL != nil }

    /// `url` pointed at database `name` (a `dbname` parameter overrides the URI's path).
    package static func url(_ url: String, database name: String) -> String {
        url + (url.contains("?") ? "&" : "?") + "dbname=" + name
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var template: String?

    private static func templateName() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let template { return template }
        let server = serverURL!
        let name = "driftline_tmpl_\(getpid())"
        let admin = try PGConnection(url: url(server, database: "postgres"))
        // Templates of test processes that are gone (they cannot drop their own at exit).
        let stale = try admin.query(
            "SELECT datname FROM pg_database WHERE datname ~ '^driftline_(tmpl|test)_[0-9]+'",
            operation: "find stale"
        )
        for row in stale.rows {
            let database = row[0]!
            let pid = Int32(database.split(separator: "_")[2]) ?? 0
            if pid == getpid() || kill(pid, 0) != 0 {
                try admin.execute(
                    "DROP DATABASE IF EXISTS \(database) WITH (FORCE)",
                    operation: "drop stale test database"
                )
            }
        }
        try admin.execute("CREATE DATABASE \(name)", operation: "create template")
        do {
            let connection = try PGConnection(url: url(server, database: name))
            try Migrator.migrate(connection)
        }
        template = name
        return name
    }

    /// Creates a fresh migrated database.
    package init() throws {
        let server = Self.serverURL!
        let template = try Self.templateName()
        name = "driftline_test_\(getpid())_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try PGConnection(url: Self.url(server, database: "postgres"))
        // CREATE DATABASE … TEMPLATE needs the template idle; clones are serialised per process.
        Self.lock.lock()
        defer { Self.lock.unlock() }
        try admin.execute("CREATE DATABASE \(name) TEMPLATE \(template)", operation: "create test database")
        url = Self.url(server, database: name)
    }

    deinit {
        if let admin = try? PGConnection(url: Self.url(Self.serverURL!, database: "postgres")) {
            try? admin.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", operation: "drop test database")
        }
    }

    package func connect() throws -> PGConnection { try PGConnection(url: url) }

    /// The first column of the first row, as text.
    package func scalar(_ sql: String, _ parameters: [String?] = []) throws -> String? {
        try connect().query(sql, parameters, operation: "test query").scalar
    }

    package func int(_ sql: String, _ parameters: [String?] = []) throws -> Int {
        Int(try scalar(sql, parameters) ?? "0") ?? 0
    }

    package func rows(_ sql: String, _ parameters: [String?] = []) throws -> [[String?]] {
        try connect().query(sql, parameters, operation: "test query").rows
    }
}
