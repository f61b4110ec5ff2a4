#!/usr/bin/env bats
# leads funnel: counts, reached, conversion and time in stage against a
# history built by hand; filters, grouping, formats, the SVG picture, the
# leads behind a number, an empty database and a changed config.
load test_helper

# Run a leads command at 09:00Z on day $1 of November 2026.
at() {
	local day=$1
	shift
	LEADS_NOW=2026-11-${day}T09:00:00Z leads "$@"
}

# Five leads on the built-in pipeline (positions: 1 Prospecting, 2 Contacted,
# 3 Appointment Set, 4 Proposal Sent, 5 Customer Agreed, 6 Closed Deal,
# 7 Customer, 8 Lost); the funnel is read on the 24th.
#  1 ana web      P 01-03, C 03-06, PS 06-08 (skips AS), back to AS 08-10,
#                 PS 10-14, Closed Deal since 14 (skips CA); value 12000
#  2 ben referral P 02-04, C 04-09, Lost since 09
#  3 ana web      P since 05; value 300
#  4 -   web      P 10-11, Lost 11-13, reopened: Contacted since 13
#  5 ben ads      P 12-20, Customer since 20 (skips everything between); 5000.50
seed() {
	at 01 add --first Ana --last One --email one@example.com --owner ana --source web >/dev/null
	at 03 move 1 --next
	at 06 move 1 'Proposal Sent'
	at 08 move 1 --back
	at 10 move 1 'Proposal Sent'
	at 14 move 1 'Closed Deal'
	at 14 edit 1 --value 12000
	at 02 add --first Ben --last Two --email two@example.com --owner ben --source referral >/dev/null
	at 04 move 2 Contacted
	at 09 move 2 Lost --reason budget
	at 05 add --first Cy --last Three --email three@example.com --owner ana --source web \
		--value 300 >/dev/null
	at 10 add --first Di --last Four --email four@example.com --source Web >/dev/null
	at 11 move 4 Lost --reason 'no answer'
	at 13 move 4 Contacted
	at 12 add --first Ed --last Five --email five@example.com --owner ben --source ads >/dev/null
	at 20 move 5 Customer
	at 20 edit 5 --value 5000.50
}

HEADER=position,stage,key,group,current,reached,conv_prev,conv_top,drop_off,value,stays,median_secs,mean_secs,won,lost,win_rate

@test "counts, reached, conversion, value and time in stage of a hand-built history" {
	seed
	run --separate-stderr leads funnel --format csv
	assert_success
	# reached: skipped stages count (1 skipped AS and CA, 5 skipped all); Lost:
	# 2 is there, 4 was and was reopened. Time: one stay per visit, the current
	# ones up to the 24th; Prospecting 1,2,2,8,19 days; Contacted 3,5,11;
	# Proposal Sent 2 and 4 (two visits of lead 1); Lost 2 and 15.
	assert_output - <<OUT
$HEADER
1,Prospecting,prospecting,active,1,5,,1.0000,,300,5,172800,552960,,,
2,Contacted,contacted,active,1,4,0.8000,0.8000,0.2000,0,3,432000,547200,,,
3,Appointment Set,appointment-set,active,0,2,0.5000,0.4000,0.5000,0,1,172800,172800,,,
4,Proposal Sent,proposal-sent,active,0,2,1.0000,0.4000,0.0000,0,2,259200,259200,,,
5,Customer Agreed,customer-agreed,active,0,2,1.0000,0.4000,0.0000,0,0,,,,,
6,Closed Deal,closed-deal,won,1,2,1.0000,0.4000,0.0000,12000,1,864000,864000,,,
7,Customer,customer,won,1,1,0.5000,0.2000,0.5000,5000.50,1,345600,345600,,,
8,Lost,lost,lost,1,2,,0.4000,,0,2,734400,734400,,,
,,,total,5,,,,,17300.50,,,,2,1,0.6667
OUT
	assert_equal "$stderr" ""
}

