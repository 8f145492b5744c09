import DriftlineCore
import Foundation
import Logging

/// What happened to one upload.
package struct LoadOutcome: Sendable {
    package enum Status: String, Sendable, LogSafe {
        case loaded, rejected
        package var description: String { rawValue }
    }
    package var status: Status
    package var uploadID: Int64
    package var rowsRead = 0
    package var rowsLoaded = 0
    package var rowsRejected = 0
    /// Valid rows skipped because they hold an older version of a stored claim (read = loaded + rejected + stale).
    package var rowsStale = 0
    /// Of `rowsLoaded`: rows that changed a stored claim, and rows equal to the stored claim (nothing written).
    package var rowsUpdated = 0
    package var rowsUnchanged = 0
    package var rowsWarned = 0
    /// A customer's first upload (it began while the customer had no claims): its COPYed rows carry
    /// `first_load`, and the drift stage rebuilds the customer's summary from them (migration 0016).
    package var firstLoad = false
    package var bytes: Int64 = 0
    /// Milliseconds per step of the load, in order (the debug log prints them).
    package var phases: [(String, Int)] = []

    /// Runs `body`, adding its duration to ``phases`` as `name`.
    mutating func timing<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        defer { phases.append((name, Int((ContinuousClock.now - start) / .milliseconds(1)))) }
        return try body()
    }
    /// Why the file was rejected as a whole.
    package var error: UploadError?
    /// 1-based positions of header columns the format and profile do not know (never their names: a
    /// header can be a claim). At most ``ClaimHeader/maxListedUnknownColumns``.
    package var unknownColumns: [Int] = []
    /// "3 unknown columns at positions 15, 16, 17", when there are some.
    package var unknownColumnsSummary: SafeMessage?
    /// Per-rule counts and failing lines (no values): kept beside the upload as JSON and HTML.
    package var report: ValidationReport
}

