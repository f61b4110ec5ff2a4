#!/usr/bin/env bats
# Eight writers at once on one database: two adders, a mover, a noter, a
# caller (leads log), a sweeper delivering mail, and two imports, one of
# 50,000 Salesforce rows. Every command succeeds or exits 75 with the
# "database busy" message (never another failure, never SQLite's own
# "database is locked"); afterwards every change that succeeded is there,
# none that failed is, and the counts add up exactly. With the default
# busy timeout nobody sees 75 at all. Bounded: 30 commands per looping writer.
load test_helper

N=30        # commands per looping writer
BASE=100    # leads there before the writers start

setup_file() {
	export BIG=$BATS_FILE_TMPDIR/sf50k.csv SMALL=$BATS_FILE_TMPDIR/small.csv
	sh "$BATS_TEST_DIRNAME/../bench/gen-csv.sh" 50000 >"$BIG"
	awk 'BEGIN { print "Email,First Name,Company"
		for (i = 1; i <= 5000; i++) printf "small%d@example.com,S%d,\"Co %d, Ltd\"\n", i, i, i }' >"$SMALL"
}

# test_helper's setup, then ours
eval "base_$(declare -f setup)"
setup() {
	base_setup
	export MAIL_DIR=$BATS_TEST_TMPDIR/mail LEADS_CONFIG=$BATS_TEST_TMPDIR/leads.yaml
	mkdir -p "$MAIL_DIR" logs
	cat >"$LEADS_CONFIG" <<-YAML
	pipeline:
	  stages:
	    - {name: Prospecting, group: active, remind_after: 7d, repeat: 1d}
	    - {name: Contacted, group: active}
	    - {name: Won, group: won}
	    - {name: Lost, group: lost}
	team:
	  - {name: ana, email: ana@example.com}
	mail:
	  sendmail: $FIXTURES/sendmail -t -i
	YAML
	awk -v n=$BASE 'BEGIN { print "email,owner,first_name"
		for (i = 1; i <= n; i++) printf "base%d@example.com,ana,Base%d\n", i, i }' >base.csv
	LEADS_NOW=2026-11-01T09:00:00Z leads import -q base.csv
}
# One command of a writer: run it, log "WHAT rc" and keep its stderr.
cmd() {
	local what=$1 rc=0
	shift
	"$LEADS_BIN" "$@" >/dev/null 2>>"logs/$what.err" || rc=$?
	echo "$what $rc" >>"logs/$what.rc"
}

writers() {
	(for i in $(seq 1 $N); do cmd "adda-$i" add --email "a$i@example.com" --first "A$i"; done) &
	(for i in $(seq 1 $N); do cmd "addb-$i" add --email "b$i@example.com" --company "B $i"; done) &
	(for i in $(seq 1 $N); do cmd "move-$i" move "$i" --next; done) &
	(for i in $(seq 1 $N); do cmd "note-$i" note "$((i + 30))" "note $i"; done) &
	(for i in $(seq 1 $N); do cmd "call-$i" log "$((i + 60))" call; done) &
	(for d in 1 2 3; do
		LEADS_NOW=2026-12-0${d}T09:00:00Z cmd "sweep-$d" sweep -q --timeout 20
	done) &
	(cmd import-big import -q --no-events "$BIG") &
	(cmd import-small import -q "$SMALL") &
	wait
}

