#!/usr/bin/env bats
# leads import, reading the file: quoting and line endings, encodings,
# delimiters, header debris, ragged rows, files that are no CSV at all.
# The mapping, dates, duplicates and batches have their own files
# (0101-0104); the fixtures are in tests/fixtures/import.
load test_helper

IMP=$FIXTURES/import

# The summary line without its timing, which varies:
# "(0.01s, 1530 rows/s)" -> "(T)".
untimed() {
	sed -E 's/ \([0-9]+\.[0-9]+s, [0-9]+ rows\/s\)/ (T)/' <<<"$1"
}

# Import $@ and expect success with this summary line on stderr and
# nothing on stdout.
import_ok() {
	local want=$1
	shift
	run --separate-stderr leads import "$@"
	assert_success
	assert_output ''
	assert_equal "$(untimed "$stderr")" "$want"
}

@test "quoted fields keep commas, doubled quotes and line breaks" {
	import_ok "generic: 2 read, 2 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" \
		"$IMP/quoted-newlines.csv"
	run -0 sql "SELECT email, first_name, last_name, json_extract(extra, '$.Notes') FROM leads ORDER BY id"
	assert_output 'ana@example.com|Ana|Lima|Called twice.
Wants a demo, "soon"
bo@example.com|Bo|Berg|one

two'
}

@test "CRLF line endings, also inside a quoted field" {
	import_ok "generic: 2 read, 2 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" \
		"$IMP/crlf.csv"
	run -0 sql "SELECT email, first_name, hex(json_extract(extra, '$.Notes')) FROM leads ORDER BY id"
	# the line break inside quotes is kept as it was written: CR LF
	assert_output "ana@example.com|Ana|$(printf 'line one\r\nline two' | od -An -tx1 | tr -d ' \n' | tr a-f A-F)
bo@example.com|Bo|$(printf plain | od -An -tx1 | tr -d ' \n' | tr a-f A-F)"
}

@test "backslashes, tabs, CR and a literal \\N in mapped columns come back as written" {
	# PostgreSQL's COPY text format gives these four a meaning of their own
	printf 'Email,Company,Title,First Name\n' >esc.csv
	printf 'a@example.com,"C:\\dir\\x","a\tb","\\N"\n' >>esc.csv
	printf 'b@example.com,"cr\rhere","two\\\\","x\ny"\n' >>esc.csv
	import_ok "generic: 2 read, 2 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" \
		esc.csv
	run -0 sql "SELECT hex(company), hex(title), hex(first_name) FROM leads ORDER BY id"
	hx() { printf '%b' "$1" | od -An -tx1 | tr -d ' \n' | tr a-f A-F; }
	assert_output "$(hx 'C:\\dir\\x')|$(hx 'a\tb')|$(hx '\\N')
$(hx 'cr\rhere')|$(hx 'two\\\\')|$(hx 'x\ny')"
}

@test "lone CR line endings, no line break at the end" {
	import_ok "generic: 2 read, 2 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" \
		"$IMP/lone-cr.csv"
	run -0 sql "SELECT email, first_name FROM leads ORDER BY id"
	assert_output $'ana@example.com|Ana\nbo@example.com|Bo'
}

@test "lone CR line endings count lines for the rejects" {
	printf 'Email,First Name\rok@example.com,A\rnot-an-email,\r' >cr.csv
	run --separate-stderr leads import cr.csv
	assert_success
	assert_equal "${stderr_lines[0]}" "leads import: line 3: invalid email 'not-an-email' and no name, company or phone"
}

@test "a UTF-8 BOM does not stick to the first column name" {
	printf '\xef\xbb\xbfEmail,First Name\nana@example.com,Ana\n' >bom.csv
	import_ok "generic: 1 read, 1 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" bom.csv
	run -0 sql "SELECT email, first_name, CAST(extra IS NULL AS INTEGER) FROM leads ORDER BY id"
	assert_output 'ana@example.com|Ana|1'
}

@test "UTF-16LE with BOM, tab-separated (Excel's Unicode text)" {
	printf 'Email\tFirst Name\tCity\r\nana@example.com\tAnaïs\tMalmö\r\nbo@example.com\tBjörn\t東京\r\n' |
		iconv -f UTF-8 -t UTF-16LE >body
	{ printf '\xff\xfe'; cat body; } >u16le.txt
	import_ok "generic: 2 read, 2 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" u16le.txt
	run -0 sql "SELECT email, first_name, city FROM leads ORDER BY id"
	assert_output $'ana@example.com|Anaïs|Malmö\nbo@example.com|Björn|東京'
}

@test "UTF-16BE with BOM, tab-separated" {
	printf 'Email\tFirst Name\nana@example.com\tZoë\n' | iconv -f UTF-8 -t UTF-16BE >body
	{ printf '\xfe\xff'; cat body; } >u16be.txt
	import_ok "generic: 1 read, 1 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" u16be.txt
	run -0 sql "SELECT email, first_name FROM leads ORDER BY id"
	assert_output 'ana@example.com|Zoë'
}

