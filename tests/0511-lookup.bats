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
	# inside a word too (found by a scan when no word starts with it)
	run -0 leads show OUNG --format json
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

@test "stage, status, owner and source names: any unique case-insensitive prefix" {
	mkdir -p "$XDG_CONFIG_HOME/leads"
	printf 'team:\n  - {name: Ana Souza, email: ana@example.com}\n  - {name: Bruno, email: bruno@example.com}\n' \
		>"$XDG_CONFIG_HOME/leads/config.yaml"
	add_lead --email a@example.com --owner ana@example.com --source Webinar
	add_lead --email b@example.com --owner bruno --source "Web form" --stage prop
	run -0 leads list -s proposal --format csv --columns id,stage
	assert_output $'id,stage\n2,Proposal Sent'
	run -0 leads move 1 APPOINT
	run -0 leads list --stage appointment-set --format csv --columns id
	assert_output $'id\n1'
	run -0 leads status 1 unq
	run -0 leads list --status UNQ --owner an --format csv --columns id,owner,status
	assert_output $'id,owner,status\n1,Ana Souza,unqualified'
	run -0 leads list --source webi --format csv --columns id
	assert_output $'id\n1'
	run -0 leads task add 1 call --due 1h --owner bru
	run -0 leads task list --owner BRU --format csv
	assert_line --index 1 --partial ",Bruno,call,"
	run -0 leads funnel --source "web f" --format csv
}

@test "an unknown or ambiguous name is 64 with 'did you mean' in every command alike" {
	add_lead --email a@example.com --owner ana --source Webinar
	add_lead --email b@example.com --source "Web form"
	for cmd in "list -s contcted" "move 1 contcted" "add --email c@example.com --stage contcted" \
		"funnel --stage contcted"; do
		run --separate-stderr leads $cmd
		assert_failure 64
		[[ $stderr == *"unknown stage 'contcted'; did you mean 'Contacted'?" ]] || fail "$cmd: $stderr"
	done
	run --separate-stderr leads list --stage c
	assert_failure 64
	assert_equal "$stderr" "leads list: 'c' is ambiguous for stage: 'Contacted', 'Customer Agreed', 'Closed Deal', 'Customer'"
	run --separate-stderr leads status 1 actve
	assert_failure 64
	assert_equal "$stderr" "leads status: unknown status 'actve'; did you mean 'active'?"
	# unknown owner and source in a filter: 64, not an empty list
	run --separate-stderr leads list --owner bob
	assert_failure 64
	assert_equal "$stderr" "leads list: unknown owner 'bob' ('ana')"
	run --separate-stderr leads list --source webnar
	assert_failure 64
	assert_equal "$stderr" "leads list: unknown source 'webnar'; did you mean 'Webinar'?"
	run --separate-stderr leads export --source web
	assert_failure 64
	assert_equal "$stderr" "leads export: 'web' is ambiguous for source: 'Web form', 'Webinar'"
	run --separate-stderr leads funnel --owner zed
	assert_failure 64
	# a stage inside --json data stays a data error (65)
	run --separate-stderr leads add --json <<<'{"email": "d@example.com", "stage": "contcted"}'
	assert_failure 65
}

@test "list TEXT searches names, company, email, phone, custom fields and notes" {
	add_lead --email ana@acme.com --first Ana --last Lima --company Acme --field color=Teal
	add_lead --email bo@example.org --first Bo --company "Lima Foods" --phone "+55 11 5555-0100"
	add_lead --email cy@example.com --first Cy --last Young --title CTO
	leads note cy "wants a demo of the pricing"
	leads log bo call --note "asked about Zürich delivery"
	ids() { leads list "$@" --format csv --columns id | tail -n +2 | paste -sd' '; }
	run -0 ids lima
	assert_output "1 2"
	run -0 ids "ana lim" # every word, each a prefix
	assert_output "1"
	run -0 ids ACME
	assert_output "1"
	run -0 ids teal
	assert_output "1"
	run -0 ids 5555
	assert_output "2"
	run -0 ids pric
	assert_output "3"
	run -0 ids zurich # accents folded (SQLite)
	[[ -n ${LEADS_TEST_PG:-} ]] || assert_output "2"
	run -0 ids zürich
	assert_output "2"
	run -0 ids cto
	assert_output "3"
	run -0 ids cy@example.com
	assert_output "3"
	# with the other filters, and kept in step as leads change
	run -0 ids lima --stage prosp -n 1
	assert_output "1"
	run -0 ids lima -r
	assert_output "2 1"
	run -0 ids lima --sort email
	assert_output "1 2"
	leads edit 3 --first Cyrus --company Lima >/dev/null
	run -0 ids cyr
	assert_output "3"
	run -0 ids lima
	assert_output "1 2 3"
	run -0 ids nobody
	assert_output ""
	run --separate-stderr leads list "@@"
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads list: nothing to search for in '@@' (give a word of a name, company, email, phone or note)"
}

