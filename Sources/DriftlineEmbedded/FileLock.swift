import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exclusive advisory `flock(2)` locking on a file.
///
/// The descriptor is opened `O_CLOEXEC`, so child processes (pg_ctl, postgres) never inherit it
/// and the lock is released as soon as `body` returns (or the process dies).
enum FileLock {
    static func withExclusiveLock<T>(path: String, _ body: () throws -> T) throws -> T {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw EmbeddedPostgresError("cannot open lock file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            let code = errno
            if code == EINTR { continue }
            throw EmbeddedPostgresError("cannot lock \(path): \(String(cString: strerror(code)))")
        }
        defer { _ = flock(fd, LOCK_UN) }
        return try body()
    }
}
