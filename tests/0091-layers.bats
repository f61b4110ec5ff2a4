#!/usr/bin/env bats
# The layers of the code (README, "Layout"), checked so that they cannot
# drift: lib/ is flat, so these rules are what keeps its layers apart.

load test_helper

ROOT=$BATS_TEST_DIRNAME/..

@test "only the storage layer (lib/db*.c) sees the statement interface" {
	cd "$ROOT"
	run bash -c "grep -l '#include \"dbi.h\"' lib/*.c | grep -v '^lib/db[a-z_]*\.c$'"
	assert_output ""
}

@test "lib/ never includes a header of cmd/" {
	cd "$ROOT"
	local h hdrs
	hdrs=$(cd cmd && ls ./*.h | sed 's|^\./||')
	for h in $hdrs; do
		run grep -l "#include \"$h\"" lib/*.c lib/*.h
		assert_output ""
	done
}

@test "lib/ never prints: only the out-of-memory abort and the SQL traces write to stderr" {
	cd "$ROOT"
	# lib/out.c and lib/afile.c write to the FILE they are given, never to a
	# standard stream by name (afile_wrap_stdout replaces stdout's stream)
	run bash -c "grep -ln 'stderr\|stdout\|[^a-z_]printf(\|[^a-z_]puts(' lib/*.c"
	assert_output "lib/afile.c
lib/db.c
lib/db_pg.c
lib/util.c"
	run grep -c 'stderr' lib/util.c lib/db.c lib/db_pg.c
	assert_output "lib/util.c:1
lib/db.c:4
lib/db_pg.c:2"
	run grep -c 'stdout' lib/afile.c
	assert_output "6"
}

@test "lib/ never exits: errors go back as exit codes (abort only when out of memory)" {
	cd "$ROOT"
	run bash -c "grep -n '[^_a-z]exit(\|_exit(' lib/*.c"
	assert_output ""
}
