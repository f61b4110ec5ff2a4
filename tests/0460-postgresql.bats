#!/usr/bin/env bats
# The PostgreSQL backend's own behaviour: which strings name a server,
# a connection that fails (one line: the database with its password
# masked, host, port, reason; exit 74), and, when the suite runs on a
# server (make check-pg), a database without the schema and a second
# host's writers taking turns. Everything else is the rest of the suite,
# run on both backends.
load test_helper

@test "an unreachable server is one line naming host and port, exit 74, password masked" {
	run --separate-stderr leads -d 'postgresql://ana:s3cret@127.0.0.1:1/leads?connect_timeout=2' list
	assert_failure 74
	assert_output ""
	assert_equal "$stderr" "leads list: cannot connect to 'postgresql://ana:***@127.0.0.1:1/leads?connect_timeout=2' (host 127.0.0.1, port 1): Connection refused"
	run --separate-stderr leads -d 'host=/nonexistent dbname=x password=pw' add --email a@example.com
	assert_failure 74
	assert_equal "$stderr" "leads add: cannot connect to 'host=/nonexistent dbname=x password=***' (host /nonexistent, port 5432): No such file or directory"
}

@test "file names that look a little like connection strings stay files" {
	run -0 leads -d ./key=value.db init
	[ -f key=value.db ] || fail "no file key=value.db"
	run -0 leads -d 'a b=c.db' init
	[ -f 'a b=c.db' ] || fail "no file 'a b=c.db'"
}

@test "PostgreSQL: a database without the schema is 'no database' for readers, created by writers" {
	[ -n "${LEADS_TEST_PG:-}" ] || skip "needs a server (make check-pg)"
	new_db other
	run --separate-stderr leads -d "$other" list
	assert_failure 66
	assert_equal "$stderr" "leads list: no database at '$other' (create it with 'leads init' or 'leads add')"
	run -0 leads -d "$other" add --email a@example.com
	assert_output 1
	run -0 psql -X -At -d "$other" -c "SELECT version FROM leads_schema"
	assert_output "$(schema_version)"
}

@test "PostgreSQL: a writer waiting past the busy timeout for another host's lock exits 75" {
	[ -n "${LEADS_TEST_PG:-}" ] || skip "needs a server (make check-pg)"
	leads init
	# another host's writer, holding the write lock in an open transaction
	psql -X -q -d "$LEADS_DB" -c "BEGIN" -c "SELECT pg_advisory_xact_lock(108101097100115)" \
		-c "SELECT pg_sleep(3)" -c "COMMIT" &
	sleep 0.5
	run --separate-stderr env LEADS_BUSY_TIMEOUT=200 "$LEADS_BIN" add --email a@example.com
	assert_failure 75
	assert_equal "$stderr" "leads add: database busy: '$LEADS_DB' is locked by another leads process (gave up after 200 ms; try again)"
	# readers never wait
	run -0 leads list
	wait
	run -0 leads add --email a@example.com
	assert_output 1
}

# libpq is opened when a connection string is given (lib/db_pg.c), not
# linked: LEADS_LIBPQ, read for these tests, names the file to open instead.
@test "without libpq a PostgreSQL database is one line naming the package, exit 69; files need none" {
	run --separate-stderr env LEADS_LIBPQ=/nonexistent/libpq.so.5 "$LEADS_BIN" -d 'postgresql://ana:s3cret@127.0.0.1:1/leads' list
	assert_failure 69
	assert_output ""
	assert_equal "$stderr" "leads list: PostgreSQL needs libpq.so.5 (Debian package libpq5), which could not be loaded: /nonexistent/libpq.so.5: cannot open shared object file: No such file or directory"
	run --separate-stderr env LEADS_LIBPQ=libm.so.6 "$LEADS_BIN" -d 'dbname=x' add --email a@example.com
	assert_failure 69
	assert_equal "$stderr" "leads add: PostgreSQL needs libpq.so.5 (Debian package libpq5), and libm.so.6 has no PQclear"
	run -0 env LEADS_LIBPQ=/nonexistent/libpq.so.5 "$LEADS_BIN" -d ./file.db add --email a@example.com
	assert_output 1
}

@test "the binary does not link libpq: commands on a file do not load it" {
	command -v ldd >/dev/null || skip "no ldd"
	run -0 ldd "$LEADS_BIN"
	refute_output --partial libpq
}

# A database that does not exist: as a file, readers find none (66) and
# writers create it (CREATE DATABASE via the maintenance database, as the
# same role); a role that may not is 73.
@test "PostgreSQL: a missing database is 66 for readers, created by writers and db copy; 73 when the role may not" {
	[ -n "${LEADS_TEST_PG:-}" ] || skip "needs a server (make check-pg)"
	local name=lt_missing_$$_$RANDOM
	PG_TEST_DBS+=" $name ${name}_c ${name}_r"
	local db="postgresql:///$name?host=$LEADS_TEST_PG"
	run --separate-stderr leads -d "$db" list
	assert_failure 66
	assert_equal "$stderr" "leads list: no database at '$db' (create it with 'leads init' or 'leads add')"
	run -0 leads -d "$db" add --email a@example.com
	assert_output 1
	run -0 leads -d "$db" list
	assert_output --partial a@example.com
	# db copy into a database that is not there yet
	run -0 leads -q db copy --from "$db" --to "postgresql:///${name}_c?host=$LEADS_TEST_PG"
	run -0 psql -X -At -d "${name}_c" -c "SELECT email FROM leads"
	assert_output a@example.com
	# a role without CREATEDB
	pg_admin -c "DROP ROLE IF EXISTS leads_nocreate" -c "CREATE ROLE leads_nocreate LOGIN"
	run --separate-stderr leads -d "postgresql:///${name}_r?host=$LEADS_TEST_PG&user=leads_nocreate" add --email b@example.com
	assert_failure 73
	assert_equal "$stderr" "leads add: cannot create database '${name}_r' for 'postgresql:///${name}_r?host=$LEADS_TEST_PG&user=leads_nocreate': permission denied to create database"
}

@test "PostgreSQL: connection limits of the role, the database and the server are 75 (busy, retry)" {
	[ -n "${LEADS_TEST_PG:-}" ] || skip "needs a server (make check-pg)"
	leads init
	local name=${LEADS_DB#postgresql:///}
	name=${name%%\?*}
	pg_admin -c "DROP ROLE IF EXISTS leads_limited" -c "CREATE ROLE leads_limited LOGIN CONNECTION LIMIT 0"
	run --separate-stderr leads -d "$LEADS_DB&user=leads_limited" list
	assert_failure 75
	assert_equal "$stderr" "leads list: cannot connect to '$LEADS_DB&user=leads_limited' (host $LEADS_TEST_PG, port 5432): FATAL:  too many connections for role \"leads_limited\" (try again)"
	pg_admin -c "ALTER ROLE leads_limited CONNECTION LIMIT -1" -c "ALTER DATABASE $name CONNECTION LIMIT 0"
	run --separate-stderr leads -d "$LEADS_DB&user=leads_limited" list
	assert_failure 75
	assert_equal "$stderr" "leads list: cannot connect to '$LEADS_DB&user=leads_limited' (host $LEADS_TEST_PG, port 5432): FATAL:  too many connections for database \"$name\" (try again)"
	pg_admin -c "ALTER DATABASE $name CONNECTION LIMIT -1" -c "DROP OWNED BY leads_limited" -c "DROP ROLE leads_limited"
}
