/*
 * db_funnel.c - the storage side of the funnel and the manager reports
 * (see funnel.h for what the numbers mean).
 *
 * Reading a million rows one st_step() at a time costs more than the
 * query itself, so the scans below hand every row to C inside one
 * statement: an aggregate function registered for the statement
 * (funnel_row) whose step calls back with the row's values, and the
 * statement returns a single row. The whole-pipeline funnel is then
 * one pass over a covering index, about what sqlite3 itself needs to count
 * leads per stage (bench/funnel.sh).
 *
 * Query plans (EXPLAIN QUERY PLAN, SQLite 3.40):
 *
 *   stage      SELECT funnel_row(stage_entered_at, reached_pos, value) FROM leads
 *              INDEXED BY leads_stage WHERE stage = ?1
 *              SEARCH leads USING COVERING INDEX leads_stage (stage=?)
 *              (once per configured stage: together one pass over the index,
 *              without reading the stage of every lead)
 *   gap        SELECT funnel_row(stage_entered_at, reached_pos, value, stage) FROM leads
 *              WHERE stage > ?1 AND stage < ?2
 *              SEARCH leads USING COVERING INDEX leads_stage (stage>? AND stage<?)
 *              (the stages the config lacks, between and around its keys)
 *              INDEXED BY: leads_stage_id serves "stage = ?1" as well, then reads
 *              every lead's row; statistics from before it existed pick it.
 *   hist       SELECT stage, lo, n, secs FROM stay_hist WHERE n > 0
 *              SCAN stay_hist   (a few hundred rows: per stage, the buckets used)
 *   range      SELECT funnel_row(lead_id, secs) FROM stays WHERE stage = ?1 AND secs >= ?2
 *              AND secs < ?3
 *              SEARCH stays USING COVERING INDEX stays_stage (stage=? AND secs>? AND secs<?)
 *   current    SELECT funnel_row(id, stage_entered_at) FROM leads WHERE stage = ?1
 *              AND stage_entered_at > ?2 AND stage_entered_at <= ?3
 *              SEARCH leads USING COVERING INDEX leads_stage (stage=? AND ...>? AND ...<?)
 *   ids        SELECT funnel_row(id, 0) FROM leads WHERE stage = ?1
 *              SEARCH leads USING COVERING INDEX leads_stage_id (stage=?)
 *   stay leads SELECT funnel_row(lead_id, secs) FROM stays WHERE stage = ?1
 *              SEARCH stays USING COVERING INDEX stays_stage (stage=?)
 *   left       (ids too sparse for a bitmap only) SELECT count(DISTINCT s.lead_id) FROM
 *              stays s JOIN leads l ON l.id = s.lead_id WHERE s.stage = ?1 AND l.stage <> ?1
 *              SEARCH s USING COVERING INDEX stays_stage (stage=?)
 *              SEARCH l USING INTEGER PRIMARY KEY (rowid=?)
 *   scan       SELECT funnel_row(id, stage, ...) FROM leads WHERE <filters>
 *              SCAN leads   (or SEARCH leads USING INDEX leads_owner_ci (owner=?) with --owner)
 *   stays      SELECT funnel_row(lead_id, stage, secs) FROM stays
 *              SCAN stays
 *   tasks      SCAN tasks, USE TEMP B-TREE FOR GROUP BY ("+owner": walking tasks_owner_ci
 *              read every task by rowid, at random, 26 times slower at a million)
 *   activity   SEARCH e USING INDEX events_kind (kind=? AND at>? AND at<?) per kind,
 *              SEARCH l USING INTEGER PRIMARY KEY (rowid=?)
 *   sources    SCAN leads, USE TEMP B-TREE FOR GROUP BY
 */
#include <stdlib.h>
#include <string.h>

#include "dbi.h"
#include "funnel.h"

/* ---- the row callback as an aggregate function ---- */

/* One row: funnel_row's arguments (SQLite), or a statement's row (PostgreSQL). */
struct rowv {
	sqlite3_value **sv;
	struct dbst *st;
};

static inline bool rv_null(const struct rowv *r, int i)
{
	return r->sv ? sqlite3_value_type(r->sv[i]) == SQLITE_NULL
	             : st_col_type(r->st, i) == SQLITE_NULL;
}

