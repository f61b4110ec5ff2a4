/*
 * dbi.h - internals shared by the storage files (lib/db*.c) only.
 * Nothing outside the storage layer includes this or <sqlite3.h>.
 */
#ifndef LEADS_DBI_H
#define LEADS_DBI_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>

#include "db.h"
#include "db_pg.h"

#define DB_CACHE_SLOTS 256

struct pgst; /* a PostgreSQL statement: defined by the PostgreSQL backend */

/*
 * A prepared statement of either backend. The storage files use it only
 * through the st_* functions below; their result codes are SQLite's
 * (SQLITE_OK, SQLITE_ROW, SQLITE_DONE, SQLITE_CONSTRAINT and the extended
 * codes), the storage layer's vocabulary, which another backend maps its
 * errors onto.
 */
struct dbst {
	sqlite3_stmt *sq; /* SQLite: the statement; NULL for PostgreSQL */
	struct pgst *pg;  /* PostgreSQL: NULL for SQLite */
};

/*
 * A bulk load in progress (import: db_bulk_prepare .. db_bulk_finish).
 * The importer holds it as an opaque handle; the connection points at it
 * while it lasts, so that every statement can finish the COPY first.
 */
struct db_bulk {
	struct db *db;
	struct db_load *load;        /* PostgreSQL: a bulk import's COPY (lib/db_load.c) */
	bool match_email, match_ext; /* the import's duplicate keys (db_import_prepare) */
	/* db_bulk_begin(): the CREATE INDEX statements to run again */
	char **sql, **names;
	size_t n;
	bool journal; /* switched to a rollback journal */
	bool nofk;    /* foreign keys off for the load, checked before COMMIT */
	bool fts;     /* the full-text triggers dropped for the load, index filled at the end */
	/* an import into leads in use: the full-text insert trigger dropped, the
	 * leads above fts_after indexed by db_bulk_end */
	bool fts_insert_dropped;
	int64_t fts_after;
	/* no lead was ever merged away (lead_aliases empty at the start, and an
	 * import merges none): a new lead's id needs no look at the aliases */
	bool no_aliases;
};

/* db_events_defer(): history rows not written yet, their text in text */
struct db_defer {
	struct pending_event {
		int64_t lead_id, at;
		size_t text[5]; /* actor, kind, from, to, data: offsets, SIZE_MAX for NULL */
	} * pend;
	int npend;
	struct sb text;
	bool on, flushing;
	int rc; /* a failed write of deferred rows: the transaction cannot commit */
};

struct db {
	sqlite3 *sq;            /* SQLite: the connection; NULL for PostgreSQL */
	struct pgdb *pg;        /* PostgreSQL: the connection; NULL for SQLite */
	char *path;             /* the file, or the server for messages (no password) */
	struct db_bulk *bulk;   /* a bulk load in progress, or NULL */
	struct db_defer *defer; /* deferred history rows (db_events_defer), or NULL */
	int busy_ms;
	/* prepared statements, keyed by the address of their constant SQL */
	struct {
		const char *sql;
		struct dbst st; /* db_prep returns its address: the array never moves */
	} cache[DB_CACHE_SLOTS];
	int ncache;
	/* built once from lead_fields (see build_lead_sql) */
	char *lead_cols, *sql_insert, *sql_update, *sql_by_id, *sql_insert_id;
	char *sql_insert_many; /* db_leads_insert: LEADS_CHUNK rows a statement */
	/* db_stage_names_load(): every stage row, "key\0name\0" each */
	struct sb stage_names;
	bool stage_names_loaded;
};

/* The COPY of a bulk load in progress (PostgreSQL), or NULL. */
static inline struct db_load *db_load_of(const struct db *db)
{
	return db->bulk ? db->bulk->load : NULL;
}
/* End the COPY of the bulk load without another word to the server. */
void db_load_drop(struct db *db);
/* Are history rows being deferred (db_events_defer)? */
static inline bool db_deferring(const struct db *db)
{
	return db->defer && db->defer->on;
}

/* Map the connection's last error to an exit code and message. */
int db_fail(struct db *db, struct lerr *err, const char *what);
/*
 * The statement for sql, prepared on first use and cached, else reset with
 * its bindings cleared. sql must be a constant (a string literal or a
 * string that lives as long as db): the cache is keyed by its address.
 */
struct dbst *db_prep(struct db *db, const char *sql, struct lerr *err);
/*
 * db_prep without writing the deferred history rows first: only for
 * statements that never read or write history (saving a lead's columns).
 */
