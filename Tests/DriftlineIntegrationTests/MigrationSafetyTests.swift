import DriftlineCore
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// Migrations that production can run during the day: bounded lock waits, concurrent index builds,
/// and binaries that refuse a schema newer than they know.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct MigrationSafetyTests {
    private static func migration(_ version: Int, _ sql: String) -> Migrator.Migration {
        Migrator.Migration(version: version, name: "\(version)_test", sql: sql)
    }

    @Test func aNoTransactionMigrationBuildsAnIndexConcurrently() throws {
        let database = try TestDatabase()
        let connection = try database.connect()
        let index = Self.migration(
            9001,
            """
            -- driftline: no-transaction
            -- driftline: backward-compatible
            DROP INDEX CONCURRENTLY IF EXISTS driftline.claims_test_payer_idx;
            CREATE INDEX CONCURRENTLY IF NOT EXISTS claims_test_payer_idx ON driftline.claims (payer);
            """
        )
        #expect(!index.transactional && index.backwardCompatible)
        let applied = try Migrator.migrate(connection, migrations: try Migrator.bundled() + [index])
        #expect(applied == [9001])
        #expect(
            try database.scalar(
                "SELECT indisvalid::text FROM pg_index WHERE indexrelid = 'driftline.claims_test_payer_idx'::regclass"
            ) == "true"
        )
        #expect(try Migrator.migrate(connection, migrations: try Migrator.bundled() + [index]) == [])
    }

    @Test func aBinaryOlderThanTheSchemaRefusesToRunUnlessTheNewerMigrationsAreBackwardCompatible() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        try workspace.drop(Claims.file(rows: 3), customer: "acme-clinic", name: "a.csv")
        let connection = try database.connect()
        // A later binary applied migration 9100, an expand-only one, and 9200, which is not.
        try Migrator.migrate(
            connection,
            migrations: try Migrator.bundled() + [
                Self.migration(
                    9100,
                    "-- driftline: backward-compatible\nCREATE TABLE driftline.expand_only (x bigint);"
                )
            ]
        )
        let run = ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", "2026-11-21"]
        let tolerated = try DriftlineProcess.run(run, in: workspace.path, databaseURL: database.url)
        #expect(tolerated.status == 0, "\(tolerated.stderr)")

        try Migrator.migrate(
            connection,
            migrations: try Migrator.bundled() + [
                Self.migration(
                    9100,
                    "-- driftline: backward-compatible\nCREATE TABLE driftline.expand_only (x bigint);"
                ),
                Self.migration(9200, "ALTER TABLE driftline.expand_only RENAME COLUMN x TO y;"),
            ]
        )
        try workspace.drop(Claims.file(rows: 3, startingAt: 10), customer: "acme-clinic", name: "b.csv")
        let refused = try DriftlineProcess.run(run, in: workspace.path, databaseURL: database.url)
        #expect(refused.status == 78, "\(refused.stderr)")
        #expect(refused.stderr.contains("newer than this binary knows (9200)"), "\(refused.stderr)")
        #expect(workspace.files(in: "inbox") == ["acme-clinic/b.csv"], "nothing was touched")
    }

    /// A migration that needs an ACCESS EXCLUSIVE lock on `claims` while a load is streaming into it: each
    /// attempt waits at most `lock_timeout` (so the load's statements never queue behind it for longer), the
    /// load finishes, and the migration succeeds on a later attempt.
    @Test func aMigrationDuringAStreamingLoadWaitsAtMostItsTimeoutAndSucceedsAfterwards() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        try workspace.drop(Claims.file(rows: 400), customer: "acme-clinic", name: "a.csv")
        let load = try DriftlineProcess.start(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", "2026-11-21"],
            in: workspace.path,
            databaseURL: database.url,
            environment: ["DRIFTLINE_PAUSE_AT": "load.copy:200", "DRIFTLINE_PAUSE_MS": "3000"]
        )
        let probe = try database.connect()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let copying = try probe.query(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY%'",
                operation: "probe"
            ).scalar
            if copying == "1" { break }
            Thread.sleep(forTimeInterval: 0.05)
        }

        var options = Migrator.Options()
        options.lockTimeoutMilliseconds = 300
        options.attempts = 200
        options.maxBackoffSeconds = 0.3
        var waits: [Double] = []
        var started = Date()
        let alter = Self.migration(9300, "ALTER TABLE driftline.claims ADD COLUMN test_note text;")
        let applied = try Migrator.migrate(
            try database.connect(),
            migrations: try Migrator.bundled() + [alter],
            options: options
        ) { _, _ in
            waits.append(Date().timeIntervalSince(started))
            started = Date()
        }
        let result = load.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(applied == [9300])
        #expect(!waits.isEmpty, "the migration met the load's lock")
        // Each failed attempt gave up after its lock_timeout (plus the backoff sleep before it), not later.
        #expect(waits.allSatisfy { $0 < 0.3 + 0.3 + 0.5 }, "\(waits)")
        #expect(try database.int("SELECT count(*) FROM driftline.claims") == 400)
        #expect(
            try database.scalar(
                "SELECT count(*)::text FROM information_schema.columns WHERE table_name = 'claims' AND column_name = 'test_note'"
            ) == "1"
        )
    }
}
