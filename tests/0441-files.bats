#!/usr/bin/env bats
# Files leads writes (export -O, import --rejects, funnel --svg, init's
# config) are all or nothing: a full disk, a planted file or link, a device
# as the target, never leave a cut-off file, a changed victim, or a
# database changed without its rejects. And a schema version no leads
# writes is refused without touching the file.

load test_helper

# A 64 KB tmpfs at $full, for a disk that fills up; skips where the test
# cannot mount one (not root, no tmpfs in this sandbox).
small_disk() {
	full=$BATS_TEST_TMPDIR/full
	mkdir -p "$full"
	mount -t tmpfs -o size=64k tmpfs "$full" 2>/dev/null ||
		skip "cannot mount a tmpfs here (needs root)"
	MOUNTED=$full
}

teardown() {
	[ -z "${MOUNTED:-}" ] || umount "$MOUNTED"
	pg_drop_dbs
}

# 3000 leads, about 450 KB as CSV: more than the small disk holds.
many_leads() {
	{
		echo "email,first_name,last_name,company"
		for i in $(seq 1 3000); do echo "a$i@example.com,First$i,Last$i,Company number $i"; done
	} >many.csv
	leads import -q many.csv
}

@test "export -O on a full disk: 74 naming the file, and no file at all" {
	many_leads
	small_disk
	run --separate-stderr leads export -O "$full/out.csv"
	assert_failure 74
	assert_equal "$stderr" "leads export: cannot write '$full/out.csv': No space left on device"
	assert_equal "$(ls -A "$full")" ""
	run --separate-stderr leads export --format json -O "$full/out.json"
	assert_failure 74
	assert_equal "$stderr" "leads export: cannot write '$full/out.json': No space left on device"
	assert_equal "$(ls -A "$full")" ""
}

@test "export to a full disk through stdout: 74" {
	many_leads
	small_disk
	run --separate-stderr bash -c '"$LEADS_BIN" export >"$1"/out.csv' _ "$full"
	assert_failure 74
	assert_equal "$stderr" "leads export: error writing output: No space left on device"
}

@test "export -O over an existing file keeps its mode; a new one is 0600" {
	add_lead --email a@example.com
	touch shared.csv
	chmod 644 shared.csv
	run leads export -O shared.csv
	assert_success
	assert_equal "$(stat -c %a shared.csv)" 644
	run leads export -O new.csv
	assert_success
	assert_equal "$(stat -c %a new.csv)" 600
	assert_equal "$(sed -n 2p new.csv | cut -d, -f2)" a@example.com
	assert_equal "$(ls -A | grep -c '^\.new\.csv\.')" 0
}

@test "export -O onto a planted symlink replaces the link, never the file it names" {
	add_lead --email a@example.com
	echo precious >victim
	ln -s "$PWD/victim" out.csv
	run leads export -O out.csv
	assert_success
	assert_equal "$(cat victim)" precious
	[ ! -L out.csv ]
	assert_equal "$(stat -c %a out.csv)" 600
}

@test "export -O to a FIFO or a device writes into it, never renames over it" {
	add_lead --email a@example.com
	mkfifo pipe
	cat pipe >got.csv &
	run leads export -O pipe
	assert_success
	wait
	[ -p pipe ]
	assert_equal "$(sed -n 2p got.csv | cut -d, -f2)" a@example.com
	# a character device of our own, as /dev/null is (root only)
	if mknod null c 1 3 2>/dev/null; then
		run leads export -O null
		assert_success
		[ -c null ]
		run leads funnel --svg null
		assert_success
		[ -c null ]
	fi
	[ -c /dev/null ]
}

@test "import --rejects into a directory: 74 before anything is imported" {
	printf 'email,first_name\nnot-an-email,X\nc@example.com,Y\n' >r.csv
	mkdir rejects
	run --separate-stderr leads import r.csv --rejects rejects
	assert_failure 74
	assert_equal "$stderr" "leads import: cannot write 'rejects': Is a directory"
	assert_equal "$(sql 'SELECT count(*) FROM leads')" 0
}

