/// Which rules apply to a row, decided by its payer, customer and CPT code in three lookups.
///
/// Built once per run. Payers and customers named in any scope are interned (every other value shares one
/// "other" id); the CPT key space is cut at every scope range boundary into elementary intervals (a
/// `cpt_group` scope is resolved to its section's ranges first). For each (payer, customer, interval)
/// combination the intersection of the rules admitting it is precomputed, deduplicated, and stored as one
/// flat list of rule indices, in rule order.
package final class RuleIndex: Sendable {
    /// A rule's scope, resolved: `nil` means the dimension is unconstrained.
    package struct Scope: Sendable {
        package var payers: [String]?
        package var customers: [String]?
        /// Inclusive CPT key ranges (after intersecting `cpt` with `cpt_group`).
        package var cptRanges: [(lower: Int32, upper: Int32)]?

        package init(
            payers: [String]? = nil,
            customers: [String]? = nil,
            cptRanges: [(lower: Int32, upper: Int32)]? = nil
        ) {
            self.payers = payers
            self.customers = customers
            self.cptRanges = cptRanges
        }

        package static let all = Scope()
    }

    /// Scope payer names (canonical ids, or names not on the payer list) → payer id.
    private let payers: ByteTable
    /// A listed payer's canonical index → payer id (the "other" id when no scope names it).
    private let payerOfCanonical: [Int32]
    private let customers: ByteTable
    private let payerCount: Int  // including "other"; 1 when no rule is payer-scoped
    private let customerCount: Int
    private let boundaries: [Int32]  // sorted; interval i holds keys in [boundaries[i-1], boundaries[i])
    private let intervalCount: Int
    /// (payer, customer, interval) → the range of its list in `listRules`: one load finds a row's rules.
    private let table: [ListRange]
    private let listCount: Int
    /// Every list's rule indices, back to back (``applicable(to:)`` returns positions in here).
    package let listRules: [Int32]
    /// CPT key >> `bucketShift` → first boundary index at or above the bucket, for a short linear scan.
    private let bucketStarts: [Int32]
    private static let bucketShift: Int32 = 8

    /// The number of distinct rule lists (for tests and diagnostics).
    package var distinctLists: Int { listCount }

    private struct ListRange {
        var start: Int32
        var end: Int32
    }

    /// - Parameter payers: scopes name payers by any of their names; rows match by canonical id.
    package init(scopes: [Scope], payers directory: PayerDirectory = .empty) {
        var payerIDs: [String: Int32] = [:]
        var customerIDs: [String: Int32] = [:]
        var boundarySet = Set<Int32>()
        let scopes = scopes.map { scope in
            var scope = scope
            scope.payers = scope.payers?.map { directory.canonicalID($0) }
            return scope
        }
        for scope in scopes {
            for name in scope.payers ?? [] where payerIDs[name.lowercased()] == nil {
                payerIDs[name.lowercased()] = Int32(payerIDs.count)
            }
            for name in scope.customers ?? [] where customerIDs[name.lowercased()] == nil {
                customerIDs[name.lowercased()] = Int32(customerIDs.count)
            }
            for range in scope.cptRanges ?? [] {
                boundarySet.insert(range.lower)
                if range.upper < .max { boundarySet.insert(range.upper + 1) }
            }
        }
        payers = ByteTable(payerIDs.map { (key: $0.key, value: $0.value) })
        customers = ByteTable(customerIDs.map { (key: $0.key, value: $0.value) })
        payerCount = payerIDs.isEmpty ? 1 : payerIDs.count + 1
        let other = Int32(payerCount - 1)
        payerOfCanonical = directory.ids.map { payerIDs[$0.lowercased()] ?? other }
        customerCount = customerIDs.isEmpty ? 1 : customerIDs.count + 1
        boundaries = boundarySet.sorted()
        intervalCount = boundaries.count + 1

        let words = max(1, (scopes.count + 63) / 64)
        func masks(_ count: Int) -> [UInt64] { Array(repeating: 0, count: count * words) }
        var payerMasks = masks(payerCount)
        var customerMasks = masks(customerCount)
        var intervalMasks = masks(intervalCount)
        let boundaries = boundaries
        func interval(of key: Int32) -> Int { Self.upperBound(boundaries, key) }

        for (rule, scope) in scopes.enumerated() {
            let word = rule / 64
            let bit = UInt64(1) << UInt64(rule % 64)
            if let names = scope.payers {
                for name in names { payerMasks[Int(payerIDs[name.lowercased()]!) * words + word] |= bit }
            } else {
                for id in 0..<payerCount { payerMasks[id * words + word] |= bit }
            }
            if let names = scope.customers {
                for name in names { customerMasks[Int(customerIDs[name.lowercased()]!) * words + word] |= bit }
            } else {
                for id in 0..<customerCount { customerMasks[id * words + word] |= bit }
            }
            if let ranges = scope.cptRanges {
                for range in ranges {
                    for id in interval(of: range.lower)...interval(of: range.upper) {
                        intervalMasks[id * words + word] |= bit
                    }
                }
            } else {
                for id in 0..<intervalCount { intervalMasks[id * words + word] |= bit }
            }
        }

        // A list is keyed by its rule set written sparsely, (word index, bits) for the non-zero words: a
        // payer's rules are usually a few adjacent words of the bit set, so the key stays short.
        var listIDs: [[UInt64]: Int32] = [:]
        var listStarts: [Int32] = [0]
        var listRules: [Int32] = []
        var table: [ListRange] = []
        table.reserveCapacity(payerCount * customerCount * intervalCount)
        func range(_ id: Int32) -> ListRange { ListRange(start: listStarts[Int(id)], end: listStarts[Int(id) + 1]) }
        var both = [UInt64](repeating: 0, count: words)
        var active: [Int] = []
        var key: [UInt64] = []
        for payer in 0..<payerCount {
            for customer in 0..<customerCount {
                active.removeAll(keepingCapacity: true)
                for word in 0..<words {
                    both[word] = payerMasks[payer * words + word] & customerMasks[customer * words + word]
                    if both[word] != 0 { active.append(word) }
                }
                for interval in 0..<intervalCount {
                    key.removeAll(keepingCapacity: true)
                    for word in active {
                        let bits = both[word] & intervalMasks[interval * words + word]
                        if bits != 0 {
                            key.append(UInt64(word))
                            key.append(bits)
                        }
                    }
                    if let id = listIDs[key] {
                        table.append(range(id))
                        continue
                    }
                    let id = Int32(listStarts.count - 1)
                    listIDs[key] = id
                    for pair in stride(from: 0, to: key.count, by: 2) {
                        var bits = key[pair + 1]
                        while bits != 0 {
                            listRules.append(Int32(Int(key[pair]) * 64 + bits.trailingZeroBitCount))
                            bits &= bits - 1
                        }
                    }
                    listStarts.append(Int32(listRules.count))
                    table.append(range(id))
                }
            }
        }
        self.table = table
        self.listCount = listStarts.count - 1
        self.listRules = listRules
        // Buckets of 256 keys over the boundary span: bucket b starts at the first boundary >= b << shift.
        var bucketStarts: [Int32] = []
        if let last = boundaries.last {
            let bucketCount = Int(last >> Self.bucketShift) + 2
            bucketStarts.reserveCapacity(bucketCount)
            var next = 0
            for bucket in 0..<bucketCount {
                let low = Int32(bucket) << Self.bucketShift
                while next < boundaries.count, boundaries[next] < low { next += 1 }
                bucketStarts.append(Int32(next))
            }
        }
        self.bucketStarts = bucketStarts
    }

    /// The interval of a CPT key: the number of boundaries `<= key`, via its bucket and a short scan.
    @inline(__always)
    private func interval(of key: Int32) -> Int {
        guard key >= 0 else { return 0 }
        let bucket = Int(key >> Self.bucketShift)
        guard bucket + 1 < bucketStarts.count else { return boundaries.count }
        var index = Int(bucketStarts[bucket])
        let end = Int(bucketStarts[bucket + 1])
        return boundaries.withUnsafeBufferPointer { boundaries in
            while index < end, boundaries[index] <= key { index &+= 1 }
            return index
        }
    }

    /// The number of elements of `sorted` that are `<= key` (branch-free binary search).
    @inline(__always)
    private static func upperBound(_ sorted: [Int32], _ key: Int32) -> Int {
        sorted.withUnsafeBufferPointer { sorted in
            guard !sorted.isEmpty else { return 0 }
            var base = 0
            var length = sorted.count
            while length > 1 {
                let half = length >> 1
                base = sorted[base &+ half] <= key ? base &+ half : base
                length &-= half
            }
            return sorted[base] <= key ? base &+ 1 : base
        }
    }

    /// Positions of the rules whose scope matches `row` (read them with ``rule(at:)``), in rule order.
    @inline(__always)
    package func applicable(to row: borrowing ClaimRow) -> Range<Int> {
        var payer = 0
        if payerCount > 1 {
            payer = payerCount - 1
            if let canonical = row.payer {
                payer = Int(payerOfCanonical[Int(canonical)])
            } else if let bytes = row.bytes(.payer), let id = payers.value(bytes) {
                payer = Int(id)
            }
        }
        var customer = 0
        if customerCount > 1 {
            customer = customerCount - 1
            if let bytes = row.bytes(.customerID), let id = customers.value(bytes) { customer = Int(id) }
        }
        let interval = intervalCount > 1 ? self.interval(of: row.cptKey) : 0
        let list = table[(payer * customerCount + customer) * intervalCount + interval]
        return Int(list.start)..<Int(list.end)
    }

    /// The rule index at a position of ``applicable(to:)``.
    @inline(__always)
    package func rule(at position: Int) -> Int32 { listRules[position] }
}
