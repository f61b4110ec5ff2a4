#!/bin/bash
# The commands a rep, a cron job or a manager runs, each against the same
# work done by a peer in the same run: the equivalent SQL in one sqlite3
# process (sqlite3 .import for the import), on the same database.
#
# For each size (BENCH_SIZES leads, default "10000 100000"; add 1000000
# for a million) a database is made by `leads import` of bench/gen-csv.sh's
# file and filled out with sqlite3: ten reps owning the leads, stages
# spread like a funnel, statuses, values, three history events for two
# leads in three, a done task for every other lead and 30 open tasks per
# rep, every lead active in the last 25 days (so a sweep finds nothing
# due). "sweep, 1% idle" runs on a copy where one lead in a hundred has
# been idle 40 days (past the default 30 days), a fresh copy each run.
#
# Each command runs BENCH_RUNS times (default 7) after one warm-up,
# interleaved with its peer (leads, peer, leads, peer...) so a machine
# whose speed drifts slows both alike. Printed, one Markdown table: the
# min and median wall milliseconds of leads and the peer's median; the
# ratio leads/peer as the median of the per-pair ratios and as min/min;
# peak RSS of each (GNU time %M, one more run each); and from the second
# size on, how much leads's median grew against the size before (and the
# peer's, which tells the query's shape from leads's own cost). FLAG
# marks a command whose cost grows faster than its work: an interactive
# one (its work does not depend on the number of leads) whose median grew
# more than 3 times, or one over all leads whose median grew more than
# 1.5 times the growth of the leads; and a command whose peak RSS passed
# 64 MB (the import's target: memory stays flat as the leads grow).
#
# Timing: bash's EPOCHREALTIME around the process (fork, exec, load,
# work, exit), output to /dev/null. Writers commit durably, both with
# synchronous=FULL (leads sets it; the sqlite3 shell default) in WAL mode.
# `sweep` runs with --no-deliver (no MTA in the bench).
#
# BENCH_ONLY="funnel* list_*" runs only the commands whose names (the
# first column of $benches below) match one of the patterns. With
# BENCH_TMP and BENCH_KEEP=1 the databases are kept, and a later run with
# the same BENCH_TMP uses them again instead of making them (a million
# leads take minutes to make).
#
# usage: bench/cmds.sh [LEADS]
#   BENCH_SIZES="10000 100000"  BENCH_RUNS=7  BENCH_TMP=DIR  BENCH_KEEP=1
#   BENCH_ONLY="PATTERN ..."
set -euo pipefail
export LC_ALL=C
leads=$(cd "$(dirname "${1:-./leads}")" && pwd)/$(basename "${1:-./leads}")
here=$(cd "$(dirname "$0")" && pwd)
sizes=${BENCH_SIZES:-10000 100000}
runs=${BENCH_RUNS:-7}
tmp=${BENCH_TMP:-$(mktemp -d)}
trap '[ -n "${BENCH_KEEP:-}" ] || rm -rf "$tmp"' EXIT
export LEADS_NOW=2026-11-24T09:00:00Z LEADS_USER=bench NO_COLOR=1
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.data"
unset LEADS_CONFIG LEADS_DB LEADS_BUSY_TIMEOUT
mkdir -p "$HOME"
now=$(date -d "$LEADS_NOW" +%s)
day=86400

reps="ana ben cy dee eli fay gus hal ivy jo"

# ---- the database ----

# stage by id % 20, whatever the file's status column said: a funnel (8 in
# 20 prospecting, 4 contacted, ...)
stage_case="CASE id % 20 WHEN 8 THEN 'contacted' WHEN 9 THEN 'contacted'
  WHEN 10 THEN 'contacted' WHEN 11 THEN 'contacted' WHEN 12 THEN 'appointment-set'
  WHEN 13 THEN 'appointment-set' WHEN 14 THEN 'proposal-sent' WHEN 15 THEN 'customer-agreed'
  WHEN 16 THEN 'closed-deal' WHEN 17 THEN 'customer' WHEN 18 THEN 'lost' WHEN 19 THEN 'lost'
  ELSE 'prospecting' END"
