import Crypto
import DriftlineCore
import Foundation

/// Applies the versioned SQL migrations shipped with the binary, in order, once each.
///
/// Runs under a transaction-scoped advisory lock, so concurrent `migrate` calls serialise; each
/// applied file's SHA-256 is recorded and a changed file is refused.
package struct Migrator {
    package struct Migration: Sendable {
        package var version: Int
        package var name: String
        package var sql: String
        package var checksum: String
    }

    /// `pg_advisory_xact_lock` key for migrations ("driftline" in ASCII, truncated).
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
            let sql = try String(contentsOf: url, encoding: .utf8)
            let checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
            return Migration(version: version, name: name, sql: sql, checksum: checksum)
        }
    }

    /// Applies what is missing; returns the versions applied now.
    @discardableResult
    package static func migrate(_ connection: PGConnection) throws -> [Int] {
        let migrations = try bundled()
        return try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock($1)", [String(lockKey)], operation: "lock migrations")
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
            let applied = try connection.query(
                "SELECT version, checksum FROM driftline.schema_migrations",
                operation: "read migrations"
            )
            var known: [Int: String] = [:]
            for row in applied.rows { known[Int(row[0]!)!] = row[1]! }
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
                try connection.execute(migration.sql, operation: "migration \(migration.version)")
                try connection.query(
                    "INSERT INTO driftline.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [String(migration.version), migration.name, migration.checksum],
                    operation: "record migration"
                )
                done.append(migration.version)
            }
            return done
        }
    }
}
