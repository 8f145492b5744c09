import ArgumentParser
import DriftlineEmbedded
import DriftlinePostgres
import Foundation

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "The database: the embedded cluster under .driftline/, and migrations.",
        subcommands: [Start.self, Stop.self, Status.self, URLCommand.self, Migrate.self]
    )

    static var embedded: EmbeddedPostgres {
        EmbeddedPostgres(
            root: EmbeddedPostgres.clusterRoot(
                forWorkingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            )
        )
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the embedded cluster (initialising it on first use)."
        )
        func run() throws { print(try DatabaseCommand.embedded.start()) }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster.")
        func run() throws { try DatabaseCommand.embedded.stop() }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Is the embedded cluster running?")
        func run() throws {
            let status = DatabaseCommand.embedded.status()
            print(status)
            if !status.running { throw ExitCode(3) }
        }
    }

    struct URLCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "url",
            abstract: "Print the database URL in use ($DATABASE_URL, else the embedded one)."
        )
        func run() throws { print(try Database.url(autostart: false)) }
    }

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply pending schema migrations (safe to run twice)."
        )
        func run() throws {
            let connection = try PGConnection(url: try Database.url())
            let applied = try Migrator.migrate(connection)
            print(
                applied.isEmpty
                    ? "schema up to date" : "applied migrations: \(applied.map(String.init).joined(separator: ", "))"
            )
        }
    }
}
