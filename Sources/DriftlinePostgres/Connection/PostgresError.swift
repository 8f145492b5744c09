import DriftlineCore

/// A PostgreSQL failure, reduced to what cannot quote a row: the SQLSTATE, the constraint name and,
/// for COPY, the line number. Server message text (which echoes values in `DETAIL` and `CONTEXT`) is
/// never read.
package struct PostgresError: Error, LogSafe {
    package enum Kind: String, Sendable, LogSafe {
        case connectionFailed = "connection_failed"
        case connectionLost = "connection_lost"
        case queryFailed = "query_failed"
        case copyFailed = "copy_failed"
        package var description: String { rawValue }
    }

    package var kind: Kind
    /// Five-character SQLSTATE, when the server sent one.
    package var sqlState: String?
    package var constraint: String?
    /// The COPY input line the server complained about (parsed from `CONTEXT`, the rest dropped).
    package var copyLine: Int?
    /// For connection failures: libpq's own text (host, socket, reason — no row data).
    package var detail: String?
    /// What the statement was for (from code: "merge claims", "create staging table").
    package var operation: String

    package init(
        _ kind: Kind,
        sqlState: String? = nil,
        constraint: String? = nil,
        copyLine: Int? = nil,
        detail: String? = nil,
        operation: String
    ) {
        self.kind = kind
        self.sqlState = sqlState
        self.constraint = constraint
        self.copyLine = copyLine
        self.detail = detail
        self.operation = operation
    }

    /// Worth retrying: the same work may succeed on another attempt.
    package var isTransient: Bool {
        switch kind {
        case .connectionFailed, .connectionLost: return true
        case .queryFailed, .copyFailed:
            guard let sqlState else { return false }
            // 40001 serialization, 40P01 deadlock, 55P03 lock not available, 57014 statement/lock timeout,
            // 08xxx connection exceptions, 57P01..57P03 admin shutdown / cannot connect now, 53xxx resources,
            // 25006 read-only transaction (connected to a standby, e.g. after a failover: the primary is
            // unavailable; the connection is dropped so the retry reconnects).
            return sqlState == "40001" || sqlState == "40P01" || sqlState == "55P03" || sqlState == "57014"
                || sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") || sqlState.hasPrefix("53")
                || isReadOnlyTransaction
        }
    }

    package var isUniqueViolation: Bool { sqlState == "23505" }

    /// `lock_timeout` expired (55P03 lock_not_available).
    package var isLockTimeout: Bool { sqlState == "55P03" }

    /// `25006` read_only_sql_transaction: the server is a standby (a failover moved the primary).
    package var isReadOnlyTransaction: Bool { sqlState == "25006" }

    package var description: String {
        var text = "PostgreSQL \(kind) during \(operation)"
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let constraint { text += " constraint \(constraint)" }
        if let copyLine { text += " at COPY line \(copyLine)" }
        if let detail { text += ": \(detail)" }
        return text
    }
}
