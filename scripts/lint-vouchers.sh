#!/usr/bin/env bash
# `make lint`: the places that vouch for text as safe to log — `SafeText(...)`, `SafeMessage(trusted: ...)` —
# are held to the reviewed list in scripts/vouchers.txt, so a new one is a visible decision in review.
#
# Each entry is `<file>: <the line, trimmed>` (no line numbers: unrelated edits do not churn the list).
# A voucher may hold only code, configuration, ids, counts or paths from the inbox layout — never a byte of
# an upload, a header, or anything a PostgreSQL error says.
#
#   scripts/lint-vouchers.sh            check (exit 1 on a voucher not on the list, or a listed one gone)
#   scripts/lint-vouchers.sh --update   rewrite the list from the sources (after reviewing each new line)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
list=scripts/vouchers.txt
current=$(grep -rnE 'SafeText\(|SafeMessage\(trusted:|trusted: ' Sources --include='*.swift' |
    grep -vE '^[^:]+:[0-9]+:\s*///' |
    sed -E 's/^([^:]+):[0-9]+:[[:space:]]*/\1: /; s/[[:space:]]+$//' | LC_ALL=C sort)
if [[ ${1:-} == --update ]]; then
    { echo "# Reviewed places that vouch for text as safe to log (scripts/lint-vouchers.sh)."; echo "$current"; } >"$list"
    echo "lint-vouchers: wrote $(echo "$current" | grep -c .) entries to $list"
    exit 0
fi
reviewed=$(grep -v '^#' "$list" | LC_ALL=C sort)
added=$(LC_ALL=C comm -13 <(echo "$reviewed") <(echo "$current"))
removed=$(LC_ALL=C comm -23 <(echo "$reviewed") <(echo "$current"))
if [[ -n $added || -n $removed ]]; then
    [[ -z $added ]] || { echo "lint-vouchers: new places vouch for text as safe to log; review each, then run scripts/lint-vouchers.sh --update:"; echo "$added" | sed 's/^/  + /'; }
    [[ -z $removed ]] || { echo "lint-vouchers: listed vouchers no longer in the sources (run --update):"; echo "$removed" | sed 's/^/  - /'; }
    exit 1
fi
echo "lint-vouchers: $(echo "$current" | grep -c .) reviewed vouchers, none new"
