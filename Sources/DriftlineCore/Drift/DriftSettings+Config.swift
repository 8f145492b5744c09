/// Reading ``DriftSettings`` from the `drift` section of a pipeline file, strictly.
///
/// ```yaml
/// drift:
///   current_days: 30        # the current window: the days ending at the as-of date
///   baseline_days: 90       # the baseline window: the days just before it
///   min_decided: 30         # decided claims needed in each window for a test to run
///   fdr: 0.05               # Benjamini–Hochberg false discovery rate across the run's tests
///   denial_rate:
///     min_change: 0.05      # absolute change of the rate, as a proportion (0.05 = 5 percentage points)
///     min_relative: 0.25    # and relative change
///   decision_time:
///     min_days: 3           # change of the median decision time, days
///     min_relative: 0.20    # and relative change
/// ```
///
/// Every key is optional (the default applies); an unknown key, a value of the wrong type or out of range is a
/// ``ConfigError`` naming the file and the line.
extension DriftSettings {
    /// The keys of the section.
    package static let sectionKeys = [
        "current_days", "baseline_days", "min_decided", "fdr", "denial_rate", "decision_time",
    ]
    private static let denialRateKeys = ["min_change", "min_relative"]
    private static let decisionTimeKeys = ["min_days", "min_relative"]

    /// The settings of a `drift` section; the defaults when there is none (`nil`) or it is empty (null).
    ///
    /// - Parameters:
    ///   - section: the value of the pipeline file's `drift` key.
    ///   - file: the pipeline file, for errors.
    /// - Throws: ``ConfigError`` for an unknown key, a value that is not a number (or not a whole number where
    ///   one is needed), or a value out of range.
    package static func parse(_ section: YAMLNode?, file: String) throws(ConfigError) -> DriftSettings {
        var settings = DriftSettings()
        guard let section, !section.isNull else { return settings }
        let what = "the drift section"
        let mapping = try section.configMapping(what, file: file)
        try mapping.checkKeys(sectionKeys, in: what, file: file)
        for (key, value) in mapping {
            switch key.string {
            case "current_days":
                settings.currentWindowDays = try integer(value, "current_days", in: 1...3660, file: file)
            case "baseline_days":
                settings.baselineWindowDays = try integer(value, "baseline_days", in: 1...3660, file: file)
            case "min_decided":
                settings.minimumDecidedPerWindow = try integer(value, "min_decided", in: 1...1_000_000_000, file: file)
            case "fdr":
                settings.falseDiscoveryRate = try value.configNumber("fdr", file: file)
                guard settings.falseDiscoveryRate > 0, settings.falseDiscoveryRate <= 1 else {
                    throw outOfRange("fdr", "must be above 0 and at most 1", value, file: file)
                }
            case "denial_rate":
                let part = try value.configMapping("denial_rate", file: file)
                try part.checkKeys(denialRateKeys, in: "denial_rate", file: file)
                for (key, value) in part {
                    switch key.string {
                    case "min_change":
                        settings.denialRateMinimumChange = try fraction(
                            value,
                            "min_change",
                            atMostOne: true,
                            file: file
                        )
                    case "min_relative":
                        settings.denialRateMinimumRelativeChange = try fraction(value, "min_relative", file: file)
                    default: break
                    }
                }
            case "decision_time":
                let part = try value.configMapping("decision_time", file: file)
                try part.checkKeys(decisionTimeKeys, in: "decision_time", file: file)
                for (key, value) in part {
                    switch key.string {
                    case "min_days":
                        settings.decisionTimeMinimumDays = try fraction(value, "min_days", file: file)
                    case "min_relative":
                        settings.decisionTimeMinimumRelativeChange = try fraction(value, "min_relative", file: file)
                    default: break
                    }
                }
            default: break
            }
        }
        return settings
    }

    /// A number `≥ 0` (and `≤ 1` for a proportion).
    private static func fraction(
        _ node: YAMLNode,
        _ key: String,
        atMostOne: Bool = false,
        file: String
    ) throws(ConfigError) -> Double {
        let value = try node.configNumber(key, file: file)
        guard value >= 0, !atMostOne || value <= 1 else {
            throw outOfRange(key, atMostOne ? "must be between 0 and 1" : "must not be negative", node, file: file)
        }
        return value
    }

    /// A whole number in `range`.
    private static func integer(
        _ node: YAMLNode,
        _ key: String,
        in range: ClosedRange<Int>,
        file: String
    ) throws(ConfigError) -> Int {
        guard let value = Int(try node.configString(key, file: file)) else {
            throw ConfigError(
                file: file,
                line: node.mark.line,
                message: SafeMessage(trusted: "'\(key)' must be a whole number")
            )
        }
        guard range.contains(value) else {
            throw outOfRange(key, "must be between \(range.lowerBound) and \(range.upperBound)", node, file: file)
        }
        return value
    }

    private static func outOfRange(_ key: String, _ rule: String, _ node: YAMLNode, file: String) -> ConfigError {
        ConfigError(file: file, line: node.mark.line, message: SafeMessage(trusted: "'\(key)' \(rule)"))
    }
}
