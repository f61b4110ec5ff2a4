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

psql_q() {
	psql -X -q -v ON_ERROR_STOP=1 -h "$LEADS_TEST_PG" "$@"
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
printf '%-44s %8.2f %8.2f   (target <= 2.00)\n' "leads import (COPY into leads)" "$t_leads" \
	"$(echo "$t_leads / $t_copy" | bc -l)"
