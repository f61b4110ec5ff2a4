#!/usr/bin/env bats
# leads add: from options and from JSON, email rules, duplicates.
load test_helper

@test "add prints the new id and starts in the first stage, status new" {
	run --separate-stderr leads add --first Ana --last Lima --email Ana@Example.COM --company Acme
	assert_success
	assert_output 1
	assert_equal "$stderr" ""
	run leads list --format tsv --columns id,email,stage,status,priority,created_at
	assert_output $'id\temail\tstage\tstatus\tpriority\tcreated_at\n1\tana@example.com\tProspecting\tnew\tnormal\t2026-11-24T09:00:00Z'
}

@test "add records a created event by the actor" {
	add_lead --email a@example.com
	run sql "SELECT actor, kind, to_val, at FROM events WHERE lead_id = $id ORDER BY id"
	assert_output "tester|created|prospecting|$(date -d 2026-11-24T09:00:00Z +%s)"
}

@test "duplicate email (any case, spaces) is refused naming the lead" {
	add_lead --email ana@example.com
	run --separate-stderr leads add --email ' ANA@example.com ' --first Other
	assert_failure 65
	assert_output ''
	assert_equal "$stderr" "leads add: lead #1 already has email 'ana@example.com' (use --update to change it)"
	run sql "SELECT count(*) FROM leads"
	assert_output 1
}

@test "add --update changes the existing lead and records it" {
	add_lead --email ana@example.com --company Old
	run --separate-stderr leads add --email ana@example.com --company New --update
	assert_success
	assert_output 1
	run sql "SELECT company FROM leads ORDER BY id"
	assert_output New
	run sql "SELECT kind, from_val, to_val FROM events WHERE kind = 'edited' ORDER BY id"
	assert_output "edited|Old|New"
}

@test "invalid email is exit 65" {
	run --separate-stderr leads add --email 'not an email'
	assert_failure 65
	assert_equal "$stderr" "leads add: invalid email address 'not an email'"
}

@test "a lead needs some identity" {
	run --separate-stderr leads add --source web
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads add: a lead needs at least an email, a name, a company or a phone" ]]
}

@test "add --stage picks a stage by name, any case" {
	add_lead --email a@example.com --stage 'appointment SET'
	run leads list --format csv --columns stage
	assert_output $'stage\nAppointment Set'
}

@test "add --stage unknown is exit 64 (a bad option value) and adds nothing" {
	run --separate-stderr leads add --email a@example.com --stage Nowhere
	assert_failure 64
	assert_equal "$stderr" "leads add: unknown stage 'Nowhere' ('Prospecting', 'Contacted', 'Appointment Set', 'Proposal Sent', 'Customer Agreed', 'Closed Deal', 'Customer', 'Lost')"
	run sql "SELECT count(*) FROM leads"
	assert_output 0
}

@test "custom fields with --field land in extra" {
	add_lead --email a@example.com --field budget=40k --field 'Lead Score=7' --field website=acme.io
	run sql "SELECT website, extra FROM leads ORDER BY id"
	assert_output 'acme.io|{"budget":"40k","Lead Score":"7"}'
}

@test "--field needs NAME=VALUE" {
	run --separate-stderr leads add --email a@example.com --field budget
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads add: --field wants NAME=VALUE, not 'budget'" ]]
}

@test "fields that have their own command are refused" {
	run --separate-stderr leads add --email a@example.com --field stage=Lost
	assert_failure 64
	assert_equal "$stderr" "leads add: field 'stage' is changed with 'leads add --stage'"
	run --separate-stderr leads add --email a@example.com --field status=active
	assert_failure 64
	assert_equal "$stderr" "leads add: field 'status' is changed with 'leads status'"
}

@test "--value takes money" {
	add_lead --email a@example.com --value '$12,000.5'
	run sql "SELECT value FROM leads ORDER BY id"
	assert_output 1200050
	run --separate-stderr leads add --email b@example.com --value 12k
	assert_failure 65
}

@test "--json reads one object from stdin, with aliases and custom fields" {
	run --separate-stderr leads add --json <<<'{"first":"Chloé","lastname":"Martin","email":"CHLOE@example.org","company":"Initech","budget":"40k","employees":250,"newsletter":null}'
	assert_success
	assert_output 1
	run sql "SELECT first_name, last_name, email, company, extra FROM leads ORDER BY id"
	assert_output 'Chloé|Martin|chloe@example.org|Initech|{"budget":"40k","employees":"250"}'
}

@test "--json with invalid JSON is exit 65" {
	run --separate-stderr leads add --json <<<'{"email": '
	assert_failure 65
	assert_equal "$stderr" "leads add: --json: invalid JSON on standard input"
}

@test "--json that is not an object is exit 65" {
	run --separate-stderr leads add --json <<<'["a"]'
	assert_failure 65
	assert_equal "$stderr" "leads add: --json: expected one JSON object"
}

@test "--json rejects invalid UTF-8 and stores nothing" {
	printf '{"email":"a@example.com","first_name":"\xff"}' >in.json
	run --separate-stderr leads add --json <in.json
	assert_failure 65
	assert_equal "$stderr" "leads add: --json: invalid UTF-8 at byte 40"
	run sql "SELECT count(*) FROM leads"
	assert_output 0
}

