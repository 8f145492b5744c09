/// The Mann–Whitney U test of a change in decision time between a baseline and a current window, computed from
/// the two windows' histograms.
///
/// The claims of both windows are ranked together, ties getting the average of the ranks they span; the
/// current window's `U = R − n2(n2 + 1)/2` (`R` its rank sum) counts the pairs of a current and a baseline claim
/// in which the current one took longer, ties counting ½. Under the null hypothesis (the same decision-time
/// distribution in both windows) `U` has mean `n1·n2/2` and, with `t` the size of each group of tied days,
/// variance `n1·n2/12 · ((N + 1) − Σ(t³ − t)/(N(N − 1)))`, `N = n1 + n2`. The normal approximation with the
/// continuity correction gives `z = sign(U − μ) · max(0, |U − μ| − ½)/σ` and the two-sided p-value
/// `erfc(|z|/√2)`: scipy's `mannwhitneyu(current, baseline, use_continuity=True, alternative="two-sided",
/// method="asymptotic")`. Decision times are whole days, so ties are the rule and the tie correction matters.
///
/// A histogram has one bin per distinct day: ranks, the rank sum and the tie term take one pass over the
/// merged bins, O(distinct days), whatever the number of claims.
///
/// When every claim of both windows took the same number of days the variance is 0: `z = 0`, `p = 1`.
///
/// The test compares whole distributions; the effect reported beside it is the change of the median, the
/// number an analyst reads ("a median of 12 days became 17"). No interval is given for it: a distribution-free
/// interval for a difference of medians would need more than the test assumes.
package struct MannWhitneyUTest: Sendable, Hashable {
    /// Decided claims in the baseline window (`n1`).
    package var baselineCount: Int
    /// Decided claims in the current window (`n2`).
    package var currentCount: Int
    /// The baseline window's median decision time, days.
    package var baselineMedian: Double
    /// The current window's median decision time, days.
    package var currentMedian: Double
    /// `currentMedian − baselineMedian`, days.
    package var medianChange: Double
    /// `medianChange / baselineMedian`; `nil` when the baseline median is 0 days.
    package var relativeChange: Double?
    /// The current window's U statistic (scipy's `mannwhitneyu(current, baseline).statistic`).
    package var u: Double
    /// The continuity-corrected standardized U: positive when current decisions tend to take longer.
    package var z: Double
    /// Two-sided.
    package var pValue: Double

    /// Runs the test; `nil` when either histogram is empty.
    package init?(baseline: DecisionTimeHistogram, current: DecisionTimeHistogram) {
        guard let baselineMedian = baseline.median, let currentMedian = current.median else { return nil }
        baselineCount = baseline.count
        currentCount = current.count
        self.baselineMedian = baselineMedian
        self.currentMedian = currentMedian
        medianChange = currentMedian - baselineMedian
        relativeChange = baselineMedian != 0 ? medianChange / baselineMedian : nil

        // One pass over the merged bins, ascending by day: each day's tie group of t = a + b claims spans
        // the ranks below+1 … below+t, whose average is below + (t + 1)/2.
        var rankSum = 0.0
        var tieTerm = 0.0
        var below = 0.0
        var i = 0
        var j = 0
        let a = baseline.bins
        let b = current.bins
        while i < a.count || j < b.count {
            let day = min(i < a.count ? a[i].days : Int.max, j < b.count ? b[j].days : Int.max)
            var inBaseline = 0.0
            var inCurrent = 0.0
            if i < a.count, a[i].days == day {
                inBaseline = Double(a[i].count)
                i += 1
            }
            if j < b.count, b[j].days == day {
                inCurrent = Double(b[j].count)
                j += 1
            }
            let tied = inBaseline + inCurrent
            rankSum += inCurrent * (below + (tied + 1) / 2)
            tieTerm += tied * tied * tied - tied
            below += tied
        }
        let n1 = Double(baselineCount)
        let n2 = Double(currentCount)
        let n = n1 + n2
        u = rankSum - n2 * (n2 + 1) / 2
        let variance = n2 * n1 / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        let deviation = u - n1 * n2 / 2
        if variance > 0, deviation != 0 {
            let corrected = max(0, abs(deviation) - 0.5) / variance.squareRoot()
            z = deviation > 0 ? corrected : -corrected
            pValue = StandardNormal.twoSidedPValue(z)
        } else {
            z = 0
            pValue = 1
        }
    }
}
