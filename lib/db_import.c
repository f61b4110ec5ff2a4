/* db_import.c - storage of import batches, duplicate lookups and reverts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbi.h"
#include "import.h"

int db_import_begin(struct db *db, const char *file, const char *preset, const char *actor,
                    int64_t now, int64_t *batch, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "INSERT INTO imports(file, preset, started_at, actor) "
	                          "VALUES (?1, ?2, ?3, ?4)",
	                          err);
	if (!st)
		return err->code;
	/* a file name is bytes; the column is text (PostgreSQL refuses bad UTF-8) */
	char *name = utf8_repair(file);
	st_bind_text_static(st, 1, name, -1);
	db_bind_text(st, 2, preset);
	st_bind_int64(st, 3, now);
	db_bind_text(st, 4, actor);
	int rc = st_step(st);
	st_reset(st);
	free(name);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "record import");
	*batch = db_last_id(db);
	return 0;
}

int db_import_finish(struct db *db, int64_t batch, const struct import_stats *s, int64_t now,
                     struct lerr *err)
{
	/* last_event: events after it are changes made since the import (revert) */
	struct dbst *st = db_prep(db, "SELECT coalesce(max(id), 0) FROM events", err);
	if (!st)
		return err->code;
	int rc = st_step(st);
	int64_t last = st_col_int64(st, 0);
	st_reset(st);
	if (rc != SQLITE_ROW)
		return db_fail(db, err, "record import");
	/* the counts as JSON made here: SQLite and PostgreSQL spell json_object differently */
	struct sb counts = SB_INIT;
	sb_addf(&counts,
	        "{\"read\":%llu,\"inserted\":%llu,\"updated\":%llu,\"duplicates\":%llu,"
	        "\"rejected\":%llu,\"not_found\":%llu,\"warnings\":%llu,\"last_event\":%lld}",
	        (unsigned long long)s->read, (unsigned long long)s->inserted,
	        (unsigned long long)s->updated, (unsigned long long)s->dup_skipped,
	        (unsigned long long)s->rejected, (unsigned long long)s->not_found,
	        (unsigned long long)s->warnings, (long long)last);
	st = db_prep(db, "UPDATE imports SET finished_at = ?2, counts = ?3 WHERE id = ?1", err);
	if (!st) {
		sb_free(&counts);
		return err->code;
	}
	st_bind_int64(st, 1, batch);
	st_bind_int64(st, 2, now);
	st_bind_text(st, 3, counts.buf, (int)counts.len);
	rc = st_step(st);
	st_reset(st);
	sb_free(&counts);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "record import");
}

int db_import_prepare(struct db *db, const enum import_match *m, int n, struct lerr *err)
{
	struct db_bulk *b = db->bulk;
	for (int i = 0; b && i < n; i++) {
		b->match_email |= m[i] == MATCH_EMAIL;
		b->match_ext |= m[i] == MATCH_EXT_ID;
	}
	if (b && b->load)
		db_load_match(b->load, b->match_email, b->match_ext);
	for (int i = 0; i < n; i++) {
		int rc = 0;
		if (m[i] == MATCH_PHONE)
			rc = db_exec(db,
			             "CREATE INDEX IF NOT EXISTS leads_phone ON leads(phone) "
			             "WHERE phone IS NOT NULL",
			             err);
		else if (m[i] == MATCH_NAME_COMPANY)
			rc = db_exec(db,
			             "CREATE INDEX IF NOT EXISTS leads_name_company ON leads("
			             "last_name COLLATE NOCASE, first_name COLLATE NOCASE, "
			             "company COLLATE NOCASE) WHERE last_name IS NOT NULL",
			             err);
		if (rc)
			return rc;
	}
	return 0;
}

