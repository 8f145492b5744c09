import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private PostgreSQL cluster under `.driftline/`, used when `DATABASE_URL` is unset.
///
/// Layout (all under `root`, normally `<working directory>/.driftline`):
/// - `pgdata/`       the cluster (`initdb -U postgres --auth=trust --encoding=UTF8`)
/// - `run/`          the unix socket directory (the server listens on no TCP address)
/// - `postgres.log`  the server log (`pg_ctl -l`)
/// - `.lock`         `flock`ed around init/start/stop so concurrent invocations don't race
///
/// Settings live in `pgdata/driftline.conf`, included from `postgresql.conf` and rewritten on
/// every start (so the cluster keeps working if the project directory is moved).
///
/// Socket path limit: a unix socket path must fit in `sun_path` (108 bytes with the NUL). If
/// `<root>/run/.s.PGSQL.5432` would be longer, the socket directory is
/// `/tmp/driftline-<16 hex digits>` instead, the digits being the FNV-1a 64-bit hash of the
/// absolute `root` path (stable per project, distinct between projects). That directory is
/// created mode 0700 and must be owned by the server account, otherwise start refuses it.
///
/// As root, initdb/pg_ctl/postgres run as the `postgres` system user (`runuser -u postgres --`)
/// and the data directory, socket directory and log file are chown'ed to it; every directory
/// above `root` must be traversable by that user. As an ordinary user they run directly.
package struct EmbeddedPostgres: Sendable {
    package static let port = 5432
    package static let databaseName = "driftline"
    package static let superuser = "postgres"
    /// `sun_path` is 108 bytes including the terminating NUL.
    static let maxSocketPathBytes = 107
    static let startTimeoutSeconds = 60
    static let logTailLines = 20

    /// The `.driftline` directory (absolute).
    package let root: URL
    package let dataDirectory: URL
    package let socketDirectory: URL
    package let logFile: URL
    let lockFile: URL
    let environment: [String: String]

    /// - Parameters:
    ///   - root: the `.driftline` directory; relative paths resolve against the current directory.
    ///   - environment: consulted for `DRIFTLINE_PG_BINDIR`; `PG*` variables are removed before
    ///     running the PostgreSQL tools so they cannot redirect them elsewhere.
    package init(root: URL, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let absolute = URL(
            fileURLWithPath: Self.cleanPath(root.absoluteURL.standardizedFileURL.path),
            isDirectory: true
        )
        self.root = absolute
        self.dataDirectory = absolute.appendingPathComponent("pgdata", isDirectory: true)
        self.logFile = absolute.appendingPathComponent("postgres.log", isDirectory: false)
        self.lockFile = absolute.appendingPathComponent(".lock", isDirectory: false)
        self.socketDirectory = Self.socketDirectory(forRoot: absolute)
        self.environment = environment
    }

    /// `postgresql:///driftline?host=<percent-encoded socket dir>&user=postgres`
    package var databaseURL: String {
        "postgresql:///\(Self.databaseName)?host=\(Self.percentEncode(Self.cleanPath(socketDirectory.path)))"
            + "&user=\(Self.superuser)"
    }

    /// `DATABASE_URL` if set and non-empty; otherwise the embedded cluster of
    /// `<workingDirectory>/.driftline`, started first when `autostart` is true.
    package static func resolveDatabaseURL(
        environment: [String: String],
        workingDirectory: URL,
        autostart: Bool
    ) throws -> String {
        if let url = environment["DATABASE_URL"]?.trimmingCharacters(in: .whitespacesAndNewlines), !url.isEmpty {
            return url
        }
        let embedded = EmbeddedPostgres(
            root: clusterRoot(forWorkingDirectory: workingDirectory),
            environment: environment
        )
        return autostart ? try embedded.start() : embedded.databaseURL
    }

    // MARK: - Lifecycle

    /// Initializes the cluster if needed, starts it unless already running, and makes sure the
    /// `driftline` database exists. Idempotent; safe to call from concurrent processes.
    @discardableResult
    package func start() throws -> String {
        let binaries = try PostgresBinaries.locate(environment: environment)
        let account = try ServerAccount.current()
        // Traversable by the server user (the data and socket folders below it are 0700), not listable.
        try createDirectory(root, mode: 0o711)
        try FileLock.withExclusiveLock(path: lockFile.path) {
            try prepareDirectories(account)
            if !isInitialized {
                try initialize(binaries, account)
            }
            try writeSettings(account)
            let accessChanged = try writeAccessRules(account)
            if serverRunning(binaries, account) {
                if accessChanged {
                    _ = try runServerTool(binaries.pgCtl, ["reload", "-D", dataDirectory.path], account)
                }
                try waitUntilAccepting(binaries)
            } else {
                try startServer(binaries, account)
            }
            try ensureDatabase(binaries)
        }
        return databaseURL
    }

    /// How `pg_ctl stop` shuts the server down.
    package enum StopMode: String, Sendable {
        /// Rolls back open transactions and disconnects clients, then checkpoints.
        case fast
        /// Kills every server process without a checkpoint, like a crash: recovery runs on the next
        /// start (tests use it to cut the database away mid-run).
        case immediate
    }

    /// Stops the server (`pg_ctl stop -m fast`, or `mode`). A cluster that is not running, or does
    /// not exist, is fine.
    package func stop(mode: StopMode = .fast) throws {
        guard isInitialized else { return }
        let binaries = try PostgresBinaries.locate(environment: environment)
        let account = try ServerAccount.current()
        try FileLock.withExclusiveLock(path: lockFile.path) {
            guard serverRunning(binaries, account) else { return }
            let result = try runServerTool(
                binaries.pgCtl,
                ["stop", "-D", dataDirectory.path, "-m", mode.rawValue, "-w", "-t", "\(Self.startTimeoutSeconds)"],
                account
            )
            if !result.succeeded && serverRunning(binaries, account) {
                throw EmbeddedPostgresError(
                    "pg_ctl stop failed (exit \(result.status)): \(result.trimmedOutput)",
                    logFile: logFile,
                    logTail: logTail()
                )
            }
        }
    }

    package func status() -> Status {
        let initialized = isInitialized
        var running = false
        if initialized,
            let binaries = try? PostgresBinaries.locate(environment: environment),
            let account = try? ServerAccount.current()
        {
            running = serverRunning(binaries, account)
        }
        return Status(
            running: running,
            initialized: initialized,
            dataDirectory: dataDirectory,
            socketDirectory: socketDirectory,
            logFile: logFile,
            url: databaseURL
        )
    }

    // MARK: - Steps

    var isInitialized: Bool {
        FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path)
    }

    private func prepareDirectories(_ account: ServerAccount) throws {
        try createDirectory(dataDirectory, mode: 0o700)
        try account.takeOwnership(of: dataDirectory.path)
        try prepareSocketDirectory(account)
        if !FileManager.default.fileExists(atPath: logFile.path) {
            guard
                FileManager.default.createFile(
                    atPath: logFile.path,
                    contents: nil,
                    attributes: [.posixPermissions: 0o600]
                )
            else {
                throw EmbeddedPostgresError("cannot create \(logFile.path)")
            }
        }
        try account.takeOwnership(of: logFile.path)

        if account.systemUser != nil {
            // The server user must be able to reach everything through the parent directories.
            let paths = [dataDirectory.path, socketDirectory.path, logFile.path]
            let check = try runServerTool(
                "/usr/bin/test",
                paths.flatMap { ["-w", $0, "-a"] }.dropLast(),
                account
            )
            if !check.succeeded {
                throw EmbeddedPostgresError(
                    "the '\(ServerAccount.systemUserName)' user cannot write \(paths.joined(separator: ", ")); "
                        + "every directory above \(root.path) must be traversable by it (chmod o+x), "
                        + "or set DATABASE_URL to use another server"
                )
            }
        }
    }

    private func prepareSocketDirectory(_ account: ServerAccount) throws {
        let path = socketDirectory.path
        if Self.cleanPath(socketDirectory.deletingLastPathComponent().path) == Self.cleanPath(root.path) {
            try createDirectory(socketDirectory, mode: 0o700)
            try account.takeOwnership(of: path)
            return
        }
        // Fallback under /tmp (world-writable): never follow a symlink or adopt someone else's dir.
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw EmbeddedPostgresError("cannot create socket directory \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw EmbeddedPostgresError("socket directory \(path) is not a directory")
        }
        guard info.st_uid == geteuid() || info.st_uid == account.ownerUID else {
            throw EmbeddedPostgresError(
                "socket directory \(path) belongs to another user (uid \(info.st_uid)); remove it"
            )
        }
        try account.takeOwnership(of: path)
        guard chmod(path, 0o700) == 0 else {
            throw EmbeddedPostgresError("cannot chmod \(path): \(String(cString: strerror(errno)))")
        }
    }

    private func initialize(_ binaries: PostgresBinaries, _ account: ServerAccount) throws {
        var lastFailure: CommandResult?
        for locale in ["C.UTF-8", "C"] {
            // initdb removes what it created on failure; recreate the (empty) directory to retry.
            try createDirectory(dataDirectory, mode: 0o700)
            try account.takeOwnership(of: dataDirectory.path)
            let result = try runServerTool(
                binaries.initdb,
                [
                    "-D", dataDirectory.path, "-U", Self.superuser, "--auth=trust",
                    "--encoding=UTF8", "--locale=\(locale)",
                ],
                account
            )
            if result.succeeded {
                try appendInclude()
                return
            }
            lastFailure = result
            if isInitialized { break }
        }
        let output = lastFailure?.trimmedOutput ?? ""
        throw EmbeddedPostgresError(
            "initdb failed for \(dataDirectory.path)"
                + " (if the directory holds leftovers of an earlier attempt, remove it):\n"
                + output.split(separator: "\n").suffix(Self.logTailLines).joined(separator: "\n")
        )
    }

    /// Makes `postgresql.conf` include `driftline.conf` (once, right after initdb).
    private func appendInclude() throws {
        let conf = dataDirectory.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: conf)
        defer { try? handle.close() }
        try handle.seekToEnd()
        let text =
            "\n# Added by driftline: its settings, rewritten on every `driftline db start`.\n"
            + "include 'driftline.conf'\n"
        try handle.write(contentsOf: Data(text.utf8))
    }

    private func writeSettings(_ account: ServerAccount) throws {
        let file = dataDirectory.appendingPathComponent("driftline.conf")
        let socketDir = Self.cleanPath(socketDirectory.path).replacingOccurrences(of: "'", with: "''")
        let text = """
            # Written by driftline on every `driftline db start`; edits are overwritten.
            listen_addresses = ''
            unix_socket_directories = '\(socketDir)'
            port = \(Self.port)
            fsync = on
            max_connections = 100
            shared_buffers = 128MB
            max_wal_size = 1GB
            log_destination = 'stderr'
            logging_collector = off
            # The server log must not hold row values (PHI): no DETAIL/CONTEXT (which quote keys and
            # COPY fields), no failing statements.
            log_error_verbosity = terse
            log_min_error_statement = panic

            """
        if let existing = try? String(contentsOf: file, encoding: .utf8), existing == text { return }
        try Data(text.utf8).write(to: file, options: .atomic)
        try account.takeOwnership(of: file.path)
        _ = chmod(file.path, 0o600)
    }

    /// `pg_hba.conf`, rewritten on every start: unix-socket connections only. The server listens on
    /// no TCP address, and no `host` line would accept one if it ever did. Returns whether it changed.
    private func writeAccessRules(_ account: ServerAccount) throws -> Bool {
        let file = dataDirectory.appendingPathComponent("pg_hba.conf")
        let text = """
            # Written by driftline on every `driftline db start`; edits are overwritten.
            # Unix socket only (its directory is 0700): no host lines.
            # TYPE  DATABASE  USER  METHOD
            local   all       all   trust

            """
        if let existing = try? String(contentsOf: file, encoding: .utf8), existing == text { return false }
        try Data(text.utf8).write(to: file, options: .atomic)
        try account.takeOwnership(of: file.path)
        _ = chmod(file.path, 0o600)
        return true
    }

    private func startServer(_ binaries: PostgresBinaries, _ account: ServerAccount) throws {
        let arguments = [
            "start", "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "\(Self.startTimeoutSeconds)",
        ]
        var result = try runServerTool(binaries.pgCtl, arguments, account)
        if !result.succeeded && removeStalePidFile() {
            result = try runServerTool(binaries.pgCtl, arguments, account)
        }
        guard result.succeeded else {
            throw EmbeddedPostgresError(
                "the server failed to start (pg_ctl exit \(result.status): \(result.trimmedOutput))",
                logFile: logFile,
                logTail: logTail()
            )
        }
        try waitUntilAccepting(binaries)
    }

    /// Removes `postmaster.pid` if the process it names is gone (after a crash). Returns true if removed.
    private func removeStalePidFile() -> Bool {
        let pidFile = dataDirectory.appendingPathComponent("postmaster.pid")
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
            let firstLine = text.split(separator: "\n").first,
            let pid = pid_t(firstLine.trimmingCharacters(in: .whitespaces)), pid > 0
        else { return false }
        guard kill(pid, 0) != 0 && errno == ESRCH else { return false }
        return (try? FileManager.default.removeItem(at: pidFile)) != nil
    }

    private func serverRunning(_ binaries: PostgresBinaries, _ account: ServerAccount) -> Bool {
        guard isInitialized else { return false }
        guard let result = try? runServerTool(binaries.pgCtl, ["status", "-D", dataDirectory.path], account)
        else { return false }
        return result.succeeded
    }

    /// Polls with `SELECT 1` until the server accepts connections (pg_ctl -w normally did already).
    private func waitUntilAccepting(_ binaries: PostgresBinaries) throws {
        let deadline = Date().addingTimeInterval(TimeInterval(Self.startTimeoutSeconds))
        var last = try psql(binaries, database: "postgres", "SELECT 1")
        while !(last.succeeded && last.trimmedOutput == "1") {
            guard Date() < deadline else {
                throw EmbeddedPostgresError(
                    "the server is running but does not accept connections on \(socketDirectory.path): "
                        + last.trimmedOutput,
                    logFile: logFile,
                    logTail: logTail()
                )
            }
            usleep(200_000)
            last = try psql(binaries, database: "postgres", "SELECT 1")
        }
    }

    private func ensureDatabase(_ binaries: PostgresBinaries) throws {
        let query = try psql(
            binaries,
            database: "postgres",
            "SELECT 1 FROM pg_database WHERE datname = '\(Self.databaseName)'"
        )
        guard query.succeeded else {
            throw EmbeddedPostgresError(
                "cannot query the server: \(query.trimmedOutput)",
                logFile: logFile,
                logTail: logTail()
            )
        }
        if query.trimmedOutput == "1" { return }
        let create = try psql(binaries, database: "postgres", "CREATE DATABASE \(Self.databaseName)")
        guard create.succeeded else {
            throw EmbeddedPostgresError(
                "CREATE DATABASE \(Self.databaseName) failed: \(create.trimmedOutput)",
                logFile: logFile,
                logTail: logTail()
            )
        }
    }

    // MARK: - Helpers

    /// psql as the invoking user (root may use the postgres-owned socket directory).
    private func psql(_ binaries: PostgresBinaries, database: String, _ sql: String) throws -> CommandResult {
        try CommandRunner.run(
            binaries.psql,
            [
                "-X", "-q", "-h", socketDirectory.path, "-p", "\(Self.port)", "-U", Self.superuser,
                "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql,
            ],
            currentDirectory: root,
            environment: childEnvironment
        )
    }

    private func runServerTool(
        _ tool: String,
        _ arguments: some Collection<String>,
        _ account: ServerAccount
    ) throws -> CommandResult {
        let command = account.command(tool, Array(arguments))
        return try CommandRunner.run(
            command.executable,
            command.arguments,
            currentDirectory: root,
            environment: childEnvironment
        )
    }

    /// What the server, its tools and psql get of our environment: `PATH`, `LANG` and `LC_*`, nothing
    /// else (no `PG*` variable that would redirect them, no credentials or tokens of the caller's).
    var childEnvironment: [String: String] {
        var minimal = environment.filter { $0.key == "PATH" || $0.key == "LANG" || $0.key.hasPrefix("LC_") }
        if minimal["PATH"] == nil { minimal["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        return minimal
    }

    private func createDirectory(_ url: URL, mode: Int?) throws {
        let attributes: [FileAttributeKey: Any]? = mode.map { [.posixPermissions: $0] }
        do {
            try FileManager.default.createDirectory(
                at: url,
                withIntermediateDirectories: true,
                attributes: attributes
            )
        } catch {
            throw EmbeddedPostgresError("cannot create directory \(url.path): \(error.localizedDescription)")
        }
    }

    /// The last lines of the server log (read from its final 64 KiB), for start-up failures.
    ///
    /// Only the server's own lifecycle lines (`LOG`, `FATAL`, `PANIC`) are kept: `ERROR` lines answer
    /// statements, and their text can quote values.
    func logTail() -> [String] {
        guard let handle = try? FileHandle(forReadingFrom: logFile) else { return [] }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let window: UInt64 = 64 * 1024
        try? handle.seek(toOffset: size > window ? size - window : 0)
        let data = (try? handle.readToEnd()) ?? Data()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
            .filter { line in [" LOG: ", " FATAL: ", " PANIC: "].contains { line.contains($0) } }
        return lines.suffix(Self.logTailLines).map(String.init)
    }

    // MARK: - Naming

    static func socketDirectory(forRoot root: URL) -> URL {
        let preferred = root.appendingPathComponent("run", isDirectory: true)
        let socketPath = cleanPath(preferred.path) + "/.s.PGSQL.\(port)"
        if socketPath.utf8.count <= maxSocketPathBytes {
            return preferred
        }
        return URL(fileURLWithPath: "/tmp/driftline-\(fnv1a64Hex(cleanPath(root.path)))", isDirectory: true)
    }

    /// 64-bit FNV-1a of the UTF-8 bytes, as 16 lowercase hex digits (stable across runs, unlike `Hasher`).
    static func fnv1a64Hex(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Percent-encodes everything except RFC 3986 unreserved characters.
    static func percentEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }

    /// A path without a trailing slash (except `/` itself).
    static func cleanPath(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }
}
