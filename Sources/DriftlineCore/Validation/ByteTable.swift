/// An immutable hash table from byte strings to small integers, ASCII case-insensitive.
///
/// Built once from configuration (payer names, customer ids, `one_of` values, lookup lists) and
/// probed per row with the row's bytes, so a lookup never allocates a `String`.
package struct ByteTable: Sendable {
    private struct Slot: Sendable {
        var hash: UInt32
        var start: Int32
        var count: Int32  // -1: empty slot
        var value: Int32
    }

    private var slots: [Slot]
    private var pool: [UInt8]  // keys, lowercased
    private var mask: Int
    package private(set) var count: Int

    /// Builds a table; a key seen twice keeps its first value.
    package init(_ entries: some Sequence<(key: String, value: Int32)>) {
        let entries = Array(entries)
        var capacity = 8
        while capacity < entries.count * 2 { capacity <<= 1 }
        slots = Array(repeating: Slot(hash: 0, start: 0, count: -1, value: 0), count: capacity)
        pool = []
        mask = capacity - 1
        count = 0
        for (key, value) in entries {
            let bytes = key.utf8.map(Self.lower)
            let hash = bytes.withUnsafeBufferPointer { Self.hash($0) }
            var index = Int(hash) & mask
            var duplicate = false
            while slots[index].count >= 0 {
                if slots[index].hash == hash, equal(slots[index], bytes) {
                    duplicate = true
                    break
                }
                index = (index + 1) & mask
            }
            if duplicate { continue }
            slots[index] = Slot(hash: hash, start: Int32(pool.count), count: Int32(bytes.count), value: value)
            pool.append(contentsOf: bytes)
            count += 1
        }
    }

    /// A set: every key maps to 0.
    package init(keys: some Sequence<String>) {
        self.init(keys.map { (key: $0, value: Int32(0)) })
    }

    private func equal(_ slot: Slot, _ bytes: [UInt8]) -> Bool {
        guard Int(slot.count) == bytes.count else { return false }
        for offset in 0..<bytes.count where pool[Int(slot.start) + offset] != bytes[offset] { return false }
        return true
    }

    @inline(__always)
    private static func lower(_ byte: UInt8) -> UInt8 {
        byte &- 65 < 26 ? byte | 0x20 : byte
    }

    /// ASCII `A`–`Z` to lowercase in 8 bytes at once (SWAR); every other byte is unchanged.
    @inline(__always)
    private static func lowerWord(_ word: UInt64) -> UInt64 {
        let low7 = word & 0x7F7F_7F7F_7F7F_7F7F
        let atLeastA = low7 &+ 0x3F3F_3F3F_3F3F_3F3F  // high bit set where a byte is >= 0x41
        let pastZ = low7 &+ 0x2525_2525_2525_2525  // high bit set where a byte is >= 0x5B
        let upper = atLeastA & ~pastZ & ~word & 0x8080_8080_8080_8080
        return word | (upper &>> 2)
    }

    @inline(__always)
    private static func word(_ base: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The lowercased bytes of `bytes` as little-endian words: whole words, then the tail (the last 8 bytes
    /// shifted past those already read when there are 8 or more, else assembled byte by byte), so a
    /// field is read in a few loads and never past its end.
    @inline(__always)
    private static func forEachLoweredWord(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UInt64) -> Bool) -> Bool {
        let count = bytes.count
        guard let base = bytes.baseAddress, count > 0 else { return true }
        let raw = UnsafeRawPointer(base)
        var offset = 0
        while offset &+ 8 <= count {
            guard body(lowerWord(word(raw, offset))) else { return false }
            offset &+= 8
        }
        let rest = count &- offset
        guard rest > 0 else { return true }
        if count >= 8 { return body(lowerWord(word(raw, count &- 8)) &>> UInt64(8 &* (8 &- rest))) }
        var tail: UInt64 = 0
        for index in 0..<rest { tail |= UInt64(base[index]) &<< UInt64(8 &* index) }
        return body(lowerWord(tail))
    }

    /// A hash of the lowercased bytes, mixed 8 at a time.
    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var hash = UInt64(truncatingIfNeeded: bytes.count) &* 0x9E37_79B9_7F4A_7C15
        _ = forEachLoweredWord(bytes) { word in
            hash = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
            hash ^= hash &>> 32
            return true
        }
        hash = hash &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash &>> 29
        return UInt32(truncatingIfNeeded: hash)
    }

    /// The value of `bytes`, matched case-insensitively, or `nil`.
    @inline(__always)
    package func value(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        let hash = Self.hash(bytes)
        return slots.withUnsafeBufferPointer { slots -> Int32? in
            var index = Int(hash) & mask
            while true {
                let slot = slots[index]
                if slot.count < 0 { return nil }
                if slot.hash == hash, Int(slot.count) == bytes.count, matches(slot, bytes) { return slot.value }
                index = (index + 1) & mask
            }
        }
    }

    @inline(__always)
    package func contains(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool { value(bytes) != nil }

    /// Whether the slot's key (stored lowercased) equals `bytes` lowercased; the caller checked the length.
    @inline(__always)
    private func matches(_ slot: Slot, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        pool.withUnsafeBufferPointer { pool in
            guard let key = pool.baseAddress.map({ $0 + Int(slot.start) }), let base = bytes.baseAddress else {
                return bytes.isEmpty
            }
            let count = bytes.count
            if count < 8 {
                for index in 0..<count where Self.lower(base[index]) != key[index] { return false }
                return true
            }
            let raw = UnsafeRawPointer(base)
            let keyRaw = UnsafeRawPointer(key)
            var offset = 0
            while offset &+ 8 <= count {
                guard Self.lowerWord(Self.word(raw, offset)) == Self.word(keyRaw, offset) else { return false }
                offset &+= 8
            }
            return offset == count || Self.lowerWord(Self.word(raw, count &- 8)) == Self.word(keyRaw, count &- 8)
        }
    }
}
