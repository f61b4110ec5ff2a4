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