@test "the terminal table has bars, percentages and human durations" {
	seed
	run --separate-stderr leads funnel
	assert_success
	assert_output - <<'OUT'
STAGE            GROUP   NOW  REACHED                              CONV  OF TOP   DROP    VALUE  MEDIAN    MEAN
Prospecting      active    1        5  ████████████████████████          100.0%             300      2d   6d 9h
Contacted        active    1        4  ███████████████████▎       80.0%   80.0%  20.0%               5d   6d 8h
Appointment Set  active    0        2  █████████▋                 50.0%   40.0%  50.0%               2d      2d
Proposal Sent    active    0        2  █████████▋                100.0%   40.0%   0.0%               3d      3d
Customer Agreed  active    0        2  █████████▋                100.0%   40.0%   0.0%
Closed Deal      won       1        2  █████████▋                100.0%   40.0%   0.0%    12000     10d     10d
Customer         won       1        1  ████▊                      50.0%   20.0%  50.0%  5000.50      4d      4d
Lost             lost      1        2  █████████▋                         40.0%                  8d 12h  8d 12h
5 leads: 2 won, 1 lost, 2 open; win rate 66.7% (won of closed); value 17300.50
OUT
	run -0 leads funnel --ascii
	assert_line --index 1 --partial '  ########################  '
	assert_line --index 2 --regexp '^Contacted +active +1 +4  ################### '
}

