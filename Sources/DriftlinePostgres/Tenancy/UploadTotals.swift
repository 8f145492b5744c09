/// What a run's uploads add up to, summed one customer at a time with the tenant set (``PGConnection/withTenant(_:_:)``),
/// so the pipeline reads `uploads` under row-level security like any other tenant-scoped work.
package struct UploadTotals: Sendable, Equatable {
    package var filesLoaded: Int64 = 0
    package var filesRejected: Int64 = 0
    package var rowsRead: Int64 = 0
    package var rowsLoaded: Int64 = 0
    package var rowsRejected: Int64 = 0
    /// Valid rows skipped as older versions of stored claims (read = loaded + rejected + stale).
    package var rowsStale: Int64 = 0
    package var bytes: Int64 = 0

    package init() {}

    /// The customers the pipeline serves (`driftline.customers` holds ids only; the loader may list them).
    package static func customers(on connection: PGConnection) throws -> [String] {
        try connection.query(
            "SELECT customer_id FROM driftline.customers ORDER BY customer_id",
            operation: "list customers"
        ).rows.compactMap { $0[0] }
    }

    /// The uploads of run `runID`, every customer's, each customer's read with its tenant set.
    package static func forRun(_ runID: Int64, on connection: PGConnection) throws -> UploadTotals {
        var totals = UploadTotals()
        for customer in try customers(on: connection) {
            let row = try connection.withTenant(customer) {
                // No customer filter: the policy keeps the rows to the tenant set for this transaction.
                try connection.query(
                    """
                    SELECT count(*) FILTER (WHERE status = 'loaded'), count(*) FILTER (WHERE status = 'rejected'),
                           coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),
                           coalesce(sum(rows_rejected), 0), coalesce(sum(size_bytes), 0), coalesce(sum(rows_stale), 0)
                      FROM driftline.uploads WHERE run_id = $1
                    """,
                    [String(runID)],
                    operation: "sum up run"
                ).first ?? []
            }
            let values = row.map { $0.flatMap { Int64($0) } ?? 0 }
            guard values.count == 7 else { continue }
            totals.filesLoaded += values[0]
            totals.filesRejected += values[1]
            totals.rowsRead += values[2]
            totals.rowsLoaded += values[3]
            totals.rowsRejected += values[4]
            totals.bytes += values[5]
            totals.rowsStale += values[6]
        }
        return totals
    }
}
