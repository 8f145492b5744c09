import Foundation

/// Real time: `Task.sleep` in tasks, `Thread.sleep` on the stages' own threads.
package struct SystemRetryClock: RetryClock {
    package init() {}

    package func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }

    package func sleepBlocking(for duration: Duration) {
        Thread.sleep(forTimeInterval: duration.seconds)
    }
}
