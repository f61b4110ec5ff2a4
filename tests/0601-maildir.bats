#!/usr/bin/env bats
# Replies and bounces from a Maildir (leads-sweep(1) --maildir): a reply
# from Thunderbird (multipart/alternative, quoted-printable, folded
# References) threads to the mail it answers; a Postfix bounce (a DSN)
# marks the address bouncing; both stop sequences; messages are marked
# read (cur/, :2,S) and never deleted.
load test_helper
load wf_helper

setup_file() {
	command -v "$LEADS_BIN" >/dev/null
}

md_config() {
	wf_config <<-YAML
	sequences:
	  welcome:
	    on: lead.received
	    steps:
	      - subject: "Thank you, {{lead.first_name}}"
	        body: "Hello {{lead.first_name}}"
	      - after: 2d
	        subject: "Following up"
	        body: "Any questions?"
	YAML
	export MD=$BATS_TEST_TMPDIR/Maildir
	mkdir -p "$MD/new" "$MD/cur" "$MD/tmp"
}

# One lead with the first step sent; $first is that mail's Message-ID.
sent_one() {
	md_config
	export LEADS_NOW=2026-11-24T10:00:00Z
	add_lead --email "${1:-bo@example.org}" --first Bo --owner ana
	run -0 leads sweep -q
	first=$(mail_header Message-ID)
	[ -n "$first" ]
}

thunderbird_reply() {
	cat <<-EOF
	Message-ID: <3b1c5a2e-7f1d-4c1e-9a53-8d2f0e4b7c11@example.net>
	Date: Tue, 24 Nov 2026 11:12:13 +0100
	MIME-Version: 1.0
	User-Agent: Mozilla Thunderbird
	Subject: Re: Thank you, Bo
	Content-Language: en-US
	To: ana <ana@example.com>
	References: <an.older.thread.1234@example.net>
	 $first
	From: =?UTF-8?Q?Bo_=C3=85kesson?= <bo.private@example.net>
	In-Reply-To: $first
	Content-Type: multipart/alternative;
	 boundary="------------0aB3cD4eF5gH6iJ7kL8mN9oP"

	This is a multi-part message in MIME format.
	--------------0aB3cD4eF5gH6iJ7kL8mN9oP
	Content-Type: text/plain; charset=UTF-8; format=flowed
	Content-Transfer-Encoding: quoted-printable

	Hej Ana, g=C3=A4rna! L=C3=A5t oss prata p=C3=A5 torsdag, ring mig g=
	=C3=A4rna.

	On 24/11/2026 10:00, ana wrote:
	> Hello Bo

	--------------0aB3cD4eF5gH6iJ7kL8mN9oP
	Content-Type: text/html; charset=UTF-8
	Content-Transfer-Encoding: quoted-printable

	<html><body><p>Hej Ana, g=C3=A4rna!</p></body></html>

	--------------0aB3cD4eF5gH6iJ7kL8mN9oP--
	EOF
}

# A Postfix bounce of the first mail sent ($MAIL_DIR's first message).
postfix_bounce() {
	local rcpt=$1
	cat <<-EOF
	Return-Path: <>
	Delivered-To: ana@example.com
	Received: by mail.example.com (Postfix)
	 id 4F1A21C0123; Tue, 24 Nov 2026 10:00:05 +0000 (UTC)
	Date: Tue, 24 Nov 2026 10:00:05 +0000 (UTC)
	From: MAILER-DAEMON@mail.example.com (Mail Delivery System)
	Subject: Undelivered Mail Returned to Sender
	To: ana@example.com
	Auto-Submitted: auto-replied
	MIME-Version: 1.0
	Content-Type: multipart/report; report-type=delivery-status;
	 boundary="4F1A21C0123.1795946405/mail.example.com"
	Content-Transfer-Encoding: 8bit
	Message-Id: <20261124100005.4F1A21C0123@mail.example.com>

	This is a MIME-encapsulated message.

	--4F1A21C0123.1795946405/mail.example.com
	Content-Description: Notification
	Content-Type: text/plain; charset=us-ascii

	This is the mail system at host mail.example.com.

	I'm sorry to have to inform you that your message could not
	be delivered to one or more recipients. It's attached below.

	<$rcpt>: host mx.example.org[192.0.2.25] said: 550 5.1.1
	    <$rcpt>: Recipient address rejected: User unknown in virtual
	    mailbox table (in reply to RCPT TO command)

	--4F1A21C0123.1795946405/mail.example.com
	Content-Description: Delivery report
	Content-Type: message/delivery-status

	Reporting-MTA: dns; mail.example.com
	X-Postfix-Queue-ID: 4F1A21C0123
	X-Postfix-Sender: rfc822; ana@example.com
	Arrival-Date: Tue, 24 Nov 2026 10:00:03 +0000 (UTC)

	Final-Recipient: rfc822; $rcpt
	Original-Recipient: rfc822;$rcpt
	Action: failed
	Status: 5.1.1
	Remote-MTA: dns; mx.example.org
	Diagnostic-Code: smtp; 550 5.1.1 <$rcpt>: Recipient address
	    rejected: User unknown in virtual mailbox table

	--4F1A21C0123.1795946405/mail.example.com
	Content-Description: Undelivered Message
	Content-Type: message/rfc822
	Content-Transfer-Encoding: 8bit

	EOF
	# the message as it went out (without the fake sendmail's first line)
	ls -tr "$MAIL_DIR"/msg.* | head -1 | xargs tail -n +2
	printf '\n--4F1A21C0123.1795946405/mail.example.com--\n'
}

