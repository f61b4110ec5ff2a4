#!/usr/bin/env bats
# "SQL uses bound parameters only": scripts/check-sql.sh reads the C
# sources for SQL text built from anything but literals, against the
# reviewed list in scripts/sql-allow.txt; and only the storage layer
# (lib/db*.c) speaks SQL at all.
load test_helper

ROOT=$BATS_TEST_DIRNAME/..

@test "every prepared statement's SQL is a literal or a reviewed exception" {
	run "$ROOT/scripts/check-sql.sh"
	assert_success
	assert_output ''
}

@test "every allow-list entry gives its reason" {
	run -0 awk '!/^[ \t]*(#|$)/ && !/ -- [^ ]/' "$ROOT/scripts/sql-allow.txt"
	assert_output ''
}

@test "the check catches SQL built from user data" {
	mkdir -p src
	cat >src/evil.c <<-'C'
	int find(struct db *db, const char *email)
	{
		struct sb q = SB_INIT;
		sb_addf(&q, "SELECT id FROM leads WHERE email = '%s'", email);
		sqlite3_stmt *st = db_prep(db, q.buf, NULL);
		char *del = sqlite3_mprintf("DELETE FROM leads WHERE email = '%s'", email);
		db_exec(db, del, NULL);
		sqlite3_exec(db->sq, email, NULL, NULL, NULL);
		/* fine: constant text, a quoted identifier, a choice of two constants */
		db_prep(db, "SELECT id FROM leads WHERE email = ?1", NULL);
		char *drop = sqlite3_mprintf("DROP INDEX \"%w\"", email);
		db_exec(db, fast ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL", NULL);
		return 0;
	}
	C
	run "$ROOT/scripts/check-sql.sh" src/evil.c
	assert_failure 1
	assert_output "src/evil.c:5: find: sql-arg: db_prep(..., q.buf, ...)
src/evil.c:7: find: sql-arg: db_exec(..., del, ...)
src/evil.c:8: find: sql-arg: sqlite3_exec(..., email, ...)
src/evil.c:6: find: mprintf: format \"DELETE FROM leads WHERE email = '%s'\" uses %s
src/evil.c:4: find: builds-sql: sb_addf(..., \"SELECT id FROM leads WHERE email = '%s'\", ...)
check-sql: 5 place(s) build SQL text from something other than literals;
bind user data as parameters, or review the place and add it to scripts/sql-allow.txt"
}

@test "only the storage layer speaks SQL" {
	cd "$ROOT"
	run grep -lE 'sqlite3_|db_prep|db_exec|dbst|dbi\.h' cmd/*.c lib/*.c
	assert_success
	refute_line --regexp '^cmd/'
	refute_line --regexp '^lib/[^d]'
	run bash -c "grep -l 'sqlite3' lib/*.c | grep -v '^lib/db'"
	assert_output ''
}
