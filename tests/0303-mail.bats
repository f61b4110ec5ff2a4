#!/usr/bin/env bats
# Mail: what sendmail receives, failures and retries (exactly once),
# timeouts (maybe sent: more in 0306-mail-delivery.bats), giving up,
# forced retries, header injection, RFC 2047, templates, and leads outbox.
load test_helper
load wf_helper

# One idle lead in Prospecting: its first reminder is due on 11-08.
one_reminder() {
	wf_config </dev/null
	LEADS_NOW=2026-11-01T09:00:00Z add_lead --email a@example.com "$@" --owner ana
	export LEADS_NOW=2026-11-08T09:00:00Z
}

@test "the message sendmail receives, byte for byte" {
	one_reminder --first Ann --last Lee
	run -0 leads sweep -q
	assert_equal "$(mails)" 1
	run -0 mail_text
	assert_output '==> sendmail -t -i
From: "Leads" <leads@example.com>
To: "ana" <ana@example.com>
Subject: Reminder: Ann Lee idle for 1w in Prospecting
Date: Sun, 8 Nov 2026 09:00:00 +0000
Message-ID: <leads.1.2d02b8836364c2a9@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit
Auto-Submitted: auto-generated

Hello ana,

Ann Lee has been in Prospecting with no action since 2026-11-01 09:00 UTC (1w).
This is reminder 1.

  leads show 1'
	# outbox show prints what was piped
	run -0 leads outbox show 1
	assert_equal "$output" "$(mail_text | tail -n +2)"
}

@test "a failing sendmail, then a working one: delivered exactly once" {
	one_reminder
	MAIL_FAIL=75 run --separate-stderr leads sweep
	assert_failure 1
	assert_output "sweep: 0 leads inactive, 1 reminder, 0 tasks late, 0 due-soon notices, 0 leads re-routed; mail: 1 queued, 0 sent, 1 to retry, 0 failed, 1 waiting"
	run -0 leads outbox list --format tsv
	assert_output "id	kind	to	subject	created_at	state	tries	next_try	error
1	reminder	ana <ana@example.com>	Reminder: a@example.com idle for 1w in Prospecting	2026-11-08T09:00:00Z	retry	1	2026-11-08T09:05:00Z	'$FIXTURES/sendmail' exited with status 75: fake sendmail: failing with status 75 as told"
	# not due again yet: nothing is tried, nothing is sent
	run -0 leads sweep
	assert_output --partial "mail: 0 queued, 0 sent, 0 to retry, 0 failed, 1 waiting"
	assert_equal "$(mails)" 0
	LEADS_NOW=2026-11-08T09:05:00Z run -0 leads sweep
	assert_output --partial "mail: 0 queued, 1 sent, 0 to retry, 0 failed, 0 waiting"
	assert_equal "$(mails)" 1
	LEADS_NOW=2026-11-09T09:05:00Z run -0 leads sweep
	LEADS_NOW=2026-11-09T09:05:00Z run -0 leads outbox retry
	assert_output "outbox: 0 sent, 0 to retry, 0 failed"
	assert_equal "$(mails)" 1
	run -0 sql "SELECT tries, CAST(last_error IS NULL AS INTEGER), datetime(sent_at, 'unixepoch') FROM outbox ORDER BY id"
	assert_output "2|1|2026-11-08 09:05:00"
}

