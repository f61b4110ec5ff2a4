#!/bin/sh
# Search benchmark (issue 19): the first page of `leads list TEXT` and a
# lead found by a part of its name (`leads show FRAGMENT`) on N leads
# (default 1,000,000), beside sqlite3 answering the same full-text query
# on the same file (the floor: process start and the index), as a ratio.
# Target: a first page in under 20 ms. Also prints the query plan, which
# must read the full-text index and not scan leads.
#
# The leads are made by sqlite3 with a recursive CTE, through the triggers
# of lib/db.c that keep the index (so the load also shows their cost).
#
# usage: bench/search.sh [LEADS] [ROWS]   (default ./leads, 1000000)
set -eu
leads=$(cd "$(dirname "${1:-./leads}")" && pwd)/$(basename "${1:-./leads}")
rows=${2:-1000000}
runs=${RUNS:-7}
tmp=${BENCH_TMP:-$(mktemp -d)}
trap '[ -n "${BENCH_KEEP:-}" ] || rm -rf "$tmp"' EXIT
export LEADS_NOW=2026-11-24T09:00:00Z LEADS_USER=bench NO_COLOR=1 TZ=UTC
unset LEADS_CONFIG
export LEADS_DB="$tmp/search.db" XDG_CONFIG_HOME="$tmp/none"

rm -f "$LEADS_DB"*
"$leads" init >/dev/null 2>&1
gen_start=$(date +%s)
sqlite3 "$LEADS_DB" >/dev/null <<SQL
PRAGMA journal_mode = DELETE;
PRAGMA synchronous = OFF;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
INSERT INTO leads (email, first_name, last_name, company, phone, stage, status,
                   created_at, updated_at, stage_entered_at)
SELECT 'user' || i || '@example' || (i % 1000) || '.com', 'First' || (i % 5000),
       'Last' || (i % 7919), 'Company ' || (i % 20000), '+55 11 ' || i,
       'prospecting', 'new', 1700000000, 1700000000, 1700000000 FROM n;
SQL
echo "search: $rows leads made in $(($(date +%s) - gen_start)) s (full-text index by triggers)"

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ms() { # the median wall milliseconds of $runs runs of the command
	for _ in $(seq 1 "$runs"); do
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1 || true
		echo $((($(date +%s%N) - s) / 1000000))
	done | median
}
for q in last4711 "first42 last1" first1; do
	fts=$(printf '"%s"* ' $q)
	l=$(ms "$leads" list "$q" -n 20 --format csv)
	s=$(ms sqlite3 "$LEADS_DB" "SELECT id FROM lead_fts CROSS JOIN leads ON leads.id = lead_fts.rowid WHERE lead_fts MATCH '$fts' ORDER BY lead_fts.rowid LIMIT 20")
	printf 'search: list %-16s first page %4d ms, sqlite3 %4d ms\n' "'$q'" "$l" "$s"
done
frag=user$((rows * 7 / 10))@
printf 'search: show %s (a lead by a part of its email) %d ms, list -n 0 %d ms\n' "$frag" \
	"$(ms "$leads" show "$frag")" "$(ms "$leads" list -n 1 --format csv)"
echo "search: plan of list TEXT:"
sqlite3 "$LEADS_DB" "EXPLAIN QUERY PLAN SELECT id FROM lead_fts CROSS JOIN leads ON leads.id = lead_fts.rowid WHERE lead_fts MATCH '\"first1\"*' ORDER BY lead_fts.rowid LIMIT 20" | sed 's/^/  /'
