import Foundation

/// Reads an upload record by record and checks each row: CSV structure, the upload format, the
/// tenant guard and the rules that apply to it. Memory stays bounded whatever the file size.
///
/// The reading half (CSV parsing and the format pass) runs a few batches ahead on a thread of its own
/// when the machine has more than one core (``ReadAhead``); the rules run on the caller's thread, in
/// ``next()``. Rows, findings and errors arrive in file order either way.
package final class UploadValidator {
    package let header: ClaimHeader
    private let rules: RuleBook?
    /// `rules` without reference counting on the per-row path (`rules` keeps the book alive).
    private unowned(unsafe) let unretainedRules: RuleBook?
    private let feed: Feed
    /// The batch rows are taken from, and the position of the next one in it.
    @exclusivity(unchecked) private var batch: RowBatch
    @exclusivity(unchecked) private var cursor = 0
    @exclusivity(unchecked) private var hits: [RuleHit] = []
    @exclusivity(unchecked) private var duplicates: DuplicateFilter

    /// The findings of the row last returned by ``next()``.
    @exclusivity(unchecked) package private(set) var findings: [Finding] = []
    /// Rows read so far (records after the header).
    @exclusivity(unchecked) package private(set) var rowsRead = 0

    /// The row last returned by ``next()`` is the first to carry a payer name not on the payer list.
    @exclusivity(unchecked) package private(set) var rowIntroducesUnknownPayer = false
    /// Payer names not on the payer list seen so far (a finding for the first row of each).
    @exclusivity(unchecked) private var unknownPayers: Set<[UInt8]> = []
    private let tracksUnknownPayers: Bool
    private static let maxUnknownPayers = 1000

    /// Whether ``Row/duplicateCandidate`` is computed (a loader that lets the primary key find
    /// repeats turns it off).
    private let flagsDuplicates: Bool

    /// Where batches come from.
    private enum Feed {
        case inline(RowReader, RowBatch)
        case readAhead(ReadAhead)
    }

    /// How the reading half is run.
    package struct Reading: Sendable {
        /// Read on a separate thread, `depth` batches ahead (else inline, in ``next()``).
        package var readsAhead: Bool
        package var depth: Int
        package var rowsPerBatch: Int
        package var bytesPerBatch: Int

        package init(readsAhead: Bool, depth: Int = 2, rowsPerBatch: Int = 1024, bytesPerBatch: Int = 256 * 1024) {
            self.readsAhead = readsAhead
            self.depth = depth
            self.rowsPerBatch = rowsPerBatch
            self.bytesPerBatch = bytesPerBatch
        }

        /// Ahead on a machine with more than one core.
        package static var automatic: Reading {
            Reading(readsAhead: ProcessInfo.processInfo.activeProcessorCount > 1)
        }
    }

    /// Opens the upload and reads its header.
    ///
    /// - Parameter profile: the customer's encoding, delimiter, date and amount styles and header names.
    package init(
        source: any ByteSource,
        expectedCustomer: String?,
        rules: RuleBook?,
        groups: CPTGroups,
        profile: CustomerProfile = .standard,
        flagsDuplicates: Bool = true,
        duplicateFilterBytes: Int = 4 << 20,
        reading: Reading = .automatic
    ) throws(UploadError) {
        self.flagsDuplicates = flagsDuplicates
        duplicates = DuplicateFilter(bytes: flagsDuplicates ? duplicateFilterBytes : 512)
        let payers = rules?.payers ?? .empty
        tracksUnknownPayers = !payers.isEmpty
        let reader = CSVReader(
            source: TranscodingByteSource.wrap(source, encoding: profile.encoding),
            delimiter: profile.delimiter
        )
        let headerRecord: CSVRecord?
        do { headerRecord = try reader.next() } catch { throw UploadError(error) }
        guard let headerRecord else { throw UploadError(.emptyFile, line: 1, "the file is empty: no header row") }
        header = try ClaimHeader(record: headerRecord, columns: profile.columns)
        let rows = RowReader(
            reader: reader,
            format: ClaimFormat(
                header: header,
                expectedCustomer: expectedCustomer,
                groups: groups,
                payers: payers,
                profile: profile
            ),
            hashesClaimIDs: flagsDuplicates
        )
        if reading.readsAhead {
            feed = .readAhead(
                ReadAhead(
                    reader: rows,
                    depth: reading.depth,
                    rowCapacity: reading.rowsPerBatch,
                    byteCapacity: reading.bytesPerBatch
                )
            )
        } else {
            feed = .inline(rows, RowBatch(rowCapacity: reading.rowsPerBatch, byteCapacity: reading.bytesPerBatch))
        }
        // An empty batch that has not ended: the first `next()` fetches a real one.
        batch = RowBatch(rowCapacity: 1, byteCapacity: 1)
        self.rules = rules
        unretainedRules = rules
        findings.reserveCapacity(16)
        hits.reserveCapacity(16)
    }

    deinit {
        if case .readAhead(let readAhead) = feed { readAhead.stop() }
    }

    /// The verdict on one row, valid until the next call.
    package struct Row {
        /// The row in its batch (read in place: a claim is too large to copy per row).
        private let entry: UnsafePointer<RowBatch.Entry>
        /// At least one error-severity finding: the row is rejected.
        package let rejected: Bool
        package let warned: Bool
        /// The claim id may repeat an earlier row (confirm exactly before rejecting).
        package let duplicateCandidate: Bool

        fileprivate init(entry: UnsafePointer<RowBatch.Entry>, rejected: Bool, warned: Bool, duplicateCandidate: Bool) {
            self.entry = entry
            self.rejected = rejected
            self.warned = warned
            self.duplicateCandidate = duplicateCandidate
        }

        package var claim: ClaimRow {
            unsafeAddress {
                UnsafeRawPointer(entry).advanced(by: Self.claimOffset).assumingMemoryBound(to: ClaimRow.self)
            }
        }
        /// The record's original bytes (for reject reports kept beside the upload).
        package var raw: UnsafeBufferPointer<UInt8> { entry.pointee.raw }
        package var line: Int { claim.line }

        private static let claimOffset = MemoryLayout<RowBatch.Entry>.offset(of: \.claim)!
    }

    /// The next row, or `nil` after the last one.
    package func next() throws(UploadError) -> Row? {
        while cursor == batch.count {
            switch batch.end {
            case .finished:
                if rowsRead == 0 { throw UploadError(.headerOnly, line: 2, "the file has a header but no rows") }
                return nil
            case .failed(let error):
                throw error
            case nil:
                switch feed {
                case .inline(let reader, let next):
                    reader.fill(next)
                    batch = next
                case .readAhead(let readAhead):
                    batch = readAhead.next()
                }
                cursor = 0
                if flagsDuplicates {
                    for index in 0..<min(Self.prefetchDistance, batch.count) {
                        duplicates.prefetch(hash: batch.entry(index).pointee.claimHash)
                    }
                }
            }
        }
        let entry = batch.entry(cursor)
        var rejected = entry.pointee.rejected
        var warned = entry.pointee.warned
        findings.removeAll(keepingCapacity: true)
        let formatFindings = batch.findingsRange(of: cursor)
        if !formatFindings.isEmpty { findings.append(contentsOf: batch.findings[formatFindings]) }
        cursor += 1
        rowsRead += 1
        // The duplicate filter's probe is a cache miss: start the one of a row a few places ahead.
        if flagsDuplicates, cursor + Self.prefetchDistance < batch.count {
            duplicates.prefetch(hash: batch.entry(cursor + Self.prefetchDistance).pointee.claimHash)
        }
        if entry.pointee.usable, let rules = unretainedRules {
            hits.removeAll(keepingCapacity: true)
            rules.evaluate(entry.pointee.claim, into: &hits)
            if !hits.isEmpty {
                for hit in hits {
                    let finding = rules.finding(hit, line: entry.pointee.claim.line)
                    switch finding.severity {
                    case .error: rejected = true
                    case .warning: warned = true
                    case .info: break
                    }
                    findings.append(finding)
                }
            }
        }
        rowIntroducesUnknownPayer = false
        if tracksUnknownPayers, entry.pointee.usable, entry.pointee.claim.payer == nil {
            noteUnknownPayer(entry.pointee.claim)
        }
        var candidate = false
        if flagsDuplicates, !rejected, entry.pointee.claim.bytes(.claimID) != nil {
            candidate = duplicates.insert(hash: entry.pointee.claimHash)
        }
        return Row(entry: entry, rejected: rejected, warned: warned, duplicateCandidate: candidate)
    }

    /// Reports a payer name that is not on the payer list on the first row that carries it (an info
    /// finding: the row loads with the name as written). The name itself stays in the row.
    private func noteUnknownPayer(_ claim: borrowing ClaimRow) {
        guard let bytes = claim.bytes(.payer), unknownPayers.count < Self.maxUnknownPayers else { return }
        if unknownPayers.insert(Array(bytes)).inserted {
            findings.append(BuiltinRule.unknownPayer.finding(line: claim.line, column: .payer))
            rowIntroducesUnknownPayer = true
        }
    }

    /// Rows between a duplicate-filter prefetch and its probe (enough for the load to arrive).
    private static let prefetchDistance = 8
}
