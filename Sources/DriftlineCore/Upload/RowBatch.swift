/// A run of consecutive upload rows, read and format-checked, holding their own bytes.
///
/// The unit of work between the reading half of validation (``RowReader``) and the rule half
/// (``UploadValidator``). Its rows point into its arena, which never moves while the batch holds rows,
/// so they stay valid until the batch is refilled. A batch is owned by one thread at a time and changes
/// hands only through ``ReadAhead`` (whose semaphores order the writes before the reads).
package final class RowBatch: @unchecked Sendable {
    /// One row as the reading half left it (a plain value: the batch stores entries in raw memory).
    struct Entry {
        var claim: ClaimRow
        var raw: UnsafeBufferPointer<UInt8>
        /// ``DuplicateFilter/hash(_:)`` of the claim id; 0 when the row has none or no one asked for it.
        var claimHash: UInt64
        /// The format pass could read the row's fields (rules may run on it).
        var usable: Bool
        /// The format findings include an error (the row is rejected) or a warning.
        var rejected: Bool
        var warned: Bool
        /// The end of the row's format findings in ``RowBatch/findings`` (they start where the previous row's end).
        var findingsEnd: Int32
    }

    /// How the input ended, after this batch's rows.
    enum End {
        case finished
        case failed(UploadError)
    }

    /// The rows, `count` of them (read through ``entry(_:)``).
    private let entries: UnsafeMutablePointer<Entry>
    @exclusivity(unchecked) private(set) var count = 0
    /// Format findings of every row of the batch, in row order.
    @exclusivity(unchecked) var findings: [Finding] = []
    /// Set on the last batch of an upload.
    @exclusivity(unchecked) var end: End?
    let rowCapacity: Int

    @exclusivity(unchecked) private var arena: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) private var arenaCapacity: Int
    @exclusivity(unchecked) private var arenaUsed = 0

    /// - Parameters:
    ///   - rowCapacity: rows per batch.
    ///   - byteCapacity: initial arena size; a batch also ends when its arena is full (an empty batch
    ///     grows to hold a record of any size).
    init(rowCapacity: Int, byteCapacity: Int) {
        self.rowCapacity = max(1, rowCapacity)
        arenaCapacity = max(1, byteCapacity)
        arena = .allocate(capacity: arenaCapacity)
        entries = .allocate(capacity: self.rowCapacity)
        findings.reserveCapacity(64)
    }

    deinit {
        arena.deallocate()
        entries.deallocate()  // plain values: nothing to deinitialize
    }

    var isFull: Bool { count >= rowCapacity }

    /// The row at `index` (`< count`), in place: valid until the batch is refilled.
    @inline(__always)
    func entry(_ index: Int) -> UnsafePointer<Entry> { UnsafePointer(entries + index) }

    /// Empties the batch for refilling (its rows become invalid).
    func reset() {
        count = 0
        findings.removeAll(keepingCapacity: true)
        end = nil
        arenaUsed = 0
    }

    /// Makes room for `record`'s bytes; `false` when the batch is full and the record must start the next one.
    func reserve(for record: CSVRecord) -> Bool {
        let needed = Self.bytesNeeded(record)
        if arenaUsed + needed <= arenaCapacity { return true }
        guard count == 0 else { return false }
        arena.deallocate()
        arenaCapacity = needed
        arena = .allocate(capacity: needed)
        return true
    }

    /// Appends `record` (after ``reserve(for:)``) with the typed row the format pass filled from it.
    func append(_ claim: ClaimRow, record: CSVRecord, usable: Bool, claimHash: UInt64) {
        var rejected = false
        var warned = false
        for index in (count == 0 ? 0 : Int(entries[count - 1].findingsEnd))..<findings.count {
            switch findings[index].severity {
            case .error: rejected = true
            case .warning: warned = true
            case .info: break
            }
        }
        let raw = arena + arenaUsed
        if let source = record.raw.baseAddress { raw.update(from: source, count: record.raw.count) }
        arenaUsed += record.raw.count
        var claim = claim
        if Self.fieldsAreRaw(record) {
            claim.base = UnsafePointer(raw)
        } else {
            let fields = arena + arenaUsed
            fields.update(from: record.base, count: record.fieldsLength)
            arenaUsed += record.fieldsLength
            claim.base = UnsafePointer(fields)
        }
        (entries + count).initialize(
            to: Entry(
                claim: claim,
                raw: UnsafeBufferPointer(start: raw, count: record.raw.count),
                claimHash: claimHash,
                usable: usable,
                rejected: rejected,
                warned: warned,
                findingsEnd: Int32(truncatingIfNeeded: findings.count)
            )
        )
        count += 1
    }

    /// The format findings of the row at `index`.
    @inline(__always)
    func findingsRange(of index: Int) -> Range<Int> {
        let start = index == 0 ? 0 : Int(entries[index - 1].findingsEnd)
        return start..<Int(entries[index].findingsEnd)
    }

    /// Plain lines are split in place, so their fields are a part of their raw bytes.
    private static func fieldsAreRaw(_ record: CSVRecord) -> Bool {
        record.raw.baseAddress == record.base
    }

    private static func bytesNeeded(_ record: CSVRecord) -> Int {
        record.raw.count + (fieldsAreRaw(record) ? 0 : record.fieldsLength)
    }
}
