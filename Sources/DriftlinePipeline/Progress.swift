import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress display on an interactive terminal (files, rows, MB/s); silent under cron.
package final class Progress {
    private let started = Date()
    private var lastDraw = Date.distantPast
    private(set) var files = 0
    private(set) var rows = 0
    private(set) var bytes: Int64 = 0

    /// `nil` when stderr is not a terminal.
    package static func forTerminal() -> Progress? { isatty(2) == 1 ? Progress() : nil }

    package func fileDone(bytes: Int64) {
        files += 1
        self.bytes += bytes
        draw(force: true)
    }

    package func rowsRead(_ count: Int) {
        rows += count
        draw(force: false)
    }

    private func draw(force: Bool) {
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) > 0.5 else { return }
        lastDraw = now
        let seconds = max(0.001, now.timeIntervalSince(started))
        let line = String(
            format: "\r\u{1B}[2Kdriftline: %d files, %d rows, %.1f MB/s",
            files,
            rows,
            Double(bytes) / 1e6 / seconds
        )
        writeStderr(line)
    }

    package func finish() { writeStderr("\r\u{1B}[2K") }
}

private func writeStderr(_ text: String) {
    var text = text
    text.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
