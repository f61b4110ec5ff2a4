/*
 * db_load.c - a bulk import into PostgreSQL: the leads go to the server
 * with COPY ... FROM STDIN, a few hundred kilobytes a message, instead of
 * one INSERT (and a round trip or two) each.
 *
 * The rows are copied straight into leads, not through a staging table:
 * the import must see what it has loaded so far (routing counts the open
 * leads each member owns, thresholds write tasks about them), and every
 * other statement first ends the COPY in progress (db_load_flush), so
 * each one does. Duplicates never reach the server: the rows arrive in
 * file order, and a row whose email or external id (as the import
 * matches) is one of a lead already there (db_load_seed reads their keys
 * first) or of a row kept earlier is dropped here and counted: the rule
 * the row-by-row import applies, and SQLite's bulk path after its load
 * (db_import_dedupe). Ids are handed out here in file order after the
 * largest there, as SQLite would give them, dropped rows included.
 */
#include <stdlib.h>
#include <string.h>

#include "dbi.h"

struct keyset {
	size_t *slot; /* offset + 1 into text, 0 = empty */
	size_t cap, n;
	struct sb text;
};

struct db_load {
	int64_t next_id;
	bool by_email, by_ext;
	bool dense; /* into a table with leads: ids for kept rows only, as row by row */
	struct keyset email, ext;
	uint64_t dropped;
	struct sb buf; /* COPY text not sent yet */
	bool open;     /* a COPY is in progress */
	char *copy_sql;
};

/* The slot of key (n bytes, no NUL inside): holding it, or empty for it. */
static size_t keyset_slot(struct keyset *k, const char *key, size_t n)
{
	if (2 * (k->n + 1) > k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 1024;
		size_t *slot = xcalloc(cap, sizeof *slot);
		for (size_t i = 0; i < k->cap; i++) {
			if (!k->slot[i])
				continue;
			const char *s = k->text.buf + k->slot[i] - 1;
			size_t j = (size_t)fnv1a(FNV1A_INIT, s, strlen(s)) & (cap - 1);
			while (slot[j])
				j = (j + 1) & (cap - 1);
			slot[j] = k->slot[i];
		}
		free(k->slot);
		k->slot = slot;
		k->cap = cap;
	}
	size_t j = (size_t)fnv1a(FNV1A_INIT, key, n) & (k->cap - 1);
	for (; k->slot[j]; j = (j + 1) & (k->cap - 1)) {
		const char *s = k->text.buf + k->slot[j] - 1;
		if (strncmp(s, key, n) == 0 && s[n] == '\0')
			break;
	}
	return j;
}

static void keyset_put(struct keyset *k, size_t j, const char *key, size_t n)
{
	k->slot[j] = k->text.len + 1;
	sb_add(&k->text, key, n);
	sb_addc(&k->text, '\0');
	k->n++;
}

static void keyset_free(struct keyset *k)
{
	free(k->slot);
	sb_free(&k->text);
}

struct db_load *db_load_new(int64_t next_id, const char *cols)
{
	struct db_load *ld = xcalloc(1, sizeof *ld);
	ld->next_id = next_id;
	ld->dense = next_id > 1;
	struct sb sql = SB_INIT;
	sb_addf(&sql, "COPY leads (id, %s) FROM STDIN", cols);
	ld->copy_sql = sb_detach(&sql);
	return ld;
}

void db_load_match(struct db_load *ld, bool by_email, bool by_ext)
{
	ld->by_email = by_email;
	ld->by_ext = by_ext;
}

void db_load_free(struct db_load *ld)
{
	if (!ld)
		return;
	keyset_free(&ld->email);
	keyset_free(&ld->ext);
	sb_free(&ld->buf);
	free(ld->copy_sql);
	free(ld);
}

uint64_t db_load_dropped(const struct db_load *ld)
{
	return ld->dropped;
}

/* A key of the lead there: as db_load_lead builds them for the rows. */
static void seed_key(struct db_load *ld, const char *email, const char *ext_id,
                     const char *ext_source)
{
	struct keyset *k = email ? &ld->email : &ld->ext;
	struct sb key = SB_INIT;
	if (email) {
		sb_adds(&key, email);
	} else {
		sb_adds(&key, ext_id);
		sb_addc(&key, '\x1f');
		sb_adds(&key, ext_source ? ext_source : "\x1e");
	}
	size_t j = keyset_slot(k, key.buf, key.len);
	if (!k->slot[j])
		keyset_put(k, j, key.buf, key.len);
	sb_free(&key);
}

