import ArgumentParser
import DriftlineCommandSupport
import DriftlineCore
import DriftlineEmbedded
import DriftlinePipeline
import DriftlinePostgres
import Foundation
import Logging

@main
struct Driftline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Nightly ETL for healthcare claim uploads: inbox → validated, atomic loads into PostgreSQL.",
        discussion: """
            Uses $DATABASE_URL (a libpq URI) when set, else a private PostgreSQL cluster under .driftline/.
            Exit codes: 0 ok, 65 a file was rejected, 69 database unavailable, 70 internal error,
            75 another run holds the lock, 76 alerts could not be delivered (dead-lettered), 78 bad configuration.
            """,
        subcommands: [
            RunCommand.self, ResumeCommand.self, RerunCommand.self, RunsCommand.self, UploadsCommand.self,
            ValidateCommand.self, DatabaseCommand.self, SamplesCommand.self, DriftCommand.self, AlertsCommand.self,
            ReportCommand.self,
        ]
    )

    /// Everything Driftline creates may hold PHI (filed uploads, reject reports, staged reports): owner
    /// only, from the first file on. Folders and files that others must read set their mode explicitly.
    static func main() async {
        umask(0o077)
        await main(nil)
    }
}

/// Options shared by every command that logs.
/// Where the database is: $DATABASE_URL, else the embedded cluster (started on demand).
enum Database {
    static func url(autostart: Bool = true) throws -> String {
        try EmbeddedPostgres.resolveDatabaseURL(
            environment: ProcessInfo.processInfo.environment,
            workingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
            autostart: autostart
        )
    }
}

func parseDate(_ text: String?) throws -> Int32 {
    guard let text else { return CivilDate.today() }
    guard let days = CivilDate.parse(text) else {
        throw ValidationError("--as-of must be a date in YYYY-MM-DD form")
    }
    return days
}
