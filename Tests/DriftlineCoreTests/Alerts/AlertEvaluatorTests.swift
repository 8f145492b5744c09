import DriftlineCore
import Testing

/// Every drift event ends in a decision per matching rule: notify, or suppressed with its reason.
@Suite struct AlertEvaluatorTests {
    static let book = AlertRuleBook(
        rules: [
            AlertRule(
                id: "worse-medium",
                match: AlertMatch(minimumSeverity: .medium, directions: [.worse]),
                channels: ["default"],
                cooldownDays: 7
            ),
            AlertRule(
                id: "acme-radiology",
                match: AlertMatch(customers: ["acme-clinic"], cptGroups: ["Radiology"]),
                channels: ["acme", "default"],
                cooldownDays: 0,
                grouping: .event
            ),
        ],
        endpoints: [
            "default": AlertEndpoint(name: "default", owner: .operator),
            "acme": AlertEndpoint(name: "acme", owner: .customer("acme-clinic")),
        ]
    )

    static func candidate(
        customer: String = "lakeview-health",
        payer: String = "UHC",
        group: String = "E&M",
        type: DriftType = .denialRate,
        severity: DriftSeverity = .high,
        direction: DriftDirection = .worse,
        end: Int32 = 20_000
    ) -> AlertCandidate {
        AlertCandidate(
            driftEventID: 42,
            triple: DriftTriple(customerID: customer, payer: payer, cptGroup: group),
            type: type,
            severity: severity,
            direction: direction,
            currentEnd: end
        )
    }

    static func evaluate(
        _ candidate: AlertCandidate,
        silences: [AlertSilence] = [],
        noise: [AlertNoise] = [],
        last: [String: Int32] = [:]
    ) -> [AlertDecision] {
        AlertEvaluator(book: book).evaluate(candidate, silences: silences, noise: noise) { last[$0] }
    }

    @Test func notifies() {
        let decisions = Self.evaluate(Self.candidate())
        #expect(decisions == [AlertDecision(ruleID: "worse-medium", status: .notify, channels: ["default"])])
    }

    @Test func belowSeverity() {
        #expect(Self.evaluate(Self.candidate(severity: .low)) == [.suppressed("worse-medium", .belowSeverity)])
    }

    @Test func noMatchingRule() {
        #expect(Self.evaluate(Self.candidate(direction: .better)) == [.suppressed("-", .noMatchingRule)])
    }

    @Test func silenced() {
        let silences = [
            AlertSilence(id: 3, payer: "AETNA"),
            AlertSilence(id: 4, customerID: "lakeview-health", payer: "UHC"),
        ]
        let decisions = Self.evaluate(Self.candidate(), silences: silences)
        #expect(decisions.map(\.reason) == [.silenced])
        #expect(decisions.first?.silenceID == 4)
        // A silence of another customer, payer, type or direction does not apply.
        for other in [
            AlertSilence(id: 5, customerID: "acme-clinic"),
            AlertSilence(id: 6, payer: "AETNA"),
            AlertSilence(id: 7, driftType: .decisionTime),
            AlertSilence(id: 8, direction: .better),
            AlertSilence(id: 9, cptGroup: "Radiology"),
        ] {
            #expect(Self.evaluate(Self.candidate(), silences: [other]).map(\.status) == [.notify])
        }
    }

    @Test func feedback() {
        let triple = DriftTriple(customerID: "lakeview-health", payer: "UHC", cptGroup: "E&M")
        let decisions = Self.evaluate(Self.candidate(), noise: [AlertNoise(id: 11, triple: triple, type: .denialRate)])
        #expect(decisions.map(\.reason) == [.feedback])
        #expect(decisions.first?.feedbackID == 11)
        let otherType = AlertNoise(id: 12, triple: triple, type: .decisionTime)
        #expect(Self.evaluate(Self.candidate(), noise: [otherType]).map(\.status) == [.notify])
    }

    @Test func cooldown() {
        #expect(Self.evaluate(Self.candidate(end: 20_006), last: ["worse-medium": 20_000]).map(\.reason) == [.cooldown])
        // Seven days after the last notification, it notifies again.
        #expect(Self.evaluate(Self.candidate(end: 20_007), last: ["worse-medium": 20_000]).map(\.status) == [.notify])
        // Another rule's history does not count.
        #expect(Self.evaluate(Self.candidate(end: 20_001), last: ["acme-radiology": 20_000]).map(\.status) == [.notify])
    }

    @Test func reasonsInOrderBelowSeveritySilenceFeedbackCooldown() {
        let triple = DriftTriple(customerID: "lakeview-health", payer: "UHC", cptGroup: "E&M")
        let silence = [AlertSilence(id: 1)]
        let noise = [AlertNoise(id: 2, triple: triple, type: .denialRate)]
        let last = ["worse-medium": Int32(20_000)]
        #expect(
            Self.evaluate(Self.candidate(severity: .low), silences: silence, noise: noise, last: last).map(\.reason)
                == [
                    .belowSeverity
                ]
        )
        #expect(
            Self.evaluate(Self.candidate(), silences: silence, noise: noise, last: last).map(\.reason) == [.silenced]
        )
        #expect(Self.evaluate(Self.candidate(), noise: noise, last: last).map(\.reason) == [.feedback])
        #expect(Self.evaluate(Self.candidate(), last: last).map(\.reason) == [.cooldown])
    }

    @Test func everyMatchingRuleDecides() {
        let decisions = Self.evaluate(Self.candidate(customer: "acme-clinic", group: "Radiology", severity: .low))
        #expect(
            decisions == [
                .suppressed("worse-medium", .belowSeverity),
                AlertDecision(
                    ruleID: "acme-radiology",
                    status: .notify,
                    channels: ["acme", "default"],
                    grouping: .event
                ),
            ]
        )
    }

    @Test func aCustomerEndpointNeverGetsAnotherCustomersAlert() {
        // A book built in code (not through the checked file) that routes everyone to acme's endpoint.
        let unsafe = AlertRuleBook(
            rules: [AlertRule(id: "leaky", match: AlertMatch(), channels: ["acme", "default"])],
            endpoints: Self.book.endpoints
        )
        let decisions = AlertEvaluator(book: unsafe).evaluate(Self.candidate(), silences: [], noise: []) { _ in nil }
        #expect(decisions.first?.channels == ["default"])
    }
}
