#!/usr/bin/env bats
# Bounds and refusals of the reliability issue: money sums checked in 64
# bits and values bounded on input; invalid UTF-8 refused on every input
# path with its byte offset; the database file checked like the config,
# read commands on a read-only database; non-regular and NUL-bearing
# configs; the CSV formula guard.
load test_helper

@test "a value beyond the bound is refused by add, edit and --json, kept aside by import" {
	run --separate-stderr leads add --email a@example.com --value 1000000000000
	assert_success
	run --separate-stderr leads add --email b@example.com --value 1000000000000.01
	assert_failure 65
	assert_equal "$stderr" "leads add: bad value '1000000000000.01' for value (expected an amount like 12000 or 12,000.50, at most 1,000,000,000,000 either sign)"
	run --separate-stderr leads add --email b@example.com --value=-90000000000000000
	assert_failure 65
	run --separate-stderr leads edit 1 --value 90000000000000000
	assert_failure 65
	run --separate-stderr leads add --json <<<'{"email":"c@example.com","value":9000000000000000}'
	assert_failure 65
	assert_equal "$(sql 'SELECT count(*), sum(value) FROM leads')" "1|100000000000000"
	printf 'email,value\nd@example.com,9000000000000000\n' >big.csv
	run --separate-stderr leads import --strict big.csv
	assert_failure 65
	assert_output --partial ""
	[[ $stderr == *"'9000000000000000' is not a money amount (at most 1,000,000,000,000)"* ]]
	run --separate-stderr leads import big.csv
	assert_success
	assert_equal "$(sql "SELECT count(*) FROM leads WHERE email = 'd@example.com' AND value IS NULL")" 1
}

@test "funnel refuses a value sum beyond 64 bits instead of printing a wrapped total" {
	for i in 1 2 3; do
		leads add --email "v$i@example.com" --value 1000 >/dev/null
	done
	run --separate-stderr leads funnel --format json
	assert_success
	# three values a hand-written UPDATE made 4e16 (cents 4e18) each: 1.2e19 > 2^63
	sql 'UPDATE leads SET value = 4000000000000000000'
	run --separate-stderr leads funnel
	assert_failure 65
	assert_equal "$stderr" "leads funnel: the sum of the leads' value does not fit in 64 bits; refusing to show a wrong total"
	assert_output ""
	run --separate-stderr leads funnel --by owner
	assert_failure 65
	# two of them still fit, and print exactly
	sql "UPDATE leads SET value = NULL WHERE email = 'v3@example.com'"
	run --separate-stderr leads funnel --format json
	assert_success
	assert_output --partial '80000000000000000'
	# the most negative value a hand edit can write prints without overflow
	sql "UPDATE leads SET value = -9223372036854775807 - 1 WHERE email = 'v1@example.com'"
	sql "UPDATE leads SET value = NULL WHERE email = 'v2@example.com'"
	run --separate-stderr leads list --format csv -C email,value
	assert_success
	assert_output --partial 'v1@example.com,-92233720368547758.08'
	# a stay that began before time can hold: its length is checked too
	sql "UPDATE leads SET value = NULL, stage_entered_at = -9223372036854775807 - 1"
	run --separate-stderr leads funnel
	assert_failure 65
	assert_equal "$stderr" "leads funnel: the sum of the leads' time in stage does not fit in 64 bits; refusing to show a wrong total"
	run --separate-stderr leads funnel --owner none
	assert_failure 65
}

@test "invalid UTF-8 on the command line is refused with its byte offset (64), in data with 65" {
	run --separate-stderr leads add --first $'Ana\xff' --email a@example.com
	assert_failure 64
	assert_equal "$stderr" "leads add: --first: invalid UTF-8 at byte 4"
	run --separate-stderr leads add --first=$'\xc3\x28' --email a@example.com
	assert_failure 64
	assert_equal "$stderr" "leads add: --first: invalid UTF-8 at byte 1"
	run --separate-stderr leads add --email a@example.com -f $'city=Lisb\xe3o'
	assert_failure 64
	assert_equal "$stderr" "leads add: --field: invalid UTF-8 at byte 10"
	add_lead --email a@example.com
	run --separate-stderr leads edit "$id" --company $'Caf\xe9'
	assert_failure 64
	assert_equal "$stderr" "leads edit: --company: invalid UTF-8 at byte 4"
	run --separate-stderr leads note "$id" $'called \xed\xa0\x80'
	assert_failure 64
	assert_equal "$stderr" "leads note: argument 2: invalid UTF-8 at byte 8"
	run --separate-stderr leads list --search $'\xff'
	assert_failure 64
	assert_equal "$stderr" "leads list: --search: invalid UTF-8 at byte 1"
	assert_equal "$(sql 'SELECT count(*) FROM events')" "$(sql "SELECT count(*) FROM events WHERE kind <> 'note'")"
	# so what export writes, import reads back
	leads export -O out.csv
	run --separate-stderr leads import out.csv
	assert_success
	# file names are bytes, not text: a non-UTF-8 name still works
	printf 'email\nb@example.com\n' >$'caf\xe9.csv'
	run --separate-stderr leads import $'caf\xe9.csv'
	assert_success
	# inside data: 65, with where
	printf 'email,first_name\nc@example.com,Caf\xe9\n' >bad.csv
	run --separate-stderr leads import bad.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: bad.csv: line 2, column 18 (field 2): invalid UTF-8 (byte 0xE9 at byte 35 of the file); if the file is not UTF-8, name its encoding, e.g. --encoding windows-1252"
	run --separate-stderr leads add --json <<<$'{"email":"d@example.com","company":"Caf\xe9"}'
	assert_failure 65
	assert_equal "$stderr" "leads add: --json: invalid UTF-8 at byte 40"
}

