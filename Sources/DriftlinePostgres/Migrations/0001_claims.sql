-- Driftline core schema: tenants, uploads, claims and their rejects.
-- Every tenant-owned table carries customer_id.
CREATE SCHEMA IF NOT EXISTS driftline;

CREATE TABLE driftline.customers (
    customer_id text PRIMARY KEY CHECK (customer_id ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per upload that was loaded or rejected. Inserted in the same transaction as the claims
-- it vouches for, so a killed load leaves no trace here.
CREATE TABLE driftline.uploads (
    upload_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id    text NOT NULL REFERENCES driftline.customers,
    file_name      text NOT NULL,
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes     bigint NOT NULL,
    rows_read      bigint NOT NULL DEFAULT 0,
    rows_loaded    bigint NOT NULL DEFAULT 0,
    rows_rejected  bigint NOT NULL DEFAULT 0,
    rows_warned    bigint NOT NULL DEFAULT 0,
    status         text NOT NULL CHECK (status IN ('loaded', 'rejected')),
    error_code     text,
    error_line     integer,
    error_message  text,
    unknown_columns text[] NOT NULL DEFAULT '{}',
    run_id         bigint,
    loaded_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uploads_accounting CHECK (rows_read = rows_loaded + rows_rejected),
    CONSTRAINT uploads_customer_sha256_key UNIQUE (customer_id, sha256)
);

-- Claims keyed by (customer_id, claim_id); a resent claim updates the stored one.
-- No foreign keys to uploads/customers here: per-row RI triggers would halve load throughput, and
-- the loader writes upload_id and customer_id in the same transaction as their parent rows.
CREATE TABLE driftline.claims (
    customer_id    text NOT NULL,
    claim_id       text NOT NULL,
    payer          text NOT NULL,
    cpt_code       text NOT NULL,
    cpt_group      text,
    service_date   date NOT NULL,
    submitted_date date NOT NULL,
    decided_date   date,
    outcome        text NOT NULL CHECK (outcome IN ('paid', 'denied', 'pending')),
    denial_reason  text,
    billed_amount  numeric(12,2) NOT NULL CHECK (billed_amount >= 0),
    allowed_amount numeric(12,2) CHECK (allowed_amount >= 0),
    paid_amount    numeric(12,2) CHECK (paid_amount >= 0),
    patient_ref    text NOT NULL,
    provider_npi   text NOT NULL,
    upload_id      bigint NOT NULL,
    line_no        integer NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, claim_id)
);

-- One row per rejected line: position, rule and message. Never the value (the reject report file
-- kept beside the upload holds the original line for the analyst).
CREATE TABLE driftline.rejects (
    upload_id   bigint NOT NULL REFERENCES driftline.uploads ON DELETE CASCADE,
    customer_id text NOT NULL,
    line_no     integer NOT NULL,
    column_name text,
    rule_id     text NOT NULL,
    message     text NOT NULL
);
CREATE INDEX rejects_upload_idx ON driftline.rejects (upload_id, line_no);

-- Per-rule finding counts per upload (errors, warnings, info).
CREATE TABLE driftline.upload_findings (
    upload_id   bigint NOT NULL REFERENCES driftline.uploads ON DELETE CASCADE,
    customer_id text NOT NULL,
    rule_id     text NOT NULL,
    severity    text NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
    count       bigint NOT NULL,
    PRIMARY KEY (upload_id, rule_id)
);

-- The work queue of files seen in the inbox, claimed by loaders with FOR UPDATE SKIP LOCKED.
-- Keyed by content: the same bytes dropped again for a customer are recognised.
CREATE TABLE driftline.inbox_files (
    file_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id text NOT NULL REFERENCES driftline.customers,
    sha256      text NOT NULL,
    path        text NOT NULL,
    file_name   text NOT NULL,
    size_bytes  bigint NOT NULL,
    state       text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'done')),
    upload_id   bigint REFERENCES driftline.uploads,
    run_id      bigint,
    queued_at   timestamptz NOT NULL DEFAULT now(),
    done_at     timestamptz,
    CONSTRAINT inbox_files_customer_sha256_key UNIQUE (customer_id, sha256)
);
CREATE INDEX inbox_files_queued_idx ON driftline.inbox_files (file_id) WHERE state = 'queued';
