/// Reading `alerts.yaml` strictly: unknown keys, wrong types, unknown endpoints and cross-tenant routes
/// are ``ConfigError``s naming the file, the line and the rule id.
extension AlertRuleBook {
    private static let keys = ["feedback_days", "endpoints", "rules"]
    private static let endpointKeys = ["owner", "customer"]
    private static let ruleKeys = ["id", "match", "channels", "cooldown_days", "grouping"]
    private static let matchKeys = ["drift_type", "min_severity", "direction", "customers", "payers", "cpt_groups"]

    package static func parse(yaml: String, file: String) throws(ConfigError) -> AlertRuleBook {
        guard let root = try YAMLNode.parseConfig(yaml, file: file) else {
            throw ConfigError(file: file, message: "the alert rules file is empty")
        }
        let mapping = try root.configMapping("the alert rules file", file: file)
        try mapping.checkKeys(keys, in: "the alert rules file", file: file)
        var feedbackDays = 30
        if let node = mapping["feedback_days"] {
            feedbackDays = try wholeNumber(node, "feedback_days", in: 0...3660, ruleID: nil, file: file)
        }
        let endpoints = try parseEndpoints(
            mapping.required("endpoints", in: "the alert rules file", file: file),
            file: file
        )
        let rulesNode = try mapping.required("rules", in: "the alert rules file", file: file)
        guard case .sequence(let sequence) = rulesNode else {
            throw ConfigError(file: file, line: rulesNode.mark.line, message: "'rules' must be a list")
        }
        var rules: [AlertRule] = []
        var ids = Set<String>()
        for node in sequence {
            let rule = try parseRule(node, endpoints: endpoints, file: file)
            guard ids.insert(rule.id).inserted else {
                throw ConfigError(file: file, line: node.mark.line, ruleID: rule.id, message: "a rule id is repeated")
            }
            rules.append(rule)
        }
        return AlertRuleBook(rules: rules, endpoints: endpoints, feedbackDays: feedbackDays)
    }

    private static func parseEndpoints(_ node: YAMLNode, file: String) throws(ConfigError) -> [String: AlertEndpoint] {
        let mapping = try node.configMapping("'endpoints'", file: file)
        var endpoints: [String: AlertEndpoint] = [:]
        var environmentNames: [String: String] = [:]
        for (key, value) in mapping {
            let name = try key.configString("endpoint name", file: file)
            guard isIdentifier(name) else {
                throw ConfigError(
                    file: file,
                    line: key.mark.line,
                    message: "an endpoint name is lower-case letters, digits, '-' and '_'"
                )
            }
            let spec = try value.configMapping("endpoint '\(name)'", file: file)
            try spec.checkKeys(endpointKeys, in: "endpoint '\(name)'", file: file)
            let owner: AlertEndpoint.Owner
            switch (spec["owner"], spec["customer"]) {
            case (let ownerNode?, nil):
                guard try ownerNode.configString("owner", file: file) == "operator" else {
                    throw ConfigError(
                        file: file,
                        line: ownerNode.mark.line,
                        message: "'owner' is 'operator'; a customer's endpoint names 'customer' instead"
                    )
                }
                owner = .operator
            case (nil, let customerNode?):
                owner = .customer(try customerNode.configString("customer", file: file))
            default:
                throw ConfigError(
                    file: file,
                    line: value.mark.line,
                    message: SafeMessage(
                        trusted: "endpoint '\(name)' needs exactly one of 'owner: operator' or 'customer: ID'"
                    )
                )
            }
            let endpoint = AlertEndpoint(name: name, owner: owner)
            if let other = environmentNames[endpoint.environmentName] {
                throw ConfigError(
                    file: file,
                    line: key.mark.line,
                    message: SafeMessage(
                        trusted: "endpoints '\(other)' and '\(name)' read the same environment variables"
                    )
                )
            }
            environmentNames[endpoint.environmentName] = name
            endpoints[name] = endpoint
        }
        return endpoints
    }

