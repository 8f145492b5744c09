import DriftlineCore
import DriftlineTestSupport
import Foundation
import Testing

@Suite struct ValidationReportTests {
    static let canary = "CANARY-123-45-6789"

    static func finding(
        _ line: Int,
        _ rule: String,
        _ severity: Severity = .error,
        column: String? = "payer"
    )
        -> Finding
    {
        Finding(line: line, column: column, ruleID: rule, severity: severity, message: "message of \(line)")
    }

    static func sample() -> ValidationReport {
        var report = ValidationReport(file: SafeText(inboxName: "acme/claims-2026-06.csv"), maxFailuresPerRule: 3)
        for line in 2...6 {
            report.add(
                Finding(
                    line: line,
                    column: "service_date",
                    ruleID: "date-order",
                    severity: .error,
                    message: "dates out of order"
                )
            )
            report.countRow(rejected: true, warned: false)
        }
        report.add(
            Finding(
                line: 7,
                column: nil,
                ruleID: "em-billed-high",
                severity: .warning,
                message: "E&M visit billed <script>alert(1)</script> above 1000.00"
            )
        )
        report.countRow(rejected: false, warned: true)
        report.countRow(rejected: false, warned: false)
        return report
    }

    @Test func countsAndBoundedLines() {
        let report = Self.sample()
        #expect(report.rowsRead == 7)
        #expect(report.rowsRejected == 5)
        #expect(report.rowsWarned == 1)
        #expect(report.ruleCounts == ["date-order": 5, "em-billed-high": 1])
        let dateOrder = report.rules[0]
        #expect(dateOrder.ruleID == "date-order")
        #expect(dateOrder.failures.map(\.line) == [2, 3, 4])
        #expect(dateOrder.unlisted == 2)
        #expect(report.findingCount(.error) == 5)
    }

    @Test func textHasPerRuleCounts() {
        let text = Self.sample().renderText()
        #expect(text.contains("Rows: 7 read, 5 rejected, 1 with warnings"))
        #expect(text.contains("date-order      error         5  dates out of order"))
        #expect(text.contains("line 2, column service_date"))
        #expect(text.contains("… 2 more not listed"))
        #expect(text.contains("em-billed-high (warning, 1)"))
    }

    @Test func jsonParsesWithStableKeys() throws {
        let json = Self.sample().renderJSON()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["file"] as? String == "acme/claims-2026-06.csv")
        let rows = try #require(object["rows"] as? [String: Int])
        #expect(rows == ["read": 7, "rejected": 5, "warned": 1])
        let rules = try #require(object["rules"] as? [[String: Any]])
        #expect(rules.map { $0["id"] as? String } == ["date-order", "em-billed-high"])
        #expect(rules[0]["count"] as? Int == 5)
        #expect(rules[0]["unlisted"] as? Int == 2)
        let failures = try #require(rules[0]["failures"] as? [[String: Any]])
        #expect(failures.first?["line"] as? Int == 2)
        #expect(failures.first?["column"] as? String == "service_date")
        #expect(json == Self.sample().renderJSON(), "deterministic")
    }

    @Test func htmlIsSelfContainedAndEscaped() {
        let html = Self.sample().renderHTML()
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<style>"))
        #expect(!html.contains("<script"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("E&amp;M"))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<link"))
    }

    @Test func multiFileTotals() throws {
        var set = ValidationReportSet()
        set.append(Self.sample())
        var second = ValidationReport(file: SafeText(inboxName: "b.csv"))
        second.add(Self.finding(2, "date-order"))
        second.countRow(rejected: true, warned: false)
        set.append(second)
        #expect(set.rowsRead == 8)
        #expect(set.rowsRejected == 6)
        #expect(set.ruleCounts["date-order"] == 6)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(set.renderJSON().utf8)) as? [String: Any]
        )
        #expect((object["files"] as? [Any])?.count == 2)
        let totals = try #require(object["totals"] as? [String: Any])
        #expect((totals["rules"] as? [String: Int])?["date-order"] == 6)
        #expect(set.renderText().contains("2 file(s), 8 rows read, 6 rejected"))
        #expect(set.renderHTML().contains("<code>b.csv</code>"))
    }

    /// A canary in a free-text field trips `no_phi`, and appears in no report or error text.
    @Test func phiCanaryNeverLeaks() throws {
        let book = try RuleBook.parse(
            yaml: """
                rules:
                  - {id: denial-reason-no-phi, kind: no_phi, field: denial_reason, severity: error,
                     message: denial_reason looks like PHI}
                  - {id: denied-needs-carc, kind: when_then, if: {outcome: denied},
                     then: {field: denial_reason, pattern: '^(CO|PR|OA|PI|CR)-[0-9]{1,3}$'},
                     severity: error, message: denied needs a CARC code}
                """,
            groups: ClaimRowFixture.groups,
            asOf: ClaimRowFixture.day("2026-06-15")
        )
        let values = ClaimRowFixture.row([.outcome: "denied", .denialReason: Self.canary])
        var report = ValidationReport(file: SafeText(inboxName: "upload.csv"))
        let hits = ClaimRowFixture.withRow(values, line: 42) { row in
            var hits: [RuleHit] = []
            book.evaluate(row, into: &hits)
            return hits
        }
        #expect(hits.map { book.rule($0.rule).id } == ["denial-reason-no-phi", "denied-needs-carc"])
        let rejected = report.record(line: 42, hits: hits, rules: book)
        #expect(rejected)
        let findings = book.findings(hits, line: 42)
        var outputs = [report.renderText(), report.renderJSON(), report.renderHTML()]
        outputs += findings.map { "\($0)" } + findings.map { String(reflecting: $0) }
        outputs += hits.map { String(reflecting: $0) }
        var set = ValidationReportSet()
        set.append(report)
        outputs += [set.renderText(), set.renderJSON(), set.renderHTML()]
        for output in outputs {
            #expect(!output.contains(Self.canary))
            #expect(!output.contains("123-45-6789"))
        }
        #expect(report.renderText().contains("line 42, column denial_reason"))
        // Rule file errors quote configuration, never row values.
        do {
            _ = try RuleBook.parse(
                yaml: "rules:\n  - {id: x, kind: nope, severity: error, message: m}\n",
                groups: ClaimRowFixture.groups,
                asOf: 0
            )
            Issue.record("expected a ConfigError")
        } catch {
            #expect(!String(describing: error).contains(Self.canary))
        }
    }
}
