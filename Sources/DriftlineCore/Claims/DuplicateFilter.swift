/// Flags claim ids that may repeat an earlier row of the same file, in fixed memory.
///
/// A Bloom filter (8 MiB, 4 probes): a row it has never seen passes for certain; a row it may have
/// seen is a *candidate*, confirmed exactly later (by the database for loads, by a second pass for
/// offline validation). At 4M rows about 0.25% of rows are false candidates; memory does not grow.
package struct DuplicateFilter: ~Copyable {
    private let bits: UnsafeMutablePointer<UInt64>
    private let mask: UInt64

    package init(bytes: Int = 8 << 20) {
        let words = bytes / 8
        bits = .allocate(capacity: words)
        bits.initialize(repeating: 0, count: words)
        mask = UInt64(words * 64 - 1)
    }

    deinit { bits.deallocate() }

    /// Records `key`; returns `true` when it may have been recorded before.
    @inline(__always)
    package mutating func insert(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let hash = Self.hash(key)
        let h1 = hash
        let h2 = (hash >> 32) | (hash << 32) | 1
        var seen = true
        for probe in 0..<UInt64(4) {
            let bit = (h1 &+ probe &* h2) & mask
            let word = Int(bit >> 6)
            let flag: UInt64 = 1 << (bit & 63)
            if bits[word] & flag == 0 {
                seen = false
                bits[word] |= flag
            }
        }
        return seen
    }

    /// 64-bit FNV-1a followed by a murmur finaliser.
    @inline(__always)
    package static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash = hash &* 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return hash
    }
}
