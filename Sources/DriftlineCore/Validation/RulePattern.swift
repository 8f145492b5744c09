#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `pattern` rule's regular expression: POSIX extended syntax plus `\d`, `\w`, `\s` (and `\D`, `\W`, `\S`).
///
/// Every pattern is compiled with `regcomp` at load, so the accepted syntax is exactly POSIX ERE. Common
/// shapes (anchors, literals, bracket classes, `{n,m}`/`?`/`*`/`+` quantifiers, one level of literal
/// alternatives such as `(CO|PR|OA)`) then run on a small byte matcher; anything else runs on `regexec`.
/// Matching is by bytes (the C locale), case-sensitive, and unanchored unless the pattern says `^…$`.
package final class RulePattern: @unchecked Sendable {
    // @unchecked: `regex` is written only in `init` and `deinit`; `regexec` on a compiled regex is thread-safe.
    private let regex: UnsafeMutablePointer<regex_t>
    private let simple: SimplePattern?

    /// The pattern as given to `regcomp` (after translating the shorthands).
    package let posixSource: String

    /// Compiles `pattern`, or returns `nil` when POSIX rejects it.
    package init?(_ pattern: String) {
        let source = Self.translate(pattern)
        let regex = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        guard regcomp(regex, source, REG_EXTENDED | REG_NOSUB) == 0 else {
            regex.deallocate()
            return nil
        }
        self.regex = regex
        self.posixSource = source
        self.simple = SimplePattern(posix: Array(source.utf8))
    }

    deinit {
        regfree(regex)
        regex.deallocate()
    }

    /// Whether the hand-written matcher handles this pattern (else `regexec` does).
    package var isSimple: Bool { simple != nil }

    /// Whether the pattern is matched position by position (anchored, fixed width, no alternatives).
    package var isFixedWidth: Bool { simple?.isFixedWidth ?? false }

    @inline(__always)
    package func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if let simple { return simple.matches(bytes) }
        return posixMatches(bytes)
    }

    /// `regexec` on a NUL-terminated copy (on the stack for field-sized values).
    package func posixMatches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: bytes.count + 1) { buffer in
            for index in 0..<bytes.count { buffer[index] = CChar(bitPattern: bytes[index]) }
            buffer[bytes.count] = 0
            return regexec(regex, buffer.baseAddress!, 0, nil, 0) == 0
        }
    }

    /// Rewrites `\d`, `\w`, `\s` and their negations into POSIX bracket expressions.
    package static func translate(_ pattern: String) -> String {
        var output = ""
        var inBracket = false
        var bracketStart = false
        var characters = pattern.makeIterator()
        while let character = characters.next() {
            if inBracket {
                if character == "\\", let next = characters.next() {
                    switch next {
                    case "d": output += "0-9"
                    case "w": output += "A-Za-z0-9_"
                    case "s": output += "[:space:]"
                    default: output += "\\" + String(next)
                    }
                } else if character == "]", !bracketStart {
                    inBracket = false
                    output.append(character)
                } else if character == "[" {
                    // POSIX named class `[:name:]` inside a bracket: copy through the closing `:]`.
                    output.append(character)
                    var lookahead = characters
                    if lookahead.next() == ":" {
                        characters = lookahead
                        output += ":"
                        while let inner = characters.next() {
                            output.append(inner)
                            if inner == "]" { break }
                        }
                    }
                } else {
                    output.append(character)
                }
                bracketStart = bracketStart && character == "^"
                continue
            }
            switch character {
            case "\\":
                guard let next = characters.next() else {
                    output += "\\"
                    continue
                }
                switch next {
                case "d": output += "[0-9]"
                case "D": output += "[^0-9]"
                case "w": output += "[A-Za-z0-9_]"
                case "W": output += "[^A-Za-z0-9_]"
                case "s": output += "[[:space:]]"
                case "S": output += "[^[:space:]]"
                default: output += "\\" + String(next)
                }
            case "[":
                inBracket = true
                bracketStart = true
                output.append(character)
            default:
                output.append(character)
            }
        }
        return output
    }
}

/// The byte matcher behind ``RulePattern`` for simple POSIX patterns: a sequence of quantified byte classes
/// or literal alternatives, matched by bounded backtracking. Stores only trivial values, so matching is
/// free of reference counting.
private struct SimplePattern {
    private struct ByteSet {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        @inline(__always)
        func contains(_ byte: UInt8) -> Bool {
            let bit = UInt64(1) << UInt64(byte & 63)
            switch byte >> 6 {
            case 0: return words.0 & bit != 0
            case 1: return words.1 & bit != 0
            case 2: return words.2 & bit != 0
            default: return words.3 & bit != 0
            }
        }

        mutating func insert(_ byte: UInt8) {
            let bit = UInt64(1) << UInt64(byte & 63)
            switch byte >> 6 {
            case 0: words.0 |= bit
            case 1: words.1 |= bit
            case 2: words.2 |= bit
            default: words.3 |= bit
            }
        }

        mutating func insert(_ range: ClosedRange<UInt8>) { for byte in range { insert(byte) } }

