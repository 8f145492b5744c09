/// What the drift detector compares and how much change it needs before it reports an event.
///
/// The defaults are the product's; a pipeline file can change them in its `drift` section (see
/// ``parse(_:file:)``).
package struct DriftSettings: Sendable, Hashable, Codable {
    /// Days in the current window, ending at (and including) the as-of date.
    package var currentWindowDays: Int
    /// Days in the baseline window, just before the current one.
    package var baselineWindowDays: Int
    /// Decided claims each window needs before a test runs (the volume guard); a test that is not run does
    /// not count in the false discovery control either.
    package var minimumDecidedPerWindow: Int
    /// The Benjamini–Hochberg false discovery rate across all tests of a run: an event needs `q ≤` this.
    package var falseDiscoveryRate: Double
    /// The smallest absolute change of the denial rate reported, as a proportion (0.05 = 5 percentage points).
    package var denialRateMinimumChange: Double
    /// The smallest relative change of the denial rate reported (0.25 = a quarter of the baseline rate).
    package var denialRateMinimumRelativeChange: Double
    /// The smallest change of the median decision time reported, in days.
    package var decisionTimeMinimumDays: Double
    /// The smallest relative change of the median decision time reported (0.2 = a fifth of the baseline).
    package var decisionTimeMinimumRelativeChange: Double

    package init(
        currentWindowDays: Int = 30,
        baselineWindowDays: Int = 90,
        minimumDecidedPerWindow: Int = 30,
        falseDiscoveryRate: Double = 0.05,
        denialRateMinimumChange: Double = 0.05,
        denialRateMinimumRelativeChange: Double = 0.25,
        decisionTimeMinimumDays: Double = 3,
        decisionTimeMinimumRelativeChange: Double = 0.20
    ) {
        self.currentWindowDays = currentWindowDays
        self.baselineWindowDays = baselineWindowDays
        self.minimumDecidedPerWindow = minimumDecidedPerWindow
        self.falseDiscoveryRate = falseDiscoveryRate
        self.denialRateMinimumChange = denialRateMinimumChange
        self.denialRateMinimumRelativeChange = denialRateMinimumRelativeChange
        self.decisionTimeMinimumDays = decisionTimeMinimumDays
        self.decisionTimeMinimumRelativeChange = decisionTimeMinimumRelativeChange
    }

    /// The windows of a run as of `asOf` (days since 1970-01-01).
    package func windows(asOf: Int32) -> DriftWindows {
        DriftWindows(asOf: asOf, currentDays: currentWindowDays, baselineDays: baselineWindowDays)
    }
}