owner_case="CASE id % 10 $(i=0; for r in $reps; do printf "WHEN %d THEN '%s' " $i "$r"; i=$((i + 1)); done) END"

make_db() { # N DIR
	local n=$1 d=$2
	mkdir -p "$d"
	sh "$here/gen-csv.sh" "$n" >"$d/leads.csv"
	"$leads" -q -d "$d/base.db" import --no-route --no-events "$d/leads.csv" >/dev/null
	sqlite3 "$d/base.db" >/dev/null <<SQL
PRAGMA cache_size = -262144;
BEGIN;
UPDATE leads SET owner = $owner_case,
  status = CASE WHEN id % 10 = 9 THEN 'unqualified' WHEN id % 3 = 0 THEN 'new' ELSE 'active' END,
  value = (id * 7919) % 100000,
  score = id % 97,
  last_activity_at = $now - (id % 25) * $day - id % 3600,
  assigned_at = created_at;
-- one lead in a thousand with a last name of its own, found by name
UPDATE leads SET last_name = 'Okafor' || id || 'q' WHERE id % 1000 = 0;
UPDATE leads SET stage = $stage_case,
  stage_entered_at = max(created_at, $now - (id % 40) * $day - id % 7200),
  reached_pos = (SELECT position FROM stages WHERE key = $stage_case);
INSERT INTO events(lead_id, at, actor, kind, to_val)
  SELECT id, created_at, 'import', 'created', 'prospecting' FROM leads WHERE id % 3 <> 0;
INSERT INTO events(lead_id, at, actor, kind, from_val, to_val)
  SELECT id, stage_entered_at, owner, 'moved', 'prospecting', stage FROM leads
  WHERE stage <> 'prospecting' AND id % 3 <> 0;
INSERT INTO events(lead_id, at, actor, kind, data)
  SELECT id, last_activity_at, owner, 'call', '{"text":"left a voicemail"}' FROM leads
  WHERE id % 3 <> 0;
-- the history of tasks: one done for every other lead, one in seven late
INSERT INTO tasks(lead_id, owner, title, created_at, due_at, done_at, late)
  SELECT id, owner, 'Call back', $now - (id % 300 + 3) * $day, $now - (id % 300 + 1) * $day,
    $now - (id % 300 + 1) * $day + CASE WHEN id % 7 = 0 THEN 2 * $day ELSE -3600 END, id % 7 = 0
  FROM leads WHERE id % 2 = 0;
-- what is open: 30 tasks per rep, due in the next two weeks
INSERT INTO tasks(lead_id, owner, title, created_at, due_at)
  SELECT id, owner, 'Send the proposal', $now - $day, $now + (id % 14 + 1) * $day
  FROM leads WHERE id <= 300;
COMMIT;
ANALYZE;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
	# the steady state cron keeps: the search index, which an import into
	# an empty database leaves to the next sweep, filled (else every timed
	# sweep on a copy fills it again)
	"$leads" -q -d "$d/base.db" sweep --no-deliver >/dev/null
	sqlite3 "$d/base.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	cp "$d/base.db" "$d/idle.db"
	sqlite3 "$d/idle.db" "UPDATE leads SET last_activity_at = $now - 40 * $day WHERE id % 100 = 7;
		PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	cp "$d/base.db" "$d/idle10.db"
	sqlite3 "$d/idle10.db" "UPDATE leads SET last_activity_at = $now - 40 * $day WHERE id % 10 = 7;
		PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
}

# ---- the commands: bench_NAME SIDE RUN sets C, the command (A: leads, B: the peer) ----
# Each run of a writer touches another lead (k from the run number); a
# lead in prospecting is one with id % 20 = 1 or 2.

pick() { k=$(((r * 7919 + $1) % n + 1)); }

