#!/usr/bin/env bats
# Imports with routing and scoring: the engines run on each lead before
# it is stored (bulk path, empty database) or right after (row by row);
# both give the same owners, scores, history, tasks and mails, and a
# duplicate row never takes a turn in a pool.
load test_helper

# the summary line without its timing
untimed() {
	sed -E 's/ \([0-9]+\.[0-9]+s, [0-9]+ rows\/s\)/ (T)/' <<<"$1"
}

config() {
	cat >c.yaml <<'YAML'
team:
  - {name: ana, email: ana@example.com}
  - {name: ben, email: ben@example.com}
routing:
  rules:
    - {name: pool, assign: {round_robin: [ana, ben]}}
scoring:
  rules:
    - {name: vp, when: {field: title, regex: "^vp", ignore_case: true}, points: 60}
  thresholds:
    - {name: hot, at: 50, instructions: "Call today."}
YAML
	export LEADS_CONFIG=$PWD/c.yaml
}

# owner/score of every lead by email, in id order
owners() {
	sql "SELECT group_concat(email || '=' || coalesce(owner, '-') || '/' || score, ' ')
	     FROM (SELECT * FROM leads ORDER BY id) AS q"
}

@test "a bulk import routes and scores each lead as it stores it" {
	config
	printf '%s\n' 'Email,First Name,Title' 'a@x.com,A,VP Sales' 'b@x.com,B,Engineer' \
		'c@x.com,C,vp' >in.csv
	run --separate-stderr leads import in.csv
	assert_success
	run -0 owners
	assert_output 'a@x.com=ana/60 b@x.com=ben/0 c@x.com=ana/60'
	# thresholds: a task and an event per hot lead, checked by the foreign keys
	run -0 sql "SELECT count(*) FROM tasks"
	assert_output 2
	run -0 sql "SELECT kind, count(*) FROM events GROUP BY kind"
	assert_output 'score.threshold|2'
	run -0 sql "PRAGMA foreign_key_check"
	assert_output ''
	run -0 sql "SELECT value FROM state WHERE key = 'route.rr.pool' ORDER BY key"
	assert_output 3
}

@test "the history of an imported lead says who routing gave it to" {
	config
	printf '%s\n' 'Email,First Name' 'a@x.com,A' >in.csv
	leads import in.csv 2>/dev/null
	run -0 leads --format tsv show a@x.com
	assert_line --partial $'imported\t\t\t{"batch":1,"preset":"generic","file":"in.csv","line":2}'
	assert_line --partial $'assigned\t\tana\t{"rule":"pool"}'
	# kept on the lead, not as an event per lead
	run -0 sql "SELECT import_owner, import_rule FROM leads ORDER BY id"
	assert_output 'ana|pool'
	run -0 sql "SELECT count(*) FROM events WHERE kind = 'assigned'"
	assert_output 0
}

@test "a later reassignment keeps the import's line and adds its own" {
	config
	printf '%s\n' 'Email,First Name' 'a@x.com,A' >in.csv
	leads import in.csv 2>/dev/null
	leads edit a@x.com --owner ben
	run -0 leads --format tsv show a@x.com
	assert_line --partial $'assigned\t\tana\t{"rule":"pool"}'
	assert_line --partial $'assigned\tana\tben\t'
}

@test "the bulk path and the row-by-row path give the same leads" {
	config
	printf '%s\n' 'Email,First Name,Title' 'a@x.com,A,VP' 'b@x.com,B,' 'a@x.com,Again,VP' \
		'c@x.com,C,VP' 'd@x.com,D,' >in.csv
	new_db bulk_db bulk
	new_db rows_db rows
	LEADS_DB=$bulk_db leads import in.csv 2>/dev/null
	# a lead already there: no bulk path
	LEADS_DB=$rows_db leads add --email z@x.com --owner ana >/dev/null
	LEADS_DB=$rows_db leads import in.csv 2>/dev/null
	q="SELECT group_concat(email || '=' || owner || '/' || score || '/' || coalesce(import_owner, '-'), ' ')
	   FROM (SELECT * FROM leads WHERE email <> 'z@x.com' ORDER BY id) AS q"
	LEADS_DB=$bulk_db run -0 sql "$q"
	assert_output 'a@x.com=ana/60/ana b@x.com=ben/0/ben c@x.com=ana/60/ana d@x.com=ben/0/ben'
	bulk=$output
	LEADS_DB=$rows_db run -0 sql "$q"
	assert_output "$bulk"
	for db in bulk_db rows_db; do
		LEADS_DB=${!db} run -0 sql "SELECT count(*) FROM tasks; SELECT count(*) FROM outbox WHERE kind = 'threshold'"
		assert_output $'2\n2'
	done
}

@test "a duplicate row takes no turn in a pool" {
	config
	# b repeats a's email, d repeats c's external id
	printf '%s\n' 'Lead ID,Email,First Name' '00Q1,a@x.com,A' '00Q2,a@x.com,B' '00Q3,c@x.com,C' \
		'00Q3,d@x.com,D' '00Q5,e@x.com,E' >in.csv
	run --separate-stderr leads import --preset salesforce in.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "salesforce: 5 read, 3 inserted, 0 updated, 2 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 owners
	assert_output 'a@x.com=ana/0 c@x.com=ben/0 e@x.com=ana/0'
}

