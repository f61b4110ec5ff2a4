#!/usr/bin/env bats
# Hostile input: text that is not text, files that are not CSV, huge
# fields, rows and files, YAML bombs, deep nesting, numbers and dates out
# of range. Every case fails fast with its documented exit code and a
# message, or succeeds exactly; nothing is ever stored half. Then what
# leads writes: formula cells guarded on export, private file modes, the
# warning for a config others may change, and sendmail run without a shell.
load test_helper

# Leads, import batches and events: what must not change after a refusal.
counts() {
	sql "SELECT (SELECT count(*) FROM leads) || ' ' || (SELECT count(*) FROM imports) || ' ' ||
		(SELECT count(*) FROM events)"
}

# Run "$@" and fail unless it took at most $LIMIT seconds (default 10).
fast() {
	local start=$SECONDS
	"$@"
	local rc=$?
	((SECONDS - start <= ${LIMIT:-10})) || fail "took $((SECONDS - start))s: $*"
	return $rc
}

# ---- invalid UTF-8 ---------------------------------------------------------

@test "CSV with invalid UTF-8: refused with its line and column, nothing stored" {
	add_lead --email keep@example.com
	printf 'email,first_name\na@example.com,Ana\nb@example.com,Caf\xe9\nc@example.com,Cy\n' >bad.csv
	run --separate-stderr leads import bad.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: bad.csv: line 3, column 18 (field 2): invalid UTF-8 (byte 0xE9 at byte 53 of the file); if the file is not UTF-8, name its encoding, e.g. --encoding windows-1252"
	run -0 counts
	assert_output "1 0 1"
}

@test "CSV with invalid UTF-8 and --encoding-errors replace: U+FFFD, every row" {
	printf 'email,first_name\na@example.com,Caf\xe9\nb@example.com,\xff\xfeX\xc3\n' >bad.csv
	run -0 leads import -q --encoding-errors replace bad.csv
	run -0 sql "SELECT email, hex(first_name) FROM leads ORDER BY id"
	assert_output "a@example.com|436166EFBFBD
b@example.com|EFBFBDEFBFBD58EFBFBD"
}

@test "add --json with invalid UTF-8, \\u0000 or a lone surrogate: 65, nothing stored" {
	run --separate-stderr leads add --json < <(printf '{"email":"a@example.com","first_name":"Caf\xe9"}')
	assert_failure 65
	assert_equal "$stderr" "leads add: --json: invalid UTF-8 at byte 43"
	run --separate-stderr leads add --json <<<'{"email":"a@example.com","first_name":"a\u0000b"}'
	assert_failure 65
	assert_equal "$stderr" 'leads add: --json: expected text without \u0000 (a NUL character)'
	run --separate-stderr leads add --json <<<'{"email":"a@example.com","x\u0000":"1"}'
	assert_failure 65
	run --separate-stderr leads add --json <<<'{"email":"a@example.com","company":"\ud800x"}'
	assert_failure 65
	assert_equal "$stderr" 'leads add: --json: expected text without \u0000 or unpaired surrogates (near byte 44)'
	run --separate-stderr leads add --json <<<'{"email":"a@example.com","\udc00":"x"}'
	assert_failure 65
	# an escaped backslash before u0000 is just text
	run -0 leads add --json <<<'{"email":"a@example.com","first_name":"a\\u0000b","x":"\ud83d\ude00"}'
	run -0 sql "SELECT first_name, extra FROM leads ORDER BY id"
	assert_output 'a\u0000b|{"x":"😀"}'
	run -0 counts
	assert_output "1 0 1"
}

@test "add --json keeps custom fields whatever their key: quotes, backslashes, dots" {
	run -0 leads add --json <<<'{"email":"a@example.com","we\"ird":"1","back\\slash":"2","dot.ted":"3","br[0]":"4","$.x":"5"}'
	run -0 sql "SELECT j.key || '=' || j.value FROM leads, json_each(leads.extra) AS j"
	assert_output 'we"ird=1
back\slash=2
dot.ted=3
br[0]=4
$.x=5'
	# and edit finds them again by the same names
	run -0 leads edit 1 --field 'extra.we"ird=one' --field 'extra.back\slash='
	run -0 sql "SELECT extra FROM leads ORDER BY id"
	assert_output '{"we\"ird":"one","dot.ted":"3","br[0]":"4","$.x":"5"}'
}