bench_add() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" add --first "Ana$r" --last Lima --company Acme --source web)
	else
		C=(sqlite3 "$db" "BEGIN; INSERT INTO leads(first_name, last_name, company, source, stage,
			status, created_at, updated_at, stage_entered_at, reached_pos)
			VALUES ('Bo$r', 'Lima', 'Acme', 'web', 'prospecting', 'new', $now, $now, $now, 0);
			INSERT INTO events(lead_id, at, actor, kind, to_val)
			VALUES (last_insert_rowid(), $now, 'bench', 'created', 'prospecting'); COMMIT;")
	fi
}

show_sql() { # WHERE
	echo "SELECT * FROM leads WHERE $1; SELECT * FROM events WHERE lead_id = (SELECT id FROM leads
		WHERE $1) ORDER BY at, id; SELECT * FROM tasks WHERE lead_id = (SELECT id FROM leads
		WHERE $1) ORDER BY due_at, id;"
}
bench_show_id() {
	pick 0
	if [ "$1" = A ]; then C=("$leads" -d "$db" show "$k"); else C=(sqlite3 "$db" "$(show_sql "id = $k")"); fi
}
bench_version() {
	if [ "$1" = A ]; then C=("$leads" --version); else C=(sqlite3 -version); fi
}
# by name: a last name only one lead has, as a rep types it
bench_show_name() {
	pick 0
	local name=okafor$(((k + 999) / 1000 * 1000))q
	[ "$name" != okafor0q ] || name=okafor1000q
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" show "$name")
	else
		C=(sqlite3 "$db" "$(show_sql "last_name = '$name' COLLATE NOCASE")")
	fi
}
bench_show_email() {
	pick 0
	local e
	e=$(sqlite3 "$db" "SELECT email FROM leads WHERE id = $k")
	if [ "$1" = A ]; then C=("$leads" -d "$db" show "$e"); else C=(sqlite3 "$db" "$(show_sql "email = '$e'")"); fi
}

list_cols="id, first_name, last_name, company, email, stage, status, owner, score, value, last_activity_at"
bench_list_owner() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" list -n 20 --owner dee --sort value -r)
	else
		C=(sqlite3 "$db" "SELECT $list_cols FROM leads WHERE owner = 'dee' ORDER BY value DESC, id LIMIT 20")
	fi
}
bench_list_status() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" list -n 20 --status new --sort created_at -r)
	else
		C=(sqlite3 "$db" "SELECT $list_cols FROM leads WHERE status = 'new' ORDER BY created_at DESC, id LIMIT 20")
	fi
}
bench_list_status_id() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" list -n 20 --status inactive -r)
	else
		C=(sqlite3 "$db" "SELECT $list_cols FROM leads WHERE status = 'inactive' ORDER BY id DESC LIMIT 20")
	fi
}
bench_list_stage_id() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" list -n 20 --stage Contacted)
	else
		C=(sqlite3 "$db" "SELECT $list_cols FROM leads WHERE stage = 'contacted' ORDER BY id LIMIT 20")
	fi
}
bench_list_stage() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" list -n 20 --stage 'Proposal Sent' --sort score -r)
	else
		C=(sqlite3 "$db" "SELECT $list_cols FROM leads WHERE stage = 'proposal-sent' ORDER BY score DESC, id LIMIT 20")
	fi
}

