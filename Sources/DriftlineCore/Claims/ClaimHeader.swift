/// Where each format column sits in an upload, matched by header name (case-insensitive, any order).
///
/// Header names are upload bytes: when a file arrives without its header row, the "header" is a claim.
/// So a header name reaches an error, a log line or the database only when it is a format column's name
/// or a name the customer's profile maps (both configuration); any other header column is named by its
/// position. A first row that looks like data is refused as such, naming no value.
package struct ClaimHeader: Sendable {
    /// CSV field index by ``ClaimColumn/rawValue``; -1 when the file lacks the (optional) column.
    package private(set) var fieldIndex: InlineArray<14, Int>
    /// How many fields every record must have.
    package private(set) var fieldCount: Int
    /// 1-based positions of header columns neither the format nor the profile knows: never loaded.
    /// At most ``maxListedUnknownColumns`` are kept; ``unknownColumnCount`` counts them all.
    package private(set) var unknownColumns: [Int]
    package private(set) var unknownColumnCount: Int

    package static let maxListedUnknownColumns = 20

    package func index(of column: ClaimColumn) -> Int? {
        let index = fieldIndex[column.rawValue]
        return index >= 0 ? index : nil
    }

    /// Reads the header record.
    ///
    /// - Parameter columns: the profile's header name for format columns (others keep the format's name).
    package init(record: CSVRecord, columns mapped: [ClaimColumn: String] = [:]) throws(UploadError) {
        fieldIndex = InlineArray(repeating: -1)
        fieldCount = record.fieldCount
        unknownColumns = []
        unknownColumnCount = 0
        if let error = record.structuralError {
            throw UploadError(.malformedHeader, line: record.line, "the header row has \(error)")
        }
        var names: [String: ClaimColumn] = [:]
        for column in ClaimColumn.allCases {
            names[(mapped[column] ?? column.name).lowercased()] = column
        }
        let fields = (0..<record.fieldCount).map { record.field($0).map { Array($0) } ?? [] }
        if Self.looksLikeData(fields, names: names) {
            throw UploadError(
                .noHeader,
                line: record.line,
                "the first row looks like data: the file has no header row"
            )
        }
        var seen: [String: Int] = [:]
        for (index, bytes) in fields.enumerated() {
            guard !bytes.isEmpty else {
                throw UploadError(.malformedHeader, line: record.line, "header column \(index + 1) is empty")
            }
            guard bytes.count <= 64, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                throw UploadError(
                    .malformedHeader,
                    line: record.line,
                    "header column \(index + 1) is not a plain ASCII name of at most 64 characters"
                )
            }
            let name = String(decoding: bytes, as: UTF8.self).trimmingASCIISpaces().lowercased()
            let column = names[name]
            if let first = seen[name] {
                if let column {
                    throw UploadError(
                        .malformedHeader,
                        line: record.line,
                        column: SafeText(configuration: column.name),
                        "the header names column '\(column)' twice (header columns \(first + 1) and \(index + 1))"
                    )
                }
                throw UploadError(
                    .malformedHeader,
                    line: record.line,
                    "header column \(index + 1) repeats header column \(first + 1)"
                )
            }
            seen[name] = index
            if let column {
                fieldIndex[column.rawValue] = index
            } else {
                unknownColumnCount += 1
                if unknownColumns.count < Self.maxListedUnknownColumns { unknownColumns.append(index + 1) }
            }
        }
        for column in ClaimColumn.allCases where column.isRequired && fieldIndex[column.rawValue] < 0 {
            let message: SafeMessage =
                mapped[column] == nil
                ? "required column '\(column)' is missing from the header"
                : "required column '\(column)' (named '\(SafeText(configuration: mapped[column]!))' by the customer profile) is missing from the header"
            throw UploadError(.missingColumn, line: record.line, column: SafeText(configuration: column.name), message)
        }
    }

    /// A description of the unknown columns by position, e.g. "3 unknown columns at positions 15, 16, 17".
    package var unknownColumnsSummary: SafeMessage? {
        guard unknownColumnCount > 0 else { return nil }
        let positions = unknownColumns.map(String.init).joined(separator: ", ")
        let more =
            unknownColumnCount > unknownColumns.count ? " and \(unknownColumnCount - unknownColumns.count) more" : ""
        return unknownColumnCount == 1
            ? "1 unknown column at position \(SafeText(code: positions))"
            : "\(unknownColumnCount) unknown columns at positions \(SafeText(code: positions + more))"
    }

    /// Whether a "header" is really a claim: a field that is a date, an amount or a number, or, when the row
    /// names no known column at all, a first field with a digit in it (a claim id).
    static func looksLikeData(_ fields: [[UInt8]], names: [String: ClaimColumn]) -> Bool {
        for field in fields where isNumeric(field) { return true }
        let known = fields.contains {
            names[String(decoding: $0, as: UTF8.self).trimmingASCIISpaces().lowercased()] != nil
        }
        if !known, let first = fields.first, first.contains(where: { $0 &- 0x30 < 10 }) { return true }
        return false
    }

    /// Digits with the punctuation of dates and amounts only (`2026-06-22`, `06/22/2026`, `$1,234.50`, `(12.00)`).
    private static func isNumeric(_ field: [UInt8]) -> Bool {
        var digits = 0
        for byte in field {
            if byte &- 0x30 < 10 {
                digits += 1
            } else if !" -/.,$()+:".utf8.contains(byte) {
                return false
            }
        }
        return digits > 0
    }
}

extension String {
    func trimmingASCIISpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " || scalars.first == "\t" { scalars.removeFirst() }
        while scalars.last == " " || scalars.last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
