import Foundation
import Synchronization

/// Runs a ``RowReader`` on a thread of its own, a few batches ahead of the validator.
///
/// Parsing and the format pass (the reading half) then overlap the rules, the reports and, when
/// loading, the COPY encoding: on two cores an upload is validated at the speed of the slower half,
/// and more rules cost nothing until the rule half becomes the slower one. Memory stays bounded: the
/// batches circulate in a fixed ring, handed over by two semaphores (which also order each batch's
/// writes before its reads).
final class ReadAhead: @unchecked Sendable {
    // @unchecked: a batch is touched by the thread that holds it; `cancelled` is atomic.
    private let ring: [RowBatch]
    private let free = DispatchSemaphore(value: 0)
    private let filled = DispatchSemaphore(value: 0)
    private let stopped = DispatchSemaphore(value: 0)
    private let cancelled = Atomic<Bool>(false)
    /// Consumer side: ring position of the next batch to take, and whether one is held.
    private var taken = 0
    private var holding = false

    /// Starts reading.
    ///
    /// - Parameter depth: batches in the ring (at least 2: one read while the other is filled).
    init(reader: RowReader, depth: Int, rowCapacity: Int, byteCapacity: Int) {
        let depth = max(2, depth)
        ring = (0..<depth).map { _ in RowBatch(rowCapacity: rowCapacity, byteCapacity: byteCapacity) }
        // Signalled rather than created with a count: libdispatch traps when a semaphore is freed
        // with a value below the one it was created with.
        for _ in 0..<depth { free.signal() }
        let thread = Thread { [self] in produce(reader) }
        thread.name = "driftline.read-ahead"
        thread.start()
    }

    private func produce(_ reader: RowReader) {
        defer { stopped.signal() }
        var position = 0
        while true {
            free.wait()
            if cancelled.load(ordering: .acquiring) { return }
            let batch = ring[position]
            reader.fill(batch)
            filled.signal()
            if batch.end != nil { return }
            position = (position + 1) % ring.count
        }
    }

    /// Hands back the batch taken last (its rows become invalid) and waits for the next one.
    func next() -> RowBatch {
        if holding { free.signal() }
        filled.wait()
        let batch = ring[taken]
        taken = (taken + 1) % ring.count
        holding = true
        return batch
    }

    /// Stops the reading thread and waits for it to leave (it finishes the batch it is filling).
    func stop() {
        cancelled.store(true, ordering: .releasing)
        free.signal()
        stopped.wait()
    }
}
