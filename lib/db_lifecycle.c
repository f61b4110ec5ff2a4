/* db_lifecycle.c - the queries of the lead's lifecycle (lifecycle.h). */
#include "lifecycle.h"
#include "sequence.h"

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

/*
 * Every table whose rows point at a lead, and how they follow a merge:
 * ?1 is the lead kept, ?2 the one merged into it. A new table that refers
 * to leads (sequences, say) is one more line here; rows it leaves behind
 * would go with the merged lead's ON DELETE.
 */
static const char *const merge_moves[] = {
	"UPDATE events SET lead_id = ?1 WHERE lead_id = ?2",
	"UPDATE stays SET lead_id = ?1 WHERE lead_id = ?2",
	"UPDATE tasks SET lead_id = ?1 WHERE lead_id = ?2",
	"UPDATE outbox SET lead_id = ?1 WHERE lead_id = ?2",
	/* named scores add up, as both people's actions count */
	"INSERT INTO scores (lead_id, name, value) SELECT CAST(?1 AS INTEGER), name, value "
	"FROM scores WHERE lead_id = ?2 "
	"ON CONFLICT (lead_id, name) DO UPDATE SET value = scores.value + excluded.value",
	"DELETE FROM scores WHERE lead_id = ?2",
	/* a lead merged into OTHER before now names KEEP */
	"UPDATE lead_aliases SET lead_id = ?1 WHERE lead_id = ?2",
	/* the person asked not to be mailed under either address: KEEP is not
	 * mailed either. A bounce belongs to OTHER's address, which goes. */
	"INSERT INTO mail_flags (lead_id, do_not_email, changed_at) "
	"SELECT CAST(?1 AS INTEGER), 1, changed_at FROM mail_flags "
	"WHERE lead_id = ?2 AND do_not_email <> 0 "
	"ON CONFLICT (lead_id) DO UPDATE SET do_not_email = 1",
	"DELETE FROM mail_flags WHERE lead_id = ?2",
};

int db_lc_merge_move(struct db *db, int64_t to, int64_t from, int64_t now, struct lerr *err)
{
	/* OTHER's sequences go on under KEEP; one running on both stops on OTHER */
	int src = db_seq_move(db, from, to, now, err);
	if (src)
		return src;
	/* SQLite's full-text index keeps a lead's notes on its row (lead_fts,
	 * db.c): OTHER's go with the notes; PostgreSQL indexes the events */
	if (!db->pg) {
		struct dbst *st = db_prep(db,
		                          "UPDATE lead_fts SET notes = notes || ' ' || "
		                          "(SELECT notes FROM lead_fts WHERE rowid = ?2) "
		                          "WHERE rowid = ?1 AND EXISTS "
		                          "(SELECT 1 FROM lead_fts WHERE rowid = ?2)",
		                          err);
		if (!st)
			return err->code;
		st_bind_int64(st, 1, to);
		st_bind_int64(st, 2, from);
		int rc = step_done(db, st, "move a merged lead's notes", err);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < ARRAY_LEN(merge_moves); i++) {
		struct dbst *st = db_prep(db, merge_moves[i], err);
		if (!st)
			return err->code;
		st_bind_int64(st, 1, to);
		st_bind_int64(st, 2, from);
		int rc = step_done(db, st, "move a merged lead's rows", err);
		if (rc)
			return rc;
	}
	return 0;
}

