# Shared setup for the bats suites: every test gets its own HOME, XDG
# directories and database, a fixed clock and a fixed actor, so tests are
# isolated and repeatable. Run the binary as `leads`.
#
# With LEADS_TEST_PG set to the socket directory of a PostgreSQL server
# (`make check-pg` runs the suites under scripts/pg-test.sh, which sets it),
# each test's database is a fresh, empty PostgreSQL database instead of a
# file, LEADS_DB is its URI, and sql() runs psql with SQLite's functions
# the tests use (tests/pg-compat.sql). What only an SQLite file can do is
# skipped there with pg_skip.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

LEADS_BIN=${LEADS_BIN:-$BATS_TEST_DIRNAME/../leads}
FIXTURES=$BATS_TEST_DIRNAME/fixtures
EXAMPLES=$BATS_TEST_DIRNAME/../examples
PG_COMPAT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/pg-compat.sql

leads() {
	"$LEADS_BIN" "$@"
}

setup() {
	export HOME=$BATS_TEST_TMPDIR/home
	export XDG_DATA_HOME=$HOME/.local/share
	export XDG_CONFIG_HOME=$HOME/.config
	mkdir -p "$HOME"
	new_db LEADS_DB leads || return 1
	export LEADS_DB
	export LEADS_NOW=2026-11-24T09:00:00Z
	export LEADS_USER=tester
	export TZ=UTC # the zone people type and read in; tests that need another set it
	export NO_COLOR=1
	unset LEADS_CONFIG LEADS_BUSY_TIMEOUT
	cd "$BATS_TEST_TMPDIR" || return 1
}

# The schema version this leads writes (from --version).
schema_version() {
	"$LEADS_BIN" --version | sed -n 's/.*, schema \([0-9]*\))$/\1/p'
}

# Add a lead and keep its id in $id.
add_lead() {
	id=$(leads add "$@") || return 1
}

# Query the test database ($LEADS_DB): sqlite3, or psql printing what
# sqlite3 would (a|b rows, NULL as nothing). `sql -csv QUERY` for CSV,
# `sql .dump` for the whole database as text.
sql() {
	if [ -z "${LEADS_TEST_PG:-}" ]; then
		sqlite3 "$LEADS_DB" "$@"
		return
	fi
	local opts=() q
	while (($# > 1)); do
		case $1 in
		-csv) opts+=(--csv) ;;
		*) echo "sql: no PostgreSQL equivalent for option $1" >&2; return 2 ;;
		esac
		shift
	done
	q=$1
	if [ "$q" = .dump ]; then
		# without comments and pg_dump's random \restrict key, so that two
		# dumps of the same content are the same text
		pg_dump --no-owner --no-privileges --exclude-schema=sqlite_compat -d "$LEADS_DB" |
			grep -v -e '^--' -e '^$' -e '^\\restrict ' -e '^\\unrestrict '
		return "${PIPESTATUS[0]}"
	fi
	q=${q//PRAGMA integrity_check/SELECT integrity_check()}
	q=${q//PRAGMA foreign_key_check/SELECT foreign_key_check()}
	PGOPTIONS='-c search_path=sqlite_compat,pg_catalog,"$user",public -c client_min_messages=warning' \
		psql -X -q -A -t -F'|' -v ON_ERROR_STOP=1 "${opts[@]}" -d "$LEADS_DB" <<<"$q"
}

# Skip this test on PostgreSQL, for the reason given: what it tests is a
# property of an SQLite file (its bytes, modes, locks, journal).
pg_skip() {
	[ -z "${LEADS_TEST_PG:-}" ] || skip "SQLite only: $*"
}

# A fresh, empty database in variable $1 (named $2, default $1): a
# file path under the test's directory that does not exist yet, or on
# PostgreSQL the URI of a new database dropped when the test ends.
new_db() {
	local -n _db=$1
	local name=${2:-$1}
	if [ -z "${LEADS_TEST_PG:-}" ]; then
		_db=$BATS_TEST_TMPDIR/$name.db
		return
	fi
	name=lt_${BATS_SUITE_TEST_NUMBER:-0}_$$_${name}_$RANDOM
	name=${name,,}
	name=${name//[^a-z0-9_]/_}
	pg_create_db "$name" || return 1
	_db="postgresql:///$name?host=$LEADS_TEST_PG"
	PG_TEST_DBS+=" $name"
}

# The server side of new_db. Test databases are copies of a template
# holding only the schema sqlite_compat (tests/pg-compat.sql), made once
# per server by whichever test needs it first, under a temporary name and
# renamed when complete, so that parallel tests never see half of it.
pg_create_db() {
	local create="CREATE DATABASE $1 TEMPLATE leads_test_template STRATEGY FILE_COPY" tmp err
	err=$(pg_admin -c "$create" 2>&1) && return
	if [[ $err != *'template database "leads_test_template" does not exist'* ]]; then
		echo "$err" >&2
		return 1
	fi
	tmp=leads_test_template_$$
	pg_admin -c "CREATE DATABASE $tmp TEMPLATE template0 STRATEGY FILE_COPY" &&
		psql -X -q -v ON_ERROR_STOP=1 -d "$tmp" -f "$PG_COMPAT" >/dev/null &&
		pg_admin -c "ALTER DATABASE $tmp ALLOW_CONNECTIONS false" || return 1
	# another test may have won the race: then ours goes
	pg_admin -c "ALTER DATABASE $tmp RENAME TO leads_test_template" 2>/dev/null ||
		pg_admin -c "DROP DATABASE $tmp"
	pg_admin -c "$create"
}

# psql as the superuser on the server's maintenance database.
pg_admin() {
	psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"
}

# Drop the test's PostgreSQL databases (no-op on SQLite). In the
# background: nothing waits for it, and the server goes at the end anyway.
# A test file that defines its own teardown calls this from it.
pg_drop_dbs() {
	local name args=()
	[ -n "${LEADS_TEST_PG:-}" ] && [ -n "${PG_TEST_DBS:-}" ] || return 0
	for name in $PG_TEST_DBS; do
		args+=(-c "DROP DATABASE IF EXISTS $name WITH (FORCE)")
	done
	PG_TEST_DBS=
	pg_admin "${args[@]}" </dev/null >/dev/null 2>&1 3>&- &
}

teardown() {
	pg_drop_dbs
}

# Empty the test database again: remove the file and its -wal/-shm/
# -journal, or drop and recreate the PostgreSQL database.
reset_db() {
	if [ -z "${LEADS_TEST_PG:-}" ]; then
		rm -f "$LEADS_DB" "$LEADS_DB"-*
		return
	fi
	local name=${LEADS_DB#postgresql:///}
	name=${name%%\?*}
	pg_admin -c "DROP DATABASE $name WITH (FORCE)" && pg_create_db "$name"
}

# A checksum of the test database's content: of the file after a WAL
# checkpoint, or of the PostgreSQL database's dump (sequences included).
db_fingerprint() {
	if [ -z "${LEADS_TEST_PG:-}" ]; then
		sql 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null && md5sum <"$LEADS_DB"
	else
		# not the id sequences: nextval is not undone by a rollback (a dry
		# run's), and their value is not data
		sql .dump | grep -v '^SELECT pg_catalog.setval(' | md5sum
	fi
}

# The test database exists: the file, or on PostgreSQL the leads schema
# (the database itself always exists).
db_exists() {
	if [ -z "${LEADS_TEST_PG:-}" ]; then
		[ -e "$LEADS_DB" ]
		return
	fi
	[ "$(psql -X -A -t -d "$LEADS_DB" -c "SELECT to_regclass('leads') IS NOT NULL")" = t ]
}
