import DriftlinePipeline
import Foundation
import Testing

@testable import driftline

/// The README's exit code table, from the runner's outcomes.
@Suite struct ExitStatusTests {
    @Test(arguments: [
        (RunStatus.finished(.ok), Int32(0)),
        (.finished(.dataRejected), 65),
        (.finished(.uploadsFailed), 65),
        (.finished(.undelivered), 76),
        (.failed(.data), 65),
        (.failed(.databaseUnavailable), 69),
        (.failed(.internalError), 70),
        (.failed(.locked), 75),
        (.failed(.configuration), 78),
    ])
    func outcomesMapToSysexits(status: RunStatus, code: Int32) {
        #expect(ExitStatus(status).rawValue == code)
    }

    /// A rejected upload outranks an undelivered alert when a run has both.
    @Test func verdictsRank() {
        #expect(StageVerdict.ok < .undelivered && StageVerdict.undelivered < .dataRejected)
        #expect([StageVerdict.undelivered, .dataRejected, .ok].max() == .dataRejected)
    }

    @Test func theCommandLineRunsTheShippedPipeline() throws {
        #expect(StageRegistry.commandLine.names == ["load", "drift", "alerts", "report", "deliver"])
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let shipped = root.appendingPathComponent("pipelines/nightly.yaml").path
        let config = try StageRegistry.commandLine.loadPipeline(path: shipped)
        #expect(
            try StageRegistry.commandLine.stages(for: config).map(\.name) == [
                "load", "drift", "alerts", "deliver", "report",
            ]
        )
    }
}
