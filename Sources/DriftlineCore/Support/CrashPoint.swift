#if canImport(Glibc)
import Glibc
#endif

/// Fault injection for crash-recovery tests: `DRIFTLINE_CRASH_AT=<point>[:<count>]` makes the process
/// SIGKILL itself when it reaches `point` for the `count`-th time (default 1). Real kill, no cleanup.
///
/// Points: `load.copy` (per row streamed to COPY), `load.before_commit`, `load.after_commit`
/// (before the file is moved), `stage.after:<stage>` (after a stage's checkpoint), `report.write`.
package enum CrashPoint {
    private static let spec: (name: String, count: Int)? = {
        guard let value = getenv("DRIFTLINE_CRASH_AT").map({ String(cString: $0) }), !value.isEmpty else {
            return nil
        }
        if let colon = value.lastIndex(of: ":"), let count = Int(value[value.index(after: colon)...]) {
            return (String(value[..<colon]), count)
        }
        return (value, 1)
    }()

    nonisolated(unsafe) private static var hits = 0

    package static var isArmed: Bool { spec != nil }

    /// Kills the process if `name` is the armed point and its count is reached.
    @inline(__always)
    package static func reach(_ name: String) {
        guard let spec, spec.name == name else { return }
        hits += 1
        if hits >= spec.count { kill(getpid(), SIGKILL) }
    }
}
