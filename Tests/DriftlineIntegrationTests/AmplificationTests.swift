import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// A small upload cannot make Driftline write, store or log without bound: decompressed bytes and rows
/// are capped, reading stops once `max_reject_rate` can no longer be met, and the rejects stored and
/// reported per upload are capped (their counts stay exact).
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct AmplificationTests {
    static let asOf = "2026-11-21"

    static func run(_ workspace: Workspace, _ database: TestDatabase) throws -> DriftlineProcess.Result {
        try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", asOf],
            in: workspace.path,
            databaseURL: database.url
        )
    }

    /// A header and a million one-byte lines: 290 bytes compressed.
    static func bomb() throws -> Data {
        let data = try compress(Claims.header + "\n" + String(repeating: "x\n", count: 1_000_000))
        #expect(data.count < 400, "\(data.count) bytes")
        return data
    }

    static func loadSection(_ workspace: Workspace, _ section: String) throws {
        let pipeline = workspace.root.appendingPathComponent("pipelines/nightly.yaml")
        let text = try String(contentsOf: pipeline, encoding: .utf8) + "\nload: {\(section)}\n"
        try text.write(to: pipeline, atomically: true, encoding: .utf8)
    }

    static func size(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? -1
    }

    @Test func aZstdBombOfAMillionRejectedLinesStoresAndReportsAtMostTheCaps() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        try Self.loadSection(workspace, "max_stored_rejects: 1000, max_report_rejects: 500")
        try workspace.drop(try Self.bomb(), customer: "acme-clinic", name: "bomb.csv.zst")
        let result = try Self.run(workspace, database)
        #expect(result.status == 65, result.summary)
        #expect(
            try database.rows("SELECT status, rows_read, rows_rejected FROM driftline.uploads")
                == [["rejected", "1000000", "1000000"]]
        )
        // Counts stay exact; the stored lines are capped.
        #expect(
            try database.int("SELECT sum(count) FROM driftline.upload_findings WHERE severity = 'error'") >= 1_000_000
        )
        #expect(try database.int("SELECT count(*) FROM driftline.rejects") <= 1001)
        let report = workspace.root.appendingPathComponent("rejected/acme-clinic/bomb.csv.zst.rejects.csv").path
        #expect(Self.size(report) > 0 && Self.size(report) < 200_000, "\(Self.size(report)) bytes")
        let text = try String(contentsOfFile: report, encoding: .utf8)
        #expect(text.contains("report.truncated"))
        #expect(text.contains("999500 more rejected lines not listed"), "\(text.suffix(300))")
        #expect(result.stderr.utf8.count < 20_000, "\(result.stderr.utf8.count) bytes of log")
    }

    @Test func readingStopsOnceTheRejectRateCanNoLongerBeMet() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        try Self.loadSection(workspace, "max_rows: 100000")
        try workspace.drop(try Self.bomb(), customer: "acme-clinic", name: "bomb.csv.zst")
        let result = try Self.run(workspace, database)
        #expect(result.status == 65, result.summary)
        let row = try database.rows("SELECT status, error_code, rows_read FROM driftline.uploads")
        #expect(row.first?[0] == "rejected" && row.first?[1] == "reject_rate", "\(row)")
        // 5% of max_rows is 5,000 rejects: the 5,001st stops the reading.
        #expect(Int(row.first?[2] ?? "") ?? .max <= 5_002, "\(row)")
        #expect(try database.int("SELECT count(*) FROM driftline.rejects") == 1)
    }

    @Test func decompressedBytesAndRowsAreCapped() throws {
        let database = try TestDatabase()
        let workspace = try Workspace(maxRejectRate: 1)
        try Self.loadSection(workspace, "max_bytes: 100000, max_rows: 50")
        try workspace.drop(try Self.bomb(), customer: "acme-clinic", name: "bomb.csv.zst")
        try workspace.drop(Claims.file(rows: 51), customer: "birch-health", name: "many.csv")
        try workspace.drop(Claims.file(rows: 50, customer: "cedar-med"), customer: "cedar-med", name: "ok.csv")
        let result = try Self.run(workspace, database)
        #expect(result.status == 65, result.summary)
        #expect(
            try database.rows("SELECT customer_id, status, error_code FROM driftline.uploads ORDER BY 1")
                == [
                    ["acme-clinic", "rejected", "too_large"], ["birch-health", "rejected", "too_many_rows"],
                    [
                        "cedar-med", "loaded", nil,
                    ],
                ]
        )
        #expect(!result.stderr.contains(Claims.canary))
    }

    @Test func aHundredThousandUnknownColumnsKeepTheLogLineSmall() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        let extra = (1...100_000).map { "x\($0)" }.joined(separator: ",")
        let blanks = String(repeating: ",", count: 100_000)
        let rows = (1...3).map { Claims.row($0) + blanks }
        try workspace.drop(
            ([Claims.header + "," + extra] + rows).joined(separator: "\n") + "\n",
            customer: "acme-clinic",
            name: "wide.csv"
        )
        let result = try Self.run(workspace, database)
        #expect(result.status == 0, result.summary)
        let longest = result.stderr.split(separator: "\n").map(\.utf8.count).max() ?? 0
        #expect(longest < 2_000, "longest log line \(longest) bytes")
        #expect(result.stderr.contains("100000 unknown columns"), result.summary)
        #expect(try database.int("SELECT cardinality(unknown_columns) FROM driftline.uploads") <= 20)
    }
}