@test "--json nested values are refused" {
	run --separate-stderr leads add --json <<<'{"email":"a@example.com","tags":["x"]}'
	assert_failure 65
	assert_equal "$stderr" "leads add: --json: field 'tags' must be a string or number"
}

@test "--owner must be a team member when a team is configured" {
	cat >team.yaml <<'YAML'
pipeline:
  stages:
    - {name: Open, group: active}
    - {name: Won, group: won}
    - {name: Lost, group: lost}
team:
  - {name: ana, email: ana@example.com}
YAML
	# a bad value given as an option is 64 (DECISIONS, Exit codes); in --json data 65
	run --separate-stderr leads -c team.yaml add --email x@example.com --owner bob
	assert_failure 64
	assert_equal "$stderr" "leads add: unknown owner 'bob' ('ana')"
	run --separate-stderr leads -c team.yaml add --json <<<'{"email": "x@example.com", "owner": "bob"}'
	assert_failure 65
	assert_equal "$stderr" "leads add: no team member 'bob' in the config"
	run --separate-stderr leads -c team.yaml add --email x@example.com --owner ANA@example.com
	assert_success
	run --separate-stderr leads -c team.yaml add --email y@example.com --owner an
	assert_success
	run sql "SELECT owner FROM leads ORDER BY id"
	assert_output $'ana\nana'
}

@test "a new lead may start in a lost stage, as an imported one may; it fires no workflows" {
	cat >wf.yaml <<-'YAML'
	workflows:
	  - {on: lead.received, task: {title: First call, due: 1h}}
	YAML
	run -0 leads -c wf.yaml add --email a@example.com --stage lost
	run -0 sql "SELECT stage, reached_pos FROM leads; SELECT count(*) FROM tasks"
	assert_output "lost|0
0"
}

# One definition of a valid lead: each case through add, add --json and
# import (in bulk into an empty database, and row by row) must be accepted
# by all or refused by all, and a lead accepted must come out the same:
# the lifecycle's defaults (lib/lifecycle.c) serve every way in.
@test "add, add --json and import accept and refuse the same leads" {
	# what | add options | JSON | CSV header | CSV row | accepted?
	cases=(
		"phone only|--phone 555-0100|{\"phone\":\"555-0100\"}|phone|555-0100|yes"
		"company only|--company Acme|{\"company\":\"Acme\"}|company|Acme|yes"
		"last name only|--last Lee|{\"last_name\":\"Lee\"}|last_name|Lee|yes"
		"a title only|--title CEO|{\"title\":\"CEO\"}|title|CEO|no"
		"a bad email|--email not-an-email|{\"email\":\"not-an-email\"}|email|not-an-email|no"
		"a lost stage|--email l@example.com --stage Lost|{\"email\":\"l@example.com\",\"stage\":\"Lost\"}|email,stage|l@example.com,Lost|yes"
		"a won stage|--email w@example.com --stage Customer|{\"email\":\"w@example.com\",\"stage\":\"Customer\"}|email,stage|w@example.com,Customer|yes"
	)
	shape="SELECT stage, status, reached_pos, priority, score, owner FROM leads"
	for c in "${cases[@]}"; do
		IFS='|' read -r what opts json header row want <<<"$c"
		reset_db
		# shellcheck disable=SC2086
		if leads add $opts >/dev/null 2>&1; then by_add=yes; else by_add=no; fi
		s_add=$(sql "$shape")
		reset_db
		if leads add --json <<<"$json" >/dev/null 2>&1; then by_json=yes; else by_json=no; fi
		s_json=$(sql "$shape")
		reset_db
		printf '%s\n%s\n' "$header" "$row" >one.csv
		leads -q import one.csv 2>/dev/null || true
		n=$(sql "SELECT count(*) FROM leads")
		if [ "$n" = 1 ]; then by_import=yes; else by_import=no; fi
		s_import=$(sql "$shape")
		# --on-duplicate error: no bulk load, the row-by-row path
		reset_db
		leads -q import --on-duplicate error one.csv 2>/dev/null || true
		n=$(sql "SELECT count(*) FROM leads")
		if [ "$n" = 1 ]; then by_row=yes; else by_row=no; fi
		s_row=$(sql "$shape")
		[ "$by_add|$by_json|$by_import|$by_row" = "$want|$want|$want|$want" ] ||
			fail "$what: add $by_add, --json $by_json, import $by_import, row by row $by_row (want $want)"
		[ "$s_add" = "$s_json" ] && [ "$s_add" = "$s_import" ] && [ "$s_add" = "$s_row" ] ||
			fail "$what: add '$s_add', --json '$s_json', import '$s_import', row by row '$s_row'"
	done
}

@test "edit refuses to leave a lead with nothing to identify it" {
	add_lead --email a@example.com
	run --separate-stderr leads edit 1 --email ''
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads edit: lead #1 would have no email, name, company or phone left" ]]
	run -0 sql "SELECT email FROM leads"
	assert_output a@example.com
}

@test "add --update with --stage is refused" {
	add_lead --email a@example.com
	run --separate-stderr leads add --email a@example.com --stage contacted --update
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads add: --update does not change the stage; use 'leads move'" ]]
}
