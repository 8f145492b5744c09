/// What drift is measured for: one customer's claims with one payer in one CPT group.
///
/// The three are configuration identifiers (the inbox's customer id, the canonical payer id, a group name of
/// `cpt_groups.yaml`), kept as plain strings so the stage can fill them from its rows. The type is deliberately
/// not ``LogSafe``: drift code logs counts, not triples.
package struct DriftTriple: Sendable, Hashable, Comparable {
    package var customerID: String
    package var payer: String
    package var cptGroup: String

    package init(customerID: String, payer: String, cptGroup: String) {
        self.customerID = customerID
        self.payer = payer
        self.cptGroup = cptGroup
    }

    /// By customer, then payer, then group: the order of `drift_events`' unique key.
    package static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.customerID, lhs.payer, lhs.cptGroup) < (rhs.customerID, rhs.payer, rhs.cptGroup)
    }
}