bench_move() {
	if [ "$1" = A ]; then
		k=$((r * 20 + 1))
		C=("$leads" -d "$db" move "$k" Contacted)
	else
		k=$((r * 20 + 2))
		C=(sqlite3 "$db" "BEGIN; UPDATE leads SET stage = 'contacted', stage_entered_at = $now,
			updated_at = $now, reached_pos = max(reached_pos, 1) WHERE id = $k;
			INSERT INTO events(lead_id, at, actor, kind, from_val, to_val)
			VALUES ($k, $now, 'bench', 'moved', 'prospecting', 'contacted'); COMMIT;")
	fi
}

bench_log() {
	pick 3
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" log "$k" call -m "left a voicemail")
	else
		C=(sqlite3 "$db" "BEGIN; INSERT INTO events(lead_id, at, actor, kind, data)
			VALUES ($k, $now, 'bench', 'call', '{\"text\":\"left a voicemail\"}');
			UPDATE leads SET last_activity_at = $now, updated_at = $now,
			status = CASE status WHEN 'new' THEN 'active' WHEN 'inactive' THEN 'active' ELSE status END
			WHERE id = $k; COMMIT;")
	fi
}

bench_note() {
	pick 5
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" note "$k" "prefers email")
	else
		C=(sqlite3 "$db" "BEGIN; INSERT INTO events(lead_id, at, actor, kind, data)
			VALUES ($k, $now, 'bench', 'note', '{\"text\":\"prefers email\"}');
			UPDATE leads SET updated_at = $now WHERE id = $k; COMMIT;")
	fi
}

task_sql="SELECT t.id, t.due_at, t.title, l.id, l.first_name, l.last_name, l.company
	FROM tasks t JOIN leads l ON l.id = t.lead_id
	WHERE t.owner = 'eli' AND t.done_at IS NULL ORDER BY t.due_at, t.id"
bench_task_mine() {
	if [ "$1" = A ]; then
		C=(env LEADS_USER=eli "$leads" -d "$db" task --mine)
	else
		C=(sqlite3 "$db" "$task_sql")
	fi
}

bench_task_list() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" task list --owner eli)
	else
		C=(sqlite3 "$db" "SELECT t.id, t.due_at, t.title, l.id, l.first_name, l.last_name, l.company
			FROM tasks t JOIN leads l ON l.id = t.lead_id
			WHERE t.owner = 'eli' AND t.done_at IS NULL ORDER BY t.due_at, t.id")
	fi
}

idle_where="status IN ('new', 'active') AND (last_activity_at <= $((now - 30 * day))
	OR (last_activity_at IS NULL AND created_at <= $((now - 30 * day))))"
sweep_reads="SELECT id FROM tasks WHERE done_at IS NULL AND late = 0 AND due_at <= $now;
	SELECT id FROM tasks WHERE done_at IS NULL AND notified_at IS NULL AND notify_at <= $now;"
bench_sweep_none() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" sweep --no-deliver)
	else
		C=(sqlite3 "$db" "BEGIN IMMEDIATE; SELECT id FROM leads WHERE $idle_where; $sweep_reads COMMIT;")
	fi
}
sweep_copy() { # SIDE DB: the sweep on a fresh copy of DB, against its SQL
	sync_first=1
	rm -f "$dir/run.db"*
	cp "$dir/$2" "$dir/run.db"
	if [ "$1" = A ]; then
		C=("$leads" -d "$dir/run.db" sweep --no-deliver)
	else
		C=(sqlite3 "$dir/run.db" "BEGIN IMMEDIATE;
			INSERT INTO events(lead_id, at, actor, kind, from_val, to_val, data)
			SELECT id, $now, 'bench', 'status', status, 'inactive', '{\"reason\":\"idle\"}'
			FROM leads WHERE $idle_where;
			UPDATE leads SET status = 'inactive', updated_at = $now WHERE $idle_where;
			$sweep_reads COMMIT;")
	fi
}
bench_sweep_idle() { sweep_copy "$1" idle.db; }
bench_sweep_idle10() { sweep_copy "$1" idle10.db; }
# a dry run reads what is due and writes nothing
bench_sweep_dry() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$dir/idle.db" sweep --dry-run --no-deliver)
	else
		C=(sqlite3 "$dir/idle.db" "SELECT id, status FROM leads WHERE $idle_where; $sweep_reads")
	fi
}

bench_report_tasks() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" report tasks --by owner)
	else
		C=(sqlite3 "$db" "SELECT owner, count(*), count(*) FILTER (WHERE done_at <= due_at),
			count(*) FILTER (WHERE done_at > due_at), count(*) FILTER (WHERE done_at IS NULL)
			FROM tasks WHERE due_at >= 0 AND due_at < $now GROUP BY owner ORDER BY owner")
	fi
}

# The reports and the funnel against their GROUP BY floor: the counts per
# group (and stage) of the same rows with the same filter, which is less
# than they compute (who ever reached each stage, the time in it).
bench_report_activity() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" report activity --by owner)
	else
		C=(sqlite3 "$db" "SELECT l.owner, count(*) FILTER (WHERE e.kind = 'call'),
			count(*) FILTER (WHERE e.kind = 'moved') FROM events e JOIN leads l ON l.id = e.lead_id
			WHERE e.kind IN ('call', 'email', 'meeting', 'note', 'moved', 'status')
			GROUP BY l.owner ORDER BY l.owner")
	fi
}
bench_report_sources() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" report sources)
	else
		C=(sqlite3 "$db" "SELECT source COLLATE NOCASE, count(*),
			count(*) FILTER (WHERE stage IN ('closed-deal', 'customer')), avg(score)
			FROM leads GROUP BY 1 ORDER BY 2 DESC")
	fi
}

funnel_sql() { # WHERE GROUP
	echo "SELECT $2 stage, count(*), sum(value) FROM leads WHERE $1 GROUP BY $2 stage"
}
bench_funnel() {
	if [ "$1" = A ]; then C=("$leads" -d "$db" funnel); else C=(sqlite3 "$db" "$(funnel_sql TRUE "")"); fi
}
bench_funnel_by_owner() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" funnel --by owner)
	else
		C=(sqlite3 "$db" "$(funnel_sql TRUE "owner COLLATE NOCASE,")")
	fi
}
bench_funnel_by_source() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" funnel --by source)
	else
		C=(sqlite3 "$db" "$(funnel_sql TRUE "source COLLATE NOCASE,")")
	fi
}
bench_funnel_owner() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" funnel --owner dee)
	else
		C=(sqlite3 "$db" "$(funnel_sql "owner = 'dee' COLLATE NOCASE" "")")
	fi
}
bench_funnel_since() {
	local since
	since=$(date -d 2020-01-01 +%s)
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" funnel --since 2020-01-01)
	else
		C=(sqlite3 "$db" "$(funnel_sql "created_at >= $since" "")")
	fi
}

