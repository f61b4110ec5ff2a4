#!/bin/sh
# Run a command against a throw-away PostgreSQL 15 server:
#
#   sh scripts/pg-test.sh COMMAND [ARG...]
#
# initdb in a fresh temporary directory, a server listening only on a Unix
# socket in that directory (no TCP port, trust authentication, settings
# that trade durability for speed), then COMMAND with LEADS_TEST_PG and
# PGHOST set to the socket directory and PGUSER to the superuser. The
# server is stopped and the directory removed whatever happens (the
# command fails, ^C, kill); the exit status is the command's.
#
# PostgreSQL refuses to run as root: as root (CI), the server runs as
# $PG_TEST_USER (default nobody), which owns the directory; root's clients
# still reach the socket.
set -eu

die() {
	echo "pg-test: $*" >&2
	exit 69 # EX_UNAVAILABLE
}

bindir=
for d in /usr/lib/postgresql/15/bin "$(pg_config --bindir 2>/dev/null || true)"; do
	if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
		bindir=$d
		break
	fi
done
if [ -z "$bindir" ]; then
	if ! command -v initdb >/dev/null 2>&1 || ! command -v pg_ctl >/dev/null 2>&1; then
		die "PostgreSQL server not installed (no initdb/pg_ctl; on Debian: apt-get install postgresql-15)"
	fi
	initdb=initdb pg_ctl=pg_ctl
else
	initdb=$bindir/initdb pg_ctl=$bindir/pg_ctl
fi
command -v psql >/dev/null 2>&1 || die "psql not installed (on Debian: apt-get install postgresql-client-15)"
[ $# -gt 0 ] || {
	echo "usage: sh scripts/pg-test.sh COMMAND [ARG...]" >&2
	exit 64
}

# The server's user, and how to run its programs as that user.
if [ "$(id -u)" -eq 0 ]; then
	pg_user=${PG_TEST_USER:-nobody}
	if command -v runuser >/dev/null 2>&1; then
		as_pg() { runuser -u "$pg_user" -- "$@"; }
	else
		as_pg() { setpriv --reuid="$pg_user" --regid="$(id -g "$pg_user")" --clear-groups -- "$@"; }
	fi
else
	as_pg() { "$@"; }
fi
# The database superuser is named after whoever runs this script, so that
# its clients (psql, leads) need no -U; PGUSER says it to them anyway.
superuser=$(id -un)

dir=
started=
cleanup() {
	if [ -n "$started" ]; then
		as_pg "$pg_ctl" stop -D "$dir/data" -m immediate -w >/dev/null 2>&1 || true
	fi
	if [ -n "$dir" ]; then
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

dir=$(mktemp -d "${TMPDIR:-/tmp}/leads-pg.XXXXXX")
if [ "$(id -u)" -eq 0 ]; then
	chown "$pg_user" "$dir"
fi
# Others need no access: root passes anyway and the server's user owns it.
chmod 700 "$dir"

as_pg "$initdb" -D "$dir/data" -U "$superuser" -A trust -E UTF8 --locale=C.UTF-8 \
	--no-sync --no-instructions >"$dir/initdb.log" 2>&1 || {
	cat "$dir/initdb.log" >&2
	die "initdb failed"
}

started=1
as_pg "$pg_ctl" start -D "$dir/data" -w -t 60 -l "$dir/server.log" -o "\
 -c listen_addresses='' -c unix_socket_directories='$dir'\
 -c fsync=off -c synchronous_commit=off -c full_page_writes=off\
 -c max_connections=100 -c shared_buffers=64MB\
 -c log_min_messages=warning -c log_min_error_statement=panic" >/dev/null || {
	cat "$dir/server.log" >&2 2>/dev/null || true
	die "the PostgreSQL server did not start"
}

export LEADS_TEST_PG="$dir" PGHOST="$dir" PGUSER="$superuser"
unset PGPORT PGDATABASE PGSERVICE PGPASSWORD PGOPTIONS || true
# In the foreground: ^C reaches it and every test process, and stops
# them (an asynchronous command would ignore SIGINT). A signal to this
# script alone is acted on when the command ends; signal the process
# group to stop everything at once.
status=0
"$@" || status=$?
exit "$status"
