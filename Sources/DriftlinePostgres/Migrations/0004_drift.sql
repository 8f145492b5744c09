-- driftline: no-transaction
-- driftline: backward-compatible
-- No transaction (CREATE INDEX CONCURRENTLY), each statement safe to run again after a failure; expand-only
-- (a new table and indexes): an older binary keeps working.
--
-- Drift events (issue 11): one row per drift the `drift` stage found, with everything needed to explain it
-- without reading claims. Written with INSERT … ON CONFLICT DO NOTHING: a rerun or a backfill over the same
-- days creates no duplicate and changes no stored event.
--
-- cpt_group is NOT NULL, '' standing for claims whose CPT code is in no group of cpt_groups.yaml
-- (claims.cpt_group IS NULL): a plain UNIQUE constraint then covers every event, where a NULL would make
-- each such event distinct from every other (NULLs are never equal in a unique constraint).
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
    -- Decided claims in each window (by decided_date).
    baseline_n     bigint NOT NULL CHECK (baseline_n > 0),
    current_n      bigint NOT NULL CHECK (current_n > 0),
    -- A denial rate (proportion 0…1) or a median decision time (days).
    baseline_value double precision NOT NULL,
    current_value  double precision NOT NULL,
    abs_change     double precision NOT NULL,
    -- abs_change / baseline_value; NULL when the baseline value is 0.
    rel_change     double precision,
    -- 95% interval for abs_change (Newcombe hybrid score); NULL for decision time.
    ci_low         double precision,
    ci_high        double precision,
    -- z of the two-proportion test, or the continuity-corrected z of Mann-Whitney U.
    statistic      double precision NOT NULL,
    p_value        double precision NOT NULL CHECK (p_value >= 0 AND p_value <= 1),
    -- Benjamini-Hochberg adjusted across all tests of the run that found it.
    q_value        double precision NOT NULL CHECK (q_value >= 0 AND q_value <= 1),
    severity       text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    direction      text NOT NULL CHECK (direction IN ('worse', 'better')),
    run_id         bigint REFERENCES driftline.runs ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT drift_events_window_order CHECK (
        baseline_start <= baseline_end AND baseline_end < current_start AND current_start <= current_end),
    CONSTRAINT drift_events_key UNIQUE (customer_id, payer, cpt_group, drift_type, current_end)
);
-- `driftline drift list --since` (newest first) across customers; the unique key serves --customer.
CREATE INDEX CONCURRENTLY IF NOT EXISTS drift_events_current_end_idx
    ON driftline.drift_events (current_end DESC, event_id DESC);

-- The drift aggregation reads the decided claims of the baseline and current windows (120 days by default).
-- A block-range (BRIN) index on decided_date lets it skip the table's old pages: uploads arrive nightly with
-- recent decisions, so a page range holds a narrow span of decision dates and the nightly cost follows the
-- windows' volume, not the table's age. BRIN costs the load path next to nothing (new page ranges are
-- summarised later, by autovacuum: autosummarize); a covering B-tree on (decided_date) INCLUDE (…) would make
-- the scan index-only but made a 1M-row load 65% slower (README, Payer drift). When the physical order does not
-- follow decision dates (a history loaded at once), the planner ignores the index and scans the table.
--
-- CONCURRENTLY, so the nightly load is never blocked while it builds; a build that failed leaves an invalid
-- index of that name, dropped first when this migration runs again.
-- (The migrator splits this file after lines ending in ';': the block's inner statements end mid-line.)
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'driftline' AND c.relname = 'claims_decided_brin' AND NOT i.indisvalid)
    THEN DROP INDEX driftline.claims_decided_brin; END IF; END
$$;
CREATE INDEX CONCURRENTLY IF NOT EXISTS claims_decided_brin ON driftline.claims USING brin (decided_date)
    WITH (pages_per_range = 32, autosummarize = on);
