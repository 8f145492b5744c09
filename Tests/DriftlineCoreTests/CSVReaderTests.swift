import DriftlineCore
import Foundation
import Testing

/// A byte source over an in-memory buffer, handing out `chunk` bytes at a time.
final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0
    private let chunk: Int

    init(_ text: String, chunk: Int = 1 << 20) {
        self.bytes = Array(text.utf8)
        self.chunk = chunk
    }

    init(bytes: [UInt8], chunk: Int = 1 << 20) {
        self.bytes = bytes
        self.chunk = chunk
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let count = min(buffer.count, chunk, bytes.count - position)
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + position, byteCount: count)
        }
        position += count
        return count
    }
}

struct ParsedRecord: Equatable {
    var line: Int
    var fields: [String?]
    var structural: Int?
    var raw: String
}

func parseAll(_ text: String, chunk: Int = 1 << 20, readerChunk: Int = 256 * 1024) throws -> [ParsedRecord] {
    let reader = CSVReader(source: MemorySource(text, chunk: chunk), chunkSize: readerChunk)
    var records: [ParsedRecord] = []
    while let record = try reader.next() {
        let fields = (0..<record.fieldCount).map { index in
            record.field(index).map { String(decoding: $0, as: UTF8.self) }
        }
        records.append(
            ParsedRecord(
                line: record.line,
                fields: record.structuralError == nil ? fields : [],
                structural: record.structuralError?.field,
                // Terminators are not part of the record (a chunk may end between CR and LF).
                raw: String(decoding: record.raw, as: UTF8.self).trimmingCharacters(in: .newlines)
            )
        )
    }
    return records
}

@Suite struct CSVReaderTests {
    @Test func readsRecordsWithPhysicalLineNumbers() throws {
        let records = try parseAll("a,b\n1,2\n\"x\ny\",3\n4,5\n")
        #expect(records.map(\.line) == [1, 2, 3, 5])
        #expect(records[2].fields == ["x\ny", "3"])
        #expect(records[2].raw == "\"x\ny\",3")
    }

    @Test func handlesCRLFAndAByteOrderMark() throws {
        let records = try parseAll("\u{FEFF}a,b\r\n1,2\r\n3,4")
        #expect(records.map(\.fields) == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(records.map(\.line) == [1, 2, 3])
    }

    @Test func keepsSpacesAndEmptyFields() throws {
        let records = try parseAll("a,b,c\n x ,,\"\"\n")
        #expect(records[1].fields == [" x ", nil, ""])
    }

    @Test func skipsBlankLinesButCountsThem() throws {
        let records = try parseAll("a\n\n1\n\n\n2\n")
        #expect(records.map(\.line) == [1, 3, 6])
    }

    @Test func aStrayQuoteSpoilsOnlyItsLine() throws {
        let records = try parseAll("a,b,c\n1,x\"y,3\n4,5,6\n7,\"z\"q,9\n10,11,12\n")
        #expect(records.map(\.line) == [1, 2, 3, 4, 5])
        #expect(records[1].structural == 2)
        #expect(records[2].fields == ["4", "5", "6"])
        #expect(records[3].structural == 2)
        #expect(records[4].fields == ["10", "11", "12"])
    }

    @Test func anUnclosedQuoteFailsTheFileNamingItsLine() throws {
        #expect {
            _ = try parseAll("a,b\n1,2\n3,\"open\n4,5\n6,7\n")
        } throws: { error in
            (error as? CSVFileError)?.kind == .unclosedQuote && (error as? CSVFileError)?.line == 3
        }
    }

    @Test func aQuoteErrorAcrossLinesFailsTheFile() throws {
        #expect {
            _ = try parseAll("a,b\n1,\"x\ny\"z,2\n3,4\n")
        } throws: { error in
            (error as? CSVFileError)?.kind == .unclosedQuote && (error as? CSVFileError)?.line == 2
        }
    }

    @Test(arguments: [1, 2, 3, 7, 64])
    func givesTheSameRecordsWhateverTheChunking(chunk: Int) throws {
        let text = "id,name\r\n1,\"a,b\"\r\n2,\"multi\nline\"\r\n\r\n3,plain\n4,\"q\"\"uote\"\n"
        let expected = try parseAll(text)
        let chunked = try parseAll(text, chunk: chunk, readerChunk: max(4, chunk))
        #expect(chunked == expected, "\(chunked)")
        #expect(expected.map(\.line) == [1, 2, 3, 6, 7])
        #expect(expected[4].fields == ["4", "q\"uote"])
    }

    @Test func aRecordLongerThanTheLimitFailsTheFile() throws {
        let reader = CSVReader(
            source: MemorySource("a\n\"" + String(repeating: "x", count: 5000) + "\"\n"),
            maxRecordBytes: 1024
        )
        _ = try reader.next()
        #expect(throws: CSVFileError.self) { _ = try reader.next() }
    }

    @Test func anEmptyInputHasNoRecords() throws {
        #expect(try parseAll("").isEmpty)
    }
}
