import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension EmbeddedPostgres {
    /// Where the embedded cluster of a working directory lives: `<working directory>/.driftline`, or — when
    /// running as root and the `postgres` user cannot reach that folder (a clone in root's 0700 home, a
    /// `mktemp -d` folder) — `~postgres/driftline-clusters/<hash of that path>`, a folder the server user
    /// owns, found again from the same working directory.
    package static func clusterRoot(forWorkingDirectory workingDirectory: URL) -> URL {
        let local = workingDirectory.appendingPathComponent(".driftline", isDirectory: true)
        guard geteuid() == 0, let user = getpwnam(ServerAccount.systemUserName) else { return local }
        let uid = user.pointee.pw_uid
        let gid = user.pointee.pw_gid
        if canTraverse(cleanPath(workingDirectory.standardizedFileURL.path), uid: uid, gid: gid) { return local }
        let home = URL(fileURLWithPath: String(cString: user.pointee.pw_dir), isDirectory: true)
        let clusters = home.appendingPathComponent("driftline-clusters", isDirectory: true)
        let root = clusters.appendingPathComponent(
            fnv1a64Hex(cleanPath(local.standardizedFileURL.path)),
            isDirectory: true
        )
        // Owned by the server user and searchable, whatever the umask (the cluster's own folders are 0700).
        for folder in [clusters, root] {
            mkdir(folder.path, 0o711)
            chown(folder.path, uid, gid)
            chmod(folder.path, 0o711)
        }
        return root
    }

    /// Whether the user can search every directory from `/` down to `path` (by its mode bits and its
    /// primary group; supplementary groups are not consulted, so the answer errs towards relocating).
    /// Folders that do not exist yet are created searchable: the walk stops at the first of them.
    static func canTraverse(_ path: String, uid: uid_t, gid: gid_t) -> Bool {
        var prefix = ""
        for component in [""] + path.split(separator: "/").map(String.init) {
            prefix = component.isEmpty ? "/" : (prefix == "/" ? "/" + component : prefix + "/" + component)
            var info = stat()
            guard stat(prefix, &info) == 0 else { return errno == ENOENT }
            let mode = info.st_mode
            let allowed =
                info.st_uid == uid
                ? mode & S_IXUSR != 0 : info.st_gid == gid ? mode & S_IXGRP != 0 : mode & S_IXOTH != 0
            if !allowed { return false }
        }
        return true
    }
}
