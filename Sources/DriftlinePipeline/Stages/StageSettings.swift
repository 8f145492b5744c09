import DriftlineCore

/// A stage's settings: read strictly from its section of the pipeline file, recorded (as JSON) in the
/// run's parameters so that `resume` and `rerun` run the stage as the run started it.
package protocol StageSettings: Codable, Sendable, Equatable {
    /// Reads the section; `section.node` is `nil` when the pipeline file has none (defaults apply).
    ///
    /// - Throws: ``ConfigError`` naming the file and line of an unknown key or a bad value.
    init(section: StageSection) throws(ConfigError)
}