@test "backoff 5m, 15m, 45m...; the sixth failure gives up; outbox retry revives it" {
	one_reminder
	export MAIL_FAIL=1
	t=$(date -u -d 2026-11-08T09:00:00Z +%s)
	for i in 1 2 3 4 5 6; do
		LEADS_NOW=$(date -u -d "@$t" +%FT%TZ) run --separate-stderr leads sweep -q
		assert_failure 1
		next=$(sql "SELECT next_try_at FROM outbox ORDER BY id")
		echo "$((next - t))" >>delays
		t=$next
	done
	run -0 cat delays
	assert_output $'300\n900\n2700\n8100\n24300\n43200'
	assert_equal "${stderr_lines[0]}" "leads sweep: message #1 to ana <ana@example.com> not sent: '$FIXTURES/sendmail' exited with status 1: fake sendmail: failing with status 1 as told (gave up; see leads outbox list)"
	run -0 leads outbox list --failed --format tsv
	assert_line --index 1 --regexp $'^1\treminder\t.*\tfailed\t6\t\t'
	# failed messages are not retried by the sweep
	LEADS_NOW=2026-11-10T09:00:00Z run -0 leads sweep -q
	assert_equal "$(mails)" 0
	# a forced retry that fails leaves it failed
	run --separate-stderr leads outbox retry
	assert_failure 1
	assert_output "outbox: 0 sent, 0 to retry, 1 failed"
	unset MAIL_FAIL
	run -0 leads outbox retry 1
	assert_output "outbox: 1 sent, 0 to retry, 0 failed"
	assert_equal "$(mails)" 1
	run --separate-stderr leads outbox retry 1
	assert_success
	assert_output ""
	assert_equal "$stderr" "leads outbox: message #1 was sent already"
	run -0 leads outbox list
	assert_output ""
}

@test "a hanging sendmail times out: maybe sent, left for outbox retry" {
	one_reminder
	# it hangs before reading, but the message is in its pipe: it may send it
	MAIL_SLEEP=3 run --separate-stderr leads sweep -q --timeout 0.2
	assert_failure 1
	assert_equal "${stderr_lines[0]}" "leads sweep: message #1 to ana <ana@example.com> may have been sent: '$FIXTURES/sendmail' timed out after 200 ms (not sent again; see the mail log, then: leads outbox retry 1)"
	assert_equal "$(mails)" 0
	LEADS_NOW=2026-11-08T10:00:00Z run -0 leads sweep -q
	assert_equal "$(mails)" 0
	LEADS_NOW=2026-11-08T10:00:00Z run -0 leads outbox retry 1
	assert_equal "$(mails)" 1
}

@test "a sendmail that cannot be run is a failure to retry, not a crash" {
	one_reminder
	sed -i "s|sendmail: .*|sendmail: $BATS_TEST_TMPDIR/no-such-sendmail -t|" "$LEADS_CONFIG"
	run --separate-stderr leads sweep -q
	assert_failure 1
	assert_equal "${stderr_lines[0]}" "leads sweep: message #1 to ana <ana@example.com> not sent: cannot run '$BATS_TEST_TMPDIR/no-such-sendmail': No such file or directory (will retry)"
}

@test "CR and LF in lead data never add a header or a recipient" {
	wf_config </dev/null
	LEADS_NOW=2026-11-01T09:00:00Z leads add --email a@example.com --owner ana \
		--first $'Eve\r\nBcc: evil@attacker.example\r\nX-Injected: yes' \
		--company $'Acme\n\nbody' >/dev/null
	LEADS_NOW=2026-11-08T09:00:00Z leads sweep -q
	assert_equal "$(mails)" 1
	# the header block: exactly our fields, one recipient
	run -0 bash -c "sed -n '2,/^\$/p' '$MAIL_DIR'/msg.* | sed 's/:.*//' | grep -v '^ ' | tr '\n' ' '"
	assert_output "From To Subject Date Message-ID MIME-Version Content-Type Content-Transfer-Encoding Auto-Submitted  "
	run -0 mail_header Subject
	assert_output "Reminder: Eve  Bcc: evil@attacker.example  X-Injected: yes idle for 1w in Prospecting"
	! mail_text | grep -q '^Bcc:'
	! mail_text | grep -q '^X-Injected:'
	run -0 mail_header To
	assert_output '"ana" <ana@example.com>'
}

