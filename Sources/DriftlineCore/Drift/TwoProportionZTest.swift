/// The pooled two-proportion z-test of a change in denial rate between a baseline and a current window.
///
/// With rates `p1 = x1/n1` (baseline) and `p2 = x2/n2` (current) and the pooled rate `p = (x1 + x2)/(n1 + n2)`,
/// `z = (p2 − p1) / √(p(1 − p)(1/n1 + 1/n2))` and the two-sided p-value is `erfc(|z|/√2)`: statsmodels'
/// `proportions_ztest([x2, x1], [n2, n1])`. The pooled variance is the variance under the null hypothesis
/// of equal rates, which is what the test assumes.
///
/// When both windows have a 0% (or both a 100%) rate the pooled variance is 0 and `z` is undefined
/// (statsmodels returns NaN): the rates are equal, so the result is `z = 0`, `p = 1`: no evidence of a change.
///
/// Beside the test: the absolute change `p2 − p1` (a difference of proportions: 0.05 is 5 percentage
/// points), the relative change `(p2 − p1)/p1` — `nil` when the baseline rate is 0, where a relative change
/// is undefined (0% → 10% is an infinite relative increase; the effect guard then judges the absolute change
/// alone) — and Newcombe's hybrid score 95% interval for `p2 − p1`.
package struct TwoProportionZTest: Sendable, Hashable {
    package var baseline: DenialCounts
    package var current: DenialCounts
    /// `baseline.denied / baseline.decided`.
    package var baselineRate: Double
    /// `current.denied / current.decided`.
    package var currentRate: Double
    /// `currentRate − baselineRate`.
    package var difference: Double
    /// `difference / baselineRate`; `nil` when the baseline rate is 0.
    package var relativeChange: Double?
    /// The standardized difference: positive when the current rate is higher; 0 when the pooled rate is 0 or 1.
    package var z: Double
    /// Two-sided.
    package var pValue: Double
    /// Newcombe's hybrid score 95% interval for `difference`.
    package var interval: ClosedRange<Double>

    /// Runs the test; `nil` when either window has no decided claims (no rate, no test).
    package init?(baseline: DenialCounts, current: DenialCounts) {
        guard baseline.decided > 0, current.decided > 0,
            let interval = ProportionInterval.newcombeDifference(
                first: (baseline.denied, baseline.decided),
                second: (current.denied, current.decided)
            )
        else { return nil }
        self.baseline = baseline
        self.current = current
        let n1 = Double(baseline.decided)
        let n2 = Double(current.decided)
        baselineRate = Double(baseline.denied) / n1
        currentRate = Double(current.denied) / n2
        difference = currentRate - baselineRate
        relativeChange = baseline.denied > 0 ? difference / baselineRate : nil
        let pooled = Double(baseline.denied + current.denied) / (n1 + n2)
        let variance = pooled * (1 - pooled) * (1 / n2 + 1 / n1)
        if variance > 0 {
            z = difference / variance.squareRoot()
            pValue = StandardNormal.twoSidedPValue(z)
        } else {
            z = 0
            pValue = 1
        }
        self.interval = interval
    }
}
