#!/usr/bin/env bats
# leads import, dates: each format, detection from the whole column,
# ambiguous columns, impossible dates, --date-format.
load test_helper

untimed() {
	sed -E 's/ \([0-9]+\.[0-9]+s, [0-9]+ rows\/s\)/ (T)/' <<<"$1"
}

# The creation times of all leads, in UTC, one a line.
created() {
	sql "SELECT email || ' ' || strftime('%Y-%m-%dT%H:%M:%SZ', created_at, 'unixepoch') FROM leads ORDER BY id"
}

@test "ISO 8601 with fraction and zone, and plain ISO dates" {
	printf '%s\n' 'Email,Created Date' 'a@example.com,2024-03-14T09:30:15.250+01:00' \
		'b@example.com,2024-03-14' 'c@example.com,2024-03-14T23:59:59Z' >d.csv
	leads import -q d.csv
	run -0 created
	assert_output 'a@example.com 2024-03-14T08:30:15Z
b@example.com 2024-03-14T00:00:00Z
c@example.com 2024-03-14T23:59:59Z'
}

@test "MM/DD/YYYY with AM/PM" {
	printf '%s\n' 'Email,Create Date' 'a@example.com,3/14/2024 9:30 PM' \
		'b@example.com,03/04/2024 12:05 AM' 'c@example.com,12/31/2024 12:00 PM' \
		'd@example.com,"1/5/2024, 7:15 am"' >d.csv
	leads import -q d.csv
	run -0 created
	assert_output 'a@example.com 2024-03-14T21:30:00Z
b@example.com 2024-03-04T00:05:00Z
c@example.com 2024-12-31T12:00:00Z
d@example.com 2024-01-05T07:15:00Z'
}

@test "DD.MM.YYYY dotted, with and without a time" {
	printf '%s\n' 'Email,Date Created' 'a@example.com,14.03.2024' 'b@example.com,01.02.2024 08:15' >d.csv
	leads import -q d.csv
	run -0 created
	assert_output $'a@example.com 2024-03-14T00:00:00Z\nb@example.com 2024-02-01T08:15:00Z'
}

@test "DD/MM/YYYY: one day over 12 settles the whole column" {
	printf '%s\n' 'Email,Created' 'a@example.com,02/01/2024 10:15' 'b@example.com,05/01/2024' \
		'c@example.com,23/01/2024 09:00' >d.csv
	leads import -q d.csv
	run -0 created
	assert_output 'a@example.com 2024-01-02T10:15:00Z
b@example.com 2024-01-05T00:00:00Z
c@example.com 2024-01-23T09:00:00Z'
}

@test "epoch milliseconds and seconds" {
	printf '%s\n' 'Email,createdate' 'a@example.com,1710408615000' 'b@example.com,1704276840000' >ms.csv
	leads import -q ms.csv
	printf '%s\n' 'Email,Created' 'c@example.com,1710408615' >s.csv
	leads import -q s.csv
	run -0 created
	assert_output 'a@example.com 2024-03-14T09:30:15Z
b@example.com 2024-01-03T10:14:00Z
c@example.com 2024-03-14T09:30:15Z'
}

@test "an ambiguous column stops the import and asks for --date-format" {
	printf '%s\n' 'Email,Created' 'a@example.com,03/04/2024' 'b@example.com,05/06/2024' >d.csv
	run --separate-stderr leads import d.csv
	assert_failure 65
	assert_output ''
	assert_equal "$stderr" "leads import: d.csv: column 'Created': dates like '03/04/2024' may be MM/DD/YYYY or DD/MM/YYYY; say which with --date-format mdy or --date-format dmy"
	run -0 sql "SELECT count(*) FROM leads"
	assert_output 0
	run -0 sql "SELECT count(*) FROM imports"
	assert_output 0
}

@test "--date-format settles an ambiguous column" {
	printf '%s\n' 'Email,Created' 'a@example.com,03/04/2024' 'b@example.com,05/06/2024' >d.csv
	leads import -q --date-format dmy d.csv
	run -0 created
	assert_output $'a@example.com 2024-04-03T00:00:00Z\nb@example.com 2024-06-05T00:00:00Z'
	reset_db
	leads import -q --date-format mdy d.csv
	run -0 created
	assert_output $'a@example.com 2024-03-04T00:00:00Z\nb@example.com 2024-05-06T00:00:00Z'
}

