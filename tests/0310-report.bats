#!/usr/bin/env bats
# leads report tasks|activity|sources: the manager reports, per rep and
# per source, against histories built by hand.
load test_helper

at() {
	local day=$1
	shift
	LEADS_NOW=2026-11-${day}T09:00:00Z leads "$@"
}

# epoch seconds of 09:00Z on day $1 of November 2026
t() {
	date -u -d "2026-11-$1T09:00:00Z" +%s
}

# Three leads (ana, ben, none) and tasks written directly, with exact times:
#  ana: due 02 done 01 (on time), due 03 done 03 (on time: at the due time),
#       due 05 done 07 (late), due 20 not done (still late),
#       due 30 done 10 (not due yet: not counted)
#  ben: due 04 done 06 (late), due 21 not done (still late)
#  none: due 12 done 12 (on time)
seed_tasks() {
	at 01 add --first A --owner ana >/dev/null
	at 01 add --first B --owner ben >/dev/null
	at 01 add --first C >/dev/null
	sql "INSERT INTO tasks(lead_id, owner, title, created_at, due_at, done_at) VALUES
		(1, 'ana', 'a1', $(t 01), $(t 02), $(t 01)),
		(1, 'ana', 'a2', $(t 01), $(t 03), $(t 03)),
		(1, 'ana', 'a3', $(t 01), $(t 05), $(t 07)),
		(1, 'ana', 'a4', $(t 01), $(t 20), NULL),
		(1, 'ana', 'a5', $(t 01), $(t 30), $(t 10)),
		(2, 'ben', 'b1', $(t 01), $(t 04), $(t 06)),
		(2, 'ben', 'b2', $(t 01), $(t 21), NULL),
		(3, NULL, 'c1', $(t 01), $(t 12), $(t 12))"
}

@test "tasks: due, on time, done late and still late per rep" {
	seed_tasks
	run --separate-stderr leads report tasks --by owner
	assert_success
	assert_output - <<'OUT'
OWNER   DUE  ON TIME  DONE LATE  STILL LATE  ON-TIME RATE
ana       4        2          1           1         50.0%
ben       2        0          1           1          0.0%
(none)    1        1          0           0        100.0%
OUT
	run -0 leads report tasks
	assert_output - <<'OUT'
DUE  ON TIME  DONE LATE  STILL LATE  ON-TIME RATE
  7        3          2           2         42.9%
OUT
	run -0 leads report tasks --by owner --format csv
	assert_output - <<'OUT'
owner,due_count,on_time,done_late,still_late,on_time_rate
ana,4,2,1,1,0.5000
ben,2,0,1,1,0.0000
,1,1,0,0,1.0000
OUT
}

@test "tasks: --since counts the tasks that came due from then" {
	seed_tasks
	run -0 leads report tasks --by owner --since 2026-11-05 --format csv
	assert_output - <<'OUT'
owner,due_count,on_time,done_late,still_late,on_time_rate
ana,2,0,1,1,0.0000
ben,1,0,0,1,0.0000
,1,1,0,0,1.0000
OUT
	# a duration means that long before now (the 24th): from the 14th
	run -0 leads report tasks --since 10d --format csv
	assert_output $'due_count,on_time,done_late,still_late,on_time_rate\n2,0,0,2,0.0000'
	# at the 3rd, a2 is due this very second: not yet
	LEADS_NOW=2026-11-03T09:00:00Z run -0 leads report tasks --format csv
	assert_output $'due_count,on_time,done_late,still_late,on_time_rate\n1,1,0,0,1.0000'
}

@test "tasks: made by leads task add and done count the same" {
	at 01 add --first A --owner ana >/dev/null
	at 01 task add 1 "Call" --due 2d >/dev/null
	at 01 task add 1 "Write" --due 1d >/dev/null
	at 02 task done 1 2>/dev/null
	at 05 task done 2 2>/dev/null
	run -0 leads report tasks --by owner --format csv
	assert_output $'owner,due_count,on_time,done_late,still_late,on_time_rate\nana,2,1,1,0,0.5000'
}