int db_import_find(struct db *db, enum import_match how, const struct lead *l, int64_t *id,
                   struct lerr *err)
{
	static const char *const sql[] = {
		[MATCH_EMAIL] = "SELECT id FROM leads WHERE email = ?1",
		[MATCH_EXT_ID] = "SELECT id FROM leads WHERE ext_id = ?1 AND ext_source IS ?2",
		[MATCH_PHONE] = "SELECT id FROM leads WHERE phone = ?1",
		[MATCH_NAME_COMPANY] = "SELECT id FROM leads WHERE last_name = ?1 COLLATE NOCASE "
		                       "AND first_name = ?2 COLLATE NOCASE "
		                       "AND company = ?3 COLLATE NOCASE",
	};
	const char *a = NULL, *b = NULL, *c = NULL;
	switch (how) {
	case MATCH_EMAIL:
		a = l->t[LT_EMAIL];
		break;
	case MATCH_EXT_ID:
		a = l->t[LT_EXT_ID];
		b = l->t[LT_EXT_SOURCE];
		break;
	case MATCH_PHONE:
		a = l->t[LT_PHONE];
		break;
	case MATCH_NAME_COMPANY:
		a = l->t[LT_LAST_NAME];
		b = l->t[LT_FIRST_NAME];
		c = l->t[LT_COMPANY];
		if (!b || !c)
			a = NULL;
		break;
	}
	*id = 0;
	if (!a)
		return 0;
	struct dbst *st = db_prep(db, sql[how], err);
	if (!st)
		return err->code;
	st_bind_text_static(st, 1, a, -1);
	db_bind_text(st, 2, b);
	db_bind_text(st, 3, c);
	int rc = st_step(st);
	if (rc == SQLITE_ROW)
		*id = st_col_int64(st, 0);
	st_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, err, "find duplicate");
}

int db_import_list(struct db *db, db_batch_fn fn, void *ctx, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "SELECT id, started_at, finished_at, reverted_at, file, preset, "
	                          "actor, counts FROM imports "
	                          "WHERE finished_at IS NOT NULL "
	                          "ORDER BY id",
	                          err);
	if (!st)
		return err->code;
	int rc, ret = 0;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		struct import_batch b = {
			.id = st_col_int64(st, 0),
			.started_at = st_col_int64(st, 1),
			.finished_at = st_col_int64(st, 2),
			.reverted_at = st_col_int64(st, 3),
			.file = st_col_text(st, 4),
			.preset = st_col_text(st, 5),
			.actor = st_col_text(st, 6),
		};
		/* what the import counted, without the mark for --revert */
		char *counts = db_json_set(db, st_col_text(st, 7), "last_event", NULL);
		b.counts = counts;
		ret = fn(&b, ctx);
		free(counts);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_fail(db, err, "list imports");
	st_reset(st);
	return ret;
}

