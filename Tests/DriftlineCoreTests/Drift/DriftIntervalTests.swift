import DriftlineCore
import Foundation
import Testing

/// The score intervals against the values Newcombe printed.
@Suite("Drift: Wilson and Newcombe intervals, published values")
struct DriftIntervalTests {
    /// Newcombe RG. Interval estimation for the difference between independent proportions: comparison of eleven
    /// methods. Statistics in Medicine 1998;17:873–890, Table II, method 10 (score, no continuity correction):
    /// examples (a)–(h) as `x1/n1 − x2/n2 → lower, upper`, printed to 4 decimals.
    static let table2: [(x1: Int, n1: Int, x2: Int, n2: Int, lower: Double, upper: Double)] = [
        (56, 70, 48, 80, 0.0524, 0.3339),
        (9, 10, 3, 10, 0.1705, 0.8090),
        (6, 7, 2, 7, 0.0582, 0.8062),
        (5, 56, 0, 29, -0.0381, 0.1926),
        (0, 10, 0, 20, -0.1611, 0.2775),
        (0, 10, 0, 10, -0.2775, 0.2775),
        (10, 10, 0, 20, 0.6791, 1.0000),
        (10, 10, 0, 10, 0.6075, 1.0000),
    ]

    private static func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }

    @Test("Newcombe (1998) Table II, method 10: all eight examples to the printed 4 decimals")
    func newcombeTable2() throws {
        for row in Self.table2 {
            // Newcombe's θ = π1 − π2 is the drift's current − baseline with current = the first proportion.
            let interval = try #require(
                ProportionInterval.newcombeDifference(first: (row.x2, row.n2), second: (row.x1, row.n1))
            )
            #expect(Self.rounded(interval.lowerBound) == row.lower, "\(row.x1)/\(row.n1) − \(row.x2)/\(row.n2)")
            #expect(Self.rounded(interval.upperBound) == row.upper, "\(row.x1)/\(row.n1) − \(row.x2)/\(row.n2)")
        }
    }

    @Test("the z-test carries the same interval, for current − baseline")
    func zTestInterval() throws {
        let test = try #require(
            TwoProportionZTest(
                baseline: DenialCounts(denied: 48, decided: 80),
                current: DenialCounts(denied: 56, decided: 70)
            )
        )
        #expect(abs(test.difference - 0.2) < 1e-15)
        #expect(Self.rounded(test.interval.lowerBound) == 0.0524)
        #expect(Self.rounded(test.interval.upperBound) == 0.3339)
    }

    @Test("Wilson: exact bounds at 0 and n, the printed 0/10 upper bound, nil without trials")
    func wilsonEdges() throws {
        let none = try #require(ProportionInterval.wilson(successes: 0, trials: 10))
        #expect(none.lowerBound == 0)
        #expect(Self.rounded(none.upperBound) == 0.2775)  // Newcombe 1998 (single proportion), 0/10
        let all = try #require(ProportionInterval.wilson(successes: 10, trials: 10))
        #expect(all.upperBound == 1)
        #expect(Self.rounded(all.lowerBound) == 0.7225)
        #expect(ProportionInterval.wilson(successes: 0, trials: 0) == nil)
        #expect(ProportionInterval.newcombeDifference(first: (0, 0), second: (3, 10)) == nil)
    }

    @Test("no decided claims in a window: no test")
    func noTrials() {
        let empty = DenialCounts(denied: 0, decided: 0)
        let some = DenialCounts(denied: 3, decided: 40)
        #expect(TwoProportionZTest(baseline: empty, current: some) == nil)
        #expect(TwoProportionZTest(baseline: some, current: empty) == nil)
        #expect(empty.rate == nil)
    }

    @Test("a baseline rate of 0: no division by zero, relative change nil, the interval excludes 0")
    func baselineZero() throws {
        let test = try #require(
            TwoProportionZTest(
                baseline: DenialCounts(denied: 0, decided: 400),
                current: DenialCounts(denied: 40, decided: 400)
            )
        )
        #expect(test.baselineRate == 0)
        #expect(test.relativeChange == nil)
        #expect(test.difference == 0.1)
        #expect(test.pValue < 1e-9 && test.z > 0)
        #expect(test.interval.lowerBound > 0 && test.interval.upperBound < 1)
    }
}
