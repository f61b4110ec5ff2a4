#!/usr/bin/env bats
# leads task: add, list and its filters, done (late or not), snooze, and
# the tasks in leads show.
load test_helper
load wf_helper

setup_tasks() {
	wf_config </dev/null
	add_lead --email a@example.com --first Ann --owner ana
	add_lead --email b@example.com --first Bob --owner ben
	leads task add 1 "Call Ann" --due 2h >/dev/null
	leads task add 2 "Mail Bob" --due 1d --notes "the pricing sheet" >/dev/null
	leads task add 1 "Review" --due 2026-11-23T12:00:00Z --owner mia >/dev/null
}

@test "task add prints the id, owner defaults to the lead's; list orders by due time" {
	wf_config </dev/null
	add_lead --email a@example.com --first Ann --owner ana
	run --separate-stderr leads task add 1 "Call Ann" --due 2h
	assert_success
	assert_output 1
	assert_equal "$stderr" ""
	leads task add 1 "Review" --due 2026-11-23T12:00:00Z --owner mia >/dev/null
	run -0 leads task list
	assert_output "ID  LEAD  NAME  OWNER  TITLE     DUE               STATE
 2     1  Ann   mia    Review    2026-11-23 12:00  late
 1     1  Ann   ana    Call Ann  2026-11-24 11:00  open"
	run -0 sql "SELECT to_val, data FROM events WHERE kind = 'task' ORDER BY id"
	assert_output 'ana|{"task":1,"title":"Call Ann"}
mia|{"task":2,"title":"Review"}'
	# a scheduled task is not activity: the lead stays new
	run -0 sql "SELECT status, CAST(last_activity_at IS NULL AS INTEGER) FROM leads ORDER BY id"
	assert_output "new|1"
}

@test "task list filters: --mine, --owner, --lead, --due today|overdue|late, --all" {
	setup_tasks
	# LEADS_USER=tester is nobody in the team: said, not an empty list
	run --separate-stderr leads task list --mine --format csv
	assert_failure 64
	assert_equal "$stderr" "leads task: --mine: LEADS_USER 'tester' is no team member's name or email"
	LEADS_USER=ana run -0 leads task list --mine --format tsv
	assert_output $'id\tlead\tname\towner\ttitle\tdue\tstate\n1\t1\tAnn\tana\tCall Ann\t2026-11-24T11:00:00Z\topen'
	run -0 leads task list --owner BEN --format csv
	assert_output $'id,lead,name,owner,title,due,state\n2,2,Bob,ben,Mail Bob,2026-11-25T09:00:00Z,open'
	run -0 leads task list --lead b@example.com --format csv
	assert_line --index 1 "2,2,Bob,ben,Mail Bob,2026-11-25T09:00:00Z,open"
	# today: the late ones too
	run -0 leads task list --due today --format csv
	assert_output $'id,lead,name,owner,title,due,state\n3,1,Ann,mia,Review,2026-11-23T12:00:00Z,late\n1,1,Ann,ana,Call Ann,2026-11-24T11:00:00Z,open'
	run -0 leads task list --due overdue --format csv
	assert_output $'id,lead,name,owner,title,due,state\n3,1,Ann,mia,Review,2026-11-23T12:00:00Z,late'
	LEADS_NOW=2026-11-24T12:00:00Z leads task done 1 2>/dev/null
	run -0 leads task list --format csv
	refute_line --partial "Call Ann"
	run -0 leads task list --all --format csv
	assert_line "1,1,Ann,ana,Call Ann,2026-11-24T11:00:00Z,done late"
	run -0 leads task list --due late --format csv
	assert_output "id,lead,name,owner,title,due,state
3,1,Ann,mia,Review,2026-11-23T12:00:00Z,late"
	run -0 leads task list --due late --all --format csv
	assert_output "id,lead,name,owner,title,due,state
3,1,Ann,mia,Review,2026-11-23T12:00:00Z,late
1,1,Ann,ana,Call Ann,2026-11-24T11:00:00Z,done late"
}