@test "a column whose days always equal their months is not ambiguous" {
	printf '%s\n' 'Email,Created' 'a@example.com,03/03/2024' 'b@example.com,11/11/2024' >d.csv
	leads import -q d.csv
	run -0 created
	assert_output $'a@example.com 2024-03-03T00:00:00Z\nb@example.com 2024-11-11T00:00:00Z'
}

@test "an impossible date keeps the lead: the text in a custom field, a warning naming line and column" {
	printf '%s\n' 'Email,Created' 'a@example.com,02/30/2024' 'b@example.com,12/31/2024' \
		'c@example.com,soon' 'd@example.com,' >d.csv
	run --separate-stderr leads import --rejects rej.csv d.csv
	assert_success
	assert_equal "$(untimed "$stderr")" "generic: 4 read, 4 inserted, 0 updated, 0 duplicates skipped, 0 rejected, 2 warnings (T); batch 1
first warning: line 2: column 'Created': '02/30/2024' is not a date in the mdy format; kept as a custom field"
	run -0 sql "SELECT email, coalesce(extra, '') FROM leads ORDER BY id"
	assert_output 'a@example.com|{"Created":"02/30/2024"}
b@example.com|
c@example.com|{"Created":"soon"}
d@example.com|'
	# no date: created now
	run -0 created
	assert_output $'a@example.com 2026-11-24T09:00:00Z\nb@example.com 2024-12-31T00:00:00Z\nc@example.com 2026-11-24T09:00:00Z\nd@example.com 2026-11-24T09:00:00Z'
}

@test "--strict makes an unreadable date a reject" {
	printf '%s\n' 'Email,Created' 'a@example.com,02/30/2024' >d.csv
	run --separate-stderr leads import --strict d.csv
	assert_failure 65
	assert_equal "${stderr_lines[0]}" "leads import: d.csv:2: column 'Created': '02/30/2024' is not a date; kept as a custom field"
	run -0 sql "SELECT count(*) FROM leads"
	assert_output 0
}

@test "a column that mixes formats reads each value as it comes" {
	printf '%s\n' 'Email,Created' 'a@example.com,03/14/2024' 'b@example.com,2024-03-14' \
		'c@example.com,04/05/2024' >d.csv
	run --separate-stderr leads import d.csv
	assert_success
	run -0 created
	assert_output $'a@example.com 2024-03-14T00:00:00Z\nb@example.com 2024-03-14T00:00:00Z\nc@example.com 2024-04-05T00:00:00Z'
}

@test "with --date-format a value in another format is kept as text" {
	printf '%s\n' 'Email,Created' 'a@example.com,03/14/2024' 'b@example.com,2024-03-14' >d.csv
	run --separate-stderr leads import --date-format mdy d.csv
	assert_success
	assert_equal "${stderr_lines[1]}" "first warning: line 3: column 'Created': '2024-03-14' is not a date in the mdy format; kept as a custom field"
	run -0 created
	assert_output $'a@example.com 2024-03-14T00:00:00Z\nb@example.com 2026-11-24T09:00:00Z'
}

@test "each date column is detected on its own, day/month order for the whole file" {
	printf '%s\n' 'Email,Created,Last Modified Date' 'a@example.com,14/03/2024,2024-03-20T10:00:00Z' \
		'b@example.com,01/02/2024,2024-03-21' >d.csv
	leads import -q --map 'Last Modified Date=updated_at' d.csv
	run -0 sql "SELECT strftime('%Y-%m-%d', created_at, 'unixepoch'), strftime('%Y-%m-%dT%H:%M', updated_at, 'unixepoch') FROM leads ORDER BY id"
	assert_output $'2024-03-14|2024-03-20T10:00\n2024-02-01|2024-03-21T00:00'
}

@test "a column of ambiguous dates takes the order another column proves" {
	# Create Date proves month first; Last Activity only holds ambiguous dates
	printf '%s\n' 'Email,Create Date,Last Activity' 'a@example.com,3/14/2024,4/5/2024' \
		'b@example.com,3/15/2024,6/7/2024' >d.csv
	run --separate-stderr leads import --map 'Last Activity=last_activity_at' d.csv
	assert_success
	run -0 sql "SELECT strftime('%Y-%m-%d', created_at, 'unixepoch'), strftime('%Y-%m-%d', last_activity_at, 'unixepoch') FROM leads ORDER BY id"
	assert_output $'2024-03-14|2024-04-05\n2024-03-15|2024-06-07'
	# with no column to prove it, leads asks
	printf '%s\n' 'Email,Last Activity' 'a@example.com,4/5/2024' >d2.csv
	run --separate-stderr leads import --map 'Last Activity=last_activity_at' d2.csv
	assert_failure 65
}

