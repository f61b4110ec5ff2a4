#!/usr/bin/env bats
# Sequences: follow-up mail to the leads themselves (leads-sequence(1)):
# started by an event or by hand, steps timed in business hours, sent from
# the owner through the outbox with List-Unsubscribe, stopped by a call, a
# stage move, unqualified, do_not_email; quiet hours and the daily cap.
load test_helper
load wf_helper

# The standard config plus business hours and a welcome sequence.
seq_config() {
	wf_config <<-YAML
	business_hours:
	  timezone: UTC
	  days: [mon-fri]
	  hours: "09:00-17:00"
	sequences:
	  welcome:
	    on: lead.received
	    unsubscribe: "https://example.com/unsub?e={{lead.email}}"
	    steps:
	      - after: 0
	        subject: "Thank you, {{lead.first_name}}"
	        body: |
	          Hello {{lead.first_name}},
	          thank you for your interest. {{sender.name}}
	          Unsubscribe: {{unsubscribe}}
	      - after: 2d
	        subject: "Following up"
	        body: "Any questions, {{lead.first_name}}?"
	      - after: 5d
	        subject: "Last note"
	        body: "Still there?"
	  manual:
	    ${SEQ_EXTRA:-}
	    steps:
	      - subject: "Hi {{lead.name}}"
	        body: "A word from {{sender.email}}"
	YAML
}

# Messages to leads (their addresses are @example.org; the team's are not).
lead_mails() {
	mail_header To | grep -c '@example.org' || true
}

@test "lead.received starts the sequence; the sweep sends step 1 from the owner" {
	seq_config
	# Tuesday 10:00
	export LEADS_NOW=2026-11-24T10:00:00Z
	add_lead --email bo@example.org --first Bo --owner ana
	run -0 leads sequence list
	assert_output --partial "welcome"
	assert_output --partial "running"
	run -0 leads sweep
	assert_output --partial "1 sequence step"
	assert_equal "$(mails)" 1
	run -0 mail_header From
	assert_output '"ana" <ana@example.com>'
	run -0 mail_header To
	assert_output 'bo@example.org'
	run -0 mail_header Subject
	assert_output 'Thank you, Bo'
	run -0 mail_header List-Unsubscribe
	assert_output '<https://example.com/unsub?e=bo@example.org>, <mailto:ana@example.com?subject=unsubscribe>'
	run -0 mail_header List-Unsubscribe-Post
	assert_output 'List-Unsubscribe=One-Click'
	run -0 mail_text
	assert_output --partial 'thank you for your interest. ana'
	# a second sweep at once sends nothing more: step 2 is 2 business days on
	run -0 leads sweep -q
	assert_equal "$(mails)" 1
	run -0 leads sequence show 1
	assert_output --partial "step 2:   next  Following up  (due 2026-11-26"
	assert_output --partial "step 1:   sent  Thank you, Bo"
}

@test "follow-ups count business days and thread under the first mail" {
	seq_config
	# Friday 16:00: 2 business days on is Tuesday 16:00
	export LEADS_NOW=2026-11-27T16:00:00Z
	add_lead --email bo@example.org --first Bo --owner ana
	run -0 leads sweep -q
	first=$(mail_header Message-ID)
	LEADS_NOW=2026-11-30T16:00:00Z run -0 leads sweep -q
	assert_equal "$(lead_mails)" 1
	LEADS_NOW=2026-12-01T16:00:00Z run -0 leads sweep -q
	assert_equal "$(lead_mails)" 2
	run -0 mail_header In-Reply-To
	assert_output "$first"
	LEADS_NOW=2026-12-04T16:00:00Z run -0 leads sweep -q
	assert_equal "$(lead_mails)" 3
	run -0 leads sequence list --all
	assert_output --partial "done"
	# exactly once: nothing more, ever
	LEADS_NOW=2026-12-24T16:00:00Z run -0 leads sweep -q
	assert_equal "$(lead_mails)" 3
}

@test "a logged call, a stage move and unqualified stop the sequence" {
	seq_config
	export LEADS_NOW=2026-11-24T10:00:00Z
	add_lead --email a@example.org --first A --owner ana
	a=$id
	add_lead --email b@example.org --first B --owner ana
	b=$id
	add_lead --email c@example.org --first C --owner ana
	c=$id
	run -0 leads sweep -q
	assert_equal "$(lead_mails)" 3
	run -0 leads log "$a" call
	run -0 leads move "$b" Contacted
	run -0 leads status "$c" unqualified
	run -0 leads sequence list --all
	assert_output --partial "call"
	assert_output --partial "stage move"
	assert_output --partial "unqualified"
	LEADS_NOW=2026-12-24T10:00:00Z run -0 leads sweep -q
	assert_equal "$(lead_mails)" 3
	run -0 leads show "$a"
	assert_output --partial "sequence_stopped"
}

@test "do_not_email: no step goes out, and delivery checks it too" {
	seq_config
	export LEADS_NOW=2026-11-24T10:00:00Z
	add_lead --email a@example.org --first A --owner ana
	# queued but not delivered, then the lead opts out: the outbox refuses it
	run -0 leads sweep -q --no-deliver
	run -0 leads edit "$id" --do-not-email
	run -1 leads sweep -q
	assert_equal "$(mails)" 0
	run -0 leads outbox list --failed
	assert_output --partial "do not email"
	run -0 leads sequence list --all
	assert_output --partial "do not email"
	# a new start is refused at the send as well
	run -0 leads edit "$id" --email-ok
	run -0 leads sequence start "$id" manual
	run -0 leads sweep -q
	assert_equal "$(mails)" 1
}

