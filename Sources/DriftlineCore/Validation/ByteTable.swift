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

    /// A hash that ignores ASCII case: bytes are folded with `| 0x20` (equal-ignoring-case keys hash alike;
    /// the rare extra collisions are settled by the comparison) and mixed 8 at a time.
    @inline(__always)
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var hash = UInt64(truncatingIfNeeded: bytes.count) &* 0x9E37_79B9_7F4A_7C15
        var word: UInt64 = 0
        var shift: UInt64 = 0
        for byte in bytes {
            word |= UInt64(byte | 0x20) &<< shift
            shift &+= 8
            if shift == 64 {
                hash = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
                hash ^= hash &>> 32
                word = 0
                shift = 0
            }
        }
        hash = (hash ^ word) &* 0xFF51_AFD7_ED55_8CCD
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

    @inline(__always)
    private func matches(_ slot: Slot, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        pool.withUnsafeBufferPointer { pool in
            let start = Int(slot.start)
            for offset in 0..<bytes.count where pool[start + offset] != Self.lower(bytes[offset]) { return false }
            return true
        }
    }
}
