-- driftline: backward-compatible
-- Expand-only (a new function): an older binary keeps working.
--
-- The drift stage's aggregation (issue 11), one customer at a time under row-level security, in one round trip
-- for many customers. For each customer of `customers`, in the order given: the transaction's tenant becomes
-- that customer (`set_config('driftline.customer_id', …, true)`, as `withTenant` does), then one statement
-- aggregates the claims decided from `baseline_start` to `current_end` by customer × payer × CPT group and
-- window (`is_current`: decided on or after `current_start`): decided and denied counts and every claim's
-- decision days (`decided_date - submitted_date`, unordered). Each statement runs under the caller's policies
-- with that tenant set, so a filter forgotten here would still see that customer's claims only; the caller
-- must not rely on the tenant after the call (the last customer's stays set until the transaction ends).
--
-- Why a function: the stage used to send five statements per customer (role, tenant, settings, query, commit);
-- on the shared 2-core VM each round trip waits for the backend to be scheduled, and at 300 customers the
-- round trips took longer than the aggregation (README, Payer drift). SECURITY INVOKER (the default): it
-- reads with the caller's privileges and policies, and sets nothing the caller could not set itself.
-- Settings for its duration only: hashed aggregation (a sort would order text keys under the database
-- collation, the slowest step), 64 MB per hash table, no JIT (compiling costs more than the per-customer
-- statements run), a plan per customer (the row counts differ by three orders of magnitude).
-- `scoped` is false only for the tests that prove row-level security alone keeps each statement to its tenant
-- (UnscopedQueryTestHook, debug builds): the statement then has no customer filter.
CREATE OR REPLACE FUNCTION driftline.drift_window_aggregates(
    customers text[], baseline_start date, current_start date, current_end date, scoped boolean DEFAULT true)
RETURNS TABLE (customer_id text, payer text, cpt_group text, is_current boolean, decided bigint, denied bigint,
               decision_days integer[])
LANGUAGE plpgsql VOLATILE
SET work_mem = '64MB' SET enable_sort = off SET jit = off SET plan_cache_mode = force_custom_plan
AS $fn$
DECLARE
    customer text;
BEGIN
    FOREACH customer IN ARRAY customers LOOP
        PERFORM set_config('driftline.customer_id', customer, true);
        RETURN QUERY
            SELECT c.customer_id, c.payer, coalesce(c.cpt_group, ''), c.decided_date >= current_start,
                   count(*), count(*) FILTER (WHERE c.outcome = 'denied'), array_agg(c.decided_date - c.submitted_date)
              FROM driftline.claims AS c
             WHERE (c.customer_id = customer OR NOT scoped)
               AND c.decided_date BETWEEN baseline_start AND current_end
               AND c.outcome <> 'pending'
             GROUP BY 1, 2, 3, 4;
    END LOOP;
END
$fn$;
REVOKE ALL ON FUNCTION driftline.drift_window_aggregates(text[], date, date, date, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION driftline.drift_window_aggregates(text[], date, date, date, boolean) TO driftline_loader;
