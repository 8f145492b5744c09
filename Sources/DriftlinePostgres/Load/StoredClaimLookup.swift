import DriftlineCore

/// Finds the lines of an upload whose claim is already stored for its customer, before the load writes
/// anything: one pass over the file that reads the claim id column only, one binary COPY of
/// `(line_no, claim_id)` into a temporary table, one join against the primary key, the answer streamed
/// back as a ``LineSet``.
///
/// The load then COPYs the other lines straight into `driftline.claims` and sends these to the merge, so
/// a resend never makes the server raise (and log, with the key's value) a unique violation.
///
/// Keys the format would reject (empty, too long, not UTF-8, a NUL byte, a row with the wrong number of
/// fields) are left out: their rows are rejected by the load, whatever the lookup says. A file that cannot
/// be read far enough is looked up as far as it can: the load rejects it on the same error.
struct StoredClaimLookup {
    var profile: CustomerProfile

    /// Whether the customer has any stored claim (when not, every line is new and the lookup is skipped).
    static func customerHasClaims(_ customerID: String, on connection: PGConnection) throws(PostgresError) -> Bool {
        try connection.query(
            "SELECT EXISTS (SELECT 1 FROM driftline.claims WHERE customer_id = $1)",
            [customerID],
            operation: "look for stored claims"
        ).scalar == "t"
    }

    /// The lines of `source` (a fresh pass over the upload) whose claim id `customerID` has stored.
    func storedLines(
        in source: any ByteSource,
        customerID: String,
        on connection: PGConnection
    ) throws -> LineSet {
        let reader = CSVReader(
            source: TranscodingByteSource.wrap(source, encoding: profile.encoding),
            delimiter: profile.delimiter
        )
        guard let headerRecord = try? reader.next(),
            let header = try? ClaimHeader(record: headerRecord, columns: profile.columns),
            let claimField = header.index(of: .claimID)
        else { return LineSet() }
        let maxBytes = ClaimColumn.claimID.maxBytes
        try connection.execute(
            """
            CREATE TEMP TABLE upload_keys (line_no integer NOT NULL, claim_id text NOT NULL) ON COMMIT DROP
            """,
            operation: "create key table"
        )
        let keys = try connection.copyBinary(
            into: "upload_keys",
            columns: ["line_no", "claim_id"],
            operation: "COPY claim ids"
        ) { writer in
            // A read error ends the pass: the load stops at the same line and rejects the file.
            while let record = try? reader.next() {
                guard record.structuralError == nil, record.fieldCount == header.fieldCount,
                    let key = record.field(claimField), !key.isEmpty, key.count <= maxBytes,
                    TextCheck.problem(key) == nil
                else { continue }
                try writer.beginRow(fields: 2)
                writer.int32(Int32(truncatingIfNeeded: record.line))
                try writer.bytes(key)
            }
        }
        guard keys > 0 else { return LineSet() }
        // No ANALYZE: without statistics the planner sizes the table from its pages, enough to hash it (or the
        // customer's claims) rather than probe the index a million times.
        let stored = try LineSet.fetch(
            """
            SELECT k.line_no FROM upload_keys k
              JOIN driftline.claims c ON c.customer_id = $1 AND c.claim_id = k.claim_id
            """,
            [customerID],
            operation: "find stored claims",
            on: connection
        )
        try connection.execute("DROP TABLE upload_keys", operation: "drop key table")
        return stored
    }
}