int db_import_get(struct db *db, int64_t batch, struct import_info *info, struct lerr *err)
{
	struct dbst *st =
	    db_prep(db, "SELECT file, preset, started_at, actor FROM imports WHERE id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, batch);
	int rc = st_step(st);
	memset(info, 0, sizeof *info);
	if (rc == SQLITE_ROW) {
		info->file = db_col_text(st, 0);
		info->preset = db_col_text(st, 1);
		info->at = st_col_int64(st, 2);
		info->actor = db_col_text(st, 3);
	}
	st_reset(st);
	if (rc == SQLITE_DONE)
		return lerr_set(err, EX_NOINPUT, "no import batch %lld", (long long)batch);
	return rc == SQLITE_ROW ? 0 : db_fail(db, err, "read import");
}

/* Put one import_update's "before" values back on its lead. */
static int restore_field(const char *key, const char *val, const char *type, void *ctx)
{
	struct lead *l = ctx;
	(void)type;
	const struct field_desc *f = lead_field(key);
	if (!f)
		return 0; /* written by us: cannot happen, but never trust data */
	if (f->kind == FK_TEXT) {
		lead_set(l, (enum lead_text)f->idx, val);
	} else if (f->kind == FK_MONEY) {
		int64_t cents;
		if (val && lead_money_parse(val, &cents))
			lead_set_int(l, (enum lead_int)f->idx, cents);
		else
			l->has[f->idx] = false;
	}
	return 0;
}

static int restore_before(struct db *db, int64_t lead_id, const char *before, struct lerr *err)
{
	struct lead l;
	int rc = db_lead_by_id(db, lead_id, &l, err);
	if (rc)
		return rc == EX_NOINPUT ? 0 : rc; /* deleted since: nothing to restore */
	if (!(rc = db_json_object_each(db, before, restore_field, &l, err)))
		rc = db_lead_update(db, &l, err);
	lead_free(&l);
	return rc;
}

int db_import_revert(struct db *db, int64_t batch, bool force, int64_t now, const char *actor,
                     void (*changed)(void *ctx, int64_t lead_id, const char *email), void *ctx,
                     struct revert_stats *rs, struct lerr *err)
{
	memset(rs, 0, sizeof *rs);
	struct dbst *st = db_prep(db,
	                          "SELECT reverted_at, json_extract(counts, '$.last_event'), "
	                          "finished_at FROM imports WHERE id = ?1",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, batch);
	int rc = st_step(st);
	bool reverted = rc == SQLITE_ROW && st_col_type(st, 0) != SQLITE_NULL;
	bool finished = rc == SQLITE_ROW && st_col_type(st, 2) != SQLITE_NULL;
	int64_t last_event = rc == SQLITE_ROW ? st_col_int64(st, 1) : 0;
	st_reset(st);
	if (rc != SQLITE_ROW || !finished)
		return lerr_set(err, EX_NOINPUT, "no import batch %lld (see 'leads import --list')",
		                (long long)batch);
	if (reverted)
		return lerr_set(err, EX_DATAERR, "import batch %lld was reverted already",
		                (long long)batch);

	/*
	 * A lead of the batch merged into another, or one that took another in
	 * (leads merge): deleting it would delete what was merged in, and the
	 * merged lead holds the batch's data beside the rest. Refused; --force
	 * reverts the rest of the batch and keeps those leads as they are.
	 */
	st = db_prep(db,
	             "SELECT id, lead_id FROM lead_aliases WHERE import_batch = ?1 OR lead_id IN "
	             "(SELECT id FROM leads WHERE import_batch = ?1) ORDER BY id",
	             err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, batch);
	struct sb pairs = SB_INIT;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		if (rs->merged++ < 3)
			sb_addf(&pairs, "%s#%lld into #%lld", pairs.len ? ", " : "",
			        (long long)st_col_int64(st, 0), (long long)st_col_int64(st, 1));
	}
	st_reset(st);
	if (rc != SQLITE_DONE) {
		sb_free(&pairs);
		return db_fail(db, err, "revert");
	}
	if (rs->merged && !force) {
		lerr_set(
		    err, EX_DATAERR,
		    "import batch %lld: %llu of its leads took part in a merge (%s%s); "
		    "reverting would delete what was merged in or leave it behind, so nothing "
		    "was reverted; use --force to revert the rest and keep the merged leads as "
		    "they are",
		    (long long)batch, (unsigned long long)rs->merged, sb_str(&pairs),
		    rs->merged > 3 ? ", ..." : "");
		sb_free(&pairs);
		return err->code;
	}
	sb_free(&pairs);

	/*
	 * Leads the batch created or updated that someone changed since:
	 * refuse unless forced (restoring an updated lead's old values would
	 * silently undo the later change).
	 */
	st = db_prep(db,
	             "SELECT id, email FROM leads WHERE (import_batch = ?1 OR id IN ("
	             "  SELECT lead_id FROM events WHERE kind = 'import_update'"
	             "  AND CAST(json_extract(data, '$.batch') AS INTEGER) = ?1)) AND ("
	             "  EXISTS (SELECT 1 FROM events e WHERE e.lead_id = leads.id AND e.id > ?2)"
	             "  OR updated_at > (SELECT finished_at FROM imports WHERE id = ?1)) "
	             "ORDER BY id",
	             err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, batch);
	st_bind_int64(st, 2, last_event);
	while ((rc = st_step(st)) == SQLITE_ROW) {
		rs->changed++;
		if (changed)
			changed(ctx, st_col_int64(st, 0), st_col_text(st, 1));
	}
	st_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "revert");
	if (rs->changed && !force)
		return lerr_set(err, EX_DATAERR,
		                "%llu lead%s of batch %lld changed since the import; use --force "
		                "to revert anyway",
		                (unsigned long long)rs->changed, rs->changed == 1 ? "" : "s",
		                (long long)batch);

	/* Restore what the batch updated, newest first, then delete what it created. */
	st = db_prep(
	    db,
	    "SELECT id, lead_id, json_extract(data, '$.before') FROM events "
	    "WHERE kind = 'import_update' AND CAST(json_extract(data, '$.batch') AS INTEGER) = ?1 "
	    "AND lead_id NOT IN (SELECT lead_id FROM lead_aliases) ORDER BY id DESC",
	    err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, batch);
	struct {
		int64_t lead;
		char *before;
	} *todo = NULL;
	size_t n = 0, cap = 0;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		todo = xgrow(todo, &cap, n + 1, sizeof *todo);
		todo[n].lead = st_col_int64(st, 1);
		todo[n].before = db_col_text(st, 2);
		n++;
	}
	st_reset(st);
	int ret = rc == SQLITE_DONE ? 0 : db_fail(db, err, "revert");
	for (size_t i = 0; i < n; i++) {
		if (!ret && todo[i].before) {
			ret = restore_before(db, todo[i].lead, todo[i].before, err);
			if (!ret) {
				struct sb data = SB_INIT;
				sb_addf(&data, "{\"batch\":%lld}", (long long)batch);
				struct event ev = { .lead_id = todo[i].lead,
					            .at = now,
					            .actor = actor,
					            .kind = "import_reverted",
					            .data = data.buf };
				ret = db_event_add(db, &ev, err);
				sb_free(&data);
				rs->restored++;
			}
		}
		free(todo[i].before);
	}
	free(todo);
	if (ret)
		return ret;

	/*
	 * Mails the import queued about its leads (assignments) and not sent
	 * yet are part of what it did: they would tell owners about leads
	 * that no longer exist. One a deliverer holds is left to it.
	 */
	st = db_prep(db,
	             "DELETE FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL "
	             "AND (claim_until IS NULL OR claim_until < ?2) "
	             "AND lead_id IN (SELECT id FROM leads WHERE import_batch = ?1 "
	             "AND id NOT IN (SELECT lead_id FROM lead_aliases))",
	             err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, batch);
	st_bind_int64(st, 2, now);
	rc = st_step(st);
	st_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "revert");

	st = db_prep(db,
	             "DELETE FROM leads WHERE import_batch = ?1 "
	             "AND id NOT IN (SELECT lead_id FROM lead_aliases)",
	             err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, batch);
	rc = st_step(st);
	st_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "revert");
	rs->deleted = (uint64_t)db_changes(db);

	st = db_prep(db, "UPDATE imports SET reverted_at = ?2 WHERE id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, batch);
	st_bind_int64(st, 2, now);
	rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "revert");
}

