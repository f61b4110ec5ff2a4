/*
 * dbi.h - internals shared by the storage files (lib/db*.c) only.
 * Nothing outside the storage layer includes this or <sqlite3.h>.
 */
#ifndef LEADS_DBI_H
#define LEADS_DBI_H

#include <sqlite3.h>

#include "db.h"

/* Cached statements, one slot each; add new ones at the end. */
enum stmt_id {
	STMT_STAGES_IN_CONFIG,
	STMT_STAGE_UPSERT,
	STMT_STAGE_NAME,
	STMT_LEAD_INSERT,
	STMT_LEAD_UPDATE,
	STMT_LEAD_BY_ID,
	STMT_LEAD_ID_BY_EMAIL,
	STMT_LEAD_COUNT,
	STMT_STAGE_COUNTS,
	STMT_EVENT_ADD,
	STMT_EVENTS_FOR,
	STMT_STATE_GET,
	STMT_STATE_SET,
	STMT_JSON_TYPE,
	STMT_JSON_EACH,
	STMT_JSON_SET,
	STMT__COUNT
};

struct db {
	sqlite3 *sq;
	char *path;
	int busy_ms;
	sqlite3_stmt *stmts[STMT__COUNT];
	char *lead_cols; /* column list of lead_fields, built once */
	char *scratch;
};

/* Map the connection's last error to an exit code and message. */
int db_fail(struct db *db, struct lerr *err, const char *what);
/* The cached statement id, prepared from sql on first use, else reset. */
sqlite3_stmt *db_stmt(struct db *db, int id, const char *sql, struct lerr *err);
int db_exec(struct db *db, const char *sql, struct lerr *err);
void db_bind_text(sqlite3_stmt *st, int i, const char *s);
char *db_col_text(sqlite3_stmt *st, int i);
void db_read_lead(sqlite3_stmt *st, int col, struct lead *l);

#endif
