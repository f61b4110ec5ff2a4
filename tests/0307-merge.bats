#!/usr/bin/env bats
# leads merge KEEP OTHER (lib/lifecycle.h: lc_merge_plan, lc_merge_apply):
# one person entered twice becomes one lead: fields and custom fields
# filled, conflicts listed (--prefer other flips them), history, tasks,
# scores and mail moved, OTHER's id and address still find KEEP, --dry-run
# writes nothing; list --duplicates; import --revert of a merged batch.
load test_helper

two() {
	add_lead --email ann@example.com --first Ann --last Lee --company Acme \
		--field plan=gold --field seats=3
	add_lead --email ann.lee@gmail.com --first ann --last lee --company ACME --phone 555-0100 \
		--title CTO --field plan=silver --field region=eu
}

@test "merge fills what KEEP lacks, lists conflicts, KEEP wins them; custom fields likewise" {
	two
	run --separate-stderr leads merge 1 2
	assert_success
	assert_output ''
	# "ann"/"Ann" and "ACME"/"Acme" are the same text: no conflict
	assert_equal "$stderr" "leads merge: conflict: extra.plan: kept 'gold' (#1), dropped 'silver' (#2)
leads merge: merged lead #2 into #1 (3 fields filled, 1 conflict); #2 and ann.lee@gmail.com still find it"
	run -0 sql "SELECT id, email, first_name, phone, title, company FROM leads"
	assert_output '1|ann@example.com|Ann|555-0100|CTO|Acme'
	run -0 leads show 1 --format json
	assert_output --partial '"extra": {"plan":"gold","seats":"3","region":"eu"}'
	run -0 sql "SELECT id, lead_id, email FROM lead_aliases"
	assert_output '2|1|ann.lee@gmail.com'
	run -0 leads show 1
	assert_line --regexp '^other_emails: +ann.lee@gmail.com$'
	assert_line --regexp "lead.merged +#2 \(ann.lee@gmail.com\) merged in; filled phone, title, extra.region; extra.plan 'gold' over 'silver'$"
}

@test "merge --prefer other: OTHER wins the conflicts and its address becomes the first" {
	two
	run -0 --separate-stderr leads merge 1 2 --prefer other
	assert_equal "$stderr" "leads merge: conflict: extra.plan: dropped 'gold' (#1), kept 'silver' (#2)
leads merge: merged lead #2 into #1 (3 fields filled, 1 conflict); #2 and ann@example.com still find it"
	run -0 sql "SELECT id, email, json_extract(extra, '\$.plan') FROM leads"
	assert_output '1|ann.lee@gmail.com|silver'
	run -0 sql "SELECT email FROM lead_aliases"
	assert_output 'ann@example.com'
	run -64 leads merge 1 3 --prefer both
	assert_output --partial "--prefer takes keep or other"
}

@test "merge moves history, tasks, scores and mail to KEEP and records lead.merged" {
	two
	leads note 2 "met at the fair"
	leads task add 2 "Call back" --due 1d >/dev/null
	sql "INSERT INTO scores (lead_id, name, value) VALUES (1, 'fit', 5), (2, 'fit', 7), (2, 'intent', 2)"
	sql "INSERT INTO outbox (idem_key, kind, lead_id, rcpt, subject, body, created_at, next_try_at)
	     VALUES ('k1', 'assignment', 2, 'x@example.com', 's', 'b', 0, 0)"
	leads merge 1 2 2>/dev/null
	run -0 sql "SELECT count(*) FROM leads WHERE id = 2"
	assert_output 0
	run -0 sql "SELECT kind FROM events WHERE lead_id = 1 ORDER BY id"
	assert_output 'created
created
note
status
task
lead.merged'
	run -0 sql "SELECT from_val, to_val FROM events WHERE kind = 'lead.merged'"
	assert_output '#2|#1'
	run -0 sql "SELECT lead_id, title FROM tasks"
	assert_output '1|Call back'
	run -0 sql "SELECT name, value FROM scores WHERE lead_id = 1 ORDER BY name"
	assert_output 'fit|12
intent|2'
	run -0 sql "SELECT lead_id FROM outbox"
	assert_output 1
	# OTHER had activity: the merged lead is not new any more
	run -0 sql "SELECT status FROM leads WHERE id = 1"
	assert_output active
	run -0 sql "PRAGMA foreign_key_check"
	assert_output ''
	# OTHER's notes are searched as KEEP's
	run -0 leads list fair --format csv --columns id
	assert_output $'id\n1'
}

