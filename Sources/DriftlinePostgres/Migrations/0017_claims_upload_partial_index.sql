-- driftline: no-transaction
-- driftline: backward-compatible
-- No transaction (CREATE and DROP INDEX CONCURRENTLY), each statement safe to run again after a failure: an
-- older binary keeps working (its claims all have first_load NULL, so the partial index lists them).
--
-- The upload index of 0015 without the rows a customer's first upload wrote (first_load true, 0016): the refresh
-- finds those by rebuilding the customer's summary. A first load then pays for no index entry of the drift design
-- (its BRIN on decided_date aside: +1% of a psql COPY); a later upload's rows are listed as before.
-- CONCURRENTLY, so the nightly load is never blocked while it builds; a build that failed leaves an invalid
-- index of that name, dropped first when this migration runs again.
-- (The migrator splits this file after lines ending in ';': the block's inner statements end mid-line.)
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'driftline' AND c.relname = 'claims_later_upload_idx' AND NOT i.indisvalid)
    THEN DROP INDEX driftline.claims_later_upload_idx; END IF; END
$$;
CREATE INDEX CONCURRENTLY IF NOT EXISTS claims_later_upload_idx ON driftline.claims (upload_id)
    WHERE first_load IS NULL;
DROP INDEX CONCURRENTLY IF EXISTS driftline.claims_upload_idx;
