#!/bin/sh
# make bench: every benchmark, each measuring leads against its peers in
# the same run and printing ratios (never a pass/fail on absolute times).
# usage: bench/run.sh [LEADS] ; BENCH_ROWS=100000 for a quick run.
set -eu
leads=${1:-./leads}
here=$(cd "$(dirname "$0")" && pwd)
rows=${BENCH_ROWS:-1000000}
echo "leads benchmarks on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ); rows=$rows"
sh "$here/import.sh" "$leads" "$rows"
for b in route-score funnel search; do
	if [ -f "$here/$b.sh" ]; then
		sh "$here/$b.sh" "$leads" "$rows"
	fi
done
# PostgreSQL, on a throw-away server, when its packages are installed
if [ -x /usr/lib/postgresql/15/bin/initdb ] || command -v initdb >/dev/null 2>&1; then
	sh "$here/pg-import.sh" "$leads" "$rows"
fi
