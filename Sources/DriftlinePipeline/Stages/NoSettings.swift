import DriftlineCore

/// The settings of a stage that has none: its section may be absent, empty (`load: {}`) or null.
package struct NoSettings: StageSettings {
    package static let keys: [String] = []

    package init() {}

    package init(section: StageSection) throws(ConfigError) {}
}