@test "a Thunderbird reply threads to the mail sent, is logged and stops the sequence" {
	sent_one
	thunderbird_reply >"$MD/new/1764000000.M1P1.host"
	LEADS_NOW=2026-11-24T11:00:00Z run -0 leads sweep --maildir "$MD"
	assert_output --partial "1 reply, 0 bounces"
	run -0 leads show "$id" --format json
	assert_output --partial '"email_replied"'
	assert_output --partial 'Hej Ana, gärna! Låt oss prata på torsdag, ring mig gärna.'
	refute_output --partial 'Hello Bo'
	run -0 leads sequence list --all
	assert_output --partial "replied"
	# marked read, not deleted
	[ -z "$(ls "$MD/new")" ]
	[ -f "$MD/cur/1764000000.M1P1.host:2,S" ]
	# read once: a second sweep logs nothing more, and no follow-up goes out
	LEADS_NOW=2026-12-24T11:00:00Z run -0 leads sweep --maildir "$MD"
	assert_output --partial "0 replies"
	assert_equal "$(mail_header To | grep -c example.org)" 1
}

@test "email.replied is a workflow event" {
	sent_one
	cat >>"$LEADS_CONFIG" <<-YAML
	workflows:
	  - name: answer-the-reply
	    on: email.replied
	    task: {title: "Answer the reply", due: 1h}
	YAML
	thunderbird_reply >"$MD/new/1.M1.host"
	run -0 leads sweep -q --maildir "$MD"
	run -0 leads task list --all
	assert_output --partial "Answer the reply"
}

@test "a reply scores as an activity (on: email-replied)" {
	sent_one
	cat >>"$LEADS_CONFIG" <<-YAML
	scoring:
	  rules:
	    - {name: replies, on: email-replied, points: 25}
	YAML
	thunderbird_reply >"$MD/new/1.M1.host"
	run -0 leads sweep -q --maildir "$MD"
	run -0 sql "SELECT score FROM leads WHERE id = $id"
	assert_output 25
}

@test "a reply matched by its sender, in cur/ without S; seen ones are left alone" {
	sent_one
	printf 'From: Bo <BO@example.org>\nTo: ana@example.com\nSubject: hi\nMessage-ID: <x1@example.org>\n\nCall me.\n' \
		>"$MD/cur/2.M2.host:2,F"
	printf 'From: Bo <bo@example.org>\nTo: ana@example.com\nSubject: old\nMessage-ID: <x0@example.org>\n\nOld.\n' \
		>"$MD/cur/1.M1.host:2,S"
	run -0 leads sweep --maildir "$MD"
	assert_output --partial "1 reply"
	[ -f "$MD/cur/2.M2.host:2,FS" ]
	[ -f "$MD/cur/1.M1.host:2,S" ]
	run -0 leads show "$id"
	assert_output --partial "Call me."
	refute_output --partial "Old."
}

