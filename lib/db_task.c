/* db_task.c - storage of tasks: reading, listing, done, snooze (task.h). */
#include "task.h"

#include <stdlib.h>
#include <string.h>

#include "dbi.h"
#include "lead.h"

#define TASK_COLS                                                                                  \
	"t.id, t.lead_id, t.created_at, t.due_at, t.notify_at, t.notified_at, t.done_at, t.late, " \
	"t.owner, t.title, t.notes, t.rule, l.first_name, l.last_name, l.company, l.email, "       \
	"l.owner, t.cancelled_at, t.owner_given"

static void read_task(struct dbst *st, struct task *t)
{
	memset(t, 0, sizeof *t);
	t->id = st_col_int64(st, 0);
	t->lead_id = st_col_int64(st, 1);
	t->created_at = st_col_int64(st, 2);
	t->due_at = st_col_int64(st, 3);
	t->notify_at = st_col_int64(st, 4);
	t->notified_at = st_col_int64(st, 5);
	t->done_at = st_col_int64(st, 6);
	t->late = st_col_int(st, 7) != 0;
	t->owner = db_col_text(st, 8);
	t->title = db_col_text(st, 9);
	t->notes = db_col_text(st, 10);
	t->rule = db_col_text(st, 11);
	struct lead l;
	lead_init(&l);
	l.t[LT_FIRST_NAME] = db_col_text(st, 12);
	l.t[LT_LAST_NAME] = db_col_text(st, 13);
	l.t[LT_COMPANY] = db_col_text(st, 14);
	l.t[LT_EMAIL] = db_col_text(st, 15);
	lead_set_int(&l, LI_ID, t->lead_id);
	char buf[256];
	lead_display_name(&l, buf, sizeof buf);
	t->lead_name = xstrdup(buf);
	t->lead_owner = db_col_text(st, 16);
	t->cancelled_at = st_col_int64(st, 17);
	t->owner_given = st_col_int(st, 18) != 0;
	lead_free(&l);
}

void task_free(struct task *t)
{
	free(t->owner);
	free(t->title);
	free(t->notes);
	free(t->rule);
	free(t->lead_name);
	free(t->lead_owner);
	memset(t, 0, sizeof *t);
}

/*
 * The statement for the filters given, each only as its own condition: a
 * catch-all `(?2 = 0 OR t.lead_id = ?2)` keeps the planner from any
 * index, and every task was read to show one lead's. Built once per
 * combination from constant fragments (values are bound; the unused
 * parameters stay unbound) and kept for the process: the statement cache
 * is keyed by the address of the text. With a lead: tasks_lead; with an
 * owner: tasks_owner_ci (owner COLLATE NOCASE, due_at), which gives them
 * in due_at, id order; open ones: tasks_open, in that order too.
 */
static const char *task_query_sql(const struct task_filter *f)
{
	static char *sql[64];
	unsigned k = (f->owner ? 1u : 0) | (f->lead_id ? 2u : 0) | (f->open_only ? 4u : 0) |
	             (f->late_only ? 8u : 0) | (f->due_from ? 16u : 0) | (f->due_until ? 32u : 0);
	if (!sql[k]) {
		struct sb b = SB_INIT;
		sb_adds(&b, "SELECT " TASK_COLS " FROM tasks t JOIN leads l ON l.id = t.lead_id "
		            "WHERE TRUE");
		if (k & 1)
			sb_adds(&b, " AND t.owner = ?1 COLLATE NOCASE");
		if (k & 2)
			sb_adds(&b, " AND t.lead_id = ?2");
		if (k & 4)
			sb_adds(&b, " AND t.done_at IS NULL");
		if (k & 8)
			sb_adds(&b,
			        " AND t.cancelled_at IS NULL AND (t.late <> 0 OR "
			        "t.done_at > t.due_at OR (t.done_at IS NULL AND t.due_at < ?7))");
		if (k & 16)
			sb_adds(&b, " AND t.due_at >= ?5");
		if (k & 32)
			sb_adds(&b, " AND t.due_at < ?6");
		sb_adds(&b, " ORDER BY t.due_at, t.id");
		sql[k] = sb_detach(&b);
	}
	return sql[k];
}

