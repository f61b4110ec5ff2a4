#!/usr/bin/env bats
# Lead data on its way to a terminal: whatever a field holds (escape
# sequences, the bell, bidi overrides, invalid UTF-8), the human-readable
# output (tables, records, messages, the text lines of funnel, route, sweep
# and import) shows it as U+FFFD, and the machine formats (csv, tsv, json,
# export, rejects files) keep the exact bytes. See "Text for a terminal" in
# lib/out.h.
load test_helper

ESC=$'\e'
BEL=$'\a'
RLO=$'\xe2\x80\xae' # U+202E RIGHT-TO-LEFT OVERRIDE
FFFD=$'\xef\xbf\xbd'
# A name that would turn the terminal red, set its title and read backwards.
EVIL=$'Ev\e[31mil\e]0;pwned\a\xe2\x80\xaeX'
EVIL_SHOWN="Ev${FFFD}[31mil${FFFD}]0;pwned${FFFD}${FFFD}X"

# Fail if $1 (named $2) holds a raw ESC, BEL or U+202E.
clean_text() {
	case $1 in
	*"$ESC"* | *"$BEL"* | *"$RLO"*) fail "raw control in $2: $(printf %q "$1")" ;;
	esac
}

# Both streams of the last `run --separate-stderr` are clean.
clean_run() {
	clean_text "$output" stdout
	clean_text "$stderr" stderr
}

@test "a table and a record show ESC, BEL and U+202E as U+FFFD" {
	add_lead --email a@example.com --first "$EVIL" --company $'Acme\xe2\x81\xa6\xe2\x80\x8f'
	run --separate-stderr leads list
	assert_success
	clean_run
	assert_equal "$stderr" ''
	# one U+FFFD is one column: the columns stay aligned
	assert_output "ID  NAME                   EMAIL          COMPANY  STAGE        STEP  STATUS  OWNER  SCORE
 1  $EVIL_SHOWN  a@example.com  Acme$FFFD$FFFD   Prospecting        new                0"
	run --separate-stderr leads show 1
	assert_success
	clean_run
	assert_equal "$stderr" ''
	assert_line "first_name:       $EVIL_SHOWN"
	assert_line "company:          Acme$FFFD$FFFD"
}

@test "funnel --by source: the heading of each group is cleaned" {
	add_lead --email a@example.com --source $'Web\e[2J\a\xe2\x80\xae'
	run --separate-stderr leads funnel --by source
	assert_success
	clean_run
	assert_equal "$stderr" ''
	assert_line --index 0 "source: Web${FFFD}[2J${FFFD}${FFFD}"
	# the machine formats keep the group as it is
	run -0 leads funnel --by source --format json
	run -0 jq -r '.[0].source' <<<"$output"
	assert_output $'Web\e[2J\a\xe2\x80\xae'
}

@test "route --explain: names and values from the lead are cleaned" {
	cat >r.yaml <<'YAML'
team:
  - {name: ana, email: ana@example.com}
routing:
  rules:
    - name: east
      when: {field: state, in: [NY]}
      assign: ana
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	leads add --email a@example.com --first "$EVIL" --field state=$'N\eY\xe2\x80\xae' \
		--no-route >/dev/null
	run --separate-stderr leads route 1 --explain
	assert_success
	clean_run
	assert_output "#1 $EVIL_SHOWN <a@example.com>
  rule 1 'east': no match: state 'N${FFFD}Y${FFFD}' is not in [NY]
  -> unassigned: no routing rule matched"
	assert_equal "$stderr" "leads route: 1 lead: 0 assigned, 0 unchanged, 1 without a member (explained: nothing changed)"
}