struct dbst *db_prep_keep(struct db *db, const char *sql, struct lerr *err);
/*
 * A statement for one use, not cached (SQL built per call, or run once per
 * connection): free it with st_finalize. Like db_prep_keep, it does not
 * write the deferred history rows first. NULL on failure, with err set by
 * db_fail(..., "prepare"); a caller wanting its own message passes NULL
 * and calls db_fail itself (the connection still holds the error).
 */
struct dbst *db_prepare_once(struct db *db, const char *sql, struct lerr *err);
int db_exec(struct db *db, const char *sql, struct lerr *err);
/* Bind s as a copy, or NULL when s is NULL. */
void db_bind_text(struct dbst *st, int i, const char *s);
char *db_col_text(struct dbst *st, int i);
void db_read_lead(struct dbst *st, int col, struct lead *l);
/* Bulk mode: build the saved index name now (NULL: all); is it still to build? */
int db_bulk_build(struct db *db, const char *name, struct lerr *err);
bool db_bulk_pending(struct db *db, const char *name);
/* The outcome of stepping an UPDATE of a lead: 0, EX_DATAERR for a taken email, or db_fail. */
int db_lead_updated(struct db *db, int rc, const struct lead *l, struct lerr *err);
/*
 * PostgreSQL: move each table's id sequence past the largest id, after
 * rows were stored with ids of their own (a no-op on SQLite).
 */
int db_sync_ids(struct db *db, struct lerr *err);
/* Build db->lead_cols and the lead statements once (lead_fields order). */
void db_build_lead_sql(struct db *db);

/*
 * PostgreSQL bulk import (lib/db_load.c): leads loaded with COPY, ids
 * from next_id on (dense, as db_import_ids says: for kept rows only, as
 * row by row). db_load_lead stores l (with the next id, put in *give,
 * or else its own) or drops it as a duplicate of a row kept; db_load_flush
 * ends the COPY in progress, which every other statement must do first.
 */
struct db_load *db_load_new(int64_t next_id, bool dense, const char *cols);
void db_load_match(struct db_load *ld, bool by_email, bool by_ext);
/* Into a table with leads: their keys count as kept, and go to fn too if not NULL. */
int db_load_seed(struct db *db, db_key_fn fn, void *ctx, struct lerr *err);
void db_load_free(struct db_load *ld);
uint64_t db_load_dropped(const struct db_load *ld);
int db_load_lead(struct db *db, const struct lead *l, int64_t *give, struct lerr *err);
int db_load_flush(struct db *db, struct lerr *err);

/*
 * ---- the statement and connection primitives ----
 *
 * Each forwards to SQLite, or to the PostgreSQL backend (lib/db_pg.h)
 * when the statement or connection is one of its. Inline: the bulk
 * import binds and steps a million rows through them.
 */

/* Prepare sql into *st (keep: a statement the cache holds for the connection). */
static inline int st_prepare(struct db *db, const char *sql, bool keep, struct dbst *st)
{
	st->pg = NULL;
	st->sq = NULL;
	if (db->pg) {
		st->pg = pgst_prepare(db->pg, sql);
		return SQLITE_OK; /* PostgreSQL parses it when it first runs */
	}
	return sqlite3_prepare_v3(db->sq, sql, -1, keep ? SQLITE_PREPARE_PERSISTENT : 0, &st->sq,
	                          NULL);
}

/* Free what st holds, not st itself (a cache slot, or the struct of st_finalize). */
static inline void st_release(struct dbst *st)
{
	if (st->pg)
		pgst_finalize(st->pg);
	else
		sqlite3_finalize(st->sq);
	st->sq = NULL;
	st->pg = NULL;
}

/* Free a statement of db_prepare_once, struct and all. NULL is a no-op. */
static inline void st_finalize(struct dbst *st)
{
	if (!st)
		return;
	st_release(st);
	free(st);
}

static inline int st_bind_int64(struct dbst *st, int i, int64_t v)
{
	if (st->pg)
		return pgst_bind_int64(st->pg, i, v);
	return sqlite3_bind_int64(st->sq, i, v);
}

/* Bind a copy of s (n bytes, or up to its NUL when n < 0). */
static inline int st_bind_text(struct dbst *st, int i, const char *s, int n)
{
	if (st->pg)
		return pgst_bind_text(st->pg, i, s, n);
	return sqlite3_bind_text(st->sq, i, s, n, SQLITE_TRANSIENT);
}

/*
 * Bind s without a copy: s must stay unchanged until the statement is
 * reset or rebound (the import binds every field of every row this way).
 */
