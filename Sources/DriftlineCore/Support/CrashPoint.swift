#if canImport(Glibc)
import Glibc
#endif

/// Fault injection for crash-recovery tests: `DRIFTLINE_CRASH_AT=<point>[:<count>]` makes the process
/// SIGKILL itself when it reaches `point` for the `count`-th time (default 1). Real kill, no cleanup.
///
/// `DRIFTLINE_PAUSE_AT=<point>[:<count>|:*]` with `DRIFTLINE_PAUSE_MS=<ms>` (default 2000) makes it
/// sleep there instead, at the `count`-th hit (default 1) or, with `*`, at every hit: tests use it to
/// stop the database, or start a second process, while a run is provably mid-way.
///
/// Points: `load.after_scan` (the inbox registered, nothing claimed yet), `load.copy` (per row streamed
/// to COPY), `load.before_verify` (an upload read, its bytes not yet checked against the registered
/// hash), `load.before_commit`, `load.after_commit` (before the file is moved), `load.after_filing` (the
/// upload filed, its reports not yet), `stage.after:<stage>` (after a stage's checkpoint), `report.write`,
/// `deliver.after_send` (a webhook sent, its attempt not yet recorded).
///
/// Debug builds only: a release build ignores both variables, so an environment inherited by a
/// production run (a copied cron line, a shell left over from testing) cannot kill or stall it.
package enum CrashPoint {
    #if DEBUG
    private static let crash: (name: String, count: Int)? = spec("DRIFTLINE_CRASH_AT")
    /// `count` 0 means every hit.
    private static let pause: (name: String, count: Int)? = spec("DRIFTLINE_PAUSE_AT")
    #else
    private static let crash: (name: String, count: Int)? = nil
    private static let pause: (name: String, count: Int)? = nil
    #endif
    private static let pauseMicroseconds: UInt32 = {
        let milliseconds = getenv("DRIFTLINE_PAUSE_MS").flatMap { UInt32(String(cString: $0)) } ?? 2000
        return milliseconds * 1000
    }()

    private static func spec(_ variable: String) -> (name: String, count: Int)? {
        guard let value = getenv(variable).map({ String(cString: $0) }), !value.isEmpty else { return nil }
        if let colon = value.lastIndex(of: ":") {
            let suffix = value[value.index(after: colon)...]
            if suffix == "*" { return (String(value[..<colon]), 0) }
            if let count = Int(suffix) { return (String(value[..<colon]), count) }
        }
        return (value, 1)
    }

    nonisolated(unsafe) private static var crashHits = 0
    nonisolated(unsafe) private static var pauseHits = 0

    package static var isArmed: Bool { crash != nil || pause != nil }

    /// Kills the process if `name` is the armed crash point and its count is reached; sleeps if it is
    /// the armed pause point.
    @inline(__always)
    package static func reach(_ name: String) {
        if let crash, crash.name == name {
            crashHits += 1
            if crashHits >= crash.count { kill(getpid(), SIGKILL) }
        }
        if let pause, pause.name == name {
            pauseHits += 1
            if pause.count == 0 || pauseHits == pause.count { usleep(pauseMicroseconds) }
        }
    }
}
