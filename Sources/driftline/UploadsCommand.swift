import ArgumentParser
import DriftlineCore
import DriftlinePipeline
import DriftlinePostgres
import Foundation

struct UploadsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uploads",
        abstract: "Uploads: load one rejected as a whole again.",
        subcommands: [Retry.self]
    )

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retry",
            abstract: "Move an upload rejected as a whole back into the inbox: the next run loads it again.",
            discussion: """
                For a file rejected before a rules fix: finds the filed copy under the pipeline's
                rejected/<customer>/ (the one whose SHA-256 is the upload's) and moves it back to
                inbox/<customer>/. The next run loads it with its rules; a new uploads row records that
                attempt, the rejected one stays. Exit 78 when the upload is not rejected or its file is gone.
                """
        )
        @Argument(help: "The upload id (driftline.uploads).") var uploadID: Int64
        @Option(help: "The pipeline file.") var pipeline = "pipelines/nightly.yaml"

        func run() throws {
            let config: PipelineConfig
            do { config = try StageRegistry.standard.loadPipeline(path: pipeline) } catch {
                fail("\(error.description)")
            }
            // Looked up under each customer's tenant in turn (row-level security): the first that sees it owns it.
            let row = try withUploadsDatabase { connection in
                try Migrator.migrate(connection)
                return try connection.firstTenant { _ in
                    try connection.query(
                        "SELECT customer_id, file_name, sha256, status FROM driftline.uploads WHERE upload_id = $1",
                        [String(uploadID)],
                        operation: "look up upload"
                    ).first
                }?.value
            }
            guard let row, let customer = row[0], let fileName = row[1], let sha256 = row[2] else {
                fail("no upload with id \(uploadID)")
            }
            guard row[3] == "rejected" else { fail("upload \(uploadID) was not rejected: nothing to retry") }
            let folder = (config.rejected as NSString).appendingPathComponent(customer)
            let (stem, suffix) = FileMover.split(fileName)
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
                $0 == fileName || ($0.hasPrefix(stem + "-") && $0.hasSuffix(suffix))
            }
            guard
                let filed = names.sorted().map({ (folder as NSString).appendingPathComponent($0) })
                    .first(where: { (try? FileDigest.sha256(path: $0)) == sha256 })
            else { fail("the file of upload \(uploadID) is no longer in \(folder)") }
            let inbox = (config.inbox as NSString).appendingPathComponent(customer)
            let moved: String
            do { moved = try FileMover.move(filed, into: inbox) } catch {
                fail(LoadStage.describe(error).description)
            }
            print("upload \(uploadID): moved \(filed) back to \(moved); the next run loads it again")
        }

        private func fail(_ message: String) -> Never {
            FileHandle.standardError.write(Data("driftline: \(message)\n".utf8))
            Foundation.exit(ExitStatus.configuration.rawValue)
        }
    }
}

private func withUploadsDatabase<T>(_ body: (PGConnection) throws -> T) throws -> T {
    do {
        return try body(PGConnection(url: try Database.url()))
    } catch let error as PostgresError where error.kind == .connectionFailed || error.kind == .connectionLost {
        FileHandle.standardError.write(Data("driftline: \(error)\n".utf8))
        throw ExitCode(ExitStatus.databaseUnavailable.rawValue)
    }
}
