-- driftline: backward-compatible
-- Expand-only (new functions): an older binary keeps working.
--
-- Which customers a run's stages have anything to do for, in one round trip (issue 14). The load, alerts and
-- report stages work one customer at a time under row-level security; with every customer visited, a run in
-- which one customer of 300 uploaded spent 1.4 s of a 4.3 s first load of 1M rows in those loops (five round
-- trips per customer per loop: begin, role, tenant, query, commit) before doing anything. These functions take
-- every customer and, like drift_window_aggregates (0010), set the transaction's tenant to each in turn and run
-- that customer's statements under its policies, so each still sees that customer's rows only; the caller must
-- not rely on the tenant after the call (the last customer's stays set until the transaction ends). SECURITY
-- INVOKER (the default): the caller's privileges and policies. The stages then visit only the customers named.

-- The run's uploads, summed per customer: customers without an upload in the run are left out.
CREATE OR REPLACE FUNCTION driftline.run_upload_totals(customers text[], run bigint)
RETURNS TABLE (customer_id text, files_loaded bigint, files_rejected bigint, rows_read bigint, rows_loaded bigint,
               rows_rejected bigint, size_bytes bigint, rows_stale bigint)
LANGUAGE plpgsql VOLATILE
AS $fn$
#variable_conflict use_column
DECLARE
    customer text;
BEGIN
    FOREACH customer IN ARRAY customers LOOP
        PERFORM set_config('driftline.customer_id', customer, true);
        RETURN QUERY
            SELECT customer, count(*) FILTER (WHERE u.status = 'loaded'), count(*) FILTER (WHERE u.status = 'rejected'),
                   sum(u.rows_read)::bigint, sum(u.rows_loaded)::bigint, sum(u.rows_rejected)::bigint,
                   sum(u.size_bytes)::bigint, sum(u.rows_stale)::bigint
              FROM driftline.uploads u
             WHERE u.customer_id = customer AND u.run_id = run
            HAVING count(*) > 0;
    END LOOP;
END
$fn$;

-- Customers the alert evaluation has work for: a drift event no alert event evaluated yet, or a notified
-- alert not resolved (resolution looks at every such alert). A customer with neither is a no-op there.
CREATE OR REPLACE FUNCTION driftline.alert_work_customers(customers text[])
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
    customer text;
BEGIN
    FOREACH customer IN ARRAY customers LOOP
        PERFORM set_config('driftline.customer_id', customer, true);
        IF EXISTS (SELECT 1 FROM driftline.drift_events d
                    WHERE d.customer_id = customer
                      AND NOT EXISTS (SELECT 1 FROM driftline.alert_events a WHERE a.drift_event_id = d.event_id))
           OR EXISTS (SELECT 1 FROM driftline.alert_events a
                       WHERE a.customer_id = customer AND a.status = 'notify' AND a.resolved_at IS NULL)
        THEN
            RETURN NEXT customer;
        END IF;
    END LOOP;
END
$fn$;

-- Customers the run report has a part for: uploads of the run, drift events or alert events of the run or of
-- its as-of date, or a silence of their own in force (silences for every customer are read once, by the caller).
CREATE OR REPLACE FUNCTION driftline.report_customers(customers text[], run bigint, as_of date)
RETURNS SETOF text
LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
    customer text;
BEGIN
    FOREACH customer IN ARRAY customers LOOP
        PERFORM set_config('driftline.customer_id', customer, true);
        IF EXISTS (SELECT 1 FROM driftline.uploads u WHERE u.customer_id = customer AND u.run_id = run)
           OR EXISTS (SELECT 1 FROM driftline.drift_events d
                       WHERE d.customer_id = customer AND (d.run_id = run OR d.current_end = as_of))
           OR EXISTS (SELECT 1 FROM driftline.alert_events a
                       WHERE a.customer_id = customer AND (a.run_id = run OR a.current_end = as_of))
           OR EXISTS (SELECT 1 FROM driftline.alert_silences s
                       WHERE s.customer_id = customer AND s.expired_at IS NULL AND s.starts_at <= now()
                         AND s.ends_at > now())
        THEN
            RETURN NEXT customer;
        END IF;
    END LOOP;
END
$fn$;

REVOKE ALL ON FUNCTION driftline.run_upload_totals(text[], bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION driftline.alert_work_customers(text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION driftline.report_customers(text[], bigint, date) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION driftline.run_upload_totals(text[], bigint) TO driftline_loader;
GRANT EXECUTE ON FUNCTION driftline.alert_work_customers(text[]) TO driftline_loader;
GRANT EXECUTE ON FUNCTION driftline.report_customers(text[], bigint, date) TO driftline_loader;
