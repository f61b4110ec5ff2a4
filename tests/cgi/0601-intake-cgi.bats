#!/usr/bin/env bats
# leads intake behind a real web server: lighttpd with mod_cgi on
# 127.0.0.1, forms posted with curl. `make check-cgi` runs this file
# (DECISIONS: long checks); it skips when lighttpd cannot start.
load ../test_helper

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_lighttpd() {
	command -v lighttpd >/dev/null || skip "lighttpd is not installed (apt-get install lighttpd)"
	command -v curl >/dev/null || skip "curl is not installed"
	W=$BATS_TEST_TMPDIR/www
	mkdir -p "$W" "$BATS_TEST_TMPDIR/spool"
	cat >"$BATS_TEST_TMPDIR/intake.yaml" <<-YAML
	intake:
	  spool: $BATS_TEST_TMPDIR/spool
	  honeypot: website_url
	  max_body: 4096
	$*
	YAML
	chmod 644 "$BATS_TEST_TMPDIR/intake.yaml"
	# the web server's environment is its own: the wrapper names the config
	cat >"$W/intake.cgi" <<-SH
	#!/bin/sh
	LEADS_CONFIG=$BATS_TEST_TMPDIR/intake.yaml exec $LEADS_BIN intake
	SH
	chmod 755 "$W/intake.cgi"
	PORT=$(free_port)
	local user=""
	if [ "$(id -u)" = 0 ]; then
		# as root lighttpd would run the CGI as root: give it nobody, as a server would
		user='server.username = "nobody"
server.groupname = "nogroup"'
		local d=$BATS_TEST_TMPDIR
		while [ "$d" != / ]; do chmod o+x "$d"; d=$(dirname "$d"); done
		chmod 777 "$BATS_TEST_TMPDIR/spool"
		: >"$BATS_TEST_TMPDIR/error.log"
		chown nobody "$BATS_TEST_TMPDIR/error.log"
	fi
	cat >"$BATS_TEST_TMPDIR/lighttpd.conf" <<-CONF
	server.modules = ("mod_cgi")
	server.document-root = "$W"
	server.bind = "127.0.0.1"
	server.port = $PORT
	server.errorlog = "$BATS_TEST_TMPDIR/error.log"
	cgi.assign = (".cgi" => "")
	$user
	CONF
	lighttpd -D -f "$BATS_TEST_TMPDIR/lighttpd.conf" >"$BATS_TEST_TMPDIR/lighttpd.out" 2>&1 &
	LPID=$!
	echo "$LPID" >"$BATS_TEST_TMPDIR/lighttpd.pid"
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0
		kill -0 "$LPID" 2>/dev/null || break
		sleep 0.1
	done
	skip "lighttpd did not start: $(cat "$BATS_TEST_TMPDIR/lighttpd.out" "$BATS_TEST_TMPDIR/error.log" 2>/dev/null | head -3)"
}

teardown() {
	if [ -f "$BATS_TEST_TMPDIR/lighttpd.pid" ]; then
		kill "$(cat "$BATS_TEST_TMPDIR/lighttpd.pid")" 2>/dev/null || true
		wait 2>/dev/null || true
	fi
}

URL() { echo "http://127.0.0.1:$PORT/intake.cgi"; }

# curl ARGS...: "STATUS BODY" of the answer
req() {
	curl -s -o "$BATS_TEST_TMPDIR/body" -w '%{http_code}' "$@" >"$BATS_TEST_TMPDIR/code"
	echo "$(cat "$BATS_TEST_TMPDIR/code") $(cat "$BATS_TEST_TMPDIR/body")"
}

spooled() { find "$BATS_TEST_TMPDIR/spool" -maxdepth 1 -name '*.json' | wc -l; }

@test "lighttpd: a form, multipart and JSON are spooled and drained into leads" {
	start_lighttpd
	run req --data-urlencode 'name=Ana Lima' --data-urlencode 'email=ana@example.com' \
		--data-urlencode 'company=Acme' --data-urlencode 'utm_source=newsletter' "$(URL)"
	assert_output '202 {"ok":true}'
	run req -F 'full_name=Bo Ek' -F 'email=bo@example.com' "$(URL)"
	assert_output '202 {"ok":true}'
	run req -H 'Content-Type: application/json' --data '{"name":"Cy Do","phone":"+46 8 123"}' "$(URL)"
	assert_output '202 {"ok":true}'
	[ "$(spooled)" = 3 ]
	export LEADS_CONFIG=$BATS_TEST_TMPDIR/intake.yaml
	chmod 600 "$LEADS_CONFIG"
	leads init -q
	run leads intake --drain
	assert_success
	run sql 'SELECT first_name, last_name, email, source FROM leads ORDER BY first_name'
	assert_output $'Ana|Lima|ana@example.com|newsletter\nBo|Ek|bo@example.com|\nCy|Do||'
}

@test "lighttpd: hostile forms are refused with a status and no internals" {
	start_lighttpd
	run req --data 'email=a%ffb' "$(URL)"
	assert_output '400 {"ok":false,"error":"invalid UTF-8 in field '"'email'"'"}'
	run req --data 'email=a%40b.se&email=c%40d.se' "$(URL)"
	assert_output '400 {"ok":false,"error":"field '"'email'"' given twice"}'
	head -c 10000 /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/big"
	run req --data-binary "@$BATS_TEST_TMPDIR/big" "$(URL)"
	assert_output --regexp '^413 '
	run req -F 'cv=@/etc/hostname' -F 'email=a@b.se' "$(URL)"
	assert_output '400 {"ok":false,"error":"file uploads are not accepted"}'
	run req --data 'email=x%40y.se&website_url=spam' "$(URL)"
	assert_output '202 {"ok":true}'
	run req -X PUT --data 'email=x%40y.se' "$(URL)"
	assert_output --regexp '^405 '
	run req "$(URL)"
	assert_output '405 {"ok":false,"error":"send the form with POST"}'
	[ "$(spooled)" = 0 ]
	run cat "$BATS_TEST_TMPDIR/body"
	refute_output --partial "$BATS_TEST_TMPDIR"
}

@test "lighttpd: the opens pixel is a GIF for any token; only a signed one is spooled" {
	start_lighttpd '  opens: true
  url: http://127.0.0.1/intake.cgi
  secret: a-secret-of-more-than-16-bytes'
	export LEADS_CONFIG=$BATS_TEST_TMPDIR/intake.yaml
	u=$(leads intake --pixel-url 7)
	tok=${u#*o=}
	run curl -s -D - -o "$BATS_TEST_TMPDIR/gif" "$(URL)?o=$tok"
	assert_line --regexp '^HTTP/1\.1 200 OK'
	assert_line --regexp '^Content-Type: image/gif'
	run head -c 6 "$BATS_TEST_TMPDIR/gif"
	assert_output GIF89a
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/gif")" = 43 ]
	[ "$(spooled)" = 1 ]
	run curl -s -o /dev/null -w '%{http_code} %{content_type}' "$(URL)?o=8.${tok#7.}"
	assert_output '200 image/gif'
	[ "$(spooled)" = 1 ]
}
