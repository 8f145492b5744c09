import Foundation

extension RetryPolicy {
    /// How long the load stage keeps retrying a transient failure by default: long enough for a
    /// database restart or a failover (about 10 s), well under a nightly window.
    package static let defaultLoadBudgetSeconds: Double = 30

    /// The policy the load stage uses: `DRIFTLINE_RETRY_ATTEMPTS`, when set, as given; otherwise enough
    /// attempts that even the shortest jittered waits add up to `DRIFTLINE_RETRY_SECONDS` (default 30).
    package static func forLoads(
        _ base: RetryPolicy,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> RetryPolicy {
        if environment["DRIFTLINE_RETRY_ATTEMPTS"].flatMap(Int.init) != nil { return base }
        let seconds =
            environment["DRIFTLINE_RETRY_SECONDS"].flatMap(Double.init).map { max(0, $0) }
            ?? defaultLoadBudgetSeconds
        return base.lasting(atLeast: seconds)
    }

    /// This policy with enough attempts that the waits between them add up to `seconds` on average (full
    /// jitter draws each wait between 0 and its ceiling: half the ceiling on average).
    package func lasting(atLeast seconds: Double) -> RetryPolicy {
        var policy = self
        var shortest = 0.0
        var attempts = 1
        while shortest < seconds && attempts < 1000 {
            shortest += min(maxDelay, baseDelay * pow(2, Double(attempts - 1))) / 2
            attempts += 1
        }
        policy.maxAttempts = max(maxAttempts, attempts)
        return policy
    }
}
