#!/usr/bin/env bash
# PostgreSQL bulk work against SQLite (issue 22): `leads sweep` where every
# open lead has gone idle (each is made inactive: a history row and a new
# status), at BENCH_SIZES leads (default "10000 100000"), on a file and
# on a throw-away PostgreSQL server (scripts/pg-test.sh, local socket), in
# the same run. The target is PostgreSQL within 2x of SQLite.
#
# The leads: bench/gen-csv.sh imported with --no-route --no-events into
# both (created 2015-2024, no activity, so three in four are new or
# active and idle for years at LEADS_NOW; the rest unqualified). The
# config has a team and scoring rules that do not read the status, so
# the sweep has no reason to rescore (a rule on the status would make it
# rescore every lead it marks, on both backends alike).
#
# Each run starts from a fresh copy (cp of the file; CREATE DATABASE ...
# TEMPLATE on the server), outside the timing; the runs alternate SQLite,
# PostgreSQL, SQLite, ... BENCH_RUNS times (default 5) so a machine whose
# speed drifts slows both alike. Printed: min and median wall seconds of
# each, the ratio of the medians and of the minimums, and whether the
# two backends left the same leads and history (a checksum of each).
# Beside them, medians of the floor: the same writes sent by psql (see
# floor_sql), and that floor again without the full-text index.
#
# usage: bench/pg-bulk.sh [LEADS]   (BENCH_SIZES, BENCH_RUNS)
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
leads=$(cd "$(dirname "${1:-./leads}")" && pwd)/$(basename "${1:-./leads}")
if [ -z "${LEADS_TEST_PG:-}" ]; then
	exec sh "$here/../scripts/pg-test.sh" bash "$0" "$leads"
