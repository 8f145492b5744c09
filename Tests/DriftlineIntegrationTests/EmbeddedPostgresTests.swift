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
