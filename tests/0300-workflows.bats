#!/usr/bin/env bats
# Workflows: every event creates its task, due times with and without
# business hours (weekend, holiday, DST), conditions, groups, replay, and
# the config errors, each at its file:line:col.
load test_helper
load wf_helper

tasks() {
	sql "SELECT rule, title, owner, datetime(due_at, 'unixepoch') FROM tasks ORDER BY id"
}

@test "every event type creates its task" {
	wf_config <<-'YAML'
	scoring:
	  rules:
	    - {name: opens, on: email-opened, points: 30}
	  thresholds:
	    - {name: hot, at: 50, due: 1h}
	workflows:
	  - {name: received, on: lead.received, task: {title: First call, due: 30m}}
	  - {name: assigned, on: lead.assigned, task: {title: Say hello, due: 1h}}
	  - name: contacted
	    on: stage.entered
	    stage: Contacted
	    task: {title: Send the deck, due: 2h}
	  - {name: discarded, on: lead.discarded, task: {title: Try to recover, due: 3mo}}
	  - {name: meeting, on: meeting.scheduled, task: {title: Confirm, due: 120m before meeting}}
	  - {name: opened, on: email.opened, repeat: true, task: {title: Follow the open, due: 1d}}
	  - {name: called, on: call.logged, task: {title: Write the call up, due: 1w}}
	  - {name: hot, on: score.threshold, threshold: hot, task: {title: Call now, due: 30m}}
	YAML
	add_lead --email a@example.com --owner ana
	run -0 tasks
	assert_output "received|First call|ana|2026-11-24 09:30:00
assigned|Say hello|ana|2026-11-24 10:00:00"
	LEADS_NOW=2026-11-24T10:00:00Z leads move 1 Contacted
	LEADS_NOW=2026-11-24T10:00:00Z leads move 1 'Proposal Sent' # no rule for this stage
	leads log 1 meeting --at 2026-11-26T15:00:00Z
	leads log 1 email-opened # 30 points
	LEADS_NOW=2026-11-24T11:00:00Z leads log 1 email-opened # 60: hot
	leads log 1 call
	leads move 1 Lost --reason budget
	run -0 sql "SELECT rule, title, datetime(due_at, 'unixepoch') FROM tasks WHERE id > 2
		ORDER BY id"
	assert_output "contacted|Send the deck|2026-11-24 12:00:00
meeting|Confirm|2026-11-26 13:00:00
opened|Follow the open|2026-11-25 09:00:00
hot|Call now|2026-11-24 11:30:00
scoring:score:hot|a@example.com is hot (score 60)|2026-11-24 12:00:00
opened|Follow the open|2026-11-25 11:00:00
called|Write the call up|2026-12-01 09:00:00
discarded|Try to recover|2027-02-24 09:00:00"
	# each task is in the lead's history with its rule
	run -0 sql "SELECT group_concat(r, ' ') FROM (SELECT json_extract(data, '$.rule') AS r
		FROM events WHERE kind = 'task' ORDER BY id) AS q"
	assert_output "received assigned contacted meeting opened hot opened called discarded"
}

@test "unqualified is a discard too" {
	wf_config <<-'YAML'
	workflows:
	  - {on: lead.discarded, task: {title: Recover, due: 3mo}}
	YAML
	add_lead --email a@example.com
	leads status 1 unqualified
	run -0 tasks
	assert_output "workflows[1]|Recover||2027-02-24 09:00:00"
}

@test "replaying an event at the same time creates no second task" {
	wf_config <<-'YAML'
	workflows:
	  - {on: call.logged, repeat: true, task: {title: Write up, due: 1h}}
	YAML
	add_lead --email a@example.com
	leads log 1 call
	leads log 1 call
	run -0 sql "SELECT count(*) FROM tasks"
	assert_output 1
	LEADS_NOW=2026-11-24T09:01:00Z leads log 1 call
	run -0 sql "SELECT count(*) FROM tasks"
	assert_output 2
}

