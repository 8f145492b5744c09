/// Why an upload is rejected as a whole. Safe to print: file positions and codes, never values.
package struct UploadError: Error, LogSafe {
    package enum Kind: String, Sendable, LogSafe {
        case emptyFile = "empty_file"
        case headerOnly = "header_only"
        case malformedHeader = "malformed_header"
        /// The first row is a claim, not a header.
        case noHeader = "no_header"
        case missingColumn = "missing_column"
        case malformedCSV = "malformed_csv"
        case unreadable = "unreadable"
        case truncatedCompressed = "truncated_zstd"
        case corruptCompressed = "corrupt_zstd"
        case rejectRate = "reject_rate"
        case notAFile = "not_a_file"
        /// More (decompressed) bytes than the load stage's `max_bytes`.
        case tooLarge = "too_large"
        /// More rows than the load stage's `max_rows`.
        case tooManyRows = "too_many_rows"
        package var description: String { rawValue }
    }

    package var kind: Kind
    package var line: Int?
    package var column: SafeText?
    package var message: SafeMessage

    package init(_ kind: Kind, line: Int? = nil, column: SafeText? = nil, _ message: SafeMessage) {
        self.kind = kind
        self.line = line
        self.column = column
        self.message = message
    }

    package init(_ error: CSVFileError) {
        switch error.kind {
        case .input:
            if let input = error.input {
                self.init(input, line: error.line)
            } else {
                self.init(.unreadable, line: error.line, error.message)
            }
        default:
            self.init(.malformedCSV, line: error.line, error.message)
        }
    }

    package init(_ error: InputError, line: Int?) {
        let kind: Kind =
            switch error.kind {
            case .unreadable: .unreadable
            case .notAFile: .notAFile
            case .truncatedCompressed: .truncatedCompressed
            case .corruptCompressed: .corruptCompressed
            case .tooLarge: .tooLarge
            }
        self.init(kind, line: line, error.message)
    }

    package var description: String {
        var text = "\(kind)"
        if let line { text += " at line \(line)" }
        if let column { text += ", column \(column)" }
        return text + ": \(message)"
    }
}