@test "add --json refuses what SQLite's parser lets through: keys that are not strings" {
	for j in '{"q":"z",{"a":"b"}:"z"}' '{["x"]:"v"}' '{"a":{"b":1,{"c":"d"}:2}}'; do
		run --separate-stderr leads add --json <<<"$j"
		assert_failure 65
		assert_equal "$stderr" "leads add: --json: invalid JSON on standard input"
	done
	run -0 counts
	assert_output "0 0 0"
}

# ---- NUL bytes, binary files, size ------------------------------------------

@test "NUL bytes: CSV and JSON input are refused as binary" {
	printf 'email,first_name\na@example.com,A\0B\n' >nul.csv
	run --separate-stderr leads import nul.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: nul.csv: line 2: NUL byte (is this a binary file?)"
	run --separate-stderr leads add --json < <(printf '{"email":"a@example.com"}\0{"email":"b@example.com"}')
	assert_failure 65
	assert_equal "$stderr" "leads add: --json: NUL byte in input"
	run -0 counts
	assert_output "0 0 0"
}

@test "files that are not CSV at all: an executable, a PNG, random bytes" {
	add_lead --email keep@example.com
	cp "$LEADS_BIN" program.csv
	run --separate-stderr fast leads import program.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: program.csv: line 1: NUL byte (is this a binary file?)"
	# a PNG header without NUL: invalid UTF-8 straight away
	printf '\x89PNG\r\n\x1a\n\xde\xad\xbe\xef' >image.csv
	run --separate-stderr leads import image.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: image.csv: line 1, column 1 (field 1): invalid UTF-8 (byte 0x89 at byte 1 of the file); if the file is not UTF-8, name its encoding, e.g. --encoding windows-1252"
	head -c 262144 /dev/urandom >random.csv
	run --separate-stderr fast leads import random.csv
	assert_failure 65
	run -0 counts
	assert_output "1 0 1"
}

@test "1 MB fields are stored whole, in CSV and in add --json" {
	awk 'BEGIN { printf "email,notes,first_name\nbig@example.com,"
		for (i = 0; i < 1048576 / 64; i++) printf "%064d", i
		printf ",\"Big\n"; for (i = 0; i < 200000; i++) printf "line %d\n", i; print "\"" }' >big.csv
	run -0 fast leads import -q big.csv
	# the multi-line name: "Big", then 200,000 lines (the last line break trimmed)
	local nl=$'\n'
	run -0 sql "SELECT length(json_extract(extra, '\$.notes')), length(first_name),
		CAST(first_name LIKE 'Big${nl}line 0${nl}%${nl}line 199999' AS INTEGER)
		FROM leads"
	assert_output "1048576|2288893|1"
	awk 'BEGIN { printf "{\"email\":\"j@example.com\",\"company\":\""
		for (i = 0; i < 1000000; i++) printf "x"; print "\"}" }' >big.json
	run -0 fast leads add --json <big.json
	run -0 sql "SELECT length(company) FROM leads WHERE email = 'j@example.com' ORDER BY id"
	assert_output 1000000
	# past the documented 1 MiB of input: refused before parsing
	awk 'BEGIN { printf "{\"email\":\"k@example.com\",\"company\":\""
		for (i = 0; i < 1048576; i++) printf "x"; print "\"}" }' >huge.json
	run --separate-stderr leads add --json <huge.json
	assert_failure 65
	assert_equal "$stderr" "leads add: --json: input larger than 1048576 bytes"
}

@test "10,000 columns: every one kept as a custom field, in seconds" {
	awk 'BEGIN { n = 10000
		printf "email"; for (i = 1; i < n; i++) printf ",c%d", i; printf "\n"
		printf "wide@example.com"; for (i = 1; i < n; i++) printf ",v%d", i; printf "\n" }' >wide.csv
	LIMIT=20 run -0 fast leads import -q wide.csv
	run -0 sql "SELECT count(*), min(j.value), max(j.key) FROM leads, json_each(leads.extra) AS j"
	assert_output "9999|v1|c9999"
}

