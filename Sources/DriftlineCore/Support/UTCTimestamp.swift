import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RFC 3339 timestamps in UTC, `2026-11-21T06:00:00Z`: what `ISO8601DateFormatter()` writes by default,
/// without it.
///
/// Foundation's formatter opens an ICU calendar, and mapping ICU's code and data added 4.7 MiB to the
/// resident set of a nightly run that formats one timestamp (README, Performance: memory).
package enum UTCTimestamp {
    /// `date` to the second (truncated, as `ISO8601DateFormatter` does), in UTC.
    package static func string(from date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = ""
        text.reserveCapacity(20)
        append(Int(parts.tm_year) + 1900, width: 4, to: &text)
        text += "-"
        append(Int(parts.tm_mon) + 1, width: 2, to: &text)
        text += "-"
        append(Int(parts.tm_mday), width: 2, to: &text)
        text += "T"
        append(Int(parts.tm_hour), width: 2, to: &text)
        text += ":"
        append(Int(parts.tm_min), width: 2, to: &text)
        text += ":"
        append(Int(parts.tm_sec), width: 2, to: &text)
        text += "Z"
        return text
    }

    private static func append(_ value: Int, width: Int, to text: inout String) {
        let digits = String(value)
        if digits.count < width { text += String(repeating: "0", count: width - digits.count) }
        text += digits
    }
}
