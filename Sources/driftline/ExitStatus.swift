import DriftlineCore
import DriftlinePipeline

/// How a command ended, in sysexits terms (documented in the README).
enum ExitStatus: Int32, Sendable, LogSafe {
    case ok = 0
    /// A file was rejected as a whole (row rejects alone do not count), or an upload failed to load
    /// `max_attempts` times and was parked (the database is up: it refused this upload).
    case dataRejected = 65
    /// The database is unreachable (the inbox is left untouched).
    case databaseUnavailable = 69
    /// Internal failure.
    case software = 70
    /// Another run of this pipeline holds the lock.
    case locked = 75
    /// A notification was dead-lettered or could not be delivered (sysexits' EX_PROTOCOL: the remote side).
    case undelivered = 76
    /// Bad configuration: pipeline, rules or CPT group files.
    case configuration = 78

    /// The exit code of a run's outcome.
    init(_ status: RunStatus) {
        switch status {
        case .finished(.ok): self = .ok
        case .finished(.dataRejected): self = .dataRejected
        case .finished(.uploadsFailed): self = .dataRejected
        case .finished(.undelivered): self = .undelivered
        case .failed(.configuration): self = .configuration
        case .failed(.data): self = .dataRejected
        case .failed(.databaseUnavailable): self = .databaseUnavailable
        case .failed(.locked): self = .locked
        case .failed(.internalError): self = .software
        }
    }

    var description: String { String(rawValue) }
}
