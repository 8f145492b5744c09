import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// One line per event on stderr: logfmt (default) or JSON. Metadata values are whatever the code put
/// there, and the code only puts ``LogSafe`` values (ids, positions, codes, counts).
package struct LineLogHandler: LogHandler {
    package enum Format: String, Sendable, CaseIterable {
        case logfmt, json
    }

    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    package var metadataProvider: Logger.MetadataProvider?
    private let label: String
    package let format: Format
    private let sink: @Sendable (String) -> Void

    package init(label: String, format: Format, sink: @escaping @Sendable (String) -> Void = LineLogHandler.stderr) {
        self.label = label
        self.format = format
        self.sink = sink
    }

    package static let stderr: @Sendable (String) -> Void = { line in
        // One write(2) per line, so concurrent processes' lines do not interleave.
        var line = line
        line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let time = Self.timestamp()
        var fields: [(String, String)] = [
            ("ts", time), ("level", event.level.rawValue), ("msg", event.message.description),
        ]
        for key in merged.keys.sorted() { fields.append((key, Self.flatten(merged[key]!))) }
        sink(format == .json ? Self.json(fields) : Self.logfmt(fields))
    }

    private static func flatten(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(flatten).joined(separator: ",")
        case .dictionary(let values):
            values.keys.sorted().map { "\($0)=\(flatten(values[$0]!))" }.joined(separator: ",")
        }
    }

    /// logfmt: a value with a space, `=`, a quote, a backslash or any control character is quoted, and
    /// inside the quotes every control character is escaped (`\n`, `\r`, `\t`, `\u001b`…), so no value
    /// (a customer's file name) can end a line, move the cursor or forge another event.
    static func logfmt(_ fields: [(String, String)]) -> String {
        fields.map { key, value in
            let needsQuotes =
                value.isEmpty
                || value.unicodeScalars.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || isControl($0) }
            guard needsQuotes else { return "\(key)=\(value)" }
            return "\(key)=\(quoted(value))"
        }.joined(separator: " ") + "\n"
    }

    static func json(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\(jsonString($0.0)):\(jsonString($0.1))" }.joined(separator: ",") + "}\n"
    }

    static func jsonString(_ text: String) -> String { quoted(text) }

    /// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}"
    }

    /// `text` in double quotes with `"`, `\` and every control character escaped (valid JSON too).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if isControl(scalar) {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            parts.tm_year + 1900,
            parts.tm_mon + 1,
            parts.tm_mday,
            parts.tm_hour,
            parts.tm_min,
            parts.tm_sec,
            now.tv_nsec / 1_000_000
        )
    }
}

extension Logger.MetadataValue {
    /// A metadata value from a ``LogSafe`` value; the only way Driftline code builds metadata.
    package static func safe(_ value: some LogSafe) -> Self { .stringConvertible(value) }
}
