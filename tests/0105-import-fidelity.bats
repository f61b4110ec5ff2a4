#!/usr/bin/env bats
# leads import keeps what a real export holds: emails as people and vendors
# write them, dates it used to refuse, the formula guard's round trip.
load test_helper

untimed() {
	sed -E 's/ \([0-9]+\.[0-9]+s, [0-9]+ rows\/s\)/ (T)/' <<<"$1"
}

@test "emails: Unicode spaces, zero-width characters, a BOM and soft hyphens go, case folds" {
	printf 'Email,First Name\n"\xc2\xa0Ana@Example.COM\xe2\x80\x8b",Ana\n"\xef\xbb\xbfbo\xc2\xad@x.com\xe2\x80\x8d",Bo\n' >e.csv
	run --separate-stderr leads import e.csv
	assert_success
	run -0 sql "SELECT email, first_name FROM leads ORDER BY id"
	assert_output $'ana@example.com|Ana\nbo@x.com|Bo'
	# matching sees through them too: the same people again are duplicates
	printf 'Email,First Name\nana@example.com\xe2\x80\x8c,Ana\n' >again.csv
	run --separate-stderr leads import again.csv
	assert_success
	[[ $stderr == *"0 inserted"* ]]
}

@test "emails: Name <addr> gives the address and the name; several addresses keep the rest" {
	printf '%s\n' 'Email,First Name,Company' '"Bo Lima <BO@x.com>",,Y' \
		'"Cy <cy@x.com>",Cyrus,Z' '"c@x.com, d@y.com; e@z.com",C,Z' '"f@x.com g@x.com",F,' >e.csv
	run --separate-stderr leads import e.csv
	assert_success
	[[ $stderr == *"4 inserted"*"0 rejected"* ]]
	run -0 sql "SELECT email, first_name, last_name, coalesce(extra, '') FROM leads ORDER BY id"
	assert_output 'bo@x.com|Bo|Lima|
cy@x.com|Cyrus||
c@x.com|C||{"other_emails":"d@y.com, e@z.com"}
f@x.com|F||{"other_emails":"g@x.com"}'
}

@test "an email that is no address keeps an otherwise identifiable lead: text in a custom field, a warning" {
	printf '%s\n' 'Email,First Name,Company,Phone,Record Id' 'ana at acme,Ana,Acme,,' \
		'no-at-all,,,555-0101,' '"x@@y, z@example.com",Zed,,,' 'bad@,,,,zcrm_9' 'ok@example.com,Ok,,,' >e.csv
	run --separate-stderr leads import --rejects rej.csv e.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "generic: 5 read, 4 inserted, 0 updated, 0 duplicates skipped, 1 rejected, 3 warnings (T); batch 1
first warning: line 2: column 'Email': 'ana at acme' is not an email address; kept as a custom field"
	run -0 sql "SELECT coalesce(email, ''), coalesce(first_name, ''), coalesce(phone, ''), coalesce(extra, '') FROM leads ORDER BY id"
	assert_output '|Ana||{"Email":"ana at acme"}
||555-0101|{"Email":"no-at-all"}
|Zed||{"Email":"x@@y, z@example.com"}
ok@example.com|Ok||'
	# nothing else to keep it by (an external id is not among them: lc_identifiable)
	run -0 cat rej.csv
	assert_output "rejected_line,rejected_reason,Email,First Name,Company,Phone,Record Id
5,\"invalid email 'bad@' and no name, company or phone\",bad@,,,,zcrm_9"
	# --strict: a reject, in the words it always had
	new_db LEADS_DB strict
	run --separate-stderr leads import --strict e.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: e.csv:2: invalid email 'ana at acme'"
	run -0 sql "SELECT count(*) FROM leads"
	assert_output 0
}

@test "emails: add, edit and --json normalise the same way" {
	run -0 leads add --email "$(printf 'Zed Quux <ZED@x.com\xe2\x80\x8d>')"
	printf '{"email":"\xc2\xa0yy@X.com"}' | leads add --json
	run -0 leads add --email ana@x.com --first Ana
	run -0 leads edit 3 --email 'Other Name <ana2@x.com>'
	printf '{"email":"Jo Park <JO@x.com>"}' | leads add --json
	run -0 sql "SELECT email, coalesce(first_name, ''), coalesce(last_name, '') FROM leads ORDER BY id"
	assert_output $'zed@x.com|Zed|Quux\nyy@x.com||\nana2@x.com|Ana|\njo@x.com|Jo|Park'
}

