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

    /// The uploads of run `runID`, every customer's, each customer's read with its tenant set: one call of
    /// `driftline.run_upload_totals` (migration 0013), which sets each customer's tenant in turn and returns
    /// the sums of those with uploads in the run.
    package static func forRun(_ runID: Int64, on connection: PGConnection) throws -> UploadTotals {
        var totals = UploadTotals()
        let customers = try customers(on: connection)
        guard let first = customers.first else { return totals }
        let rows = try connection.withTenant(first) {
            try connection.query(
                """
                SELECT files_loaded, files_rejected, rows_read, rows_loaded, rows_rejected, size_bytes, rows_stale
                  FROM driftline.run_upload_totals($1::text[], $2::bigint)
                """,
                [textArrayLiteral(customers), String(runID)],
                operation: "sum up run"
            ).rows
        }
        for row in rows {
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
