#!/usr/bin/env bats
# Connection strings in messages: every secret libpq accepts is masked,
# however it is spelled (lib/db_pg.c mask_secrets), libpq's own messages
# about the string included; a string libpq cannot read is said so (64),
# not blamed on a server. No server needed: nothing listens on
# 127.0.0.1 port 1, and /nonexistent holds no socket.
load test_helper

# leads -d CONNINFO list: its one line of stderr, which must not hold SECRET
conn_err() {
	local conninfo=$1 secret=$2
	run --separate-stderr "$LEADS_BIN" -d "$conninfo" list
	assert_output ""
	[[ "$stderr" != *"$secret"* ]] || fail "the secret '$secret' shows: $stderr"
}

@test "conninfo: key=value passwords are masked whatever the spacing and quoting" {
	conn_err 'host=/nonexistent dbname=x password = s3cretA' s3cretA
	assert_failure 74
	assert_equal "$stderr" "leads list: cannot connect to 'host=/nonexistent dbname=x password = ***' (host /nonexistent, port 5432): No such file or directory"
	conn_err "host=/nonexistent password='s3 cret\\'B' dbname=x" cretB
	assert_equal "$stderr" "leads list: cannot connect to 'host=/nonexistent password='***' dbname=x' (host /nonexistent, port 5432): No such file or directory"
	conn_err 'host=/nonexistent sslpassword=s3cretC' s3cretC
	assert_equal "$stderr" "leads list: cannot connect to 'host=/nonexistent sslpassword=***' (host /nonexistent, port 5432): No such file or directory"
	conn_err 'host=/nonexistent password=s3cretD sslpassword=s3cretE' s3cretE
	[[ "$stderr" != *s3cretD* ]] || fail "$stderr"
	# libpq refuses a password without '=': what follows is still hidden
	conn_err 'host=/nonexistent password s3cretF' s3cretF
	assert_failure 64
	assert_equal "$stderr" "leads list: 'host=/nonexistent password ***' is not a PostgreSQL connection string: missing \"=\" after \"password\" in connection info string"
}

@test "conninfo: URI passwords are masked: userinfo, an unencoded '/' or '@', query parameters" {
	conn_err 'postgresql://ana:s3cretG@127.0.0.1:1/leads?connect_timeout=2' s3cretG
	assert_failure 74
	assert_equal "$stderr" "leads list: cannot connect to 'postgresql://ana:***@127.0.0.1:1/leads?connect_timeout=2' (host 127.0.0.1, port 1): Connection refused"
	# libpq reads "ana" as the host and "s3cret" as the port: neither shows
	conn_err 'postgres://ana:s3cret/xH@127.0.0.1:1/leads' s3cret
	assert_failure 74
	assert_equal "$stderr" "leads list: cannot connect to 'postgres://ana:***@127.0.0.1:1/leads' (host ana, port ***): invalid integer value \"***\" for connection option \"port\" (in a URI, a password's '/' is written %2F and its '@' %40)"
	conn_err 'postgresql://ana:s3c%2FretI@127.0.0.1:1/leads' retI
	assert_equal "$stderr" "leads list: cannot connect to 'postgresql://ana:***@127.0.0.1:1/leads' (host 127.0.0.1, port 1): Connection refused"
	conn_err 'postgresql://127.0.0.1:1/leads?password=s3cretJ&connect_timeout=2' s3cretJ
	assert_equal "$stderr" "leads list: cannot connect to 'postgresql://127.0.0.1:1/leads?password=***&connect_timeout=2' (host 127.0.0.1, port 1): Connection refused"
	conn_err 'postgresql://127.0.0.1:1/leads?pass%77ord=s3cretK&sslpassword=s3cretL' s3cretK
	[[ "$stderr" != *s3cretL* ]] || fail "$stderr"
	assert_equal "$stderr" "leads list: cannot connect to 'postgresql://127.0.0.1:1/leads?pass%77ord=***&sslpassword=***' (host 127.0.0.1, port 1): Connection refused"
}

@test "conninfo: libpq's own message about a bad string does not show the password; exit 64, no host" {
	conn_err 'postgresql://ana:s3c%zzretM@127.0.0.1:1/leads' retM
	assert_failure 64
	assert_equal "$stderr" "leads list: 'postgresql://ana:***@127.0.0.1:1/leads' is not a PostgreSQL connection string: invalid percent-encoded token: \"***\""
	conn_err 'postgresql://ana:s3cretN@[::1/leads' s3cretN
	assert_failure 64
	assert_equal "$stderr" "leads list: 'postgresql://ana:***@[::1/leads' is not a PostgreSQL connection string: end of string reached when looking for matching \"]\" in IPv6 host address in URI: \"postgresql://ana:***@[::1/leads\""
	conn_err 'postgresql://127.0.0.1:1/leads?password=s3c%zzretO' retO
	assert_failure 64
	conn_err 'host=/nonexistent nosuchoption=1 password=s3cretP' s3cretP
	assert_failure 64
	assert_equal "$stderr" "leads list: 'host=/nonexistent nosuchoption=1 password=***' is not a PostgreSQL connection string: invalid connection option \"nosuchoption\""
	[[ "$stderr" != *localhost* ]] || fail "$stderr"
}

@test "conninfo: a multi-host URI with target_session_attrs=read-write names its hosts; down is 74" {
	conn_err 'postgresql://ana:s3cretQ@127.0.0.1:1,127.0.0.1:2/leads?target_session_attrs=read-write&connect_timeout=2' s3cretQ
	assert_failure 74
	[[ "$stderr" == "leads list: cannot connect to 'postgresql://ana:***@127.0.0.1:1,127.0.0.1:2/leads?target_session_attrs=read-write&connect_timeout=2' (host 127.0.0.1, port "*"): Connection refused" ]] || fail "$stderr"
}
