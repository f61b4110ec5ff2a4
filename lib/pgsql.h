/*
 * pgsql.h - SQLite's dialect to PostgreSQL's, for the PostgreSQL backend
 * (lib/db_pg.c). The storage layer writes its statements once, for
 * SQLite; those that differ only in spelling are rewritten here when
 * first prepared, so there is one copy of each query:
 *
 *   ?NNN, ?             $NNN, $N (CAST($N AS text) before COLLATE)
 *   INSERT OR IGNORE    INSERT ... ON CONFLICT DO NOTHING
 *   INSERT INTO t       ... RETURNING id, for last_insert_rowid (t has an id)
 *   LIKE                ILIKE (SQLite's LIKE ignores ASCII case)
 *   a IS b, a IS NOT b  IS [NOT] DISTINCT FROM (b not NULL/TRUE/FALSE)
 *   min(a, b), max(...) LEAST, GREATEST (two or more arguments)
 *   group_concat(x)     string_agg(x::text, ',')
 *   json_each(x)        leads_json_each(x) (the schema's: objects and arrays)
 *   ifnull              coalesce
 *   CAST(x AS REAL)     double precision; INTEGER: bigint
 *   BEGIN IMMEDIATE     BEGIN (db_pg.c takes the write lock itself)
 *   temp.t, INDEXED BY  t, nothing
 *
 * What cannot be said the same way (SQLite's PRAGMAs, JSON1 functions
 * with paths) has its own code in the storage files or a function of
 * the same name in the PostgreSQL schema (json_extract, json_valid).
 */
#ifndef LEADS_PGSQL_H
#define LEADS_PGSQL_H

#include <stdbool.h>

enum {
	PGSQL_RETURNS_ID = 1 << 0, /* "RETURNING id" was added: the row is the new id */
};

/*
 * The PostgreSQL text of one SQLite statement (malloc'd); *flags: PGSQL_*,
 * *nparams: the highest parameter number.
 */
char *pgsql_translate(const char *sql, unsigned *flags, int *nparams);

#endif
