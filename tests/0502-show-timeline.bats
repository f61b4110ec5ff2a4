#!/usr/bin/env bats
# `leads show`: the history as a readable timeline, newest first (issue 19).

load test_helper

history_of() {
	run --separate-stderr leads show "$@"
	assert_success
	output=$(sed -n '/^history:$/,$p' <<<"$output" | tail -n +2)
	mapfile -t lines <<<"$output"
}

seed_history() {
	LEADS_NOW=2026-11-20T09:00:00Z add_lead --first Ana --email ana@example.com --value 10000
	LEADS_NOW=2026-11-21T09:00:00Z leads note -q 1 'prefers email'
	LEADS_NOW=2026-11-22T09:00:00Z leads edit -q 1 --value 12000
	LEADS_NOW=2026-11-23T09:00:00Z leads move -q 1 Contacted
	LEADS_NOW=2026-11-23T10:00:00Z leads move -q 1 'Proposal Sent'
}

@test "notes as text, edits and moves in words, newest first as git log" {
	seed_history
	history_of 1
	assert_line --index 0 --regexp '^  2026-11-23 10:00  tester  moved +Contacted -> Proposal Sent$'
	assert_line --index 1 --regexp '^  2026-11-23 09:00  tester  moved +Prospecting -> Contacted$'
	assert_line --index 2 --regexp '^  2026-11-22 09:00  tester  edited +value: 10,000 -> 12,000$'
	assert_line --regexp '^  2026-11-21 09:00  tester  note +prefers email$'
	assert_line --regexp '^  2026-11-21 09:00  tester  status +new -> active \(activity\)$'
	assert_line --index -1 --regexp '^  2026-11-20 09:00  tester  created +in Prospecting$'
}

@test "--reverse lists the history oldest first" {
	seed_history
	history_of 1 --reverse
	assert_line --index 0 --regexp 'created +in Prospecting$'
	assert_line --index -1 --regexp 'moved +Contacted -> Proposal Sent$'
	history_of 1 -r
	assert_line --index 0 --regexp 'created'
}

@test "--format json keeps the raw data, newest first (--reverse: oldest)" {
	seed_history
	run -0 leads show 1 --format json
	echo "$output" | jq -e '.history[0].kind == "moved" and .history[0].to == "Proposal Sent"'
	echo "$output" | jq -e '[.history[] | select(.kind == "note")][0].data == {"text": "prefers email"}'
	echo "$output" | jq -e '[.history[] | select(.kind == "edited")][0] | .from == "10000" and .to == "12000" and .data.field == "value"'
	run -0 leads show 1 --format json --reverse
	echo "$output" | jq -e '.history[0].kind == "created"'
}

@test "a cleared field and an owner read as such" {
	add_lead --first Ana --company Acme
	leads edit -q 1 --company '' --owner ana
	history_of 1
	assert_output --regexp 'edited +company: Acme -> \(none\)'
	assert_output --regexp 'assigned +owner: \(none\) -> ana'
}

@test "a long note wraps at word boundaries to the terminal width" {
	command -v script >/dev/null || skip "no script(1)"
	script -qec true /dev/null >/dev/null 2>&1 || skip "no pseudo-terminal here"
	add_lead --first Ana
	leads note -q 1 'alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa quebec romeo sierra tango'
	run script -qec "stty cols 80 rows 40; LEADS_PAGER=cat '$LEADS_BIN' show 1" /dev/null
	assert_success
	output=${output//$'\r'/}
	local line
	while IFS= read -r line; do
		((${#line} <= 80)) || fail "wider than 80: '$line'"
		[[ $line != *' ' ]] || fail "trailing space: '$line'"
	done <<<"$output"
	assert_output --regexp $'note +alpha bravo [a-z ]+\n +[a-z]'
	# every word whole: the text read back across the lines is the note
	run bash -c "sed -n '/  note  /,/created/p' <<<\"\$0\" | grep -v created | sed 's/.*note  //; s/^ *//' | tr '\n' ' '" "$output"
	assert_output 'alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa quebec romeo sierra tango '
}

@test "on a pipe an event is one line, however long" {
	add_lead --first Ana
	leads note -q 1 "$(printf 'word%.0s ' $(seq 1 60))"
	history_of 1
	assert_line --regexp '^  2026-11-24 09:00  tester  note +(word ){59}word$'
}

@test "on a narrow terminal the text goes on lines of its own" {
	command -v script >/dev/null || skip "no script(1)"
	script -qec true /dev/null >/dev/null 2>&1 || skip "no pseudo-terminal here"
	add_lead --first Ana
	leads note -q 1 'alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima'
	run script -qec "stty cols 50 rows 40; LEADS_PAGER=cat '$LEADS_BIN' show 1" /dev/null
	assert_success
	output=${output//$'\r'/}
	assert_output --regexp $'\n  2026-11-24 09:00  tester  note\n    alpha bravo charlie delta echo foxtrot golf\n    hotel india juliett kilo lima\n'
}

@test "history says what a task event and any other data mean in words, never raw JSON" {
	add_lead --first Ana
	leads task add -q 1 "Send proposal" --due 2026-11-25T10:00:00Z
	run -0 leads task add 1 "Call back" --due 2026-11-26T10:00:00Z
	history_of 1
	refute_output --partial '{'
	# a lead lost closes its tasks: the cancellation in words
	run -0 leads move 1 Lost --reason budget
	history_of 1
	refute_output --partial '{'
	assert_line --regexp '^  2026-11-24 09:00  tester  tasks\.cancelled +tasks: 1, 2, reason: lost$'
}

@test "history times are in the reader's zone, as the fields above them" {
	add_lead --first Ana
	TZ=America/Sao_Paulo history_of 1
	assert_line --regexp '^  2026-11-24 06:00  tester  created +in Prospecting$'
}
