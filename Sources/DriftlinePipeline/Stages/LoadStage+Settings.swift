import DriftlineCore

extension LoadStage {
    /// The load stage's section of the pipeline file (`load: {max_attempts: 3}`); every key optional.
    package struct Settings: StageSettings {
        package static let keys = [
            "max_attempts", "completion", "max_bytes", "max_rows", "max_stored_rejects", "max_report_rejects",
        ]

        /// When a file in the inbox is complete.
        package enum Completion: String, Codable, Sendable {
            /// Not modified for `settle_seconds` (the default).
            case settle
            /// `<file>.done` exists beside it (and it settled); the marker is removed once the file is filed.
            case doneMarker = "done_marker"
        }

        package var completion = Completion.settle

        /// An upload larger than this (decompressed) is rejected as a whole (`too_large`); reading stops there.
        package var maxBytes: Int64 = 8 << 30
        /// An upload with more rows is rejected as a whole (`too_many_rows`); reading stops there. It also
        /// bounds the rejects a loadable file can have: past `max_reject_rate × max_rows` rejected rows,
        /// reading stops and the file is rejected as a whole (`reject_rate`).
        package var maxRows = 20_000_000
        /// Rejected lines stored per upload in `driftline.rejects` (the first ones by line); the per-rule
        /// counts in `upload_findings` stay exact.
        package var maxStoredRejects = 10_000
        /// Rejected lines listed in the upload's `.rejects.csv`; one closing row counts the rest.
        package var maxReportRejects = 10_000

        /// Failed attempts to load one upload (a database error that is not the connection going away,
        /// e.g. a `statement_timeout`) before it is parked as `failed` and the stage goes on without it.
        package var maxAttempts = 3

        package init() {}

        private enum CodingKeys: String, CodingKey {
            case maxAttempts, completion, maxBytes, maxRows, maxStoredRejects, maxReportRejects
        }

        /// Settings recorded by a run: a key it did not record (a run from before the key existed, whose
        /// `stage.load` is `{}`) takes its default, so such a run can still be resumed.
        package init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            maxAttempts = try container.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? maxAttempts
            completion = try container.decodeIfPresent(Completion.self, forKey: .completion) ?? completion
            maxBytes = try container.decodeIfPresent(Int64.self, forKey: .maxBytes) ?? maxBytes
            maxRows = try container.decodeIfPresent(Int.self, forKey: .maxRows) ?? maxRows
            maxStoredRejects = try container.decodeIfPresent(Int.self, forKey: .maxStoredRejects) ?? maxStoredRejects
            maxReportRejects = try container.decodeIfPresent(Int.self, forKey: .maxReportRejects) ?? maxReportRejects
        }

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
            maxBytes = Int64(try section.integer("max_bytes", default: Int(maxBytes)))
            maxRows = try section.integer("max_rows", default: maxRows)
            maxStoredRejects = try section.integer("max_stored_rejects", default: maxStoredRejects)
            maxReportRejects = try section.integer("max_report_rejects", default: maxReportRejects)
            for (key, value) in [
                ("max_bytes", Int(maxBytes)), ("max_rows", maxRows), ("max_stored_rejects", maxStoredRejects),
                ("max_report_rejects", maxReportRejects),
            ] where value < 1 {
                throw try section.invalid(key, SafeMessage(trusted: "'\(key)' must be at least 1"))
            }
        }
    }
}
