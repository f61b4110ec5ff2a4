#!/usr/bin/env bats
# leads intake as a CGI program, driven directly: the CGI variables are set
# and the body piped in, no web server (tests/0601-intake-cgi.bats has the
# real one). Then --drain and the sweep import the spool.
load test_helper

stderr_has() {
	[[ $stderr == *"$1"* ]] || fail "stderr has no '$1': $stderr"
}

intake_config() {
	mkdir -p spool
	cat >intake.yaml <<-YAML
	intake:
	  spool: spool
	  honeypot: website_url
	  reject_when: {field: extra.message, regex: "casino|viagra", ignore_case: true}
	  fields: {org_name: company, newsletter: ignore}
	  max_body: 2048
	$*
	YAML
	chmod 600 intake.yaml
	export LEADS_CONFIG=$PWD/intake.yaml
}

# post CONTENT_TYPE BODY: run leads intake as the server would
post() {
	local ct=$1 body=$2
	run --separate-stderr bash -c 'printf "%s" "$2" | REQUEST_METHOD=POST CONTENT_TYPE="$1" \
		CONTENT_LENGTH=${#2} "$LEADS_BIN" intake' _ "$ct" "$body"
}

form() { post application/x-www-form-urlencoded "$1"; }

spooled() { find spool -maxdepth 1 -name '*.json' | wc -l; }

@test "a urlencoded form is spooled, not put in the database, then drained" {
	intake_config
	rm -f "$LEADS_DB"
	form 'full_name=Ana+Lima&email=ana%40example.com&org_name=Acme&utm_source=google&utm_campaign=spring&message=Call+me&newsletter=yes'
	assert_success
	assert_line --index 0 $'Status: 202 Accepted\r'
	assert_output --partial '{"ok":true}'
	[ ! -e "$LEADS_DB" ] # the CGI never opens the database
	[ "$(spooled)" = 1 ]
	f=$(find spool -name '*.json')
	[ "$(stat -c %a "$f")" = 640 ]
	run jq -c .fields "$f"
	assert_output '{"name":"Ana Lima","email":"ana@example.com","company":"Acme","source":"google","extra.utm_source":"google","extra.utm_campaign":"spring","extra.message":"Call me"}'
	leads init -q
	run --separate-stderr leads intake --drain
	assert_success
	assert_equal "$stderr" "leads intake: 1 imported, 0 set aside"
	[ "$(spooled)" = 0 ]
	run sql "SELECT first_name, last_name, company, source, json_extract(extra, '$.message') FROM leads"
	assert_output 'Ana|Lima|Acme|google|Call me'
}

@test "multipart and JSON bodies are read the same way" {
	intake_config
	leads init -q
	b=$'--XyZ\r\nContent-Disposition: form-data; name="name"\r\n\r\nBo Ek\r\n--XyZ\r\nContent-Disposition: form-data; name="email"\r\n\r\nbo@example.com\r\n--XyZ--\r\n'
	post 'multipart/form-data; boundary=XyZ' "$b"
	assert_success
	post application/json '{"fullName":"Cy Do Re","phone":"+46 70 123","organization":"Initech"}'
	assert_success
	run leads intake --drain
	assert_success
	run leads list --format csv
	assert_line --partial 'Bo Ek,bo@example.com'
	assert_line --partial 'Cy Do Re'
	run sql "SELECT first_name, last_name, phone, company FROM leads WHERE id = 2"
	assert_output 'Cy Do|Re|+46 70 123|Initech'
}

@test "hostile bodies: bad encodings, duplicates, oversize, uploads, wrong types" {
	intake_config
	form 'email=a%ffb'
	assert_failure 65
	assert_line --index 0 $'Status: 400 Bad Request\r'
	assert_output --partial 'invalid UTF-8'
	form 'email=%zz'
	assert_failure 65
	assert_output --partial 'bad percent-encoding'
	form 'email=a%00b'
	assert_failure 65
	form 'email=a%40b.se&EMAIL=c%40d.se'
	assert_failure 65
	assert_output --partial "field 'EMAIL' given twice"
	form "message=$(head -c 3000 /dev/zero | tr '\0' a)&email=a%40b.se"
	assert_failure 65
	assert_line --index 0 $'Status: 413 Content Too Large\r'
	post text/plain 'email=a@b.se'
	assert_line --index 0 $'Status: 415 Unsupported Media Type\r'
	b=$'--B\r\nContent-Disposition: form-data; name="cv"; filename="/etc/passwd"\r\n\r\nroot\r\n--B--\r\n'
	post 'multipart/form-data; boundary=B' "$b"
	assert_failure 65
	assert_output --partial 'file uploads are not accepted'
	post application/json '{"email":"a@b.se","email":"c@d.se"}'
	assert_failure 65
	post application/json '{"tags":["x"]}'
	assert_failure 65
	post application/json $'{"name":"\xff"}'
	assert_failure 65
	form 'email=not-an-address'
	assert_failure 65
	assert_output --partial '"error":"invalid email address '"'not-an-address'"'"'
	form 'utm_campaign=x'
	assert_failure 65
	assert_output --partial 'a lead needs an email, a name, a company or a phone'
	# none of these left a file, and no answer shows a path or an errno
	[ "$(spooled)" = 0 ]
	refute_output --partial "$PWD"
	run --separate-stderr bash -c 'REQUEST_METHOD=POST CONTENT_TYPE=application/x-www-form-urlencoded "$LEADS_BIN" intake </dev/null'
	assert_line --index 0 $'Status: 411 Length Required\r'
	run --separate-stderr bash -c 'REQUEST_METHOD=PUT "$LEADS_BIN" intake </dev/null'
	assert_line --index 0 $'Status: 405 Method Not Allowed\r'
	assert_line $'Allow: POST\r'
}

