#!/usr/bin/env bats
# Bulk routing (`route --all`, `--unassigned`) mails each member once: the
# usual assignment mail for one new lead, one digest for several (the
# first 50 listed, the rest counted). Leads routed one at a time still
# mail per lead.
load test_helper
load wf_helper
# routing mail is what this suite is about
export WF_ASSIGN_MAIL=true

# ana and ben (wf_config), Acme's leads to ben, the rest to ana; stdin
# goes on the mail section (templates).
digest_config() {
	{
		cat
		cat <<'YAML'
routing:
  rules:
    - {name: acme, when: {field: company, eq: Acme}, assign: ben}
  default: ana
YAML
	} | wf_config
}

# n leads without an owner: l1@x.com ... (first name Lead<i>, company Co<i>)
unrouted() {
	local i
	for i in $(seq "${2:-1}" "$1"); do
		leads add --email "l$i@x.com" --first "Lead$i" --company "Co$i" --no-route >/dev/null
	done
}

now=$(date -d 2026-11-24T09:00:00Z +%s)

@test "several leads to one member: one digest listing them; one lead: the usual mail" {
	digest_config </dev/null
	leads add --email ann@x.com --first Ann --last Lee --company Initech --no-route >/dev/null
	leads add --email bo@acme.example --first Bo --company Acme --phone 555-0100 --no-route >/dev/null
	leads add --email cy@x.com --no-route >/dev/null
	run --separate-stderr leads route --all
	assert_success
	assert_output "ID  NAME      OWNER  PREVIOUS  RULE     RESULT
 1  Ann Lee   ana              default  assigned
 2  Bo        ben              acme     assigned
 3  cy@x.com  ana              default  assigned"
	assert_equal "$stderr" "leads route: 3 leads: 3 assigned, 0 unchanged, 0 without a member"
	# every assignment is in the history all the same
	run -0 sql "SELECT lead_id, to_val, data FROM events WHERE kind = 'assigned' ORDER BY lead_id"
	assert_output '1|ana|{"rule":"default"}
2|ben|{"rule":"acme"}
3|ana|{"rule":"default"}'
	# members in the order of their first lead
	run -0 sql "SELECT kind, lead_id, rcpt, subject, idem_key FROM outbox ORDER BY id"
	assert_output "assignment_digest|1|ana@example.com|2 new leads assigned to you|assign-digest:$now:ana:000000000001
assignment|2|ben@example.com|New lead: Bo (Acme)|assign:000000000002:$now:ben"
	run -0 sql "SELECT body FROM outbox WHERE rcpt = 'ana@example.com' ORDER BY id"
	assert_output "Hello ana,

2 new leads are yours now:

#1 Ann Lee (Initech) — rule 'default'
#3 cy@x.com — rule 'default'

See them all with: leads list --owner ana"
	# ben's is exactly the mail `leads route 2` would have queued
	run -0 sql "SELECT body FROM outbox WHERE rcpt = 'ben@example.com' ORDER BY id"
	assert_output "Hello ben,

Lead #2 Bo is yours now (routing rule 'acme').

  Lead:     #2 Bo
  Email:    bo@acme.example
  Phone:    555-0100
  Company:  Acme
  Stage:    Prospecting
  Status:   new
  Owner:    ben
  Score:    0

See it with: leads show 2"
	# and the command it names lists them
	run -0 leads --format csv list --owner ana --columns id
	assert_output "id
1
3"
	run -0 leads sweep -q
	assert_equal "$(mails)" 2
}

@test "a digest lists the first 50 leads and counts the rest" {
	digest_config </dev/null
	unrouted 53
	run --separate-stderr leads --format tsv route --unassigned
	assert_success
	assert_equal "${#lines[@]}" 54
	assert_equal "$stderr" "leads route: 53 leads: 53 assigned, 0 unchanged, 0 without a member"
	run -0 sql "SELECT count(*), kind, subject FROM outbox GROUP BY kind, subject"
	assert_output "1|assignment_digest|53 new leads assigned to you"
	run -0 sql "SELECT body FROM outbox ORDER BY id"
	assert_line --index 2 "#1 Lead1 (Co1) — rule 'default'"
	assert_line --index 51 "#50 Lead50 (Co50) — rule 'default'"
	assert_line --index 52 "and 3 more"
	assert_line --index 53 "See them all with: leads list --owner ana"
	assert_equal "${#lines[@]}" 54
	refute_output --partial "#51 "
}

@test "the config's assignment_digest template words the digest" {
	digest_config <<'YAML'
  templates:
    assignment_digest:
      subject: "{{rep.name}}: {{digest.count}} for you"
      body: "To {{rep.email}} ({{digest.more}} not listed):\n{{digest.leads}}-- {{digest.command}}\n"
YAML
	unrouted 3
	run --separate-stderr leads -q route --all
	assert_success
	assert_equal "$stderr" ""
	run -0 sql "SELECT subject, body FROM outbox ORDER BY id"
	assert_output "ana: 3 for you|To ana@example.com (0 not listed):
#1 Lead1 (Co1) — rule 'default'
#2 Lead2 (Co2) — rule 'default'
#3 Lead3 (Co3) — rule 'default'
-- leads list --owner ana"
}

@test "a digest is about no lead: lead.* in its template is a config error" {
	digest_config <<'YAML'
  templates:
    assignment_digest:
      subject: "{{lead.name}} and others"
YAML
	run --separate-stderr leads route --all
	assert_failure 78
	assert_equal "${stderr_lines[0]}" "error: $LEADS_CONFIG:20:16: unknown placeholder '{{lead.name}}' in the assignment_digest template (it is about no single lead: use rep.name rep.email digest.count digest.leads digest.more digest.command)"
	assert_equal "${stderr_lines[1]}" '        subject: "{{lead.name}} and others"'
}

@test "a run again sends nothing twice; a second run in the same second has its own digest" {
	digest_config </dev/null
	unrouted 2
	run -0 leads -q route --all
	run -0 leads -q sweep
	assert_equal "$(mails)" 1
	# owned leads are left alone: no mail
	run --separate-stderr leads route --all --reassign
	assert_success
	assert_equal "$stderr" "leads route: 2 leads: 0 assigned, 2 unchanged, 0 without a member"
	run -0 sql "SELECT count(*) FROM outbox"
	assert_output 1
	# new leads at the same LEADS_NOW: a digest of their own, under its own key
	unrouted 4 3
	run -0 leads -q route --unassigned
	run -0 sql "SELECT idem_key, subject FROM outbox ORDER BY id"
	assert_output "assign-digest:$now:ana:000000000001|2 new leads assigned to you
assign-digest:$now:ana:000000000003|2 new leads assigned to you"
	run -0 leads -q sweep
	run -0 leads -q sweep
	assert_equal "$(mails)" 2
	run -0 mail_header Subject
	assert_output "2 new leads assigned to you
2 new leads assigned to you"
}

@test "a dry run queues nothing; leads routed by id are mailed one by one" {
	digest_config </dev/null
	unrouted 3
	run --separate-stderr leads route --all --dry-run
	assert_success
	run -0 sql "SELECT count(*) FROM outbox"
	assert_output 0
	run --separate-stderr leads route 1 2 3
	assert_success
	assert_equal "$stderr" "leads route: 3 leads: 3 assigned, 0 unchanged, 0 without a member"
	run -0 sql "SELECT kind, subject FROM outbox ORDER BY id"
	assert_output "assignment|New lead: Lead1 (Co1)
assignment|New lead: Lead2 (Co2)
assignment|New lead: Lead3 (Co3)"
}