fi
sizes=${BENCH_SIZES:-10000 100000}
runs=${BENCH_RUNS:-5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LEADS_NOW=2026-11-24T09:00:00Z LEADS_USER=bench
cat >"$tmp/config.yaml" <<'YAML'
team:
  - {name: ana, email: ana@example.com, role: manager}
  - {name: ben, email: ben@example.com}
scoring:
  rules:
    - {name: exec, when: {field: title, regex: "ceo|cfo|vp", ignore_case: true}, points: 20}
    - {name: referral, when: {field: source, eq: referral}, points: 10}
    - {name: idle, when: {field: last_activity_age, gte: 60d}, points: -10}
YAML
export LEADS_CONFIG=$tmp/config.yaml

psql_q() {
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"
}
pg() { echo "postgresql:///$1?host=$LEADS_TEST_PG"; }

# wall seconds of a command, its output dropped
secs() {
	local t0=${EPOCHREALTIME/./}
	"$@" >/dev/null 2>"$tmp/err" || {
		cat "$tmp/err" >&2
		return 1
	}
	local t1=${EPOCHREALTIME/./}
	awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f\n", d / 1e6 }'
}
# min and median of the numbers on stdin
stats() { sort -n | awk '{ v[NR] = $1 } END { printf "%.3f %.3f\n", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# The floor on the server: the sweep's two writes as one psql command
# (what leads sends when no engine reacts: lib/db_lifecycle.c), the
# history rows and the narrow UPDATE of every idle lead with its indexes
# (the full-text GIN index among them: a lead whose status changes gets
# new entries in every index).
now=$(date -d "$LEADS_NOW" +%s)
cut=$((now - 30 * 86400))
floor_sql="BEGIN;
INSERT INTO events(lead_id, at, actor, kind, from_val, to_val, data)
SELECT id, $now, 'sweep', 'status', status, 'inactive', '{\"reason\":\"no activity for 30d\"}'
FROM leads WHERE status IN ('new', 'active') AND coalesce(last_activity_at, created_at) <= $cut ORDER BY id;
UPDATE leads SET status = 'inactive', updated_at = $now
WHERE status IN ('new', 'active') AND coalesce(last_activity_at, created_at) <= $cut;
COMMIT;"

# The same without the full-text index (leads_text, GIN): what the floor
# would be if a change of status did not give every changed lead new
# entries in it (for information: leads needs the index for list TEXT).

# what a sweep left: statuses, and the history by kind, lead and values
q_leads="SELECT id, status, updated_at, score FROM leads ORDER BY id"
q_events="SELECT lead_id, at, actor, kind, coalesce(from_val, ''), coalesce(to_val, ''), coalesce(data, '') FROM events ORDER BY id"
sum_sqlite() { { sqlite3 -separator '|' "$1" "$q_leads"; sqlite3 -separator '|' "$1" "$q_events"; } | md5sum | cut -c1-12; }
sum_pg() { { psql -X -At -d "$1" -c "$q_leads"; psql -X -At -d "$1" -c "$q_events"; } | md5sum | cut -c1-12; }

printf 'sweep with every open lead idle, SQLite against PostgreSQL %s (local socket), %s runs each, interleaved\n' \
	"$(psql -X -At -d postgres -c 'SHOW server_version' | cut -d' ' -f1)" "$runs"
printf '| leads | idle | SQLite min | median | PostgreSQL min | median | ratio (median) | ratio (min) | floor | leads/floor | floor, no GIN | same |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n'
for n in $sizes; do
	sh "$here/gen-csv.sh" "$n" >"$tmp/l.csv"
	rm -f "$tmp/base.db"*
	"$leads" -d "$tmp/base.db" init >/dev/null 2>&1
	"$leads" -d "$tmp/base.db" import -q --no-route --no-events "$tmp/l.csv" >/dev/null
	psql_q -c "DROP DATABASE IF EXISTS base" -c "CREATE DATABASE base"
	"$leads" -d "$(pg base)" init >/dev/null 2>&1
	"$leads" -d "$(pg base)" import -q --no-route --no-events "$tmp/l.csv" >/dev/null
	# a first sweep before anything is idle: SQLite fills the search index
	# a bulk import left to the sweep (db_fts_fill), once, not in the timing
	for db in "$tmp/base.db" "$(pg base)"; do
		LEADS_NOW=2014-01-01T00:00:00Z "$leads" -d "$db" sweep -q --no-deliver
	done
	idle=$(sqlite3 "$tmp/base.db" "SELECT count(*) FROM leads WHERE status IN ('new', 'active')")
	: >"$tmp/a"
	: >"$tmp/b"
	: >"$tmp/c"
	: >"$tmp/d"
	for _ in $(seq 1 "$runs"); do
		rm -f "$tmp/run.db"*
		cp "$tmp/base.db" "$tmp/run.db"
		sync
		secs "$leads" -d "$tmp/run.db" sweep --no-deliver >>"$tmp/a"
		psql_q -c "DROP DATABASE IF EXISTS run" -c "CREATE DATABASE run TEMPLATE base"
		sync
		secs "$leads" -d "$(pg run)" sweep --no-deliver >>"$tmp/b"
		psql_q -c "DROP DATABASE IF EXISTS floor" -c "CREATE DATABASE floor TEMPLATE base"
		sync
		secs psql -X -q -v ON_ERROR_STOP=1 -d floor -c "$floor_sql" >>"$tmp/c"
		psql_q -c "DROP DATABASE IF EXISTS floor" -c "CREATE DATABASE floor TEMPLATE base"
		psql_q -d floor -c "DROP INDEX leads_text"
		sync
		secs psql -X -q -v ON_ERROR_STOP=1 -d floor -c "$floor_sql" >>"$tmp/d"
	done
	read -r amin amed < <(stats <"$tmp/a")
	read -r bmin bmed < <(stats <"$tmp/b")
	read -r _ cmed < <(stats <"$tmp/c")
	read -r _ dmed < <(stats <"$tmp/d")
	sa=$(sum_sqlite "$tmp/run.db")
	sb=$(sum_pg "$(pg run)")
	same=yes
	[ "$sa" = "$sb" ] || same="NO ($sa, $sb)"
	printf '| %s | %s | %s | %s | %s | %s | %.2f | %.2f | %s | %.2f | %s | %s |\n' "$n" "$idle" \
		"$amin" "$amed" "$bmin" "$bmed" "$(echo "$bmed / $amed" | bc -l)" \
		"$(echo "$bmin / $amin" | bc -l)" "$cmed" "$(echo "$bmed / $cmed" | bc -l)" "$dmed" "$same"
done
