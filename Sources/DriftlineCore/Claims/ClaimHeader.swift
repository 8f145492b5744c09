/// Where each format column sits in an upload, matched by header name (case-insensitive, any order).
package struct ClaimHeader: Sendable {
    /// CSV field index by ``ClaimColumn/rawValue``; -1 when the file lacks the (optional) column.
    package private(set) var fieldIndex: InlineArray<14, Int>
    /// How many fields every record must have.
    package private(set) var fieldCount: Int
    /// Header names the format does not know: never loaded, named in the report.
    package private(set) var unknownColumns: [String]

    package func index(of column: ClaimColumn) -> Int? {
        let index = fieldIndex[column.rawValue]
        return index >= 0 ? index : nil
    }

    /// Reads the header record.
    package init(record: CSVRecord) throws(UploadError) {
        fieldIndex = InlineArray(repeating: -1)
        fieldCount = record.fieldCount
        unknownColumns = []
        if let error = record.structuralError {
            throw UploadError(.malformedHeader, line: record.line, "the header row has \(error)")
        }
        var seen = Set<String>()
        for index in 0..<record.fieldCount {
            guard let bytes = record.field(index), bytes.count > 0 else {
                throw UploadError(.malformedHeader, line: record.line, "header column \(index + 1) is empty")
            }
            guard bytes.count <= 64, bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
                throw UploadError(
                    .malformedHeader,
                    line: record.line,
                    "header column \(index + 1) is not a plain ASCII name of at most 64 characters"
                )
            }
            let name = record.string(index).trimmingASCIISpaces().lowercased()
            guard seen.insert(name).inserted else {
                throw UploadError(
                    .malformedHeader,
                    line: record.line,
                    column: SafeText(name),
                    "the header names column '\(SafeText(name))' twice"
                )
            }
            if let column = ClaimColumn(name: name) {
                fieldIndex[column.rawValue] = index
            } else {
                unknownColumns.append(name)
            }
        }
        for column in ClaimColumn.allCases where column.isRequired && fieldIndex[column.rawValue] < 0 {
            throw UploadError(
                .missingColumn,
                line: record.line,
                column: SafeText(column.name),
                "required column '\(column)' is missing from the header"
            )
        }
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
