/// One window's decision times of a customer × payer × CPT group: how many claims were decided after how many days.
///
/// A decision time is `decided_date − submitted_date` in whole days. The stage fills the histogram from
/// `SELECT decided_date - submitted_date AS days, count(*) … GROUP BY days ORDER BY days` over the claims
/// decided in the window, so its size is the number of distinct days (a few hundred at most), not the number
/// of claims, and the tests on it run in that time. Negative days (a decision dated before the submission) are
/// data errors the stage should leave out; the statistics here would treat them as ordinary values.
///
/// ```swift
/// let histogram: DecisionTimeHistogram = [12: 40, 14: 25, 30: 3]  // 40 claims decided after 12 days, …
/// histogram.count   // 68
/// histogram.median  // 12.0
/// ```
package struct DecisionTimeHistogram: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    /// Claims decided after `days` days.
    package struct Bin: Sendable, Hashable {
        package var days: Int
        package var count: Int

        package init(days: Int, count: Int) {
            self.days = days
            self.count = count
        }
    }

    /// Ascending by `days`, each day once, every count positive.
    package private(set) var bins: [Bin]
    /// The number of claims: the sum of the counts.
    package private(set) var count: Int

    /// A histogram from bins in any order; bins of the same day are added up, empty ones dropped.
    ///
    /// - Precondition: every count is `≥ 0`.
    package init(_ bins: some Sequence<Bin>) {
        var sorted = bins.filter { bin in
            precondition(bin.count >= 0, "a histogram count must not be negative")
            return bin.count > 0
        }
        sorted.sort { $0.days < $1.days }
        var merged: [Bin] = []
        merged.reserveCapacity(sorted.count)
        var total = 0
        for bin in sorted {
            total += bin.count
            if let last = merged.last, last.days == bin.days {
                merged[merged.count - 1].count += bin.count
            } else {
                merged.append(bin)
            }
        }
        self.bins = merged
        self.count = total
    }

    /// A histogram from bins already ascending by `days`, each day once, every count positive (checked in debug
    /// builds): no copy, no sort. The stage builds a million bins a night this way.
    package init(ascending bins: [Bin]) {
        assert(bins.allSatisfy { $0.count > 0 } && zip(bins, bins.dropFirst()).allSatisfy { $0.days < $1.days })
        var total = 0
        for bin in bins { total += bin.count }
        self.bins = bins
        self.count = total
    }

    /// A histogram from `days: count` pairs (a repeated day is added up).
    package init(dictionaryLiteral elements: (Int, Int)...) {
        self.init(elements.map { Bin(days: $0.0, count: $0.1) })
    }

    /// The median decision time in days, as `numpy.median` of the expanded samples: the middle value of an odd
    /// count, the mean of the two middle values of an even one; `nil` when empty.
    package var median: Double? {
        guard count > 0 else { return nil }
        // 0-based positions of the middle values in the sorted samples.
        let upperMiddle = count / 2
        let lowerMiddle = count % 2 == 0 ? upperMiddle - 1 : upperMiddle
        var lowerValue: Int?
        var seen = 0
        for bin in bins {
            seen += bin.count
            if lowerValue == nil, lowerMiddle < seen { lowerValue = bin.days }
            if upperMiddle < seen, let lowerValue {
                return (Double(lowerValue) + Double(bin.days)) / 2
            }
        }
        return nil  // unreachable: `upperMiddle < count`
    }
}
