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
	assert_output 3
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
