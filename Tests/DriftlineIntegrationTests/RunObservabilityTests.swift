import DriftlinePostgres
import DriftlineTestSupport
import Foundation
import Testing

/// What operators see: one logfmt (or JSON) line per event on stderr with run, stage and upload ids and
/// never a row value; a one-line summary on stdout; `runs`, `runs show`; the Prometheus textfile.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable && DriftlineProcess.isAvailable))
struct RunObservabilityTests {
    @Test func logsAreLogfmtLinesWithRunStageAndUploadAndNoRowValues() throws {
        let database = try TestDatabase()
        let workspace = try RecoveryFixture.workspace()
        let result = try RecoveryFixture.run(workspace, database)
        #expect(result.status == 65, result.summary)
        #expect(!result.stderr.contains(Claims.canary))
        #expect(!result.stdout.contains(Claims.canary))
        // Not a terminal: no progress line.
        #expect(!result.stderr.contains("\u{1B}[2K") && !result.stderr.contains("\r"))
        #expect(
            result.stdout
                == "run 1: exit 65, files loaded 3, rejected 1, rows read \(600 + 300 + 250), "
                + "loaded \(RecoveryFixture.loadedClaims), rejected \(RecoveryFixture.badLines.count)\n"
        )

        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count >= 8)
        for line in lines {
            #expect(
                line.wholeMatch(of: /ts=\S+ level=[a-z]+ msg=("[^"]*"|\S+)( [a-z._]+=("([^"\\]|\\.)*"|\S*))*/) != nil,
                "\(line)"
            )
        }
        let staged = lines.filter { $0.contains(" stage=") }
        #expect(staged.count >= 6)
        for line in staged { #expect(line.contains(" run=1"), "\(line)") }
        let uploads = lines.filter { $0.contains("msg=\"upload loaded\"") || $0.contains("msg=\"upload rejected\"") }
        #expect(uploads.count == 4)
        for line in uploads {
            #expect(line.contains(" run=1") && line.contains(" stage=load") && line.contains(" upload="), "\(line)")
        }
        #expect(lines.contains { $0.contains("msg=\"run finished\"") && $0.contains(" exit=65") })
        #expect(lines.filter { $0.contains("msg=\"stage succeeded\"") && $0.contains(" duration_ms=") }.count == 2)

        // The metrics textfile, written atomically (nothing else left in the folder).
        let metrics = try workspace.read("metrics/driftline.prom")
        #expect(
            metrics.contains("driftline_rows_loaded{pipeline=\"nightly\"} \(RecoveryFixture.loadedClaims)"),
            "\(metrics)"
        )
        #expect(metrics.contains("driftline_files_rejected{pipeline=\"nightly\"} 1"), "\(metrics)")
        #expect(metrics.contains("driftline_last_run_id{pipeline=\"nightly\"} 1"), "\(metrics)")
        #expect(metrics.contains("driftline_stage_duration_seconds{pipeline=\"nightly\",stage=\"load\"}"), "\(metrics)")
        #expect(metrics.contains("# TYPE driftline_rows_loaded gauge"), "\(metrics)")
        #expect(!metrics.contains(Claims.canary))
        #expect(workspace.files(in: "metrics") == ["driftline.prom", "run-1.html"])

        // `runs` (table and JSON) and `runs show`.
        let table = try DriftlineProcess.run(["runs"], in: workspace.path, databaseURL: database.url)
        #expect(table.status == 0, table.summary)
        #expect(table.stdout.contains("load:succeeded report:succeeded"), table.summary)
        let json = try DriftlineProcess.run(
            ["runs", "--json", "--limit", "5"],
            in: workspace.path,
            databaseURL: database.url
        )
        #expect(json.status == 0, json.summary)
        let runs = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
        #expect(runs?.count == 1)
        #expect(runs?.first?["status"] as? String == "succeeded")
        // One vocabulary: the JSON says what the database and the logs say.
        #expect(runs?.first?["run_id"] as? Int == 1 && runs?.first?["as_of"] is String, "\(json.stdout)")
        #expect(runs?.first?["runID"] == nil && runs?.first?["asOf"] == nil)
        let stages = runs?.first?["stages"] as? [[String: Any]]
        #expect(stages?.map { $0["stage"] as? String } == ["load", "report"])
        #expect(stages?.allSatisfy { $0["duration_seconds"] is Double } == true, "\(json.stdout)")
        let show = try DriftlineProcess.run(["runs", "show", "1"], in: workspace.path, databaseURL: database.url)
        #expect(show.status == 0, show.summary)
        let loadLine = show.stdout.split(separator: "\n").first { $0.hasPrefix("load ") }.map(String.init) ?? ""
        #expect(loadLine.contains(/succeeded\s+1\s+\d+\.\d\ds\s+.*rows_loaded=\d+/), "\(show.stdout)")
        for output in [table.stdout, json.stdout, show.stdout] { #expect(!output.contains(Claims.canary)) }
        let unknown = try DriftlineProcess.run(["runs", "show", "99"], in: workspace.path, databaseURL: database.url)
        #expect(unknown.status == 78 && unknown.stderr == "driftline: no run with id 99\n", unknown.summary)
    }

    @Test func jsonLogsParseLineByLine() throws {
        let database = try TestDatabase()
        let workspace = try RecoveryFixture.workspace()
        let result = try RecoveryFixture.run(workspace, database, extra: ["--log-format", "json"])
        #expect(result.status == 65, result.summary)
        #expect(!result.stderr.contains(Claims.canary))
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count >= 8)
        var uploads = 0
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            #expect(object != nil, "not a JSON object of strings: \(line)")
            guard let object else { continue }
            #expect(object["ts"] != nil && object["level"] != nil && object["msg"] != nil)
            if object["stage"] != nil { #expect(object["run"] == "1", "\(line)") }
            if object["msg"] == "upload loaded" || object["msg"] == "upload rejected" {
                uploads += 1
                #expect(object["upload"] != nil && object["stage"] == "load", "\(line)")
            }
        }
        #expect(uploads == 4)
    }

    @Test func jsonLogsStayJSONWhenTheRunFails() throws {
        let workspace = try RecoveryFixture.workspace()
        let unreachable = "postgresql:///driftline?host=%2Ftmp%2Fdlo-nonexistent-\(getpid())&user=postgres"
        let result = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/nightly.yaml", "--log-format", "json"],
            in: workspace.path,
            databaseURL: unreachable
        )
        #expect(result.status == 69, result.summary)
        let events = result.stderr.split(separator: "\n").map {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]
        }
        #expect(!events.isEmpty && events.allSatisfy { $0 != nil }, result.summary)
        #expect(events.contains { $0?["msg"] == "run failed" && $0?["exit"] == "69" }, result.summary)

        // A bad pipeline file is logged as an event too.
        let missing = try DriftlineProcess.run(
            ["run", "--pipeline", "pipelines/none.yaml", "--log-format", "json"],
            in: workspace.path,
            databaseURL: unreachable
        )
        #expect(missing.status == 78, missing.summary)
        let lines = missing.stderr.split(separator: "\n")
        #expect(
            lines.count == 1 && lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil },
            missing.summary
        )
    }
}
