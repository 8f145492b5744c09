import CDriftlineShims

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Flags claim ids that may repeat an earlier row of the same file, in fixed memory.
///
/// A blocked Bloom filter (each key sets 7 bits inside one 64-byte block, so a lookup costs one cache
/// miss), sized from the file up to 4 MiB: a row it has never seen passes for certain; a row it may have
/// seen is a *candidate*, confirmed exactly later (by the database for loads, by a second pass for offline
/// validation). False candidates at 4 MiB: 2 of 1M rows, 15,087 of 4M (0.4%: their merge took 0.4 s of a
/// 24 s first load); memory does not grow.
package struct DuplicateFilter: ~Copyable {
    private let words: UnsafeMutablePointer<UInt64>
    private let blockMask: UInt64

    /// - Parameter bytes: the filter's size, a power of two of at least 512 (64-byte blocks).
    package init(bytes: Int = 4 << 20) {
        precondition(bytes >= 512 && bytes & (bytes - 1) == 0, "a power of two of at least 512 bytes")
        let count = bytes / 8
        // calloc maps fresh zero pages for a block this size: a small upload touches (and is charged
        // for) only the pages its keys land on, instead of zeroing all of it up front.
        words = calloc(count, 8)!.assumingMemoryBound(to: UInt64.self)
        blockMask = UInt64(count / 8 - 1)
    }

    deinit { free(words) }

    /// A size for a file of `fileBytes` bytes: the largest power of two up to 32 bits per row at 100 bytes a
    /// row, from 64 KiB up to `limit` — memory a small upload does not need, and at most `limit` for a large
    /// one. 4 MiB, not 8: the 4 MiB more were an eighth of the process's peak RSS for 0.4 s of merge at 4M rows.
    package static func bytes(forFileOf fileBytes: Int64, limit: Int = 4 << 20) -> Int {
        let wanted = max(64 << 10, min(Int(clamping: fileBytes / 25), limit))
        var size = 64 << 10
        while size * 2 <= wanted { size <<= 1 }
        return size
    }

    /// A size for the upload at `path`: ``bytes(forFileOf:limit:)`` of its size, six times its size when it is
    /// zstd-compressed (a compressed upload holds about that much CSV); the smallest size when it cannot be read.
    package static func bytes(forUploadAt path: String, size: Int64? = nil, limit: Int = 4 << 20) -> Int {
        var fileBytes = size ?? 0
        if size == nil {
            var info = stat()
            if stat(path, &info) == 0 { fileBytes = Int64(info.st_size) }
        }
        return bytes(forFileOf: path.hasSuffix(".zst") ? fileBytes * 6 : fileBytes, limit: limit)
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
