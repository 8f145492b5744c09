import Crypto
import DriftlineCore
import Foundation

/// Applies the versioned SQL migrations shipped with the binary, in order, once each, without ever
/// blocking the nightly load for long.
///
/// - Concurrent `migrate` calls serialise on a session-level advisory lock.
/// - Each migration runs in its own transaction with `lock_timeout` and `statement_timeout` set (``Options``):
///   a migration that must wait for a lock held by a long load gives up after the timeout (so the load's
///   and everyone else's statements do not queue behind it) and is retried with backoff.
/// - A migration whose first lines say `-- driftline: no-transaction` runs outside a transaction, one
///   statement at a time (for `CREATE INDEX CONCURRENTLY`); write it so it can run again after a failure
///   (`IF NOT EXISTS`, dropping an invalid index first).
/// - Each applied file's SHA-256 is recorded and a changed file is refused.
/// - The schema records whether each migration is `-- driftline: backward-compatible` (expand-only: an
///   older binary still works against it). A binary that finds migrations it does not know refuses to run
///   unless every one of them is marked so.
package struct Migrator {
    package struct Migration: Sendable {
        package var version: Int
        package var name: String
        package var sql: String
        package var checksum: String
        /// Runs outside a transaction (`-- driftline: no-transaction`).
        package var transactional: Bool
        /// Expand-only: binaries that predate it keep working (`-- driftline: backward-compatible`).
        package var backwardCompatible: Bool

        package init(version: Int, name: String, sql: String) {
            self.version = version
            self.name = name
            self.sql = sql
            checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
            let header = sql.split(separator: "\n").prefix { $0.hasPrefix("--") }.map { $0.lowercased() }
            transactional = !header.contains { $0.contains("driftline: no-transaction") }
            backwardCompatible = header.contains { $0.contains("driftline: backward-compatible") }
        }
    }

    package struct Options: Sendable {
        /// How long one statement of a migration may wait for a lock before the attempt gives up.
        package var lockTimeoutMilliseconds = 2_000
        package var statementTimeoutMilliseconds = 600_000
        /// Attempts per migration when a lock cannot be had in time (with backoff between them).
        package var attempts = 30
        package var maxBackoffSeconds = 10.0

        package init() {}

        /// `DRIFTLINE_MIGRATION_LOCK_TIMEOUT_MS`, `DRIFTLINE_MIGRATION_ATTEMPTS` override the defaults.
        package static var environment: Options {
            var options = Options()
            let env = ProcessInfo.processInfo.environment
            if let value = env["DRIFTLINE_MIGRATION_LOCK_TIMEOUT_MS"].flatMap(Int.init), value > 0 {
                options.lockTimeoutMilliseconds = value
            }
            if let value = env["DRIFTLINE_MIGRATION_ATTEMPTS"].flatMap(Int.init), value > 0 { options.attempts = value }
            return options
        }
    }

    /// `pg_advisory_lock` key for migrations ("driftline" in ASCII, truncated).
    static let lockKey: Int64 = 0x6472_6966_746C_696E

    package static func bundled() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw ConfigError(file: "Migrations", message: "the migrations are missing from the build")
        }
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        return try files.map { url in
            let name = url.deletingPathExtension().lastPathComponent
            guard let version = Int(name.prefix { $0.isNumber }) else {
                throw ConfigError(
                    file: url.lastPathComponent,
                    message: "a migration file name must start with its version"
                )
            }
            return Migration(version: version, name: name, sql: try String(contentsOf: url, encoding: .utf8))
        }
    }

    /// Applies what is missing; returns the versions applied now.
    ///
    /// - Parameter migrations: the binary's migrations (tests add their own).
    /// - Throws: ``ConfigError`` when the schema is newer than this binary and not backward compatible, or a
    ///   migration was changed after it was applied; ``PostgresError`` when a lock could not be had in time.
    @discardableResult
    package static func migrate(
        _ connection: PGConnection,
        migrations: [Migration]? = nil,
        options: Options = .environment,
        onRetry: (Migration, Int) -> Void = { _, _ in }
    ) throws -> [Int] {
        let migrations = try migrations ?? bundled()
        try connection.query("SELECT pg_advisory_lock($1)", [String(lockKey)], operation: "lock migrations")
        defer {
            _ = try? connection.query(
                "SELECT pg_advisory_unlock($1)",
                [String(lockKey)],
                operation: "unlock migrations"
            )
        }
        try connection.execute(
            """
            CREATE SCHEMA IF NOT EXISTS driftline;
            CREATE TABLE IF NOT EXISTS driftline.schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            operation: "create migrations table"
        )
        // Added after the table: checked first, so a start takes no ACCESS EXCLUSIVE lock once it exists.
        let hasCompatibility = try connection.query(
            """
            SELECT 1 FROM pg_attribute
             WHERE attrelid = 'driftline.schema_migrations'::regclass AND attname = 'backward_compatible'
            """,
            operation: "read migrations table"
        )
        if hasCompatibility.isEmpty {
            try connection.execute(
                "ALTER TABLE driftline.schema_migrations ADD COLUMN backward_compatible boolean NOT NULL DEFAULT false",
                operation: "extend migrations table"
            )
        }
        let applied = try connection.query(
            "SELECT version, checksum, backward_compatible FROM driftline.schema_migrations ORDER BY version",
            operation: "read migrations"
        )
        var known: [Int: String] = [:]
        for row in applied.rows { known[Int(row[0]!)!] = row[1]! }
        try checkCompatibility(applied: applied.rows, bundled: migrations)
        var done: [Int] = []
        for migration in migrations {
            if let checksum = known[migration.version] {
                guard checksum == migration.checksum else {
                    throw ConfigError(
                        file: migration.name + ".sql",
                        message: "was changed after it was applied (checksum mismatch): add a new migration instead"
                    )
                }
                continue
            }
            try apply(migration, on: connection, options: options, onRetry: onRetry)
            done.append(migration.version)
        }
        return done
    }

    /// Refuses a schema with migrations this binary does not know, unless they are all backward compatible.
    private static func checkCompatibility(applied: [[String?]], bundled: [Migration]) throws {
        let newest = bundled.map(\.version).max() ?? 0
        let unknown = applied.filter { Int($0[0]!)! > newest }
        let breaking = unknown.filter { $0[2] != "t" }.map { Int($0[0]!)! }
        guard breaking.isEmpty else {
            let versions = SafeText(code: breaking.map(String.init).joined(separator: ", "))
            throw ConfigError(
                file: "driftline.schema_migrations",
                message: """
                    the database schema has migrations newer than this binary knows (\(versions)), not marked \
                    backward compatible: upgrade driftline (this binary knows migrations up to \(newest))
                    """
            )
        }
    }

    private static func apply(
        _ migration: Migration,
        on connection: PGConnection,
        options: Options,
        onRetry: (Migration, Int) -> Void
    ) throws {
        var attempt = 1
        while true {
            do {
                if migration.transactional {
                    try connection.transaction {
                        try setTimeouts(options, local: true, on: connection)
                        try connection.execute(migration.sql, operation: "migration \(migration.version)")
                        try record(migration, on: connection)
                    }
                } else {
                    try setTimeouts(options, local: false, on: connection)
                    defer {
                        _ = try? connection.execute("RESET lock_timeout; RESET statement_timeout", operation: "reset")
                    }
                    for statement in statements(of: migration.sql) {
                        try connection.execute(statement, operation: "migration \(migration.version)")
                    }
                    try connection.transaction { try record(migration, on: connection) }
                }
                return
            } catch let error as PostgresError where error.isLockTimeout && attempt < options.attempts {
                onRetry(migration, attempt)
                let ceiling = min(options.maxBackoffSeconds, 0.25 * pow(2, Double(attempt - 1)))
                Thread.sleep(forTimeInterval: Double.random(in: 0...ceiling))
                attempt += 1
            }
        }
    }

    private static func setTimeouts(_ options: Options, local: Bool, on connection: PGConnection) throws {
        let scope = local ? "SET LOCAL" : "SET"
        try connection.execute(
            "\(scope) lock_timeout = \(options.lockTimeoutMilliseconds); "
                + "\(scope) statement_timeout = \(options.statementTimeoutMilliseconds)",
            operation: "set migration timeouts"
        )
    }

    private static func record(_ migration: Migration, on connection: PGConnection) throws {
        try connection.query(
            """
            INSERT INTO driftline.schema_migrations (version, name, checksum, backward_compatible)
            VALUES ($1, $2, $3, $4)
            """,
            [String(migration.version), migration.name, migration.checksum, migration.backwardCompatible ? "t" : "f"],
            operation: "record migration"
        )
    }

    /// The statements of a no-transaction migration: split after each line that ends in `;` (such a
    /// migration holds plain DDL, no function bodies), comments dropped.
    static func statements(of sql: String) -> [String] {
        var statements: [String] = []
        var current: [Substring] = []
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") || trimmed.isEmpty { continue }
            current.append(line)
            if trimmed.hasSuffix(";") {
                statements.append(current.joined(separator: "\n"))
                current = []
            }
        }
        if !current.isEmpty { statements.append(current.joined(separator: "\n")) }
        return statements
    }
}
