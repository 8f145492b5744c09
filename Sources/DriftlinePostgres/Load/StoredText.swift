/// Length caps for the configuration-like text Driftline stores per reject and per upload (rule ids,
/// column names, messages): a rules file or a header cannot make one reject row (times a million
/// rejects) arbitrarily large. Cut on a UTF-8 character boundary, marked with `…`.
package enum StoredText {
    package static let ruleIDBytes = 200
    package static let columnBytes = 200
    package static let messageBytes = 2000

    package static func capped(_ text: String, maxBytes: Int) -> String {
        let utf8 = Array(text.utf8)
        guard utf8.count > maxBytes else { return text }
        var end = max(0, maxBytes - 3)  // room for "…" (3 bytes)
        while end > 0 && utf8[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: utf8[..<end], as: UTF8.self) + "…"
    }

    /// A capped rule id keeps a stable hash of the whole id, so two long ids stay distinct (they key
    /// `upload_findings`).
    package static func ruleID(_ text: String) -> String {
        guard text.utf8.count > ruleIDBytes else { return text }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let suffix = "#" + String(hash, radix: 16)
        return capped(text, maxBytes: ruleIDBytes - suffix.utf8.count) + suffix
    }
    package static func column(_ text: String?) -> String? { text.map { capped($0, maxBytes: columnBytes) } }
    package static func message(_ text: String) -> String { capped(text, maxBytes: messageBytes) }
}
