import Foundation

/// Writes the analyst's reject report beside an upload: one CSV row per finding on a rejected line,
/// with the original line so it can be fixed. It holds row values, so it is kept only with the
/// upload itself (same folder, same protection) and never logged.
package final class RejectReportWriter {
    private let handle: FileHandle
    package let path: String
    private var buffer: [UInt8] = []
    package private(set) var rowsWritten = 0

    package init(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
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
        try handle.truncate(atOffset: 0)
        rowsWritten = 0
        append("line,column,rule,severity,message,original_line\n")
    }

    package func close() throws {
        try flush()
        try handle.close()
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    private func append(_ text: String) { buffer.append(contentsOf: text.utf8) }

    private func appendQuoted<C: Collection<UInt8>>(_ bytes: C) {
        buffer.append(0x22)
        for byte in bytes {
            if byte == 0x22 { buffer.append(0x22) }
            buffer.append(byte)
        }
        buffer.append(0x22)
    }
}
