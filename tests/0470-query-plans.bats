#!/usr/bin/env bats
# The hot queries use an index (issue 18): the first page of `leads list`
# by owner, status and stage (in id order without a sort), the tasks of
# `leads show` and of one rep's `leads task list`, the whole-pipeline
# funnel, the sweep's queries for what is due (idle leads, reminders,
# re-routing, late tasks, notices) and `report tasks --by owner`.
#
# How: LEADS_TRACE_SQL=1 (hidden, lib/db.c) makes leads print the text of
# every statement it prepares to stderr ("leads-sql: SQL", one a line), so
# the plans checked are those of the very SQL the command runs, not a copy
# that could drift. Each statement on leads, tasks or events goes through
# EXPLAIN QUERY PLAN on the test's database (a few rows, no ANALYZE: the
# plans are the planner's own choice from the schema) and a full `SCAN` of
# one of those tables (or of their aliases t, l, e) fails the test.
# SQLite only: the plans are SQLite's.
load test_helper
load wf_helper

eval "plans_$(declare -f setup)"
setup() {
	plans_setup
	pg_skip "EXPLAIN QUERY PLAN of SQLite"
	wf_config <<-YAML
	routing:
	  rules:
	    - {name: pool, assign: {round_robin: [ana, ben]}, reassign_after: 2h}
	YAML
	LEADS_NOW=2026-10-01T09:00:00Z
	add_lead --email a@example.com --owner ana
	add_lead --email b@example.com --owner Ben --stage contacted
	add_lead --email c@example.com
	leads task add 1 "Call" --due 2d >/dev/null
	leads task add 2 "Write" --due 1h --notify-before 30m >/dev/null
}

# The statements "$@" prepares that read leads, tasks or events.
traced() {
	LEADS_TRACE_SQL=1 leads "$@" 2>&1 >/dev/null |
		sed -n 's/^leads-sql: //p' |
		grep -E '\b(leads|tasks|events)\b' |
		grep -vE '^(INSERT|UPDATE|DELETE|PRAGMA)' || true
}

# Fail when a statement of "$@" scans leads, tasks or events whole; at
# least $MIN (default 1) statements must have been checked.
no_scan() {
	local q plan n=0 bad=''
	while IFS= read -r q; do
		plan=$(sqlite3 "$LEADS_DB" "EXPLAIN QUERY PLAN $q") || fail "cannot explain: $q"
		n=$((n + 1))
		if grep -qE 'SCAN (leads|tasks|events|t|l|e)( |$)' <<<"$plan"; then
			bad+="$q"$'\n'"$plan"$'\n'
		fi
	done < <(traced "$@")
	[ -z "$bad" ] || fail "leads $* scans a whole table:"$'\n'"$bad"
	[ "$n" -ge "${MIN:-1}" ] || fail "leads $*: only $n statements traced"
}

@test "LEADS_TRACE_SQL prints every statement prepared, one a line" {
	run -0 traced list --owner ana
	assert_line --partial "FROM leads WHERE TRUE AND owner = ?3 COLLATE NOCASE ORDER BY id ASC"
	run --separate-stderr leads list --owner ana
	assert_equal "$stderr" ""
}

@test "list: the first page by owner, status and stage uses an index" {
	no_scan list --owner ben --status active -n 20
	no_scan list --owner BEN -n 20
	no_scan list --owner ben --status inactive -n 20
	no_scan list --status inactive -n 20
	no_scan list --stage contacted -n 20
	no_scan list --stage prospecting --stage contacted --sort created_at -n 20
}

# Fail when the list query of "$@" sorts its matches (a temporary b-tree
# for ORDER BY) or scans leads: the first page should cost the page.
no_sort() {
	local q plan n=0 bad=''
	while IFS= read -r q; do
		plan=$(sqlite3 "$LEADS_DB" "EXPLAIN QUERY PLAN $q") || fail "cannot explain: $q"
		n=$((n + 1))
		if grep -qE 'TEMP B-TREE FOR ORDER BY|SCAN leads( |$)' <<<"$plan"; then
			bad+="$q"$'\n'"$plan"$'\n'
		fi
	done < <(traced "$@" | grep -E '^SELECT id, .* FROM leads WHERE TRUE .* LIMIT')
	[ -z "$bad" ] || fail "leads $* sorts or scans:"$'\n'"$bad"
	[ "$n" -eq 1 ] || fail "leads $*: $n list queries traced"
}

@test "list: the first page by status or by one stage is read in id order, not sorted" {
	no_sort list --status inactive -n 20
	no_sort list --status new -n 20 -r
	no_sort list --stage contacted -n 20
	no_sort list --stage Contacted -n 20 -r
	no_sort list --group won -n 20 # the one stage of the group
	no_sort list --owner ben -n 20
	no_sort list --owner ben --status active -n 20 -r
	# the same pages as without the index, in either direction
	add_lead --email d@example.com --stage contacted
	run -0 leads list --stage contacted -n 1 -r --format tsv -C id
	assert_output $'id\n4'
	run -0 leads list --stage contacted --stage lost -n 5 --format tsv -C id
	assert_output $'id\n2\n4'
	run -0 leads list --status new -n 2 -r --format tsv -C id
	assert_output $'id\n4\n3'
}