static inline int64_t rv_int(const struct rowv *r, int i)
{
	return r->sv ? sqlite3_value_int64(r->sv[i]) : st_col_int64(r->st, i);
}

static inline const char *rv_text(const struct rowv *r, int i)
{
	return r->sv ? (const char *)sqlite3_value_text(r->sv[i]) : st_col_text(r->st, i);
}

/* The length of rv_text (called after it). */
static inline size_t rv_bytes(const struct rowv *r, int i)
{
	return (size_t)(r->sv ? sqlite3_value_bytes(r->sv[i]) : st_col_bytes(r->st, i));
}

struct rowcb {
	void (*fn)(void *cb, const struct rowv *v);
	void *cb;
};

/*
 * The callback of the statement running now. Registering the function
 * again for each statement would expire every prepared statement of the
 * connection (SQLite does that when a function is redefined), so it is
 * registered once per connection and finds its callback here.
 */
static struct rowcb *row_current;

/* SQLite only */
static void row_step(sqlite3_context *c, int n, sqlite3_value **v)
{
	(void)c;
	(void)n;
	struct rowv r = { v, NULL };
	if (row_current)
		row_current->fn(row_current->cb, &r);
}

/* SQLite only */
static void row_final(sqlite3_context *c)
{
	sqlite3_result_null(c);
}

/* SQLite only: register funnel_row on the connection; SQLITE_OK or an error code. */
static int sqlite_funnel_row(struct db *db)
{
	return sqlite3_create_function_v2(db->sq, "funnel_row", -1, SQLITE_UTF8, NULL, NULL,
	                                  row_step, row_final, NULL);
}

/*
 * PostgreSQL: no functions of ours run in the server, so the rows come
 * back as rows: funnel_row(a, b, ...) becomes the select list a, b, ...
 */
static int pg_rows(struct db *db, const char *sql, void (*bind)(struct dbst *, const void *),
                   const void *bctx, struct rowcb *r, const char *what, struct lerr *err)
{
	static const char fn[] = "funnel_row(";
	const char *open = strstr(sql, fn), *from = strstr(sql, " FROM "), *close = from;
	while (close && close > sql && *close != ')')
		close--;
	if (!open || !from || close <= open)
		return lerr_set(err, EX_SOFTWARE, "%s: no funnel_row(...) in the query", what);
	struct sb text = SB_INIT;
	sb_add(&text, sql, (size_t)(open - sql));
	sb_add(&text, open + strlen(fn), (size_t)(close - open) - strlen(fn));
	sb_adds(&text, close + 1);
	/* INDEXED BY (SQLite's) names the index a plan must use: PostgreSQL plans alone */
	char *ix;
	while ((ix = strstr(text.buf, " INDEXED BY "))) {
		char *end = ix + strlen(" INDEXED BY ");
		while (*end && *end != ' ')
			end++;
		memmove(ix, end, strlen(end) + 1);
	}
	struct dbst *st = db_prepare_once(db, text.buf, NULL);
	sb_free(&text);
	if (!st)
		return db_fail(db, err, what);
	if (bind)
		bind(st, bctx);
	st_stream(st); /* the row callbacks only count: a million leads need no 1 GB result */
	struct rowv row = { NULL, st };
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW)
		r->fn(r->cb, &row);
	int ret = rc == SQLITE_DONE ? 0 : db_fail(db, err, what);
	st_finalize(st);
	return ret;
}

/*
 * Run sql (which calls funnel_row(...) once per row) with the bindings
 * done by bind; r->fn gets each row's arguments. keep: sql is a constant
 * (not built), so its statement is prepared once per connection and kept
 * (db_prep): the median's range reads run the same few statements dozens
 * of times, and preparing them was a third of a small funnel.
 */
static int run_rows_keep(struct db *db, const char *sql, bool keep,
                         void (*bind)(struct dbst *, const void *), const void *bctx,
                         struct rowcb *r, const char *what, struct lerr *err)
{
	if (db->pg)
		return pg_rows(db, sql, bind, bctx, r, what, err);
	struct dbst *st = keep ? db_prep(db, sql, NULL) : db_prepare_once(db, sql, NULL);
	if (!st) {
		/* the first use on this connection: register funnel_row, then retry */
		if (sqlite_funnel_row(db) != SQLITE_OK ||
		    !(st = keep ? db_prep(db, sql, err) : db_prepare_once(db, sql, NULL)))
			return keep ? err->code : db_fail(db, err, what);
	}
	if (bind)
		bind(st, bctx);
	struct rowcb *outer = row_current;
	row_current = r;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW)
		;
	row_current = outer;
	int ret = rc == SQLITE_DONE ? 0 : db_fail(db, err, what);
	if (keep)
		st_reset(st);
	else
		st_finalize(st);
	return ret;
}

