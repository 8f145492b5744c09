import ArgumentParser
import DriftlineEmbedded
import DriftlinePostgres
import Foundation

struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "The database: the embedded cluster under .driftline/, migrations, tenant isolation.",
        subcommands: [Start.self, Stop.self, Status.self, URLCommand.self, Migrate.self, Doctor.self, GrantReader.self]
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

    struct Doctor: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check tenant isolation, roles and grants, and the settings that keep PHI out of the server log.",
            discussion: "Prints what is unsafe and why; exits 1 when something is (warnings alone exit 0)."
        )
        func run() throws {
            let connection = try PGConnection(url: try Database.url())
            let findings = try DatabaseDoctor.examine(connection)
            for finding in findings { print(finding) }
            let unsafe = findings.filter { $0.severity == .unsafe }.count
            print("doctor: \(unsafe) unsafe, \(findings.count - unsafe) warnings")
            if unsafe > 0 { throw ExitCode(1) }
        }
    }

    struct GrantReader: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "grant-reader",
            abstract: "Let a login role read one customer's rows and nothing else (driftline_reader, under RLS).",
            discussion:
                "Run as a role that may grant driftline_reader (the embedded cluster's default is its superuser)."
        )
        @Argument(help: "An existing login role (not a superuser, not BYPASSRLS, not a pipeline role).")
        var role: String
        @Option(help: "The customer id (an inbox folder name) it may read.") var customer: String
        @Flag(help: "Take the customer away instead (the role leaves driftline_reader with its last one).")
        var revoke = false

        func run() throws {
            let connection = try PGConnection(url: try Database.url())
            _ = try Migrator.migrate(connection)
            if revoke {
                try ReaderGrant.revoke(role: role, customerID: customer, on: connection)
                print("\(role) may no longer read \(customer)")
            } else {
                try ReaderGrant.grant(role: role, customerID: customer, on: connection)
                print("\(role) may read \(customer) (driftline_reader, under row-level security)")
            }
        }
    }
}
