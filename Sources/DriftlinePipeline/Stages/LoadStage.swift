import DriftlineCore
import DriftlinePostgres
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Loads every settled upload of the inbox, each in one atomic transaction, then files it under
/// `archive/` (loaded) or `rejected/` (rejected as a whole) with its reject report beside it.
///
/// Idempotent: loaded files leave the inbox, and a file whose content was loaded before is
/// recognised by its SHA-256 and loads nothing twice. Reads the run-wide folders, `settle_seconds` and
/// `max_reject_rate`, and its own section (``Settings``).
///
/// An upload whose load fails with a database error that is not the connection going away (a
/// `statement_timeout`, a constraint the data cannot meet) is tried again up to `max_attempts` times,
/// then parked as `failed`: filed under `rejected/` with a report naming the SQLSTATE, counted as
/// `files_failed` (verdict ``StageVerdict/uploadsFailed``), and the stage goes on with the other files.
///
/// The work blocks (libpq, files, the read-ahead thread), so it runs on a thread of its own; each
/// upload's transaction adds its counts to the stage's checkpoint.
package struct LoadStage: Stage {
    package static let name = "load"
    package let settings: Settings

    package init(settings: Settings = Settings()) { self.settings = settings }

    package func run(_ context: StageContext) async throws -> StageOutcome {
        try await DedicatedThread.run(name: "driftline-load") {
            let connections = ConnectionProvider(url: context.databaseURL)
            try load(context, connections: connections)
            return try outcome(context, connections: connections)
        }
    }

    package func recordedOutcome(checkpoint: [String: Int64], context: StageContext) async throws -> StageOutcome {
        try await DedicatedThread.run(name: "driftline-load") {
            try outcome(context, connections: ConnectionProvider(url: context.databaseURL))
        }
    }

    /// The run's uploads as they committed (every attempt of the run's load), and the inbox entries
    /// that could not be taken: a file rejected as a whole or an entry left behind rejects data.
    private func outcome(_ context: StageContext, connections: ConnectionProvider) throws -> StageOutcome {
        // Every customer's uploads of the run, each customer's read with its tenant set.
        let totals = try context.retry.runBlocking(logger: context.logger, operation: "sum up run") { _ in
            try UploadTotals.forRun(context.runID, on: connections.connection())
        }
        let left = try context.retry.runBlocking(logger: context.logger, operation: "sum up run") { _ in
            try connections.connection().query(
                """
                SELECT coalesce((summary ->> 'files_unreadable')::bigint, 0)
                       + coalesce((summary ->> 'files_skipped')::bigint, 0),
                       coalesce((summary ->> 'files_failed')::bigint, 0)
                  FROM driftline.stage_runs WHERE run_id = $1 AND stage = $2
                """,
                [String(context.runID), Self.name],
                operation: "sum up run"
            ).first
        }
        let filesLoaded = totals.filesLoaded
        let filesRejected = totals.filesRejected
        let rowsRead = totals.rowsRead
        let rowsLoaded = totals.rowsLoaded
        let rowsRejected = totals.rowsRejected
        let rowsStale = totals.rowsStale
        // Inbox entries that could not be taken (unreadable, a directory, outside a customer folder).
        let filesLeft = left?[0].flatMap { Int64($0) } ?? 0
        // Uploads parked after failing `max_attempts` times.
        let filesFailed = left?[1].flatMap { Int64($0) } ?? 0
        var headline: SafeMessage = "files loaded \(filesLoaded), rejected \(filesRejected)"
        if filesFailed > 0 { headline = "\(headline), failed \(filesFailed)" }
        if filesLeft > 0 { headline = "\(headline), left in the inbox \(filesLeft)" }
        headline = "\(headline), rows read \(rowsRead), loaded \(rowsLoaded), rejected \(rowsRejected)"
        if rowsStale > 0 { headline = "\(headline), stale \(rowsStale)" }
        return StageOutcome(
            verdict: filesFailed > 0 ? .uploadsFailed : filesRejected > 0 || filesLeft > 0 ? .dataRejected : .ok,
            summary: [
                "files_loaded": filesLoaded, "files_rejected": filesRejected, "files_left": filesLeft,
                "files_failed": filesFailed,
                "rows_read": rowsRead, "rows_loaded": rowsLoaded, "rows_rejected": rowsRejected,
                "rows_stale": rowsStale,
            ],
            headline: headline
        )
    }

    private func load(_ context: StageContext, connections: ConnectionProvider) throws {
        let config = context.config
        let logger = context.logger
        // Survives a database restart mid-load (see RetryBudget.swift; DRIFTLINE_RETRY_SECONDS).
        let retry = RetryPolicy.forLoads(context.retry)
        // Rules compile once per run, before any file is touched; the as-of date is the run's.
        let groups = try CPTGroups.load(
            from: URL(fileURLWithPath: config.rules).appendingPathComponent("cpt_groups.yaml")
        )
        let rules = try RuleBook.load(directory: URL(fileURLWithPath: config.rules), groups: groups, asOf: context.asOf)
        logger.info("rules compiled", metadata: ["rules": .safe(rules.count)])
        // Profiles are read strictly before any file is touched: a typo stops the run (exit 78).
        let profiles = try CustomerProfiles.load(directory: CustomerProfile.directory(besidePipelineFile: config.file))
        var scan = try InboxScanner(inbox: config.inbox, settleSeconds: config.settleSeconds).scan()
        if settings.completion == .doneMarker {
            // `<file>.done` says `<file>` is complete: markers are not uploads, and a file without one waits.
            let markers = Set(scan.candidates.map(\.path).filter { $0.hasSuffix(Self.doneMarkerSuffix) })
            var waiting = 0
            scan.candidates.removeAll { candidate in
                if markers.contains(candidate.path) { return true }
                if markers.contains(candidate.path + Self.doneMarkerSuffix) { return false }
                waiting += 1
                return true
            }
            if waiting > 0 {
                logger.info(
                    "files without their .done marker, left for a later run",
                    metadata: ["files": .safe(waiting)]
                )
            }
        }
        // Only uploads are uploads: anything else in a customer folder is filed as rejected, unread.
        let (uploads, notUploads) = scan.candidates.reduce(
            into: ([InboxScanner.Candidate](), [InboxScanner.Candidate]())
        ) {
            if profiles.profile(for: $1.customerID).acceptsUpload(named: $1.fileName) {
                $0.0.append($1)
            } else {
                $0.1.append($1)
            }
        }
        scan.candidates = uploads
        for problem in scan.problems {
            logger.warning(
                "inbox entry skipped",
                metadata: ["path": .safe(SafeText(inboxName: problem.path)), "reason": .safe(problem.message)]
            )
        }
        if !scan.unsettled.isEmpty {
            logger.info("files still settling, left for a later run", metadata: ["files": .safe(scan.unsettled.count)])
        }
        var counters: [String: Int64] = ["files_skipped": Int64(scan.problems.count)]
        for candidate in notUploads {
            fileNotAnUpload(candidate, profile: profiles.profile(for: candidate.customerID), context: context)
            counters["files_skipped", default: 0] += 1
        }
        let scope = InboxQueue.Scope(pipeline: config.name, inbox: config.inbox)
        removeOrphanedReports(config, scope: scope, context: context, connections: connections)

        // 1. Register what is in the inbox (content-addressed, so concurrent workers agree).
        for candidate in scan.candidates {
            let sha256: String
            do { sha256 = try FileDigest.sha256(path: candidate.path) } catch {
                logger.error(
                    "cannot read upload, left in place",
                    metadata: ["file": .safe(SafeText(inboxName: candidate.path)), "reason": .safe(error.message)]
                )
                counters["files_unreadable", default: 0] += 1
                continue
            }
            let registration = try retry.runBlocking(logger: logger, operation: "register upload") { _ in
                let connection = try connections.connection()
                return try connection.withTenant(candidate.customerID) {
                    try InboxQueue.register(
                        candidate,
                        sha256: sha256,
                        scope: scope,
                        runID: context.runID,
                        on: connection
                    )
                }
            }
            var done: (fileID: Int64?, uploadID: Int64?, loaded: Bool)?
            switch registration {
            case .queued, .alreadyQueued: break
            case .alreadyLoaded(let fileID, let uploadID): done = (fileID, uploadID, true)
            case .rejectedBefore(let fileID, let uploadID):
                if FileManager.default.fileExists(atPath: stagedReports(config, fileID: fileID)) {
                    // Rejected, but a killed run (or a failed move) left it unfiled: file it now.
                    done = (fileID, uploadID, false)
                } else {
                    // Dropped again after its rejection: the same bytes are tried again, with today's rules.
                    try retry.runBlocking(logger: logger, operation: "queue again") { _ in
                        let connection = try connections.connection()
                        try connection.withTenant(candidate.customerID) {
                            try InboxQueue.requeue(
                                fileID: fileID,
                                fileName: candidate.fileName,
                                size: candidate.size,
                                runID: context.runID,
                                on: connection
                            )
                        }
                    }
                    logger.notice(
                        "upload rejected before and dropped again: loading it again",
                        metadata: ["file": .safe(SafeText(inboxName: candidate.path)), "upload": .safe(uploadID ?? 0)]
                    )
                }
            }
            if let (fileID, uploadID, loaded) = done {
                let status: LoadOutcome.Status = loaded ? .loaded : .rejected
                let folder =
                    loaded
                    ? archiveFolder(config.archive, candidate.customerID, context.asOf)
                    : (config.rejected as NSString).appendingPathComponent(candidate.customerID)
                // A run killed between commit and filing left this upload's reports staged.
                var moved: String?
                do {
                    moved = try fileUpload(
                        candidate.path,
                        into: folder,
                        reports: fileID.map { stagedReports(config, fileID: $0) }
                    ).moved
                    removeDoneMarker(of: candidate.path)
                } catch {
                    logger.error(
                        "could not move the upload out of the inbox, left in place",
                        metadata: [
                            "file": .safe(SafeText(inboxName: candidate.path)), "error": .safe(Self.describe(error)),
                        ]
                    )
                    counters["files_skipped", default: 0] += 1
                }
                logger.notice(
                    "upload already processed, not loaded again",
                    metadata: [
                        "file": .safe(SafeText(inboxName: candidate.path)), "upload": .safe(uploadID ?? 0),
                        "status": .safe(status), "moved_to": .safe(SafeText(inboxName: moved ?? "-")),
                    ]
                )
                counters["files_duplicate", default: 0] += 1
            }
        }
        _ = try retry.runBlocking(logger: logger, operation: "record scan") { _ in
            try RunStore.addToSummary(runID: context.runID, stage: name, counters, on: connections.connection())
        }
        CrashPoint.reach("load.after_scan")

        // 2. Claim and load queued files one by one until the queue is empty.
        var loader = UploadLoader(rules: rules, groups: groups, maxRejectRate: config.maxRejectRate, logger: logger)
        loader.maxBytes = settings.maxBytes
        loader.maxRows = settings.maxRows
        loader.maxStoredRejects = settings.maxStoredRejects
        do {
            while true {
                let done = try retry.runBlocking(logger: logger, operation: "load upload") { _ in
                    try loadNext(
                        loader: loader,
                        profiles: profiles,
                        scope: scope,
                        context: context,
                        connections: connections
                    )
                }
                if !done { break }
            }
        } catch let error as FileSystemError {
            // Staging the reports failed (the upload's transaction rolled back): name the path and errno.
            logger.error("file system error, stage stopped", metadata: ["error": .safe(error)])
            throw error
        }
    }

    /// `completion: done_marker`: `<file>.done` beside an upload says it is complete.
    static let doneMarkerSuffix = ".done"

    /// Removes an upload's `.done` marker once the upload left the inbox (`completion: done_marker`).
    private func removeDoneMarker(of path: String) {
        guard settings.completion == .doneMarker, !FileManager.default.fileExists(atPath: path) else { return }
        try? FileManager.default.removeItem(atPath: path + Self.doneMarkerSuffix)
    }

    /// A failure safe to log: a ``FileSystemError`` (path, errno) as it is, anything else by its type.
    package static func describe(_ error: any Error) -> SafeText {
        SafeText(code: (error as? FileSystemError)?.description ?? "\(type(of: error))")
    }

    private func staging(_ config: PipelineConfig) -> String {
        (config.rejected as NSString).appendingPathComponent(".staging")
    }

    /// Reports of an upload are written to `rejected/.staging/<file id>/` inside its transaction and
    /// filed beside the upload after the commit. The folder is keyed by the queue entry, so a load
    /// that is retried overwrites it, and a run killed after the commit finds it again when the
    /// file shows up as already processed.
    private func stagedReports(_ config: PipelineConfig, fileID: Int64) -> String {
        (staging(config) as NSString).appendingPathComponent(String(fileID))
    }

    /// Staged reports whose upload is done and no longer in the inbox: filed beside the upload when a
    /// run was killed after filing it (the staged folder says where it went), otherwise removed: they
    /// hold raw rows (the reject report) and nothing will claim them.
    private func removeOrphanedReports(
        _ config: PipelineConfig,
        scope: InboxQueue.Scope,
        context: StageContext,
        connections: ConnectionProvider
    ) {
        let folder = staging(config)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        let ids = names.compactMap { Int64($0) }
        // Every customer's queue entries (paths only): read as driftline_bulk, which may see the queue.
        guard !ids.isEmpty, let connection = try? connections.connection(),
            let rows = try? connection.transaction({
                try connection.asBulkLoader {
                    try connection.query(
                        """
                        SELECT file_id, customer_id, file_name FROM driftline.inbox_files
                         WHERE state <> 'queued' AND file_id = ANY($1::bigint[])
                        """,
                        ["{" + ids.map(String.init).joined(separator: ",") + "}"],
                        operation: "find orphaned reports"
                    )
                }
            })
        else { return }
        var removed = 0
        var filed = 0
        for row in rows.rows
        where !FileManager.default.fileExists(atPath: scope.path(customer: row[1]!, fileName: row[2]!)) {
            let staged = (folder as NSString).appendingPathComponent(row[0]!)
            if let upload = filedAs(staged) {
                moveStagedReports(from: staged, besides: upload)
                filed += 1
            } else if (try? FileManager.default.removeItem(atPath: staged)) != nil {
                removed += 1
            }
        }
        if filed > 0 {
            context.logger.notice(
                "filed the staged reports of uploads a killed run had filed without them",
                metadata: ["uploads": .safe(filed)]
            )
        }
        if removed > 0 {
            context.logger.notice(
                "removed staged reports of uploads no longer in the inbox",
                metadata: ["uploads": .safe(removed)]
            )
        }
    }

    /// Where the upload of the staged reports in `staged` was filed, if it was and is still there.
    private func filedAs(_ staged: String) -> String? {
        let marker = (staged as NSString).appendingPathComponent(Self.filedAsMarker)
        guard let data = FileManager.default.contents(atPath: marker) else { return nil }
        let path = String(decoding: data, as: UTF8.self)
        var info = stat()
        guard path.hasPrefix("/"), lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return path
    }

    /// In a staged folder: the absolute path the upload is being filed at.
    private static let filedAsMarker = "filed_as"

    /// Moves the upload out of the inbox, then its staged reports beside it. The staged folder first
    /// records where the upload goes, so a run killed in between files the reports on its next run
    /// instead of removing them as orphans.
    @discardableResult
    private func fileUpload(
        _ path: String,
        into folder: String,
        reports: String?
    ) throws -> (
        moved: String, rejects: String?
    ) {
        let name = (path as NSString).lastPathComponent
        if let reports, FileManager.default.fileExists(atPath: reports) {
            let target = URL(fileURLWithPath: FileMover.uniquePath(in: folder, name: name)).path
            try FileMover.writeAtomically(
                Data(target.utf8),
                to: (reports as NSString).appendingPathComponent(Self.filedAsMarker)
            )
            let moved = try FileMover.move(path, into: folder, name: (target as NSString).lastPathComponent)
            CrashPoint.reach("load.after_filing")
            return (moved, moveStagedReports(from: reports, besides: moved))
        }
        return (try FileMover.move(path, into: folder), nil)
    }

    /// Files the staged reports beside the upload at `uploadPath`; returns the reject report's path if any.
    @discardableResult
    private func moveStagedReports(from folder: String, besides uploadPath: String) -> String? {
        let manager = FileManager.default
        guard manager.fileExists(atPath: folder) else { return nil }
        let destination = (uploadPath as NSString).deletingLastPathComponent
        let name = (uploadPath as NSString).lastPathComponent
        var rejects: String?
        for suffix in ["rejects.csv", "report.json", "report.html"] {
            let staged = (folder as NSString).appendingPathComponent(suffix)
            guard manager.fileExists(atPath: staged) else { continue }
            let target = FileMover.uniquePath(in: destination, name: name + "." + suffix)
            if (try? manager.moveItem(atPath: staged, toPath: target)) != nil, suffix == "rejects.csv" {
                rejects = target
            }
        }
        try? manager.removeItem(atPath: folder)
        return rejects
    }

    private func archiveFolder(_ root: String, _ customer: String, _ day: Int32) -> String {
        ((root as NSString).appendingPathComponent(customer) as NSString).appendingPathComponent(CivilDate.format(day))
    }

    /// Moves a file that is not an upload (by its name: not `.csv`/`.csv.zst`, nor a name the customer's
    /// profile declares) to `rejected/<customer>/`, unread, with a reject report saying why.
    private func fileNotAnUpload(_ candidate: InboxScanner.Candidate, profile: CustomerProfile, context: StageContext) {
        let folder = (context.config.rejected as NSString).appendingPathComponent(candidate.customerID)
        let message = SafeMessage(
            trusted: "not an upload: a customer folder takes files named "
                + profile.uploadExtensions.map { "*" + $0 }.joined(separator: ", ")
        )
        do {
            let moved = try FileMover.move(candidate.path, into: folder)
            let report = try RejectReportWriter(
                path: FileMover.uniquePath(in: folder, name: (moved as NSString).lastPathComponent + ".rejects.csv")
            )
            try report.add(
                finding: Finding(line: 0, column: nil, ruleID: "upload.file_type", severity: .error, message: message)
            )
            try report.close()
            context.logger.warning(
                "not an upload, moved to rejected",
                metadata: [
                    "file": .safe(SafeText(inboxName: candidate.path)), "moved_to": .safe(SafeText(inboxName: moved)),
                    "reason": .safe(message),
                ]
            )
        } catch {
            context.logger.error(
                "not an upload, and it could not be moved: left in place",
                metadata: ["file": .safe(SafeText(inboxName: candidate.path)), "reason": .safe(message)]
            )
        }
    }

    /// Claims and loads one queued file; `false` when the queue is empty.
    ///
    /// A database error while loading it that is not the connection going away is the upload's, not the
    /// database's: the attempt is recorded on its queue entry and the entry parked after `max_attempts`.
    private func loadNext(
        loader: UploadLoader,
        profiles: CustomerProfiles,
        scope: InboxQueue.Scope,
        context: StageContext,
        connections: ConnectionProvider
    ) throws -> Bool {
        let connection = try connections.connection()
        let config = context.config
        var claimed: InboxQueue.Entry?
        let result: (InboxQueue.Entry, LoadOutcome?)?
        do {
            result = try connection.transaction {
                // The queue holds every customer's files: claimed as driftline_bulk, then the transaction is the
                // claimed file's customer's (driftline_loader, under RLS) except for the COPY statements.
                guard
                    var entry = try connection.asBulkLoader({
                        try InboxQueue.claimNext(scope: scope, on: connection)
                    })
                else { return nil }
                try connection.enterTenant(entry.file.customerID)
                claimed = entry
                entry.file.profile = profiles.profile(for: entry.file.customerID)
                guard FileManager.default.fileExists(atPath: entry.file.path) else {
                    // Nothing of it stays queued or done: the same bytes dropped again load as new.
                    try InboxQueue.forget(entry, on: connection)
                    return (entry, nil)
                }
                return (entry, try load(entry, loader: loader, context: context, on: connection))
            }
        } catch is UploadChanged {
            try retry(context).runBlocking(logger: context.logger, operation: "forget changed upload") { _ in
                let connection = try connections.connection()
                try connection.withTenant(claimed!.file.customerID) {
                    try InboxQueue.forget(claimed!, on: connection)
                }
                try RunStore.addToSummary(
                    runID: context.runID,
                    stage: name,
                    ["files_changed": 1],
                    on: connections.connection()
                )
            }
            try? FileManager.default.removeItem(atPath: stagedReports(config, fileID: claimed!.fileID))
            context.logger.notice(
                "upload changed while it was loaded: rolled back, left for the next run",
                metadata: ["file": .safe(SafeText(inboxName: claimed!.file.path))]
            )
            return true
        } catch let error as PostgresError where claimed != nil && !error.isDatabaseUnavailable {
            try recordFailure(claimed!, error: error, context: context, connections: connections)
            return true
        }
        guard let (entry, outcome) = result else { return false }
        guard let outcome else {
            context.logger.warning(
                "queued upload vanished from the inbox: forgotten, it loads when it comes back",
                metadata: ["file": .safe(SafeText(inboxName: entry.file.path))]
            )
            return true
        }
        CrashPoint.reach("load.after_commit")
        file(
            entry: entry,
            outcome: outcome,
            reports: stagedReports(config, fileID: entry.fileID),
            context: context,
            connections: connections
        )
        context.progress?.rowsRead(outcome.rowsRead)
        context.progress?.fileDone(bytes: outcome.bytes)
        return true
    }

    /// Loads a claimed entry in the caller's transaction and stages its reports.
    private func load(
        _ entry: InboxQueue.Entry,
        loader: UploadLoader,
        context: StageContext,
        on connection: PGConnection
    ) throws -> LoadOutcome {
        let reports = stagedReports(context.config, fileID: entry.fileID)
        try? FileManager.default.removeItem(atPath: reports)  // from an attempt that rolled back
        try FileMover.makeDirectory(reports)
        let rejectsPath = (reports as NSString).appendingPathComponent("rejects.csv")
        let rejectReport = try RejectReportWriter(path: rejectsPath)
        rejectReport.maxLines = settings.maxReportRejects
        var logger = context.logger
        logger[metadataKey: "upload.file"] = .safe(SafeText(inboxName: entry.file.fileName))
        logger[metadataKey: "customer"] = .safe(SafeText(inboxName: entry.file.customerID))
        var loaderForFile = loader
        loaderForFile.logger = logger
        var file = entry.file
        // One descriptor for every pass; a file that cannot be opened is rejected by the loader.
        file.opened = try? OpenedUpload(path: file.path)
        let outcome = try loaderForFile.load(file, runID: context.runID, rejectReport: rejectReport, on: connection)
        // The bytes loaded must be the bytes registered, and the file must not have changed meanwhile:
        // otherwise roll back and leave it for the next run, which registers what it finds then.
        if let opened = file.opened {
            CrashPoint.reach("load.before_verify")
            let loaded = try? opened.finish()
            guard loaded == file.sha256, opened.isUnchanged else { throw UploadChanged() }
        }
        try rejectReport.close()
        if rejectReport.rowsWritten == 0 {
            try? FileManager.default.removeItem(atPath: rejectsPath)
        }
        // The validation report (positions and rules only), staged before the commit it describes.
        try FileMover.writeAtomically(
            Data(outcome.report.renderJSON().utf8),
            to: (reports as NSString).appendingPathComponent("report.json")
        )
        try FileMover.writeAtomically(
            Data(outcome.report.renderHTML().utf8),
            to: (reports as NSString).appendingPathComponent("report.html")
        )
        try InboxQueue.complete(entry, uploadID: outcome.uploadID, on: connection)
        var counters: [String: Int64] = [
            "rows_read": Int64(outcome.rowsRead), "rows_loaded": Int64(outcome.rowsLoaded),
            "rows_rejected": Int64(outcome.rowsRejected), "rows_stale": Int64(outcome.rowsStale),
            "rows_updated": Int64(outcome.rowsUpdated), "rows_unchanged": Int64(outcome.rowsUnchanged),
            "bytes": outcome.bytes,
        ]
        counters[outcome.status == .loaded ? "files_loaded" : "files_rejected"] = 1
        try RunStore.addToSummary(runID: context.runID, stage: name, counters, on: connection)
        return outcome
    }

    private func retry(_ context: StageContext) -> RetryPolicy { RetryPolicy.forLoads(context.retry) }

    /// The file changed (size, modification time, identity or bytes) while it was loaded.
    private struct UploadChanged: Error {}

    /// Records a failed attempt on the entry (its transaction rolled back); parks it after
    /// `max_attempts`: filed under `rejected/<customer>/` with a report naming the error's SQLSTATE.
    private func recordFailure(
        _ entry: InboxQueue.Entry,
        error: PostgresError,
        context: StageContext,
        connections: ConnectionProvider
    ) throws {
        let reason = error.safeSummary
        let retry = RetryPolicy.forLoads(context.retry)
        let (attempts, parked) = try retry.runBlocking(logger: context.logger, operation: "record failed attempt") {
            _ in
            let connection = try connections.connection()
            return try connection.withTenant(entry.file.customerID) {
                let result = try InboxQueue.recordFailure(
                    fileID: entry.fileID,
                    error: reason.description,
                    maxAttempts: settings.maxAttempts,
                    on: connection
                )
                if result.parked {
                    try RunStore.addToSummary(runID: context.runID, stage: name, ["files_failed": 1], on: connection)
                }
                return result
            }
        }
        try? FileManager.default.removeItem(atPath: stagedReports(context.config, fileID: entry.fileID))
        let metadata: Logger.Metadata = [
            "file": .safe(SafeText(inboxName: entry.file.path)),
            "customer": .safe(SafeText(inboxName: entry.file.customerID)),
            "error": .safe(reason), "attempts": .safe(attempts), "max_attempts": .safe(settings.maxAttempts),
        ]
        guard parked else {
            context.logger.warning("upload failed to load, trying again", metadata: metadata)
            return
        }
        var filed = metadata
        let folder = (context.config.rejected as NSString).appendingPathComponent(entry.file.customerID)
        let message: SafeMessage = "the upload failed to load \(attempts) times (\(reason)): parked as failed"
        do {
            let moved = try FileMover.move(entry.file.path, into: folder)
            let report = try RejectReportWriter(
                path: FileMover.uniquePath(in: folder, name: (moved as NSString).lastPathComponent + ".rejects.csv")
            )
            try report.add(
                finding: Finding(line: 0, column: nil, ruleID: "upload.failed", severity: .error, message: message)
            )
            try report.close()
            filed["moved_to"] = .safe(SafeText(inboxName: moved))
            removeDoneMarker(of: entry.file.path)
        } catch {
            filed["moved_to"] = "-"
            filed["move_error"] = .safe(Self.describe(error))
        }
        context.logger.error("upload failed to load and was parked as failed", metadata: filed)
    }

    /// Moves the upload (and its reject report) out of the inbox after its transaction committed.
    private func file(
        entry: InboxQueue.Entry,
        outcome: LoadOutcome,
        reports: String,
        context: StageContext,
        connections: ConnectionProvider
    ) {
        let config = context.config
        let customer = entry.file.customerID
        let folder =
            outcome.status == .loaded
            ? archiveFolder(config.archive, customer, context.asOf)
            : (config.rejected as NSString).appendingPathComponent(customer)
        var metadata: Logger.Metadata = [
            "upload": .safe(outcome.uploadID), "customer": .safe(SafeText(inboxName: customer)),
            "file": .safe(SafeText(inboxName: entry.file.fileName)), "status": .safe(outcome.status),
            "rows.read": .safe(outcome.rowsRead), "rows.loaded": .safe(outcome.rowsLoaded),
            "rows.rejected": .safe(outcome.rowsRejected), "rows.warned": .safe(outcome.rowsWarned),
            "rows.stale": .safe(outcome.rowsStale), "rows.updated": .safe(outcome.rowsUpdated),
            "rows.unchanged": .safe(outcome.rowsUnchanged),
        ]
        if let ignored = outcome.unknownColumnsSummary { metadata["columns.ignored"] = .safe(ignored) }
        do {
            let (moved, rejects) = try fileUpload(entry.file.path, into: folder, reports: reports)
            metadata["moved_to"] = .safe(SafeText(inboxName: moved))
            if let rejects { metadata["report"] = .safe(SafeText(inboxName: rejects)) }
            removeDoneMarker(of: entry.file.path)
        } catch {
            context.logger.error(
                "could not move the upload out of the inbox, left in place",
                metadata: ["file": .safe(SafeText(inboxName: entry.file.path)), "error": .safe(Self.describe(error))]
            )
            // Loaded, but still in the inbox: the run says so (exit 65); the next run files it.
            _ = try? RetryPolicy.forLoads(context.retry).runBlocking(
                logger: context.logger,
                operation: "record unfiled upload"
            ) { _ in
                try RunStore.addToSummary(
                    runID: context.runID,
                    stage: name,
                    ["files_skipped": 1],
                    on: connections.connection()
                )
            }
        }
        if let error = outcome.error {
            metadata["reason"] = .safe(error.kind)
            if let line = error.line { metadata["line"] = .safe(line) }
            if let column = error.column { metadata["column"] = .safe(column) }
            metadata["error"] = .safe(error.message)
            context.logger.error("upload rejected", metadata: metadata)
        } else {
            context.logger.info("upload loaded", metadata: metadata)
        }
    }
}
