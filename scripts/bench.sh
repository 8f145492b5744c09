#!/usr/bin/env bash
# Driftline benchmark (`make bench`): a benchmark, not a test — it prints figures, it does not fail on them.
#
#   1. Load throughput (issue 2): for each row count in BENCH_ROWS, one synthetic upload
#      (`driftline samples generate --customers 1 --seed 7`) is loaded, alternately, by
#        psql  — `\copy bench.claims_copy FROM file (FORMAT csv, HEADER true)` into a plain copy of the
#                claims table (same 14 column types, NOT NULLs, CHECKs, primary key), and by
#        driftline — `driftline run` over an inbox holding that file: parse, validate, staging COPY,
#                merge into driftline.claims, upload bookkeeping, report stage.
#      Both start from an empty table (TRUNCATE + CHECKPOINT, untimed). Wall time of each run; peak RSS
#      of driftline (`/usr/bin/time -f %M`); the server's CPU over the run (every PostgreSQL process, from
#      /proc: steadier than wall time on a shared VM) and the WAL it wrote (pg_current_wal_insert_lsn before
#      and after: the same rows give the same bytes whatever the VM's speed). Median of BENCH_RUNS runs each.
#   1b. A customer's own export format (issue 9): the BENCH_MAPPED_ROWS file in the realistic style
#      (`samples generate --style realistic`: payer aliases, 0.00 on pending claims) against the same
#      claims in the mapped style (`--style mapped`: Windows-1252, '|', the customer's header names,
#      MM/DD/YYYY dates, $1,234.50 amounts, read through pipelines/profiles/<customer>.yaml), both through
#      `driftline run`, alternately. Target: mapped within 10% of the plain file's rows/s.
#   2. Validation throughput (issue 3): `driftline validate` on the BENCH_VALIDATE_ROWS file with a 10-rule
#      set and a 1,000-rule set (25 payers x 150 CPT codes, each row in scope of 10 rules), alternately,
#      BENCH_VALIDATE_RUNS times each. Reported as the fastest run (the one least disturbed by neighbours on
#      a shared machine) and the median.
#   3. Load cost of the drift indexes (issue 11): with BENCH_INDEX_AB=1, every load run of step 1 has one more
#      driftline run with BENCH_DRIFT_INDEX (claims_decided_upload_idx) dropped (re-created,
#      untimed, afterwards with BENCH_DRIFT_INDEX_SQL), after the run with them in odd runs, before it in even
#      ones: with vs without, in wall time and in the server's CPU. With BENCH_DRIFT_AB=1, each update night
#      (issue 14, below) is loaded once more without everything the drift design adds to a load that updates
#      claims (that index dropped, the retraction trigger on claims disabled), in the same alternating order.
#   4. Drift (issue 11): for each row count in BENCH_DRIFT_ROWS, that many claims (`samples generate --drift`,
#      BENCH_DRIFT_CUSTOMERS customers, Pareto-sized, 560 days of decisions: service dates span ~2 years) are
#      loaded through `driftline run`; with BENCH_DRIFT_LAYOUT=nightly (the default) the table is then rewritten
#      in the order two years of nightly uploads leave it (by arrival night, each night's customers one after
#      the other; `upload` keeps the order of one history file per customer); vacuumed (the nightly
#      autovacuum's job: visibility, BRIN ranges; the scan's own BRIN on decided_date is created first, claims has
#      none since migration 0020); one untimed `driftline drift` summarizes the history
#      (decision_days). Then, alternately, BENCH_RUNS times each: one plain `SELECT customer_id, payer,
#      cpt_group, count(*) … GROUP BY 1, 2, 3` over the windows' rows, and `driftline drift --as-of` (refresh the
#      summary, aggregate, detect, insert; the events table emptied before each run) after one night's changes
#      (untimed: the claims decided on the as-of date updated by a new upload per customer, in SQL).
#   5. Memory (issue 14): peak RSS from `/usr/bin/time -v` ("Maximum resident set size", the same getrusage
#      figure as the load runs' %M) of `driftline run` (the largest of the step-1 runs) and of one
#      `driftline validate` with rules/ at each BENCH_ROWS size, beside the start-up alone (`driftline --help`,
#      `driftline validate` of a 10-row file). Target: ≤ 32 MiB.
#      History doubled at the same window volume: BENCH_DRIFT_HISTORY_ROWS / 2 claims over 280 days against
#      BENCH_DRIFT_HISTORY_ROWS over 560 days, measured the same way.
#
# Environment: DATABASE_URL (required; the Makefile sets it), BENCH_RUNS (3), BENCH_ROWS ("1000000 4000000"; "" = none),
# BENCH_INDEX_AB (0), BENCH_DRIFT_AB (0), BENCH_DRIFT_ROWS ("5000000 20000000"; "" = none), BENCH_DRIFT_CUSTOMERS (300),
# BENCH_DRIFT_HISTORY_ROWS (5000000; "" = none), BENCH_DRIFT_LAYOUT (nightly | upload),
# BENCH_DRIFT_DATA (a folder that keeps the generated drift data between benchmarks; default: under bench-out/work),
# BENCH_DRIFT_BASELINE_BIN (another driftline binary whose `drift` is timed alternately too, e.g. main's),
# BENCH_DRIFT_AFTER_LOAD_SQL (run after each drift load, e.g. an index to try; "CREATE INDEX …"),
# BENCH_VALIDATE_RUNS (7),
# BENCH_KEEP (0; 1 leaves the last drift data in the database), BENCH_VALIDATE_ROWS (1000000), BENCH_MAPPED_ROWS (1000000; "" = none), BENCH_SEED (7), DRIFTLINE_BIN (.build/release/driftline),
# BENCH_KEEP=1 keeps the generated files under bench-out/work.
#
# WARNING: TRUNCATEs driftline.claims, uploads, inbox_files, rejects and upload_findings before every
# driftline run, and again at the end. It refuses a database that is not on this machine unless BENCH_FORCE=1.
#
# Output: the table on stdout and in bench-out/results.txt; every single run in bench-out/runs.tsv.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
BIN=${DRIFTLINE_BIN:-$ROOT/.build/release/driftline}
RUNS=${BENCH_RUNS:-3}
VALIDATE_RUNS=${BENCH_VALIDATE_RUNS:-7}
ROWS_LIST=${BENCH_ROWS-"1000000 4000000"}  # BENCH_ROWS="" = validation only
VALIDATE_ROWS=${BENCH_VALIDATE_ROWS:-1000000}
MAPPED_ROWS=${BENCH_MAPPED_ROWS-1000000}
UPDATE_ROWS=${BENCH_UPDATE_ROWS-1000000}
UPDATE_SHARE=${BENCH_UPDATE_SHARE:-0.6}
DRIFT_ROWS_LIST=${BENCH_DRIFT_ROWS-"5000000 20000000"}
DRIFT_HISTORY_ROWS=${BENCH_DRIFT_HISTORY_ROWS-5000000}
DRIFT_LAYOUT=${BENCH_DRIFT_LAYOUT:-nightly}
[[ $DRIFT_LAYOUT == nightly || $DRIFT_LAYOUT == upload ]] || die "BENCH_DRIFT_LAYOUT must be nightly or upload"
DRIFT_CUSTOMERS=${BENCH_DRIFT_CUSTOMERS:-300}
INDEX_AB=${BENCH_INDEX_AB:-0}
DRIFT_AB=${BENCH_DRIFT_AB:-0}
SEED=${BENCH_SEED:-7}
AS_OF=2026-11-21
OUT=$ROOT/bench-out
WORK=$OUT/work
TIME=/usr/bin/time

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

