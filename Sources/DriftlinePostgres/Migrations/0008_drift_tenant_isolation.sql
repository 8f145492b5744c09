-- driftline: backward-compatible
-- Row-level security on drift_events (0004), as 0007 put it on the tables before it: the drift stage reads
-- and writes one customer at a time with driftline.customer_id set.
SELECT driftline.enable_tenant_isolation('driftline.drift_events');
