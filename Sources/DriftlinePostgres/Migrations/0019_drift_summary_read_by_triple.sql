-- driftline: backward-compatible
-- A function replaced with the same signature and results: an older binary keeps working.
--
-- The windows' read groups by what varies (issue 11). drift_summary_windows (0014, 0016, 0018) grouped each
-- customer's rows of decision_days by (customer_id, payer, cpt_group, window), although every row a statement sees
-- is the loop's customer's: the customer filter (or, unscoped, row-level security with the tenant set to that
-- customer) admits no other. Hashing and comparing the customer's id for every row was a sixth of the read: over
-- the 5M-claim benchmark's windows (892k summary rows, 300 customers, one session, 6 alternating calls each) the
-- read took 0.63 s grouped by the id and 0.53 s without it, against 0.47 s for a bare count(*) of the same rows.
-- Here the scoped read groups by (payer, cpt_group, window) and returns the loop's customer as customer_id; the
-- unscoped test mode still groups by each row's customer_id (a leak must show as another customer's rows). The
-- rest of the function is 0018's.
--
CREATE OR REPLACE FUNCTION driftline.drift_summary_windows(
    customers text[], baseline_start date, current_start date, current_end date, scoped boolean DEFAULT true)
RETURNS TABLE (customer_id text, payer text, cpt_group text, is_current boolean, decided bigint, denied bigint,
               days integer[], day_counts bigint[])
LANGUAGE plpgsql VOLATILE
SET work_mem = '64MB' SET enable_sort = off SET jit = off SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
DECLARE
    customer text;
    pending bigint[];
    rebuild boolean;
    scope text[];
