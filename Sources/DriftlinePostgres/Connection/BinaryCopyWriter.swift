import DriftlineCore

#if canImport(Glibc)
import Glibc
#endif

/// Encodes tuples in PostgreSQL's binary COPY format and streams them in ~64 KiB messages — to the server
/// (a COPY in progress) or to a file that a later COPY sends as it is (``PGConnection/copyBinary(into:columns:file:operation:)``).
///
/// Every append makes sure its bytes fit: a value flushes the buffer first when it would not fit, and
/// the fixed-size fields of a row that straddles the end grow the buffer rather than write past it.
package struct BinaryCopyWriter: ~Copyable {
    /// Where flushed bytes go.
    enum Sink {
        case connection(PGConnection)
        /// An open file descriptor (written sequentially; the caller owns it).
        case file(Int32)
    }

    private let sink: Sink
    private var buffer: UnsafeMutablePointer<UInt8>
    /// The buffer's size at first: 64 KiB messages (a claim row is under 1 KiB) with room for the row that
    /// crosses the mark. At 256 KiB messages the buffer and libpq's output buffer held 1 MiB more of the
    /// process's peak RSS for nothing measurable in throughput.
    package static let initialCapacity = 96 * 1024
    /// The buffer's size (grows only for a row's fixed fields after a value that nearly filled it).
    package private(set) var capacity = BinaryCopyWriter.initialCapacity
    private let flushAt = 64 * 1024
    /// Bytes waiting to be sent.
    package private(set) var count = 0

    /// Days between 1970-01-01 and PostgreSQL's epoch 2000-01-01.
    private static let postgresEpochOffset: Int32 = 10_957

    init(sink: Sink) {
        self.sink = sink
        buffer = .allocate(capacity: capacity)
        let signature: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]
        for byte in signature { append(byte) }
        appendInt32(0)  // flags
        appendInt32(0)  // header extension length
    }

    deinit { buffer.deallocate() }

    /// Makes room for `bytes` more bytes.
    @inline(__always) private mutating func reserve(_ bytes: Int) {
        if count &+ bytes > capacity { grow(to: count + bytes) }
    }

    private mutating func grow(to needed: Int) {
        let larger = max(needed, capacity * 2)
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        fresh.update(from: buffer, count: count)
        buffer.deallocate()
        buffer = fresh
        capacity = larger
    }

    @inline(__always) private mutating func append(_ byte: UInt8) {
        reserve(1)
        buffer[count] = byte
        count &+= 1
    }

    @inline(__always) private mutating func appendInt16(_ value: Int16) {
        reserve(2)
        let big = UInt16(bitPattern: value).bigEndian
        withUnsafeBytes(of: big) {
            (buffer + count).update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 2)
        }
        count &+= 2
    }

    @inline(__always) private mutating func appendInt32(_ value: Int32) {
        reserve(4)
        let big = UInt32(bitPattern: value).bigEndian
        withUnsafeBytes(of: big) {
            (buffer + count).update(from: $0.baseAddress!.assumingMemoryBound(to: UInt8.self), count: 4)
        }
        count &+= 4
    }

    /// Starts a tuple of `fields` fields; flushes first when the buffer is full enough.
    @inline(__always)
    package mutating func beginRow(fields: Int16) throws(PostgresError) {
        if count >= flushAt { try flush() }
        appendInt16(fields)
    }

    @inline(__always) package mutating func null() { appendInt32(-1) }

    @inline(__always)
    package mutating func bytes(_ value: UnsafeBufferPointer<UInt8>?) throws(PostgresError) {
        guard let value else { return null() }
        if count + value.count + 4 > capacity {
            try flush()
            guard value.count + 4 <= capacity else {
                throw PostgresError(.copyFailed, operation: "COPY value larger than the buffer")
            }
        }
        appendInt32(Int32(value.count))
        if value.count > 0 { (buffer + count).update(from: value.baseAddress!, count: value.count) }
        count &+= value.count
    }

    package mutating func text(_ value: String?) throws(PostgresError) {
        guard var value else { return null() }
        let result: Result<Void, PostgresError> = value.withUTF8 { utf8 in
            do throws(PostgresError) { try bytes(utf8) } catch { return .failure(error) }
            return .success(())
        }
        try result.get()
    }

    @inline(__always) package mutating func int32(_ value: Int32) {
        appendInt32(4)
        appendInt32(value)
    }

    @inline(__always) package mutating func int64(_ value: Int64) {
        appendInt32(8)
        appendInt32(Int32(truncatingIfNeeded: value >> 32))
        appendInt32(Int32(truncatingIfNeeded: value))
    }

    @inline(__always) package mutating func bool(_ value: Bool) {
        appendInt32(1)
        append(value ? 1 : 0)
    }

    /// A `date` from days since 1970-01-01 (``ClaimRow/noDate`` = NULL).
    @inline(__always) package mutating func date(_ days: Int32) {
        guard days != ClaimRow.noDate else { return null() }
        appendInt32(4)
        appendInt32(days - Self.postgresEpochOffset)
    }

    /// A `numeric` with scale 2 from cents (``ClaimRow/noAmount`` = NULL).
    @inline(__always) package mutating func numeric(cents: Int64) {
        guard cents != ClaimRow.noAmount else { return null() }
        // Base-10000 digits, most significant first: the integer part (at most 3 groups for
        // numeric(12,2)), then one fractional group (the cents times 100). Trailing zero groups dropped.
        let whole = cents / 100
        var digits = InlineArray<4, Int16>(repeating: 0)
        let integerGroups = whole == 0 ? 0 : whole < 10_000 ? 1 : whole < 100_000_000 ? 2 : 3
        var rest = whole
        var index = integerGroups - 1
        while index >= 0 {
            digits[index] = Int16(rest % 10_000)
            rest /= 10_000
            index -= 1
        }
        digits[integerGroups] = Int16((cents % 100) * 100)
        var ndigits = integerGroups + 1
        while ndigits > 0 && digits[ndigits - 1] == 0 { ndigits -= 1 }
        let weight: Int16 = ndigits == 0 ? 0 : Int16(integerGroups - 1)
        appendInt32(Int32(8 + 2 * ndigits))
        appendInt16(Int16(ndigits))
        appendInt16(weight)
        appendInt16(0)  // sign: positive
        appendInt16(2)  // display scale
        for position in 0..<ndigits { appendInt16(digits[position]) }
    }

    package mutating func flush() throws(PostgresError) {
        let pending = count
        count = 0
        switch sink {
        case .connection(let connection):
            try connection.putCopyData(UnsafeRawBufferPointer(start: buffer, count: pending))
        case .file(let descriptor):
            var written = 0
            while written < pending {
                let result = write(descriptor, buffer + written, pending - written)
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else { throw PostgresError(.copyFailed, operation: "write COPY data to a spill file") }
                written += result
            }
        }
    }

    mutating func finish() throws(PostgresError) {
        appendInt16(-1)
        try flush()
    }
}
