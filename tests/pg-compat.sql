-- The SQLite functions the bats suites' own queries (sql() in
-- test_helper.bash) use, for PostgreSQL. Loaded once into the template
-- every test database is created from, in a schema of its own that only
-- the tests' psql puts on its search_path: leads never sees it.
-- Only what the tests need, with SQLite's results for those uses.
CREATE SCHEMA sqlite_compat;
SET search_path = sqlite_compat, public;

-- strftime(FORMAT, EPOCH, 'unixepoch') with %Y %m %d %H %M %S, in UTC.
CREATE FUNCTION strftime(fmt text, t bigint, modifier text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT replace(replace(replace(replace(replace(replace(fmt,
		'%Y', to_char(ts, 'YYYY')), '%m', to_char(ts, 'MM')), '%d', to_char(ts, 'DD')),
		'%H', to_char(ts, 'HH24')), '%M', to_char(ts, 'MI')), '%S', to_char(ts, 'SS'))
	FROM (SELECT to_timestamp(t) AT TIME ZONE 'UTC' AS ts) AS x
	WHERE modifier = 'unixepoch'
$$;
CREATE FUNCTION datetime(t bigint, modifier text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT sqlite_compat.strftime('%Y-%m-%d %H:%M:%S', t, modifier) $$;
CREATE FUNCTION date(t bigint, modifier text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT sqlite_compat.strftime('%Y-%m-%d', t, modifier) $$;

-- json_extract(JSON, '$.a.b'): the value as text (a string unquoted), NULL
-- for a JSON null or a missing key. For text, json and jsonb columns.
CREATE FUNCTION json_extract(j text, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT j::json #>> string_to_array(substr(path, 3), '.') WHERE path LIKE '$.%'
$$;
CREATE FUNCTION json_extract(j jsonb, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT sqlite_compat.json_extract(j::text, path) $$;
CREATE FUNCTION json_extract(j json, path text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT sqlite_compat.json_extract(j::text, path) $$;

-- json_each(JSON) AS j: j.key, j.value (text) and j.type (SQLite's
-- names: text, integer, real, true, false, null, object, array) of a
-- top-level object, in the object's order (but jsonb keeps no order: a
-- jsonb column gives its keys sorted by length, then bytes).
CREATE FUNCTION json_each(j json) RETURNS TABLE (key text, value text, type text)
LANGUAGE sql IMMUTABLE AS $$
	SELECT e.key, e.value #>> '{}', CASE json_typeof(e.value)
		WHEN 'string' THEN 'text' WHEN 'boolean' THEN e.value::text
		WHEN 'number' THEN CASE WHEN e.value::text ~ '^-?[0-9]+$' THEN 'integer' ELSE 'real' END
		ELSE json_typeof(e.value) END
	FROM pg_catalog.json_each(j) AS e
$$;
CREATE FUNCTION json_each(j text) RETURNS TABLE (key text, value text, type text)
LANGUAGE sql IMMUTABLE AS $$ SELECT * FROM sqlite_compat.json_each(j::json) $$;
CREATE FUNCTION json_each(j jsonb) RETURNS TABLE (key text, value text, type text)
LANGUAGE sql IMMUTABLE AS $$ SELECT * FROM sqlite_compat.json_each(j::json) $$;

-- hex(TEXT): the UTF-8 bytes in upper-case hex.
CREATE FUNCTION hex(s text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT upper(encode(convert_to(s, 'UTF8'), 'hex')) $$;

-- group_concat(X [, SEP]): NULLs left out, ',' by default, in input order.
CREATE FUNCTION group_concat_step(acc text, v anyelement, sep text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN v IS NULL THEN acc WHEN acc IS NULL THEN v::text ELSE acc || sep || v::text END
$$;
CREATE FUNCTION group_concat_step(acc text, v anyelement) RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT sqlite_compat.group_concat_step(acc, v, ',') $$;
CREATE AGGREGATE group_concat(anyelement, text) (SFUNC = group_concat_step, STYPE = text);
CREATE AGGREGATE group_concat(anyelement) (SFUNC = group_concat_step, STYPE = text);

-- PRAGMA integrity_check: PostgreSQL has no database file to check; what
-- can be checked is that every B-tree index of the schema agrees with its
-- table (amcheck). 'ok', or an error.
CREATE EXTENSION amcheck SCHEMA sqlite_compat;
CREATE FUNCTION integrity_check() RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	ix regclass;
BEGIN
	FOR ix IN SELECT i.indexrelid::regclass FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE am.amname = 'btree' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'sqlite_compat')
			AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
	LOOP
		PERFORM sqlite_compat.bt_index_check(ix, true);
	END LOOP;
	RETURN 'ok';
END
$$;

-- PRAGMA foreign_key_check: a row TABLE|KEY|PARENT for each row whose
-- foreign key has no parent row (PostgreSQL enforces them, unless they
-- were dropped or their triggers disabled during a load).
CREATE FUNCTION foreign_key_check() RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
	r record;
BEGIN
	FOR r IN SELECT c.conrelid::regclass AS child, c.confrelid::regclass AS parent,
			a.attname AS col, pa.attname AS pcol
		FROM pg_constraint c
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
		JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
		WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
	LOOP
		RETURN QUERY EXECUTE format(
			'SELECT %L || ''|'' || x.%I || ''|'' || %L FROM %s x
			 WHERE x.%I IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %s p WHERE p.%I = x.%I)',
			r.child::text, r.col, r.parent::text, r.child, r.col, r.parent, r.pcol, r.col);
	END LOOP;
END
$$;