: "${DATABASE_URL:?bench: DATABASE_URL is not set (run it through make bench)}"
[[ -x $BIN ]] || die "$BIN not found (make release)"
BIN=$(realpath "$BIN")
[[ -x $TIME ]] || die "$TIME not found (apt-get install time)"
command -v psql >/dev/null || die "psql not found"
command -v python3 >/dev/null || die "python3 not found"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer"
[[ $VALIDATE_RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_VALIDATE_RUNS must be a positive integer"

PSQL=(env PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" psql "$DATABASE_URL" -X -q -v ON_ERROR_STOP=1)
sql() { "${PSQL[@]}" -Atc "$1"; }

server=$(sql "SELECT coalesce(host(inet_server_addr()), 'local socket')")
case $server in
    "local socket" | 127.* | ::1) ;;
    *) [[ ${BENCH_FORCE:-} == 1 ]] || die "database server is $server, not this machine; the benchmark truncates driftline tables (BENCH_FORCE=1 to go on)" ;;
esac
# The postmaster's pid, for server_cpu (empty when its data directory cannot be read here: no server CPU column).
SERVER_PID=$(head -1 "$(sql 'SHOW data_directory')/postmaster.pid" 2>/dev/null || true)
[[ $SERVER_PID =~ ^[0-9]+$ && -r /proc/$SERVER_PID/stat ]] || SERVER_PID=

rm -rf "$WORK"
mkdir -p "$WORK"
cleanup() {
    local status=$?
    [[ ${BENCH_KEEP:-} == 1 ]] || rm -rf "$WORK"
    exit $status
}
trap cleanup EXIT

RAW=$OUT/runs.tsv
printf 'what\trows\trun\tseconds\tpeak_rss_kib\texit\tcpu_seconds\tserver_cpu_seconds\twal_bytes\n' >"$RAW"

now() { date +%s.%N; }
# user + system CPU seconds of the process /usr/bin/time measured (less noisy than wall time on a shared machine)
cpu_of() { tail -1 "$1" | awk '{printf "%.2f", $3 + $4}'; }
# CPU seconds the PostgreSQL server has used so far, every process of it: the postmaster's own and its exited
# children's (cutime, cstime: a backend's time is added to them when the postmaster reaps it) and its live
# children's (backends, WAL writer, checkpointer, autovacuum). The difference across a run is what the server
# spent on it: the load's share of the 2 cores whatever else the VM runs, where wall time swings by ±40%.
server_cpu() {
    [[ -n $SERVER_PID ]] || { echo ""; return; }
    # A child reaped between reading the postmaster and listing its children would be missed (or, the other
    # way round, counted twice): read until two readings agree, the server idle between them.
    local reading previous="" tries
    for tries in 1 2 3 4 5 6 7 8 9 10; do
        reading=$({ cat "/proc/$SERVER_PID/stat"; for child in $(pgrep -P "$SERVER_PID"); do cat "/proc/$child/stat" 2>/dev/null; done; } |
            awk -v hz="$(getconf CLK_TCK)" '{sub(/^.*\) /, ""); total += $12 + $13 + $14 + $15} END {printf "%.2f", total / hz}')
        [[ -n $previous ]] && awk -v a="$previous" -v b="$reading" 'BEGIN {exit !(b - a < 0.03 && a - b < 0.03)}' && break
        previous=$reading
        sleep 0.05
    done
    echo "$reading"
}
# median of the numbers on stdin
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "nan"; exit} if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
# spread of the numbers on stdin: min-max
spread() { sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.2f-%.2f", lo, hi}'; }
# column 4 (seconds) or 5 (rss) of the raw rows for WHAT/ROWS
raw() { awk -F'\t' -v w="$1" -v r="$2" -v c="$3" '$1==w && $2==r {print $c}' "$RAW"; }

# ------------------------------------------------------------------------------------------------- set-up
"${PSQL[@]}" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS bench;
DROP TABLE IF EXISTS bench.claims_copy;
-- The 14 upload columns, typed and constrained as driftline.claims defines them (its own columns dropped).
CREATE TABLE bench.claims_copy (LIKE driftline.claims INCLUDING CONSTRAINTS INCLUDING INDEXES);
ALTER TABLE bench.claims_copy DROP COLUMN cpt_group, DROP COLUMN upload_id, DROP COLUMN line_no,
    DROP COLUMN updated_at, DROP COLUMN first_load;
SQL

# The driftline workspace: a copy of the nightly pipeline, rules pointing at the repo's rules/.
WS=$WORK/ws
mkdir -p "$WS"
# The load benchmark times load → report: the drift stage is timed on its own (step 4).
sed -E "s|^rules:[[:space:]]*[^#]*|rules: $ROOT/rules   |; s|^settle_seconds:[[:space:]]*[0-9.]+|settle_seconds: 0|; /^  - drift/d; /^drift:/,/^[^ ]/{/^drift:/d; /^ /d}" \
    "$ROOT/pipelines/nightly.yaml" >"$WS/bench.yaml"
grep -q "^rules: $ROOT/rules" "$WS/bench.yaml" || die "could not point $WS/bench.yaml at $ROOT/rules"

# Rule sets for the validation benchmark.
python3 "$ROOT/scripts/bench/gen_rules.py" "$ROOT/Sources/DriftlineSamples/SampleCatalog.swift" \
    "$ROOT/rules" "$WORK/rules" >&2

generate() { # rows [style] -> prints the path of the generated file
    local rows=$1 style=${2:-canonical} dir=$WORK/data-$1-${2:-canonical}
    if [[ ! -d $dir ]]; then
        "$BIN" samples generate --out "$dir" --rows "$rows" --customers 1 --seed "$SEED" --as-of "$AS_OF" \
            --style "$style" >&2
    fi
    local files=("$dir"/*/claims-"$SEED".*)
    [[ ${#files[@]} == 1 && -f ${files[0]} ]] || die "expected one $dir/<customer>/claims-$SEED.*"
    echo "${files[0]}"
}

reset_claims() {
    sql "TRUNCATE driftline.claims, driftline.uploads, driftline.inbox_files, driftline.rejects,
                  driftline.upload_findings CASCADE" >/dev/null
    sql "DROP INDEX IF EXISTS driftline.bench_decided_brin" >/dev/null  # the drift step's scan's, below
}

# -------------------------------------------------------------------------------------------- the runs
run_psql() { # file rows run [label]
    local file=$1 rows=$2 run=$3 label=${4:-psql} columns
    columns=$(head -1 "$file")
    sql "TRUNCATE bench.claims_copy" >/dev/null
    sql "CHECKPOINT" >/dev/null
    local start end status=0 mark server
    mark=$(server_mark)
    start=$(now)
    "${PSQL[@]}" -c "\\copy bench.claims_copy ($columns) FROM '$file' WITH (FORMAT csv, HEADER true)" \
        >"$WORK/psql.log" 2>&1 || status=$?
    end=$(now)
    server=$(server_since "$mark")
    [[ $status == 0 ]] || { cat "$WORK/psql.log" >&2; die "psql \\copy failed"; }
    local loaded
    loaded=$(sql "SELECT count(*) FROM bench.claims_copy")
    [[ $loaded == "$rows" ]] || note "psql run $run loaded $loaded rows, expected $rows"
    printf '%s\t%s\t%s\t%s\t\t%s\t\t%s\n' "$label" "$rows" "$run" "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')" \
        "$status" "$server" >>"$RAW"
}

cpu_delta() { [[ -n $1 && -n $2 ]] && awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b - a}'; }
# The server's WAL insert position, and the bytes written between two of them: what a load writes, whatever the
# VM's speed (the same rows give the same WAL, give or take autovacuum and a checkpoint's full-page images).
wal_lsn() { sql "SELECT pg_current_wal_insert_lsn()"; }
wal_delta() { sql "SELECT pg_wal_lsn_diff('$2', '$1')::bigint"; }
# The server's CPU and WAL position now ("cpu lsn"); server_since MARK prints the server CPU seconds and the WAL
# bytes since MARK, tab-separated (the runs.tsv columns server_cpu_seconds and wal_bytes).
server_mark() { echo "$(server_cpu) $(wal_lsn)"; }
server_since() {
    local cpu0 wal0
    read -r cpu0 wal0 <<<"$1"
    [[ -n $wal0 ]] || { wal0=$cpu0; cpu0=; }  # no server CPU column (server_cpu empty)
    printf '%s\t%s' "$(cpu_delta "$cpu0" "$(server_cpu)")" "$(wal_delta "$wal0" "$(wal_lsn)")"
}

run_driftline() { # file rows run [label]
    local file=$1 rows=$2 run=$3 label=${4:-driftline} customer
    customer=$(basename "$(dirname "$file")")
    reset_claims
    sql "CHECKPOINT" >/dev/null
    rm -rf "$WS/inbox" "$WS/archive" "$WS/rejected" "$WS/metrics"
    mkdir -p "$WS/inbox/$customer"
    cp "$file" "$WS/inbox/$customer/"
    touch -d '2 minutes ago' "$WS/inbox/$customer/$(basename "$file")"
    local start end status=0 mark server
    mark=$(server_mark)
    start=$(now)
    (cd "$WS" && "$TIME" -f '%e %M %U %S' -o "$WORK/time.out" \
        "$BIN" run --pipeline bench.yaml --as-of "$AS_OF" --settle-seconds 0 >"$WORK/run.out" 2>"$WORK/run.err") ||
        status=$?
    end=$(now)
    server=$(server_since "$mark")
    local summary rss
    summary=$(grep '^run ' "$WORK/run.out" || true)
    rss=$(tail -1 "$WORK/time.out" | awk '{print $2}')
    if [[ $status != 0 ]]; then
        tail -20 "$WORK/run.err" >&2
        die "driftline run exited $status: $summary"
    fi
    [[ $summary == *"rows read $rows, loaded $rows, rejected 0"* ]] ||
        note "driftline run $run: unexpected summary: $summary"
    local loaded
    loaded=$(sql "SELECT count(*) FROM driftline.claims")
    [[ $loaded == "$rows" ]] || note "driftline run $run: driftline.claims holds $loaded rows, expected $rows"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$rows" "$run" \
        "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')" "$rss" "$status" "$(cpu_of "$WORK/time.out")" \
        "$server" >>"$RAW"
}

run_validate() { # file rows set run
    local file=$1 rows=$2 set=$3 run=$4 start end status=0
    start=$(now)
    "$TIME" -f '%e %M %U %S' -o "$WORK/time.out" "$BIN" validate "$file" --rules "$WORK/rules/rules-$set" \
        --as-of "$AS_OF" --format json --output /dev/null >"$WORK/validate.out" 2>&1 || status=$?
    end=$(now)
    # 0: no error findings, 65: error findings (data, not a failure); anything else is.
    if [[ $status != 0 && $status != 65 ]]; then
        cat "$WORK/validate.out" >&2
        die "driftline validate with rules-$set exited $status"
    fi
    printf 'validate-%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$set" "$rows" "$run" \
        "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')" "$(tail -1 "$WORK/time.out" | awk '{print $2}')" \
        "$status" "$(cpu_of "$WORK/time.out")" >>"$RAW"
}

# Peak RSS of one command from `/usr/bin/time -v`: a row `what rows 1 seconds rss exit` in runs.tsv.
run_rss() { # what rows command...
    local what=$1 rows=$2 status=0
    shift 2
    "$TIME" -v -o "$WORK/time-v.out" "$@" >/dev/null 2>"$WORK/rss.err" || status=$?
    if [[ $status != 0 && $status != 65 ]]; then
        tail -5 "$WORK/rss.err" >&2
        die "$what exited $status"
    fi
    printf '%s\t%s\t1\t%s\t%s\t%s\t\n' "$what" "$rows" \
        "$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$WORK/time-v.out")" \
        "$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time-v.out")" "$status" >>"$RAW"
}

validate_rss() { # file rows
    run_rss validate-rss "$2" "$BIN" validate "$1" --rules "$ROOT/rules" --as-of "$AS_OF" --format json --output /dev/null
}

validate_runs() { # file rows
    note "validate $2 rows: 10 vs 1000 rules, $VALIDATE_RUNS runs each, alternating"
    for ((run = 1; run <= VALIDATE_RUNS; run++)); do
        run_validate "$1" "$2" 10 "$run"
        run_validate "$1" "$2" 1000 "$run"
        note "  run $run: 10 rules $(raw validate-10 "$2" 4 | tail -1)s, 1000 rules $(raw validate-1000 "$2" 4 | tail -1)s"
    done
}

# The drift design's index on claims, as 0022_claims_decided_upload_index.sql creates it (the drift summary's
# refresh: the decided claims of the uploads after a customer's first); step 3 drops and re-creates it. (0004's
# BRIN on decided_date, the other one until 0020 dropped it, can be tried again with BENCH_DRIFT_INDEX and
# BENCH_DRIFT_INDEX_SQL.)
DRIFT_INDEXES=${BENCH_DRIFT_INDEX:-"claims_decided_upload_idx"}
DRIFT_INDEX_SQL=${BENCH_DRIFT_INDEX_SQL:-"CREATE INDEX claims_decided_upload_idx ON driftline.claims (upload_id) WHERE first_load IS NULL AND outcome <> 'pending'"}
for index in $DRIFT_INDEXES; do
    sql "SELECT 1 FROM pg_indexes WHERE schemaname = 'driftline' AND indexname = '$index'" | grep -q 1 ||
        die "driftline.$index is missing (driftline db migrate)"
done
DRIFT_INDEX=${DRIFT_INDEXES// /+}

run_without_drift_indexes() { # file rows run: step 3, one driftline run with the drift design's indexes dropped
    reset_claims
    for index in $DRIFT_INDEXES; do sql "DROP INDEX driftline.$index" >/dev/null; done
    run_driftline "$1" "$2" "$3" driftline-noindex
    reset_claims
    sql "$DRIFT_INDEX_SQL" >/dev/null
    note "  run $3: driftline without $DRIFT_INDEX $(raw driftline-noindex "$2" 4 | tail -1)s"
}

declare -A SIZE
validated=
# Start-up alone: what the binary, its libraries and the rule set cost before any upload.
run_rss help 0 "$BIN" --help
validate_rss "$(generate 10)" 10
for rows in $ROWS_LIST; do
    file=$(generate "$rows")
    SIZE[$rows]=$(stat -c %s "$file")
    note "load $rows rows ($(awk -v b="${SIZE[$rows]}" 'BEGIN{printf "%.1f", b/1e6}') MB), $RUNS runs each, alternating"
    for ((run = 1; run <= RUNS; run++)); do
        run_psql "$file" "$rows" "$run"
        # The A/B alternates its order too (with, without; then without, with), so that neither side always
        # follows the psql run (and its page cache, checkpoint and WAL recycling).
        if [[ $INDEX_AB == 1 && $((run % 2)) == 0 ]]; then run_without_drift_indexes "$file" "$rows" "$run"; fi
        run_driftline "$file" "$rows" "$run"
        note "  run $run: psql $(raw psql "$rows" 4 | tail -1)s, driftline $(raw driftline "$rows" 4 | tail -1)s"
        if [[ $INDEX_AB == 1 && $((run % 2)) == 1 ]]; then run_without_drift_indexes "$file" "$rows" "$run"; fi
    done
    validate_rss "$file" "$rows"
    if [[ $rows == "$VALIDATE_ROWS" ]]; then
        validated=1
        validate_runs "$file" "$rows"
    fi
    [[ ${BENCH_KEEP:-} == 1 ]] || rm -rf "$WORK/data-$rows-canonical"
done

if [[ -n $MAPPED_ROWS ]]; then
    plain=$(generate "$MAPPED_ROWS" realistic)
    mapped=$(generate "$MAPPED_ROWS" mapped)
    profile=$(dirname "$(dirname "$mapped")")/profiles/$(basename "$(dirname "$mapped")").yaml
    SIZE[plain]=$(stat -c %s "$plain")
    SIZE[mapped]=$(stat -c %s "$mapped")
    note "mapped export: $MAPPED_ROWS rows, realistic .csv vs Windows-1252 '|' .psv, $RUNS runs each, alternating"
    for ((run = 1; run <= RUNS; run++)); do
        rm -rf "$WS/profiles"
        run_driftline "$plain" "$MAPPED_ROWS" "$run" plain
        mkdir -p "$WS/profiles" && cp "$profile" "$WS/profiles/"
        run_driftline "$mapped" "$MAPPED_ROWS" "$run" mapped
        note "  run $run: plain $(raw plain "$MAPPED_ROWS" 4 | tail -1)s, mapped $(raw mapped "$MAPPED_ROWS" 4 | tail -1)s"
    done
    rm -rf "$WS/profiles"
fi
if [[ -z $validated ]]; then
    file=$(generate "$VALIDATE_ROWS")
    SIZE[$VALIDATE_ROWS]=$(stat -c %s "$file")
    validate_runs "$file" "$VALIDATE_ROWS"
fi

# ----------------------------------------------------------------------------------------- update nights
# Issue 14: the night after. STORED (the night before) and NEW claims come from two generator seeds;
# scripts/bench/gen_update_night.py writes night1.csv (STORED, with the claims night 2 decides still pending),
# night2.csv (UPDATE_SHARE of its rows those claims decided, the rest new, shuffled) and updates.csv (every
# claim of night 1 decided or corrected by a cent: all updates). Each timed run starts from night 1 loaded
# (untimed, then VACUUM ANALYZE and CHECKPOINT, as the nightly autovacuum would leave it):
#   driftline  — `driftline run` over an inbox holding the night's file;
#   psql-merge — one transaction: `\copy` into a temp table, INSERT … SELECT … ON CONFLICT DO UPDATE into
#                bench.claims_copy (the same 14 columns, constraints and indexes);
#   psql-copy  — a plain `\copy` of the same file into an empty bench.claims_copy (night2 only).
load_inbox() { # file label rows run: `driftline run` over an inbox holding file (claims are NOT reset)
    local file=$1 label=$2 rows=$3 run=$4 customer=$5 start end status=0 mark server
    rm -rf "$WS/inbox" "$WS/archive" "$WS/rejected" "$WS/metrics"
    mkdir -p "$WS/inbox/$customer"
    cp "$file" "$WS/inbox/$customer/$label-$run.csv"
    touch -d '2 minutes ago' "$WS/inbox/$customer/$label-$run.csv"
    mark=$(server_mark)
    start=$(now)
    (cd "$WS" && "$TIME" -f '%e %M %U %S' -o "$WORK/time.out" \
        "$BIN" run --pipeline bench.yaml --as-of "$AS_OF" --settle-seconds 0 >"$WORK/run.out" 2>"$WORK/run.err") ||
        status=$?
    end=$(now)
    server=$(server_since "$mark")
    if [[ $status != 0 ]]; then
        tail -20 "$WORK/run.err" >&2
        die "driftline run ($label) exited $status: $(grep '^run ' "$WORK/run.out" || true)"
    fi
    [[ $label == night1 ]] && return 0
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$rows" "$run" \
        "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')" "$(tail -1 "$WORK/time.out" | awk '{print $2}')" \
        "$status" "$(cpu_of "$WORK/time.out")" "$server" >>"$RAW"
    UPDATE_SUMMARY[$label]=$(grep '^run ' "$WORK/run.out" || true)
}

psql_merge() { # file label rows run
    local file=$1 label=$2 rows=$3 run=$4 columns start end status=0 set
    columns=$(head -1 "$file")
    set=$(echo "$columns" | tr ',' '\n' | grep -vE '^(customer_id|claim_id)$' | awk '{printf "%s%s = EXCLUDED.%s", (NR>1?", ":""), $1, $1}')
    sql "TRUNCATE bench.claims_copy" >/dev/null
    "${PSQL[@]}" -c "\\copy bench.claims_copy ($columns) FROM '$NIGHT1' WITH (FORMAT csv, HEADER true)" >/dev/null
    sql "VACUUM ANALYZE bench.claims_copy" >/dev/null
    sql "CHECKPOINT" >/dev/null
    start=$(now)
    "${PSQL[@]}" >"$WORK/psql.log" 2>&1 <<PSQL || status=$?
BEGIN;
CREATE TEMP TABLE night (LIKE bench.claims_copy) ON COMMIT DROP;
\\copy night ($columns) FROM '$file' WITH (FORMAT csv, HEADER true)
INSERT INTO bench.claims_copy SELECT * FROM night ON CONFLICT (customer_id, claim_id) DO UPDATE SET $set;
COMMIT;
PSQL
    end=$(now)
    [[ $status == 0 ]] || { cat "$WORK/psql.log" >&2; die "psql merge failed"; }
    printf 'psql-merge-%s\t%s\t%s\t%s\t\t%s\t\n' "$label" "$rows" "$run" "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')" \
        "$status" >>"$RAW"
}

# With BENCH_DRIFT_AB=1, each night is loaded once more without what the drift design adds to an update night
# (issue 11's load budget): the upload index (dropped) and the retraction trigger on updates of decided claims
# (disabled); both are back before the next run. Labelled <night>-nodrift.
load_night_without_drift() { # night label rows run customer
    reset_claims
    load_inbox "$NIGHT1" night1 "$3" "$4" "$5"
    for index in $DRIFT_INDEXES; do sql "DROP INDEX driftline.$index" >/dev/null; done
    sql "ALTER TABLE driftline.claims DISABLE TRIGGER claims_retract_decision" >/dev/null
    sql "VACUUM ANALYZE driftline.claims" >/dev/null
    sql "CHECKPOINT" >/dev/null
    load_inbox "$1" "$2-nodrift" "$3" "$4" "$5"
    sql "ALTER TABLE driftline.claims ENABLE TRIGGER claims_retract_decision" >/dev/null
    reset_claims
    sql "$DRIFT_INDEX_SQL" >/dev/null
}

declare -A UPDATE_SUMMARY
if [[ -n $UPDATE_ROWS ]]; then
    stored=$(generate "$UPDATE_ROWS")
    new_dir=$WORK/data-$UPDATE_ROWS-new
    [[ -d $new_dir ]] || "$BIN" samples generate --out "$new_dir" --rows "$UPDATE_ROWS" --customers 1 --seed $((SEED + 1)) \
        --as-of "$AS_OF" >&2
    new=$(ls "$new_dir"/*/claims-$((SEED + 1)).csv)
    customer=$(basename "$(dirname "$stored")")
    [[ $(basename "$(dirname "$new")") == "$customer" ]] || die "the two generated files are for different customers"
    nights=$WORK/nights-$UPDATE_ROWS
    mkdir -p "$nights"
    python3 "$ROOT/scripts/bench/gen_update_night.py" "$stored" "$new" "$nights" --update-share "$UPDATE_SHARE" >&2
    NIGHT1=$nights/night1.csv
    SIZE[night2]=$(stat -c %s "$nights/night2.csv")
    note "update nights: $UPDATE_ROWS rows on top of $UPDATE_ROWS stored ($UPDATE_SHARE updates), $RUNS runs each, alternating"
    for ((run = 1; run <= RUNS; run++)); do
        for label in night2 updates; do
            # The A/B alternates its order: without the drift design first in even runs, last in odd ones.
            if [[ $DRIFT_AB == 1 && $((run % 2)) == 0 ]]; then
                load_night_without_drift "$nights/$label.csv" "$label" "$UPDATE_ROWS" "$run" "$customer"
            fi
            reset_claims
            load_inbox "$NIGHT1" night1 "$UPDATE_ROWS" "$run" "$customer"
            sql "VACUUM ANALYZE driftline.claims" >/dev/null
            sql "CHECKPOINT" >/dev/null
            load_inbox "$nights/$label.csv" "$label" "$UPDATE_ROWS" "$run" "$customer"
            psql_merge "$nights/$label.csv" "$label" "$UPDATE_ROWS" "$run"
            if [[ $DRIFT_AB == 1 && $((run % 2)) == 1 ]]; then
                load_night_without_drift "$nights/$label.csv" "$label" "$UPDATE_ROWS" "$run" "$customer"
            fi
        done
        run_psql "$nights/night2.csv" "$UPDATE_ROWS" "$run" psql-copy-night2
        note "  run $run: night2 driftline $(raw night2 "$UPDATE_ROWS" 4 | tail -1)s, psql merge $(raw psql-merge-night2 "$UPDATE_ROWS" 4 | tail -1)s, psql copy $(raw psql-copy-night2 "$UPDATE_ROWS" 4 | tail -1)s; all updates driftline $(raw updates "$UPDATE_ROWS" 4 | tail -1)s, psql merge $(raw psql-merge-updates "$UPDATE_ROWS" 4 | tail -1)s"
    done
    [[ ${BENCH_KEEP:-} == 1 ]] || rm -rf "$nights" "$new_dir"
fi

# ------------------------------------------------------------------------------------------------- drift
run_drift() { # label run [what binary]
    local label=$1 run=$2 what=${3:-drift} bin=${4:-$BIN} start end status=0
    sql "TRUNCATE driftline.drift_events" >/dev/null
    start=$(now)
    (cd "$WS" && "$TIME" -f '%e %M %U %S' -o "$WORK/time.out" \
        "$bin" drift --as-of "$DRIFT_AS_OF" >"$WORK/drift.out" 2>"$WORK/drift.err") || status=$?
    end=$(now)
    [[ $status == 0 ]] || { tail -20 "$WORK/drift.err" >&2; die "driftline drift exited $status"; }
    printf "$what"'\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$run" "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')" \
        "$(tail -1 "$WORK/time.out" | awk '{print $2}')" "$status" "$(cpu_of "$WORK/time.out")" >>"$RAW"
    # The aggregation alone, as the stage logs it (aggregate_ms: the statements and building the histograms).
    printf "$what"'-aggregate\t%s\t%s\t%s\t\t0\t\n' "$label" "$run" \
        "$(grep -o 'aggregate_ms=[0-9]*' "$WORK/drift.err" | head -1 | awk -F= '{printf "%.3f", $2 / 1000}')" >>"$RAW"
}

run_scan() { # label run
    local label=$1 run=$2 start end
    start=$(now)
    sql "SELECT count(*) FROM (SELECT customer_id, payer, cpt_group, count(*) FROM driftline.claims
          WHERE decided_date BETWEEN '$DRIFT_FROM' AND '$DRIFT_AS_OF' GROUP BY 1, 2, 3) AS groups" >"$WORK/scan.out"
    end=$(now)
    printf 'scan\t%s\t%s\t%s\t\t0\t\n' "$label" "$run" "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')" >>"$RAW"
}

