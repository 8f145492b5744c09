import DriftlineCore
import Foundation

/// The drift stage's SQL: the windows' aggregates (computed in PostgreSQL), the events' inserts and listings.
///
/// Statements and identifiers come from code; customer ids, dates and events travel as parameters. Nothing
/// here logs.
package enum DriftStore {
    /// Every customer × payer × CPT group of `customers` with decided claims in `windows`, each with its two
    /// windows' denial counts and decision-time histograms, in no particular order (the detector needs none;
    /// sorting these structs cost more than the rest of the Swift side).
    ///
    /// One statement, `driftline.drift_summary_windows` (migration 0014): for each customer in turn it sets the
    /// transaction's tenant to that customer, brings the customer's daily summary (`decision_days`) up to date
    /// with the uploads loaded since the last call, and reads the windows from it — the same grouping as a plain
    /// `count(*) … GROUP BY` over claims, plus the decision days as `(days, count)` arrays, which the histogram
    /// is built from here. One round trip for all of them. Denial counts include every decided claim; the
    /// histogram leaves out negative decision times (a decision dated before its submission is a data error,
    /// not a fast decision). A claim whose CPT code is in no group is in the group `''`.
    ///
    /// Call it inside a transaction that may take the pipeline's role (``PGConnection/withTenant(_:_:)``): the
    /// function changes the tenant of that transaction, customer after customer, and leaves the last one set.
    /// Pass the customers in ascending order: the refresh locks each in turn (README, Payer drift).
    ///
    /// - Parameters:
    ///   - windows: the baseline and current windows (decision dates, inclusive).
    ///   - customers: the customers to aggregate (ids as `driftline.customers` holds them).
    package static func aggregates(
        windows: DriftWindows,
        customers: [String],
        on connection: PGConnection
    ) throws -> [DriftAggregate] {
        guard !customers.isEmpty else { return [] }
        let rows = try connection.query(
            "SELECT * FROM driftline.drift_summary_windows($1::text[], $2::date, $3::date, $4::date, $5::boolean)",
            [
                textArrayLiteral(customers), CivilDate.format(windows.baselineStart),
                CivilDate.format(windows.currentStart),
                CivilDate.format(windows.currentEnd),
                // false only under UnscopedQueryTestHook (tests): each statement's customer filter then lets every
                // customer through (migration 0018), so row-level security alone decides what it sees.
                UnscopedQueryTestHook.dropsCustomerFilters ? "false" : "true",
            ],
            operation: "aggregate drift windows"
        )
        let empty = DriftWindowAggregate(denials: DenialCounts(denied: 0, decided: 0), decisionDays: [:])
        var byTriple: [DriftTriple: DriftAggregate] = [:]
        byTriple.reserveCapacity(rows.rows.count)
        for row in rows.rows {
            let triple = DriftTriple(customerID: row[0]!, payer: row[1]!, cptGroup: row[2]!)
            let window = DriftWindowAggregate(
                denials: DenialCounts(denied: Int(row[5]!)!, decided: Int(row[4]!)!),
                decisionDays: histogram(days: integers(row[6]), counts: integers(row[7]))
            )
            let isCurrent = row[3] == "t"
            var aggregate = byTriple[triple] ?? DriftAggregate(triple: triple, baseline: empty, current: empty)
            if isCurrent { aggregate.current = window } else { aggregate.baseline = window }
            byTriple[triple] = aggregate
        }
        return Array(byTriple.values)
    }

    /// The histogram of `days[i]` seen `counts[i]` times, negative days left out. Counted into an array indexed
    /// by day (decision times span a few hundred days), so the bins come out in order without a sort: the
    /// windows hold about a million `(days, count)` pairs, and sorting them was most of the stage's own CPU.
    private static func histogram(days: [Int], counts: [Int]) -> DecisionTimeHistogram {
        precondition(days.count == counts.count, "drift_summary_windows returned arrays of different lengths")
        let latest = days.max() ?? -1
        guard latest >= 0 else { return [:] }
        guard latest <= 100_000 else {  // a data error far out: bins in any order, sorted by the histogram
            return DecisionTimeHistogram(
                zip(days, counts).filter { $0.0 >= 0 }.map { DecisionTimeHistogram.Bin(days: $0.0, count: $0.1) }
            )
        }
        var byDay = [Int](repeating: 0, count: latest + 1)
        for index in days.indices where days[index] >= 0 { byDay[days[index]] += counts[index] }
        var bins: [DecisionTimeHistogram.Bin] = []
        for day in byDay.indices where byDay[day] > 0 {
            bins.append(DecisionTimeHistogram.Bin(days: day, count: byDay[day]))
        }
        return DecisionTimeHistogram(ascending: bins)
    }

    /// The elements of an integer array in PostgreSQL's text form (`{12,14,-2,12}`).
    private static func integers(_ text: String?) -> [Int] {
        guard let text else { return [] }
        var values: [Int] = []
        var value = 0
        var negative = false
        var inNumber = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
                inNumber = true
            case UInt8(ascii: "-"):
                negative = true
            default:  // ',', '{' or '}'
                if inNumber { values.append(negative ? -value : value) }
                value = 0
                negative = false
                inNumber = false
            }
        }
        return values
    }

    /// Inserts the events not stored already, every customer's in one statement; returns the rows inserted and
    /// the stored rows of every event given, in key order (the ones stored before keep their run id, values
    /// and `created_at`).
    ///
    /// One call of `driftline.drift_events_store` (migrations 0012 and 0021): for each customer in ascending
    /// order it sets the transaction's tenant to that customer, locks the customer row (`FOR KEY SHARE`, the
    /// lock the foreign key takes anyway), then inserts the customer's events in ascending key order with `ON
    /// CONFLICT DO NOTHING`, and reads back only the events the insert skipped. That is the documented lock
    /// order (customer → drift event, by ascending key) as one global order, so two processes inserting the
    /// same events wait for each other on the first one instead of deadlocking.
    ///
    /// Call it inside a transaction that may take the pipeline's role (``PGConnection/withTenant(_:_:)``): the
    /// function changes the tenant of that transaction, customer after customer, and leaves the last one set.
    @discardableResult
    package static func insert(
        _ records: [DriftEventRecord],
        on connection: PGConnection
    ) throws -> (inserted: Int, stored: [DriftEventRecord]) {
        guard !records.isEmpty else { return (0, []) }
        let json = String(decoding: try JSONEncoder().encode(records), as: UTF8.self)
        let result = try connection.query(
            "SELECT inserted, \(columns) FROM driftline.drift_events_store($1::jsonb)",
            [json],
            operation: "insert drift events"
        )
        let inserted = result.rows.count { $0[0] == "t" }
        return (inserted, result.rows.map { record(Array($0.dropFirst())) }.sorted { $0.key < $1.key })
    }

    /// The columns ``record(_:)`` reads, in its order.
    private static let columns = """
        event_id, customer_id, payer, cpt_group, drift_type, method, baseline_start, baseline_end,
               current_start, current_end, baseline_n, current_n, baseline_value, current_value, abs_change,
               rel_change, ci_low, ci_high, statistic, p_value, q_value, severity, direction, run_id,
               to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        """

    /// What `driftline drift list` pages through.
    package struct Filter: Sendable {
        package var customerID: String?
        package var payer: String?
        /// Events whose current window ends on or after this date (days since 1970-01-01).
        package var since: Int32?
        package var limit: Int
        /// Events older than this id, for the next page (the list is newest first).
        package var before: Int64?

        package init(customerID: String? = nil, payer: String? = nil, since: Int32? = nil, limit: Int = 50) {
            self.customerID = customerID
            self.payer = payer
            self.since = since
            self.limit = limit
        }
    }

    /// Stored events, newest current window first.
    package static func list(_ filter: Filter, on connection: PGConnection) throws -> [DriftEventRecord] {
        let rows = try connection.query(
            """
            SELECT \(columns)
              FROM driftline.drift_events
             WHERE ($1::text IS NULL OR customer_id = $1::text)
               AND ($2::text IS NULL OR payer = $2::text)
               AND ($3::date IS NULL OR current_end >= $3::date)
               AND ($5::bigint IS NULL OR event_id < $5::bigint)
             ORDER BY current_end DESC, event_id DESC
             LIMIT $4::bigint
            """,
            [
                filter.customerID, filter.payer, filter.since.map(CivilDate.format), String(filter.limit),
                filter.before.map { String($0) },
            ],
            operation: "list drift events"
        )
        return rows.rows.map(record)
    }

    /// Every stored event in key order (for tests and backfills that compare what is stored).
    package static func all(on connection: PGConnection) throws -> [DriftEventRecord] {
        try list(Filter(limit: Int(Int32.max)), on: connection).sorted { $0.key < $1.key }
    }

    private static func record(_ row: [String?]) -> DriftEventRecord {
        DriftEventRecord(
            eventID: Int64(row[0]!),
            customerID: row[1]!,
            payer: row[2]!,
            cptGroup: row[3]!,
            driftType: row[4]!,
            method: row[5]!,
            baselineStart: row[6]!,
            baselineEnd: row[7]!,
            currentStart: row[8]!,
            currentEnd: row[9]!,
            baselineN: Int64(row[10]!)!,
            currentN: Int64(row[11]!)!,
            baselineValue: Double(row[12]!)!,
            currentValue: Double(row[13]!)!,
            absChange: Double(row[14]!)!,
            relChange: row[15].flatMap(Double.init),
            ciLow: row[16].flatMap(Double.init),
            ciHigh: row[17].flatMap(Double.init),
            statistic: Double(row[18]!)!,
            pValue: Double(row[19]!)!,
            qValue: Double(row[20]!)!,
            severity: row[21]!,
            direction: row[22]!,
            runID: row[23].flatMap { Int64($0) },
            createdAt: row[24]
        )
    }
}