@test "a line without end: 20 MB with no line break is refused fast, nothing stored" {
	head -c 20000000 /dev/zero | tr '\0' a >noend.csv
	run --separate-stderr fast leads import noend.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: noend.csv: line 1, field 1: field longer than 16777216 bytes"
	{ printf 'email,notes\nz@example.com,"'; head -c 5000000 /dev/zero | tr '\0' b; } >openq.csv
	run --separate-stderr fast leads import openq.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: openq.csv: line 2, field 2: unterminated quoted field"
	run -0 counts
	assert_output "0 0 0"
	# a last line without its line break is a line
	printf 'email\nlast@example.com' >last.csv
	run -0 leads import -q last.csv
	run -0 sql "SELECT email FROM leads ORDER BY id"
	assert_output last@example.com
}

# ---- YAML bombs and deep nesting ---------------------------------------------

@test "a 10 MB config is refused before parsing: exit 78" {
	awk 'BEGIN { print "x: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"
		for (i = 0; i < 300000; i++) printf "k%d: [*a, *a, *a, *a, *a, *a, *a, *a]\n", i }' >bomb.yaml
	(($(stat -c %s bomb.yaml) > 10000000))
	run --separate-stderr fast leads -c bomb.yaml list
	assert_failure 78
	assert_equal "$stderr" "error: bomb.yaml: file is larger than 4 MiB; refusing to read it
leads list: 1 error in config 'bomb.yaml'"
}

@test "billion laughs: alias expansion is bounded, small file or 4 MB file" {
	run --separate-stderr fast leads -c "$FIXTURES/config/alias-bomb.yaml" list
	assert_failure 78
	assert_equal "${stderr_lines[0]}" "error: $FIXTURES/config/alias-bomb.yaml:3:8: aliases expand the document by more than 10000 nodes; refusing it"
	# just under the size limit, aliases everywhere
	awk 'BEGIN { print "x: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"
		for (i = 0; i < 100000; i++) printf "k%d: [*a, *a, *a, *a, *a, *a, *a, *a]\n", i }' >bomb.yaml
	(($(stat -c %s bomb.yaml) < 4194304))
	run --separate-stderr fast leads -c bomb.yaml config check
	assert_failure 1
	assert_equal "${stderr_lines[0]}" "error: bomb.yaml:2:6: aliases expand the document by more than 10000 nodes; refusing it"
}

@test "deeply nested conditions are config errors, never a stack overflow" {
	nested() {
		awk -v n="$1" -v o="$2" -v c="$3" 'BEGIN {
			print "team:\n  - {name: ana, email: ana@example.com}\nrouting:\n  rules:\n    - name: deep"
			printf "      when: "; for (i = 0; i < n; i++) printf "%s", o
			printf "{field: state, eq: NY}"; for (i = 0; i < n; i++) printf "%s", c
			print "\n      assign: ana" }'
	}
	nested 20 '{not: ' '}' >ok.yaml
	run -0 leads -c ok.yaml config check
	nested 40 '{not: ' '}' >deep.yaml
	run --separate-stderr leads -c deep.yaml add --email a@example.com
	assert_failure 78
	assert_equal "${stderr_lines[0]}" "error: deep.yaml:6:205: conditions nest deeper than 32 levels"
	nested 100000 '{not: ' '}' >deeper.yaml
	run --separate-stderr fast leads -c deeper.yaml config check
	assert_failure 1
	assert_equal "${stderr_lines[0]}" "error: deeper.yaml:6:373: nesting deeper than 64 levels"
	nested 500000 '[' ']' >lists.yaml
	run --separate-stderr fast leads -c lists.yaml config check
	assert_failure 1
	assert_equal "${stderr_lines[0]}" "error: lists.yaml:6:73: nesting deeper than 64 levels"
	run ! db_exists
}

# ---- numbers and dates out of range ------------------------------------------

