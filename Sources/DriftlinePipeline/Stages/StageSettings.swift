import DriftlineCore

/// A stage's settings: read strictly from its section of the pipeline file, recorded (as JSON) in the
/// run's parameters so that `resume` and `rerun` run the stage as the run started it.
package protocol StageSettings: Codable, Sendable, Equatable {
    /// The keys the section may hold; the registry refuses any other before ``init(section:)`` runs,
    /// so a stage cannot forget to be strict.
    static var keys: [String] { get }

    /// Reads the section (its keys already checked); `section.node` is `nil` when the pipeline file has none (defaults apply).
    ///
    /// - Throws: ``ConfigError`` naming the file and line of an unknown key or a bad value.
    init(section: StageSection) throws(ConfigError)
}
