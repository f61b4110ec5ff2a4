#!/usr/bin/env bats
# Routing: first match, pools, rotation under concurrency, away and
# capacity, explicit outcomes, explanations, what-if, config errors.
load test_helper

# A team of three and the rules given on stdin as the routing section.
team_config() {
	{
		cat <<'YAML'
team:
  - {name: ana, email: ana@example.com, weight: 3, groups: [east]}
  - {name: ben, email: ben@example.com, groups: [east, west]}
  - {name: cy, email: cy@example.com, groups: [west]}
routing:
YAML
		cat
	} >"$1"
}

owners() {
	sql "SELECT group_concat(coalesce(owner, '-'), ' ') FROM (SELECT owner FROM leads ORDER BY id) AS q"
}

@test "the first matching rule decides, top to bottom, and a default takes the rest" {
	team_config r.yaml <<'YAML'
  rules:
    - name: new-york
      when: {field: state, eq: NY}
      assign: ana
    - name: executives
      when: {field: title, regex: "vp|chief", ignore_case: true}
      assign: ben
  default: cy
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	leads add --email a@x.com --title VP --field state=NY >/dev/null
	leads add --email b@x.com --title 'Chief of Staff' >/dev/null
	leads add --email c@x.com --title Engineer >/dev/null
	run -0 owners
	assert_output "ana ben cy"
	run -0 sql "SELECT assigned_rule, assigned_at FROM leads ORDER BY id"
	assert_output "new-york|$(date -d 2026-11-24T09:00:00Z +%s)
executives|$(date -d 2026-11-24T09:00:00Z +%s)
default|$(date -d 2026-11-24T09:00:00Z +%s)"
}

@test "an assignment is recorded in history and mails the new owner the lead's details" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: all, assign: ben}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	run -0 leads add --email ana@acme.example --first Ana --last Lima --company Acme --phone 555-0100
	run -0 sql "SELECT actor, kind, from_val, to_val, data FROM events WHERE kind = 'assigned' ORDER BY id"
	assert_output 'tester|assigned||ben|{"rule":"all"}'
	run -0 sql "SELECT kind, rcpt, subject, idem_key FROM outbox ORDER BY id"
	assert_output "assignment|ben@example.com|New lead: Ana Lima (Acme)|assign:000000000001:$(date -d 2026-11-24T09:00:00Z +%s):ben"
	run -0 sql "SELECT body FROM outbox ORDER BY id"
	assert_output "Hello ben,

Lead #1 Ana Lima is yours now (routing rule 'all').

  Lead:     #1 Ana Lima
  Email:    ana@acme.example
  Phone:    555-0100
  Company:  Acme
  Stage:    Prospecting
  Status:   new
  Owner:    ben
  Score:    0

See it with: leads show 1"
}

@test "a lead added with an owner, or with --no-route, is not routed" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: all, assign: ben}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	leads add --email a@x.com --owner cy >/dev/null
	run -0 leads add --email b@x.com --no-route
	assert_output 2
	run -0 owners
	assert_output "cy -"
	# cy hears of the lead given by hand; no routing mail for either
	run -0 sql "SELECT rcpt || ' ' || kind FROM outbox"
	assert_output "cy@example.com assignment"
}

@test "round robin takes turns in list order" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: pool, assign: {round_robin: [ben, ana, cy]}}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	for i in 1 2 3 4 5 6 7; do leads add --email "l$i@x.com" >/dev/null; done
	run -0 owners
	assert_output "ben ana cy ben ana cy ben"
	run -0 sql "SELECT key, value FROM state ORDER BY key"
	assert_output "route.rr.pool|7"
}

@test "weights 3:1 over 400 leads give exactly 300 and 100, spread evenly" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: pool, assign: {round_robin: [ana, ben], weighted: true}}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	for i in $(seq 1 400); do leads add --email "l$i@x.com" >/dev/null; done
	run -0 sql "SELECT owner, count(*) FROM leads GROUP BY owner ORDER BY owner"
	assert_output "ana|300
