#!/usr/bin/env bats
# leads import, mapping: every sample export under examples/import imports
# with no flags into the right fields, stages and statuses; --detect,
# --map, --map-file, --ignore, --stage-map, --status-map, owners.
load test_helper

SAMPLES=$EXAMPLES/import

untimed() {
	sed -E 's/ \([0-9]+\.[0-9]+s, [0-9]+ rows\/s\)/ (T)/' <<<"$1"
}

# Import a sample with no flags; expect exactly this summary.
import_sample() {
	run --separate-stderr leads import "$SAMPLES/$1"
	assert_success
	assert_output ''
	assert_equal "$(untimed "$stderr")" "$2"
}

# stage/status of every lead, in file order, on one line.
stages() {
	sql "SELECT group_concat(stage || '/' || status, ' ') FROM (SELECT stage, status FROM leads ORDER BY id) AS q"
}

# One lead's mapped fields, for spot checks.
lead_row() {
	sql "SELECT email, first_name, last_name, company, phone, title, owner, source,
		strftime('%Y-%m-%dT%H:%M:%SZ', created_at, 'unixepoch'), value, ext_source, ext_id,
		city, state, country, extra FROM leads WHERE id = $1"
}

@test "salesforce Data Loader export" {
	import_sample salesforce-dataloader.csv \
		"salesforce: 10 read, 10 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 stages
	assert_output "prospecting/new contacted/active prospecting/new closed-deal/new lost/unqualified contacted/active prospecting/new contacted/active closed-deal/new prospecting/new"
	run -0 lead_row 2
	assert_output 'zoe@fairchild-bakery.co.uk|Zoë|Fairchild|Fairchild & Sons, Bakers|+44 20 7946 0321|Owner|0055g00000FxKqTAAV|Phone Inquiry|2024-01-09T09:15:40Z||salesforce|00Q5g00000LmN1bEAF||||{"Status":"Working - Contacted","annual_revenue":"850000","Description":"Called back on Tuesday.\nWants pricing for 3 shops, not 5."}'
}

@test "salesforce report export, footer skipped" {
	import_sample salesforce-report.csv \
		"salesforce: 12 read, 12 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 stages
	assert_output "prospecting/new contacted/active prospecting/new closed-deal/new contacted/active lost/unqualified prospecting/new contacted/active closed-deal/new prospecting/new contacted/active prospecting/new"
	run -0 lead_row 2
	assert_output 'marcus@leepartners.com|Marcus|Lee|Lee & Partners, LLP|(212) 555-0187|Head of IT|Dana Whitfield|Partner Referral|2024-01-09T14:45:00Z||salesforce|00Q5g00000KqA1bEAF||NY||{"Lead Status":"Working - Contacted","Zip/Postal Code":"10004"}'
}

@test "hubspot export with labels: the stage furthest along of two columns" {
	import_sample hubspot.csv \
		"hubspot: 10 read, 10 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 stages
	assert_output "prospecting/new contacted/active prospecting/active contacted/active proposal-sent/active proposal-sent/active prospecting/inactive lost/unqualified customer/active prospecting/new"
	run -0 lead_row 4
	assert_output 'carlos.souza@paulistaseguros.com.br|Carlos|Souza|Paulista Seguros|+55 11 5555-0123|Gerente de TI|Rafael Ortiz|Referrals|2024-01-19T13:27:00Z||hubspot|51234504||||{"Lead Status":"In Progress","Lifecycle Stage":"Sales Qualified Lead","Message":"Needs SSO.\nAlso asked about \"bulk import\""}'
}

