#!/usr/bin/env bats
# Mail delivery waits for the sendmail process, not for the end of its
# output; a send that timed out once sendmail had the message is
# "unknown" (maybe sent): no sweep sends it again, `outbox retry ID` does.
load test_helper
load wf_helper

# One idle lead in Prospecting: its first reminder is due on 11-08.
one_reminder() {
	wf_config </dev/null
	LEADS_NOW=2026-11-01T09:00:00Z add_lead --email a@example.com "$@" --owner ana
	export LEADS_NOW=2026-11-08T09:00:00Z
}

# Process $1 no longer runs (a zombie not yet reaped by init counts as gone).
gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		[[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) == Z ]] && return 0
		sleep 0.01
	done
	return 1
}

@test "a sendmail that leaves a child holding the pipe: sent once, at its exit" {
	one_reminder
	SECONDS=0
	MAIL_BACKGROUND=30 run --separate-stderr leads sweep --timeout 10
	assert_success
	assert_output "sweep: 0 leads inactive, 1 reminder, 0 tasks late, 0 due-soon notices, 0 leads re-routed; mail: 1 queued, 1 sent, 0 to retry, 0 failed, 0 waiting"
	assert_equal "$stderr" ""
	((SECONDS < 5)) || fail "the sweep took ${SECONDS}s: it waited for the background child"
	# the child was left alone: it may be the one delivering the message
	bg=$(cat "$MAIL_DIR/bg.pid")
	kill -0 "$bg" || fail "the background child of sendmail was killed"
	kill "$bg"
	assert_equal "$(mails)" 1
	run -0 leads outbox list --all --format tsv
	assert_line --index 1 --regexp $'^1\treminder\t.*\tsent\t1\t\t$'
	# and nothing is left to send
	LEADS_NOW=2026-11-09T09:00:00Z run -0 leads sweep -q
	assert_output ""
	assert_equal "$(mails)" 1
}

@test "a sendmail that hangs once it has the message: unknown, not resent by a sweep, resent by outbox retry ID" {
	one_reminder
	MAIL_HANG=30 run --separate-stderr leads sweep --timeout 0.3
	assert_failure 1
	assert_output "sweep: 0 leads inactive, 1 reminder, 0 tasks late, 0 due-soon notices, 0 leads re-routed; mail: 1 queued, 0 sent, 0 to retry, 0 failed, 1 maybe sent, 0 waiting"
	assert_equal "$stderr" "leads sweep: message #1 to ana <ana@example.com> may have been sent: '$FIXTURES/sendmail' timed out after 300 ms (not sent again; see the mail log, then: leads outbox retry 1)"
	# it had gone out; the command and what it started were killed
	assert_equal "$(mails)" 1
	gone "$(cat "$MAIL_DIR/hang.pid")" || fail "the sendmail's child survived the timeout"
	run -0 leads outbox list --format tsv
	assert_output "id	kind	to	subject	created_at	state	tries	next_try	error
1	reminder	ana <ana@example.com>	Reminder: a@example.com idle for 1w in Prospecting	2026-11-08T09:00:00Z	unknown	1		'$FIXTURES/sendmail' timed out after 300 ms"
	run -0 leads outbox list --unknown --format tsv
	assert_line --index 1 --regexp $'^1\treminder\t.*\tunknown\t1\t\t'
	run -0 leads outbox list --failed --format tsv
	assert_output "id	kind	to	subject	created_at	state	tries	next_try	error"
	# no sweep sends it again (the next reminder is due on 11-15)
	LEADS_NOW=2026-11-14T23:00:00Z run --separate-stderr leads sweep
	assert_success
	assert_output --partial "; mail: 0 queued, 0 sent, 0 to retry, 0 failed, 0 waiting"
	assert_equal "$stderr" ""
	assert_equal "$(mails)" 1
	# nor a retry that names no message
	run --separate-stderr leads outbox retry
	assert_success
	assert_output "outbox: 0 sent, 0 to retry, 0 failed"
	assert_equal "$stderr" "leads outbox: 1 message that may have gone out left alone (state unknown); name it to send it again: leads outbox retry ID..."
	assert_equal "$(mails)" 1
	# named, it is sent again: timing out again leaves it unknown
	MAIL_HANG=30 run --separate-stderr leads outbox retry 1 --timeout 0.3
	assert_failure 1
	assert_output "outbox: 0 sent, 0 to retry, 0 failed, 1 maybe sent"
	assert_equal "$stderr" "leads outbox: message #1 to ana <ana@example.com> may have been sent: '$FIXTURES/sendmail' timed out after 300 ms (not sent again; see the mail log, then: leads outbox retry 1)"
	assert_equal "$(mails)" 2
	run -0 leads outbox retry 1
	assert_output "outbox: 1 sent, 0 to retry, 0 failed"
	assert_equal "$(mails)" 3
	# the copies are the same message
	run -0 bash -c "grep -h '^Message-ID:' '$MAIL_DIR'/msg.* | uniq -c"
	assert_output --regexp '^ +3 Message-ID: <leads\.1\.[0-9a-f]+@example\.com>$'
	run -0 sql "SELECT tries, CAST(unknown_at IS NULL AS INTEGER), CAST(sent_at IS NULL AS INTEGER) FROM outbox"
	assert_output "3|1|0"
}

