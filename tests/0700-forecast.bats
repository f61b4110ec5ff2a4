#!/usr/bin/env bats
# leads report forecast: the open pipeline by month of expected close, by
# owner and by stage, weighted by each stage's win probability (from the
# config or learned from the history), on a small history computed by hand.
load test_helper

at() {
	local when=$1
	shift
	LEADS_NOW=$when leads "$@" >/dev/null
}

# Stages New, Proposal (both learned), Verbal (90% in the config), Won, Lost.
# Closed leads (the history the probabilities and times are learned from):
#   L1 ana 1000: New 11-01, Proposal 11-02, Won 11-05
#   L2 ben  500: New 11-01, Won 11-11 (skipped Proposal and Verbal: reached them)
#   L3      700: New 11-01, Proposal 11-03, Lost 11-06
#   L4       50: New 11-01, Lost 11-02
# New: 2 won of 4 closed = 50%; Proposal: 2 of 3 = 66.67%; Verbal: config 90%.
# Days to won: New 4 and 10 (median 7), Proposal 3, Verbal none.
# Open leads, now 2026-11-20:
#   L5 ana 1000 New since 11-15, no close date: 11-15 + 7d -> 2026-11, 500
#   L6 ben 3000 Proposal, close 2027-01-15 -> 2027-01, 2000.10
#   L7 ana 2000 Verbal, close 2026-12-10 -> 2026-12, 1800, commit (90%)
#   L8     400 Verbal, no close date, no history -> no date, 360, commit
#   L9 ben  100 Proposal, close 2026-10-01 (past) -> 2026-11, 66.67,
#           category commit
#   L10    999 New, unqualified: not in the pipeline
# Won in November: L1 1000 + L2 500.
seed() {
	cat >fc.yaml <<'Y'
pipeline:
  stages:
    - name: New
    - name: Proposal
    - name: Verbal
      probability: 90%
    - name: Won
      group: won
    - name: Lost
      group: lost
categories: [commit, other]
team:
  - name: ana
    email: ana@example.com
  - name: ben
    email: ben@example.com
Y
	export LEADS_CONFIG=$PWD/fc.yaml
	at 2026-11-01T09:00:00Z add --first L1 --owner ana --value 1000
	at 2026-11-02T09:00:00Z move 1 Proposal
	at 2026-11-05T09:00:00Z move 1 Won
	at 2026-11-01T09:00:00Z add --first L2 --owner ben --value 500
	at 2026-11-11T09:00:00Z move 2 Won
	at 2026-11-01T09:00:00Z add --first L3 --value 700
	at 2026-11-03T09:00:00Z move 3 Proposal
	at 2026-11-06T09:00:00Z move 3 Lost --reason price
	at 2026-11-01T09:00:00Z add --first L4 --value 50
	at 2026-11-02T09:00:00Z move 4 Lost --reason price
	at 2026-11-15T09:00:00Z add --first L5 --owner ana --value 1000
	at 2026-11-10T09:00:00Z add --first L6 --owner ben --value 3000 --field close_date=2027-01-15
	at 2026-11-10T09:00:00Z move 6 Proposal
	at 2026-11-08T09:00:00Z add --first L7 --owner ana --value 2000 --field close_date=2026-12-10
	at 2026-11-12T09:00:00Z move 7 Verbal
	at 2026-11-08T09:00:00Z add --first L8 --value 400
	at 2026-11-12T09:00:00Z move 8 Verbal
	at 2026-11-08T09:00:00Z add --first L9 --owner ben --value 100 --field close_date=2026-10-01 \
		--category commit
	at 2026-11-12T09:00:00Z move 9 Proposal
	at 2026-11-08T09:00:00Z add --first L10 --value 999
	at 2026-11-12T09:00:00Z status 10 unqualified
	export LEADS_NOW=2026-11-20T09:00:00Z
}

@test "forecast by month: expected close, weighted, commit, won to date, totals" {
	seed
	run --separate-stderr leads report forecast --ascii
	assert_success
	assert_equal "$stderr" ""
	assert_output - <<'OUT'
MONTH      DEALS  PIPELINE  BEST CASE  COMMIT   WON
2026-11        2      1100     566.67     100  1500  ######
2026-12        1      2000       1800    2000     0  ##################
2027-01        1      3000    2000.10       0     0  ####################
(no date)      1       400        360     400     0  ####
total          5      6500    4726.77    2500  1500
OUT
	run --separate-stderr leads report forecast --format csv
	assert_success
	assert_equal "$stderr" ""
	assert_output - <<'OUT'
month,deals,pipeline,best_case,commit,won
2026-11,2,1100,566.67,100,1500
2026-12,1,2000,1800,2000,0
2027-01,1,3000,2000.10,0,0
,1,400,360,400,0
OUT
	run -0 leads report forecast --format jsonl
	assert_line --index 3 '{"month":null,"deals":1,"pipeline":400,"best_case":360,"commit":400,"won":0}'
}

