import DriftlineCore

/// A sample file could not be written, or the configuration is unusable.
package struct SampleGeneratorError: Error, LogSafe {
    /// The file or directory involved (from the output layout, never a row value), or `configuration`.
    package var path: String
    package var reason: String

    package init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    package var description: String { "\(path): \(reason)" }
}
