#!/usr/bin/env bats
# Routing decides, the lifecycle writes (lib/route.c, lib/lifecycle.c):
# a rotation slot is taken once per assignment whichever way a lead is
# routed (add, route LEAD, route --all) and never by --dry-run or
# --explain; route --all, which writes its assignments a chunk of leads
# at a time, leaves the same leads, tasks and history as routing the
# same leads one by one. Run on both backends (make check-pg).
load test_helper

rr_config() {
	cat >"$1" <<'YAML'
team:
  - {name: ana, email: ana@example.com}
  - {name: ben, email: ben@example.com}
  - {name: cy, email: cy@example.com}
routing:
  rules:
    - {name: vip, when: {field: title, eq: CEO}, assign: cy}
    - {name: rotation, assign: {round_robin: [ana, ben, cy]}}
YAML
}

owners() {
	sql "SELECT group_concat(coalesce(owner, '-'), ' ') FROM (SELECT owner FROM leads ORDER BY id) AS q"
}

@test "each assignment takes one rotation slot, by add, route LEAD and route --all alike; a dry run or an explanation takes none" {
	rr_config r.yaml
	export LEADS_CONFIG=$PWD/r.yaml
	leads add --email a@x.com >/dev/null
	leads add --email b@x.com >/dev/null
	run -0 owners
	assert_output "ana ben"
	run -0 sql "SELECT value FROM state WHERE key = 'route.rr.rotation'"
	assert_output "2"
	# what-if, twice: the same answer, and the cursor where it was
	for _ in 1 2; do
		run --separate-stderr -0 leads --format tsv route --all --reassign --dry-run
		assert_output "$(printf 'id\tname\towner\tprevious\trule\tresult\n1\ta@x.com\tcy\tana\trotation\tassigned\n2\tb@x.com\tana\tben\trotation\tassigned')"
		run --separate-stderr -0 leads route 1 --reassign --explain
		assert_line "  -> cy (rule 'rotation')"
	done
	run -0 sql "SELECT value FROM state WHERE key = 'route.rr.rotation'"
	assert_output "2"
	run -0 sql "SELECT count(*) FROM events WHERE kind = 'assigned'"
	assert_output "2"
	# for real: two slots in one bulk run, then one more by a single route
	run -0 leads -q route --all --reassign
	run -0 owners
	assert_output "cy ana"
	run -0 sql "SELECT value FROM state WHERE key = 'route.rr.rotation'"
	assert_output "4"
	leads add --email c@x.com >/dev/null
	run -0 leads -q route 1 --reassign
	run -0 owners
	assert_output "cy ana ben"
	run -0 sql "SELECT value FROM state WHERE key = 'route.rr.rotation'"
	assert_output "6"
	# the slot of lead 1 was cy's, whom it had: taken, but no owner change
	run -0 sql "SELECT count(*) FROM events WHERE kind = 'assigned'"
	assert_output "5"
	# a lead that no rotation decides takes no slot
	leads add --email d@x.com --title CEO >/dev/null
	run -0 sql "SELECT value FROM state WHERE key = 'route.rr.rotation'"
	assert_output "6"
	run -0 sql "SELECT count(*) FROM events WHERE kind = 'assigned'"
	assert_output "6"
}

@test "route --all hands each lead's open tasks to its new owner, except those given by name" {
	rr_config r.yaml
	export LEADS_CONFIG=$PWD/r.yaml
	leads add --email a@x.com >/dev/null
	leads add --email b@x.com >/dev/null
	leads task add 1 "Anyone's" --due 2d >/dev/null
	leads task add 1 "By name" --due 2d --owner ana >/dev/null
	leads task add 2 "Anyone's too" --due 2d >/dev/null
	run -0 sql "SELECT owner FROM tasks ORDER BY id"
	assert_output "ana
ana
ben"
	run -0 leads -q route --all --reassign
	run -0 owners
	assert_output "cy ana"
	run -0 sql "SELECT title, owner FROM tasks ORDER BY id"
	assert_output "Anyone's|cy
By name|ana
Anyone's too|ana"
}

@test "route --all leaves the same leads, tasks and history as routing them one by one" {
	rr_config r.yaml
	cat >>r.yaml <<'YAML'
    - {name: never, when: {field: title, eq: nobody}, assign: ana}
scoring:
  rules:
    - {name: owned, when: {field: owner, eq: cy}, points: 5}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	sh "$BATS_TEST_DIRNAME/../bench/gen-csv.sh" 300 >l.csv
	local one sums=
	new_db one
	for db in "$LEADS_DB" "$one"; do
		run -0 leads -d "$db" import --no-route l.csv
		# tasks on some leads, so that handing them on is compared too
		for id in 1 3 5 150 299; do
			leads -d "$db" task add "$id" "Call" --due 2d >/dev/null
		done
	done
	# here in one bulk run, there each lead by its id: the open ones,
	# which --all routes (its dry run lists them)
	run --separate-stderr -0 leads --format tsv route --all --dry-run
	local ids
	ids=$(printf '%s\n' "$output" | awk 'NR > 1 { print $1 }')
	[ "$(echo "$ids" | wc -l)" -gt 128 ] || fail "$ids"
	run -0 leads -q route --all
	# shellcheck disable=SC2086
	run -0 leads -q -d "$one" route $ids
	for db in "$LEADS_DB" "$one"; do
		run -0 leads -d "$db" export --format csv
		sums+="$(printf '%s\n' "$output" | md5sum | cut -c1-32) "
		sums+="$(LEADS_DB=$db sql "SELECT lead_id, kind, coalesce(from_val, '-'), coalesce(to_val, '-'), coalesce(data, '-') FROM events ORDER BY lead_id, kind, to_val" | md5sum | cut -c1-32) "
		sums+="$(LEADS_DB=$db sql "SELECT lead_id, owner FROM tasks ORDER BY id" | md5sum | cut -c1-32);"
	done
	[ "${sums%%;*}" = "$(echo "$sums" | cut -d';' -f2)" ] || fail "bulk and one by one differ: $sums"
	# and they were routed: the rotation and the score that follows it
	run -0 sql "SELECT count(*) FROM leads WHERE owner = 'cy' AND score = 5"
	[ "$output" -gt 50 ] || fail "$output leads of cy's scored"
	run -0 sql "SELECT sum(CASE WHEN t.owner = l.owner THEN 1 ELSE 0 END), count(*) FROM tasks t JOIN leads l ON l.id = t.lead_id WHERE l.owner IS NOT NULL"
	assert_output "2|2"
}
