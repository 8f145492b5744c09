import DriftlineCore
import DriftlinePipeline
import DriftlineSamples
import DriftlineTestSupport
import Foundation
import Testing

/// Exports as customers really send them: payer spellings, profiles (encoding, delimiter, formats, header
/// names), files without a header row, files that are not uploads.
@Suite(.serialized, .enabled(if: TestDatabase.isAvailable))
struct RealWorldUploadTests {
    /// Writes a generated export of `style` into the harness's inbox (and its profiles beside the pipeline).
    private static func drop(style: SampleStyle, rows: Int, seed: UInt64, into harness: LoadHarness) throws {
        let scratch = harness.workspace.root.appendingPathComponent("generated-\(style)")
        _ = try SampleGenerator(
            configuration: .init(rows: rows, customers: 2, seed: seed, style: style)
        ).write(to: scratch)
        let manager = FileManager.default
        for customer in try manager.contentsOfDirectory(atPath: scratch.path) {
            let folder = scratch.appendingPathComponent(customer)
            if customer == "profiles" {
                try manager.copyItem(
                    at: folder,
                    to: harness.workspace.root.appendingPathComponent("pipelines/profiles")
                )
                continue
            }
            for name in try manager.contentsOfDirectory(atPath: folder.path) {
                try harness.workspace.drop(
                    try Data(contentsOf: folder.appendingPathComponent(name)),
                    customer: customer,
                    name: name
                )
            }
        }
    }

    private static let claimsQuery = """
        SELECT customer_id, claim_id, payer, payer_raw, cpt_code, cpt_group, service_date::text,
               submitted_date::text, decided_date::text, outcome, denial_reason, billed_amount::text,
               allowed_amount::text, paid_amount::text, patient_ref, provider_npi, line_no::text
          FROM driftline.claims ORDER BY customer_id, claim_id
        """

