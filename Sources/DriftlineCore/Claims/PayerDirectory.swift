import Foundation

/// Canonical payer ids and the names exports use for them, from `rules/payer_names.yaml`.
///
/// Clearinghouses and practice-management systems spell a payer many ways (`UnitedHealthcare`,
/// `United Healthcare`, `UHC`); drift is computed per payer, so every spelling must become one id.
/// Names are matched ignoring ASCII case and every ASCII character that is not a letter or a digit
/// (spaces, `-`, `.`, `&`, `,`, `'`, `/`), so `Medi-Cal`, `MEDI CAL` and `medical` are one name.
/// A name that is not on the list is loaded as written and reported once per upload.
///
/// ```yaml
/// payers:
///   UHC: [UnitedHealthcare, United Healthcare, UHC]
///   MEDICARE: [Medicare, Medicare Part B]
/// ```
/// Each key is a canonical id (upper-case letters, digits, `-`); it is also one of its own names.
package struct PayerDirectory: Sendable {
    /// Canonical ids by ``canonicalIndex(_:)``.
    package let ids: [String]
    /// The same, as bytes for COPY.
    package let idBytes: [[UInt8]]
    private let table: ByteTable

    /// The file in the rules directory that holds the list (never read as rules).
    package static let fileName = "payer_names.yaml"

    /// A directory that knows no payer: every name loads as written.
    package static let empty = PayerDirectory(entries: [])

    /// - Parameter entries: canonical id and its names; the id counts as a name of its own.
    package init(entries: [(id: String, names: [String])]) {
        ids = entries.map(\.id)
        idBytes = ids.map { Array($0.utf8) }
        var keys: [(key: String, value: Int32)] = []
        for (index, entry) in entries.enumerated() {
            for name in [entry.id] + entry.names {
                keys.append((String(decoding: Self.normalized(Array(name.utf8)), as: UTF8.self), Int32(index)))
            }
        }
        table = ByteTable(keys)
    }

    package var isEmpty: Bool { ids.isEmpty }

    /// The canonical id's index for a payer name as an upload wrote it, or `nil` when it is not listed.
    @inline(__always)
    package func canonicalIndex(_ name: UnsafeBufferPointer<UInt8>) -> Int16? {
        guard !ids.isEmpty else { return nil }
        // Payer values are at most 64 bytes (the format rejects longer ones before this).
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            var count = 0
            for byte in name where Self.isSignificant(byte) {
                guard count < 64 else { return nil }
                buffer[count] = byte
                count += 1
            }
            guard count > 0 else { return nil }
            return table.value(UnsafeBufferPointer(rebasing: buffer[0..<count])).map { Int16(truncatingIfNeeded: $0) }
        }
    }

    /// The canonical id for a name (configuration: rule scopes), or the name itself when it is not listed.
    package func canonicalID(_ name: String) -> String {
        let bytes = Array(name.utf8)
        let index = bytes.withUnsafeBufferPointer { canonicalIndex($0) }
        return index.map { ids[Int($0)] } ?? name
    }

    @inline(__always)
    private static func isSignificant(_ byte: UInt8) -> Bool {
        // Letters and digits (ByteTable folds case), and every non-ASCII byte.
        byte >= 0x80 || (byte &- 0x30) < 10 || ((byte | 0x20) &- 0x61) < 26
    }

    private static func normalized(_ bytes: [UInt8]) -> [UInt8] { bytes.filter(isSignificant) }

    // MARK: - Loading

    /// Reads `payer_names.yaml` from the rules directory; an absent file is an empty directory.
    package static func load(directory: URL) throws(ConfigError) -> PayerDirectory {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return .empty }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ConfigError(file: url.path, message: "cannot read the payer list")
        }
        return try parse(text, file: url.path)
    }

    /// Parses the payer list strictly: every id well-formed, no name claimed by two ids.
    package static func parse(_ text: String, file: String) throws(ConfigError) -> PayerDirectory {
        guard let root = try YAMLNode.parseConfig(text, file: file) else { return .empty }
        let what = "a payer list"
        let mapping = try root.configMapping(what, file: file)
        try mapping.checkKeys(["payers"], in: what, file: file)
        let payers = try mapping.required("payers", in: what, file: file).configMapping("'payers'", file: file)
        var entries: [(id: String, names: [String])] = []
        var owner: [String: String] = [:]
        for (key, value) in payers {
            let id = try key.configString("payer id", file: file)
            guard !id.isEmpty, id.utf8.count <= 32,
                id.utf8.allSatisfy({ ($0 &- 0x41) < 26 || ($0 &- 0x30) < 10 || $0 == 0x2D })
            else {
                throw ConfigError(
                    file: file,
                    line: key.mark.line,
                    message: "a payer id is upper-case letters, digits and '-', at most 32 characters"
                )
            }
            let names = try value.configStrings(id, file: file)
            for name in [id] + names {
                let normalized = String(decoding: Self.normalized(Array(name.utf8)), as: UTF8.self).lowercased()
                guard !normalized.isEmpty else {
                    throw ConfigError(file: file, line: value.mark.line, message: "a payer name has no letter or digit")
                }
                if let other = owner[normalized], other != id {
                    throw ConfigError(
                        file: file,
                        line: value.mark.line,
                        message: SafeMessage(trusted: "payer name '\(name)' is listed for both \(other) and \(id)")
                    )
                }
                owner[normalized] = id
            }
            entries.append((id, names))
        }
        guard entries.count < Int(Int16.max) else {
            throw ConfigError(file: file, message: "too many payers (at most 32,766)")
        }
        return PayerDirectory(entries: entries)
    }
}