int db_lc_lead_delete(struct db *db, int64_t id, struct lerr *err)
{
	struct dbst *st = db_prep(db, "DELETE FROM leads WHERE id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	return step_done(db, st, "delete a merged lead", err);
}

int db_lc_alias_add(struct db *db, int64_t alias, int64_t lead, const char *email, int64_t batch,
                    int64_t now, const char *actor, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "INSERT INTO lead_aliases (id, lead_id, email, merged_at, actor, "
	                          "import_batch) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, alias);
	st_bind_int64(st, 2, lead);
	db_bind_text(st, 3, email);
	st_bind_int64(st, 4, now);
	db_bind_text(st, 5, actor);
	if (batch)
		st_bind_int64(st, 6, batch);
	else
		db_bind_text(st, 6, NULL);
	return step_done(db, st, "keep a merged lead's id", err);
}

int db_lc_alias_find(struct db *db, const char *ref, int64_t *lead, struct lerr *err)
{
	int64_t id = 0;
	char *email = NULL;
	const char *r = *ref == '#' ? ref + 1 : ref;
	struct dbst *st;
	if (str_to_i64(r, &id) && id > 0)
		st = db_prep(db, "SELECT lead_id FROM lead_aliases WHERE id = ?1", err);
	else if (strchr(ref, '@') && lead_email_normalize(ref, &email))
		st = db_prep(db, "SELECT lead_id FROM lead_aliases WHERE email = ?1 ORDER BY id",
		             err);
	else
		return 0;
	if (!st) {
		free(email);
		return -1;
	}
	if (email)
		db_bind_text(st, 1, email);
	else
		st_bind_int64(st, 1, id);
	free(email);
	int rc = st_step(st);
	if (rc == SQLITE_ROW)
		*lead = st_col_int64(st, 0);
	st_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	db_fail(db, err, "find a merged lead");
	return -1;
}

char *db_lc_alias_emails(struct db *db, int64_t lead)
{
	struct dbst *st = db_prep(db,
	                          "SELECT email FROM lead_aliases WHERE lead_id = ?1 "
	                          "AND email IS NOT NULL ORDER BY id",
	                          NULL);
	if (!st)
		return NULL;
	st_bind_int64(st, 1, lead);
	struct sb out = SB_INIT;
	while (st_step(st) == SQLITE_ROW)
		sb_addf(&out, "%s%s", out.len ? ", " : "", st_col_text(st, 0));
	st_reset(st);
	if (!out.len) {
		sb_free(&out);
		return NULL;
	}
	return out.buf;
}

/*
 * The keys the database groups on: a name (first and last, lower-case,
 * trimmed) with its company; a phone without its punctuation, at least 6
 * digits long. Each partition's smallest id is the lead to keep.
 */
#define DUP_PHONE                                                                                  \
	"replace(replace(replace(replace(replace(replace(replace(phone, ' ', ''), '-', ''), "      \
	"'(', ''), ')', ''), '.', ''), '/', ''), '+', '')"
struct dup_pair {
	int64_t keep, other;
	const char *reason; /* a constant */
};

static int dup_cmp(const void *a, const void *b)
{
	const struct dup_pair *x = a, *y = b;
	if (x->keep != y->keep)
		return x->keep < y->keep ? -1 : 1;
	if (x->other != y->other)
		return x->other < y->other ? -1 : 1;
	return strcmp(x->reason, y->reason);
}

struct dup_addr {
	char *key;
	int64_t id;
};

static int dup_addr_cmp(const void *a, const void *b)
{
	const struct dup_addr *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : x->id < y->id ? -1 : x->id > y->id;
}

/* One mailbox: the local part without a "+tag", and for Gmail without dots. */
static char *mailbox_key(const char *email)
{
	const char *at = strrchr(email, '@');
	if (!at)
		return NULL;
	const char *dom = at + 1;
	bool gmail = strcmp(dom, "gmail.com") == 0 || strcmp(dom, "googlemail.com") == 0;
	struct sb k = SB_INIT;
	for (const char *p = email; p < at && *p != '+'; p++)
		if (!(gmail && *p == '.'))
			sb_addc(&k, *p);
	sb_addf(&k, "@%s", gmail ? "gmail.com" : dom);
	return k.buf;
}

int db_lc_duplicates(struct db *db, db_lc_dup_fn fn, void *ctx, struct lerr *err)
{
	struct dup_pair *v = NULL;
	size_t n = 0, cap = 0;
	struct dbst *st = db_prep(
	    db,
	    "SELECT keep, id, reason FROM ("
	    " SELECT id, first_value(id) OVER (PARTITION BY k ORDER BY id) AS keep,"
	    "  1 AS reason FROM ("
	    "  SELECT id, lower(trim(coalesce(first_name, '') || ' ' || coalesce(last_name, '')))"
	    "   || '|' || lower(trim(company)) AS k FROM leads"
	    "  WHERE company IS NOT NULL AND (first_name IS NOT NULL OR last_name IS NOT NULL)) a"
	    " UNION ALL"
	    " SELECT id, first_value(id) OVER (PARTITION BY k ORDER BY id) AS keep,"
	    "  2 AS reason FROM ("
	    "  SELECT id, " DUP_PHONE " AS k FROM leads WHERE phone IS NOT NULL) b"
	    " WHERE length(k) >= 6"
	    ") d WHERE id <> keep",
	    err);
	if (!st)
		return err->code;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		v = xgrow(v, &cap, n + 1, sizeof *v);
		v[n++] = (struct dup_pair){ st_col_int64(st, 0), st_col_int64(st, 1),
			                    st_col_int(st, 2) == 1 ? "same name and company"
			                                           : "same phone" };
	}
	st_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return db_fail(db, err, "find duplicate leads");
	}
	/* the same mailbox under two spellings: keys made here, then one sort */
	st = db_prep(db, "SELECT id, email FROM leads WHERE email IS NOT NULL", err);
	if (!st) {
		free(v);
		return err->code;
	}
	struct dup_addr *a = NULL;
	size_t na = 0, acap = 0;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		char *key = mailbox_key(st_col_text(st, 1));
		if (!key)
			continue;
		a = xgrow(a, &acap, na + 1, sizeof *a);
		a[na++] = (struct dup_addr){ key, st_col_int64(st, 0) };
	}
	st_reset(st);
	int ret = rc == SQLITE_DONE ? 0 : db_fail(db, err, "find duplicate leads");
	if (na)
		qsort(a, na, sizeof *a, dup_addr_cmp);
	for (size_t i = 1; i < na; i++) {
		size_t first = i - 1;
		while (i < na && strcmp(a[i].key, a[first].key) == 0) {
			v = xgrow(v, &cap, n + 1, sizeof *v);
			v[n++] = (struct dup_pair){ a[first].id, a[i].id, "same mailbox" };
			i++;
		}
	}
	for (size_t i = 0; i < na; i++)
		free(a[i].key);
	free(a);
	if (n)
		qsort(v, n, sizeof *v, dup_cmp);
	for (size_t i = 0; !ret && i < n; i++)
		ret = fn(v[i].keep, v[i].other, v[i].reason, ctx);
	free(v);
	return ret;
}