int db_load_seed(struct db *db, db_key_fn fn, void *ctx, struct lerr *err)
{
	struct db_load *ld = db->load;
	if (!ld->by_email && !ld->by_ext)
		return 0;
	struct dbst *st =
	    db_prep(db,
	            "SELECT email, NULL, NULL FROM leads WHERE ?1 = 1 AND email IS NOT NULL "
	            "UNION ALL SELECT NULL, ext_id, ext_source FROM leads "
	            "WHERE ?2 = 1 AND ext_id IS NOT NULL",
	            err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, ld->by_email);
	st_bind_int64(st, 2, ld->by_ext);
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		const char *email = st_col_text(st, 0), *ext_id = st_col_text(st, 1),
		           *ext_source = st_col_text(st, 2);
		seed_key(ld, email, ext_id, ext_source);
		if (fn)
			fn(ctx, email, ext_id, ext_source);
	}
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "read duplicate keys");
}

/* One field in COPY's text format. */
static void copy_text(struct sb *b, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *esc = NULL;
		switch (*s) {
		case '\\':
			esc = "\\\\";
			break;
		case '\t':
			esc = "\\t";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		default:
			continue;
		}
		sb_add(b, run, (size_t)(s - run));
		sb_adds(b, esc);
		run = s + 1;
	}
	sb_add(b, run, (size_t)(s - run));
}

/* Send what is buffered; with end, end the COPY too. A SQLITE_* code. */
static int send(struct db *db, bool end)
{
	struct db_load *ld = db->load;
	if (!ld->open && ld->buf.len) {
		int rc = pg_copy_begin(db->pg, ld->copy_sql);
		if (rc)
			return rc;
		ld->open = true;
	}
	if (ld->buf.len) {
		int rc = pg_copy_put(db->pg, ld->buf.buf, ld->buf.len);
		sb_reset(&ld->buf);
		if (rc)
			return rc;
	}
	if (end && ld->open) {
		ld->open = false;
		return pg_copy_end(db->pg);
	}
	return SQLITE_OK;
}

int db_load_flush(struct db *db, struct lerr *err)
{
	if (!db->load || (!db->load->open && !db->load->buf.len))
		return 0;
	return send(db, true) ? db_fail(db, err, "load leads") : 0;
}

int db_load_lead(struct db *db, const struct lead *l, int64_t *give, struct lerr *err)
{
	struct db_load *ld = db->load;
	int64_t id = give ? (*give = ld->next_id) : l->i[LI_ID];
	/* a key seen on a row kept: a duplicate, as db_import_dedupe would find */
	const char *email = l->t[LT_EMAIL], *ext = l->t[LT_EXT_ID];
	struct sb xk = SB_INIT;
	if (ld->by_ext && ext) {
		sb_adds(&xk, ext);
		sb_addc(&xk, '\x1f');
		sb_adds(&xk, l->t[LT_EXT_SOURCE] ? l->t[LT_EXT_SOURCE] : "\x1e");
	}
	size_t se = 0, sx = 0;
	bool dup = false;
	if (ld->by_email && email) {
		se = keyset_slot(&ld->email, email, strlen(email));
		dup = ld->email.slot[se] != 0;
	}
	if (!dup && xk.len) {
		sx = keyset_slot(&ld->ext, xk.buf, xk.len);
		dup = ld->ext.slot[sx] != 0;
	}
	/* the id is taken, unless dense and the row is left out */
	if (id >= ld->next_id && !(dup && ld->dense))
		ld->next_id = id + 1;
	if (dup) {
		sb_free(&xk);
		ld->dropped++;
		return 0;
	}
	/* kept: its keys count from now on (the email slot is still right:
	 * the ext set is another table) */
	if (ld->by_email && email)
		keyset_put(&ld->email, se, email, strlen(email));
	if (xk.len)
		keyset_put(&ld->ext, sx, xk.buf, xk.len);
	sb_free(&xk);
	struct sb *b = &ld->buf;
	sb_addf(b, "%lld", (long long)id);
	for (int i = 1; i < lead_nfields; i++) {
		const struct field_desc *f = &lead_fields[i];
		sb_addc(b, '\t');
		if (f->kind == FK_TEXT && l->t[f->idx])
			copy_text(b, l->t[f->idx]);
		else if (f->kind != FK_TEXT && l->has[f->idx])
			sb_addf(b, "%lld", (long long)l->i[f->idx]);
		else
			sb_adds(b, "\\N");
	}
	sb_addc(b, '\n');
	if (b->len >= 256 * 1024 && send(db, false))
		return db_fail(db, err, "load leads");
	return 0;
}
