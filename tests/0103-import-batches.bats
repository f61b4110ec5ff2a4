#!/usr/bin/env bats
# leads import, what gets written: duplicates within the file and against
# the database, --on-duplicate, --only-update, the rejects file, --strict,
# --dry-run, standard input, the JSON summary, batches (--list, --revert)
# and the export -> import round trip.
load test_helper

untimed() {
	sed -E 's/ \([0-9]+\.[0-9]+s, [0-9]+ rows\/s\)/ (T)/' <<<"$1"
}

# Run an import; expect success and this summary on stderr.
import_ok() {
	local want=$1
	shift
	run --separate-stderr leads import "$@"
	assert_success
	assert_output ''
	assert_equal "$(untimed "$stderr")" "$want"
}

# Leads as "id email first company phone", one a line.
leads_now() {
	sql "SELECT id, email, first_name, company, phone FROM leads ORDER BY id"
}

dup_file() {
	printf '%s\n' 'Email,First Name,Company,Phone' \
		'ana@example.com,Ana,New Co,555-0101' \
		'bo@example.com,Bo,Bco,' \
		' BO@Example.COM ,Bob,Bco2,555-0202' \
		'cy@example.com,Cy,,' >dup.csv
}

@test "duplicates within the file and against the database are skipped by default" {
	add_lead --email ana@example.com --first Ana --company Old
	dup_file
	import_ok "generic: 4 read, 2 inserted, 0 updated, 2 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" dup.csv
	run -0 leads_now
	assert_output '1|ana@example.com|Ana|Old|
2|bo@example.com|Bo|Bco|
3|cy@example.com|Cy||'
}

@test "duplicates within the file into an empty database: the first row wins" {
	dup_file
	import_ok "generic: 4 read, 3 inserted, 0 updated, 1 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" dup.csv
	# (ids may have gaps here: the bulk path for an empty database removes
	# the duplicates after loading them)
	run -0 sql "SELECT email, first_name, company, phone, source_line FROM leads ORDER BY id"
	assert_output 'ana@example.com|Ana|New Co|555-0101|2
bo@example.com|Bo|Bco||3
cy@example.com|Cy|||5'
}

@test "--on-duplicate update overwrites with the file's values and records history" {
	add_lead --email ana@example.com --first Ana --company Old
	dup_file
	import_ok "generic: 4 read, 2 inserted, 2 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" \
		--on-duplicate update dup.csv
	run -0 leads_now
	assert_output '1|ana@example.com|Ana|New Co|555-0101
2|bo@example.com|Bob|Bco2|555-0202
3|cy@example.com|Cy||'
	run -0 sql "SELECT lead_id, kind, data FROM events WHERE kind = 'import_update' ORDER BY id"
	assert_output '1|import_update|{"batch":1,"line":2,"before":{"phone":null,"company":"Old"},"after":{"phone":"555-0101","company":"New Co"}}
2|import_update|{"batch":1,"line":4,"before":{"first_name":"Bo","phone":null,"company":"Bco"},"after":{"first_name":"Bob","phone":"555-0202","company":"Bco2"}}'
}

@test "--on-duplicate update: a row that changes nothing counts as skipped; custom fields merge" {
	add_lead --email ana@example.com --first Ana --field tier=gold
	printf '%s\n' 'Email,First Name,Shoe Size' 'ana@example.com,Ana,' 'ana@example.com,Ana,38' >u.csv
	import_ok "generic: 2 read, 0 inserted, 1 updated, 1 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" \
		--on-duplicate update u.csv
	run -0 sql "SELECT extra FROM leads ORDER BY id"
	assert_output '{"tier":"gold","Shoe Size":"38"}'
}

@test "--on-duplicate error rejects duplicates naming the lead" {
	add_lead --email ana@example.com
	dup_file
	run --separate-stderr leads import --on-duplicate error dup.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "leads import: line 2: duplicate of lead #1 (same email)
leads import: line 4: duplicate of lead #2 (same email)
generic: 4 read, 2 inserted, 0 updated, 0 duplicates skipped, 2 rejected, 0 warnings (T); batch 1"
}

