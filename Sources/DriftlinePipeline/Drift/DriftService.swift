import DriftlineCore
import DriftlinePostgres
import Foundation
import Logging

/// Finds and stores drift for one as-of date (or each day of a backfill): brings each customer's daily summary
/// of decided claims (`decision_days`) up to date with the uploads loaded since, aggregates the windows from it
/// in PostgreSQL, runs the ``DriftDetector`` on them, inserts the events. Used by the `drift` stage and by
/// `driftline drift`. Blocking: call it on a thread of its own (``DedicatedThread``).
///
/// Idempotent and safe to run concurrently: events go in with `ON CONFLICT DO NOTHING` on their unique key,
/// one short transaction for all customers, locking each customer row and then its events, customers and events in
/// ascending key order;
/// deadlocks and serialization failures are retried with ``RetryPolicy``. Logs counts only (no triple: the
/// log does not say which payer drifted for whom, the events table does).
package struct DriftService {
    package var settings: DriftSettings
    package var logger: Logger
    package var retry: RetryPolicy
    /// Customers aggregated by one statement: one round trip for many, while one batch's rows (every triple's
    /// decision days) stay a bounded share of the whole, and the batches are enough to share out.
    package var customersPerStatement: Int
    /// Connections aggregating at once. Each customer's statements run on one backend, one after the other; a
    /// plain scan of the windows gets parallel workers, and two connections are how the per-customer
    /// statements use a second core (README, Payer drift).
    package var aggregationConnections: Int

    package init(
        settings: DriftSettings,
        logger: Logger,
        retry: RetryPolicy = .default,
        customersPerStatement: Int = 32,
        aggregationConnections: Int = 2
    ) {
        precondition(customersPerStatement > 0 && aggregationConnections > 0)
        self.settings = settings
        self.logger = logger
        self.retry = retry
        self.customersPerStatement = customersPerStatement
        self.aggregationConnections = aggregationConnections
    }

    /// Every triple's aggregates, one statement per batch of customers: the database function sets each
    /// customer's tenant in turn, refreshes its summary and reads its windows (DriftStore.aggregates), the
    /// transaction takes the pipeline's role with the batch's first tenant. The batches
    /// (``batches(of:perStatement:)``) are shared out to ``aggregationConnections`` connections (the caller's and
    /// siblings of it), each taking the next batch when it is done with one.
    private func aggregate(
        _ customers: [String],
        windows: DriftWindows,
        connections: ConnectionProvider
    ) throws -> [DriftAggregate] {
        let batches = Self.batches(of: customers, perStatement: customersPerStatement)
        let shared = AggregationLanes(
            batches: batches.count,
            providers: [connections] + connections.siblings(max(0, min(aggregationConnections, batches.count) - 1))
        )
        DispatchQueue.concurrentPerform(iterations: shared.providers.count) { lane in
            while let index = shared.nextBatch() {
                do {
                    let batch = batches[index]
                    let found = try retry.runBlocking(logger: logger, operation: "aggregate drift windows") { _ in
                        let connection = try shared.providers[lane].connection()
                        return try connection.withTenant(batch[0]) {
                            try DriftStore.aggregates(windows: windows, customers: batch, on: connection)
                        }
                    }
                    shared.finish(index, found)
                } catch {
                    shared.fail(error)
                }
            }
        }
        return try shared.result()
    }

    /// The customers cut into batches of at most `perStatement`, **dealt** rather than cut in runs: batch `k` of
    /// `n` holds customers `k`, `k + n`, `k + 2n`, … of the list. Customers are Pareto-sized and a customer's id
    /// says nothing about its size, so consecutive runs left one connection with twice the other's rows at 5M
    /// claims (the biggest customers fell into the last two runs) and the aggregation waited on that lane;
    /// dealt, every batch gets a share of the big and the small (README, Payer drift). Each batch keeps the
    /// list's order: given the customers in ascending order, every transaction takes the customers' refresh
    /// locks in ascending order, which is all the lock order asks of the batches (a transaction waits only on
    /// a lock above every one it holds, so no cycle can form, whichever batches run at once).
    package static func batches(of customers: [String], perStatement: Int) -> [[String]] {
        precondition(perStatement > 0)
        let count = (customers.count + perStatement - 1) / perStatement
        return (0..<count).map { first in
            stride(from: first, to: customers.count, by: count).map { customers[$0] }
        }
    }

    /// What one day's evaluation found.
    package struct Outcome: Sendable {
        package var windows: DriftWindows
        /// Triples with decided claims in either window.
        package var triples: Int
        /// The detector's counts and events.
        package var detection: DriftDetection
        /// The events found, as stored (now, or before by an earlier run), in key order.
        package var records: [DriftEventRecord]
        /// Rows this evaluation inserted (the rest were stored already).
        package var inserted: Int

        /// Counts for a stage checkpoint or a summary line.
        package var summary: [String: Int64] {
            [
                "triples": Int64(triples), "tests_run": Int64(detection.testsRun),
                "tests_below_volume": Int64(detection.belowVolume),
                "tests_not_significant": Int64(detection.notSignificant),
                "tests_below_min_effect": Int64(detection.belowMinimumEffect),
                "events_found": Int64(records.count), "events_inserted": Int64(inserted),
            ]
        }
    }

    /// Evaluates the windows as of `asOf` and stores the events found.
    ///
    /// - Parameters:
    ///   - asOf: the last day of the current window (days since 1970-01-01).
    ///   - customerID: one customer only; Benjamini–Hochberg then runs across that customer's tests.
    ///   - runID: recorded in the events this call inserts.
    ///   - connections: the caller's connection (reconnected after a lost one).
    package func evaluate(
        asOf: Int32,
        customerID: String?,
        runID: Int64?,
        connections: ConnectionProvider
    ) throws -> Outcome {
        let windows = settings.windows(asOf: asOf)
        let started = Date()
        // One customer at a time with its tenant set (row-level security): a query that forgot its customer
        // filter would still see that customer's claims only. Benjamini-Hochberg then runs across them all.
        let customers = try retry.runBlocking(logger: logger, operation: "list customers") { _ in
            try customerID.map { [$0] } ?? UploadTotals.customers(on: connections.connection())
        }
        let aggregates = try aggregate(customers, windows: windows, connections: connections)
        let aggregated = Date()
        let detection = DriftDetector(settings: settings).detect(aggregates, windows: windows)
        let detected = Date()
        let found = detection.events.map { DriftEventRecord($0, runID: runID) }
        // Every customer's events in one short transaction (DriftStore.insert: customers in ascending order).
        let (inserted, records) = try retry.runBlocking(logger: logger, operation: "insert drift events") { _ in
            guard let first = found.map(\.customerID).min() else { return (0, [DriftEventRecord]()) }
            let connection = try connections.connection()
            return try connection.withTenant(first) { try DriftStore.insert(found, on: connection) }
        }
        let stored = Date()
        let outcome = Outcome(
            windows: windows,
            triples: aggregates.count,
            detection: detection,
            records: records,
            inserted: inserted
        )
        logger.info(
            "drift evaluated",
            metadata: [
                "as_of": .safe(SafeText(code: CivilDate.format(asOf))), "triples": .safe(outcome.triples),
                "tests.run": .safe(detection.testsRun), "tests.below_volume": .safe(detection.belowVolume),
                "tests.not_significant": .safe(detection.notSignificant),
                "tests.below_min_effect": .safe(detection.belowMinimumEffect),
                "events.found": .safe(records.count), "events.inserted": .safe(inserted),
                "aggregate_ms": .safe(Int(aggregated.timeIntervalSince(started) * 1000)),
                "detect_ms": .safe(Int(detected.timeIntervalSince(aggregated) * 1000)),
                "store_ms": .safe(Int(stored.timeIntervalSince(detected) * 1000)),
                "duration_ms": .safe(Int(Date().timeIntervalSince(started) * 1000)),
            ]
        )
        return outcome
    }
}

/// The batches of one aggregation and what the connections found, shared by the threads aggregating them
/// under its lock. `providers[lane]` is used by lane `lane`'s thread only.
private final class AggregationLanes: @unchecked Sendable {
    let providers: [ConnectionProvider]
    private let lock = NSLock()
    private var next = 0
    private var found: [[DriftAggregate]]
    private var error: (any Error)?

    init(batches: Int, providers: [ConnectionProvider]) {
        found = Array(repeating: [], count: batches)
        self.providers = providers
    }

    /// The next batch to aggregate; nil when none is left or one has failed.
    func nextBatch() -> Int? {
        lock.withLock {
            guard error == nil, next < found.count else { return nil }
            defer { next += 1 }
            return next
        }
    }

    func finish(_ batch: Int, _ aggregates: [DriftAggregate]) { lock.withLock { found[batch] = aggregates } }

    func fail(_ failure: any Error) { lock.withLock { error = error ?? failure } }

    /// Every batch's aggregates in batch order, or the first error.
    func result() throws -> [DriftAggregate] {
        try lock.withLock {
            if let error { throw error }
            return found.flatMap { $0 }
        }
    }
}