@test "no value proves the order: the file's locale decides, and the summary says which rule did" {
	# a Zoho export with 24-hour times: its month-first locales write AM/PM
	f=$FIXTURES/import/vendors/zoho-accounts.csv
	rule="leads import: dates: 'Created Time', 'Modified Time', 'Last Activity Time' read day first (DD/MM), as it is a zoho export with 24-hour times ('03/01/2024 10:15'), which its month-first locales write with AM/PM; if not, say --date-format mdy"
	run --separate-stderr leads import --detect "$f"
	assert_success
	assert_equal "$stderr" "$rule"
	run --separate-stderr leads import "$f"
	assert_success
	assert_equal "${stderr_lines[0]}" "$rule"
	run -0 sql "SELECT company, strftime('%Y-%m-%dT%H:%M', created_at, 'unixepoch'), strftime('%Y-%m-%dT%H:%M', updated_at, 'unixepoch') FROM leads ORDER BY id"
	assert_output 'Raman & Sons, Chennai|2024-01-03T10:15|2024-02-04T09:00
Müller Maschinenbau GmbH|2024-02-07T14:30|2024-02-07T14:30
Harbourview Realty|2024-03-11T08:05|2024-03-12T19:45'
	# the same dates with AM/PM say nothing: asked for
	new_db LEADS_DB ampm
	sed -E 's#(/2024 [0-9:]+)#\1 AM#g' "$f" >ampm.csv
	run --separate-stderr leads import ampm.csv
	assert_failure 65
	[[ $stderr == *"column 'Created Time': dates like '03/01/2024 10:15 AM' may be MM/DD/YYYY or DD/MM/YYYY; say which with --date-format mdy or --date-format dmy" ]] || fail "$stderr"
	# nor does a 24-hour clock in a file no vendor's locale wrote
	printf '%s\n' 'Email,Created' 'a@example.com,03/04/2024 16:20' >generic.csv
	run --separate-stderr leads import generic.csv
	assert_failure 65
}

