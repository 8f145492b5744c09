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
-- Upkeep follows the new data, not the table's age, and costs the load almost nothing:
-- - decision_days_uploads lists the uploads whose claims are in decision_days. The drift stage's refresh
--   (drift_summary_windows, below) adds the claims of every loaded upload not yet listed — found by
--   claims_upload_idx (0015) — and lists them;
-- - a claim an upload replaces (the merge's UPDATE) loses the row its replaced version counted for: the row
--   trigger below fires only when the replaced version was decided (pending → decided, the common update,
--   does not fire) and records that version in decision_days_retractions. The refresh subtracts a retraction
--   whose upload was listed before it, and drops one whose upload it adds now (that version was replaced
--   before it was ever counted: the claim is counted once, by the upload that holds it now);
-- - TRUNCATE of claims (tests, the benchmark) empties all three.
-- Loads of one customer never wait for a refresh, nor a refresh for a load: the refresh reads one snapshot
-- (one statement), in which an upload's claims and the retractions its merge recorded are both visible or both
-- not. Two refreshes of one customer take turns on an advisory lock ('decision_days', customer).
CREATE TABLE driftline.decision_days (
    customer_id  text NOT NULL,
    decided_date date NOT NULL,
    payer        text NOT NULL,
    cpt_group    text NOT NULL,
    days         integer NOT NULL,
    decided      bigint NOT NULL,
    denied       bigint NOT NULL,
    CONSTRAINT decision_days_pkey PRIMARY KEY (customer_id, decided_date, payer, cpt_group, days)
);

CREATE TABLE driftline.decision_days_uploads (
    upload_id     bigint NOT NULL,
    customer_id   text NOT NULL,
    summarized_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT decision_days_uploads_pkey PRIMARY KEY (upload_id)
);

CREATE TABLE driftline.decision_days_retractions (
    customer_id  text NOT NULL,
    upload_id    bigint NOT NULL,
    decided_date date NOT NULL,
    payer        text NOT NULL,
    cpt_group    text NOT NULL,
    days         integer NOT NULL,
    denied       boolean NOT NULL
);
-- A new, empty table: the plain CREATE INDEX blocks nothing.
CREATE INDEX decision_days_retractions_customer_idx ON driftline.decision_days_retractions (customer_id);

SELECT driftline.enable_tenant_isolation(t)
  FROM unnest(ARRAY[
      'driftline.decision_days', 'driftline.decision_days_uploads', 'driftline.decision_days_retractions'
  ]::regclass[]) AS t;

-- The replaced version of a decided claim (see above). SECURITY INVOKER: the merge's UPDATE runs under the
-- upload's tenant, which the retraction's row satisfies (it is the same customer's).
CREATE FUNCTION driftline.claims_retract_decision() RETURNS trigger
LANGUAGE plpgsql
AS $fn$
BEGIN
    INSERT INTO driftline.decision_days_retractions
        (customer_id, upload_id, decided_date, payer, cpt_group, days, denied)
    VALUES (OLD.customer_id, OLD.upload_id, OLD.decided_date, OLD.payer, coalesce(OLD.cpt_group, ''),
            OLD.decided_date - OLD.submitted_date, OLD.outcome = 'denied');
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
BEGIN
    TRUNCATE driftline.decision_days, driftline.decision_days_uploads, driftline.decision_days_retractions;
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
BEGIN
    FOREACH customer IN ARRAY customers LOOP
        PERFORM set_config('driftline.customer_id', customer, true);
        PERFORM pg_advisory_xact_lock(hashtext('decision_days'), hashtext(customer));
        -- One statement, one snapshot (taken after the lock: it sees what an earlier refresh committed).
        WITH pending AS MATERIALIZED (
            SELECT u.upload_id, u.customer_id
              FROM driftline.uploads AS u
             WHERE (u.customer_id = customer OR NOT scoped) AND u.status = 'loaded'
               AND NOT EXISTS (SELECT FROM driftline.decision_days_uploads AS d WHERE d.upload_id = u.upload_id)
        ), listed AS (
            INSERT INTO driftline.decision_days_uploads (upload_id, customer_id)
            SELECT upload_id, customer_id FROM pending
        ), retracted AS (
            DELETE FROM driftline.decision_days_retractions AS r
             WHERE (r.customer_id = customer OR NOT scoped)
               AND (r.upload_id IN (SELECT upload_id FROM pending)
                    OR EXISTS (SELECT FROM driftline.decision_days_uploads AS d WHERE d.upload_id = r.upload_id))
            RETURNING r.customer_id, r.decided_date, r.payer, r.cpt_group, r.days, r.denied,
                      r.upload_id IN (SELECT upload_id FROM pending) AS never_counted
        ), delta AS (
            SELECT x.customer_id, x.decided_date, x.payer, x.cpt_group, x.days, sum(x.decided) AS decided,
                   sum(x.denied) AS denied
              FROM (SELECT c.customer_id, c.decided_date, c.payer, coalesce(c.cpt_group, '') AS cpt_group,
                           c.decided_date - c.submitted_date AS days, 1 AS decided,
                           CASE WHEN c.outcome = 'denied' THEN 1 ELSE 0 END AS denied
                      FROM driftline.claims AS c
                     WHERE (c.customer_id = customer OR NOT scoped)
                       AND c.upload_id IN (SELECT upload_id FROM pending)
                       AND c.decided_date IS NOT NULL AND c.outcome <> 'pending'
                    UNION ALL
                    SELECT t.customer_id, t.decided_date, t.payer, t.cpt_group, t.days, -1, CASE WHEN t.denied THEN -1 ELSE 0 END
                      FROM retracted AS t
                     WHERE NOT t.never_counted) AS x
             GROUP BY 1, 2, 3, 4, 5
        )
        INSERT INTO driftline.decision_days AS s (customer_id, decided_date, payer, cpt_group, days, decided, denied)
        SELECT customer_id, decided_date, payer, cpt_group, days, decided, denied
          FROM delta
         WHERE decided <> 0 OR denied <> 0
            ON CONFLICT (customer_id, decided_date, payer, cpt_group, days)
            DO UPDATE SET decided = s.decided + excluded.decided, denied = s.denied + excluded.denied;

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
