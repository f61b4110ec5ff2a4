#!/usr/bin/env bats
# Round trips to the server of the everyday commands (issue 22): each is
# a wait of the network's latency, 20 ms over a slow link. LEADS_PG_TRACE
# names a file for libpq's trace of the protocol (lib/db_pg.c); a round
# trip is a Sync (extended protocol, pipelined) or a simple Query. BEGIN
# goes with the first statement, writes with the next one or COMMIT, no
# SAVEPOINT around a Parse, no DEALLOCATE before the end.
load test_helper

two_leads_db() {
	[ -n "${LEADS_TEST_PG:-}" ] || skip "needs a server (make check-pg)"
	leads init
	leads add --email first@example.com >/dev/null
}

# round trips of leads ARGS..., at most MAX
trips() {
	local max=$1
	shift
	rm -f "$BATS_TEST_TMPDIR/trace"
	run -0 env LEADS_PG_TRACE="$BATS_TEST_TMPDIR/trace" "$LEADS_BIN" "$@"
	local n
	n=$(grep -cP '^F\t\d+\t(Sync|Query)\b' "$BATS_TEST_TMPDIR/trace")
	echo "# leads $*: $n round trips" >&3
	[ "$n" -le "$max" ] || fail "leads $*: $n round trips (at most $max): $(grep -P '^F\t\d+\t(Parse|Query|Sync)' "$BATS_TEST_TMPDIR/trace" | cut -c1-120)"
	if grep -qE 'SAVEPOINT|DEALLOCATE' "$BATS_TEST_TMPDIR/trace"; then
		fail "leads $*: a SAVEPOINT or DEALLOCATE was sent"
	fi
}

@test "round trips: add, move, note and show in at most 6 each, no SAVEPOINT, no DEALLOCATE" {
	two_leads_db
	trips 6 add --email a@example.com --first Ana --company Acme
	trips 6 move a@example.com contacted
	trips 6 note a@example.com "called, back on Monday"
	trips 6 show a@example.com
	trips 6 add --email b@example.com
	trips 6 move b@example.com contacted
}

@test "round trips: a write deferred to COMMIT that fails fails the command, and nothing of it stays" {
	two_leads_db
	# events.data must be JSON: a bad row given by a trigger fails at COMMIT time
	run -0 leads add --email c@example.com
	psql -X -q -d "$LEADS_DB" -c "CREATE FUNCTION leads_t_fail() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN RAISE EXCEPTION 'no notes today'; END \$\$" \
		-c "CREATE TRIGGER leads_t_fail BEFORE INSERT ON events FOR EACH ROW WHEN (NEW.kind = 'note') EXECUTE FUNCTION leads_t_fail()"
	run --separate-stderr leads note c@example.com "hello"
	assert_failure
	[[ "$stderr" == *"no notes today"* ]] || fail "$stderr"
	run -0 psql -X -At -d "$LEADS_DB" -c "SELECT count(*) FROM events WHERE kind = 'note'"
	assert_output 0
	run -0 leads move c@example.com contacted
}
