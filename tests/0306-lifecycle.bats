#!/usr/bin/env bats
# The lead's lifecycle (lib/lifecycle.h), whichever way a lead changes:
# the new owner is told and takes the open tasks along; a closed lead's
# tasks are cancelled; a workflow fires once while its task is open; the
# stage a discarded lead came from; task reassign.
load test_helper
load wf_helper

tasks() {
	sql "SELECT id, owner, owner_given, CAST(done_at IS NOT NULL AS INTEGER),
		CAST(cancelled_at IS NOT NULL AS INTEGER) FROM tasks ORDER BY id"
}

@test "add --owner and edit --owner queue the assignment mail; the config turns it off" {
	WF_ASSIGN_MAIL=true wf_config </dev/null
	add_lead --email a@example.com --first Ann --owner ana
	leads edit 1 --owner ben
	leads edit 1 --owner ben # unchanged: no mail
	leads edit 1 --owner none
	run -0 sql "SELECT rcpt, kind, subject FROM outbox ORDER BY id"
	assert_output "ana@example.com|assignment|Lead assigned to you: Ann
ben@example.com|assignment|Lead assigned to you: Ann"
	run -0 sql "SELECT body FROM outbox WHERE rcpt = 'ben@example.com'"
	assert_line --partial "Lead #1 Ann is yours now: tester gave it to you (it was ana's)."
	# add --update is an owner change too (a mail is one per lead, owner and second)
	LEADS_NOW=2026-11-24T10:00:00Z leads add --email a@example.com --owner ana --update >/dev/null
	run -0 sql "SELECT count(*) FROM outbox WHERE rcpt = 'ana@example.com'"
	assert_output 2
	wf_config </dev/null # assignment_mail: false
	leads edit 1 --owner ben
	run -0 sql "SELECT count(*) FROM outbox"
	assert_output 3
}

@test "open tasks follow the new owner unless they were given to someone by name" {
	wf_config <<-'YAML'
	workflows:
	  - {name: first, on: lead.received, task: {title: First call, due: 1h}}
	  - {name: mgr, on: lead.received, task: {title: Check, due: 1h, assignee: mia}}
	YAML
	add_lead --email a@example.com
	leads task add 1 "By name" --due 2d --owner ana >/dev/null
	leads task add 1 "Anyone's" --due 2d >/dev/null
	leads task done 4
	leads edit 1 --owner ben
	# the unowned workflow task follows, mia's and ana's stay; a done one stays
	run -0 tasks
	assert_output "1|ben|0|0|0
2|mia|1|0|0
3|ana|1|0|0
4||0|1|0"
	leads task reassign 1 ana
	leads edit 1 --owner mia
	run -0 sql "SELECT owner, owner_given FROM tasks WHERE id = 1"
	assert_output "ana|1"
	run -0 sql "SELECT from_val, to_val, data FROM events WHERE kind = 'task.reassigned'"
	assert_output 'ben|ana|{"task":1}'
}

@test "routing a lead hands its open tasks to the routed owner" {
	wf_config <<-'YAML'
	routing:
	  rules:
	    - {name: all, assign: ben}
	YAML
	add_lead --email a@example.com --no-route
	leads task add 1 "Call" --due 2d >/dev/null
	leads route 1 >/dev/null
	run -0 sql "SELECT owner FROM tasks"
	assert_output ben
}