@test "numbers out of range: refused with a message, never wrapped" {
	add_lead --email keep@example.com
	for v in 99999999999999999999 92233720368547758.08 -92233720368547758.08 1e30 NaN inf 0x10; do
		run --separate-stderr leads add --email "v@example.com" --value "$v"
		assert_failure 65
		assert_equal "$stderr" "leads add: bad value '$v' for value (expected an amount like 12000 or 12,000.50, at most 1,000,000,000,000 either sign)"
	done
	run --separate-stderr leads list -n 99999999999999999999
	assert_failure 64
	run --separate-stderr leads list --min-score -99999999999999999999
	assert_failure 64
	run --separate-stderr leads show 99999999999999999999
	assert_failure 66
	run --separate-stderr leads task add 1 call --due 99999999999d
	assert_failure 64
	# an absurd busy timeout falls back to the default instead of wrapping
	LEADS_BUSY_TIMEOUT=99999999999999999999 run -0 leads list -q
	printf 'team:\n  - {name: ana, email: a@example.com, weight: 99999999999999999999}\nstatus: {inactive_after: 99999999999d}\n' >big.yaml
	run leads -c big.yaml config check
	assert_failure 1
	assert_line --partial "expected a whole number from 1 to 1000 for weight, got '99999999999999999999'"
	assert_line --partial "invalid duration '99999999999d' for inactive_after"
	# an import keeps an amount it cannot read as a custom field, with a warning
	printf 'Email,Amount\na@example.com,1e400\nb@example.com,99999999999999999999\n' >amounts.csv
	run --separate-stderr leads import amounts.csv
	assert_success
	assert_equal "${stderr_lines[1]}" "first warning: line 2: column 'Amount': '1e400' is not a money amount (at most 1,000,000,000,000); kept as a custom field"
	run -0 sql "SELECT email, value, extra FROM leads WHERE email LIKE '_@example.com' ORDER BY id"
	assert_output 'a@example.com||{"Amount":"1e400"}
b@example.com||{"Amount":"99999999999999999999"}'
}

@test "dates like 02/30/2024: kept as text with a warning, bad options, config errors" {
	printf 'Email,Created Date\na@example.com,02/28/2024\nb@example.com,02/30/2024\nc@example.com,12/31/2024\n' >dates.csv
	run --separate-stderr leads import dates.csv
	assert_success
	[[ ${stderr_lines[0]} == "generic: 3 read, 3 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 1 warnings ("* ]]
	assert_equal "${stderr_lines[1]}" "first warning: line 3: column 'Created Date': '02/30/2024' is not a date in the mdy format; kept as a custom field"
	run -0 sql "SELECT email, date(created_at, 'unixepoch'), coalesce(extra, '') FROM leads ORDER BY id"
	assert_output 'a@example.com|2024-02-28|
b@example.com|2026-11-24|{"Created Date":"02/30/2024"}
c@example.com|2024-12-31|'
	for d in 2024-02-30 2023-02-29 2026-13-01 2026-11-24T24:00:00Z 2026-11-24T10:60 99999-01-01 1899-12-31; do
		run --separate-stderr leads --now "$d" list
		assert_failure 64
		assert_equal "${stderr_lines[0]}" "leads list: bad time '$d' for --now (use ISO 8601, e.g. 2026-11-24T09:00:00Z)"
	done
	run --separate-stderr leads list --since 2024-02-30
	assert_failure 64
	printf 'business_hours:\n  timezone: UTC\n  holidays: [2024-02-30]\n' >hol.yaml
	run --separate-stderr leads -c hol.yaml config check
	assert_failure 1
}

# ---- what leads writes ----------------------------------------------------------

@test "export guards cells starting with = + - @ tab or CR; --no-escape does not" {
	leads add --email a@example.com --first '=1+1' --last '+cmd|x' --company '-2+3' \
		--title '@SUM(A1)' --field $'city=\tTab' --field $'state=\rCR' --value -5 >/dev/null
	leads add --email b@example.com --first '-' --last '+' --company '+1.5' --title '-0.25' >/dev/null
	run -0 leads export
	assert_line --index 1 --regexp "^1,a@example.com,'=1\+1,'\+cmd\|x,.*,'-2\+3,'@SUM\(A1\),"
	assert_line --index 1 --partial $',"\'\tTab","\'\rCR",'
	assert_line --index 1 --partial ',-5,'
	# plain numbers stay numbers, a lone sign is guarded
	assert_output --partial "b@example.com,'-,'+,"
	assert_output --partial ',+1.5,-0.25,'
	run -0 leads export --no-escape
	assert_line --index 1 --regexp "^1,a@example.com,=1\+1,\+cmd\|x,.*,-2\+3,@SUM\(A1\),"
	refute_output --partial "'"
	# the guard is undone when leads reads its own export back
	leads export -O out.csv
	reset_db
	run -0 leads import -q out.csv
	run -0 sql "SELECT first_name, last_name, company, title FROM leads ORDER BY id"
	assert_output '=1+1|+cmd|x|-2+3|@SUM(A1)
-|+|+1.5|-0.25'
}

