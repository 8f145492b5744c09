import DriftlinePipeline
import Testing

/// How the drift stage cuts its customers into statements (no database).
@Suite struct DriftBatchesTests {
    private static func ids(_ count: Int) -> [String] { (0..<count).map { "c\(1000 + $0)" } }

    @Test(arguments: [(0, 32), (1, 32), (31, 32), (32, 32), (33, 32), (300, 32), (300, 1), (7, 3)])
    func everyCustomerOnceInAscendingBatchesOfAtMostTheSize(customers: Int, perStatement: Int) {
        let list = Self.ids(customers)
        let batches = DriftService.batches(of: list, perStatement: perStatement)
        #expect(batches.count == (customers + perStatement - 1) / perStatement)
        #expect(batches.allSatisfy { !$0.isEmpty && $0.count <= perStatement })
        #expect(batches.allSatisfy { $0 == $0.sorted() }, "each transaction takes the refresh locks in ascending order")
        #expect(batches.flatMap { $0 }.sorted() == list, "every customer exactly once")
    }

    /// The 5M-claim benchmark's shape: Pareto sizes, the biggest customers late in the id order. Runs of 32
    /// consecutive ids gave the last batch 27% of the rows; dealt, no batch holds much more than its share.
    @Test func bigCustomersAreDealtAcrossTheBatches() {
        let list = Self.ids(300)
        let size = Dictionary(uniqueKeysWithValues: list.enumerated().map { ($1, $0 >= 288 ? 20_000 : 1_000) })
        let batches = DriftService.batches(of: list, perStatement: 32)
        let total = list.reduce(0) { $0 + size[$1]! }
        let shares = batches.map { Double($0.reduce(0) { $0 + size[$1]! }) / Double(total) }
        #expect(shares.max()! < 1.5 / Double(batches.count), "\(shares)")
        #expect(batches[0] == ["c1000", "c1010", "c1020"] + batches[0].dropFirst(3), "batch k holds k, k + n, …")
    }
}