@test "--match chooses what makes a duplicate" {
	add_lead --first Ana --last Lima --company Acme --phone 555-0101
	printf '%s\n' 'First Name,Last Name,Company,Phone,Email' 'ana,LIMA,acme,,a1@example.com' \
		'Bo,Berg,Bco,555-0101,bo@example.com' 'Cy,Cole,Cco,555-0199,' 'Cy,Cole,Cco,555-0199,' >m.csv
	import_ok "dry run, nothing written: generic: 4 read, 4 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T)" -n m.csv
	import_ok "dry run, nothing written: generic: 4 read, 2 inserted, 0 updated, 2 duplicates skipped, 0 rejected, 0 warnings (T)" -n --match name+company m.csv
	import_ok "dry run, nothing written: generic: 4 read, 2 inserted, 0 updated, 2 duplicates skipped, 0 rejected, 0 warnings (T)" -n --match phone m.csv
	import_ok "dry run, nothing written: generic: 4 read, 1 inserted, 0 updated, 3 duplicates skipped, 0 rejected, 0 warnings (T)" -n --match phone,name+company m.csv
	run --separate-stderr leads import --match email,fax m.csv
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads import: unknown --match key 'fax' (email, external_id, phone, name+company)"
}

@test "external ids match within the same source CRM" {
	printf '%s\n' 'Id,FirstName,LastName,Company,LeadSource' '00Q1,Ana,Lima,Acme,Web' '00Q1,Ana,Lima,Acme,Web' >sf.csv
	import_ok "salesforce: 2 read, 1 inserted, 0 updated, 1 duplicates skipped, 0 rejected, 0 warnings (T); batch 1" sf.csv
	import_ok "salesforce: 2 read, 0 inserted, 0 updated, 2 duplicates skipped, 0 rejected, 0 warnings (T); batch 2" sf.csv
	# the same id from another CRM is another lead
	printf '%s\n' 'hs_object_id,firstname,lastname,company' '00Q1,Ana,Lima,Acme' >hs.csv
	import_ok "hubspot: 1 read, 1 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 3" hs.csv
	run -0 sql "SELECT ext_source, ext_id FROM leads ORDER BY id"
	assert_output $'salesforce|00Q1\nhubspot|00Q1'
}

@test "--only-update touches existing leads and creates none" {
	add_lead --email ana@example.com --first Ana --company Old
	dup_file
	import_ok "generic: 4 read, 0 inserted, 1 updated, 0 duplicates skipped, 0 rejected, 0 warnings, 3 not found (T); batch 1" \
		--only-update dup.csv
	run -0 leads_now
	assert_output '1|ana@example.com|Ana|New Co|555-0101'
	run -0 sql "SELECT json_extract(counts, '$.updated'), json_extract(counts, '$.not_found') FROM imports ORDER BY id"
	assert_output '1|3'
}

