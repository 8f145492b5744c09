import DriftlineCore
import Testing

/// Right-censoring: a payer whose behaviour does not change, with the usual share of recently submitted claims
/// still pending, must not be flagged. Windows by decision date (the detector's contract) are checked against
/// windows by submission date, which would flag the same payer as "better" on both measures.
@Suite("Drift: pending claims (right-censoring) do not make a steady payer drift")
struct DriftCensoringTests {
    /// SplitMix64: deterministic, so a failure reproduces.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func int(in range: ClosedRange<Int>) -> Int {
            range.lowerBound + Int(next() % UInt64(range.count))
        }
    }

    struct Claim {
        var submitted: Int32
        var days: Int
        var denied: Bool
        var decided: Int32 { submitted + Int32(days) }
    }

    static let asOf: Int32 = 20_787  // 2026-11-30
    static let settings = DriftSettings()
    static let windows = settings.windows(asOf: asOf)

    /// 60 claims submitted every day for 400 days. The payer never changes: 60% of claims are decided in
    /// 5–25 days (6% denied), 30% in 25–60 (25% denied), 10% in 60–150 (50% denied): the slow claims are the
    /// ones denied more often (reviews, appeals of medical necessity). A claim whose decision would fall after
    /// the as-of date is still pending.
    static func simulate(seed: UInt64) -> [Claim] {
        var random = Random(state: seed)
        var claims: [Claim] = []
        for submitted in (asOf - 399)...asOf {
            for _ in 0..<60 {
                let kind = random.uniform()
                let (days, denialRate) =
                    kind < 0.6
                    ? (random.int(in: 5...25), 0.06)
                    : kind < 0.9 ? (random.int(in: 25...60), 0.25) : (random.int(in: 60...150), 0.5)
                claims.append(Claim(submitted: submitted, days: days, denied: random.uniform() < denialRate))
            }
        }
        return claims
    }

    /// One window's aggregate of the decided claims `selected` picks (pending claims are never decided).
    static func aggregate(_ claims: [Claim], _ selected: (Claim) -> Bool) -> DriftWindowAggregate {
        let decided = claims.filter { $0.decided <= asOf && selected($0) }
        var days: [Int: Int] = [:]
        for claim in decided { days[claim.days, default: 0] += 1 }
        return DriftWindowAggregate(
            denials: DenialCounts(denied: decided.filter(\.denied).count, decided: decided.count),
            decisionDays: DecisionTimeHistogram(days.map { .init(days: $0.key, count: $0.value) })
        )
    }

    static let triple = DriftTriple(customerID: "lakeview-health", payer: "aetna", cptGroup: "E&M")

    /// Windows by decision date: the detector's contract.
    static func byDecisionDate(_ claims: [Claim]) -> DriftAggregate {
        DriftAggregate(
            triple: triple,
            baseline: aggregate(claims) { (windows.baselineStart...windows.baselineEnd).contains($0.decided) },
            current: aggregate(claims) { (windows.currentStart...windows.currentEnd).contains($0.decided) }
        )
    }

    /// Windows by submission date (cohorts): what the detector must not do.
    static func bySubmissionDate(_ claims: [Claim]) -> DriftAggregate {
        DriftAggregate(
            triple: triple,
            baseline: aggregate(claims) { (windows.baselineStart...windows.baselineEnd).contains($0.submitted) },
            current: aggregate(claims) { (windows.currentStart...windows.currentEnd).contains($0.submitted) }
        )
    }

    @Test("the simulation has the usual share of recent claims still pending")
    func pendingShare() {
        let claims = Self.simulate(seed: 1)
        let recent = claims.filter { $0.submitted >= Self.windows.currentStart }
        let pending = recent.filter { $0.decided > Self.asOf }
        // Most of the last 30 days' claims are undecided, and the still-pending ones are the slow ones.
        #expect(Double(pending.count) / Double(recent.count) > 0.4)
        // About 60 a day × the mean decision time (32 days) are pending at any time.
        #expect(claims.filter { $0.decided > Self.asOf }.count > 1_500)
    }

    @Test("by decision date, a steady payer is not flagged in either direction (20 seeds)", arguments: 1...20)
    func decisionDateWindowsDoNotDrift(seed: UInt64) throws {
        let claims = Self.simulate(seed: seed)
        let aggregate = Self.byDecisionDate(claims)
        #expect(aggregate.current.denials.decided > 1_600 && aggregate.baseline.denials.decided > 5_000)
        let detection = DriftDetector(settings: Self.settings).detect([aggregate], windows: Self.windows)
        #expect(detection.testsRun == 2)
        #expect(detection.events.isEmpty)
        // Not only below the guards: the medians and the rates agree closely.
        let time = try #require(
            MannWhitneyUTest(baseline: aggregate.baseline.decisionDays, current: aggregate.current.decisionDays)
        )
        #expect(abs(time.medianChange) <= 2)
        let rate = try #require(
            TwoProportionZTest(baseline: aggregate.baseline.denials, current: aggregate.current.denials)
        )
        #expect(abs(rate.difference) < 0.03)
    }

    @Test("by submission date, the same payer would look faster and less denying: the bias the contract avoids")
    func submissionCohortsWouldDrift() {
        let detection = DriftDetector(settings: Self.settings).detect(
            [Self.bySubmissionDate(Self.simulate(seed: 1))],
            windows: Self.windows
        )
        #expect(detection.events.map(\.type) == [.denialRate, .decisionTime])
        #expect(detection.events.allSatisfy { $0.direction == .better })
    }
}
