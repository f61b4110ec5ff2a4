#!/usr/bin/env bats
# leads db copy: every table from one database into another, ids and all,
# in one transaction on the target, checked by reading both back; refusing
# a non-empty target without --force; a failure leaves the target as it
# was. The source is $LEADS_DB, so the suite runs on PostgreSQL too.
load test_helper
load wf_helper
# every kind of row, the assignment mails included
export WF_ASSIGN_MAIL=true

# A database with every kind of row: leads (one imported batch), moves
# (stays), notes, named scores, a reverted batch, tasks, outbox mail (sent and queued), and
# state (the sweep's clock, a routing cursor).
fill() {
	wf_config <<-'YAML'
	scoring:
	  scores:
	    engagement:
	      rules:
	        - {name: calls, on: [call], points: 3}
	routing:
	  rules:
	    - {name: pool, assign: {round_robin: [ana, ben]}}
	YAML
	export LEADS_NOW=2026-11-01T09:00:00Z
	leads add --email ann@example.com --first Ann --last Lee --company Acme >/dev/null
	leads add --email bob@example.com --first Bob --last "O'Neil" --value 1200 >/dev/null
	leads import -q "$EXAMPLES/import/salesforce-report.csv" >/dev/null
	export LEADS_NOW=2026-11-03T10:00:00Z
	leads move 1 --next
	leads log 1 call --note "wants a proposal"
	leads note 2 $'two\tlines\nand "quotes"'
	leads move 2 Lost --reason "went elsewhere"
	leads task add 1 "Send the proposal" --due 1d --notes "the pricing sheet" >/dev/null
	leads task add 2 "Ask again" --due 2026-11-02T12:00:00Z >/dev/null
	# a reverted batch whose lead had moved: its stay leaves a stay_hist
	# bucket with n = 0, which the copy keeps
	leads import -q "$EXAMPLES/import/hubspot.csv" >/dev/null
	LEADS_NOW=2026-11-05T10:00:00Z leads move 15 --next
	leads import -q --revert 2 --force >/dev/null 2>&1
	export LEADS_NOW=2026-11-10T09:00:00Z
	leads sweep -q
	MAIL_FAIL=75 LEADS_NOW=2026-11-17T09:00:00Z leads sweep -q 2>/dev/null || true
	export LEADS_NOW=2026-11-24T09:00:00Z
}

# The rows of the data tables, sorted (stages may sit in another rowid order).
# The full-text index (lead_fts*) is derived from the rows: its pages differ
# with the order of writes, so its content is compared, not its bytes.
dump() {
	sqlite3 "$1" .dump | grep '^INSERT' | grep -v '^INSERT INTO lead_fts' | sort
	sqlite3 "$1" "SELECT rowid, doc, notes FROM lead_fts ORDER BY rowid"
}

