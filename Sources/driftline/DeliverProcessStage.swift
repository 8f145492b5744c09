import DriftlineCore
import DriftlinePipeline
import DriftlinePostgres
import Foundation
import Logging

/// The `deliver` stage as `driftline run` runs it: ``DeliverStage`` in a `driftline-deliver` process, the
/// executable beside this one and the only one that links the HTTP client — so the nightly load's process maps
/// no HTTP or TLS code (4 MiB of its peak RSS). Its settings are read here, strictly, before the run starts, and
/// passed as the run recorded them; its log lines carry the run's fields; its counters come back as JSON and make
/// the same outcome the stage makes in process (exit 76 when a notification was dead-lettered).
struct DeliverProcessStage: Stage {
    typealias Settings = DeliverStageSettings

    static let name = DeliverStageSettings.stageName
    let settings: Settings

    init(settings: Settings) { self.settings = settings }

    func run(_ context: StageContext) async throws -> StageOutcome {
        var arguments = [
            "stage", "--settings", String(decoding: try JSONEncoder().encode(settings), as: UTF8.self),
            "--rules", context.config.rules, "--run-id", String(context.runID), "--pipeline", context.config.name,
        ]
        if context.logger.logLevel <= .debug { arguments.append("--verbose") }
        if let handler = context.logger.handler as? LineLogHandler, handler.format == .json {
            arguments += ["--log-format", "json"]
        }
        let finished = try await DeliveryProcess.run(arguments: arguments, databaseURL: context.databaseURL)
        switch finished.status {
        case 0:
            guard let counts = try? JSONDecoder().decode([String: Int64].self, from: finished.output) else {
                throw DeliveryProcess.Failure(status: 0)
            }
            return .delivery(counts: counts, headline: true)
        case 69:
            throw PostgresError(.connectionFailed, operation: "deliver notifications")
        case 78:
            throw ConfigError(
                file: "the deliver stage",
                message: "driftline-deliver refused its configuration (exit 78): its log line above says why"
            )
        default:
            throw DeliveryProcess.Failure(status: finished.status)
        }
    }

    func recordedOutcome(checkpoint: [String: Int64], context: StageContext) async throws -> StageOutcome {
        .delivery(counts: checkpoint, headline: false)
    }
}

/// Starting `driftline-deliver`: beside this executable (symbolic links resolved), or `$DRIFTLINE_DELIVER_BIN`.
enum DeliveryProcess {
    /// The delivery process failed in a way it did not explain with an exit status of its own.
    struct Failure: Error, LogSafe {
        var status: Int32
        var description: String { "driftline-deliver exited \(status)" }
    }

    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["DRIFTLINE_DELIVER_BIN"], !path.isEmpty { return path }
        let own = Bundle.main.executableURL?.resolvingSymlinksInPath() ?? URL(fileURLWithPath: CommandLine.arguments[0])
        return own.deletingLastPathComponent().appendingPathComponent("driftline-deliver").path
    }

    /// Runs it to the end with `$DATABASE_URL` set (stderr shared: its log lines go where this process's go);
    /// returns its exit status and what it printed.
    static func run(arguments: [String], databaseURL: String) async throws -> (status: Int32, output: Data) {
        let path = executable
        return try await DedicatedThread.run(name: "deliver") {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] = databaseURL
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            do { try process.run() } catch { throw Failure(status: 127) }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (
                process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus, data
            )
        }
    }

    /// Replaces this process with it (`driftline alerts deliver`): its exit status is the command's.
    static func exec(arguments: [String], databaseURL: String) -> Never {
        setenv("DATABASE_URL", databaseURL, 1)
        let path = executable
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        FileHandle.standardError.write(
            Data("driftline: cannot start driftline-deliver beside driftline (\(path))\n".utf8)
        )
        exit(70)
    }
}
