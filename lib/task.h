/*
 * task.h - tasks beyond their creation (queue.h: task_create): reading,
 * listing, done, snooze, and what the sweep marks (late, due soon).
 * Storage in db_task.c.
 *
 * A task is open until done. It is late when its due time passed before
 * it was done: the sweep sets `late` on open tasks past due, and `task
 * done` after the due time records it late too; a late task stays late
 * (snoozing it later does not undo that).
 */
#ifndef LEADS_TASK_H
#define LEADS_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "util.h"

struct task {
	int64_t id, lead_id, created_at, due_at, notify_at, notified_at, done_at;
	bool late;
	int64_t cancelled_at; /* closed with its lead (won, lost, unqualified); done_at too */
	bool owner_given;     /* handed to someone by name: stays when the lead changes owner */
	char *owner, *title, *notes, *rule;
	char *lead_name; /* display name of the lead (listing only) */
	char *lead_owner;
};
void task_free(struct task *t);

struct task_filter {
	const char *owner; /* NULL = anyone */
	int64_t lead_id;   /* 0 = any */
	bool open_only;    /* not done */
	bool late_only;    /* late: marked, done after due, or open past due at now */
	int64_t now;
	int64_t due_from, due_until; /* due_at in [from, until); 0 = open end */
};
typedef int (*db_task_fn)(const struct task *t, void *ctx);
/* Matching tasks ordered by due time, then id. */
int db_task_query(struct db *db, const struct task_filter *f, db_task_fn fn, void *ctx,
                  struct lerr *err);
/* EX_NOINPUT "no task #ID" when missing. */
int db_task_get(struct db *db, int64_t id, struct task *t, struct lerr *err);
int db_task_done(struct db *db, int64_t id, int64_t now, bool late, const char *notes,
                 struct lerr *err);
/* New due and notify times; the "due soon" notice may go out again. */
int db_task_reschedule(struct db *db, int64_t id, int64_t due_at, int64_t notify_at,
                       struct lerr *err);

/* For the sweep: open tasks not yet late with due_at < now, by id. */
int db_tasks_past_due(struct db *db, int64_t now, int64_t **ids, size_t *n, struct lerr *err);
int db_task_set_late(struct db *db, int64_t id, struct lerr *err);
/* Open tasks with notify_at <= now < due_at and no notice yet. */
int db_tasks_notify_due(struct db *db, int64_t now, int64_t **ids, size_t *n, struct lerr *err);
int db_task_set_notified(struct db *db, int64_t id, int64_t now, struct lerr *err);

#endif