@test "the rejects file: line, reason, the original cells; re-importable" {
	printf '%s\n' 'Email,First Name,Notes' 'ok@example.com,Ok,fine' 'not-an-email,,"has, comma"' \
		',,' ',,"only a note"' 'x@example.com,X,a,b' '"multi@bad",,"line one' 'line two"' >r.csv
	run --separate-stderr leads import --rejects rej.csv r.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "generic: 5 read, 1 inserted, 0 updated, 0 duplicates skipped, 4 rejected, 0 warnings (T); batch 1"
	run -0 cat rej.csv
	assert_output "rejected_line,rejected_reason,Email,First Name,Notes
3,\"invalid email 'not-an-email' and no name, company or phone\",not-an-email,,\"has, comma\"
5,\"no email, name, company or phone\",,,only a note
6,\"too many fields: 4, the header has 3\",x@example.com,X,a,b
7,\"invalid email 'multi@bad' and no name, company or phone\",multi@bad,,\"line one
line two\""
	run -0 stat -c %a rej.csv
	assert_output 600
	[[ -z $(ls rej.csv.tmp.* 2>/dev/null) ]] || fail "temporary rejects file left behind"
	# fix the rows, import the file again without the two extra columns
	sed -i 's/^3,.*/3,x,bad@example.com,Bad,"has, comma"/; s/^6,.*/6,x,x@example.com,X,"a,b"/' rej.csv
	run --separate-stderr leads import --ignore rejected_line --ignore rejected_reason --rejects rej2.csv rej.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "generic: 4 read, 2 inserted, 0 updated, 0 duplicates skipped, 2 rejected, 0 warnings (T); batch 2"
	run -0 sql "SELECT email, first_name, extra FROM leads ORDER BY id"
	assert_output 'ok@example.com|Ok|{"Notes":"fine"}
bad@example.com|Bad|{"Notes":"has, comma"}
x@example.com|X|{"Notes":"a,b"}'
	# the rejects of a rejects file: the line in rej.csv, the original columns
	run -0 cat rej2.csv
	assert_output "rejected_line,rejected_reason,rejected_line,rejected_reason,Email,First Name,Notes
3,\"no email, name, company or phone\",5,\"no email, name, company or phone\",,,only a note
5,\"invalid email 'multi@bad' and no name, company or phone\",7,\"invalid email 'multi@bad' and no name, company or phone\",multi@bad,,\"line one
line two\""
}

@test "without --rejects the first five reasons are shown, then a count" {
	{
		echo Email
		for i in 1 2 3 4 5 6 7; do echo "bad$i"; done
		echo good@example.com
	} >r.csv
	run --separate-stderr leads import r.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "leads import: line 2: invalid email 'bad1' and no name, company or phone
leads import: line 3: invalid email 'bad2' and no name, company or phone
leads import: line 4: invalid email 'bad3' and no name, company or phone
leads import: line 5: invalid email 'bad4' and no name, company or phone
leads import: line 6: invalid email 'bad5' and no name, company or phone
leads import: ... and 2 more rejected rows (use --rejects FILE to keep them all)
generic: 8 read, 1 inserted, 0 updated, 0 duplicates skipped, 7 rejected, 0 warnings (T); batch 1"
}

@test "a failed import leaves no rejects file and keeps an old one" {
	echo old >rej.csv
	printf '%s\n' 'Email,Created' 'bad,03/04/2024' 'b@example.com,05/06/2024' >r.csv
	run --separate-stderr leads import --rejects rej.csv r.csv
	assert_failure 65
	run -0 cat rej.csv
	assert_output old
	[[ -z $(ls rej.csv.tmp.* 2>/dev/null) ]] || fail "temporary rejects file left behind"
}

@test "--strict stops at the first bad row: exit 65, file:line: reason, nothing imported" {
	printf '%s\n' 'Email,First Name' 'ok@example.com,A' 'bad-email,B' 'z@example.com,C,D' >s.csv
	run --separate-stderr leads import --strict s.csv
	assert_failure 65
	assert_output ''
	assert_equal "$stderr" "leads import: s.csv:3: invalid email 'bad-email'"
	run -0 sql "SELECT (SELECT count(*) FROM leads) || ' ' || (SELECT count(*) FROM imports)"
	assert_output '0 0'
}

@test "--strict stops at an unknown value or owner too" {
	printf '%s\n' 'Email,Status' 'a@example.com,new' 'b@example.com,Hot' >v.csv
	run --separate-stderr leads import --strict v.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: v.csv:3: column 'Status': unknown value 'Hot'"
	cat >team.yaml <<'YAML'
team:
  - {name: ana, email: ana@example.com}
YAML
	printf '%s\n' 'Email,Owner' 'a@example.com,ana' 'b@example.com,zed' >o.csv
	run --separate-stderr leads -c team.yaml import --strict o.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: o.csv:3: unknown owner 'zed'"
	run -0 sql "SELECT count(*) FROM leads"
	assert_output 0
	# a clean file passes --strict
	run --separate-stderr leads -c team.yaml import --strict --stage-map Hot=Contacted v.csv
	assert_success
}

