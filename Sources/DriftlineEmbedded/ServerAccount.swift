import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Who runs initdb, pg_ctl and postgres.
///
/// They refuse to run as root, so when driftline runs as root the server tools run as the
/// `postgres` system user through `runuser -u postgres --`, and the directories they write are
/// chown'ed to that user. As an ordinary user they run directly.
struct ServerAccount: Sendable {
    struct SystemUser: Sendable {
        let name: String
        let uid: uid_t
        let gid: gid_t
        let runuser: String
    }

    static let systemUserName = "postgres"

    /// Non-nil when we are root and must drop privileges.
    let systemUser: SystemUser?

    static func current() throws -> ServerAccount {
        guard geteuid() == 0 else { return ServerAccount(systemUser: nil) }
        guard let entry = getpwnam(systemUserName) else {
            throw EmbeddedPostgresError(
                "running as root, but there is no '\(systemUserName)' system user to run the server as "
                    + "(`apt-get install postgresql` creates it)"
            )
        }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        let runuserCandidates = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"]
        guard let runuser = runuserCandidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw EmbeddedPostgresError("running as root, but runuser (util-linux) is not installed")
        }
        return ServerAccount(systemUser: SystemUser(name: systemUserName, uid: uid, gid: gid, runuser: runuser))
    }

    /// The executable and arguments that run `tool` as the server account.
    func command(_ tool: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        guard let user = systemUser else { return (tool, arguments) }
        return (user.runuser, ["-u", user.name, "--", tool] + arguments)
    }

    /// The uid that must own the data directory, socket directory and log file.
    var ownerUID: uid_t { systemUser?.uid ?? geteuid() }

    /// Gives `path` to the server account (no-op unless running as root).
    func takeOwnership(of path: String) throws {
        guard let user = systemUser else { return }
        guard chown(path, user.uid, user.gid) == 0 else {
            throw EmbeddedPostgresError(
                "cannot chown \(path) to \(user.name): \(String(cString: strerror(errno)))"
            )
        }
    }
}
