import DriftlineCore
import Foundation
import Logging

/// The queue of inbox files in `driftline.inbox_files`, shared by the loaders of one pipeline and inbox
/// (several workers or hosts).
///
/// Every entry belongs to a ``Scope``: a pipeline's name and the resolved absolute path of its inbox. A
/// pipeline registers and claims only its own entries, so two pipelines on one database never take each
/// other's files. An entry names its file by customer folder and file name inside that inbox, so a
/// claiming process finds it whatever its working directory.
///
/// Files are registered by content (`customer_id`, `sha256`) and claimed with `FOR UPDATE SKIP LOCKED`
/// in the transaction that loads them: a worker that dies releases its claim with its transaction, and
/// no file is loaded twice. "Already processed" means an upload of the same bytes was **loaded**: a file
/// that vanished before it was claimed leaves no entry, and one rejected as a whole (or parked as failed)
/// is queued again when its bytes are dropped again.
///
/// Lock order (everywhere in Driftline): pipeline advisory lock → `inbox_files` row → `uploads`/`claims`
/// rows → `stage_runs` row.
package struct InboxQueue {
    /// The pipeline and inbox an entry belongs to.
    package struct Scope: Sendable, Equatable {
        package var pipeline: String
        /// The inbox folder's resolved absolute path (symbolic links in its path resolved).
        package var inbox: String

        package init(pipeline: String, inbox: String) {
            self.pipeline = pipeline
            self.inbox = Self.resolve(inbox)
        }

        /// `path` made absolute (against the working directory) and resolved (`realpath(3)`).
        package static func resolve(_ path: String) -> String {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            guard let resolved = realpath(absolute, nil) else { return absolute }
            defer { free(resolved) }
            return String(cString: resolved)
        }

        /// Where the inbox holds `fileName` of `customer`.
        package func path(customer: String, fileName: String) -> String {
            ((inbox as NSString).appendingPathComponent(customer) as NSString).appendingPathComponent(fileName)
        }
    }

    package struct Entry: Sendable {
        package var fileID: Int64
        package var file: UploadLoader.File
        /// Failed attempts before this one.
        package var attempts: Int
    }

    package enum Registration: Sendable, Equatable {
        case queued(Int64)
        /// Someone else queued the same content and has not finished it: leave it alone.
        case alreadyQueued
        /// The same content was loaded before (`fileID`: its entry in this scope, if it has one).
        case alreadyLoaded(fileID: Int64?, uploadID: Int64)
        /// The same content was rejected as a whole or parked as failed before: the entry and its upload.
        case rejectedBefore(fileID: Int64, uploadID: Int64?)
    }

    /// Registers an inbox file (customer row created on first sight).
    package static func register(
        _ candidate: InboxScanner.Candidate,
        sha256: String,
        scope: Scope,
        runID: Int64?,
        on connection: PGConnection
    ) throws -> Registration {
        try connection.query(
            "INSERT INTO driftline.customers (customer_id) VALUES ($1) ON CONFLICT DO NOTHING",
            [candidate.customerID],
            operation: "register customer"
        )
        let loaded = try connection.query(
            """
            SELECT u.upload_id,
                   (SELECT f.file_id FROM driftline.inbox_files f
                     WHERE f.upload_id = u.upload_id
                       AND (f.pipeline = $3 AND f.inbox = $4 OR f.pipeline = '')  -- '': from before 0006
                     ORDER BY f.file_id DESC LIMIT 1)
              FROM driftline.uploads u
             WHERE u.customer_id = $1 AND u.sha256 = $2 AND u.status = 'loaded'
            """,
            [candidate.customerID, sha256, scope.pipeline, scope.inbox],
            operation: "look up loaded upload"
        )
        if let row = loaded.first {
            return .alreadyLoaded(fileID: row[1].flatMap { Int64($0) }, uploadID: Int64(row[0]!)!)
        }
        let inserted = try connection.query(
            """
            INSERT INTO driftline.inbox_files (pipeline, inbox, customer_id, sha256, file_name, size_bytes, run_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (pipeline, inbox, customer_id, sha256) DO NOTHING RETURNING file_id
            """,
            [
                scope.pipeline, scope.inbox, candidate.customerID, sha256, candidate.fileName,
                String(candidate.size), runID.map(String.init),
            ],
            operation: "queue inbox file"
        )
        if let id = inserted.scalar.flatMap({ Int64($0) }) { return .queued(id) }
        let existing = try connection.query(
            """
            SELECT file_id, state, upload_id FROM driftline.inbox_files
             WHERE pipeline = $1 AND inbox = $2 AND customer_id = $3 AND sha256 = $4
            """,
            [scope.pipeline, scope.inbox, candidate.customerID, sha256],
            operation: "look up queued file"
        )
        guard let row = existing.first, row[1] != "queued" else {
            // Queued by someone else, or under another name: point it at the file we can see.
            try connection.query(
                """
                UPDATE driftline.inbox_files SET file_name = $5
                 WHERE pipeline = $1 AND inbox = $2 AND customer_id = $3 AND sha256 = $4
                   AND state = 'queued' AND file_name <> $5
                """,
                [scope.pipeline, scope.inbox, candidate.customerID, sha256, candidate.fileName],
                operation: "refresh queued file name"
            )
            return .alreadyQueued
        }
        return .rejectedBefore(fileID: Int64(row[0]!)!, uploadID: row[2].flatMap { Int64($0) })
    }

    /// Queues a file rejected (or parked) before again, under the name it was dropped with now: its
    /// bytes were dropped again, so they are tried again (with the rules of this run).
    package static func requeue(
        fileID: Int64,
        fileName: String,
        size: Int64,
        runID: Int64?,
        on connection: PGConnection
    ) throws {
        try connection.query(
            """
            UPDATE driftline.inbox_files
               SET state = 'queued', upload_id = NULL, done_at = NULL, failed_at = NULL, attempts = 0,
                   last_error = NULL, file_name = $2, size_bytes = $3, run_id = $4, queued_at = now()
             WHERE file_id = $1 AND state <> 'queued'
            """,
            [String(fileID), fileName, String(size), runID.map(String.init)],
            operation: "queue again"
        )
    }

    /// Claims the oldest queued file of `scope` not claimed by another transaction; call inside a transaction.
    package static func claimNext(scope: Scope, on connection: PGConnection) throws -> Entry? {
        let rows = try connection.query(
            """
            SELECT file_id, customer_id, file_name, sha256, size_bytes, attempts FROM driftline.inbox_files
             WHERE pipeline = $1 AND inbox = $2 AND state = 'queued'
             ORDER BY file_id LIMIT 1 FOR UPDATE SKIP LOCKED
            """,
            [scope.pipeline, scope.inbox],
            operation: "claim inbox file"
        )
        guard let row = rows.first else { return nil }
        return Entry(
            fileID: Int64(row[0]!)!,
            file: UploadLoader.File(
                customerID: row[1]!,
                path: scope.path(customer: row[1]!, fileName: row[2]!),
                fileName: row[2]!,
                sha256: row[3]!,
                size: Int64(row[4]!)!
            ),
            attempts: Int(row[5]!)!
        )
    }

    /// Marks a claimed file done, in the transaction that loaded it.
    package static func complete(_ entry: Entry, uploadID: Int64, on connection: PGConnection) throws {
        try connection.query(
            "UPDATE driftline.inbox_files SET state = 'done', upload_id = $2, done_at = now() WHERE file_id = $1",
            [String(entry.fileID), String(uploadID)],
            operation: "complete inbox file"
        )
    }

    /// Removes a claimed entry whose file is gone (or changed): nothing of it blocks the file's return.
    package static func forget(_ entry: Entry, on connection: PGConnection) throws {
        try connection.query(
            "DELETE FROM driftline.inbox_files WHERE file_id = $1 AND state = 'queued'",
            [String(entry.fileID)],
            operation: "forget inbox file"
        )
    }

    /// Records a failed attempt to load an entry (`error`: a kind and an SQLSTATE, never server text);
    /// after `maxAttempts` failures the entry is parked as `failed`. Returns the attempts so far and
    /// whether it is parked.
    package static func recordFailure(
        fileID: Int64,
        error: String,
        maxAttempts: Int,
        on connection: PGConnection
    ) throws -> (attempts: Int, parked: Bool) {
        let row = try connection.query(
            """
            UPDATE driftline.inbox_files
               SET attempts = attempts + 1, last_error = $2,
                   state = CASE WHEN attempts + 1 >= $3 THEN 'failed' ELSE state END,
                   failed_at = CASE WHEN attempts + 1 >= $3 THEN now() END
             WHERE file_id = $1 AND state = 'queued'
            RETURNING attempts, state
            """,
            [String(fileID), error, String(maxAttempts)],
            operation: "record failed attempt"
        ).first
        guard let row else { return (0, false) }
        return (Int(row[0]!)!, row[1] == "failed")
    }

    /// Files still queued in `scope` (for status and tests).
    package static func queuedCount(scope: Scope, on connection: PGConnection) throws -> Int {
        Int(
            try connection.query(
                "SELECT count(*) FROM driftline.inbox_files WHERE pipeline = $1 AND inbox = $2 AND state = 'queued'",
                [scope.pipeline, scope.inbox],
                operation: "count queue"
            ).scalar ?? "0"
        ) ?? 0
    }
}
