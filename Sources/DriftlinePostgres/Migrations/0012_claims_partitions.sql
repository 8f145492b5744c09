-- driftline: backward-compatible
-- Claims partitioned by customer (issue 11): one partition per customer, `LIST (customer_id)`.
--
-- Why: the drift stage aggregates one customer at a time under row-level security (issue 13). In one heap
-- shared by every customer, each customer's statement paid for the whole window (a BRIN bitmap over every
-- customer's window pages) and for the customer's whole history (its primary-key entries), so the stage
-- read the table several times over (4.7x a plain GROUP BY at 5M claims). In its own partition a customer's
-- window is a few block ranges of its own heap; the load writes nothing more per row (an index led by
-- customer_id, the other way to get there, made the load 69% slower).
--
-- Expand-only for the binaries before it: `driftline.claims` keeps its name, columns, key, policies and
-- grants; a COPY or INSERT into it is routed to the customer's partition, which a trigger on
-- `driftline.customers` creates when the customer is first seen (every binary inserts the customer before
-- its first load). This binary COPYs into the partition itself (no routing per row).
--
-- What this migration does in its transaction: the table is moved, not altered. It holds an ACCESS
-- EXCLUSIVE lock on the old table while its rows are copied (about 12 s per million claims on a 2-core
-- machine): run it when no load is running (README, Migrations). squawk: renaming the table and dropping
-- the old one are the move itself (the new table takes the name in the same transaction, so no statement
-- ever sees the name missing); the indexes are built on empty tables.

-- The old table steps aside under another name (its indexes too: index names are per schema).
ALTER TABLE driftline.claims RENAME TO claims_unpartitioned;
ALTER TABLE driftline.claims_unpartitioned RENAME CONSTRAINT claims_pkey TO claims_unpartitioned_pkey;
ALTER INDEX driftline.claims_decided_brin RENAME TO claims_unpartitioned_decided_brin;
-- Within this transaction only (nobody else sees it before the commit, and the table is dropped below):
-- the migrating role reads every customer's rows even when it is the tables' owner under FORCEd RLS.
ALTER TABLE driftline.claims_unpartitioned NO FORCE ROW LEVEL SECURITY;
ALTER TABLE driftline.customers NO FORCE ROW LEVEL SECURITY;

CREATE TABLE driftline.claims (
    LIKE driftline.claims_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE
) PARTITION BY LIST (customer_id);
ALTER TABLE driftline.claims ADD CONSTRAINT claims_pkey PRIMARY KEY (customer_id, claim_id);
-- Block ranges of 8 pages (0004 had 32): most customers' partitions are a few hundred pages, and a larger
-- range covers much of a small one. Summarized as the load fills them (autosummarize), as in 0004.
CREATE INDEX claims_decided_brin ON driftline.claims USING brin (decided_date)
    WITH (pages_per_range = 8, autosummarize = on);
SELECT driftline.enable_tenant_isolation('driftline.claims');
GRANT INSERT ON driftline.claims TO driftline_bulk;

