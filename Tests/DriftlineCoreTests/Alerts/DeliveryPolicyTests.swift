import DriftlineCore
import Testing

/// What happens after each kind of attempt, and the retry schedule with full jitter.
@Suite struct DeliveryPolicyTests {
    static let settings: DeliverySettings = {
        var settings = DeliverySettings()
        settings.retrySchedule = [5, 300, 1800]
        return settings
    }()

    static func after(_ result: DeliveryResult, attempt: Int = 1, jitter: (Double) -> Double = { $0 }) -> DeliveryAction
    {
        DeliveryAction.after(result, attempt: attempt, settings: settings, jitter: jitter)
    }

    @Test func success() {
        for status in [200, 201, 204, 299] {
            #expect(Self.after(.response(status: status, retryAfter: nil)) == .delivered)
        }
    }

    @Test func retriesServerErrorsTimeoutsAndConnectionErrorsOnTheSchedule() {
        #expect(Self.after(.response(status: 500, retryAfter: nil)) == .retry(delay: 5, errorClass: "http_5xx"))
        #expect(
            Self.after(.response(status: 503, retryAfter: nil), attempt: 2)
                == .retry(delay: 300, errorClass: "http_5xx")
        )
        #expect(Self.after(.timeout, attempt: 3) == .retry(delay: 1800, errorClass: "timeout"))
        #expect(Self.after(.connection) == .retry(delay: 5, errorClass: "connection"))
    }

    @Test func deadLettersAfterTheLastAttempt() {
        #expect(Self.after(.response(status: 500, retryAfter: nil), attempt: 4) == .dead(errorClass: "http_5xx"))
        #expect(Self.after(.timeout, attempt: 4) == .dead(errorClass: "timeout"))
    }

    @Test func otherClientErrorsAreNotRetried() {
        for status in [400, 401, 403, 404, 413, 422] {
            #expect(Self.after(.response(status: status, retryAfter: nil)) == .dead(errorClass: "http_\(status)"))
        }
        #expect(Self.after(.response(status: 302, retryAfter: nil)) == .dead(errorClass: "http_302"))
    }

    @Test func goneDisablesTheEndpoint() {
        #expect(Self.after(.response(status: 410, retryAfter: nil)) == .disableEndpoint)
    }

    @Test func tooManyRequestsHonoursRetryAfter() {
        #expect(Self.after(.response(status: 429, retryAfter: 120)) == .retry(delay: 120, errorClass: "http_429"))
        // The schedule's delay wins when it is longer; an absurd Retry-After is capped at a day.
        #expect(
            Self.after(.response(status: 429, retryAfter: 1), attempt: 2) == .retry(delay: 300, errorClass: "http_429")
        )
        #expect(
            Self.after(.response(status: 429, retryAfter: 10_000_000)) == .retry(delay: 86400, errorClass: "http_429")
        )
    }

    @Test func fullJitterStaysWithinZeroAndTheBase() {
        var seen: [Double] = []
        for _ in 0..<200 {
            guard
                case .retry(let delay, _) = DeliveryAction.after(
                    .timeout,
                    attempt: 2,
                    settings: Self.settings,
                    jitter: DeliveryAction.fullJitter
                )
            else {
                Issue.record("not a retry")
                return
            }
            seen.append(delay)
        }
        #expect(seen.allSatisfy { $0 >= 0 && $0 <= 300 })
        #expect(Set(seen).count > 100)  // random, not a constant
        #expect(seen.contains { $0 < 150 } && seen.contains { $0 > 150 })  // full, not equal, jitter
    }

    @Test func defaultScheduleIsTheContracts() {
        #expect(DeliverySettings().retrySchedule == [5, 300, 1800, 7200, 18000, 36000, 50400, 72000])
    }

    @Test func durations() {
        #expect(DeliverySettings.duration("250ms") == 0.25)
        #expect(DeliverySettings.duration("5s") == 5)
        #expect(DeliverySettings.duration("5m") == 300)
        #expect(DeliverySettings.duration("2h") == 7200)
        #expect(DeliverySettings.duration("1d") == 86400)
        #expect(DeliverySettings.duration("7") == 7)
        #expect(DeliverySettings.duration("-1s") == nil)
        #expect(DeliverySettings.duration("soon") == nil)
        #expect(DeliverySettings.schedule("5s, 5m,30m") == [5, 300, 1800])
        #expect(DeliverySettings.schedule("5s,x") == nil)
    }

    @Test func deliverSectionIsStrict() throws {
        let node = try #require(
            try YAMLNode.parseConfig(
                "deliver:\n  retry_schedule: [1s, 2m]\n  timeout: 3s\n  breaker_failures: 2\n  file_channel: out\n",
                file: "p.yaml"
            )
        )
        let settings = try DeliverySettings.parse(node["deliver"], file: "p.yaml")
        #expect(settings.retrySchedule == [1, 120])
        #expect(settings.timeoutSeconds == 3)
        #expect(settings.breakerFailures == 2)
        #expect(settings.fileChannel == "out")
        let bad = try #require(try YAMLNode.parseConfig("deliver:\n  timeout: 3s\n  retries: 4\n", file: "p.yaml"))
        #expect(throws: ConfigError.self) { try DeliverySettings.parse(bad["deliver"], file: "p.yaml") }
    }
}
