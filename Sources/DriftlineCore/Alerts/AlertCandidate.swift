/// The facts of a drift event that alert rules look at (the rest of the event goes into the payload).
package struct AlertCandidate: Sendable, Hashable {
    /// `drift_events.drift_event_id`.
    package var driftEventID: Int64
    package var triple: DriftTriple
    package var type: DriftType
    package var severity: DriftSeverity
    package var direction: DriftDirection
    /// The end of the event's current window (days since 1970-01-01).
    package var currentEnd: Int32

    package init(
        driftEventID: Int64,
        triple: DriftTriple,
        type: DriftType,
        severity: DriftSeverity,
        direction: DriftDirection,
        currentEnd: Int32
    ) {
        self.driftEventID = driftEventID
        self.triple = triple
        self.type = type
        self.severity = severity
        self.direction = direction
        self.currentEnd = currentEnd
    }
}
