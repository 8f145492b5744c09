import Foundation

/// The PostgreSQL programs the embedded cluster needs.
///
/// Debian layout: `/usr/lib/postgresql/<major>/bin/{initdb,pg_ctl,postgres,psql}`; the highest
/// installed major wins. `DRIFTLINE_PG_BINDIR` overrides the directory.
struct PostgresBinaries: Sendable {
    static let overrideVariable = "DRIFTLINE_PG_BINDIR"
    static let debianRoot = "/usr/lib/postgresql"
    static let serverTools = ["initdb", "pg_ctl", "postgres"]

    let directory: URL
    let psql: String

    var initdb: String { directory.appendingPathComponent("initdb").path }
    var pgCtl: String { directory.appendingPathComponent("pg_ctl").path }

    static func locate(environment: [String: String]) throws -> PostgresBinaries {
        if let override = environment[overrideVariable], !override.isEmpty {
            let directory = URL(fileURLWithPath: override, isDirectory: true)
            guard hasServerTools(directory) else {
                throw EmbeddedPostgresError(
                    "\(overrideVariable)=\(override) does not contain executable "
                        + serverTools.joined(separator: ", ")
                )
            }
            return try make(directory)
        }

        let names = (try? FileManager.default.contentsOfDirectory(atPath: debianRoot)) ?? []
        let candidates =
            names
            .compactMap { name -> (version: [Int], directory: URL)? in
                let parts = name.split(separator: ".").map { Int($0) }
                guard !parts.isEmpty, !parts.contains(nil) else { return nil }
                let directory = URL(fileURLWithPath: debianRoot, isDirectory: true)
                    .appendingPathComponent(name, isDirectory: true)
                    .appendingPathComponent("bin", isDirectory: true)
                return (parts.compactMap { $0 }, directory)
            }
            .filter { hasServerTools($0.directory) }
            .sorted { $0.version.lexicographicallyPrecedes($1.version) }
        guard let best = candidates.last else {
            throw EmbeddedPostgresError(
                "no PostgreSQL server found (looked for \(debianRoot)/<major>/bin/initdb, pg_ctl, postgres). "
                    + "Install it with `apt-get install postgresql` (`make` does this), "
                    + "set \(overrideVariable) to a directory holding initdb, pg_ctl and postgres, "
                    + "or set DATABASE_URL to use an existing server."
            )
        }
        return try make(best.directory)
    }

    private static func hasServerTools(_ directory: URL) -> Bool {
        serverTools.allSatisfy {
            FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent($0).path)
        }
    }

    private static func make(_ directory: URL) throws -> PostgresBinaries {
        let candidates = [directory.appendingPathComponent("psql").path, "/usr/bin/psql"]
        guard let psql = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw EmbeddedPostgresError(
                "psql not found in \(directory.path) or /usr/bin; install it with `apt-get install postgresql-client`"
            )
        }
        return PostgresBinaries(directory: directory, psql: psql)
    }
}
