import DriftlinePipeline
import Synchronization

/// A retry clock that does not sleep: it records the delays it was asked to wait.
package final class RecordingRetryClock: RetryClock {
    private let recorded = Mutex<[Duration]>([])

    package init() {}

    /// Every delay so far, in order.
    package var delays: [Duration] { recorded.withLock { $0 } }

    package func sleep(for duration: Duration) async throws {
        recorded.withLock { $0.append(duration) }
    }

    package func sleepBlocking(for duration: Duration) {
        recorded.withLock { $0.append(duration) }
    }
}
