/// Decides which triples drifted: runs the tests on the windows' aggregates, controls the false discovery rate
/// across the run and applies the volume and effect-size guards. Pure: no database, no clock, no logging.
///
/// For each triple, in order:
///
/// 1. **Volume guard.** A test runs only when both windows have at least
///    ``DriftSettings/minimumDecidedPerWindow`` decided claims (default 30). A test that does not run has no
///    p-value and does not count in step 2.
/// 2. **Tests.** Denial rate: ``TwoProportionZTest`` (pooled, two-sided) with Newcombe's interval. Decision
///    time: ``MannWhitneyUTest`` on the two histograms (ties and continuity corrected, two-sided).
/// 3. **False discovery control.** ``BenjaminiHochberg`` over the p-values of *all* tests of the run, both
///    types, every customer: a test is significant when its q-value is at most
///    ``DriftSettings/falseDiscoveryRate`` (default 0.05). A nightly run makes thousands of tests; without the
///    adjustment, 5% of the unchanged triples would be flagged every night.
/// 4. **Effect guard.** A significant change is reported only when it is large enough to matter: for a denial
///    rate at least 5 percentage points *and* 25% relative (defaults), for the median decision time at least 3
///    days *and* 20%. At a million claims per window a change from 10.0% to 10.3% is highly significant
///    (p ≈ 2e-12) and means nothing to a customer: it is not reported. A relative change is undefined when the
///    baseline is 0 (a 0% denial rate, a median of 0 days); the absolute change alone decides then, so 0% → 10%
///    on enough volume is a drift. A decision-time test whose U statistic and median change point opposite ways
///    is not reported either (the event could not say which way it went).
/// 5. **Event.** Severity by ``DriftSeverity``'s rule; direction `worse` for a higher denial rate or a longer
///    median decision time, else `better`.
///
/// ## Why windows by decision date handle right-censoring
///
/// A pending claim has no decision time yet: it is right-censored, and the claims still pending are, at any
/// moment, disproportionately the slow ones. Grouping claims by *submission* date would compare a baseline
/// cohort whose slow claims have all been decided with a recent cohort whose slow claims are still pending:
/// the recent cohort would look faster (and its denial rate would reflect only the quickly decided claims),
/// so an unchanged payer would be flagged "better" every night, more so the more recent the window.
///
/// The windows here select claims by **decision** date instead, and both contain only decided claims. A claim
/// decided in a window after `t` days was submitted `t` days before its decision: while submissions are steady,
/// a window of decision dates holds each decision time in proportion to how common it is, whatever window it
/// is, so an unchanged payer gives the baseline and the current window the same decision-time distribution
/// (and the same denial rate). Pending claims are in neither window, not because they are dropped from a
/// cohort but because a decision-date window is a set of decisions; no window is systematically missing its
/// slow claims. What the decision-date windows measure is the payer's behaviour *in the window*: a payer that
/// starts deciding slowly shows up as soon as the slow decisions arrive, which is when a customer's cash flow
/// feels it. (The test suite simulates a steady payer with the usual share of recent pending claims: windows by
/// decision date do not flag it in either direction; windows by submission date would flag it "better" on both
/// measures.)
///
/// ```swift
/// let settings = DriftSettings()  // 30-day current window, 90-day baseline, the default guards
/// let windows = settings.windows(asOf: CivilDate.parse("2026-11-30")!)
/// let aggregate = DriftAggregate(
///     triple: DriftTriple(customerID: "lakeview-health", payer: "aetna", cptGroup: "E&M"),
///     baseline: DriftWindowAggregate(denials: DenialCounts(denied: 60, decided: 600), decisionDays: [14: 600]),
///     current: DriftWindowAggregate(denials: DenialCounts(denied: 50, decided: 200), decisionDays: [14: 200])
/// )
/// let detection = DriftDetector(settings: settings).detect([aggregate], windows: windows)
/// // detection.events: one denial_rate event, 10% → 25%, worse, severity high
/// ```
package struct DriftDetector: Sendable {
    package var settings: DriftSettings

    package init(settings: DriftSettings = DriftSettings()) {
        self.settings = settings
    }

    /// Detects the drifts among `aggregates`, compared over `windows` (recorded in each event).
    ///
    /// - Parameters:
    ///   - aggregates: every triple of the run, each with its baseline and current window.
    ///   - windows: the windows the aggregates were computed over.
    /// - Returns: the events and how many tests ran, were skipped, or failed which guard.
    package func detect(_ aggregates: [DriftAggregate], windows: DriftWindows) -> DriftDetection {
        var detection = DriftDetection()
        var tests: [Test] = []
        let minimum = settings.minimumDecidedPerWindow
        for aggregate in aggregates {
            let baseline = aggregate.baseline
            let current = aggregate.current
            if baseline.denials.decided >= minimum, current.denials.decided >= minimum,
                let test = TwoProportionZTest(baseline: baseline.denials, current: current.denials)
            {
                tests.append(Test(aggregate.triple, test, settings))
            } else {
                detection.belowVolume += 1
            }
            if baseline.decisionDays.count >= minimum, current.decisionDays.count >= minimum,
                let test = MannWhitneyUTest(baseline: baseline.decisionDays, current: current.decisionDays)
            {
                tests.append(Test(aggregate.triple, test, settings))
            } else {
                detection.belowVolume += 1
            }
        }
        detection.testsRun = tests.count
        let qValues = BenjaminiHochberg.adjust(tests.map(\.pValue))
        for (test, qValue) in zip(tests, qValues) {
            guard qValue <= settings.falseDiscoveryRate else {
                detection.notSignificant += 1
                continue
            }
            // The slack keeps a change of exactly the minimum (10% → 15%) in although 0.15 − 0.1 < 0.05 in binary.
            guard test.absoluteChange != 0, test.effectMultiple >= 1 - 1e-9 else {
                detection.belowMinimumEffect += 1
                continue
            }
            guard test.directionsAgree else {
                detection.inconsistentDirection += 1
                continue
            }
            detection.events.append(
                DriftEvent(
                    triple: test.triple,
                    type: test.type,
                    windows: windows,
                    baselineN: test.baselineN,
                    currentN: test.currentN,
                    baselineValue: test.baselineValue,
                    currentValue: test.currentValue,
                    absoluteChange: test.absoluteChange,
                    relativeChange: test.relativeChange,
                    interval: test.interval,
                    statistic: test.statistic,
                    pValue: test.pValue,
                    qValue: qValue,
                    severity: DriftSeverity(effectMultiple: test.effectMultiple, qValue: qValue),
                    direction: test.absoluteChange > 0 ? .worse : .better
                )
            )
        }
        return detection
    }

    /// One test that ran, in the terms of an event.
    private struct Test {
        var triple: DriftTriple
        var type: DriftType
        var baselineN: Int
        var currentN: Int
        var baselineValue: Double
        var currentValue: Double
        var absoluteChange: Double
        var relativeChange: Double?
        var interval: ClosedRange<Double>?
        var statistic: Double
        var pValue: Double
        /// How many times the change clears the minimum effect (the smaller of the absolute and the relative
        /// multiple; a guard set to 0 or an undefined relative change leaves the other to decide).
        var effectMultiple: Double
        /// The test statistic and the change of the reported value have the same sign.
        var directionsAgree: Bool

        init(_ triple: DriftTriple, _ test: TwoProportionZTest, _ settings: DriftSettings) {
            self.triple = triple
            type = .denialRate
            baselineN = test.baseline.decided
            currentN = test.current.decided
            baselineValue = test.baselineRate
            currentValue = test.currentRate
            absoluteChange = test.difference
            relativeChange = test.relativeChange
            interval = test.interval
            statistic = test.z
            pValue = test.pValue
            effectMultiple = Self.multiple(
                test.difference,
                test.relativeChange,
                settings.denialRateMinimumChange,
                settings.denialRateMinimumRelativeChange
            )
            // z has the sign of the rate difference by construction.
            directionsAgree = true
        }

        init(_ triple: DriftTriple, _ test: MannWhitneyUTest, _ settings: DriftSettings) {
            self.triple = triple
            type = .decisionTime
            baselineN = test.baselineCount
            currentN = test.currentCount
            baselineValue = test.baselineMedian
            currentValue = test.currentMedian
            absoluteChange = test.medianChange
            relativeChange = test.relativeChange
            interval = nil
            statistic = test.z
            pValue = test.pValue
            effectMultiple = Self.multiple(
                test.medianChange,
                test.relativeChange,
                settings.decisionTimeMinimumDays,
                settings.decisionTimeMinimumRelativeChange
            )
            directionsAgree = (test.z > 0) == (test.medianChange > 0) && test.z != 0
        }

        private static func multiple(
            _ change: Double,
            _ relative: Double?,
            _ minimumChange: Double,
            _ minimumRelative: Double
        ) -> Double {
            let absolute = minimumChange > 0 ? abs(change) / minimumChange : .infinity
            let relative = minimumRelative > 0 ? relative.map { abs($0) / minimumRelative } ?? .infinity : .infinity
            return min(absolute, relative)
        }
    }
}