        func inverted() -> ByteSet {
            ByteSet(words: (~words.0, ~words.1, ~words.2, ~words.3))
        }
    }

    private struct Item {
        var set: ByteSet
        var alternativeStart: Int32  // into `alternatives`; count 0 = a byte-class item
        var alternativeCount: Int32
        var min: Int32
        var max: Int32
    }

    private var items: [Item] = []
    private var alternatives: [(start: Int32, count: Int32)] = []
    private var literalPool: [UInt8] = []
    private var anchoredStart = false
    private var anchoredEnd = false
    /// The class of every position, for a fixed-width anchored pattern.
    private var fixedWidth: [ByteSet]?

    /// Parses the POSIX form; `nil` when the pattern needs the full engine.
    init?(posix bytes: [UInt8]) {
        var index = 0
        let count = bytes.count
        guard !bytes.contains(where: { $0 >= 0x80 }) else { return nil }
        if index < count, bytes[index] == UInt8(ascii: "^") {
            anchoredStart = true
            index += 1
        }
        var variableItems = 0
        var unboundedItems = 0
        while index < count {
            let byte = bytes[index]
            var item = Item(set: ByteSet(), alternativeStart: 0, alternativeCount: 0, min: 1, max: 1)
            switch byte {
            case UInt8(ascii: "$"):
                guard index == count - 1 else { return nil }
                anchoredEnd = true
                index += 1
                continue
            case UInt8(ascii: "."):
                item.set = ByteSet().inverted()
                index += 1
            case UInt8(ascii: "["):
                guard let (set, next) = Self.parseBracket(bytes, from: index + 1) else { return nil }
                item.set = set
                index = next
            case UInt8(ascii: "("):
                guard let close = bytes[(index + 1)...].firstIndex(of: UInt8(ascii: ")")) else { return nil }
                item.alternativeStart = Int32(alternatives.count)
                for literal in bytes[(index + 1)..<close].split(
                    separator: UInt8(ascii: "|"),
                    omittingEmptySubsequences: false
                ) {
                    guard let decoded = Self.literal(literal) else { return nil }
                    alternatives.append((Int32(literalPool.count), Int32(decoded.count)))
                    literalPool.append(contentsOf: decoded)
                }
                item.alternativeCount = Int32(alternatives.count) - item.alternativeStart
                index = close + 1
            case UInt8(ascii: "\\"):
                guard index + 1 < count, Self.isPunctuation(bytes[index + 1]) else { return nil }
                item.set.insert(bytes[index + 1])
                index += 2
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"), UInt8(ascii: "|"),
                UInt8(ascii: ")"), UInt8(ascii: "^"):
                return nil
            default:
                item.set.insert(byte)
                index += 1
            }
            // Quantifier.
            if index < count {
                var quantified = true
                switch bytes[index] {
                case UInt8(ascii: "?"): (item.min, item.max) = (0, 1)
                case UInt8(ascii: "*"): (item.min, item.max) = (0, .max)
                case UInt8(ascii: "+"): (item.min, item.max) = (1, .max)
                case UInt8(ascii: "{"):
                    guard let (low, high, next) = Self.parseBraces(bytes, from: index + 1) else { return nil }
                    (item.min, item.max) = (low, high)
                    index = next - 1
                default: quantified = false
                }
                if quantified {
                    guard item.alternativeCount == 0 else { return nil }
                    index += 1
                    if index < count,
                        [UInt8(ascii: "?"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "{")]
                            .contains(bytes[index])
                    {
                        return nil
                    }
                }
            }
            if item.min != item.max { variableItems += 1 }
            if item.max == .max { unboundedItems += 1 }
            items.append(item)
        }
        // Bound the backtracking on field-sized values.
        guard variableItems <= 4, unboundedItems <= 2 else { return nil }
        // `^…$` with single classes repeated a fixed number of times (`^[0-9]{10}$`, `^P[0-9A-F]{8}$`): one
        // class per position, matched in one pass without the backtracking matcher.
        if anchoredStart, anchoredEnd, variableItems == 0, items.allSatisfy({ $0.alternativeCount == 0 }),
            items.reduce(0, { $0 + Int($1.min) }) <= Self.maxFixedWidth
        {
            fixedWidth = items.flatMap { Array(repeating: $0.set, count: Int($0.min)) }
        }
    }

    var isFixedWidth: Bool { fixedWidth != nil }

    /// The longest pattern matched position by position.
    private static let maxFixedWidth = 64

    private static func isPunctuation(_ byte: UInt8) -> Bool {
        (33...47).contains(byte) || (58...64).contains(byte) || (91...96).contains(byte) || (123...126).contains(byte)
    }

