-- driftline: no-transaction
-- driftline: backward-compatible
-- No transaction (CREATE and DROP INDEX CONCURRENTLY), each statement safe to run again after a failure: an
-- older binary keeps working (the refresh is the database's function, and its read of an upload's claims asks
-- for decided claims only, which the new index lists).
--
-- The drift summary's upload index without pending claims (issue 11's load budget). The refresh reads a pending
-- upload's claims `WHERE c.upload_id = ANY (pending) AND c.first_load IS NULL AND c.outcome <> 'pending'`
-- (drift_summary_windows, 0016 to 0019): a pending claim is in no window, so its entry in 0017's index was never
-- read. A night's new claims are mostly pending (they come back decided weeks later, and that update writes the
-- entry then), so a night now pays an index entry for the claims it decides, not for every row it writes: about
-- 65 bytes of WAL each (README, Payer drift). The query's predicates imply the index's, so the planner keeps
-- using it, on generic plans too. A build that failed leaves an invalid index of that name, dropped first when
-- this migration runs again.
-- (The migrator splits this file after lines ending in ';': the block's inner statements end mid-line.)
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'driftline' AND c.relname = 'claims_decided_upload_idx' AND NOT i.indisvalid)
    THEN DROP INDEX driftline.claims_decided_upload_idx; END IF; END
$$;
CREATE INDEX CONCURRENTLY IF NOT EXISTS claims_decided_upload_idx ON driftline.claims (upload_id)
    WHERE first_load IS NULL AND outcome <> 'pending';
DROP INDEX CONCURRENTLY IF EXISTS driftline.claims_later_upload_idx;
