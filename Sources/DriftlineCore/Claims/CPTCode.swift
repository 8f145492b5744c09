/// CPT codes as sortable integer keys, so ranges such as `99202-99215` or `0001F-0015F` compare as integers.
///
/// Category I codes are five digits (key = the number); Category II (`nnnnF`), Category III (`nnnnT`)
/// and PLA (`nnnnU`) codes are four digits and a letter (key = the number plus a per-letter offset).
package enum CPTCode {
    private static let categoryOffsets: [UInt8: Int32] = [
        UInt8(ascii: "F"): 100_000, UInt8(ascii: "T"): 200_000, UInt8(ascii: "U"): 300_000,
        UInt8(ascii: "M"): 400_000,
    ]

    /// The key of a well-formed code, or `nil`.
    @inline(__always)
    package static func key(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        guard bytes.count == 5 else { return nil }
        var value: Int32 = 0
        for index in 0..<4 {
            let digit = bytes[index] &- 48
            guard digit < 10 else { return nil }
            value = value * 10 + Int32(digit)
        }
        let last = bytes[4]
        let lastDigit = last &- 48
        if lastDigit < 10 { return value * 10 + Int32(lastDigit) }
        let upper = last & 0xDF
        guard let offset = categoryOffsets[upper] else { return nil }
        return offset + value
    }

    package static func key(_ code: String) -> Int32? {
        var utf8 = Array(code.utf8)
        return utf8.withUnsafeMutableBufferPointer { key(UnsafeBufferPointer($0)) }
    }
}
