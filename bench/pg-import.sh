#!/bin/sh
# PostgreSQL import benchmark (issue 9): `leads import` of N rows (default
# 1,000,000) into an empty PostgreSQL database, against `psql \copy` of the
# same file into a plain table of eleven text columns, on the same
# throw-away server (scripts/pg-test.sh), in the same run; printed as a ratio.
#
# What the peer does is less than what leads does: \copy stores the cells
# as they are. leads parses and maps every row (names, dates, stages,
# statuses, custom fields as JSON), leaves out duplicates, and writes a
# lead with its indexes (email, stage, status, owner, external id).
#
# Then reading them back: `leads export` against psql's \copy TO, seconds
# and peak RSS (both stream the rows; a million leads fetched whole took
# a gigabyte). Then where the server's part of the import's time goes:
# the rows leads sent, dumped back with COPY TO, copied by psql alone into
# a table like leads (no index; its primary key only; every index kept,
# as the import does; its primary key, then the other indexes built after
# the load), each a ratio to the same plain \copy: the floor no client
# can go under.
#
# usage: bench/pg-import.sh [LEADS] [ROWS]   (BENCH_REPEAT=N: best of N)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
leads=$(cd "$(dirname "${1:-./leads}")" && pwd)/$(basename "${1:-./leads}")
rows=${2:-1000000}
if [ -z "${LEADS_TEST_PG:-}" ]; then
	# a server of our own for the run
	exec sh "$here/../scripts/pg-test.sh" sh "$0" "$leads" "$rows"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export LEADS_NOW=2026-11-24T09:00:00Z LEADS_USER=bench
repeat=${BENCH_REPEAT:-1}
sh "$here/gen-csv.sh" "$rows" >"$tmp/import.csv"

psql_q() { # without the NOTICEs of DROP ... IF EXISTS
	PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 -h "$LEADS_TEST_PG" "$@"
}

. "$here/best-of.sh"

# a fresh database bench made ready for $1: leads, or the peer's table
fresh() {
	psql_q -d postgres -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench"
	if [ "$1" = leads ]; then
		LEADS_DB="postgresql:///bench?host=$LEADS_TEST_PG" "$leads" init 2>/dev/null
	else
		psql_q -d bench -c "CREATE TABLE plain (lead_id text, first_name text, last_name text,
			email text, company text, title text, phone text, source text, status text,
			created text, description text)"
	fi
}

t_copy=$(best_of 'fresh copy' psql -X -q -v ON_ERROR_STOP=1 -h "$LEADS_TEST_PG" -d bench \
	-c "\\copy plain FROM '$tmp/import.csv' WITH (FORMAT csv, HEADER true)")
t_leads=$(best_of 'fresh leads' env LEADS_DB="postgresql:///bench?host=$LEADS_TEST_PG" \
	"$leads" import -q "$tmp/import.csv")
n=$(psql_q -d bench -At -c "SELECT count(*) FROM leads")
[ "$n" -eq "$rows" ] || { echo "bench: leads imported $n of $rows" >&2; exit 1; }

printf '\nimport of %s rows into PostgreSQL %s (same server, same run)%s\n' "$rows" \
	"$(psql_q -d postgres -At -c 'SHOW server_version' | cut -d' ' -f1)" \
	"$([ "$repeat" -gt 1 ] && echo ", best of $repeat")"
printf '%-44s %8s %8s\n' "" seconds ratio
printf '%-44s %8.2f %8s\n' "psql \\copy into a plain table" "$t_copy" "1.00"
printf '%-44s %8.2f %8.2f   (for information)\n' "leads import (COPY into leads)" "$t_leads" \
	"$(echo "$t_leads / $t_copy" | bc -l)"

# Reading them all back: `leads export` against psql's \copy TO of the
# same table as CSV, seconds and the client's peak RSS (both stream).
rss() { # peak RSS in MB of a command, its output dropped
	/usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null
	echo $(($(cat "$tmp/rss") / 1024))
}
peer_out="\\copy leads TO '$tmp/out.csv' WITH (FORMAT csv, HEADER true)"
t_pout=$(best_of : psql -X -q -h "$LEADS_TEST_PG" -d bench -c "$peer_out")
t_lout=$(best_of : env LEADS_DB="postgresql:///bench?host=$LEADS_TEST_PG" "$leads" export)
m_pout=$(rss psql -X -q -h "$LEADS_TEST_PG" -d bench -c "$peer_out")
m_lout=$(rss env LEADS_DB="postgresql:///bench?host=$LEADS_TEST_PG" "$leads" export)
printf '%-44s %8s %8s %8s\n' "reading them back" seconds ratio "RSS MB"
printf '%-44s %8.2f %8s %8d\n' "  psql \\copy leads TO a CSV file" "$t_pout" "1.00" "$m_pout"
printf '%-44s %8.2f %8.2f %8d\n' "  leads export (CSV)" "$t_lout" \
	"$(echo "$t_lout / $t_pout" | bc -l)" "$m_lout"