@test "list TEXT uses the full-text index (query plan), and an older database gets it" {
	pg_skip "SQLite's FTS5 index; PostgreSQL's GIN index is checked in the PG suite"
	add_lead --email a@example.com --first Ann
	# the query of lib/db.c in id order: the index drives, in rowid order, no sort
	run -0 sqlite3 "$LEADS_DB" "EXPLAIN QUERY PLAN SELECT id FROM lead_fts CROSS JOIN leads ON leads.id = lead_fts.rowid WHERE TRUE AND lead_fts MATCH '\"ann\"*' AND status = 'new' ORDER BY lead_fts.rowid ASC LIMIT 20"
	assert_line --partial "SCAN lead_fts VIRTUAL TABLE INDEX"
	assert_line --partial "SEARCH leads USING INTEGER PRIMARY KEY"
	refute_line --partial "SCAN leads"
	refute_line --partial "TEMP B-TREE"
	# sorted by another field: the matches as a list
	run -0 sqlite3 "$LEADS_DB" "EXPLAIN QUERY PLAN SELECT id FROM leads WHERE TRUE AND id IN (SELECT rowid FROM lead_fts WHERE lead_fts MATCH '\"ann\"*') ORDER BY score DESC, id LIMIT 20"
	assert_line --partial "SCAN lead_fts VIRTUAL TABLE INDEX"
	refute_line --partial "SCAN leads"
	# a database from before the index (step 6): the migration fills it from
	# the leads and notes; what the later steps added goes too
	# (7: lead_aliases, 8: leads.close_date, 9: sequences and mail flags,
	# 10: the list indexes by status and stage, stays_stage with the lead,
	# 11: the open tasks by owner)
	sqlite3 "$LEADS_DB" "DROP TRIGGER lead_fts_insert; DROP TRIGGER lead_fts_update; DROP TRIGGER lead_fts_delete; DROP TRIGGER lead_fts_note; DROP TABLE lead_fts; DROP TABLE lead_aliases; ALTER TABLE leads DROP COLUMN close_date; DROP TABLE sequences; DROP TABLE mail_flags; DROP INDEX outbox_seq_sender; ALTER TABLE outbox DROP COLUMN sender; ALTER TABLE outbox DROP COLUMN headers; DROP INDEX leads_status_id; DROP INDEX leads_stage_id; DROP INDEX stays_stage; CREATE INDEX stays_stage ON stays(stage, secs); DROP INDEX tasks_owner_open; PRAGMA user_version = 5;"
	sqlite3 "$LEADS_DB" "INSERT INTO events (lead_id, at, kind, data) VALUES (1, 0, 'note', '{\"text\":\"blue widgets\"}')"
	run -0 leads edit 1 --last Old
	run -0 leads list widget --format csv --columns id,name
	assert_output $'id,name\n1,Ann Old'
	run -0 sqlite3 "$LEADS_DB" "SELECT group_concat(name, ' ') FROM pragma_index_info('stays_stage'); SELECT count(*) FROM sqlite_schema WHERE name IN ('leads_status_id', 'leads_stage_id', 'tasks_owner_open')"
	assert_output $'stage secs lead_id\n3'
}

