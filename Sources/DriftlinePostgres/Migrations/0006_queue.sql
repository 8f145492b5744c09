-- The work queue belongs to a pipeline and its inbox; poison uploads are parked; a file rejected as a
-- whole can be loaded again with the same bytes. Not backward compatible: a binary from before 0006
-- registers files without a pipeline, and must not run against this schema.
--
-- inbox_files: `pipeline` (its name) and `inbox` (the resolved absolute path of its inbox folder) scope
-- every entry; the file is named by customer folder and file name inside that inbox (`file_name`), so a
-- claiming process finds it whatever its working directory (`path`, relative to the registering
-- process's directory, is no longer written: '' from now on). Entries of the old, shared queue belong
-- to no pipeline (''): those still queued are removed (the pipeline that sees the file registers it
-- again), and so are those done without an upload (a file that vanished before it was claimed).
--
-- squawk: the constraints dropped are replaced in the same transaction (keyed by pipeline and inbox; a
-- partial unique index); both tables hold one row per file (not per claim), so building and dropping
-- their indexes takes milliseconds under the migrator's lock_timeout: ban-drop-constraint,
-- require-concurrent-index-creation and require-concurrent-index-deletion do not apply here.
DELETE FROM driftline.inbox_files WHERE state = 'queued' OR upload_id IS NULL;
ALTER TABLE driftline.inbox_files
    ADD COLUMN pipeline   text NOT NULL DEFAULT '',
    ADD COLUMN inbox      text NOT NULL DEFAULT '',
    ADD COLUMN attempts   bigint NOT NULL DEFAULT 0,
    ADD COLUMN last_error text,
    ADD COLUMN failed_at  timestamptz,
    ALTER COLUMN path SET DEFAULT '',
    DROP CONSTRAINT inbox_files_customer_sha256_key,
    DROP CONSTRAINT inbox_files_state_check,
    -- Every existing row is 'queued' or 'done' with no last_error: nothing to validate.
    ADD CONSTRAINT inbox_files_state_check CHECK (state IN ('queued', 'done', 'failed')) NOT VALID,
    -- last_error is a kind and an SQLSTATE, never server text.
    ADD CONSTRAINT inbox_files_last_error_check CHECK (last_error ~ '^[a-z_]+( [0-9A-Z]{5})?$') NOT VALID;
CREATE UNIQUE INDEX inbox_files_scope_key ON driftline.inbox_files (pipeline, inbox, customer_id, sha256);
DROP INDEX driftline.inbox_files_queued_idx;
CREATE INDEX inbox_files_queued_idx ON driftline.inbox_files (pipeline, inbox, file_id) WHERE state = 'queued';

-- uploads: the same bytes load once per customer, but a file rejected as a whole may be tried again
-- (after a rules fix) with the same bytes: only loaded uploads are unique by content.
ALTER TABLE driftline.uploads DROP CONSTRAINT uploads_customer_sha256_key;
CREATE UNIQUE INDEX uploads_customer_sha256_key ON driftline.uploads (customer_id, sha256) WHERE status = 'loaded';
CREATE INDEX uploads_customer_sha256_idx ON driftline.uploads (customer_id, sha256);
