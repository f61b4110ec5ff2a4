/*
 * db_outbox.c - storage of the outbox for delivery and listing (outbox.h).
 *
 * Delivery never holds the write lock while a sendmail runs: a message is
 * claimed in one short BEGIN IMMEDIATE transaction, piped with no
 * transaction open, then marked in another. The claim (a token and a
 * time it runs out) is what keeps two sweeps from piping one message.
 */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

#include "dbi.h"

#define MSG_COLS                                                                                   \
	"id, lead_id, created_at, next_try_at, sent_at, failed_at, tries, idem_key, kind, rcpt, "  \
	"cc, subject, body, last_error, unknown_at, sender, headers"

static void read_msg(struct dbst *st, struct outbox_msg *m)
{
	memset(m, 0, sizeof *m);
	m->id = st_col_int64(st, 0);
	m->lead_id = st_col_int64(st, 1);
	m->created_at = st_col_int64(st, 2);
	m->next_try_at = st_col_int64(st, 3);
	m->sent_at = st_col_int64(st, 4);
	m->failed_at = st_col_int64(st, 5);
	m->tries = st_col_int64(st, 6);
	m->idem_key = db_col_text(st, 7);
	m->kind = db_col_text(st, 8);
	m->rcpt = db_col_text(st, 9);
	m->cc = db_col_text(st, 10);
	m->subject = db_col_text(st, 11);
	m->body = db_col_text(st, 12);
	m->last_error = db_col_text(st, 13);
	m->unknown_at = st_col_int64(st, 14);
	m->sender = db_col_text(st, 15);
	m->headers = db_col_text(st, 16);
}

void outbox_msg_free(struct outbox_msg *m)
{
	free(m->idem_key);
	free(m->kind);
	free(m->rcpt);
	free(m->cc);
	free(m->subject);
	free(m->body);
	free(m->last_error);
	free(m->sender);
	free(m->headers);
	memset(m, 0, sizeof *m);
}

int db_outbox_due(struct db *db, int64_t now, bool force, int64_t only_id, int64_t **ids, size_t *n,
                  struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "SELECT id FROM outbox WHERE sent_at IS NULL "
	                          "AND (?2 OR (failed_at IS NULL AND next_try_at <= ?1)) "
	                          "AND (unknown_at IS NULL OR (?2 AND ?3 <> 0)) "
	                          "AND (?3 = 0 OR id = ?3) ORDER BY id",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, now);
	st_bind_int64(st, 2, force);
	st_bind_int64(st, 3, only_id);
	size_t cap = 0;
	*ids = NULL;
	*n = 0;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		*ids = xgrow(*ids, &cap, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = st_col_int64(st, 0);
	}
	st_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "read the outbox");
	return 0;
}

int db_outbox_claim(struct db *db, int64_t id, const char *token, int64_t now, int64_t wall,
                    int64_t until, bool force, bool unknown, bool *got, struct outbox_msg *m,
                    struct lerr *err)
{
	*got = false;
	int rc = db_begin(db, err);
	if (rc)
		return rc;
	struct dbst *st = db_prep(db,
	                          "UPDATE outbox SET claim = ?2, claim_until = ?3, "
	                          "failed_at = CASE WHEN ?5 THEN NULL ELSE failed_at END, "
	                          "unknown_at = CASE WHEN ?6 THEN NULL ELSE unknown_at END "
	                          "WHERE id = ?1 AND sent_at IS NULL "
	                          "AND (?5 OR (failed_at IS NULL AND next_try_at <= ?4)) "
	                          "AND (?6 OR unknown_at IS NULL) "
	                          "AND (claim_until IS NULL OR claim_until <= ?7)",
	                          err);
	if (!st)
		goto fail;
	st_bind_int64(st, 1, id);
	st_bind_text_static(st, 2, token, -1);
	st_bind_int64(st, 3, until);
	st_bind_int64(st, 4, now);
	st_bind_int64(st, 5, force);
	st_bind_int64(st, 6, unknown);
	st_bind_int64(st, 7, wall);
	rc = st_step(st);
	st_reset(st);
	if (rc != SQLITE_DONE) {
		db_fail(db, err, "claim a message");
		goto fail;
	}
	if (db_changes(db) == 1) {
		st = db_prep(db, "SELECT " MSG_COLS " FROM outbox WHERE id = ?1", err);
		if (!st)
			goto fail;
		st_bind_int64(st, 1, id);
		if (st_step(st) != SQLITE_ROW) {
			st_reset(st);
			db_fail(db, err, "read a message");
			goto fail;
		}
		read_msg(st, m);
		st_reset(st);
		*got = true;
	}
	if ((rc = db_commit(db, err))) {
		if (*got)
			outbox_msg_free(m);
		*got = false;
		return rc;
	}
	return 0;
fail:
	db_rollback(db);
	return err->code ? err->code : EX_SOFTWARE;
}

static int one_update(struct db *db, struct dbst *st, const char *what, struct lerr *err)
{
	int rc = st_step(st);
	st_reset(st);
	if (rc != SQLITE_DONE) {
		rc = db_fail(db, err, what);
		db_rollback(db);
		return rc;
	}
	return db_commit(db, err);
}

