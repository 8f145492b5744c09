/// A named place notifications go: the operator's (every customer's alerts) or one customer's.
///
/// The name is configuration (`rules/alerts.yaml`); the URL and signing secret are not: they come from
/// `DRIFTLINE_WEBHOOK_<NAME>_URL` / `_SECRET` or a secrets file (see ``environmentName``).
package struct AlertEndpoint: Sendable, Hashable {
    /// Who an endpoint belongs to.
    package enum Owner: Sendable, Hashable {
        /// The operator's: receives every customer's alerts.
        case `operator`
        /// One customer's: receives only that customer's alerts.
        case customer(String)
    }

    package var name: String
    package var owner: Owner

    package init(name: String, owner: Owner) {
        self.name = name
        self.owner = owner
    }

    /// `NAME` of `DRIFTLINE_WEBHOOK_<NAME>_URL`: the name uppercased, `-` and `.` as `_`.
    package var environmentName: String {
        String(name.uppercased().map { $0 == "-" || $0 == "." ? "_" : $0 })
    }

    /// Whether an alert of `customerID` may be sent here (the tenant guard, checked again at delivery).
    package func accepts(customerID: String) -> Bool {
        switch owner {
        case .operator: true
        case .customer(let owner): owner == customerID
        }
    }
}
