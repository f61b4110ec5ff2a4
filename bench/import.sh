#!/bin/sh
# Import benchmark (issue 4): leads import of a Salesforce-style CSV against
# its peers on the same file in the same run, printed as ratios.
#   peers: sqlite3 .import into a plain table (no indexes),
#          sqlite-utils insert --csv (if installed)
# Also peak RSS at two sizes, to show memory stays flat as the file grows.
# usage: bench/import.sh [LEADS] [ROWS]   (default ./leads, 1000000)
set -eu
leads=$(cd "$(dirname "${1:-./leads}")" && pwd)/$(basename "${1:-./leads}")
rows=${2:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
tmp=${BENCH_TMP:-$(mktemp -d)}
trap 'rm -rf "$tmp"' EXIT
export LEADS_NOW=2026-11-24T09:00:00Z LEADS_USER=bench

# wall seconds, peak RSS (KiB) and CPU seconds (user + system) of a
# command, via GNU time. CPU time is what to compare on a busy machine.
measure() {
	/usr/bin/time -f '%e %M %U %S' -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || {
		cat "$tmp/err" >&2
		return 1
	}
	awk '{ printf "%s %s %.2f\n", $1, $2, $3 + $4 }' "$tmp/time"
}

small=$((rows / 10))
sh "$here/gen-csv.sh" "$rows" >"$tmp/big.csv"
sh "$here/gen-csv.sh" "$small" >"$tmp/small.csv"
size=$(du -m "$tmp/big.csv" | cut -f1)

rm -f "$tmp/peer.db"
set -- $(measure sqlite3 "$tmp/peer.db" ".mode csv" ".import $tmp/big.csv t")
t_sqlite=$1 c_sqlite=$3

t_utils=
if command -v sqlite-utils >/dev/null; then
	rm -f "$tmp/utils.db"
	set -- $(measure sqlite-utils insert "$tmp/utils.db" t "$tmp/big.csv" --csv)
	t_utils=$1 c_utils=$3
fi

rm -f "$tmp/small.db"*
set -- $(LEADS_DB="$tmp/small.db" measure "$leads" import --no-route --no-events "$tmp/small.csv")
rss_small=$2
rm -f "$tmp/leads.db"*
set -- $(LEADS_DB="$tmp/leads.db" measure "$leads" import --no-route --no-events "$tmp/big.csv")
t_leads=$1 rss_big=$2 c_leads=$3
n=$(sqlite3 "$tmp/leads.db" "SELECT count(*) FROM leads")
[ "$n" -eq "$rows" ] || { echo "bench: imported $n of $rows rows" >&2; exit 1; }

ratio() { echo "$1 / $2" | bc -l; }
printf '\nimport of %s rows (%s MB, 11 columns)\n' "$rows" "$size"
printf '%-34s %8s %8s %8s %8s\n' "" wall ratio cpu ratio
printf '%-34s %8.2f %8.2f %8.2f %8.2f\n' "sqlite3 .import (no indexes)" "$t_sqlite" 1 "$c_sqlite" 1
[ -n "$t_utils" ] && printf '%-34s %8.2f %8.2f %8.2f %8.2f\n' "sqlite-utils insert --csv" \
	"$t_utils" "$(ratio "$t_utils" "$t_sqlite")" "$c_utils" "$(ratio "$c_utils" "$c_sqlite")"
printf '%-34s %8.2f %8.2f %8.2f %8.2f   (target <= 2%s)\n' "leads import" "$t_leads" \
	"$(ratio "$t_leads" "$t_sqlite")" "$c_leads" "$(ratio "$c_leads" "$c_sqlite")" \
	"${t_utils:+, and below sqlite-utils}"
printf 'peak RSS: %d MB at %s rows, %d MB at %s rows (target < 64 MB, flat)\n' \
	$((rss_small / 1024)) "$small" $((rss_big / 1024)) "$rows"

# A header of 100k columns (a wide export, or a hostile one): mapping and
# renaming duplicate names are linear in the columns (issue 20).
awk 'BEGIN { n = 100000; h = "Email"; r = "wide@example.com"
	for (i = 1; i < n - 9; i++) { h = h ",col" i; r = r ",v" }
	for (i = 0; i < 9; i++) { h = h ",Notes"; r = r ",n" }
	print h; print r }' >"$tmp/wide.csv"
set -- $(measure "$leads" import --detect --format tsv "$tmp/wide.csv")
t_detect=$1
rm -f "$tmp/wide.db"*
set -- $(LEADS_DB="$tmp/wide.db" measure "$leads" import -q "$tmp/wide.csv")
printf 'header of 100000 columns: --detect %.2f s, import of a row %.2f s (target < 1 s)\n' \
	"$t_detect" "$1"
