import DriftlineCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Run history and stage checkpoints in `driftline.runs` and `driftline.stage_runs`.
package struct RunStore {
    package enum StageStatus: String, Sendable, LogSafe, Codable {
        case pending, running, succeeded, failed, skipped
        package var description: String { rawValue }
    }

    package struct StageRecord: Sendable, Codable {
        package var stage: String
        package var position: Int
        package var status: StageStatus
        package var attempt: Int
        package var startedAt: String?
        package var finishedAt: String?
        package var durationSeconds: Double?
        package var summary: [String: Int64]
        package var error: String?

        /// The JSON names are the columns' (`stage_runs`): one vocabulary with the logs and the database.
        enum CodingKeys: String, CodingKey {
            case stage, position, status, attempt, summary, error
            case startedAt = "started_at"
            case finishedAt = "finished_at"
            case durationSeconds = "duration_seconds"
        }
    }

    package struct RunRecord: Sendable, Codable {
        package var runID: Int64
        package var pipeline: String
        package var status: String
        package var asOf: String
        package var parameters: [String: String]
        package var startedAt: String
        package var finishedAt: String?
        package var durationSeconds: Double?
        package var error: String?
        package var host: String?
        package var pid: Int?
        /// `running`, but its process on this host is gone (killed, or the database died under it):
        /// resume it.
        package var abandoned: Bool
        package var stages: [StageRecord]

        /// The JSON names are the columns' (`runs`) and the log's keys: `run_id`, `as_of`, … (README, JSON output).
        enum CodingKeys: String, CodingKey {
            case pipeline, status, parameters, error, host, pid, abandoned, stages
            case runID = "run_id"
            case asOf = "as_of"
            case startedAt = "started_at"
            case finishedAt = "finished_at"
            case durationSeconds = "duration_seconds"
        }
    }

    /// Creates a run and its pending stages; returns the run id.
    package static func createRun(
        pipeline: String,
        asOf: String,
        parameters: [String: String],
        stages: [String],
        on connection: PGConnection
    ) throws -> Int64 {
        let json = String(decoding: try JSONEncoder().encode(parameters), as: UTF8.self)
        return try connection.transaction {
            let id = try Int64(
                connection.query(
                    """
                    INSERT INTO driftline.runs (pipeline, status, as_of, parameters, host, pid)
                    VALUES ($1, 'running', $2::date, $3::jsonb, $4, $5) RETURNING run_id
                    """,
                    [pipeline, asOf, json, ProcessInfo.processInfo.hostName, String(getpid())],
                    operation: "create run"
                ).scalar!
            )!
            for (position, stage) in stages.enumerated() {
                try connection.query(
                    "INSERT INTO driftline.stage_runs (run_id, stage, position, status) VALUES ($1, $2, $3, 'pending')",
                    [String(id), stage, String(position)],
                    operation: "create stage checkpoint"
                )
            }
            return id
        }
    }

    package static func startStage(runID: Int64, stage: String, resetSummary: Bool, on connection: PGConnection) throws
    {
        try connection.query(
            """
            UPDATE driftline.stage_runs
               SET status = 'running', attempt = attempt + 1, started_at = now(), finished_at = NULL, error = NULL,
                   summary = CASE WHEN $3 THEN '{}'::jsonb ELSE summary END
             WHERE run_id = $1 AND stage = $2
            """,
            [String(runID), stage, resetSummary ? "true" : "false"],
            operation: "start stage"
        )
        try connection.query(
            "UPDATE driftline.runs SET status = 'running', finished_at = NULL, error = NULL, pid = $2, host = $3 WHERE run_id = $1",
            [String(runID), String(getpid()), ProcessInfo.processInfo.hostName],
            operation: "mark run running"
        )
    }

    /// Adds to a stage's counters, in the transaction of the work they count.
    package static func addToSummary(
        runID: Int64,
        stage: String,
        _ counters: [String: Int64],
        on connection: PGConnection
    ) throws {
        guard !counters.isEmpty else { return }
        let json = String(decoding: try JSONEncoder().encode(counters), as: UTF8.self)
        try connection.query(
            """
            UPDATE driftline.stage_runs s
               SET summary = s.summary || (
                   SELECT jsonb_object_agg(d.key, coalesce((s.summary ->> d.key)::bigint, 0) + d.value::bigint)
                     FROM jsonb_each_text($3::jsonb) d)
             WHERE run_id = $1 AND stage = $2
            """,
            [String(runID), stage, json],
            operation: "update stage summary"
        )
    }

    /// Marks a stage succeeded, replacing its summary when one is given; call in the transaction of
    /// the stage's last work.
    package static func finishStage(
        runID: Int64,
        stage: String,
        summary: [String: Int64]?,
        on connection: PGConnection
    ) throws {
        let json = try summary.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try connection.query(
            """
            UPDATE driftline.stage_runs SET status = 'succeeded', finished_at = now(),
                   summary = coalesce($3::jsonb, summary)
             WHERE run_id = $1 AND stage = $2
            """,
            [String(runID), stage, json],
            operation: "checkpoint stage"
        )
    }

    package static func failStage(runID: Int64, stage: String, error: String, on connection: PGConnection) throws {
        try connection.query(
            "UPDATE driftline.stage_runs SET status = 'failed', finished_at = now(), error = $3 WHERE run_id = $1 AND stage = $2",
            [String(runID), stage, error],
            operation: "fail stage"
        )
    }

    package static func resetStages(runID: Int64, stages: [String], on connection: PGConnection) throws {
        for stage in stages {
            try connection.query(
                "UPDATE driftline.stage_runs SET status = 'pending', error = NULL WHERE run_id = $1 AND stage = $2",
                [String(runID), stage],
                operation: "reset stage"
            )
        }
    }

    package static func finishRun(runID: Int64, status: String, error: String?, on connection: PGConnection) throws {
        try connection.query(
            "UPDATE driftline.runs SET status = $2, finished_at = now(), error = $3 WHERE run_id = $1",
            [String(runID), status, error],
            operation: "finish run"
        )
    }

    package static func run(_ runID: Int64, on connection: PGConnection) throws -> RunRecord? {
        try runs(where: "r.run_id = $1", [String(runID)], limit: 1, on: connection).first
    }

    package static func recent(limit: Int, on connection: PGConnection) throws -> [RunRecord] {
        try runs(where: "true", [], limit: limit, on: connection)
    }

    private static func runs(
        where condition: String,
        _ parameters: [String?],
        limit: Int,
        on connection: PGConnection
    ) throws -> [RunRecord] {
        let rows = try connection.query(
            """
            SELECT r.run_id, r.pipeline, r.status, r.as_of::text, r.parameters::text,
                   to_char(r.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   to_char(r.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   extract(epoch FROM r.finished_at - r.started_at)::float8, r.error, r.host, r.pid::text
              FROM driftline.runs r WHERE \(condition) ORDER BY r.run_id DESC LIMIT \(limit)
            """,
            parameters,
            operation: "read runs"
        )
        var records: [RunRecord] = []
        for row in rows.rows {
            let id = Int64(row[0]!)!
            let parameters = (try? JSONDecoder().decode([String: String].self, from: Data(row[4]!.utf8))) ?? [:]
            let stages = try connection.query(
                """
                SELECT stage, position, status, attempt,
                       to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                       to_char(finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                       extract(epoch FROM finished_at - started_at)::float8, summary::text, error
                  FROM driftline.stage_runs WHERE run_id = $1 ORDER BY position
                """,
                [String(id)],
                operation: "read stage checkpoints"
            ).rows.map { stage in
                StageRecord(
                    stage: stage[0]!,
                    position: Int(stage[1]!)!,
                    status: StageStatus(rawValue: stage[2]!) ?? .pending,
                    attempt: Int(stage[3]!)!,
                    startedAt: stage[4],
                    finishedAt: stage[5],
                    durationSeconds: stage[6].flatMap(Double.init),
                    summary: (try? JSONDecoder().decode([String: Int64].self, from: Data(stage[7]!.utf8))) ?? [:],
                    error: stage[8]
                )
            }
            let pid = row[10].flatMap { Int($0) }
            let abandoned =
                row[2] == "running" && row[9] == ProcessInfo.processInfo.hostName
                && pid.map { kill(pid_t($0), 0) != 0 && errno == ESRCH } == true
            records.append(
                RunRecord(
                    runID: id,
                    pipeline: row[1]!,
                    status: row[2]!,
                    asOf: row[3]!,
                    parameters: parameters,
                    startedAt: row[5]!,
                    finishedAt: row[6],
                    durationSeconds: row[7].flatMap(Double.init),
                    error: row[8],
                    host: row[9],
                    pid: pid,
                    abandoned: abandoned,
                    stages: stages
                )
            )
        }
        return records
    }
}
