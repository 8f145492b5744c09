import CDriftlineShims

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Flags claim ids that may repeat an earlier row of the same file, in fixed memory.
///
/// A blocked Bloom filter (8 MiB; each key sets 7 bits inside one 64-byte block, so a lookup costs
/// one cache miss): a row it has never seen passes for certain; a row it may have seen is a
/// *candidate*, confirmed exactly later (by the database for loads, by a second pass for offline
/// validation). False candidates: about 1 in 10^7 rows at 1M rows, 1 in 3,000 at 4M; memory does
/// not grow.
package struct DuplicateFilter: ~Copyable {
    private let words: UnsafeMutablePointer<UInt64>
    private let blockMask: UInt64

    /// - Parameter bytes: the filter's size, a power of two of at least 512 (64-byte blocks).
    package init(bytes: Int = 8 << 20) {
        precondition(bytes >= 512 && bytes & (bytes - 1) == 0, "a power of two of at least 512 bytes")
        let count = bytes / 8
        // calloc maps fresh zero pages for a block this size: a small upload touches (and is charged
        // for) only the pages its keys land on, instead of zeroing all 8 MiB up front.
        words = calloc(count, 8)!.assumingMemoryBound(to: UInt64.self)
        blockMask = UInt64(count / 8 - 1)
    }

    deinit { free(words) }

    /// A size for a file of `fileBytes` bytes: the largest power of two up to 32 bits per row at 100 bytes a row, from 64 KiB up to
    /// `limit` — memory a small upload does not need, and at most `limit` for a large one (at 8 MiB about 1
    /// row in 10^7 is a false candidate at 1M rows, 1 in 3,000 at 4M; at 4 MiB 1 in 40 at 4M, whose merge of
    /// 100k flagged rows cost the 4M-row first load about a fifth of its time).
    package static func bytes(forFileOf fileBytes: Int64, limit: Int = 8 << 20) -> Int {
        let wanted = max(64 << 10, min(Int(clamping: fileBytes / 25), limit))
        var size = 64 << 10
        while size * 2 <= wanted { size <<= 1 }
        return size
    }

    /// Starts loading the cache line `hash` will probe, so a later ``insert(hash:)`` does not stall.
    @inline(__always)
    package func prefetch(hash: UInt64) {
        driftline_prefetch(words + Int((hash & blockMask) << 3))
    }

    /// Records `key`; returns `true` when it may have been recorded before.
    @inline(__always)
    package mutating func insert(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        insert(hash: Self.hash(key))
    }

    /// Records a key by its ``hash(_:)``; returns `true` when it may have been recorded before.
    @inline(__always)
    package mutating func insert(hash: UInt64) -> Bool {
        let block = words + Int((hash & blockMask) << 3)
        // Bits 0-16 pick the block; seven 9-bit slices of a second hash pick the bits.
        var bits = hash >> 17 ^ (hash &* 0x9E37_79B9_7F4A_7C15)
        var seen = true
        for _ in 0..<7 {
            let bit = bits & 511
            bits >>= 9
            let word = Int(bit >> 6)
            let flag: UInt64 = 1 << (bit & 63)
            if block[word] & flag == 0 {
                seen = false
                block[word] |= flag
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