/* SQLite only (PostgreSQL: the server's settings decide) */
int db_outbox_fast(struct db *db, bool fast, struct lerr *err)
{
	if (db->pg)
		return 0;
	return db_exec(db, fast ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL", err);
}

/*
 * A message sendmail has taken must be marked, or the next sweep sends it
 * again: marking it waits for the write lock up to ten minutes, however
 * short the user's busy timeout (LEADS_BUSY_TIMEOUT) is.
 */
static int begin_patient(struct db *db, struct lerr *err)
{
	db_set_busy(db, db->busy_ms > 600000 ? db->busy_ms : 600000);
	int rc = db_begin(db, err);
	db_set_busy(db, db->busy_ms);
	return rc;
}

/*
 * Mark a message this process claimed (token) in a transaction of its
 * own: ?1 the id, ?2 the token, ?3 the error, ?4... the n values v.
 */
static int mark(struct db *db, const char *sql, int64_t id, const char *token, const char *error,
                const int64_t *v, int n, const char *what, struct lerr *err)
{
	int rc = begin_patient(db, err);
	if (rc)
		return rc;
	struct dbst *st = db_prep(db, sql, err);
	if (!st) {
		db_rollback(db);
		return err->code;
	}
	st_bind_int64(st, 1, id);
	st_bind_text_static(st, 2, token, -1);
	db_bind_text(st, 3, error); /* NULL: SQL NULL */
	for (int i = 0; i < n; i++)
		st_bind_int64(st, 4 + i, v[i]);
	return one_update(db, st, what, err);
}

int db_outbox_sent(struct db *db, int64_t id, const char *token, int64_t now, struct lerr *err)
{
	return mark(db,
	            "UPDATE outbox SET sent_at = ?4, last_error = ?3, tries = tries + 1, "
	            "claim = NULL, claim_until = NULL WHERE id = ?1 AND claim = ?2",
	            id, token, NULL, &now, 1, "mark a message sent", err);
}

int db_outbox_fail(struct db *db, int64_t id, const char *token, const char *error,
                   int64_t next_try_at, bool give_up, int64_t now, struct lerr *err)
{
	const int64_t v[] = { next_try_at, give_up, now };
	return mark(db,
	            "UPDATE outbox SET tries = tries + 1, last_error = ?3, "
	            "next_try_at = ?4, failed_at = CASE WHEN ?5 THEN CAST(?6 AS INTEGER) END, "
	            "claim = NULL, claim_until = NULL WHERE id = ?1 AND claim = ?2",
	            id, token, error, v, 3, "record a failed delivery", err);
}

int db_outbox_unknown(struct db *db, int64_t id, const char *token, const char *error, int64_t now,
                      struct lerr *err)
{
	return mark(db,
	            "UPDATE outbox SET tries = tries + 1, last_error = ?3, unknown_at = ?4, "
	            "claim = NULL, claim_until = NULL WHERE id = ?1 AND claim = ?2",
	            id, token, error, &now, 1, "record a delivery that may have gone out", err);
}

int db_outbox_list(struct db *db, enum outbox_which which, db_outbox_fn fn, void *ctx,
                   struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "SELECT " MSG_COLS " FROM outbox WHERE "
	                          "(?1 = 0 AND sent_at IS NULL) "
	                          "OR (?1 = 1 AND failed_at IS NOT NULL AND sent_at IS NULL) "
	                          "OR (?1 = 2 AND sent_at IS NOT NULL) "
	                          "OR (?1 = 3 AND unknown_at IS NOT NULL AND sent_at IS NULL) "
	                          "OR ?1 NOT IN (0, 1, 2, 3) "
	                          "ORDER BY id",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, (int)which);
	int rc, ret = 0;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		struct outbox_msg m;
		read_msg(st, &m);
		ret = fn(&m, ctx);
		outbox_msg_free(&m);
		if (ret)
			break;
	}
	st_reset(st);
	if (!ret && rc != SQLITE_DONE)
		return db_fail(db, err, "list the outbox");
	return ret;
}

int db_outbox_get(struct db *db, int64_t id, struct outbox_msg *m, struct lerr *err)
{
	struct dbst *st = db_prep(db, "SELECT " MSG_COLS " FROM outbox WHERE id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	int rc = st_step(st);
	if (rc == SQLITE_ROW)
		read_msg(st, m);
	st_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return lerr_set(err, EX_NOINPUT, "no message #%lld in the outbox", (long long)id);
	return db_fail(db, err, "read a message");
}

int db_outbox_counts(struct db *db, int64_t *waiting, int64_t *failed, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "SELECT count(*) FILTER (WHERE failed_at IS NULL AND "
	                          "unknown_at IS NULL), "
	                          "count(*) FILTER (WHERE failed_at IS NOT NULL) "
	                          "FROM outbox WHERE sent_at IS NULL",
	                          err);
	if (!st)
		return err->code;
	int rc = st_step(st);
	if (rc == SQLITE_ROW) {
		*waiting = st_col_int64(st, 0);
		*failed = st_col_int64(st, 1);
	}
	st_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(db, err, "count the outbox");
}
