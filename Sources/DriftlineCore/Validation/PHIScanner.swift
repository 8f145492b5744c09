/// Byte scanners for values that look like PHI in a free-text field: SSNs, US phone numbers, e-mail addresses.
///
/// Deliberately simple and allocation-free; they err towards flagging (a bare 9- or 10-digit run counts).
package enum PHIScanner {
    @inline(__always)
    private static func isDigit(_ byte: UInt8) -> Bool { byte &- 48 < 10 }

    /// Whether `bytes` contains an SSN-, phone- or e-mail-like substring.
    package static func containsPHI(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        containsSSNOrPhone(bytes) || containsEmail(bytes)
    }

    /// `ddd-dd-dddd`, a run of exactly 9 digits, or a US phone number: 10 digits (optionally after `1`/`+1`)
    /// grouped 3-3-4 with optional `(…)`, `-`, `.` or space separators.
    package static func containsSSNOrPhone(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        var index = 0
        while index < count {
            let byte = bytes[index]
            let startsGroup = isDigit(byte) || byte == UInt8(ascii: "(")
            if startsGroup, index == 0 || !isDigit(bytes[index - 1]) {
                if matchesSSN(bytes, at: index) || matchesPhone(bytes, at: index) { return true }
            }
            index += 1
        }
        return false
    }

    @inline(__always)
    private static func digits(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, _ n: Int) -> Bool {
        guard index + n <= bytes.count else { return false }
        for offset in 0..<n where !isDigit(bytes[index + offset]) { return false }
        index += n
        return true
    }

    @inline(__always)
    private static func endsRun(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> Bool {
        index >= bytes.count || !isDigit(bytes[index])
    }

    private static func matchesSSN(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        var index = start
        guard digits(bytes, &index, 3) else { return false }
        var dashed = index
        if dashed < bytes.count, bytes[dashed] == UInt8(ascii: "-") {
            dashed += 1
            if digits(bytes, &dashed, 2), dashed < bytes.count, bytes[dashed] == UInt8(ascii: "-") {
                dashed += 1
                if digits(bytes, &dashed, 4), endsRun(bytes, dashed) { return true }
            }
        }
        return digits(bytes, &index, 6) && endsRun(bytes, index)
    }

    private static func matchesPhone(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Bool {
        var index = start
        if matchesPhoneBody(bytes, &index) { return true }
        // Country code `1` (`+1 …`, `1-…`, `1…`): the `+` is not a digit, so the group starts at the `1`.
        guard bytes[start] == UInt8(ascii: "1") else { return false }
        index = start + 1
        skipSeparator(bytes, &index)
        return matchesPhoneBody(bytes, &index)
    }

    @inline(__always)
    private static func skipSeparator(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) {
        guard index < bytes.count else { return }
        let byte = bytes[index]
        if byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: " ") { index += 1 }
    }

    private static func matchesPhoneBody(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> Bool {
        if index < bytes.count, bytes[index] == UInt8(ascii: "(") {
            index += 1
            guard digits(bytes, &index, 3), index < bytes.count, bytes[index] == UInt8(ascii: ")") else { return false }
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: " ") { index += 1 }
        } else {
            guard digits(bytes, &index, 3) else { return false }
            skipSeparator(bytes, &index)
        }
        guard digits(bytes, &index, 3) else { return false }
        skipSeparator(bytes, &index)
        return digits(bytes, &index, 4) && endsRun(bytes, index)
    }

    /// `local@domain.tld`: a non-empty local part of `[A-Za-z0-9._%+-]`, a domain with a dot and a
    /// 2+ letter last label.
    package static func containsEmail(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = bytes.count
        var at = 0
        while at < count {
            defer { at += 1 }
            guard bytes[at] == UInt8(ascii: "@"), at > 0, isLocal(bytes[at - 1]) else { continue }
            var index = at + 1
            var lastDot = -1
            while index < count, isDomain(bytes[index]) {
                if bytes[index] == UInt8(ascii: ".") { lastDot = index }
                index += 1
            }
            guard lastDot > at + 1 else { continue }
            var letters = 0
            var probe = lastDot + 1
            while probe < index, isLetter(bytes[probe]) {
                letters += 1
                probe += 1
            }
            if letters >= 2 { return true }
        }
        return false
    }

    @inline(__always)
    private static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- 97 < 26 }

    @inline(__always)
    private static func isLocal(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
    }

    @inline(__always)
    private static func isDomain(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-")
    }
}
