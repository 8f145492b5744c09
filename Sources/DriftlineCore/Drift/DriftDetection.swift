/// The outcome of one drift run: the events and how the run's tests were decided (counts only, for the stage's
/// summary and logs).
package struct DriftDetection: Sendable, Hashable {
    /// The drifts found, in input order (per triple, denial rate before decision time).
    package var events: [DriftEvent]
    /// Tests run: both windows had the minimum decided volume. Benjamini–Hochberg ran across these.
    package var testsRun: Int
    /// Tests not run because a window had fewer decided claims than the minimum.
    package var belowVolume: Int
    /// Tests run whose q-value was above the false discovery rate.
    package var notSignificant: Int
    /// Significant tests whose effect was below the minimum effect (absolute or relative).
    package var belowMinimumEffect: Int
    /// Significant decision-time tests whose U statistic and median change point opposite ways (a shift of
    /// the distribution that the median does not follow): not reported, since the event could not say
    /// "worse" or "better" honestly.
    package var inconsistentDirection: Int

    package init(
        events: [DriftEvent] = [],
        testsRun: Int = 0,
        belowVolume: Int = 0,
        notSignificant: Int = 0,
        belowMinimumEffect: Int = 0,
        inconsistentDirection: Int = 0
    ) {
        self.events = events
        self.testsRun = testsRun
        self.belowVolume = belowVolume
        self.notSignificant = notSignificant
        self.belowMinimumEffect = belowMinimumEffect
        self.inconsistentDirection = inconsistentDirection
    }
}
