/// What one delivery attempt came to, as the deliverer saw it.
package enum DeliveryResult: Sendable, Hashable {
    /// An HTTP response (`retryAfter` from a `Retry-After` header, in seconds).
    case response(status: Int, retryAfter: Double?)
    /// No response in time.
    case timeout
    /// The connection failed (refused, reset, TLS, DNS).
    case connection
}

/// What to do after an attempt: a pure decision (no clock, no database), so every branch is unit-tested.
package enum DeliveryAction: Sendable, Hashable {
    case delivered
    /// Try again after `delay` seconds (already jittered; at least `Retry-After`).
    case retry(delay: Double, errorClass: String)
    /// Give up on this message: the last attempt failed, or a 4xx that retrying won't fix.
    case dead(errorClass: String)
    /// 410 Gone: the receiver asks never to be called again — disable the endpoint, dead-letter the message.
    case disableEndpoint

    /// Decides after attempt number `attempt` (1-based).
    ///
    /// - Parameter jitter: full jitter, `base ↦ uniform(0…base)` (injected for tests).
    package static func after(
        _ result: DeliveryResult,
        attempt: Int,
        settings: DeliverySettings,
        jitter: (Double) -> Double
    ) -> DeliveryAction {
        let errorClass: String
        var retryAfter: Double?
        switch result {
        case .response(let status, let after):
            switch status {
            case 200..<300: return .delivered
            case 410: return .disableEndpoint
            case 429:
                errorClass = "http_429"
                retryAfter = after.map { min($0, settings.maximumRetryAfterSeconds) }
            case 500..<600: errorClass = "http_5xx"
            default: return .dead(errorClass: "http_\(status)")
            }
        case .timeout: errorClass = "timeout"
        case .connection: errorClass = "connection"
        }
        guard attempt >= 1, attempt <= settings.retrySchedule.count else { return .dead(errorClass: errorClass) }
        let base = settings.retrySchedule[attempt - 1]
        let delay = max(jitter(base), retryAfter ?? 0)
        return .retry(delay: delay, errorClass: errorClass)
    }

    /// The default full jitter: uniform in `0…base`.
    package static func fullJitter(_ base: Double) -> Double { base > 0 ? Double.random(in: 0...base) : 0 }
}