@test "hubspot export with internal names and epoch-ms dates imports the same" {
	import_sample hubspot-internal.csv \
		"hubspot: 10 read, 10 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 sql "SELECT group_concat(stage || '/' || status || '/' || created_at, ' ') FROM leads"
	internal=$output
	new_db labels
	LEADS_DB=$labels leads import -q "$SAMPLES/hubspot.csv"
	LEADS_DB=$labels run -0 sql "SELECT group_concat(stage || '/' || status || '/' || created_at, ' ') FROM leads"
	assert_equal "$internal" "$output"
	run -0 lead_row 2
	assert_output 'jonas@bergsolutions.se|Jonas|Berg|Berg Solutions AB|+46 8 555 012 34|Founder|41237712|PAID_SOCIAL|2024-01-05T15:40:00Z||hubspot|60100202||||{"hs_lead_status":"ATTEMPTED_TO_CONTACT","lifecyclestage":"marketingqualifiedlead","message":"Clicked the LinkedIn ad, twice"}'
}

@test "zoho export: day-first dates, the .id twin kept as a custom field" {
	import_sample zoho.csv \
		"zoho: 9 read, 9 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 stages
	assert_output "prospecting/new contacted/active contacted/active contacted/inactive contacted/active lost/unqualified lost/unqualified lost/new contacted/active"
	run -0 lead_row 2
	assert_output '|Sunita|Iyer|Iyer & Iyer Associates|+91 44 5555 0102|Partner|Anita Desai|Cold Call|2024-01-05T14:40:00Z||zoho|zcrm_5725767000000412004||||{"Lead Owner.id":"zcrm_5725767000000315001","Lead Status":"Attempted to Contact","annual_revenue":"1200000","Description":"No answer twice; left voicemail"}'
}

@test "pipedrive export: full names split, values in cents" {
	import_sample pipedrive.csv \
		"pipedrive: 9 read, 9 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 stages
	assert_output "prospecting/new prospecting/new prospecting/new prospecting/new prospecting/new prospecting/new prospecting/new prospecting/new prospecting/new"
	run -0 lead_row 2
	assert_output 'lucia@verdecafe.es|Lucía Fernández|García|Verde Café, S.L.|+34 91 555 0202||Dana Whitfield|Manually created|2024-01-18T14:30:00Z|450000|pipedrive|8b6f7c1e-2f4a-4c53-9d1e-0a1b2c3d4e02||||{"Lead - Title":"Verde Café expansion","Lead - Labels":"Warm","Organization - Address":"Calle Mayor 10\n28013 Madrid"}'
	run -0 sql "SELECT first_name, last_name FROM leads WHERE id IN (7, 8) ORDER BY id"
	assert_output $'Cher|\nMartin Luther|King Jr.'
}

@test "suitecrm export: every field quoted, CRLF, d.m.Y dates, second phone" {
	import_sample suitecrm.csv \
		"suitecrm: 9 read, 9 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 stages
	assert_output "prospecting/new prospecting/active contacted/active closed-deal/new prospecting/inactive lost/unqualified prospecting/new contacted/active prospecting/active"
	run -0 lead_row 4
	assert_output 'giulia.romano@romano-arredi.it|Giulia|Romano|Romano Arredamenti S.r.l.|+39 02 555 0304|Responsabile Acquisti|admin|Partner|2024-01-30T16:20:00Z||suitecrm|3f1c2b9e-1a2b-4c3d-8e9f-000000000304|Milano||Italy|{"Status":"Converted","Description":"Converted to account \"Romano Arredamenti\""}'
	run -0 sql "SELECT phone, json_extract(extra, '$.Mobile') FROM leads WHERE id IN (1, 2) ORDER BY id"
	assert_output $'+49 30 555 0301|+49 170 555 0301\n+31 20 555 0302|'
}

@test "a second phone column fills the phone only when the first is empty" {
	printf '%s\r\n' '"first_name","email1","phone_work","phone_mobile"' \
		'"Ana","ana@example.com","555-0101","555-0199"' '"Bo","bo@example.com","","555-0299"' >s.csv
	leads import -q s.csv
	run -0 sql "SELECT ext_source, phone, extra FROM leads ORDER BY id"
	assert_output 'suitecrm|555-0101|{"phone_mobile":"555-0199"}
suitecrm|555-0299|'
}