@test "--dry-run writes nothing and prints the same summary" {
	add_lead --email ana@example.com
	before=$(db_fingerprint)
	dup_file
	import_ok "dry run, nothing written: generic: 4 read, 2 inserted, 0 updated, 2 duplicates skipped, 0 rejected, 0 warnings (T)" \
		--dry-run dup.csv
	# the database file is the same, byte for byte (on PostgreSQL: its dump)
	assert_equal "$(db_fingerprint)" "$before"
	run -0 sql "SELECT (SELECT count(*) FROM leads) || ' ' || (SELECT count(*) FROM imports) || ' ' || (SELECT count(*) FROM events)"
	assert_output '1 0 1'
}

@test "--format json prints the summary as JSON on stdout" {
	add_lead --email ana@example.com
	dup_file
	run --separate-stderr leads import --format json dup.csv
	assert_success
	assert_equal "$stderr" ""
	run -0 jq -c 'del(.elapsed, .rows_per_s)' <<<"$output"
	assert_output '{"batch":1,"preset":"generic","read":4,"inserted":2,"updated":0,"duplicates":2,"rejected":0,"not_found":0,"warnings":0,"events_fired":0,"events_quiet":0,"dry_run":false}'
	run --separate-stderr leads import --format json -n dup.csv
	run -0 jq -c 'del(.elapsed, .rows_per_s)' <<<"$output"
	assert_output '{"batch":0,"preset":"generic","read":4,"inserted":0,"updated":0,"duplicates":4,"rejected":0,"not_found":0,"warnings":0,"events_fired":0,"events_quiet":0,"dry_run":true}'
}

@test "-q prints nothing on success" {
	dup_file
	run --separate-stderr leads import -q dup.csv
	assert_success
	assert_output ''
	assert_equal "$stderr" ''
}

@test "standard input with -" {
	dup_file
	run --separate-stderr leads import - <dup.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "generic: 4 read, 3 inserted, 0 updated, 1 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	# a pipe, with a date column (read twice: spooled to TMPDIR)
	mkdir tmp
	printf '%s\n' 'Email,Created' 'x@example.com,23/01/2024' 'y@example.com,02/01/2024' |
		TMPDIR=$PWD/tmp leads import -q -
	run -0 sql "SELECT email, strftime('%Y-%m-%d', created_at, 'unixepoch') FROM leads WHERE import_batch = 2 ORDER BY id"
	assert_output $'x@example.com|2024-01-23\ny@example.com|2024-01-02'
	run -0 ls -A tmp
	assert_output ''
	run -0 sql "SELECT file FROM imports ORDER BY id"
	assert_output $'(stdin)\n(stdin)'
	run --separate-stderr leads import --strict - <<<$'Email,Name\nbad,x'
	assert_failure 65
	assert_equal "$stderr" "leads import: (stdin):2: invalid email 'bad'"
}

@test "standard input: an unusable TMPDIR is an I/O error" {
	dup_file
	TMPDIR=$PWD/nowhere run --separate-stderr leads import - <dup.csv
	assert_failure 74
	assert_equal "$stderr" "leads import: cannot create a temporary file in '$PWD/nowhere': No such file or directory"
}

@test "--list shows past imports" {
	dup_file
	leads import -q dup.csv
	printf 'Email\nzed@example.com\nbad\n' >two.csv
	leads import -q two.csv
	run --separate-stderr leads import --list --format tsv
	assert_success
	assert_output 'batch	started_at	actor	preset	file	counts	reverted_at
1	2026-11-24T09:00:00Z	tester	generic	dup.csv	{"read":4,"inserted":3,"updated":0,"duplicates":1,"rejected":0,"not_found":0,"warnings":0}	
2	2026-11-24T09:00:00Z	tester	generic	two.csv	{"read":2,"inserted":1,"updated":0,"duplicates":0,"rejected":1,"not_found":0,"warnings":0}	'
	run -0 leads import -l --format jsonl
	assert_line --index 1 '{"batch":2,"started_at":"2026-11-24T09:00:00Z","actor":"tester","preset":"generic","file":"two.csv","counts":{"read":2,"inserted":1,"updated":0,"duplicates":0,"rejected":1,"not_found":0,"warnings":0},"reverted_at":null}'
}

