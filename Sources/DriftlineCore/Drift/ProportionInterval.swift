/// Score confidence intervals for one binomial proportion and for the difference of two.
package enum ProportionInterval {
    /// The Wilson score interval for `successes` out of `trials`, or `nil` when there are no trials.
    ///
    /// The interval is the set of proportions `π` that a score test would not reject:
    /// `center ± half`, with `center = (p + z²/2n) / (1 + z²/n)` and
    /// `half = z √(p(1 − p)/n + z²/4n²) / (1 + z²/n)` (statsmodels' `proportion_confint(method="wilson")`).
    /// At 0 successes the lower bound is exactly 0, at `trials` the upper bound is exactly 1 (Newcombe 1998).
    ///
    /// - Parameters:
    ///   - successes: events counted, `0...trials`.
    ///   - trials: observations, `≥ 0`.
    ///   - z: the normal quantile; the default gives a 95% interval.
    package static func wilson(
        successes: Int,
        trials: Int,
        z: Double = StandardNormal.quantile975
    ) -> ClosedRange<Double>? {
        guard trials > 0 else { return nil }
        precondition((0...trials).contains(successes), "successes must be within 0...trials")
        let n = Double(trials)
        let p = Double(successes) / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let center = (p + z2 / (2 * n)) / denominator
        let half = z * (p * (1 - p) / n + z2 / (4 * (n * n))).squareRoot() / denominator
        let lower = successes == 0 ? 0 : max(0, center - half)
        let upper = successes == trials ? 1 : min(1, center + half)
        return lower...upper
    }

    /// Newcombe's hybrid score interval for the difference `p2 − p1` of two independent proportions
    /// (Newcombe 1998, method 10), or `nil` when either sample is empty.
    ///
    /// With Wilson intervals `[l1, u1]` and `[l2, u2]` and `d = p2 − p1`, the interval is
    /// `d − √((p2 − l2)² + (u1 − p1)²)` to `d + √((u2 − p2)² + (p1 − l1)²)`: each limit combines the two
    /// single-proportion limits that move the difference that way. Unlike the Wald interval it stays within
    /// `[-1, 1]`, never has zero width, and behaves at 0 and n: 0/10 against 0/20 gives −0.1611 to 0.2775
    /// (Newcombe's Table II, example e). statsmodels:
    /// `confint_proportions_2indep(x2, n2, x1, n1, method="newcomb", compare="diff")`.
    ///
    /// - Parameters:
    ///   - first: the first sample (`x1` events out of `n1`): for drift, the baseline window.
    ///   - second: the second sample: for drift, the current window.
    ///   - z: the normal quantile; the default gives a 95% interval.
    package static func newcombeDifference(
        first: (successes: Int, trials: Int),
        second: (successes: Int, trials: Int),
        z: Double = StandardNormal.quantile975
    ) -> ClosedRange<Double>? {
        guard let one = wilson(successes: first.successes, trials: first.trials, z: z),
            let two = wilson(successes: second.successes, trials: second.trials, z: z)
        else { return nil }
        let p1 = Double(first.successes) / Double(first.trials)
        let p2 = Double(second.successes) / Double(second.trials)
        let difference = p2 - p1
        let below = ((p2 - two.lowerBound) * (p2 - two.lowerBound) + (one.upperBound - p1) * (one.upperBound - p1))
            .squareRoot()
        let above = ((two.upperBound - p2) * (two.upperBound - p2) + (p1 - one.lowerBound) * (p1 - one.lowerBound))
            .squareRoot()
        return (difference - below)...(difference + above)
    }
}