@test "a sendmail that fails without the message is retried by the sweep as before" {
	one_reminder
	MAIL_FAIL=75 run --separate-stderr leads sweep -q --timeout 0.3
	assert_failure 1
	assert_output ""
	assert_equal "$stderr" "leads sweep: message #1 to ana <ana@example.com> not sent: '$FIXTURES/sendmail' exited with status 75: fake sendmail: failing with status 75 as told (will retry)"
	LEADS_NOW=2026-11-08T09:05:00Z run -0 leads sweep -q
	assert_equal "$(mails)" 1
}

@test "outbox retry ID...: every id checked before anything is sent" {
	one_reminder
	LEADS_NOW=2026-11-01T09:00:00Z add_lead --email b@example.com --owner ben
	leads sweep -q --no-deliver
	run --separate-stderr leads outbox retry 1 9
	assert_failure 66
	assert_output ""
	assert_equal "$stderr" "leads outbox: no message #9 in the outbox"
	run --separate-stderr leads outbox retry 1 x
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads outbox: bad message id 'x'"
	assert_equal "$(mails)" 0
	run --separate-stderr leads outbox retry 2 '#1'
	assert_success
	assert_output "outbox: 2 sent, 0 to retry, 0 failed"
	assert_equal "$stderr" ""
	assert_equal "$(mails)" 2
	run --separate-stderr leads outbox list --unknown --sent
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads outbox: give one of --all, --failed, --sent and --unknown"
	run --separate-stderr leads outbox retry --unknown
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads outbox: --all, --failed, --sent and --unknown are options of outbox list"
}

# A script that takes the write lock and holds it for 2 s in the
# background; it returns once the lock is held.
lock_script() {
	local ready=$BATS_TEST_TMPDIR/locked hold
	if [ -n "${LEADS_TEST_PG:-}" ]; then
		# the advisory lock every leads write transaction takes
		hold="psql -X -q -d '$LEADS_DB' -c 'SELECT pg_advisory_lock(108101097100115)' -c '\\! touch $ready' -c 'SELECT pg_sleep(2)'"
	else
		hold="printf 'BEGIN IMMEDIATE;\\n.system touch $ready\\n.system sleep 2\\nCOMMIT;\\n' | sqlite3 '$LEADS_DB'"
	fi
	cat >"$BATS_TEST_TMPDIR/lock.sh" <<-EOF
		#!/bin/sh
		rm -f '$ready'
		( $hold ) >/dev/null 2>&1 &
		i=0
		while [ ! -e '$ready' ] && [ \$i -lt 500 ]; do sleep 0.01; i=\$((i + 1)); done
		[ -e '$ready' ]
	EOF
	chmod +x "$BATS_TEST_TMPDIR/lock.sh"
	echo "$BATS_TEST_TMPDIR/lock.sh"
}

@test "a message sendmail took is marked sent however short the busy timeout: never resent" {
	one_reminder
	# the lock is taken after sendmail has the message, before it is marked
	LEADS_BUSY_TIMEOUT=100 MAIL_THEN=$(lock_script) run --separate-stderr leads sweep --timeout 10
	assert_success
	assert_equal "$stderr" ""
	assert_equal "$(mails)" 1
	run -0 leads outbox list --all --format tsv
	assert_line --index 1 --regexp $'^1\treminder\t.*\tsent\t1\t\t$'
	# nothing is left to send a second time
	LEADS_NOW=2026-11-09T09:00:00Z run -0 leads outbox retry
	assert_equal "$(mails)" 1
}