@test "spam: the honeypot and reject_when are answered as a success, nothing kept" {
	intake_config
	form 'name=Bot&email=bot%40spam.example&website_url=http%3A%2F%2Fx'
	assert_success
	assert_output --partial '{"ok":true}'
	assert_equal "$stderr" "leads intake: spam: the honeypot field 'website_url' was filled in; nothing kept"
	form 'name=Bot&email=bot%40spam.example&message=Best+CASINO+deals'
	assert_success
	stderr_has 'reject_when matched'
	[ "$(spooled)" = 0 ]
}

@test "intake.redirect answers 303 with the Location" {
	intake_config '  redirect: https://example.com/thanks'
	form 'email=a%40b.se'
	assert_success
	assert_line --index 0 $'Status: 303 See Other\r'
	assert_line $'Location: https://example.com/thanks\r'
}

@test "the spool cannot be written: 500 without the path or the errno text" {
	intake_config
	rmdir spool
	form 'email=a%40b.se'
	assert_failure
	assert_line --index 0 $'Status: 500 Internal Server Error\r'
	assert_output --partial '"the submission could not be saved"'
	refute_output --partial spool
	refute_output --partial 'No such file'
	stderr_has 'No such file'
}

@test "drain: a bad file goes to failed/ with its reason; a known email is noted, not doubled" {
	intake_config
	leads init -q
	add_lead --email ana@example.com --first Ana
	form 'email=ana%40example.com&message=again'
	assert_success
	echo '{"type":"lead","at":1,"fields":{"email":"broken"}}' >spool/1-bad.json
	echo 'not json' >spool/2-junk.json
	run --separate-stderr leads intake --drain
	assert_failure 65
	stderr_has "1-bad.json: invalid email address 'broken'"
	stderr_has 'leads intake: 1 imported, 2 set aside'
	[ -f spool/failed/1-bad.json ] && [ -f spool/failed/2-junk.json ]
	run cat spool/failed/1-bad.json.error
	assert_output "invalid email address 'broken'"
	[ "$(spooled)" = 0 ]
	[ "$(sql 'SELECT count(*) FROM leads')" = 1 ]
	run sql "SELECT kind FROM events WHERE lead_id = $id ORDER BY id DESC LIMIT 1"
	assert_output form
}