# ---- the database file -------------------------------------------------------

@test "a database file another user owns, or others may write, is warned about like the config" {
	pg_skip "the owner and mode of the SQLite file"
	add_lead --email a@example.com
	chmod 0666 "$LEADS_DB"
	run --separate-stderr leads list
	assert_success
	assert_equal "$stderr" "warning: $LEADS_DB: the file is writable by group and others (mode 0666): whoever can change it can change every lead and the mail leads sends; chmod go-w it"
	chmod 0620 "$LEADS_DB"
	run --separate-stderr leads add --email b@example.com
	assert_success
	assert_equal "$stderr" "warning: $LEADS_DB: the file is writable by its group (mode 0620): whoever can change it can change every lead and the mail leads sends; chmod go-w it"
	run --separate-stderr leads -q list
	assert_equal "$stderr" ""
	chmod 0600 "$LEADS_DB"
	if [ "$(id -u)" = 0 ]; then
		chown nobody "$LEADS_DB"
		run --separate-stderr leads list
		assert_success
		assert_equal "$stderr" "warning: $LEADS_DB: the file is owned by uid $(id -u nobody) (nobody), not by you or root: whoever can change it can change every lead and the mail leads sends; chown it"
		chown 0 "$LEADS_DB"
	fi
	run --separate-stderr leads list
	assert_equal "$stderr" ""
	# the config's rule is the same one, owner included
	cp "$EXAMPLES/full-sales-cycle.yaml" cfg.yaml
	chmod 0644 cfg.yaml
	if [ "$(id -u)" = 0 ]; then
		chown nobody cfg.yaml
		run --separate-stderr leads -c cfg.yaml list
		assert_success
		assert_equal "$stderr" "warning: cfg.yaml: the file is owned by uid $(id -u nobody) (nobody), not by you or root: whoever can change it decides who gets leads and which sendmail command runs; chown it"
	fi
}

@test "a 0-byte database file is taken by init only, 65 elsewhere" {
	pg_skip "an empty SQLite file"
	: >"$LEADS_DB"
	for cmd in list "add --email a@example.com" "funnel" "import /dev/null"; do
		run --separate-stderr leads $cmd
		assert_failure 65
		assert_equal "$stderr" "leads ${cmd%% *}: '$LEADS_DB' is an empty file, not a leads database ('leads init' makes it one)"
	done
	[ ! -s "$LEADS_DB" ]
	run --separate-stderr leads init
	assert_success
	run -0 leads add --email a@example.com
	# a database leads creates is never seen empty: made aside, then linked
	new_db other
	run -0 leads -d "$other" add --email a@example.com
	[ "$(stat -c %a "$other")" = 600 ]
	run -0 ls -a "$(dirname "$other")"
	refute_output --regexp '\.db\.[A-Za-z0-9]{6}$'
	# a symbolic link to a database to be: its target is created
	ln -s "$BATS_TEST_TMPDIR/target.db" link.db
	run -0 leads -d link.db add --email a@example.com
	[ -L link.db ] && [ -s "$BATS_TEST_TMPDIR/target.db" ]
}

@test "a reading command never upgrades an older database: it names 'leads init'" {
	pg_skip "sets the SQLite file's user_version by hand"
	add_lead --email a@example.com
	local want
	want=$(sql 'PRAGMA user_version')
	sql "PRAGMA user_version = $((want - 1))"
	for cmd in list "show 1" export funnel "report tasks"; do
		run --separate-stderr leads $cmd
		assert_failure 75
		assert_equal "$stderr" "leads ${cmd%% *}: '$LEADS_DB' has schema version $((want - 1)), older than this leads ($want); a reading command does not upgrade it: run 'leads init' (or any command that writes) first"
	done
	assert_equal "$(sql 'PRAGMA user_version')" "$((want - 1))"
	sql "PRAGMA user_version = $((want + 1))"
	run --separate-stderr leads list
	assert_failure 65
	assert_equal "$stderr" "leads list: '$LEADS_DB' has schema version $((want + 1)), newer than this leads ($want); upgrade leads"
}

