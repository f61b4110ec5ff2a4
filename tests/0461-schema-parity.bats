#!/usr/bin/env bats
# The SQLite and PostgreSQL schemas are kept by hand, one migration list
# each (lib/db.c, lib/db_pg.c). After every migration they must describe
# the same database: the same tables, columns (types mapped: INTEGER =
# bigint/integer, TEXT = text, REAL = double precision), NOT NULL,
# primary keys, defaults where both spell a constant, and the same
# indexes by name, uniqueness, columns and partial-ness. Nothing here
# lists the tables: whatever a new migration adds on one side only shows
# up as a difference.
load test_helper

# One line per column and per index of an SQLite file, sorted.
lite_schema() {
	sqlite3 -separator '|' "$1" "
	SELECT 'column', m.name, p.name,
	       CASE WHEN upper(p.type) LIKE '%INT%' THEN 'int'
	            WHEN upper(p.type) IN ('TEXT', 'CLOB') OR upper(p.type) LIKE '%CHAR%' THEN 'text'
	            WHEN upper(p.type) IN ('REAL', 'DOUBLE', 'FLOAT') THEN 'real'
	            WHEN upper(p.type) = 'BLOB' THEN 'blob'
	            ELSE 'other:' || p.type END,
	       CASE WHEN p.\"notnull\" OR p.pk > 0 THEN 'not null' ELSE 'null' END,
	       CASE WHEN p.pk > 0 THEN 'pk' ELSE '' END,
	       CASE WHEN p.dflt_value IS NULL THEN ''
	            WHEN trim(p.dflt_value, '()') GLOB '*[(]*' THEN 'expression'
	            ELSE trim(p.dflt_value, '()') END
	FROM sqlite_schema m, pragma_table_info(m.name) p
	WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'lead_fts%';
	SELECT 'index', m.name,
	       CASE WHEN l.origin = 'c' THEN l.name ELSE '(constraint)' END,
	       CASE WHEN l.\"unique\" THEN 'unique' ELSE '' END,
	       CASE WHEN l.partial THEN 'partial' ELSE '' END,
	       (SELECT group_concat(coalesce(i.name, '(expression)'), ',')
	        FROM (SELECT name FROM pragma_index_info(l.name) ORDER BY seqno) i)
	FROM sqlite_schema m, pragma_index_list(m.name) l
	WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'lead_fts%'
	  AND l.origin <> 'pk';
	" | LC_ALL=C sort
}

# Full-text search is the one place the backends differ by design, each
# with its own engine (migration 6): SQLite's FTS5 tables lead_fts*, and
# PostgreSQL's GIN indexes leads_text and events_text; both are left out.

# The same of the PostgreSQL database leads created (its own schema only:
# not the test helpers' sqlite_compat, not leads_schema, which holds the
# version that SQLite keeps in PRAGMA user_version).
pg_schema() {
	psql -X -q -A -t -F'|' -v ON_ERROR_STOP=1 -d "$1" <<'EOF' | LC_ALL=C sort
WITH s AS (SELECT table_schema AS name FROM information_schema.tables
           WHERE table_name = 'leads_schema' LIMIT 1),
pk AS (SELECT k.table_name, k.column_name
       FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage k
         USING (constraint_schema, constraint_name, table_schema, table_name)
       WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = (SELECT name FROM s))
SELECT 'column', c.table_name, c.column_name,
       CASE WHEN c.data_type IN ('bigint', 'integer', 'smallint') THEN 'int'
            WHEN c.data_type IN ('text', 'character varying', 'character') THEN 'text'
            WHEN c.data_type IN ('double precision', 'real', 'numeric') THEN 'real'
            WHEN c.data_type = 'bytea' THEN 'blob'
            ELSE 'other:' || c.data_type END,
       CASE WHEN c.is_nullable = 'NO' THEN 'not null' ELSE 'null' END,
       CASE WHEN pk.column_name IS NOT NULL THEN 'pk' ELSE '' END,
       CASE WHEN c.column_default IS NULL THEN ''
            WHEN regexp_replace(c.column_default, '::[a-z ]+', '', 'g') ~ '\('
              THEN 'expression'
            ELSE regexp_replace(c.column_default, '::[a-z ]+', '', 'g') END
FROM information_schema.columns c
JOIN information_schema.tables t USING (table_schema, table_name)
LEFT JOIN pk USING (table_name, column_name)
WHERE c.table_schema = (SELECT name FROM s) AND t.table_type = 'BASE TABLE'
  AND c.table_name <> 'leads_schema';
WITH s AS (SELECT table_schema AS name FROM information_schema.tables
           WHERE table_name = 'leads_schema' LIMIT 1)
SELECT 'index', t.relname,
       CASE WHEN con.oid IS NULL THEN i.relname ELSE '(constraint)' END,
       CASE WHEN ix.indisunique THEN 'unique' ELSE '' END,
       CASE WHEN ix.indpred IS NOT NULL THEN 'partial' ELSE '' END,
       (SELECT string_agg(coalesce(a.attname, '(expression)'), ',' ORDER BY k.n)
        FROM unnest(ix.indkey) WITH ORDINALITY k(attnum, n)
        LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum)
FROM pg_index ix
JOIN pg_class i ON i.oid = ix.indexrelid
JOIN pg_class t ON t.oid = ix.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid AND con.contype <> 'p'
WHERE n.nspname = (SELECT name FROM s) AND NOT ix.indisprimary
  AND t.relname <> 'leads_schema' AND i.relname NOT IN ('leads_text', 'events_text');
EOF
}

@test "PostgreSQL: after every migration the schema is SQLite's, column for column and index for index" {
	[ -n "${LEADS_TEST_PG:-}" ] || skip "needs a server (make check-pg)"
	lite=$BATS_TEST_TMPDIR/lite.db
	run -0 leads -d "$lite" init
	run -0 leads init
	lite_schema "$lite" >lite.txt
	pg_schema "$LEADS_DB" >pg.txt
	# the comparison sees something: every table has columns, leads its indexes
	grep -q '^column|leads|email|text|null||$' lite.txt || fail "$(cat lite.txt)"
	grep -q '^index|leads|leads_email|unique||email$' lite.txt || fail "$(cat lite.txt)"
	grep -q "^column|leads|status|text|not null||'new'$" lite.txt || fail "$(cat lite.txt)"
	run diff -u lite.txt pg.txt
	assert_success

	# and it fails when one backend alone gains a column, an index or a NOT NULL
	sqlite3 "$lite" "ALTER TABLE leads ADD COLUMN nickname TEXT"
	lite_schema "$lite" >lite2.txt
	run diff -u lite2.txt pg.txt
	assert_failure
	assert_output --partial '-column|leads|nickname|text|null||'
	psql -X -q -d "$LEADS_DB" -c "CREATE INDEX leads_city ON leads(city)"
	pg_schema "$LEADS_DB" >pg2.txt
	run diff -u lite.txt pg2.txt
	assert_failure
	assert_output --partial '+index|leads|leads_city|||city'
}