static inline int st_bind_text_static(struct dbst *st, int i, const char *s, int n)
{
	if (st->pg)
		return pgst_bind_text(st->pg, i, s, n);
	return sqlite3_bind_text(st->sq, i, s, n, SQLITE_STATIC);
}

static inline int st_bind_null(struct dbst *st, int i)
{
	if (st->pg)
		return pgst_bind_null(st->pg, i);
	return sqlite3_bind_null(st->sq, i);
}

/* SQLITE_ROW (a row to read), SQLITE_DONE, or an error code. */
static inline int st_step(struct dbst *st)
{
	if (st->pg)
		return pgst_step(st->pg);
	return sqlite3_step(st->sq);
}

/*
 * Rows one at a time, not fetched whole: for a walk over a whole table
 * that runs no other statement on this connection until it ends (see
 * pgst_stream). SQLite always steps this way.
 */
static inline void st_stream(struct dbst *st)
{
	if (st->pg)
		pgst_stream(st->pg);
}

/* Ready to run again; the bindings stay. */
static inline int st_reset(struct dbst *st)
{
	if (st->pg) {
		pgst_reset(st->pg);
		return SQLITE_OK;
	}
	return sqlite3_reset(st->sq);
}

/* Every parameter back to NULL. */
static inline int st_clear(struct dbst *st)
{
	if (st->pg) {
		pgst_clear(st->pg);
		return SQLITE_OK;
	}
	return sqlite3_clear_bindings(st->sq);
}

static inline int64_t st_col_int64(struct dbst *st, int i)
{
	if (st->pg)
		return pgst_col_int64(st->pg, i);
	return sqlite3_column_int64(st->sq, i);
}

static inline int st_col_int(struct dbst *st, int i)
{
	if (st->pg)
		return (int)pgst_col_int64(st->pg, i);
	return sqlite3_column_int(st->sq, i);
}

/* The column as text, NULL for NULL; valid until the next step or reset. */
static inline const char *st_col_text(struct dbst *st, int i)
{
	if (st->pg)
		return pgst_col_text(st->pg, i);
	return (const char *)sqlite3_column_text(st->sq, i);
}

/* The length in bytes of st_col_text (called after it). */
static inline int st_col_bytes(struct dbst *st, int i)
{
	if (st->pg)
		return pgst_col_bytes(st->pg, i);
	return sqlite3_column_bytes(st->sq, i);
}

/* SQLITE_NULL, SQLITE_INTEGER, SQLITE_TEXT, ... */
static inline int st_col_type(struct dbst *st, int i)
{
	if (st->pg)
		return pgst_col_type(st->pg, i);
	return sqlite3_column_type(st->sq, i);
}

/* Rows changed by the last INSERT, UPDATE or DELETE. */
static inline int db_changes(struct db *db)
{
	if (db->pg)
		return (int)pg_changes(db->pg);
	return sqlite3_changes(db->sq);
}

/* The id of the last row inserted. */
static inline int64_t db_last_id(struct db *db)
{
	if (db->pg)
		return pg_last_id(db->pg);
	return sqlite3_last_insert_rowid(db->sq);
}

/* The (extended) result code of the last failed call. */
static inline int db_errcode(struct db *db)
{
	if (db->pg)
		return pg_errcode(db->pg);
	return sqlite3_extended_errcode(db->sq);
}

static inline const char *db_errmsg(struct db *db)
{
	if (db->pg)
		return pg_errmsg(db->pg);
	return sqlite3_errmsg(db->sq);
}

/*
 * Run sql (statements without parameters or results) as it is: no
 * deferred history written first, no message. SQLITE_OK or an error code.
 */
static inline int db_exec_raw(struct db *db, const char *sql)
{
	if (db->pg)
		return pg_exec(db->pg, sql);
	return sqlite3_exec(db->sq, sql, NULL, NULL, NULL);
}

/* Inside a transaction? */
static inline bool db_in_txn(struct db *db)
{
	if (db->pg)
		return pg_in_tx(db->pg);
	return !sqlite3_get_autocommit(db->sq);
}

/* How long to wait for another process's lock before SQLITE_BUSY. */
static inline void db_set_busy(struct db *db, int ms)
{
	if (db->sq)
		sqlite3_busy_timeout(db->sq, ms);
	if (db->pg)
		pg_set_busy(db->pg, ms);
}

/* Close the connection (the statements are finalized already). */
static inline void db_disconnect(struct db *db)
{
	if (db->sq)
		sqlite3_close(db->sq);
	pg_disconnect(db->pg);
	db->sq = NULL;
	db->pg = NULL;
}

#endif