@test "won, lost or unqualified cancels the open tasks; keep_open keeps them; no late mail" {
	wf_config <<-'YAML'
	workflows:
	  - {name: call, on: lead.received, task: {title: Call, due: 1h}}
	  - {name: recover, on: lead.discarded, task: {title: Recover, due: 3mo}}
	  - {name: survey, on: lead.received, keep_open: true, task: {title: Survey, due: 2h}}
	YAML
	add_lead --email won@example.com --owner ana
	add_lead --email lost@example.com --owner ana
	add_lead --email unq@example.com --owner ana
	leads move 1 'Closed Deal'
	leads move 2 Lost --reason budget
	leads status 3 unqualified
	run -0 sql "SELECT lead_id, title, CAST(cancelled_at IS NOT NULL AS INTEGER),
		CAST(done_at IS NULL AS INTEGER) FROM tasks ORDER BY id"
	assert_output "1|Call|1|0
1|Survey|0|1
2|Call|1|0
2|Survey|0|1
3|Call|1|0
3|Survey|0|1
2|Recover|0|1
3|Recover|0|1"
	run -0 sql "SELECT lead_id, data FROM events WHERE kind = 'tasks.cancelled' ORDER BY id"
	assert_output '1|{"tasks":[1],"reason":"won"}
2|{"tasks":[3],"reason":"lost"}
3|{"tasks":[5],"reason":"unqualified"}'
	run -0 leads --format csv task list --all --lead 1
	assert_line --partial ",Call,"
	assert_line --regexp ',cancelled$'
	# a day later: late mail for the open ones only, never for a cancelled task
	LEADS_NOW=2026-11-25T09:00:00Z run -0 leads sweep -q
	run -0 sql "SELECT count(*) FROM outbox WHERE kind = 'late'"
	assert_output 3
	run -0 sql "SELECT count(*) FROM tasks WHERE late <> 0 AND cancelled_at IS NOT NULL"
	assert_output 0
	# late lists the open Survey tasks only: a cancelled task is never late
	run -0 leads --format csv task list --due late --all
	assert_equal "${#lines[@]}" 4
	refute_output --partial ",Call,"
}

@test "a workflow fires once while a task it created is open; repeat: true fires again" {
	wf_config <<-'YAML'
	workflows:
	  - {name: once, on: call.logged, task: {title: Write up, due: 1h}}
	  - {name: each, on: call.logged, repeat: true, task: {title: Log it, due: 1h}}
	YAML
	add_lead --email a@example.com --owner ana
	LEADS_NOW=2026-11-24T09:00:00Z leads log 1 call
	LEADS_NOW=2026-11-24T09:05:00Z leads log 1 call
	run -0 sql "SELECT rule, count(*) FROM tasks GROUP BY rule ORDER BY rule"
	assert_output "each|2
once|1"
	leads task done 1
	LEADS_NOW=2026-11-24T09:10:00Z leads log 1 call
	run -0 sql "SELECT rule, count(*) FROM tasks GROUP BY rule ORDER BY rule"
	assert_output "each|3
once|2"
}

@test "lead.discarded carries the stage the lead came from" {
	wf_config <<-'YAML'
	workflows:
	  - name: recover-contacted
	    on: lead.discarded
	    stage: Contacted
	    task: {title: Recover lead, due: 3mo}
	YAML
	add_lead --email a@example.com --owner ana
	add_lead --email b@example.com --owner ana
	add_lead --email c@example.com --owner ana
	leads move 1 Contacted
	leads move 1 Lost --reason budget
	leads move 2 Lost --reason budget # from Prospecting: no task
	leads move 3 Contacted
	leads status 3 unqualified # discarded at Contacted
	run -0 sql "SELECT lead_id, title FROM tasks ORDER BY id"
	assert_output "1|Recover lead
3|Recover lead"
	run -0 sql "SELECT data FROM events WHERE kind = 'task' AND lead_id = 1"
	assert_output --partial '"from_stage":"contacted"'
}

@test "task reassign: usage errors" {
	wf_config </dev/null
	add_lead --email a@example.com
	run leads task reassign 9 ana
	assert_failure 66
	leads task add 1 T --due 1d >/dev/null
	run leads task reassign 1 zed
	assert_failure 64
	run -0 leads task reassign 1 none
	run -0 sql "SELECT coalesce(owner, 'nobody'), owner_given FROM tasks"
	assert_output "nobody|0"
}

