/*
 * db_route.c - the storage the routing and scoring engines need: activity
 * lists, open-lead counts per owner, named scores, threshold crossings and
 * the batch reader of bulk commands (see activity.h and rules.h).
 */
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "dbi.h"
#include "route.h"
#include "rules.h"
#include "score.h"

/* The kinds counted as activities; the same list as enum act_kind. */
#define ACT_KINDS "('call', 'email', 'meeting', 'email_opened', 'note', 'email_replied')"

static int kind_of(struct dbst *st, int col)
{
	const char *k = st_col_text(st, col);
	return k ? act_kind_parse(k) : -2;
}

int db_act_load(struct db *db, int64_t lead_id, struct act_list *a, struct lerr *err)
{
	act_list_reset(a, lead_id);
	struct dbst *st = db_prep(
	    db, "SELECT kind, at FROM events WHERE lead_id = ?1 AND kind IN " ACT_KINDS, err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		int k = kind_of(st, 0);
		if (k >= 0)
			act_list_add(a, k, st_col_int64(st, 1));
	}
	st_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "read activities");
	a->loaded = true;
	return 0;
}

int db_act_range(struct db *db, int64_t lo, int64_t hi, db_act_fn fn, void *ctx, struct lerr *err)
{
	struct dbst *st =
	    db_prep(db,
	            /* kinds are filtered here, not in SQL: with a kind test the
	               planner may pick events_kind and read every activity of
	               the database for each batch */
	            "SELECT lead_id, kind, at FROM events WHERE lead_id BETWEEN ?1 AND ?2 "
	            "ORDER BY lead_id",
	            err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lo);
	st_bind_int64(st, 2, hi);
	int rc, ret = 0;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		int k = kind_of(st, 1);
		if (k >= 0 && (ret = fn(st_col_int64(st, 0), k, st_col_int64(st, 2), ctx)))
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_fail(db, err, "read activities");
	st_reset(st);
	return ret;
}

/* ---- routing ---- */

/* An open lead: its stage is in an active group and it is not unqualified. */
#define OPEN_LEAD                                                                                  \
	"status <> 'unqualified' AND stage IN (SELECT key FROM stages WHERE grp = 'active')"

int db_route_open_count(struct db *db, const char *owner, int64_t *n, struct lerr *err)
{
	/* leads_owner_ci (owner COLLATE NOCASE) narrows to the owner's leads;
	 * the exact spelling is checked on them */
	struct dbst *st =
	    db_prep(db,
	            "SELECT count(*) FROM leads WHERE owner = ?1 COLLATE NOCASE AND owner = ?1 "
	            "AND " OPEN_LEAD,
	            err);
	if (!st)
		return err->code;
	st_bind_text_static(st, 1, owner, -1);
	int rc = st_step(st);
	*n = rc == SQLITE_ROW ? st_col_int64(st, 0) : 0;
	st_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(db, err, "count open leads");
}

/* ---- batches for bulk commands ---- */

/*
 * The batch statement lists every lead column, so it is built once from
 * lead_fields (constant text, no user data) and kept for the life of the
 * process: the statement cache is keyed by the address of the text. It
 * walks the table by rowid and nothing else: with a filter on stage or
 * owner the planner takes their index and sorts what is left of the table
 * for every batch, which is quadratic over a million leads. So the scope's
 * tests are written with a unary + (no index may serve them) and only
 * skip rows on the way: leads out of scope are never copied out (a quarter
 * of the table in a typical `route --all`). They narrow, the caller's own
 * test (which knows the config's stages) decides.
 */
static char *batch_sql[3];

int db_lead_batch(struct db *db, enum rules_scope scope, int64_t after, struct lead *out, int max,
                  int *n, struct lerr *err)
{
	*n = 0;
	int k = scope == RS_OPEN ? 1 : scope == RS_UNASSIGNED ? 2 : 0;
	if (!batch_sql[k]) {
		struct sb sql = SB_INIT;
		sb_adds(&sql, "SELECT id");
		for (int i = 1; i < lead_nfields; i++)
			sb_addf(&sql, ", %s", lead_fields[i].name);
		sb_adds(&sql, " FROM leads WHERE id > ?1");
		if (k)
			sb_adds(&sql, " AND +status <> 'unqualified' AND +stage IN "
			              "(SELECT key FROM stages WHERE grp = 'active')");
		if (k == 2)
			sb_adds(&sql, " AND +owner IS NULL");
		sb_adds(&sql, " ORDER BY id LIMIT ?2");
		batch_sql[k] = sb_detach(&sql);
	}
	struct dbst *st = db_prep(db, batch_sql[k], err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, after);
	st_bind_int64(st, 2, max);
	int rc = SQLITE_DONE;
	while (*n < max && (rc = st_step(st)) == SQLITE_ROW)
		db_read_lead(st, 0, &out[(*n)++]);
	if (*n < max && rc != SQLITE_DONE) {
		for (int i = 0; i < *n; i++)
			lead_free(&out[i]);
		*n = 0;
		st_reset(st);
		return db_fail(db, err, "read leads");
	}
	st_reset(st);
	return 0;
}

