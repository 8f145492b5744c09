import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The outcome of one child process: exit status and combined stdout+stderr.
struct CommandResult: Sendable {
    /// The exit status, or 128 + signal number if the child was killed by a signal.
    var status: Int32
    var output: String

    var succeeded: Bool { status == 0 }

    /// The output with surrounding whitespace removed, for error messages and `psql -At` values.
    var trimmedOutput: String { output.trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// Runs the PostgreSQL tools synchronously with `posix_spawn` + `waitpid`.
///
/// Not Foundation's `Process`: on Linux it notices a child's exit through a descriptor the child
/// inherits, and `pg_ctl start` leaves a daemon (the postmaster) that keeps holding it, so
/// `waitUntilExit()` never returns. Here the child gets stdin from /dev/null, stdout+stderr into
/// a private temporary file (never a pipe a daemon could keep open), and, where glibc offers it,
/// every other descriptor closed and the given working directory.
enum CommandRunner {
    static func run(
        _ executable: String,
        _ arguments: [String],
        currentDirectory: URL?,
        environment: [String: String]
    ) throws -> CommandResult {
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("driftline-cmd-\(UUID().uuidString).out").path
        let outputFD = open(outputPath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard outputFD >= 0 else {
            throw EmbeddedPostgresError("cannot create \(outputPath): \(String(cString: strerror(errno)))")
        }
        defer {
            close(outputFD)
            unlink(outputPath)
        }
        let nullFD = open("/dev/null", O_RDONLY | O_CLOEXEC)
        guard nullFD >= 0 else {
            throw EmbeddedPostgresError("cannot open /dev/null: \(String(cString: strerror(errno)))")
        }
        defer { close(nullFD) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, nullFD, 0)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 1)
        posix_spawn_file_actions_adddup2(&actions, outputFD, 2)
        if let closeFrom = GlibcExtensions.addCloseFrom {
            _ = closeFrom(&actions, 3)
        }
        if let currentDirectory, let addChdir = GlibcExtensions.addChdir {
            _ = currentDirectory.path.withCString { addChdir(&actions, $0) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        sigaddset(&defaultSignals, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] =
            environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }

        var pid = pid_t()
        let spawnError = posix_spawn(&pid, executable, &actions, &attributes, &argv, &envp)
        guard spawnError == 0 else {
            throw EmbeddedPostgresError("cannot run \(executable): \(String(cString: strerror(spawnError)))")
        }
        var waitStatus: Int32 = 0
        while waitpid(pid, &waitStatus, 0) < 0 {
            guard errno == EINTR else {
                throw EmbeddedPostgresError("waiting for \(executable) failed: \(String(cString: strerror(errno)))")
            }
        }
        let signal = waitStatus & 0x7f
        let status = signal == 0 ? (waitStatus >> 8) & 0xff : 128 + signal

        let data = FileManager.default.contents(atPath: outputPath) ?? Data()
        return CommandResult(status: status, output: String(decoding: data, as: UTF8.self))
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+) and `…_addchdir_np` (2.29+) are
/// declared only under `_GNU_SOURCE`, which the Swift Glibc module does not import; look them
/// up at run time and do without them if absent.
private enum GlibcExtensions {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias AddChdir =
        @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    static var addCloseFrom: AddCloseFrom? {
        symbol("posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: AddCloseFrom.self) }
    }

    static var addChdir: AddChdir? {
        symbol("posix_spawn_file_actions_addchdir_np").map { unsafeBitCast($0, to: AddChdir.self) }
    }

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        #if os(Linux)
        return dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)  // RTLD_DEFAULT
        #else
        return nil
        #endif
    }
}
