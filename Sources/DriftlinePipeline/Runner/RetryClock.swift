/// What a ``RetryPolicy`` sleeps through between attempts: the system's time in production, a
/// recording clock in tests (which then check the delays without sleeping).
package protocol RetryClock: Sendable {
    /// Sleeps in a task (cancellation ends the sleep with an error).
    func sleep(for duration: Duration) async throws
    /// Sleeps on the current thread, for stages' own threads (the load stage).
    func sleepBlocking(for duration: Duration)
}
