import CLibPQ
import DriftlineCore

/// A libpq connection owned by one task at a time.
///
/// Errors keep only SQLSTATE, constraint and COPY line (see ``PostgresError``); server messages,
/// which quote row values, are never read. Statements and identifiers come from code, never uploads;
/// values travel as parameters or COPY data.
package final class PGConnection {
    private let handle: OpaquePointer

    package init(url: String) throws(PostgresError) {
        guard let handle = PQconnectdb(url) else {
            throw PostgresError(.connectionFailed, detail: "out of memory", operation: "connect")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let detail = Self.connectionMessage(handle)
            PQfinish(handle)
            throw PostgresError(.connectionFailed, detail: detail, operation: "connect")
        }
        // Server text can quote values: ask for the least and never surface it anyway.
        PQsetErrorVerbosity(handle, PQERRORS_SQLSTATE)
        // libpq's default notice processor prints notices and asynchronous errors ("WARNING:  57P01"
        // when the server shuts down) straight to stderr, breaking the one-event-per-line log.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        self.handle = handle
        // temp_buffers before any temporary table is touched: the merge path's staging table then stays
        // in memory instead of being written out through an 8 MB buffer.
        try execute("SET client_min_messages = warning; SET temp_buffers = '256MB'", operation: "configure session")
    }

    deinit { PQfinish(handle) }

    /// libpq's connection error, first line only (reason, host/socket): no row data can be in it.
    private static func connectionMessage(_ handle: OpaquePointer) -> String {
        let text = PQerrorMessage(handle).map { String(cString: $0) } ?? "unknown"
        return text.split(separator: "\n").first.map(String.init) ?? "unknown"
    }

    /// A connection to a standby (it refused a write with `25006`) is not worth keeping: after a
    /// failover, a new connection reaches the new primary.
    private var connectedToStandby = false
    /// A statement failed without a SQLSTATE: libpq itself gave up on the connection (after a server
    /// restart the socket is dead while `PQstatus` still says OK). Not worth keeping either.
    private var lost = false
    /// Whether the session user may take `driftline_loader` and `driftline_bulk` (`SET ROLE`); asked once.
    var pipelineRolesAvailable: Bool?

    package var isHealthy: Bool { PQstatus(handle) == CONNECTION_OK && !connectedToStandby && !lost }

    /// A connection option as libpq resolved it (`sslmode`, `host`, …; defaults included).
    package func connectionOption(_ keyword: String) -> String? {
        guard let options = PQconninfo(handle) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let name = option.pointee.keyword {
            if String(cString: name) == keyword { return option.pointee.val.map { String(cString: $0) } }
            option += 1
        }
        return nil
    }

    /// Whether the connection goes over a unix socket (no network between client and server).
    package var usesUnixSocket: Bool {
        guard let host = PQhost(handle).map({ String(cString: $0) }), !host.isEmpty else { return true }
        return host.hasPrefix("/") || host.hasPrefix("@")
    }

    /// The backend's process id (for tests that terminate it).
    package var backendPID: Int32 { PQbackendPID(handle) }

    // MARK: - Queries

    /// Runs a statement with text parameters; returns the rows as text (nil = SQL NULL).
    @discardableResult
    package func query(
        _ sql: String,
        _ parameters: [String?] = [],
        operation: String
    ) throws(PostgresError)
        -> PGRows
    {
        let result = withCStrings(parameters) { values in
            PQexecParams(handle, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        return try PGRows(checking: result, connection: self, operation: operation)
    }

    /// Runs one or more statements without parameters.
    package func execute(_ sql: String, operation: String) throws(PostgresError) {
        let result = PQexec(handle, sql)
        _ = try PGRows(checking: result, connection: self, operation: operation)
    }

    func error(from result: OpaquePointer?, kind: PostgresError.Kind, operation: String) -> PostgresError {
        guard PQstatus(handle) == CONNECTION_OK, result.flatMap(Self.sqlState) != nil else {
            // Every error the server sends has a SQLSTATE; one without is libpq's own: the connection.
            lost = true
            return PostgresError(.connectionLost, sqlState: result.flatMap(Self.sqlState), operation: operation)
        }
        guard let result else { return PostgresError(kind, operation: operation) }
        var copyLine: Int?
        if let context = clibpq_context(result) {
            // "COPY staging, line 12, column …: …" — keep the number, drop the rest (it quotes values).
            let text = String(cString: context)
            if let match = text.firstMatch(of: /line (\d+)/) { copyLine = Int(match.1) }
        }
        let sqlState = Self.sqlState(result)
        if sqlState == "25006" { connectedToStandby = true }
        return PostgresError(
            kind,
            sqlState: sqlState,
            constraint: clibpq_constraint(result).map { String(cString: $0) },
            copyLine: copyLine,
            operation: operation
        )
    }

    private static func sqlState(_ result: OpaquePointer) -> String? {
        clibpq_sqlstate(result).map { String(cString: $0) }
    }

    // MARK: - Transactions

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    package func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN", operation: "begin")
        do {
            let value = try body()
            try execute("COMMIT", operation: "commit")
            return value
        } catch {
            if PQstatus(handle) == CONNECTION_OK { try? execute("ROLLBACK", operation: "rollback") }
            throw error
        }
    }

    // MARK: - COPY

    /// Streams binary COPY data into `table`.
    ///
    /// - Important: `table` and `columns` come from code, never from an upload.
    /// - Returns: the number of rows the server stored.
    @discardableResult
    package func copyBinary(
        into table: String,
        columns: [String],
        operation: String,
        writeRows: (inout BinaryCopyWriter) throws -> Void
    ) throws -> Int {
        try beginCopy(into: table, columns: columns, operation: operation)
        var writer = BinaryCopyWriter(sink: .connection(self))
        do {
            try writeRows(&writer)
            try writer.finish()
        } catch {
            abortCopy()
            throw error
        }
        return try endCopy(operation: operation)
    }

    /// Sends a file of binary COPY data (written by a ``BinaryCopyWriter`` with a file sink, header and
    /// trailer included) into `table`, as it is.
    ///
    /// - Parameter descriptor: read from its start to its end; the caller owns it.
    /// - Important: `table` and `columns` come from code, never from an upload.
    /// - Returns: the number of rows the server stored.
    @discardableResult
    package func copyBinary(
        into table: String,
        columns: [String],
        file descriptor: Int32,
        operation: String
    ) throws(PostgresError) -> Int {
        try beginCopy(into: table, columns: columns, operation: operation)
        let chunk = 64 * 1024  // the COPY messages BinaryCopyWriter sends
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var offset: off_t = 0
        while true {
            let count = pread(descriptor, buffer, chunk, offset)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                abortCopy()
                throw PostgresError(.copyFailed, operation: "read a COPY spill file")
            }
            if count == 0 { break }
            do {
                try putCopyData(UnsafeRawBufferPointer(start: buffer, count: count))
            } catch {
                abortCopy()
                throw error
            }
            offset += off_t(count)
        }
        return try endCopy(operation: operation)
    }

    private func beginCopy(into table: String, columns: [String], operation: String) throws(PostgresError) {
        let sql = "COPY \(table) (\(columns.joined(separator: ", "))) FROM STDIN (FORMAT binary)"
        let start = PQexec(handle, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            let error = error(from: start, kind: .copyFailed, operation: operation)
            PQclear(start)
            throw error
        }
        PQclear(start)
    }

    /// Ends a COPY the client gave up on, with a fixed reason: the server logs it, so it must not quote anything.
    private func abortCopy() {
        _ = PQputCopyEnd(handle, "driftline aborted the load")
        drainResults()
    }

    private func endCopy(operation: String) throws(PostgresError) -> Int {
        guard PQputCopyEnd(handle, nil) == 1 else {
            drainResults()
            throw PostgresError(.connectionLost, operation: operation)
        }
        var failure: PostgresError?
        var stored = 0
        while let result = PQgetResult(handle) {
            if PQresultStatus(result) != PGRES_COMMAND_OK, failure == nil {
                failure = error(from: result, kind: .copyFailed, operation: operation)
            } else if let tuples = PQcmdTuples(result) {
                stored = Int(String(cString: tuples)) ?? 0
            }
            PQclear(result)
        }
        if let failure { throw failure }
        return stored
    }

    func putCopyData(_ bytes: UnsafeRawBufferPointer) throws(PostgresError) {
        guard bytes.count > 0 else { return }
        let status = PQputCopyData(
            handle,
            bytes.baseAddress!.assumingMemoryBound(to: CChar.self),
            Int32(bytes.count)
        )
        guard status == 1 else { throw PostgresError(.connectionLost, operation: "COPY data") }
    }

    private func drainResults() {
        while let result = PQgetResult(handle) { PQclear(result) }
    }
}

/// Text rows of a finished statement.
package struct PGRows: Sendable {
    package let rows: [[String?]]
    package let affected: Int

    init(checking result: OpaquePointer?, connection: PGConnection, operation: String) throws(PostgresError) {
        guard let result else { throw connection.error(from: nil, kind: .queryFailed, operation: operation) }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw connection.error(from: result, kind: .queryFailed, operation: operation)
        }
        var rows: [[String?]] = []
        let count = PQntuples(result)
        let fields = PQnfields(result)
        rows.reserveCapacity(Int(count))
        for row in 0..<count {
            var values: [String?] = []
            values.reserveCapacity(Int(fields))
            for field in 0..<fields {
                values.append(
                    PQgetisnull(result, row, field) == 1 ? nil : String(cString: PQgetvalue(result, row, field))
                )
            }
            rows.append(values)
        }
        self.rows = rows
        self.affected = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
    }

    package var first: [String?]? { rows.first }
    package var isEmpty: Bool { rows.isEmpty }

    /// The first column of the first row.
    package var scalar: String? { rows.first?.first ?? nil }
}

private func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let pointers: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers.map { $0.map { UnsafePointer($0) } })
}

#if canImport(Glibc)
import Glibc
#endif
