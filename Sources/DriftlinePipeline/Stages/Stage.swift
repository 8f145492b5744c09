import DriftlineCore

/// A checkpointed step of a pipeline, registered once in ``StageRegistry``.
///
/// A stage is a `Sendable` value built from its section of the pipeline file (``Settings``). The runner
/// checkpoints it, passes it a ``StageContext`` and combines its ``StageOutcome`` into the run's status
/// and summary; it knows nothing else about the stage.
///
/// Stages are idempotent: running one twice leaves the database as running it once does. Bad data is an
/// outcome (counters, ``StageVerdict/dataRejected``); throw only when the stage cannot finish.
///
/// Adding a stage: one file with a type conforming to `Stage` (and its `Settings` if it has any), and
/// one line in ``StageRegistry/standard``.
package protocol Stage: Sendable {
    /// What the stage reads from its section of the pipeline file; ``NoSettings`` when nothing.
    associatedtype Settings: StageSettings = NoSettings

    /// The name in `stages:`, in checkpoints and logs (from code, never from data).
    static var name: String { get }

    init(settings: Settings)

    /// The settings the stage was built with: recorded in the run's parameters for `resume`/`rerun`.
    var settings: Settings { get }

    /// Runs the stage. Blocking work belongs on a thread of the stage's own (``DedicatedThread``), so
    /// the runner's tasks stay free.
    ///
    /// - Returns: the stage's outcome for the whole run (including work an earlier, interrupted attempt
    ///   of the same run committed).
    func run(_ context: StageContext) async throws -> StageOutcome

    /// The outcome of this stage when it succeeded in an earlier process (a resumed run, or a rerun
    /// of other stages), from what it recorded. The default is an ``StageVerdict/ok`` outcome with
    /// no summary: override it when the stage's verdict or summary counts for the run.
    func recordedOutcome(checkpoint: [String: Int64], context: StageContext) async throws -> StageOutcome
}

extension Stage {
    package var name: String { Self.name }

    package func recordedOutcome(checkpoint: [String: Int64], context: StageContext) async throws -> StageOutcome {
        StageOutcome()
    }

    /// The stage as the section `node` of `file` configures it (`nil`: no section).
    static func configured(section node: YAMLNode?, file: String) throws(ConfigError) -> Self {
        let section = StageSection(stage: name, node: node, file: file)
        try section.checkKeys(Settings.keys)
        return Self(settings: try Settings(section: section))
    }
}
