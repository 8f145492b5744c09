import DriftlineCore
import Testing

@Suite("Drift: the detector's guards, directions and severity")
struct DriftDetectorTests {
    static let triple = DriftTriple(customerID: "lakeview-health", payer: "aetna", cptGroup: "E&M")
    static let windows = DriftSettings().windows(asOf: 20_787)  // 2026-11-30

    /// A triple whose decision times do not change (every claim decided after 14 days: no U test evidence).
    static func denials(
        _ baseline: (denied: Int, decided: Int),
        _ current: (denied: Int, decided: Int),
        triple: DriftTriple = triple
    ) -> DriftAggregate {
        DriftAggregate(
            triple: triple,
            baseline: DriftWindowAggregate(
                denials: DenialCounts(denied: baseline.denied, decided: baseline.decided),
                decisionDays: [14: baseline.decided]
            ),
            current: DriftWindowAggregate(
                denials: DenialCounts(denied: current.denied, decided: current.decided),
                decisionDays: [14: current.decided]
            )
        )
    }

    /// A triple whose denial rate does not change (10%).
    static func decisionDays(
        _ baseline: DecisionTimeHistogram,
        _ current: DecisionTimeHistogram,
        triple: DriftTriple = triple
    ) -> DriftAggregate {
        DriftAggregate(
            triple: triple,
            baseline: DriftWindowAggregate(
                denials: DenialCounts(denied: baseline.count / 10, decided: baseline.count),
                decisionDays: baseline
            ),
            current: DriftWindowAggregate(
                denials: DenialCounts(denied: current.count / 10, decided: current.count),
                decisionDays: current
            )
        )
    }

    /// `count` claims spread evenly over `days`.
    static func spread(_ days: ClosedRange<Int>, count: Int) -> DecisionTimeHistogram {
        DecisionTimeHistogram(days.map { .init(days: $0, count: count / days.count) })
    }

    static func detect(_ aggregates: [DriftAggregate], settings: DriftSettings = DriftSettings()) -> DriftDetection {
        DriftDetector(settings: settings).detect(aggregates, windows: windows)
    }

    @Test("the example of the documentation: 10% → 25% is a high-severity denial-rate drift")
    func documentedExample() throws {
        let detection = Self.detect([Self.denials((60, 600), (50, 200))])
        let event = try #require(detection.events.first)
        #expect(detection.events.count == 1)
        #expect(event.type == .denialRate && event.method == .twoProportionZ)
        #expect(event.baselineN == 600 && event.currentN == 200)
        #expect(event.baselineValue == 0.1 && event.currentValue == 0.25)
        #expect(abs(event.absoluteChange - 0.15) < 1e-15)
        #expect(abs((event.relativeChange ?? 0) - 1.5) < 1e-12)
        let interval = try #require(event.interval)
        #expect(interval.contains(event.absoluteChange) && interval.lowerBound > 0.05)
        #expect(event.direction == .worse && event.severity == .high)
        #expect(event.pValue < 1e-6 && event.qValue >= event.pValue && event.statistic > 0)
        #expect(event.windows == Self.windows)
        #expect(detection.testsRun == 2 && detection.notSignificant == 1)  // decision time did not move
    }

    @Test("windows: the 30 days ending at the as-of date, and the 90 days before")
    func windows() {
        let windows = DriftSettings().windows(asOf: 20_787)
        #expect(windows.currentEnd == 20_787 && windows.currentEnd - windows.currentStart == 29)
        #expect(windows.baselineEnd == windows.currentStart - 1 && windows.baselineEnd - windows.baselineStart == 89)
    }

    // MARK: - Volume guard

    @Test("volume guard: 29 decided claims in a window run no test, 30 do")
    func volumeGuard() {
        let small = Self.detect([Self.denials((0, 29), (29, 29))])
        #expect(small.events.isEmpty && small.testsRun == 0 && small.belowVolume == 2)
        let enough = Self.detect([Self.denials((0, 30), (30, 30))])
        #expect(enough.testsRun == 2 && enough.events.map(\.type) == [.denialRate])
        let current = Self.detect([Self.denials((3, 300), (29, 29))])
        #expect(current.testsRun == 0 && current.events.isEmpty)
    }

