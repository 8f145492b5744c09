import DriftlineCore

/// A finished stage's contribution to the run's status; the run takes the worst of its stages'.
/// The command line maps it to an exit code.
package enum StageVerdict: Int, Sendable, Comparable, Codable, LogSafe {
    /// Everything the stage had to do was done.
    case ok = 0
    /// Data was refused: a file rejected as a whole, or an inbox entry that could not be taken.
    case dataRejected = 1
    /// An upload failed to load `max_attempts` times (a database error that is not the database being
    /// unavailable) and was parked as `failed`; the stage went on with the other files.
    case uploadsFailed = 2
    /// A notification was dead-lettered (the deliver stage): `alerts redeliver` replays it.
    case undelivered = 3

    /// How bad, for "the worst of the stages' verdicts": a refused upload outranks an undelivered alert.
    private var rank: Int {
        switch self {
        case .ok: 0
        case .undelivered: 1
        case .dataRejected: 2
        case .uploadsFailed: 3
        }
    }

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

    package var description: String {
        switch self {
        case .ok: "ok"
        case .dataRejected: "data_rejected"
        case .uploadsFailed: "uploads_failed"
        case .undelivered: "undelivered"
        }
    }
}
