import DriftlineCore
import DriftlineTestSupport
import Foundation
import Testing

/// A malformed rules file stops the run with the file, the line and the rule id.
@Suite struct RuleFileErrorTests {
    static func error(_ yaml: String, lists: [String: [String]] = [:]) -> ConfigError? {
        do {
            _ = try RuleBook.parse(
                yaml: yaml,
                file: "rules/bad.yaml",
                groups: ClaimRowFixture.groups,
                asOf: ClaimRowFixture.day("2026-06-15"),
                lists: lists
            )
            return nil
        } catch {
            return error
        }
    }

    /// A valid first rule (lines 2–6), then `body` as the second rule starting on line 7.
    static func second(_ body: String) -> String {
        """
        rules:
          - id: fine
            kind: required
            field: claim_id
            severity: error
            message: ok
        \(body)
        """
    }

    @Test(
        arguments: [
            // (second rule, line, rule id, message fragment)
            (
                "  - id: r2\n    kind: requird\n    field: claim_id\n    severity: error\n    message: m", 8, "r2",
                "unknown kind"
            ),
            (
                "  - id: r2\n    kind: required\n    field: claimid\n    severity: error\n    message: m", 9, "r2",
                "unknown field"
            ),
            (
                "  - id: fine\n    kind: required\n    field: claim_id\n    severity: error\n    message: m", 7, "fine",
                "duplicate rule id"
            ),
            (
                "  - id: r2\n    kind: pattern\n    field: claim_id\n    pattern: '^(CO|PR'\n    severity: error\n    message: m",
                10, "r2", "bad regular expression"
            ),
            (
                "  - id: r2\n    kind: range\n    field: billed_amount\n    min: '100'\n    max: '10'\n    severity: error\n"
                    + "    message: m", 10, "r2", "inverted range"
            ),
            (
                "  - id: r2\n    kind: range\n    field: service_date\n    min: today\n    max: today - 1 day\n"
                    + "    severity: error\n    message: m", 10, "r2", "inverted range"
            ),
            (
                "  - id: r2\n    kind: required\n    field: claim_id\n    severity: error\n    message: m\n"
                    + "    when: {cpt: ['99215-99202']}", 12, "r2", "inverted CPT range"
            ),
            ("  - id: r2\n    kind: required\n    field: claim_id\n    message: m", 7, "r2", "missing 'severity'"),
            (
                "  - id: r2\n    kind: required\n    field: claim_id\n    severity: fatal\n    message: m", 10, "r2",
                "unknown severity"
            ),
            ("  - id: r2\n    kind: required\n    severity: error\n    message: m", 7, "r2", "missing 'field'"),
            ("  - id: r2\n    kind: required\n    field: claim_id\n    severity: error", 7, "r2", "missing 'message'"),
            (
                "  - id: r2\n    kind: lookup\n    field: cpt_code\n    list: lists/none.txt\n    severity: error\n"
                    + "    message: m", 10, "r2", "not found"
            ),
            (
                "  - id: r2\n    kind: required\n    field: claim_id\n    severity: error\n    message: m\n    sevrity: x",
                12,
                "r2", "unknown key 'sevrity'"
            ),
            (
                "  - id: r2\n    kind: required\n    field: claim_id\n    severity: error\n    message: m\n"
                    + "    when: {cpt_group: [Dentistry]}", 12, "r2", "unknown cpt_group"
            ),
            (
                "  - id: r2\n    kind: required\n    field: claim_id\n    severity: error\n    message: m\n"
                    + "    when: {plan: [gold]}", 12, "r2", "unknown scope key"
            ),
            (
                "  - id: r2\n    kind: range\n    field: service_date\n    min: yesterday\n    severity: error\n    message: m",
                10, "r2", "bad date bound"
            ),
            (
                "  - id: r2\n    kind: compare\n    expr: service_date <= billed_amount\n    severity: error\n    message: m",
                9, "r2", "all date fields or all amount fields"
            ),
            (
                "  - id: r2\n    kind: when_then\n    if: {outcome: denied}\n    then: {field: denial_reason}\n"
                    + "    severity: error\n    message: m", 10, "r2", "exactly one of"
            ),
            ("  - kind: required\n    field: claim_id\n    severity: error\n    message: m", 7, nil, "missing 'id'"),
        ] as [(String, Int, String?, String)]
    )
    func reportsFileLineAndRuleID(body: String, line: Int, ruleID: String?, fragment: String) throws {
        let error = try #require(Self.error(Self.second(body)))
        #expect(error.file == "rules/bad.yaml")
        #expect(error.line == line, "\(error)")
        #expect(error.ruleID == ruleID)
        #expect(error.message.description.contains(fragment), "\(error)")
        #expect(error.description.hasPrefix("rules/bad.yaml:\(line)"))
    }