# Each command's exit status: 0, or 75 with exactly the busy message.
check_statuses() {
	# the database's name as a regex: a PostgreSQL URI holds ? and .
	local db_re
	db_re=$(printf '%s' "$LEADS_DB" | sed 's/[][\\.*^$?+(){}|]/\\&/g')
	local f rc what bad=0 busy=0
	for f in logs/*.rc; do
		read -r what rc <"$f"
		case $rc in
		0) ;;
		75)
			busy=$((busy + 1))
			grep -qvE "^leads [a-z]+: database busy: '$db_re' is locked by another leads process \(gave up after [0-9]+ ms; try again\)$" "logs/$what.err" &&
				{ echo "$what: 75 with another message: $(cat "logs/$what.err")"; bad=1; }
			;;
		*)
			echo "$what: exit $rc: $(cat "logs/$what.err")"
			bad=1
			;;
		esac
	done
	# nothing else on stderr, and SQLite's own words never leak out
	if cat logs/*.err | grep -vE "^leads [a-z]+: database busy: .* \(gave up after [0-9]+ ms; try again\)$" | grep .; then
		bad=1
	fi
	! grep -il 'database is locked' logs/*.err || bad=1
	echo "$busy" >busy.count
	return $bad
}

ok() { # did command $1 succeed?
	[ "$(cut -d' ' -f2 "logs/$1.rc")" = 0 ]
}

# Every successful change is there, no failed one is, counts add up.
check_effects() {
	local i want=$BASE adds=0 moves=0 notes=0 calls=0
	for i in $(seq 1 $N); do
		if ok "adda-$i"; then adds=$((adds + 1)); fi
		if ok "addb-$i"; then adds=$((adds + 1)); fi
		if ok "move-$i"; then moves=$((moves + 1)); fi
		if ok "note-$i"; then notes=$((notes + 1)); fi
		if ok "call-$i"; then calls=$((calls + 1)); fi
	done
	want=$((want + adds))
	ok import-big && want=$((want + 50000))
	ok import-small && want=$((want + 5000))
	assert_equal "$(sql "SELECT count(*) FROM leads")" "$want"
	# one by one: added leads, moved stages, notes and calls
	run -0 sql "SELECT email FROM leads WHERE (email LIKE 'a%@example.com' OR email LIKE 'b%@example.com') AND substr(email, 2, 1) BETWEEN '0' AND '9' ORDER BY email"
	local expect=""
	for i in $(seq 1 $N); do
		ok "adda-$i" && expect+="a$i@example.com"$'\n'
		ok "addb-$i" && expect+="b$i@example.com"$'\n'
	done
	assert_equal "$(sort <<<"${expect%$'\n'}")" "$(sort <<<"$output")"
	local stages="" notes_want=""
	for i in $(seq 1 $N); do
		if ok "move-$i"; then stages+="$i contacted"$'\n'; else stages+="$i prospecting"$'\n'; fi
		ok "note-$i" && notes_want+="$((i + 30)) note $i"$'\n'
	done
	run -0 sql "SELECT id || ' ' || stage FROM leads WHERE id <= $N ORDER BY id"
	assert_equal "$output" "${stages%$'\n'}"
	run -0 sql "SELECT lead_id || ' ' || json_extract(data, '\$.text') FROM events WHERE kind = 'note' ORDER BY lead_id"
	assert_equal "$output" "${notes_want%$'\n'}"
	assert_equal "$(sql "SELECT count(*) FROM events WHERE kind = 'moved'")" "$moves"
	assert_equal "$(sql "SELECT count(*) FROM events WHERE kind = 'call'")" "$calls"
	# an import is all or nothing, and its batch says how many
	for f in BIG SMALL; do
		local file=${!f} n
		n=$(sql "SELECT count(*) FROM leads l JOIN imports i ON l.import_batch = i.id WHERE i.file = '$file'")
		[[ $n == 0 || $n == "$(($(wc -l <"$file") - 1))" ]] || fail "import of $file is partial: $n leads"
	done
	# mail: one more sweep with nobody around delivers anything left; then
	# each message in the outbox went out exactly once
	LEADS_NOW=2026-12-04T09:00:00Z run -0 leads sweep -q --no-deliver
	LEADS_NOW=2026-12-04T09:00:00Z run -0 leads outbox retry
	local unsent
	unsent=$(sql "SELECT id || ' tries=' || tries || ' unknown_at=' || coalesce(unknown_at, 0) || ' failed_at=' || coalesce(failed_at, 0) || ' claim_until=' || coalesce(claim_until, 0) || ' error=' || coalesce(last_error, '') FROM outbox WHERE sent_at IS NULL")
	[ -z "$unsent" ] || fail "messages left unsent: $unsent"
	assert_equal "$(find "$MAIL_DIR" -name 'msg.*' | wc -l)" "$(sql "SELECT count(*) FROM outbox")"
	run -0 sql "PRAGMA integrity_check"
	assert_output ok
}

@test "8 writers with a short busy timeout: each succeeds or exits 75, nothing lost or half done" {
	export LEADS_BUSY_TIMEOUT=100
	writers
	check_statuses
	check_effects
	# with a 100 ms timeout against a 50k import some must have given up
	echo "# $(cat busy.count) of $(cat logs/*.rc | wc -l) commands exited 75" >&3
}

@test "8 writers with the default busy timeout: everyone succeeds" {
	writers
	check_statuses
	assert_equal "$(cat busy.count)" 0
	check_effects
}
