#!/usr/bin/env bats
# Finding a lead by what a person remembers: id, email, or a part of the
# name, company or email. One match is the lead; several are listed with
# their ids and exit 65, as git does with an ambiguous ref.
load test_helper

seed_lookup() {
	add_lead --email ana@acme.com --first Ana --last Lima --company Acme
	add_lead --email bo@lima.org --first Bo --company "Lima Foods"
	add_lead --email cy@example.com --first Cy --last Young
}

@test "a name fragment that matches one lead is that lead, in every command" {
	seed_lookup
	run -0 leads show young --format json
	echo "$output" | jq -e '.id == 3'
	run -0 leads note YOUNG "called back"
	run -0 leads log Young call
	run -0 leads edit young --title CTO
	run -0 leads move young Contacted
	run -0 leads show 3 --format json
	echo "$output" | jq -e '.title == "CTO"'
	run -0 leads task add acme "Send the quote" --due tomorrow
	run -0 leads task list --lead acme --format csv
	assert_line --index 1 --partial ",1,Ana Lima,"
	# an email is still an exact match, an id is an id
	run -0 leads show bo@lima.org --format json
	echo "$output" | jq -e '.id == 2'
	run -0 leads show '#1' --format json
	echo "$output" | jq -e '.id == 1'
}

@test "several matches are listed with their ids: exit 65, nothing changes" {
	seed_lookup
	run --separate-stderr leads note lima "which one?"
	assert_failure 65
	assert_equal "$stderr" "leads note: 'lima' is ambiguous; it matches 2 leads:
       1  Ana Lima <ana@acme.com>, Acme
       2  Bo <bo@lima.org>, Lima Foods
give the id or the email to say which"
	run -0 sql "SELECT count(*) FROM events WHERE kind = 'note'"
	assert_output 0
	run --separate-stderr leads show nobody
	assert_failure 66
	assert_equal "$stderr" "leads show: no lead matches 'nobody' (give an id, an email, or a part of a name or company)"
	run --separate-stderr leads show 42
	assert_failure 66
	assert_equal "$stderr" "leads show: no lead matches '42'"
}

@test "more than ten matches: the first ten, and says there are more" {
	for i in $(seq 1 12); do add_lead --email "p$i@example.com" --first "Pat$i"; done
	run --separate-stderr leads show pat
	assert_failure 65
	assert_equal "${stderr_lines[0]}" "leads show: 'pat' is ambiguous; it matches more than 10 leads:"
	assert_equal "${#stderr_lines[@]}" 12
}

@test "LIKE wildcards in a fragment are plain characters" {
	add_lead --email a@example.com --first Ann --company "100% Fit"
	add_lead --email b@example.com --first Bob --company "100 Fit"
	run -0 leads show "100%" --format json
	echo "$output" | jq -e '.id == 1'
	run --separate-stderr leads show "_"
	assert_failure 66
}
