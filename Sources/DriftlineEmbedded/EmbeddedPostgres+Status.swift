import Foundation

extension EmbeddedPostgres {
    /// A snapshot of the embedded cluster, as reported by `driftline db status`.
    package struct Status: Sendable, Equatable {
        /// Whether a postmaster is running for `dataDirectory` (per `pg_ctl status`).
        package var running: Bool
        /// Whether `initdb` has been run (`PG_VERSION` exists in `dataDirectory`).
        package var initialized: Bool
        package var dataDirectory: URL
        package var socketDirectory: URL
        package var logFile: URL
        /// The libpq URI clients use to connect.
        package var url: String
    }
}
