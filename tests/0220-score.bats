#!/usr/bin/env bats
# Scoring: hand-computed scores, behaviour caps, windows and decay with
# LEADS_NOW, thresholds once per crossing, recalc = incremental, errors.
load test_helper

scoring_config() {
	cat >s.yaml <<'YAML'
team:
  - {name: ana, email: ana@example.com}
  - {name: ben, email: ben@example.com}
scoring:
  rules:
    - {name: exec, when: {field: title, regex: "chief|vp", ignore_case: true}, points: 20}
    - {name: free-mail, when: {field: email, regex: "@gmail\\.com$"}, points: -10}
    - {name: big, when: {field: extra.employees, gte: 500}, points: 15}
    - {name: opens, on: email-opened, points: 5, max: 15, within: 30d}
    - {name: calls, on: call, points: 10}
    - {name: meetings, on: meeting, points: 20, decay: {half_life: 10d}}
  cap: 100
  thresholds:
    - {name: warm, at: 20, instructions: "Send the case study."}
    - {name: hot, at: 50, instructions: "Call within the hour.", due: 1h}
YAML
	export LEADS_CONFIG=$PWD/s.yaml
}

# Log an activity on lead $1 at time $3.
log_at() {
	LEADS_NOW=$3 leads log "$1" "$2" >/dev/null
}

@test "a score by hand: attributes, a capped window, plain counts and decay" {
	scoring_config
	LEADS_NOW=2026-09-01T09:00:00Z leads add --email vp@gmail.com --first Vera --title 'VP Sales' --owner ana --field employees=800 >/dev/null
	log_at 1 email-opened 2026-10-01T09:00:00Z # outside the 30d window
	log_at 1 email-opened 2026-11-10T09:00:00Z
	log_at 1 email-opened 2026-11-20T09:00:00Z
	log_at 1 email-opened 2026-11-22T09:00:00Z
	log_at 1 email-opened 2026-11-23T09:00:00Z
	log_at 1 call 2026-11-01T09:00:00Z
	log_at 1 meeting 2026-11-14T09:00:00Z # 10 days ago: half of 20
	log_at 1 meeting 2026-11-24T09:00:00Z # now: all of 20
	# 20 - 10 + 15 (attributes) + min(4 x 5, 15) + 10 + (10 + 20) = 80
	run -0 leads score 1
	assert_output "id:    1
score: 80"
	run -0 leads score 1 --explain
	assert_output "#1 Vera
score 80
    +20  exec       title 'VP Sales' matches /chief|vp/i
    -10  free-mail  email 'vp@gmail.com' matches /@gmail\\.com\$/
    +15  big        extra.employees '800' >= 500
    +15  opens      4 email_opened within 30d x 5 = 20, max 15
    +10  calls      1 call x 10 = 10
    +30  meetings   2 meeting x 20, decayed (half-life 10d) = 30
  thresholds: warm 20 (reached), hot 50 (reached)"
	run -0 leads list --columns id,score
	assert_output "ID  SCORE
 1     80"
}

@test "time moves scores only at the next change or recalculation, and agrees with it" {
	scoring_config
	leads add --email a@x.com --owner ana >/dev/null
	log_at 1 email-opened 2026-11-24T09:00:00Z
	log_at 1 meeting 2026-11-24T09:00:00Z
	run -0 sql "SELECT score FROM leads ORDER BY id"
	assert_output 25
	# 40 days later the open has left the window and the meeting counts a sixteenth
	LEADS_NOW=2027-01-03T09:00:00Z run -0 leads score 1 --explain
	assert_line "      0  opens      0 email_opened within 30d x 5 = 0"
	assert_line "     +1  meetings   1 meeting x 20, decayed (half-life 10d) = 1.3"
	assert_line "stored score is 25; 'leads score --recalc 1' updates it"
	LEADS_NOW=2027-01-03T09:00:00Z run --separate-stderr leads score --recalc 1
	assert_success
	assert_equal "$stderr" "leads score: 1 lead recalculated: 1 score changed, 0 thresholds crossed, 1 dropped below"
	run -0 sql "SELECT score FROM leads ORDER BY id"
	assert_output 1
	# the same "now" through an ordinary change gives the same score
	LEADS_NOW=2027-01-03T09:00:00Z leads note 1 "still there" >/dev/null
	run -0 sql "SELECT score FROM leads ORDER BY id"
	assert_output 1
}