    @Test("a test that did not run does not count in the false discovery control")
    func skippedTestsAreNotInTheFamily() throws {
        // 10 triples below the volume guard beside one drift: the drift's q equals its p (a family of 2 tests,
        // the other p = 1), as if the small triples were not there.
        let small = (0..<10).map { i in
            Self.denials((1, 10), (5, 10), triple: DriftTriple(customerID: "c\(i)", payer: "p", cptGroup: "g"))
        }
        let detection = Self.detect(small + [Self.denials((20, 200), (60, 200))])
        #expect(detection.belowVolume == 20 && detection.testsRun == 2)
        let event = try #require(detection.events.first)
        #expect(abs(event.qValue - event.pValue * 2) < 1e-15 * event.qValue)
    }

    // MARK: - Effect guards

    @Test("effect guard at volume: a million claims, 10.0% → 10.3%, is significant but not flagged")
    func tinyEffectAtHighVolume() throws {
        let aggregate = Self.denials((100_000, 1_000_000), (103_000, 1_000_000))
        let test = try #require(
            TwoProportionZTest(baseline: aggregate.baseline.denials, current: aggregate.current.denials)
        )
        #expect(test.pValue < 1e-11)
        let detection = Self.detect([aggregate])
        #expect(detection.events.isEmpty)
        #expect(detection.belowMinimumEffect == 1 && detection.notSignificant == 1)
        // Without the effect guard the same data would be an event.
        let unguarded = DriftSettings(denialRateMinimumChange: 0, denialRateMinimumRelativeChange: 0)
        #expect(Self.detect([aggregate], settings: unguarded).events.count == 1)
    }

    @Test("denial rate needs 5 points AND 25% relative")
    func denialEffectBothWays() {
        // 40% → 46%: 6 points but 15% relative.
        #expect(Self.detect([Self.denials((4_000, 10_000), (4_600, 10_000))]).events.isEmpty)
        // 4% → 6%: 50% relative but 2 points.
        #expect(Self.detect([Self.denials((400, 10_000), (600, 10_000))]).events.isEmpty)
        // 10% → 15%: exactly 5 points and 50%, although 0.15 − 0.10 is a hair below 0.05 in binary.
        #expect(Self.detect([Self.denials((1_000, 10_000), (1_500, 10_000))]).events.count == 1)
        // 20% → 25%: exactly 5 points and exactly 25%.
        #expect(Self.detect([Self.denials((2_000, 10_000), (2_500, 10_000))]).events.count == 1)
    }

    @Test("decision time needs 3 days AND 20% on the median")
    func decisionTimeEffectBothWays() {
        // 30 → 33 days: 3 days but 10%.
        #expect(Self.detect([Self.decisionDays([30: 2_000], [33: 2_000])]).events.isEmpty)
        // 2 → 4 days: 100% but 2 days.
        #expect(Self.detect([Self.decisionDays([2: 2_000], [4: 2_000])]).events.isEmpty)
        // 10 → 13 days: 3 days and 30%.
        let detection = Self.detect([Self.decisionDays([10: 2_000], [13: 2_000])])
        #expect(detection.events.map(\.type) == [.decisionTime])
        #expect(detection.events.first?.method == .mannWhitneyU)
        #expect(detection.events.first?.interval == nil)
    }

    // MARK: - Baseline 0, directions

    @Test("a baseline denial rate of 0: 0% → 10% on enough volume is drift, judged on its absolute change")
    func baselineZeroIsDrift() throws {
        let event = try #require(Self.detect([Self.denials((0, 500), (50, 500))]).events.first)
        #expect(event.baselineValue == 0 && event.currentValue == 0.1)
        #expect(event.relativeChange == nil)
        #expect(event.direction == .worse)
        #expect((event.interval?.lowerBound ?? 0) > 0)
        // And 0% → 0%: nothing, without a division by zero anywhere.
        let none = Self.detect([Self.denials((0, 500), (0, 500))])
        #expect(none.events.isEmpty && none.testsRun == 2)
        // 0% → 2% is below the 5-point minimum.
        #expect(Self.detect([Self.denials((0, 5_000), (100, 5_000))]).events.isEmpty)
    }

    @Test("directions: a higher denial rate or slower decisions are worse, the opposite better")
    func directions() throws {
        let worseRate = try #require(Self.detect([Self.denials((100, 1_000), (300, 1_000))]).events.first)
        #expect(worseRate.direction == .worse && worseRate.absoluteChange > 0 && worseRate.statistic > 0)
        let betterRate = try #require(Self.detect([Self.denials((300, 1_000), (100, 1_000))]).events.first)
        #expect(betterRate.direction == .better && betterRate.absoluteChange < 0 && betterRate.statistic < 0)
        #expect((betterRate.interval?.upperBound ?? 0) < 0)

        let slower = try #require(
            Self.detect([Self.decisionDays(Self.spread(5...25, count: 2_100), Self.spread(10...30, count: 2_100))])
                .events.first
        )
        #expect(slower.type == .decisionTime && slower.direction == .worse)
        #expect(slower.baselineValue == 15 && slower.currentValue == 20 && slower.statistic > 0)
        let faster = try #require(
            Self.detect([Self.decisionDays(Self.spread(10...30, count: 2_100), Self.spread(5...25, count: 2_100))])
                .events.first
        )
        #expect(faster.type == .decisionTime && faster.direction == .better && faster.statistic < 0)
    }

    @Test("U and the median disagreeing on the direction: not reported")
    func inconsistentDirection() {
        // The median falls from 20 to 15 days, but most current claims still took longer than most baseline ones.
        let aggregate = DriftAggregate(
            triple: Self.triple,
            baseline: DriftWindowAggregate(
                denials: DenialCounts(denied: 0, decided: 10),
                decisionDays: [10: 60, 20: 240]
            ),
            current: DriftWindowAggregate(
                denials: DenialCounts(denied: 0, decided: 10),
                decisionDays: [15: 156, 25: 144]
            )
        )
        let detection = Self.detect([aggregate])
        #expect(detection.testsRun == 1 && detection.events.isEmpty)
        #expect(detection.inconsistentDirection == 1)
    }

    // MARK: - False discovery control

    @Test("Benjamini–Hochberg across the run: a drift significant alone is not flagged among 400 quiet tests")
    func falseDiscoveryAcrossTheRun() {
        // 12% → 20% on 300 claims each: p ≈ 0.006 alone.
        let drift = Self.denials((36, 300), (60, 300))
        #expect(Self.detect([drift]).events.count == 1)
        let quiet = (0..<200).map { i in
            Self.denials((30, 300), (30, 300), triple: DriftTriple(customerID: "c\(i)", payer: "p", cptGroup: "g"))
        }
        let detection = Self.detect(quiet + [drift])
        #expect(detection.testsRun == 402 && detection.events.isEmpty && detection.notSignificant == 402)
    }

    // MARK: - Severity

    @Test("severity: effect multiple ≥ 3 and q ≤ 0.001 high, ≥ 2 and q ≤ 0.01 medium, else low")
    func severity() throws {
        #expect(DriftSeverity(effectMultiple: 3, qValue: 0.001) == .high)
        #expect(DriftSeverity(effectMultiple: 2.9999999999, qValue: 0.001) == .high)
        #expect(DriftSeverity(effectMultiple: 10, qValue: 0.002) == .medium)
        #expect(DriftSeverity(effectMultiple: 2, qValue: 0.01) == .medium)
        #expect(DriftSeverity(effectMultiple: 1.9, qValue: 1e-20) == .low)
        #expect(DriftSeverity(effectMultiple: 5, qValue: 0.02) == .low)
        #expect(DriftSeverity.low < .medium && DriftSeverity.medium < .high)

        // 10% → 20% on 2,000 claims each: 10 points (2 ×), 100% (4 ×): multiple 2, q tiny → medium.
        let medium = try #require(Self.detect([Self.denials((200, 2_000), (400, 2_000))]).events.first)
        #expect(medium.severity == .medium)
        // 10% → 16% (1.2 ×) → low however small q is.
        let low = try #require(Self.detect([Self.denials((2_000, 20_000), (3_200, 20_000))]).events.first)
        #expect(low.severity == .low && low.qValue < 1e-12)
    }
}
