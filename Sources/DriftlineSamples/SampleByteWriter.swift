import DriftlineCore
import Foundation

/// A buffered byte writer for one output file: callers format digits straight into the buffer.
///
/// Call ``reserve(_:)`` before a batch of unchecked appends (a row is far below 512 bytes).
final class SampleByteWriter {
    private let handle: FileHandle
    private let path: String
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var count = 0
    private var closed = false

    init(url: URL, capacity: Int = 1 << 20) throws(SampleGeneratorError) {
        path = url.path
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw SampleGeneratorError(path: url.path, reason: "cannot create the file")
        }
        do { handle = try FileHandle(forWritingTo: url) } catch {
            throw SampleGeneratorError(path: url.path, reason: "cannot open the file for writing")
        }
        self.capacity = max(capacity, 4096)
        buffer = .allocate(capacity: self.capacity)
    }

    deinit {
        if !closed { try? handle.close() }
        buffer.deallocate()
    }

    /// Makes room for `bytes` more bytes, flushing when needed.
    @inline(__always)
    func reserve(_ bytes: Int) throws(SampleGeneratorError) {
        if count + bytes > capacity { try flush() }
    }

    func flush() throws(SampleGeneratorError) {
        guard count > 0 else { return }
        do {
            try handle.write(contentsOf: Data(bytesNoCopy: buffer, count: count, deallocator: .none))
        } catch {
            throw SampleGeneratorError(path: path, reason: "write failed")
        }
        count = 0
    }

    func close() throws(SampleGeneratorError) {
        try flush()
        closed = true
        do { try handle.close() } catch { throw SampleGeneratorError(path: path, reason: "close failed") }
    }

    @inline(__always)
    func byte(_ value: UInt8) {
        buffer[count] = value
        count += 1
    }

    @inline(__always)
    func bytes(_ values: [UInt8]) {
        values.withUnsafeBufferPointer { source in
            (buffer + count).update(from: source.baseAddress!, count: source.count)
        }
        count += values.count
    }

    /// Appends text that may be long (headers, small metadata files): reserves as it goes.
    func text(_ value: String) throws(SampleGeneratorError) {
        let utf8 = Array(value.utf8)
        try reserve(utf8.count)
        if utf8.count > capacity - count {
            try flush()
            do {
                try handle.write(contentsOf: Data(utf8))
            } catch { throw SampleGeneratorError(path: path, reason: "write failed") }
        } else {
            bytes(utf8)
        }
    }

    /// A non-negative integer, zero-padded to at least `width` digits.
    @inline(__always)
    func digits(_ value: Int, width: Int) {
        var v = value
        var length = 1
        var probe = v / 10
        while probe > 0 {
            length += 1
            probe /= 10
        }
        if length < width { length = width }
        var index = count + length - 1
        while index >= count {
            buffer[index] = UInt8(truncatingIfNeeded: 48 + v % 10)
            v /= 10
            index -= 1
        }
        count += length
    }

    /// An amount in cents as `d+.dd` (with a leading `-` when negative).
    @inline(__always)
    func cents(_ value: Int64) {
        var v = value
        if v < 0 {
            byte(UInt8(ascii: "-"))
            v = -v
        }
        digits(Int(v / 100), width: 1)
        byte(UInt8(ascii: "."))
        digits(Int(v % 100), width: 2)
    }

    /// A date as `YYYY-MM-DD`.
    @inline(__always)
    func date(_ days: Int) {
        let civil = CivilDate.civil(Int32(days))
        digits(Int(civil.year), width: 4)
        byte(UInt8(ascii: "-"))
        digits(Int(civil.month), width: 2)
        byte(UInt8(ascii: "-"))
        digits(Int(civil.day), width: 2)
    }

    /// A date as `MM/DD/YYYY`.
    @inline(__always)
    func usDate(_ days: Int) {
        let civil = CivilDate.civil(Int32(days))
        digits(Int(civil.month), width: 2)
        byte(UInt8(ascii: "/"))
        digits(Int(civil.day), width: 2)
        byte(UInt8(ascii: "/"))
        digits(Int(civil.year), width: 4)
    }

    /// An amount in cents as `$1,234.50` (negative: `($1,234.50)`).
    func usCents(_ value: Int64) {
        let negative = value < 0
        let v = negative ? -value : value
        if negative { byte(UInt8(ascii: "(")) }
        byte(UInt8(ascii: "$"))
        let whole = Int(v / 100)
        if whole >= 1000 {
            digits(whole / 1000, width: 1)
            byte(UInt8(ascii: ","))
            digits(whole % 1000, width: 3)
        } else {
            digits(whole, width: 1)
        }
        byte(UInt8(ascii: "."))
        digits(Int(v % 100), width: 2)
        if negative { byte(UInt8(ascii: ")")) }
    }

    private static let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// `value` as `width` upper-case hex digits (low bits).
    @inline(__always)
    func hex(_ value: UInt64, width: Int) {
        var v = value
        var index = count + width - 1
        while index >= count {
            buffer[index] = Self.hexDigits[Int(v & 0xF)]
            v >>= 4
            index -= 1
        }
        count += width
    }
}