@test "sweep -v and sweep --dry-run: the lines about leads and tasks are cleaned" {
	add_lead --first "$EVIL"
	leads task add 1 $'Call\e[5m\xe2\x80\xae' --due 2026-11-25T09:00:00Z >/dev/null
	export LEADS_NOW=2027-01-05T09:00:00Z
	run --separate-stderr leads sweep --dry-run
	assert_success
	clean_run
	assert_equal "$stderr" ''
	assert_output "would: lead #1 $EVIL_SHOWN: new -> inactive (no activity for 30d)
would: task #1 \"Call${FFFD}[5m${FFFD}\" (nobody, lead #1): late, was due 2026-11-25 09:00 UTC
sweep (dry run, nothing changed): would make 1 lead inactive, 0 reminders, 1 task late, 0 due-soon notices, 0 leads re-routed; 0 messages would be queued, 0 waiting"
	run --separate-stderr leads sweep -v
	assert_success
	clean_run
	assert_output "sweep: 1 lead inactive, 0 reminders, 1 task late, 0 due-soon notices, 0 leads re-routed; mail: 0 queued, 0 sent, 0 to retry, 0 failed, 0 waiting"
	assert_equal "$stderr" "leads sweep: lead #1 $EVIL_SHOWN: new -> inactive (no activity for 30d)
leads sweep: task #1 \"Call${FFFD}[5m${FFFD}\" (nobody, lead #1): late, was due 2026-11-25 09:00 UTC"
}

@test "import: a reject message on stderr is cleaned, the rejects file is exact" {
	printf 'email,first_name\nbad\033[31m\xe2\x80\xaeaddr\a,\nok@example.com,Bo\033[2J\n' >in.csv
	run --separate-stderr leads import in.csv
	assert_success
	clean_run
	assert_output ''
	assert_equal "${stderr_lines[0]}" "leads import: line 2: invalid email 'bad${FFFD}[31m${FFFD}addr${FFFD}' and no name, company or phone"
	assert_equal "${#stderr_lines[@]}" 2
	reset_db
	run --separate-stderr leads import --rejects rej.csv in.csv
	assert_success
	clean_run
	assert_equal "$(cat rej.csv)" "rejected_line,rejected_reason,email,first_name
2,\"invalid email 'bad${ESC}[31m${RLO}addr${BEL}' and no name, company or phone\",bad${ESC}[31m${RLO}addr${BEL},"
}

@test "add --json: an error quoting a key from the input is cleaned" {
	run --separate-stderr leads add --json <<<'{"email":"a@example.com","k\u001b[2J\u0007\u202e":{}}'
	assert_failure 65
	clean_run
	assert_output ''
	assert_equal "$stderr" "leads add: --json: field 'k${FFFD}[2J${FFFD}${FFFD}' must be a string or number"
}

@test "messages quoting an argument are cleaned" {
	add_lead --email a@example.com
	run --separate-stderr leads show $'x\e[2J\xe2\x80\xae'
	assert_failure 66
	clean_run
	assert_output ''
	assert_equal "$stderr" "leads show: no lead matches 'x${FFFD}[2J${FFFD}' (give an id, an email, or a part of a name or company)"
	run --separate-stderr leads $'sh\e[2Jow'
	assert_failure 64
	clean_run
}

@test "export (csv and json) and the machine list formats keep the exact bytes" {
	add_lead --email a@example.com --first "$EVIL" --source $'Web\a'
	run -0 leads export
	assert_line "1,a@example.com,$EVIL,,,,,,,,,,Web$BEL,,Prospecting,,new,normal,,0,,,2026-11-24T09:00:00Z,2026-11-24T09:00:00Z,,2026-11-24T09:00:00Z,,,"
	run -0 leads export --format json
	run -0 jq -r '.[0].first_name, .[0].source' <<<"$output"
	assert_output "$EVIL
Web$BEL"
	run -0 leads list --format tsv
	assert_line --index 1 --partial "$EVIL"
	run -0 leads list --format jsonl
	run -0 jq -r .name <<<"$output"
	assert_output "$EVIL"
	run -0 leads show 1 --format json
	run -0 jq -r .first_name <<<"$output"
	assert_output "$EVIL"
}
