import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An upload opened once: every pass over it (the direct load, the staged merge, the duplicate report)
/// reads the same descriptor from its start, and the SHA-256 is taken from the bytes as those passes
/// read them, so the hashed bytes are the loaded bytes.
///
/// Before the load commits, ``finish()`` hashes whatever no pass read (a file rejected part-way) and
/// ``isUnchanged`` compares the descriptor's size and modification time with those at open, and checks
/// the path still names the same file: an upload written to while it loaded is left for the next run.
package final class OpenedUpload: @unchecked Sendable {
    /// What identifies the file's state: device, inode, size and modification time.
    package struct Identity: Equatable, Sendable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modifiedSeconds = info.st_mtim.tv_sec
            modifiedNanoseconds = info.st_mtim.tv_nsec
        }
    }

    private struct Digest {
        var hasher = SHA256()
        /// Bytes from the start already hashed.
        var hashed: Int64 = 0
    }

    package let path: String
    package let identity: Identity
    private let descriptor: Int32
    // Passes may read on a read-ahead thread: the digest is shared under a lock.
    private let lock = NSLock()
    private var digest = Digest()

    /// Opens `path` (no link followed, a regular file with one link: see ``FileByteSource``).
    package init(path: String) throws(InputError) {
        let (descriptor, info) = try FileByteSource.openChecked(path: path)
        self.path = path
        self.descriptor = descriptor
        self.identity = Identity(info)
    }

    deinit { close(descriptor) }

    /// A new pass from the first byte, decompressed when the name ends in `.zst`, stopped with
    /// ``InputError/Kind/tooLarge`` after `maxBytes` (decompressed) bytes when given.
    package func source(maxBytes: Int64? = nil) -> any ByteSource {
        let raw = Pass(upload: self)
        let decoded: any ByteSource = path.hasSuffix(".zst") ? ZstdByteSource(upstream: raw) : raw
        return maxBytes.map { CappedByteSource(upstream: decoded, limit: $0) } ?? decoded
    }

    /// Reads `count` bytes at `offset` into `buffer`, hashing those not hashed yet.
    fileprivate func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(InputError) -> Int {
        let count = try Self.pread(descriptor, buffer, offset)
        guard count > 0 else { return 0 }
        lock.lock()
        defer { lock.unlock() }
        // Passes read from the start, in order: extend the hash when this read goes past it.
        if offset <= digest.hashed, offset + Int64(count) > digest.hashed {
            let skip = Int(digest.hashed - offset)
            digest.hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[skip..<count]))
            digest.hashed = offset + Int64(count)
        }
        return count
    }

    private static func pread(
        _ descriptor: Int32,
        _ buffer: UnsafeMutableRawBufferPointer,
        _ offset: Int64
    ) throws(InputError) -> Int {
        while true {
            let count = Glibc.pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw InputError(.unreadable, "read failed (errno \(Int(errno)))")
        }
    }

    /// The SHA-256 (lowercase hex) of the whole file as read through this descriptor: the bytes the
    /// passes read, then the rest (a pass that stopped early).
    package func finish() throws(InputError) -> String {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let offset = lock.withLock { digest.hashed }
            if try read(into: buffer, at: offset) == 0 { break }
        }
        let bytes = lock.withLock { digest.hasher.finalize() }
        let hex = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 0xF)]] }, as: UTF8.self)
    }

    /// Whether the file is as it was at open: same size and modification time on the descriptor, and
    /// the path still names this file (not renamed away, not replaced).
    package var isUnchanged: Bool {
        var now = stat()
        var atPath = stat()
        guard fstat(descriptor, &now) == 0, lstat(path, &atPath) == 0 else { return false }
        return Identity(now) == identity && Identity(atPath) == identity
    }
}

/// One pass over an ``OpenedUpload``, from its first byte.
private final class Pass: ByteSource {
    private let upload: OpenedUpload
    private var offset: Int64 = 0

    init(upload: OpenedUpload) { self.upload = upload }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let count = try upload.read(into: buffer, at: offset)
        offset += Int64(count)
        return count
    }
}

/// Stops a stream after `limit` bytes: an upload that decompresses (or reads) beyond it is refused.
package final class CappedByteSource: ByteSource {
    private let upstream: any ByteSource
    private let limit: Int64
    private var total: Int64 = 0

    package init(upstream: any ByteSource, limit: Int64) {
        self.upstream = upstream
        self.limit = limit
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        let count = try upstream.read(into: buffer)
        total += Int64(count)
        if total > limit {
            throw InputError(.tooLarge, "the upload is larger than max_bytes (\(limit) bytes, decompressed)")
        }
        return count
    }
}