@test "an owner the merge brings is an owner change: assigned, and the tasks follow" {
	add_lead --email a@example.com --first Ann
	add_lead --email b@example.com --owner bob
	leads task add 1 "Call" --due 1d >/dev/null
	leads merge 1 2 2>/dev/null
	run -0 sql "SELECT owner FROM leads WHERE id = 1"
	assert_output bob
	run -0 sql "SELECT count(*) FROM events WHERE lead_id = 1 AND kind = 'assigned' AND to_val = 'bob'"
	assert_output 2 # OTHER's own assignment, moved, and the merge's
	run -0 sql "SELECT owner FROM tasks"
	assert_output bob
}

@test "OTHER's id and address still find KEEP, with a note, in every command taking a lead" {
	two
	add_lead --email third@example.com --first Tess
	leads merge 1 2 2>/dev/null
	run -0 --separate-stderr leads show 2
	assert_line --regexp '^id: +1$'
	assert_equal "$stderr" "leads show: 2 was merged into lead #1"
	run -0 --separate-stderr leads show '#2'
	assert_line --regexp '^id: +1$'
	run -0 --separate-stderr leads show ANN.LEE@gmail.com
	assert_line --regexp '^id: +1$'
	leads note 2 "still reachable" 2>/dev/null
	run -0 sql "SELECT lead_id FROM events WHERE kind = 'note'"
	assert_output 1
	# merged again: the old alias follows to the new KEEP
	leads merge 3 1 2>/dev/null
	run -0 sql "SELECT id, lead_id FROM lead_aliases ORDER BY id"
	assert_output '1|3
2|3'
	run -0 --separate-stderr leads show 2
	assert_line --regexp '^id: +3$'
	run -66 leads show 99
	assert_output --partial "no lead matches '99'"
}

@test "merge exit codes: unknown lead 66, a lead into itself (or its alias) 64" {
	two
	run -66 leads merge 1 9
	assert_output --partial "no lead matches '9'"
	run -66 leads merge nobody@example.com 1
	run -64 leads merge 1 1
	assert_output --partial "lead #1 cannot be merged into itself"
	run -64 leads merge 1 ann@example.com
	leads merge 1 2 2>/dev/null
	run -64 leads merge 1 2
	assert_output --partial "2 was merged into lead #1"
	run -64 leads merge 1
}

@test "merge --dry-run shows the merged lead and the conflicts and writes nothing" {
	two
	leads task add 2 "Call back" --due 1d >/dev/null
	sql .dump >before
	run -0 --separate-stderr leads merge 1 2 --dry-run
	assert_line --regexp '^email: +ann@example.com$'
	assert_line --regexp '^other_emails: +ann.lee@gmail.com$'
	assert_line --regexp '^phone: +555-0100$'
	assert_line --regexp '^merged_from: +#2$'
	assert_equal "$stderr" "leads merge: conflict: extra.plan: kept 'gold' (#1), dropped 'silver' (#2)
leads merge: dry run: lead #2 would be merged into #1; nothing was written"
	run -0 leads merge 1 2 --dry-run --prefer other --format json
	assert_output --partial '"email": "ann.lee@gmail.com"'
	sql .dump >after
	run -0 diff before after
}

