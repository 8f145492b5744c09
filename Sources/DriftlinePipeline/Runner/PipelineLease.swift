/// A held pipeline lock.
package protocol PipelineLease: Sendable {
    /// Whether the lock is still held, taking it again after a lost connection; `false` when another
    /// run took it meanwhile.
    func ensureHeld() async throws -> Bool
    func release() async
}
