import DriftlineCore

/// How a run ended: its stages finished (with the worst of their verdicts), or it failed.
package enum RunStatus: Sendable, Equatable, LogSafe {
    case finished(StageVerdict)
    case failed(RunFailure)

    /// Every stage finished and every verdict was ok.
    package static var ok: RunStatus { .finished(.ok) }

    package var description: String {
        switch self {
        case .finished(let verdict): verdict.description
        case .failed(let failure): failure.description
        }
    }
}
