import DriftlinePostgres
import Foundation

/// Drift events for alert tests, inserted with plain SQL into `driftline.drift_events` (migration 0004).
package enum DriftEvents {
    /// Inserts one event (and its customer, if new); returns its `event_id`.
    @discardableResult
    package static func insert(
        _ connection: PGConnection,
        customer: String = "acme-clinic",
        payer: String = "AETNA",
        group: String = "E&M",
        type: String = "denial_rate",
        severity: String = "high",
        direction: String = "worse",
        currentEnd: String = "2026-11-21"
    ) throws -> Int64 {
        try connection.query(
            "INSERT INTO driftline.customers (customer_id) VALUES ($1) ON CONFLICT DO NOTHING",
            [customer],
            operation: "insert test customer"
        )
        let id = try connection.query(
            """
            INSERT INTO driftline.drift_events (customer_id, payer, cpt_group, drift_type, method,
                baseline_start, baseline_end, current_start, current_end, baseline_n, current_n,
                baseline_value, current_value, abs_change, rel_change, ci_low, ci_high, statistic, p_value, q_value,
                severity, direction)
            VALUES ($1, $2, $3, $4, CASE WHEN $4 = 'denial_rate' THEN 'two_proportion_z' ELSE 'mann_whitney_u' END,
                $5::date - 119, $5::date - 30, $5::date - 29, $5::date, 412, 388,
                0.1, 0.25, 0.15, 1.5, 0.1, 0.2, 4.4, 0.00001, 0.0004, $6, $7)
            RETURNING event_id
            """,
            [customer, payer, group, type, currentEnd, severity, direction],
            operation: "insert test drift event"
        ).scalar.flatMap({ Int64($0) })
        return id ?? 0
    }
}
