/// A drift the detector reports: everything a `drift_events` row needs to explain it without reading claims.
package struct DriftEvent: Sendable, Hashable {
    package var triple: DriftTriple
    package var type: DriftType
    /// The test: ``DriftType/method``.
    package var method: DriftMethod
    package var windows: DriftWindows
    /// Decided claims in the baseline window.
    package var baselineN: Int
    /// Decided claims in the current window.
    package var currentN: Int
    /// The baseline window's denial rate (a proportion, 0…1) or median decision time (days).
    package var baselineValue: Double
    /// The current window's denial rate or median decision time.
    package var currentValue: Double
    /// `currentValue − baselineValue`: a difference of rates (0.05 = 5 percentage points) or days.
    package var absoluteChange: Double
    /// `absoluteChange / baselineValue`; `nil` when the baseline value is 0 (the change is then infinitely large
    /// in relative terms, and was judged on its absolute size).
    package var relativeChange: Double?
    /// A 95% interval for `absoluteChange`: Newcombe's hybrid score interval for a denial rate; `nil` for a
    /// decision time (see ``MannWhitneyUTest``).
    package var interval: ClosedRange<Double>?
    /// The test's standardized statistic: z of the two-proportion test, or the continuity-corrected z of U.
    package var statistic: Double
    /// Two-sided p-value of the test.
    package var pValue: Double
    /// Benjamini–Hochberg adjusted p-value across all tests of the run.
    package var qValue: Double
    package var severity: DriftSeverity
    package var direction: DriftDirection

    package init(
        triple: DriftTriple,
        type: DriftType,
        windows: DriftWindows,
        baselineN: Int,
        currentN: Int,
        baselineValue: Double,
        currentValue: Double,
        absoluteChange: Double,
        relativeChange: Double?,
        interval: ClosedRange<Double>?,
        statistic: Double,
        pValue: Double,
        qValue: Double,
        severity: DriftSeverity,
        direction: DriftDirection
    ) {
        self.triple = triple
        self.type = type
        self.method = type.method
        self.windows = windows
        self.baselineN = baselineN
        self.currentN = currentN
        self.baselineValue = baselineValue
        self.currentValue = currentValue
        self.absoluteChange = absoluteChange
        self.relativeChange = relativeChange
        self.interval = interval
        self.statistic = statistic
        self.pValue = pValue
        self.qValue = qValue
        self.severity = severity
        self.direction = direction
    }
}