@test "import whose rejects file fills the disk: rolled back, 74, nothing half-written" {
	{
		echo "email,first_name,notes"
		# no address and no name: nothing says who it is, a reject
		for i in $(seq 1 2000); do echo "bad$i,,$(printf '%080d' "$i")"; done
		echo "good@example.com,Y,fine"
	} >r.csv
	small_disk
	run --separate-stderr leads import r.csv --rejects "$full/rejects.csv"
	assert_failure 74
	assert_equal "$stderr" "leads import: cannot write '$full/rejects.csv': No space left on device"
	assert_equal "$(sql 'SELECT count(*) FROM leads')" 0
	assert_equal "$(ls -A "$full")" ""
}

@test "import --rejects keeps every refused row beside the rows taken" {
	printf 'email,first_name\nnot-an-email,\nc@example.com,Y\n' >r.csv
	run leads import -q r.csv --rejects rej.csv
	assert_success
	assert_equal "$(sql 'SELECT email FROM leads')" c@example.com
	assert_equal "$(stat -c %a rej.csv)" 600
	assert_equal "$(sed -n 2p rej.csv | cut -d, -f1)" 2
}

@test "init --config on a full disk: 74 and no config left behind" {
	small_disk
	mkdir "$full/dir"
	# fill the disk first, so that even a small config cannot be written
	head -c 1M /dev/zero >"$full/filler" 2>/dev/null || true
	run --separate-stderr leads init --template deal-desk --config "$full/dir/config.yaml"
	assert_failure 74
	assert_equal "$stderr" "leads init: cannot write '$full/dir/config.yaml': No space left on device"
	assert_equal "$(ls -A "$full/dir")" ""
}

@test "a negative schema version is refused with 65 and the file left as it was" {
	pg_skip "PRAGMA user_version is a property of the file (see the next test)"
	add_lead --email a@example.com
	for v in -1 -2 -100000; do
		sqlite3 "$LEADS_DB" "PRAGMA user_version = $v"
		before=$(md5sum <"$LEADS_DB")
		run --separate-stderr leads list
		assert_failure 65
		assert_equal "$stderr" "leads list: '$LEADS_DB' has schema version $v, which no leads writes; not a leads database, or a damaged one"
		run --separate-stderr leads add --email b@example.com
		assert_failure 65
		assert_equal "$(sqlite3 "$LEADS_DB" 'PRAGMA user_version')" "$v"
		assert_equal "$(md5sum <"$LEADS_DB")" "$before"
	done
}

@test "a negative schema version on PostgreSQL is refused with 65" {
	[ -n "${LEADS_TEST_PG:-}" ] || skip "PostgreSQL only"
	add_lead --email a@example.com
	psql -X -q -d "$LEADS_DB" -c 'UPDATE leads_schema SET version = -1'
	run --separate-stderr leads list
	assert_failure 65
	assert_output ""
	[[ $stderr == *"leads_schema holds a version no leads writes"* ]]
	assert_equal "$(psql -X -A -t -d "$LEADS_DB" -c 'SELECT version FROM leads_schema')" -1
}

@test "an SQLite file of something else is 65 for reads and writes, and left as it was" {
	pg_skip "an SQLite file"
	sqlite3 other.db "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine')"
	before=$(md5sum <other.db)
	run --separate-stderr leads -d other.db list
	assert_failure 65
	assert_equal "$stderr" "leads list: 'other.db' is not a leads database (it holds 1 table of something else); nothing was changed"
	run --separate-stderr leads -d other.db add --email a@example.com
	assert_failure 65
	assert_equal "$stderr" "leads add: 'other.db' is not a leads database (it holds 1 table of something else); nothing was changed"
	assert_equal "$(md5sum <other.db)" "$before"
	assert_equal "$(sqlite3 other.db .tables)" notes
}