@test "list --duplicates: same name and company, phone, mailbox; one row a pair, the merge line" {
	add_lead --email a@example.com --first Ann --last Lee --company Acme --phone '+1 (555) 010-0100'
	add_lead --email b@example.com --first ann --last LEE --company 'acme ' --phone 15550100100
	add_lead --first Bo --company Other --phone 1-555-010-0100
	add_lead --first Cy --company Acme
	add_lead --first Dee --phone 12 # too short to say anything
	add_lead --first Eve --phone 12
	add_lead --email an.n.lee@gmail.com
	add_lead --email annlee+crm@googlemail.com
	add_lead --email 'bo+news@other.com'
	add_lead --email bo@other.com
	add_lead --email bo.@other.com # dots count outside Gmail
	run -0 leads list --duplicates --format csv
	assert_output 'keep,other,keep_name,other_name,reason,command
1,2,Ann Lee,ann LEE,"same name and company, same phone",leads merge 1 2
1,3,Ann Lee,Bo,same phone,leads merge 1 3
7,8,an.n.lee@gmail.com,annlee+crm@googlemail.com,same mailbox,leads merge 7 8
9,10,bo+news@other.com,bo@other.com,same mailbox,leads merge 9 10'
	run -0 leads list --duplicates
	assert_line --index 0 --regexp '^KEEP +OTHER +KEEP NAME +OTHER NAME +REASON +COMMAND$'
	run -64 leads list --duplicates --stage new
	for o in 2 3; do leads merge 1 $o 2>/dev/null; done
	leads merge 7 8 2>/dev/null
	leads merge 9 10 2>/dev/null
	run -0 --separate-stderr leads list --duplicates
	assert_equal "$stderr" "leads list: no leads look like duplicates"
}

@test "import --revert of a batch whose lead was merged is refused; --force keeps the merged leads" {
	add_lead --email hand@example.com --first Hal
	printf '%s\n' 'Email,First Name,Phone' 'imp@example.com,Hal,555-0199' 'other@example.com,Oz,' >in.csv
	leads import in.csv 2>/dev/null
	leads merge 1 2 2>/dev/null # an imported lead merged into a hand-made one
	run -65 leads import --revert 1
	assert_output --partial "import batch 1: 1 of its leads took part in a merge (#2 into #1)"
	assert_output --partial "nothing was reverted"
	run -0 sql "SELECT count(*) FROM leads"
	assert_output 2
	run -0 --separate-stderr leads import --revert 1 --force
	run -0 sql "SELECT id, email, phone FROM leads ORDER BY id"
	assert_output '1|hand@example.com|555-0199'
	run -0 sql "SELECT count(*) FROM events WHERE lead_id = 1 AND kind = 'lead.merged'"
	assert_output 1
}

@test "import --revert: a batch lead that took in a hand-made lead is not deleted with its history" {
	printf '%s\n' 'Email,First Name' 'imp@example.com,Hal' >in.csv
	leads import in.csv 2>/dev/null
	add_lead --email hand@example.com --first Hal --phone 555-0199
	leads note 2 "hand-made history" 
	leads merge 1 2 2>/dev/null
	run -65 leads import --revert 1
	assert_output --partial "(#2 into #1)"
	run -0 --separate-stderr leads import --revert 1 --force
	assert_equal "$(tail -n 1 <<<"$stderr")" "leads import: kept 1 lead of the batch that took part in a merge (leads merge), as they are"
	run -0 sql "SELECT count(*) FROM events WHERE lead_id = 1 AND kind = 'note'"
	assert_output 1
}

@test "the id of a lead merged away is never handed out again, by add or import" {
	add_lead --email a@example.com
	add_lead --email b@example.com
	leads merge 1 2 2>/dev/null # the newest lead merged away
	add_lead --email c@example.com
	assert_equal "$id" 3
	printf '%s\n' 'Email' 'd@example.com' >d.csv
	leads import d.csv 2>/dev/null
	leads merge 1 4 2>/dev/null
	printf '%s\n' 'Email' 'e@example.com' >e.csv
	leads import e.csv 2>/dev/null
	run -0 sql "SELECT id, email FROM leads ORDER BY id"
	assert_output '1|a@example.com
3|c@example.com
5|e@example.com'
	run -0 --separate-stderr leads show 2
	assert_line --regexp '^id: +1$'
	run -0 --separate-stderr leads show 4
	assert_line --regexp '^id: +1$'
}
