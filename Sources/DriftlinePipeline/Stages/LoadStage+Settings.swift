import DriftlineCore

extension LoadStage {
    /// The load stage's section of the pipeline file (`load: {max_attempts: 3}`); every key optional.
    package struct Settings: StageSettings {
        package static let keys = ["max_attempts", "completion"]

        /// When a file in the inbox is complete.
        package enum Completion: String, Codable, Sendable {
            /// Not modified for `settle_seconds` (the default).
            case settle
            /// `<file>.done` exists beside it (and it settled); the marker is removed once the file is filed.
            case doneMarker = "done_marker"
        }

        package var completion = Completion.settle

        /// Failed attempts to load one upload (a database error that is not the connection going away,
        /// e.g. a `statement_timeout`) before it is parked as `failed` and the stage goes on without it.
        package var maxAttempts = 3

        package init() {}

        package init(section: StageSection) throws(ConfigError) {
            maxAttempts = try section.integer("max_attempts", default: maxAttempts)
            guard maxAttempts >= 1 else {
                throw try section.invalid("max_attempts", "'max_attempts' must be at least 1")
            }
            let completionName = try section.string("completion", default: completion.rawValue)
            guard let completion = Completion(rawValue: completionName) else {
                throw try section.invalid("completion", "'completion' must be settle or done_marker")
            }
            self.completion = completion
        }
    }
}
