import Foundation

/// How notifications are delivered: the retry schedule, timeouts, the circuit breaker, the file channel.
///
/// The `deliver` section of a pipeline file (every key optional):
/// ```yaml
/// deliver:
///   retry_schedule: [5s, 5m, 30m, 2h, 5h, 10h, 14h, 20h]  # the base delay before each retry (full jitter)
///   timeout: 10s              # per attempt
///   breaker_failures: 5       # consecutive failures that pause an endpoint
///   breaker_pause: 5m         # for this long
///   file_channel: alerts      # endpoints without a URL write one JSON line per notification here
///   linger: 60s               # wait for a retry that falls due within this long
/// ```
package struct DeliverySettings: Sendable, Hashable, Codable {
    /// Base delay before retry `k` (the first attempt is immediate): 1 + `retrySchedule.count` attempts in all.
    package var retrySchedule: [Double] = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000]
    package var timeoutSeconds: Double = 10
    package var breakerFailures = 5
    package var breakerPauseSeconds: Double = 300
    package var fileChannel = "alerts"
    package var lingerSeconds: Double = 60
    /// A `Retry-After` longer than this is capped (a day).
    package var maximumRetryAfterSeconds: Double = 86400

    package init() {}

    /// `5s`, `250ms`, `5m`, `2h`, `1d` or a plain number of seconds.
    package static func duration(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value.isFinite, value >= 0 else { return nil }
            return value * factor
        }
        guard let value = Double(text), value.isFinite, value >= 0 else { return nil }
        return value
    }

    /// A comma-separated schedule (`5s,5m,30m`).
    package static func schedule(_ text: String) -> [Double]? {
        let parts = text.split(separator: ",").map { duration($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.compactMap { $0 }
    }
}

extension DeliverySettings {
    /// The keys of the `deliver` section.
    package static let keys = [
        "retry_schedule", "timeout", "breaker_failures", "breaker_pause", "file_channel", "linger",
    ]

    /// The settings of a `deliver` section; the defaults when there is none.
    package static func parse(_ section: YAMLNode?, file: String) throws(ConfigError) -> DeliverySettings {
        var settings = DeliverySettings()
        guard let section, !section.isNull else { return settings }
        let mapping = try section.configMapping("the deliver section", file: file)
        try mapping.checkKeys(keys, in: "the deliver section", file: file)
        func seconds(_ node: YAMLNode, _ key: String) throws(ConfigError) -> Double {
            guard let value = duration(try node.configString(key, file: file)) else {
                throw ConfigError(
                    file: file,
                    line: node.mark.line,
                    message: SafeMessage(trusted: "'\(key)' must be a duration such as 5s, 5m or 2h")
                )
            }
            return value
        }
        for (key, value) in mapping {
            switch key.string {
            case "retry_schedule":
                guard case .sequence(let items) = value else {
                    throw ConfigError(file: file, line: value.mark.line, message: "'retry_schedule' must be a list")
                }
                var schedule: [Double] = []
                for item in items { schedule.append(try seconds(item, "retry_schedule")) }
                settings.retrySchedule = schedule
            case "timeout": settings.timeoutSeconds = try seconds(value, "timeout")
            case "breaker_pause": settings.breakerPauseSeconds = try seconds(value, "breaker_pause")
            case "linger": settings.lingerSeconds = try seconds(value, "linger")
            case "file_channel": settings.fileChannel = try value.configString("file_channel", file: file)
            case "breaker_failures":
                guard let count = Int(try value.configString("breaker_failures", file: file)), count >= 1 else {
                    throw ConfigError(
                        file: file,
                        line: value.mark.line,
                        message: "'breaker_failures' must be a whole number of at least 1"
                    )
                }
                settings.breakerFailures = count
            default: break
            }
        }
        return settings
    }
}
