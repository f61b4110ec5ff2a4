/*
 * db_seq.c - storage of sequence runs and of the lead's mail flags
 * (lib/sequence.h). Plain statements both backends run.
 */
#include <stdlib.h>
#include <string.h>

#include "dbi.h"
#include "sequence.h"

#define SEQ_COLS "id, lead_id, step, started_at, next_at, done_at, stopped_at, name, stop_reason"

static void read_row(struct dbst *st, struct seq_row *r)
{
	memset(r, 0, sizeof *r);
	r->id = st_col_int64(st, 0);
	r->lead_id = st_col_int64(st, 1);
	r->step = st_col_int64(st, 2);
	r->started_at = st_col_int64(st, 3);
	r->next_at = st_col_int64(st, 4);
	r->done_at = st_col_int64(st, 5);
	r->stopped_at = st_col_int64(st, 6);
	r->name = db_col_text(st, 7);
	r->stop_reason = db_col_text(st, 8);
}

void seq_row_free(struct seq_row *r)
{
	free(r->name);
	free(r->stop_reason);
	memset(r, 0, sizeof *r);
}

int db_seq_list(struct db *db, int64_t lead_id, bool running, seq_row_fn fn, void *ctx,
                struct lerr *err)
{
	struct dbst *st;
	if (lead_id && running)
		st = db_prepare_once(db,
		                     "SELECT " SEQ_COLS " FROM sequences WHERE lead_id = ?1 AND "
		                     "done_at IS NULL AND stopped_at IS NULL ORDER BY id",
		                     err);
	else if (lead_id)
		st = db_prepare_once(
		    db, "SELECT " SEQ_COLS " FROM sequences WHERE lead_id = ?1 ORDER BY id", err);
	else if (running)
		st = db_prepare_once(db,
		                     "SELECT " SEQ_COLS " FROM sequences WHERE done_at IS NULL AND "
		                     "stopped_at IS NULL ORDER BY id",
		                     err);
	else
		st = db_prepare_once(db, "SELECT " SEQ_COLS " FROM sequences ORDER BY id", err);
	if (!st)
		return err->code;
	if (lead_id)
		st_bind_int64(st, 1, lead_id);
	int rc, r = 0;
	while (!r && (rc = st_step(st)) == SQLITE_ROW) {
		struct seq_row row;
		read_row(st, &row);
		r = fn(&row, ctx);
		seq_row_free(&row);
	}
	st_finalize(st);
	if (r)
		return r;
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : db_fail(db, err, "read sequences");
}

int db_seq_get(struct db *db, int64_t id, struct seq_row *r, struct lerr *err)
{
	struct dbst *st = db_prep(db, "SELECT " SEQ_COLS " FROM sequences WHERE id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	int rc = st_step(st);
	if (rc == SQLITE_ROW)
		read_row(st, r);
	st_reset(st);
	if (rc == SQLITE_DONE)
		return lerr_set(err, EX_NOINPUT, "no sequence run #%lld", (long long)id);
	return rc == SQLITE_ROW ? 0 : db_fail(db, err, "read a sequence");
}

int db_seq_stop_lead(struct db *db, int64_t lead_id, const char *name, const char *reason,
                     int64_t now, int *n, struct lerr *err)
{
	struct dbst *st =
	    db_prep(db,
	            name ? "UPDATE sequences SET stopped_at = ?2, stop_reason = ?3, next_at = NULL "
	                   "WHERE lead_id = ?1 AND done_at IS NULL AND stopped_at IS NULL AND "
	                   "name = ?4"
	                 : "UPDATE sequences SET stopped_at = ?2, stop_reason = ?3, next_at = NULL "
	                   "WHERE lead_id = ?1 AND done_at IS NULL AND stopped_at IS NULL",
	            err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	st_bind_int64(st, 2, now);
	db_bind_text(st, 3, reason);
	if (name)
		db_bind_text(st, 4, name);
	int rc = st_step(st);
	st_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "stop sequences");
	if (n)
		*n = db_changes(db);
	return 0;
}

/*
 * As a hook stops them: the "sequence_stopped" event first, written only
 * when a run is stopped, then the runs. Two writes nobody waits for, so
 * on PostgreSQL they travel with the command's next statement instead of
 * costing a round trip each move. Under a bulk import's deferred events
 * the count is read, to keep the events in order.
 */
int db_seq_stop_hook(struct db *db, int64_t lead_id, const char *reason, int64_t now,
                     const char *actor, const char *data, struct lerr *err)
{
	if (db_deferring(db)) {
		int n = 0;
		int rc = db_seq_stop_lead(db, lead_id, NULL, reason, now, &n, err);
		if (rc || !n)
			return rc;
		struct event e = { .lead_id = lead_id,
			           .at = now,
			           .actor = actor,
			           .kind = "sequence_stopped",
			           .data = data };
		return db_event_add(db, &e, err);
	}
	struct dbst *st = db_prep(db,
	                          "INSERT INTO events(lead_id, at, actor, kind, data) "
	                          "SELECT ?1, ?2, ?3, 'sequence_stopped', ?4 WHERE EXISTS "
	                          "(SELECT 1 FROM sequences WHERE lead_id = ?1 AND done_at IS NULL "
	                          "AND stopped_at IS NULL)",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	st_bind_int64(st, 2, now);
	db_bind_text(st, 3, actor);
	db_bind_text(st, 4, data);
	int rc = st_step(st);
	st_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "record history");
	return db_seq_stop_lead(db, lead_id, NULL, reason, now, NULL, err);
}

int db_seq_stop(struct db *db, int64_t id, const char *reason, int64_t now, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "UPDATE sequences SET stopped_at = ?2, stop_reason = ?3, "
	                          "next_at = NULL WHERE id = ?1 AND done_at IS NULL AND "
	                          "stopped_at IS NULL",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	st_bind_int64(st, 2, now);
	db_bind_text(st, 3, reason);
	int rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "stop a sequence");
}

