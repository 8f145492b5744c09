import DriftlineCore

/// A webhook endpoint's URL or secret is unusable: names the endpoint and the problem, never the value.
package struct DeliveryConfigError: Error, LogSafe {
    package var endpoint: String
    package var problem: String

    package init(endpoint: String, problem: String) {
        self.endpoint = endpoint
        self.problem = problem
    }

    package var description: String { "webhook endpoint '\(endpoint)': \(problem)" }
}