/* ---- bulk mode ---- */

int db_import_seed(struct db *db, db_key_fn fn, void *ctx, struct lerr *err)
{
	return db_load_of(db) ? db_load_seed(db, fn, ctx, err) : 0;
}

int db_import_dedupe(struct db *db, int64_t batch, const enum import_match *m, int n,
                     uint64_t *removed, struct lerr *err)
{
	bool by_email = false, by_ext = false;
	for (int i = 0; i < n; i++) {
		by_email |= m[i] == MATCH_EMAIL;
		by_ext |= m[i] == MATCH_EXT_ID;
	}
	*removed = 0;
	int rc = 0;
	if (db_load_of(db)) { /* PostgreSQL: the COPY left the duplicates out (db_load.c) */
		rc = db_load_flush(db, err);
		*removed = db_load_dropped(db_load_of(db));
		db_load_drop(db);
		return rc;
	}
	/*
	 * Only rows sharing a key with another row can be duplicates: collect
	 * them with one ordered pass over a fresh index per key, then apply
	 * the row-by-row rule to those few, in file order.
	 */
	/*
	 * The common case has no duplicates at all: the real unique index then
	 * builds at once and nothing else is needed. The external id index is
	 * needed anyway, so it is built first and used for the search.
	 */
	bool temp_email = false, temp_ext = false;
	struct lerr e;
	if (by_email && db_bulk_pending(db, "leads_email")) {
		if (db_bulk_build(db, "leads_email", &e) == 0)
			by_email = false; /* unique: no duplicate emails */
		else if (e.code != EX_DATAERR)
			return lerr_set(err, e.code, "%s", e.msg);
		else
			temp_email = true;
	}
	if (by_ext && db_bulk_pending(db, "leads_ext")) {
		if (db_bulk_build(db, "leads_ext", &e) == 0)
			by_ext = false; /* unique: no duplicate external ids */
		else if (e.code != EX_DATAERR)
			return lerr_set(err, e.code, "%s", e.msg);
		else
			temp_ext = true;
	}
	if (!by_email && !by_ext)
		return 0;
	if ((rc = db_exec(db, "CREATE TEMP TABLE dedupe(id INTEGER PRIMARY KEY)", err)))
		return rc;
	if (temp_email &&
	    ((rc = db_exec(
	          db, "CREATE INDEX leads_dedupe_email ON leads(email) WHERE email IS NOT NULL",
	          err)) ||
	     (rc = db_exec(db,
	                   "INSERT OR IGNORE INTO temp.dedupe SELECT l.id FROM leads l JOIN ("
	                   "  SELECT email FROM leads WHERE email IS NOT NULL"
	                   "  GROUP BY email HAVING count(*) > 1) d ON l.email = d.email",
	                   err))))
		goto out;
	if (temp_ext &&
	    ((rc = db_exec(db,
	                   "CREATE INDEX leads_dedupe_ext ON leads(ext_id, ext_source) "
	                   "WHERE ext_id IS NOT NULL",
	                   err)) ||
	     (rc = db_exec(db,
	                   "INSERT OR IGNORE INTO temp.dedupe SELECT l.id FROM leads l JOIN ("
	                   "  SELECT ext_id, ext_source FROM leads WHERE ext_id IS NOT NULL"
	                   "  GROUP BY ext_id, ext_source HAVING count(*) > 1) d"
	                   "  ON l.ext_id = d.ext_id AND l.ext_source IS d.ext_source",
	                   err))))
		goto out;

	struct dbst *cand =
	    db_prepare_once(db,
	                    "SELECT d.id, l.email, l.ext_id, l.ext_source FROM "
	                    "temp.dedupe d JOIN leads l ON l.id = d.id ORDER BY d.id",
	                    NULL);
	if (!cand) {
		rc = db_fail(db, err, "find duplicates");
		goto out;
	}
	while (!rc && st_step(cand) == SQLITE_ROW) {
		int64_t id = st_col_int64(cand, 0);
		const char *email = st_col_text(cand, 1);
		const char *ext = st_col_text(cand, 2);
		const char *src = st_col_text(cand, 3);
		bool dup = false;
		struct dbst *q;
		if (by_email && email) {
			q = db_prep(db, "SELECT 1 FROM leads WHERE email = ?1 AND id < ?2", err);
			if (!q) {
				rc = err->code;
				break;
			}
			st_bind_text_static(q, 1, email, -1);
			st_bind_int64(q, 2, id);
			dup = st_step(q) == SQLITE_ROW;
			st_reset(q);
		}
		if (!dup && by_ext && ext) {
			q = db_prep(db,
			            "SELECT 1 FROM leads WHERE ext_id = ?1 AND ext_source IS ?2 "
			            "AND id < ?3",
			            err);
			if (!q) {
				rc = err->code;
				break;
			}
			st_bind_text_static(q, 1, ext, -1);
			db_bind_text(q, 2, src);
			st_bind_int64(q, 3, id);
			dup = st_step(q) == SQLITE_ROW;
			st_reset(q);
		}
		if (!dup)
			continue;
		q = db_prep(db, "DELETE FROM leads WHERE id = ?1 AND import_batch = ?2", err);
		if (!q) {
			rc = err->code;
			break;
		}
		st_bind_int64(q, 1, id);
		st_bind_int64(q, 2, batch);
		if (st_step(q) != SQLITE_DONE)
			rc = db_fail(db, err, "remove duplicate");
		else
			(*removed)++;
		st_reset(q);
	}
	st_finalize(cand);
out:
	db_exec_raw(db, "DROP TABLE IF EXISTS temp.dedupe");
	if (!rc && temp_email)
		rc = db_exec(db, "DROP INDEX leads_dedupe_email", err);
	if (!rc && temp_ext)
		rc = db_exec(db, "DROP INDEX leads_dedupe_ext", err);
	return rc;
}