int db_seq_move(struct db *db, int64_t from, int64_t to, int64_t now, struct lerr *err)
{
	/* a name running on both: the one of `from` stops, `to` keeps its own */
	struct dbst *st = db_prep(db,
	                          "UPDATE sequences SET stopped_at = ?3, stop_reason = 'merged', "
	                          "next_at = NULL WHERE lead_id = ?1 AND done_at IS NULL AND "
	                          "stopped_at IS NULL AND name IN (SELECT name FROM sequences "
	                          "WHERE lead_id = ?2 AND done_at IS NULL AND stopped_at IS NULL)",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, from);
	st_bind_int64(st, 2, to);
	st_bind_int64(st, 3, now);
	int rc = st_step(st);
	st_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "move sequences");
	st = db_prep(db, "UPDATE sequences SET lead_id = ?2 WHERE lead_id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, from);
	st_bind_int64(st, 2, to);
	rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "move sequences");
}

int db_mail_flags(struct db *db, int64_t lead_id, struct mail_flags *f, struct lerr *err)
{
	memset(f, 0, sizeof *f);
	struct dbst *st = db_prep(
	    db, "SELECT do_not_email, bounced_at, bounce FROM mail_flags WHERE lead_id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	int rc = st_step(st);
	if (rc == SQLITE_ROW) {
		f->do_not_email = st_col_int64(st, 0) != 0;
		f->bounced_at = st_col_int64(st, 1);
		f->bounce = db_col_text(st, 2);
	}
	st_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, err, "read mail flags");
}

int db_mail_do_not_email(struct db *db, int64_t lead_id, bool on, int64_t now, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "INSERT INTO mail_flags(lead_id, do_not_email, changed_at) "
	                          "VALUES (?1, ?2, ?3) ON CONFLICT(lead_id) DO UPDATE SET "
	                          "do_not_email = ?2, changed_at = ?3",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	st_bind_int64(st, 2, on);
	st_bind_int64(st, 3, now);
	int rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "set do_not_email");
}

int db_mail_bounced(struct db *db, int64_t lead_id, const char *why, int64_t now, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "INSERT INTO mail_flags(lead_id, bounced_at, bounce, changed_at) "
	                          "VALUES (?1, ?2, ?3, ?2) ON CONFLICT(lead_id) DO UPDATE SET "
	                          "bounced_at = ?2, bounce = ?3, changed_at = ?2",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	st_bind_int64(st, 2, now);
	db_bind_text(st, 3, why);
	int rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "mark a bounce");
}

int db_mail_bounce_clear(struct db *db, int64_t lead_id, struct lerr *err)
{
	struct dbst *st = db_prep(
	    db, "UPDATE mail_flags SET bounced_at = NULL, bounce = NULL WHERE lead_id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	int rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "clear a bounce");
}

int seq_send_check(struct db *db, int64_t lead_id, struct lerr *err)
{
	struct mail_flags f;
	struct lerr e = { 0 };
	if (db_mail_flags(db, lead_id, &f, &e))
		return lerr_set(err, EX_TEMPFAIL, "%s", e.msg);
	int rc = 0;
	if (f.do_not_email)
		rc = lerr_set(err, EX_DATAERR, "do not email: lead #%lld", (long long)lead_id);
	else if (f.bounced_at)
		rc = lerr_set(err, EX_DATAERR, "address bounced: lead #%lld", (long long)lead_id);
	free(f.bounce);
	return rc;
}

int db_seq_running(struct db *db, int64_t lead_id, const char *name, int64_t *id, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "SELECT id FROM sequences WHERE lead_id = ?1 AND name = ?2 AND "
	                          "done_at IS NULL AND stopped_at IS NULL",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	st_bind_text_static(st, 2, name, -1);
	int rc = st_step(st);
	*id = rc == SQLITE_ROW ? st_col_int64(st, 0) : 0;
	st_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, err, "read sequences");
}

