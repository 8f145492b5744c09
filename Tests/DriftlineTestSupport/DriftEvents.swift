import DriftlinePostgres
import Foundation

/// Drift events for alert tests, inserted with plain SQL.
///
/// Until the drift branch's migration 0004 is on main, `ensureTable` creates `driftline.drift_events` with the
/// columns issue 11's contract names plus the `drift_event_id` identity key (IF NOT EXISTS: with 0004 applied
/// it does nothing, and the inserts below use only contract columns).
package enum DriftEvents {
    package static func ensureTable(_ connection: PGConnection) throws {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS driftline.drift_events (
                drift_event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                customer_id text NOT NULL,
                payer text NOT NULL,
                cpt_group text NOT NULL,
                drift_type text NOT NULL CHECK (drift_type IN ('denial_rate', 'decision_time')),
                method text NOT NULL,
                baseline_start date NOT NULL,
                baseline_end date NOT NULL,
                current_start date NOT NULL,
                current_end date NOT NULL,
                baseline_n integer NOT NULL,
                current_n integer NOT NULL,
                baseline_value double precision NOT NULL,
                current_value double precision NOT NULL,
                abs_change double precision NOT NULL,
                rel_change double precision,
                ci_low double precision,
                ci_high double precision,
                p_value double precision NOT NULL,
                q_value double precision NOT NULL,
                severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
                direction text NOT NULL CHECK (direction IN ('worse', 'better')),
                run_id bigint,
                UNIQUE (customer_id, payer, cpt_group, drift_type, current_end)
            )
            """,
            operation: "create test drift_events"
        )
    }

    /// Inserts one event; returns its `drift_event_id`.
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
        try ensureTable(connection)
        let id = try connection.query(
            """
            INSERT INTO driftline.drift_events (customer_id, payer, cpt_group, drift_type, method,
                baseline_start, baseline_end, current_start, current_end, baseline_n, current_n,
                baseline_value, current_value, abs_change, rel_change, ci_low, ci_high, p_value, q_value,
                severity, direction)
            VALUES ($1, $2, $3, $4, CASE WHEN $4 = 'denial_rate' THEN 'two_proportion_z' ELSE 'mann_whitney_u' END,
                $5::date - 119, $5::date - 30, $5::date - 29, $5::date, 412, 388,
                0.1, 0.25, 0.15, 1.5, 0.1, 0.2, 0.00001, 0.0004, $6, $7)
            RETURNING drift_event_id
            """,
            [customer, payer, group, type, currentEnd, severity, direction],
            operation: "insert test drift event"
        ).scalar.flatMap({ Int64($0) })
        return id ?? 0
    }
}