BEGIN
    FOREACH customer IN ARRAY customers LOOP
        PERFORM set_config('driftline.customer_id', customer, true);
        -- Every statement's customer filter: the customer; unscoped (tests only), every customer of the tenant
        -- directory, a filter that filters nothing, so that row-level security alone decides what they see.
        scope := CASE WHEN scoped THEN ARRAY[customer] ELSE ARRAY(SELECT d.customer_id FROM driftline.customers AS d) END;
        PERFORM pg_advisory_xact_lock(hashtext('decision_days'), hashtext(customer));
        -- After the lock: the uploads an earlier refresh summarized are visible as summarized.
        SELECT array_agg(u.upload_id), coalesce(bool_or(u.first_load), false) INTO pending, rebuild
          FROM driftline.uploads AS u
         WHERE u.customer_id = ANY (scope) AND u.status = 'loaded' AND u.summarized_at IS NULL;
        IF rebuild THEN
            -- A first upload is pending (0016): the customer's summary again, from its claims, in one snapshot.
            WITH listed AS (
                UPDATE driftline.uploads SET summarized_at = now() WHERE upload_id = ANY (pending)
            ), retracted AS (
                DELETE FROM driftline.decision_days_retractions AS r WHERE r.customer_id = ANY (scope)
            ), fresh AS (
                SELECT c.customer_id, c.decided_date, c.payer, coalesce(c.cpt_group, '') AS cpt_group,
                       c.decided_date - c.submitted_date AS days, count(*) AS decided,
                       count(*) FILTER (WHERE c.outcome = 'denied') AS denied
                  FROM driftline.claims AS c
                 -- (decided_date - submitted_date IS NOT NULL, as below: decided_date IS NOT NULL written so that
                 -- the generic plan does not AND the BRIN on decided_date with the customer's primary key range)
                 WHERE c.customer_id = ANY (scope) AND c.outcome <> 'pending'
                   AND c.decided_date - c.submitted_date IS NOT NULL
                 GROUP BY 1, 2, 3, 4, 5
            ), cleared AS (
                DELETE FROM driftline.decision_days AS s
                 WHERE s.customer_id = ANY (scope)
                   AND NOT EXISTS (SELECT 1 FROM fresh AS f
                                    WHERE f.customer_id = s.customer_id AND f.decided_date = s.decided_date
                                      AND f.payer = s.payer AND f.cpt_group = s.cpt_group AND f.days = s.days)
            )
            INSERT INTO driftline.decision_days AS s (customer_id, decided_date, payer, cpt_group, days, decided, denied)
            SELECT customer_id, decided_date, payer, cpt_group, days, decided, denied
              FROM fresh
             ORDER BY decided_date, payer, cpt_group, days
                ON CONFLICT (customer_id, decided_date, payer, cpt_group, days)
                DO UPDATE SET decided = excluded.decided, denied = excluded.denied;
        ELSIF pending IS NOT NULL THEN
            -- One statement, one snapshot: the claims the pending uploads hold now; the retractions of versions
            -- they wrote, dropped (replaced before this read could count them, by whichever upload); the
            -- retractions they recorded of versions older uploads wrote, subtracted (those were counted).
            WITH listed AS (
                UPDATE driftline.uploads SET summarized_at = now() WHERE upload_id = ANY (pending)
            ), retracted AS (
                DELETE FROM driftline.decision_days_retractions AS r
                 WHERE r.customer_id = ANY (scope)
                   AND (r.replaced_by = ANY (pending) OR r.upload_id = ANY (pending))
                RETURNING r.customer_id, r.decided_date, r.payer, r.cpt_group, r.days, r.denied,
                          r.upload_id = ANY (pending) AS never_counted
            ), delta AS (
                SELECT x.customer_id, x.decided_date, x.payer, x.cpt_group, x.days, sum(x.decided) AS decided,
                       sum(x.denied) AS denied
                  FROM (SELECT c.customer_id, c.decided_date, c.payer, coalesce(c.cpt_group, '') AS cpt_group,
                               c.decided_date - c.submitted_date AS days, 1 AS decided,
                               CASE WHEN c.outcome = 'denied' THEN 1 ELSE 0 END AS denied
                          FROM driftline.claims AS c
                         -- (first_load IS NULL: every version a pending upload that is not a first upload
                         -- wrote, and the partial index's predicate, 0017; decided_date - submitted_date IS NOT
                         -- NULL written so that the planner does not AND the BRIN on decided_date, 0004, with
                         -- the upload's few entries: 5 ms a customer for nothing)
                         WHERE c.upload_id = ANY (pending) AND c.first_load IS NULL AND c.outcome <> 'pending'
                           AND c.decided_date - c.submitted_date IS NOT NULL
                        UNION ALL
                        SELECT t.customer_id, t.decided_date, t.payer, t.cpt_group, t.days, -1,
                               CASE WHEN t.denied THEN -1 ELSE 0 END
                          FROM retracted AS t
                         WHERE NOT t.never_counted) AS x
                 GROUP BY 1, 2, 3, 4, 5
            )
            INSERT INTO driftline.decision_days AS s (customer_id, decided_date, payer, cpt_group, days, decided, denied)
            SELECT customer_id, decided_date, payer, cpt_group, days, decided, denied
              FROM delta
             WHERE decided <> 0 OR denied <> 0
             ORDER BY decided_date, payer, cpt_group, days
                ON CONFLICT (customer_id, decided_date, payer, cpt_group, days)
                DO UPDATE SET decided = s.decided + excluded.decided, denied = s.denied + excluded.denied;
        END IF;

        -- Grouped by what varies: every row the scoped statement sees is the customer's, so its id is not
        -- hashed for each of them (the first key is NULL throughout). Unscoped (tests only) the rows are
        -- grouped by their own customer_id, so that a leak, were row-level security not to hold, shows as
        -- another customer's groups (UnscopedStageQueryTests) instead of being counted as this customer's.
        RETURN QUERY
            SELECT coalesce(CASE WHEN scoped THEN NULL ELSE s.customer_id END, customer), s.payer, s.cpt_group,
                   s.decided_date >= current_start,
                   sum(s.decided)::bigint, sum(s.denied)::bigint, array_agg(s.days), array_agg(s.decided)
              FROM driftline.decision_days AS s
             WHERE s.customer_id = ANY (scope)
               AND s.decided_date BETWEEN baseline_start AND current_end
               AND s.decided > 0
             GROUP BY CASE WHEN scoped THEN NULL ELSE s.customer_id END, s.payer, s.cpt_group,
                      s.decided_date >= current_start;
    END LOOP;
END
$fn$;
