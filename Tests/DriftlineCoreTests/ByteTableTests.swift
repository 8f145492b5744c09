import Testing

@testable import DriftlineCore

@Suite("Byte table")
struct ByteTableTests {
    private func value(_ table: ByteTable, _ text: String) -> Int32? {
        Array(text.utf8).withUnsafeBufferPointer { table.value($0) }
    }

    @Test("matches keys of every length ignoring ASCII case, word by word and in the tail")
    func matchesIgnoringCase() {
        // Lengths 1...24 cross the 8-byte word and tail paths.
        let keys = (1...24).map { length in
            String((0..<length).map { Character(UnicodeScalar(65 + ($0 * 7 + length) % 26)!) })
        }
        let table = ByteTable(keys.enumerated().map { (key: $0.element, value: Int32($0.offset)) })
        #expect(table.count == keys.count)
        for (index, key) in keys.enumerated() {
            #expect(value(table, key) == Int32(index))
            #expect(value(table, key.lowercased()) == Int32(index))
            // One byte changed, first or last: not found.
            var first = Array(key.utf8)
            first[0] = UInt8(ascii: "0")
            #expect(first.withUnsafeBufferPointer { table.value($0) } == nil)
            var last = Array(key.utf8)
            last[last.count - 1] = UInt8(ascii: "0")
            #expect(last.withUnsafeBufferPointer { table.value($0) } == nil)
            #expect(value(table, key + "X") == nil)
            #expect(value(table, String(key.dropLast())) != Int32(index))
        }
        #expect(value(table, "") == nil)
    }

    @Test("folds only letters: punctuation one bit apart from a letter's case stays distinct")
    func foldsOnlyLetters() {
        // '@' (0x40) vs '`' (0x60), '[' (0x5B) vs '{' (0x7B), and non-ASCII bytes are not letters.
        let table = ByteTable(keys: ["a@b", "co-97", "über", "payer[x]-long-name"])
        #expect(value(table, "A@B") != nil)
        #expect(value(table, "a`b") == nil)
        #expect(value(table, "CO-97") != nil)
        #expect(value(table, "payer[x]-LONG-name") != nil)
        #expect(value(table, "payer{x}-long-name") == nil)
        #expect(value(table, "über") != nil)
        #expect(value(table, "Über") == nil)  // only ASCII folds
    }

    @Test("a key seen twice keeps its first value")
    func firstValueWins() {
        let table = ByteTable([(key: "MEDICARE", value: 1), (key: "medicare", value: 2)])
        #expect(table.count == 1)
        #expect(value(table, "Medicare") == 1)
    }
}
