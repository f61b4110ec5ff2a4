#!/bin/sh
# make check-failover (issue 22): a team's server fails over, on this machine.
#
# A primary and a streaming standby (PostgreSQL 15, on 127.0.0.1, the
# standby synchronous: synchronous_standby_names), one database, and
# leads pointed at both with a multi-host URI and
# target_session_attrs=read-write. A write load (leads add, one lead at a
# time, retried on 75) runs while the primary is stopped hard (pg_ctl -m
# immediate) and the standby promoted. Checked: every command exits 0
# or 75 (a retried add whose first try was in fact committed finds its
# lead: that is the retry's 65, counted as done, never a loss); commands
# succeed again after the switch; every add reported done (exit 0) is on
# the new primary. Before the switch, a report runs on the standby
# (target_session_attrs=prefer-standby).
#
# As root the servers run as $PG_TEST_USER (default nobody), as in
# scripts/pg-test.sh. Not in make check (it waits on servers for about a
# minute); .ci/run calls it.
#
# usage: sh scripts/check-failover.sh [LEADS]
set -eu
leads=$(cd "$(dirname "${1:-build/default/leads}")" && pwd)/$(basename "${1:-build/default/leads}")
die() {
	echo "check-failover: $*" >&2
	exit 1
}
bindir=/usr/lib/postgresql/15/bin
[ -x "$bindir/initdb" ] || bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/initdb" ] || {
	echo "check-failover: PostgreSQL 15 server not installed (apt-get install postgresql-15)" >&2
	exit 69
}
if [ "$(id -u)" -eq 0 ]; then
	pg_user=${PG_TEST_USER:-nobody}
	as_pg() { runuser -u "$pg_user" -- "$@"; }
else
	as_pg() { "$@"; }