@test "on a narrow terminal the bars shrink to one scale, never cut, and every line fits" {
	command -v script >/dev/null || skip "no script(1)"
	script -qec true /dev/null >/dev/null 2>&1 || skip "no pseudo-terminal here"
	seed
	local cols line full
	for cols in 80 60 50; do
		run script -qec "stty cols $cols rows 40; LEADS_NOW=2026-11-24T09:00:00Z LEADS_PAGER=cat NO_COLOR=1 '$LEADS_BIN' funnel" /dev/null
		assert_success
		output=${output//$'\r'/}
		refute_output --partial $'\u2026' # no bar cut short with an ellipsis
		while IFS= read -r line; do
			((${#line} <= cols)) || fail "wider than $cols: '$line'"
		done <<<"$output"
		# Prospecting's bar (every lead reached it) is the full width, the
		# others to its scale: Contacted 4 of 5
		full=$(sed -n 2p <<<"$output" | grep -o '█*' | head -1)
		[ "${#full}" -ge 8 ] || fail "no bar at $cols columns: $output"
		assert_line --index 2 --regexp "^Contacted +1 +4  █{$((${#full} * 4 / 5 - 1)),$((${#full} * 4 / 5))}"
	done
}

@test "the whole-pipeline path and the general path give the same funnel" {
	seed
	run -0 --separate-stderr leads -v funnel --format csv
	assert_equal "$stderr" "leads funnel: computed by the whole-pipeline path"
	fast=$output
	# a condition every lead meets takes the general path: reached from the
	# stays rather than reached_pos, time from every stay rather than the histogram
	run -0 --separate-stderr leads -v funnel --format csv --where '{field: id, gte: 1}'
	assert_equal "$stderr" "leads funnel: computed by the general path"
	assert_equal "$output" "$fast"
}

@test "leads in stages the config lacks, before, between and after its keys, count as other on both paths" {
	seed
	# keys that sort before every configured key, between two, and after all
	# (the whole-pipeline path reads them from the gaps between the keys)
	sql "UPDATE leads SET stage = CASE id % 3 WHEN 0 THEN 'aaa' WHEN 1 THEN 'cz' ELSE 'zzz' END WHERE id <= 3"
	run -0 --separate-stderr leads -v funnel --format csv
	assert_equal "${stderr_lines[0]}" "leads funnel: computed by the whole-pipeline path"
	assert_line --regexp '^,other,,other,3,'
	fast=$output
	run -0 --separate-stderr leads -v funnel --format csv --where '{field: id, gte: 1}'
	assert_equal "${stderr_lines[0]}" "leads funnel: computed by the general path"
	assert_equal "$output" "$fast"
}

@test "the stays agree with the history of moves" {
	seed
	# independent SQL: each created/moved event opens a stay that the lead's
	# next one closes
	run -0 sql "SELECT lead_id, to_val, next - at FROM (SELECT lead_id, to_val, at,
		lead(at) OVER (PARTITION BY lead_id ORDER BY at, id) AS next FROM events
		WHERE kind IN ('created', 'moved')) AS q WHERE next IS NOT NULL ORDER BY lead_id, at"
	want=$output
	run -0 sql "SELECT lead_id, stage, secs FROM stays ORDER BY lead_id, entered_at"
	assert_equal "$output" "$want"
	run -0 sql "SELECT stage, sum(n), sum(secs) FROM stay_hist GROUP BY stage ORDER BY stage"
	want=$output
	run -0 sql "SELECT stage, count(*), sum(secs) FROM stays GROUP BY stage ORDER BY stage"
	assert_equal "$output" "$want"
}

@test "json has stable field names and a total row" {
	seed
	run -0 --separate-stderr leads funnel --format json
	run -0 jq -c '.[0] | keys_unsorted' <<<"$output"
	assert_output '["position","stage","key","group","current","reached","conv_prev","conv_top","drop_off","value","stays","median_secs","mean_secs","won","lost","win_rate"]'
	json=$(leads funnel --format json)
	run -0 jq -c '.[] | select(.key == "contacted")' <<<"$json"
	assert_output '{"position":2,"stage":"Contacted","key":"contacted","group":"active","current":1,"reached":4,"conv_prev":0.8,"conv_top":0.8,"drop_off":0.2,"value":0,"stays":3,"median_secs":432000,"mean_secs":547200,"won":null,"lost":null,"win_rate":null}'
	run -0 jq -c '.[] | select(.group == "total")' <<<"$json"
	assert_output '{"position":null,"stage":null,"key":null,"group":"total","current":5,"reached":null,"conv_prev":null,"conv_top":null,"drop_off":null,"value":17300.5,"stays":null,"median_secs":null,"mean_secs":null,"won":2,"lost":1,"win_rate":0.6667}'
	run -0 --separate-stderr leads funnel --format jsonl
	assert_equal "${#lines[@]}" 9
	run -0 jq -c 'select(.key == "lost") | [.reached, .conv_top, .stays]' <<<"$output"
	assert_output '[2,0.4,2]'
	run -0 --separate-stderr leads funnel --format tsv
	assert_line --index 0 "$(tr , '\t' <<<"$HEADER")"
}

@test "filters: owner, source, status, created dates, period and a condition" {
	seed
	run -0 leads funnel --format csv --owner ana
	assert_line --index 1 '1,Prospecting,prospecting,active,1,2,,1.0000,,300,2,907200,907200,,,'
	assert_line --index 9 ',,,total,2,,,,,12300,,,,1,0,1.0000'
	run -0 leads funnel --format csv --owner none
	assert_line --index 9 ',,,total,1,,,,,0,,,,0,0,'
	# source ignores case: Web and web
	run -0 leads funnel --format csv --source WEB
	assert_line --index 9 ',,,total,3,,,,,12300,,,,1,0,1.0000'
	run -0 leads funnel --format csv --status new
	assert_line --index 1 '1,Prospecting,prospecting,active,1,1,,1.0000,,300,1,1641600,1641600,,,'
	# the cohort of leads created from the 5th to before the 12th: 3 and 4
	run -0 leads funnel --format csv --since 2026-11-05 --until 2026-11-12
	assert_line --index 9 ',,,total,2,,,,,300,,,,0,0,'
	run -0 leads funnel --format csv --period 12d
	assert_line --index 1 '1,Prospecting,prospecting,active,0,1,,1.0000,,0,1,691200,691200,,,'
	run -0 leads funnel --format csv --since 12d
	assert_line --index 1 '1,Prospecting,prospecting,active,0,1,,1.0000,,0,1,691200,691200,,,'
	run -0 leads funnel --format csv --where '{field: value, gte: 1000}'
	assert_line --index 6 '6,Closed Deal,closed-deal,won,1,2,1.0000,1.0000,0.0000,12000,1,864000,864000,,,'
	assert_line --index 9 ',,,total,2,,,,,17000.50,,,,2,0,1.0000'
	run -0 leads funnel --format csv -w '{any: [{field: stage, eq: Lost}, {field: owner, missing: true}]}'
	assert_line --index 8 '8,Lost,lost,lost,1,2,,1.0000,,0,2,734400,734400,,,'
}

@test "grouping: one funnel per owner, source or month; a comparison table in machine formats" {
	seed
	run -0 --separate-stderr leads funnel --format csv --by owner
	assert_line --index 0 "owner,$HEADER"
	assert_equal "${#lines[@]}" 28
	assert_line --index 9 'ana,,,,total,2,,,,,12300,,,,1,0,1.0000'
	assert_line --index 18 'ben,,,,total,2,,,,,5000.50,,,,1,1,0.5000'
	assert_line --index 27 ',,,,total,1,,,,,0,,,,0,0,'
	run -0 leads funnel --format csv --by source
	assert_line --index 1 'ads,1,Prospecting,prospecting,active,0,1,,1.0000,,0,1,691200,691200,,,'
	assert_line --index 19 'web,1,Prospecting,prospecting,active,1,3,,1.0000,,300,3,172800,633600,,,'
	assert_equal "${#lines[@]}" 28
	run -0 leads funnel --format jsonl --by month
	run -0 jq -r 'select(.group == "total") | "\(.month) \(.current)"' <<<"$output"
	assert_output '2026-11 5'
	run -0 --separate-stderr leads funnel --by owner
	assert_line --index 0 'owner: ana'
	assert_line --index 10 '2 leads: 1 won, 0 lost, 1 open; win rate 100.0% (won of closed); value 12300'
	# (bats drops the blank line between the funnels from $lines)
	assert_line --index 11 'owner: ben'
	assert_line --index 22 'owner: (none)'
}

@test "--stage lists the leads behind a stage's number" {
	seed
	run -0 --separate-stderr leads funnel --stage 'proposal sent' --format csv
	assert_output - <<'OUT'
id,name,email,owner,source,stage,status,value,created_at,stage_entered_at
1,Ana One,one@example.com,ana,web,Closed Deal,active,12000,2026-11-01T09:00:00Z,2026-11-14T09:00:00Z
5,Ed Five,five@example.com,ben,ads,Customer,active,5000.50,2026-11-12T09:00:00Z,2026-11-20T09:00:00Z
OUT
	run -0 leads funnel --stage Lost --format csv
	assert_equal "$(cut -d, -f1 <<<"$output" | tr '\n' ' ')" "id 2 4 "
	run -0 leads funnel --stage Lost --current --format csv
	assert_equal "$(cut -d, -f1 <<<"$output" | tr '\n' ' ')" "id 2 "
	run -0 leads funnel --stage Contacted --owner ben --format csv
	assert_equal "$(cut -d, -f1 <<<"$output" | tr '\n' ' ')" "id 2 5 "
	run -0 leads funnel -s Prospecting --current
	assert_line --index 0 --regexp '^ID +NAME +EMAIL'
	assert_line --index 1 --regexp '^ 3 +Cy Three +three@example.com +ana +web +Prospecting '
}

@test "--svg writes a private, well-formed picture with every stage" {
	seed
	run --separate-stderr leads funnel --svg funnel.svg --format csv
	assert_success
	assert_line --index 0 "$HEADER"
	[[ -f funnel.svg && ! -e funnel.svg.tmp.* ]]
	assert_equal "$(stat -c %a funnel.svg)" 600
	run -0 xmllint --noout funnel.svg
	for s in Prospecting Contacted 'Appointment Set' 'Proposal Sent' 'Customer Agreed' \
		'Closed Deal' Customer Lost; do
		grep -q ">$s</text>" funnel.svg || fail "no stage '$s' in the picture"
	done
	grep -q '<title>Funnel: 5 leads</title>' funnel.svg
	grep -q '5 leads · 2 won · 1 lost · win rate 66.7%' funnel.svg
	run -0 leads funnel --svg by.svg --by owner --owner ben
	run -0 xmllint --noout by.svg
	grep -q '<title>Funnel: 2 leads, owner ben, by owner</title>' by.svg
	run --separate-stderr leads funnel --svg nodir/f.svg
	assert_failure 74
}

@test "names in the picture are escaped" {
	cat >p.yaml <<-'EOF'
	pipeline:
	  stages:
	    - {name: "R&D <new>", group: active}
	    - {name: "\"Won\" 'deal'", group: won}
	    - {name: Lost, group: lost}
	EOF
	export LEADS_CONFIG=$PWD/p.yaml
	leads add --first A --owner '<b>&' >/dev/null
	run -0 leads funnel --svg f.svg --by owner
	run -0 xmllint --noout f.svg
	grep -q '>R&amp;D &lt;new&gt;</text>' f.svg
	grep -q '>&lt;b&gt;&amp;</text>' f.svg
}

@test "an empty database gives an empty funnel, not an error" {
	leads init 2>/dev/null
	run --separate-stderr leads funnel
	assert_success
	assert_line --index 1 --regexp '^Prospecting +active +0 +0 *$'
	assert_line --index 9 '0 leads: 0 won, 0 lost, 0 open'
	assert_equal "$stderr" ""
	run -0 leads funnel --format json
	run -0 jq -c '[.[] | .current] , (.[-1] | [.group, .win_rate])' <<<"$output"
	assert_output $'[0,0,0,0,0,0,0,0,0]\n["total",null]'
	run -0 leads funnel --svg e.svg
	run -0 xmllint --noout e.svg
	run -0 --separate-stderr leads funnel --by owner --format csv
	assert_output "owner,$HEADER"
	run --separate-stderr leads funnel --by owner
	assert_success
	assert_output ""
	assert_equal "$stderr" "leads funnel: no leads, by owner"
}

@test "stages renamed and reordered keep their numbers; a removed stage shows as other" {
	cat >v1.yaml <<-'EOF'
	pipeline:
	  stages:
	    - {name: New, group: active}
	    - {name: Qualified, group: active}
	    - {name: Demo, group: active}
	    - {name: Won, group: won}
	    - {name: Lost, group: lost}
	EOF
	export LEADS_CONFIG=$PWD/v1.yaml
	at 01 add --first A >/dev/null
	at 01 add --first B >/dev/null
	at 01 add --first C >/dev/null
	at 02 move 1 Qualified
	at 03 move 1 Demo
	at 04 move 2 Demo
	at 05 move 3 Qualified
	run -0 leads funnel --format csv
	# B skipped Qualified: it counts as reached
	assert_line --index 2 '2,Qualified,qualified,active,1,3,1.0000,1.0000,0.0000,0,2,864000,864000,,,'
	assert_line --index 3 '3,Demo,demo,active,2,2,0.6667,0.6667,0.3333,0,2,1771200,1771200,,,'
	# renamed (key kept), reordered, and Demo removed
	cat >v2.yaml <<-'EOF'
	pipeline:
	  stages:
	    - {name: Inbox, key: new, group: active}
	    - {name: Lost, group: lost}
	    - {name: Sales Qualified, key: qualified, group: active}
	    - {name: Won, group: won}
	EOF
	export LEADS_CONFIG=$PWD/v2.yaml
	run -0 --separate-stderr leads funnel --format csv
	assert_output - <<OUT
$HEADER
1,Inbox,new,active,0,3,,1.0000,,0,3,259200,230400,,,
2,Lost,lost,lost,0,0,,0.0000,,0,0,,,,,
3,Sales Qualified,qualified,active,1,2,0.6667,0.6667,0.3333,0,2,864000,864000,,,
4,Won,won,won,0,0,0.0000,0.0000,1.0000,0,0,,,,,
,other,,other,2,,,,,0,2,1771200,1771200,,,
,,,total,3,,,,,0,,,,0,0,
OUT
	assert_equal "$stderr" "leads funnel: 2 leads are in stages no longer in the config, shown as 'other': 'Demo' (key demo): 2"
	run -0 leads funnel
	assert_line --index 5 --regexp '^other +- +2 +'
	assert_line --index 7 "note: 2 leads are in stages no longer in the config, shown as 'other': 'Demo' (key demo): 2"
	# once a command has written with the new config, the fast path agrees
	at 24 note 3 "hello"
	run -0 --separate-stderr leads -v funnel --format csv
	assert_equal "$stderr" $'leads funnel: computed by the whole-pipeline path\nleads funnel: 2 leads are in stages no longer in the config, shown as \'other\': \'Demo\' (key demo): 2'
	assert_line --index 3 '3,Sales Qualified,qualified,active,1,2,0.6667,0.6667,0.3333,0,2,864000,864000,,,'
	run -0 leads funnel --stage other --format csv
	assert_equal "$(cut -d, -f1 <<<"$output" | tr '\n' ' ')" "id 1 2 "
}

@test "usage errors exit 64" {
	leads init 2>/dev/null
	run --separate-stderr leads funnel --by team
	assert_failure 64
	assert_equal "$stderr" "leads funnel: cannot group by 'team' (owner, source or month)
usage: leads funnel [FILTERS] [--by owner|source|month] [--svg FILE] | --stage STAGE [--current]
Try 'leads help' or 'leads COMMAND -h'."
	run --separate-stderr leads funnel --current
	assert_failure 64
	run --separate-stderr leads funnel --stage Nowhere
	assert_failure 64
	run --separate-stderr leads funnel --stage Lost --by owner
	assert_failure 64
	run --separate-stderr leads funnel --period 30d --since 2026-01-01
	assert_failure 64
	run --separate-stderr leads funnel --period soon
	assert_failure 64
	run --separate-stderr leads funnel --status gone
	assert_failure 64
	run --separate-stderr leads funnel --where '{field: titel, eq: x}'
	assert_failure 64
	assert_equal "$stderr" "leads funnel: error: --where:1:9: unknown field 'titel' (did you mean 'title'?)
  {field: titel, eq: x}
          ^
leads funnel: bad condition for --where (see leads-config(5))
usage: leads funnel [FILTERS] [--by owner|source|month] [--svg FILE] | --stage STAGE [--current]
Try 'leads help' or 'leads COMMAND -h'."
	run --separate-stderr leads funnel --where ''
	assert_failure 64
	[[ $stderr == "leads funnel: error: --where: the condition is empty"$'\n'* ]]
	assert_output ""
}

@test "many leads: both paths agree with SQL over the events alone" {
	# 40 leads, each moved forward, back, to Lost and reopened at times that
	# give duplicate and distinct lengths, odd and even counts per stage
	stages=(Prospecting Contacted 'Appointment Set' 'Proposal Sent' 'Customer Agreed' \
		'Closed Deal' Customer)
	for i in $(seq 1 40); do
		LEADS_NOW=2026-10-01T09:00:00Z leads add --first "L$i" >/dev/null
		h=$(( (i * 37) % 11 )) m=$(( (i * 13) % 60 ))
		for step in $(seq 1 $(( i % 6 ))); do
			to=${stages[$(( (i + step * 3) % 7 ))]}
			LEADS_NOW=2026-10-$(printf %02d $((1 + step * 3)))T$(printf %02d $((h + step))):$(printf %02d $m):00Z \
				leads move "$i" "$to" 2>/dev/null || true
		done
		if (( i % 4 == 0 )); then
			LEADS_NOW=2026-10-25T10:00:00Z leads move "$i" Lost --reason r
		fi
		if (( i % 8 == 0 )); then
			LEADS_NOW=2026-10-28T10:$(printf %02d "$i"):00Z leads move "$i" Contacted
		fi
	done
	now=$(date -u -d "$LEADS_NOW" +%s)
	run -0 sql -csv "CREATE TEMP TABLE se AS SELECT lead_id, to_val AS stage, at,
		lead(at) OVER (PARTITION BY lead_id ORDER BY at, id) AS nxt
		FROM events WHERE kind IN ('created', 'moved');
	CREATE TEMP TABLE d AS SELECT stage,
		CASE WHEN coalesce(nxt, $now) > at THEN coalesce(nxt, $now) - at ELSE 0 END AS secs FROM se;
	CREATE TEMP TABLE r AS SELECT stage, secs,
		row_number() OVER (PARTITION BY stage ORDER BY secs) AS rn,
		count(*) OVER (PARTITION BY stage) AS n FROM d;
	CREATE TEMP TABLE t AS SELECT stage, n, (CAST(sum(secs) AS BIGINT) + n / 2) / n AS mean,
		min(CASE WHEN rn = (n + 1) / 2 THEN secs END) AS m1,
		min(CASE WHEN rn = n / 2 + 1 THEN secs END) AS m2 FROM r GROUP BY stage, n;
	CREATE TEMP TABLE cur AS SELECT stage, count(*) AS n FROM se WHERE nxt IS NULL GROUP BY stage;
	CREATE TEMP TABLE mx AS SELECT se.lead_id,
		max(CASE WHEN s.grp <> 'lost' THEN s.position END) AS m,
		max(CASE WHEN s.grp = 'lost' THEN 1 ELSE 0 END) AS lost
		FROM se JOIN stages s ON s.key = se.stage GROUP BY se.lead_id;
	SELECT s.key, coalesce(cur.n, 0),
		CASE WHEN s.grp = 'lost' THEN (SELECT count(*) FROM mx WHERE lost = 1)
		     ELSE (SELECT count(*) FROM mx WHERE m >= s.position) END,
		coalesce(t.n, 0), CASE WHEN t.n % 2 = 1 THEN t.m1 ELSE t.m1 + (t.m2 - t.m1) / 2 END, t.mean
	FROM stages s LEFT JOIN cur ON cur.stage = s.key LEFT JOIN t ON t.stage = s.key
	WHERE CAST(s.in_config AS INTEGER) = 1 ORDER BY s.position"
	want=$output
	[[ $(wc -l <<<"$want") == 8 ]]
	run -0 --separate-stderr leads -v funnel --format csv
	assert_equal "$stderr" "leads funnel: computed by the whole-pipeline path"
	fast=$output
	assert_equal "$(awk -F, 'NR > 1 && $4 != "total" { print $3 "," $5 "," $6 "," $11 "," $12 "," $13 }' <<<"$fast")" "$want"
	run -0 leads funnel --format csv --where '{field: id, gte: 1}'
	assert_equal "$output" "$fast"
}

@test "lead ids far apart do not make the general path allocate for every id between" {
	seed
	big=1000000000000
	# one transaction; PostgreSQL checks the foreign keys at its end
	defer=
	[ -z "${LEADS_TEST_PG:-}" ] || defer="SET CONSTRAINTS ALL DEFERRED;"
	sql "BEGIN; $defer UPDATE leads SET id = $big WHERE id = 2;
		UPDATE events SET lead_id = $big WHERE lead_id = 2;
		UPDATE stays SET lead_id = $big WHERE lead_id = 2; COMMIT"
	run -0 leads funnel --format csv
	fast=$output
	run -0 leads funnel --format csv --where '{field: id, gte: 1}'
	assert_equal "$output" "$fast"
	assert_line --index 8 '8,Lost,lost,lost,1,2,,0.4000,,0,2,734400,734400,,,'
	run -0 leads funnel --stage Lost --format csv
	assert_equal "$(cut -d, -f1 <<<"$output" | tr '\n' ' ')" "id 4 $big "
}
