/// What a rule applies to. An empty list matches everything; severity is a floor.
package struct AlertMatch: Sendable, Hashable {
    package var driftTypes: Set<DriftType> = []
    package var minimumSeverity: DriftSeverity = .low
    package var directions: Set<DriftDirection> = []
    package var customers: Set<String> = []
    package var payers: Set<String> = []
    package var cptGroups: Set<String> = []

    package init(
        driftTypes: Set<DriftType> = [],
        minimumSeverity: DriftSeverity = .low,
        directions: Set<DriftDirection> = [],
        customers: Set<String> = [],
        payers: Set<String> = [],
        cptGroups: Set<String> = []
    ) {
        self.driftTypes = driftTypes
        self.minimumSeverity = minimumSeverity
        self.directions = directions
        self.customers = customers
        self.payers = payers
        self.cptGroups = cptGroups
    }

    /// Everything but the severity floor matches `candidate`.
    package func scopeMatches(_ candidate: AlertCandidate) -> Bool {
        (driftTypes.isEmpty || driftTypes.contains(candidate.type))
            && (directions.isEmpty || directions.contains(candidate.direction))
            && (customers.isEmpty || customers.contains(candidate.triple.customerID))
            && (payers.isEmpty || payers.contains(candidate.triple.payer))
            && (cptGroups.isEmpty || cptGroups.contains(candidate.triple.cptGroup))
    }
}