@test "a task due with no owner goes to the manager, or to the configured address" {
	wf_config <<-'YAML'
	workflows:
	  - {name: call, on: lead.received, task: {title: Call, due: 1h, notify_before: 30m}}
	YAML
	add_lead --email a@example.com
	run -0 sql "SELECT coalesce(owner, 'nobody') FROM tasks"
	assert_output nobody
	LEADS_NOW=2026-11-24T09:40:00Z run -0 leads sweep -q
	run -0 sql "SELECT owner FROM tasks"
	assert_output mia
	run -0 sql "SELECT kind, rcpt FROM outbox"
	assert_output "due_soon|mia <mia@example.com>"
	run -0 sql "SELECT to_val, data FROM events WHERE kind = 'task.reassigned'"
	assert_output 'mia|{"task":1,"reason":"unowned"}'
	# the lead gets an owner: the task follows (mia had it by default, not by name)
	leads edit 1 --owner ana
	run -0 sql "SELECT owner FROM tasks"
	assert_output ana

	reset_db
	WF_LIFECYCLE="unowned_tasks: ops@example.com" wf_config <<-'YAML'
	workflows:
	  - {name: call, on: lead.received, task: {title: Call, due: 1h}}
	YAML
	add_lead --email a@example.com
	LEADS_NOW=2026-11-24T11:00:00Z run -0 leads sweep -q
	run -0 sql "SELECT kind, rcpt, coalesce(owner, '-') FROM outbox, tasks"
	assert_output "late|ops@example.com <ops@example.com>|-"
}

@test "lifecycle: config errors" {
	WF_LIFECYCLE="unowned_tasks: nobody" wf_config </dev/null
	run --separate-stderr leads config check
	assert_failure
	stderr_has "expected manager, a team member or an address for unowned_tasks, got 'nobody'"
}

@test "import: only open leads created lately fire workflows, unless --events says otherwise" {
	wf_config <<-'YAML'
	workflows:
	  - {name: call, on: lead.received, task: {title: First call, due: 2h}}
	routing:
	  rules:
	    - {name: all, assign: ana}
	YAML
	cat >in.csv <<-'CSV'
	email,stage,status,created_at
	new@example.com,Prospecting,new,2026-11-23T10:00:00Z
	old@example.com,Prospecting,new,2024-01-10T10:00:00Z
	lost@example.com,Lost,new,2026-11-23T10:00:00Z
	unq@example.com,Prospecting,unqualified,2026-11-23T10:00:00Z
	won@example.com,Closed Deal,active,2026-11-23T10:00:00Z
	CSV
	run --separate-stderr leads import in.csv
	assert_success
	stderr_has "workflows fired for 1 (4 imported quietly)"
	run -0 sql "SELECT l.email FROM tasks t JOIN leads l ON l.id = t.lead_id"
	assert_output new@example.com
	# routing assigns them all the same
	run -0 sql "SELECT count(*) FROM leads WHERE coalesce(owner, import_owner) = 'ana'"
	assert_output 5

	reset_db
	run --separate-stderr leads import --events all in.csv
	stderr_has "workflows fired for 5 (0 imported quietly)"
	run -0 sql "SELECT count(*) FROM tasks"
	assert_output 5
	reset_db
	run -0 leads --format json import --events none in.csv
	assert_output --partial '"events_fired":0,"events_quiet":5'
	run -0 sql "SELECT count(*) FROM tasks"
	assert_output 0
	run leads import --events some in.csv
	assert_failure 64
}

@test "import: lifecycle: import_events_within widens what counts as recent" {
	WF_LIFECYCLE="import_events_within: 1000d" wf_config <<-'YAML'
	workflows:
	  - {name: call, on: lead.received, task: {title: First call, due: 2h}}
	YAML
	printf 'email,created_at\nold@example.com,2024-06-10T10:00:00Z\n' >in.csv
	run --separate-stderr leads import in.csv
	stderr_has "workflows fired for 1 (0 imported quietly)"
}

@test "import: an owner in the file is told, in one digest; an update's new owner takes the tasks" {
	WF_ASSIGN_MAIL=true wf_config </dev/null
	cat >in.csv <<-'CSV'
	email,owner,created_at
	a@example.com,ana,2026-11-23T10:00:00Z
	b@example.com,ana,2026-11-23T11:00:00Z
	c@example.com,ben,2026-11-23T12:00:00Z
	old@example.com,ben,2023-01-01T00:00:00Z
	CSV
	leads -q import in.csv
	# ana: one digest for two leads; ben: the single-lead mail; the old row: nothing
	run -0 sql "SELECT rcpt, kind FROM outbox ORDER BY id"
	assert_output "ana@example.com|assignment_digest
ben@example.com|assignment"
	leads task add 3 "Call" --due 1d >/dev/null
	printf 'email,owner\nc@example.com,ana\n' >upd.csv
	LEADS_NOW=2026-11-24T10:00:00Z leads -q import --on-duplicate update upd.csv
	run -0 sql "SELECT owner FROM tasks"
	assert_output ana
	run -0 sql "SELECT rcpt, kind FROM outbox WHERE id > 2"
	assert_output "ana@example.com|assignment"
}

