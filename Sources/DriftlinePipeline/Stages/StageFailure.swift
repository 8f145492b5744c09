import DriftlineCore

/// A stage failed for a reason that retrying will not fix (configuration, data). Safe to print.
package struct StageFailure: Error, LogSafe {
    package var message: SafeMessage
    package init(_ message: SafeMessage) { self.message = message }
    package var description: String { message.description }
}