    @Test func malformedYAMLNamesTheLine() throws {
        let error = try #require(Self.error("rules:\n  - id: a\n    kind: [unclosed\n"))
        #expect(error.file == "rules/bad.yaml")
        #expect(error.line != nil)
    }

    /// A temporary rules directory holding `files` (name → text), removed when `body` returns.
    private static func withRulesDirectory(_ files: [String: String], _ body: (URL) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try body(directory)
    }

    @Test func duplicateIDsAcrossFilesAndLoadStopsBeforeAnyRule() throws {
        let rule = "rules:\n  - {id: same, kind: required, field: claim_id, severity: error, message: m}\n"
        try Self.withRulesDirectory(["a.yaml": rule, "b.yml": "# second file\n" + rule]) { directory in
            do {
                _ = try RuleBook.load(directory: directory, groups: ClaimRowFixture.groups, asOf: 0)
                Issue.record("expected a ConfigError")
            } catch let error as ConfigError {
                #expect(error.file.hasSuffix("/b.yml"))
                #expect(error.line == 3)
                #expect(error.ruleID == "same")
                #expect(error.message.description.contains("a.yaml:2"))
            }
        }
    }

    /// Files are parsed in parallel: the error still names the broken file, and files compile in order.
    @Test func malformedYAMLInOneOfManyFilesNamesThatFile() throws {
        var files: [String: String] = [:]
        for index in 0..<6 {
            files["f\(index).yaml"] =
                "rules:\n  - {id: r\(index), kind: required, field: claim_id, severity: error, message: m}\n"
        }
        files["f3.yaml"] = "rules:\n  - {id: broken, kind: required\n"
        try Self.withRulesDirectory(files) { directory in
            do {
                _ = try RuleBook.load(directory: directory, groups: ClaimRowFixture.groups, asOf: 0)
                Issue.record("expected a ConfigError")
            } catch let error as ConfigError {
                #expect(error.file.hasSuffix("/f3.yaml"))
                #expect(error.message.description.contains("malformed YAML"))
            }
            try FileManager.default.removeItem(at: directory.appendingPathComponent("f3.yaml"))
            let book = try RuleBook.load(directory: directory, groups: ClaimRowFixture.groups, asOf: 0)
            #expect(book.rules.map(\.id) == ["r0", "r1", "r2", "r4", "r5"])
        }
    }

    @Test func unknownTopLevelKey() throws {
        let error = try #require(Self.error("rule:\n  - id: a\n"))
        #expect(error.line == 1)
        #expect(error.message.description.contains("unknown top-level key"))
    }

    @Test func emptyFileHasNoRules() throws {
        let book = try RuleBook.parse(yaml: "# nothing yet\n", groups: ClaimRowFixture.groups, asOf: 0)
        #expect(book.count == 0)
        let empty = try RuleBook.parse(yaml: "rules: []\n", groups: ClaimRowFixture.groups, asOf: 0)
        #expect(empty.count == 0)
    }
}
