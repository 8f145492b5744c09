-- Canonical payers: claims.payer holds the canonical payer id of rules/payer_names.yaml (drift groups by
-- it); payer_raw keeps the name as the file wrote it, when that differs. Nullable, no default: a
-- metadata-only change, no table rewrite.
ALTER TABLE driftline.claims ADD COLUMN payer_raw text;
