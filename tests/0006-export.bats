#!/usr/bin/env bats
# leads export: stable columns, formats, formula guard, files.
load test_helper

@test "export writes CSV with the stable header" {
	add_lead --first Ana --email a@example.com --company 'Acme, Inc.' --value 100
	run --separate-stderr leads export
	assert_success
	assert_line --index 0 'id,email,first_name,last_name,phone,company,title,website,industry,city,state,country,source,owner,stage,step,status,priority,category,score,value,close_date,created_at,updated_at,last_activity_at,stage_entered_at,ext_source,ext_id,extra'
	assert_line --index 1 '1,a@example.com,Ana,,,"Acme, Inc.",,,,,,,,,Prospecting,,new,normal,,0,100,,2026-11-24T09:00:00Z,2026-11-24T09:00:00Z,,2026-11-24T09:00:00Z,,,'
}

@test "export guards formula cells unless --no-escape" {
	add_lead --first '=HYPERLINK("http://x")' --email a@example.com --phone '+1 555 0100' --value -5
	run leads export --columns x 2>/dev/null
	run leads export
	assert_line --index 1 --partial ",\"'=HYPERLINK(\"\"http://x\"\")\","
	# only a strict number (sign, digits, one point) is left alone: a phone is guarded
	assert_line --index 1 --partial ",'+1 555 0100,"
	assert_line --index 1 --partial ",-5,"
	run leads export --no-escape
	assert_line --index 1 --partial ',"=HYPERLINK(""http://x"")",'
	add_lead --email b@example.com --company '+cmd|calc' --title '@SUM(A1)'
	run leads export --search b@example.com
	assert_line --index 1 --partial ",'+cmd|calc,'@SUM(A1),"
}

@test "export as jsonl keeps extra as an object" {
	add_lead --email a@example.com --field budget=40k
	run leads export --format jsonl
	echo "$output" | jq -e '.extra.budget == "40k" and .id == 1'
}

@test "export filters like list" {
	add_lead --email a@example.com
	add_lead --email b@example.com
	leads move 2 Lost --reason test
	run leads export --group lost --format tsv
	assert_equal "${#lines[@]}" 2
	assert_line --index 1 --partial "b@example.com"
}

@test "export --output writes a private file atomically" {
	add_lead --email a@example.com
	run --separate-stderr leads export --output out.csv
	assert_success
	assert_output ''
	[ "$(stat -c %a out.csv)" = 600 ]
	run cat out.csv
	assert_line --index 1 --partial a@example.com
	run --separate-stderr leads export --output /nonexistent/dir/out.csv
	assert_failure 74
	assert_equal "$stderr" "leads export: cannot write '/nonexistent/dir/out.csv': No such file or directory"
}

@test "export refuses the table format" {
	add_lead --email a@example.com
	run --separate-stderr leads export --format table
	assert_failure 64
}