@test "notify: thresholds and workflows tell members and plain addresses; an unowned hot lead, the manager" {
	wf_config <<-'YAML'
	scoring:
	  rules:
	    - {name: exec, when: {field: title, eq: CEO}, points: 60}
	  thresholds:
	    - {name: hot, at: 50, notify: [ben, sales@example.com]}
	workflows:
	  - {name: call, on: lead.received, notify: ops@example.com, task: {title: First call, due: 1h}}
	YAML
	add_lead --email a@example.com --title CEO --owner ana
	run -0 sql "SELECT kind || ' ' || rcpt FROM outbox ORDER BY kind, rcpt"
	assert_output "threshold ana@example.com
threshold ben@example.com
threshold sales@example.com
workflow ops@example.com"
	run -0 sql "SELECT subject FROM outbox WHERE kind = 'workflow'"
	assert_output "New task: First call: a@example.com"
	# no owner: the manager is told too
	add_lead --email b@example.com --title CEO --no-route
	run -0 sql "SELECT rcpt FROM outbox WHERE kind = 'threshold' AND lead_id = 2 ORDER BY rcpt"
	assert_output "ben@example.com
mia@example.com
sales@example.com"
}

@test "notify: a name that is neither a member nor an address is a config error" {
	wf_config <<-'YAML'
	workflows:
	  - {name: call, on: lead.received, notify: [zed], task: {title: First call, due: 1h}}
	YAML
	run --separate-stderr leads config check
	assert_failure
	stderr_has "notify: 'zed' is neither a team member nor a mail address"
}

@test "assignment_mail: false silences routing's new-owner mail too" {
	wf_config <<-'YAML'
	routing:
	  rules:
	    - {name: all, assign: ben}
	YAML
	add_lead --email a@example.com
	run -0 sql "SELECT owner FROM leads; SELECT count(*) FROM outbox"
	assert_output "ben
0"
}

@test "the sweep cancels, unmailed, the tasks of a lead closed before tasks were cancelled" {
	wf_config </dev/null
	add_lead --email a@example.com --owner ana
	leads task add 1 Call --due 1h >/dev/null
	# as a database from before the lifecycle module: lost, its task still open
	sql "UPDATE leads SET stage = 'lost'"
	LEADS_NOW=2026-11-25T09:00:00Z run -0 leads sweep -q
	run -0 sql "SELECT CAST(cancelled_at IS NOT NULL AS INTEGER), late FROM tasks"
	assert_output "1|0"
	run -0 sql "SELECT count(*) FROM outbox"
	assert_output 0
}

@test "import: a row imported quietly is reminded from the import on, not from its old dates" {
	wf_config </dev/null # Prospecting reminds after 7d, every 7d
	printf 'email,owner,created_at,stage_entered_at\nold@example.com,ana,2024-01-10T10:00:00Z,2024-01-10T10:00:00Z\n' >in.csv
	leads -q import in.csv
	LEADS_NOW=2026-11-25T09:00:00Z run -0 leads sweep -q
	run -0 sql "SELECT count(*) FROM outbox WHERE kind = 'reminder'"
	assert_output 0
	LEADS_NOW=2026-12-01T09:00:00Z run -0 leads sweep -q
	run -0 sql "SELECT count(*) FROM outbox WHERE kind = 'reminder'"
	assert_output 1
	run -0 sql "SELECT json_extract(data, '$.n') FROM events WHERE kind = 'reminder'"
	assert_output 1
	# --events all: the old dates count, as before
	reset_db
	leads -q import --events all in.csv
	LEADS_NOW=2026-11-25T09:00:00Z run -0 leads sweep -q
	run -0 sql "SELECT count(*) FROM outbox WHERE kind = 'reminder'"
	assert_output 1
}