ben|100"
	run -0 sql "SELECT group_concat(owner, ' ') FROM (SELECT owner FROM leads ORDER BY id LIMIT 8) AS q"
	assert_output "ana ana ben ana ana ana ben ana"
}

@test "8 concurrent writers into a 3:1 pool: exactly 300/100, no slot skipped or doubled" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: pool, assign: {round_robin: [ana, ben], weighted: true}}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	leads init 2>/dev/null
	for p in 1 2 3 4 5 6 7 8; do
		(
			for i in $(seq 1 50); do
				leads add --email "p$p-$i@x.com" >/dev/null || echo "p$p-$i rc=$?" >>fail.log
			done
		) &
	done
	wait
	[ ! -s fail.log ] || { cat fail.log; false; }
	run -0 sql "SELECT owner, count(*) FROM leads GROUP BY owner ORDER BY owner"
	assert_output "ana|300
ben|100"
	run -0 sql "SELECT value FROM state WHERE key = 'route.rr.pool' ORDER BY key"
	assert_output 400
	# in commit order (= id order) the owners follow the slots exactly: a a b a, 100 times
	run -0 sql "SELECT group_concat(substr(owner, 1, 1), '') FROM (SELECT owner FROM leads ORDER BY id) AS q"
	assert_output "$(printf 'aaba%.0s' $(seq 1 100))"
	run -0 sql "SELECT count(*) FROM events WHERE kind = 'assigned'"
	assert_output 400
}

@test "a bulk import into a 3:1 pool splits 300/100 too" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: pool, assign: {round_robin: [ana, ben], weighted: true}}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	{
		echo email,first_name
		for i in $(seq 1 400); do echo "p$i@example.com,P$i"; done
	} >in.csv
	leads import in.csv 2>/dev/null
	run -0 sql "SELECT owner, count(*) FROM leads GROUP BY owner ORDER BY owner"
	assert_output "ana|300
ben|100"
	# one digest for each of them, not 400 mails
	run -0 sql "SELECT rcpt, kind FROM outbox ORDER BY id"
	assert_output "ana@example.com|assignment_digest
ben@example.com|assignment_digest"
	run -0 sql "SELECT body FROM outbox WHERE rcpt = 'ben@example.com' ORDER BY id"
	assert_output --partial "and 50 more"
}

@test "a group in a pool means its members, in team order" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: west, assign: {round_robin: [group:west]}}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	for i in 1 2 3; do leads add --email "l$i@x.com" >/dev/null; done
	run -0 owners
	assert_output "ben cy ben"
}

@test "away members are skipped, and the others keep their proportions" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: pool, assign: {round_robin: [ana, ben, cy], weighted: true}}
YAML
	sed -i 's/{name: cy, email: cy@example.com, groups: \[west\]}/{name: cy, email: cy@example.com, away: true}/' r.yaml
	export LEADS_CONFIG=$PWD/r.yaml
	for i in $(seq 1 20); do leads add --email "l$i@x.com" >/dev/null; done
	run -0 sql "SELECT owner, count(*) FROM leads GROUP BY owner ORDER BY owner"
	assert_output "ana|15
ben|5"
}

@test "a member at capacity is skipped until a lead of theirs closes" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: pool, assign: {round_robin: [ana, ben]}}
YAML
	sed -i 's/weight: 3,/weight: 3, capacity: 1,/' r.yaml
	export LEADS_CONFIG=$PWD/r.yaml
	for i in 1 2 3; do leads add --email "l$i@x.com" >/dev/null; done
	run -0 owners
	assert_output "ana ben ben"
	leads move 1 'Closed Deal' >/dev/null
	leads add --email l4@x.com >/dev/null
	run -0 owners
	assert_output "ana ben ben ana"
}

@test "least_loaded picks the member with the fewest open leads" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: least, assign: {least_loaded: [ana, ben, cy]}}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	leads add --email o1@x.com --owner ana >/dev/null
	leads add --email o2@x.com --owner ana >/dev/null
	leads add --email o3@x.com --owner ben >/dev/null
	for i in 1 2 3; do leads add --email "l$i@x.com" >/dev/null; done
	run -0 owners
	assert_output "ana ana ben cy ben cy"
}