@test "--revert deletes the leads a batch created and restores what it updated" {
	add_lead --email ana@example.com --first Ana --company Old
	dup_file
	leads import -q --on-duplicate update dup.csv
	run -0 leads_now
	assert_output '1|ana@example.com|Ana|New Co|555-0101
2|bo@example.com|Bob|Bco2|555-0202
3|cy@example.com|Cy||'
	LEADS_NOW=2026-11-25T09:00:00Z run --separate-stderr leads import --revert 1
	assert_success
	assert_output ''
	assert_equal "$stderr" "leads import: reverted batch 1: 2 leads deleted, 2 restored"
	run -0 leads_now
	assert_output '1|ana@example.com|Ana|Old|'
	run -0 sql "SELECT kind FROM events WHERE lead_id = 1 ORDER BY id"
	assert_output $'created\nimport_update\nimport_reverted'
	run -0 leads import --list --format tsv
	assert_line --index 1 --regexp $'\t2026-11-25T09:00:00Z$'
	run --separate-stderr leads import --revert 1
	assert_failure 65
	assert_equal "$stderr" "leads import: import batch 1 was reverted already"
}

@test "--revert refuses when leads changed since, unless --force" {
	printf '%s\n' 'Email,First Name' 'a@example.com,A' 'b@example.com,B' 'c@example.com,C' >r.csv
	leads import -q r.csv
	leads note 2 'called, wants a demo'
	LEADS_NOW=2026-11-25T09:00:00Z leads edit 3 --company Changed
	run --separate-stderr leads import --revert 1
	assert_failure 65
	# (bats trims the leading blanks of the first line)
	assert_equal "$stderr" "changed since the import: #2 b@example.com
  changed since the import: #3 c@example.com
leads import: 2 leads of batch 1 changed since the import; use --force to revert anyway"
	run -0 sql "SELECT count(*) FROM leads"
	assert_output 3
	run --separate-stderr leads import --revert 1 --force
	assert_success
	assert_equal "${stderr_lines[2]}" "leads import: reverted batch 1: 3 leads deleted, 0 restored"
	run -0 sql "SELECT (SELECT count(*) FROM leads) || ' ' || (SELECT count(*) FROM events)"
	assert_output '0 0'
}

@test "--revert of a batch that does not exist" {
	run --separate-stderr leads import --revert 7
	assert_failure 66
	assert_equal "$stderr" "leads import: no database at '$LEADS_DB' (create it with 'leads init' or 'leads add')"
	leads init 2>/dev/null
	run --separate-stderr leads import --revert 7
	assert_failure 66
	assert_equal "$stderr" "leads import: no import batch 7 (see 'leads import --list')"
	run --separate-stderr leads import --revert seven
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads import: --revert wants a batch number (see 'leads import --list')"
}

