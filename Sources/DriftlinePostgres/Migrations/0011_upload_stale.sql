-- driftline: backward-compatible
-- Stale rows (issue 14): a row holding an older version of a stored claim is skipped and counted, so an
-- upload's accounting becomes rows_read = rows_loaded + rows_rejected + rows_stale. Expand-only: a binary
-- that predates it writes no stale rows (the default 0), which the new check accepts.
ALTER TABLE driftline.uploads ADD COLUMN rows_stale bigint NOT NULL DEFAULT 0;

-- The accounting check is replaced, not altered (a CHECK cannot be changed in place): added NOT VALID (no
-- scan under the ACCESS EXCLUSIVE lock), validated under SHARE UPDATE EXCLUSIVE (loads go on), the old one
-- dropped last. Every stored row has rows_stale = 0, so it validates.
ALTER TABLE driftline.uploads ADD CONSTRAINT uploads_accounting_stale
    CHECK (rows_read = rows_loaded + rows_rejected + rows_stale) NOT VALID;
ALTER TABLE driftline.uploads VALIDATE CONSTRAINT uploads_accounting_stale;
ALTER TABLE driftline.uploads DROP CONSTRAINT uploads_accounting;
