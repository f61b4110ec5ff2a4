#!/bin/sh
# PostgreSQL over a slow link (issue 22): the everyday commands (add,
# move, note, show) through a TCP proxy on 127.0.0.1 that delays every
# byte DELAY ms each way (bench/delay-proxy.py, default 20: a 40 ms round
# trip), on a throw-away server (scripts/pg-test.sh). Each command's
# best-of time is printed with what it is worth in round trips; the
# target is under 10 (connecting is two of them: TCP, then the startup
# and authentication). The same commands on the server's Unix socket,
# for the time that is not the network's.
#
# usage: bench/pg-slow.sh [LEADS]   (PG_SLOW_DELAY=ms, BENCH_REPEAT=N)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
leads=$(cd "$(dirname "${1:-./leads}")" && pwd)/$(basename "${1:-./leads}")
if [ -z "${LEADS_TEST_PG:-}" ]; then
	exec sh "$here/../scripts/pg-test.sh" sh "$0" "$leads"
fi
command -v python3 >/dev/null 2>&1 || {
	echo "pg-slow: needs python3 (apt-get install python3)" >&2
	exit 69
}
delay=${PG_SLOW_DELAY:-20}
repeat=${BENCH_REPEAT:-5}
tmp=$(mktemp -d)
proxy=
trap '[ -z "$proxy" ] || kill "$proxy" 2>/dev/null; rm -rf "$tmp"' EXIT
export LEADS_NOW=2026-11-24T09:00:00Z LEADS_USER=bench
unset LEADS_CONFIG || true

psql -X -q -d postgres -c "CREATE DATABASE slow"
port=$((20000 + $$ % 20000))
python3 "$here/delay-proxy.py" "$port" "$LEADS_TEST_PG/.s.PGSQL.5432" "$delay" >"$tmp/proxy.out" 2>&1 &
proxy=$!
i=0
until grep -q ready "$tmp/proxy.out" 2>/dev/null; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || {
		cat "$tmp/proxy.out" >&2
		exit 70
	}
	sleep 0.05
done
slow="postgresql://$PGUSER@127.0.0.1:$port/slow?sslmode=disable&gssencmode=disable"
local_db="postgresql:///slow?host=$LEADS_TEST_PG"
"$leads" -d "$local_db" init >/dev/null 2>&1
for i in $(seq 1 200); do echo "x$i@example.com"; done | sed '1i email' >"$tmp/seed.csv"
"$leads" -d "$local_db" import "$tmp/seed.csv" >/dev/null 2>&1

# best of $repeat, in ms: ms DB CMD...  (a new lead per add, another lead per move)
echo 0 >"$tmp/n"
ms() {
	db=$1
	shift
	best=
	r=0
	while [ "$r" -lt "$repeat" ]; do
		n=$(($(cat "$tmp/n") + 1))
		echo "$n" >"$tmp/n"
		t0=$(date +%s%N)
		case $1 in
		add) "$leads" -d "$db" add --email "new$n@example.com" --first Ana >/dev/null ;;
		move) "$leads" -d "$db" move "x$n@example.com" contacted >/dev/null ;;
		*) "$leads" -d "$db" "$@" >/dev/null ;;
		esac
		t1=$(date +%s%N)
		t=$(((t1 - t0) / 1000000))
		if [ -z "$best" ] || [ "$t" -lt "$best" ]; then best=$t; fi
		r=$((r + 1))
	done
	echo "$best"
}

rtt=$((2 * delay))
echo "PostgreSQL over a ${delay} ms each way link (round trip ${rtt} ms), best of $repeat:"
printf '%-22s %10s %12s %14s %8s\n' command "socket ms" "slow ms" "round trips" "target"
for c in add move "note x1@example.com called" "show x1@example.com"; do
	set -- $c
	fast=$(ms "$local_db" "$@")
	slow_ms=$(ms "$slow" "$@")
	worth=$(awk -v s="$slow_ms" -v r="$rtt" 'BEGIN { printf "%.1f", s / r }')
	ok=$(awk -v s="$slow_ms" -v r="$rtt" 'BEGIN { print (s < 10 * r) ? "< 10 ok" : "MISSED" }')
	printf '%-22s %10s %12s %14s %8s\n' "$1" "$fast" "$slow_ms" "$worth" "$ok"
done