@test "db copy: every table, counts and checksums; the copy works as the source" {
	fill
	target=$BATS_TEST_TMPDIR/target.db
	run --separate-stderr leads db copy --from "$LEADS_DB" --to "$target"
	assert_success
	assert_output "TABLE         SOURCE  TARGET  CHECKSUM
stages             5       5  ok
imports            2       2  ok
leads             14      14  ok
events            39      39  ok
stays              2       2  ok
stay_hist          2       2  ok
tasks              2       2  ok
outbox            20      20  ok
state              2       2  ok
scores             1       1  ok
lead_aliases       0       0  ok
sequences          0       0  ok
mail_flags         0       0  ok"
	assert_equal "$stderr" ""
	for cmd in "list" "show 1" "show 2" "funnel" "export" "task list --all" \
		"outbox list --all" "report tasks" "import --list"; do
		diff <(leads $cmd 2>&1) <(leads -d "$target" $cmd 2>&1) ||
			fail "leads $cmd differs on the copy"
	done
	if [[ $LEADS_DB != *://* && $LEADS_DB != *=* ]]; then
		diff <(dump "$LEADS_DB") <(dump "$target") || fail "the rows differ"
	fi
	run -0 sqlite3 "$target" "SELECT n FROM stay_hist ORDER BY n"
	assert_output "0
2"
	# new rows get fresh ids after the copied ones
	run -0 leads -d "$target" add --email new@example.com
	assert_output 15
}

@test "db copy: --format json and tsv; -q prints nothing" {
	wf_config </dev/null
	leads add --email a@example.com >/dev/null
	run -0 leads db copy --from "$LEADS_DB" --to t1.db --format tsv
	assert_line --index 0 "table	source	target	checksum"
	assert_line --index 3 "leads	1	1	ok"
	run -0 leads db copy --from "$LEADS_DB" --to t2.db --format json
	assert_line --index 0 "["
	assert_line '    "table": "leads",'
	assert_line '    "source": 1,'
	assert_line '    "checksum": "ok"'
	run --separate-stderr leads -q db copy --from "$LEADS_DB" --to t3.db
	assert_success
	assert_output ""
	assert_equal "$stderr" ""
	run -0 leads -d t3.db list --format tsv
	assert_line --index 1 --partial "a@example.com"
}

@test "db copy: a non-empty target is refused (73) and left alone; --force replaces it" {
	fill
	target=$BATS_TEST_TMPDIR/target.db
	leads -d "$target" add --email other@example.com >/dev/null
	leads -d "$target" note 1 "keep me"
	run --separate-stderr leads db copy --from "$LEADS_DB" --to "$target"
	assert_failure 73
	assert_output ""
	assert_equal "$stderr" "leads db copy: '$target' is not empty (1 lead, 4 events, 1 outbox message, 1 state value); --force replaces what it holds"
	run -0 leads -d "$target" list --format tsv
	assert_line --index 1 --partial "other@example.com"
	# only stages (synced from the config by any command) do not count
	leads -d empty.db init >/dev/null
	leads -d empty.db -c "$LEADS_CONFIG" funnel >/dev/null
	run -0 leads -q db copy --from "$LEADS_DB" --to empty.db
	run -0 leads db copy --from "$LEADS_DB" --to "$target" --force
	assert_line "leads             14      14  ok"
	diff <(leads show 1) <(leads -d "$target" show 1) || fail "show 1 differs"
	run -0 leads -d "$target" list --search other@example.com
	assert_output ""
}

@test "db copy: a missing source is 66 and creates no target" {
	run --separate-stderr leads db copy --from nope.db --to new.db
	assert_failure 66
	assert_output ""
	assert_equal "$stderr" "leads db copy: source: no database at 'nope.db' (create it with 'leads init' or 'leads add')"
	[[ ! -e new.db ]] || fail "new.db was created"
}

@test "db copy: usage errors" {
	wf_config </dev/null
	leads add --email a@example.com >/dev/null
	run --separate-stderr leads db copy --to x.db
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads db copy: copy needs --from SRC and --to DST"
	assert_equal "${stderr_lines[1]}" "usage: leads db copy --from SRC --to DST [--force]"
	run --separate-stderr leads db move --from a --to b
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads db: unknown db action 'move' (copy)"
	run --separate-stderr leads db
	assert_failure 64
	pg_skip "one file under two names"
	ln -s "$LEADS_DB" same.db
	run --separate-stderr leads db copy --from "$LEADS_DB" --to same.db --force
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads db copy: --from and --to are the same database 'same.db'"
	run -0 leads list --format tsv
	assert_line --index 1 --partial "a@example.com"
}

@test "db copy: a failure halfway leaves the target as it was" {
	pg_skip "a source with a broken foreign key, which only sqlite3 can write"
	fill
	target=$BATS_TEST_TMPDIR/target.db
	leads -d "$target" add --email other@example.com >/dev/null
	sqlite3 "$target" "CREATE TRIGGER boom BEFORE INSERT ON tasks BEGIN SELECT RAISE(ABORT, 'no tasks here'); END;"
	before=$(sqlite3 "$target" .dump)
	run --separate-stderr leads db copy --from "$LEADS_DB" --to "$target" --force
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" "leads db copy: copy tasks: no tasks here"
	assert_equal "$(sqlite3 "$target" .dump)" "$before"
	# a target the failed copy created is removed again (sqlite3 does not
	# check foreign keys: a source with history of a lead it lacks)
	sqlite3 "$LEADS_DB" "INSERT INTO events (lead_id, at, kind) VALUES (999, 0, 'note')"
	run --separate-stderr leads db copy --from "$LEADS_DB" --to new.db
	assert_failure 65
	assert_equal "$stderr" "leads db copy: copy events: FOREIGN KEY constraint failed"
	[[ ! -e new.db && ! -e new.db-wal && ! -e new.db-shm ]] || fail "new.db was left behind"
}

@test "db copy: a checksum that differs fails (70), shows where, and commits nothing" {
	fill
	target=$BATS_TEST_TMPDIR/target.db
	leads -d "$target" init >/dev/null
	# a target that changes what it is given: the read-back catches it
	sqlite3 "$target" "CREATE TRIGGER bend AFTER INSERT ON events BEGIN UPDATE events SET actor = 'x' WHERE id = NEW.id; END;"
	before=$(sqlite3 "$target" .dump)
	run --separate-stderr leads db copy --from "$LEADS_DB" --to "$target"
	assert_failure 70
	assert_line "events            39      39  DIFFERENT"
	assert_line "leads             14      14  ok"
	assert_equal "$stderr" "leads db copy: the copy differs from the source in events; '$target' was left as it was"
	assert_equal "$(sqlite3 "$target" .dump)" "$before"
}

@test "db copy: into PostgreSQL by COPY and back, the same rows; a row it refuses undoes all" {
	[ -n "${LEADS_TEST_PG:-}" ] || skip "needs a server (make check-pg)"
	fill
	# the four characters COPY's text format gives a meaning, and a literal
	# \N, raw in a column (a note's are escaped inside its JSON)
	leads add --email esc@example.com --company $'a\\b\tc\r\nd \\N' >/dev/null
	leads note 1 $'back\\slash\ttab'
	leads -q db copy --from "$LEADS_DB" --to a.db
	new_db pg2
	run -0 leads db copy --from a.db --to "$pg2"
	assert_line "events            42      42  ok"
	assert_line "leads             15      15  ok"
	assert_line "stay_hist          2       2  ok"
	leads -q db copy --from "$pg2" --to b.db
	diff <(dump a.db) <(dump b.db) || fail "the rows differ after the round trip"
	run -0 sqlite3 b.db "SELECT hex(company) FROM leads WHERE email = 'esc@example.com'"
	assert_output "$(printf 'a\\b\tc\r\nd \\N' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
	# a row the target refuses: the COPY fails, and the target is as it was
	new_db pg3
	leads -d "$pg3" add --email other@example.com >/dev/null
	psql -X -q -d "$pg3" -c "ALTER TABLE tasks ADD CONSTRAINT no_tasks CHECK (false) NOT VALID"
	before=$(pg_dump --no-owner -d "$pg3" | grep -v -e '^--' -e '^\\restrict ' -e '^\\unrestrict ')
	run --separate-stderr leads db copy --from a.db --to "$pg3" --force
	assert_failure 65
	assert_output ""
	assert_equal "$stderr" 'leads db copy: copy tasks: new row for relation "tasks" violates check constraint "no_tasks"'
	assert_equal "$(pg_dump --no-owner -d "$pg3" | grep -v -e '^--' -e '^\\restrict ' -e '^\\unrestrict ')" "$before"
}

@test "completion: db offers copy, its options and file names" {
	wf_config </dev/null
	run -0 leads __complete db ""
	assert_output "copy"
	run -0 leads __complete db copy --
	assert_line -- "--from"
	assert_line -- "--to"
	assert_line -- "--force"
	run -0 leads __complete db copy --from ""
	assert_output "__files__"
}
