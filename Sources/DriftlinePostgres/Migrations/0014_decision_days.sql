-- driftline: backward-compatible
-- Expand-only (new tables, functions and triggers): an older binary keeps working. It keeps reading claims
-- through drift_window_aggregates (0010); the triggers below only add rows to the new tables.
--
-- A per-customer daily summary of the decided claims, which the drift stage reads instead of claims (issue 11).
-- Under per-customer row-level security each customer's aggregation of claims had to find that customer's
-- window rows among every customer's: the BRIN on decided_date (0004) and the customer's primary-key entries
-- of its whole history, so its cost grew with the table (README, Payer drift). This table is keyed by
-- customer first and decision date second: one customer's window is one range of its primary key.
--
-- decision_days holds, per customer × decision date × payer × CPT group ('' for none) × decision days
-- (decided_date - submitted_date), the decided claims and how many were denied: exactly what the denial-rate
-- test and the decision-time histogram need, so a window's aggregates from it equal those from claims
-- (DriftSummaryTests). A claim counts when it is decided (decided_date set, outcome not 'pending').
--
-- Upkeep follows the new data, not the table's age. The load pays for one index entry per row (claims_upload_idx,
-- 0015: +10% of a psql COPY of 1M rows, README) and for the trigger below on updates of decided claims only:
-- - `uploads.summarized_at` says which uploads' claims are in decision_days. The drift stage's refresh
--   (drift_summary_windows, below) adds the claims that the loaded uploads not yet summarized hold — found by
--   claims_upload_idx (0015) — and marks those uploads;
-- - a claim an upload replaces (the merge's UPDATE) must lose the row its replaced version counted for: the row
--   trigger below fires only when the replaced version was decided (pending → decided, the common update,
--   does not fire) and records that version, its upload and the replacing upload (`replaced_by`) in
--   decision_days_retractions;
-- - the refresh reads, in one statement (one snapshot), the pending uploads' claims and the retractions that
--   name a pending upload. A retraction of a version a pending upload wrote is dropped: that version is not
--   in this snapshot, so it is never counted (the claim is counted once, by the upload that holds it now). A
--   retraction a pending upload recorded of an older upload's version is subtracted: that version was counted
--   when its upload was summarized (had it been replaced before that read, the retraction would have been dropped
--   then). A retraction naming no pending upload waits for the refresh that lists its replacing upload;
-- - TRUNCATE of claims (tests, the benchmark) empties the summary and marks every upload not summarized.
-- Loads never wait for a refresh, nor a refresh for a load; two refreshes of one customer take turns on an
-- advisory lock ('decision_days', customer), taken before the pending uploads are read.
CREATE TABLE driftline.decision_days (
    customer_id  text NOT NULL,
    decided_date date NOT NULL,
    payer        text NOT NULL,
    cpt_group    text NOT NULL,
    days         integer NOT NULL,
    decided      bigint NOT NULL,
    denied       bigint NOT NULL,
    -- The counts ride in the key's index: a customer's window is one range of its leaf pages (an index-only
    -- scan), whatever order the nights' refreshes left the rows in on the heap.
    CONSTRAINT decision_days_pkey PRIMARY KEY (customer_id, decided_date, payer, cpt_group, days)
        INCLUDE (decided, denied)
);

-- The uploads whose claims are in decision_days (NULL: not yet). A nullable column without a default: adding it
-- rewrites nothing. The refresh finds the ones it has not summarized through uploads_unsummarized_idx (0015),
-- whatever the number of uploads summarized before.
ALTER TABLE driftline.uploads ADD COLUMN summarized_at timestamptz;

CREATE TABLE driftline.decision_days_retractions (
    customer_id  text NOT NULL,
    upload_id    bigint NOT NULL,
    decided_date date NOT NULL,
    payer        text NOT NULL,
    cpt_group    text NOT NULL,
    days         integer NOT NULL,
    denied       boolean NOT NULL,
    replaced_by  bigint NOT NULL
);
-- A new, empty table: the plain CREATE INDEX blocks nothing.
CREATE INDEX decision_days_retractions_customer_idx ON driftline.decision_days_retractions (customer_id);

SELECT driftline.enable_tenant_isolation(t)
  FROM unnest(ARRAY[
      'driftline.decision_days', 'driftline.decision_days_retractions'
  ]::regclass[]) AS t;

-- The replaced version of a decided claim (see above). SECURITY INVOKER: the merge's UPDATE runs under the
-- upload's tenant, which the retraction's row satisfies (it is the same customer's).
CREATE FUNCTION driftline.claims_retract_decision() RETURNS trigger
LANGUAGE plpgsql
AS $fn$
BEGIN
    INSERT INTO driftline.decision_days_retractions
        (customer_id, upload_id, decided_date, payer, cpt_group, days, denied, replaced_by)
    VALUES (OLD.customer_id, OLD.upload_id, OLD.decided_date, OLD.payer, coalesce(OLD.cpt_group, ''),
            OLD.decided_date - OLD.submitted_date, OLD.outcome = 'denied', NEW.upload_id);
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION driftline.claims_retract_decision() FROM PUBLIC;
CREATE TRIGGER claims_retract_decision AFTER UPDATE ON driftline.claims
    FOR EACH ROW WHEN (OLD.decided_date IS NOT NULL AND OLD.outcome <> 'pending')
    EXECUTE FUNCTION driftline.claims_retract_decision();

CREATE FUNCTION driftline.claims_truncate_decision_days() RETURNS trigger
LANGUAGE plpgsql
AS $fn$
DECLARE
    customer text;
BEGIN
    TRUNCATE driftline.decision_days, driftline.decision_days_retractions;
    -- Every customer's uploads, each under its tenant (the table owner is held to the policies too).
    FOR customer IN SELECT c.customer_id FROM driftline.customers AS c LOOP
        PERFORM set_config('driftline.customer_id', customer, true);
        UPDATE driftline.uploads SET summarized_at = NULL WHERE customer_id = customer AND summarized_at IS NOT NULL;
    END LOOP;
    PERFORM set_config('driftline.customer_id', '', true);
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION driftline.claims_truncate_decision_days() FROM PUBLIC;
CREATE TRIGGER claims_truncate_decision_days AFTER TRUNCATE ON driftline.claims
    FOR EACH STATEMENT EXECUTE FUNCTION driftline.claims_truncate_decision_days();

-- The drift stage's aggregation from the summary, one round trip for a batch of customers (like 0010). For
-- each customer of `customers`, in the order given (the caller passes them ascending, the lock order): the
-- transaction's tenant becomes that customer, the refresh's advisory lock is taken, one statement brings
-- decision_days up to date with the customer's loaded uploads (above), and one statement reads the windows:
-- decided and denied counts per customer × payer × CPT group × window (`is_current`: decided on or after
-- `current_start`), and the decision-time histogram as two arrays, `days[i]` seen `day_counts[i]` times (a
-- day may repeat: one entry per decision date; negative days are data errors the caller leaves out).
-- Returns nothing for a customer with no decided claims in the windows. SECURITY INVOKER: the caller's
-- privileges and policies; the caller must not rely on the tenant after the call. `scoped` is false only for
-- the tests that prove row-level security alone keeps each statement to its tenant (UnscopedQueryTestHook).
CREATE FUNCTION driftline.drift_summary_windows(
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
BEGIN
    FOREACH customer IN ARRAY customers LOOP
        PERFORM set_config('driftline.customer_id', customer, true);
        PERFORM pg_advisory_xact_lock(hashtext('decision_days'), hashtext(customer));
        -- After the lock: the uploads an earlier refresh summarized are visible as summarized.
        SELECT array_agg(u.upload_id) INTO pending
          FROM driftline.uploads AS u
         WHERE (u.customer_id = customer OR NOT scoped) AND u.status = 'loaded' AND u.summarized_at IS NULL;
        IF pending IS NOT NULL THEN
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
                         -- (decided_date IS NOT NULL written so that the planner does not AND the BRIN on
                         -- decided_date, 0004, with the upload's few entries: 5 ms a customer for nothing)
                         WHERE c.upload_id = ANY (pending) AND c.outcome <> 'pending'
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
REVOKE ALL ON FUNCTION driftline.drift_summary_windows(text[], date, date, date, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION driftline.drift_summary_windows(text[], date, date, date, boolean) TO driftline_loader;
