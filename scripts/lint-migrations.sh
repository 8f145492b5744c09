#!/usr/bin/env bash
# `make lint`: every migration passes squawk (pip install squawk-cli), except the exceptions listed and
# explained here, beside the migrations they concern. A new migration gets no exception without a line below.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v squawk >/dev/null || pip install -q squawk-cli >/dev/null 2>&1 || true
command -v squawk >/dev/null || { echo "lint-migrations: squawk not found (pip install squawk-cli)" >&2; exit 1; }
dir=Sources/DriftlinePostgres/Migrations

# Everywhere: the migrator sets lock_timeout and statement_timeout itself before every migration
# (Sources/DriftlinePostgres/Connection/Migrator.swift), so the files do not repeat them.
global=require-lock-timeout,require-statement-timeout

# Per file: rules that do not apply, and why.
declare -A except=(
    # 0001, 0002: the schema's first tables, created empty in the same migration as their indexes (nothing
    # to block), applied before migrations were linted; integer columns hold line numbers, positions and
    # stage positions (far below 2^31). Changing an applied migration is refused by its checksum.
    [0001_claims.sql]=prefer-robust-stmts,require-concurrent-index-creation,prefer-bigint-over-int
    [0002_runs.sql]=prefer-robust-stmts,require-concurrent-index-creation,prefer-bigint-over-int
    # 0005: new tables, created empty in the same migration as their indexes: a plain CREATE INDEX blocks
    # nothing (and CONCURRENTLY cannot run in the migration's transaction).
    [0005_alerts.sql]=require-concurrent-index-creation
    # 0006: the constraints it drops are replaced in the same transaction, and both tables hold one row per
    # file (index builds take milliseconds); the reasons are written in the file too.
    [0006_queue.sql]=ban-drop-constraint,require-concurrent-index-creation,require-concurrent-index-deletion
    # 0011: the CHECK it drops (rows_read = loaded + rejected) is implied by the one it adds and validates
    # first (… + rows_stale, which every row a binary of either version writes satisfies); the reason is in
    # the file too.
    [0011_upload_stale.sql]=ban-drop-constraint
    # 0014: new tables, created empty in the same migration as their index (nothing to block); `days` is a
    # difference of two dates, as `decided_date - submitted_date` returns it (integer: PostgreSQL's dates span
    # fewer than 2^31 days).
    [0014_decision_days.sql]=require-concurrent-index-creation,prefer-bigint-over-int
)

status=0
for file in "$dir"/*.sql; do
    name=$(basename "$file")
    exclude=$global
    [[ -n ${except[$name]:-} ]] && exclude+=,${except[$name]}
    # A transactional migration is all or nothing: IF NOT EXISTS guards are for no-transaction ones.
    head -5 "$file" | grep -qi 'driftline: no-transaction' || exclude+=,prefer-robust-stmts
    squawk --pg-version 15 --exclude "$exclude" "$file" >/tmp/squawk.$$ 2>&1 || { cat /tmp/squawk.$$; status=1; }
done
rm -f /tmp/squawk.$$
[[ $status == 0 ]] && echo "lint-migrations: $(ls "$dir"/*.sql | wc -l) migrations pass squawk"
exit $status