@test "for: groups and when: pick the leads a rule covers" {
	wf_config <<-'YAML'
	workflows:
	  - on: lead.received
	    for: {groups: [east]}
	    when: {field: source, eq: web}
	    task: {title: East web lead, due: 30m}
	YAML
	add_lead --email a@example.com --owner ana --source Web
	add_lead --email b@example.com --owner ben --source web
	add_lead --email c@example.com --owner ana --source fair
	add_lead --email d@example.com --source web
	run -0 sql "SELECT lead_id, title FROM tasks ORDER BY id"
	assert_output "1|East web lead"
}

@test "assignee and notify_before" {
	wf_config <<-'YAML'
	workflows:
	  - on: lead.received
	    task: {title: Review, due: 2h, assignee: mia, notify_before: 15m, notes: Check the fit}
	YAML
	add_lead --email a@example.com --owner ana
	run -0 sql "SELECT owner, notes, datetime(due_at, 'unixepoch'), datetime(notify_at, 'unixepoch') FROM tasks ORDER BY id"
	assert_output "mia|Check the fit|2026-11-24 11:00:00|2026-11-24 10:45:00"
}

@test "a meeting due before the meeting that has passed is due at once" {
	wf_config <<-'YAML'
	workflows:
	  - {on: meeting.scheduled, task: {title: Confirm, due: 120m before meeting}}
	YAML
	add_lead --email a@example.com
	leads log 1 meeting --at 2026-11-24T10:00:00Z
	run -0 tasks
	assert_output "workflows[1]|Confirm||2026-11-24 09:00:00"
	# a past meeting was held: no meeting.scheduled, a meeting activity at its time
	leads log 1 meeting --at 2026-11-23T15:00:00Z -m done
	run -0 sql "SELECT kind, datetime(at, 'unixepoch'), data FROM events WHERE kind LIKE 'meeting%' ORDER BY id"
	assert_output 'meeting_scheduled|2026-11-24 09:00:00|{"at":"2026-11-24T10:00:00Z"}
meeting|2026-11-23 15:00:00|{"at":"2026-11-23T15:00:00Z","text":"done"}'
	run -0 sql "SELECT count(*) FROM tasks"
	assert_output 1
	run --separate-stderr leads log 1 call --at 2026-11-24T10:00:00Z
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads log: --at is for meetings only"
}

# Due times: without business hours, calendar days in the business zone
# (UTC when none); with them, working time.
@test "due without business hours: exact hours, calendar days across DST" {
	wf_config <<-'YAML'
	business_hours: {timezone: America/New_York}
	workflows:
	  - {name: h, on: lead.received, task: {title: In hours, due: 26h}}
	  - {name: d, on: lead.received, task: {title: In days, due: 1d2h}}
	YAML
	# Saturday 2026-03-07 10:00 EST; New York springs forward that night
	LEADS_NOW=2026-03-07T15:00:00Z add_lead --email a@example.com
	run -0 tasks
	assert_output "h|In hours||2026-03-08 17:00:00
d|In days||2026-03-08 16:00:00"
}

@test "due in business hours: the weekend, a holiday and a DST change" {
	wf_config <<-'YAML'
	business_hours:
	  timezone: America/New_York
	  days: [mon-fri]
	  hours: "09:00-18:00"
	  holidays: [2026-11-26, 12-25]
	workflows:
	  - {on: lead.received, task: {title: Call, due: 2h, business_hours: true}}
	YAML
	# Friday 17:00 EST -> Monday 10:00 EST
	LEADS_NOW=2026-11-20T22:00:00Z add_lead --email fri@example.com
	# Wednesday 17:00, Thursday is Thanksgiving -> Friday 10:00
	LEADS_NOW=2026-11-25T22:00:00Z add_lead --email hol@example.com
	# Thursday 2026-12-24 17:30 -> the 25th every year -> Monday 28th 10:30
	LEADS_NOW=2026-12-24T22:30:00Z add_lead --email xmas@example.com
	# Friday 2026-03-06 17:00 EST -> Monday 10:00 EDT (clocks went forward)
	LEADS_NOW=2026-03-06T22:00:00Z add_lead --email dst@example.com
	# Saturday night -> Monday 11:00
	LEADS_NOW=2026-11-22T03:00:00Z add_lead --email sat@example.com
	run -0 sql "SELECT datetime(due_at, 'unixepoch') FROM tasks ORDER BY id"
	assert_output "2026-11-23 15:00:00
2026-11-27 15:00:00
2026-12-28 15:30:00
2026-03-09 14:00:00
2026-11-23 16:00:00"
}

