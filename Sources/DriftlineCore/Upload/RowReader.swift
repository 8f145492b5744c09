/// The reading half of an upload's validation: CSV records, checked against the upload format into
/// typed rows, a batch at a time. Needs no rules, so it can run ahead on its own thread (``ReadAhead``).
final class RowReader: @unchecked Sendable {
    // @unchecked: after the header is read, only one thread at a time calls `fill` (the read-ahead
    // thread, or the validator itself when it reads inline).
    private let reader: CSVReader
    private let format: ClaimFormat
    /// Whether rows carry their claim id's ``DuplicateFilter`` hash (only when the validator flags repeats).
    private let hashesClaimIDs: Bool
    /// A record read while the previous batch was full: it starts the next one.
    private var pending: CSVRecord?
    private var end: RowBatch.End?

    init(reader: CSVReader, format: ClaimFormat, hashesClaimIDs: Bool) {
        self.reader = reader
        self.format = format
        self.hashesClaimIDs = hashesClaimIDs
    }

    /// Refills `batch` with the next rows; the last batch carries how the input ended.
    func fill(_ batch: RowBatch) {
        batch.reset()
        while !batch.isFull {
            if let end {
                batch.end = end
                return
            }
            let record: CSVRecord
            if let pending {
                record = pending
                self.pending = nil
            } else {
                do {
                    guard let next = try reader.next() else {
                        end = .finished
                        continue
                    }
                    record = next
                } catch {
                    end = .failed(UploadError(error))
                    continue
                }
            }
            // A record stays valid until the reader's next call, so a full batch can leave it pending.
            guard batch.reserve(for: record) else {
                pending = record
                return
            }
            var claim = ClaimRow(line: record.line, base: record.base)
            let usable = format.check(record, into: &claim, findings: &batch.findings)
            let claimHash = hashesClaimIDs ? claim.bytes(.claimID).map(DuplicateFilter.hash) ?? 0 : 0
            batch.append(claim, record: record, usable: usable, claimHash: claimHash)
        }
    }
}