@test "list TEXT on PostgreSQL: the GIN indexes answer the query" {
	[ -n "${LEADS_TEST_PG:-}" ] || skip "PostgreSQL only"
	add_lead --email a@example.com --first Ann
	run -0 sql "SET enable_seqscan = off; EXPLAIN SELECT id FROM leads WHERE id IN (SELECT id FROM leads WHERE leads_text(first_name, last_name, company, email, phone, title, extra) @@ to_tsquery('simple', 'ann:*') UNION SELECT lead_id FROM events WHERE kind IN ('note', 'call', 'email', 'meeting', 'meeting_scheduled') AND leads_note_text(data) @@ to_tsquery('simple', 'ann:*')) ORDER BY id LIMIT 20"
	assert_output --partial "Bitmap Index Scan on leads_text"
	assert_output --partial "Bitmap Index Scan on events_text"
}

@test "a bulk import leaves the full-text index to the sweep; meanwhile TEXT searches without it" {
	printf '%s\n' 'Email,First Name,Last Name,Company' 'a@example.com,Ann,Lima,Acme' \
		'b@example.com,Bob,Stone,Lima Foods' 'a@example.com,Ann,Dup,Acme' >d.csv
	leads import -q d.csv
	leads note 2 "pricing call"
	run --separate-stderr leads list lima --format csv --columns id
	assert_success
	assert_output $'id\n1\n2'
	if [ -z "${LEADS_TEST_PG:-}" ]; then
		assert_equal "$stderr" "leads list: the search index is not filled since a bulk import (the next 'leads sweep' fills it): searching without it, slowly"
		run -0 sql "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'lead_fts_%'"
		assert_output 4
	fi
	run -0 leads -q list "bob pric" --format csv --columns id
	assert_output $'id\n2'
	run -0 leads -q list dup --format csv --columns id
	assert_output "id"
	run -0 leads show stone --format json
	echo "$output" | jq -e '.id == 2'
	# the sweep fills it; then the index answers, notes included
	run --separate-stderr leads -v sweep --dry-run
	run --separate-stderr leads -v sweep
	assert_success
	[[ -n ${LEADS_TEST_PG:-} ]] || [[ $stderr == *"filled the search index left by a bulk import"* ]]
	run --separate-stderr leads list pric --format csv --columns id
	assert_output $'id\n2'
	assert_equal "$stderr" ""
	[[ -n ${LEADS_TEST_PG:-} ]] || assert_equal "$(sql "SELECT count(*) FROM lead_fts")" 2
	# an import that fails leaves the triggers as they were
	printf '%s\n' 'Email,Created Date' 'x@example.com,soon' >bad.csv
	run leads -d "$BATS_TEST_TMPDIR/fresh.db" import --strict bad.csv
	assert_failure
	if [ -z "${LEADS_TEST_PG:-}" ]; then
		run -0 sqlite3 "$BATS_TEST_TMPDIR/fresh.db" "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'lead_fts_%'"
		assert_output 4
	fi
}

@test "a big import into leads in use indexes its leads in one statement, triggers back after" {
	pg_skip "SQLite's FTS5 triggers"
	add_lead --email a@example.com --first Ann
	sh "$BATS_TEST_DIRNAME/../bench/gen-csv.sh" 6000 >big.csv
	(($(wc -c <big.csv) >= 1048576)) || fail "big.csv is under 1 MiB"
	run -0 leads import -q --no-events big.csv
	run -0 sql "SELECT (SELECT count(*) FROM lead_fts) = (SELECT count(*) FROM leads),
		(SELECT count(*) FROM sqlite_master WHERE name = 'lead_fts_insert'),
		(SELECT count(*) FROM state WHERE key = 'fts_stale')"
	assert_output "1|1|0"
	# the new leads are found through the index, the old one still is
	last=$(sed -n '$p' big.csv | cut -d, -f4)
	run -0 leads list "$last" --format csv --columns email
	assert_line --partial "$last"
	run -0 leads list ann --format csv --columns email
	assert_line a@example.com
	# and a lead added after the import is indexed by the trigger again
	add_lead --email z@example.com --first Zorro
	run -0 leads list zorro --format csv --columns email
	assert_line z@example.com
}
