/// One triple's two windows, the detector's input.
package struct DriftAggregate: Sendable, Hashable {
    package var triple: DriftTriple
    package var baseline: DriftWindowAggregate
    package var current: DriftWindowAggregate

    package init(triple: DriftTriple, baseline: DriftWindowAggregate, current: DriftWindowAggregate) {
        self.triple = triple
        self.baseline = baseline
        self.current = current
    }
}
