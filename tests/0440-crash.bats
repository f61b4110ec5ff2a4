#!/usr/bin/env bats
# Crashes at random points. tests/0104-import-interrupted.bats kills an
# import once it has read 40% of its file; this suite kills it anywhere:
# at start-up, while reading, and after the file is read (duplicate
# removal, index rebuild, commit), with SIGKILL, SIGTERM and SIGINT, into
# a database in WAL mode and into an empty one (the bulk path with a
# rollback journal). After each: PRAGMA integrity_check is ok and the
# import is all or nothing; re-running it finishes it without duplicates.
# Then `leads sweep` killed while it delivers mail: nothing is lost, and
# at most the one message being piped is sent twice.
#
# The points are random; the seed is printed on failure and can be set
# with LEADS_CRASH_SEED to replay a run.
load test_helper

ROWS=50000

setup_file() {
	export BIG=$BATS_FILE_TMPDIR/sf.csv
	sh "$BATS_TEST_DIRNAME/../bench/gen-csv.sh" $ROWS >"$BIG"
}

# test_helper's setup, then the seed
eval "base_$(declare -f setup)"
setup() {
	base_setup
	SEED=${LEADS_CRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
	RANDOM=$SEED
}

teardown() {
	[ -z "${BATS_TEST_COMPLETED:-}" ] && echo "# LEADS_CRASH_SEED=$SEED replays this run" >&3
	pg_drop_dbs
	return 0
}

# Wait until process $1 has read $2 percent of $BIG (100: all of it, or
# closed it), then $3 more milliseconds. Fails if the process ended first.
wait_read() {
	local pid=$1 pct=$2 ms=${3:-0} size want pos fd opened=0 i
	size=$(stat -c %s "$BIG")
	want=$((size * pct / 100))
	for ((i = 0; i < 5000; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		pos=-1
		for fd in /proc/$pid/fd/*; do
			[[ $(readlink "$fd" 2>/dev/null) == "$BIG" ]] || continue
			pos=$(awk '/^pos:/ { print $2 }' "/proc/$pid/fdinfo/${fd##*/}" 2>/dev/null)
			pos=${pos:--1}
		done
		((pos >= 0)) && opened=1
		if ((pos >= want || (opened && pos < 0))); then
			((ms == 0)) || sleep "$(printf '0.%03d' "$ms")"
			return 0
		fi
		sleep 0.002
	done
	return 1
}

# A random point: a percentage of the file read, or after it is read
# (100) plus a delay.
random_point() {
	if ((RANDOM % 3 == 0)); then
		point="100 $((RANDOM % 400))"
	else
		point="$((RANDOM % 100)) 0"
	fi
}

# Import $BIG in the background and send signal $1 at a random point;
# leaves the exit status in $code (not $status: run overwrites it),
# stderr in err.txt.
import_and_kill() {
	local sig=$1
	shift
	random_point
	"$LEADS_BIN" import -q "$@" "$BIG" 2>err.txt &
	local pid=$!
	# shellcheck disable=SC2086
	if wait_read "$pid" $point; then kill -s "$sig" "$pid" 2>/dev/null || true; fi
	code=0
	wait "$pid" || code=$?
}

# "leads imports", after the integrity check.
state() {
	sql "PRAGMA integrity_check; SELECT (SELECT count(*) FROM leads) || ' ' || (SELECT count(*) FROM imports)"
}

# After a kill: ok, and either nothing of the import or all of it.
check_all_or_nothing() {
	local before=$1 n=$2
	run -0 state
	[[ ${lines[0]} == ok ]] || fail "integrity_check after a kill at '$point': $output"
	[[ ${lines[1]} == "$before 0" || ${lines[1]} == "$((before + n)) 1" ]] ||
		fail "partial import after a kill at '$point' (exit $code): ${lines[1]}"
}

# Re-running the import completes it exactly once.
check_rerun() {
	local before=$1
	run -0 leads import -q --no-events "$BIG"
	run -0 sql "PRAGMA integrity_check; SELECT count(*), count(DISTINCT email) FROM leads"
	assert_output "ok
$((before + ROWS))|$((before + ROWS))"
}

@test "SIGKILL at random points of an import into a database in use: all or nothing" {
	local run
	for run in 1 2 3 4; do
		reset_db
		add_lead --email keep@example.com
		import_and_kill KILL --no-events
		[[ $code == 137 || $code == 0 ]] || fail "exit $code at '$point': $(cat err.txt)"
		check_all_or_nothing 1 $ROWS
	done
	check_rerun 1
}

@test "SIGKILL at random points of an import into an empty database: all or nothing" {
	local run
	for run in 1 2 3 4; do
		reset_db
		import_and_kill KILL --no-events
		[[ $code == 137 || $code == 0 ]] || fail "exit $code at '$point': $(cat err.txt)"
		if db_exists; then
			check_all_or_nothing 0 $ROWS
		fi
	done
	db_exists || add_lead --email keep@example.com
	check_rerun "$(sql "SELECT count(*) FROM leads WHERE import_batch IS NULL")"
}

@test "SIGTERM and SIGINT at random points: 143/130 and nothing, or done and all" {
	local run sig want
	for run in 1 2 3 4; do
		((run % 2)) && sig=TERM want=143 || sig=INT want=130
		reset_db
		rm -f rej.csv
		((run > 2)) && add_lead --email keep@example.com
		local before=$((run > 2 ? 1 : 0))
		import_and_kill $sig --rejects rej.csv
		if [[ $code == "$want" ]]; then
			assert_equal "$(cat err.txt)" "leads import: interrupted; nothing was imported"
			[ ! -e rej.csv ] || fail "a rejects file after the $sig"
		elif [[ $code != 0 ]]; then
			fail "SIG$sig at '$point': exit $code: $(cat err.txt)"
		fi
		db_exists || continue
		check_all_or_nothing $before $ROWS
		if [[ $code == 0 ]]; then
			assert_equal "${lines[1]}" "$((before + ROWS)) 1"
		else
			assert_equal "${lines[1]}" "$before 0"
		fi
	done
}

@test "SIGTERM after the last row is read still rolls back: 143, nothing imported" {
	pg_skip "the stretch after the last row is SQLite's index rebuild; COPY ends at once"
	# into an empty database: after the rows come duplicate removal and the
	# index rebuild, the longest stretch without a row to stop at
	"$LEADS_BIN" import -q "$BIG" 2>err.txt &
	local pid=$!
	wait_read $pid 100 || fail "the import finished before the file was seen read"
	kill -TERM $pid
	code=0
	wait $pid || code=$?
	assert_equal "$code" 143
	assert_equal "$(cat err.txt)" "leads import: interrupted; nothing was imported"
	run -0 state
	assert_output $'ok\n0 0'
}

# 20 leads whose reminders fall due on 11-08, a sendmail that takes a while.
reminders() {
	export MAIL_DIR=$BATS_TEST_TMPDIR/mail LEADS_CONFIG=$BATS_TEST_TMPDIR/leads.yaml
	rm -rf "$MAIL_DIR"
	reset_db
	mkdir -p "$MAIL_DIR"
	cat >"$LEADS_CONFIG" <<-YAML
	pipeline:
	  stages:
	    - {name: Prospecting, group: active, remind_after: 7d}
	    - {name: Won, group: won}
	    - {name: Lost, group: lost}
	team:
	  - {name: ana, email: ana@example.com}
	lifecycle:
	  assignment_mail: false # the import's digest: only reminders counted here
	mail:
	  sendmail: $FIXTURES/sendmail -t -i
	YAML
	awk 'BEGIN { print "email,owner"; for (i = 1; i <= 20; i++) printf "r%d@example.com,ana\n", i }' >r.csv
	LEADS_NOW=2026-11-01T09:00:00Z leads import -q r.csv
}

@test "sweep killed at random points, also mid-delivery: no mail lost, at most one sent twice" {
	local run k pid ids
	for run in 1 2 3; do
		reminders
		# kill once k messages went out (k = 0: before any, maybe before the queue commits)
		k=$((RANDOM % 16))
		# claims run out on the real clock: 1 s of timeout, no grace
		MAIL_SLEEP=0.05 LEADS_CLAIM_GRACE=0 LEADS_NOW=2026-11-08T09:00:00Z \
			"$LEADS_BIN" sweep -q --timeout 1 2>err.txt &
		pid=$!
		for ((i = 0; i < 3000; i++)); do
			(($(find "$MAIL_DIR" -name 'msg.*' | wc -l) >= k)) && break
			kill -0 $pid 2>/dev/null || break
			sleep 0.005
		done
		kill -KILL $pid 2>/dev/null || true
		wait $pid || true
		sleep 1.1 # the sendmail that was running finishes, the killed sweep's claim runs out
		run -0 sql "PRAGMA integrity_check; SELECT count(*) FROM events WHERE kind = 'reminder';
			SELECT count(*) FROM outbox"
		[[ ${lines[0]} == ok ]] || fail "integrity after killing the sweep: $output"
		# the sweep's changes are one transaction: all 20 reminders and their mail, or none
		[[ ${lines[1]} == "${lines[2]}" && (${lines[1]} == 0 || ${lines[1]} == 20) ]] ||
			fail "after a kill at $k messages: ${lines[1]} reminders, ${lines[2]} queued"
		# past the claim of the killed sweep: deliver the rest
		LEADS_NOW=2026-11-08T09:02:00Z run -0 leads sweep -q --timeout 5
		assert_equal "$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL")" 0
		assert_equal "$(sql "SELECT count(*) FROM outbox")" 20
		ids=$(grep -h '^Message-ID:' "$MAIL_DIR"/msg.* | sort)
		assert_equal "$(uniq <<<"$ids" | wc -l)" 20
		(($(wc -l <<<"$ids") <= 21)) || fail "$(($(wc -l <<<"$ids") - 20)) messages sent twice after a kill at $k"
	done
}
