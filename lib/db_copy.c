/*
 * db_copy.c - `leads db copy`: every row of one leads database into
 * another, of either backend, in one transaction on the target, then a
 * checksum of each table read back from both sides.
 *
 * Every column is named (ids kept), so the copy is the same rows, not a
 * re-creation: new rows in the target still get fresh ids, the largest
 * plus one, on both backends. Inserting stays fires the stay_hist trigger
 * of both schemas; stay_hist is then emptied and copied as it is, since it
 * may hold rows the stays alone do not give back (a bucket whose stays
 * were deleted by `import --revert` keeps a row with n = 0).
 *
 * The column lists are below, once per table; a table whose column count
 * differs from its list (a migration that forgot this file) stops the
 * copy before anything is written.
 */
#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "dbi.h"

#define STAGES_COLS "key, name, position, grp, in_config"
#define IMPORTS_COLS                                                                               \
	"id, file, preset, started_at, finished_at, actor, counts, reverted_at, quiet_before"
#define LEADS_COLS                                                                                 \
	"id, email, first_name, last_name, phone, company, title, website, industry, city, "       \
	"state, country, source, owner, stage, step, status, priority, category, score, "          \
	"value, created_at, updated_at, last_activity_at, stage_entered_at, assigned_at, "         \
	"ext_source, ext_id, import_batch, extra, assigned_rule, source_line, reached_pos, "       \
	"import_owner, import_rule, close_date"
#define EVENTS_COLS    "id, lead_id, at, actor, kind, from_val, to_val, data"
#define STAYS_COLS     "id, lead_id, stage, entered_at, left_at, secs"
#define STAY_HIST_COLS "stage, lo, n, secs"
#define TASKS_COLS                                                                                 \
	"id, lead_id, owner, title, notes, created_at, due_at, notify_at, notified_at, "           \
	"done_at, late, rule, idem_key, cancelled_at, owner_given"
#define OUTBOX_COLS                                                                                \
	"id, idem_key, kind, lead_id, rcpt, cc, subject, body, created_at, next_try_at, "          \
	"tries, last_error, sent_at, failed_at, claim, claim_until, unknown_at, sender, headers"
#define STATE_COLS   "key, value"
#define SCORES_COLS  "lead_id, name, value"
#define ALIASES_COLS "id, lead_id, email, merged_at, actor, import_batch"
#define SEQUENCES_COLS                                                                             \
	"id, lead_id, name, step, started_at, next_at, done_at, stopped_at, stop_reason"
#define MAIL_FLAGS_COLS "lead_id, do_not_email, bounced_at, bounce, changed_at"

#define P5  "?1, ?2, ?3, ?4, ?5"
#define P10 P5 ", ?6, ?7, ?8, ?9, ?10"
#define P15 P10 ", ?11, ?12, ?13, ?14, ?15"
#define P30 P15 ", ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30"

/* one table: its columns, how to read it in key order, how to write a row */
struct copy_table {
	const char *name;
	int ncols;
	const char *all;    /* SELECT * of no row: the table's real column count */
	const char *select; /* every column, in primary-key order */
	const char *insert; /* every column, as ?1..?N */
	const char *count;
	const char *copy; /* into PostgreSQL: every column by COPY */
};

#define TABLE(n, cols, ncols, order, params)                                                       \
	{                                                                                          \
		n, ncols, "SELECT * FROM " n " LIMIT 0",                                           \
		    "SELECT " cols " FROM " n " ORDER BY " order,                                  \
		    "INSERT INTO " n " (" cols ") VALUES (" params ")", "SELECT count(*) FROM " n, \
		    "COPY " n " (" cols ") FROM STDIN"                                             \
	}

