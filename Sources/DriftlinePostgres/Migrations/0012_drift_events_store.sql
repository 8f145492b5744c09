-- driftline: backward-compatible
-- Expand-only (a new function): an older binary keeps working.
--
-- The drift stage's events, every customer's in one round trip (issue 11). For each customer of `events`, in
-- ascending order (C collation): the transaction's tenant becomes that customer (as `withTenant` does), the
-- customer row is locked (`FOR KEY SHARE`, the lock the foreign key takes anyway), and its events are inserted
-- in ascending key order, `ON CONFLICT DO NOTHING` on `drift_events_key`: an event stored before keeps its run
-- id, values and `created_at`. Returns every given event as stored, `inserted` true for the rows this call
-- inserted.
--
-- Lock order: customer → drift event, customers ascending and each customer's events ascending by key, which
-- is one global ascending order; two processes storing overlapping events wait for each other on the first
-- shared key instead of deadlocking (README, Payer drift).
--
-- Why a function: the stage used to store each customer's events in a transaction of its own, about seven
-- round trips each (begin, role, tenant, lock, insert, read back, commit): 0.17 s of the 5M-claim benchmark's
-- 1.4 s for 72 customers with events. SECURITY INVOKER (the default): the caller's privileges and policies,
-- each statement under that customer's tenant; the caller must not rely on the tenant after the call.
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
    customer text;
    given jsonb;
    fresh bigint[];
BEGIN
    FOR customer, given IN
        SELECT e ->> 'customer_id', jsonb_agg(e) FROM jsonb_array_elements(events) AS e GROUP BY 1
         ORDER BY (e ->> 'customer_id') COLLATE "C"
    LOOP
        PERFORM set_config('driftline.customer_id', customer, true);
        PERFORM 1 FROM driftline.customers c WHERE c.customer_id = customer FOR KEY SHARE;
        WITH added AS (
            INSERT INTO driftline.drift_events AS d (
                customer_id, payer, cpt_group, drift_type, method, baseline_start, baseline_end, current_start,
                current_end, baseline_n, current_n, baseline_value, current_value, abs_change, rel_change, ci_low,
                ci_high, statistic, p_value, q_value, severity, direction, run_id)
            SELECT g.customer_id, g.payer, g.cpt_group, g.drift_type, g.method, g.baseline_start, g.baseline_end,
                   g.current_start, g.current_end, g.baseline_n, g.current_n, g.baseline_value, g.current_value,
                   g.abs_change, g.rel_change, g.ci_low, g.ci_high, g.statistic, g.p_value, g.q_value, g.severity,
                   g.direction, g.run_id
              FROM jsonb_populate_recordset(NULL::driftline.drift_events, given) AS g
             ORDER BY g.payer COLLATE "C", g.cpt_group COLLATE "C", g.drift_type COLLATE "C", g.current_end
            ON CONFLICT ON CONSTRAINT drift_events_key DO NOTHING
            RETURNING d.event_id)
        SELECT array_agg(added.event_id) INTO fresh FROM added;
        RETURN QUERY
            SELECT d.event_id = ANY(coalesce(fresh, '{}')), d.event_id, d.customer_id, d.payer, d.cpt_group,
                   d.drift_type, d.method, d.baseline_start, d.baseline_end, d.current_start, d.current_end,
                   d.baseline_n, d.current_n, d.baseline_value, d.current_value, d.abs_change, d.rel_change,
                   d.ci_low, d.ci_high, d.statistic, d.p_value, d.q_value, d.severity, d.direction, d.run_id,
                   d.created_at
              FROM driftline.drift_events d
             WHERE d.customer_id = customer
               AND (d.payer, d.cpt_group, d.drift_type, d.current_end) IN (
                   SELECT g.payer, g.cpt_group, g.drift_type, g.current_end
                     FROM jsonb_populate_recordset(NULL::driftline.drift_events, given) AS g);
    END LOOP;
END
$fn$;
REVOKE ALL ON FUNCTION driftline.drift_events_store(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION driftline.drift_events_store(jsonb) TO driftline_loader;
