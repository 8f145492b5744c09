-- Run history and stage checkpoints.
CREATE TABLE driftline.runs (
    run_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pipeline    text NOT NULL,
    status      text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    as_of       date NOT NULL,
    parameters  jsonb NOT NULL DEFAULT '{}',
    host        text,
    pid         integer,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    error       text
);
CREATE INDEX runs_pipeline_started_idx ON driftline.runs (pipeline, started_at DESC);

CREATE TABLE driftline.stage_runs (
    run_id      bigint NOT NULL REFERENCES driftline.runs ON DELETE CASCADE,
    stage       text NOT NULL,
    position    integer NOT NULL,
    status      text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
    attempt     integer NOT NULL DEFAULT 0,
    started_at  timestamptz,
    finished_at timestamptz,
    summary     jsonb NOT NULL DEFAULT '{}',
    error       text,
    PRIMARY KEY (run_id, stage)
);
