import DriftlineTestSupport
import Foundation
import Testing

/// `UnscopedQueryTestHook` (which drops the drift and alert stages' customer filters for the RLS tests) has no
/// switch in a release build: `UnscopedQueryTestHook.swift` compiled on its own with `-O`, as `swift build -c
/// release` compiles it, refuses code that turns it on and always keeps the filter; with `-D DEBUG` it works
/// for the task that turns it on, and only inside that call.
@Suite(.serialized, .enabled(if: Swiftc.path != nil))
struct UnscopedQueryTestHookTests {
    /// Compiles the hook with `main`; returns the compiler's status and, when it compiled, the program's output.
    static func build(flags: [String], main: String) throws -> (compiled: Bool, out: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let mainFile = directory.appendingPathComponent("main.swift")
        try main.write(to: mainFile, atomically: true, encoding: .utf8)
        let binary = directory.appendingPathComponent("probe").path
        let source = Workspace.repositoryRoot.appendingPathComponent(
            "Sources/DriftlinePostgres/Tenancy/UnscopedQueryTestHook.swift"
        )
        let compile = Process()
        compile.executableURL = URL(fileURLWithPath: Swiftc.path!)
        compile.arguments =
            flags + ["-package-name", "probe", "-module-name", "probe", source.path, mainFile.path, "-o", binary]
        compile.standardOutput = FileHandle.nullDevice
        compile.standardError = FileHandle.nullDevice
        try compile.run()
        compile.waitUntilExit()
        guard compile.terminationStatus == 0 else { return (false, "") }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: binary)
        let pipe = Pipe()
        probe.standardOutput = pipe
        try probe.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        probe.waitUntilExit()
        return (true, out)
    }

    static let plain = "print(UnscopedQueryTestHook.filter(\"acme\") ?? \"unscoped\")\n"
    static let switchedOn = """
        print(UnscopedQueryTestHook.$dropsCustomerFilters.withValue(true) {
            UnscopedQueryTestHook.filter("acme") ?? "unscoped"
        })
        print(UnscopedQueryTestHook.filter("acme") ?? "unscoped")

        """

    @Test func aReleaseBuildHasNoSwitchAndKeepsTheFilter() throws {
        let release = try Self.build(flags: ["-O"], main: Self.plain)
        #expect(release.compiled && release.out == "acme\n")
        let refused = try Self.build(flags: ["-O"], main: Self.switchedOn)
        #expect(!refused.compiled, "a release build must not be able to switch the hook on")
    }

    @Test func aDebugBuildDropsTheFilterOnlyInsideTheCallThatSwitchesItOn() throws {
        let debug = try Self.build(flags: ["-Onone", "-D", "DEBUG"], main: Self.switchedOn)
        #expect(debug.compiled && debug.out == "unscoped\nacme\n")
    }
}
