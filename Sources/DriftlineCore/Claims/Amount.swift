/// Money amounts as integer cents, parsed strictly: non-negative, at most two decimal places.
package enum Amount {
    /// The largest amount the claims table holds (`numeric(12,2)`).
    package static let maxCents: Int64 = 9_999_999_999_99

    package enum ParseResult: Equatable {
        case cents(Int64)
        case negative
        case invalid
    }

    @inline(__always)
    package static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> ParseResult {
        var index = 0
        let count = bytes.count
        guard count > 0 else { return .invalid }
        if bytes[0] == 0x2D { return count > 1 ? .negative : .invalid }
        if bytes[0] == 0x2B { index = 1 }
        var whole: Int64 = 0
        var digits = 0
        while index < count {
            let digit = bytes[index] &- 48
            guard digit < 10 else { break }
            whole = whole &* 10 &+ Int64(digit)
            digits += 1
            index += 1
            if digits > 12 { return .invalid }
        }
        guard digits > 0 else { return .invalid }
        var cents = whole &* 100
        if index < count {
            guard bytes[index] == 0x2E else { return .invalid }
            index += 1
            let fraction = count - index
            guard fraction >= 1, fraction <= 2 else { return .invalid }
            let first = bytes[index] &- 48
            guard first < 10 else { return .invalid }
            cents &+= Int64(first) * 10
            if fraction == 2 {
                let second = bytes[index + 1] &- 48
                guard second < 10 else { return .invalid }
                cents &+= Int64(second)
            }
        }
        return cents <= maxCents ? .cents(cents) : .invalid
    }

    package static func parse(_ text: String) -> ParseResult {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { parse(UnsafeBufferPointer($0)) }
    }

    package static func format(_ cents: Int64) -> String {
        let fraction = cents % 100
        return "\(cents / 100)." + (fraction < 10 ? "0" : "") + String(fraction)
    }
}
