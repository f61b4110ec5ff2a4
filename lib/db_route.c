/*
 * db_route.c - the storage the routing and scoring engines need: activity
 * lists, open-lead counts per owner, named scores, threshold crossings and
 * the batch reader of bulk commands (see activity.h and rules.h).
 */
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "dbi.h"

/* The kinds counted as activities; the same list as enum act_kind. */
#define ACT_KINDS "('call', 'email', 'meeting', 'email_opened', 'note')"

static int kind_of(sqlite3_stmt *st, int col)
{
	const char *k = (const char *)sqlite3_column_text(st, col);
	return k ? act_kind_parse(k) : -2;
}

int db_act_load(struct db *db, int64_t lead_id, struct act_list *a, struct lerr *err)
{
	act_list_reset(a, lead_id);
	sqlite3_stmt *st = db_prep(
	    db, "SELECT kind, at FROM events WHERE lead_id = ?1 AND kind IN " ACT_KINDS, err);
	if (!st)
		return err->code;
	sqlite3_bind_int64(st, 1, lead_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int k = kind_of(st, 0);
		if (k >= 0)
			act_list_add(a, k, sqlite3_column_int64(st, 1));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "read activities");
	a->loaded = true;
	return 0;
}

int db_act_range(struct db *db, int64_t lo, int64_t hi, db_act_fn fn, void *ctx, struct lerr *err)
{
	sqlite3_stmt *st =
	    db_prep(db,
	            "SELECT lead_id, kind, at FROM events WHERE lead_id BETWEEN ?1 AND ?2 "
	            "AND kind IN " ACT_KINDS " ORDER BY lead_id",
	            err);
	if (!st)
		return err->code;
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	int rc, ret = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int k = kind_of(st, 1);
		if (k >= 0 &&
		    (ret = fn(sqlite3_column_int64(st, 0), k, sqlite3_column_int64(st, 2), ctx)))
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_fail(db, err, "read activities");
	sqlite3_reset(st);
	return ret;
}