@test "the locale: a header or Salesforce report footer in German or French, dates with the month's name, a ';' delimiter" {
	printf '%s\n' '"Lead Owner","First Name","Last Name","Company / Account","Email","Lead Status","Create Date"' \
		'"Anna Schmidt","Jürgen","Weiß","Müller GmbH","j@mueller.example.de","Open - Not Contacted","03/04/2024"' \
		'' '"Gesamtsummen (1 Datensätze)","","","","","",""' '' \
		'"Vertrauliche Informationen - Nicht weitergeben","","","","","",""' >sf.csv
	run --separate-stderr leads import sf.csv
	assert_success
	assert_equal "${stderr_lines[0]}" "leads import: dates: 'Create Date' read day first (DD/MM), as the report's footer is in German, a language whose dates are day first; if not, say --date-format mdy"
	run -0 sql "SELECT strftime('%Y-%m-%d', created_at, 'unixepoch') FROM leads"
	assert_output 2024-04-03
	# a report whose header is French (no footer): its labels map, its dates are day first
	new_db LEADS_DB fr
	printf '%s\n' '"Propriétaire du lead","Prénom","Nom","Société/Compte","E-mail","Statut du lead","Date de création"' \
		'"Claire Dubois","Éloïse","L'"'"'Hôte","Café de la Gare","eloise@cafe.example.fr","Working - Contacted","03/04/2024 09:30"' >fr.csv
	run --separate-stderr leads import fr.csv
	assert_success
	assert_equal "${stderr_lines[0]}" "leads import: dates: 'Date de création' read day first (DD/MM), as the header is in French (column 'Propriétaire du lead'), a language whose dates are day first; if not, say --date-format mdy"
	run -0 sql "SELECT ext_source, owner, company, stage, strftime('%Y-%m-%dT%H:%M', created_at, 'unixepoch') FROM leads"
	assert_output 'salesforce|Claire Dubois|Café de la Gare|contacted|2024-04-03T09:30'
	# the month's name after the day: day first; before it: month first
	new_db LEADS_DB named
	printf '%s\n' 'Email,Created' 'a@example.com,03/04/2024' 'b@example.com,5 Jun 2024' >dm.csv
	run --separate-stderr leads import dm.csv
	assert_success
	assert_equal "${stderr_lines[0]}" "leads import: dates: 'Created' read day first (DD/MM), as column 'Created' writes the day before the month's name ('5 Jun 2024'); if not, say --date-format mdy"
	printf '%s\n' 'Email,Created' 'c@example.com,03/04/2024' 'd@example.com,"Jun 5, 2024"' >md.csv
	run --separate-stderr leads import md.csv
	assert_success
	assert_equal "${stderr_lines[0]}" "leads import: dates: 'Created' read month first (MM/DD), as column 'Created' writes the month's name before the day ('Jun 5, 2024'); if not, say --date-format dmy"
	run -0 sql "SELECT email || ' ' || strftime('%Y-%m-%d', created_at, 'unixepoch') FROM leads ORDER BY id"
	assert_output $'a@example.com 2024-04-03\nb@example.com 2024-06-05\nc@example.com 2024-03-04\nd@example.com 2024-06-05'
	# both ways: the hints disagree, so it is asked for
	printf '%s\n' 'Email,Created' 'e@example.com,03/04/2024' 'f@example.com,5 Jun 2024' 'g@example.com,"Jun 5, 2024"' >both.csv
	run --separate-stderr leads import --detect both.csv
	assert_success
	assert_equal "$stderr" "leads import: dates: 'Created' may be month or day first: the file's hints disagree: column 'Created' writes the day before the month's name ('5 Jun 2024'), but column 'Created' writes the month's name before the day ('Jun 5, 2024'); the import asks for --date-format mdy or dmy"
	run --separate-stderr leads import both.csv
	assert_failure 65
	# the list separator of the decimal-comma locales
	new_db LEADS_DB semi
	printf '%s\n' 'Email;Created' 'a@example.com;03/04/2024' >semi.csv
	run --separate-stderr leads import semi.csv
	assert_success
	assert_equal "${stderr_lines[0]}" "leads import: dates: 'Created' read day first (DD/MM), as the file is separated by ';', the list separator of the locales with a decimal comma, which all write the day first; if not, say --date-format mdy"
	# but a value that proves the order comes first
	printf '%s\n' 'Email;Created;Last Activity' 'b@example.com;3/14/2024;04/05/2024' >proof.csv
	run --separate-stderr leads import --map 'Last Activity=last_activity_at' proof.csv
	assert_success
	assert_equal "${stderr_lines[0]}" "leads import: dates: 'Last Activity' read month first (MM/DD), as column 'Created' proves it ('3/14/2024'); if not, say --date-format dmy"
	run -0 sql "SELECT strftime('%Y-%m-%d', last_activity_at, 'unixepoch') FROM leads WHERE email = 'b@example.com'"
	assert_output 2024-04-05
}

@test "two-digit years, month names in five languages, weekdays, zones, epochs" {
	printf '%s\n' 'Email,Created' 'a@example.com,3/14/24' 'b@example.com,"Mar 14, 2024"' \
		'c@example.com,14-Mar-2024' 'd@example.com,"Thu, 14 Mar 2024 10:00:00 GMT"' \
		'e@example.com,14. März 2024' 'f@example.com,14 mars 2024' \
		'g@example.com,14 de marzo de 2024' 'h@example.com,14 de março de 2024' \
		'i@example.com,3/14/2024 9:30 AM UTC' 'j@example.com,3/14/2024 9:30 AM -05:00' \
		'k@example.com,2024-03-14T09:30:00+01:00' 'l@example.com,1710408615' >d.csv
	run --separate-stderr leads import d.csv
	assert_success
	[[ $stderr == *"12 inserted"*"0 warnings"* ]]
	run -0 created
	assert_output 'a@example.com 2024-03-14T00:00:00Z
b@example.com 2024-03-14T00:00:00Z
c@example.com 2024-03-14T00:00:00Z
d@example.com 2024-03-14T10:00:00Z
e@example.com 2024-03-14T00:00:00Z
f@example.com 2024-03-14T00:00:00Z
g@example.com 2024-03-14T00:00:00Z
h@example.com 2024-03-14T00:00:00Z
i@example.com 2024-03-14T09:30:00Z
j@example.com 2024-03-14T14:30:00Z
k@example.com 2024-03-14T08:30:00Z
l@example.com 2024-03-14T09:30:15Z'
}

