import DriftlineCore
import Foundation

/// The rejected rows of an upload being COPYed into `driftline.claims` (one COPY at a time per
/// connection), kept in a temporary file until that COPY ends so memory stays flat. It holds
/// positions and rule ids only, never values.
final class RejectSpill {
    private let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private(set) var count = 0

    init() throws {
        path =
            FileManager.default.temporaryDirectory.appendingPathComponent("driftline-rejects-\(UUID().uuidString)").path
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        buffer.reserveCapacity(1 << 16)
    }

    deinit {
        try? handle.close()
        try? FileManager.default.removeItem(atPath: path)
    }

    /// One line: `line \t rule \t column \t message` (tabs and newlines in configuration text are folded).
    func append(line: Int, finding: Finding) throws {
        let fields = [
            String(line), StoredText.ruleID(finding.ruleID), StoredText.column(finding.column) ?? "",
            StoredText.message(finding.message.description),
        ]
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(0x09) }
            for byte in field.utf8 { buffer.append(byte == 0x09 || byte == 0x0A || byte == 0x0D ? 0x20 : byte) }
        }
        buffer.append(0x0A)
        count += 1
        if buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// COPYs the spilled rows into `driftline.rejects`.
    func copy(into connection: PGConnection, uploadID: Int64, customerID: String) throws {
        guard count > 0 else { return }
        try flush()
        try handle.seek(toOffset: 0)
        var pending: [UInt8] = []
        try connection.copyBinary(
            into: "driftline.rejects",
            columns: ["upload_id", "customer_id", "line_no", "column_name", "rule_id", "message"],
            operation: "COPY rejects"
        ) { writer in
            while true {
                let chunk = try handle.read(upToCount: 1 << 16) ?? Data()
                pending += chunk
                var start = 0
                while let newline = pending[start...].firstIndex(of: 0x0A) {
                    let fields = pending[start..<newline].split(separator: 0x09, omittingEmptySubsequences: false)
                    try writer.beginRow(fields: 6)
                    writer.int64(uploadID)
                    try writer.text(customerID)
                    writer.int32(Int32(String(decoding: fields[0], as: UTF8.self)) ?? 0)
                    try writer.text(fields[2].isEmpty ? nil : String(decoding: fields[2], as: UTF8.self))
                    try writer.text(String(decoding: fields[1], as: UTF8.self))
                    try writer.text(String(decoding: fields[3], as: UTF8.self))
                    start = newline + 1
                }
                pending.removeFirst(start)
                if chunk.isEmpty { break }
            }
        }
    }
}
