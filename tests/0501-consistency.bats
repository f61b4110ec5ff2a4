#!/usr/bin/env bats
# The same thing answered the same way across commands (issue 19).

load test_helper

@test "a mistyped command suggests by edit distance, a swap counting once" {
	run --separate-stderr leads lsit
	assert_failure 64
	assert_equal "$stderr" "leads: 'lsit' is not a leads command; did you mean 'list'?"
	run --separate-stderr leads shwo
	assert_failure 64
	assert_equal "$stderr" "leads: 'shwo' is not a leads command; did you mean 'show'?"
	run --separate-stderr leads xyzzy
	assert_failure 64
	assert_equal "$stderr" "leads: 'xyzzy' is not a leads command; see 'leads help'"
}

@test "funnel --svg - writes the picture to stdout, as export -O - does" {
	leads add -q --first Ana >/dev/null
	run --separate-stderr leads funnel --svg -
	assert_success
	assert_line --index 0 '<?xml version="1.0" encoding="UTF-8"?>'
	assert_output --partial '</svg>'
	refute_output --partial 'Prospecting    '
	[ ! -e ./- ]
}

sort_leads() {
	leads add -q --first Zed --last Adams --priority low >/dev/null
	leads add -q --first Amy --last Young --priority urgent >/dev/null
	leads add -q --first bob --last adams --priority high >/dev/null
	leads add -q --company Lonely >/dev/null
	leads move -q 1 'Proposal Sent'
	leads move -q 3 Contacted
}

@test "--sort priority: urgent, high, normal, low (--reverse: low first)" {
	sort_leads
	run -0 leads list --sort priority --format tsv -C id,priority
	assert_output $'id\tpriority\n2\turgent\n3\thigh\n4\tnormal\n1\tlow'
	run -0 leads list --sort priority -r --format tsv -C id
	assert_output $'id\n1\n4\n3\n2'
}

@test "--sort stage follows the pipeline, not the alphabet" {
	sort_leads
	run -0 leads list --sort stage --format tsv -C id,stage
	assert_output $'id\tstage\n2\tProspecting\n4\tProspecting\n3\tContacted\n1\tProposal Sent'
}

@test "--sort name: last name, then first, any case" {
	sort_leads
	run -0 leads list --sort name --format tsv -C id,name
	assert_output $'id\tname\n3\tbob adams\n1\tZed Adams\n4\tLonely\n2\tAmy Young'
}

@test "--format is honoured by config check and the sweep summary, refused by config show" {
	leads add -q --first Ana >/dev/null
	run -0 leads config check --format json
	echo "$output" | jq -e '.ok == true and .stages == 8 and .diagnostics == []'
	run -0 leads sweep --dry-run --format json
	echo "$output" | jq -e '.dry_run == true and .inactive == 0 and (.would | type) == "array"'
	run -0 leads sweep --no-deliver --format jsonl
	echo "$output" | jq -e '.dry_run == false and .queued == 0'
	run -64 --separate-stderr leads config show --format json
	[[ $stderr == *"config show prints the config as YAML"* ]]
	run -0 leads config show --format table
}

@test "config check --format json lists the problems, exit 1" {
	printf 'pipeline:\n  stages: []\n' >bad.yaml
	run --separate-stderr leads -c bad.yaml config check --format json
	assert_failure 1
	echo "$output" | jq -e '.ok == false and .errors >= 1 and .diagnostics[0].level == "error"'
}

@test "route --explain and score --explain in a machine format: rows with the explanation" {
	export LEADS_CONFIG=$EXAMPLES/team-routing.yaml
	leads add -q --first Ana --email ana@example.com >/dev/null
	run -0 --separate-stderr leads route 1 --explain --reassign --format json
	echo "$output" | jq -e '.[0].id == 1 and (.[0].explain | test("rule 1 "))'
	run -0 --separate-stderr leads route 1 --dry-run --format json
	echo "$output" | jq -e '.[0] | has("explain") | not'
	run -0 leads score 1 --explain --format json
	echo "$output" | jq -e '.id == 1 and (.explain | test("score")) and (.scores | length) >= 1'
}

@test "one name for one thing: outbox created_at, report tasks due_count" {
	leads init 2>/dev/null
	run -0 leads outbox list --all --format csv
	[ -z "$output" ] || assert_line --index 0 'id,kind,to,subject,created_at,state,tries,next_try,error'
	run -0 leads report tasks --format csv
	assert_line --index 0 'due_count,on_time,done_late,still_late,on_time_rate'
}