static int run_rows(struct db *db, const char *sql, void (*bind)(struct dbst *, const void *),
                    const void *bctx, struct rowcb *r, const char *what, struct lerr *err)
{
	return run_rows_keep(db, sql, true, bind, bctx, r, what, err);
}

static int64_t vint(const struct rowv *v, int i, int64_t null)
{
	return rv_null(v, i) ? null : rv_int(v, i);
}

/* ---- one snapshot ---- */

int db_funnel_read_begin(struct db *db, bool *began, struct lerr *err)
{
	*began = false;
	/* PostgreSQL: each statement on its own (a lost race is an error, below) */
	if (db->pg || !sqlite3_get_autocommit(db->sq))
		return 0;
	if (db_exec(db, "BEGIN", err))
		return err->code;
	*began = true;
	return 0;
}

void db_funnel_read_end(struct db *db, bool began)
{
	if (began)
		db_exec_raw(db, "COMMIT");
}

/* ---- the whole pipeline ---- */

int db_funnel_in_step(struct db *db, const struct config *cfg, bool *same, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "SELECT key, position, grp FROM stages WHERE in_config <> 0 "
	                          "ORDER BY position",
	                          err);
	if (!st)
		return err->code;
	size_t i = 0;
	*same = true;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		if (i >= cfg->nstages || strcmp(st_col_text(st, 0), cfg->stages[i].key) != 0 ||
		    st_col_int64(st, 1) != (int64_t)i ||
		    strcmp(st_col_text(st, 2), stage_group_name(cfg->stages[i].grp)) != 0)
			*same = false;
		i++;
	}
	st_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "read stages");
	if (i != cfg->nstages)
		*same = false;
	return 0;
}

struct all_cb {
	db_funnel_all_fn fn;
	void *ctx;
	const char *stage; /* NULL: the row's fourth value */
	size_t len;
};

/* SQLite only: a row of funnel_row */
static void all_row(void *p, const struct rowv *v)
{
	struct all_cb *a = p;
	const char *stage = a->stage;
	size_t len = a->len;
	if (!stage) {
		stage = rv_text(v, 3);
		len = rv_bytes(v, 3);
	}
	bool has_value = !rv_null(v, 2);
	a->fn(a->ctx, stage ? stage : "", len, rv_int(v, 0), vint(v, 1, -1), has_value,
	      has_value ? rv_int(v, 2) : 0);
}

static void bind_gap(struct dbst *st, const void *p)
{
	const char *const *k = p;
	db_bind_text(st, 1, k[0]);
	db_bind_text(st, 2, k[1]);
}

int db_funnel_scan_stage(struct db *db, const char *stage, db_funnel_all_fn fn, void *ctx,
                         struct lerr *err)
{
	struct all_cb a = { fn, ctx, stage, strlen(stage) };
	struct rowcb r = { all_row, &a };
	const char *k[2] = { stage, NULL };
	return run_rows(db,
	                "SELECT funnel_row(stage_entered_at, reached_pos, value) FROM leads "
	                "INDEXED BY leads_stage WHERE stage = ?1",
	                bind_gap, k, &r, "read the funnel", err);
}

int db_funnel_scan_gap(struct db *db, const char *after, const char *before, db_funnel_all_fn fn,
                       void *ctx, struct lerr *err)
{
	struct all_cb a = { fn, ctx, NULL, 0 };
	struct rowcb r = { all_row, &a };
	const char *k[2] = { after, before };
	/* constant texts, one per end given */
	const char *sql =
	    after && before
	        ? "SELECT funnel_row(stage_entered_at, reached_pos, value, stage) FROM leads "
	          "INDEXED BY leads_stage "
	          "WHERE stage > ?1 AND stage < ?2"
	    : after  ? "SELECT funnel_row(stage_entered_at, reached_pos, value, stage) FROM leads "
	               "INDEXED BY leads_stage "
	               "WHERE stage > ?1"
	    : before ? "SELECT funnel_row(stage_entered_at, reached_pos, value, stage) FROM leads "
	               "INDEXED BY leads_stage "
	               "WHERE stage < ?2"
	             : "SELECT funnel_row(stage_entered_at, reached_pos, value, stage) FROM leads";
	return run_rows(db, sql, bind_gap, k, &r, "read the funnel", err);
}

