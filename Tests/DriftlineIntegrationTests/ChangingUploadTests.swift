import DriftlineCore
import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// The hashed bytes are the loaded bytes: an upload is hashed as it is read, from the one descriptor
/// every pass uses, and a file written to while it loads is rolled back and left for the next run.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct ChangingUploadTests {
    static let asOf = "2026-11-21"

    static func run(
        _ workspace: Workspace,
        _ database: TestDatabase,
        environment: [String: String] = [:]
    ) throws -> DriftlineProcess.Result {
        try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", asOf],
            in: workspace.path,
            databaseURL: database.url,
            environment: environment
        )
    }

    static func sha256(_ path: String) throws -> String {
        try FileDigest.sha256(path: path)
    }

    @Test func aFileAppendedToWhileItLoadsIsRolledBackAndLoadsWholeNextRun() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        let path = try workspace.drop(Claims.file(rows: 30), customer: "acme-clinic", name: "claims.csv")
        // The transfer tool was not done: it writes more rows while the load is on line 10.
        let running = try DriftlineProcess.start(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", Self.asOf],
            in: workspace.path,
            databaseURL: database.url,
            environment: ["DRIFTLINE_PAUSE_AT": "load.copy:10", "DRIFTLINE_PAUSE_MS": "3000"]
        )
        try waitFor("the file registered") {
            try database.int("SELECT count(*) FROM driftline.inbox_files") == 1
        }
        Thread.sleep(forTimeInterval: 0.5)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        let more = (31...45).map { Claims.row($0) }.joined(separator: "\n") + "\n"
        try handle.write(contentsOf: Data(more.utf8))
        try handle.close()
        let first = running.wait()
        #expect(first.status == 0, first.summary)
        #expect(first.stderr.contains("upload changed while it was loaded"), first.summary)
        #expect(try database.int("SELECT count(*) FROM driftline.uploads") == 0)
        #expect(try database.int("SELECT count(*) FROM driftline.claims") == 0)
        #expect(workspace.files(in: "inbox") == ["acme-clinic/claims.csv"])
        #expect(try database.int("SELECT count(*) FROM driftline.inbox_files") == 0)

        // The next run loads every row, under the hash of the bytes it loaded.
        let second = try Self.run(workspace, database)
        #expect(second.status == 0, second.summary)
        let archived = workspace.root.appendingPathComponent("archive/acme-clinic/\(Self.asOf)/claims.csv").path
        #expect(
            try database.rows("SELECT rows_loaded, sha256 FROM driftline.uploads")
                == [["45", try Self.sha256(archived)]]
        )
        #expect(!second.stderr.contains(Claims.canary))
    }

    @Test func withDoneMarkersOnlyMarkedFilesLoadAndTheMarkerGoesWithTheFile() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        let pipeline = workspace.root.appendingPathComponent("pipelines/nightly.yaml")
        let text = try String(contentsOf: pipeline, encoding: .utf8) + "\nload: {completion: done_marker}\n"
        try text.write(to: pipeline, atomically: true, encoding: .utf8)
        try workspace.drop(Claims.file(rows: 3), customer: "acme-clinic", name: "a.csv")
        try workspace.drop(Claims.file(rows: 4, startingAt: 100), customer: "acme-clinic", name: "b.csv")
        try workspace.drop("", customer: "acme-clinic", name: "b.csv.done")

        let first = try Self.run(workspace, database)
        #expect(first.status == 0, first.summary)
        #expect(try database.rows("SELECT file_name FROM driftline.uploads") == [["b.csv"]])
        #expect(workspace.files(in: "inbox") == ["acme-clinic/a.csv"])
        #expect(workspace.uploads(in: "archive") == ["acme-clinic/\(Self.asOf)/b.csv"])
        #expect(workspace.files(in: "rejected").isEmpty)

        try workspace.drop("", customer: "acme-clinic", name: "a.csv.done")
        let second = try Self.run(workspace, database)
        #expect(second.status == 0, second.summary)
        #expect(try database.rows("SELECT file_name FROM driftline.uploads ORDER BY 1") == [["a.csv"], ["b.csv"]])
        #expect(workspace.files(in: "inbox").isEmpty)
    }
}