    @Test func aRealisticExportLoadsWithZeroFindingsAndOneCanonicalIDPerPayer() async throws {
        let harness = try LoadHarness()
        try Self.drop(style: .realistic, rows: 6_000, seed: 41, into: harness)
        let result = try await harness.run()
        #expect(result.status == .ok)
        #expect(result.summary["rows_read"] == 6_000)
        #expect(result.summary["rows_loaded"] == 6_000)
        #expect(try harness.database.int("SELECT count(*) FROM driftline.upload_findings") == 0)
        #expect(try harness.database.int("SELECT coalesce(sum(rows_warned), 0) FROM driftline.uploads") == 0)
        // Every spelling became its canonical id; what the file said is kept where it differs.
        let payers = Set(try harness.database.rows("SELECT DISTINCT payer FROM driftline.claims").map { $0[0]! })
        let book = try RuleBook.load(
            directory: harness.workspace.root.appendingPathComponent("rules"),
            groups: ClaimRowFixture.groups,
            asOf: 0
        )
        #expect(payers.isSubset(of: Set(book.payers.ids)), "\(payers.subtracting(book.payers.ids))")
        #expect(payers.contains("UHC") && payers.contains("MEDICARE"))
        let spellings = try harness.database.rows(
            "SELECT DISTINCT payer_raw FROM driftline.claims WHERE payer = 'UHC' AND payer_raw IS NOT NULL"
        ).map { $0[0]! }
        #expect(Set(spellings).isSuperset(of: ["UnitedHealthcare", "United Healthcare", "United Health Care"]))
        #expect(
            try harness.database.int("SELECT count(*) FROM driftline.claims WHERE payer = 'UHC' AND payer_raw IS NULL")
                > 0,
            "a file that writes the canonical id keeps no copy of it"
        )
        // Pending claims came with 0.00 amounts and loaded.
        #expect(
            try harness.database.int(
                "SELECT count(*) FROM driftline.claims WHERE outcome = 'pending' AND paid_amount = 0"
            )
                > 0
        )
    }

    @Test func aMappedWindows1252PipeFileLoadsTheSameClaimsAsItsCanonicalTwin() async throws {
        let plain = try LoadHarness()
        try Self.drop(style: .realistic, rows: 3_000, seed: 5, into: plain)
        #expect(try await plain.run().status == .ok)
        let mapped = try LoadHarness()
        try Self.drop(style: .mapped, rows: 3_000, seed: 5, into: mapped)
        let inbox = mapped.workspace.files(in: "inbox")
        #expect(inbox.allSatisfy { $0.hasSuffix(".psv") }, "\(inbox)")
        #expect(try await mapped.run().status == .ok)

        let expected = try plain.database.rows(Self.claimsQuery)
        let loaded = try mapped.database.rows(Self.claimsQuery)
        #expect(expected.count == 3_000)
        #expect(loaded == expected)
        // The Windows-1252 en dash arrived as UTF-8.
        #expect(
            try mapped.database.int("SELECT count(*) FROM driftline.claims WHERE payer_raw = 'Medicaid – State Plan'")
                > 0
        )
    }

    @Test func bytesInvalidInTheDeclaredEncodingRejectTheRowNamingLineAndColumn() async throws {
        let harness = try LoadHarness(maxRejectRate: 0.5)
        try FileManager.default.createDirectory(
            at: harness.workspace.root.appendingPathComponent("pipelines/profiles"),
            withIntermediateDirectories: true
        )
        try "encoding: windows-1252\n".write(
            to: harness.workspace.root.appendingPathComponent("pipelines/profiles/acme-clinic.yaml"),
            atomically: true,
            encoding: .utf8
        )
        var bytes = Array((Claims.header + "\n" + Claims.row(1) + "\n").utf8)
        // 0x81 is undefined in Windows-1252; 0xE9 (é) is fine.
        func row(_ id: Int, payer byte: UInt8) -> [UInt8] {
            Array(Claims.row(id, payer: "CAF~").utf8).map { $0 == UInt8(ascii: "~") ? byte : $0 } + [0x0A]
        }
        bytes += row(2, payer: 0x81) + row(3, payer: 0xE9)
        try harness.workspace.drop(Data(bytes), customer: "acme-clinic", name: "a.csv")
        #expect(try await harness.run().status == .ok)
        let rejects = try harness.database.rows("SELECT line_no::text, column_name, rule_id FROM driftline.rejects")
        #expect(rejects == [["3", "payer", "format.encoding"]])
        #expect(try harness.database.scalar("SELECT payer_raw FROM driftline.claims WHERE line_no = 4") == nil)
        #expect(try harness.database.scalar("SELECT payer FROM driftline.claims WHERE line_no = 4") == "CAFé")
    }

    @Test func anUnknownPayerLoadsAsWrittenAndIsReportedOncePerName() async throws {
        let harness = try LoadHarness()
        let rows = (1...6).map { Claims.row($0, payer: $0 % 2 == 0 ? "Regional Plan" : "Aetna") }
        try harness.workspace.drop(
            ([Claims.header] + rows).joined(separator: "\n") + "\n",
            customer: "acme-clinic",
            name: "a.csv"
        )
        #expect(try await harness.run().status == .ok)
        #expect(try harness.database.int("SELECT count(*) FROM driftline.claims WHERE payer = 'Regional Plan'") == 3)
        #expect(try harness.database.int("SELECT count(*) FROM driftline.claims WHERE payer = 'AETNA'") == 3)
        #expect(
            try harness.database.rows("SELECT rule_id, severity, count::text FROM driftline.upload_findings")
                == [["payer.unknown", "info", "1"]]
        )
        let report = try harness.workspace.read("archive/acme-clinic/2026-11-21/a.csv.rejects.csv")
        #expect(report.components(separatedBy: "payer.unknown").count == 2, "listed once: \(report)")
        #expect(report.contains("3,\"payer\",payer.unknown,info,"))
        #expect(!(try harness.allText()).contains("Regional Plan"))
    }

    // MARK: - Files without a header row (the PHI leak)

    /// A row with a canary in every column the format reads: claim id, payer, CPT, dates (service =
    /// submitted, the same-day case), amounts (allowed = paid), denial reason, patient ref, NPI.
    static let canaries = [
        "ZZCLAIM7731", "acme-clinic", "ZZPAYERCANARY", "0517T", "2019-03-17", "2019-03-17", "2019-04-23", "paid",
        "ZZDENIALCANARY", "4271.93", "3618.47", "3618.47", "ZZPATIENTCANARY", "1987654328",
    ]

    private static func assertNoCanary(in text: String, _ comment: Comment? = nil) {
        for canary in canaries where canary != "acme-clinic" && canary != "paid" {
            #expect(!text.contains(canary), "\(canary) leaked \(comment?.rawValue ?? "")")
        }
    }

    private func reports(_ harness: LoadHarness) throws -> String {
        try harness.workspace.files(in: "rejected").filter { $0.contains(".report.") }.map {
            try harness.workspace.read("rejected/" + $0)
        }.joined()
    }

    @Test func aHeaderlessFileIsRejectedAsHavingNoHeaderAndNamesNoValue() async throws {
        let harness = try LoadHarness()
        let row = Self.canaries.joined(separator: ",")
        try harness.workspace.drop(
            row + "\n" + row.replacingOccurrences(of: "ZZCLAIM7731", with: "ZZCLAIM7732") + "\n",
            customer: "acme-clinic",
            name: "a.csv"
        )
        let result = try await harness.run()
        #expect(result.status == .finished(.dataRejected))
        #expect(try harness.upload("a.csv")["error"] == "no_header")
        #expect(
            try harness.database.scalar("SELECT error_message FROM driftline.uploads")
                == "the first row looks like data: the file has no header row"
        )
        Self.assertNoCanary(in: try harness.allText(), "into logs, the database or metrics")
        Self.assertNoCanary(in: try reports(harness), "into the upload's reports")
        #expect(try harness.database.scalar("SELECT unknown_columns::text FROM driftline.uploads") == "{}")
    }

    @Test func repeatedAndUnknownHeaderNamesAreNamedByPosition() async throws {
        let harness = try LoadHarness()
        // A header that is not data but repeats a name the format does not know.
        try harness.workspace.drop(
            Claims.header + ",ZZHEADERCANARY,ZZHEADERCANARY\n" + Claims.row(1) + ",a,b\n",
            customer: "acme-clinic",
            name: "a.csv"
        )
        #expect(try await harness.run().status == .finished(.dataRejected))
        #expect(
            try harness.database.scalar("SELECT error_message FROM driftline.uploads")
                == "header column 16 repeats header column 15"
        )
        #expect(!(try harness.allText()).contains("ZZHEADERCANARY"))
        #expect(!(try reports(harness)).contains("ZZHEADERCANARY"))
    }

    @Test func shiftedColumnsRejectRowsWithoutQuotingThem() async throws {
        let harness = try LoadHarness(maxRejectRate: 1)
        // One field too many on every row: each column's canary lands in its neighbour.
        let shifted = (["x"] + Self.canaries).joined(separator: ",")
        try harness.workspace.drop(
            Claims.header + "\n" + shifted + "\n" + Self.canaries.joined(separator: ",") + "\n",
            customer: "acme-clinic",
            name: "a.csv"
        )
        _ = try await harness.run()
        Self.assertNoCanary(in: try harness.allText())
        let archived = try harness.workspace.files(in: "archive").filter { $0.contains(".report.") }.map {
            try harness.workspace.read("archive/" + $0)
        }.joined()
        Self.assertNoCanary(in: archived + (try reports(harness)), "into the upload's reports")
    }

    // MARK: - Only uploads are uploads

    @Test func aFileThatIsNotAnUploadIsReportedAndMovedToRejectedUnread() async throws {
        let harness = try LoadHarness()
        try harness.workspace.drop(Claims.file(rows: 2), customer: "acme-clinic", name: "a.csv")
        try harness.workspace.drop(Claims.file(rows: 2, startingAt: 10), customer: "acme-clinic", name: "notes.xlsx")
        let result = try await harness.run()
        #expect(result.status == .finished(.dataRejected))
        #expect(result.summary["rows_loaded"] == 2)
        #expect(try harness.database.int("SELECT count(*) FROM driftline.uploads") == 1)
        let rejected = harness.workspace.files(in: "rejected")
        #expect(rejected == ["acme-clinic/notes.xlsx", "acme-clinic/notes.xlsx.rejects.csv"], "\(rejected)")
        let report = try harness.workspace.read("rejected/acme-clinic/notes.xlsx.rejects.csv")
        #expect(report.contains("upload.file_type,error,\"not an upload"))
        #expect(!report.contains(Claims.canary))
    }
}
