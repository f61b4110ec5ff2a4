#!/usr/bin/env bats
# Bulk work on PostgreSQL (issue 22) does what it does on SQLite: the same
# file imported into both, `route --all` and `score --recalc --all` on
# both, and the leads' owners, rules and scores, and their history, the
# same (a checksum of each). On PostgreSQL these run with the writes
# deferred in libpq's pipeline (lib/db_pg.c): few round trips, same rows.
load test_helper

@test "route --all and score --recalc --all give the same leads on SQLite and PostgreSQL" {
	[ -n "${LEADS_TEST_PG:-}" ] || skip "needs a server (make check-pg)"
	export LEADS_CONFIG=$BATS_TEST_DIRNAME/fixtures/route/bulk-same.yaml
	sh "$BATS_TEST_DIRNAME/../bench/gen-csv.sh" 600 >l.csv
	local file=$BATS_TEST_TMPDIR/same.db sum
	for db in "$file" "$LEADS_DB"; do
		run -0 leads -d "$db" import --no-route l.csv
		run -0 leads -d "$db" route --all
		run -0 leads -d "$db" score --recalc --all
		run -0 leads -d "$db" list --columns id,owner,score,stage,status --format csv
		sum+="$(printf '%s\n' "$output" | md5sum | cut -c1-32) "
		run -0 leads -d "$db" export --format csv
		sum+="$(printf '%s\n' "$output" | md5sum | cut -c1-32)|"
	done
	# the history: events by kind, lead and values
	local q="SELECT kind, count(*), sum(lead_id), count(DISTINCT coalesce(to_val, '')) FROM events GROUP BY kind ORDER BY kind"
	sum+=" $(sqlite3 "$file" "$q" | md5sum | cut -c1-32)"
	local pgsum
	pgsum=$(psql -X -At -d "$LEADS_DB" -c "$q" | md5sum | cut -c1-32)
	echo "# $sum (events on PostgreSQL: $pgsum)" >&3
	[ "${sum##* }" = "$pgsum" ] || fail "the events differ: $(sqlite3 "$file" "$q") vs $(psql -X -At -d "$LEADS_DB" -c "$q")"
	sum=${sum% *}
	[ "${sum%%|*}" = "$(echo "$sum" | cut -d'|' -f2)" ] || fail "the backends differ: $sum"
	# and the routing happened
	run -0 leads -d "$LEADS_DB" list --owner ana --format csv
	[ "${#lines[@]}" -gt 10 ] || fail "ana has ${#lines[@]} lines"
}

@test "a sweep makes the same leads inactive, with the same history, on SQLite and PostgreSQL" {
	[ -n "${LEADS_TEST_PG:-}" ] || skip "needs a server (make check-pg)"
	sh "$BATS_TEST_DIRNAME/../bench/gen-csv.sh" 600 >l.csv
	# set-based when no scoring rule reads the status (lib/lifecycle.c,
	# lc_inactivate_idle); one lead at a time, rescored, when one does
	grep -v 'field: status' "$BATS_TEST_DIRNAME/fixtures/route/bulk-same.yaml" >quiet.yaml
	local q_ev="SELECT lead_id, at, actor, kind, coalesce(from_val, ''), coalesce(to_val, ''), coalesce(data, '') FROM events ORDER BY id"
	local cfg file pg sums n
	for cfg in "$PWD/quiet.yaml" "$BATS_TEST_DIRNAME/fixtures/route/bulk-same.yaml"; do
		export LEADS_CONFIG=$cfg
		file=$BATS_TEST_TMPDIR/sweep-$RANDOM.db
		new_db pg
		sums=()
		for db in "$file" "$pg"; do
			run -0 leads -d "$db" import --no-route l.csv
			run -0 --separate-stderr leads -d "$db" sweep --no-deliver
			n=${output#sweep: }
			n=${n%% leads inactive*}
			run -0 leads -d "$db" export --format csv
			sums+=("$n $(printf '%s\n' "$output" | md5sum | cut -c1-32)")
		done
		sums+=("$(sqlite3 -separator '|' "$file" "$q_ev" | md5sum | cut -c1-32)")
		sums+=("$(psql -X -At -d "$pg" -c "$q_ev" | md5sum | cut -c1-32)")
		echo "# ${cfg##*/}: ${sums[*]}" >&3
		[ "${sums[0]%% *}" -gt 100 ] || fail "${cfg##*/}: only ${sums[0]%% *} leads made inactive"
		[ "${sums[0]}" = "${sums[1]}" ] || fail "${cfg##*/}: the leads differ: ${sums[*]}"
		[ "${sums[2]}" = "${sums[3]}" ] || fail "${cfg##*/}: the history differs: ${sums[*]}"
	done
}
