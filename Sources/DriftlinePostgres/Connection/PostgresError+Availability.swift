import DriftlineCore

extension PostgresError {
    /// The database, not the statement: the connection is gone or refused, the server is shutting
    /// down, out of resources, or a standby (`25006`). Anything else failed this statement with the
    /// server up (a `statement_timeout`, a deadlock, a constraint): the work's own failure.
    package var isDatabaseUnavailable: Bool {
        switch kind {
        case .connectionFailed, .connectionLost: return true
        case .queryFailed, .copyFailed:
            guard let sqlState else { return false }
            return sqlState.hasPrefix("08") || sqlState.hasPrefix("57P") || sqlState.hasPrefix("53")
                || isReadOnlyTransaction
        }
    }

    /// The kind and SQLSTATE (`query_failed 57014`): what may be stored and logged about the failure,
    /// never the server's text.
    package var safeSummary: SafeText {
        let state = sqlState.flatMap { $0.wholeMatch(of: /[0-9A-Z]{5}/) != nil ? $0 : nil }
        return SafeText(code: state.map { "\(kind.rawValue) \($0)" } ?? kind.rawValue)
    }
}