/// Loads one upload atomically: the `uploads` row, the claims, its rejects and rule counts — all in
/// the caller's transaction, so all of it commits or none of it does.
///
/// A night's export is mostly claims Driftline holds already (born pending, decided weeks later), so the
/// load splits the file before it writes anything:
/// 1. **Lookup** (when the customer has stored claims): the claim ids of the file are COPYed into a
///    temporary table and joined against the primary key once (``StoredClaimLookup``): the lines whose
///    claim is stored.
/// 2. **One pass** over the file: every row is validated; a valid row of a new claim is binary-COPYed
///    straight into `driftline.claims` (psql `\copy` speed); a row of a stored claim, or one whose claim id
///    the duplicate filter flags as a possible repeat, goes to a spill file (``MergeSpill``); rejected rows
///    go to a spill of positions and rule ids (``RejectSpill``).
/// 3. **Merge** (when the spill has rows): the spill is COPYed into a temporary table; repeats of an earlier
///    line are confirmed exactly and rejected; each stored claim is updated only when the row is not older
///    than it (``versionRule``) and differs from it; older rows are skipped and counted as stale; rows the
///    filter flagged wrongly are inserted.
///
/// No statement of a load can violate the primary key, so routine resends raise no error on the server
/// (whose log would quote the key). Loads of one customer take turns on a transaction-scoped advisory lock
/// (``loadLockKey``); lock order: `inbox_files` row → customer load lock → `uploads`/`claims` rows.
package struct UploadLoader {
    package struct File: Sendable {
        package var customerID: String
        package var path: String
        package var fileName: String
        package var sha256: String
        package var size: Int64
        /// The customer's export style (encoding, delimiter, date and amount formats, header names).
        package var profile: CustomerProfile
        /// The upload opened once: every pass reads (and hashes) this descriptor. Without it, each pass
        /// opens `path`.
        package var opened: OpenedUpload?
        package init(
            customerID: String,
            path: String,
            fileName: String,
            sha256: String,
            size: Int64,
            profile: CustomerProfile = .standard
        ) {
            self.customerID = customerID
            self.path = path
            self.fileName = fileName
            self.sha256 = sha256
            self.size = size
            self.profile = profile
        }
    }

    package var rules: RuleBook?
    package var groups: CPTGroups
    package var maxRejectRate: Double
    package var logger: Logger
    /// Refuse an upload (as a whole) past this many bytes, decompressed.
    package var maxBytes: Int64?
    /// Refuse an upload (as a whole) past this many rows; with `maxRejectRate` it also bounds the rejects
    /// a file can have and still load, so reading stops once more rows than that were rejected.
    package var maxRows: Int?
    /// Rejected lines stored in `driftline.rejects` per upload (counts stay exact in `upload_findings`).
    package var maxStoredRejects: Int?

    package init(rules: RuleBook?, groups: CPTGroups, maxRejectRate: Double, logger: Logger) {
        self.rules = rules
        self.groups = groups
        self.maxRejectRate = maxRejectRate
        self.logger = logger
    }

    /// The 16 claim columns, in the order ``ClaimEncoder`` writes them.
    static let claimColumnList = [
        "customer_id", "claim_id", "payer", "cpt_code", "cpt_group", "service_date", "submitted_date",
        "decided_date", "outcome", "denial_reason", "billed_amount", "allowed_amount", "paid_amount",
        "patient_ref", "provider_npi", "payer_raw",
    ]

    static let claimColumns = claimColumnList.joined(separator: ", ")

    /// The direct COPY's columns: the claim's, then its upload, line and `first_load` (true on the rows of a
    /// customer's first upload, which the drift summary rebuilds from instead of finding them by upload:
    /// migration 0016).
    static let directColumns = claimColumnList + ["upload_id", "line_no", "first_load"]

    /// First key of the per-customer `pg_advisory_xact_lock(int, int)` loads take ("ld"); the second is
    /// `hashtext(customer_id)`.
    static let loadLockKey: Int32 = 0x6C64

    /// When a claim's row is newer than the stored claim, as a SQL condition on `s` (the row) and `c` (the
    /// stored claim): a later `submitted_date` is newer (a corrected claim resubmitted); for the same
    /// submission a decision is newer than pending, and a later `decided_date` newer than an earlier one (an
    /// appeal overturned). The same version is not older: the later load wins (file order).
    static func versionRule(_ row: String, notOlderThan stored: String) -> String {
        "(\(row).submitted_date, \(row).outcome <> 'pending', coalesce(\(row).decided_date, '-infinity'::date))"
            + " >= (\(stored).submitted_date, \(stored).outcome <> 'pending', coalesce(\(stored).decided_date, '-infinity'::date))"
    }

    /// Loads `file` inside the caller's open transaction. Writes the analyst's reject report to
    /// `rejectReport` as it goes. Throws only for database or I/O failures (the caller rolls back);
    /// bad data is an outcome.
    package func load(
        _ file: File,
        runID: Int64?,
        rejectReport: RejectReportWriter,
        on connection: PGConnection
    ) throws -> LoadOutcome {
        // Loads of one customer take turns: the second sees the first's claims as stored.
        try connection.query(
            "SELECT pg_advisory_xact_lock($1::int, hashtext($2))",
            [String(Self.loadLockKey), file.customerID],
            operation: "lock the customer's loads"
        )
        let uploadID = try Int64(
            connection.query(
                """
                INSERT INTO driftline.uploads (customer_id, file_name, sha256, size_bytes, status, run_id)
                VALUES ($1, $2, $3, $4, 'loaded', $5) RETURNING upload_id
                """,
                [file.customerID, file.fileName, file.sha256, String(file.size), runID.map(String.init)],
                operation: "insert upload"
            ).scalar!
        )!
        let fresh = LoadOutcome(
            status: .loaded,
            uploadID: uploadID,
            bytes: file.size,
            report: ValidationReport(file: SafeText(inboxName: file.fileName))
        )
        // The lookup's and the merge's joins hash one side (the file's keys or rows, or the customer's claims):
        // in memory, not in batches spilled to disk. Server memory, for this transaction only. No JIT: a
        // misestimated statement of a few thousand rows was compiled (14 functions) before it ran.
        try connection.execute(
            "SET LOCAL work_mem = '256MB'; SET LOCAL jit = off",
            operation: "size the load's hash tables"
        )
        var stored = LineSet()
        var lookup = fresh
        // A customer's first upload: its COPYed rows are marked so the upload index need not list them (0016).
        lookup.firstLoad = try !StoredClaimLookup.customerHasClaims(file.customerID, on: connection)
        if !lookup.firstLoad {
            stored = try lookup.timing("lookup") {
                try StoredClaimLookup(profile: file.profile).storedLines(
                    in: source(file),
                    customerID: file.customerID,
                    on: connection
                )
            }
            logger.debug("claims already stored", metadata: ["lines": .safe(stored.count)])
        }
        try connection.execute("SAVEPOINT direct_load", operation: "savepoint")
        let outcome: LoadOutcome
        do {
            outcome = try loadPass(
                file,
                lookup,
                stored: stored,
                mergesAll: false,
                rejectReport: rejectReport,
                on: connection
            )
        } catch let error as PostgresError where error.isUniqueViolation {
            // Only a writer that does not take the customer's load lock (a binary that predates it) can insert
            // a claim between the lookup and the COPY: merge every row instead.
            try connection.execute("ROLLBACK TO SAVEPOINT direct_load", operation: "roll back direct load")
            try rejectReport.restart()
            logger.warning("a claim of the file was stored meanwhile by another writer: merging every row")
            lookup.firstLoad = false
            outcome = try loadPass(
                file,
                lookup,
                stored: stored,
                mergesAll: true,
                rejectReport: rejectReport,
                on: connection
            )
        }
        logger.debug(
            "load phases",
            metadata: Logger.Metadata(
                uniqueKeysWithValues: outcome.phases.map {
                    ($0.0.hasPrefix("rows_") ? $0.0 : "ms.\($0.0)", .safe($0.1))
                }
            )
        )
        CrashPoint.reach("load.before_commit")
        return outcome
    }

    /// A new pass over the upload's bytes (decompressed, capped at `maxBytes`).
    private func source(_ file: File) throws(InputError) -> any ByteSource {
        if let opened = file.opened { return opened.source(maxBytes: maxBytes) }
        let plain = try openUpload(path: file.path)
        return maxBytes.map { CappedByteSource(upstream: plain, limit: $0) } ?? plain
    }

    /// Opens the upload and reads its header; `nil` (after recording the rejection) when the file
    /// cannot be read as claims at all.
    private func open(
        _ file: File,
        _ outcome: inout LoadOutcome,
        flagsDuplicates: Bool,
        rejectReport: RejectReportWriter,
        on connection: PGConnection
    ) throws -> UploadValidator? {
        do {
            let validator = try UploadValidator(
                source: try source(file),
                expectedCustomer: file.customerID,
                rules: rules,
                groups: groups,
                profile: file.profile,
                flagsDuplicates: flagsDuplicates,
                duplicateFilterBytes: DuplicateFilter.bytes(forUploadAt: file.path, size: file.size)
            )
            outcome.unknownColumns = validator.header.unknownColumns
            outcome.unknownColumnsSummary = validator.header.unknownColumnsSummary
            return validator
        } catch let error as UploadError {
            outcome = try rejectWhole(outcome, error: error, rejectReport: rejectReport, on: connection)
        } catch let error as InputError {
            outcome = try rejectWhole(
                outcome,
                error: UploadError(error, line: nil),
                rejectReport: rejectReport,
                on: connection
            )
        }
        return nil
    }

    /// Counts a row's findings; for a rejected row, reports it to the analyst and returns its first error.
    private func account(
        _ row: UploadValidator.Row,
        _ validator: UploadValidator,
        _ outcome: inout LoadOutcome,
        rejectReport: RejectReportWriter
    ) throws -> Finding? {
        CrashPoint.reach("load.copy")
        for finding in validator.findings { outcome.report.add(finding) }
        outcome.report.countRow(rejected: row.rejected, warned: row.warned)
        if row.warned { outcome.rowsWarned += 1 }
        if validator.rowIntroducesUnknownPayer {
            // The analyst sees each unlisted payer name once, on its first line (the database only counts it).
            try rejectReport.add(
                findings: [BuiltinRule.unknownPayer.finding(line: row.line, column: .payer)],
                raw: row.raw
            )
        }
        guard row.rejected else { return nil }
        outcome.rowsRejected += 1
        let errors = validator.findings.filter { $0.severity == .error }
        try rejectReport.add(findings: errors, raw: row.raw)
        return errors[0]
    }

    /// The pass over the file: new claims COPYed straight in, the rest spilled and merged (every valid row
    /// when `mergesAll`).
    private func loadPass(
        _ file: File,
        _ fresh: LoadOutcome,
        stored: LineSet,
        mergesAll: Bool,
        rejectReport: RejectReportWriter,
        on connection: PGConnection
    ) throws -> LoadOutcome {
        var outcome = fresh
        guard
            let validator = try open(file, &outcome, flagsDuplicates: true, rejectReport: rejectReport, on: connection)
        else { return outcome }
        let spill = try RejectSpill()
        let merge = try MergeSpill()
        let uploadID = outcome.uploadID
        let firstLoad = outcome.firstLoad
        let encoder = ClaimEncoder(groups: groups, payers: rules?.payers ?? .empty)
        do {
            // COPY FROM is refused under RLS: the one statement that writes claims as driftline_bulk. Every
            // row carries file.customerID (the tenant guard rejects any other customer_id).
            let started = ContinuousClock.now
            defer { outcome.phases.append(("pass", Int((ContinuousClock.now - started) / .milliseconds(1)))) }
            outcome.rowsLoaded = try connection.asBulkLoader {
                try connection.copyBinary(
                    into: "driftline.claims",
                    columns: Self.directColumns,
                    operation: "COPY into claims"
                ) { writer in
                    while let row = try validator.next() {
                        try checkCaps(row, validator, rowsRejected: outcome.rowsRejected)
                        if let first = try account(row, validator, &outcome, rejectReport: rejectReport) {
                            if spill.count < maxStoredRejects ?? .max {
                                try spill.append(line: row.line, finding: first)
                            }
                            continue
                        }
                        if mergesAll || row.duplicateCandidate || stored.contains(row.line) {
                            try merge.append(
                                line: row.line,
                                candidate: row.duplicateCandidate,
                                claim: row.claim,
                                encoder: encoder
                            )
                            continue
                        }
                        try writer.beginRow(fields: Int16(Self.directColumns.count))
                        try encoder.write(row.claim, to: &writer)
                        writer.int64(uploadID)
                        writer.int32(Int32(truncatingIfNeeded: row.line))
                        if firstLoad { writer.bool(true) } else { writer.null() }
                    }
                }
            }
        } catch let error as UploadError {
            outcome.rowsRead = validator.rowsRead
            try connection.execute("ROLLBACK TO SAVEPOINT direct_load", operation: "discard partial load")
            return try rejectWhole(outcome, error: error, rejectReport: rejectReport, on: connection)
        }
        outcome.rowsRead = validator.rowsRead

        var repeats = LineSet()
        if merge.count > 0 {
            try connection.execute(
                """
                CREATE TEMP TABLE upload_merge (
                    line_no integer NOT NULL, candidate boolean NOT NULL,
                    customer_id text NOT NULL, claim_id text NOT NULL, payer text NOT NULL, cpt_code text NOT NULL,
                    cpt_group text, service_date date NOT NULL, submitted_date date NOT NULL, decided_date date,
                    outcome text NOT NULL, denial_reason text, billed_amount numeric(12,2) NOT NULL,
                    allowed_amount numeric(12,2), paid_amount numeric(12,2), patient_ref text NOT NULL,
                    provider_npi text NOT NULL, payer_raw text
                ) ON COMMIT DROP
                """,
                operation: "create merge table"
            )
            _ = try outcome.timing("merge_copy") { try merge.copy(into: "upload_merge", on: connection) }
            outcome.phases.append(("rows_merged", merge.count))
            outcome.phases.append(("rows_flagged", merge.candidates))
            if merge.candidates > 0 {
                // The flagged rows on their own, with statistics: the planner then probes the primary key for
                // each of the few instead of hashing every stored claim.
                try connection.execute(
                    """
                    CREATE TEMP TABLE upload_flagged ON COMMIT DROP AS
                    SELECT line_no, claim_id FROM upload_merge WHERE candidate;
                    ANALYZE upload_flagged
                    """,
                    operation: "set flagged rows apart"
                )
                repeats = try outcome.timing("repeats") {
                    try removeRepeats(uploadID: uploadID, customerID: file.customerID, on: connection)
                }
            }
            for line in repeats.sorted {
                outcome.report.add(Self.duplicateFinding(line: line))
                outcome.report.markRejected()
                if spill.count < maxStoredRejects ?? .max {
                    try spill.append(line: line, finding: Self.duplicateFinding(line: line))
                }
            }
            outcome.rowsRejected += repeats.count
        }

        var staleLines = LineSet()
        if try rejectIfOverRate(&outcome, rejectReport: rejectReport) {
            try connection.execute("ROLLBACK TO SAVEPOINT direct_load", operation: "discard rejected file")
            outcome.rowsLoaded = 0
        } else if merge.count > repeats.count {
            CrashPoint.reach("load.merge")
            let merged = try mergeStored(
                rows: merge.count - repeats.count,
                candidates: merge.candidates,
                mergesAll: mergesAll,
                uploadID: uploadID,
                customerID: file.customerID,
                outcome: &outcome,
                on: connection
            )
            outcome.rowsLoaded += merged.inserted + merged.updated + merged.unchanged
            outcome.rowsUpdated = merged.updated
            outcome.rowsUnchanged = merged.unchanged
            outcome.rowsStale = merged.stale.count
            staleLines = merged.stale
            for line in staleLines.sorted {
                outcome.report.add(BuiltinRule.staleClaim.finding(line: line, column: nil))
                outcome.report.markStale()
            }
        }
        try spill.copy(into: connection, uploadID: uploadID, customerID: file.customerID)
        if !repeats.isEmpty || !staleLines.isEmpty {
            try reportLines(repeats: repeats, stale: staleLines, of: file, to: rejectReport)
        }
        try finishUpload(outcome, on: connection)
        return outcome
    }

    /// Deletes from `upload_merge` the rows that repeat the claim id of an earlier valid line (COPYed
    /// straight in, or in the merge table too) and returns their lines. Only a row the duplicate filter
    /// flagged can repeat one: the few candidates are hashed and the merge table scanned once against them.
    private func removeRepeats(uploadID: Int64, customerID: String, on connection: PGConnection) throws -> LineSet {
        // A cursor cannot hold a DELETE: the repeats are kept in a table of their own, deleted, then streamed.
        try Self.probingStoredClaims(on: connection) {
            try connection.query(
                """
                CREATE TEMP TABLE upload_repeats ON COMMIT DROP AS
                SELECT c.line_no FROM upload_flagged c
                 CROSS JOIN LATERAL (SELECT 1 FROM driftline.claims s
                                      WHERE s.customer_id = $2 AND s.claim_id = c.claim_id AND s.upload_id = $1
                                      LIMIT 1) AS stored
                UNION
                SELECT c.line_no FROM upload_flagged c JOIN upload_merge e ON e.claim_id = c.claim_id AND e.line_no < c.line_no
                """,
                [String(uploadID), customerID],
                operation: "confirm repeated claim ids"
            )
        }
        try connection.execute(
            "DELETE FROM upload_merge m USING upload_repeats r WHERE m.line_no = r.line_no",
            operation: "set repeated claim ids aside"
        )
        return try LineSet.fetch("SELECT line_no FROM upload_repeats", operation: "read repeated lines", on: connection)
    }

    /// Runs `body`, a statement that probes `claims` for a few rows by primary key, with sequential scans
    /// priced out for the statement, so that it probes whatever the table's statistics say. Autovacuum's
    /// ANALYZE of claims while a long load is in flight counts the pages that load has written but none of
    /// its rows (not committed yet): `relpages` 49,250, `reltuples` 0 after the first seconds of a 4M-row
    /// first load, tried. Planned on "claims is empty", the duplicate filter's 15,087 false candidates then
    /// got a sequential scan of the customer's claims each, still running after 5 minutes in a `make bench`
    /// run, where the probes take 0.1 s. (Such statistics outlive the load until the next ANALYZE.)
    private static func probingStoredClaims<T>(on connection: PGConnection, _ body: () throws -> T) throws -> T {
        try connection.execute("SET LOCAL enable_seqscan = off", operation: "probe stored claims")
        let result = try body()
        try connection.execute("SET LOCAL enable_seqscan = on", operation: "probe stored claims")
        return result
    }

    /// What the merge did with `upload_merge`'s rows.
    private struct Merged {
        var updated = 0
        var unchanged = 0
        var inserted = 0
        var stale = LineSet()
    }

    /// Inserts the rows whose claim is not stored (the duplicate filter's false candidates, or every new claim
    /// when the loader merges all), updates the stored claims the merge table holds newer or equal versions of
    /// (only those whose values differ are written), and finds the rows older than their stored claim (stale:
    /// skipped) when some rows were neither inserted nor updated.
    private func mergeStored(
        rows: Int,
        candidates: Int,
        mergesAll: Bool,
        uploadID: Int64,
        customerID: String,
        outcome: inout LoadOutcome,
        on connection: PGConnection
    ) throws -> Merged {
        var merged = Merged()
        let changed = Self.claimColumnList.dropFirst(2).map { "c.\($0)" }.joined(separator: ", ")
        let incoming = Self.claimColumnList.dropFirst(2).map { "s.\($0)" }.joined(separator: ", ")
        let assignments = Self.claimColumnList.dropFirst(2).map { "\($0) = s.\($0)" }.joined(separator: ", ")
        if mergesAll || candidates > 0 {
            // Only a flagged row can be new (the lookup sent every stored claim's row here), unless all merge.
            // The flagged rows are few (the filter's false candidates): one index probe each, which a LATERAL
            // subquery with a LIMIT makes the only plan. Planned freely, 520 of them at the end of a 4M-row first
            // load got a merge anti join along all the customer's claims (4.5 s; 15,087 probed: 0.2 s).
            let rowsThatMayBeNew =
                mergesAll
                ? "upload_merge s WHERE NOT EXISTS (SELECT 1 FROM driftline.claims c WHERE c.customer_id = $2 AND c.claim_id = s.claim_id)"
                : """
                upload_merge s JOIN upload_flagged f USING (line_no)
                 LEFT JOIN LATERAL (SELECT true AS stored FROM driftline.claims c
                                     WHERE c.customer_id = $2 AND c.claim_id = s.claim_id LIMIT 1) k ON true
                 WHERE k.stored IS NULL
                """
            merged.inserted = try outcome.timing("insert") {
                try Self.probingStoredClaims(on: connection) {
                    try connection.query(
                        """
                        INSERT INTO driftline.claims (\(Self.claimColumns), upload_id, line_no)
                        SELECT \(Self.claimColumnList.map { "s.\($0)" }.joined(separator: ", ")), $1, s.line_no
                          FROM \(rowsThatMayBeNew)
                         ORDER BY s.claim_id
                        """,
                        [String(uploadID), customerID],
                        operation: "insert merged claims"
                    ).affected
                }
            }
        }
        // In key order: the stored claims are read along the primary key (a merge join with the sorted rows, or
        // index probes for a few) and their new versions' index entries go in in order. A hash join updates in
        // the order the heap or the file happens to have: at 600k updates of 1M claims, 17.6-18.3 s against
        // 9.3-9.8 s in key order (index pages out of cache). Hash joins off for this statement only.
        // Every row was new (a first load's false candidates): nothing stored to update or to be older than.
        if merged.inserted == rows { return merged }
        try connection.execute("SET LOCAL enable_hashjoin = off", operation: "update in key order")
        merged.updated = try outcome.timing("update") {
            try connection.query(
                """
                UPDATE driftline.claims c
                   SET \(assignments), upload_id = $1, line_no = s.line_no, updated_at = now(),
                       first_load = NULL
                  FROM (SELECT * FROM upload_merge ORDER BY claim_id) s
                 WHERE c.customer_id = $2 AND c.claim_id = s.claim_id
                   AND \(Self.versionRule("s", notOlderThan: "c"))
                   AND (\(changed)) IS DISTINCT FROM (\(incoming))
                """,
                [String(uploadID), customerID],
                operation: "update stored claims"
            ).affected
        }
        try connection.execute("SET LOCAL enable_hashjoin = on", operation: "update in key order")
        if merged.inserted + merged.updated < rows {
            merged.stale = try outcome.timing("stale") {
                try LineSet.fetch(
                    """
                    SELECT s.line_no FROM upload_merge s
                      JOIN driftline.claims c ON c.customer_id = $1 AND c.claim_id = s.claim_id
                     WHERE NOT \(Self.versionRule("s", notOlderThan: "c"))
                    """,
                    [customerID],
                    operation: "find stale rows",
                    on: connection
                )
            }
        }
        merged.unchanged = rows - merged.updated - merged.inserted - merged.stale.count
        return merged
    }

    /// Stops reading (the file is rejected as a whole) past `maxRows` rows, or once more rows were rejected
    /// than `max_reject_rate` allows of `maxRows`: whatever follows, the file cannot load.
    /// (Takes the count, not the outcome: a struct of arrays copied per row costs a retain and release of each.)
    private func checkCaps(_ row: UploadValidator.Row, _ validator: UploadValidator, rowsRejected: Int) throws {
        guard let maxRows else { return }
        if validator.rowsRead > maxRows {
            throw UploadError(.tooManyRows, line: row.line, "more than max_rows (\(maxRows)) rows")
        }
        let rejectBudget = Int((maxRejectRate * Double(maxRows)).rounded(.down))
        if rowsRejected > rejectBudget {
            let limit = (maxRejectRate * 1000).rounded() / 10
            throw UploadError(
                .rejectRate,
                line: row.line,
                "more than \(rejectBudget) rows rejected: above max_reject_rate \(limit)% of max_rows \(maxRows) whatever follows; reading stopped"
            )
        }
    }

    static func duplicateFinding(line: Int) -> Finding {
        BuiltinRule.duplicateClaim.finding(line: line, column: .claimID)
    }

    /// Adds the repeated claim ids the database confirmed and the stale rows to the analyst's report, with
    /// their original lines: a second pass over the file that keeps only those lines, written as they pass.
    private func reportLines(
        repeats: LineSet,
        stale: LineSet,
        of file: File,
        to rejectReport: RejectReportWriter
    ) throws {
        var missing = repeats.count + stale.count
        var found = LineSet()
        if let reader = try? CSVReader(
            source: TranscodingByteSource.wrap(source(file), encoding: file.profile.encoding),
            delimiter: file.profile.delimiter
        ) {
            while missing > 0, let record = try? reader.next() {
                guard let finding = Self.finding(line: record.line, repeats: repeats, stale: stale) else { continue }
                missing -= 1
                found.insert(record.line)
                try rejectReport.add(findings: [finding], raw: record.raw)
            }
        }
        // Lines the second pass did not reach (the file could not be read again): their findings, without the line.
        guard missing > 0 else { return }
        for line in (repeats.sorted + stale.sorted).sorted() where !found.contains(line) {
            if let finding = Self.finding(line: line, repeats: repeats, stale: stale) {
                try rejectReport.add(finding: finding)
            }
        }
    }

    /// The report's finding for a repeated or a stale line (`nil` for any other line).
    private static func finding(line: Int, repeats: LineSet, stale: LineSet) -> Finding? {
        if repeats.contains(line) { return duplicateFinding(line: line) }
        if stale.contains(line) { return BuiltinRule.staleClaim.finding(line: line, column: nil) }
        return nil
    }

    /// Rejects the whole file when its rejected share is above `max_reject_rate`; returns whether it did.
    private func rejectIfOverRate(_ outcome: inout LoadOutcome, rejectReport: RejectReportWriter) throws -> Bool {
        let rejectRate = outcome.rowsRead == 0 ? 0 : Double(outcome.rowsRejected) / Double(outcome.rowsRead)
        guard rejectRate > maxRejectRate else { return false }
        let percent = (rejectRate * 1000).rounded() / 10
        let limit = (maxRejectRate * 1000).rounded() / 10
        let error = UploadError(
            .rejectRate,
            "\(outcome.rowsRejected) of \(outcome.rowsRead) rows rejected (\(percent)%), above max_reject_rate \(limit)%"
        )
        outcome.error = error
        outcome.status = .rejected
        outcome.rowsRejected = outcome.rowsRead
        outcome.rowsLoaded = 0
        let finding = Finding(
            line: 0,
            column: nil,
            ruleID: "file.\(UploadError.Kind.rejectRate)",
            severity: .error,
            message: error.message
        )
        outcome.report.add(finding)
        outcome.report.fileError = error
        try rejectReport.add(finding: finding)
        return true
    }

    private func rejectWhole(
        _ outcome: LoadOutcome,
        error: UploadError,
        rejectReport: RejectReportWriter,
        on connection: PGConnection
    ) throws -> LoadOutcome {
        var outcome = outcome
        outcome.status = .rejected
        outcome.error = error
        outcome.rowsLoaded = 0
        outcome.rowsRejected = outcome.rowsRead
        let ruleID = "file.\(error.kind)"
        let finding = Finding(
            line: error.line ?? 0,
            column: error.column?.description,
            ruleID: ruleID,
            severity: .error,
            message: error.message
        )
        outcome.report.add(finding)
        outcome.report.fileError = error
        try rejectReport.add(finding: finding)
        try connection.query(
            """
            INSERT INTO driftline.rejects (upload_id, customer_id, line_no, column_name, rule_id, message)
            VALUES ($1, (SELECT customer_id FROM driftline.uploads WHERE upload_id = $1), $2, $3, $4, $5)
            """,
            [
                String(outcome.uploadID), String(error.line ?? 0), StoredText.column(error.column?.description),
                StoredText.ruleID(ruleID), StoredText.message(error.message.description),
            ],
            operation: "record file reject"
        )
        try finishUpload(outcome, on: connection)
        return outcome
    }

    private func finishUpload(_ outcome: LoadOutcome, on connection: PGConnection) throws {
        try connection.query(
            """
            UPDATE driftline.uploads
               SET rows_read = $2, rows_loaded = $3, rows_rejected = $4, rows_warned = $5, status = $6,
                   error_code = $7, error_line = $8, error_message = $9, unknown_columns = $10::text[],
                   rows_stale = $11, first_load = $12
             WHERE upload_id = $1
            """,
            [
                String(outcome.uploadID), String(outcome.rowsRead), String(outcome.rowsLoaded),
                String(outcome.rowsRejected), String(outcome.rowsWarned), outcome.status.rawValue,
                outcome.error.map { $0.kind.rawValue }, outcome.error?.line.map(String.init),
                outcome.error.map { StoredText.message($0.message.description) },
                textArrayLiteral(outcome.unknownColumns.map(String.init)),
                String(outcome.rowsStale), outcome.firstLoad && outcome.status == .loaded ? "t" : nil,
            ],
            operation: "record upload counts"
        )
        for rule in outcome.report.rules {
            try connection.query(
                """
                INSERT INTO driftline.upload_findings (upload_id, customer_id, rule_id, severity, count)
                SELECT $1, customer_id, $2, $3, $4 FROM driftline.uploads WHERE upload_id = $1
                """,
                [String(outcome.uploadID), StoredText.ruleID(rule.ruleID), rule.severity.rawValue, String(rule.count)],
                operation: "record rule counts"
            )
        }
    }
}
