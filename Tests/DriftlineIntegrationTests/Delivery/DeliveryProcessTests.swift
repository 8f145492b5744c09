import DriftlineTestSupport
import Foundation
import Testing

/// The nightly load's process maps no HTTP client: `driftline` does not link AsyncHTTPClient, SwiftNIO or TLS;
/// `driftline-deliver`, beside it, does (and runs the `deliver` stage: AlertsCommandTests).
@Suite struct DeliveryProcessTests {
    /// Swift's mangled names carry the module's name with its length ("15AsyncHTTPClient"): in the symbol
    /// table and in the type metadata, so even a stripped binary that linked the module would show it.
    static let httpModules = ["15AsyncHTTPClient", "7NIOCore", "6NIOSSL", "8NIOPosix"]

    static func mentions(_ path: String) throws -> [String] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        return httpModules.filter { data.range(of: Data($0.utf8)) != nil }
    }

    @Test(.enabled(if: DriftlineProcess.isAvailable)) func theDriftlineExecutableLinksNoHTTPClient() throws {
        #expect(try Self.mentions(DriftlineProcess.binary) == [])
        // The control: the same search finds them in the delivery process's executable.
        let deliver = URL(fileURLWithPath: DriftlineProcess.binary).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("driftline-deliver").path
        try #require(FileManager.default.isExecutableFile(atPath: deliver), "driftline-deliver beside \(deliver)")
        #expect(try Self.mentions(deliver) == Self.httpModules)
    }

    /// The counters come back from the delivery process and make the run's summary and checkpoint.
    @Test(.enabled(if: DriftlineProcess.isAvailable && TestDatabase.isAvailable))
    func theDeliverStagesCountersComeBackFromItsProcess() throws {
        let database = try TestDatabase()
        let workspace = try Workspace(stages: ["alerts", "deliver"])
        try DriftEvents.insert(database.connect(), customer: "acme-clinic", payer: "AETNA")
        let run = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", "2026-11-21", "--log-format", "json"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("notifications delivered 1, dead-lettered 0, pending 0"), "\(run.stdout)")
        // Its log lines are the run's: JSON, with the run's fields.
        let finished = run.stderr.split(separator: "\n").first { $0.contains("delivery finished") }
        #expect(
            finished?.hasPrefix("{") == true && finished?.contains("\"stage\":\"deliver\"") == true,
            "\(run.stderr)"
        )
        let counters = try database.rows(
            "SELECT summary->>'deliver_filed' FROM driftline.stage_runs WHERE run_id = 1 AND stage = 'deliver'"
        )
        #expect(counters == [["1"]])
    }

    @Test(.enabled(if: DriftlineProcess.isAvailable && TestDatabase.isAvailable))
    func aMissingDeliveryExecutableFailsTheRunWithExitSeventy() throws {
        let database = try TestDatabase()
        let workspace = try Workspace(stages: ["deliver"])
        let result = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", "2026-11-21"],
            in: workspace.path,
            databaseURL: database.url,
            environment: ["DRIFTLINE_DELIVER_BIN": workspace.path + "/no-such-driftline-deliver"]
        )
        #expect(result.status == 70, "\(result.stderr)")
        #expect(result.stderr.contains("driftline-deliver exited 127"), "\(result.stderr)")
    }
}
