import Foundation

/// The alert rules and endpoints of `rules/alerts.yaml`, checked so that no rule can route a customer's
/// alert to another customer's endpoint.
///
/// ```yaml
/// feedback_days: 30              # an alert marked noise suppresses its customer/payer/group/type this long
/// endpoints:
///   default: {owner: operator}   # receives every customer's alerts
///   acme: {customer: acme-clinic} # receives acme-clinic's only
/// rules:
///   - id: every-drift
///     match: {min_severity: low} # drift_type, min_severity, direction, customers, payers, cpt_groups
///     channels: [default]
///     cooldown_days: 7
///     grouping: customer         # or event
/// ```
package struct AlertRuleBook: Sendable {
    package var rules: [AlertRule]
    package var endpoints: [String: AlertEndpoint]
    package var feedbackDays: Int

    /// The file's name inside the rules directory (the validation rule book skips it).
    package static let fileName = "alerts.yaml"

    /// What applies without an `alerts.yaml`: every drift event to the operator endpoint `default`.
    package static let fallback = AlertRuleBook(
        rules: [AlertRule(id: "every-drift", match: AlertMatch(), channels: ["default"])],
        endpoints: ["default": AlertEndpoint(name: "default", owner: .operator)],
        feedbackDays: 30
    )

    package init(rules: [AlertRule], endpoints: [String: AlertEndpoint], feedbackDays: Int = 30) {
        self.rules = rules
        self.endpoints = endpoints
        self.feedbackDays = feedbackDays
    }

    /// Reads `alerts.yaml` from the rules directory; ``fallback`` when there is none.
    ///
    /// - Throws: ``ConfigError`` with file, line and rule id.
    package static func load(directory: URL) throws(ConfigError) -> AlertRuleBook {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return fallback }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ConfigError(file: url.path, message: "cannot read the alert rules file")
        }
        return try parse(yaml: text, file: url.path)
    }
}
