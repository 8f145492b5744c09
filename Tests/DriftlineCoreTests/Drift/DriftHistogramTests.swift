import DriftlineCore
import Testing

@Suite("Drift: decision-time histograms and the U test's edge cases")
struct DriftHistogramTests {
    @Test("bins are sorted, a repeated day is added up, empty bins are dropped")
    func normalizes() {
        let histogram = DecisionTimeHistogram([
            .init(days: 9, count: 2), .init(days: 3, count: 1), .init(days: 9, count: 4), .init(days: 5, count: 0),
        ])
        #expect(histogram.bins == [.init(days: 3, count: 1), .init(days: 9, count: 6)])
        #expect(histogram.count == 7)
        let literal: DecisionTimeHistogram = [9: 6, 3: 1]
        #expect(literal == histogram)
    }

    @Test("medians as numpy: the middle value, or the mean of the two middle values")
    func medians() {
        #expect(([:] as DecisionTimeHistogram).median == nil)
        #expect(([4: 1] as DecisionTimeHistogram).median == 4)
        #expect(([2: 1, 4: 1, 6: 1, 9: 1] as DecisionTimeHistogram).median == 5)
        #expect(([3: 2, 8: 2] as DecisionTimeHistogram).median == 5.5)  // the middle falls between two bins
        #expect(([3: 3, 8: 2] as DecisionTimeHistogram).median == 3)
        #expect(([0: 40, 1: 10, 3: 5] as DecisionTimeHistogram).median == 0)
        #expect(([12: 40, 14: 25, 30: 3] as DecisionTimeHistogram).median == 12)
    }

    @Test("an empty window: no test; every claim on the same day: z = 0, p = 1")
    func edges() throws {
        #expect(MannWhitneyUTest(baseline: [:], current: [3: 40]) == nil)
        #expect(MannWhitneyUTest(baseline: [3: 40], current: [:]) == nil)
        let same = try #require(MannWhitneyUTest(baseline: [7: 50], current: [7: 80]))
        #expect(same.z == 0 && same.pValue == 1 && same.medianChange == 0)
        #expect(same.u == 2000)  // every pair tied: half of 50 · 80
    }

    @Test("U counts the pairs in which the current claim took longer, ties as ½")
    func uCountsPairs() throws {
        // current {2, 3}, baseline {1, 2}: pairs (2,1) 1, (2,2) ½, (3,1) 1, (3,2) 1 → 3.5
        let test = try #require(MannWhitneyUTest(baseline: [1: 1, 2: 1], current: [2: 1, 3: 1]))
        #expect(test.u == 3.5)
        #expect(test.z > 0)
        let reversed = try #require(MannWhitneyUTest(baseline: [2: 1, 3: 1], current: [1: 1, 2: 1]))
        #expect(reversed.u == 0.5)
        #expect(reversed.z == -test.z && reversed.pValue == test.pValue)
    }

    @Test("a baseline median of 0 days: the relative change is nil, not a division by zero")
    func zeroMedian() throws {
        let test = try #require(MannWhitneyUTest(baseline: [0: 40, 1: 10], current: [0: 10, 4: 30]))
        #expect(test.baselineMedian == 0 && test.currentMedian == 4)
        #expect(test.relativeChange == nil)
    }

    @Test("a million claims per window run in time proportional to the distinct days")
    func largeVolume() throws {
        let baseline = DecisionTimeHistogram((0..<200).map { .init(days: $0, count: 5_000) })
        let current = DecisionTimeHistogram((0..<200).map { .init(days: $0 + 1, count: 5_000) })
        let test = try #require(MannWhitneyUTest(baseline: baseline, current: current))
        #expect(test.baselineCount == 1_000_000 && test.currentCount == 1_000_000)
        #expect(test.medianChange == 1)
        #expect(test.pValue < 1e-12 && test.z > 0)
    }
}