int db_seq_insert(struct db *db, int64_t lead_id, const char *name, int64_t now, int64_t next_at,
                  int64_t *id, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "INSERT INTO sequences(lead_id, name, step, started_at, next_at) "
	                          "VALUES (?1, ?2, 0, ?3, ?4) RETURNING id",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	st_bind_text_static(st, 2, name, -1);
	st_bind_int64(st, 3, now);
	st_bind_int64(st, 4, next_at);
	int rc = st_step(st);
	*id = rc == SQLITE_ROW ? st_col_int64(st, 0) : 0;
	st_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(db, err, "start a sequence");
}

int db_seq_due(struct db *db, int64_t now, struct seq_due **out, size_t *nout, struct lerr *err)
{
	*out = NULL;
	*nout = 0;
	struct dbst *st =
	    db_prepare_once(db,
	                    "SELECT id, lead_id, step, started_at, name FROM sequences "
	                    "WHERE next_at <= ?1 AND done_at IS NULL AND stopped_at "
	                    "IS NULL ORDER BY next_at, id",
	                    err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, now);
	struct seq_due *v = NULL;
	size_t n = 0, cap = 0;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		v = xgrow(v, &cap, n + 1, sizeof *v);
		v[n].id = st_col_int64(st, 0);
		v[n].lead_id = st_col_int64(st, 1);
		v[n].step = st_col_int64(st, 2);
		v[n].started_at = st_col_int64(st, 3);
		v[n].name = db_col_text(st, 4);
		n++;
	}
	st_finalize(st);
	*out = v;
	*nout = n;
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "read due sequences");
}

void seq_due_free(struct seq_due *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int db_seq_set_next(struct db *db, int64_t id, int64_t step, int64_t next, int64_t done,
                    struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "UPDATE sequences SET step = ?2, next_at = ?3, done_at = ?4 "
	                          "WHERE id = ?1",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	st_bind_int64(st, 2, step);
	if (next)
		st_bind_int64(st, 3, next);
	else
		st_bind_null(st, 3);
	if (done)
		st_bind_int64(st, 4, done);
	else
		st_bind_null(st, 4);
	int rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "advance a sequence");
}

int db_seq_sent_since(struct db *db, const char *sender, int64_t since, int64_t *n,
                      struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          sender ? "SELECT count(*) FROM outbox WHERE kind = 'sequence' "
	                                   "AND sender = ?1 AND created_at >= ?2"
	                                 : "SELECT count(*) FROM outbox WHERE kind = 'sequence' "
	                                   "AND sender IS NULL AND created_at >= ?1",
	                          err);
	if (!st)
		return err->code;
	if (sender) {
		st_bind_text_static(st, 1, sender, -1);
		st_bind_int64(st, 2, since);
	} else
		st_bind_int64(st, 1, since);
	int rc = st_step(st);
	*n = rc == SQLITE_ROW ? st_col_int64(st, 0) : 0;
	st_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(db, err, "count sent mail");
}

int db_seq_outbox_key(struct db *db, const char *key, int64_t *id, char **sender, struct lerr *err)
{
	*id = 0;
	*sender = NULL;
	struct dbst *st = db_prep(db, "SELECT id, sender FROM outbox WHERE idem_key = ?1", err);
	if (!st)
		return err->code;
	st_bind_text_static(st, 1, key, -1);
	int rc = st_step(st);
	if (rc == SQLITE_ROW) {
		*id = st_col_int64(st, 0);
		*sender = db_col_text(st, 1);
	}
	st_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, err, "read the outbox");
}

int db_seq_logged(struct db *db, int64_t lead_id, const char *kind, const char *msgid, bool *yes,
                  struct lerr *err)
{
	*yes = false;
	if (!msgid)
		return 0;
	struct sb pat = SB_INIT;
	sb_adds(&pat, "%\"message_id\":");
	sb_add_json_str(&pat, msgid);
	sb_addc(&pat, '%');
	struct dbst *st = db_prep(db,
	                          "SELECT 1 FROM events WHERE lead_id = ?1 AND kind = ?2 AND data "
	                          "LIKE ?3",
	                          err);
	if (!st) {
		sb_free(&pat);
		return err->code;
	}
	st_bind_int64(st, 1, lead_id);
	st_bind_text_static(st, 2, kind, -1);
	st_bind_text_static(st, 3, pat.buf, -1);
	int rc = st_step(st);
	st_reset(st);
	sb_free(&pat);
	*yes = rc == SQLITE_ROW;
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, err, "read history");
}