/* parents first */
static const struct copy_table tables[DB_COPY_NTABLES] = {
	TABLE("stages", STAGES_COLS, 5, "key", P5),
	TABLE("imports", IMPORTS_COLS, 9, "id", P5 ", ?6, ?7, ?8, ?9"),
	TABLE("leads", LEADS_COLS, 36, "id", P30 ", ?31, ?32, ?33, ?34, ?35, ?36"),
	TABLE("events", EVENTS_COLS, 8, "id", P5 ", ?6, ?7, ?8"),
	TABLE("stays", STAYS_COLS, 6, "id", P5 ", ?6"),
	TABLE("stay_hist", STAY_HIST_COLS, 4, "stage, lo", "?1, ?2, ?3, ?4"),
	TABLE("tasks", TASKS_COLS, 15, "id", P15),
	TABLE("outbox", OUTBOX_COLS, 19, "id", P15 ", ?16, ?17, ?18, ?19"),
	TABLE("state", STATE_COLS, 2, "key", "?1, ?2"),
	TABLE("scores", SCORES_COLS, 3, "lead_id, name", "?1, ?2, ?3"),
	TABLE("lead_aliases", ALIASES_COLS, 6, "id", P5 ", ?6"),
	TABLE("sequences", SEQUENCES_COLS, 9, "id", P5 ", ?6, ?7, ?8, ?9"),
	TABLE("mail_flags", MAIL_FLAGS_COLS, 5, "lead_id", P5),
};

/* children first: what --force (and an empty target's synced stages) clears */
static const char *const clear_sql[] = {
	"DELETE FROM mail_flags", "DELETE FROM sequences", "DELETE FROM lead_aliases",
	"DELETE FROM scores",     "DELETE FROM state",     "DELETE FROM outbox",
	"DELETE FROM tasks",      "DELETE FROM stays",     "DELETE FROM stay_hist",
	"DELETE FROM events",     "DELETE FROM leads",     "DELETE FROM imports",
	"DELETE FROM stages",
};

/* What makes a target "not empty": the tables the commands write to. */
#define HELD_SQL                                                                                   \
	"SELECT (SELECT count(*) FROM leads), (SELECT count(*) FROM events), "                     \
	"(SELECT count(*) FROM tasks), (SELECT count(*) FROM outbox), "                            \
	"(SELECT count(*) FROM imports), (SELECT count(*) FROM state), "                           \
	"(SELECT count(*) FROM scores)"
static const char *const held_names[] = { "lead",   "event",       "task",       "outbox message",
	                                  "import", "state value", "named score" };

bool db_is_server(const struct db *db)
{
	return db->pg != NULL;
}

/* The columns of a statement's result (after its first step on PostgreSQL). */
static int st_ncols(struct dbst *st)
{
	if (st->pg)
		return pgst_col_count(st->pg);
	return sqlite3_column_count(st->sq);
}

/* Does each table have exactly the columns listed above? */
static int check_columns(struct db *db, struct lerr *err)
{
	for (int i = 0; i < DB_COPY_NTABLES; i++) {
		const struct copy_table *t = &tables[i];
		struct dbst *st = db_prepare_once(db, t->all, err);
		if (!st)
			return err->code;
		int rc = st_step(st);
		int n = st_ncols(st);
		st_finalize(st);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			return db_fail(db, err, "read the schema");
		if (n != t->ncols)
			return lerr_set(err, EX_SOFTWARE,
			                "'%s': table %s has %d columns, this leads copies %d",
			                db->path, t->name, n, t->ncols);
	}
	return 0;
}

/*
 * One column into the checksum: a NULL is the byte 'N'; a value is its
 * kind ('i' integer, 't' text, 'f' anything else), its length in bytes as
 * decimal text and ':', then its text. Then a row ends with '\n'.
 */
static uint64_t sum_col(uint64_t h, struct dbst *st, int i)
{
	int type = st_col_type(st, i);
	if (type == SQLITE_NULL)
		return fnv1a(h, "N", 1);
	const char *s = st_col_text(st, i);
	int n = st_col_bytes(st, i);
	char head[24];
	int k = snprintf(head, sizeof head, "%c%d:",
	                 type == SQLITE_INTEGER ? 'i'
	                 : type == SQLITE_TEXT  ? 't'
	                                        : 'f',
	                 n);
	h = fnv1a(h, head, (size_t)k);
	return fnv1a(h, s ? s : "", (size_t)n);
}

