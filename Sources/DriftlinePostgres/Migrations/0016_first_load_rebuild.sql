-- driftline: backward-compatible
-- Expand-only (two nullable columns without a default, a function replaced with the same signature): an older
-- binary keeps working. It writes neither column, so its claims are all found through the upload index, as
-- before.
--
-- A customer's first upload no longer pays for the upload index (issues 11 and 14). The drift stage's refresh
-- (0014) found the claims of each upload it had not summarized through an index on claims (upload_id) (0015): one
-- entry per loaded row, +10% of a psql COPY of 1M rows. A customer's first upload is usually its history, most of
-- what the customer will ever hold, and all of it new: the refresh can as well summarize the customer again from
-- its claims (the primary key's range of the customer), and the index need not list those rows.
-- - `claims.first_load` is true on the versions a customer's first upload wrote by its COPY (the customer had no
--   claims when it began, under the customer's load lock), NULL on every other version: the merge's UPDATE sets
--   it back to NULL, and the rows a merge inserts, an older binary or SQL write leave it NULL. The upload index
--   becomes partial (0017): WHERE first_load IS NULL.
-- - `uploads.first_load` is true on such an upload. A refresh that finds one among the customer's pending uploads
--   rebuilds the customer's summary instead of adding to it: in one statement (one snapshot) the pending uploads
--   are marked, the customer's retractions deleted (each records a replacement this snapshot's claims already
--   hold), and decision_days set to a GROUP BY of the customer's decided claims (rows no longer there deleted).
--   Its cost follows the customer's claims, which a first upload just brought; every other refresh stays
--   incremental. The correctness argument of 0014 holds for the incremental refresh: the claims of a pending
--   upload that is not a first upload are versions with first_load NULL (its COPY wrote NULL, its merge set NULL),
--   all in the partial index.
-- - A load that began while the customer had claims (or merges every row) writes NULL: nothing changes for it.
ALTER TABLE driftline.claims ADD COLUMN first_load boolean;
ALTER TABLE driftline.uploads ADD COLUMN first_load boolean;

CREATE OR REPLACE FUNCTION driftline.drift_summary_windows(
    customers text[], baseline_start date, current_start date, current_end date, scoped boolean DEFAULT true)
RETURNS TABLE (customer_id text, payer text, cpt_group text, is_current boolean, decided bigint, denied bigint,
               days integer[], day_counts bigint[])
LANGUAGE plpgsql VOLATILE
SET work_mem = '64MB' SET enable_sort = off SET jit = off SET plan_cache_mode = force_custom_plan
AS $fn$
#variable_conflict use_column
DECLARE
    customer text;
    pending bigint[];
    rebuild boolean;
BEGIN
    FOREACH customer IN ARRAY customers LOOP
        PERFORM set_config('driftline.customer_id', customer, true);
        PERFORM pg_advisory_xact_lock(hashtext('decision_days'), hashtext(customer));
        -- After the lock: the uploads an earlier refresh summarized are visible as summarized.
        SELECT array_agg(u.upload_id), coalesce(bool_or(u.first_load), false) INTO pending, rebuild
          FROM driftline.uploads AS u
         WHERE (u.customer_id = customer OR NOT scoped) AND u.status = 'loaded' AND u.summarized_at IS NULL;
        IF rebuild THEN
            -- A first upload is pending (0016): the customer's summary again, from its claims, in one snapshot.
            WITH listed AS (
                UPDATE driftline.uploads SET summarized_at = now() WHERE upload_id = ANY (pending)
            ), retracted AS (
                DELETE FROM driftline.decision_days_retractions AS r WHERE (r.customer_id = customer OR NOT scoped)
            ), fresh AS (
                SELECT c.customer_id, c.decided_date, c.payer, coalesce(c.cpt_group, '') AS cpt_group,
                       c.decided_date - c.submitted_date AS days, count(*) AS decided,
                       count(*) FILTER (WHERE c.outcome = 'denied') AS denied
                  FROM driftline.claims AS c
                 WHERE (c.customer_id = customer OR NOT scoped) AND c.outcome <> 'pending'
                   AND c.decided_date IS NOT NULL
                 GROUP BY 1, 2, 3, 4, 5
            ), cleared AS (
                DELETE FROM driftline.decision_days AS s
                 WHERE (s.customer_id = customer OR NOT scoped)
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
                 WHERE (r.customer_id = customer OR NOT scoped)
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

        RETURN QUERY
            SELECT s.customer_id, s.payer, s.cpt_group, s.decided_date >= current_start,
                   sum(s.decided)::bigint, sum(s.denied)::bigint, array_agg(s.days), array_agg(s.decided)
              FROM driftline.decision_days AS s
             WHERE (s.customer_id = customer OR NOT scoped)
               AND s.decided_date BETWEEN baseline_start AND current_end
               AND s.decided > 0
             GROUP BY 1, 2, 3, 4;
    END LOOP;
END
$fn$;
