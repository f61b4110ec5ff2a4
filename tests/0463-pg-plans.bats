#!/usr/bin/env bats
# Plans that PostgreSQL would make slow (issue 22), checked without a
# timer: what an index was read, from the server's statistics.
load test_helper

# tuples read through index $1 so far (flushed when each leads exits)
idx_read() {
	psql -X -At -d "$LEADS_DB" -c "SELECT pg_stat_force_next_flush()" \
		-c "SELECT idx_tup_read FROM pg_stat_user_indexes WHERE indexrelname = '$1'" | tail -1
}

@test "score --recalc counts a lead's thresholds through its own events, not every threshold of the run" {
	[ -n "${LEADS_TEST_PG:-}" ] || skip "needs a server (make check-pg)"
	leads init
	{
		echo "email,title"
		for i in $(seq 1 600); do echo "l$i@example.com,VP Sales"; done
	} >l.csv
	run -0 leads import l.csv
	cat >s.yaml <<'YAML'
scoring:
  rules:
    - {name: exec, when: {field: title, regex: "vp", ignore_case: true}, points: 60}
  thresholds:
    - {name: warm, at: 20}
    - {name: hot, at: 50}
YAML
	export LEADS_CONFIG=$PWD/s.yaml
	local before after
	before=$(idx_read events_kind)
	run -0 leads score --recalc --all
	run -0 psql -X -At -d "$LEADS_DB" -c "SELECT count(*) FROM events WHERE kind = 'score.threshold'"
	assert_output 1200
	after=$(idx_read events_kind)
	# the old plan read every threshold inserted before, for each: ~720000
	[ $((after - before)) -lt 6000 ] || fail "events_kind read $((after - before)) tuples"
}
