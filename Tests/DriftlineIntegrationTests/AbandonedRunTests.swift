import DriftlineTestSupport
import Foundation
import Testing

/// A run whose process died shows as abandoned in the history, so an engineer knows to resume it.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct AbandonedRunTests {
    @Test func aKilledRunIsShownAsAbandonedUntilResumed() throws {
        let database = try TestDatabase()
        let workspace = try Workspace()
        try workspace.drop(Claims.file(rows: 20), customer: "acme-clinic", name: "a.csv")
        let killed = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", "2026-11-21"],
            in: workspace.path,
            databaseURL: database.url,
            environment: ["DRIFTLINE_CRASH_AT": "stage.after:load"]
        )
        #expect(killed.signal == SIGKILL)

        let listing = try DriftlineProcess.run(["runs"], in: workspace.path, databaseURL: database.url)
        #expect(listing.stdout.contains("abandoned"), "\(listing.stdout)")
        let json = try DriftlineProcess.run(["runs", "--json"], in: workspace.path, databaseURL: database.url)
        let runs = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(runs?.first?["abandoned"] as? Bool == true)

        let resumed = try DriftlineProcess.run(["resume", "1"], in: workspace.path, databaseURL: database.url)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let after = try DriftlineProcess.run(["runs", "--json"], in: workspace.path, databaseURL: database.url)
        let final = try JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [[String: Any]]
        #expect(final?.first?["abandoned"] as? Bool == false)
        #expect(final?.first?["status"] as? String == "succeeded")
    }
}
