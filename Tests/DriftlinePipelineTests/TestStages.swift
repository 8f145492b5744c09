import DriftlineCore
import DriftlinePipeline
import Synchronization

/// What the test stages do, set per test with `StageScript.$current.withValue(script) { … }`: which
/// stage fails (and how often), which verdict each returns; and what they were called with.
final class StageScript: Sendable {
    struct Call: Equatable {
        var stage: String
        var runID: Int64
        var asOf: Int32
        var settings: String
    }

    private struct State {
        var calls: [Call] = []
        var failures: [String: (times: Int, error: any Error & Sendable)] = [:]
        var verdicts: [String: StageVerdict] = [:]
    }

    @TaskLocal static var current = StageScript()

    private let state = Mutex(State())

    var calls: [Call] { state.withLock { $0.calls } }
    var stagesCalled: [String] { calls.map(\.stage) }

    func fail(_ stage: String, times: Int = 1, with error: any Error & Sendable) {
        state.withLock { $0.failures[stage] = (times, error) }
    }

    func verdict(_ stage: String, _ verdict: StageVerdict) {
        state.withLock { $0.verdicts[stage] = verdict }
    }

    /// A test stage's run: recorded, then failing or returning its outcome.
    func run(_ stage: String, settings: String, context: StageContext) throws -> StageOutcome {
        let verdict = try state.withLock { state throws -> StageVerdict in
            state.calls.append(Call(stage: stage, runID: context.runID, asOf: context.asOf, settings: settings))
            if let failure = state.failures[stage], failure.times > 0 {
                state.failures[stage] = (failure.times - 1, failure.error)
                throw failure.error
            }
            return state.verdicts[stage] ?? .ok
        }
        return StageOutcome(
            verdict: verdict,
            summary: [stage + "_runs": 1],
            headline: SafeMessage(trusted: stage + " done"),
            checkpoint: ["runs": 1, "verdict": Int64(verdict.rawValue)]
        )
    }
}

/// What the test stages recorded counts for a resumed run like a fresh outcome.
private func recorded(_ stage: String, _ checkpoint: [String: Int64]) -> StageOutcome {
    StageOutcome(
        verdict: StageVerdict(rawValue: Int(checkpoint["verdict"] ?? 0)) ?? .ok,
        summary: [stage + "_runs": checkpoint["runs"] ?? 0],
        headline: SafeMessage(trusted: stage + " recorded")
    )
}

struct AlphaStage: Stage {
    static let name = "alpha"
    let settings: NoSettings
    init(settings: NoSettings = NoSettings()) { self.settings = settings }

    func run(_ context: StageContext) async throws -> StageOutcome {
        try StageScript.current.run(Self.name, settings: "-", context: context)
    }

    func recordedOutcome(checkpoint: [String: Int64], context: StageContext) async throws -> StageOutcome {
        recorded(Self.name, checkpoint)
    }
}

struct BetaStage: Stage {
    static let name = "beta"
    let settings: NoSettings
    init(settings: NoSettings = NoSettings()) { self.settings = settings }

    func run(_ context: StageContext) async throws -> StageOutcome {
        try StageScript.current.run(Self.name, settings: "-", context: context)
    }

    func recordedOutcome(checkpoint: [String: Int64], context: StageContext) async throws -> StageOutcome {
        recorded(Self.name, checkpoint)
    }
}

/// A stage with settings, read from its section like the drift stage's windows.
struct GammaStage: Stage {
    struct Settings: StageSettings {
        var currentDays = 30
        var label = "all"
        var payers: [String] = []
        var dryRun = false

        static let keys = ["current_days", "label", "payers", "dry_run"]

        init(section: StageSection) throws(ConfigError) {
            currentDays = try section.integer("current_days", default: currentDays)
            label = try section.string("label", default: label)
            payers = try section.strings("payers", default: payers)
            dryRun = try section.bool("dry_run", default: dryRun)
            guard currentDays > 0 else {
                throw try section.invalid("current_days", "'current_days' must be at least 1")
            }
        }
    }

    static let name = "gamma"
    let settings: Settings
    init(settings: Settings) { self.settings = settings }

    func run(_ context: StageContext) async throws -> StageOutcome {
        try StageScript.current.run(
            Self.name,
            settings: "current_days=\(settings.currentDays) label=\(settings.label)",
            context: context
        )
    }
}

extension StageRegistry {
    static let test = StageRegistry([AlphaStage.self, BetaStage.self, GammaStage.self])
}
