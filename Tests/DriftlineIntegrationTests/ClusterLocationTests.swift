import DriftlineEmbedded
import DriftlineTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `make demo` and `make test` start the embedded cluster from wherever the project was cloned: as root,
/// a clone in root's 0700 home (or a `mktemp -d` folder) is a folder the `postgres` user cannot reach.
@Suite(.serialized, .enabled(if: geteuid() == 0 && DriftlineProcess.isAvailable))
struct ClusterLocationTests {
    @Test func theClusterStartsFromAProjectInsideA0700Folder() throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent(
            "dl-private-\(UUID().uuidString.prefix(8))"
        )
        let project = parent.appendingPathComponent("driftline")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        #expect(chmod(parent.path, 0o700) == 0)
        defer {
            _ = try? DriftlineProcess.run(["db", "stop"], in: project.path, databaseURL: nil)
            try? FileManager.default.removeItem(at: parent)
        }
        let root = EmbeddedPostgres.clusterRoot(forWorkingDirectory: project)
        #expect(!root.path.hasPrefix(parent.path), "the cluster lives where the server user can reach it")
        #expect(EmbeddedPostgres.clusterRoot(forWorkingDirectory: project) == root, "found again from the folder")

        let started = try DriftlineProcess.run(["db", "start"], in: project.path, databaseURL: nil)
        #expect(started.status == 0, "\(started.stderr)")
        let url = try DriftlineProcess.run(["db", "url"], in: project.path, databaseURL: nil)
        #expect(
            url.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                == started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        )
        let migrated = try DriftlineProcess.run(["db", "migrate"], in: project.path, databaseURL: nil)
        #expect(migrated.status == 0, "\(migrated.stderr)")
        let stopped = try DriftlineProcess.run(["db", "stop"], in: project.path, databaseURL: nil)
        #expect(stopped.status == 0, "\(stopped.stderr)")
    }

    @Test func aReachableProjectKeepsItsClusterInside() {
        let project = URL(fileURLWithPath: "/tmp")
        #expect(EmbeddedPostgres.clusterRoot(forWorkingDirectory: project).path == "/tmp/.driftline")
    }
}
