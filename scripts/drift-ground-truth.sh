#!/usr/bin/env bash
# Drift recall and false positives on generated ground truth (README, Payer drift: the --drift-count rows).
#
#   scripts/drift-ground-truth.sh COUNT SEED [ROWS=300000] [CUSTOMERS=5]
#
# Generates ROWS claims for CUSTOMERS customers with COUNT planted drifts (`samples generate --drift-count`,
# as of 2026-11-22), loads them through `driftline run` (load → drift, as of 2026-11-21: the stage's windows are
# the generator's), backfills the 30 days from the onset, and prints: planted drifts found with type and
# direction, events on an unplanted payer × type × direction, planted triples flagged among those with >= 30
# decided claims in both windows, and each drift's detection delay (days from the onset to its first event).
# Uses its own database on the server of DATABASE_URL (created and dropped); DRIFTLINE_BIN (.build/debug/driftline).
set -euo pipefail
count=$1 seed=$2 rows=${3:-300000} customers=${4:-5}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$(realpath "${DRIFTLINE_BIN:-$ROOT/.build/debug/driftline}")
: "${DATABASE_URL:?DATABASE_URL is not set}"
db=driftline_truth_$$
psql -qX "$DATABASE_URL" -c "CREATE DATABASE $db"
url="$DATABASE_URL&dbname=$db"
[[ $DATABASE_URL == *\?* ]] || url="$DATABASE_URL?dbname=$db"
work=$(mktemp -d)
trap 'cd /; rm -rf "$work"; psql -qX "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
cd "$work"
cp -r "$ROOT/rules" .
mkdir pipelines inbox
printf 'name: truth\ninbox: inbox\narchive: archive\nrejected: rejected\nrules: rules\nsettle_seconds: 0\nstages: [load, drift]\n' \
    >pipelines/truth.yaml
"$BIN" samples generate --out gen --rows "$rows" --customers "$customers" --seed "$seed" --drift-count "$count" \
    --as-of 2026-11-22 >/dev/null
mv gen/*/ inbox/
DATABASE_URL=$url "$BIN" run --pipeline pipelines/truth.yaml --as-of 2026-11-21 >/dev/null 2>&1
DATABASE_URL=$url "$BIN" drift list --json --limit 1000000 >events.json
DATABASE_URL=$url "$BIN" drift --from 2026-10-23 --to 2026-11-21 --json 2>/dev/null >backfill.json
psql -qAtX "$url" -F, -c "SELECT customer_id, payer, coalesce(cpt_group, ''),
    count(*) FILTER (WHERE decided_date < '2026-10-23'), count(*) FILTER (WHERE decided_date >= '2026-10-23')
    FROM driftline.claims WHERE decided_date BETWEEN '2026-07-25' AND '2026-11-21' GROUP BY 1, 2, 3" >triples.csv
python3 - "$work" <<'PY'
import csv, datetime, json, re, sys
work = sys.argv[1]
key = lambda name: re.sub('[^a-z0-9]', '', name.lower())
canonical = {}  # rules/payer_names.yaml: ID: [names] (names match ignoring case and punctuation)
for m in re.finditer(r'^  ([A-Z0-9-]+):\s*\[(.*?)\]', open(work + '/rules/payer_names.yaml').read(), re.M | re.S):
    canonical[key(m.group(1))] = m.group(1)
    for name in m.group(2).split(','):
        canonical[key(name.strip())] = m.group(1)
truth = set()
for payer, metric, baseline, current in list(csv.reader(open(work + '/gen/drift-truth.csv')))[1:]:
    kind = 'denial_rate' if metric == 'denial_rate' else 'decision_time'
    truth.add((canonical.get(key(payer), payer), kind, 'worse' if float(current) > float(baseline) else 'better'))
events = json.load(open(work + '/events.json'))
found = {(e['payer'], e['drift_type'], e['direction']) for e in events}
false = [e for e in events if (e['payer'], e['drift_type'], e['direction']) not in truth]
flagged_keys = {(e['customer_id'], e['payer'], e['cpt_group'], e['drift_type']) for e in events}
testable = flagged = 0
for customer, payer, group, baseline, current in csv.reader(open(work + '/triples.csv')):
    if int(baseline) >= 30 and int(current) >= 30:
        for p, kind, _ in truth:
            if p == payer:
                testable += 1
                flagged += (customer, payer, group, kind) in flagged_keys
onset = datetime.date(2026, 10, 23)
backfill = json.load(open(work + '/backfill.json'))
delays = []
for drift in sorted(truth):
    days = [(datetime.date.fromisoformat(e['current_end']) - onset).days for e in backfill
            if (e['payer'], e['drift_type'], e['direction']) == drift]
    delays.append(min(days) if days else None)
print(f"planted {len(truth)}, found {len(truth & found)}; events {len(events)}, on unplanted payer x type x direction "
      f"{len(false)}; planted triples flagged {flagged}/{testable}; delays (days) {delays}")
PY