@test "close export: companies with a primary contact, custom.* fields" {
	import_sample close.csv \
		"close: 9 read, 9 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 stages
	assert_output "prospecting/new contacted/active prospecting/new customer/new lost/unqualified contacted/active prospecting/new customer/new prospecting/new"
	run -0 lead_row 4
	assert_output 'samuel@redwoodanalytics.io|Samuel|Adeyemi|Redwood Analytics|+1 415 555 0404|Head of Data||Outbound|2024-01-27T03:15:31Z||close|lead_2dE4fG6hI8jK0lM2nO4pQ5||||{"status_label":"Customer","url":"https://app.close.com/lead/lead_2dE4fG6hI8jK0lM2nO4pQ5/","description":"Closed annual plan.\nRenewal due Jan 2025","Industry":"Software","Seats":"40"}'
}

@test "every imported lead records its batch and line, shown as imported" {
	leads import -q "$SAMPLES/hubspot.csv"
	run -0 sql "SELECT import_batch, source_line FROM leads WHERE id IN (4, 5) ORDER BY id"
	# the quoted notes of row 4 span two lines
	assert_output $'1|5\n1|7'
	run -0 leads show 5
	assert_line --regexp "^  2026-11-24 09:00 +tester +imported +from .*/hubspot.csv line 7 \(hubspot, batch 1\)$"
	run -0 leads show 5 --format json
	assert_output --regexp '"data": \{"batch":1,"preset":"hubspot","file":".*/hubspot.csv","line":7\}'
}

@test "--detect prints the preset and the mapping, and imports nothing" {
	run --separate-stderr leads import --detect "$SAMPLES/zoho.csv"
	assert_success
	assert_equal "$stderr" ""
	assert_output 'preset: zoho (Zoho CRM leads, contacts or accounts export, confidence high)
COLUMN          FIELD                 BY
Record Id       ext_id                preset
Lead Owner      owner                 preset
Lead Owner.id   extra.Lead Owner.id   preset
First Name      first_name            preset
Last Name       last_name             preset
Email           email                 preset
Company         company               preset
Designation     title                 preset
Phone           phone                 preset
Lead Source     source                preset
Lead Status     status                preset
Annual Revenue  extra.annual_revenue  preset
Created Time    created_at            preset
Description     extra.Description     preset'
	run ! db_exists # --detect needs no database and creates none
}

