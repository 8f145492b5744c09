import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes the analyst's reject report beside an upload: one CSV row per finding on a rejected line,
/// with the original line so it can be fixed. It holds row values, so it is kept only with the
/// upload itself (same folder, same protection) and never logged. It is opened in spreadsheets, so a
/// cell that starts like a formula is neutralized (see ``appendQuoted(_:)``).
package final class RejectReportWriter {
    private let descriptor: Int32
    private var closed = false
    package let path: String
    private var buffer: [UInt8] = []
    package private(set) var rowsWritten = 0

    package init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileMover.makeDirectory(directory)
        // A new file, never through a link; 0600 like the upload it describes.
        unlink(path)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, FileMover.fileMode)
        guard descriptor >= 0 else { throw FileSystemError("create the reject report", path: path) }
        self.descriptor = descriptor
        self.path = path
        buffer.reserveCapacity(1 << 16)
        append("line,column,rule,severity,message,original_line\n")
    }

    /// Adds the findings of one rejected line.
    package func add(findings: [Finding], raw: UnsafeBufferPointer<UInt8>) throws {
        var original = raw[...]
        while let last = original.last, last == 0x0A || last == 0x0D { original = original.dropLast() }
        for finding in findings {
            append("\(finding.line),")
            appendQuoted(Array((finding.column ?? "").utf8)[...])
            append(",\(finding.ruleID),\(finding.severity),")
            appendQuoted(Array(finding.message.description.utf8)[...])
            append(",")
            appendQuoted(original)
            append("\n")
            rowsWritten += 1
        }
        if buffer.count > 1 << 16 { try flush() }
    }

    /// Adds a file-level problem (no original line).
    package func add(finding: Finding) throws {
        append("\(finding.line),")
        appendQuoted(Array((finding.column ?? "").utf8)[...])
        append(",\(finding.ruleID),\(finding.severity),")
        appendQuoted(Array(finding.message.description.utf8)[...])
        append(",\n")
        rowsWritten += 1
    }

    /// Starts the report over (the load is being redone another way).
    package func restart() throws {
        buffer.removeAll(keepingCapacity: true)
        guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw FileSystemError("truncate the reject report", path: path)
        }
        rowsWritten = 0
        append("line,column,rule,severity,message,original_line\n")
    }

    package func close() throws {
        try flush()
        closed = true
        guard Glibc.close(descriptor) == 0 else { throw FileSystemError("write the reject report", path: path) }
    }

    deinit { if !closed { Glibc.close(descriptor) } }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        var written = 0
        let count = buffer.count
        let failure: Int32? = buffer.withUnsafeBytes { bytes in
            while written < count {
                let result = write(descriptor, bytes.baseAddress! + written, count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += result
            }
            return nil
        }
        if let failure { throw FileSystemError("write the reject report", path: path, code: failure) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func append(_ text: String) { buffer.append(contentsOf: text.utf8) }

    /// A cell a spreadsheet would run as a formula (or trim into one) starts with one of these: `=`, `+`,
    /// `-`, `@`, tab, CR (OWASP "CSV injection").
    static func startsFormula<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        guard let first = bytes.first else { return false }
        return first == 0x3D || first == 0x2B || first == 0x2D || first == 0x40 || first == 0x09 || first == 0x0D
    }

    /// A quoted cell; one that starts like a formula is prefixed with `'` so Excel and LibreOffice show
    /// it as text (the analyst removes the `'` to get the original line back).
    private func appendQuoted<C: Collection<UInt8>>(_ bytes: C) {
        buffer.append(0x22)
        if Self.startsFormula(bytes) { buffer.append(0x27) }
        for byte in bytes {
            if byte == 0x22 { buffer.append(0x22) }
            buffer.append(byte)
        }
        buffer.append(0x22)
    }
}
