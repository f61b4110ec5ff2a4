#!/usr/bin/env bats
# leads import is one transaction: killed (SIGKILL) in the middle it
# leaves the database exactly as before; SIGTERM and SIGINT stop it
# cleanly with exit 143 and 130 and nothing imported.
#
# The import runs in the background on a 200,000-row file and is
# signalled once it has read 40% of the file (its read offset in
# /proc/PID/fdinfo), so the signal lands mid-import however fast the
# machine is; each test asserts that the process really died of it.
load test_helper

ROWS=200000

setup_file() {
	BIG=$BATS_FILE_TMPDIR/big.csv
	awk -v n=$ROWS 'BEGIN {
		print "Email,First Name,Last Name,Company,Notes"
		for (i = 1; i <= n; i++)
			printf "u%d@example.com,First%d,Last%d,\"Co %d, Inc\",\"a \"\"quoted\"\" note\"\n", i, i, i, i
	}' >"$BIG"
	export BIG
}

# Start an import of $BIG in the background (the binary itself, not a
# shell function, so that $pid is the importer), wait until it has read
# 40% of the file, and send it signal $1. Leaves the exit status in
# $status and stderr in err.txt.
import_and_signal() {
	local sig=$1 size want pos fd i
	shift
	"$LEADS_BIN" import "$@" "$BIG" 2>err.txt &
	pid=$!
	size=$(stat -c %s "$BIG")
	want=$((size * 4 / 10))
	pos=0
	for ((i = 0; i < 2000 && pos < want; i++)); do
		for fd in /proc/$pid/fd/*; do
			[[ $(readlink "$fd" 2>/dev/null) == "$BIG" ]] || continue
			pos=$(awk '/^pos:/ { print $2 }' "/proc/$pid/fdinfo/${fd##*/}" 2>/dev/null)
			pos=${pos:-0}
		done
		((pos >= want)) || sleep 0.005
	done
	if ((pos < want)); then
		kill -9 "$pid" 2>/dev/null # not left running after the test
		fail "the import never read 40% of the file (pos $pos of $size)"
	fi
	kill -s "$sig" "$pid"
	status=0
	wait "$pid" || status=$?
}

# Leads, imports and events, and the integrity check.
db_state() {
	sql "SELECT (SELECT count(*) FROM leads) || ' ' || (SELECT count(*) FROM imports) || ' ' ||
		(SELECT count(*) FROM events); PRAGMA integrity_check"
}

@test "SIGKILL mid-import leaves the database unchanged" {
	add_lead --email keep@example.com --first Keep
	run -0 db_state
	before=$output
	import_and_signal KILL
	assert_equal "$status" 137
	run -0 db_state
	assert_equal "$output" "$before"
	assert_output $'1 0 1\nok'
	# and the database works: the same file imports afterwards
	run --separate-stderr leads import -q --no-events "$BIG"
	assert_success
	run -0 sql "SELECT count(*) FROM leads"
	assert_output $((ROWS + 1))
}

@test "SIGKILL mid-import into an empty database leaves it empty" {
	# no database yet: the import creates it (an empty database may take
	# a faster bulk path, which must be just as atomic)
	import_and_signal KILL
	assert_equal "$status" 137
	run -0 db_state
	assert_output $'0 0 0\nok'
}

@test "SIGTERM stops the import: exit 143, nothing imported, no rejects file" {
	add_lead --email keep@example.com
	import_and_signal TERM --rejects rej.csv
	assert_equal "$status" 143
	run -0 cat err.txt
	assert_output "leads import: interrupted; nothing was imported"
	run -0 db_state
	assert_output $'1 0 1\nok'
	run -0 ls -A
	refute_output --partial rej.csv
}

@test "SIGINT (Ctrl-C) stops the import: exit 130, nothing imported" {
	add_lead --email keep@example.com
	import_and_signal INT
	assert_equal "$status" 130
	run -0 cat err.txt
	assert_output "leads import: interrupted; nothing was imported"
	run -0 db_state
	assert_output $'1 0 1\nok'
}