@test "forecast --since: won to date from that month on, each month shown" {
	seed
	run -0 leads report forecast --since 2026-10-01 --format csv
	assert_output - <<'OUT'
month,deals,pipeline,best_case,commit,won
2026-10,0,0,0,0,0
2026-11,2,1100,566.67,100,1500
2026-12,1,2000,1800,2000,0
2027-01,1,3000,2000.10,0,0
,1,400,360,400,0
OUT
	# in December, November's wins are before the default start (this month)
	LEADS_NOW=2026-12-02T09:00:00Z run -0 leads report forecast --format csv
	assert_line --index 1 '2026-12,3,3100,2366.67,2100,0'
}

@test "forecast by owner" {
	seed
	run --separate-stderr leads report forecast --by owner --ascii
	assert_success
	assert_equal "$stderr" ""
	assert_output - <<'OUT'
OWNER   DEALS  PIPELINE  BEST CASE  COMMIT   WON
ana         2      3000       2300    2000  1000  ####################
ben         2      3100    2066.77     100   500  ##################
(none)      1       400        360     400     0  ###
total       5      6500    4726.77    2500  1500
OUT
	run -0 leads report forecast --by owner --format tsv
	assert_line --index 3 $'\t1\t400\t360\t400\t0'
}

@test "forecast by stage: the learned probabilities with their sample sizes" {
	seed
	run --separate-stderr leads report forecast --by stage --ascii
	assert_success
	assert_equal "$stderr" ""
	assert_output - <<'OUT'
STAGE     PROBABILITY  FROM     WON  OF CLOSED  DAYS TO WON  DEALS  PIPELINE  BEST CASE
New               50%  history    2          4            7      1      1000        500  #####
Proposal          67%  history    2          3            3      2      3100    2066.77  ###################
Verbal            90%  config     2          2                   2      2400       2160  ####################
OUT
	run -0 leads report forecast --by stage --format json
	assert_output - <<'OUT'
[
  {
    "stage": "New",
    "probability": 0.5000,
    "source": "history",
    "sample_won": 2,
    "sample": 4,
    "median_days_to_won": 7,
    "deals": 1,
    "pipeline": 1000,
    "best_case": 500
  },
  {
    "stage": "Proposal",
    "probability": 0.6667,
    "source": "history",
    "sample_won": 2,
    "sample": 3,
    "median_days_to_won": 3,
    "deals": 2,
    "pipeline": 3100,
    "best_case": 2066.77
  },
  {
    "stage": "Verbal",
    "probability": 0.9000,
    "source": "config",
    "sample_won": 2,
    "sample": 2,
    "median_days_to_won": null,
    "deals": 2,
    "pipeline": 2400,
    "best_case": 2160
  }
]
OUT
}

@test "forecast: no history and no probability is 0%, shown as none" {
	run -0 leads add --first A --value 100
	run --separate-stderr leads report forecast --by stage --format csv
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 1 'Prospecting,,none,0,0,,1,100,0'
	run -0 leads report forecast --format csv
	assert_output - <<'OUT'
month,deals,pipeline,best_case,commit,won
2026-11,0,0,0,0,0
,1,100,0,0,0
OUT
}

@test "forecast: months in the config's time zone" {
	cat >tz.yaml <<'Y'
pipeline:
  stages:
    - name: New
      probability: 50
    - name: Won
      group: won
    - name: Lost
      group: lost
business_hours:
  timezone: America/Sao_Paulo
  days: mon-fri
  hours: 09:00-18:00
Y
	export LEADS_CONFIG=$PWD/tz.yaml
	# 2026-12-01T01:00Z is still November 30 in São Paulo (UTC-3)
	at 2026-11-20T09:00:00Z add --first A --value 100
	at 2026-12-01T01:00:00Z move 1 Won
	LEADS_NOW=2026-12-01T02:00:00Z run -0 leads report forecast --format csv
	assert_output - <<'OUT'
month,deals,pipeline,best_case,commit,won
2026-11,0,0,0,0,100
OUT
	unset LEADS_CONFIG
}

@test "forecast --svg writes a private picture; - writes it instead of the table" {
	seed
	run --separate-stderr leads report forecast --svg fc.svg
	assert_success
	assert_equal "$stderr" ""
	assert_line --index 0 --partial 'MONTH'
	assert_equal "$(stat -c %a fc.svg)" 600
	run grep -c '<svg' fc.svg
	assert_output 1
	grep -q 'Forecast by month: 5 open deals, pipeline 6500, best case 4726.77' fc.svg
	grep -q '2027-01' fc.svg
	run --separate-stderr leads report forecast --by owner --svg -
	assert_success
	assert_line --index 0 '<?xml version="1.0" encoding="UTF-8"?>'
	assert_output --partial '(none)'
}

