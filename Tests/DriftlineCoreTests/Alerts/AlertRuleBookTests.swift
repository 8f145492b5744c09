import DriftlineCore
import DriftlineTestSupport
import Foundation
import Testing

/// `rules/alerts.yaml` is read strictly; a rule that could route a customer's alert elsewhere is refused.
@Suite struct AlertRuleBookTests {
    static let endpoints = """
        endpoints:
          default: {owner: operator}
          acme: {customer: acme-clinic}
          lake: {customer: lakeview-health}
        """

    static func error(_ yaml: String) -> ConfigError? {
        do {
            _ = try AlertRuleBook.parse(yaml: yaml, file: "rules/alerts.yaml")
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesEveryKey() throws {
        let book = try AlertRuleBook.parse(
            yaml: """
                feedback_days: 14
                \(Self.endpoints)
                rules:
                  - id: acme-worse
                    match:
                      drift_type: denial_rate
                      min_severity: medium
                      direction: [worse]
                      customers: [acme-clinic]
                      payers: [UHC, AETNA]
                      cpt_groups: [Radiology]
                    channels: [acme, default]
                    cooldown_days: 3
                    grouping: event
                  - id: all
                    channels: [default]
                """,
            file: "rules/alerts.yaml"
        )
        #expect(book.feedbackDays == 14)
        #expect(book.rules.map(\.id) == ["acme-worse", "all"])
        let rule = book.rules[0]
        #expect(rule.match.driftTypes == [.denialRate])
        #expect(rule.match.minimumSeverity == .medium)
        #expect(rule.match.directions == [.worse])
        #expect(rule.match.customers == ["acme-clinic"])
        #expect(rule.match.payers == ["UHC", "AETNA"])
        #expect(rule.match.cptGroups == ["Radiology"])
        #expect(rule.channels == ["acme", "default"])
        #expect(rule.cooldownDays == 3)
        #expect(rule.grouping == .event)
        #expect(book.rules[1].cooldownDays == 7 && book.rules[1].grouping == .customer)
        #expect(book.endpoints["acme"]?.owner == .customer("acme-clinic"))
        #expect(book.endpoints["default"]?.owner == .operator)
    }

    @Test func theShippedFileSendsEveryDriftToTheOperatorDefault() throws {
        let rules = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("rules")
        let book = try AlertRuleBook.load(directory: rules)
        #expect(book.endpoints["default"]?.owner == .operator)
        let candidate = AlertCandidate(
            driftEventID: 1,
            triple: DriftTriple(customerID: "anyone", payer: "UHC", cptGroup: "Lab/Pathology"),
            type: .decisionTime,
            severity: .low,
            direction: .better,
            currentEnd: 20_000
        )
        let decisions = AlertEvaluator(book: book).evaluate(candidate, silences: [], noise: []) { _ in nil }
        #expect(decisions.map(\.status) == [.notify])
        #expect(decisions.first?.channels == ["default"])
    }

    @Test(
        arguments: [
            // (rules body, line, rule id, message fragment)
            ("  - id: a\n    channels: [acme]", 7, "a", "belongs to customer 'acme-clinic'"),
            (
                "  - id: b\n    match: {customers: [acme-clinic, lakeview-health]}\n    channels: [acme]", 8, "b",
                "must match customers: [acme-clinic] only"
            ),
            (
                "  - id: c\n    match: {customers: [lakeview-health]}\n    channels: [acme]", 8, "c",
                "belongs to customer"
            ),
            ("  - id: d\n    channels: [nowhere]", 7, "d", "channel 'nowhere' is not an endpoint"),
            ("  - id: e\n    channels: [default]\n    cooldwn_days: 3", 8, "e", "unknown key 'cooldwn_days'"),
            (
                "  - id: f\n    match: {severity: high}\n    channels: [default]", 7, "f",
                "unknown key 'severity' in match"
            ),
            ("  - id: g\n    match: {min_severity: huge}\n    channels: [default]", 7, "g", "low, medium or high"),
            (
                "  - id: h\n    match: {drift_type: speed}\n    channels: [default]", 7, "h",
                "denial_rate or decision_time"
            ),
            ("  - id: i\n    channels: [default]\n    grouping: weekly", 8, "i", "customer or event"),
            ("  - id: j\n    channels: [default]\n    cooldown_days: soon", 8, "j", "whole number"),
            ("  - id: k\n    channels: []", 7, "k", "must name an endpoint"),
            ("  - id: x\n    channels: [default]\n  - id: x\n    channels: [default]", 8, "x", "repeated"),
        ] as [(String, Int, String, String)]
    )
    func ruleErrorsNameFileLineAndRule(body: String, line: Int, ruleID: String, fragment: String) throws {
        let error = try #require(Self.error(Self.endpoints + "\nrules:\n" + body))
        #expect(error.file == "rules/alerts.yaml")
        #expect(error.line == line)
        #expect(error.ruleID == ruleID)
        #expect(error.description.contains(fragment), "\(error)")
        #expect(error.description.hasPrefix("rules/alerts.yaml:\(line) rule \(ruleID): "))
    }

    @Test func aCustomersOwnEndpointIsFineWhenTheRuleMatchesOnlyThatCustomer() throws {
        let book = try AlertRuleBook.parse(
            yaml: Self.endpoints
                + "\nrules:\n  - id: mine\n    match: {customers: [acme-clinic]}\n    channels: [acme]",
            file: "rules/alerts.yaml"
        )
        #expect(book.rules.first?.channels == ["acme"])
    }

    @Test(
        arguments: [
            ("endpoints:\n  default: {owner: customer}\nrules: []", 2, "'owner' is 'operator'"),
            ("endpoints:\n  default: {owner: operator, customer: x}\nrules: []", 2, "exactly one of"),
            ("endpoints:\n  Bad Name: {owner: operator}\nrules: []", 2, "lower-case"),
            ("endpoints:\n  a-b: {owner: operator}\n  a_b: {owner: operator}\nrules: []", 3, "same environment"),
            ("endpoints:\n  default: {owner: operator, url: 'https://x'}\nrules: []", 2, "unknown key 'url'"),
            ("endpoints: {}\nrules: []\nsecret: whsec_x", 3, "unknown key 'secret'"),
            ("rules: []", 1, "needs 'endpoints'"),
            ("endpoints: {}\nrules: [a, : b", 2, "malformed YAML"),
        ] as [(String, Int, String)]
    )
    func fileErrorsNameTheLine(yaml: String, line: Int, fragment: String) throws {
        let error = try #require(Self.error(yaml))
        #expect(error.line == line, "\(error)")
        #expect(error.description.contains(fragment), "\(error)")
    }

    @Test func theValidationRuleBookSkipsAlertsYAML() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("alerts-rb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try (Self.endpoints + "\nrules:\n  - id: all\n    channels: [default]\n").write(
            to: directory.appendingPathComponent("alerts.yaml"),
            atomically: true,
            encoding: .utf8
        )
        let book = try RuleBook.load(directory: directory, groups: ClaimRowFixture.groups, asOf: 20_000)
        #expect(book.count == 0)
    }

    @Test func endpointEnvironmentNames() {
        #expect(AlertEndpoint(name: "default", owner: .operator).environmentName == "DEFAULT")
        #expect(AlertEndpoint(name: "acme-ops", owner: .operator).environmentName == "ACME_OPS")
    }
}