@test "a rule whose members are all away passes the lead on to the next rule" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: west, assign: {round_robin: [group:west]}}
    - {name: fallback, assign: ana}
YAML
	sed -i 's/{name: ben, email: ben@example.com, groups: \[east, west\]}/{name: ben, email: ben@example.com, away: true}/; s/{name: cy, email: cy@example.com, groups: \[west\]}/{name: cy, email: cy@example.com, away: true, groups: [west]}/' r.yaml
	export LEADS_CONFIG=$PWD/r.yaml
	leads add --email l1@x.com >/dev/null
	run -0 sql "SELECT owner, assigned_rule FROM leads ORDER BY id"
	assert_output "ana|fallback"
}

@test "everyone away: the lead stays unassigned and its history says why" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: pool, assign: {round_robin: [ana, ben]}}
YAML
	sed -i 's/weight: 3,/weight: 3, away: true,/; s/{name: ben, email: ben@example.com, groups: \[east, west\]}/{name: ben, email: ben@example.com, away: true}/' r.yaml
	export LEADS_CONFIG=$PWD/r.yaml
	run -0 leads add --email l1@x.com
	run -0 sql "SELECT CAST(owner IS NULL AS INTEGER) FROM leads ORDER BY id"
	assert_output 1
	run -0 sql "SELECT kind, data FROM events WHERE kind LIKE 'route%' ORDER BY id"
	assert_output 'route.unassigned|{"reason":"every member the matching rules name is away or at capacity"}'
	run -0 sql "SELECT count(*) FROM outbox"
	assert_output 0
	run --separate-stderr leads route 1
	assert_success
	assert_output "ID  NAME      OWNER  PREVIOUS  RULE  RESULT
 1  l1@x.com                         unassigned"
	assert_equal "$stderr" "leads route: 1 lead: 0 assigned, 0 unchanged, 1 without a member"
}

@test "no rule matching and no default is an explicit outcome, so is assign: unassigned" {
	team_config r.yaml <<'YAML'
  rules:
    - name: spam
      when: {field: email, contains: "@mailinator."}
      assign: unassigned
    - name: ny
      when: {field: state, eq: NY}
      assign: ana
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	leads add --email a@mailinator.com >/dev/null
	leads add --email b@x.com >/dev/null
	run -0 sql "SELECT lead_id, data FROM events WHERE kind = 'route.unassigned' ORDER BY lead_id"
	assert_output '1|{"reason":"rule '"'"'spam'"'"' leaves it unassigned","rule":"spam"}
2|{"reason":"no routing rule matched"}'
}

@test "a member's own router decides the leads handed to it" {
	team_config r.yaml <<'YAML'
  rules:
    - name: ana-form
      when: {field: source, eq: ana-page}
      assign: {router: ana}
    - {name: rest, assign: cy}
  routers:
    ana:
      - {name: big, when: {field: value, gte: 10000}, assign: ana}
      - {name: small, assign: {round_robin: [ben, cy]}}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	leads add --email a@x.com --source ana-page --value 20000 >/dev/null
	leads add --email b@x.com --source ana-page --value 50 >/dev/null
	leads add --email c@x.com --source ana-page >/dev/null
	leads add --email d@x.com --source web >/dev/null
	run -0 sql "SELECT owner, assigned_rule FROM leads ORDER BY id"
	assert_output "ana|ana/big
ben|ana/small
cy|ana/small
cy|rest"
}