@test "task done: on time, late, twice; it is activity on the lead" {
	setup_tasks
	LEADS_NOW=2026-11-24T10:00:00Z run --separate-stderr leads task done 1 --note "left a voicemail"
	assert_success
	assert_equal "$stderr" ""
	LEADS_NOW=2026-11-25T10:00:00Z run --separate-stderr leads task done '#2'
	assert_success
	assert_equal "$stderr" "leads task: task #2 was due 2026-11-25 09:00 UTC: done late"
	run --separate-stderr leads task done 2
	assert_success
	assert_equal "$stderr" "leads task: task #2 is already done (2026-11-25 10:00 UTC)"
	run -0 sql "SELECT id, late, datetime(done_at, 'unixepoch') FROM tasks WHERE done_at IS NOT NULL ORDER BY id"
	assert_output $'1|0|2026-11-24 10:00:00\n2|1|2026-11-25 10:00:00'
	run -0 sql "SELECT lead_id, kind, data FROM events WHERE kind LIKE 'task_done%' ORDER BY id"
	assert_output '1|task_done|{"task":1,"title":"Call Ann","note":"left a voicemail"}
2|task_done_late|{"task":2,"title":"Mail Bob"}'
	run -0 sql "SELECT status, datetime(last_activity_at, 'unixepoch') FROM leads ORDER BY id"
	assert_output $'active|2026-11-24 10:00:00\nactive|2026-11-25 10:00:00'
}

@test "task snooze moves the due time (and the notice) from the due time or from now" {
	wf_config </dev/null
	add_lead --email a@example.com --owner ana
	leads task add 1 "Call" --due 2h --notify-before 30m >/dev/null
	leads task snooze 1 1d
	run -0 sql "SELECT datetime(due_at, 'unixepoch'), datetime(notify_at, 'unixepoch') FROM tasks ORDER BY id"
	assert_output "2026-11-25 11:00:00|2026-11-25 10:30:00"
	# past due: from now
	LEADS_NOW=2026-11-27T09:00:00Z leads task snooze 1 2h
	run -0 sql "SELECT datetime(due_at, 'unixepoch') FROM tasks ORDER BY id"
	assert_output "2026-11-27 11:00:00"
	run -0 sql "SELECT data FROM events WHERE kind = 'task_snoozed' ORDER BY id"
	assert_output '{"task":1,"title":"Call","due":"2026-11-25T11:00:00Z"}
{"task":1,"title":"Call","due":"2026-11-27T11:00:00Z"}'
	leads task done 1
	run --separate-stderr leads task snooze 1 1d
	assert_failure 65
	assert_equal "$stderr" "leads task: task #1 is done; there is nothing to snooze"
}

@test "task add in business hours; a due over a weekend" {
	wf_config <<-'YAML'
	business_hours: {timezone: UTC, hours: "09:00-17:00"}
	YAML
	LEADS_NOW=2026-11-20T16:00:00Z add_lead --email a@example.com --owner ana
	LEADS_NOW=2026-11-20T16:00:00Z leads task add 1 "Call" --due 2h --business-hours >/dev/null
	run -0 sql "SELECT datetime(due_at, 'unixepoch') FROM tasks ORDER BY id"
	assert_output "2026-11-23 10:00:00"
}

@test "leads show lists the lead's tasks" {
	setup_tasks
	run -0 leads show 1
	assert_output --partial "
tasks:
  ID  TITLE     OWNER  DUE               STATE
   3  Review    mia    2026-11-23 12:00  late
   1  Call Ann  ana    2026-11-24 11:00  open

history:"
	run -0 leads show 2 --format json
	echo "$output" | jq -e '.tasks == [{"id": 2, "title": "Mail Bob", "owner": "ben",
		"due": "2026-11-25T09:00:00Z", "state": "open"}]'
}

@test "task: usage errors" {
	setup_tasks
	run --separate-stderr leads task frob
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads task: unknown subcommand 'frob' (list, add, done, snooze, reassign)"
	run --separate-stderr leads task add 1 "No due"
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads task: task add needs --due (a duration such as 2h, or a time)"
	run --separate-stderr leads task add 1 "Bad" --due someday
	assert_failure 64
	run --separate-stderr leads task add 1 "X" --due 1h --owner zed
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads task: unknown owner 'zed' ('ana', 'ben', 'mia')"
	run --separate-stderr leads task list --note x
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads task: --note is not an option of task list"
	run --separate-stderr leads task list --mine --owner ana
	assert_failure 64
	run --separate-stderr leads task list --due someday
	assert_failure 64
	run --separate-stderr leads task done 99
	assert_failure 66
	assert_equal "$stderr" "leads task: no task #99"
	run --separate-stderr leads task add 9 "X" --due 1h
	assert_failure 66
	run --separate-stderr leads task add 1 "X" --due 1h --business-hours
	assert_failure 78
	run -0 leads task list
	refute_line --partial " X "
}