/* Rows and checksum of table t of db, read in primary-key order. */
static int table_sum(struct db *db, const struct copy_table *t, int64_t *rows, uint64_t *sum,
                     struct lerr *err)
{
	struct dbst *st = db_prepare_once(db, t->select, err);
	if (!st)
		return err->code;
	st_stream(st);
	uint64_t h = FNV1A_INIT;
	int64_t n = 0;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < t->ncols; i++)
			h = sum_col(h, st, i);
		h = fnv1a(h, "\n", 1);
		n++;
	}
	st_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "read back");
	*rows = n;
	*sum = h;
	return 0;
}

/* A failure of copying table t, on connection db. */
static int copy_fail(struct db *db, const struct copy_table *t, struct lerr *err)
{
	char what[64];
	snprintf(what, sizeof what, "copy %s", t->name);
	return db_fail(db, err, what);
}

/* One row of src in COPY's text format. */
static void copy_row_text(struct sb *b, struct dbst *src, int ncols)
{
	for (int i = 0; i < ncols; i++) {
		if (i)
			sb_addc(b, '\t');
		switch (st_col_type(src, i)) {
		case SQLITE_NULL:
			sb_add(b, "\\N", 2);
			break;
		case SQLITE_INTEGER:
			pg_copy_int(b, st_col_int64(src, i));
			break;
		default: {
			const char *s = st_col_text(src, i);
			pg_copy_text(b, s ? s : "", s ? (size_t)st_col_bytes(src, i) : 0);
		}
		}
	}
	sb_addc(b, '\n');
}

/*
 * Into PostgreSQL the rows go by COPY, not an INSERT and a round trip
 * each (100,000 leads: 6.2 s that way). *rows: how many were read.
 */
static int copy_rows_pg(struct db *from, struct dbst *src, struct db *to,
                        const struct copy_table *t, int64_t *rows, struct lerr *err)
{
	if (pg_copy_begin(to->pg, t->copy))
		return copy_fail(to, t, err);
	struct sb b = SB_INIT;
	int rc, put = SQLITE_OK;
	int64_t n = 0;
	while (put == SQLITE_OK && (rc = st_step(src)) == SQLITE_ROW) {
		copy_row_text(&b, src, t->ncols);
		n++;
		if (b.len >= PG_COPY_CHUNK) {
			put = pg_copy_put(to->pg, b.buf, b.len);
			sb_reset(&b);
		}
	}
	*rows = n;
	int ret = 0;
	if (put != SQLITE_OK) {
		ret = copy_fail(to, t, err);
	} else if (rc != SQLITE_DONE) {
		ret = db_fail(from, err, "read the source");
		pg_copy_abort(to->pg);
	} else if ((b.len && pg_copy_put(to->pg, b.buf, b.len)) || pg_copy_end(to->pg)) {
		ret = copy_fail(to, t, err);
	}
	sb_free(&b);
	return ret;
}

/* Every row of table t from one connection to the other; *rows: how many. */
static int copy_rows(struct db *from, struct db *to, const struct copy_table *t, int64_t *rows,
                     struct lerr *err)
{
	struct dbst *src = db_prepare_once(from, t->select, err);
	if (!src)
		return err->code;
	st_stream(src); /* from and to are two connections */
	if (to->pg) {
		int ret = copy_rows_pg(from, src, to, t, rows, err);
		st_finalize(src);
		return ret;
	}
	struct dbst *dst = db_prepare_once(to, t->insert, err);
	if (!dst) {
		st_finalize(src);
		return err->code;
	}
	int rc, ret = 0;
	int64_t n = 0;
	while ((rc = st_step(src)) == SQLITE_ROW) {
		for (int i = 0; i < t->ncols; i++) {
			switch (st_col_type(src, i)) {
			case SQLITE_NULL:
				st_bind_null(dst, i + 1);
				break;
			case SQLITE_INTEGER:
				st_bind_int64(dst, i + 1, st_col_int64(src, i));
				break;
			default: {
				const char *s = st_col_text(src, i);
				st_bind_text(dst, i + 1, s ? s : "", st_col_bytes(src, i));
			}
			}
		}
		rc = st_step(dst);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			ret = copy_fail(to, t, err);
			break;
		}
		st_reset(dst);
		st_clear(dst);
		n++;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_fail(from, err, "read the source");
	st_finalize(dst);
	st_finalize(src);
	*rows = n;
	return ret;
}