@test "a threshold fires once per upward crossing, again after falling below" {
	scoring_config
	leads add --email ana.lima@acme.example --first Ana --last Lima --company Acme --owner ana >/dev/null
	log_at 1 call 2026-11-24T09:00:00Z # 10
	run -0 sql "SELECT count(*) FROM tasks"
	assert_output 0
	log_at 1 call 2026-11-24T09:00:00Z # 20: warm
	log_at 1 call 2026-11-24T09:00:00Z # 30: still warm, nothing new
	run -0 sql "SELECT owner, title, notes, due_at - created_at, rule, idem_key FROM tasks ORDER BY id"
	assert_output "ana|Ana Lima is warm (score 20)|Send the case study.|86400|scoring:score:warm|threshold:000000000001:score:warm:1"
	run -0 sql "SELECT kind, rcpt, subject FROM outbox WHERE kind = 'threshold' ORDER BY id"
	assert_output "threshold|ana@example.com|Ana Lima (Acme) is warm: score 20"
	run -0 sql "SELECT body FROM outbox WHERE kind = 'threshold' ORDER BY id"
	assert_output "Hello ana,

Lead #1 Ana Lima crossed the 'warm' threshold of score (20): score went from 10 to 20.

What to do:
  Send the case study.

  Lead:     #1 Ana Lima
  Email:    ana.lima@acme.example
  Company:  Acme
  Stage:    Prospecting
  Status:   active
  Owner:    ana
  Score:    20

See it with: leads show 1"
	leads edit 1 --title VP >/dev/null                           # 30 + 20 = 50: hot
	leads edit 1 --title Intern --email ana@gmail.com >/dev/null # 30 - 10 = 20: hot drops
	leads edit 1 --phone 555-0100 >/dev/null                     # 20 again: nothing
	run -0 sql "SELECT kind, from_val, to_val, data FROM events WHERE kind LIKE 'score.%' ORDER BY id"
	assert_output 'score.threshold|score|warm|{"score":"score","threshold":"warm","at":20,"from":10,"to":20}
score.threshold|score|hot|{"score":"score","threshold":"hot","at":50,"from":30,"to":50}
score.dropped|score|hot|{"score":"score","threshold":"hot","at":50,"from":50,"to":20}'
	# one task each; hot's is due within the hour its threshold asks for
	run -0 sql "SELECT title, due_at - created_at FROM tasks ORDER BY id"
	assert_output "Ana Lima is warm (score 20)|86400
Ana Lima is hot (score 50)|3600"
	run -0 sql "SELECT count(*) FROM outbox WHERE kind = 'threshold'"
	assert_output 2
}

@test "crossing, falling, crossing again: one task and one mail each time" {
	scoring_config
	leads add --email a@x.com --first Al --owner ben >/dev/null
	log_at 1 call 2026-11-24T09:00:00Z
	log_at 1 call 2026-11-24T09:00:00Z # 20: warm (1)
	leads edit 1 --email a@gmail.com >/dev/null # 10: dropped
	leads edit 1 --email a@x.com >/dev/null # 20: warm (2)
	leads edit 1 --email a@gmail.com >/dev/null # 10: dropped
	leads edit 1 --email a@y.com >/dev/null # 20: warm (3)
	run -0 sql "SELECT idem_key FROM tasks ORDER BY id"
	assert_output "threshold:000000000001:score:warm:1
threshold:000000000001:score:warm:2
threshold:000000000001:score:warm:3"
	run -0 sql "SELECT rcpt, idem_key FROM outbox WHERE kind = 'threshold' ORDER BY id"
	assert_output "ben@example.com|threshold:000000000001:score:warm:1
ben@example.com|threshold:000000000001:score:warm:2
ben@example.com|threshold:000000000001:score:warm:3"
	run -0 sql "SELECT kind FROM events WHERE kind LIKE 'score.%' ORDER BY id"
	assert_output "score.threshold
score.dropped
score.threshold
score.dropped
score.threshold"
}

