#!/usr/bin/env bats
# leads list and leads show: filters, sorting, formats, history.
load test_helper

seed() {
	LEADS_NOW=2026-11-01T09:00:00Z leads add --first Ana --last Lima --email ana@example.com --company Acme --source web >/dev/null
	LEADS_NOW=2026-11-10T09:00:00Z leads add --first Ben --last Okafor --email ben@example.com --company Globex --source referral >/dev/null
	LEADS_NOW=2026-11-20T09:00:00Z leads add --first Chloé --last Martin --email chloe@example.org --company Initech --source web >/dev/null
	LEADS_NOW=2026-11-21T09:00:00Z leads move ben@example.com Lost --reason budget
	LEADS_NOW=2026-11-22T09:00:00Z leads move 3 'Closed Deal'
}

@test "list shows an aligned table" {
	seed
	run --separate-stderr leads list
	assert_success
	assert_output - <<'OUT'
ID  NAME          EMAIL              COMPANY  STAGE        STEP  STATUS  OWNER  SCORE
 1  Ana Lima      ana@example.com    Acme     Prospecting        new                0
 2  Ben Okafor    ben@example.com    Globex   Lost               active             0
 3  Chloé Martin  chloe@example.org  Initech  Closed Deal        active             0
OUT
}

@test "list filters by stage, group, status and source" {
	seed
	run leads list --format csv --columns id --stage lost --stage prospecting
	assert_output $'id\n1\n2'
	run leads list --format csv --columns id --group won
	assert_output $'id\n3'
	run leads list --format csv --columns id --status new
	assert_output $'id\n1'
	run leads list --format csv --columns id --source WEB
	assert_output $'id\n1\n3'
}

@test "list filters by dates and text" {
	seed
	run leads list --format csv --columns id --since 2026-11-05 --until 2026-11-20T12:00:00Z
	assert_output $'id\n2\n3'
	run leads list --format csv --columns id --since 10d
	assert_output $'id\n3'
	run leads list --format csv --columns id --search GLOB
	assert_output $'id\n2'
	run leads list --format csv --columns id --search '%'
	assert_output 'id'
	run leads list --format csv --columns id --idle 4d
	assert_output $'id\n1'
	run leads list --format csv --columns id --idle 3d
	assert_output $'id\n1\n2'
}

@test "list sorts and limits" {
	seed
	run leads list --format csv --columns email --sort email --reverse --limit 2
	assert_output $'email\nchloe@example.org\nben@example.com'
}

@test "list rejects bad filters with 64" {
	seed
	run --separate-stderr leads list --stage nowhere
	assert_failure 64
	assert_equal "$stderr" "leads list: unknown stage 'nowhere' ('Prospecting', 'Contacted', 'Appointment Set', 'Proposal Sent', 'Customer Agreed', 'Closed Deal', 'Customer', 'Lost')"
	run --separate-stderr leads list --group maybe
	assert_failure 64
	run --separate-stderr leads list --sort shoe_size
	assert_failure 64
	run --separate-stderr leads list --columns id,shoe
	assert_failure 64
	run --separate-stderr leads list --since someday
	assert_failure 64
}

@test "list as json and jsonl has stable names" {
	seed
	run --separate-stderr leads list --format jsonl --limit 1
	assert_success
	assert_output '{"id":1,"name":"Ana Lima","email":"ana@example.com","company":"Acme","stage":"Prospecting","step":null,"status":"new","owner":null,"score":0}'
	run leads list --format json --status unqualified
	assert_output '[]'
}

@test "list on an empty database prints nothing in a table" {
	leads init 2>/dev/null
	run --separate-stderr leads list
	assert_success
	assert_output ''
}

@test "show prints fields and the full history" {
	seed
	run --separate-stderr leads show ben@example.com
	assert_success
	assert_line --regexp '^stage: +Lost$'
	assert_line --regexp '^group: +lost$'
	assert_line --regexp '^  2026-11-10 09:00 +tester +created +in Prospecting$'
	assert_line --regexp '^  2026-11-21 09:00 +tester +moved +Prospecting -> Lost \(budget\)$'
}

@test "show as json is one object with a history array" {
	seed
	run --separate-stderr leads show 2 --format json
	assert_success
	echo "$output" | jq -e '.email == "ben@example.com" and .stage == "Lost" and (.history | length) == 3 and .history[1].kind == "moved"'
}

@test "show accepts #id and reports unknown leads with 66" {
	seed
	run --separate-stderr leads show '#3'
	assert_success
	run --separate-stderr leads show 99
	assert_failure 66
	assert_equal "$stderr" "leads show: no lead matches '99'"
	run --separate-stderr leads show nobody@example.com
	assert_failure 66
	assert_equal "$stderr" "leads show: no lead matches 'nobody@example.com'"
	run --separate-stderr leads show bob
	assert_failure 66
	assert_equal "$stderr" "leads show: no lead matches 'bob' (give an id, an email, or a part of a name or company)"
}