@test "non-ASCII subjects and names are RFC 2047 encoded-words" {
	wf_config <<-'YAML'
	YAML
	sed -i 's/{name: ana, email: ana@example.com/{name: "Ana Conceição", email: ana@example.com/' "$LEADS_CONFIG"
	LEADS_NOW=2026-11-01T09:00:00Z leads add --email a@example.com --first João --last 'Ção' \
		--owner 'Ana Conceição' >/dev/null
	LEADS_NOW=2026-11-08T09:00:00Z leads sweep -q
	run -0 mail_header To
	assert_output "=?UTF-8?Q?Ana_Concei=C3=A7=C3=A3o?= <ana@example.com>"
	# folded so that no line is longer than 76 characters
	run -0 bash -c "grep -h -A1 '^Subject:' '$MAIL_DIR'/msg.*"
	assert_output "Subject: =?UTF-8?Q?Reminder=3A_Jo=C3=A3o_=C3=87=C3=A3o_idle_for_1w_in_Pros?=
 =?UTF-8?Q?pecting?="
	run -0 bash -c "sed '/^\$/q' '$MAIL_DIR'/msg.* | awk 'length > 76'"
	assert_output ""
	run -0 bash -c "grep -h '^Content-Transfer-Encoding' '$MAIL_DIR'/msg.*"
	assert_output "Content-Transfer-Encoding: quoted-printable"
	run -0 bash -c "grep -h '^Jo' '$MAIL_DIR'/msg.*"
	assert_output "Jo=C3=A3o =C3=87=C3=A3o has been in Prospecting with no action since 2026-1="
}

@test "templates in the config replace the built-in subject and body" {
	wf_config </dev/null
	cat >>"$LEADS_CONFIG" <<-'YAML'
	  templates:
	    reminder:
	      subject: "Nudge #{{reminder.number}}: {{lead.company}}"
	      body: |
	        {{rep.name}}, {{lead.first_name}} at {{lead.company}} waits since {{reminder.since}}.
	YAML
	LEADS_NOW=2026-11-01T09:00:00Z add_lead --email a@example.com --first Bo --company Initech --owner ana
	LEADS_NOW=2026-11-08T09:00:00Z leads sweep -q
	run -0 mail_header Subject
	assert_output "Nudge #1: Initech"
	run -0 bash -c "sed -n '/^\$/,\$p' '$MAIL_DIR'/msg.*"
	assert_output $'\nana, Bo at Initech waits since 2026-11-01 09:00 UTC.'
	# config show writes them back under mail:
	run -0 leads config show
	assert_output --partial '  templates:
    reminder:
      subject: "Nudge #{{reminder.number}}: {{lead.company}}"'
}

@test "outbox: usage errors and unknown messages" {
	one_reminder
	leads sweep -q --no-deliver
	run -0 leads outbox list --format tsv
	assert_line --index 1 --regexp $'^1\treminder\tana <ana@example.com>\t.*\tqueued\t0\t2026-11-08T09:00:00Z\t$'
	run --separate-stderr leads outbox frob
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads outbox: unknown subcommand 'frob' (list, retry, show)"
	run --separate-stderr leads outbox show 9
	assert_failure 66
	assert_equal "$stderr" "leads outbox: no message #9 in the outbox"
	run --separate-stderr leads outbox list --all --failed
	assert_failure 64
	run --separate-stderr leads outbox retry --failed
	assert_failure 64
	assert_equal "${stderr_lines[0]}" "leads outbox: --all, --failed, --sent and --unknown are options of outbox list"
}

@test "outbox show and retry honour --format" {
	one_reminder --first Ann --last Lee
	run -0 leads sweep -q --no-deliver
	run -0 leads outbox show 1 --format json
	echo "$output" | jq -e '.id == 1 and .kind == "reminder" and (.subject | test("^Reminder: Ann Lee"))
		and (.message | test("^From: ")) and .created_at == "2026-11-08T09:00:00Z"'
	run -0 --separate-stderr leads outbox retry --format jsonl
	assert_output '{"sent":1,"retry":0,"failed":0,"unknown":0}'
}
