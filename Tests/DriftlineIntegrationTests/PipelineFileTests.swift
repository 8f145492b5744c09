import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// The pipeline file's stages and their sections, as `driftline run` reads them: a stage it does not
/// know, or a bad section, stops the run before anything is touched (exit 78, file and line).
@Suite(.enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct PipelineFileTests {
    private func run(pipeline: String) throws -> (DriftlineProcess.Result, Workspace, TestDatabase) {
        let database = try TestDatabase()
        let workspace = try RecoveryFixture.workspace()
        try pipeline.write(
            to: workspace.root.appendingPathComponent("pipelines/nightly.yaml"),
            atomically: true,
            encoding: .utf8
        )
        let result = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", RecoveryFixture.asOf],
            in: workspace.path,
            databaseURL: database.url
        )
        return (result, workspace, database)
    }

    @Test func anUnknownStageExits78NamingTheFileAndLine() throws {
        let (result, workspace, database) = try run(pipeline: "name: nightly\nstages:\n  - load\n  - drfit\n")
        #expect(result.status == 78, result.summary)
        #expect(
            result.stderr.contains(
                "pipelines/nightly.yaml:4: unknown stage 'drfit' (known: load, drift, alerts, report, deliver)"
            ),
            result.summary
        )
        #expect(workspace.files(in: "inbox").count == 4)
        #expect(try database.int("SELECT count(*) FROM driftline.runs") == 0)
    }

    @Test func aBadStageSectionExits78NamingTheFileAndLine() throws {
        let (result, workspace, database) = try run(
            pipeline: "name: nightly\nstages: [load, report]\nload: {}\nreport:\n  format: html\n"
        )
        #expect(result.status == 78, result.summary)
        #expect(
            result.stderr.contains(
                "pipelines/nightly.yaml:5: unknown key 'format' in the 'report' section (known: html_dir)"
            ),
            result.summary
        )
        #expect(workspace.files(in: "inbox").count == 4)
        #expect(try database.int("SELECT count(*) FROM driftline.runs") == 0)
    }

    @Test func emptySectionsOfStagesWithoutSettingsAreAccepted() throws {
        let (result, _, _) = try run(
            pipeline: "name: nightly\nsettle_seconds: 0\nstages: [load, report]\nload: {}\nreport:\n"
        )
        #expect(result.status == 65, result.summary)  // the fixture's cedar-med/claims-2.csv is rejected
        #expect(result.stdout.hasPrefix("run 1: exit 65, files loaded 3, rejected 1"), result.summary)
    }
}
