#!/usr/bin/env bats
# Many writers at once: every command succeeds, nothing is lost.
load test_helper

@test "8 concurrent adders of 200 leads each: all 1600 present" {
	leads init 2>/dev/null
	for p in 1 2 3 4 5 6 7 8; do
		(
			for i in $(seq 1 200); do
				leads add --email "p$p-$i@example.com" >/dev/null || echo "p$p-$i rc=$?" >>fail.log
			done
		) &
	done
	wait
	[ ! -s fail.log ] || { cat fail.log; false; }
	run sql "SELECT count(*), count(DISTINCT email) FROM leads"
	assert_output "1600|1600"
	run sql "SELECT count(*) FROM events WHERE kind = 'created'"
	assert_output 1600
	run sql "PRAGMA integrity_check"
	assert_output ok
}

@test "a writer blocked past the busy timeout exits 75 with a clear message" {
	pg_skip "holds SQLite's file write lock with the sqlite3 shell"
	leads add --email a@example.com >/dev/null
	# hold the write lock from another connection
	( sqlite3 "$LEADS_DB" "BEGIN IMMEDIATE; SELECT 1;" ".shell sleep 3" "COMMIT;" >/dev/null ) &
	sleep 0.5
	LEADS_BUSY_TIMEOUT=200 run --separate-stderr leads add --email b@example.com
	wait
	assert_failure 75
	assert_equal "$stderr" "leads add: database busy: '$LEADS_DB' is locked by another leads process (gave up after 200 ms; try again)"
	run sql "SELECT count(*) FROM leads"
	assert_output 1
}