@test "--explain says which rules were tried, why, who was skipped and who got it" {
	team_config r.yaml <<'YAML'
  rules:
    - name: enterprise
      when: {field: extra.annual_revenue, gte: 1000000}
      assign: ana
    - name: east-coast
      when: {field: state, in: [NY, NJ]}
      assign: {round_robin: [ana, ben, cy], weighted: true}
YAML
	sed -i 's/{name: cy, email: cy@example.com, groups: \[west\]}/{name: cy, email: cy@example.com, away: true}/' r.yaml
	export LEADS_CONFIG=$PWD/r.yaml
	leads add --email a@x.com --first Ana --last Lima --field state=NY --no-route >/dev/null
	leads add --email b@x.com --field state=CA --no-route >/dev/null
	run --separate-stderr leads route 1 2 3 --explain
	assert_failure 66
	assert_equal "$stderr" "leads route: no lead matches '3'"
	run --separate-stderr leads route 1 2 --explain
	assert_success
	assert_output "#1 Ana Lima <a@x.com>
  rule 1 'enterprise': no match: extra.annual_revenue is missing
  rule 2 'east-coast': matched: state 'NY' is in [NY, NJ]
    round_robin [ana x3, ben x1, cy x1]: slot 1 of 5
  -> ana (rule 'east-coast')

#2 b@x.com
  rule 1 'enterprise': no match: extra.annual_revenue is missing
  rule 2 'east-coast': no match: state 'CA' is not in [NY, NJ]
  -> unassigned: no routing rule matched"
	assert_equal "$stderr" "leads route: 2 leads: 1 assigned, 0 unchanged, 1 without a member (explained: nothing changed)"
	# explaining turned no cursor: c and d take slots 1 and 2 (ana, ben);
	# routing all again, 1 gets slot 3 (ana), c slot 4 (cy's: skipped, 5)
	leads add --email c@x.com --field state=NJ >/dev/null
	leads add --email d@x.com --field state=NJ >/dev/null
	run -0 sql "SELECT id, owner FROM leads WHERE owner IS NOT NULL ORDER BY id"
	assert_output "3|ana
4|ben"
	run -0 leads route --all --reassign --dry-run --explain
	assert_line "    round_robin [ana x3, ben x1, cy x1]: cy is away; slot 5 of 5"
}

@test "route --unassigned and --all; a rerouted lead mails its new owner only" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: pool, assign: {round_robin: [ana, ben]}}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	leads add --email a@x.com --no-route >/dev/null
	leads add --email b@x.com --owner cy >/dev/null
	leads add --email c@x.com --no-route >/dev/null
	leads add --email d@x.com --no-route >/dev/null
	leads move 4 Lost --reason test >/dev/null
	run --separate-stderr leads route --unassigned
	assert_success
	assert_output "ID  NAME     OWNER  PREVIOUS  RULE  RESULT
 1  a@x.com  ana              pool  assigned
 3  c@x.com  ben              pool  assigned"
	run --separate-stderr leads --format csv route --all --reassign
	assert_success
	assert_output "id,name,owner,previous,rule,result
1,a@x.com,ana,ana,pool,unchanged
2,b@x.com,ben,cy,pool,assigned
3,c@x.com,ana,ben,pool,assigned"
	assert_equal "$stderr" "leads route: 3 leads: 2 assigned, 1 unchanged, 0 without a member"
	# five turns taken over the two runs, the bulk run's written at its end
	run -0 sql "SELECT key, value FROM state ORDER BY key"
	assert_output "route.rr.pool|5"
	run -0 sql "SELECT rcpt FROM outbox ORDER BY id"
	assert_output "cy@example.com
ana@example.com
ben@example.com
ben@example.com
ana@example.com"
	run -0 sql "SELECT from_val, to_val FROM events WHERE lead_id = 2 AND kind = 'assigned' ORDER BY id"
	assert_output "|cy
cy|ben"
}

