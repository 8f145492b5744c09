import Foundation

/// Runs blocking work (libpq, file I/O, the load stage's read-ahead) on a thread of its own, so the
/// Swift concurrency pool's few threads are never blocked by a stage.
package enum DedicatedThread {
    /// Runs `body` on a new thread named `name` and returns its result.
    package static func run<T: Sendable>(
        name: String,
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.name = name
            thread.start()
        }
    }
}
