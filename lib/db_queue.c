/* db_queue.c - storage of tasks and queued mail (see queue.h). */
#include "queue.h"

#include <stdlib.h>
#include <string.h>

#include "dbi.h"

int task_create(struct db *db, const struct task_new *t, int64_t now, int64_t *id, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "INSERT INTO tasks(lead_id, owner, title, notes, created_at, "
	                          "due_at, notify_at, rule, idem_key, owner_given) "
	                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
	                          "ON CONFLICT(idem_key) DO NOTHING",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, t->lead_id);
	db_bind_text(st, 2, t->owner);
	db_bind_text(st, 3, t->title);
	db_bind_text(st, 4, t->notes);
	st_bind_int64(st, 5, now);
	st_bind_int64(st, 6, t->due_at);
	if (t->notify_at)
		st_bind_int64(st, 7, t->notify_at);
	db_bind_text(st, 8, t->rule);
	db_bind_text(st, 9, t->idem_key);
	st_bind_int64(st, 10, t->owner_given);
	int rc = st_step(st);
	st_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "create task");
	*id = db_changes(db) ? db_last_id(db) : 0;
	return 0;
}

/* A subject never carries a line break into a header. */
static char *one_line(const char *s)
{
	char *p = xstrdup(s ? s : "");
	for (char *q = p; *q; q++)
		if (*q == '\r' || *q == '\n' || *q == '\t')
			*q = ' ';
	return p;
}

int mail_queued(struct db *db, const char *idem_key, bool *has, struct lerr *err)
{
	struct dbst *st = db_prep(db, "SELECT 1 FROM outbox WHERE idem_key = ?1", err);
	if (!st)
		return err->code;
	st_bind_text_static(st, 1, idem_key, -1);
	int rc = st_step(st);
	st_reset(st);
	*has = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, err, "read the outbox");
}

int mail_queue(struct db *db, const struct mail_new *m, int64_t now, int *queued, struct lerr *err)
{
	if (str_empty(m->idem_key) || str_empty(m->rcpt))
		return lerr_set(err, EX_SOFTWARE,
		                "mail_queue: a message needs a key and a recipient");
	struct dbst *st = db_prep(db,
	                          "INSERT INTO outbox(idem_key, kind, lead_id, rcpt, cc, subject, "
	                          "body, created_at, next_try_at, sender, headers) "
	                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10) "
	                          "ON CONFLICT(idem_key) DO NOTHING",
	                          err);
	if (!st)
		return err->code;
	char *subject = one_line(m->subject);
	st_bind_text_static(st, 1, m->idem_key, -1);
	st_bind_text_static(st, 2, m->kind, -1);
	if (m->lead_id)
		st_bind_int64(st, 3, m->lead_id);
	st_bind_text_static(st, 4, m->rcpt, -1);
	db_bind_text(st, 5, m->cc);
	st_bind_text(st, 6, subject, -1);
	st_bind_text_static(st, 7, m->body ? m->body : "", -1);
	st_bind_int64(st, 8, now);
	db_bind_text(st, 9, m->sender);
	db_bind_text(st, 10, m->headers);
	int rc = st_step(st);
	st_reset(st);
	free(subject);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "queue mail");
	*queued = db_changes(db) > 0;
	return 0;
}
