/*
 * queue.h - the two things engines leave behind for people: tasks and
 * queued mail. Both are written in the transaction of the change that
 * caused them, and both are idempotent by key, so a sweep run twice (or
 * two sweeps at once) creates each task and each message exactly once.
 */
#ifndef LEADS_QUEUE_H
#define LEADS_QUEUE_H

#include <stdint.h>

#include "db.h"
#include "util.h"

struct task_new {
	int64_t lead_id;
	const char *owner; /* team member, or NULL */
	const char *title;
	const char *notes;
	int64_t due_at;
	int64_t notify_at;    /* 0 = no "due soon" notice */
	const char *rule;     /* workflow/threshold that created it, or NULL for by hand */
	const char *idem_key; /* NULL = always create */
	bool owner_given;     /* owner named explicitly: does not follow the lead's owner */
};

/* Create a task; *id gets its id, or 0 if idem_key existed already. */
int task_create(struct db *db, const struct task_new *t, int64_t now, int64_t *id,
                struct lerr *err);

struct mail_new {
	const char *kind;     /* assignment, threshold, reminder, due_soon, late, digest */
	const char *idem_key; /* required: one message per key, ever */
	int64_t lead_id;      /* 0 = none */
	const char *rcpt;     /* one address */
	const char *cc;       /* NULL or one address */
	const char *subject;  /* UTF-8, no line breaks (they are replaced) */
	const char *body;     /* UTF-8 text */
	const char *sender;   /* NULL: mail.from; else this message's From */
	const char *headers;  /* NULL or extra "Name: value\n" lines (checked when rendered) */
};

/* Queue a message in the outbox; *queued is 1, or 0 if the key existed. */
int mail_queue(struct db *db, const struct mail_new *m, int64_t now, int *queued, struct lerr *err);
/* Is a message with idem_key in the outbox (what mail_queue would skip)? */
int mail_queued(struct db *db, const char *idem_key, bool *has, struct lerr *err);

#endif
