import Foundation

/// Runs the real `driftline` binary as a child process (for exit codes, logs, locks and crashes).
package struct DriftlineProcess {
    package struct Result: Sendable {
        package var status: Int32
        /// Killed by this signal, when it was.
        package var signal: Int32?
        package var stdout: String
        package var stderr: String
    }

    /// `$DRIFTLINE_BIN`, else `.build/debug/driftline` beside the test bundle.
    package static let binary: String = {
        if let path = ProcessInfo.processInfo.environment["DRIFTLINE_BIN"], !path.isEmpty { return path }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [
            bundle.appendingPathComponent("driftline"),
            bundle.deletingLastPathComponent().appendingPathComponent("driftline"),
        ]
        where FileManager.default.isExecutableFile(atPath: candidate.path) {
            return candidate.path
        }
        return Workspace.repositoryRoot.appendingPathComponent(".build/debug/driftline").path
    }()

    package static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// Runs `driftline arguments…` in `directory` with `DATABASE_URL` and extra environment; waits.
    package static func run(
        _ arguments: [String],
        in directory: String,
        databaseURL: String?,
        environment: [String: String] = [:]
    ) throws -> Result {
        let process = try start(arguments, in: directory, databaseURL: databaseURL, environment: environment)
        return process.wait()
    }

    package static func start(
        _ arguments: [String],
        in directory: String,
        databaseURL: String?,
        environment: [String: String] = [:]
    ) throws -> Running {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env["DATABASE_URL"] = databaseURL
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("dl-out-\(UUID().uuidString)")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("dl-err-\(UUID().uuidString)")
        for file in [out, err] where !FileManager.default.createFile(atPath: file.path, contents: nil) {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return Running(process: process, out: out, err: err)
    }

    package final class Running: @unchecked Sendable {
        package let process: Process
        let out: URL
        let err: URL

        init(process: Process, out: URL, err: URL) {
            self.process = process
            self.out = out
            self.err = err
        }

        package var pid: Int32 { process.processIdentifier }

        package func wait() -> Result {
            process.waitUntilExit()
            let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
            let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
            let signaled = process.terminationReason == .uncaughtSignal
            return Result(
                status: signaled ? -1 : process.terminationStatus,
                signal: signaled ? process.terminationStatus : nil,
                stdout: stdout,
                stderr: stderr
            )
        }
    }
}