@test "export -> import into an empty database is lossless" {
	for f in "$EXAMPLES"/import/*.csv; do
		leads import -q "$f"
	done
	add_lead --email z@example.com --first Zed --phone '+1 555 0100' --value '$1,234.50' \
		--field 'formula==SUM(A1)' --field 'k=-v' --category vip --priority high
	LEADS_NOW=2026-11-24T10:00:00Z leads move 1 --next
	LEADS_NOW=2026-11-24T11:00:00Z leads status 2 inactive
	LEADS_NOW=2026-11-24T12:00:00Z leads log 3 call
	n=$(sql "SELECT count(*) FROM leads")
	((n > 60)) || fail "only $n leads"
	leads export -O one.csv
	leads export --no-escape -O one-raw.csv
	# a later clock: nothing may take the import's time
	new_db two
	LEADS_NOW=2026-12-24T09:00:00Z LEADS_DB=$two run --separate-stderr leads import one.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "leads: $n read, $n inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	LEADS_DB=$two leads export -O two.csv
	LEADS_DB=$two leads export --no-escape -O two-raw.csv
	cmp one.csv two.csv
	cmp one-raw.csv two-raw.csv
	LEADS_DB=$two leads export --format json >two.json
	leads export --format json >one.json
	cmp one.json two.json
}

@test "a progress bar on a terminal only, never with -q" {
		command -v script >/dev/null || skip "no script(1) to give the import a terminal"
	script -qec true /dev/null >/dev/null 2>&1 || skip "no pseudo-terminal here (/dev/pts not mounted)"
	awk 'BEGIN { print "Email"; for (i = 1; i <= 10000; i++) printf "u%d@example.com\n", i }' >p.csv
	run -0 script -qec "'$LEADS_BIN' import p.csv" /dev/null
	assert_output --regexp $'^\r\\[#* *\\] +[0-9.]+%  4096 rows  [0-9]+ rows/s  ETA [0-9]+s '
	assert_output --partial $'\r\e[Kgeneric: 10000 read, 10000 inserted, '
	reset_db
	run -0 script -qec "'$LEADS_BIN' import -q p.csv" /dev/null
	assert_output ''
	# not a terminal: no bar (the other tests check stderr exactly)
}

@test "--revert refuses to undo an update that was changed again since" {
	add_lead --email ana@example.com --company Old
	printf 'Email,Company\nana@example.com,New\n' >u.csv
	leads import -q --on-duplicate update u.csv
	LEADS_NOW=2026-11-25T09:00:00Z leads edit 1 --company Mine
	run --separate-stderr leads import --revert 1
	assert_failure 65
	assert_equal "$stderr" "changed since the import: #1 ana@example.com
leads import: 1 lead of batch 1 changed since the import; use --force to revert anyway"
	run -0 sql "SELECT company FROM leads ORDER BY id"
	assert_output Mine
	run --separate-stderr leads import --revert 1 --force
	assert_success
	run -0 sql "SELECT company FROM leads ORDER BY id"
	assert_output Old
}

@test "imported leads without an owner are routed like added ones, unless --no-route" {
	cat >r.yaml <<'YAML'
team:
  - {name: ana, email: ana@example.com}
  - {name: ben, email: ben@example.com}
  - {name: cy, email: cy@example.com}
routing:
  rules:
    - {name: pool, assign: {round_robin: [ben, ana, cy]}}
YAML
	export LEADS_CONFIG=$PWD/r.yaml
	printf '%s\n' Email,Owner l1@example.com, l2@example.com,cy l3@example.com, l1@example.com, \
		l4@example.com, l5@example.com, >r.csv
	leads import -q --no-route r.csv
	run -0 sql "SELECT group_concat(coalesce(owner, '-'), ' ') FROM (SELECT owner FROM leads ORDER BY id) AS q"
	assert_output '- cy - - -'
	leads import -q --revert 1
	leads import -q r.csv
	run -0 sql "SELECT group_concat(coalesce(owner, '-') || '/' || coalesce(assigned_rule, '-'), ' ') FROM (SELECT owner, assigned_rule FROM leads WHERE import_batch = 2 ORDER BY id) AS q"
	assert_output 'ben/pool cy/- ana/pool cy/pool ben/pool'
	# one mail per member for the import: ben's lists his two leads, cy's
	# the one the file gave him and the one routed to him
	run -0 sql "SELECT rcpt || ' ' || kind FROM outbox ORDER BY id"
	assert_output $'ben@example.com assignment_digest\ncy@example.com assignment_digest\nana@example.com assignment'
	# reverting the batch takes back the mails it queued and did not send
	leads add -q --email keep@example.com >/dev/null
	run --separate-stderr leads import --revert 2
	assert_success
	assert_equal "$stderr" "leads import: reverted batch 2: 5 leads deleted, 0 restored"
	run -0 sql "SELECT count(*) FROM outbox WHERE lead_id IS NOT NULL OR sent_at IS NULL"
	assert_output 1
	run -0 sql "SELECT o.rcpt FROM outbox o JOIN leads l ON l.id = o.lead_id"
	assert_output ana@example.com
}