# Fail when a statement of "$@" on leads or stays reads a table's rows
# (a SCAN of it, or an index that does not cover the query).
index_only() {
	local q plan n=0 bad=''
	while IFS= read -r q; do
		# funnel_row(...) is leads's own, registered on its connection
		plan=$(sqlite3 "$LEADS_DB" "EXPLAIN QUERY PLAN ${q//funnel_row(/coalesce(}") ||
			fail "cannot explain: $q"
		n=$((n + 1))
		if grep -qE 'SCAN (leads|stays)( |$)|USING INDEX' <<<"$plan"; then
			bad+="$q"$'\n'"$plan"$'\n'
		fi
	done < <(LEADS_TRACE_SQL=1 leads "$@" 2>&1 >/dev/null | sed -n 's/^leads-sql: //p' |
		grep -E '\b(leads|stays)\b' | grep -vE '^(INSERT|UPDATE|DELETE|PRAGMA)')
	[ -z "$bad" ] || fail "leads $* reads rows:"$'\n'"$bad"
	[ "$n" -ge 8 ] || fail "leads $*: only $n statements traced"
}

@test "funnel: the whole pipeline reads indexes only, with or without statistics" {
	# stays, a lost lead reopened, medians to pick
	leads move 1 contacted >/dev/null
	leads move 2 lost --reason price >/dev/null
	leads move 2 contacted >/dev/null
	leads move 3 lost --reason price >/dev/null
	run -0 --separate-stderr leads -v funnel
	assert_equal "${stderr_lines[0]}" "leads funnel: computed by the whole-pipeline path"
	index_only funnel
	# statistics of a big database from before step 10 (the new indexes
	# unknown to them) made SQLite read each lead's row through
	# leads_stage_id for "stage = ?"
	sql "ANALYZE; DELETE FROM sqlite_stat1 WHERE idx IN ('leads_stage_id', 'leads_status_id');
		UPDATE sqlite_stat1 SET stat = '100000 12500 14 14 1' WHERE idx = 'leads_stage'"
	index_only funnel
}

@test "the owner filter of list matches case-insensitively" {
	sql "UPDATE leads SET owner = 'Ben' WHERE id = 2" # as another CRM spelled it
	run -0 leads list --owner BEN --format tsv -C id,owner
	assert_output "id	owner
2	Ben"
	run -0 leads list --owner bEn --status new --format tsv -C id
	assert_output "id
2"
}

@test "show and task list: the tasks of one lead, of one rep" {
	MIN=3 no_scan show 1
	MIN=3 no_scan show b@example.com
	no_scan task list --owner ben
	no_scan task list --owner ANA --all
	no_scan task list --lead 2
	no_scan task list --due overdue
	# a rep's open tasks off the index of open ones, not every task they had
	sqlite3 "$LEADS_DB" "ANALYZE; DELETE FROM sqlite_stat1 WHERE tbl = 'tasks';
		INSERT INTO sqlite_stat1 VALUES ('tasks', 'tasks_owner_ci', '50300 5030 229'),
		('tasks', 'tasks_owner_open', '300 30 2'), ('tasks', 'tasks_open', '300 22'),
		('tasks', 'tasks_lead', '50300 1')"
	local q
	q=$(traced task list --owner ana | grep 'FROM tasks t')
	run -0 sqlite3 "$LEADS_DB" "EXPLAIN QUERY PLAN $q"
	assert_output --partial "USING INDEX tasks_owner_open"
	run -0 leads task list --owner ANA --format tsv
	assert_output --partial "Call"
	refute_output --partial "Write"
}

@test "sweep: idle leads, reminders, re-routing, late tasks and notices by index" {
	# nothing due: every query of the sweep ran and asked an index
	MIN=5 LEADS_NOW=2026-10-01T10:00:00Z no_scan sweep --dry-run
	run -0 traced sweep --dry-run
	assert_line --partial "coalesce(last_activity_at, created_at) <= ?1"
	assert_line --partial "assigned_at <= ?1"
	assert_line --partial "late = 0 AND due_at < ?1"
	assert_line --partial "notify_at <= ?1"
	assert_line --partial "stage_entered_at <= ?2"
	# with something due the same statements run
	MIN=5 LEADS_NOW=2026-11-20T09:00:00Z no_scan sweep --dry-run
	# and the sweep itself
	MIN=5 LEADS_NOW=2026-10-01T10:00:00Z no_scan sweep --no-deliver
}

@test "sweep: the idle leads are read by their index, however ANALYZE weighs the statuses" {
	# ORDER BY id made SQLite walk every lead in id order under the
	# statistics of the bench's 100,000 leads (a third new, most active):
	# 50 ms for a sweep with nothing due
	sqlite3 "$LEADS_DB" "ANALYZE; DELETE FROM sqlite_stat1 WHERE tbl = 'leads';
		INSERT INTO sqlite_stat1 VALUES ('leads', 'leads_idle', '100000 33334 28'),
		('leads', 'leads_status_id', '100000 33334 1'), ('leads', 'leads_stage_id', '100000 12500 1'),
		('leads', 'leads_owner_ci', '100000 10000'), ('leads', 'leads_email', '100000 1')"
	local q
	q=$(LEADS_NOW=2026-12-20T09:00:00Z traced sweep --no-deliver | grep '^SELECT id, status, .* FROM leads WHERE status IN')
	[ -n "$q" ] || fail "the sweep read no idle leads"
	run -0 sqlite3 "$LEADS_DB" "EXPLAIN QUERY PLAN $q"
	assert_output --partial "USING INDEX leads_idle"
}

@test "report tasks --by owner reads the tasks in file order, not by an owner index" {
	run -0 traced report tasks --by owner
	assert_line --partial "GROUP BY +owner"
	local q
	q=$(traced report tasks --by owner | grep 'GROUP BY')
	run -0 sqlite3 "$LEADS_DB" "EXPLAIN QUERY PLAN $q"
	refute_output --partial "INDEX tasks_owner"
}