int db_funnel_hist(struct db *db, db_funnel_hist_fn fn, void *ctx, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "SELECT stage, lo, n, secs FROM stay_hist WHERE n > 0 "
	                          "ORDER BY stage, lo",
	                          err);
	if (!st)
		return err->code;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW)
		fn(ctx, st_col_text(st, 0), st_col_int64(st, 1), st_col_int64(st, 2),
		   st_col_int64(st, 3));
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "read stay histogram");
}

/* Keep in step with the CASE of the stays_add trigger in lib/db.c. */
int64_t funnel_bucket_end(int64_t lo)
{
	if (lo < 3600)
		return lo + 60;
	if (lo < 86400)
		return lo + 600;
	if (lo < 2592000)
		return lo + 3600;
	if (lo < 31449600)
		return lo + 86400;
	return lo < INT64_MAX - 604800 ? lo + 604800 : INT64_MAX;
}

struct range {
	const char *stage;
	int64_t lo, hi;
};

static void bind_range(struct dbst *st, const void *p)
{
	const struct range *r = p;
	st_bind_text_static(st, 1, r->stage, -1);
	st_bind_int64(st, 2, r->lo);
	st_bind_int64(st, 3, r->hi);
}

struct pair_cb {
	db_funnel_pair_fn fn;
	void *ctx;
};

/* SQLite only: a row of funnel_row */
static void pair_row(void *p, const struct rowv *v)
{
	struct pair_cb *a = p;
	a->fn(a->ctx, rv_int(v, 0), rv_int(v, 1));
}

int db_funnel_stay_range(struct db *db, const char *stage, int64_t lo, int64_t hi,
                         db_funnel_pair_fn fn, void *ctx, struct lerr *err)
{
	struct pair_cb a = { fn, ctx };
	struct rowcb r = { pair_row, &a };
	struct range rg = { stage, lo, hi };
	return run_rows(db,
	                "SELECT funnel_row(lead_id, secs) FROM stays WHERE stage = ?1 "
	                "AND secs >= ?2 AND secs < ?3",
	                bind_range, &rg, &r, "read stays", err);
}

int db_funnel_current_range(struct db *db, const char *stage, int64_t after, int64_t upto,
                            db_funnel_pair_fn fn, void *ctx, struct lerr *err)
{
	struct pair_cb a = { fn, ctx };
	struct rowcb r = { pair_row, &a };
	struct range rg = { stage, after, upto };
	return run_rows(db,
	                "SELECT funnel_row(id, stage_entered_at) FROM leads INDEXED BY leads_stage "
	                "WHERE stage = ?1 "
	                "AND stage_entered_at > ?2 AND stage_entered_at <= ?3",
	                bind_range, &rg, &r, "read leads", err);
}

int db_funnel_stage_ids(struct db *db, const char *stage, db_funnel_pair_fn fn, void *ctx,
                        struct lerr *err)
{
	struct pair_cb a = { fn, ctx };
	struct rowcb r = { pair_row, &a };
	struct range rg = { stage, 0, 0 };
	return run_rows(db, "SELECT funnel_row(id, 0) FROM leads WHERE stage = ?1", bind_range, &rg,
	                &r, "read leads", err);
}

int db_funnel_stay_leads(struct db *db, const char *stage, db_funnel_pair_fn fn, void *ctx,
                         struct lerr *err)
{
	struct pair_cb a = { fn, ctx };
	struct rowcb r = { pair_row, &a };
	struct range rg = { stage, 0, 0 };
	return run_rows(db, "SELECT funnel_row(lead_id, secs) FROM stays WHERE stage = ?1",
	                bind_range, &rg, &r, "read stays", err);
}