    private static func parseRule(
        _ node: YAMLNode,
        endpoints: [String: AlertEndpoint],
        file: String
    ) throws(ConfigError) -> AlertRule {
        let mapping = try node.configMapping("an alert rule", file: file)
        let idNode = try mapping.required("id", in: "an alert rule", file: file)
        let id = try idNode.configString("id", file: file)
        guard isIdentifier(id), id != AlertDecision.noRule else {
            throw ConfigError(
                file: file,
                line: idNode.mark.line,
                message: "a rule id is lower-case letters, digits, '-' and '_'"
            )
        }
        func fail(_ line: Int, _ text: String) -> ConfigError {
            ConfigError(file: file, line: line, ruleID: id, message: SafeMessage(trusted: text))
        }
        do {
            try mapping.checkKeys(ruleKeys, in: "alert rule", file: file)
        } catch {
            var error = error
            error.ruleID = id
            throw error
        }
        var match = AlertMatch()
        if let matchNode = mapping["match"], !matchNode.isNull {
            guard case .mapping(let part) = matchNode else {
                throw fail(matchNode.mark.line, "'match' must be a mapping")
            }
            for (key, value) in part {
                let name = key.string ?? ""
                switch name {
                case "drift_type":
                    for text in try strings(value, name, file: file) {
                        guard let type = DriftType(rawValue: text) else {
                            throw fail(value.mark.line, "'drift_type' is denial_rate or decision_time")
                        }
                        match.driftTypes.insert(type)
                    }
                case "min_severity":
                    guard let severity = DriftSeverity(rawValue: try value.configString(name, file: file)) else {
                        throw fail(value.mark.line, "'min_severity' is low, medium or high")
                    }
                    match.minimumSeverity = severity
                case "direction":
                    for text in try strings(value, name, file: file) {
                        guard let direction = DriftDirection(rawValue: text) else {
                            throw fail(value.mark.line, "'direction' is worse or better")
                        }
                        match.directions.insert(direction)
                    }
                case "customers": match.customers = Set(try strings(value, name, file: file))
                case "payers": match.payers = Set(try strings(value, name, file: file))
                case "cpt_groups": match.cptGroups = Set(try strings(value, name, file: file))
                default:
                    throw fail(
                        key.mark.line,
                        "unknown key '\(name)' in match (known: \(matchKeys.joined(separator: ", ")))"
                    )
                }
            }
        }
        let channelsNode = try mapping.required("channels", in: "alert rule", file: file)
        let channels = try strings(channelsNode, "channels", file: file)
        guard !channels.isEmpty else { throw fail(channelsNode.mark.line, "'channels' must name an endpoint") }
        for channel in channels {
            guard let endpoint = endpoints[channel] else {
                throw fail(channelsNode.mark.line, "channel '\(channel)' is not an endpoint of this file")
            }
            // The tenant guard: a customer's endpoint takes a rule only when the rule can match nobody else.
            if case .customer(let owner) = endpoint.owner, match.customers != [owner] {
                throw fail(
                    channelsNode.mark.line,
                    "channel '\(channel)' belongs to customer '\(owner)': the rule must match customers: [\(owner)] only"
                )
            }
        }
        var cooldown = 7
        if let node = mapping["cooldown_days"] {
            cooldown = try wholeNumber(node, "cooldown_days", in: 0...3660, ruleID: id, file: file)
        }
        var grouping = AlertRule.Grouping.customer
        if let node = mapping["grouping"] {
            guard let value = AlertRule.Grouping(rawValue: try node.configString("grouping", file: file)) else {
                throw fail(node.mark.line, "'grouping' is customer or event")
            }
            grouping = value
        }
        return AlertRule(id: id, match: match, channels: channels, cooldownDays: cooldown, grouping: grouping)
    }

    /// A scalar or a list of scalars.
    private static func strings(_ node: YAMLNode, _ key: String, file: String) throws(ConfigError) -> [String] {
        if case .scalar = node { return [try node.configString(key, file: file)] }
        return try node.configStrings(key, file: file)
    }

    private static func wholeNumber(
        _ node: YAMLNode,
        _ key: String,
        in range: ClosedRange<Int>,
        ruleID: String?,
        file: String
    ) throws(ConfigError) -> Int {
        guard let value = Int(try node.configString(key, file: file)), range.contains(value) else {
            throw ConfigError(
                file: file,
                line: node.mark.line,
                ruleID: ruleID,
                message: SafeMessage(
                    trusted: "'\(key)' must be a whole number from \(range.lowerBound) to \(range.upperBound)"
                )
            )
        }
        return value
    }

    private static func isIdentifier(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64
            && text.utf8.allSatisfy {
                ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F
            }
    }
}