@test "an unknown --date-format is a usage error" {
	printf 'Email\na@example.com\n' >d.csv
	run --separate-stderr leads import --date-format yyyy-mm-dd d.csv
	assert_failure 64
	assert_equal "$stderr" "leads import: unknown date format 'yyyy-mm-dd' (iso, ymd, mdy, dmy, epoch-ms, epoch-s, any-mdy, any-dmy, or a pattern such as %d.%m.%y)"
}

@test "the creation date from the file starts the stage; a later update time is kept" {
	printf '%s\n' 'Email,Created,Updated' 'a@example.com,2024-01-02,2024-05-06T07:08:09Z' >d.csv
	leads import -q --map Updated=updated_at d.csv
	run -0 sql "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', created_at, 'unixepoch'), strftime('%Y-%m-%dT%H:%M:%SZ', stage_entered_at, 'unixepoch'), strftime('%Y-%m-%dT%H:%M:%SZ', updated_at, 'unixepoch') FROM leads ORDER BY id"
	assert_output '2024-01-02T00:00:00Z|2024-01-02T00:00:00Z|2024-05-06T07:08:09Z'
}

@test "--timezone: local times of the file's zone; values with an offset keep theirs" {
	printf '%s\n' 'Email,Created' 'a@example.com,3/14/2024 9:30 AM' 'b@example.com,2024-03-14T09:30:00Z' \
		'c@example.com,14 Mar 2024' 'd@example.com,3/14/2024 9:30 AM +01:00' 'e@example.com,1710408615' >d.csv
	leads import -q --timezone America/New_York d.csv
	run -0 created
	assert_output 'a@example.com 2024-03-14T13:30:00Z
b@example.com 2024-03-14T09:30:00Z
c@example.com 2024-03-14T04:00:00Z
d@example.com 2024-03-14T08:30:00Z
e@example.com 2024-03-14T09:30:15Z'
	# never $TZ: without --timezone the file's times are UTC
	printf '%s\n' 'Email,Created' 'f@example.com,3/14/2024 9:30 AM' >f.csv
	TZ=Asia/Tokyo leads import -q f.csv
	run -0 sql "SELECT strftime('%H:%M', created_at, 'unixepoch') FROM leads WHERE email = 'f@example.com'"
	assert_output '09:30'
	run --separate-stderr leads import --timezone Mars/Base d.csv
	assert_failure 64
}

@test "--date-format takes strftime-style patterns, for every date column or one" {
	printf '%s\n' 'Email,Created,Close Date' 'a@example.com,2024-03-14,14.03.24' \
		'b@example.com,2024-03-15,"Mar 5, 2024 10:00 PM +0100"' >p.csv
	run --separate-stderr leads import --map 'Close Date=last_activity_at' --date-format 'Close Date=%d.%m.%y' p.csv
	assert_success
	assert_equal "${stderr_lines[1]}" "first warning: line 3: column 'Close Date': 'Mar 5, 2024 10:00 PM +0100' is not a date in the %d.%m.%y format; kept as a custom field"
	run -0 sql "SELECT email, strftime('%Y-%m-%dT%H:%M', created_at, 'unixepoch'), coalesce(strftime('%Y-%m-%dT%H:%M', last_activity_at, 'unixepoch'), '-') FROM leads ORDER BY id"
	assert_output $'a@example.com|2024-03-14T00:00|2024-03-14T00:00\nb@example.com|2024-03-15T00:00|-'
	new_db LEADS_DB again
	run --separate-stderr leads import --map 'Close Date=last_activity_at' --date-format '%Y-%m-%d' \
		--date-format 'Close Date=%b %e, %Y %I:%M %p %z' p.csv
	assert_success
	run -0 sql "SELECT coalesce(strftime('%Y-%m-%dT%H:%M', last_activity_at, 'unixepoch'), '-') FROM leads ORDER BY id"
	assert_output $'-\n2024-03-05T21:00'
	run --separate-stderr leads import --date-format 'Nope=%d' p.csv
	assert_failure 64
	assert_equal "$stderr" "leads import: --date-format: no column 'Nope'"
	run --separate-stderr leads import --date-format 'Email=%d' p.csv
	assert_failure 64
}