int db_funnel_left(struct db *db, const char *stage, int64_t *n, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "SELECT count(DISTINCT s.lead_id) FROM stays s "
	                          "JOIN leads l ON l.id = s.lead_id "
	                          "WHERE s.stage = ?1 AND l.stage <> ?1",
	                          err);
	if (!st)
		return err->code;
	st_bind_text_static(st, 1, stage, -1);
	int rc = st_step(st);
	*n = rc == SQLITE_ROW ? st_col_int64(st, 0) : 0;
	st_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(db, err, "count stays");
}

/* ---- the general path ---- */

struct lead_cb {
	db_funnel_lead_fn fn;
	void *ctx;
};

/* SQLite only: a row of funnel_row */
static void lead_row(void *p, const struct rowv *v)
{
	struct lead_cb *a = p;
	struct db_funnel_lead l = {
		.id = rv_int(v, 0),
		.stage = rv_text(v, 1),
		.entered = rv_int(v, 2),
		.has_value = !rv_null(v, 3),
		.value = rv_int(v, 3),
		.created = rv_int(v, 4),
		.owner = rv_text(v, 5),
		.source = rv_text(v, 6),
	};
	if (!l.stage)
		l.stage = "";
	a->fn(a->ctx, &l);
}

static void bind_filter(struct dbst *st, const void *p)
{
	const struct funnel_filter *f = p;
	db_bind_text(st, 1, f->status);
	db_bind_text(st, 2, f->owner);
	db_bind_text(st, 3, f->source);
	st_bind_int64(st, 4, f->since);
	st_bind_int64(st, 5, f->until);
}

int db_funnel_scan(struct db *db, const struct funnel_filter *f, db_funnel_lead_fn fn, void *ctx,
                   struct lerr *err)
{
	/* constant fragments only; every value is a bound parameter */
	struct sb sql = SB_INIT;
	sb_adds(&sql, "SELECT funnel_row(id, stage, stage_entered_at, value, created_at, owner, "
	              "source) FROM leads WHERE TRUE");
	if (f->status)
		sb_adds(&sql, " AND status = ?1");
	if (f->owner)
		sb_adds(&sql, *f->owner && strcmp(f->owner, "-") ? " AND owner = ?2 COLLATE NOCASE"
		                                                 : " AND owner IS NULL");
	if (f->source)
		sb_adds(&sql, " AND source = ?3 COLLATE NOCASE");
	if (f->since)
		sb_adds(&sql, " AND created_at >= ?4");
	if (f->until)
		sb_adds(&sql, " AND created_at < ?5");
	struct lead_cb a = { fn, ctx };
	struct rowcb r = { lead_row, &a };
	int rc = run_rows_keep(db, sql.buf, false, bind_filter, f, &r, "read the funnel", err);
	sb_free(&sql);
	return rc;
}

struct stay_cb {
	db_funnel_stay_fn fn;
	void *ctx;
};

/* SQLite only: a row of funnel_row */
static void stay_row(void *p, const struct rowv *v)
{
	struct stay_cb *a = p;
	const char *stage = rv_text(v, 1);
	size_t len = rv_bytes(v, 1);
	a->fn(a->ctx, rv_int(v, 0), stage ? stage : "", len, rv_int(v, 2));
}

int db_funnel_stays(struct db *db, db_funnel_stay_fn fn, void *ctx, struct lerr *err)
{
	struct stay_cb a = { fn, ctx };
	struct rowcb r = { stay_row, &a };
	return run_rows(db, "SELECT funnel_row(lead_id, stage, secs) FROM stays", NULL, NULL, &r,
	                "read stays", err);
}

int db_funnel_id_range(struct db *db, int64_t *lo, int64_t *hi, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          /* two subqueries: min() and max() together are a scan, each
	                           * alone one step at an end of the table */
	                          "SELECT coalesce((SELECT min(id) FROM leads), 0), "
	                          "coalesce((SELECT max(id) FROM leads), 0)",
	                          err);
	if (!st)
		return err->code;
	int rc = st_step(st);
	if (rc == SQLITE_ROW) {
		*lo = st_col_int64(st, 0);
		*hi = st_col_int64(st, 1);
	}
	st_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(db, err, "count leads");
}

/* ---- manager reports ---- */

