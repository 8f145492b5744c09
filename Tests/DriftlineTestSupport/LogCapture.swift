import DriftlineCore
import Foundation
import Logging

/// Collects log lines in memory (rendered exactly as on stderr) so tests can inspect them.
package final class LogCapture: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    package init() {}

    package var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return collected
    }

    package var text: String { lines.joined() }

    package func logger(format: LineLogHandler.Format = .logfmt) -> Logger {
        var logger = Logger(label: "test") { label in
            LineLogHandler(label: label, format: format) { [self] line in
                lock.lock()
                collected.append(line)
                lock.unlock()
            }
        }
        logger.logLevel = .debug
        return logger
    }
}
