extension Amount {
    /// Parses an amount written in `style`.
    @inline(__always)
    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>, style: AmountStyle) -> ParseResult {
        switch style {
        case .plain: return parse(bytes)
        case .us: return parseUS(bytes)
        }
    }

    /// `$1,234.50`, `1234.50`, `$0.00`: an optional `$`, thousands grouped by commas (three digits a group),
    /// at most two decimals. `(12.00)`, `-12.00` and `-$12.00` are negative.
    private static func parseUS(_ bytes: UnsafeBufferPointer<UInt8>) -> ParseResult {
        var start = 0
        var end = bytes.count
        guard end > 0 else { return .invalid }
        var negative = false
        if bytes[0] == 0x28 {  // (…)
            guard end > 2, bytes[end - 1] == 0x29 else { return .invalid }
            negative = true
            start = 1
            end -= 1
        }
        if start < end, bytes[start] == 0x2D {
            negative = true
            start += 1
        }
        if start < end, bytes[start] == 0x24 { start += 1 }  // $
        // Drop the grouping commas into a small buffer, checking every group has three digits.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
            var count = 0
            var digitsSinceComma = -1  // -1: no comma seen yet
            var integerDigits = 0
            var inFraction = false
            var index = start
            while index < end {
                let byte = bytes[index]
                if byte == 0x2C {
                    guard !inFraction, integerDigits > 0, digitsSinceComma == -1 || digitsSinceComma == 3 else {
                        return .invalid
                    }
                    if digitsSinceComma == -1 { guard integerDigits <= 3 else { return .invalid } }
                    digitsSinceComma = 0
                } else {
                    guard count < 32 else { return .invalid }
                    if byte == 0x2E {
                        guard digitsSinceComma == -1 || digitsSinceComma == 3 else { return .invalid }
                        inFraction = true
                    } else if !inFraction {
                        integerDigits += 1
                        if digitsSinceComma >= 0 { digitsSinceComma += 1 }
                    }
                    buffer[count] = byte
                    count += 1
                }
                index += 1
            }
            guard digitsSinceComma == -1 || digitsSinceComma == 3 || inFraction else { return .invalid }
            let result = parse(UnsafeBufferPointer(rebasing: buffer[0..<count]))
            if negative, case .cents = result { return .negative }
            return result
        }
    }
}