# The server alone, on the rows leads stored (see the top).
psql_q -d bench -c "\\copy leads TO '$tmp/leads.txt'"
# a fresh table "floor" like leads with $1: none, pkey, all or after
floor_table() {
	case $1 in
	all) like='INCLUDING ALL' ;;
	*) like='INCLUDING DEFAULTS' ;;
	esac
	psql_q -d bench -c "DROP TABLE IF EXISTS floor" -c "CREATE TABLE floor (LIKE leads $like)"
	case $1 in
	pkey | after) psql_q -d bench -c "ALTER TABLE floor ADD PRIMARY KEY (id)" ;;
	esac
}
# the other indexes of leads, as statements for floor
psql_q -d bench -At -c "SELECT replace(replace(indexdef, 'INDEX leads_', 'INDEX floor_'),
	' ON public.leads ', ' ON public.floor ') || ';' FROM pg_indexes
	WHERE tablename = 'leads' AND indexname <> 'leads_pkey'" >"$tmp/indexes.sql"
copy_floor="\\copy floor FROM '$tmp/leads.txt'"
printf '%-44s %8s %8s\n' "the server alone, the same rows into:" "" ""
for how in none pkey all after; do
	case $how in
	none) what="  a table like leads, no index" ;;
	pkey) what="  ... with its primary key only" ;;
	all) what="  ... with every index, kept (as leads does)" ;;
	after) what="  ... primary key, the rest built after" ;;
	esac
	if [ "$how" = after ]; then
		t=$(best_of "floor_table $how" psql -X -q -v ON_ERROR_STOP=1 -h "$LEADS_TEST_PG" -d bench \
			-c "$copy_floor" -f "$tmp/indexes.sql")
	else
		t=$(best_of "floor_table $how" psql -X -q -v ON_ERROR_STOP=1 -h "$LEADS_TEST_PG" -d bench \
			-c "$copy_floor")
	fi
	printf '%-44s %8.2f %8.2f\n' "$what" "$t" "$(echo "$t / $t_copy" | bc -l)"
done

# The yardstick (issue 22): the rows leads stored, copied by psql into the
# real leads table of a fresh database (every key and index, as leads
# init makes it), same server, same run; leads import within 1.2x of it.
# BENCH_RUNS pairs (default 5), interleaved (leads, psql, leads, psql...)
# so a machine whose speed drifts slows both alike: min and median of
# each, and the client's CPU seconds (user + system) of leads import,
# which a loaded machine cannot hide behind the server's work.
runs=${BENCH_RUNS:-5}
: >"$tmp/ya"
: >"$tmp/yb"
: >"$tmp/ycpu"
for _ in $(seq 1 "$runs"); do
	fresh leads
	sync
	/usr/bin/time -f '%e %U %S' -o "$tmp/time" env LEADS_DB="postgresql:///bench?host=$LEADS_TEST_PG" \
		"$leads" import -q "$tmp/import.csv" >/dev/null 2>"$tmp/err" || {
		cat "$tmp/err" >&2
		exit 1
	}
	read -r e u s <"$tmp/time"
	echo "$e" >>"$tmp/ya"
	echo "$u + $s" | bc -l >>"$tmp/ycpu"
	fresh leads
	sync
	/usr/bin/time -f '%e' -o "$tmp/time" psql -X -q -v ON_ERROR_STOP=1 -h "$LEADS_TEST_PG" -d bench \
		-c "\\copy leads FROM '$tmp/leads.txt'" >/dev/null
	cat "$tmp/time" >>"$tmp/yb"
done
# min and median of the numbers in file $1
stats() { sort -n "$1" | awk '{ v[NR] = $1 } END { printf "%.2f %.2f\n", v[1], (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
read -r amin amed <<EOT
$(stats "$tmp/ya")
EOT
read -r bmin bmed <<EOT
$(stats "$tmp/yb")
EOT
read -r cmin cmed <<EOT
$(stats "$tmp/ycpu")
EOT
printf '%-44s %8s %8s %8s %8s\n' "the yardstick: the same rows, $runs runs" "min s" "median s" "ratio" "(min)"
printf '%-44s %8.2f %8.2f %8s %8s\n' "  psql \\copy into the real leads table" "$bmin" "$bmed" "1.00" "1.00"
printf '%-44s %8.2f %8.2f %8.2f %8.2f   (target <= 1.20)\n' "  leads import" "$amin" "$amed" \
	"$(echo "$amed / $bmed" | bc -l)" "$(echo "$amin / $bmin" | bc -l)"
printf '%-44s %8.2f %8.2f\n' "  leads import, client CPU (user + sys)" "$cmin" "$cmed"