@test "activity: calls, emails, meetings, notes, moves and leads gone inactive per owner" {
	at 01 add --first A --owner ana >/dev/null
	at 01 add --first B --owner ben >/dev/null
	at 01 add --first C >/dev/null
	at 02 log 1 call
	at 03 log 1 call --note "again"
	at 03 log 1 email
	at 04 log 2 meeting
	at 04 log 2 email-opened
	at 05 note 3 "left a message"
	at 06 move 1 --next
	at 07 move 1 --next
	at 08 move 2 Lost --reason budget
	at 09 status 3 inactive
	at 10 log 3 call
	at 11 status 3 inactive
	at 12 status 2 inactive
	run --separate-stderr leads report activity --by owner
	assert_success
	# a log with --note is one call; an opened email is not the rep's work;
	# lead 3 went inactive twice but is one lead
	assert_output - <<'OUT'
OWNER   CALLS  EMAILS  MEETINGS  NOTES  MOVES  GONE INACTIVE
ana         2       1         0      0      2              0
ben         0       0         1      0      1              1
(none)      1       0         0      1      0              1
OUT
	run -0 leads report activity --format csv
	assert_output $'calls,emails,meetings,notes,moves,gone_inactive\n3,1,1,1,3,2'
	run -0 leads report activity --since 2026-11-07 --by owner --format csv
	assert_output - <<'OUT'
owner,calls,emails,meetings,notes,moves,gone_inactive
ana,0,0,0,0,1,0
ben,0,0,0,0,1,1
,1,0,0,0,0,1
OUT
}

@test "sources: leads, open, won, lost, win rate and average score" {
	at 01 add --first A --source web >/dev/null
	at 01 add --first B --source Web >/dev/null
	at 01 add --first C --source web >/dev/null
	at 01 add --first D --source referral >/dev/null
	at 01 add --first E >/dev/null
	at 02 move 1 'Closed Deal'
	at 02 move 2 Lost --reason price
	at 02 move 3 Customer
	at 02 move 4 Lost --reason timing
	sql "UPDATE leads SET score = id * 10"
	run --separate-stderr leads report sources
	assert_success
	assert_output - <<'OUT'
SOURCE    LEADS  OPEN  WON  LOST  WIN RATE  AVG SCORE
web           3     0    2     1     66.7%       20.0
referral      1     0    0     1      0.0%       40.0
(none)        1     1    0     0                 50.0
OUT
	run -0 leads report sources --format json
	run -0 jq -c '.[0], .[2]' <<<"$output"
	assert_output - <<'OUT'
{"source":"web","leads":3,"open":0,"won":2,"lost":1,"win_rate":0.6667,"avg_score":20}
{"source":null,"leads":1,"open":1,"won":0,"lost":0,"win_rate":null,"avg_score":50}
OUT
	at 10 add --first F --source web >/dev/null
	run -0 leads report sources --since 2026-11-05 --format csv
	assert_output $'source,leads,open,won,lost,win_rate,avg_score\nweb,1,1,0,0,,0.0'
}

@test "reports have stable field names in every machine format" {
	leads init 2>/dev/null
	run -0 leads report tasks --by owner --format json
	assert_output '[]'
	run -0 leads report tasks --format jsonl
	run -0 jq -c 'keys_unsorted' <<<"$output"
	assert_output '["due_count","on_time","done_late","still_late","on_time_rate"]'
	run -0 leads report activity --format jsonl
	run -0 jq -c 'keys_unsorted' <<<"$output"
	assert_output '["calls","emails","meetings","notes","moves","gone_inactive"]'
	run -0 leads report activity --by owner --format tsv
	assert_output $'owner\tcalls\temails\tmeetings\tnotes\tmoves\tgone_inactive'
	run -0 leads report sources --format csv
	assert_output 'source,leads,open,won,lost,win_rate,avg_score'
}

@test "report usage errors exit 64" {
	leads init 2>/dev/null
	run --separate-stderr leads report
	assert_failure 64
	run --separate-stderr leads report money
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "leads report: no report 'money' (tasks, activity, sources or forecast)"
	run --separate-stderr leads report tasks --by team
	assert_failure 64
	run --separate-stderr leads report sources --by owner
	assert_failure 64
	assert_equal "${stderr%%$'\n'*}" "leads report: the sources report is by source; it takes no --by"
	run --separate-stderr leads report activity --since someday
	assert_failure 64
	# natural times are understood (leads(1), TIMES)
	run -0 leads report activity --since yesterday
}

@test "completion: the report kinds and --by" {
	run -0 --separate-stderr leads __complete report ""
	assert_output $'tasks\nactivity\nsources\nforecast'
	run -0 --separate-stderr leads __complete report tasks --by ""
	assert_output $'owner\nmonth\nstage'
	run -0 --separate-stderr leads __complete funnel --by ""
	assert_output $'owner\nsource\nmonth'
}
