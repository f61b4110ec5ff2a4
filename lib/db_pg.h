/*
 * db_pg.h - the PostgreSQL backend, under the statement layer of the
 * storage files (lib/dbi.h): a connection and statements that behave
 * like SQLite's, with SQLite's result codes, so the storage files keep
 * one copy of their logic. Only lib/db*.c include this.
 *
 * - Statements are written for SQLite and rewritten once when prepared
 *   (lib/pgsql.h); parameters go as text, integers declared int8.
 * - A statement's rows are fetched whole when it first steps: the
 *   storage code runs other statements while it walks a result, which a
 *   streaming libpq connection cannot. A walk that runs none asks for
 *   its rows one at a time instead (pgst_stream).
 * - Writers are serialised like SQLite's BEGIN IMMEDIATE: pg_begin()
 *   takes a transaction-scoped advisory lock, waiting at most the busy
 *   timeout (lock_timeout), so every writing command sees the data as
 *   its own: round-robin cursors, outbox claims and duplicate checks
 *   need nothing more. BEGIN and the lock are sent with the first
 *   statement after pg_begin(), in its round trip.
 * - Round trips: a statement's Parse, Bind and Execute go in one (libpq
 *   pipeline mode). A write in a transaction that no caller waits on (not
 *   an INSERT into leads, not an UPDATE setting its email or external id)
 *   steps to SQLITE_DONE at once and is sent with the next statement,
 *   pg_changes(), pg_last_id() or COMMIT; its error is theirs.
 * - Errors map to SQLite's codes: unique/check/not-null/foreign key ->
 *   SQLITE_CONSTRAINT_*, the write lock's timeout -> SQLITE_BUSY; what
 *   passes with a retry (deadlock, serialization failure, a limit of
 *   connections, a server starting, stopping, in recovery or a standby,
 *   a connection lost) -> SQLITE_BUSY_RECOVERY (exit 75 with the
 *   server's reason); else SQLITE_ERROR.
 */
#ifndef LEADS_DB_PG_H
#define LEADS_DB_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct pgdb;
struct pgst;

/* A libpq URI (postgres://, postgresql://) or a "key=value ..." string? */
bool pg_is_conninfo(const char *s);

/*
 * Connect. A failure is one line naming the server and the reason:
 * EX_TEMPFAIL when it is merely busy (starting, in recovery, a standby,
 * too many connections for the server, the role or the database),
 * EX_USAGE for a string libpq cannot read, else EX_IOERR. A database
 * that does not exist is EX_NOINPUT, or, with create, is created
 * (CREATE DATABASE through the maintenance database postgres, as the
 * same role; EX_CANTCREAT when the role may not).
 */
int pg_connect(const char *conninfo, int busy_ms, bool create, struct pgdb **out, struct lerr *err);
void pg_disconnect(struct pgdb *pg);
/* The database for messages: the connection string, any password masked. */
const char *pg_display(const struct pgdb *pg);
/* conninfo with its password, if any, as *** (malloc'd). */
char *pg_mask_password(const char *conninfo);

/* Run SQL without parameters (one or more statements); a SQLITE_* code. */
int pg_exec(struct pgdb *pg, const char *sql);
/* BEGIN and the write lock (the busy timeout applies); COMMIT; ROLLBACK. */
int pg_begin(struct pgdb *pg);
bool pg_in_tx(const struct pgdb *pg);
/* The lock timeout of the transactions begun from now on. */
void pg_set_busy(struct pgdb *pg, int ms);

/*
 * COPY ... FROM STDIN (sql), the data in COPY's text format, its end (the
 * server's verdict) or its abandonment. SQLITE_* codes. No other statement
 * may run on the connection between begin and end.
 */
int pg_copy_begin(struct pgdb *pg, const char *sql);
int pg_copy_put(struct pgdb *pg, const char *buf, size_t n);
int pg_copy_end(struct pgdb *pg);
void pg_copy_abort(struct pgdb *pg);

/*
 * The data of a COPY in its text format, built in an sb: a field of n
 * bytes (s[n] is '\0'; backslash, tab, LF and CR escaped, a NUL byte sent
 * as it is for the server to refuse, as it refuses it in an INSERT), an
 * integer, a NULL ("\\N"). Columns are separated by '\t', rows end in '\n'.
 *
 * Hand it to pg_copy_put PG_COPY_CHUNK bytes at a time: libpq blocks until
 * a message has gone into the socket, which holds less than 256 KB. In
 * 256 KB messages the server drained the socket while the client built
 * the next, and waited (an import of 200,000 rows: 1.94-2.18 s; the server
 * alone, fed by psql from a file, 1.62 s); in 32 KB ones it always has
 * the next at hand (1.61-1.69 s).
 */
#define PG_COPY_CHUNK (32 * 1024)
void pg_copy_text(struct sb *b, const char *s, size_t n);
void pg_copy_int(struct sb *b, int64_t v);

/* The last error: a SQLite result code (extended) and a message. */
int pg_errcode(const struct pgdb *pg);
const char *pg_errmsg(const struct pgdb *pg);
int64_t pg_changes(const struct pgdb *pg);
int64_t pg_last_id(const struct pgdb *pg);

/* A statement from SQLite's text (rewritten, see pgsql.h); NULL on error. */
struct pgst *pgst_prepare(struct pgdb *pg, const char *sql);
int pgst_bind_int64(struct pgst *st, int i, int64_t v);
int pgst_bind_text(struct pgst *st, int i, const char *s, int n);
int pgst_bind_null(struct pgst *st, int i);
int pgst_step(struct pgst *st); /* SQLITE_ROW, SQLITE_DONE or an error code */
/*
 * Have st's rows come one at a time as the server sends them, not the
 * whole result at the first step: for walks over a whole table, whose
 * result would not fit in memory (1,000 bytes a lead). Until the walk
 * ends (its last row, or a reset) no other statement may run on the
 * connection: one that tries fails with SQLITE_MISUSE.
 */
void pgst_stream(struct pgst *st);
void pgst_reset(struct pgst *st);
void pgst_clear(struct pgst *st);
void pgst_finalize(struct pgst *st);
int pgst_col_type(struct pgst *st, int i); /* SQLITE_NULL, _INTEGER, _FLOAT, _TEXT */
int64_t pgst_col_int64(struct pgst *st, int i);
const char *pgst_col_text(struct pgst *st, int i); /* NULL for NULL */
int pgst_col_bytes(struct pgst *st, int i);
int pgst_col_count(struct pgst *st);

/*
 * The schema: migrations numbered as SQLite's (db.c), each in its own
 * transaction under an advisory lock, so two hosts starting at once
 * apply each step once. *have: the version found (0: an empty database).
 */
int pg_schema_version(struct pgdb *pg, int *have);
int pg_migrate(struct pgdb *pg, int want);
int pg_migration_count(void);

#endif
