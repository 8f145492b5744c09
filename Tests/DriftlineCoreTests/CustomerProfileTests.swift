import DriftlineCore
import DriftlineTestSupport
import Foundation
import Testing

@Suite struct CustomerProfileTests {
    @Test func aProfileIsReadStrictly() throws {
        let profile = try CustomerProfile.parse(
            """
            encoding: windows-1252
            delimiter: "|"
            date_format: MM/DD/YYYY
            amounts: us
            columns:
              claim_id: Claim Number
              payer: Payer Name
            """,
            file: "acme.yaml"
        )
        #expect(profile.encoding == .windows1252 && profile.delimiter == UInt8(ascii: "|"))
        #expect(profile.dateFormat == .us && profile.amounts == .us)
        #expect(profile.columns == [.claimID: "Claim Number", .payer: "Payer Name"])
        #expect(profile.acceptsUpload(named: "june.PSV") && profile.acceptsUpload(named: "june.txt.zst"))
        #expect(!profile.acceptsUpload(named: "june.tsv") && !CustomerProfile.standard.acceptsUpload(named: "a.txt"))

        for (text, line, message) in [
            ("delimitr: \"|\"", 1, "unknown key 'delimitr'"),
            ("encoding: utf-16", 1, "'encoding' must be one of"),
            ("amounts: plain\ndate_format: YYYY/MM/DD", 2, "'date_format' must be one of"),
            ("columns:\n  claim_no: Claim Number", 2, "unknown format column 'claim_no'"),
            ("columns:\n  claim_id: A\n  payer: a", 3, "two columns are mapped to one header"),
        ] {
            #expect(throws: ConfigError.self) { try CustomerProfile.parse(text, file: "p.yaml") }
            do {
                _ = try CustomerProfile.parse(text, file: "p.yaml")
            } catch {
                #expect(error.line == line, "\(text)")
                #expect(error.description.contains(message), "\(error)")
            }
        }
    }

    @Test(arguments: [
        ("$1,234.50", Amount.ParseResult.cents(123_450)), ("1234.50", .cents(123_450)), ("$0.00", .cents(0)),
        ("12", .cents(1200)), ("$12,345,678.9", .cents(1_234_567_890)), ("(12.00)", .negative), ("-$3.00", .negative),
        ("1,23.00", .invalid), ("12,34", .invalid), (",123", .invalid), ("$", .invalid), ("1.234", .invalid),
        ("$1,2345.00", .invalid), ("(12.00", .invalid),
    ])
    func usAmounts(text: String, expected: Amount.ParseResult) {
        var bytes = Array(text.utf8)
        let parsed = bytes.withUnsafeMutableBufferPointer { Amount.parse(UnsafeBufferPointer($0), style: .us) }
        #expect(parsed == expected, "\(text)")
    }

    @Test func datesInEveryFormat() {
        func parse(_ text: String, _ format: DateFormat) -> String? {
            var bytes = Array(text.utf8)
            return bytes.withUnsafeMutableBufferPointer { CivilDate.parse(UnsafeBufferPointer($0), format: format) }
                .map(CivilDate.format)
        }
        #expect(parse("06/22/2026", .us) == "2026-06-22")
        #expect(parse("6/2/2026", .us) == nil)
        #expect(parse("6/2/2026", .usShort) == "2026-06-02")
        #expect(parse("12/31/2026", .usShort) == "2026-12-31")
        #expect(parse("22.06.2026", .european) == "2026-06-22")
        #expect(parse("02/29/2025", .us) == nil)
        #expect(parse("02/29/2024", .us) == "2024-02-29")
        #expect(parse("13/01/2026", .us) == nil)
        #expect(parse("2026-06-22", .us) == nil)
        #expect(parse("06/22/26", .us) == nil)
        #expect(parse("06/22/2026/1", .us) == nil)
    }

    @Test func windows1252IsTranscodedToUTF8AndUndefinedBytesStayInvalid() throws {
        final class Bytes: ByteSource {
            var data: [UInt8]
            init(_ data: [UInt8]) { self.data = data }
            func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
                let count = min(buffer.count, data.count)
                for index in 0..<count { buffer[index] = data[index] }
                data.removeFirst(count)
                return count
            }
        }
        // "Medicaid – Café €" in Windows-1252, then the undefined 0x81, then ASCII long enough for the word copy.
        let input: [UInt8] =
            Array("Medicaid ".utf8) + [0x96] + Array(" Caf".utf8) + [0xE9, 0x20, 0x80, 0x81]
            + Array("plain ascii text!".utf8)
        let source = TranscodingByteSource(upstream: Bytes(input), encoding: .windows1252)
        var output: [UInt8] = []
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = try source.read(into: buffer)
            if count == 0 { break }
            output += buffer[0..<count]
        }
        let expected = Array("Medicaid – Café €".utf8) + [0xFF] + Array("plain ascii text!".utf8)
        #expect(output == expected)

        let latin = TranscodingByteSource(upstream: Bytes([0x41, 0xE9, 0x96]), encoding: .iso88591)
        let count = try latin.read(into: buffer)
        #expect(Array(buffer[0..<count]) == [0x41, 0xC3, 0xA9, 0xC2, 0x96])
    }
}
