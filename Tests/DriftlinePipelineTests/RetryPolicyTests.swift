import DriftlineCore
import DriftlinePipeline
import DriftlinePostgres
import DriftlineTestSupport
import Synchronization
import Testing

/// Retries: which errors (the predicate), how long (full jitter under the exponential ceiling), through
/// the clock (recorded here, never slept).
@Suite struct RetryPolicyTests {
    struct Flaky: Error {}
    struct Fatal: Error {}

    let logs = LogCapture()

    func policy(
        attempts: Int = 6,
        clock: RecordingRetryClock,
        random: @escaping @Sendable () -> UInt64 = { UInt64.random(in: .min ... .max) }
    ) -> RetryPolicy {
        RetryPolicy(maxAttempts: attempts, isRetryable: { $0 is Flaky }, clock: clock, randomSource: random)
    }

    @Test func retriesWhatThePredicateAcceptsUntilItSucceeds() async throws {
        let clock = RecordingRetryClock()
        let policy = policy(clock: clock)
        let result = try await policy.run(logger: logs.logger(), operation: "call") { attempt in
            if attempt < 4 { throw Flaky() }
            return attempt
        }
        #expect(result == 4)
        #expect(clock.delays.count == 3)
        #expect(logs.text.contains("msg=\"transient error, retrying\""))
        #expect(logs.text.contains("error.type=Flaky"))
    }

    @Test func anErrorThePredicateRefusesFailsAtOnce() async throws {
        let clock = RecordingRetryClock()
        var attempts = 0
        await #expect(throws: Fatal.self) {
            try await policy(clock: clock).run(logger: logs.logger(), operation: "call") { _ in
                attempts += 1
                throw Fatal()
            }
        }
        #expect(attempts == 1)
        #expect(clock.delays.isEmpty)
    }

    @Test func givesUpAfterTheLastAttemptWithItsError() async throws {
        let clock = RecordingRetryClock()
        var attempts = 0
        await #expect(throws: Flaky.self) {
            try await policy(attempts: 3, clock: clock).run(logger: logs.logger(), operation: "call") { _ in
                attempts += 1
                throw Flaky()
            }
        }
        #expect(attempts == 3)
        #expect(clock.delays.count == 2)
    }

    @Test func delaysAreFullJitterUnderAnExponentialCeiling() async throws {
        // The ceiling: 0.2 s doubling per attempt, capped at 5 s.
        let policy = RetryPolicy()
        #expect((1...7).map { policy.ceiling(after: $0) } == [0.2, 0.4, 0.8, 1.6, 3.2, 5, 5])

        // Full jitter: uniform over the whole window, so about half the delays fall below half the
        // ceiling (equal jitter, `ceiling/2...ceiling`, never does) and none above it.
        let random = SplitMix(seed: 42)
        let clock = RecordingRetryClock()
        for _ in 0..<200 {
            _ = try? await self.policy(clock: clock, random: random.next).run(logger: logs.logger(), operation: "c") {
                _ in
                throw Flaky()
            }
        }
        let delays = clock.delays.map(\.seconds)
        #expect(delays.count == 200 * 5)
        var low = 0
        for (index, delay) in delays.enumerated() {
            let ceiling = policy.ceiling(after: index % 5 + 1)
            #expect((0...ceiling).contains(delay), "attempt \(index % 5 + 1): \(delay)")
            if delay < ceiling / 2 { low += 1 }
        }
        #expect((400...600).contains(low), "\(low) of 1000 below half the ceiling")
        #expect(delays.contains { $0 < 0.01 })
    }

    @Test func theBlockingVariantSleepsThroughTheSameClock() throws {
        let clock = RecordingRetryClock()
        var attempts = 0
        let result = try policy(clock: clock).runBlocking(logger: logs.logger(), operation: "call") { attempt in
            attempts = attempt
            if attempt < 3 { throw Flaky() }
            return "done"
        }
        #expect(result == "done" && attempts == 3)
        let delays = clock.delays.map(\.seconds)
        #expect(delays.count == 2 && delays[0] <= 0.2 && delays[1] <= 0.4, "\(delays)")
    }

    @Test func theDatabasePolicyRetriesTransientPostgreSQLErrorsOnly() {
        #expect(RetryPolicy.isTransientDatabaseError(PostgresError(.connectionLost, operation: "x")))
        #expect(!RetryPolicy.isTransientDatabaseError(PostgresError(.queryFailed, operation: "x")))
        #expect(!RetryPolicy.isTransientDatabaseError(Flaky()))
    }
}

/// A seeded generator (SplitMix64), so a test's random draws repeat.
final class SplitMix: Sendable {
    private let state: Mutex<UInt64>
    init(seed: UInt64) { state = Mutex(seed) }

    @Sendable func next() -> UInt64 {
        state.withLock { state in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
