import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Moves files into archive/rejected folders without overwriting anything.
///
/// What it files is PHI: the folders it creates are 0700 and every file it files is made 0600 (on the
/// descriptor, opened without following a link), whatever mode the file was dropped with.
package enum FileMover {
    /// Mode of the folders Driftline creates for uploads and reports.
    package static let folderMode: mode_t = 0o700
    /// Mode of filed uploads and reports.
    package static let fileMode: mode_t = 0o600

    /// Moves `path` into `directory` (created if needed), adding `-1`, `-2`… before the extension when
    /// the name is taken. Returns the final path.
    @discardableResult
    package static func move(_ path: String, into directory: String, name: String? = nil) throws -> String {
        let manager = FileManager.default
        try makeDirectory(directory)
        let target = uniquePath(in: directory, name: name ?? (path as NSString).lastPathComponent)
        // Before it leaves the inbox (a copy across file systems keeps the mode); never through a link.
        try restrict(path)
        if rename(path, target) != 0 {
            guard errno == EXDEV else { throw FileSystemError("move the file to \(target)", path: path) }
            do {
                try manager.copyItem(atPath: path, toPath: target)
                try manager.removeItem(atPath: path)
            } catch {
                throw FileSystemError("move the file across file systems to \(target)", path: path, code: EXDEV)
            }
        }
        return target
    }

    /// Creates `path` and any missing parents with mode 0700 (an existing folder keeps its mode).
    package static func makeDirectory(_ path: String, mode: mode_t = folderMode) throws(FileSystemError) {
        var info = stat()
        if stat(path, &info) == 0 {
            guard (info.st_mode & S_IFMT) == S_IFDIR else {
                throw FileSystemError("create the folder", path: path, code: ENOTDIR)
            }
            return
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty && parent != path { try makeDirectory(parent, mode: mode) }
        guard mkdir(path, mode) == 0 else {
            let code = errno
            if code == EEXIST, stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR { return }
            throw FileSystemError("create the folder", path: path, code: code)
        }
        // mkdir's mode is masked by the umask; the folder gets exactly `mode`.
        _ = chmod(path, mode)
    }

    /// Makes the regular file at `path` mode 0600 (or `mode`); a link at `path` is not followed.
    package static func restrict(_ path: String, mode: mode_t = fileMode) throws(FileSystemError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { throw FileSystemError("open the file", path: path) }
        defer { close(descriptor) }
        guard fchmod(descriptor, mode) == 0 else { throw FileSystemError("set the mode of", path: path) }
    }

    package static func uniquePath(in directory: String, name: String) -> String {
        let manager = FileManager.default
        var candidate = (directory as NSString).appendingPathComponent(name)
        var counter = 1
        let (stem, suffix) = split(name)
        while manager.fileExists(atPath: candidate) {
            candidate = (directory as NSString).appendingPathComponent("\(stem)-\(counter)\(suffix)")
            counter += 1
        }
        return candidate
    }

    /// `claims.csv.zst` → (`claims`, `.csv.zst`).
    static func split(_ name: String) -> (String, String) {
        for suffix in [".csv.zst", ".psv.zst", ".tsv.zst", ".txt.zst", ".csv", ".psv", ".tsv", ".txt", ".zst"]
        where name.lowercased().hasSuffix(suffix) && name.count > suffix.count {
            return (String(name.dropLast(suffix.count)), String(name.suffix(suffix.count)))
        }
        return (name, "")
    }

    /// Writes `data` to `path` atomically: a new temporary file in the same folder, then rename. The
    /// temporary file has an unpredictable name and is created with `O_CREAT | O_EXCL | O_NOFOLLOW` and
    /// `mode` (default 0600), so a link or file planted in the folder (a group-writable node_exporter
    /// textfile folder) is never written through or reused.
    package static func writeAtomically(_ data: Data, to path: String, mode: mode_t = fileMode) throws(FileSystemError)
    {
        let directory = (path as NSString).deletingLastPathComponent
        try makeDirectory(directory)
        let name = (path as NSString).lastPathComponent
        var temporary = ""
        var descriptor: Int32 = -1
        for _ in 0..<8 {
            let token = String(UInt64.random(in: .min ... .max), radix: 16)
            temporary = (directory as NSString).appendingPathComponent(".\(name).\(token).tmp")
            descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else { throw FileSystemError("create a temporary file for", path: path) }
        var written = 0
        let failed: Bool = data.withUnsafeBytes { bytes in
            // The umask narrowed `mode` at creation; set it exactly.
            guard fchmod(descriptor, mode) == 0 else { return true }
            while written < bytes.count {
                let count = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    return true
                }
                written += count
            }
            return fsync(descriptor) != 0
        }
        if close(descriptor) != 0 || failed || rename(temporary, path) != 0 {
            let error = FileSystemError("write", path: path)
            unlink(temporary)
            throw error
        }
    }
}