@test "windows-1252 with --encoding" {
	# é = E9, € = 80, ’ = 92 in windows-1252
	printf 'Email;First Name;Company\nrene@example.com;Ren\xe9;Caf\xe9 \x80 Co\x92s\n' >cp1252.csv
	import_ok "generic: 1 read, 1 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" \
		--encoding windows-1252 cp1252.csv
	run -0 sql "SELECT email, first_name, company FROM leads ORDER BY id"
	assert_output 'rene@example.com|René|Café € Co’s'
}

@test "invalid UTF-8 is an error naming line and column, and imports nothing" {
	printf 'Email;First Name\nok@example.com;Ok\nrene@example.com;Ren\xe9\n' >latin.csv
	run --separate-stderr leads import latin.csv
	assert_failure 65
	assert_output ''
	assert_equal "$stderr" "leads import: latin.csv: line 3, column 21 (field 2): invalid UTF-8 (byte 0xE9 at byte 56 of the file); if the file is not UTF-8, name its encoding, e.g. --encoding windows-1252"
	run -0 sql "SELECT count(*) FROM leads"
	assert_output 0
}

@test "--encoding-errors replace stores U+FFFD for invalid UTF-8" {
	printf 'Email;First Name\nrene@example.com;Ren\xe9\n' >latin.csv
	import_ok "generic: 1 read, 1 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" \
		--encoding-errors replace latin.csv
	run -0 sql "SELECT first_name, hex(first_name) FROM leads ORDER BY id"
	assert_output 'Ren�|52656EEFBFBD'
}

@test "an unknown --encoding or --encoding-errors is a usage error" {
	run --separate-stderr leads import --encoding klingon "$IMP/tabs.csv"
	assert_failure 64
	assert_equal "$stderr" 'leads import: unknown encoding "klingon"'
	run --separate-stderr leads import --encoding-errors ignore "$IMP/tabs.csv"
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads import: --encoding-errors is strict or replace"
}

@test "semicolons, pipes and tabs are detected as the delimiter" {
	for f in semicolons pipes tabs; do
		reset_db
		run --separate-stderr leads import -q "$IMP/$f.csv"
		assert_success
		run -0 sql "SELECT email, company, city FROM leads WHERE id = 1 ORDER BY id"
		assert_output 'ana@example.com|Acme, Inc.|Porto'
	done
	run -0 sql "SELECT city FROM leads WHERE id = 2 ORDER BY id"
	assert_output ''
	reset_db
	leads import -q "$IMP/pipes.csv"
	run -0 sql "SELECT email, company, city FROM leads WHERE id = 2 ORDER BY id"
	assert_output 'bo@example.com|Berg AB|Malmö'
}

@test "Excel's sep= line names the delimiter and is skipped" {
	import_ok "generic: 1 read, 1 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" \
		"$IMP/sep-semicolon.csv"
	run -0 sql "SELECT email, company, extra FROM leads ORDER BY id"
	assert_output 'ana@example.com|Acme, Inc.|{"Notes":"a;b"}'
}

@test "--delimiter overrides the detection" {
	# commas win the vote in the first line, but the file uses semicolons
	printf 'Email;Company, Inc. or Ltd, as registered\nana@example.com;Acme, Inc.\n' >d.csv
	leads import -q --delimiter ';' d.csv
	run -0 sql "SELECT email, extra FROM leads ORDER BY id"
	assert_output 'ana@example.com|{"Company, Inc. or Ltd, as registered":"Acme, Inc."}'
	run --separate-stderr leads import --delimiter ab d.csv
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads import: --delimiter wants one character, not 'ab'"
}

@test "ragged rows are rejected with their line; a trailing empty column is tolerated" {
	run --separate-stderr leads import --rejects rej.csv "$IMP/ragged.csv"
	assert_success
	assert_equal "$(untimed "$stderr")" "generic: 5 read, 3 inserted, 0 updated, 0 duplicates skipped, 2 rejected, 0 warnings (T); batch 1"
	run -0 sql "SELECT email, first_name, company FROM leads ORDER BY id"
	assert_output 'ok1@example.com|Ana|Acme
ok2@example.com|Di|Delta
ok3@example.com|Ed|Echo'
	run -0 cat rej.csv
	assert_output 'rejected_line,rejected_reason,Email,First Name,Company,
3,"too few fields: 2, the header has 3",short@example.com,Bo
4,"too many fields: 5, the header has 4",long@example.com,Cy,Co,,surplus'
}

@test "blank rows and empty columns before the header are skipped" {
	import_ok "generic: 2 read, 2 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" \
		"$IMP/blank-before-header.csv"
	run -0 sql "SELECT email, first_name, CAST(extra IS NULL AS INTEGER) FROM leads ORDER BY id"
	assert_output $'ana@example.com|Ana|1\nbo@example.com|Bo|1'
}

