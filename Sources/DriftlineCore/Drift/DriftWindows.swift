/// The two windows a drift run compares, as inclusive ranges of decision dates (days since 1970-01-01, as
/// ``CivilDate``).
///
/// The current window is the `currentDays` days ending at the as-of date; the baseline window the
/// `baselineDays` days just before it. With the defaults and as-of 2026-11-30: current 2026-11-01 …
/// 2026-11-30, baseline 2026-08-03 … 2026-10-31. The stage selects `decided_date BETWEEN start AND end`.
package struct DriftWindows: Sendable, Hashable {
    package var baselineStart: Int32
    package var baselineEnd: Int32
    package var currentStart: Int32
    package var currentEnd: Int32

    /// - Precondition: both lengths are at least one day.
    package init(asOf: Int32, currentDays: Int, baselineDays: Int) {
        precondition(currentDays >= 1 && baselineDays >= 1, "a window is at least one day")
        currentEnd = asOf
        currentStart = asOf - Int32(currentDays - 1)
        baselineEnd = currentStart - 1
        baselineStart = baselineEnd - Int32(baselineDays - 1)
    }

    package init(baselineStart: Int32, baselineEnd: Int32, currentStart: Int32, currentEnd: Int32) {
        self.baselineStart = baselineStart
        self.baselineEnd = baselineEnd
        self.currentStart = currentStart
        self.currentEnd = currentEnd
    }
}
