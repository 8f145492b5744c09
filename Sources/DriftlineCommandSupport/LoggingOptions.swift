import ArgumentParser
import DriftlineCore
import Logging

/// `--log-format` and `--verbose`, shared by `driftline` and `driftline-deliver`: one event per line on stderr.
package struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-format"), help: "logfmt or json, one event per line on stderr.")
    package var format: LogFormatOption = .logfmt

    @Flag(name: .long, help: "Log debug events too.")
    package var verbose = false

    package init() {}

    package func makeLogger(label: String = "driftline") -> Logger {
        let format = format.handlerFormat
        var logger = Logger(label: label) { label in LineLogHandler(label: label, format: format) }
        logger.logLevel = verbose ? .debug : .info
        return logger
    }
}

package enum LogFormatOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    case logfmt, json

    package var handlerFormat: LineLogHandler.Format { self == .json ? .json : .logfmt }

    package init(_ format: LineLogHandler.Format) { self = format == .json ? .json : .logfmt }
}