@test "a Postfix bounce marks the address bouncing: its sequence stops, nothing more is sent" {
	sent_one gone@example.org
	postfix_bounce gone@example.org >"$MD/new/3.M3.host"
	run -0 leads sweep --maildir "$MD"
	assert_output --partial "0 replies, 1 bounce"
	run -0 leads sequence list --all
	assert_output --partial "bounced"
	run -0 leads show "$id"
	assert_output --partial "email_bounced"
	assert_output --partial "5.1.1"
	# a new sequence started by hand is refused when it would send
	run -0 leads sequence start "$id" welcome
	LEADS_NOW=2026-11-30T10:00:00Z run -0 leads sweep -q
	assert_equal "$(mail_header To | grep -c example.org)" 1
	[ -f "$MD/cur/3.M3.host:2,S" ]
	# a new address has not bounced
	run -0 leads edit "$id" --email new@example.org
	run -0 leads sequence start "$id" welcome
	LEADS_NOW=2026-11-30T11:00:00Z run -0 leads sweep -q
	assert_equal "$(mail_header To | grep -c new@example.org)" 1
}

@test "a bounce found by its failed recipient; a delayed notice is not a bounce" {
	md_config
	add_lead --email gone@example.org --first G --owner ana
	run -0 leads sequence stop "$id"
	: >"$MAIL_DIR/msg.0"
	postfix_bounce gone@example.org | sed 's/^Message-ID: .*/Message-ID: <not.ours@example.com>/' \
		>"$MD/new/4.M4.host"
	postfix_bounce gone@example.org | sed 's/^Action: failed/Action: delayed/; s/^Status: 5.1.1/Status: 4.4.1/' \
		>"$MD/new/5.M5.host"
	run -0 leads sweep --maildir "$MD"
	assert_output --partial "1 bounce"
	run -0 sql "SELECT count(*) FROM mail_flags WHERE bounced_at IS NOT NULL"
	assert_output 1
	[ -z "$(ls "$MD/new")" ]
}

@test "a reply saying unsubscribe sets do_not_email" {
	sent_one
	printf 'From: bo@example.org\nTo: ana@example.com\nSubject: unsubscribe\nMessage-ID: <u1@example.org>\n\n\n' \
		>"$MD/new/6.M6.host"
	run -0 leads sweep -q --maildir "$MD"
	run -0 sql "SELECT do_not_email FROM mail_flags"
	assert_output 1
}

@test "mail: maildir: in the config; mail that matches no lead is read and left" {
	md_config
	awk -v md="$MD" '{ print } /^mail:/ { print "  maildir: " md }' "$LEADS_CONFIG" >"$LEADS_CONFIG.new"
	mv "$LEADS_CONFIG.new" "$LEADS_CONFIG"
	run -0 leads init
	printf 'From: someone@else.example\nSubject: spam\n\nBuy.\n' >"$MD/new/7.M7.host"
	run -0 leads sweep
	assert_output --partial "0 replies"
	[ -f "$MD/cur/7.M7.host:2,S" ]
	run -0 leads config show
	assert_output --partial "maildir: $MD"
}

@test "without GMime: a clear error naming the Debian package" {
	md_config
	run -0 leads init
	LEADS_LIBGMIME=/nonexistent/libgmime.so run -69 leads sweep --maildir "$MD"
	assert_output --partial "libgmime-3.0-0"
	run -66 leads sweep --maildir "$BATS_TEST_TMPDIR/nothing"
	assert_output --partial "not a Maildir"
}

@test "hostile mail: garbage, an empty file, a directory, huge and broken headers" {
	sent_one
	head -c 20000 /dev/urandom >"$MD/new/8.M8.host"
	: >"$MD/new/9.M9.host"
	mkdir "$MD/new/10.M10.host"
	{
		printf 'From: bo@example.org\nSubject: =?UTF-8?B?broken\nIn-Reply-To: <leads.1.0000000000000000@example.com>\n'
		printf 'References: '
		for i in $(seq 1 2000); do printf '<r%d@x> ' "$i"; done
		printf '\nContent-Type: multipart/report; report-type=delivery-status; boundary=zz\n\n--zz\nContent-Type: message/delivery-status\n\nAction: failed\n--zz--\n'
	} >"$MD/new/11.M11.host"
	run leads sweep --maildir "$MD"
	# nothing crashes; a DSN without a recipient marks nothing; the forged
	# Message-ID does not match the outbox
	assert [ "$status" -eq 0 -o "$status" -eq 1 ]
	run -0 sql "SELECT count(*) FROM mail_flags"
	assert_output 0
	[ -d "$MD/new/10.M10.host" ]
}

@test "a dry run reads and moves nothing" {
	sent_one
	thunderbird_reply >"$MD/new/1.M1.host"
	run -0 leads sweep -n --maildir "$MD"
	[ -f "$MD/new/1.M1.host" ]
	run -0 leads sequence list
	assert_output --partial running
}