# Loads ROWS generated claims over DAYS days of decisions (generated into BENCH_DRIFT_DATA/drift-<rows>-<days>
# unless there already) and, for the nightly layout, rewrites the table in the order two years of nightly
# uploads leave it: by the night a claim arrives (its decision date, or its submission while pending), each
# night's customers one after the other.
load_drift() { # rows days
    local rows=$1 days=$2 dir=${BENCH_DRIFT_DATA:-$WORK}/drift-$1-$2 start end
    if [[ ! -d $dir ]]; then
        note "drift: generate $rows rows over $days days for $DRIFT_CUSTOMERS customers"
        "$BIN" samples generate --out "$dir" --rows "$rows" --customers "$DRIFT_CUSTOMERS" --seed "$SEED" \
            --as-of "$AS_OF" --history-days "$days" --drift >&2
    fi
    reset_claims
    sql "TRUNCATE driftline.drift_events" >/dev/null
    rm -rf "$WS/inbox" "$WS/archive" "$WS/rejected" "$WS/metrics"
    mkdir -p "$WS/inbox"
    cp -r "$dir"/*/ "$WS/inbox/"
    rm -rf "$WS/inbox/profiles"
    find "$WS/inbox" -type f -exec touch -d '2 minutes ago' {} +
    start=$(now)
    (cd "$WS" && "$BIN" run --pipeline bench.yaml --as-of "$AS_OF" --settle-seconds 0 >"$WORK/run.out" 2>"$WORK/run.err") ||
        { tail -20 "$WORK/run.err" >&2; die "loading the drift data failed"; }
    end=$(now)
    DRIFT_LOAD_S=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')
    note "drift: loaded in ${DRIFT_LOAD_S}s: $(grep '^run ' "$WORK/run.out")"
    rm -rf "$WS/inbox" "$WS/archive"
    if [[ $DRIFT_LAYOUT == nightly ]]; then
        start=$(now)
        "${PSQL[@]}" >/dev/null <<'SQL'
SET client_min_messages = warning;
BEGIN;
CREATE TEMP TABLE claims_nightly ON COMMIT DROP AS
    SELECT * FROM driftline.claims ORDER BY coalesce(decided_date, submitted_date), customer_id, claim_id;
TRUNCATE driftline.claims;
INSERT INTO driftline.claims SELECT * FROM claims_nightly;
COMMIT;
SQL
        end=$(now)
        note "drift: rewritten in nightly order in $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')s"
    fi
    [[ -z ${BENCH_DRIFT_AFTER_LOAD_SQL:-} ]] || sql "$BENCH_DRIFT_AFTER_LOAD_SQL" >/dev/null
    # The plain scan's index: a BRIN on decided_date finds the windows' pages of a table in arrival order, as a
    # plain query over those rows would be given (claims itself has none since 0020: the stage reads the summary).
    sql "CREATE INDEX IF NOT EXISTS bench_decided_brin ON driftline.claims USING brin (decided_date)
             WITH (pages_per_range = 32)" >/dev/null
    sql "VACUUM ANALYZE driftline.claims" >/dev/null
    # The history's summary (decision_days, migration 0014): the first drift run after the load builds it from
    # every upload; untimed, reported beside the load. Every timed run then finds one night to add (below).
    start=$(now)
    (cd "$WS" && "$BIN" drift --as-of "$DRIFT_AS_OF" >/dev/null 2>"$WORK/drift.err") ||
        { tail -20 "$WORK/drift.err" >&2; die "building the drift summary failed"; }
    end=$(now)
    DRIFT_BUILD_S=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}')
    sql "VACUUM ANALYZE driftline.decision_days" >/dev/null
    note "drift: history summarized in ${DRIFT_BUILD_S}s ($(sql "SELECT count(*) FROM driftline.decision_days") rows)"
}

# One night's changes for the next drift run to summarize: the claims decided on the as-of date come again, as
# an update-heavy night brings them (the merge's UPDATE, here done in SQL, untimed), each customer's in a new
# upload: the refresh adds them and subtracts the versions they replace (the retraction trigger fires for
# each, a decided claim replaced). The same values: the drift found stays the same.
restamp_night() {
    "${PSQL[@]}" -v day="$DRIFT_AS_OF" >/dev/null <<'SQL'
SET client_min_messages = warning;
BEGIN;
CREATE TEMP TABLE night ON COMMIT DROP AS
    SELECT DISTINCT customer_id FROM driftline.claims WHERE decided_date = :'day';
CREATE TEMP TABLE night_uploads ON COMMIT DROP AS
    WITH u AS (
        INSERT INTO driftline.uploads (customer_id, file_name, sha256, size_bytes, status)
        SELECT customer_id, 'bench-night.csv', encode(sha256((customer_id || clock_timestamp())::bytea), 'hex'), 0, 'loaded'
          FROM night RETURNING upload_id, customer_id)
    SELECT * FROM u;
UPDATE driftline.claims AS c SET upload_id = n.upload_id, updated_at = now(), first_load = NULL
  FROM night_uploads AS n WHERE c.customer_id = n.customer_id AND c.decided_date = :'day';
COMMIT;
SQL
}

# Alternately, DRIFT_RUNS times each: the plain scan and `driftline drift` on what load_drift loaded.
measure_drift() { # label
    local label=$1 run
    DRIFT_WINDOW_ROWS[$label]=$(sql "SELECT count(*) FROM driftline.claims WHERE decided_date BETWEEN '$DRIFT_FROM' AND '$DRIFT_AS_OF'")
    DRIFT_GROUPS[$label]=$(sql "SELECT count(DISTINCT (customer_id, payer, cpt_group)) FROM driftline.claims
                        WHERE decided_date BETWEEN '$DRIFT_FROM' AND '$DRIFT_AS_OF'")
    DRIFT_HEAP_MB[$label]=$(sql "SELECT round(pg_table_size('driftline.claims') / 1e6)")
    DRIFT_NIGHT_ROWS[$label]=$(sql "SELECT count(*) FROM driftline.claims WHERE decided_date = '$DRIFT_AS_OF'")
    DRIFT_SUMMARY_ROWS[$label]=$(sql "SELECT count(*) FROM driftline.decision_days")
    run_scan "$label" 0 && sed -i '$d' "$RAW"  # warm-up, not recorded
    # The stage's warm-up too (a night added, the command run, neither recorded): the scan's warm-up has just
    # read claims through the caches, and the summary's pages would otherwise come in during the first timed run.
    restamp_night
    run_drift "$label" 0 && sed -i '$d' "$RAW" && sed -i '$d' "$RAW"
    for ((run = 1; run <= RUNS; run++)); do
        run_scan "$label" "$run"
        restamp_night
        run_drift "$label" "$run"
        note "  $label run $run: scan $(raw scan "$label" 4 | tail -1)s, drift $(raw drift "$label" 4 | tail -1)s (aggregation $(raw drift-aggregate "$label" 4 | tail -1)s)"
        if [[ -n ${BENCH_DRIFT_BASELINE_BIN:-} ]]; then
            run_drift "$label" "$run" baseline "$BENCH_DRIFT_BASELINE_BIN"
            note "  $label run $run: baseline binary's drift $(raw baseline "$label" 4 | tail -1)s"
        fi
    done
    DRIFT_SUMMARY[$label]=$(tail -1 "$WORK/drift.out")
    sql "TRUNCATE driftline.drift_events" >/dev/null
}

declare -A DRIFT_WINDOW_ROWS DRIFT_GROUPS DRIFT_HEAP_MB DRIFT_SUMMARY DRIFT_LOADED DRIFT_BUILT DRIFT_NIGHT_ROWS DRIFT_SUMMARY_ROWS
DRIFT_LABELS=()
if [[ -n $DRIFT_ROWS_LIST || -n $DRIFT_HISTORY_ROWS ]]; then
    DRIFT_AS_OF=2026-11-20  # the generator's as-of is the day after: its drift windows are the stage's
    DRIFT_FROM=$(date -u -d "$DRIFT_AS_OF - 119 days" +%F)
    for rows in $DRIFT_ROWS_LIST; do
        load_drift "$rows" 560
        DRIFT_LOADED[$rows-560]=$DRIFT_LOAD_S
        DRIFT_BUILT[$rows-560]=$DRIFT_BUILD_S
        DRIFT_LABELS+=("$rows-560")
        measure_drift "$rows-560"
    done
    # The history doubled at the same window volume: half the claims over half the days (280), then all of
    # them over 560 (twice 560 days would put service dates past the rules' three years of timely filing).
    if [[ -n $DRIFT_HISTORY_ROWS ]]; then
        half=$((DRIFT_HISTORY_ROWS / 2))
        load_drift "$half" 280
        DRIFT_LOADED[$half-280]=$DRIFT_LOAD_S
        DRIFT_BUILT[$half-280]=$DRIFT_BUILD_S
        DRIFT_LABELS+=("$half-280")
        measure_drift "$half-280"
        if [[ " $DRIFT_ROWS_LIST " != *" $DRIFT_HISTORY_ROWS "* ]]; then
            load_drift "$DRIFT_HISTORY_ROWS" 560
            DRIFT_LOADED[$DRIFT_HISTORY_ROWS-560]=$DRIFT_LOAD_S
        DRIFT_BUILT[$DRIFT_HISTORY_ROWS-560]=$DRIFT_BUILD_S
            DRIFT_LABELS+=("$DRIFT_HISTORY_ROWS-560")
            measure_drift "$DRIFT_HISTORY_ROWS-560"
        fi
    fi
fi

# Leave the database as a fresh one, not holding the last benchmark upload (BENCH_KEEP=1: keep the last drift
# data loaded, to look into it).
[[ ${BENCH_KEEP:-0} == 1 ]] || reset_claims
sql "DROP SCHEMA bench CASCADE" >/dev/null

# ------------------------------------------------------------------------------------------- the table
{
    echo "Driftline benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+dirty')"
    echo "$(nproc) CPUs, $(sql 'SHOW server_version'), median of $RUNS runs (range in brackets); MB = 10^6 bytes"
    # The stages' cost beside the load grows with the customers a database serves (README, Performance).
    echo "the database serves $(sql 'SELECT count(*) FROM driftline.customers') customers (driftline.customers)"
    echo
    echo "Load: psql \\copy (CSV -> table) vs driftline run (parse, validate with rules/, staging COPY, merge)"
    printf '%-9s %8s | %9s %12s | %9s %12s %8s | %7s %9s | %12s %7s | %8s\n' \
        rows MB "psql s" "psql rows/s" "dl s" "dl rows/s" "dl MB/s" ratio "(>=1.00)" "dl peak RSS" "(<=32M)" "dl CPU s"
    for rows in $ROWS_LIST; do
        ps=$(raw psql "$rows" 4 | median)
        ds=$(raw driftline "$rows" 4 | median)
        rss=$(raw driftline "$rows" 5 | sort -g | tail -1)
        awk -v r="$rows" -v b="${SIZE[$rows]}" -v ps="$ps" -v ds="$ds" -v rss="$rss" -v cpu="$(raw driftline "$rows" 7 | median)" \
            -v psr="$(raw psql "$rows" 4 | spread)" -v dsr="$(raw driftline "$rows" 4 | spread)" 'BEGIN {
            ratio = ps / ds
            printf "%-9d %8.1f | %9.2f %12.0f | %9.2f %12.0f %8.1f | %7.2f %9s | %8.1f MiB %7s | %8.2f\n",
                r, b/1e6, ps, r/ps, ds, r/ds, b/1e6/ds, ratio, (ratio >= 1.0 ? "ok" : "BELOW"),
                rss/1024, (rss/1024 <= 32 ? "ok" : "OVER"), cpu
            printf "%-9s %8s | %22s | %22s\n", "", "", "[" psr " s]", "[" dsr " s]"
        }'
    done
    echo "  ratio = driftline rows/s ÷ psql rows/s (target ≥ 1.0, issue 14); peak RSS = the largest of the driftline runs;"
    echo "  dl CPU s = user+sys of the driftline process (the rest of its wall time is PostgreSQL working)"
    if [[ -n $SERVER_PID ]]; then
        for rows in $ROWS_LIST; do
            awk -v r="$rows" -v p="$(raw psql "$rows" 8 | median)" -v d="$(raw driftline "$rows" 8 | median)" \
                -v pr="$(raw psql "$rows" 8 | spread)" -v dr="$(raw driftline "$rows" 8 | spread)" \
                -v n="$(raw driftline-noindex "$rows" 8 | median)" -v nr="$(raw driftline-noindex "$rows" 8 | spread)" 'BEGIN {
                printf "  server CPU, %d rows (every PostgreSQL process, user+sys): psql %.2f s [%s], driftline %.2f s [%s]", r, p, pr, d, dr
                if (n != "nan") printf "; without the drift indexes %.2f s [%s]: they add %.1f%%", n, nr, (d / n - 1) * 100
                printf "\n"
            }'
        done
    fi
    for rows in $ROWS_LIST; do
        awk -v r="$rows" -v p="$(raw psql "$rows" 9 | median)" -v d="$(raw driftline "$rows" 9 | median)" \
            -v n="$(raw driftline-noindex "$rows" 9 | median)" 'BEGIN {
            if (p == "nan" || d == "nan") exit
            printf "  WAL written, %d rows (median): psql %.1f MB, driftline %.1f MB (%+.1f%%)", r, p / 1e6, d / 1e6, (d / p - 1) * 100
            if (n != "nan") printf "; without the drift indexes %.1f MB: they add %+.2f%%", n / 1e6, (d / n - 1) * 100
            printf "\n"
        }'
    done
    if [[ $INDEX_AB == 1 ]]; then
        for rows in $ROWS_LIST; do
            awk -v r="$rows" -v with="$(raw driftline "$rows" 4 | median)" -v without="$(raw driftline-noindex "$rows" 4 | median)" \
                -v ps="$(raw psql "$rows" 4 | median)" -v wr="$(raw driftline "$rows" 4 | spread)" \
                -v nr="$(raw driftline-noindex "$rows" 4 | spread)" -v idx="$DRIFT_INDEX" 'BEGIN {
                printf "  drift index, %d rows: driftline %.2f s with %s [%s], %.2f s without [%s]:", r, with, idx, wr, without, nr
                printf " %.1f%% more time, %.1f%% less throughput; ratio to psql %.2f with, %.2f without\n",
                    (with / without - 1) * 100, (1 - without / with) * 100, ps / with, ps / without
            }'
        done
    fi
    echo
    if [[ -n $MAPPED_ROWS ]]; then
        echo "A customer's own format: driftline run, realistic .csv vs the same claims mapped (Windows-1252, '|', US formats)"
        printf '%-7s %9s %8s | %9s %12s %8s | %12s\n' file rows MB "median s" "rows/s" "MB/s" "peak RSS"
        for what in plain mapped; do
            awk -v w="$what" -v r="$MAPPED_ROWS" -v b="${SIZE[$what]}" -v s="$(raw "$what" "$MAPPED_ROWS" 4 | median)" \
                -v rss="$(raw "$what" "$MAPPED_ROWS" 5 | sort -g | tail -1)" 'BEGIN {
                printf "%-7s %9d %8.1f | %9.2f %12.0f %8.1f | %8.1f MiB\n", w, r, b/1e6, s, r/s, b/1e6/s, rss/1024
            }'
        done
        awk -v p="$(raw plain "$MAPPED_ROWS" 4 | median)" -v m="$(raw mapped "$MAPPED_ROWS" 4 | median)" 'BEGIN {
            printf "  mapped rows/s = %.2f x plain (target >= 0.90: %s)\n", p / m, (p / m >= 0.9 ? "ok" : "BELOW")
        }'
        echo
    fi
    if [[ -n $UPDATE_ROWS ]]; then
        echo "Update-heavy nights (issue 14): $UPDATE_ROWS rows on top of $UPDATE_ROWS stored claims, median of $RUNS runs"
        printf '%-8s | %9s %14s | %11s %9s | %11s %9s | %12s\n' night "dl s" "psql merge s" "vs merge" "(>=1.30)" "vs \\copy" "(>=0.45)" "dl peak RSS"
        for label in night2 updates; do
            awk -v l="$label" -v d="$(raw "$label" "$UPDATE_ROWS" 4 | median)" -v m="$(raw "psql-merge-$label" "$UPDATE_ROWS" 4 | median)" \
                -v c="$(raw psql-copy-night2 "$UPDATE_ROWS" 4 | median)" -v rss="$(raw "$label" "$UPDATE_ROWS" 5 | sort -g | tail -1)" \
                -v dr="$(raw "$label" "$UPDATE_ROWS" 4 | spread)" -v mr="$(raw "psql-merge-$label" "$UPDATE_ROWS" 4 | spread)" 'BEGIN {
                copy = (l == "night2") ? sprintf("%11.2f %9s", c / d, (c / d >= 0.45 ? "ok" : "BELOW")) : sprintf("%11s %9s", "-", "")
                printf "%-8s | %9.2f %14.2f | %11.2f %9s | %s | %8.1f MiB\n", l, d, m, m / d, (m / d >= 1.3 ? "ok" : "BELOW"), copy, rss / 1024
                printf "%-8s | %9s %14s |\n", "", "[" dr "]", "[" mr "]"
            }'
        done
        awk -v c="$(raw psql-copy-night2 "$UPDATE_ROWS" 4 | median)" -v cr="$(raw psql-copy-night2 "$UPDATE_ROWS" 4 | spread)" 'BEGIN {
            printf "  psql plain \\copy of night2 into an empty table: %.2f s [%s]\n", c, cr
        }'
        for label in night2 updates; do
            awk -v l="$label" -v d="$(raw "$label" "$UPDATE_ROWS" 4 | median)" -v n="$(raw "$label-nodrift" "$UPDATE_ROWS" 4 | median)" \
                -v dc="$(raw "$label" "$UPDATE_ROWS" 8 | median)" -v nc="$(raw "$label-nodrift" "$UPDATE_ROWS" 8 | median)" \
                -v dw="$(raw "$label" "$UPDATE_ROWS" 9 | median)" -v nw="$(raw "$label-nodrift" "$UPDATE_ROWS" 9 | median)" \
                -v dr="$(raw "$label" "$UPDATE_ROWS" 4 | spread)" -v nr="$(raw "$label-nodrift" "$UPDATE_ROWS" 4 | spread)" \
                -v ps="$(raw "psql-merge-$label" "$UPDATE_ROWS" 4 | median)" 'BEGIN {
                if (dw != "nan") printf "  %s: server CPU %.2f s, WAL %.1f MB", l, dc, dw / 1e6
                if (n != "nan") {
                    printf "; without the drift design (upload index dropped, retraction trigger disabled) %.2f s [%s] against %.2f s [%s]", n, nr, d, dr
                    printf ", server CPU %.2f s, WAL %.1f MB: the design adds %+.1f%% time, %+.1f%% server CPU, %+.1f%% WAL", nc, nw / 1e6, (d / n - 1) * 100, (dc / nc - 1) * 100, (dw / nw - 1) * 100
                    printf "; ratio to the psql merge %.2f with, %.2f without", ps / d, ps / n
                }
                if (dw != "nan") printf "\n"
            }'
        done
        echo "  night2: ${UPDATE_SUMMARY[night2]:-}"
        echo "  updates: ${UPDATE_SUMMARY[updates]:-}"
        echo
    fi
    echo "Validation: driftline validate --format json --output /dev/null, $VALIDATE_ROWS rows, $VALIDATE_RUNS runs each"
    printf '%-6s | %8s %8s %10s | %9s %8s | %12s | %7s %9s\n' rules "best s" "MB/s" "rows/s" "median s" "MB/s" "peak RSS" "CPU s" "CPU MB/s"
    for set in 10 1000; do
        awk -v set="$set" -v b="${SIZE[$VALIDATE_ROWS]}" -v r="$VALIDATE_ROWS" \
            -v best="$(raw "validate-$set" "$VALIDATE_ROWS" 4 | sort -g | head -1)" \
            -v med="$(raw "validate-$set" "$VALIDATE_ROWS" 4 | median)" \
            -v rss="$(raw "validate-$set" "$VALIDATE_ROWS" 5 | sort -g | tail -1)" \
            -v cpu="$(raw "validate-$set" "$VALIDATE_ROWS" 7 | sort -g | head -1)" 'BEGIN {
            printf "%-6s | %8.2f %8.1f %10.0f | %9.2f %8.1f | %8.1f MiB | %7.2f %9.1f\n",
                set, best, b/1e6/best, r/best, med, b/1e6/med, rss/1024, cpu, b/1e6/cpu
        }'
    done
    awk -v b="${SIZE[$VALIDATE_ROWS]}" \
        -v best10="$(raw validate-10 "$VALIDATE_ROWS" 4 | sort -g | head -1)" \
        -v best1000="$(raw validate-1000 "$VALIDATE_ROWS" 4 | sort -g | head -1)" \
        -v med10="$(raw validate-10 "$VALIDATE_ROWS" 4 | median)" \
        -v med1000="$(raw validate-1000 "$VALIDATE_ROWS" 4 | median)" 'BEGIN {
        ratio = best10 / best1000
        printf "  1000-rule throughput = %.2f x 10-rule, best runs (target ≥ 0.90: %s); %.2f x by medians\n",
            ratio, (ratio >= 0.9 ? "ok" : "BELOW"), med10 / med1000
        printf "  1000-rule best %.1f MB/s (target ≥ 100: %s); 10-rule best %.1f MB/s\n",
            b/1e6/best1000, (b/1e6/best1000 >= 100 ? "ok" : "BELOW"), b/1e6/best10
    }'
    echo "  best = the fastest run: on a shared machine the slower runs measure the neighbours (see runs.tsv)"
    echo
    echo "Memory: peak RSS (/usr/bin/time -v, maximum resident set size; MiB = 2^20 bytes), target <= 32 MiB"
    awk -v help="$(raw help 0 5)" -v ten="$(raw validate-rss 10 5)" 'BEGIN {
        printf "  start-up alone: driftline --help %.1f MiB; driftline validate, 10 rows, rules/ %.1f MiB\n", help/1024, ten/1024
    }'
    printf '  %-9s | %-16s | %-16s\n' rows "run (largest)" "validate rules/"
    for rows in $ROWS_LIST; do
        awk -v r="$rows" -v run="$(raw driftline "$rows" 5 | sort -g | tail -1)" -v val="$(raw validate-rss "$rows" 5)" 'BEGIN {
            printf "  %-9d | %6.1f MiB %-5s | %6.1f MiB %-5s\n", r, run/1024, (run/1024 <= 32 ? "ok" : "OVER"),
                val/1024, (val/1024 <= 32 ? "ok" : "OVER")
        }'
    done
    echo "  what is held per upload and what is only mapped code: README, Performance (memory)"
    echo
    if ((${#DRIFT_LABELS[@]})); then
        echo "Drift: $DRIFT_CUSTOMERS customers, windows $DRIFT_FROM … $DRIFT_AS_OF, claims table in $DRIFT_LAYOUT order; median of $RUNS runs"
        for label in "${DRIFT_LABELS[@]}"; do
            echo "  ${label%-*} claims over ${label#*-} days (loaded in ${DRIFT_LOADED[$label]}s, table ${DRIFT_HEAP_MB[$label]} MB): ${DRIFT_WINDOW_ROWS[$label]} decided claims in the windows, ${DRIFT_GROUPS[$label]} customer × payer × group"
            echo "    summary: ${DRIFT_SUMMARY_ROWS[$label]} decision_days rows, built from the history in ${DRIFT_BUILT[$label]}s (untimed); each timed run first adds one night: the ${DRIFT_NIGHT_ROWS[$label]} claims decided on $DRIFT_AS_OF, updated in new uploads"
            awk -v d="$(raw drift "$label" 4 | median)" -v s="$(raw scan "$label" 4 | median)" \
                -v dr="$(raw drift "$label" 4 | spread)" -v sr="$(raw scan "$label" 4 | spread)" \
                -v cpu="$(raw drift "$label" 7 | median)" \
                -v rss="$(raw drift "$label" 5 | sort -g | tail -1)" -v a="$(raw drift-aggregate "$label" 4 | median)" 'BEGIN {
                printf "    driftline drift %.2f s [%s] (its CPU %.2f s), peak RSS %.1f MiB; plain GROUP BY scan %.2f s [%s]; ratio %.2f (target ≤ 1.5: %s)\n",
                    d, dr, cpu, rss / 1024, s, sr, d / s, (d / s <= 1.5 ? "ok" : "OVER")
                printf "    of which the aggregation (aggregate_ms in the log) %.2f s: %.2f x the scan\n", a, a / s
            }'
            [[ -z ${BENCH_DRIFT_BASELINE_BIN:-} ]] ||
                awk -v b="$(raw baseline "$label" 4 | median)" -v br="$(raw baseline "$label" 4 | spread)" \
                    -v ba="$(raw baseline-aggregate "$label" 4 | median)" -v d="$(raw drift "$label" 4 | median)" 'BEGIN {
                    printf "    baseline binary (BENCH_DRIFT_BASELINE_BIN) drift %.2f s [%s], aggregation %.2f s: this binary takes %.2f x its time\n", b, br, ba, d / b
                }'
            echo "    ${DRIFT_SUMMARY[$label]}"
        done
        if [[ -n $DRIFT_HISTORY_ROWS ]]; then
            awk -v h="$(raw drift "$((DRIFT_HISTORY_ROWS / 2))-280" 4 | median)" -v f="$(raw drift "$DRIFT_HISTORY_ROWS-560" 4 | median)" \
                -v hs="$(raw scan "$((DRIFT_HISTORY_ROWS / 2))-280" 4 | median)" -v fs="$(raw scan "$DRIFT_HISTORY_ROWS-560" 4 | median)" 'BEGIN {
                printf "  history doubled (280 -> 560 days, same window volume): drift %.2f -> %.2f s, %+.0f%% (target ≤ +20%%: %s); scan %.2f -> %.2f s, %+.0f%%\n",
                    h, f, (f / h - 1) * 100, (f / h <= 1.2 ? "ok" : "OVER"), hs, fs, (fs / hs - 1) * 100
            }'
        fi
        echo
    fi
    echo "Every run: $RAW"
} | tee "$OUT/results.txt"

# ================================================================================ 5. RLS on the load path
# Issue 13, optional (BENCH_RLS_AB=1): what row-level security costs the load. Alternately, BENCH_RLS_RUNS
# times (default BENCH_RUNS), with RLS as migrated (enabled and FORCEd on every tenant table) and with RLS
# DISABLEd on every one of them (re-enabled afterwards, untimed, and on any exit), the same driftline runs:
#   fresh   — one BENCH_RLS_ROWS-row upload (default 1000000) into an empty claims table: the direct path, whose
#             binary COPY runs as driftline_bulk (BYPASSRLS) — the upload's other statements run under RLS;
#   resend  — the same file less its last row, over those claims: the staging-and-merge path, whose
#             INSERT … ON CONFLICT DO UPDATE into claims runs under RLS (the policy checked on every row);
#   files   — BENCH_RLS_FILES uploads of BENCH_RLS_FILE_ROWS rows each (default 200 × 500) in one run: the
#             per-upload statements under RLS (uploads, inbox_files, findings, the queue claim).
# Both variants take the same roles and set the same tenant (the SET LOCAL round trips stay): the ratio is
# the policies' own cost. Reported as medians; ratio = RLS-on throughput / RLS-off throughput
# (= off s / on s; 1.00 = free).
RLS_AB=${BENCH_RLS_AB:-0}
RLS_RUNS=${BENCH_RLS_RUNS:-$RUNS}
RLS_ROWS=${BENCH_RLS_ROWS:-1000000}
RLS_FILES=${BENCH_RLS_FILES:-200}
RLS_FILE_ROWS=${BENCH_RLS_FILE_ROWS:-500}

if [[ $RLS_AB == 1 ]]; then
    [[ $RLS_RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RLS_RUNS must be a positive integer"
    RLS_TABLES=$(sql "SELECT string_agg(c.oid::regclass::text, ' ' ORDER BY c.relname) FROM pg_class c
                       JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE n.nspname = 'driftline' AND c.relkind = 'r' AND c.relrowsecurity")
    [[ -n $RLS_TABLES ]] || die "no driftline table has row-level security enabled (driftline db migrate)"
    rls_set() { # ENABLE | DISABLE
        local table statements=""
        for table in $RLS_TABLES; do statements+="ALTER TABLE $table $1 ROW LEVEL SECURITY; "; done
        sql "$statements" >/dev/null
    }
    rls_restore() { [[ ${RLS_OFF:-0} == 1 ]] && rls_set ENABLE && RLS_OFF=0; return 0; }
    trap 'status=$?; rls_restore || true; (exit $status); cleanup' EXIT

    rls_run() { # label rows [rows-loaded] -> appends a row to $RAW (the inbox is ready)
        local label=$1 rows=$2 loaded=${3:-$2} start end status=0
        sql "CHECKPOINT" >/dev/null
        start=$(now)
        (cd "$WS" && "$TIME" -f '%e %M %U %S' -o "$WORK/time.out" \
            "$BIN" run --pipeline bench.yaml --as-of "$AS_OF" --settle-seconds 0 >"$WORK/run.out" 2>"$WORK/run.err") ||
            status=$?
        end=$(now)
        [[ $status == 0 ]] || { tail -20 "$WORK/run.err" >&2; die "driftline run ($label) exited $status"; }
        grep -q "^run .*loaded $loaded," "$WORK/run.out" ||
            note "rls $label: unexpected summary: $(grep '^run ' "$WORK/run.out" || true)"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$rows" "$run" \
            "$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')" "$(tail -1 "$WORK/time.out" | awk '{print $2}')" \
            "$status" "$(cpu_of "$WORK/time.out")" >>"$RAW"
    }
    rls_inbox() { # customer files... -> a fresh inbox holding them, settled
        local customer=$1
        shift
        rm -rf "$WS/inbox" "$WS/archive" "$WS/rejected" "$WS/metrics"
        mkdir -p "$WS/inbox/$customer"
        cp "$@" "$WS/inbox/$customer/"
        find "$WS/inbox" -type f -exec touch -d '2 minutes ago' {} +
    }
    rls_variant() { # on|off run
        local variant=$1
        if [[ $variant == off ]]; then rls_set DISABLE; RLS_OFF=1; fi
        reset_claims
        rls_inbox "$RLS_CUSTOMER" "$RLS_FILE"
        rls_run "rls-$variant-fresh" "$RLS_ROWS"
        rls_inbox "$RLS_CUSTOMER" "$RLS_RESEND"
        rls_run "rls-$variant-resend" "$((RLS_ROWS - 1))"
        reset_claims
        rls_inbox "$RLS_CUSTOMER" "$WORK/rls-files"/*.csv
        rls_run "rls-$variant-files" "$RLS_FILE_ROWS" "$((RLS_FILES * RLS_FILE_ROWS))"
        rls_restore
        note "  run $run, RLS $variant: fresh $(raw "rls-$variant-fresh" "$RLS_ROWS" 4 | tail -1)s, resend $(raw "rls-$variant-resend" "$((RLS_ROWS - 1))" 4 | tail -1)s, $RLS_FILES files $(raw "rls-$variant-files" "$RLS_FILE_ROWS" 4 | tail -1)s"
    }

    RLS_FILE=$(generate "$RLS_ROWS")
    RLS_CUSTOMER=$(basename "$(dirname "$RLS_FILE")")
    RLS_RESEND=$WORK/rls-resend/$(basename "$RLS_FILE")
    mkdir -p "$WORK/rls-resend" "$WORK/rls-files"
    head -n -1 "$RLS_FILE" >"$RLS_RESEND"
    # The small uploads: the generated file's first RLS_FILES × RLS_FILE_ROWS rows, each file with the header.
    awk -v n=$((RLS_FILES * RLS_FILE_ROWS)) 'NR > 1 { print } NR > n { exit }' "$RLS_FILE" |
        split -l "$RLS_FILE_ROWS" -d -a 4 --additional-suffix=.csv - "$WORK/rls-files/part-"
    for part in "$WORK/rls-files"/*.csv; do
        { head -1 "$RLS_FILE"; cat "$part"; } >"$part.tmp" && mv "$part.tmp" "$part"
    done
    note "RLS on the load path: $RLS_ROWS-row fresh load and resend, $RLS_FILES × $RLS_FILE_ROWS-row files, RLS on vs off, $RLS_RUNS runs each, alternating ($(wc -w <<<"$RLS_TABLES") tables)"
    for ((run = 1; run <= RLS_RUNS; run++)); do
        if ((run % 2)); then rls_variant on; rls_variant off; else rls_variant off; rls_variant on; fi
    done
    reset_claims
    rm -rf "$WS/inbox" "$WS/archive" "$WS/rejected" "$WS/metrics"
    {
        echo
        echo "RLS on the load path (BENCH_RLS_AB=1): driftline run, RLS enabled+forced vs disabled on $(wc -w <<<"$RLS_TABLES") tenant tables"
        echo "  median of $RLS_RUNS runs each, alternating (order swapped every run); ratio = RLS-on throughput / RLS-off throughput = off s / on s (1.00: RLS costs nothing; below 1: what it costs)"
        printf '  %-8s %9s | %9s %14s | %9s %14s | %6s\n' path rows "on s" "[range]" "off s" "[range]" ratio
        for path in fresh resend files; do
            case $path in
                fresh) r=$RLS_ROWS ;;
                resend) r=$((RLS_ROWS - 1)) ;;
                files) r=$RLS_FILE_ROWS ;;
            esac
            awk -v p="$path" -v r="$r" -v f="$RLS_FILES" -v on="$(raw "rls-on-$path" "$r" 4 | median)" \
                -v off="$(raw "rls-off-$path" "$r" 4 | median)" -v onr="$(raw "rls-on-$path" "$r" 4 | spread)" \
                -v offr="$(raw "rls-off-$path" "$r" 4 | spread)" 'BEGIN {
                label = (p == "files") ? sprintf("%d x %d", f, r) : sprintf("%d", r)
                printf "  %-8s %9s | %9.2f %14s | %9.2f %14s | %6.2f\n", p, label, on, "[" onr "]", off, "[" offr "]", off / on
            }'
        done
        echo "  fresh: COPY into claims as driftline_bulk (BYPASSRLS); resend: INSERT … ON CONFLICT into claims under RLS;"
        echo "  files: the per-upload statements under RLS. Every run: $RAW"
    } | tee -a "$OUT/results.txt"
fi
