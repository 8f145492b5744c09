/// National Provider Identifier checks: 10 digits whose last is the Luhn check digit over `80840` + the first 9.
package enum NPI {
    /// Whether `bytes` is a well-formed NPI with a valid check digit.
    @inline(__always)
    package static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 10 else { return false }
        var sum: UInt32 = 24  // the Luhn contribution of the prefix 80840
        for index in 0..<9 {
            var digit = UInt32(bytes[index] &- 48)
            guard digit < 10 else { return false }
            // Doubled: every other digit counting from the rightmost payload digit (index 8).
            if index & 1 == 0 {
                digit &*= 2
                if digit > 9 { digit &-= 9 }
            }
            sum &+= digit
        }
        let check = UInt32(bytes[9] &- 48)
        guard check < 10 else { return false }
        return (10 - sum % 10) % 10 == check
    }

    package static func isValid(_ text: String) -> Bool {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { isValid(UnsafeBufferPointer($0)) }
    }
}