# Run leads as nobody (CI runs as root: root can write anywhere).
as_nobody() {
	runuser -u nobody -- env HOME=/ LEADS_DB="$LEADS_DB" LEADS_NOW="$LEADS_NOW" \
		LEADS_USER=tester NO_COLOR=1 "$LEADS_BIN" "$@"
}

@test "reading commands work on a read-only database file in a read-only directory" {
	pg_skip "file and directory permissions of the SQLite file"
	[ "$(id -u)" = 0 ] || skip "needs root to run leads as another user (runuser -u nobody)"
	command -v runuser >/dev/null || skip "runuser is not installed"
	local dir
	dir=$(mktemp -d /tmp/leads-ro.XXXXXX)
	LEADS_DB=$dir/leads.db
	leads add --email a@example.com --first Ana --value 100 >/dev/null
	leads add --email b@example.com >/dev/null
	leads move 2 --next >/dev/null
	chmod 0644 "$LEADS_DB"
	chmod 0755 "$dir"
	[ ! -e "$LEADS_DB-wal" ] && [ ! -e "$LEADS_DB-shm" ]
	local before
	before=$(sha256sum <"$LEADS_DB")
	run --separate-stderr as_nobody list --format csv
	assert_success
	assert_equal "$stderr" ""
	assert_line --partial "a@example.com"
	run -0 as_nobody show 1
	run -0 as_nobody export
	assert_line --partial "b@example.com"
	run -0 as_nobody funnel --format csv
	run -0 as_nobody report sources
	run -0 as_nobody config show
	# writing commands fail cleanly, and nothing was left behind or changed
	run --separate-stderr as_nobody add --email c@example.com
	assert_failure
	[ ! -e "$LEADS_DB-wal" ] && [ ! -e "$LEADS_DB-shm" ]
	assert_equal "$(sha256sum <"$LEADS_DB")" "$before"
	rm -rf "$dir"
}

# ---- the config file ---------------------------------------------------------

@test "a config that is a FIFO or a device is refused with 78 instead of blocking" {
	mkfifo cfg.fifo
	run --separate-stderr timeout 10 "$LEADS_BIN" -c cfg.fifo list
	assert_failure 78
	assert_equal "$stderr" "leads list: cannot read cfg.fifo: not a regular file (a FIFO)"
	LEADS_CONFIG=$PWD/cfg.fifo run --separate-stderr timeout 10 "$LEADS_BIN" config check
	assert_failure 78
	run --separate-stderr timeout 10 "$LEADS_BIN" -c /dev/zero list
	assert_failure 78
	assert_equal "$stderr" "leads list: cannot read /dev/zero: not a regular file (a character device)"
	# /dev/null stays the way to say "no config": the built-in pipeline
	leads add --email a@example.com >/dev/null
	run -0 leads -c /dev/null list --format csv
	assert_line --index 1 --partial ",Prospecting,"
}

@test "a NUL in a YAML string is refused with its line and column, not cut short" {
	cp "$EXAMPLES/full-sales-cycle.yaml" cfg.yaml
	printf 'mail:\n  from: "Leads \\u0000<leads@example.com>"\n' >>cfg.yaml
	local line
	line=$(grep -n 'u0000' cfg.yaml | cut -d: -f1)
	run --separate-stderr leads -c cfg.yaml list
	assert_failure 78
	assert_equal "${stderr_lines[0]}" "error: cfg.yaml:$line:9: a NUL character in a string (\\0, \\x00 or \\u0000): leads cannot keep one"
	sed -i 's/\\u0000/\\x00/' cfg.yaml
	run --separate-stderr leads -c cfg.yaml config check
	assert_failure
	[[ $stderr == *"cfg.yaml:$line:9: a NUL character in a string"* ]]
}

# ---- the CSV formula guard ---------------------------------------------------

@test "export leaves only strict numbers unguarded, and import takes the guard off again" {
	leads add --email a@example.com --phone '+1 (555) 010-0100' --company '-1-1' \
		--title '+1-555-0101' --first '-12' --last '+3.5' --value -5 >/dev/null
	run -0 leads export --format csv
	assert_line --index 1 --regexp "^1,a@example.com,-12,\+3\.5,'\+1 \(555\) 010-0100,'-1-1,'\+1-555-0101,"
	assert_line --index 1 --partial ',-5,'
	run -0 leads export --no-escape
	assert_line --index 1 --regexp "^1,a@example.com,-12,\+3\.5,\+1 \(555\) 010-0100,-1-1,\+1-555-0101,"
	# the round trip gives back the values, not the apostrophes
	leads export -O out.csv
	new_db two
	LEADS_DB=$two run --separate-stderr leads import out.csv
	assert_success
	LEADS_DB=$two run -0 leads export -O back.csv
	cmp out.csv back.csv
	LEADS_DB=$two run -0 leads show 1 --format json
	assert_output --partial '"phone": "+1 (555) 010-0100"'
	assert_output --partial '"company": "-1-1"'
}
