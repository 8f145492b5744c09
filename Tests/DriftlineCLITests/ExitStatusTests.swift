import DriftlinePipeline
import Testing

@testable import driftline

/// The README's exit code table, from the runner's outcomes.
@Suite struct ExitStatusTests {
    @Test(arguments: [
        (RunStatus.finished(.ok), Int32(0)),
        (.finished(.dataRejected), 65),
        (.failed(.data), 65),
        (.failed(.databaseUnavailable), 69),
        (.failed(.internalError), 70),
        (.failed(.locked), 75),
        (.failed(.configuration), 78),
    ])
    func outcomesMapToSysexits(status: RunStatus, code: Int32) {
        #expect(ExitStatus(status).rawValue == code)
    }
}
