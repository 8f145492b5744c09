import DriftlineCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The valid rows of an upload that cannot go straight into `driftline.claims` — their claim is stored
/// already, or may repeat an earlier line — kept in binary COPY format in an unlinked temporary file
/// while the direct COPY runs (one COPY at a time per connection), then sent to the merge's temporary
/// table as they are. Memory stays flat: the file lives in the page cache, not in the process.
final class MergeSpill {
    /// `upload_merge`'s columns, in the order rows are written.
    static let columns = ["line_no", "candidate"] + UploadLoader.claimColumnList

    private let descriptor: Int32
    private var writer: BinaryCopyWriter
    private(set) var count = 0
    /// Rows the duplicate filter flagged (only they can repeat an earlier line, or be new claims).
    private(set) var candidates = 0
    private var finished = false

    init() throws {
        var template = Array(
            (FileManager.default.temporaryDirectory.path + "/driftline-merge-XXXXXX").utf8CString
        )
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        // Unlinked at once: nothing is left behind, whatever ends the process.
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        self.descriptor = descriptor
        writer = BinaryCopyWriter(sink: .file(descriptor))
    }

    deinit { close(descriptor) }

    /// Appends a validated row: its line, whether the duplicate filter flagged its claim id, the claim.
    @inline(__always)
    func append(line: Int, candidate: Bool, claim: ClaimRow, encoder: ClaimEncoder) throws(PostgresError) {
        try writer.beginRow(fields: Int16(Self.columns.count))
        writer.int32(Int32(truncatingIfNeeded: line))
        writer.bool(candidate)
        try encoder.write(claim, to: &writer)
        count += 1
        if candidate { candidates += 1 }
    }

    /// COPYs the rows into `table` (created by the caller with ``columns``); returns how many the server stored.
    func copy(into table: String, on connection: PGConnection) throws(PostgresError) -> Int {
        if !finished {
            try writer.finish()
            finished = true
        }
        return try connection.copyBinary(
            into: table,
            columns: Self.columns,
            file: descriptor,
            operation: "COPY merge rows"
        )
    }
}
