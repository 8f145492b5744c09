-- driftline: backward-compatible
-- Alerts (issue 12): every evaluation outcome, the webhook outbox, delivery attempts, endpoint state,
-- silences and feedback. Lock order (after issue 11's customer → drift event): per-customer advisory
-- lock → alert_events → outbox; a deliverer holds one outbox row (FOR UPDATE SKIP LOCKED) → its endpoint row.
--
-- drift_event_id refers to driftline.drift_events(event_id) (migration 0004, the drift branch). There
-- is deliberately no foreign key: this migration must apply before or without 0004, and drift events are
-- never deleted.

-- One row per (drift event, rule): notify, or suppressed with its reason. The unique key makes evaluation
-- idempotent and race-free (a second evaluator's INSERT … ON CONFLICT DO NOTHING inserts nothing).
CREATE TABLE driftline.alert_events (
    alert_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    drift_event_id  bigint NOT NULL,
    rule_id         text NOT NULL,               -- '-' when no rule matched
    customer_id     text NOT NULL,
    payer           text NOT NULL,
    cpt_group       text NOT NULL,
    drift_type      text NOT NULL CHECK (drift_type IN ('denial_rate', 'decision_time')),
    severity        text NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    direction       text NOT NULL CHECK (direction IN ('worse', 'better')),
    current_end     date NOT NULL,
    status          text NOT NULL CHECK (status IN ('notify', 'suppressed')),
    reason          text CHECK (reason IN ('cooldown', 'silenced', 'feedback', 'below_severity', 'no_matching_rule')),
    channels        text[] NOT NULL DEFAULT '{}',
    silence_id      bigint,
    feedback_id     bigint,
    run_id          bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- set once, with the drift.resolved notification, when the triple no longer drifts
    resolved_at     timestamptz,
    resolved_as_of  date,
    CONSTRAINT alert_events_event_rule_key UNIQUE (drift_event_id, rule_id),
    CONSTRAINT alert_events_status_reason_check CHECK ((status = 'notify') = (reason IS NULL))
);
CREATE INDEX alert_events_customer_created_idx ON driftline.alert_events (customer_id, created_at DESC);
CREATE INDEX alert_events_cooldown_idx ON driftline.alert_events (rule_id, customer_id, payer, cpt_group, drift_type, current_end)
    WHERE status = 'notify';
CREATE INDEX alert_events_open_idx ON driftline.alert_events (customer_id)
    WHERE status = 'notify' AND resolved_at IS NULL;

-- Notifications to send, written in the evaluating transaction. message_id is the webhook-id: stable on
-- every retry and redelivery. body is the exact JSON sent (signed bytes never change between attempts).
CREATE TABLE driftline.outbox (
    message_id      text PRIMARY KEY,
    endpoint        text NOT NULL,
    customer_id     text NOT NULL,
    event_type      text NOT NULL CHECK (event_type IN ('drift.alert', 'drift.resolved')),
    alert_ids       bigint[] NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts        bigint NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    dead_at         timestamptz,
    last_error      text
);
CREATE INDEX outbox_due_idx ON driftline.outbox (next_attempt_at) WHERE status = 'pending';

-- Every attempt: HTTP status (NULL when none came back), duration, error class (timeout, connection, http_5xx…).
CREATE TABLE driftline.delivery_attempts (
    attempt_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id      text NOT NULL REFERENCES driftline.outbox ON DELETE CASCADE,
    endpoint        text NOT NULL,
    attempt         bigint NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('webhook', 'file')),
    started_at      timestamptz NOT NULL,
    duration_ms     double precision NOT NULL,
    status_code     bigint,
    outcome         text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed', 'dead')),
    error_class     text,
    next_attempt_at timestamptz
);
CREATE INDEX delivery_attempts_message_idx ON driftline.delivery_attempts (message_id, attempt);

-- Endpoint state: disabled by a 410, paused by the circuit breaker.
CREATE TABLE driftline.webhook_endpoints (
    endpoint             text PRIMARY KEY,
    consecutive_failures bigint NOT NULL DEFAULT 0,
    paused_until         timestamptz,
    disabled_at          timestamptz,
    disabled_reason      text
);

CREATE TABLE driftline.alert_silences (
    silence_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id  text,                            -- NULL: every customer
    payer        text,
    cpt_group    text,
    drift_type   text CHECK (drift_type IN ('denial_rate', 'decision_time')),
    direction    text CHECK (direction IN ('worse', 'better')),
    starts_at    timestamptz NOT NULL DEFAULT now(),
    ends_at      timestamptz NOT NULL,
    reason       text NOT NULL,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expired_by   text,
    expired_at   timestamptz
);

CREATE TABLE driftline.alert_feedback (
    feedback_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id       bigint NOT NULL REFERENCES driftline.alert_events,
    verdict        text NOT NULL CHECK (verdict IN ('noise', 'useful')),
    customer_id    text NOT NULL,
    payer          text NOT NULL,
    cpt_group      text NOT NULL,
    drift_type     text NOT NULL,
    suppress_until timestamptz,                   -- noise only: matching alerts are suppressed until then
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_feedback_match_idx ON driftline.alert_feedback (customer_id, payer, cpt_group, drift_type)
    WHERE verdict = 'noise';
