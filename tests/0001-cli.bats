#!/usr/bin/env bats
# The command line itself: help, version, unknown commands, global options.
load test_helper

@test "--version prints the version" {
	run --separate-stderr leads --version
	assert_success
	assert_output --regexp '^leads [0-9]+\.[0-9]+\.[0-9]+ \(sqlite 3\.[0-9.]+\)$'
}

@test "no command prints help on stderr and exits 64" {
	run --separate-stderr leads
	assert_failure 64
	assert_output ''
	[[ $stderr == *"usage: leads [OPTIONS] COMMAND"* ]]
}

@test "leads help lists the commands" {
	run --separate-stderr leads help
	assert_success
	assert_line --regexp '^  add +add a lead$'
	assert_line --regexp '^  move +move a lead to another stage$'
	refute_line --partial '__complete'
}

@test "leads help COMMAND equals COMMAND -h" {
	run --separate-stderr leads help move
	assert_success
	help=$output
	run --separate-stderr leads move -h
	assert_success
	assert_equal "$output" "$help"
	assert_line 'usage: leads move LEAD STAGE|--next|--back [--reason TEXT]'
	assert_line --regexp '^  -n, --next +move to the next stage of the same group$'
}

@test "ls is an alias of list" {
	run --separate-stderr leads ls -h
	assert_success
	assert_line --index 0 --partial 'usage: leads list'
}

@test "unknown command suggests the closest one" {
	run --separate-stderr leads mvoe
	assert_failure 64
	assert_output ''
	assert_equal "$stderr" "leads: 'mvoe' is not a leads command; did you mean 'move'?"
}

@test "unknown command far from any says so" {
	run --separate-stderr leads frobnicate
	assert_failure 64
	assert_equal "$stderr" "leads: 'frobnicate' is not a leads command; see 'leads help'"
}

@test "unknown option is a usage error" {
	run --separate-stderr leads list --bogus
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads list: unknown option '--bogus'" ]]
}

@test "option missing its value is a usage error" {
	run --separate-stderr leads list --status
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads list: --status needs a value" ]]
}

@test "too many arguments is a usage error" {
	run --separate-stderr leads show 1 2
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads show: unexpected argument '2'" ]]
}

@test "bad --now is a usage error" {
	run --separate-stderr leads --now yesterday list
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads list: bad time 'yesterday' for --now"* ]]
}

@test "bad LEADS_NOW is a usage error naming the variable" {
	LEADS_NOW=2024-02-30 run --separate-stderr leads list
	assert_failure 64
	[[ ${stderr_lines[0]} == *"for LEADS_NOW"* ]]
}

@test "bad --format is a usage error" {
	run --separate-stderr leads list --format xml
	assert_failure 64
	[[ ${stderr_lines[0]} == "leads list: unknown format 'xml' (use table, csv, tsv, json or jsonl)" ]]
}

@test "global options work before and after the command" {
	new_db other
	leads -d "$other" add --email a@example.com >/dev/null
	run --separate-stderr leads list --db "$other" --format csv --columns email
	assert_success
	assert_output $'email\na@example.com'
	run --separate-stderr leads --format=csv list --columns email
	assert_failure 66
}

@test "reading commands on a missing database exit 66" {
	run --separate-stderr leads list
	assert_failure 66
	assert_equal "$stderr" "leads list: no database at '$LEADS_DB' (create it with 'leads init' or 'leads add')"
}

@test "default database lives under XDG_DATA_HOME with mode 0600" {
	unset LEADS_DB
	run --separate-stderr leads add --email a@example.com
	assert_success
	[ -f "$XDG_DATA_HOME/leads/leads.db" ]
	[ "$(stat -c %a "$XDG_DATA_HOME/leads/leads.db")" = 600 ]
	[ "$(stat -c %a "$XDG_DATA_HOME/leads")" = 700 ]
}

@test "a file that is not a database is exit 65" {
	pg_skip "writes text into the database file"
	echo "hello" >"$LEADS_DB"
	run --separate-stderr leads add --email a@example.com
	assert_failure 65
	[[ $stderr == *"is not a leads database"* ]]
}

@test "init creates the database once and says so" {
	run --separate-stderr leads init
	assert_success
	assert_output ''
	assert_equal "$stderr" "leads init: database '$LEADS_DB' is ready (schema version 3)"
	[ -n "${LEADS_TEST_PG:-}" ] || [ "$(stat -c %a "$LEADS_DB")" = 600 ]
	run --separate-stderr leads -q init
	assert_success
	assert_equal "$stderr" ""
}
