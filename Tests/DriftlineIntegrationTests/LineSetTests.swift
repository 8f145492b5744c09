import DriftlineTestSupport
import Testing

@testable import DriftlinePostgres

/// The line sets the loader streams back from the server (stored claims, repeats, stale rows).
@Suite(.enabled(if: TestDatabase.isAvailable))
struct LineSetTests {
    @Test func insertsCountAndSortWithoutDuplicates() {
        var set = LineSet()
        for line in [5, 64, 63, 5, 200_000, 0] { set.insert(line) }
        #expect(set.count == 5)
        #expect(set.sorted == [0, 5, 63, 64, 200_000])
        #expect(set.contains(63) && set.contains(64) && !set.contains(65) && !set.contains(10_000_000))
        set.insert(word: 1, lines: 0b11)  // lines 64 (already there) and 65
        #expect(set.count == 6)
        #expect(set.contains(65))
    }

    @Test func fetchesEveryLineAQueryNamesAcrossManyCursorBatches() throws {
        let database = try TestDatabase()
        let connection = try database.connect()
        // Every third line of 3M: 1M lines in ~47k words, more than five FETCH batches.
        let set = try connection.transaction {
            try LineSet.fetch(
                "SELECT g::integer FROM generate_series(2, 3000000, 3) AS g WHERE g > $1::integer",
                ["0"],
                operation: "test lines",
                on: connection
            )
        }
        #expect(set.count == 1_000_000)
        #expect(set.contains(2) && set.contains(2_999_999) && !set.contains(3) && !set.contains(4))
        let lines = set.sorted
        #expect(lines.first == 2 && lines.last == 2_999_999)
        #expect(zip(lines, lines.dropFirst()).allSatisfy { $1 - $0 == 3 })
    }
}