@test "Pipedrive people: Person - ID, Organization, Owner and Person created are mapped" {
	f=$FIXTURES/import/vendors/pipedrive-people.csv
	run -0 leads import --detect "$f"
	assert_line --index 0 --partial 'preset: pipedrive'
	run --separate-stderr leads import "$f"
	assert_success
	run -0 sql "SELECT ext_source, ext_id, first_name, last_name, coalesce(company, ''), coalesce(email, ''), owner, strftime('%Y-%m-%dT%H:%M', created_at, 'unixepoch'), coalesce(extra, '') FROM leads ORDER BY id"
	assert_output 'pipedrive|17|Ana|Lima|Acme Ltda|ana@acme.com.br|Dana Whitfield|2024-03-14T09:30|{"other_emails":"ana.lima@gmail.com","Person - Labels":"Hot lead"}
pipedrive|18|Bo|Chen|||Rafael Ortiz|2024-03-15T10:00|'
	# a row without email is not duplicated by a re-import: the external id matches
	run --separate-stderr leads import "$f"
	assert_success
	[[ $stderr == *"0 inserted"*"2 duplicates skipped"* ]]
}

@test "Zoho contacts and accounts: Record Id, Account Name, Contact/Account Owner and Created Time are mapped" {
	run -0 leads import --detect "$FIXTURES/import/vendors/zoho-contacts.csv"
	assert_line --index 0 --partial 'preset: zoho'
	run --separate-stderr leads import "$FIXTURES/import/vendors/zoho-contacts.csv"
	assert_success
	[[ $stderr == "zoho: 3 read, 3 inserted, "*" 0 rejected, 0 warnings ("* ]] || fail "$stderr"
	run --separate-stderr leads import "$FIXTURES/import/vendors/zoho-accounts.csv"
	assert_success
	run -0 sql "SELECT ext_source, ext_id, coalesce(first_name, ''), coalesce(company, ''), owner, strftime('%Y-%m-%dT%H:%M', created_at, 'unixepoch'), coalesce(city, ''), coalesce(country, '') FROM leads ORDER BY id"
	assert_output 'zoho|zcrm_5725767000001102001|Priya|Raman & Sons, Chennai|Anita Desai|2024-02-19T11:05|Chennai|India
zoho|zcrm_5725767000001102002|Tobias|Müller Maschinenbau GmbH|James Okafor|2024-03-05T16:20|Stuttgart|Germany
zoho|zcrm_5725767000001102003|Grace||Anita Desai|2024-03-28T08:15|Accra|Ghana
zoho|zcrm_5725767000001001001||Raman & Sons, Chennai|Anita Desai|2024-01-03T10:15|Chennai|India
zoho|zcrm_5725767000001001002||Müller Maschinenbau GmbH|James Okafor|2024-02-07T14:30|Stuttgart|Germany
zoho|zcrm_5725767000001001003||Harbourview Realty|Meera Pillai|2024-03-11T08:05|Sydney|Australia'
	# a re-import matches on the record id: nothing is duplicated
	run --separate-stderr leads import "$FIXTURES/import/vendors/zoho-accounts.csv"
	assert_success
	[[ $stderr == *"0 inserted"*"3 duplicates skipped"* ]] || fail "$stderr"
}

@test "export then import gives every value back byte for byte (the formula guard reverses exactly)" {
	values=("'+1" "'=x" "=1+1" "-1-1" "+1-555-0101" "'" "''" $'\tlead' "''=x" "'-12" "-12" "+3.5"
		"@SUM(A1)" "'abc" "-" "+" "a'b" " spaced " "'''+1" $'\r=x' "=HYPERLINK(\"http://x\")" "'@x"
		"+-+" "--1" "-1.5.5" "'\"" $'line\nbreak' "1,5" "=" "@")
	i=0
	for v in "${values[@]}"; do
		i=$((i + 1))
		leads add --email "n$i@example.com" --title "$v" --company "$v" >/dev/null
	done
	run -0 sql "SELECT hex(title) || ' ' || hex(company) FROM leads ORDER BY id"
	before=$output
	leads export -O out.csv
	new_db LEADS_DB again
	run --separate-stderr leads import out.csv
	assert_success
	run -0 sql "SELECT hex(title) || ' ' || hex(company) FROM leads ORDER BY id"
	assert_equal "$output" "$before"
	assert_equal "${#lines[@]}" "${#values[@]}"
}