fi
me=$(id -un)
dir=$(mktemp -d "${TMPDIR:-/tmp}/leads-failover.XXXXXX")
load=
cleanup() {
	[ -z "$load" ] || kill "$load" 2>/dev/null || true
	for d in primary standby; do
		[ ! -d "$dir/$d" ] || as_pg "$bindir/pg_ctl" stop -D "$dir/$d" -m immediate -w >/dev/null 2>&1 || true
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
[ "$(id -u)" -ne 0 ] || chown "$pg_user" "$dir"
chmod 700 "$dir"
p1=$((40000 + $$ % 10000))
p2=$((p1 + 1))

start() { # start NAME PORT [-c ...]
	name=$1 port=$2
	shift 2
	as_pg "$bindir/pg_ctl" start -D "$dir/$name" -w -t 60 -l "$dir/$name.log" -o "\
 -c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir'\
 -c fsync=off -c full_page_writes=off -c max_connections=50 -c shared_buffers=32MB $*" \
		>/dev/null || {
		cat "$dir/$name.log" >&2
		die "$name did not start"
	}
}

as_pg "$bindir/initdb" -D "$dir/primary" -U "$me" -A trust -E UTF8 --locale=C.UTF-8 \
	--no-sync --no-instructions >"$dir/initdb.log" 2>&1 || {
	cat "$dir/initdb.log" >&2
	die "initdb failed"
}
start primary "$p1" "-c wal_level=replica -c max_wal_senders=4 -c synchronous_commit=on\
 -c synchronous_standby_names=standby1"
as_pg "$bindir/pg_basebackup" -h 127.0.0.1 -p "$p1" -U "$me" -D "$dir/standby" -X stream \
	>"$dir/basebackup.log" 2>&1 || {
	cat "$dir/basebackup.log" >&2
	die "pg_basebackup failed"
}
as_pg sh -c "touch '$dir/standby/standby.signal' && echo \"primary_conninfo = 'host=127.0.0.1 port=$p1 user=$me application_name=standby1'\" >>'$dir/standby/postgresql.auto.conf'"
# the standby without synchronous_standby_names: once promoted it stands alone
start standby "$p2" "-c hot_standby=on -c synchronous_standby_names="
i=0
until [ "$(psql -X -At -h 127.0.0.1 -p "$p1" -d postgres -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'")" = sync ]; do
	i=$((i + 1))
	[ "$i" -lt 300 ] || die "the standby did not become synchronous"
	sleep 0.1
done
psql -X -q -h 127.0.0.1 -p "$p1" -d postgres -c "CREATE DATABASE leads"

q="sslmode=disable&gssencmode=disable&connect_timeout=2"
export LEADS_DB="postgresql://$me@127.0.0.1:$p1,127.0.0.1:$p2/leads?target_session_attrs=read-write&$q"
reader="postgresql://$me@127.0.0.1:$p1,127.0.0.1:$p2/leads?target_session_attrs=prefer-standby&$q"
export LEADS_NOW=2026-11-24T09:00:00Z LEADS_USER=failover LEADS_BUSY_TIMEOUT=5000
unset LEADS_CONFIG || true
export HOME="$dir/home"
mkdir -p "$HOME"
"$leads" init >/dev/null 2>&1 || die "leads init failed"
"$leads" add --email before@example.com >/dev/null || die "an add before the switch failed"
# a report on the standby (wait until it has the lead)
i=0
until "$leads" -d "$reader" list --columns email 2>/dev/null | grep -q before@example.com; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || die "a report on the standby (prefer-standby) did not work"
	sleep 0.1
done
echo "check-failover: a report runs on the standby (target_session_attrs=prefer-standby)"

# the write load: N adds, each retried on 75 until it is done
n=${FAILOVER_ADDS:-120}
: >"$dir/done" && : >"$dir/codes" && : >"$dir/bad"
(
	k=1
	while [ "$k" -le "$n" ]; do
		tries=0
		while :; do
			rc=0
			"$leads" add --email "w$k@example.com" >/dev/null 2>"$dir/err" || rc=$?
			echo "$rc" >>"$dir/codes"
			if [ "$rc" -eq 0 ]; then
				echo "w$k@example.com" >>"$dir/done"
				break
			elif [ "$rc" -eq 65 ] && [ "$tries" -gt 0 ] && grep -q "already has email" "$dir/err"; then
				echo "w$k@example.com" >>"$dir/done" # the try that failed with 75 had committed
				break
			elif [ "$rc" -eq 75 ]; then
				tries=$((tries + 1))
				[ "$tries" -lt 600 ] || {
					echo "w$k: 75 for a minute" >>"$dir/bad"
					break
				}
				sleep 0.1
			else
				echo "w$k: exit $rc: $(cat "$dir/err")" >>"$dir/bad"
				break
			fi
		done
		k=$((k + 1))
	done
) &
load=$!
# let it run, then the primary goes, hard
until [ "$(wc -l <"$dir/done")" -ge 20 ]; do sleep 0.1; done
as_pg "$bindir/pg_ctl" stop -D "$dir/primary" -m immediate -w >/dev/null
echo "check-failover: primary stopped (immediate) after $(wc -l <"$dir/done") adds"
sleep 2
as_pg "$bindir/pg_ctl" promote -D "$dir/standby" -w >/dev/null || die "promote failed"
echo "check-failover: standby promoted"
wait "$load"
load=
fails=$(grep -cv '^0$' "$dir/codes" || true)
fails75=$(grep -c '^75$' "$dir/codes" || true)
if [ -s "$dir/bad" ]; then
	cat "$dir/bad" >&2
	die "a command failed with another exit status than 75"
fi
other=$(grep -v '^0$' "$dir/codes" | grep -v '^75$' | grep -v '^65$' || true)
[ -z "$other" ] || die "exit statuses other than 0 and 75: $other"
[ "$fails75" -gt 0 ] || die "no command saw the switch (75): the test did not test it"
# after the switch: commands work
"$leads" add --email after@example.com >/dev/null || die "an add after the switch failed"
"$leads" list --columns email >"$dir/list" || die "a list after the switch failed"
# every add reported done is on the new primary
missing=0
for e in $(cat "$dir/done") before@example.com after@example.com; do
	grep -qx "$e" "$dir/list" || grep -q " $e\$\|^$e " "$dir/list" || {
		echo "missing: $e" >&2
		missing=$((missing + 1))
	}
done
[ "$missing" -eq 0 ] || die "$missing adds reported done are missing after the failover"
retried=$(grep -c '^65$' "$dir/codes" || true)
echo "check-failover: ok: $(wc -l <"$dir/done") adds done, $fails tries failed during the switch (75; $retried of them a retry that found its lead committed), none lost"
