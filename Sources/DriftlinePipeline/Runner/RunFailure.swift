import DriftlineCore

/// Why a run, resume or rerun stopped before its stages finished; the command line maps it to an
/// exit code.
package enum RunFailure: String, Sendable, LogSafe {
    /// Bad configuration: the pipeline file, rules, CPT groups, or an unusable run to resume.
    case configuration
    /// An upload could not be handled as data (not expected: the load stage records rejects as outcomes).
    case data
    /// The database is unreachable.
    case databaseUnavailable = "database_unavailable"
    /// Another run of the pipeline holds its lock.
    case locked
    /// Anything else.
    case internalError = "internal"

    package var description: String { rawValue }
}
