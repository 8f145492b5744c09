/// Turns a single-byte encoded stream (Windows-1252, ISO-8859-1) into UTF-8 while it is read.
///
/// ASCII passes through unchanged. A byte the encoding does not define (in Windows-1252: 0x81, 0x8D, 0x8F,
/// 0x90, 0x9D) becomes the byte 0xFF, which is never valid UTF-8: the format pass rejects the row, naming
/// its line and column, as it rejects invalid UTF-8 in a UTF-8 upload.
package final class TranscodingByteSource: ByteSource {
    private let upstream: any ByteSource
    /// UTF-8 of each byte ≥ 0x80, up to three bytes, with its length in the fourth.
    private let table: [UInt32]
    private var input: UnsafeMutableRawBufferPointer

    package init(upstream: any ByteSource, encoding: TextEncoding) {
        precondition(encoding != .utf8, "UTF-8 needs no transcoding")
        self.upstream = upstream
        table = (0x80...0xFF).map { byte in Self.encode(Self.scalar(UInt8(byte), encoding)) }
        input = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit { input.deallocate() }

    /// Wraps `source` for `encoding` (UTF-8: `source` itself).
    package static func wrap(_ source: any ByteSource, encoding: TextEncoding) -> any ByteSource {
        encoding == .utf8 ? source : TranscodingByteSource(upstream: source, encoding: encoding)
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(InputError) -> Int {
        // Every input byte becomes at most three output bytes.
        let want = min(input.count, buffer.count / 3)
        guard want > 0 else { return 0 }
        let count = try upstream.read(into: UnsafeMutableRawBufferPointer(rebasing: input[0..<want]))
        guard count > 0 else { return 0 }
        let source = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let target = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var written = 0
        var index = 0
        while index < count {
            // Copy an ASCII run eight bytes at a time.
            while index + 8 <= count {
                let word = UnsafeRawPointer(source + index).loadUnaligned(as: UInt64.self)
                guard word & 0x8080_8080_8080_8080 == 0 else { break }
                UnsafeMutableRawPointer(target + written).storeBytes(of: word, as: UInt64.self)
                index += 8
                written += 8
            }
            guard index < count else { break }
            let byte = source[index]
            index += 1
            if byte < 0x80 {
                target[written] = byte
                written += 1
                continue
            }
            let code = table[Int(byte) - 0x80]
            let length = Int(code >> 24)
            target[written] = UInt8(truncatingIfNeeded: code)
            if length > 1 { target[written + 1] = UInt8(truncatingIfNeeded: code >> 8) }
            if length > 2 { target[written + 2] = UInt8(truncatingIfNeeded: code >> 16) }
            written += length
        }
        return written
    }

    /// The Unicode scalar of `byte` (≥ 0x80), or `nil` where the encoding leaves it undefined.
    private static func scalar(_ byte: UInt8, _ encoding: TextEncoding) -> Unicode.Scalar? {
        guard encoding == .windows1252, byte < 0xA0 else { return Unicode.Scalar(UInt32(byte)) }
        let value = windows1252[Int(byte) - 0x80]
        return value == 0 ? nil : Unicode.Scalar(value)
    }

    /// UTF-8 bytes (low byte first) and their count in the top byte; `nil` → 0xFF alone.
    private static func encode(_ scalar: Unicode.Scalar?) -> UInt32 {
        guard let scalar else { return 0x0100_00FF }
        var packed: UInt32 = 0
        var length: UInt32 = 0
        for unit in String(Character(scalar)).utf8 {
            packed |= UInt32(unit) << (8 * length)
            length += 1
        }
        return packed | length << 24
    }

    /// Windows-1252 0x80…0x9F (0: undefined).
    private static let windows1252: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E,
        0x0178,
    ]
}
