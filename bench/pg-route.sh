#!/bin/sh
# Bulk routing on both backends (issue 22): `leads route --all --reassign`
# over N leads (default 100,000) imported without routing (bench/gen-csv.sh,
# the rules of tests/fixtures/route/bulk-same.yaml: 20 rules, the ones of
# bench/route-score.sh), on SQLite and on a throw-away PostgreSQL server
# (scripts/pg-test.sh), in the same run. Runs alternate SQLite, PostgreSQL,
# SQLite, ... (BENCH_REPEAT rounds, default 3), each on a fresh copy of the
# imported database; printed: min and median of each, their ratio, and
# whether both left the same owners (a checksum of id, owner and rule).
#
# BENCH_BEFORE=OTHER_LEADS adds another build (the one before a change)
# to every round, interleaved with LEADS on both backends, and prints its
# figures beside them.
#
# usage: bench/pg-route.sh [LEADS] [ROWS]   (BENCH_REPEAT=N rounds)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
leads=$(cd "$(dirname "${1:-./leads}")" && pwd)/$(basename "${1:-./leads}")
rows=${2:-100000}
if [ -z "${LEADS_TEST_PG:-}" ]; then
	exec sh "$here/../scripts/pg-test.sh" sh "$0" "$leads" "$rows"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LEADS_NOW=2026-11-24T09:00:00Z LEADS_USER=bench
export LEADS_CONFIG="$here/../tests/fixtures/route/bulk-same.yaml"
repeat=${BENCH_REPEAT:-3}
sh "$here/gen-csv.sh" "$rows" >"$tmp/import.csv"

psql_q() {
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h "$LEADS_TEST_PG" "$@"
}
pg="postgresql:///run?host=$LEADS_TEST_PG"

# the two imported databases, routed by nobody yet
LEADS_DB="$tmp/base.db" "$leads" -q import --no-route "$tmp/import.csv" >/dev/null
psql_q -d postgres -c "DROP DATABASE IF EXISTS base" -c "CREATE DATABASE base"
LEADS_DB="postgresql:///base?host=$LEADS_TEST_PG" "$leads" -q import --no-route \
	"$tmp/import.csv" >/dev/null
psql_q -d base -c "VACUUM ANALYZE"

# seconds of one run on a fresh copy: $1 sqlite or pg, $2 the program
one() {
	if [ "$1" = sqlite ]; then
		rm -f "$tmp/run.db"*
		cp "$tmp/base.db" "$tmp/run.db"
		db=$tmp/run.db
	else
		psql_q -d postgres -c "DROP DATABASE IF EXISTS run" -c "CREATE DATABASE run TEMPLATE base"
		db=$pg
	fi
	sync
	/usr/bin/time -f '%e' -o "$tmp/time" env LEADS_DB="$db" "${2:-$leads}" --format tsv \
		route --all --reassign >/dev/null 2>"$tmp/err" || {
		cat "$tmp/err" >&2
		exit 1
	}
	cat "$tmp/time"
}
: >"$tmp/sqlite"
: >"$tmp/pg"
: >"$tmp/b_sqlite"
: >"$tmp/b_pg"
before=${BENCH_BEFORE:-}
for _ in $(seq 1 "$repeat"); do
	[ -z "$before" ] || one sqlite "$before" >>"$tmp/b_sqlite"
	one sqlite >>"$tmp/sqlite"
	[ -z "$before" ] || one pg "$before" >>"$tmp/b_pg"
	one pg >>"$tmp/pg"
done
q="SELECT id || ',' || coalesce(owner, '') || ',' || coalesce(assigned_rule, '') FROM leads ORDER BY id"
s_sum=$(sqlite3 "$tmp/run.db" "$q" | md5sum | cut -c1-12)
p_sum=$(psql_q -d run -At -c "$q" | md5sum | cut -c1-12)
e_q="SELECT kind || ',' || count(*) || ',' || sum(lead_id) FROM events GROUP BY kind ORDER BY kind"
s_ev=$(sqlite3 "$tmp/run.db" "$e_q" | md5sum | cut -c1-12)
p_ev=$(psql_q -d run -At -c "$e_q" | md5sum | cut -c1-12)
assigned=$(sqlite3 "$tmp/run.db" "SELECT count(*) FROM events WHERE kind = 'assigned'")

min() { sort -n "$1" | head -n 1; }
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
printf '\nroute --all --reassign over %s leads (%s assigned), %s rounds SQLite/PostgreSQL alternating\n' \
	"$rows" "$assigned" "$repeat"
printf '%-32s %8s %8s\n' "" min median
if [ -n "$before" ]; then
	printf '%-32s %8.2f %8.2f\n' "SQLite, before" "$(min "$tmp/b_sqlite")" "$(median "$tmp/b_sqlite")"
	printf '%-32s %8.2f %8.2f\n' "PostgreSQL, before" "$(min "$tmp/b_pg")" "$(median "$tmp/b_pg")"
	printf '%-32s %8.2f %8.2f\n' "ratio, before" \
		"$(echo "$(min "$tmp/b_pg") / $(min "$tmp/b_sqlite")" | bc -l)" \
		"$(echo "$(median "$tmp/b_pg") / $(median "$tmp/b_sqlite")" | bc -l)"
fi
printf '%-32s %8.2f %8.2f\n' "SQLite" "$(min "$tmp/sqlite")" "$(median "$tmp/sqlite")"
printf '%-32s %8.2f %8.2f\n' "PostgreSQL" "$(min "$tmp/pg")" "$(median "$tmp/pg")"
printf '%-32s %8.2f %8.2f   (target <= 2.00)\n' "ratio" \
	"$(echo "$(min "$tmp/pg") / $(min "$tmp/sqlite")" | bc -l)" \
	"$(echo "$(median "$tmp/pg") / $(median "$tmp/sqlite")" | bc -l)"
printf '    owners: SQLite %s, PostgreSQL %s%s; history: %s, %s%s\n' "$s_sum" "$p_sum" \
	"$([ "$s_sum" = "$p_sum" ] && echo ' (same)' || echo ' (DIFFERENT)')" "$s_ev" "$p_ev" \
	"$([ "$s_ev" = "$p_ev" ] && echo ' (same)' || echo ' (DIFFERENT)')"
printf '    every run: SQLite %s; PostgreSQL %s\n' "$(tr '\n' ' ' <"$tmp/sqlite")" \
	"$(tr '\n' ' ' <"$tmp/pg")"