int db_task_query(struct db *db, const struct task_filter *f, db_task_fn fn, void *ctx,
                  struct lerr *err)
{
	struct dbst *st = db_prep(db, task_query_sql(f), err);
	if (!st)
		return err->code;
	if (f->owner)
		st_bind_text(st, 1, f->owner, -1);
	if (f->lead_id)
		st_bind_int64(st, 2, f->lead_id);
	if (f->due_from)
		st_bind_int64(st, 5, f->due_from);
	if (f->due_until)
		st_bind_int64(st, 6, f->due_until);
	if (f->late_only)
		st_bind_int64(st, 7, f->now);
	int rc, ret = 0;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		struct task t;
		read_task(st, &t);
		ret = fn(&t, ctx);
		task_free(&t);
		if (ret)
			break;
	}
	st_reset(st);
	if (!ret && rc != SQLITE_DONE)
		return db_fail(db, err, "list tasks");
	return ret;
}

int db_task_get(struct db *db, int64_t id, struct task *t, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "SELECT " TASK_COLS
	                          " FROM tasks t JOIN leads l ON l.id = t.lead_id WHERE t.id = ?1",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	int rc = st_step(st);
	if (rc == SQLITE_ROW)
		read_task(st, t);
	st_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return lerr_set(err, EX_NOINPUT, "no task #%lld", (long long)id);
	return db_fail(db, err, "read a task");
}

static int step_done(struct db *db, struct dbst *st, const char *what, struct lerr *err)
{
	int rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, what);
}

int db_task_done(struct db *db, int64_t id, int64_t now, bool late, const char *notes,
                 struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "UPDATE tasks SET done_at = ?2, late = max(late, ?3), "
	                          "notes = coalesce(?4, notes) WHERE id = ?1",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	st_bind_int64(st, 2, now);
	st_bind_int64(st, 3, late);
	db_bind_text(st, 4, notes);
	return step_done(db, st, "mark a task done", err);
}

int db_task_reschedule(struct db *db, int64_t id, int64_t due_at, int64_t notify_at,
                       struct lerr *err)
{
	struct dbst *st =
	    db_prep(db,
	            "UPDATE tasks SET due_at = ?2, notify_at = ?3, notified_at = NULL "
	            "WHERE id = ?1",
	            err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	st_bind_int64(st, 2, due_at);
	if (notify_at)
		st_bind_int64(st, 3, notify_at);
	return step_done(db, st, "reschedule a task", err);
}

static int ids_of(struct db *db, struct dbst *st, int64_t **ids, size_t *n, struct lerr *err)
{
	size_t cap = 0;
	*ids = NULL;
	*n = 0;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		*ids = xgrow(*ids, &cap, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = st_col_int64(st, 0);
	}
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "read tasks");
}

int db_tasks_past_due(struct db *db, int64_t now, int64_t **ids, size_t *n, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "SELECT id FROM tasks WHERE done_at IS NULL AND late = 0 "
	                          "AND due_at < ?1 ORDER BY +id",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, now);
	return ids_of(db, st, ids, n, err);
}

int db_task_set_late(struct db *db, int64_t id, struct lerr *err)
{
	struct dbst *st = db_prep(db, "UPDATE tasks SET late = 1 WHERE id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	return step_done(db, st, "mark a task late", err);
}

int db_tasks_notify_due(struct db *db, int64_t now, int64_t **ids, size_t *n, struct lerr *err)
{
	struct dbst *st =
	    db_prep(db,
	            "SELECT id FROM tasks WHERE done_at IS NULL AND notified_at IS NULL "
	            "AND notify_at <= ?1 AND due_at > ?1 ORDER BY +id",
	            err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, now);
	return ids_of(db, st, ids, n, err);
}

int db_task_set_notified(struct db *db, int64_t id, int64_t now, struct lerr *err)
{
	struct dbst *st = db_prep(db, "UPDATE tasks SET notified_at = ?2 WHERE id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	st_bind_int64(st, 2, now);
	return step_done(db, st, "mark a notice sent", err);
}
