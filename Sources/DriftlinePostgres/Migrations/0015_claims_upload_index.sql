-- driftline: no-transaction
-- driftline: backward-compatible
-- No transaction (CREATE INDEX CONCURRENTLY), each statement safe to run again after a failure; expand-only
-- (new indexes): an older binary keeps working.
--
-- The drift stage's refresh of decision_days (0014) reads the claims of the uploads it has not summarized yet:
-- this index finds them without reading the rest of the customer's history. Its key is the upload, which grows
-- with every load: a load appends its entries at the index's right edge (with deduplication, a posting list per
-- page). It is still one more index entry per loaded row: +10% of a psql COPY of 1M rows (README, Payer drift).
--
-- CONCURRENTLY, so the nightly load is never blocked while it builds; a build that failed leaves an invalid
-- index of that name, dropped first when this migration runs again.
-- (The migrator splits this file after lines ending in ';': the block's inner statements end mid-line.)
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'driftline' AND c.relname = 'claims_upload_idx' AND NOT i.indisvalid)
    THEN DROP INDEX driftline.claims_upload_idx; END IF; END
$$;
CREATE INDEX CONCURRENTLY IF NOT EXISTS claims_upload_idx ON driftline.claims (upload_id);

-- The uploads the refresh has not summarized yet (0014), per customer: a handful, however many uploads came
-- before.
DO $$ BEGIN
    IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'driftline' AND c.relname = 'uploads_unsummarized_idx' AND NOT i.indisvalid)
    THEN DROP INDEX driftline.uploads_unsummarized_idx; END IF; END
$$;
CREATE INDEX CONCURRENTLY IF NOT EXISTS uploads_unsummarized_idx ON driftline.uploads (customer_id)
    WHERE status = 'loaded' AND summarized_at IS NULL;