@test "--dry-run changes nothing, not even the rotation, and -c answers what-if" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: pool, assign: {round_robin: [ana, ben]}}
YAML
	team_config proposal.yaml <<'YAML'
  rules:
    - {name: new, when: {field: email, contains: "b@"}, assign: cy}
    - {name: pool, assign: {round_robin: [ben, ana]}}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	for l in a b c; do leads add --email "$l@x.com" >/dev/null; done
	before=$(sql ".dump")
	run --separate-stderr leads -c proposal.yaml route --all --reassign --dry-run
	assert_success
	assert_output "ID  NAME     OWNER  PREVIOUS  RULE  RESULT
 1  a@x.com  ana    ana       pool  unchanged
 2  b@x.com  cy     ben       new   assigned
 3  c@x.com  ben    ana       pool  assigned"
	assert_equal "$stderr" "leads route: 3 leads: 2 assigned, 1 unchanged, 0 without a member (dry run: nothing changed)"
	[ "$(sql ".dump")" = "$before" ] || fail "the dry run changed the database"
	# the proposal's pool shares the cursor (same rule name): it went on from 3 in
	# memory only (a, then c); the stored cursor has not moved
	run -0 sql "SELECT value FROM state WHERE key = 'route.rr.pool' ORDER BY key"
	assert_output 3
}

@test "route needs a routing section and one of LEAD, --all, --unassigned" {
	run --separate-stderr leads add --email a@x.com
	run --separate-stderr leads route --all
	assert_failure 78
	assert_equal "$stderr" "leads route: the config has no routing rules"
	team_config r.yaml <<'YAML'
  rules:
    - {name: pool, assign: ana}
YAML
	run --separate-stderr leads -c r.yaml route
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads route: give leads, --all or --unassigned"
	run --separate-stderr leads -c r.yaml route 1 --all
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads route: give leads, --all or --unassigned, not several"
}

@test "routing mistakes are config errors at line:column, exit 78" {
	team_config bad.yaml <<'YAML'
  rules:
    - name: one
      when: {field: titel, eq: x}
      assign: ana
    - name: two
      assign: bob
    - name: three
      assign: {round_robin: [ana, ana]}
    - name: one
      assign: {rotate: [ana]}
    - name: five
      when: {field: score, gt: lots}
      assign: {least_loaded: [group:south]}
      reassign_after: soon
    - assign: ana
  default: {router: ana}
YAML
	run --separate-stderr leads -c bad.yaml route --all
	assert_failure 78
	assert_equal "$stderr" "error: bad.yaml:8:21: unknown field 'titel' (did you mean 'title'?)
        when: {field: titel, eq: x}
                      ^
error: bad.yaml:11:15: unknown team member 'bob' (did you mean 'ben'?)
        assign: bob
                ^
error: bad.yaml:13:35: 'ana' is in the pool twice
        assign: {round_robin: [ana, ana]}
                                    ^
error: bad.yaml:14:13: duplicate rule name 'one' (first at line 7)
      - name: one
              ^
error: bad.yaml:15:16: unknown key 'rotate' in assign (expected: round_robin, least_loaded, router, weighted)
        assign: {rotate: [ana]}
                 ^
error: bad.yaml:17:32: expected a number for 'gt' on score, got 'lots'
        when: {field: score, gt: lots}
                                 ^
error: bad.yaml:18:31: no team member is in group 'south'
        assign: {least_loaded: [group:south]}
                                ^
error: bad.yaml:19:23: invalid duration 'soon' for reassign_after (expected a number and a unit: 30m, 2h, 3d, 1w, 3mo)
        reassign_after: soon
                        ^
error: bad.yaml:20:7: missing key 'name' in routing rule
      - assign: ana
        ^
error: bad.yaml:21:21: no router for 'ana' (add routing: routers: ana: [...])
    default: {router: ana}
                      ^
leads route: 10 errors in config 'bad.yaml'"
	run --separate-stderr leads -c bad.yaml config check
	assert_failure 1
}