/*
 * Saving only the columns that changed: an UPDATE that assigns a column
 * makes SQLite rewrite every index holding it, and the leads table has
 * six. The statement for each set of changed columns is built once from
 * lead_fields and kept, keyed by the set.
 */
static struct {
	uint64_t mask;
	char *sql;
} saved[64];
static int nsaved;

static bool same_field(const struct lead *a, const struct lead *b, const struct field_desc *f)
{
	if (f->kind == FK_TEXT) {
		const char *x = a->t[f->idx], *y = b->t[f->idx];
		return x == y || (x && y && strcmp(x, y) == 0);
	}
	if (a->has[f->idx] != b->has[f->idx])
		return false;
	return !a->has[f->idx] || a->i[f->idx] == b->i[f->idx];
}

int db_lead_save(struct db *db, const struct lead *before, const struct lead *l, struct lerr *err)
{
	uint64_t mask = 0;
	for (int i = 1; i < lead_nfields && i < 64; i++)
		if (!same_field(before, l, &lead_fields[i]))
			mask |= (uint64_t)1 << i;
	if (!mask)
		return 0;
	if (lead_nfields > 64)
		return db_lead_update(db, l, err);
	const char *sql = NULL;
	for (int i = 0; i < nsaved && !sql; i++)
		if (saved[i].mask == mask)
			sql = saved[i].sql;
	if (!sql) {
		if (nsaved == (int)ARRAY_LEN(saved))
			return db_lead_update(db, l, err);
		struct sb b = SB_INIT;
		sb_adds(&b, "UPDATE leads SET ");
		bool first = true;
		for (int i = 1; i < lead_nfields; i++) {
			if (!(mask & ((uint64_t)1 << i)))
				continue;
			sb_addf(&b, "%s%s = ?%d", first ? "" : ", ", lead_fields[i].name, i);
			first = false;
		}
		sb_addf(&b, " WHERE id = ?%d", lead_nfields);
		saved[nsaved].mask = mask;
		sql = saved[nsaved++].sql = sb_detach(&b);
	}
	/* a lead's own columns: kept history rows need not be written first */
	struct dbst *st = db_prep_keep(db, sql, err);
	if (!st)
		return err->code;
	for (int i = 1; i < lead_nfields; i++) {
		if (!(mask & ((uint64_t)1 << i)))
			continue;
		const struct field_desc *f = &lead_fields[i];
		if (f->kind == FK_TEXT)
			db_bind_text(st, i, l->t[f->idx]);
		else if (l->has[f->idx])
			st_bind_int64(st, i, l->i[f->idx]);
		else
			st_bind_null(st, i);
	}
	st_bind_int64(st, lead_nfields, l->i[LI_ID]);
	int rc = st_step(st);
	st_reset(st);
	return db_lead_updated(db, rc, l, err);
}

/* ---- scores ---- */

int db_score_get(struct db *db, int64_t lead_id, const char *name, int64_t *v, bool *found,
                 struct lerr *err)
{
	struct dbst *st =
	    db_prep(db, "SELECT value FROM scores WHERE lead_id = ?1 AND name = ?2", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	st_bind_text_static(st, 2, name, -1);
	int rc = st_step(st);
	*found = rc == SQLITE_ROW;
	*v = *found ? st_col_int64(st, 0) : 0;
	st_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, err, "read score");
}

int db_score_set(struct db *db, int64_t lead_id, const char *name, int64_t v, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "INSERT INTO scores(lead_id, name, value) VALUES (?1, ?2, ?3) "
	                          "ON CONFLICT(lead_id, name) DO UPDATE SET value = ?3",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	st_bind_text_static(st, 2, name, -1);
	st_bind_int64(st, 3, v);
	int rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "save score");
}

int db_score_set_default(struct db *db, int64_t lead_id, int64_t v, struct lerr *err)
{
	struct dbst *st = db_prep(db, "UPDATE leads SET score = ?2 WHERE id = ?1", err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	st_bind_int64(st, 2, v);
	int rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "save score");
}

int db_threshold_fired(struct db *db, int64_t lead_id, const char *score, const char *name,
                       int64_t *n, struct lerr *err)
{
	/*
	 * The lead's events first, then the kind: with the kind beside the
	 * lead the PostgreSQL planner took events_kind, whose statistics know
	 * nothing of the thresholds a `score --recalc` inserted earlier in its
	 * transaction, and rescanned them all for every lead (quadratic). The
	 * materialized CTE is a fence on both backends: by lead only.
	 */
	struct dbst *st =
	    db_prep(db,
	            "WITH e AS MATERIALIZED (SELECT kind, from_val, to_val FROM events "
	            "WHERE lead_id = ?1) "
	            "SELECT count(*) FROM e WHERE "
	            "kind = 'score.threshold' AND from_val = ?2 AND to_val = ?3",
	            err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	st_bind_text_static(st, 2, score, -1);
	st_bind_text_static(st, 3, name, -1);
	int rc = st_step(st);
	*n = rc == SQLITE_ROW ? st_col_int64(st, 0) : 0;
	st_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(db, err, "count thresholds");
}