@test "duplicate column names become Name_2, reported on stderr" {
	run --separate-stderr leads import --preset generic "$IMP/duplicate-headers.csv"
	assert_success
	assert_equal "${stderr_lines[0]}" "leads import: duplicate column 'email' (column 3) renamed 'email_2'"
	assert_equal "${stderr_lines[1]}" "leads import: duplicate column 'Phone' (column 5) renamed 'Phone_2'"
	assert_equal "$(untimed "${stderr_lines[2]}")" "generic: 1 read, 1 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 sql "SELECT email, phone, extra FROM leads ORDER BY id"
	assert_output 'ana@example.com|555-0101|{"email_2":"ana.work@example.com","Phone_2":"555-0102"}'
}

@test "duplicate column names do not change the detected preset" {
	skip "imap_detect takes the renamed 'email_2' for SuiteCRM's 'email2' (reported)"
	run -0 leads import --detect "$IMP/duplicate-headers.csv"
	assert_line --index 0 --partial "preset: generic "
}

@test "an empty file is an error" {
	run --separate-stderr leads import "$IMP/empty.csv"
	assert_failure 65
	assert_equal "$stderr" "leads import: $IMP/empty.csv: no header row (the file is empty)"
	printf '\n\n,,\n' >blank.csv
	run --separate-stderr leads import blank.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: blank.csv: no header row (the file is empty)"
	run -0 sql "SELECT count(*) FROM imports"
	assert_output 0
}

@test "a header without rows imports nothing, successfully" {
	import_ok "generic: 0 read, 0 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" \
		"$IMP/header-only.csv"
	run -0 sql "SELECT count(*) FROM leads"
	assert_output 0
}

@test "binary garbage is refused" {
	head -c 4096 "$LEADS_BIN" >garbage.csv
	run --separate-stderr leads import garbage.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: garbage.csv: line 1: NUL byte (is this a binary file?)"
	printf 'Email,Name\nana@example.com,A\x00na\n' >nul.csv
	run --separate-stderr leads import nul.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: nul.csv: line 2: NUL byte (is this a binary file?)"
	run -0 sql "SELECT count(*) FROM leads"
	assert_output 0
}

@test "random bytes without NUL are refused as invalid UTF-8" {
	printf 'Email,Name\n\xc3\x28\xa0\xa1,x\n' >rnd.csv
	run --separate-stderr leads import rnd.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: rnd.csv: line 2, column 1 (field 1): invalid UTF-8 (byte 0xC3 at byte 12 of the file); if the file is not UTF-8, name its encoding, e.g. --encoding windows-1252"
}

@test "a quote left open or text after a closing quote stops the import" {
	printf 'Email,Notes\nok@example.com,fine\nbad@example.com,"never closed\n' >open.csv
	run --separate-stderr leads import open.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: open.csv: line 3, field 2: unterminated quoted field"
	printf 'Email,Notes\nbad@example.com,"quoted"tail\n' >tail.csv
	run --separate-stderr leads import tail.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: tail.csv: line 2, column 25 (field 2): text after the closing quote"
	run -0 sql "SELECT count(*) FROM leads"
	assert_output 0
}

@test "Salesforce report footers are skipped, not rejected" {
	run --separate-stderr leads import --rejects rej.csv "$EXAMPLES/import/salesforce-report.csv"
	assert_success
	assert_equal "$(untimed "$stderr")" "salesforce: 12 read, 12 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 cat rej.csv
	assert_output 'rejected_line,rejected_reason,Lead Owner,First Name,Last Name,Title,Company / Account,Email,Phone,Lead Source,Lead Status,Create Date,Last Activity,State/Province,Zip/Postal Code,Lead ID'
}

@test "a summary report's Grand Totals row with sums is a footer too" {
	printf '%s\n' 'First Name,Last Name,Email,Company / Account,Lead Status,Annual Revenue' \
		'Ana,Lima,ana@example.com,Acme,Open - Not Contacted,100' \
		'"Grand Totals (1 records)",,,,,100' '' \
		'"Confidential Information - Do Not Distribute"' \
		'"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."' >sf.csv
	import_ok "salesforce: 1 read, 1 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" sf.csv
}

@test "the file must exist and be a file" {
	run --separate-stderr leads import nowhere.csv
	assert_failure 66
	assert_equal "$stderr" "leads import: cannot open 'nowhere.csv': No such file or directory"
	run --separate-stderr leads import "$IMP"
	assert_failure 66
	assert_equal "$stderr" "leads import: '$IMP' is a directory"
}

@test "one file only" {
	run --separate-stderr leads import
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads import: give one FILE to import ('-' for standard input)"
	run --separate-stderr leads import a.csv b.csv
	assert_failure 64
}
