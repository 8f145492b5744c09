import DriftlineEmbedded
import DriftlinePostgres
import Foundation
import Testing

/// Lifecycle of the private `.driftline` cluster: needs PostgreSQL server binaries
/// (`/usr/lib/postgresql/<major>/bin` or `DRIFTLINE_PG_BINDIR`) and psql.
@Suite(.serialized)
struct EmbeddedPostgresTests {
    @Test func urlHasLibpqSocketForm() {
        let pg = EmbeddedPostgres(root: URL(fileURLWithPath: "/tmp/dl-x/.driftline"))
        #expect(pg.databaseURL == "postgresql:///driftline?host=%2Ftmp%2Fdl-x%2F.driftline%2Frun&user=postgres")
        #expect(pg.socketDirectory.path.hasSuffix("/tmp/dl-x/.driftline/run"))
    }

    @Test func longRootFallsBackToShortSocketDirectoryUnderTmp() {
        let long = "/tmp/" + String(repeating: "d", count: 100)
        let pg = EmbeddedPostgres(root: URL(fileURLWithPath: long).appendingPathComponent(".driftline"))
        let socketDir = pg.socketDirectory.path
        #expect(socketDir.hasPrefix("/tmp/driftline-"))
        #expect((socketDir + "/.s.PGSQL.5432").utf8.count < 108)
        // Stable for the same root.
        let again = EmbeddedPostgres(root: URL(fileURLWithPath: long).appendingPathComponent(".driftline"))
        #expect(again.databaseURL == pg.databaseURL)
    }

    @Test func databaseURLFromEnvironmentWins() throws {
        let url = try EmbeddedPostgres.resolveDatabaseURL(
            environment: ["DATABASE_URL": "postgresql://u@db.example/x"],
            workingDirectory: URL(fileURLWithPath: "/nonexistent-driftline-test"),
            autostart: true
        )
        #expect(url == "postgresql://u@db.example/x")

        let embedded = try EmbeddedPostgres.resolveDatabaseURL(
            environment: ["DATABASE_URL": "  "],
            workingDirectory: URL(fileURLWithPath: "/tmp/dl-y"),
            autostart: false
        )
        #expect(embedded == "postgresql:///driftline?host=%2Ftmp%2Fdl-y%2F.driftline%2Frun&user=postgres")
    }

    @Test func missingBinariesGiveClearError() {
        let pg = EmbeddedPostgres(
            root: URL(fileURLWithPath: "/tmp/dl-none/.driftline"),
            environment: ["DRIFTLINE_PG_BINDIR": "/nonexistent-pg-bindir"]
        )
        #expect(throws: EmbeddedPostgresError.self) { try pg.start() }
        #expect(pg.status().running == false)
    }

    @Test func startStopRestart() throws {
        let work = URL(fileURLWithPath: "/tmp/dl-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let pg = EmbeddedPostgres(root: work.appendingPathComponent(".driftline"))
        defer {
            try? pg.stop()
            try? FileManager.default.removeItem(at: work)
        }

        #expect(pg.status().running == false)
        let url = try pg.start()
        #expect(url == pg.databaseURL)
        #expect(try psql(url, "SELECT current_database()") == "driftline")

        // Second start is a no-op on the running cluster.
        #expect(try pg.start() == url)
        let status = pg.status()
        #expect(status.running)
        #expect(status.dataDirectory.path.hasPrefix(work.path))
        #expect(status.url == url)
        #expect(try psql(url, "SHOW listen_addresses") == "")
        #expect(try psql(url, "SHOW fsync") == "on")

        try pg.stop()
        #expect(pg.status().running == false)
        try pg.stop()  // idempotent

        // Restart the existing cluster; data survives.
        #expect(try pg.start() == url)
        #expect(pg.status().running)
        #expect(try psql(url, "SELECT 1") == "1")

        let resolved = try EmbeddedPostgres.resolveDatabaseURL(
            environment: [:],
            workingDirectory: work,
            autostart: true
        )
        #expect(resolved == url)
    }

    /// The server accepts unix-socket connections only and inherits none of the caller's environment
    /// beyond PATH and the locale.
    @Test func serverHasNoHostRulesAndAMinimalEnvironment() throws {
        let work = URL(fileURLWithPath: "/tmp/dl-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["AWS_SECRET_ACCESS_KEY"] = "SECRET-CANARY-1"
        environment["DATABASE_PASSWORD"] = "SECRET-CANARY-2"
        environment["PGOPTIONS"] = "-c log_min_messages=debug5"
        let pg = EmbeddedPostgres(root: work.appendingPathComponent(".driftline"), environment: environment)
        defer {
            try? pg.stop()
            try? FileManager.default.removeItem(at: work)
        }
        let url = try pg.start()

        let hba = try String(contentsOf: pg.dataDirectory.appendingPathComponent("pg_hba.conf"), encoding: .utf8)
        let rules = hba.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.allSatisfy(\.isWhitespace) }
        #expect(!rules.isEmpty && rules.allSatisfy { $0.hasPrefix("local") }, "\(hba)")
        #expect(
            try psql(url, "SELECT count(*) FROM pg_hba_file_rules WHERE type <> 'local' OR error IS NOT NULL") == "0"
        )

        let pidFile = try String(contentsOf: pg.dataDirectory.appendingPathComponent("postmaster.pid"), encoding: .utf8)
        let pid = try #require(pidFile.split(separator: "\n").first.flatMap { Int32($0) })
        let environ = try #require(FileManager.default.contents(atPath: "/proc/\(pid)/environ"))
        let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        let names = variables.map { String($0.prefix { $0 != "=" }) }
        // What pg_ctl, its shell and postgres set themselves (PGDATA, PGSYSCONFDIR, PWD, …) and runuser
        // sets for the server user (HOME, SHELL, USER, LOGNAME) are theirs; nothing else of ours may be there.
        let allowed: Set<String> = ["PATH", "LANG", "HOME", "SHELL", "USER", "LOGNAME", "PWD"]
        for name in names {
            #expect(allowed.contains(name) || name.hasPrefix("LC_") || name.hasPrefix("PG"), "\(name) in \(names)")
        }
        #expect(!variables.contains { $0.contains("SECRET-CANARY") || $0.hasPrefix("PGOPTIONS=") }, "\(names)")
        #expect(names.contains("PATH"))
    }

    private func psql(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        let candidates = ["/usr/bin/psql", "/usr/lib/postgresql/15/bin/psql"]
        process.executableURL = URL(
            fileURLWithPath: candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "psql"
        )
        process.arguments = ["-X", "-At", url, "-c", sql]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
