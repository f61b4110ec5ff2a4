#!/usr/bin/env bats
# leads sweep: inactivity, stage reminders with repeat and escalation,
# late tasks, due-soon notices, digests; idempotence (twice, and two at
# once), dry runs, the summary and the exit status.
load test_helper
load wf_helper

# One sweep at day $1 of November 2026, 09:00 UTC (days past 30 go on).
sweep_day() {
	local d=$1
	shift
	LEADS_NOW=$(date -u -d "2026-11-01 09:00 UTC + $((d - 1)) days" +%FT%TZ) leads sweep "$@"
}

statuses() {
	sql "SELECT group_concat(status, ' ') FROM (SELECT status FROM leads ORDER BY id) AS q"
}

@test "inactivity at 30, 60 and 90 days; unqualified and inactive leads are left alone" {
	for window in 30 60 90; do
		reset_db && rm -f "$MAIL_DIR"/*
		WF_INACTIVE=${window}d wf_config </dev/null
		LEADS_NOW=2026-11-01T09:00:00Z
		add_lead --email new@example.com              # never acted on: new
		add_lead --email act@example.com
		LEADS_NOW=2026-11-11T09:00:00Z leads log 2 call  # active, 10 days later
		add_lead --email unq@example.com
		leads status 3 unqualified
		add_lead --email ina@example.com
		leads status 4 inactive
		run -0 sweep_day "$window" -q
		assert_output ''
		run -0 statuses
		assert_output "new active unqualified inactive"
		run -0 sweep_day $((window + 1)) -q
		run -0 statuses
		assert_output "inactive active unqualified inactive"
		run -0 sweep_day $((window + 10))
		assert_output --partial "sweep: 0 leads inactive,"
		run -0 sweep_day $((window + 11))
		assert_output --partial "sweep: 1 lead inactive,"
		run -0 statuses
		assert_output "inactive inactive unqualified inactive"
		run -0 sql "SELECT lead_id, actor, from_val, to_val, data FROM events
			WHERE actor = 'sweep' AND kind = 'status' ORDER BY id"
		assert_output "1|sweep|new|inactive|{\"reason\":\"no activity for ${window}d\"}
2|sweep|active|inactive|{\"reason\":\"no activity for ${window}d\"}"
	done
	# new activity makes the lead active again
	leads note 1 "called back"
	run -0 statuses
	assert_output "active inactive unqualified inactive"
}

@test "reminders: after remind_after, every repeat, then copied to the manager" {
	wf_config </dev/null # Prospecting: remind_after 7d, repeat 7d, escalate_after 2
	LEADS_NOW=2026-11-01T09:00:00Z add_lead --email a@example.com --first Ann --owner ana
	for d in $(seq 2 29); do
		sweep_day "$d" -q
	done
	run -0 sql "SELECT datetime(at, 'unixepoch'), to_val, data FROM events WHERE kind = 'reminder' ORDER BY id"
	assert_output '2026-11-08 09:00:00|ana|{"n":1,"stage":"prospecting","since":1793523600}
2026-11-15 09:00:00|ana|{"n":2,"stage":"prospecting","since":1793523600}
2026-11-22 09:00:00|ana|{"n":3,"stage":"prospecting","since":1793523600,"cc":"mia"}
2026-11-29 09:00:00|ana|{"n":4,"stage":"prospecting","since":1793523600,"cc":"mia"}'
	assert_equal "$(mails)" 4
	run -0 mail_header Cc
	assert_output $'"mia" <mia@example.com>\n"mia" <mia@example.com>'
	run -0 mail_header Subject
	assert_output "Reminder: Ann idle for 1w in Prospecting
Reminder: Ann idle for 2w in Prospecting
Reminder: Ann idle for 3w in Prospecting
Reminder: Ann idle for 4w in Prospecting"
}

@test "an action restarts the reminders; a task scheduled for later does not" {
	wf_config </dev/null
	LEADS_NOW=2026-11-01T09:00:00Z add_lead --email a@example.com --owner ana
	LEADS_NOW=2026-11-05T09:00:00Z leads task add 1 "Call later" --due 20d
	sweep_day 8 -q
	LEADS_NOW=2026-11-10T09:00:00Z leads log 1 call
	for d in 11 16 17 18 24; do sweep_day "$d" -q; done
	run -0 sql "SELECT datetime(at, 'unixepoch'), json_extract(data, '$.n') FROM events
		WHERE kind = 'reminder' ORDER BY id"
	assert_output "2026-11-08 09:00:00|1
2026-11-17 09:00:00|1
2026-11-24 09:00:00|2"
}

@test "a stage without repeat reminds once; a move starts over; a late sweep catches up" {
	wf_config </dev/null # Contacted: remind_after 3d, no repeat
	LEADS_NOW=2026-11-01T09:00:00Z add_lead --email a@example.com --owner ben
	LEADS_NOW=2026-11-01T09:00:00Z leads move 1 Contacted
	for d in 3 4 5 9; do sweep_day "$d" -q; done
	LEADS_NOW=2026-11-10T09:00:00Z leads move 1 Prospecting
	sweep_day 30 -q # three weeks without a sweep: only reminder 2 is sent now
	run -0 sql "SELECT datetime(at, 'unixepoch'), json_extract(data, '$.stage'),
		json_extract(data, '$.n') FROM events WHERE kind = 'reminder' ORDER BY id"
	assert_output "2026-11-04 09:00:00|contacted|1
2026-11-30 09:00:00|prospecting|2"
	assert_equal "$(mails)" 2
}

@test "a lead without an owner is reminded to the manager; unqualified leads are not" {
	wf_config </dev/null
	LEADS_NOW=2026-11-01T09:00:00Z add_lead --email a@example.com
	LEADS_NOW=2026-11-01T09:00:00Z add_lead --email b@example.com --owner ana
	LEADS_NOW=2026-11-01T09:00:00Z leads status 2 unqualified
	sweep_day 8 -q
	run -0 mail_header To
	assert_output '"mia" <mia@example.com>'
	run -0 sql "SELECT lead_id, to_val FROM events WHERE kind = 'reminder' ORDER BY id"
	assert_output "1|mia"
}

@test "late tasks are marked once and mailed to their owner; done late stays late" {
	wf_config </dev/null
	LEADS_NOW=2026-11-01T09:00:00Z add_lead --email a@example.com --owner ana
	LEADS_NOW=2026-11-01T09:00:00Z leads task add 1 "Call" --due 1d
	LEADS_NOW=2026-11-01T09:00:00Z leads task add 1 "Write" --due 1d --owner ben
	sweep_day 2 -q # due at this very second: not late yet
	run -0 sql "SELECT group_concat(late) FROM tasks"
	assert_output "0,0"
	LEADS_NOW=2026-11-02T09:30:00Z leads task done 2
	run -0 sweep_day 3
	assert_output --partial ", 1 task late,"
	run -0 sweep_day 4
	assert_output --partial ", 0 tasks late,"
	run -0 sql "SELECT id, late, CAST(done_at IS NOT NULL AS INTEGER) FROM tasks ORDER BY id"
	assert_output $'1|1|0\n2|1|1'
	run -0 mail_header Subject
	assert_output "Late: Call (a@example.com)"
	run -0 mail_header To
	assert_output '"ana" <ana@example.com>'
}

@test "a due-soon notice goes out once, and again after a snooze" {
	wf_config </dev/null
	LEADS_NOW=2026-11-01T09:00:00Z add_lead --email a@example.com --owner ana
	LEADS_NOW=2026-11-01T09:00:00Z leads task add 1 "Call" --due 1d --notify-before 2h
	LEADS_NOW=2026-11-02T06:59:00Z leads sweep -q
	assert_equal "$(mails)" 0
	LEADS_NOW=2026-11-02T07:00:00Z leads sweep -q
	LEADS_NOW=2026-11-02T08:00:00Z leads sweep -q
	assert_equal "$(mails)" 1
	run -0 mail_header Subject
	assert_output "Due soon: Call (a@example.com)"
	mail_text | grep -qx 'Task #1 "Call" for a@example.com is due at 2026-11-02 09:00 UTC.'
	LEADS_NOW=2026-11-02T08:00:00Z leads task snooze 1 1d
	LEADS_NOW=2026-11-03T07:30:00Z leads sweep -q
	assert_equal "$(mails)" 2
	run -0 sql "SELECT late FROM tasks ORDER BY id"
	assert_output 0
}

@test "the digest lists each rep's tasks due today and overdue, once a day" {
	wf_config <<-'YAML'
	business_hours: {timezone: America/Sao_Paulo}
	YAML
	LEADS_NOW=2026-11-01T09:00:00Z add_lead --email a@example.com --first Ann --owner ana
	LEADS_NOW=2026-11-01T09:00:00Z leads task add 1 "Old one" --due 1d
	# Sao Paulo is UTC-3: "today" on the 5th ends at 2026-11-06T03:00Z
	LEADS_NOW=2026-11-01T09:00:00Z leads task add 1 "Today late" --due 2026-11-06T02:00:00Z
	LEADS_NOW=2026-11-01T09:00:00Z leads task add 1 "Tomorrow" --due 2026-11-06T04:00:00Z
	LEADS_NOW=2026-11-05T12:00:00Z run -0 leads sweep --digest
	assert_output --partial ", 1 digest; mail:"
	LEADS_NOW=2026-11-05T20:00:00Z run -0 leads sweep --digest
	assert_output --partial ", 0 digests; mail:"
	run -0 mail_header Subject
	assert_output "Late: Old one (Ann)
Your day 2026-11-05: 1 due, 1 overdue"
	mail_text | grep -qx '  #2  2026-11-05 23:00  Today late - Ann (lead #1)'
	mail_text | grep -qx '  #1  2026-11-02 06:00  Old one - Ann (lead #1)'
	! mail_text | grep -q Tomorrow
}

# Everything a sweep leaves behind, to compare two states.
state() {
	sql "SELECT id, status, updated_at FROM leads ORDER BY id;
		SELECT id, late, notified_at FROM tasks ORDER BY id;
		SELECT count(*), max(id) FROM events;
		SELECT id, idem_key, sent_at FROM outbox ORDER BY id"
}

setup_busy_day() {
	wf_config </dev/null
	LEADS_NOW=2026-10-01T09:00:00Z
	for i in $(seq 1 30); do
		leads add --email "l$i@example.com" --owner ana >/dev/null
	done
	leads move 5 Contacted
	LEADS_NOW=2026-10-20T09:00:00Z leads log 7 call
	leads task add 3 "Call" --due 1d --notify-before 1h
	LEADS_NOW=2026-11-01T12:00:00Z leads task add 4 "Write" --due 1d --notify-before 12h
}

@test "a sweep run twice at the same time changes and sends nothing more" {
	setup_busy_day
	export LEADS_NOW=2026-11-02T09:00:00Z
	run -0 leads sweep
	assert_output "sweep: 29 leads inactive, 30 reminders (28 to a manager too), 1 task late, 1 due-soon notice, 0 leads re-routed; mail: 32 queued, 32 sent, 0 to retry, 0 failed, 0 waiting"
	before=$(state)
	run -0 leads sweep
	assert_output "sweep: 0 leads inactive, 0 reminders, 0 tasks late, 0 due-soon notices, 0 leads re-routed; mail: 0 queued, 0 sent, 0 to retry, 0 failed, 0 waiting"
	assert_equal "$(state)" "$before"
	assert_equal "$(mails)" 32
}

@test "two sweeps at once make each change and send each message once" {
	setup_busy_day
	export LEADS_NOW=2026-11-02T09:00:00Z
	leads sweep -q --no-deliver # queue, then deliver concurrently
	for i in 1 2 3 4; do
		leads sweep -q >"out.$i" 2>&1 &
	done
	wait
	assert_equal "$(mails)" 32
	assert_equal "$(cat out.*)" ""
	run -0 sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL"
	assert_output 0
	# and from scratch: every step raced
	reset_db
	rm -f "$MAIL_DIR"/*
	setup_busy_day
	export LEADS_NOW=2026-11-02T09:00:00Z
	for i in 1 2 3 4; do
		leads sweep -q >"out.$i" 2>&1 &
	done
	wait
	assert_equal "$(cat out.*)" ""
	assert_equal "$(mails)" 32
	run -0 sql "SELECT count(*) FROM events WHERE actor = 'sweep'"
	assert_output 59 # 29 status changes, 30 reminders
	run -0 sql "SELECT count(DISTINCT idem_key), count(*) FROM outbox"
	assert_output "32|32"
}

@test "--dry-run says what it would do and changes nothing" {
	setup_busy_day
	export LEADS_NOW=2026-11-02T09:00:00Z
	before=$(state)
	run -0 leads sweep --dry-run
	assert_line "would: lead #1 l1@example.com: new -> inactive (no activity for 30d)"
	assert_line "would: lead #5 l5@example.com: reminder 1 to ana (idle in Contacted since 2026-10-01 09:00 UTC)"
	assert_line "would: task #1 \"Call\" (ana, lead #3): late, was due 2026-10-02 09:00 UTC"
	assert_line "would: task #2 \"Write\" (ana, lead #4): due soon, at 2026-11-02 12:00 UTC"
	assert_line "sweep (dry run, nothing changed): would make 29 leads inactive, 30 reminders (28 to a manager too), 1 task late, 1 due-soon notice, 0 leads re-routed; 32 messages would be queued, 0 waiting"
	assert_equal "$(state)" "$before"
	assert_equal "$(mails)" 0
	run -0 leads sweep -q
	assert_equal "$(mails)" 32
}

@test "--dry-run writes nothing and rescores nothing, even before its rollback" {
	setup_busy_day
	cat >>"$LEADS_CONFIG" <<-YAML
	scoring:
	  rules:
	    - {name: calls, on: call, points: 5}
	    - {name: gone, when: {field: status, eq: inactive}, points: -10}
	routing:
	  rules:
	    - {name: pool, assign: {round_robin: [ana, ben]}, reassign_after: 2h}
	YAML
	export LEADS_NOW=2026-11-02T09:00:00Z
	# LEADS_TRACE_SQL (lib/db.c) shows every statement prepared: only reads
	run -0 --separate-stderr env LEADS_TRACE_SQL=1 "$LEADS_BIN" sweep --dry-run --digest
	assert_line "sweep (dry run, nothing changed): would make 29 leads inactive, 30 reminders (28 to a manager too), 1 task late, 1 due-soon notice, 0 leads re-routed, 1 digest; 33 messages would be queued, 0 waiting"
	local writes
	writes=$(grep '^leads-sql: ' <<<"$stderr" | grep -vE '^leads-sql: (SELECT|PRAGMA user_version$)' || true)
	assert_equal "$writes" ""
	# no rescoring: the activities of a lead are never read
	run -1 grep -c 'FROM events WHERE lead_id = ?1 AND kind IN' <<<"$stderr"
	assert_output 0
	# which the real sweep does: a rule reads the status
	run -0 --separate-stderr env LEADS_TRACE_SQL=1 "$LEADS_BIN" sweep -q --no-deliver
	run -0 grep -c 'FROM events WHERE lead_id = ?1 AND kind IN' <<<"$stderr"
}

@test "-q is silent on success; a failed delivery is reported and exits 1" {
	setup_busy_day
	export LEADS_NOW=2026-11-02T09:00:00Z
	MAIL_FAIL=75 run --separate-stderr leads sweep -q
	assert_failure 1
	assert_output ''
	assert_equal "${#stderr_lines[@]}" 32
	assert_equal "${stderr_lines[0]}" "leads sweep: message #1 to ana <ana@example.com> not sent: '$FIXTURES/sendmail' exited with status 75: fake sendmail: failing with status 75 as told (will retry)"
}

@test "sweep needs a database and a valid --timeout" {
	wf_config </dev/null
	run --separate-stderr leads sweep
	assert_failure 66
	leads init
	run --separate-stderr leads sweep --timeout 0
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads sweep: bad --timeout '0' (seconds, more than 0 and at most 3600)"
}

@test "a lead past its routing response deadline is re-routed once, with its mail" {
	WF_ASSIGN_MAIL=true wf_config <<-'YAML'
	routing:
	  rules:
	    - name: pool
	      assign: {round_robin: [ana, ben]}
	      reassign_after: 2h
	YAML
	LEADS_NOW=2026-11-24T09:00:00Z add_lead --email a@example.com
	LEADS_NOW=2026-11-24T09:00:00Z add_lead --email b@example.com
	LEADS_NOW=2026-11-24T10:00:00Z leads log 2 call # ben answered in time
	LEADS_NOW=2026-11-24T10:59:00Z run -0 leads sweep
	assert_output --partial ", 0 leads re-routed; mail: 0 queued, 2 sent,"
	LEADS_NOW=2026-11-24T11:00:00Z run -0 leads sweep -v
	assert_output --partial ", 1 lead re-routed; mail: 2 queued, 2 sent,"
	LEADS_NOW=2026-11-24T11:00:00Z run -0 leads sweep
	assert_output --partial ", 0 leads re-routed; mail: 0 queued, 0 sent,"
	run -0 sql "SELECT lead_id, actor, from_val, to_val, json_extract(data, '$.reason') FROM events
		WHERE kind = 'assigned' AND actor = 'sweep' ORDER BY id"
	assert_output "1|sweep|ana|ben|no activity within 2h"
	run -0 mail_header Subject
	assert_line "Lead passed on to you: a@example.com"
	# the new owner does not answer either: passed on again, 2h later
	LEADS_NOW=2026-11-24T13:00:00Z run -0 leads sweep
	assert_output --partial ", 1 lead re-routed;"
	run -0 sql "SELECT owner FROM leads ORDER BY id"
	assert_output $'ana\nben'
}

@test "idle leads go inactive in two statements unless a scoring rule reads the status" {
	# no reminders: the default stages have none
	cat >"$LEADS_CONFIG" <<-YAML
	team:
	  - {name: ana, email: ana@example.com}
	scoring:
	  rules:
	    - {name: calls, on: call, points: 5}
	YAML
	LEADS_NOW=2026-11-01T09:00:00Z
	add_lead --email a@example.com --first Ann
	add_lead --email b@example.com
	add_lead --email c@example.com
	# LEADS_TRACE_SQL (lib/db.c) shows every statement prepared: no lead is
	# read or saved one at a time, no activity read to rescore
	run -0 --separate-stderr env LEADS_TRACE_SQL=1 LEADS_NOW=2026-12-05T09:00:00Z \
		"$LEADS_BIN" -v sweep --no-deliver
	assert_output --partial "sweep: 3 leads inactive,"
	run -0 grep 'inactive (' <<<"$stderr"
	assert_output "leads sweep: lead #1 Ann: new -> inactive (no activity for 30d)
leads sweep: lead #2 b@example.com: new -> inactive (no activity for 30d)
leads sweep: lead #3 c@example.com: new -> inactive (no activity for 30d)"
	run -0 grep -c "^leads-sql: UPDATE leads SET status = 'inactive', updated_at = ?1 WHERE" <<<"$stderr"
	assert_output 1
	run -1 grep -cE 'FROM leads WHERE id = \?1|^leads-sql: UPDATE leads SET email|FROM events WHERE lead_id = \?1 AND kind IN' <<<"$stderr"
	run -0 statuses
	assert_output "inactive inactive inactive"
	run -0 sql "SELECT lead_id, at, actor, kind, from_val, to_val, data FROM events
		WHERE actor = 'sweep' AND kind = 'status' ORDER BY id"
	assert_output "1|1796461200|sweep|status|new|inactive|{\"reason\":\"no activity for 30d\"}
2|1796461200|sweep|status|new|inactive|{\"reason\":\"no activity for 30d\"}
3|1796461200|sweep|status|new|inactive|{\"reason\":\"no activity for 30d\"}"
	run -0 sql "SELECT DISTINCT updated_at FROM leads"
	assert_output 1796461200
	# a rule on the status: each lead through the engines, rescored
	reset_db
	cat >>"$LEADS_CONFIG" <<-YAML
	    - {name: gone, when: {field: status, eq: inactive}, points: -10}
	YAML
	add_lead --email a@example.com --first Ann
	run -0 --separate-stderr env LEADS_TRACE_SQL=1 LEADS_NOW=2026-12-05T09:00:00Z \
		"$LEADS_BIN" -v sweep --no-deliver
	run -0 grep -c '^leads sweep: lead #1 Ann: new -> inactive' <<<"$stderr"
	run -0 grep -c 'FROM leads WHERE id = ?1' <<<"$stderr"
	run -0 grep -c 'FROM events WHERE lead_id = ?1 AND kind IN' <<<"$stderr"
	# saved by its status, updated_at and score, not the whole row
	run -0 grep -c "^leads-sql: UPDATE leads SET status = 'inactive', updated_at = ?2, score = ?3 WHERE id = ?1" <<<"$stderr"
	run -1 grep -c '^leads-sql: UPDATE leads SET email' <<<"$stderr"
	run -0 sql "SELECT status, score FROM leads"
	assert_output "inactive|-10"
}
