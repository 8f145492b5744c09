import DriftlineCore
import DriftlineTestSupport
import Foundation
import Testing

/// Validates an upload given as text (no rules: the built-in format checks only).
func formatFindings(_ text: String, customer: String? = "acme-clinic") throws -> [Finding] {
    let validator = try UploadValidator(
        source: MemorySource(text),
        expectedCustomer: customer,
        rules: nil,
        groups: ClaimRowFixture.groups
    )
    var findings: [Finding] = []
    while try validator.next() != nil { findings += validator.findings }
    return findings
}

@Suite struct ClaimFormatTests {
    @Test func aValidRowHasNoFindings() throws {
        #expect(try formatFindings(Claims.header + "\n" + Claims.row(1) + "\n").isEmpty)
    }

    @Test(arguments: [
        ("2026-02-30", "format.date"), ("2026-13-01", "format.date"), ("26-01-01", "format.date"),
        ("2025-02-29", "format.date"),
    ])
    func rejectsImpossibleDates(date: String, rule: String) throws {
        let findings = try formatFindings(Claims.header + "\n" + Claims.row(1, serviceDate: date) + "\n")
        #expect(findings.map(\.ruleID) == [rule])
        #expect(findings.first?.column == "service_date")
        #expect(findings.first?.line == 2)
    }

    @Test func acceptsLeapDays() throws {
        #expect(try formatFindings(Claims.header + "\n" + Claims.row(1, serviceDate: "2024-02-29") + "\n").isEmpty)
    }

    @Test(arguments: [
        ("-5.00", "format.negative_amount"), ("12.345", "format.amount"), ("\"1,000.00\"", "format.amount"),
        ("abc", "format.amount"), ("1e5", "format.amount"),
    ])
    func rejectsBadAmounts(amount: String, rule: String) throws {
        let findings = try formatFindings(Claims.header + "\n" + Claims.row(1, billed: amount) + "\n")
        #expect(findings.map(\.ruleID) == [rule])
        #expect(findings.first?.column == "billed_amount")
    }

    @Test func acceptsZeroAndWholeAmounts() throws {
        let text = Claims.header + "\n" + Claims.row(1, billed: "0.00", allowed: "0", paid: "0.0") + "\n"
        #expect(try formatFindings(text).isEmpty)
    }

    @Test func outcomeIsCaseInsensitiveAndChecked() throws {
        #expect(try formatFindings(Claims.header + "\n" + Claims.row(1, outcome: "PAID") + "\n").isEmpty)
        let findings = try formatFindings(Claims.header + "\n" + Claims.row(1, outcome: "maybe") + "\n")
        #expect(findings.map(\.ruleID) == ["format.outcome"])
    }

    @Test func pendingClaimsHaveNoDecidedDateAndOthersNeedOne() throws {
        let pending = try formatFindings(Claims.header + "\n" + Claims.row(1, outcome: "pending") + "\n")
        #expect(pending.map(\.ruleID) == ["format.decided_date"])
        let paid = try formatFindings(Claims.header + "\n" + Claims.row(1, decided: "") + "\n")
        #expect(paid.map(\.ruleID) == ["format.required"])
        #expect(paid.first?.column == "decided_date")
    }

    @Test func theTenantGuardComparesCustomerIDs() throws {
        let findings = try formatFindings(Claims.header + "\n" + Claims.row(1, customer: "other-clinic") + "\n")
        #expect(findings.map(\.ruleID) == ["tenant.customer_id"])
    }

    @Test func nulBytesAndInvalidUTF8AreRejectedByColumn() throws {
        var bytes = Array((Claims.header + "\n").utf8)
        bytes += Array(Claims.row(1, payer: "AET\u{0}NA").utf8) + [0x0A]
        bytes += Array(Claims.row(2, payer: "AETNA").utf8).map { $0 == UInt8(ascii: "Z") ? 0xFF : $0 } + [0x0A]
        let validator = try UploadValidator(
            source: MemorySource(bytes: bytes),
            expectedCustomer: nil,
            rules: nil,
            groups: ClaimRowFixture.groups
        )
        var findings: [Finding] = []
        while try validator.next() != nil { findings += validator.findings }
        #expect(findings.contains { $0.ruleID == "format.nul" && $0.line == 2 && $0.column == "payer" })
        #expect(findings.contains { $0.ruleID == "format.encoding" && $0.line == 3 && $0.column == "patient_ref" })
    }

    @Test func wrongFieldCountsAreRejected() throws {
        let findings = try formatFindings(Claims.header + "\n" + Claims.row(1) + ",extra\n")
        #expect(findings.map(\.ruleID) == ["csv.column_count"])
    }

    @Test func headersMatchByNameInAnyOrderAndCase() throws {
        let columns = Claims.header.split(separator: ",").map(String.init)
        let values = Claims.row(1).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let order = Array((0..<columns.count).reversed())
        let text =
            order.map { columns[$0].uppercased() }.joined(separator: ",") + ",notes\n"
            + order.map { values[$0] }.joined(separator: ",") + ",free text\n"
        let validator = try UploadValidator(
            source: MemorySource(text),
            expectedCustomer: "acme-clinic",
            rules: nil,
            groups: ClaimRowFixture.groups
        )
        #expect(validator.header.unknownColumns == [columns.count + 1])  // named by position, never by name
        #expect(try validator.next()?.rejected == false)
    }

    @Test func aMissingRequiredColumnRejectsTheFile() throws {
        let header = Claims.header.replacingOccurrences(of: "payer,", with: "")
        #expect {
            _ = try formatFindings(header + "\n")
        } throws: { error in
            guard let error = error as? UploadError else { return false }
            return error.kind == .missingColumn && error.column?.description == "payer"
                && error.description.contains("payer")
        }
    }

    @Test func emptyAndHeaderOnlyFilesAreRejected() throws {
        #expect(throws: UploadError.self) { _ = try formatFindings("") }
        #expect {
            _ = try formatFindings(Claims.header + "\n")
        } throws: { ($0 as? UploadError)?.kind == .headerOnly }
    }

    @Test func findingsNeverCarryValues() throws {
        let text =
            Claims.header + "\n" + Claims.row(1, billed: "-\(Claims.canary)") + "\n"
            + Claims.row(2, serviceDate: Claims.canary) + "\n"
        let findings = try formatFindings(text)
        #expect(!findings.isEmpty)
        #expect(!findings.map(\.description).joined().contains(Claims.canary))
    }
}

@Suite struct AmountAndDateTests {
    @Test func amountsRoundTripAsCents() {
        #expect(Amount.parse("0") == .cents(0))
        #expect(Amount.parse("12.5") == .cents(1250))
        #expect(Amount.parse("99999999.99") == .cents(9_999_999_999))
        #expect(Amount.format(1250) == "12.50")
    }

    @Test func civilDatesRoundTrip() {
        for text in ["1970-01-01", "2000-02-29", "2024-02-29", "2026-11-21", "1999-12-31"] {
            #expect(CivilDate.format(CivilDate.parse(text)!) == text)
        }
        #expect(CivilDate.parse("2000-01-01") == 10_957)
        #expect(CivilDate.parse("1900-02-29") == nil)
    }
}
