import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// What a finished run leaves behind, without ids and timestamps, so an interrupted-then-resumed run
/// can be compared with an uninterrupted one in another database and workspace.
struct RunSnapshot: Equatable, CustomStringConvertible {
    /// md5 over every claim's content, ordered by (customer_id, claim_id).
    var claimsHash: String
    var claims: Int
    /// One line per upload: customer, file, status, row counts.
    var uploads: [String]
    /// One line per reject: customer, file, line, column, rule.
    var rejects: [String]
    /// One line per rule count: customer, file, rule, severity, count.
    var findings: [String]
    /// inbox_files by state.
    var queue: [String]
    /// Files left in the workspace's inbox, archive and rejected folders (uploads only, not reports).
    var inbox: [String]
    var archived: [String]
    var rejected: [String]
    /// Every stage's status and the row/file counters of its summary.
    var stages: [String]
    var runs: [String]

    var description: String {
        """
        claims \(claims) \(claimsHash)
        uploads \(uploads)
        rejects \(rejects.count) findings \(findings)
        queue \(queue) inbox \(inbox) archived \(archived) rejected \(rejected)
        stages \(stages) runs \(runs)
        """
    }

    static func take(_ database: TestDatabase, _ workspace: Workspace) throws -> RunSnapshot {
        try take(connection: database.connect(), workspace)
    }

    static func take(connection: PGConnection, _ workspace: Workspace) throws -> RunSnapshot {
        func lines(_ sql: String) throws -> [String] {
            try connection.query(sql, operation: "snapshot").rows.map { $0.map { $0 ?? "∅" }.joined(separator: "|") }
        }
        let claims = try connection.query(
            """
            SELECT count(*), coalesce(md5(string_agg(concat_ws('|', customer_id, claim_id, payer, cpt_code, cpt_group,
                       service_date, submitted_date, decided_date, outcome, denial_reason, billed_amount,
                       allowed_amount, paid_amount, patient_ref, provider_npi, line_no),
                       E'\\n' ORDER BY customer_id, claim_id)), '-')
              FROM driftline.claims
            """,
            operation: "snapshot claims"
        ).first!
        let counters = ["files_loaded", "files_rejected", "rows_read", "rows_loaded", "rows_rejected"]
        return RunSnapshot(
            claimsHash: claims[1]!,
            claims: Int(claims[0]!)!,
            uploads: try lines(
                """
                SELECT customer_id, file_name, status, rows_read, rows_loaded, rows_rejected, rows_warned, error_code,
                       error_line, run_id FROM driftline.uploads ORDER BY customer_id, file_name
                """
            ),
            rejects: try lines(
                """
                SELECT u.customer_id, u.file_name, r.line_no, r.column_name, r.rule_id
                  FROM driftline.rejects r JOIN driftline.uploads u USING (upload_id)
                 ORDER BY 1, 2, 3, 5
                """
            ),
            findings: try lines(
                """
                SELECT u.customer_id, u.file_name, f.rule_id, f.severity, f.count
                  FROM driftline.upload_findings f JOIN driftline.uploads u USING (upload_id)
                 ORDER BY 1, 2, 3
                """
            ),
            queue: try lines("SELECT state, count(*) FROM driftline.inbox_files GROUP BY 1 ORDER BY 1"),
            inbox: workspace.files(in: "inbox"),
            archived: workspace.uploads(in: "archive"),
            rejected: workspace.uploads(in: "rejected"),
            stages: try lines(
                """
                SELECT run_id, stage, status, \(counters.map { "summary ->> '\($0)'" }.joined(separator: ", "))
                  FROM driftline.stage_runs ORDER BY run_id, position
                """
            ),
            runs: try lines("SELECT run_id, pipeline, status, as_of FROM driftline.runs ORDER BY run_id")
        )
    }
}

/// A workspace with three customers' uploads: a 600-row file first (so `load.copy:500` is mid-COPY of
/// the first file), a file with a few bad rows (loaded, rows rejected) and one rejected as a whole.
enum RecoveryFixture {
    static let asOf = "2026-11-21"
    /// Lines (2-based, the header is line 1) of `birch-health/claims-1.csv` made bad.
    static let badLines = [12, 57, 140]
    /// Rows expected in `driftline.claims` after a full run.
    static let loadedClaims = 600 + (300 - badLines.count) + 250

    static func workspace(stages: [String] = ["load", "report"]) throws -> Workspace {
        let workspace = try Workspace(stages: stages)
        try workspace.drop(
            Claims.file(rows: 600, customer: "acme-clinic"),
            customer: "acme-clinic",
            name: "claims-1.csv"
        )
        var birch = Claims.file(rows: 300, customer: "birch-health", startingAt: 1000).split(separator: "\n").map(
            String.init
        )
        for line in badLines {
            birch[line - 1] = Claims.row(1000 + line - 2, customer: "birch-health", serviceDate: "2026-02-31")
        }
        try workspace.drop(birch.joined(separator: "\n") + "\n", customer: "birch-health", name: "claims-1.csv")
        try workspace.drop(
            Claims.file(rows: 250, customer: "cedar-med", startingAt: 5000),
            customer: "cedar-med",
            name: "claims-1.csv"
        )
        // No patient_ref column: rejected as a whole.
        let missing = Claims.file(rows: 5, customer: "cedar-med", startingAt: 9000).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).dropLast(2).joined(separator: ",")
        }
        try workspace.drop(missing.joined(separator: "\n") + "\n", customer: "cedar-med", name: "claims-2.csv")
        return workspace
    }

    /// `driftline run` over the workspace's nightly pipeline.
    static func run(
        _ workspace: Workspace,
        _ database: TestDatabase,
        extra: [String] = [],
        environment: [String: String] = [:]
    ) throws -> DriftlineProcess.Result {
        try DriftlineProcess.run(
            arguments(extra),
            in: workspace.path,
            databaseURL: database.url,
            environment: environment
        )
    }

    /// ``run(_:_:extra:environment:)`` started in the background, for a run a test pauses, races or waits on.
    static func start(
        _ workspace: Workspace,
        _ database: TestDatabase,
        extra: [String] = [],
        environment: [String: String] = [:]
    ) throws -> DriftlineProcess.Running {
        try DriftlineProcess.start(
            arguments(extra),
            in: workspace.path,
            databaseURL: database.url,
            environment: environment
        )
    }

    private static func arguments(_ extra: [String]) -> [String] {
        ["run", "--pipeline", "pipelines/nightly.yaml", "--as-of", asOf] + extra
    }

    /// The id of the only run in `database`.
    static func onlyRunID(_ database: TestDatabase) throws -> Int64 {
        #expect(try database.int("SELECT count(*) FROM driftline.runs") == 1)
        return Int64(try database.scalar("SELECT max(run_id) FROM driftline.runs") ?? "0") ?? 0
    }
}

extension Workspace {
    /// Uploads filed below `folder` (not the reports written beside them).
    func uploads(in folder: String) -> [String] {
        files(in: folder).filter { ($0.hasSuffix(".csv") || $0.hasSuffix(".csv.zst")) && !$0.hasSuffix(".rejects.csv") }
    }
}

extension DriftlineProcess.Result {
    /// For `#expect` comments: the exit and the last lines of stderr.
    var summary: Comment {
        let tail = stderr.split(separator: "\n").suffix(12).joined(separator: "\n")
        return Comment(
            rawValue:
                "exit \(status) signal \(signal.map(String.init) ?? "-")\nstdout: \(stdout)\nstderr tail:\n\(tail)"
        )
    }
}
