/// A set of an upload's line numbers, one bit per line (a 4M-line file costs 500 KiB).
///
/// Filled from the server a 64-line word at a time (``fetch(_:_:on:)``), so a query that names most lines
/// of a large file sends a few thousand rows, not millions.
struct LineSet {
    private var words: [UInt64] = []
    private(set) var count = 0

    init() {}

    var isEmpty: Bool { count == 0 }

    func contains(_ line: Int) -> Bool {
        let word = line >> 6
        return word < words.count && words[word] & (1 << UInt64(line & 63)) != 0
    }

    mutating func insert(_ line: Int) {
        precondition(line >= 0)
        let word = line >> 6
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: word - words.count + 1)) }
        let bit: UInt64 = 1 << UInt64(line & 63)
        if words[word] & bit == 0 {
            words[word] |= bit
            count += 1
        }
    }

    /// Adds the bits of a 64-line word (`lines` = lines `64 × word …` from bit 0 up).
    mutating func insert(word: Int, lines: UInt64) {
        precondition(word >= 0)
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: word - words.count + 1)) }
        count += (lines & ~words[word]).nonzeroBitCount
        words[word] |= lines
    }

    /// The lines in ascending order.
    var sorted: [Int] {
        var lines: [Int] = []
        lines.reserveCapacity(count)
        for (index, word) in words.enumerated() where word != 0 {
            var bits = word
            while bits != 0 {
                lines.append(index << 6 + bits.trailingZeroBitCount)
                bits &= bits - 1
            }
        }
        return lines
    }

    /// The set of the `line_no` values `query` returns (its only column, an `integer`), streamed through a
    /// cursor as 64-line words, in bounded memory.
    ///
    /// - Important: `query` comes from code; values go in `parameters`.
    static func fetch(
        _ query: String,
        _ parameters: [String?] = [],
        operation: String,
        on connection: PGConnection
    ) throws(PostgresError) -> LineSet {
        try connection.query(
            """
            DECLARE driftline_lines NO SCROLL CURSOR FOR
            SELECT line_no >> 6, bit_or(1::bigint << (line_no & 63)) FROM (\(query)) AS lines (line_no) GROUP BY 1
            """,
            parameters,
            operation: operation
        )
        var set = LineSet()
        while true {
            let batch = try connection.query("FETCH 8192 FROM driftline_lines", operation: operation)
            for row in batch.rows {
                guard let word = row[0].flatMap({ Int($0) }), let bits = row[1].flatMap({ Int64($0) }) else { continue }
                set.insert(word: word, lines: UInt64(bitPattern: bits))
            }
            if batch.rows.count < 8192 { break }
        }
        try connection.execute("CLOSE driftline_lines", operation: operation)
        return set
    }
}
