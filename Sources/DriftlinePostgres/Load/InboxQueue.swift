import DriftlineCore
import Foundation
import Logging

/// The queue of inbox files in `driftline.inbox_files`, shared by every loader (several workers or hosts).
///
/// Files are registered by content (`customer_id`, `sha256`), so the same bytes are queued once, and
/// claimed with `FOR UPDATE SKIP LOCKED` in the transaction that loads them: a worker that dies
/// releases its claim with its transaction, and no file is loaded twice.
///
/// Lock order (everywhere in Driftline): pipeline advisory lock → `inbox_files` row → `uploads`/`claims`
/// rows → `stage_runs` row.
package struct InboxQueue {
    package struct Entry: Sendable {
        package var fileID: Int64
        package var file: UploadLoader.File
    }

    package enum Registration: Sendable {
        case queued(Int64)
        /// Someone else queued the same content and has not finished it: leave it alone.
        case alreadyQueued
        /// The same content was loaded (or rejected) before.
        case alreadyDone(fileID: Int64, uploadID: Int64?, status: String?)
    }

    /// Registers an inbox file (customer row created on first sight).
    package static func register(
        _ candidate: InboxScanner.Candidate,
        sha256: String,
        runID: Int64?,
        on connection: PGConnection
    ) throws -> Registration {
        try connection.query(
            "INSERT INTO driftline.customers (customer_id) VALUES ($1) ON CONFLICT DO NOTHING",
            [candidate.customerID],
            operation: "register customer"
        )
        let inserted = try connection.query(
            """
            INSERT INTO driftline.inbox_files (customer_id, sha256, path, file_name, size_bytes, run_id)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (customer_id, sha256) DO NOTHING RETURNING file_id
            """,
            [
                candidate.customerID, sha256, candidate.path, candidate.fileName, String(candidate.size),
                runID.map(String.init),
            ],
            operation: "queue inbox file"
        )
        if let id = inserted.scalar.flatMap({ Int64($0) }) { return .queued(id) }
        let existing = try connection.query(
            """
            SELECT f.state, f.upload_id, u.status, f.file_id FROM driftline.inbox_files f
              LEFT JOIN driftline.uploads u USING (upload_id)
             WHERE f.customer_id = $1 AND f.sha256 = $2
            """,
            [candidate.customerID, sha256],
            operation: "look up queued file"
        )
        guard let row = existing.first, row[0] == "done" else {
            // Queued by someone else, or a path that changed: re-point it at the file we can see.
            try connection.query(
                "UPDATE driftline.inbox_files SET path = $3, file_name = $4 WHERE customer_id = $1 AND sha256 = $2 AND state = 'queued' AND path <> $3",
                [candidate.customerID, sha256, candidate.path, candidate.fileName],
                operation: "refresh queued path"
            )
            return .alreadyQueued
        }
        return .alreadyDone(fileID: Int64(row[3]!)!, uploadID: row[1].flatMap { Int64($0) }, status: row[2])
    }

    /// Claims the oldest queued file not claimed by another transaction; call inside a transaction.
    package static func claimNext(on connection: PGConnection) throws -> Entry? {
        let rows = try connection.query(
            """
            SELECT file_id, customer_id, path, file_name, sha256, size_bytes FROM driftline.inbox_files
             WHERE state = 'queued' ORDER BY file_id LIMIT 1 FOR UPDATE SKIP LOCKED
            """,
            operation: "claim inbox file"
        )
        guard let row = rows.first else { return nil }
        return Entry(
            fileID: Int64(row[0]!)!,
            file: UploadLoader.File(
                customerID: row[1]!,
                path: row[2]!,
                fileName: row[3]!,
                sha256: row[4]!,
                size: Int64(row[5]!)!
            )
        )
    }

    /// Marks a claimed file done, in the transaction that loaded it.
    package static func complete(_ entry: Entry, uploadID: Int64?, on connection: PGConnection) throws {
        try connection.query(
            "UPDATE driftline.inbox_files SET state = 'done', upload_id = $2, done_at = now() WHERE file_id = $1",
            [String(entry.fileID), uploadID.map(String.init)],
            operation: "complete inbox file"
        )
    }

    /// Files still queued (for status and tests).
    package static func queuedCount(on connection: PGConnection) throws -> Int {
        Int(
            try connection.query(
                "SELECT count(*) FROM driftline.inbox_files WHERE state = 'queued'",
                operation: "count queue"
            ).scalar ?? "0"
        ) ?? 0
    }
}