@test "a lead without an owner gets an unowned task and no mail" {
	scoring_config
	leads add --email a@x.com --title VP >/dev/null # 20: warm at once
	run -0 sql "SELECT CAST(owner IS NULL AS INTEGER), title FROM tasks ORDER BY id"
	assert_output "1|a@x.com is warm (score 20)"
	run -0 sql "SELECT count(*) FROM outbox"
	assert_output 0
}

@test "the total is capped, and a negative rule can take a score below zero" {
	cat >s.yaml <<'YAML'
scoring:
  rules:
    - {name: calls, on: call, points: 40}
    - {name: spam, when: {field: source, eq: spam}, points: -25}
  cap: 100
YAML
	export LEADS_CONFIG=$PWD/s.yaml
	leads add --email a@x.com >/dev/null
	leads add --email b@x.com --source spam >/dev/null
	for i in 1 2 3; do log_at 1 call 2026-11-24T09:00:00Z; done
	run -0 leads list --columns id,score --sort score
	assert_output "ID  SCORE
 2    -25
 1    100"
	run -0 leads score 1 --explain
	assert_output "#1 a@x.com
score 100
   +120  calls  3 call x 40 = 120
      0  spam   source is missing
  = 120 (capped at 100)"
	run -0 leads list --columns id --min-score 0
	assert_output "ID
 1"
}

@test "recalculating everything gives what the changes gave, and fires nothing new" {
	scoring_config
	for i in 1 2 3 4 5 6; do leads add --email "l$i@x.com" --owner ana >/dev/null; done
	leads edit 2 --title VP >/dev/null
	leads edit 3 --email l3@gmail.com --field employees=900 >/dev/null
	for t in 2026-11-01 2026-11-20 2026-11-23; do log_at 4 email-opened "${t}T09:00:00Z"; done
	log_at 5 meeting 2026-11-17T09:00:00Z
	log_at 5 call 2026-11-24T09:00:00Z
	log_at 6 meeting 2026-11-24T09:00:00Z
	log_at 6 email-opened 2026-11-24T09:00:00Z
	incremental=$(sql "SELECT group_concat(score, ' ') FROM (SELECT score FROM leads ORDER BY id) AS q")
	assert_equal "$incremental" "0 20 5 15 22 25"
	tasks=$(sql "SELECT count(*) FROM tasks")
	run --separate-stderr leads score --recalc --all
	assert_success
	assert_equal "$stderr" "leads score: 6 leads recalculated: 0 scores changed, 0 thresholds crossed, 0 dropped below"
	# from scratch too
	sql "UPDATE leads SET score = 0"
	run -0 leads -q score --recalc --all
	run -0 sql "SELECT group_concat(score, ' ') FROM (SELECT score FROM leads ORDER BY id) AS q"
	assert_output "$incremental"
}

