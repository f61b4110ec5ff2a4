/* db_lifecycle.c - the queries of the lead's lifecycle (lifecycle.h). */
#include "lifecycle.h"

#include <stdlib.h>
#include <string.h>

#include "dbi.h"

int db_lc_open_tasks(struct db *db, int64_t lead_id, struct lc_open_task **v, size_t *n,
                     struct lerr *err)
{
	*v = NULL;
	*n = 0;
	struct dbst *st = db_prep(db,
	                          "SELECT id, rule, owner, owner_given FROM tasks "
	                          "WHERE lead_id = ?1 AND done_at IS NULL ORDER BY id",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	size_t cap = 0;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		*v = xgrow(*v, &cap, *n + 1, sizeof **v);
		struct lc_open_task *t = &(*v)[(*n)++];
		t->id = st_col_int64(st, 0);
		t->rule = db_col_text(st, 1);
		t->owner = db_col_text(st, 2);
		t->owner_given = st_col_int(st, 3) != 0;
	}
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "find a lead's open tasks");
}

void lc_open_tasks_free(struct lc_open_task *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].rule);
		free(v[i].owner);
	}
	free(v);
}

static int step_done(struct db *db, struct dbst *st, const char *what, struct lerr *err)
{
	int rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, what);
}

int db_lc_task_cancel(struct db *db, int64_t id, int64_t now, struct lerr *err)
{
	struct dbst *st = db_prep(
	    db,
	    "UPDATE tasks SET done_at = ?2, cancelled_at = ?2 WHERE id = ?1 AND done_at IS NULL",
	    err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	st_bind_int64(st, 2, now);
	return step_done(db, st, "cancel a task", err);
}

int db_lc_task_owner(struct db *db, int64_t id, const char *owner, bool given, struct lerr *err)
{
	struct dbst *st =
	    db_prep(db, "UPDATE tasks SET owner = ?2, owner_given = ?3 WHERE id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	db_bind_text(st, 2, owner);
	st_bind_int64(st, 3, given);
	return step_done(db, st, "hand a task on", err);
}

int db_lc_rule_open(struct db *db, int64_t lead_id, const char *rule, bool *open, struct lerr *err)
{
	*open = false;
	struct dbst *st = db_prep(db,
	                          "SELECT 1 FROM tasks WHERE lead_id = ?1 AND rule = ?2 "
	                          "AND done_at IS NULL LIMIT 1",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	db_bind_text(st, 2, rule);
	int rc = st_step(st);
	*open = rc == SQLITE_ROW;
	st_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, err, "find a rule's task");
}

int db_lc_tasks_follow(struct db *db, int64_t lead_id, const char *owner, struct lerr *err)
{
	struct dbst *st =
	    db_prep(db,
	            "UPDATE tasks SET owner = ?2 WHERE lead_id = ?1 AND done_at IS NULL "
	            "AND owner_given = 0",
	            err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	db_bind_text(st, 2, owner);
	return step_done(db, st, "hand tasks to the new owner", err);
}

int db_lc_task_lead(struct db *db, int64_t id, int64_t *lead_id, char **owner, struct lerr *err)
{
	*owner = NULL;
	struct dbst *st = db_prep(db, "SELECT lead_id, owner FROM tasks WHERE id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	int rc = st_step(st);
	if (rc == SQLITE_ROW) {
		*lead_id = st_col_int64(st, 0);
		*owner = db_col_text(st, 1);
	}
	st_reset(st);
	if (rc == SQLITE_DONE)
		return lerr_set(err, EX_NOINPUT, "no task #%lld", (long long)id);
	return rc == SQLITE_ROW ? 0 : db_fail(db, err, "find a task");
}

int db_lc_import_quiet_set(struct db *db, int64_t batch, int64_t before, struct lerr *err)
{
	struct dbst *st = db_prep(db, "UPDATE imports SET quiet_before = ?2 WHERE id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, batch);
	st_bind_int64(st, 2, before);
	return step_done(db, st, "mark an import's quiet rows", err);
}

int db_lc_import_quiet(struct db *db, int64_t batch, int64_t *started, int64_t *before,
                       struct lerr *err)
{
	*started = *before = 0;
	struct dbst *st = db_prep(
	    db, "SELECT started_at, coalesce(quiet_before, 0) FROM imports WHERE id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, batch);
	int rc = st_step(st);
	if (rc == SQLITE_ROW) {
		*started = st_col_int64(st, 0);
		*before = st_col_int64(st, 1);
	}
	st_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, err, "read an import");
}