@test "a row that only shares a key with a removed duplicate is kept, in its turn" {
	config
	# b is a's duplicate by external id and goes; c shares only b's email: kept
	printf '%s\n' 'Lead ID,Email,First Name' '00Q1,a@x.com,A' '00Q1,b@x.com,B' '00Q3,b@x.com,C' \
		'00Q4,d@x.com,D' >in.csv
	run --separate-stderr leads import --preset salesforce --match email,external_id in.csv
	assert_success
	run -0 owners
	assert_output 'a@x.com=ana/0 b@x.com=ben/0 d@x.com=ana/0'
	run -0 sql "SELECT first_name FROM leads WHERE email = 'b@x.com' ORDER BY id"
	assert_output C
}

@test "into a database with leads: a duplicate of one there takes no turn and no id" {
	config
	# on PostgreSQL a file this big beside the leads there goes by COPY
	# (lib/db.c, db_bulk_begin): the same rule as row by row must hold
	pad=$(printf 'x%.0s' {1..200})
	printf '%s\n' 'Lead ID,Email,First Name' '00Q1,a@x.com,A' '00Q2,b@x.com,B' >one.csv
	leads import -q --preset salesforce one.csv
	# c repeats a's email, d repeats b's external id, f repeats e (this file)
	printf '%s\n' 'Lead ID,Email,First Name,Title,Description' "00Q7,A@X.com,C,,$pad" \
		"00Q2,d@x.com,D,,$pad" "00Q5,e@x.com,E,VP,$pad" "00Q6,e@x.com,F,,$pad" \
		"00Q8,g@x.com,G,,$pad" >two.csv
	run --separate-stderr leads import --preset salesforce --match email,external_id two.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "salesforce: 5 read, 2 inserted, 0 updated, 3 duplicates skipped, 0 rejected, 0 warnings (T); batch 2"
	run -0 owners
	assert_output 'a@x.com=ana/0 b@x.com=ben/0 e@x.com=ana/60 g@x.com=ben/0'
	# ids as row by row: the duplicates leave no gaps
	run -0 sql "SELECT group_concat(id, ' ') FROM (SELECT id FROM leads ORDER BY id) AS q"
	assert_output '1 2 3 4'
	run -0 sql "SELECT count(*) FROM tasks"
	assert_output 1
	# the same without the engines
	printf '%s\n' 'Email,Description' "h@x.com,$pad" "g@x.com,$pad" "i@x.com,$pad" >three.csv
	leads import -q --no-route --no-events three.csv
	run -0 sql "SELECT group_concat(id || '=' || email, ' ') FROM (SELECT * FROM leads WHERE id > 4 ORDER BY id) AS q"
	assert_output '5=h@x.com 6=i@x.com'
}

@test "--no-route imports leave owners alone but still score" {
	config
	printf '%s\n' 'Email,First Name,Title' 'a@x.com,A,VP' >in.csv
	leads import --no-route in.csv 2>/dev/null
	run -0 owners
	assert_output 'a@x.com=-/60'
}

@test "a score that looks at the owner is computed after routing" {
	cat >c.yaml <<'YAML'
team:
  - {name: ana, email: ana@example.com}
  - {name: ben, email: ben@example.com}
routing:
  rules:
    - {name: pool, assign: {round_robin: [ana, ben]}}
scoring:
  rules:
    - {name: anas, when: {field: owner, eq: ana}, points: 7}
    - {name: vp, when: {field: title, contains: vp}, points: 10}
YAML
	export LEADS_CONFIG=$PWD/c.yaml
	printf '%s\n' 'Email,Title' 'a@x.com,VP' 'b@x.com,VP' 'c@x.com,' >in.csv
	leads import in.csv 2>/dev/null
	run -0 owners
	assert_output 'a@x.com=ana/17 b@x.com=ben/10 c@x.com=ana/7'
}

@test "a file's own update time is kept and scored after routing" {
	cat >c.yaml <<'YAML'
team:
  - {name: ana, email: ana@example.com}
  - {name: ben, email: ben@example.com}
routing:
  rules:
    - {name: pool, assign: {round_robin: [ana, ben]}}
scoring:
  rules:
    - {name: vp, when: {field: title, regex: "^vp", ignore_case: true}, points: 60}
    - {name: touched, when: {field: updated_at, gte: 2026-11-01}, points: 1}
YAML
	export LEADS_CONFIG=$PWD/c.yaml
	printf '%s\n' 'Email,Title,Last Modified Date' 'a@x.com,VP,2020-01-01' 'b@x.com,,' >in.csv
	leads import --map 'Last Modified Date=updated_at' in.csv 2>/dev/null
	# routing touched both leads just now: the rule counts for both
	run -0 owners
	assert_output 'a@x.com=ana/61 b@x.com=ben/1'
}

@test "rules see an imported lead's final id" {
	cat >c.yaml <<'YAML'
team:
  - {name: ana, email: ana@example.com}
  - {name: ben, email: ben@example.com}
routing:
  rules:
    - {name: late, when: {field: id, gt: 2}, assign: ben}
    - {name: early, assign: ana}
scoring:
  rules:
    - {name: odd, when: {field: id, in: [1, 3]}, points: 5}
YAML
	export LEADS_CONFIG=$PWD/c.yaml
	printf '%s\n' 'Email' a@x.com b@x.com c@x.com d@x.com >in.csv
	leads import in.csv 2>/dev/null
	run -0 owners
	assert_output 'a@x.com=ana/5 b@x.com=ana/0 c@x.com=ben/5 d@x.com=ben/0'
}