@test "sequence start by hand, stop by hand, and the errors" {
	seq_config
	add_lead --email a@example.org --first A
	run -0 leads sequence stop "$id"
	run -64 leads sequence start "$id" nosuch
	assert_output --partial "no sequence 'nosuch'"
	run -0 leads sequence start "$id" manual
	run -65 leads sequence start "$id" manual
	assert_output --partial "running on lead #1 already"
	run -0 leads sequence stop "$id" manual
	run -0 leads sequence list
	refute_output --partial "manual"
	run -64 leads sequence frob
	add_lead --phone 123
	run -65 leads sequence start "$id" manual
	assert_output --partial "has no email"
}

@test "a lead without an owner gets mail.from; hostile fields stay in the body" {
	seq_config
	add_lead --email a@example.org --first $'Eve\nBcc: x@evil.example' --no-route
	run -0 leads sweep -q
	run -0 mail_header From
	assert_output '"Leads" <leads@example.com>'
	run -0 mail_header Bcc
	assert_output ''
	run -0 mail_header Subject
	refute_output --partial $'\n'
}

@test "non-ASCII subjects are RFC 2047 encoded" {
	seq_config
	add_lead --email z@example.org --first Zoë --owner ana
	run -0 leads sweep -q
	run -0 mail_header Subject
	assert_output --partial "=?UTF-8?"
}

@test "quiet hours and the daily cap defer steps" {
	SEQ_EXTRA=$'quiet_hours: "20:00-08:00"\n    daily_cap: 1' seq_config
	# 22:00: quiet until 08:00
	export LEADS_NOW=2026-11-24T22:00:00Z
	add_lead --email a@example.org --first A --owner ana
	a=$id
	add_lead --email b@example.org --first B --owner ana
	b=$id
	run -0 leads sequence start "$a" manual
	run -0 leads sequence start "$b" manual
	run -0 leads sequence stop "$a" welcome
	run -0 leads sequence stop "$b" welcome
	run -0 leads sweep -q
	assert_equal "$(mails)" 0
	LEADS_NOW=2026-11-25T08:30:00Z run -0 leads sweep -q
	assert_equal "$(mails)" 1
	# the cap: the second waits for tomorrow
	LEADS_NOW=2026-11-25T12:00:00Z run -0 leads sweep -q
	assert_equal "$(mails)" 1
	LEADS_NOW=2026-11-26T08:30:00Z run -0 leads sweep -q
	assert_equal "$(mails)" 2
}

@test "a bad sequence config is an error at its line" {
	wf_config <<-YAML
	sequences:
	  x:
	    on: lead.nothing
	    steps:
	      - subject: "{{lead.bogus_thing}} {{nope}}"
	        body: hi
	YAML
	run -78 leads list
	assert_output --partial "lead.nothing"
	assert_output --partial "nope"
}

@test "db copy carries sequences, mail flags and the outbox's sender and headers" {
	seq_config
	export LEADS_NOW=2026-11-24T10:00:00Z
	add_lead --email a@example.org --first A --owner ana
	add_lead --email b@example.org --first B --owner ana
	run -0 leads sweep -q
	run -0 leads edit "$id" --do-not-email
	new_db target target
	run -0 leads db copy --from "$LEADS_DB" --to "$target"
	assert_line --regexp '^sequences +2 +2  ok$'
	assert_line --regexp '^mail_flags +1 +1  ok$'
	# the copy works as the source: the next step goes out from there
	LEADS_DB=$target LEADS_NOW=2026-11-26T10:00:00Z run -0 leads sweep -q
	assert_equal "$(lead_mails)" 3
	# a new run gets a fresh id
	LEADS_DB=$target run -0 leads sequence start 1 manual
	assert_output 3
}

@test "merge: OTHER's sequence goes to KEEP, one running on both stops; do_not_email carries over" {
	seq_config
	export LEADS_NOW=2026-11-24T10:00:00Z
	add_lead --email bo@example.org --first Bo --owner ana
	add_lead --email bo.work@example.org --first Bo --owner ana
	run -0 leads sequence start 2 manual
	run -0 leads merge 1 2
	# welcome ran on both: 2's stops as merged; manual moves on to 1
	run -0 sql "SELECT lead_id, name, coalesce(stop_reason, '-') FROM sequences ORDER BY id"
	assert_output "1|welcome|-
1|welcome|merged
1|manual|-"
	# the person asked not to be mailed at one address: not at the other either
	add_lead --email cy@example.org --first Cy
	add_lead --email cy.home@example.org --first Cy
	run -0 leads edit 4 --do-not-email
	run -0 leads merge 3 4
	run -0 sql "SELECT lead_id, do_not_email FROM mail_flags"
	assert_output "3|1"
}

@test "sequence list and show give times in the user's zone, as every table does" {
	seq_config
	export LEADS_NOW=2026-11-24T10:00:00Z
	add_lead --email bo@example.org --first Bo --owner ana
	TZ=America/Sao_Paulo run -0 leads sequence list
	assert_line --index 1 --regexp '^ *1 +1 +welcome +0/3 +2026-11-24 07:00 +2026-11-24 07:00 +running'
	TZ=America/Sao_Paulo run -0 leads sequence show 1
	assert_line --index 3 'started:  2026-11-24 07:00'
	# machine formats: UTC with its Z, as before
	TZ=America/Sao_Paulo run -0 leads sequence list --format tsv
	assert_line --index 1 --regexp $'^1\t1\twelcome\t0/3\t2026-11-24T10:00:00Z\t'
}
