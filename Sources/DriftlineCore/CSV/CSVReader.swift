import CLibCSV

#if canImport(Glibc)
import Glibc
#endif

/// One CSV record as the reader sees it; valid only until the next call to ``CSVReader/next()``.
package struct CSVRecord {
    /// The physical line on which the record starts (header = 1).
    package var line: Int
    package var fieldCount: Int
    /// Set when the record broke the CSV grammar on a single line (a stray quote): its fields are not usable.
    package var structuralError: StructuralError?
    fileprivate var fields: UnsafePointer<UInt8>
    /// The number of bytes at ``base`` that the fields occupy.
    package var fieldsLength: Int
    fileprivate var offsets: UnsafePointer<Int32>
    /// The record's original bytes, line terminator included (for reject reports beside the upload).
    package var raw: UnsafeBufferPointer<UInt8>

    /// Where field `index` sits in ``base``; `count < 0` when it is empty.
    @inline(__always)
    package func slice(_ index: Int) -> FieldSlice {
        FieldSlice(start: offsets[2 &* index], count: offsets[2 &* index &+ 1])
    }

    package var base: UnsafePointer<UInt8> { fields }

    @inline(__always)
    package func field(_ index: Int) -> UnsafeBufferPointer<UInt8>? {
        let slice = slice(index)
        guard slice.count >= 0 else { return nil }
        return UnsafeBufferPointer(start: fields + Int(slice.start), count: Int(slice.count))
    }

    /// The field as text: only for the header row and other non-PHI content.
    package func string(_ index: Int) -> String {
        field(index).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

/// A CSV grammar violation confined to one record.
package struct StructuralError: Sendable, LogSafe {
    /// 1-based index of the field in which the parser stopped.
    package var field: Int
    package var description: String { "malformed quoting in field \(field)" }
}

/// Why a file cannot be read as CSV at all: names the line, never the content.
package struct CSVFileError: Error, LogSafe {
    package enum Kind: String, Sendable, LogSafe {
        case unclosedQuote, recordTooLong, bareCarriageReturn, input
        package var description: String { rawValue }
    }
    package var kind: Kind
    package var line: Int
    package var message: SafeMessage
    /// For ``Kind/input``: what the byte source reported.
    package var input: InputError?
    package var description: String { "line \(line): \(message)" }
}

/// Streams CSV records from a ``ByteSource`` through libcsv in strict mode, in bounded memory.
///
/// The input is fed to libcsv one physical line at a time so every record knows the line it starts
/// on and its original bytes. A stray quote on a single line spoils only that record (the parser is
/// reset at the next line); a quoting error spanning lines, or a quote never closed, fails the file,
/// because the fields after it cannot be trusted.
package final class CSVReader {
    private let source: any ByteSource
    private var parser = csv_parser()
    private let chunk: UnsafeMutableRawBufferPointer
    private var chunkStart = 0
    private var chunkEnd = 0
    private var atEOF = false
    private var firstChunk = true
    private let maxRecordBytes: Int

    /// The next physical line to be fed.
    private var currentLine = 1
    private var recordLine = 1

    // Written by the libcsv callbacks (hot path: no exclusivity checks).
    @exclusivity(unchecked) fileprivate var fieldBytes: UnsafeMutablePointer<UInt8>
    @exclusivity(unchecked) fileprivate var fieldBytesCapacity: Int
    @exclusivity(unchecked) fileprivate var fieldBytesCount = 0
    @exclusivity(unchecked) fileprivate var offsets: UnsafeMutablePointer<Int32>
    @exclusivity(unchecked) fileprivate var offsetsCapacity: Int
    @exclusivity(unchecked) fileprivate var fieldCount = 0
    @exclusivity(unchecked) fileprivate var recordsCompleted = 0
    @exclusivity(unchecked) fileprivate var completedFieldCount = 0

    private var raw: UnsafeMutablePointer<UInt8>
    private var rawCapacity: Int
    private var rawCount = 0

    /// The field separator (`,` unless a customer profile says otherwise).
    private let delimiter: UInt8

    /// - Parameter delimiter: the field separator byte: `,`, `|`, `;` or a tab.
    package init(
        source: any ByteSource,
        delimiter: UInt8 = 0x2C,
        chunkSize: Int = 256 * 1024,
        maxRecordBytes: Int = 1 << 20
    ) {
        self.source = source
        self.delimiter = delimiter
        self.maxRecordBytes = maxRecordBytes
        chunk = .allocate(byteCount: chunkSize, alignment: 16)
        fieldBytesCapacity = 4096
        fieldBytes = .allocate(capacity: fieldBytesCapacity)
        offsetsCapacity = 64
        offsets = .allocate(capacity: offsetsCapacity)
        rawCapacity = 4096
        raw = .allocate(capacity: rawCapacity)
        Self.initParser(&parser, delimiter: delimiter)
    }

    deinit {
        csv_free(&parser)
        chunk.deallocate()
        fieldBytes.deallocate()
        offsets.deallocate()
        raw.deallocate()
    }

    private static func initParser(_ parser: inout csv_parser, delimiter: UInt8) {
        _ = csv_init(&parser, UInt8(CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL))
        csv_set_space_func(&parser) { _ in 0 }
        csv_set_delim(&parser, delimiter)
    }

    /// The number of physical lines consumed so far.
    package var linesRead: Int { currentLine - 1 }

    /// The next record, or `nil` at the end of the input.
    package func next() throws(CSVFileError) -> CSVRecord? {
        while true {
            if chunkStart == chunkEnd {
                if atEOF { return try finish() }
                try refill()
                continue
            }
            // One physical line (or the rest of the chunk when the line continues in the next one).
            let base = chunk.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let start = base + chunkStart
            let available = chunkEnd - chunkStart
            let newline = memchr(start, 0x0A, available)
            let length = newline.map { UnsafeRawPointer($0) - UnsafeRawPointer(start) + 1 } ?? available
            let endsLine = newline != nil

            if parser.pstate == 0 {  // ROW_NOT_BEGUN: a new record starts on this line
                recordLine = currentLine
                rawCount = 0
                fieldBytesCount = 0
                fieldCount = 0
            }
            try appendRaw(start, length)
            if parser.pstate == 0 && endsLine && splitPlainLine(length) {
                // Fast path: a whole line without quotes, split in place (fields point into `raw`).
                chunkStart += length
                currentLine += 1
                return makeRecord(line: recordLine, fieldCount: fieldCount, error: nil, fields: raw)
            }
            let parsed = withUnsafeMutablePointer(to: &parser) { parserPointer in
                csv_parse(
                    parserPointer,
                    start,
                    length,
                    csvFieldCallback,
                    csvRecordCallback,
                    Unmanaged.passUnretained(self).toOpaque()
                )
            }
            chunkStart += length
            let lineOfRecord = recordLine
            if endsLine { currentLine += 1 }

            if parsed < length {
                // Strict-mode grammar error (a stray quote or a character after a closing quote).
                let field = fieldCount + 1
                resetParser()
                if lineOfRecord != currentLine - (endsLine ? 1 : 0) {
                    throw CSVFileError(
                        kind: .unclosedQuote,
                        line: lineOfRecord,
                        message:
                            "a quoted field opened on line \(lineOfRecord) runs across lines and breaks the CSV grammar"
                    )
                }
                if !endsLine { skipRestOfLine() }
                return makeRecord(line: lineOfRecord, fieldCount: fieldCount, error: StructuralError(field: field))
            }
            if recordsCompleted > 0 {
                guard recordsCompleted == 1 else {
                    throw CSVFileError(
                        kind: .bareCarriageReturn,
                        line: lineOfRecord,
                        message: "line \(lineOfRecord) holds several records separated by bare CR characters"
                    )
                }
                recordsCompleted = 0
                return makeRecord(line: lineOfRecord, fieldCount: completedFieldCount, error: nil)
            }
        }
    }

    /// Splits the line just copied to `raw` (`length` bytes, ending in LF) on the delimiter, exactly as libcsv
    /// would in this configuration (strict, no trimming, empty = NULL), when it holds no quote and no CR
    /// other than a CRLF terminator and is not blank. Returns `false`, with nothing recorded, otherwise:
    /// then libcsv parses the line (quoted fields, stray quotes, bare CRs, blank lines).
    @inline(__always)
    private func splitPlainLine(_ length: Int) -> Bool {
        var end = length - 1
        if end > 0 && raw[end - 1] == 0x0D { end -= 1 }
        guard end > 0 else { return false }
        fieldCount = 0
        var fieldStart = 0
        var index = 0
        let delimiter = self.delimiter
        while index < end {
            let byte = raw[index]
            if byte == delimiter {
                appendOffset(fieldStart, index &- fieldStart)
                fieldStart = index &+ 1
            } else if byte == 0x22 || byte == 0x0D {
                fieldCount = 0
                return false
            }
            index &+= 1
        }
        appendOffset(fieldStart, end &- fieldStart)
        return true
    }

    /// Records a field at `start` (`count` bytes; 0 = empty, NULL) of the fast path's line in `raw`.
    @inline(__always)
    private func appendOffset(_ start: Int, _ count: Int) {
        if 2 * (fieldCount + 1) > offsetsCapacity { growOffsets() }
        offsets[2 &* fieldCount] = count > 0 ? Int32(truncatingIfNeeded: start) : 0
        offsets[2 &* fieldCount &+ 1] = count > 0 ? Int32(truncatingIfNeeded: count) : -1
        fieldCount &+= 1
    }

    private func growOffsets() {
        let grown = UnsafeMutablePointer<Int32>.allocate(capacity: offsetsCapacity * 2)
        grown.update(from: offsets, count: offsetsCapacity)
        offsets.deallocate()
        offsets = grown
        offsetsCapacity *= 2
    }

    private func makeRecord(
        line: Int,
        fieldCount: Int,
        error: StructuralError?,
        fields: UnsafeMutablePointer<UInt8>? = nil
    ) -> CSVRecord {
        CSVRecord(
            line: line,
            fieldCount: fieldCount,
            structuralError: error,
            fields: UnsafePointer(fields ?? fieldBytes),
            fieldsLength: fields == nil ? fieldBytesCount : rawCount,
            offsets: UnsafePointer(offsets),
            raw: UnsafeBufferPointer(start: raw, count: rawCount)
        )
    }

    private func finish() throws(CSVFileError) -> CSVRecord? {
        let line = recordLine
        let result = withUnsafeMutablePointer(to: &parser) { parserPointer in
            csv_fini(parserPointer, csvFieldCallback, csvRecordCallback, Unmanaged.passUnretained(self).toOpaque())
        }
        if result != 0 {
            resetParser()
            throw CSVFileError(
                kind: .unclosedQuote,
                line: line,
                message: "a quoted field opened on line \(line) is never closed"
            )
        }
        if recordsCompleted > 0 {
            // The last record had no line terminator.
            recordsCompleted = 0
            if rawCount > 0 { currentLine += 1 }
            return makeRecord(line: line, fieldCount: completedFieldCount, error: nil)
        }
        return nil
    }

    private func refill() throws(CSVFileError) {
        let count: Int
        do { count = try source.read(into: chunk) } catch {
            throw CSVFileError(kind: .input, line: currentLine, message: error.message, input: error)
        }
        chunkStart = 0
        chunkEnd = count
        if count == 0 { atEOF = true }
        if firstChunk {
            firstChunk = false
            // A UTF-8 byte order mark is tolerated and dropped.
            if count >= 3, chunk[0] == 0xEF, chunk[1] == 0xBB, chunk[2] == 0xBF { chunkStart = 3 }
        }
    }

    private func skipRestOfLine() {
        while true {
            if chunkStart == chunkEnd {
                if atEOF { return }
                do { try refill() } catch { return }
                continue
            }
            let base = chunk.baseAddress!.assumingMemoryBound(to: UInt8.self)
            if let newline = memchr(base + chunkStart, 0x0A, chunkEnd - chunkStart) {
                chunkStart = UnsafeRawPointer(newline) - UnsafeRawPointer(base) + 1
                currentLine += 1
                return
            }
            chunkStart = chunkEnd
        }
    }

    private func resetParser() {
        csv_free(&parser)
        parser = csv_parser()
        Self.initParser(&parser, delimiter: delimiter)
    }

    private func appendRaw(_ bytes: UnsafePointer<UInt8>, _ count: Int) throws(CSVFileError) {
        let needed = rawCount + count
        if needed > rawCapacity {
            guard needed <= maxRecordBytes else {
                throw CSVFileError(
                    kind: .recordTooLong,
                    line: recordLine,
                    message:
                        "the record starting on line \(recordLine) exceeds \(maxRecordBytes) bytes (an unclosed quote?)"
                )
            }
            var capacity = rawCapacity
            while capacity < needed { capacity *= 2 }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
            grown.update(from: raw, count: rawCount)
            raw.deallocate()
            raw = grown
            rawCapacity = capacity
        }
        (raw + rawCount).update(from: bytes, count: count)
        rawCount = needed
    }

    @inline(__always)
    fileprivate func appendField(_ pointer: UnsafeRawPointer?, _ count: Int) {
        if 2 * (fieldCount + 1) > offsetsCapacity { growOffsets() }
        if let pointer {
            if fieldBytesCount + count > fieldBytesCapacity {
                var capacity = fieldBytesCapacity
                while capacity < fieldBytesCount + count { capacity *= 2 }
                let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
                grown.update(from: fieldBytes, count: fieldBytesCount)
                fieldBytes.deallocate()
                fieldBytes = grown
                fieldBytesCapacity = capacity
            }
            (fieldBytes + fieldBytesCount).update(from: pointer.assumingMemoryBound(to: UInt8.self), count: count)
            offsets[2 * fieldCount] = Int32(truncatingIfNeeded: fieldBytesCount)
            offsets[2 * fieldCount + 1] = Int32(truncatingIfNeeded: count)
            fieldBytesCount += count
        } else {
            offsets[2 * fieldCount] = 0
            offsets[2 * fieldCount + 1] = -1
        }
        fieldCount += 1
    }

    @inline(__always)
    fileprivate func endRecord() {
        recordsCompleted += 1
        completedFieldCount = fieldCount
    }
}

private func csvFieldCallback(_ field: UnsafeMutableRawPointer?, _ count: Int, _ context: UnsafeMutableRawPointer?) {
    Unmanaged<CSVReader>.fromOpaque(context!)._withUnsafeGuaranteedRef { $0.appendField(field, count) }
}

private func csvRecordCallback(_ terminator: Int32, _ context: UnsafeMutableRawPointer?) {
    Unmanaged<CSVReader>.fromOpaque(context!)._withUnsafeGuaranteedRef { $0.endRecord() }
}