@test "drain: a file imported but not yet removed (a crash) is not imported twice; one drain at a time" {
	intake_config
	leads init -q
	form 'name=Bo+Ek'
	cp spool/*.json keep.json
	name=$(basename spool/*.json)
	run leads intake --drain
	assert_success
	cp keep.json "spool/$name"
	run leads intake --drain
	assert_success
	[ ! -e "spool/$name" ]
	[ "$(sql 'SELECT count(*) FROM leads')" = 1 ]
	form 'name=Cy+Do'
	run --separate-stderr flock spool "$LEADS_BIN" intake --drain
	assert_failure 75
	stderr_has 'another drain of the spool is running'
	run --separate-stderr flock spool "$LEADS_BIN" sweep --no-deliver
	assert_success
	[ "$(spooled)" = 1 ]
}

@test "the sweep drains the spool before its other work" {
	intake_config
	leads init -q
	form 'name=Bo+Ek&email=bo%40example.com'
	run --separate-stderr leads sweep --no-deliver
	assert_success
	stderr_has 'intake: 1 imported, 0 set aside'
	[ "$(sql 'SELECT first_name FROM leads')" = Bo ]
	[ "$(sql "SELECT actor FROM events WHERE kind = 'created'")" = intake ]
}

@test "add --json takes a full name and splits it as the intake does" {
	leads init -q
	run leads add --json <<<'{"name":"Bo Ek"}'
	assert_success
	run leads add --json <<<'{"full_name":"Anna Maria  von Berg","first_name":""}'
	assert_success
	run sql "SELECT first_name || '|' || last_name FROM leads ORDER BY id"
	assert_output $'Bo|Ek\nAnna Maria  von|Berg'
	run leads add --json <<<'{"name":"Cy","last":"Given"}'
	assert_success
	run sql "SELECT coalesce(first_name,'-') || '|' || last_name FROM leads WHERE id = 3"
	assert_output -- '-|Given'
}

@test "without REQUEST_METHOD, leads intake is a usage error" {
	run --separate-stderr leads intake
	assert_failure 64
	stderr_has 'REQUEST_METHOD is not set'
}

opens_config() {
	mkdir -p spool
	cat >intake.yaml <<-YAML
	team:
	  - {name: ana, email: ana@example.com}
	mail:
	  sendmail: $PWD/sendmail
	intake:
	  spool: spool
	  opens: true
	  url: https://example.com/cgi-bin/intake?x=1
	  secret_file: $PWD/secret
	YAML
	printf 'a-secret-of-more-than-16-bytes\n' >secret
	chmod 600 intake.yaml secret
	export LEADS_CONFIG=$PWD/intake.yaml
}


@test "opens pixel: a signed token serves a GIF and logs email.opened once per message" {
	opens_config
	leads init -q
	add_lead --email lead@example.com --owner ana
	run leads intake --pixel-url 1
	assert_success
	assert_output --regexp '^https://example\.com/cgi-bin/intake\?x=1&o=1\.[0-9a-f]{32}$'
	tok=${output#*o=}
	run bash -c 'REQUEST_METHOD=GET QUERY_STRING="o=$1" "$LEADS_BIN" intake | head -2' _ "$tok"
	assert_output $'Status: 200 OK\r\nContent-Type: image/gif\r'
	REQUEST_METHOD=GET QUERY_STRING="o=$tok" leads intake >/dev/null
	[ "$(spooled)" = 2 ]
	# forged, enumerated or malformed tokens: the same GIF, nothing kept
	run bash -c 'REQUEST_METHOD=GET QUERY_STRING="o=2.${1#1.}" "$LEADS_BIN" intake 2>/dev/null | head -2' _ "$tok"
	assert_output $'Status: 200 OK\r\nContent-Type: image/gif\r'
	REQUEST_METHOD=GET QUERY_STRING="o=1.00000000000000000000000000000000" leads intake >/dev/null 2>&1
	REQUEST_METHOD=GET QUERY_STRING="o=../../etc" leads intake >/dev/null 2>&1
	[ "$(spooled)" = 2 ]
	run leads intake --drain
	assert_success
	[ "$(sql "SELECT count(*) FROM events WHERE kind = 'email_opened' AND lead_id = $id")" = 1 ]
	# a later open of the same message changes nothing
	REQUEST_METHOD=GET QUERY_STRING="o=$tok" leads intake >/dev/null
	run leads intake --drain
	assert_success
	[ "$(sql "SELECT count(*) FROM events WHERE kind = 'email_opened'")" = 1 ]
}

@test "opens pixel: {{pixel_url}} in a queued body is the signed URL when sent" {
	opens_config
	cat >sendmail <<-'SH'
	#!/bin/sh
	cat >>"$(dirname "$0")/sent.txt"
	SH
	chmod 755 sendmail
	leads init -q
	add_lead --email lead@example.com --owner ana
	sql "UPDATE outbox SET body = 'Hi <img src=\"{{pixel_url}}\">' WHERE id = 1"
	run leads sweep
	assert_success
	run grep -o 'o=1\.[0-9a-f]*' sent.txt
	assert_output --regexp '^o=1\.[0-9a-f]{32}$'
	run sql 'SELECT body FROM outbox WHERE id = 1'
	assert_output 'Hi <img src="{{pixel_url}}">'
}

@test "opens pixel: off by default (404), and a missing libcrypto names its package" {
	intake_config
	run bash -c 'REQUEST_METHOD=GET QUERY_STRING="o=1.00000000000000000000000000000000" "$LEADS_BIN" intake 2>/dev/null | head -1'
	assert_output $'Status: 404 Not Found\r'
	opens_config
	run --separate-stderr env LEADS_LIBCRYPTO=/nonexistent/libcrypto.so.3 "$LEADS_BIN" intake --pixel-url 1
	assert_failure 69
	stderr_has 'libcrypto.so.3 (Debian package libssl3)'
}

@test "config show keeps the intake section but not the pixel's secret" {
	mkdir -p spool
	cat >intake.yaml <<-YAML
	intake:
	  spool: spool
	  honeypot: website_url
	  opens: true
	  url: https://example.com/i
	  secret: do-not-print-this-secret
	YAML
	chmod 600 intake.yaml
	run --separate-stderr leads -c intake.yaml config show
	assert_success
	assert_output --partial 'honeypot: website_url'
	assert_output --partial '# secret: (hidden by config show)'
	refute_output --partial 'do-not-print-this-secret'
}

@test "config: intake mistakes are config errors at their line" {
	cat >bad.yaml <<-YAML
	intake:
	  max_body: 99999999
	  fields: {org: owner_name}
	  opens: true
	YAML
	chmod 600 bad.yaml
	run --separate-stderr leads -c bad.yaml config check
	assert_failure
	stderr_has 'bad.yaml:2:13: expected a whole number from 1 to 1048576 for max_body'
	stderr_has "bad.yaml:3:17: 'owner_name' is not a lead field"
	printf 'intake:\n  opens: true\n  url: https://example.com/i\n' >bad.yaml
	run --separate-stderr leads -c bad.yaml config check
	assert_failure
	stderr_has 'opens needs a secret or a secret_file'
}