@test "config show writes the routing section back, and it loads again" {
	team_config r.yaml <<'YAML'
  rules:
    - name: east
      when: {all: [{field: state, in: [NY, "New Jersey"]}, {field: title, regex: "^(vp|chief)", ignore_case: true}]}
      assign: {round_robin: [ana, group:west], weighted: true}
      reassign_after: 2h
  default: unassigned
YAML
	run -0 leads -c r.yaml config show
	assert_output --partial "routing:
  rules:
    - {name: east, when: {all: [{field: state, in: [NY, New Jersey]}, {field: title, regex: \"^(vp|chief)\", ignore_case: true}]}, assign: {round_robin: [ana, \"group:west\"], weighted: true}, reassign_after: 2h}
  default: unassigned"
	leads -c r.yaml config show >again.yaml
	run -0 leads -c again.yaml config check
}

@test "the example team config routes an imported CSV exactly as --explain says" {
	export LEADS_CONFIG=$EXAMPLES/team-routing.yaml
	run -0 leads config check
	# what routing would do, lead by lead, from the explanation
	leads import --no-route "$FIXTURES/route/team-leads.csv" 2>/dev/null
	leads route --unassigned --dry-run --explain >explain.txt 2>/dev/null
	predicted=$(sed -n 's/^  -> \([a-z]*\) (rule .*/\1/p; s/^  -> unassigned: .*/-/p' explain.txt | tr '\n' ' ')
	assert_equal "$predicted" "- ana ben ana dee eli ana ben ana dee eli ben dee dee dee ben eli ana ben dee ana "
	# a fresh database importing with routing gets exactly that
	new_db LEADS_DB fresh
	leads import "$FIXTURES/route/team-leads.csv" 2>/dev/null
	run -0 owners
	assert_output "$(printf '%s' "$predicted" | sed 's/ $//')"
	run -0 sql "SELECT group_concat(coalesce(assigned_rule, '-'), ' ') FROM (SELECT assigned_rule FROM leads ORDER BY id) AS q"
	assert_output "- ana/big-accounts ana/small-accounts enterprise enterprise partner-referral east-coast east-coast east-coast west-coast west-coast executives executives europe europe webinar webinar everyone-else everyone-else everyone-else everyone-else"
	# cy is away: never chosen; each member who got leads gets one mail
	run -0 sql "SELECT count(*) FROM leads WHERE owner = 'cy'"
	assert_output 0
	run -0 sql "SELECT count(DISTINCT owner), count(*) FROM leads WHERE owner IS NOT NULL"
	assert_output '4|20'
	run -0 sql "SELECT count(*), count(DISTINCT rcpt) FROM outbox WHERE kind LIKE 'assignment%'"
	assert_output '4|4'
}

@test "route LEAD leaves an owned lead alone unless --reassign; --explain never writes" {
	team_config r.yaml <<'YAML'
  rules:
    - {name: pool, assign: {round_robin: [ana, ben, cy]}}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	leads add --email a@x.com --no-route >/dev/null
	run -0 leads route 1
	for i in 1 2 3; do
		run --separate-stderr leads route 1
		assert_success
		assert_output "ID  NAME     OWNER  PREVIOUS  RULE  RESULT
 1  a@x.com  ana    ana             owned"
		assert_equal "$stderr" "leads route: 1 lead: 0 assigned, 1 unchanged, 0 without a member"
	done
	run -0 sql "SELECT owner FROM leads"
	assert_output ana
	run -0 sql "SELECT count(*) FROM outbox"
	assert_output 1
	# explaining is reading, even of a lead it would reassign
	before=$(sql ".dump")
	run --separate-stderr leads route 1 --explain --reassign
	assert_success
	assert_line "#1 a@x.com"
	assert_equal "$stderr" "leads route: 1 lead: 1 assigned, 0 unchanged, 0 without a member (explained: nothing changed)"
	[ "$(sql ".dump")" = "$before" ] || fail "--explain changed the database"
	run -0 leads route 1 --explain
	assert_line "  owned by ana: left alone (--reassign routes it again)"
	# --reassign turns the rotation
	run -0 leads route 1 --reassign
	run -0 sql "SELECT owner FROM leads"
	assert_output ben
	# --all: the owned leads are left alone too
	leads add --email b@x.com --no-route >/dev/null
	run --separate-stderr leads route --all
	assert_equal "$stderr" "leads route: 1 lead: 1 assigned, 0 unchanged, 0 without a member"
	run -0 sql "SELECT id, owner FROM leads ORDER BY id"
	assert_output "1|ben
2|cy"
}
