-- driftline: backward-compatible
-- Row-level security on the alert tables (0005), as 0007 put it on the tables before them: the alerts stage
-- evaluates one customer at a time with driftline.customer_id set.
SELECT driftline.enable_tenant_isolation(t)
  FROM unnest(ARRAY['driftline.alert_events', 'driftline.alert_feedback', 'driftline.alert_silences']::regclass[]) AS t;

-- A silence without a customer holds for every customer: each tenant sees it, none may write one.
DROP POLICY tenant_isolation ON driftline.alert_silences;
CREATE POLICY tenant_isolation ON driftline.alert_silences AS PERMISSIVE FOR ALL TO driftline_owner, driftline_loader
    USING (customer_id IS NULL OR customer_id = nullif(current_setting('driftline.customer_id', true), ''))
    WITH CHECK (customer_id = nullif(current_setting('driftline.customer_id', true), ''));

-- Not tenant rows: the outbox (aggregates only, drained across customers by the deliverer, which routes each
-- message by its customer_id to that customer's or the operator's endpoint), the attempts and endpoints.
GRANT SELECT, INSERT, UPDATE, DELETE ON driftline.outbox, driftline.delivery_attempts, driftline.webhook_endpoints
    TO driftline_loader;
