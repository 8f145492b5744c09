/// An operator's silence (Alertmanager-style): while active, matching events are suppressed as `silenced`.
///
/// A `nil` field matches anything; a silence with no customer applies to every customer.
package struct AlertSilence: Sendable, Hashable {
    package var id: Int64
    package var customerID: String?
    package var payer: String?
    package var cptGroup: String?
    package var driftType: DriftType?
    package var direction: DriftDirection?

    package init(
        id: Int64,
        customerID: String? = nil,
        payer: String? = nil,
        cptGroup: String? = nil,
        driftType: DriftType? = nil,
        direction: DriftDirection? = nil
    ) {
        self.id = id
        self.customerID = customerID
        self.payer = payer
        self.cptGroup = cptGroup
        self.driftType = driftType
        self.direction = direction
    }

    /// The matcher keys `--match KEY=VALUE` takes.
    package static let matcherKeys = ["payer", "cpt_group", "drift_type", "direction"]

    package func matches(_ candidate: AlertCandidate) -> Bool {
        (customerID == nil || customerID == candidate.triple.customerID)
            && (payer == nil || payer == candidate.triple.payer)
            && (cptGroup == nil || cptGroup == candidate.triple.cptGroup)
            && (driftType == nil || driftType == candidate.type)
            && (direction == nil || direction == candidate.direction)
    }
}
