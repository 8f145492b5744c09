import DriftlineCore

/// A finished stage's contribution to the run's status; the run takes the worst of its stages'.
/// The command line maps it to an exit code.
package enum StageVerdict: Int, Sendable, Comparable, Codable, LogSafe {
    /// Everything the stage had to do was done.
    case ok = 0
    /// Data was refused: a file rejected as a whole, or an inbox entry that could not be taken.
    case dataRejected = 1

    package static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    package var description: String {
        switch self {
        case .ok: "ok"
        case .dataRejected: "data_rejected"
        }
    }
}
