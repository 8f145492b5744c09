import DriftlineCore
import DriftlineTestSupport
import Foundation
import Testing

/// The read-ahead thread must not change what validation sees: the same rows, bytes, findings,
/// verdicts and errors, in the same order, whatever the batch sizes.
@Suite struct UploadValidatorTests {
    /// Everything a consumer of ``UploadValidator`` observes about one row.
    struct Observed: Equatable {
        var line: Int
        var raw: [UInt8]
        var fields: [[UInt8]?]
        var dates: [Int32]
        var amounts: [Int64]
        var cptKey: Int32
        var findings: [String]
        var rejected: Bool
        var warned: Bool
        var duplicateCandidate: Bool
    }

    struct Outcome: Equatable {
        var rows: [Observed] = []
        var error: String?
        var rowsRead = 0
    }

    static let asOf = ClaimRowFixture.day("2026-11-21")

    static let rules: RuleBook = {
        let directory = Workspace.repositoryRoot.appendingPathComponent("rules")
        let groups = try! CPTGroups.load(from: directory.appendingPathComponent("cpt_groups.yaml"))
        return try! RuleBook.load(directory: directory, groups: groups, asOf: asOf)
    }()

    static let groups = try! CPTGroups.load(
        from: Workspace.repositoryRoot.appendingPathComponent("rules/cpt_groups.yaml")
    )

    /// The reading set-ups compared: inline, and ahead with tiny batches (rows and bytes: every record
    /// spills to the next batch or grows an empty one), odd sizes, and the defaults.
    static let readings: [UploadValidator.Reading] = [
        .init(readsAhead: false),
        .init(readsAhead: false, rowsPerBatch: 1, bytesPerBatch: 1),
        .init(readsAhead: true, depth: 2, rowsPerBatch: 1, bytesPerBatch: 1),
        .init(readsAhead: true, depth: 2, rowsPerBatch: 3, bytesPerBatch: 200),
        .init(readsAhead: true, depth: 5, rowsPerBatch: 7, bytesPerBatch: 4096),
        .init(readsAhead: true),
    ]

    static func observe(
        _ bytes: [UInt8],
        reading: UploadValidator.Reading,
        rules: RuleBook? = UploadValidatorTests.rules,
        stopAfter limit: Int = .max
    ) throws -> Outcome {
        let validator = try UploadValidator(
            source: MemorySource(bytes: bytes, chunk: 777),
            expectedCustomer: "lakeview-health",
            rules: rules,
            groups: groups,
            reading: reading
        )
        var outcome = Outcome()
        do {
            while outcome.rows.count < limit, let row = try validator.next() {
                let claim = row.claim
                outcome.rows.append(
                    Observed(
                        line: row.line,
                        raw: Array(row.raw),
                        fields: ClaimColumn.allCases.map { claim.bytes($0).map(Array.init) },
                        dates: (0..<3).map { claim.dates[$0] },
                        amounts: (0..<3).map { claim.amounts[$0] },
                        cptKey: claim.cptKey,
                        findings: validator.findings.map(\.description),
                        rejected: row.rejected,
                        warned: row.warned,
                        duplicateCandidate: row.duplicateCandidate
                    )
                )
            }
        } catch {
            outcome.error = error.description
        }
        outcome.rowsRead = validator.rowsRead
        return outcome
    }

    /// The shipped dirty sample plus quoted fields, a record across lines, a stray quote, a short
    /// record, a repeated claim id and a last line without a terminator.
    static let awkwardFile: [UInt8] = {
        let dirty = try! Data(
            contentsOf: Workspace.repositoryRoot.appendingPathComponent(
                "samples/lakeview-health/claims-2026-11-21-dirty.csv"
            )
        )
        var text = String(decoding: dirty, as: UTF8.self)
        let row = Claims.row(900, customer: "lakeview-health")
        text += row.replacingOccurrences(of: "AETNA", with: "\"AET\"\"NA\"") + "\r\n"
        text += row.replacingOccurrences(of: "AETNA", with: "\"AET\nNA\"") + "\n"
        text += row.replacingOccurrences(of: "AETNA", with: "AE\"TNA") + "\n"
        text += "short,row\n"
        text += row + "\n" + row + "\n"
        text += String(repeating: Claims.row(901, customer: "lakeview-health") + "\n", count: 40)
        text +=
            Claims.row(903, customer: "lakeview-health").replacingOccurrences(of: "AETNA", with: "Regional Plan") + "\n"
        text += Claims.row(902, customer: "lakeview-health", patient: String(repeating: "x", count: 3000))
        return Array(text.utf8)
    }()

    @Test func everyReadingSeesTheSameRowsFindingsAndVerdicts() throws {
        let expected = try Self.observe(Self.awkwardFile, reading: Self.readings[0])
        #expect(expected.rows.count > 150)
        #expect(expected.rows.contains { $0.duplicateCandidate })
        #expect(expected.rows.contains { $0.rejected })
        #expect(expected.rows.contains { !$0.findings.isEmpty && !$0.rejected })
        #expect(expected.error == nil)
        for reading in Self.readings.dropFirst() {
            let seen = try Self.observe(Self.awkwardFile, reading: reading)
            #expect(seen.rows.count == expected.rows.count, "\(reading)")
            #expect(seen.error == expected.error && seen.rowsRead == expected.rowsRead, "\(reading)")
            // Name the first row that differs (the rows themselves are too long to print).
            let differing = zip(seen.rows, expected.rows).first { $0 != $1 }
            #expect(differing == nil, "line \(differing?.1.line ?? 0) differs with \(reading)")
        }
    }

    @Test func aFileErrorArrivesAfterTheRowsBeforeIt() throws {
        // An unclosed quote fails the file at its line; the rows before it are still delivered first.
        var text = Claims.file(rows: 25, customer: "lakeview-health")
        text += "\"never closed," + Claims.row(26, customer: "lakeview-health") + "\n"
        text += Claims.file(rows: 5, customer: "lakeview-health", startingAt: 27)
        for reading in Self.readings {
            let outcome = try Self.observe(Array(text.utf8), reading: reading)
            #expect(outcome.rows.map(\.line) == Array(2...26), "\(reading)")
            #expect(outcome.rowsRead == 25)
            #expect(outcome.error?.hasPrefix("malformed_csv at line 27") == true, "\(outcome.error ?? "no error")")
            #expect(outcome.error?.contains(Claims.canary) == false)
        }
    }

    @Test func aHeaderOnlyFileFailsInEveryReading() throws {
        for reading in Self.readings {
            let outcome = try Self.observe(Array((Claims.header + "\n").utf8), reading: reading)
            #expect(outcome.rows.isEmpty)
            #expect(outcome.error?.hasPrefix("header_only") == true, "\(reading)")
        }
    }

    @Test func abandoningAnUploadStopsItsReadingThread() throws {
        // Many batches ahead of a consumer that leaves after one row: the validator's release must stop
        // the thread (a hang here fails the run), and every later upload still reads in full.
        let big = Array(Claims.file(rows: 5000, customer: "lakeview-health").utf8)
        let reading = UploadValidator.Reading(readsAhead: true, depth: 2, rowsPerBatch: 16, bytesPerBatch: 1024)
        for _ in 0..<50 {
            let first = try Self.observe(big, reading: reading, rules: nil, stopAfter: 1)
            #expect(first.rows.count == 1)
        }
        let whole = try Self.observe(big, reading: reading, rules: nil)
        #expect(whole.rows.count == 5000)
        #expect(whole.rows.allSatisfy { $0.findings.isEmpty })
    }
}