int db_report_tasks(struct db *db, int64_t since, int64_t now, bool by_owner, report_tasks_fn fn,
                    void *ctx, struct lerr *err)
{
	/* due: came due in [since, now); on time: done by the due time */
	static const char by[] =
	    "SELECT owner, count(*), "
	    "  count(*) FILTER (WHERE done_at <= due_at),"
	    "  count(*) FILTER (WHERE done_at > due_at),"
	    "  count(*) FILTER (WHERE done_at IS NULL) "
	    "FROM tasks WHERE due_at >= ?1 AND due_at < ?2 AND cancelled_at IS NULL "
	    "GROUP BY +owner ORDER BY owner IS NULL, owner COLLATE NOCASE";
	static const char all[] =
	    "SELECT NULL, count(*), "
	    "  count(*) FILTER (WHERE done_at <= due_at),"
	    "  count(*) FILTER (WHERE done_at > due_at),"
	    "  count(*) FILTER (WHERE done_at IS NULL) "
	    "FROM tasks WHERE due_at >= ?1 AND due_at < ?2 AND cancelled_at IS NULL";
	struct dbst *st = db_prep(db, by_owner ? by : all, err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, since);
	st_bind_int64(st, 2, now);
	int rc, ret = 0;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		struct report_tasks_row r = {
			.owner = st_col_text(st, 0),
			.due = st_col_int64(st, 1),
			.on_time = st_col_int64(st, 2),
			.done_late = st_col_int64(st, 3),
			.still_late = st_col_int64(st, 4),
		};
		if ((ret = fn(&r, ctx)))
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_fail(db, err, "report tasks");
	st_reset(st);
	return ret;
}

struct owner_cb {
	db_report_owner_fn fn;
	void *ctx;
};

/* SQLite only: a row of funnel_row */
static void owner_row(void *p, const struct rowv *v)
{
	struct owner_cb *a = p;
	a->fn(a->ctx, rv_int(v, 0), rv_text(v, 1));
}

int db_report_owners(struct db *db, db_report_owner_fn fn, void *ctx, struct lerr *err)
{
	struct owner_cb a = { fn, ctx };
	struct rowcb r = { owner_row, &a };
	return run_rows(db, "SELECT funnel_row(id, owner) FROM leads", NULL, NULL, &r,
	                "read owners", err);
}

struct event_cb {
	db_report_event_fn fn;
	void *ctx;
};

/* SQLite only: a row of funnel_row */
static void event_row(void *p, const struct rowv *v)
{
	struct event_cb *a = p;
	const char *kind = rv_text(v, 1);
	a->fn(a->ctx, rv_int(v, 0), kind ? kind : "", rv_text(v, 2));
}

struct span {
	int64_t since, now;
};

static void bind_span(struct dbst *st, const void *p)
{
	const struct span *s = p;
	st_bind_int64(st, 1, s->since);
	st_bind_int64(st, 2, s->now);
}

int db_report_events(struct db *db, int64_t since, int64_t now, db_report_event_fn fn, void *ctx,
                     struct lerr *err)
{
	/* one pass in file order ("+" keeps events_kind out: it would look each
	 * event up by rowid, millions of random reads for a long period) */
	struct event_cb a = { fn, ctx };
	struct rowcb r = { event_row, &a };
	struct span sp = { since, now };
	return run_rows(db,
	                "SELECT funnel_row(lead_id, kind, to_val) FROM events "
	                "WHERE +kind IN ('call', 'email', 'meeting', 'note', 'moved', 'status') "
	                "AND +at >= ?1 AND +at <= ?2",
	                bind_span, &sp, &r, "read events", err);
}

struct leadsrc_cb {
	db_report_lead_fn fn;
	void *ctx;
};

/* SQLite only: a row of funnel_row */
static void leadsrc_row(void *p, const struct rowv *v)
{
	struct leadsrc_cb *a = p;
	a->fn(a->ctx, rv_text(v, 0), rv_text(v, 1), rv_int(v, 2));
}

int db_report_leads(struct db *db, int64_t since, int64_t now, db_report_lead_fn fn, void *ctx,
                    struct lerr *err)
{
	struct leadsrc_cb a = { fn, ctx };
	struct rowcb r = { leadsrc_row, &a };
	struct span sp = { since, now };
	return run_rows(db,
	                "SELECT funnel_row(source, stage, score) FROM leads "
	                "WHERE created_at >= ?1 AND created_at <= ?2",
	                bind_span, &sp, &r, "read leads", err);
}