@test "files leads creates are 0600 whatever the umask: database, -wal, -shm, exports, rejects, config" {
	pg_skip "the modes of the SQLite file and its -wal and -shm"
	umask 000
	export LEADS_DB=$BATS_TEST_TMPDIR/data/sub/leads.db
	run -0 leads init --template deal-desk
	assert_equal "$(stat -c %a "$LEADS_DB" "$XDG_CONFIG_HOME/leads/config.yaml")" $'600\n600'
	assert_equal "$(stat -c %a data/sub "$XDG_CONFIG_HOME/leads")" $'700\n700'
	leads add --email a@example.com >/dev/null
	run -0 leads export -O out.csv
	printf 'email\nbad\n' >in.csv
	run -0 leads import -q --rejects rej.csv in.csv
	assert_equal "$(stat -c %a out.csv rej.csv)" $'600\n600'
	# -wal and -shm exist while a writer runs: watch an import for them
	awk 'BEGIN { print "email"; for (i = 0; i < 100000; i++) printf "u%d@example.com\n", i }' >many.csv
	"$LEADS_BIN" import -q many.csv &
	local pid=$! modes="" i
	for ((i = 0; i < 1000 && ${#modes} == 0; i++)); do
		modes=$(stat -c '%n %a' "$LEADS_DB-wal" "$LEADS_DB-shm" 2>/dev/null) || modes=""
		[ -n "$modes" ] || sleep 0.01
	done
	wait "$pid"
	[ -n "$modes" ] || fail "never saw the -wal and -shm files"
	assert_equal "$modes" "$LEADS_DB-wal 600
$LEADS_DB-shm 600"
}

@test "a config file others may change is used with a warning" {
	add_lead --email a@example.com
	leads config show >cfg.yaml 2>/dev/null
	chmod 666 cfg.yaml
	run --separate-stderr leads -c cfg.yaml list
	assert_success
	assert_equal "$stderr" "warning: cfg.yaml: the file is writable by group and others (mode 0666): whoever can change it decides who gets leads and which sendmail command runs; chmod go-w it"
	chmod 620 cfg.yaml
	run --separate-stderr leads -c cfg.yaml list
	assert_equal "$stderr" "warning: cfg.yaml: the file is writable by its group (mode 0620): whoever can change it decides who gets leads and which sendmail command runs; chmod go-w it"
	chmod 600 cfg.yaml
	run --separate-stderr leads -c cfg.yaml list
	assert_equal "$stderr" ""
}

@test "sendmail runs without a shell: metacharacters reach it as plain words" {
	export MAIL_DIR=$BATS_TEST_TMPDIR/mail
	mkdir -p "$MAIL_DIR"
	cat >cfg.yaml <<-YAML
	pipeline:
	  stages:
	    - {name: New, group: active, remind_after: 1d}
	    - {name: Won, group: won}
	    - {name: Lost, group: lost}
	team:
	  - {name: ana, email: ana@example.com}
	mail:
	  sendmail: $FIXTURES/sendmail -t ; touch $BATS_TEST_TMPDIR/pwned1 '\$(touch $BATS_TEST_TMPDIR/pwned2)' \`id\` | cat > $BATS_TEST_TMPDIR/pwned3 &&
	YAML
	export LEADS_CONFIG=$PWD/cfg.yaml
	LEADS_NOW=2026-11-01T09:00:00Z leads add --email a@example.com --owner ana >/dev/null
	LEADS_NOW=2026-11-03T09:00:00Z run -0 leads sweep -q
	# (two messages: ana's assignment mail and the reminder)
	run -0 bash -c "head -qn1 '$MAIL_DIR'/msg.* | sort -u"
	assert_output "==> sendmail -t ; touch $BATS_TEST_TMPDIR/pwned1 \$(touch $BATS_TEST_TMPDIR/pwned2) \`id\` | cat > $BATS_TEST_TMPDIR/pwned3 &&"
	run -0 ls "$BATS_TEST_TMPDIR"
	refute_output --partial pwned
}
