#!/usr/bin/env bats
# leads note, log and edit: activities, history, the idle clock.
load test_helper

@test "note records the text and makes a new lead active" {
	add_lead --email a@example.com
	LEADS_NOW=2026-11-25T10:00:00Z run --separate-stderr leads note 1 'Asked for "pricing"'
	assert_success
	assert_output ''
	run sql "SELECT kind, data FROM events WHERE kind IN ('note','status') ORDER BY id"
	assert_output $'note|{"text":"Asked for \\"pricing\\""}\nstatus|{"reason":"activity"}'
	run leads list --format csv --columns status,last_activity_at
	assert_output $'status,last_activity_at\nactive,2026-11-25T10:00:00Z'
}

@test "an empty note is refused" {
	add_lead --email a@example.com
	run --separate-stderr leads note 1 ''
	assert_failure 64
	run --separate-stderr leads note 1 '  '
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads note: the note is empty" ]]
}

@test "log records each activity kind" {
	add_lead --email a@example.com
	for k in call email meeting email-opened; do
		leads log 1 "$k" --note "did $k"
	done
	run sql "SELECT group_concat(kind, ',') FROM (SELECT kind FROM events WHERE kind NOT IN ('created','status') ORDER BY id) AS q"
	assert_output "call,email,meeting,email_opened"
	run sql "SELECT data FROM events WHERE kind = 'call' ORDER BY id"
	assert_output '{"text":"did call"}'
}

@test "log of an unknown activity is a usage error" {
	add_lead --email a@example.com
	run --separate-stderr leads log 1 fax
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads log: unknown activity 'fax' (call, email, meeting, email-opened)" ]]
}

@test "activity makes an inactive lead active again; unqualified stays" {
	add_lead --email a@example.com
	add_lead --email b@example.com
	leads status 1 inactive
	leads status 2 unqualified
	leads log 1 call
	leads log 2 call
	run sql "SELECT status FROM leads ORDER BY id"
	assert_output $'active\nunqualified'
}

@test "edit changes fields and records each change" {
	add_lead --email a@example.com --company Old
	run --separate-stderr leads edit 1 --company New --value 12000 --priority HIGH --field budget=50k
	assert_success
	run sql "SELECT company, value, priority, extra FROM leads ORDER BY id"
	assert_output 'New|1200000|high|{"budget":"50k"}'
	run sql "SELECT from_val, to_val, data FROM events WHERE kind = 'edited' ORDER BY id"
	assert_output $'Old|New|{"field":"company"}\nnormal|high|{"field":"priority"}\n|12000|{"field":"value"}\n|50k|{"field":"extra.budget"}'
}

@test "edit with an empty value clears; custom fields too" {
	add_lead --email a@example.com --company Acme --field budget=1
	leads edit 1 --company '' --field budget=
	run sql "SELECT CAST(company IS NULL AS INTEGER), CAST(extra IS NULL AS INTEGER) FROM leads ORDER BY id"
	assert_output "1|1"
}

@test "edit owner is recorded as an assignment" {
	add_lead --email a@example.com
	leads edit 1 --owner ana
	run sql "SELECT kind, to_val FROM events WHERE kind = 'assigned' ORDER BY id"
	assert_output "assigned|ana"
	run sql "SELECT owner, CAST(assigned_at IS NOT NULL AS INTEGER) FROM leads ORDER BY id"
	assert_output "ana|1"
}

@test "edit to another lead's email is refused and changes nothing" {
	add_lead --email a@example.com
	add_lead --email b@example.com
	run --separate-stderr leads edit 2 --email A@example.com --company X
	assert_failure 65
	assert_equal "$stderr" "leads edit: another lead already has email 'a@example.com'"
	run sql "SELECT email, CAST(company IS NULL AS INTEGER) FROM leads WHERE id = 2 ORDER BY id"
	assert_output "b@example.com|1"
	run sql "SELECT count(*) FROM events WHERE kind = 'edited'"
	assert_output 0
}

@test "edit with nothing to change is a usage error" {
	add_lead --email a@example.com
	run --separate-stderr leads edit 1
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads edit: nothing to change" ]]
}

@test "edit of a bad priority or value is 65" {
	add_lead --email a@example.com
	run --separate-stderr leads edit 1 --priority bogus
	assert_failure 65
	assert_equal "$stderr" "leads edit: unknown priority 'bogus'"
	run --separate-stderr leads edit 1 --value ten
	assert_failure 65
}
