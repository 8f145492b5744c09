extension CivilDate {
    /// Days since 1970-01-01 for a valid date written in `format`, or `nil`.
    @inline(__always)
    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>, format: DateFormat) -> Int32? {
        switch format {
        case .iso: return parse(bytes)
        case .us: return parseParts(bytes, separator: 0x2F, order: .monthDayYear, fixedWidth: true)
        case .usShort: return parseParts(bytes, separator: 0x2F, order: .monthDayYear, fixedWidth: false)
        case .european: return parseParts(bytes, separator: 0x2E, order: .dayMonthYear, fixedWidth: true)
        }
    }

    private enum Order { case monthDayYear, dayMonthYear }

    /// `A<sep>B<sep>YYYY`, A and B of two digits (`fixedWidth`) or of one or two.
    private static func parseParts(
        _ bytes: UnsafeBufferPointer<UInt8>,
        separator: UInt8,
        order: Order,
        fixedWidth: Bool
    ) -> Int32? {
        var parts: (Int32, Int32, Int32) = (0, 0, 0)
        var widths: (Int, Int, Int) = (0, 0, 0)
        var part = 0
        for byte in bytes {
            if byte == separator {
                part += 1
                guard part < 3 else { return nil }
                continue
            }
            let digit = byte &- 48
            guard digit < 10 else { return nil }
            switch part {
            case 0:
                parts.0 = parts.0 * 10 + Int32(digit)
                widths.0 += 1
            case 1:
                parts.1 = parts.1 * 10 + Int32(digit)
                widths.1 += 1
            default:
                parts.2 = parts.2 * 10 + Int32(digit)
                widths.2 += 1
            }
            guard widths.0 <= 2, widths.1 <= 2, widths.2 <= 4 else { return nil }
        }
        guard part == 2, widths.2 == 4, widths.0 >= 1, widths.1 >= 1 else { return nil }
        if fixedWidth { guard widths.0 == 2, widths.1 == 2 else { return nil } }
        let (month, day) = order == .monthDayYear ? (parts.0, parts.1) : (parts.1, parts.0)
        let year = parts.2
        guard year >= 1900, month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month) else {
            return nil
        }
        return days(year: year, month: month, day: day)
    }
}