@test "--detect picks each sample's vendor" {
	for f in "$SAMPLES"/*.csv; do
		base=$(basename "$f" .csv)
		run -0 leads import --detect "$f"
		[[ ${lines[0]} == "preset: ${base%%-*} ("*", confidence high)" ]] ||
			fail "$base: ${lines[0]}"
	done
}

@test "--detect shows --preset, --map and --ignore; --format tsv gives the table only" {
	run --separate-stderr leads import --detect -p generic --ignore description \
		--map 'Lead Owner.id=extra.owner_id,Designation=-' "$SAMPLES/zoho.csv"
	assert_success
	assert_line --index 0 'preset: generic (any CSV with common column names, chosen with --preset)'
	assert_line --index 4 'Lead Owner.id   extra.owner_id        user'
	assert_line --index 9 'Designation     -                     user'
	assert_line --index 13 'Annual Revenue  extra.Annual Revenue  default'
	assert_line --index 15 'Description     -                     user'
	run --separate-stderr leads import --detect --format tsv "$SAMPLES/close.csv"
	assert_success
	assert_line --index 0 $'column\ttarget\tby'
	assert_line --index 1 $'id\text_id\tpreset'
	assert_line --index 4 $'primary_contact_name\tname (split into first_name, last_name)\tpreset'
	assert_line --index 12 $'custom.Industry\textra.Industry\tpreset'
}

@test "columns nobody knows become custom fields" {
	printf 'Email,Favourite Colour,Shoe Size\nana@example.com,teal,38\nbo@example.com,,\n' >c.csv
	leads import -q c.csv
	run -0 sql "SELECT email, extra FROM leads ORDER BY id"
	assert_output $'ana@example.com|{"Favourite Colour":"teal","Shoe Size":"38"}\nbo@example.com|'
}

@test "--map: the last = splits, quotes protect commas, repeated" {
	printf '%s\n' 'E-mail Address,Firma,"Name, Full",a=b,Junk' \
		'ana@example.com,Acme,Ana Maria Lima,x,zzz' >m.csv
	run --separate-stderr leads import --map 'E-mail Address=email,Firma=company' \
		--map '"Name, Full"=name,a=b=extra.eq' --ignore junk m.csv
	assert_success
	run -0 sql "SELECT email, first_name, last_name, company, extra FROM leads ORDER BY id"
	assert_output 'ana@example.com|Ana Maria|Lima|Acme|{"eq":"x"}'
}

@test "--map-file: one mapping a line, commas need no quotes, # comments" {
	printf '%s\n' 'E-mail Address,Firma,"Name, Full",Notes' \
		'ana@example.com,Acme,"Lima, Ana",hello' >m.csv
	printf '%s\n' '# our old spreadsheet' 'E-mail Address = email' '' 'Firma=company' \
		'Name, Full=name' 'Notes=extra.memo' >cols.map
	leads import -q --map-file cols.map m.csv
	run -0 sql "SELECT email, first_name, last_name, company, extra FROM leads ORDER BY id"
	assert_output 'ana@example.com|Ana|Lima|Acme|{"memo":"hello"}'
}

@test "--map and --ignore errors are usage errors naming the column" {
	printf 'E-mail Address,Firma,Notes\nana@example.com,Acme,x\n' >m.csv
	run --separate-stderr leads import --map 'Nope=email' m.csv
	assert_failure 64
	assert_equal "$stderr" "leads import: no column 'Nope' in the header (did you mean 'Notes'?)"
	run --separate-stderr leads import --map 'Firma=shoe_size' m.csv
	assert_failure 64
	assert_equal "$stderr" "leads import: column 'Firma': unknown field 'shoe_size' (a lead field, name, extra, extra.NAME or -)"
	run --separate-stderr leads import --map 'Firma=id' m.csv
	assert_failure 64
	assert_equal "$stderr" "leads import: column 'Firma': field 'id' cannot be imported"
	run --separate-stderr leads import --ignore 'Firm' m.csv
	assert_failure 64
	assert_equal "$stderr" "leads import: no column 'Firm' in the header (did you mean 'Firma'?)"
	printf 'Firma\n' >bad.map
	run --separate-stderr leads import --map-file bad.map m.csv
	assert_failure 64
	[[ $stderr == "leads import: bad.map:1: "* ]] || fail "$stderr"
	run --separate-stderr leads import --map-file none.map m.csv
	assert_failure 66
	assert_equal "$stderr" "leads import: cannot open map file 'none.map': No such file or directory"
	run -0 sql "SELECT count(*) FROM leads"
	assert_output 0
}

@test "an unknown preset is a usage error listing them" {
	run --separate-stderr leads import -p oracle "$SAMPLES/zoho.csv"
	assert_failure 64
	assert_equal "$stderr" "leads import: unknown preset 'oracle' (presets: salesforce, hubspot, zoho, pipedrive, suitecrm, close, leads, generic)"
}

@test "unknown status values: first stage, kept in extra, counted as warnings" {
	printf 'Email,Status\na@example.com,Hot\nb@example.com,Cold\nc@example.com,Contacted\n' >v.csv
	run --separate-stderr leads import v.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "generic: 3 read, 3 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 2 warnings (T); batch 1
first warning: line 2: column 'Status': unknown value 'Hot'"
	run -0 sql "SELECT stage, status, extra FROM leads ORDER BY id"
	assert_output 'prospecting|new|{"Status":"Hot"}
prospecting|new|{"Status":"Cold"}
contacted|new|'
}

@test "--stage-map and --status-map give values a meaning" {
	printf 'Email,Status\na@example.com,Hot\nb@example.com,Cold\nc@example.com,Dormant\n' >v.csv
	run --separate-stderr leads import --stage-map 'Hot=Proposal Sent,Cold=lost' \
		--status-map 'Dormant=inactive,Hot=active' v.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "generic: 3 read, 3 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 sql "SELECT stage, status, extra FROM leads ORDER BY id"
	assert_output 'proposal-sent|active|{"Status":"Hot"}
lost|new|{"Status":"Cold"}
prospecting|inactive|{"Status":"Dormant"}'
}

@test "the config's import: section maps values for every import, --stage-map wins" {
	cat >c.yaml <<'YAML'
import:
  stages: {Hot: Proposal Sent, Cold: Lost, Working - Contacted: Appointment Set}
  statuses: {Dormant: inactive}
YAML
	export LEADS_CONFIG=$PWD/c.yaml
	printf 'Email,Status\na@example.com,Hot\nb@example.com,Cold\nc@example.com,Dormant\n' >v.csv
	run --separate-stderr leads import v.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "generic: 3 read, 3 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 sql "SELECT stage, status FROM leads ORDER BY id"
	assert_output 'proposal-sent|new
lost|new
prospecting|inactive'
	# over a vendor's own vocabulary too, and under the command line's
	new_db sf
	LEADS_DB=$sf leads import -q "$SAMPLES/salesforce-dataloader.csv"
	LEADS_DB=$sf run -0 sql "SELECT stage FROM leads WHERE id = 2 ORDER BY id"
	assert_output appointment-set
	new_db cli
	LEADS_DB=$cli leads import -q --stage-map 'Hot=Contacted' v.csv
	LEADS_DB=$cli run -0 sql "SELECT stage FROM leads WHERE id = 1 ORDER BY id"
	assert_output contacted
	run -0 leads config show
	assert_output --partial $'import:\n  stages:\n    Hot: Proposal Sent'
}

@test "an import: section with an unknown stage or status is a config error" {
	cat >c.yaml <<'YAML'
import:
  stages: {Hot: Nowhere}
  statuses: {Dormant: asleep}
  columns: {}
YAML
	export LEADS_CONFIG=$PWD/c.yaml
	printf 'Email\na@example.com\n' >v.csv
	run --separate-stderr leads import v.csv
	assert_failure 78
	assert_output ''
	assert_equal "${stderr_lines[0]}" "error: $PWD/c.yaml:2:17: unknown stage 'Nowhere' for 'Hot' in import stages"
	assert_equal "${stderr_lines[3]}" "error: $PWD/c.yaml:3:23: unknown status 'asleep' for 'Dormant' in import statuses (new, active, inactive, unqualified)"
	assert_equal "${stderr_lines[6]}" "error: $PWD/c.yaml:4:3: unknown key 'columns' in import (expected: stages, statuses, owners)"
	assert_equal "${stderr_lines[9]}" "leads import: 3 errors in config '$PWD/c.yaml'"
	# nothing was written: not even a database
	run ! db_exists
}

@test "--stage-map overrides a vendor's vocabulary" {
	leads import -q --stage-map 'Working - Contacted=Appointment Set' "$SAMPLES/salesforce-dataloader.csv"
	run -0 sql "SELECT stage, status FROM leads WHERE id = 2 ORDER BY id"
	assert_output 'appointment-set|active'
}

@test "--stage-map and --status-map refuse unknown stages and statuses" {
	printf 'Email,Status\na@example.com,Hot\n' >v.csv
	run --separate-stderr leads import --stage-map 'Hot=Nowhere' v.csv
	assert_failure 64
	assert_equal "$stderr" "leads import: unknown stage 'Nowhere' for 'Hot' (stages: Prospecting, Contacted, Appointment Set, Proposal Sent, Customer Agreed, Closed Deal, Customer, Lost)"
	run --separate-stderr leads import --status-map 'Hot=boiling' v.csv
	assert_failure 64
	assert_equal "$stderr" "leads import: unknown status 'boiling' for 'Hot' (new, active, inactive, unqualified)"
}

team_config() {
	cat >team.yaml <<'YAML'
pipeline:
  stages:
    - {name: Open, group: active}
    - {name: Talking, group: active}
    - {name: Won, group: won}
    - {name: Lost, group: lost}
team:
  - {name: ana, email: ana@example.com}
  - {name: ben, email: ben@example.com}
YAML
}

@test "owners are matched to team members by name or email; unknown ones are kept as source_owner" {
	team_config
	printf '%s\n' 'Email,Owner' 'l1@example.com,ana' 'l2@example.com,BEN@Example.com' \
		'l3@example.com,Zed Unknown' 'l4@example.com,' 'l5@example.com,zed' 'l6@example.com,ZED UNKNOWN' >o.csv
	run --separate-stderr leads -c team.yaml import o.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "generic: 6 read, 6 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 3 warnings (T); batch 1
first warning: line 4: unknown owner 'Zed Unknown' (kept as source_owner)
owners not in the team (kept as source_owner; map them with --owner-map): Zed Unknown, zed"
	run -0 sql "SELECT email, coalesce(owner, '-'), stage, coalesce(json_extract(extra, '$.source_owner'), '') FROM leads ORDER BY id"
	assert_output 'l1@example.com|ana|open|
l2@example.com|ben|open|
l3@example.com|-|open|Zed Unknown
l4@example.com|-|open|
l5@example.com|-|open|zed
l6@example.com|-|open|ZED UNKNOWN'
	# shown by show, usable in routing conditions (a custom field)
	run -0 leads -c team.yaml show 3
	assert_output --partial 'Zed Unknown'
}

@test "--owner-map and import.owners map the old CRM's owners to team members" {
	team_config
	cat >>team.yaml <<'YAML'
import:
  owners: {jsmith: ana, "005Dn000001AbCd": ben, Old Timer: "-"}
YAML
	printf '%s\n' 'Email,Owner' 'l1@example.com,JSmith' 'l2@example.com,005Dn000001AbCd' \
		'l3@example.com,Old Timer' 'l4@example.com,Zed' 'l5@example.com,Mary Q' >o.csv
	printf '%s\n' 'old,new' 'Zed,ben@example.com' '# a comment' '"Smith, John",ana' >owners.csv
	run --separate-stderr leads -c team.yaml import --owner-map owners.csv o.csv
	assert_success
	assert_equal "${stderr_lines[2]}" "owners not in the team (kept as source_owner; map them with --owner-map): Mary Q"
	run -0 sql "SELECT email, coalesce(owner, '-') FROM leads ORDER BY id"
	assert_output 'l1@example.com|ana
l2@example.com|ben
l3@example.com|-
l4@example.com|ben
l5@example.com|-'
	# --detect lists them before anything is written
	run --separate-stderr leads -c team.yaml import --detect --owner-map owners.csv o.csv
	assert_success
	assert_equal "$stderr" "leads import: owners not in the team (would be kept as source_owner; map them with --owner-map): Mary Q"
	printf '%s\n' 'Zed,nobody' >bad.csv
	run --separate-stderr leads -c team.yaml import --owner-map bad.csv o.csv
	assert_failure 65
	assert_equal "$stderr" "leads import: --owner-map bad.csv:1: 'nobody' is no team member (for owner 'Zed')"
	run --separate-stderr leads -c team.yaml import --owner-map missing.csv o.csv
	assert_failure 66
}

@test "without a team, owners are kept as they are" {
	import_sample hubspot.csv \
		"hubspot: 10 read, 10 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 0 warnings (T); batch 1"
	run -0 sql "SELECT group_concat(owner) FROM (SELECT DISTINCT owner FROM leads ORDER BY owner) AS q"
	assert_output 'Dana Whitfield,Priya Nair,Rafael Ortiz'
}

@test "vendor vocabularies resolve against the configured pipeline" {
	team_config
	leads -c team.yaml import -q "$SAMPLES/salesforce-dataloader.csv"
	run -0 sql "SELECT group_concat(stage || '/' || status, ' ') FROM (SELECT stage, status FROM leads ORDER BY id) AS q"
	assert_output "open/new talking/active open/new won/new lost/unqualified talking/active open/new talking/active won/new open/new"
}
