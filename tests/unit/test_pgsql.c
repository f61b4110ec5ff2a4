/*
 * test_pgsql.c - SQLite statements as the PostgreSQL backend sends them
 * (lib/pgsql.c): each rewrite, and what must be left alone (literals,
 * quoted names, words that only contain a keyword).
 */
#include "tap.h"

#include <stdlib.h>

#include "db_pg.h"
#include "pgsql.h"

static void check(const char *in, const char *want, unsigned want_flags, int want_np)
{
	unsigned flags;
	int np;
	char *got = pgsql_translate(in, &flags, &np);
	is_str(got, want, in);
	is_int((int)flags, (int)want_flags, "flags");
	is_int(np, want_np, "parameters");
	free(got);
}

int main(void)
{
	check("SELECT a FROM t WHERE b = ?1 AND c = ?2", "SELECT a FROM t WHERE b = $1 AND c = $2",
	      0, 2);
	check("SELECT ? , ?", "SELECT $1 , $2", 0, 2);
	check("SELECT '?1', \"?2\" FROM t WHERE x = ?3", "SELECT '?1', \"?2\" FROM t WHERE x = $3",
	      0, 3);
	check("SELECT 'it''s ?' WHERE a LIKE ?1 ESCAPE '\\'",
	      "SELECT 'it''s ?' WHERE a ILIKE $1 ESCAPE '\\'", 0, 1);
	check("INSERT INTO events(lead_id, at) VALUES (?1, ?2)",
	      "INSERT INTO events(lead_id, at) VALUES ($1, $2) RETURNING id", PGSQL_RETURNS_ID, 2);
	check("INSERT INTO state(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value "
	      "= ?2",
	      "INSERT INTO state(key, value) VALUES ($1, $2) ON CONFLICT(key) DO UPDATE SET value "
	      "= $2",
	      0, 2);
	check("INSERT OR IGNORE INTO temp.dedupe SELECT id FROM leads;",
	      "INSERT INTO dedupe SELECT id FROM leads ON CONFLICT DO NOTHING", 0, 0);
	check("INSERT INTO tasks(a) VALUES (1) RETURNING id",
	      "INSERT INTO tasks(a) VALUES (1) RETURNING id", 0, 0);
	check("SELECT min(a, b), max(c), min((1), 2) FROM t",
	      "SELECT LEAST(a, b), max(c), LEAST((1), 2) FROM t", 0, 0);
	check("SELECT group_concat(kind) FROM e", "SELECT string_agg((kind)::text, ',') FROM e", 0,
	      0);
	check("SELECT group_concat(kind, ';') FROM e", "SELECT string_agg(kind, ';') FROM e", 0, 0);
	check("SELECT value FROM json_each(?1) WHERE key = ?2",
	      "SELECT value FROM leads_json_each($1) WHERE key = $2", 0, 2);
	check(
	    "SELECT 1 WHERE a IS b AND c IS NOT d AND e IS NULL AND f IS NOT NULL",
	    "SELECT 1 WHERE a IS NOT DISTINCT FROM b AND c IS DISTINCT FROM d AND e IS NULL AND f "
	    "IS NOT NULL",
	    0, 0);
	check("SELECT CAST(x AS REAL), CAST(y AS INTEGER), ifnull(z, 0) FROM t INDEXED BY t_i",
	      "SELECT CAST(x AS double precision), CAST(y AS bigint), coalesce(z, 0) FROM t", 0, 0);
	check("BEGIN IMMEDIATE", "BEGIN", 0, 0);
	check("SELECT likes, unlike, max_n FROM t /* LIKE ? */ -- ?\nWHERE x = 1",
	      "SELECT likes, unlike, max_n FROM t   \nWHERE x = 1", 0, 0);
	check("SELECT owner FROM leads ORDER BY owner COLLATE NOCASE",
	      "SELECT owner FROM leads ORDER BY owner COLLATE NOCASE", 0, 0);
	check("SELECT 1 WHERE (?1 IS NULL OR owner = ?1 COLLATE NOCASE)",
	      "SELECT 1 WHERE ($1 IS NULL OR owner = CAST($1 AS text) COLLATE NOCASE)", 0, 1);
	check("SELECT 1 FROM leads WHERE ext_id = ?1 AND ext_source IS ?2",
	      "SELECT 1 FROM leads WHERE ext_id = $1 AND ext_source IS NOT DISTINCT FROM $2", 0, 2);
	check("SELECT a + b, +c FROM e WHERE +kind IN ('x') AND +at >= ?1 AND (+at) < 2 OR +x = 1",
	      "SELECT a + b, c FROM e WHERE kind IN ('x') AND at >= $1 AND (at) < 2 OR x = 1", 0,
	      1);
	check("SELECT owner, count(*) FROM tasks GROUP BY +owner ORDER BY +id, nearby +1",
	      "SELECT owner, count(*) FROM tasks GROUP BY owner ORDER BY id, nearby +1", 0, 0);
	static const char *const masks[][2] = {
		{ "postgresql://ana:s3cret@db.example.com:5432/leads",
		  "postgresql://ana:***@db.example.com:5432/leads" },
		{ "postgres://ana@db/leads?password=x&sslmode=require",
		  "postgres://ana@db/leads?password=***&sslmode=require" },
		{ "host=db dbname=leads password='a b\\' c' user=ana",
		  "host=db dbname=leads password='***' user=ana" },
		{ "host=db password = x sslpassword=y", "host=db password = *** sslpassword=***" },
		{ "postgresql://ana:a/b@c@h/leads?pass%77ord=z",
		  "postgresql://ana:***@h/leads?pass%77ord=***" },
		{ "host=/run/pg dbname=leads", "host=/run/pg dbname=leads" },
		{ "postgresql:///leads?host=/tmp/s", "postgresql:///leads?host=/tmp/s" },
		{ "dbname=x mypassword=y", "dbname=x mypassword=y" },
	};
	for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
		char *m = pg_mask_password(masks[i][0]);
		is_str(m, masks[i][1], masks[i][0]);
		free(m);
	}
	ok(pg_is_conninfo("postgresql:///x") && pg_is_conninfo("postgres://h/x") &&
	       pg_is_conninfo("host=h dbname=x") && pg_is_conninfo(" dbname = x"),
	   "connection strings");
	ok(!pg_is_conninfo("leads.db") && !pg_is_conninfo("/tmp/a=b.db") &&
	       !pg_is_conninfo("./x=y") && !pg_is_conninfo(""),
	   "file names");
	return done_testing();
}
