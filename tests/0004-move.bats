#!/usr/bin/env bats
# leads move, status, step: stages, groups, lost reasons, history.
load test_helper

@test "move --next walks the active stages and records history" {
	add_lead --email a@example.com
	run --separate-stderr leads move 1 --next
	assert_success
	assert_output ''
	assert_equal "$stderr" ""
	run sql "SELECT kind, from_val, to_val FROM events WHERE kind = 'moved' ORDER BY id"
	assert_output "moved|prospecting|contacted"
	run sql "SELECT stage, status, reached_pos FROM leads ORDER BY id"
	assert_output "contacted|active|1"
}

@test "move --next past the last active stage names the won stages" {
	add_lead --email a@example.com --stage 'Customer Agreed'
	run --separate-stderr leads move a@example.com --next
	assert_failure 65
	assert_equal "$stderr" "leads move: lead #1 is in 'Customer Agreed', the last active stage; move it to a won stage by name: 'Closed Deal', 'Customer'"
}

@test "move --back goes to the previous stage; not before the first" {
	add_lead --email a@example.com --stage Contacted
	leads move 1 --back
	run sql "SELECT stage FROM leads ORDER BY id"
	assert_output prospecting
	run --separate-stderr leads move 1 --back
	assert_failure 65
	assert_equal "$stderr" "leads move: lead #1 is in the first stage 'Prospecting'; there is no stage before it"
}

@test "move to a stage by name, case-insensitive" {
	add_lead --email a@example.com
	leads move 1 'proposal sent'
	run sql "SELECT stage, reached_pos FROM leads ORDER BY id"
	assert_output "proposal-sent|3"
	leads move 1 contacted
	run sql "SELECT stage, reached_pos FROM leads ORDER BY id"
	assert_output "contacted|3"
}

@test "move to a lost stage needs a reason" {
	add_lead --email a@example.com
	run --separate-stderr leads move 1 Lost
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads move: moving lead #1 to lost stage 'Lost' needs --reason" ]]
	run sql "SELECT stage FROM leads ORDER BY id"
	assert_output prospecting
	leads move 1 Lost --reason "no budget"
	run sql "SELECT to_val, data FROM events WHERE kind = 'moved' ORDER BY id"
	assert_output 'lost|{"reason":"no budget"}'
}

@test "move to an unknown stage lists the stages" {
	add_lead --email a@example.com
	run --separate-stderr leads move 1 Heaven
	assert_failure 64
	assert_equal "$stderr" "leads move: unknown stage 'Heaven' ('Prospecting', 'Contacted', 'Appointment Set', 'Proposal Sent', 'Customer Agreed', 'Closed Deal', 'Customer', 'Lost')"
}

@test "move needs exactly one target" {
	add_lead --email a@example.com
	run --separate-stderr leads move 1
	assert_failure 64
	run --separate-stderr leads move 1 Contacted --next
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads move: give exactly one of STAGE, --next or --back" ]]
}

@test "move to the current stage is a no-op" {
	add_lead --email a@example.com
	run --separate-stderr leads move 1 prospecting
	assert_success
	assert_equal "$stderr" "leads move: lead #1 is already in 'Prospecting'"
	run sql "SELECT count(*) FROM events"
	assert_output 1
}

@test "move on an unknown lead is 66 and changes nothing" {
	run --separate-stderr leads move 5 --next
	assert_failure 66
	add_lead --email a@example.com
	run --separate-stderr leads move 5 --next
	assert_failure 66
	assert_equal "$stderr" "leads move: no lead matches '5'"
}

@test "status sets and records with a reason" {
	add_lead --email a@example.com
	run --separate-stderr leads status 1 unqualified --reason "student"
	assert_success
	run sql "SELECT kind, from_val, to_val, data FROM events WHERE kind = 'status' ORDER BY id"
	assert_output 'status|new|unqualified|{"reason":"student"}'
	run --separate-stderr leads status 1 sleepy
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads status: unknown status 'sleepy' ('new', 'active', 'inactive', 'unqualified')" ]]
}

@test "a status set by hand counts as activity: the sweep does not undo it" {
	printf 'status:\n  inactive_after: 30d\n' >cfg.yaml
	export LEADS_CONFIG=$PWD/cfg.yaml
	LEADS_NOW=2026-01-01T00:00:00Z add_lead --email a@example.com
	LEADS_NOW=2026-03-01T00:00:00Z leads sweep -q
	run sql "SELECT status FROM leads"
	assert_output "inactive"
	LEADS_NOW=2026-03-02T10:00:00Z run --separate-stderr leads status 1 active
	assert_success
	[[ $stderr == *"lead #1 is active; with no activity the sweep makes it inactive at 2026-04-01"* ]]
	run sql "SELECT last_activity_at FROM leads"
	assert_output "1772445600"
	LEADS_NOW=2026-03-02T10:15:00Z leads sweep -q
	run sql "SELECT status FROM leads"
	assert_output "active"
}

steps_config() {
	cat >cfg.yaml <<'YAML'
pipeline:
  stages:
    - name: Added
      group: active
    - name: Negotiation
      group: active
      steps: [Contact Made, Proposal Sent]
    - name: Signed
      group: won
    - name: Lost
      group: lost
YAML
	export LEADS_CONFIG=$PWD/cfg.yaml
}

@test "steps are validated against the stage" {
	steps_config
	add_lead --email a@example.com --stage negotiation
	run --separate-stderr leads step 1 'CONTACT made'
	assert_success
	run leads list --format csv --columns step
	assert_output $'step\nContact Made'
	run sql "SELECT kind, to_val FROM events WHERE kind = 'step' ORDER BY id"
	assert_output 'step|Contact Made'
	run --separate-stderr leads step 1 'Nope'
	assert_failure 65
	assert_equal "$stderr" "leads step: stage 'Negotiation' has no step 'Nope' (steps: 'Contact Made', 'Proposal Sent')"
	leads step 1 --clear
	run sql "SELECT CAST(step IS NULL AS INTEGER) FROM leads ORDER BY id"
	assert_output 1
	leads move 1 --back
	run --separate-stderr leads step 1 'Contact Made'
	assert_failure 65
	assert_equal "$stderr" "leads step: stage 'Added' has no steps"
}

@test "moving clears the step" {
	steps_config
	add_lead --email a@example.com --stage negotiation
	leads step 1 'Proposal Sent'
	leads move 1 --back
	run sql "SELECT CAST(step IS NULL AS INTEGER) FROM leads ORDER BY id"
	assert_output 1
}
