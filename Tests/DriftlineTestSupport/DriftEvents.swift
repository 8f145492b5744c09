import DriftlinePostgres
import Foundation

/// Drift events for alert tests, inserted with plain SQL.
///
/// Until the drift branch's migration 0004 is on main, `ensureTable` creates `driftline.drift_events` as 0004
/// does (its columns and keys, without its indexes): `event_id` identity key, `customer_id` referencing
/// `customers`, `cpt_group` `''` for no group. With 0004 applied it does nothing (IF NOT EXISTS), and the inserts
/// below fit either table.
package enum DriftEvents {
    package static func ensureTable(_ connection: PGConnection) throws {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS driftline.drift_events (
                event_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                customer_id    text NOT NULL REFERENCES driftline.customers,
                payer          text NOT NULL,
                cpt_group      text NOT NULL DEFAULT '',
                drift_type     text NOT NULL CHECK (drift_type IN ('denial_rate', 'decision_time')),
                method         text NOT NULL CHECK (method IN ('two_proportion_z', 'mann_whitney_u')),
                baseline_start date NOT NULL,
                baseline_end   date NOT NULL,
                current_start  date NOT NULL,
                current_end    date NOT NULL,
                baseline_n     bigint NOT NULL CHECK (baseline_n > 0),
                current_n      bigint NOT NULL CHECK (current_n > 0),
                baseline_value double precision NOT NULL,
                current_value  double precision NOT NULL,
                abs_change     double precision NOT NULL,
                rel_change     double precision,
                ci_low         double precision,
                ci_high        double precision,
                statistic      double precision NOT NULL,
                p_value        double precision NOT NULL CHECK (p_value >= 0 AND p_value <= 1),
                q_value        double precision NOT NULL CHECK (q_value >= 0 AND q_value <= 1),
                severity       text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
                direction      text NOT NULL CHECK (direction IN ('worse', 'better')),
                run_id         bigint REFERENCES driftline.runs ON DELETE SET NULL,
                created_at     timestamptz NOT NULL DEFAULT now(),
                CONSTRAINT drift_events_key UNIQUE (customer_id, payer, cpt_group, drift_type, current_end)
            )
            """,
            operation: "create test drift_events"
        )
    }

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
        try ensureTable(connection)
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
