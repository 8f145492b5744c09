/// Decides, without a database, what becomes of one drift event under every alert rule.
///
/// Every rule whose scope matches yields exactly one decision — `notify`, or `suppressed` with the first
/// reason that applies, in this order: `below_severity`, `silenced`, `feedback`, `cooldown`. An event no rule's
/// scope matches yields one `no_matching_rule` decision. So every event leaves a trace in `alert_events`.
package struct AlertEvaluator: Sendable {
    package var book: AlertRuleBook

    package init(book: AlertRuleBook) { self.book = book }

    /// - Parameters:
    ///   - silences: the silences active now.
    ///   - noise: noise feedback still in force.
    ///   - lastNotified: for a rule id, the current-window end of the latest event it notified for the
    ///     candidate's customer, payer, group and drift type (before this one), if any.
    package func evaluate(
        _ candidate: AlertCandidate,
        silences: [AlertSilence],
        noise: [AlertNoise],
        lastNotified: (String) throws -> Int32?
    ) rethrows -> [AlertDecision] {
        var decisions: [AlertDecision] = []
        for rule in book.rules where rule.match.scopeMatches(candidate) {
            decisions.append(try decide(candidate, rule, silences, noise, lastNotified))
        }
        if decisions.isEmpty { decisions.append(.suppressed(AlertDecision.noRule, .noMatchingRule)) }
        return decisions
    }

    private func decide(
        _ candidate: AlertCandidate,
        _ rule: AlertRule,
        _ silences: [AlertSilence],
        _ noise: [AlertNoise],
        _ lastNotified: (String) throws -> Int32?
    ) rethrows -> AlertDecision {
        guard candidate.severity >= rule.match.minimumSeverity else { return .suppressed(rule.id, .belowSeverity) }
        if let silence = silences.first(where: { $0.matches(candidate) }) {
            var decision = AlertDecision.suppressed(rule.id, .silenced)
            decision.silenceID = silence.id
            return decision
        }
        if let feedback = noise.first(where: { $0.matches(candidate) }) {
            var decision = AlertDecision.suppressed(rule.id, .feedback)
            decision.feedbackID = feedback.id
            return decision
        }
        if rule.cooldownDays > 0, let last = try lastNotified(rule.id), candidate.currentEnd - last < rule.cooldownDays
        {
            return .suppressed(rule.id, .cooldown)
        }
        // Defence in depth: the file was checked at load, the endpoint is checked again here and at delivery.
        let channels = rule.channels.filter {
            book.endpoints[$0]?.accepts(customerID: candidate.triple.customerID) ?? false
        }
        return AlertDecision(ruleID: rule.id, status: .notify, channels: channels, grouping: rule.grouping)
    }
}