@test "named scores: each its own rules and thresholds, shown beside the default" {
	cat >s.yaml <<'YAML'
team:
  - {name: ana, email: ana@example.com}
scoring:
  rules:
    - {name: exec, when: {field: title, contains: vp}, points: 20}
  scores:
    engagement:
      rules:
        - {name: opens, on: [email-opened, call], points: 3}
      thresholds:
        - {name: engaged, at: 6, instructions: "Book a demo."}
routing:
  rules:
    - {name: engaged, when: {field: score.engagement, gte: 6}, assign: ana}
YAML
	export LEADS_CONFIG=$PWD/s.yaml
	leads add --email a@x.com --title VP >/dev/null
	log_at 1 email-opened 2026-11-24T09:00:00Z
	log_at 1 call 2026-11-24T09:00:00Z
	run -0 leads --format json score 1
	assert_output '{
  "id": 1,
  "score": 20,
  "engagement": 6
}'
	run -0 sql "SELECT lead_id, name, value FROM scores"
	assert_output "1|engagement|6"
	run -0 sql "SELECT title, rule FROM tasks ORDER BY id"
	assert_output "a@x.com is engaged (engagement 6)|scoring:engagement:engaged"
	# conditions read named scores: the engaged lead routes to ana
	run -0 leads route 1 --dry-run --explain
	assert_line "  rule 1 'engaged': matched: score.engagement 6 >= 6"
}

@test "score needs a scoring section and one lead, or --recalc with leads or --all" {
	leads add --email a@x.com >/dev/null
	run --separate-stderr leads score 1
	assert_failure 78
	assert_equal "$stderr" "leads score: the config has no scoring rules"
	scoring_config
	run --separate-stderr leads score
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads score: give one lead to show"
	run --separate-stderr leads score 1 --all
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads score: --all goes with --recalc"
	run --separate-stderr leads score --recalc
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads score: give leads or --all"
	run --separate-stderr leads score --recalc 1 --explain
	assert_failure 64
	run --separate-stderr leads score 9
	assert_failure 66
	assert_equal "$stderr" "leads score: no lead matches '9'"
}

@test "scoring mistakes are config errors at line:column, exit 78" {
	cat >bad.yaml <<'YAML'
scoring:
  rules:
    - {name: a, when: {field: title, regex: "("}, points: 5}
    - {name: b, points: 5}
    - {name: c, on: fax, points: 5}
    - {name: d, when: {field: state, eq: NY}, points: 5, max: 3}
    - {name: e, on: call, points: lots}
    - {name: f, on: call, points: 1, within: 7d, decay: {half_life: 3d}}
    - {name: a, on: call, points: 1}
  thresholds:
    - {name: hot, at: high}
  scores:
    score: {rules: []}
YAML
	run --separate-stderr leads -c bad.yaml score --recalc --all
	assert_failure 78
	assert_equal "$stderr" "error: bad.yaml:3:45: invalid regex '(' for title: Unmatched ( or \\(
      - {name: a, when: {field: title, regex: \"(\"}, points: 5}
                                              ^
error: bad.yaml:4:7: an attribute rule needs when: (or on: for a behaviour rule)
      - {name: b, points: 5}
        ^
error: bad.yaml:5:21: unknown activity 'fax' for on (call, email, meeting, email-opened, email-replied, note, any)
      - {name: c, on: fax, points: 5}
                      ^
error: bad.yaml:6:63: max, within and decay go with behaviour rules (add on: email-opened, meeting, ...)
      - {name: d, when: {field: state, eq: NY}, points: 5, max: 3}
                                                                ^
error: bad.yaml:7:35: expected a whole number from -1000000 to 1000000 for points, got 'lots'
      - {name: e, on: call, points: lots}
                                    ^
error: bad.yaml:8:57: use within or decay, not both
      - {name: f, on: call, points: 1, within: 7d, decay: {half_life: 3d}}
                                                          ^
error: bad.yaml:9:14: duplicate rule name 'a' (first at line 3)
      - {name: a, on: call, points: 1}
               ^
error: bad.yaml:11:23: expected a whole number from -1000000000 to 1000000000 for at, got 'high'
      - {name: hot, at: high}
                        ^
error: bad.yaml:13:5: invalid score name 'score' (letters, digits, '-' and '_'; not score or default)
      score: {rules: []}
      ^
leads score: 9 errors in config 'bad.yaml'"
}
