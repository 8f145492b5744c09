import DriftlineTestSupport
import Foundation
import Testing

/// `driftline validate` as analysts run it: no database, real files, real exit codes.
@Suite(.enabled(if: DriftlineProcess.isAvailable))
struct ValidateCommandTests {
    let samples = Workspace.repositoryRoot.appendingPathComponent("samples").path
    let rules = Workspace.repositoryRoot.appendingPathComponent("rules").path

    @Test func cleanFilesExitZero() throws {
        let result = try DriftlineProcess.run(
            [
                "validate", "acme-clinic/claims-2026-11-20.csv", "acme-clinic/claims-2026-11-21.csv.zst", "--rules",
                rules,
                "--as-of", "2026-11-21",
            ],
            in: samples,
            databaseURL: nil
        )
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("300 rows read, 0 rejected"))
    }

    @Test func theDirtySampleNamesItsBadLinesInJSON() throws {
        let result = try DriftlineProcess.run(
            [
                "validate", "lakeview-health/claims-2026-11-21-dirty.csv", "--rules", rules, "--as-of", "2026-11-21",
                "--format", "json",
            ],
            in: samples,
            databaseURL: nil
        )
        #expect(result.status == 65)
        let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        let files = json?["files"] as? [[String: Any]]
        let rules = files?.first?["rules"] as? [[String: Any]] ?? []
        let lines = Set(rules.flatMap { ($0["failures"] as? [[String: Any]] ?? []).compactMap { $0["line"] as? Int } })
        #expect(lines == [9, 61, 73, 120])
        #expect(rules.contains { $0["id"] as? String == "duplicate.claim_id" })
    }

    @Test func writesASelfContainedHTMLReport() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString).html")
        defer { try? FileManager.default.removeItem(at: output) }
        let result = try DriftlineProcess.run(
            [
                "validate", "lakeview-health/claims-2026-11-21-dirty.csv", "--rules", rules, "--as-of", "2026-11-21",
                "--format", "html", "--output", output.path,
            ],
            in: samples,
            databaseURL: nil
        )
        #expect(result.status == 65)
        let html = try String(contentsOf: output, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>") || html.lowercased().hasPrefix("<!doctype html>"))
        #expect(!html.contains("<script src") && !html.contains("<link "))
        #expect(html.contains("provider-npi-valid"))
    }

    @Test func aBrokenRulesFolderExits78NamingFileLineAndRule() throws {
        let workspace = try Workspace()
        try "rules:\n  - id: oops\n    kind: no_such_kind\n    severity: error\n    message: x\n"
            .write(to: workspace.root.appendingPathComponent("rules/broken.yaml"), atomically: true, encoding: .utf8)
        let file = try workspace.drop(Claims.file(rows: 1), customer: "acme-clinic", name: "a.csv")
        let result = try DriftlineProcess.run(
            ["validate", file, "--rules", workspace.root.appendingPathComponent("rules").path],
            in: workspace.path,
            databaseURL: nil
        )
        #expect(result.status == 78)
        #expect(result.stderr.contains("broken.yaml:3") && result.stderr.contains("oops"), "\(result.stderr)")
    }

    @Test func findingsNeverEchoValues() throws {
        let workspace = try Workspace()
        let text =
            Claims.header + "\n" + Claims.row(1, denial: "SSN \(Claims.canary) 123-45-6789", patient: "PZZCANARY")
            + "\n"
        let file = try workspace.drop(text, customer: "acme-clinic", name: "a.csv")
        for format in ["text", "json", "html"] {
            let result = try DriftlineProcess.run(
                ["validate", file, "--rules", workspace.root.appendingPathComponent("rules").path, "--format", format],
                in: workspace.path,
                databaseURL: nil
            )
            #expect(!result.stdout.contains(Claims.canary) && !result.stderr.contains(Claims.canary))
            #expect(!result.stdout.contains("123-45-6789"))
        }
    }
}
