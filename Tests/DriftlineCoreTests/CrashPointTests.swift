import DriftlineTestSupport
import Foundation
import Testing

enum Swiftc {
    static let path: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/swiftc"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()
}

/// `DRIFTLINE_CRASH_AT` / `DRIFTLINE_PAUSE_AT` kill or stall the process in debug builds (the tests'
/// fault injection) and do nothing in a release build. `CrashPoint.swift` is compiled here on its own,
/// as `swift build` compiles it in each configuration, and run with the variables set.
@Suite(.serialized, .enabled(if: Swiftc.path != nil))
struct CrashPointTests {
    /// Builds a tiny program around `CrashPoint.swift` with `flags` and runs it with `environment`.
    static func run(
        flags: [String],
        environment: [String: String]
    ) throws -> (status: Int32, signaled: Bool, out: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crashpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let main = directory.appendingPathComponent("main.swift")
        try """
        CrashPoint.reach("load.copy")
        print(CrashPoint.isArmed ? "armed" : "inert")
        """.write(to: main, atomically: true, encoding: .utf8)
        let binary = directory.appendingPathComponent("probe").path
        let source = Workspace.repositoryRoot.appendingPathComponent("Sources/DriftlineCore/Support/CrashPoint.swift")
        let compile = Process()
        compile.executableURL = URL(fileURLWithPath: Swiftc.path!)
        compile.arguments =
            flags + ["-package-name", "probe", "-module-name", "probe", source.path, main.path, "-o", binary]
        compile.standardOutput = FileHandle.nullDevice
        try compile.run()
        compile.waitUntilExit()
        #expect(compile.terminationStatus == 0)

        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: binary)
        probe.environment = environment
        let pipe = Pipe()
        probe.standardOutput = pipe
        try probe.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        probe.waitUntilExit()
        return (probe.terminationStatus, probe.terminationReason == .uncaughtSignal, out)
    }

    @Test func aReleaseBuildIgnoresTheFaultInjectionVariables() throws {
        let release = try Self.run(
            flags: ["-O"],
            environment: [
                "DRIFTLINE_CRASH_AT": "load.copy", "DRIFTLINE_PAUSE_AT": "load.copy", "DRIFTLINE_PAUSE_MS": "60000",
            ]
        )
        #expect(!release.signaled && release.status == 0)
        #expect(release.out == "inert\n")
    }

    @Test func aDebugBuildCrashesWhereItIsTold() throws {
        let debug = try Self.run(flags: ["-Onone", "-D", "DEBUG"], environment: ["DRIFTLINE_CRASH_AT": "load.copy"])
        #expect(debug.signaled && debug.status == SIGKILL)
        let paused = try Self.run(
            flags: ["-Onone", "-D", "DEBUG"],
            environment: ["DRIFTLINE_PAUSE_AT": "load.copy", "DRIFTLINE_PAUSE_MS": "1"]
        )
        #expect(!paused.signaled && paused.out == "armed\n")
    }
}
