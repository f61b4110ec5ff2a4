/* db_queue.c - storage of tasks and queued mail (see queue.h). */
#include "queue.h"

#include <stdlib.h>
#include <string.h>

#include "dbi.h"

int task_create(struct db *db, const struct task_new *t, int64_t now, int64_t *id, struct lerr *err)
{
	sqlite3_stmt *st = db_prep(db,
	                           "INSERT INTO tasks(lead_id, owner, title, notes, created_at, "
	                           "due_at, notify_at, rule, idem_key) "
	                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
	                           "ON CONFLICT(idem_key) DO NOTHING",
	                           err);
	if (!st)
		return err->code;
	sqlite3_bind_int64(st, 1, t->lead_id);
	db_bind_text(st, 2, t->owner);
	db_bind_text(st, 3, t->title);
	db_bind_text(st, 4, t->notes);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, t->due_at);
	if (t->notify_at)
		sqlite3_bind_int64(st, 7, t->notify_at);
	db_bind_text(st, 8, t->rule);
	db_bind_text(st, 9, t->idem_key);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "create task");
	*id = sqlite3_changes(db->sq) ? sqlite3_last_insert_rowid(db->sq) : 0;
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

int mail_queue(struct db *db, const struct mail_new *m, int64_t now, int *queued, struct lerr *err)
{
	if (str_empty(m->idem_key) || str_empty(m->rcpt))
		return lerr_set(err, EX_SOFTWARE,
		                "mail_queue: a message needs a key and a recipient");
	sqlite3_stmt *st = db_prep(db,
	                           "INSERT INTO outbox(idem_key, kind, lead_id, rcpt, cc, subject, "
	                           "body, created_at, next_try_at) "
	                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) "
	                           "ON CONFLICT(idem_key) DO NOTHING",
	                           err);
	if (!st)
		return err->code;
	char *subject = one_line(m->subject);
	sqlite3_bind_text(st, 1, m->idem_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, m->kind, -1, SQLITE_STATIC);
	if (m->lead_id)
		sqlite3_bind_int64(st, 3, m->lead_id);
	sqlite3_bind_text(st, 4, m->rcpt, -1, SQLITE_STATIC);
	db_bind_text(st, 5, m->cc);
	sqlite3_bind_text(st, 6, subject, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, m->body ? m->body : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(subject);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "queue mail");
	*queued = sqlite3_changes(db->sq) > 0;
	return 0;
}