/* EX_CANTCREAT with what the target holds, 0 if it holds none of it. */
static int refuse_held(struct db *to, struct lerr *err)
{
	struct dbst *st = db_prepare_once(to, HELD_SQL, err);
	if (!st)
		return err->code;
	int rc = st_step(st);
	if (rc != SQLITE_ROW) {
		st_finalize(st);
		return db_fail(to, err, "read the target");
	}
	struct sb sb = SB_INIT;
	for (int i = 0; i < (int)ARRAY_LEN(held_names); i++) {
		int64_t n = st_col_int64(st, i);
		if (n)
			sb_addf(&sb, "%s%lld %s%s", sb.len ? ", " : "", (long long)n, held_names[i],
			        n == 1 ? "" : "s");
	}
	st_finalize(st);
	rc = 0;
	if (sb.len)
		rc = lerr_set(err, EX_CANTCREAT,
		              "'%s' is not empty (%s); --force replaces what it holds", to->path,
		              sb_str(&sb));
	sb_free(&sb);
	return rc;
}

static int copy_all(struct db *from, struct db *to, bool force, struct db_copy_table *res,
                    struct lerr *err)
{
	int rc;
	if ((rc = check_columns(from, err)) || (rc = check_columns(to, err)))
		return rc;
	if (!force && (rc = refuse_held(to, err)))
		return rc;
	/* also when not forced: the stages a command synced, and nothing else */
	for (size_t i = 0; i < ARRAY_LEN(clear_sql); i++)
		if ((rc = db_exec(to, clear_sql[i], err)))
			return rc;
	for (int i = 0; i < DB_COPY_NTABLES; i++) {
		const struct copy_table *t = &tables[i];
		/* the stays just copied built a stay_hist of their own: take the source's */
		if (strcmp(t->name, "stay_hist") == 0 &&
		    (rc = db_exec(to, "DELETE FROM stay_hist", err)))
			return rc;
		if ((rc = copy_rows(from, to, t, &res[i].copied, err)))
			return rc;
	}
	for (int i = 0; i < DB_COPY_NTABLES; i++) {
		res[i].name = tables[i].name;
		if ((rc = table_sum(from, &tables[i], &res[i].src_rows, &res[i].src_sum, err)) ||
		    (rc = table_sum(to, &tables[i], &res[i].dst_rows, &res[i].dst_sum, err)))
			return rc;
	}
	return 0;
}

int db_copy(struct db *from, struct db *to, bool force, db_copy_report_fn fn, void *ctx,
            struct lerr *err)
{
	struct db_copy_table res[DB_COPY_NTABLES];
	memset(res, 0, sizeof res);
	/* one snapshot of the source for the copy and its checksums */
	int rc = db_exec(
	    from, from->pg ? "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY" : "BEGIN", err);
	if (rc)
		return rc;
	if ((rc = db_begin(to, err))) {
		db_rollback(from);
		return rc;
	}
	rc = copy_all(from, to, force, res, err);
	db_rollback(from); /* read only: nothing to keep */
	if (rc) {
		db_rollback(to);
		return rc;
	}
	struct sb bad = SB_INIT;
	for (int i = 0; i < DB_COPY_NTABLES; i++)
		if (res[i].src_rows != res[i].dst_rows || res[i].src_sum != res[i].dst_sum)
			sb_addf(&bad, "%s%s", bad.len ? ", " : "", res[i].name);
	bool differs = bad.len > 0;
	if (differs) {
		db_rollback(to);
		rc = lerr_set(err, EX_SOFTWARE,
		              "the copy differs from the source in %s; '%s' was left as it was",
		              sb_str(&bad), to->path);
	} else if ((rc = db_sync_ids(to, err)) == 0) { /* new rows after the copied ones */
		rc = db_commit(to, err);
	} else {
		db_rollback(to);
	}
	sb_free(&bad);
	/* the table also when it differs: it shows where */
	if (rc == 0 || differs)
		for (int i = 0; fn && i < DB_COPY_NTABLES; i++)
			fn(&res[i], ctx);
	return rc;
}
