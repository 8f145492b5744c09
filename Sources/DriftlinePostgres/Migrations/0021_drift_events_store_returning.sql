-- driftline: backward-compatible
-- A function replaced with the same signature and results: an older binary keeps working.
--
-- The drift stage's event store reads back only what it did not insert (issue 11). drift_events_store (0012)
-- grouped the events into one jsonb array per customer, expanded each customer's array twice (to insert, then to
-- read back every given event by its key) and read every event back from drift_events, although a night's events
-- are new and the insert's RETURNING already holds them. On the 5M-claim benchmark (374 events, 72 customers)
-- the call took 46.6 ms of a 0.7 s stage.
--
-- Here the events are expanded once, sorted by (customer, key) in C collation, and each customer's slice of
-- that array is inserted; the rows inserted come back from RETURNING. Only when a customer's insert skipped
-- some of its events (stored before, by an earlier run or by a concurrent one that has since committed) does a
-- second statement read those back, with a snapshot of its own, so it sees what the concurrent run committed
-- while this one waited on its key. What the function returns is 0012's: every given event as stored,
-- `inserted` true for the rows this call inserted. The lock order is 0012's too: customers ascending, each
-- customer row locked (FOR KEY SHARE) before its events are inserted in ascending key order.
CREATE OR REPLACE FUNCTION driftline.drift_events_store(events jsonb)
RETURNS TABLE (inserted boolean, event_id bigint, customer_id text, payer text, cpt_group text, drift_type text,
               method text, baseline_start date, baseline_end date, current_start date, current_end date,
               baseline_n bigint, current_n bigint, baseline_value double precision,
               current_value double precision, abs_change double precision, rel_change double precision,
               ci_low double precision, ci_high double precision, statistic double precision,
               p_value double precision, q_value double precision, severity text, direction text, run_id bigint,
               created_at timestamptz)
LANGUAGE plpgsql VOLATILE
AS $fn$
#variable_conflict use_column
DECLARE
    given driftline.drift_events[];
    slice driftline.drift_events[];
    total integer;
    low integer := 1;
    high integer;
    customer text;
    added driftline.drift_events[];
BEGIN
    given := ARRAY(
        SELECT g FROM jsonb_populate_recordset(NULL::driftline.drift_events, events) AS g
         ORDER BY g.customer_id COLLATE "C", g.payer COLLATE "C", g.cpt_group COLLATE "C",
                  g.drift_type COLLATE "C", g.current_end);
    total := coalesce(array_length(given, 1), 0);
    WHILE low <= total LOOP
        customer := (given[low]).customer_id;
        high := low;
        WHILE high < total AND (given[high + 1]).customer_id = customer LOOP
            high := high + 1;
        END LOOP;
        slice := given[low:high];
        PERFORM set_config('driftline.customer_id', customer, true);
        PERFORM 1 FROM driftline.customers c WHERE c.customer_id = customer FOR KEY SHARE;
        WITH fresh AS (
            INSERT INTO driftline.drift_events AS d (
                customer_id, payer, cpt_group, drift_type, method, baseline_start, baseline_end, current_start,
                current_end, baseline_n, current_n, baseline_value, current_value, abs_change, rel_change, ci_low,
                ci_high, statistic, p_value, q_value, severity, direction, run_id)
            SELECT g.customer_id, g.payer, g.cpt_group, g.drift_type, g.method, g.baseline_start, g.baseline_end,
                   g.current_start, g.current_end, g.baseline_n, g.current_n, g.baseline_value, g.current_value,
                   g.abs_change, g.rel_change, g.ci_low, g.ci_high, g.statistic, g.p_value, g.q_value, g.severity,
                   g.direction, g.run_id
              FROM unnest(slice) WITH ORDINALITY AS g
             ORDER BY g.ordinality
            ON CONFLICT ON CONSTRAINT drift_events_key DO NOTHING
            RETURNING d AS event)
        SELECT coalesce(array_agg(fresh.event), '{}') INTO added FROM fresh;
        RETURN QUERY
            SELECT true, a.event_id, a.customer_id, a.payer, a.cpt_group, a.drift_type, a.method, a.baseline_start,
                   a.baseline_end, a.current_start, a.current_end, a.baseline_n, a.current_n, a.baseline_value,
                   a.current_value, a.abs_change, a.rel_change, a.ci_low, a.ci_high, a.statistic, a.p_value,
                   a.q_value, a.severity, a.direction, a.run_id, a.created_at
              FROM unnest(added) AS a;
        IF coalesce(array_length(added, 1), 0) < high - low + 1 THEN
            -- The events stored before. A statement of its own, so its snapshot sees the ones a concurrent run
            -- committed while the insert waited on their keys; the rows inserted above are left out.
            RETURN QUERY
                SELECT false, d.event_id, d.customer_id, d.payer, d.cpt_group, d.drift_type, d.method,
                       d.baseline_start, d.baseline_end, d.current_start, d.current_end, d.baseline_n, d.current_n,
                       d.baseline_value, d.current_value, d.abs_change, d.rel_change, d.ci_low, d.ci_high,
                       d.statistic, d.p_value, d.q_value, d.severity, d.direction, d.run_id, d.created_at
                  FROM driftline.drift_events d
                 WHERE d.customer_id = customer
                   AND (d.payer, d.cpt_group, d.drift_type, d.current_end) IN (
                       SELECT g.payer, g.cpt_group, g.drift_type, g.current_end FROM unnest(slice) AS g)
                   AND d.event_id <> ALL (ARRAY(SELECT a.event_id FROM unnest(added) AS a));
        END IF;
        low := high + 1;
    END LOOP;
END
$fn$;
REVOKE ALL ON FUNCTION driftline.drift_events_store(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION driftline.drift_events_store(jsonb) TO driftline_loader;