/* ---- many leads' assignments at once (bulk routing) ---- */

/*
 * One statement per chunk of 128, 64, ... 1 leads, its SQL built once
 * from constant text and ?N placeholders (the values are bound): the
 * lead's row found by its id in a VALUES list. Both backends name a
 * VALUES list's columns column1, column2, ...; the ids and times are
 * cast so that PostgreSQL types them as bigint.
 */
#define ASSIGN_CHUNKS 8 /* 128 64 32 16 8 4 2 1 */

static const char *assign_sql(bool tasks, int k)
{
	static char *sql[2][ASSIGN_CHUNKS];
	char **s = &sql[tasks][k];
	if (!*s) {
		int rows = 128 >> k, cols = tasks ? 2 : 4;
		struct sb b = SB_INIT;
		if (tasks)
			sb_adds(&b, "UPDATE tasks SET owner = v.column2 FROM (VALUES ");
		else
			sb_adds(&b,
			        "UPDATE leads SET owner = v.column2, assigned_rule = v.column3, "
			        "assigned_at = v.column4, updated_at = v.column4 FROM (VALUES ");
		for (int r = 0; r < rows; r++) {
			int p = r * cols;
			if (tasks)
				sb_addf(&b, "%s(CAST(?%d AS BIGINT), ?%d)", r ? ", " : "", p + 1,
				        p + 2);
			else
				sb_addf(&b,
				        "%s(CAST(?%d AS BIGINT), ?%d, ?%d, CAST(?%d AS BIGINT))",
				        r ? ", " : "", p + 1, p + 2, p + 3, p + 4);
		}
		if (tasks)
			sb_adds(&b,
			        ") AS v WHERE tasks.lead_id = v.column1 AND tasks.done_at IS NULL "
			        "AND tasks.owner_given = 0");
		else
			sb_adds(&b, ") AS v WHERE leads.id = v.column1");
		*s = sb_detach(&b);
	}
	return *s;
}

static int assign_chunks(struct db *db, bool tasks, const struct lc_assign_row *v, size_t n,
                         struct lerr *err)
{
	size_t i = 0;
	for (int k = 0; k < ASSIGN_CHUNKS; k++) {
		size_t rows = (size_t)128 >> k;
		while (n - i >= rows) {
			/* only leads' and tasks' own columns: kept history rows may wait */
			struct dbst *st = db_prep_keep(db, assign_sql(tasks, k), err);
			if (!st)
				return err->code;
			for (size_t r = 0; r < rows; r++) {
				const struct lc_assign_row *a = &v[i + r];
				int p = (int)r * (tasks ? 2 : 4);
				st_bind_int64(st, p + 1, a->id);
				db_bind_text(st, p + 2, a->owner);
				if (!tasks) {
					db_bind_text(st, p + 3, a->rule);
					st_bind_int64(st, p + 4, a->at);
				}
			}
			int rc = st_step(st);
			st_reset(st);
			if (rc != SQLITE_DONE)
				return db_fail(db, err,
				               tasks ? "hand tasks to the new owners"
				                     : "save the new owners");
			i += rows;
		}
	}
	return 0;
}

int db_lc_assign_set(struct db *db, const struct lc_assign_row *v, size_t n, struct lerr *err)
{
	return assign_chunks(db, false, v, n, err);
}