    private static func literal(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < bytes.endIndex, isPunctuation(bytes[index + 1]) else { return nil }
                output.append(bytes[index + 1])
                index += 2
                continue
            }
            if ".[]()*+?{}|^$".utf8.contains(byte) { return nil }
            output.append(byte)
            index += 1
        }
        return output
    }

    /// `n}`, `n,}` or `n,m}` after a `{`.
    private static func parseBraces(_ bytes: [UInt8], from start: Int) -> (Int32, Int32, Int)? {
        var index = start
        func number() -> Int32? {
            var value: Int32 = 0
            var digits = 0
            while index < bytes.count, bytes[index] &- 48 < 10, digits < 4 {
                value = value * 10 + Int32(bytes[index] - 48)
                digits += 1
                index += 1
            }
            return digits > 0 ? value : nil
        }
        guard let low = number() else { return nil }
        var high = low
        if index < bytes.count, bytes[index] == UInt8(ascii: ",") {
            index += 1
            high = number() ?? .max
        }
        guard index < bytes.count, bytes[index] == UInt8(ascii: "}"), low <= high else { return nil }
        return (low, high, index + 1)
    }

    /// A POSIX bracket expression after its `[`; returns the set and the index after `]`.
    private static func parseBracket(_ bytes: [UInt8], from start: Int) -> (ByteSet, Int)? {
        var index = start
        var set = ByteSet()
        var negated = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "^") {
            negated = true
            index += 1
        }
        var first = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "]"), !first {
                return (negated ? set.inverted() : set, index + 1)
            }
            first = false
            if byte == UInt8(ascii: "["), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: ":") {
                guard let end = bytes[(index + 2)...].firstIndex(of: UInt8(ascii: ":")),
                    end + 1 < bytes.count, bytes[end + 1] == UInt8(ascii: "]")
                else { return nil }
                switch String(decoding: bytes[(index + 2)..<end], as: UTF8.self) {
                case "space": for byte in [9, 10, 11, 12, 13, 32] as [UInt8] { set.insert(byte) }
                case "digit": set.insert(48...57)
                case "alpha":
                    set.insert(65...90)
                    set.insert(97...122)
                case "alnum":
                    set.insert(48...57)
                    set.insert(65...90)
                    set.insert(97...122)
                case "upper": set.insert(65...90)
                case "lower": set.insert(97...122)
                default: return nil
                }
                index = end + 2
                continue
            }
            if byte == UInt8(ascii: "["), index + 1 < bytes.count,
                bytes[index + 1] == UInt8(ascii: ".") || bytes[index + 1] == UInt8(ascii: "=")
            {
                return nil  // collating elements: leave to regexec
            }
            if index + 2 < bytes.count, bytes[index + 1] == UInt8(ascii: "-"), bytes[index + 2] != UInt8(ascii: "]") {
                let upper = bytes[index + 2]
                guard byte <= upper else { return nil }
                set.insert(byte...upper)
                index += 3
                continue
            }
            set.insert(byte)
            index += 1
        }
        return nil
    }

    @inline(__always)
    func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if let fixedWidth {
            guard bytes.count == fixedWidth.count else { return false }
            return fixedWidth.withUnsafeBufferPointer { sets in
                for index in 0..<bytes.count where !sets[index].contains(bytes[index]) { return false }
                return true
            }
        }
        return items.withUnsafeBufferPointer { items in
            alternatives.withUnsafeBufferPointer { alternatives in
                literalPool.withUnsafeBufferPointer { pool in
                    let matcher = Matcher(
                        items: items,
                        alternatives: alternatives,
                        pool: pool,
                        bytes: bytes,
                        anchoredEnd: anchoredEnd
                    )
                    if anchoredStart { return matcher.match(0, 0) }
                    for start in 0...bytes.count where matcher.match(0, start) { return true }
                    return false
                }
            }
        }
    }

    private struct Matcher {
        let items: UnsafeBufferPointer<Item>
        let alternatives: UnsafeBufferPointer<(start: Int32, count: Int32)>
        let pool: UnsafeBufferPointer<UInt8>
        let bytes: UnsafeBufferPointer<UInt8>
        let anchoredEnd: Bool

        func match(_ itemIndex: Int, _ position: Int) -> Bool {
            var itemIndex = itemIndex
            var position = position
            // Single-width items need no backtracking: walk them in a loop.
            while itemIndex < items.count {
                let item = items[itemIndex]
                if item.alternativeCount > 0 {
                    for offset in 0..<Int(item.alternativeCount) {
                        let literal = alternatives[Int(item.alternativeStart) + offset]
                        let length = Int(literal.count)
                        guard position + length <= bytes.count else { continue }
                        var equal = true
                        for k in 0..<length where pool[Int(literal.start) + k] != bytes[position + k] {
                            equal = false
                            break
                        }
                        if equal, match(itemIndex + 1, position + length) { return true }
                    }
                    return false
                }
                if item.min == 1, item.max == 1 {
                    guard position < bytes.count, item.set.contains(bytes[position]) else { return false }
                    position += 1
                    itemIndex += 1
                    continue
                }
                var taken = 0
                let limit = Int(item.max)
                while taken < limit, position + taken < bytes.count, item.set.contains(bytes[position + taken]) {
                    taken += 1
                }
                guard taken >= Int(item.min) else { return false }
                if itemIndex + 1 == items.count {
                    return !anchoredEnd || position + taken == bytes.count
                }
                while taken >= Int(item.min) {
                    if match(itemIndex + 1, position + taken) { return true }
                    taken -= 1
                }
                return false
            }
            return !anchoredEnd || position == bytes.count
        }
    }
}