@test "forecast: usage errors are 64" {
	leads add --first A >/dev/null
	run --separate-stderr leads report forecast --by source
	assert_failure 64
	assert_equal "${lines[*]}" ""
	assert_equal "${stderr_lines[0]}" "leads report: cannot group the forecast by 'source' (month, owner or stage)"
	run --separate-stderr leads report tasks --svg x.svg
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads report: --svg and --ascii are for the forecast report"
	run --separate-stderr leads report nope
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads report: no report 'nope' (tasks, activity, sources or forecast)"
}

@test "forecast: a weighted sum beyond 64 bits is an error, not a wrapped total" {
	cat >p.yaml <<'Y'
pipeline:
  stages:
    - name: New
      probability: 100
    - name: Won
      group: won
    - name: Lost
      group: lost
Y
	for i in 1 2 3 4 5 6 7 8 9 10; do
		leads -c p.yaml add --first "A$i" --value 1,000,000,000,000 >/dev/null
	done
	run --separate-stderr leads -c p.yaml report forecast
	assert_failure 65
	assert_equal "$output" ""
	assert_equal "$stderr" "leads report: the sum of the leads' weighted value does not fit in 64 bits; refusing to show a wrong total"
}

@test "close_date: set by add, edit and --json, checked, exported, imported" {
	run -0 leads add --first A --field close_date=2026-12-31
	run --separate-stderr leads add --first B --field close_date=2026-02-30
	assert_failure 65
	assert_equal "$stderr" "leads add: bad close_date '2026-02-30' (expected a date like 2026-12-31)"
	run -0 leads edit 1 --field close_date=2027-01-02
	run -0 leads export --format csv
	assert_line --index 0 --partial ',value,close_date,created_at,'
	assert_line --index 1 --partial ',2027-01-02,'
	run -0 leads edit 1 --field close_date=
	run -0 sql "SELECT coalesce(close_date, 'null') FROM leads WHERE id = 1"
	assert_output null
	run -0 leads add --json <<<'{"first_name":"J","close_date":"2026-12-01"}'
	run -0 sql "SELECT close_date FROM leads WHERE first_name = 'J'"
	assert_output 2026-12-01
	printf 'email,close_date\nc@example.com,2027-03-04\nd@example.com,someday\n' >in.csv
	run --separate-stderr leads import in.csv
	assert_success
	assert_equal "${stderr_lines[1]}" "first warning: line 3: column 'close_date': 'someday' is not a date; kept as a custom field"
	run -0 sql "SELECT coalesce(close_date, '-') FROM leads WHERE email LIKE '_@example.com' ORDER BY email"
	assert_output $'2027-03-04\n-'
	run -0 sql "SELECT extra FROM leads WHERE email = 'd@example.com'"
	assert_output --partial someday	# other CRMs' names for it
	printf 'Email,Close Date,Amount\ne@example.com,2027-02-03,500\n' >sf.csv
	run -0 --separate-stderr leads import sf.csv
	run -0 sql "SELECT close_date FROM leads WHERE email = 'e@example.com'"
	assert_output 2027-02-03
}

@test "probability: percent, fraction or 90%; out of range is a config error" {
	cat >p.yaml <<'Y'
pipeline:
  stages:
    - name: A
      probability: 10
    - name: B
      probability: 0.25
    - name: C
      probability: 90%
    - name: D
      probability: 12.5
    - name: W
      group: won
    - name: L
      group: lost
Y
	run -0 leads -c p.yaml config show
	assert_line '      probability: 10%'
	assert_line '      probability: 25%'
	assert_line '      probability: 90%'
	assert_line '      probability: 12.50%'
	printf '      probability: 5\n' >>p.yaml
	run --separate-stderr leads -c p.yaml config check
	assert_success
	assert_equal "${stderr_lines[0]}" "warning: p.yaml:15:20: probability has no effect in a lost stage (only the open leads of active stages are forecast)"
	assert_output "p.yaml: ok (6 stages, 0 team members, with warnings)"
	sed -i 's/probability: 10$/probability: 101/' p.yaml
	run --separate-stderr leads -c p.yaml config check
	assert_failure 1
	assert_equal "${stderr_lines[0]}" "error: p.yaml:4:20: bad probability '101' (a percentage 0-100 such as 90 or 90%, or a fraction 0.0-1.0 such as 0.9)"
}