@test "latin1 and iso-8859-1 decode as windows-1252 (WHATWG): smart quotes and the euro sign" {
	printf 'Email,Company\na@example.com,\x93Caf\xe9\x94 \x80 5\n' >w.csv
	for enc in latin1 iso-8859-1 ISO8859-1 us-ascii windows-1252; do
		new_db LEADS_DB "db_$RANDOM"
		run --separate-stderr leads import --encoding "$enc" w.csv
		assert_success
		run -0 sql "SELECT company FROM leads"
		assert_output '“Café” € 5'
	done
}

@test "windows-1252: the five bytes WHATWG leaves undefined are U+0081 etc., not an error" {
	printf 'Email,Company\na@example.com,X\x81\x8d\x8f\x90\x9dY\n' >w.csv
	run --separate-stderr leads import --encoding latin1 w.csv
	assert_success
	[[ $stderr == "generic: 1 read, 1 inserted, "*" 0 rejected, 0 warnings ("* ]] || fail "$stderr"
	run -0 sql "SELECT hex(company) FROM leads"
	assert_output 58C281C28DC28FC290C29D59
}

@test "\"sep=;\" first line, quoted or not, followed by empty fields or not" {
	for first in 'sep=;' '"sep=;"' '"sep=;";;' 'SEP=;'; do
		new_db LEADS_DB "db_$RANDOM"
		printf '%s\nEmail;Company\na@example.com;Acme, Inc.\n' "$first" >s.csv
		run --separate-stderr leads import s.csv
		assert_success
		run -0 sql "SELECT email || '|' || company FROM leads"
		assert_output 'a@example.com|Acme, Inc.'
	done
}

@test "invalid UTF-8 names the byte offset and suggests --encoding windows-1252" {
	printf 'Email,Company\na@example.com,Caf\xe9\n' >l.csv
	run --separate-stderr leads import l.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: l.csv: line 2, column 18 (field 2): invalid UTF-8 (byte 0xE9 at byte 32 of the file); if the file is not UTF-8, name its encoding, e.g. --encoding windows-1252"
}

@test "the corpus of real-layout files: every field as Python's csv module reads it, footers in five languages" {
	command -v python3 >/dev/null || skip "python3 is not installed (scripts/install-deps.sh)"
	for f in "$FIXTURES"/import/vendors/*.csv "$EXAMPLES"/import/*.csv; do
		new_db LEADS_DB "db_$RANDOM"
		run --separate-stderr leads import "$f"
		assert_success
		[[ $stderr == *" 0 rejected"* ]] || fail "$(basename "$f"): $stderr"
		leads import --detect --format tsv "$f" >detect.tsv
		leads export --format json >export.json
		run python3 "$BATS_TEST_DIRNAME/import_corpus.py" "$f" detect.tsv export.json
		[ "$status" -eq 0 ] || fail "$output"
	done
}

@test "Salesforce report footers in German, French, Spanish, Portuguese and Japanese are not rows" {
	for lang in de fr es pt ja; do
		new_db LEADS_DB "db_$lang"
		run --separate-stderr leads import "$FIXTURES/import/vendors/salesforce-report-$lang.csv"
		assert_success
		[[ $stderr == *"2 read, 2 inserted"*" 0 rejected"* ]] || fail "$lang: $stderr"
	done
}

@test "detection needs distinctive evidence: two columns of a vendor's own, or its own status values" {
	for h in 'first,last,address,city,zip' 'Email,PhoneFax' 'Email,Company,Status,Score'; do
		printf '%s\na@example.com,b,c,d,e\n' "$h" >h.csv
		run -0 leads import --detect h.csv
		[[ ${lines[0]} == "preset: generic ("*"confidence none: "*"(2 needed))" ]] || fail "$h: ${lines[0]}"
	done
	# Company, not Company / Account, but Salesforce's own Lead Status words
	printf '%s\n' 'First Name,Last Name,Email,Company,Lead Status' 'Ana,Lima,a@example.com,Acme,Working' \
		'Bo,Chen,b@example.com,Initech,Closed - Converted' >sf.csv
	run -0 leads import --detect sf.csv
	assert_line --index 0 "preset: salesforce (Salesforce (Data Loader or report export), confidence medium: salesforce's own values in column 'Lead Status')"
	run --separate-stderr leads import sf.csv
	assert_success
	run -0 sql "SELECT ext_source, stage FROM leads ORDER BY id"
	assert_output $'salesforce|contacted\nsalesforce|closed-deal'
}
