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
    package var rowsWarned = 0
    package var bytes: Int64 = 0
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
/// Two ways in, both inside that transaction:
/// - **Direct** (first try): valid rows are binary-COPYed straight into `driftline.claims` (COPY's
///   batched inserts run at psql `\copy` speed), rejected rows are spilled to a temporary file of
///   positions and rule ids and COPYed into `driftline.rejects` afterwards.
/// - **Staged merge** (when a claim of the file is already stored — a resend — or repeats within the
///   file, which the primary key reports as a unique violation): the direct attempt is rolled back to
///   its savepoint and the file is read again into a temporary staging table, repeated claim ids are
///   confirmed and rejected on their later lines, and the rest is merged with `ON CONFLICT DO UPDATE`.
package struct UploadLoader {
    package struct File: Sendable {
        package var customerID: String
        package var path: String
        package var fileName: String
        package var sha256: String
        package var size: Int64
        /// The customer's export style (encoding, delimiter, date and amount formats, header names).
        package var profile: CustomerProfile
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

    static let stagingColumns =
        ["line_no", "dup_candidate", "reject_rule", "reject_column", "reject_message"] + claimColumnList

    static let directColumns = claimColumnList + ["upload_id", "line_no"]

    /// Loads `file` inside the caller's open transaction. Writes the analyst's reject report to
    /// `rejectReport` as it goes. Throws only for database or I/O failures (the caller rolls back);
    /// bad data is an outcome.
    package func load(
        _ file: File,
        runID: Int64?,
        rejectReport: RejectReportWriter,
        on connection: PGConnection
    ) throws -> LoadOutcome {
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
        try connection.execute("SAVEPOINT direct_load", operation: "savepoint")
        if let outcome = try loadDirect(file, fresh, rejectReport: rejectReport, on: connection) {
            CrashPoint.reach("load.before_commit")
            return outcome
        }
        try connection.execute("ROLLBACK TO SAVEPOINT direct_load", operation: "roll back direct load")
        try rejectReport.restart()
        logger.info("claims already stored or repeated in the file: loading through staging and merge")
        let outcome = try loadStaged(file, fresh, rejectReport: rejectReport, on: connection)
        CrashPoint.reach("load.before_commit")
        return outcome
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
                source: try openUpload(path: file.path),
                expectedCustomer: file.customerID,
                rules: rules,
                groups: groups,
                profile: file.profile,
                flagsDuplicates: flagsDuplicates
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

    /// The fast path; `nil` when a claim id collides (already stored, or repeated in the file).
    private func loadDirect(
        _ file: File,
        _ fresh: LoadOutcome,
        rejectReport: RejectReportWriter,
        on connection: PGConnection
    ) throws -> LoadOutcome? {
        var outcome = fresh
        // The primary key finds repeated claim ids here.
        guard
            let validator = try open(file, &outcome, flagsDuplicates: false, rejectReport: rejectReport, on: connection)
        else { return outcome }
        let spill = try RejectSpill()
        let uploadID = outcome.uploadID
        let encoder = ClaimEncoder(groups: groups, payers: rules?.payers ?? .empty)
        do {
            outcome.rowsLoaded = try connection.copyBinary(
                into: "driftline.claims",
                columns: Self.directColumns,
                operation: "COPY into claims"
            ) { writer in
                while let row = try validator.next() {
                    if let first = try account(row, validator, &outcome, rejectReport: rejectReport) {
                        try spill.append(line: row.line, finding: first)
                        continue
                    }
                    try writer.beginRow(fields: Int16(Self.directColumns.count))
                    try encoder.write(row.claim, to: &writer)
                    writer.int64(uploadID)
                    writer.int32(Int32(truncatingIfNeeded: row.line))
                }
            }
        } catch let error as UploadError {
            outcome.rowsRead = validator.rowsRead
            try connection.execute("ROLLBACK TO SAVEPOINT direct_load", operation: "discard partial load")
            return try rejectWhole(outcome, error: error, rejectReport: rejectReport, on: connection)
        } catch let error as PostgresError where error.isUniqueViolation {
            return nil
        }
        outcome.rowsRead = validator.rowsRead
        if try rejectIfOverRate(&outcome, rejectReport: rejectReport) {
            try connection.execute("ROLLBACK TO SAVEPOINT direct_load", operation: "discard rejected file")
            outcome.rowsLoaded = 0
        }
        try spill.copy(into: connection, uploadID: uploadID, customerID: file.customerID)
        try finishUpload(outcome, on: connection)
        return outcome
    }

    /// The merge path: staging table, exact duplicate check, `INSERT … ON CONFLICT DO UPDATE`.
    private func loadStaged(
        _ file: File,
        _ fresh: LoadOutcome,
        rejectReport: RejectReportWriter,
        on connection: PGConnection
    ) throws -> LoadOutcome {
        var outcome = fresh
        guard
            let validator = try open(file, &outcome, flagsDuplicates: true, rejectReport: rejectReport, on: connection)
        else { return outcome }
        try connection.execute(
            """
            CREATE TEMP TABLE staging_claims (
                line_no integer NOT NULL, dup_candidate boolean NOT NULL,
                reject_rule text, reject_column text, reject_message text,
                claim_id text, customer_id text, payer text, cpt_code text, cpt_group text,
                service_date date, submitted_date date, decided_date date, outcome text, denial_reason text,
                billed_amount numeric(12,2), allowed_amount numeric(12,2), paid_amount numeric(12,2),
                patient_ref text, provider_npi text, payer_raw text
            ) ON COMMIT DROP;
            SAVEPOINT before_copy
            """,
            operation: "create staging table"
        )

        var candidates = 0
        let encoder = ClaimEncoder(groups: groups, payers: rules?.payers ?? .empty)
        do {
            try connection.copyBinary(
                into: "staging_claims",
                columns: Self.stagingColumns,
                operation: "COPY into staging"
            ) { writer in
                while let row = try validator.next() {
                    let first = try account(row, validator, &outcome, rejectReport: rejectReport)
                    try writer.beginRow(fields: Int16(Self.stagingColumns.count))
                    writer.int32(Int32(truncatingIfNeeded: row.line))
                    writer.bool(row.duplicateCandidate)
                    if let first {
                        try writer.text(StoredText.ruleID(first.ruleID))
                        try writer.text(StoredText.column(first.column))
                        try writer.text(StoredText.message(first.message.description))
                        for _ in 0..<Self.claimColumnList.count { writer.null() }
                        continue
                    }
                    candidates += row.duplicateCandidate ? 1 : 0
                    writer.null()
                    writer.null()
                    writer.null()
                    try encoder.write(row.claim, to: &writer)
                }
            }
        } catch let error as UploadError {
            outcome.rowsRead = validator.rowsRead
            try connection.execute("ROLLBACK TO SAVEPOINT before_copy", operation: "discard staging")
            return try rejectWhole(outcome, error: error, rejectReport: rejectReport, on: connection)
        }
        outcome.rowsRead = validator.rowsRead

        if candidates > 0 {
            // Confirm the filter's candidates exactly: a later line repeating an earlier valid claim_id.
            // The few candidates are hashed and the staging table scanned once against them (hashing all
            // of staging, as a plain EXISTS plans without statistics, took twice as long at 1M rows).
            let duplicates = try connection.query(
                """
                WITH candidates AS MATERIALIZED (
                    SELECT line_no, claim_id FROM staging_claims WHERE dup_candidate AND reject_rule IS NULL),
                duplicates AS (
                    SELECT DISTINCT c.line_no FROM candidates c
                      JOIN staging_claims e ON e.claim_id = c.claim_id AND e.line_no < c.line_no AND e.reject_rule IS NULL)
                UPDATE staging_claims s
                   SET reject_rule = $1, reject_column = 'claim_id', reject_message = $2
                  FROM duplicates d
                 WHERE s.line_no = d.line_no
                RETURNING s.line_no
                """,
                [BuiltinRule.duplicateClaim.rawValue, BuiltinRule.duplicateClaim.message.description],
                operation: "confirm duplicate claim ids"
            )
            outcome.rowsRejected += duplicates.rows.count
            let lines = Set(duplicates.rows.map { Int($0[0]!)! })
            for line in lines.sorted() {
                outcome.report.add(Self.duplicateFinding(line: line))
                outcome.report.markRejected()
            }
            try reportDuplicates(lines, of: file, to: rejectReport)
        }

        if try !rejectIfOverRate(&outcome, rejectReport: rejectReport) {
            CrashPoint.reach("load.merge")
            // Rows are merged in key order (the staging table holds one customer), so two uploads that
            // update the same claims lock them in the same order and cannot deadlock: the later waits.
            let merged = try connection.query(
                """
                INSERT INTO driftline.claims AS c (\(Self.claimColumns), upload_id, line_no)
                SELECT \(Self.claimColumns), $1, line_no FROM staging_claims WHERE reject_rule IS NULL
                 ORDER BY claim_id
                ON CONFLICT (customer_id, claim_id) DO UPDATE SET
                    payer = EXCLUDED.payer, cpt_code = EXCLUDED.cpt_code, cpt_group = EXCLUDED.cpt_group,
                    service_date = EXCLUDED.service_date, submitted_date = EXCLUDED.submitted_date,
                    decided_date = EXCLUDED.decided_date, outcome = EXCLUDED.outcome,
                    denial_reason = EXCLUDED.denial_reason, billed_amount = EXCLUDED.billed_amount,
                    allowed_amount = EXCLUDED.allowed_amount, paid_amount = EXCLUDED.paid_amount,
                    patient_ref = EXCLUDED.patient_ref, provider_npi = EXCLUDED.provider_npi,
                    payer_raw = EXCLUDED.payer_raw, upload_id = EXCLUDED.upload_id, line_no = EXCLUDED.line_no, updated_at = now()
                """,
                [String(outcome.uploadID)],
                operation: "merge claims"
            )
            outcome.rowsLoaded = merged.affected
        }
        try connection.query(
            """
            INSERT INTO driftline.rejects (upload_id, customer_id, line_no, column_name, rule_id, message)
            SELECT $1, $2, line_no, reject_column, reject_rule, reject_message
              FROM staging_claims WHERE reject_rule IS NOT NULL
            """,
            [String(outcome.uploadID), file.customerID],
            operation: "record rejects"
        )
        try finishUpload(outcome, on: connection)
        return outcome
    }

    static func duplicateFinding(line: Int) -> Finding {
        BuiltinRule.duplicateClaim.finding(line: line, column: .claimID)
    }

    /// Adds the repeated claim ids the database confirmed to the analyst's report, with their original
    /// lines: a second pass over the file that keeps only those lines, written as they pass.
    private func reportDuplicates(_ lines: Set<Int>, of file: File, to rejectReport: RejectReportWriter) throws {
        var missing = lines
        if let reader = try? CSVReader(source: openUpload(path: file.path)) {
            while !missing.isEmpty, let record = try? reader.next() {
                guard missing.remove(record.line) != nil else { continue }
                try rejectReport.add(findings: [Self.duplicateFinding(line: record.line)], raw: record.raw)
            }
        }
        for line in missing.sorted() { try rejectReport.add(finding: Self.duplicateFinding(line: line)) }
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
                   error_code = $7, error_line = $8, error_message = $9, unknown_columns = $10::text[]
             WHERE upload_id = $1
            """,
            [
                String(outcome.uploadID), String(outcome.rowsRead), String(outcome.rowsLoaded),
                String(outcome.rowsRejected), String(outcome.rowsWarned), outcome.status.rawValue,
                outcome.error.map { $0.kind.rawValue }, outcome.error?.line.map(String.init),
                outcome.error.map { StoredText.message($0.message.description) },
                Self.textArray(outcome.unknownColumns.map(String.init)),
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

    /// A PostgreSQL text[] literal (header names only: configuration-like, not row values).
    static func textArray(_ values: [String]) -> String {
        "{"
            + values.map {
                "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                    + "\""
            }
            .joined(separator: ",") + "}"
    }
}
