import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress display on an interactive terminal (files, rows, MB/s); silent under cron.
package final class Progress: Sendable {
    private struct State {
        var lastDraw = Date.distantPast
        var files = 0
        var rows = 0
        var bytes: Int64 = 0
    }

    private let started = Date()
    private let state = Mutex(State())

    /// `nil` when stderr is not a terminal.
    package static func forTerminal() -> Progress? { isatty(2) == 1 ? Progress() : nil }

    package func fileDone(bytes: Int64) {
        state.withLock { state in
            state.files += 1
            state.bytes += bytes
            draw(&state, force: true)
        }
    }

    package func rowsRead(_ count: Int) {
        state.withLock { state in
            state.rows += count
            draw(&state, force: false)
        }
    }

    private func draw(_ state: inout State, force: Bool) {
        let now = Date()
        guard force || now.timeIntervalSince(state.lastDraw) > 0.5 else { return }
        state.lastDraw = now
        let seconds = max(0.001, now.timeIntervalSince(started))
        let line = String(
            format: "\r\u{1B}[2Kdriftline: %d files, %d rows, %.1f MB/s",
            state.files,
            state.rows,
            Double(state.bytes) / 1e6 / seconds
        )
        writeStderr(line)
    }

    package func finish() { writeStderr("\r\u{1B}[2K") }
}

private func writeStderr(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
