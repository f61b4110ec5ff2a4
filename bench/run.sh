#!/bin/sh
# make bench: every benchmark, each measuring leads against its peers in
# the same run and printing ratios (never a pass/fail on absolute times).
#
# First the commands people run, at BENCH_SIZES leads (default "10000
# 100000", a few minutes; add 1000000 for a million): bench/cmds.sh, one
# table. Then, only when BENCH_ROWS is set (1000000 is what the README
# quotes), the benchmarks of single features at that size: import,
# routing and scoring, the funnel, and the import into PostgreSQL when
# its packages are installed.
# The everyday commands on PostgreSQL through a delaying proxy (bench/pg-slow.sh)
# run whenever PostgreSQL and python3 are installed, and the sweep on
# PostgreSQL against SQLite (bench/pg-bulk.sh) whenever PostgreSQL is.
# usage: bench/run.sh [LEADS]
set -eu
leads=${1:-./leads}
here=$(cd "$(dirname "$0")" && pwd)
echo "leads benchmarks on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
bash "$here/cmds.sh" "$leads"
# the everyday commands on PostgreSQL over a 20 ms link (a delaying proxy)
if { [ -x /usr/lib/postgresql/15/bin/initdb ] || command -v initdb >/dev/null 2>&1; } &&
	command -v python3 >/dev/null 2>&1; then
	sh "$here/pg-slow.sh" "$leads"
fi
# the sweep on PostgreSQL against SQLite, at BENCH_SIZES leads
if [ -x /usr/lib/postgresql/15/bin/initdb ] || command -v initdb >/dev/null 2>&1; then
	bash "$here/pg-bulk.sh" "$leads"
fi
[ -n "${BENCH_ROWS:-}" ] || exit 0
rows=$BENCH_ROWS
sh "$here/import.sh" "$leads" "$rows"
for b in route-score funnel search; do
	if [ -f "$here/$b.sh" ]; then
		sh "$here/$b.sh" "$leads" "$rows"
	fi
done
# PostgreSQL, on a throw-away server, when its packages are installed
if [ -x /usr/lib/postgresql/15/bin/initdb ] || command -v initdb >/dev/null 2>&1; then
	sh "$here/pg-import.sh" "$leads" "$rows"
	# route --all on SQLite and PostgreSQL, at the size of its target
	sh "$here/pg-route.sh" "$leads" 100000
fi
