import Foundation
import Testing

@testable import DriftlineCore

@Suite("YAML reader and configuration files")
struct YAMLNodeTests {
    private func parse(_ text: String) throws -> YAMLNode {
        try #require(try YAMLNode.parse(text))
    }

    private func syntaxError(_ text: String) -> YAMLSyntaxError? {
        do {
            _ = try YAMLNode.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test("scalars stay the strings they look like; only a plain ~, null or nothing is null")
    func scalarsAreStrings() throws {
        let root = try parse(
            """
            code: 0001F
            flag: no
            number: 1e3
            quoted: "~"
            tilde: ~
            empty:
            list: [99213, "0001F", 'a b']
            """
        )
        #expect(root["code"]?.string == "0001F")
        #expect(root["flag"]?.string == "no")
        #expect(root["number"]?.string == "1e3")
        #expect(root["quoted"]?.string == "~")
        #expect(root["quoted"]?.isNull == false)
        #expect(root["tilde"]?.isNull == true)
        #expect(root["empty"]?.isNull == true)
        guard case .sequence(let list) = root["list"] else {
            Issue.record("list is not a sequence")
            return
        }
        #expect(list.map { $0.string } == ["99213", "0001F", "a b"])
    }

    @Test("every node knows its 1-based line and column")
    func marks() throws {
        let root = try parse("# a comment\nrules:\n  - id: a\n    kind: required\n")
        guard case .mapping(let mapping) = root, let rules = root["rules"], case .sequence(let items) = rules else {
            Issue.record("unexpected shape")
            return
        }
        #expect(mapping[0].key.mark == YAMLNode.Mark(line: 2, column: 1))
        #expect(items[0].mark.line == 3)
        #expect(items[0]["kind"]?.mark == YAMLNode.Mark(line: 4, column: 11))
    }

    @Test("anchors and aliases are resolved; an undefined alias is an error")
    func aliases() throws {
        let root = try parse("codes: &em [99213, 99214]\nagain: *em\n")
        guard case .sequence(let again) = root["again"] else {
            Issue.record("alias not resolved to a sequence")
            return
        }
        #expect(again.map { $0.string } == ["99213", "99214"])
        let error = try #require(syntaxError("a: 1\nb: *nowhere\n"))
        #expect(error.line == 2)
        #expect(error.problem.contains("undefined alias"))
    }

    @Test("a repeated key, a second document and broken syntax name their line")
    func errors() throws {
        let repeated = try #require(syntaxError("rules:\n  - id: a\n    kind: required\n    id: b\n"))
        #expect(repeated.line == 4)
        #expect(repeated.problem == "duplicate key 'id'")

        // Long mappings take the set-based check.
        let keys = (0..<20).map { "k\($0): v" }.joined(separator: "\n")
        let longRepeated = try #require(syntaxError(keys + "\nk7: again\n"))
        #expect(longRepeated.line == 21)

        let second = try #require(syntaxError("a: 1\n---\nb: 2\n"))
        #expect(second.line == 2)
        #expect(second.problem.contains("one YAML document"))

        let broken = try #require(syntaxError("rules:\n  - id: a\n   kind: [unclosed\n"))
        #expect(broken.line >= 3)

        let deep = try #require(syntaxError(String(repeating: "[", count: 10_000)))
        #expect(deep.problem.contains("nested deeper"))
    }

    @Test("an empty or comment-only text holds no document")
    func emptyDocuments() throws {
        #expect(try YAMLNode.parse("") == nil)
        #expect(try YAMLNode.parse("# nothing here\n\n") == nil)
    }

    // MARK: - Configuration files

    private func configError(_ body: () throws(ConfigError) -> Void) -> ConfigError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    @Test("the shipped pipeline definition reads as before")
    func shippedPipeline() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../pipelines/nightly.yaml").standardizedFileURL.path
        let config = try PipelineConfig.load(path: path, knownStages: ["load", "drift", "alerts", "deliver", "report"])
        #expect(config.name == "nightly")
        #expect(config.settleSeconds == 60)
        #expect(config.maxRejectRate == 0.05)
        #expect(config.metricsDirectory == "metrics")
        #expect(config.stages == ["load", "drift", "alerts", "deliver", "report"])
    }

    @Test("a pipeline definition's typo, wrong type or missing key is an error naming the line")
    func pipelineErrors() throws {
        let typo = try #require(
            configError { () throws(ConfigError) in
                _ = try PipelineConfig.parse(
                    "name: n\nsetle_seconds: 5\nstages: [load]\n",
                    file: "p.yaml",
                    knownStages: ["load"]
                )
            }
        )
        #expect(typo.line == 2)
        #expect(typo.description.contains("unknown key 'setle_seconds'"))

        let wrongType = try #require(
            configError { () throws(ConfigError) in
                _ = try PipelineConfig.parse(
                    "name: n\nmax_reject_rate: lots\nstages: [load]\n",
                    file: "p.yaml",
                    knownStages: ["load"]
                )
            }
        )
        #expect(wrongType.line == 2)
        #expect(wrongType.description.contains("'max_reject_rate' must be a number"))

        let missing = try #require(
            configError { () throws(ConfigError) in
                _ = try PipelineConfig.parse("name: n\n", file: "p.yaml", knownStages: ["load"])
            }
        )
        #expect(missing.description.contains("needs 'stages'"))

        let stagesNotList = try #require(
            configError { () throws(ConfigError) in
                _ = try PipelineConfig.parse("name: n\nstages: load\n", file: "p.yaml", knownStages: ["load"])
            }
        )
        #expect(stagesNotList.line == 2)

        let config = try PipelineConfig.parse(
            "name: n\nmetrics_dir: ~\nstages: [load]\n",
            file: "p.yaml",
            knownStages: ["load"]
        )
        #expect(config.metricsDirectory == nil)
    }

    @Test("a CPT group file's bad range names its line")
    func cptGroupErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("driftline-groups-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("cpt_groups.yaml")
        try "groups:\n  - name: E&M\n    ranges:\n      - 99202-99215\n      - 99999-99000\n".write(
            to: file,
            atomically: true,
            encoding: .utf8
        )
        let error = try #require(configError { () throws(ConfigError) in _ = try CPTGroups.load(from: file) })
        #expect(error.line == 5)
        #expect(error.description.contains("bad CPT range '99999-99000'"))

        try "groups:\n  - name: E&M\n    ranges: [99202-99215]\n".write(to: file, atomically: true, encoding: .utf8)
        let groups = try CPTGroups.load(from: file)
        #expect(groups.names == ["E&M"])
        #expect(groups.ranges.count == 1)
    }
}