-- The customer's partition, created and attached if it is missing; returns it. Partitions are named
-- claims_<first 16 hex digits of md5(customer_id)> (a customer id may be longer than a table name can be).
-- Created with CREATE TABLE … LIKE and ATTACH PARTITION, which takes SHARE UPDATE EXCLUSIVE on
-- `driftline.claims` (CREATE TABLE … PARTITION OF would take ACCESS EXCLUSIVE): loads and reads of other
-- customers go on meanwhile. Under the tenant policies like every tenant table (readers and the pipeline
-- see it as they see `driftline.claims`); driftline_bulk may INSERT (the load's COPY). Runs as its owner,
-- driftline_owner (the owner of `driftline.claims`, who alone may attach to it).
CREATE FUNCTION driftline.claims_partition_create(customer text) RETURNS regclass
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    partition_name text := 'claims_' || left(md5(customer), 16);
    created regclass;
BEGIN
    -- Two first loads of one new customer: the second waits here, then finds the partition.
    PERFORM pg_advisory_xact_lock(hashtext('driftline.claims_partition'), hashtext(customer));
    created := to_regclass(format('driftline.%I', partition_name));
    IF created IS NOT NULL THEN
        RETURN created;
    END IF;
    -- The CHECK lets ATTACH skip its scan (the table is empty anyway); the partition bound replaces it.
    EXECUTE format(
        'CREATE TABLE driftline.%I (LIKE driftline.claims INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE, '
        'CONSTRAINT %I CHECK (customer_id = %L))', partition_name, partition_name || '_customer', customer);
    EXECUTE format('ALTER TABLE driftline.claims ATTACH PARTITION driftline.%I FOR VALUES IN (%L)', partition_name, customer);
    EXECUTE format('ALTER TABLE driftline.%I DROP CONSTRAINT %I', partition_name, partition_name || '_customer');
    created := format('driftline.%I', partition_name)::regclass;
    PERFORM driftline.enable_tenant_isolation(created);
    EXECUTE format('GRANT INSERT ON %s TO driftline_bulk', created);
    RETURN created;
END
$fn$;
REVOKE ALL ON FUNCTION driftline.claims_partition_create(text) FROM PUBLIC;

-- The customer's partition, or NULL when it has none (the load then COPYs into `driftline.claims`).
CREATE FUNCTION driftline.claims_partition(customer text) RETURNS regclass
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT i.inhrelid::regclass FROM pg_inherits i
     WHERE i.inhparent = 'driftline.claims'::regclass
       AND i.inhrelid = to_regclass(format('driftline.%I', 'claims_' || left(md5(customer), 16)))
$fn$;
REVOKE ALL ON FUNCTION driftline.claims_partition(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION driftline.claims_partition(text) TO driftline_loader;

-- A new customer gets its partition in the transaction that creates it (the queue's, before any load).
CREATE FUNCTION driftline.customers_claims_partition() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    PERFORM driftline.claims_partition_create(NEW.customer_id);
    RETURN NULL;
END
$fn$;
REVOKE ALL ON FUNCTION driftline.customers_claims_partition() FROM PUBLIC;

DO $owner$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER FUNCTION driftline.claims_partition_create(text) OWNER TO driftline_owner;
        ALTER FUNCTION driftline.claims_partition(text) OWNER TO driftline_owner;
        ALTER FUNCTION driftline.customers_claims_partition() OWNER TO driftline_owner;
    END IF;
END
$owner$;

CREATE TRIGGER customers_claims_partition AFTER INSERT ON driftline.customers
    FOR EACH ROW EXECUTE FUNCTION driftline.customers_claims_partition();

-- Every customer's partition, then the claims in one pass in their physical order (the order the nightly
-- loads wrote them, which the partitions' BRIN relies on). The partitions' policies are not FORCEd while
-- they are filled (this transaction only), so a migrating role that owns them writes every customer's rows.
SELECT driftline.claims_partition_create(c.customer_id)
  FROM (SELECT customer_id FROM driftline.customers
        UNION SELECT DISTINCT customer_id FROM driftline.claims_unpartitioned) AS c;
DO $move$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'driftline.claims'::regclass LOOP
        EXECUTE format('ALTER TABLE %s NO FORCE ROW LEVEL SECURITY', part);
    END LOOP;
    ALTER TABLE driftline.claims NO FORCE ROW LEVEL SECURITY;
    INSERT INTO driftline.claims SELECT * FROM driftline.claims_unpartitioned;
    ALTER TABLE driftline.claims FORCE ROW LEVEL SECURITY;
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'driftline.claims'::regclass LOOP
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', part);
    END LOOP;
END
$move$;
DROP TABLE driftline.claims_unpartitioned;
ALTER TABLE driftline.customers FORCE ROW LEVEL SECURITY;
