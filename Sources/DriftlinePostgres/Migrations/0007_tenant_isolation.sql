-- Tenant isolation enforced by PostgreSQL (README, "Tenant isolation"): row-level security on every
-- tenant-owned table, keyed on the per-transaction setting driftline.customer_id for the pipeline and on
-- driftline.reader_customers for analysts' login roles; the roles the policies name.

-- Roles are cluster-wide. The embedded cluster's superuser creates the missing ones here; on any other
-- server a DBA creates them before migrating (the SQL is in the README) and this block only checks.
-- A concurrent migration of another database may create a role first: that is fine.
DO $roles$
DECLARE
    wanted text;
    missing text[];
BEGIN
    SELECT array_agg(r) INTO missing
      FROM unnest(ARRAY['driftline_owner', 'driftline_loader', 'driftline_reader', 'driftline_bulk']) AS r
     WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
    IF missing IS NULL THEN
        RETURN;
    END IF;
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'driftline roles missing' USING ERRCODE = '42704';
    END IF;
    FOREACH wanted IN ARRAY missing LOOP
        BEGIN
            -- Only driftline_bulk bypasses RLS, and it cannot log in: it is taken with SET LOCAL ROLE.
            EXECUTE format('CREATE ROLE %I NOLOGIN%s', wanted,
                           CASE WHEN wanted = 'driftline_bulk' THEN ' BYPASSRLS' ELSE ' NOBYPASSRLS' END);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END LOOP;
END
$roles$;

-- Which customers a reader's login role may read: written by `driftline db grant-reader` only. Keyed by
-- session_user, which no SET (nor SET ROLE) in the reader's session can change.
CREATE TABLE driftline.reader_customers (
    role_name   text NOT NULL,
    customer_id text NOT NULL CHECK (customer_id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    granted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (role_name, customer_id)
);
REVOKE ALL ON driftline.reader_customers FROM PUBLIC;

-- The customers the session's login role was granted (readers call it from their policy; it reads the
-- mapping as its owner, so readers need no privilege on the table itself).
CREATE FUNCTION driftline.reader_customer_ids() RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $fn$ SELECT customer_id FROM driftline.reader_customers WHERE role_name = session_user $fn$;
REVOKE ALL ON FUNCTION driftline.reader_customer_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION driftline.reader_customer_ids() TO driftline_reader;

-- Puts one tenant-owned table (it must have a text customer_id) under row-level security. Later
-- migrations call it for every table they add that holds a customer's rows:
--     SELECT driftline.enable_tenant_isolation('driftline.drift_events');
-- - owned by driftline_owner (when a superuser migrates); ENABLE and FORCE: the table's owner is held to
--   the policies too (only superusers and driftline_bulk, which cannot log in, bypass them).
-- - driftline_owner and driftline_loader see and write the rows of the customer in the transaction's
--   setting driftline.customer_id (SET LOCAL / set_config(…, true)); none when it is unset or empty.
-- - driftline_reader members see the rows of the customers granted to their login role, read-only; a
--   restrictive policy keeps that true even for a role that is wrongly also a loader (doctor flags it).
CREATE FUNCTION driftline.enable_tenant_isolation(tenant_table regclass) RETURNS void
LANGUAGE plpgsql
AS $fn$
BEGIN
    -- A superuser's migration hands the table to driftline_owner, like 0007 does for the tables before it.
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('ALTER TABLE %s OWNER TO driftline_owner', tenant_table);
    END IF;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tenant_table);
    EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', tenant_table);
    EXECUTE format(
        $p$CREATE POLICY tenant_isolation ON %s AS PERMISSIVE FOR ALL TO driftline_owner, driftline_loader
             USING (customer_id = nullif(current_setting('driftline.customer_id', true), ''))
             WITH CHECK (customer_id = nullif(current_setting('driftline.customer_id', true), ''))$p$,
        tenant_table);
    EXECUTE format('DROP POLICY IF EXISTS reader_isolation ON %s', tenant_table);
    EXECUTE format(
        $p$CREATE POLICY reader_isolation ON %s AS PERMISSIVE FOR SELECT TO driftline_reader
             USING (customer_id IN (SELECT driftline.reader_customer_ids()))$p$,
        tenant_table);
    EXECUTE format('DROP POLICY IF EXISTS reader_only_granted ON %s', tenant_table);
    EXECUTE format(
        $p$CREATE POLICY reader_only_granted ON %s AS RESTRICTIVE FOR ALL TO driftline_reader
             USING (customer_id IN (SELECT driftline.reader_customer_ids()))
             WITH CHECK (false)$p$,
        tenant_table);
    EXECUTE format('REVOKE ALL ON %s FROM PUBLIC', tenant_table);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO driftline_loader', tenant_table);
    EXECUTE format('GRANT SELECT ON %s TO driftline_reader', tenant_table);
END
$fn$;
REVOKE ALL ON FUNCTION driftline.enable_tenant_isolation(regclass) FROM PUBLIC;

SELECT driftline.enable_tenant_isolation(t)
  FROM unnest(ARRAY[
      'driftline.customers', 'driftline.uploads', 'driftline.claims', 'driftline.rejects',
      'driftline.upload_findings', 'driftline.inbox_files'
  ]::regclass[]) AS t;

-- The tenant list itself holds no PHI: the pipeline lists it to work one customer at a time.
CREATE POLICY tenant_directory ON driftline.customers AS PERMISSIVE FOR SELECT TO driftline_loader
    USING (true);

-- The pipeline's bookkeeping (no customer rows).
GRANT USAGE ON SCHEMA driftline TO driftline_loader, driftline_reader, driftline_bulk;
GRANT SELECT, INSERT, UPDATE, DELETE ON driftline.runs, driftline.stage_runs TO driftline_loader;
GRANT SELECT ON driftline.schema_migrations TO driftline_loader;

-- driftline_bulk: the load's COPY, which PostgreSQL refuses under RLS, and the queue claim, which must see
-- every customer's queued files. Taken with SET LOCAL ROLE inside the upload's transaction, for those
-- statements only; it may write claims and rejects (the rows carry the customer id of the inbox folder,
-- checked per row by the tenant guard) and read the queue, and read nothing else.
GRANT SELECT, UPDATE (state) ON driftline.inbox_files TO driftline_bulk;
GRANT INSERT ON driftline.claims, driftline.rejects TO driftline_bulk;

-- driftline_owner owns the schema and its tables (where this migration may hand them over: a superuser).
DO $owner$
DECLARE
    relation regclass;
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN;
    END IF;
    ALTER SCHEMA driftline OWNER TO driftline_owner;
    FOR relation IN
        SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'driftline' AND c.relkind IN ('r', 'p')
    LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO driftline_owner', relation);
    END LOOP;
    ALTER FUNCTION driftline.reader_customer_ids() OWNER TO driftline_owner;
    ALTER FUNCTION driftline.enable_tenant_isolation(regclass) OWNER TO driftline_owner;
END
$owner$;