int db_import_ids(struct db *db, int64_t *next, bool *dense, struct lerr *err)
{
	int rc = db->pg ? 0 : db_exec(db, "PRAGMA defer_foreign_keys = ON", err);
	if (rc)
		return rc;
	/* never the id of a lead merged away (lead_aliases): it names another */
	struct dbst *st = db_prep(db,
	                          "SELECT max(coalesce((SELECT max(id) FROM leads), 0), "
	                          "coalesce((SELECT max(id) FROM lead_aliases), 0)) + 1",
	                          err);
	if (!st)
		return err->code;
	rc = st_step(st);
	*next = st_col_int64(st, 0);
	st_reset(st);
	if (dense)
		*dense = db->pg && *next > 1;
	return rc == SQLITE_ROW ? 0 : db_fail(db, err, "read lead ids");
}

int db_import_each(struct db *db, int64_t batch, db_lead_fn fn, void *ctx, struct lerr *err)
{
	db_build_lead_sql(db);
	struct sb sql = SB_INIT;
	sb_addf(&sql, "SELECT id, %s FROM leads WHERE import_batch = ?1 ORDER BY id",
	        db->lead_cols);
	struct dbst *st = db_prepare_once(db, sql.buf, NULL);
	sb_free(&sql);
	if (!st)
		return db_fail(db, err, "read import");
	st_bind_int64(st, 1, batch);
	int rc, ret = 0;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		struct lead l;
		db_read_lead(st, 0, &l);
		ret = fn(&l, ctx);
		lead_free(&l);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_fail(db, err, "read import");
	st_finalize(st);
	return ret;
}