@test "config errors are reported at their line and column" {
	wf_config <<-'YAML'
	workflows:
	  - on: lead.recieved
	    task: {title: A, due: 30m}
	  - on: lead.received
	    task: {title: Too soon, due: 10m}
	  - on: call.logged
	    task: {title: Confirm, due: 2h before meeting}
	  - on: call.logged
	    task: {title: B, due: 2h, business_hours: true}
	  - on: stage.entered
	    stage: Negotiation
	    task: {title: C, due: 1d}
	  - on: call.logged
	    task: {title: D, due: 1h, assignee: zed}
	  - on: call.logged
	  - on: call.logged
	    for: {groups: [north]}
	    task: {title: E, due: soon}
	YAML
	run --separate-stderr leads config check
	assert_failure 1
	f=$LEADS_CONFIG
	assert_equal "$(grep -c "^error: $f:" <<<"$stderr")" 9
	stderr_has "$f:19:9: unknown event 'lead.recieved' for on; did you mean 'lead.received'?"
	stderr_has "$f:22:34: due '10m' is too soon: a task is due at least 30m after the event"
	stderr_has "$f:24:33: a due 'before meeting' needs on: meeting.scheduled"
	stderr_has "$f:26:47: business_hours: true needs a business_hours section"
	stderr_has "$f:28:12: unknown stage 'Negotiation'"
	stderr_has "$f:31:41: unknown team member 'zed'"
	stderr_has "$f:32:5: a workflow rule needs a task (task: {title:, due:})"
	stderr_has "$f:34:20: no team member is in group 'north'"
	stderr_has "$f:35:27: invalid due 'soon'"
	# and any other command refuses to run with exit 78
	run --separate-stderr leads list
	assert_failure 78
}

@test "a bad time zone or hours in business_hours are config errors" {
	wf_config <<-'YAML'
	business_hours:
	  timezone: Europe/Atlantis
	  hours: "18:00-09:00"
	YAML
	run --separate-stderr leads config check
	assert_failure 1
	stderr_has "$LEADS_CONFIG:19:13: unknown time zone 'Europe/Atlantis'"
	stderr_has "$LEADS_CONFIG:20:10: hours '18:00-09:00' end before they start"
}

@test "mail templates: unknown placeholders are config errors" {
	wf_config <<-'YAML'
	YAML
	cat >>"$LEADS_CONFIG" <<-'YAML'
	  templates:
	    reminder:
	      subject: "Hi {{rep.name}}: {{lead.nickname}}"
	YAML
	run --separate-stderr leads config check
	assert_failure 1
	stderr_has "$LEADS_CONFIG:20:16: unknown placeholder '{{lead.nickname}}' in the reminder template"
}

@test "the example workflows config is accepted and shows back the same" {
	export LEADS_CONFIG=$EXAMPLES/workflows.yaml
	run --separate-stderr leads config check
	assert_success
	leads config show >shown.yaml
	LEADS_CONFIG=$PWD/shown.yaml run --separate-stderr leads config check
	assert_success
	LEADS_CONFIG=$PWD/shown.yaml leads config show >again.yaml
	run diff shown.yaml again.yaml
	assert_success
}
