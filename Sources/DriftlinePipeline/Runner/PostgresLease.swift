import DriftlinePostgres
import Foundation

/// The advisory lock of ``PostgresCheckpointStore``, on its own connection.
///
/// `@unchecked Sendable`: the lock's connection is used only under `mutex`.
final class PostgresLease: PipelineLease, @unchecked Sendable {
    private let mutex = NSLock()
    private let lock: PipelineLock

    init(_ lock: PipelineLock) { self.lock = lock }

    func ensureHeld() async throws -> Bool {
        try mutex.withLock { try lock.ensureHeld() }
    }

    func release() async {
        mutex.withLock { lock.release() }
    }
}
