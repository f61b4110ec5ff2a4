/*
 * dbi.h - internals shared by the storage files (lib/db*.c) only.
 * Nothing outside the storage layer includes this or <sqlite3.h>.
 */
#ifndef LEADS_DBI_H
#define LEADS_DBI_H

#include <sqlite3.h>
#include <stdbool.h>

#include "db.h"

#define DB_CACHE_SLOTS 256

struct db {
	sqlite3 *sq;
	char *path;
	int busy_ms;
	/* prepared statements, keyed by the address of their constant SQL */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[DB_CACHE_SLOTS];
	int ncache;
	/* built once from lead_fields (see build_lead_sql) */
	char *lead_cols, *sql_insert, *sql_update, *sql_by_id, *sql_insert_id;
	/* db_bulk_begin(): the CREATE INDEX statements to run again */
	char **bulk_sql, **bulk_names;
	size_t nbulk;
	bool bulk_journal; /* switched to a rollback journal */
	bool bulk_nofk;    /* foreign keys off for the load, checked before COMMIT */
	/* db_events_defer(): history rows not written yet, their text in pend_text */
	struct pending_event {
		int64_t lead_id, at;
		size_t text[5]; /* actor, kind, from, to, data: offsets, SIZE_MAX for NULL */
	} * pend;
	int npend;
	struct sb pend_text;
	bool defer, flushing;
	int pend_rc; /* a failed write of deferred rows: the transaction cannot commit */
};

/* Map the connection's last error to an exit code and message. */
int db_fail(struct db *db, struct lerr *err, const char *what);
/*
 * The statement for sql, prepared on first use and cached, else reset with
 * its bindings cleared. sql must be a constant (a string literal or a
 * string that lives as long as db): the cache is keyed by its address.
 */
sqlite3_stmt *db_prep(struct db *db, const char *sql, struct lerr *err);
/*
 * db_prep without writing the deferred history rows first: only for
 * statements that never read or write history (saving a lead's columns).
 */
sqlite3_stmt *db_prep_keep(struct db *db, const char *sql, struct lerr *err);
int db_exec(struct db *db, const char *sql, struct lerr *err);
void db_bind_text(sqlite3_stmt *st, int i, const char *s);
char *db_col_text(sqlite3_stmt *st, int i);
void db_read_lead(sqlite3_stmt *st, int col, struct lead *l);
/* Bulk mode: build the saved index name now (NULL: all); is it still to build? */
int db_bulk_build(struct db *db, const char *name, struct lerr *err);
bool db_bulk_pending(struct db *db, const char *name);
/* The outcome of stepping an UPDATE of a lead: 0, EX_DATAERR for a taken email, or db_fail. */
int db_lead_updated(struct db *db, int rc, const struct lead *l, struct lerr *err);
/* Build db->lead_cols and the lead statements once (lead_fields order). */
void db_build_lead_sql(struct db *db);

#endif