bench_import() {
	sync_first=1
	rm -f "$dir/imp.db"*
	if [ "$1" = A ]; then
		C=("$leads" -d "$dir/imp.db" import --no-route --no-events "$dir/leads.csv")
	else
		C=(sqlite3 "$dir/imp.db" ".mode csv" ".import $dir/leads.csv t")
	fi
}

# the shipped routing example (rules, round robin, scoring) against the
# bare import of the same file: the cost of routing and scoring a row
bench_import_routing() {
	sync_first=1
	rm -f "$dir/imp.db"*
	if [ "$1" = A ]; then
		C=(env LEADS_CONFIG="$here/../examples/team-routing.yaml" "$leads" -d "$dir/imp.db" import
			--no-events "$dir/leads.csv")
	else
		C=("$leads" -d "$dir/imp.db" import --no-route --no-events "$dir/leads.csv")
	fi
}

# every lead routed again by the example's rules, against one UPDATE
# giving each lead a member by the same spread (a floor: no rules)
bench_route_all() {
	sync_first=1
	rm -f "$dir/run.db"*
	cp "$db" "$dir/run.db"
	if [ "$1" = A ]; then
		C=(env LEADS_CONFIG="$here/../examples/team-routing.yaml" "$leads" -d "$dir/run.db" -q
			route --all --reassign --format tsv)
	else
		C=(sqlite3 "$dir/run.db" "BEGIN IMMEDIATE;
			INSERT INTO events(lead_id, at, actor, kind, from_val, to_val)
			SELECT id, $now, 'bench', 'assigned', owner, $owner_case FROM leads WHERE status <> 'unqualified';
			UPDATE leads SET owner = $owner_case, assigned_at = $now, updated_at = $now
			WHERE status <> 'unqualified'; COMMIT;")
	fi
}
# every score computed again by the example's rules, against one UPDATE
bench_score_all() {
	sync_first=1
	rm -f "$dir/run.db"*
	cp "$db" "$dir/run.db"
	if [ "$1" = A ]; then
		C=(env LEADS_CONFIG="$here/../examples/team-routing.yaml" "$leads" -d "$dir/run.db" -q
			score --recalc --all)
	else
		C=(sqlite3 "$dir/run.db" "BEGIN IMMEDIATE; UPDATE leads SET score =
			(CASE WHEN title LIKE '%vp%' OR title LIKE '%director%' THEN 20 ELSE 0 END) +
			(CASE WHEN source = 'Referral' THEN 15 ELSE 0 END) +
			(SELECT count(*) FROM events e WHERE e.lead_id = leads.id AND e.kind = 'call') * 5,
			updated_at = $now; COMMIT;")
	fi
}

bench_export() {
	if [ "$1" = A ]; then
		C=("$leads" -d "$db" export)
	else
		C=(sqlite3 -csv -header "$db" "SELECT * FROM leads ORDER BY id")
	fi
}

# name|function|work (1: the same at any size, n: grows with the leads)|label
benches="version|bench_version|1|--version (peer: sqlite3 -version)
add|bench_add|1|add
show_id|bench_show_id|1|show ID
show_email|bench_show_email|1|show EMAIL
show_name|bench_show_name|1|show NAME
list_owner|bench_list_owner|1|list -n 20 --owner --sort value -r
list_status|bench_list_status|1|list -n 20 --status --sort created_at -r
list_stage|bench_list_stage|1|list -n 20 --stage --sort score -r
list_status_id|bench_list_status_id|1|list -n 20 --status inactive -r (id order; none match)
list_stage_id|bench_list_stage_id|1|list -n 20 --stage (id order)
move|bench_move|1|move ID STAGE
log|bench_log|1|log ID call
note|bench_note|1|note ID TEXT
task_list|bench_task_list|1|task list --owner (30 open)
task_mine|bench_task_mine|1|task --mine (30 open)
sweep_none|bench_sweep_none|1|sweep, nothing due
sweep_idle|bench_sweep_idle|n|sweep, 1% idle
sweep_idle10|bench_sweep_idle10|n|sweep, 10% idle
sweep_dry|bench_sweep_dry|n|sweep --dry-run, 1% idle
report_tasks|bench_report_tasks|n|report tasks --by owner
report_activity|bench_report_activity|n|report activity --by owner
report_sources|bench_report_sources|n|report sources
funnel|bench_funnel|n|funnel
funnel_by_owner|bench_funnel_by_owner|n|funnel --by owner
funnel_by_source|bench_funnel_by_source|n|funnel --by source
funnel_owner|bench_funnel_owner|n|funnel --owner
funnel_since|bench_funnel_since|n|funnel --since (half the leads)
import|bench_import|n|import --no-route --no-events
import_routing|bench_import_routing|n|import, team-routing.yaml (peer: bare import)
route_all|bench_route_all|n|route --all --reassign, team-routing.yaml
score_all|bench_score_all|n|score --recalc --all, team-routing.yaml
export|bench_export|n|export (CSV)"

# ---- timing ----

selected() { # NAME: is it one of BENCH_ONLY's patterns (all without)?
	local - p
	[ -n "${BENCH_ONLY:-}" ] || return 0
	set -f # the patterns are for the names, not for files
	for p in $BENCH_ONLY; do
		# shellcheck disable=SC2053 # a pattern on purpose
		[[ $1 == $p ]] && return 0
	done
	return 1
}

usec() { echo "${EPOCHREALTIME/./}"; }

run_one() { # SIDE -> appends microseconds to $tmp/t.SIDE
	local t0 t1
	if [ -n "$sync_first" ]; then sync; fi
	t0=${EPOCHREALTIME/./}
	"${C[@]}" >/dev/null 2>"$tmp/err" || {
		echo "bench: failed (exit $?): ${C[*]}" >&2
		cat "$tmp/err" >&2
		exit 1
	}
	t1=${EPOCHREALTIME/./}
	echo $((10#$t1 - 10#$t0)) >>"$tmp/t.$1"
}

rss_one() { # -> KiB
	/usr/bin/time -f '%M' -o "$tmp/rss" "${C[@]}" >/dev/null 2>"$tmp/err"
	tail -n 1 "$tmp/rss"
}

results="$tmp/results"
: >"$results"
echo "leads commands against the same work in sqlite3: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), sizes: $sizes, $runs runs each" >&2
for n in $sizes; do
	dir="$tmp/$n"
	t=$(usec)
	if [ -n "${BENCH_KEEP:-}" ] && [ -f "$dir/idle.db" ]; then
		echo "  $n leads: the database kept in $dir" >&2
	else
		make_db "$n" "$dir"
		echo "  $n leads: database made in $((($(usec) - t) / 1000)) ms" >&2
	fi
	db="$dir/base.db"
	while IFS='|' read -r name fn _ _; do
		selected "$name" || continue
		rm -f "$tmp/t.A" "$tmp/t.B"
		for r in $(seq 0 "$runs"); do
			for side in A B; do
				sync_first=
				"$fn" "$side"
				run_one "$side"
			done
		done
		r=$((runs + 1))
		sync_first=
		"$fn" A
		rssA=$(rss_one)
		"$fn" B
		rssB=$(rss_one)
		# drop the warm-up (the first line of each)
		stats=$(paste <(tail -n +2 "$tmp/t.A") <(tail -n +2 "$tmp/t.B") | awk '
			function med(v, m,  i, j, x) {
				for (i = 2; i <= m; i++) { x = v[i]; for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]; v[j + 1] = x }
				return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
			}
			{ a[NR] = $1; b[NR] = $2; q[NR] = $1 / $2 }
			END {
				mina = a[1]; minb = b[1]
				for (i = 2; i <= NR; i++) { if (a[i] < mina) mina = a[i]; if (b[i] < minb) minb = b[i] }
				printf "%.3f %.3f %.3f %.3f %.3f %.3f", mina / 1000, med(a, NR) / 1000, minb / 1000, med(b, NR) / 1000, med(q, NR), mina / minb
			}')
		echo "$name $n $stats $rssA $rssB" >>"$results"
		echo "    $name: $stats" >&2
	done <<<"$benches"
	[ -n "${BENCH_KEEP:-}" ] || rm -rf "$dir"
done

# ---- the table ----
printf '\n| command | leads | min ms | median ms | peer median ms | ratio median | ratio min | RSS MB | peer RSS MB | growth | |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n'
while IFS='|' read -r name _ work label; do
	awk -v name="$name" -v work="$work" -v label="$label" '
		$1 == name {
			growth = ""; flag = ""
			if (prevn) {
				g = $4 / prevmed; x = $2 / prevn
				growth = sprintf("%.1fx (peer %.1fx)", g, $6 / prevpeer)
				if ((work == "1" && g > 3) || (work == "n" && g > 1.5 * x))
					flag = sprintf("FLAG: %.0fx the leads, %.1fx the time", x, g)
			}
			if ($9 > 64 * 1024)
				flag = flag (flag ? "; " : "FLAG: ") "peak RSS over 64 MB"
			printf "| %s | %d | %.1f | %.1f | %.1f | %.2f | %.2f | %.1f | %.1f | %s | %s |\n",
				label, $2, $3, $4, $6, $7, $8, $9 / 1024, $10 / 1024, growth, flag
			prevn = $2; prevmed = $4; prevpeer = $6; label = ""
		}' "$results"
done <<<"$benches"