int db_lc_tasks_follow_set(struct db *db, const struct lc_assign_row *v, size_t n, struct lerr *err)
{
	return assign_chunks(db, true, v, n, err);
}

bool db_lc_only_assigned(const struct lead *before, const struct lead *after)
{
	if (!after->has[LI_ASSIGNED_AT] || !after->has[LI_UPDATED_AT] ||
	    after->i[LI_ASSIGNED_AT] != after->i[LI_UPDATED_AT])
		return false;
	for (int i = 1; i < lead_nfields; i++) {
		const struct field_desc *f = &lead_fields[i];
		if (f->kind == FK_TEXT) {
			if (f->idx == LT_OWNER || f->idx == LT_ASSIGNED_RULE)
				continue;
			const char *x = before->t[f->idx], *y = after->t[f->idx];
			if (!(x == y || (x && y && strcmp(x, y) == 0)))
				return false;
		} else {
			if (f->idx == LI_ASSIGNED_AT || f->idx == LI_UPDATED_AT)
				continue;
			if (before->has[f->idx] != after->has[f->idx] ||
			    (after->has[f->idx] && before->i[f->idx] != after->i[f->idx]))
				return false;
		}
	}
	return true;
}

/* ---- the sweep's idle leads (lc_inactivate_idle) ---- */

int db_lc_idle_each(struct db *db, int64_t cutoff, db_lead_fn fn, void *ctx, struct lerr *err)
{
	/* a range of leads_idle(status, coalesce(last_activity_at, created_at))
	 * per status; the rows streamed: fn runs no statement */
	struct dbst *st =
	    db_prepare_once(db,
	                    "SELECT id, status, first_name, last_name, company, email "
	                    "FROM leads WHERE status IN ('new', 'active') AND "
	                    "coalesce(last_activity_at, created_at) <= ?1 ORDER BY +id",
	                    NULL);
	if (!st)
		return db_fail(db, err, "find idle leads");
	st_bind_int64(st, 1, cutoff);
	st_stream(st);
	int rc, ret = 0;
	while (!ret && (rc = st_step(st)) == SQLITE_ROW) {
		struct lead l;
		lead_init(&l);
		lead_set_int(&l, LI_ID, st_col_int64(st, 0));
		lead_set(&l, LT_STATUS, st_col_text(st, 1));
		lead_set(&l, LT_FIRST_NAME, st_col_text(st, 2));
		lead_set(&l, LT_LAST_NAME, st_col_text(st, 3));
		lead_set(&l, LT_COMPANY, st_col_text(st, 4));
		lead_set(&l, LT_EMAIL, st_col_text(st, 5));
		ret = fn(&l, ctx);
		lead_free(&l);
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_fail(db, err, "find idle leads");
	st_finalize(st);
	return ret;
}

int db_lc_inactivate(struct db *db, int64_t cutoff, int64_t now, const char *actor,
                     const char *data, struct lerr *err)
{
	/* the history first, while the leads still say what they were; one
	 * row a lead in id order, as one lead at a time would write them */
	struct dbst *st = db_prep(db,
	                          "INSERT INTO events(lead_id, at, actor, kind, from_val, to_val, "
	                          "data) SELECT id, ?1, ?2, 'status', status, 'inactive', ?3 "
	                          "FROM leads WHERE status IN ('new', 'active') AND "
	                          "coalesce(last_activity_at, created_at) <= ?4 ORDER BY +id",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, now);
	db_bind_text(st, 2, actor);
	db_bind_text(st, 3, data);
	st_bind_int64(st, 4, cutoff);
	int rc = st_step(st);
	st_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "record history");
	/* only the two columns that change: no unique key in it, so on
	 * PostgreSQL it waits in the pipeline for the commit (lib/db_pg.c) */
	st = db_prep(db,
	             "UPDATE leads SET status = 'inactive', updated_at = ?1 WHERE status IN "
	             "('new', 'active') AND coalesce(last_activity_at, created_at) <= ?2",
	             err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, now);
	st_bind_int64(st, 2, cutoff);
	rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "update lead");
}

int db_lc_inactive_one(struct db *db, int64_t id, int64_t now, int64_t score, struct lerr *err)
{
	/* the columns that change, no unique key: deferred on PostgreSQL */
	struct dbst *st = db_prep(db,
	                          "UPDATE leads SET status = 'inactive', updated_at = ?2, "
	                          "score = ?3 WHERE id = ?1",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	st_bind_int64(st, 2, now);
	st_bind_int64(st, 3, score);
	int rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "update lead");
}
