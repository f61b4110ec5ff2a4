/*
 * db_load.c - a bulk import into PostgreSQL: the leads go to the server
 * with COPY ... FROM STDIN, 32 KB a message (PG_COPY_CHUNK), instead of
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

/*
 * The keys of the leads kept, to tell a duplicate: open addressing, a
 * slot the key's hash and where its text is (offset + 1, 0 = empty), the
 * home slot from hash_home; growing moves the slots without reading a
 * key again.
 */
struct keyset {
	struct kslot {
		uint64_t h;
		size_t off;
	} * slot;
	size_t cap, n;
	unsigned bits; /* cap == 1 << bits */
	struct sb text;
};

struct db_load {
	int64_t next_id;
	bool by_email, by_ext;
	bool dense; /* into a table with leads: ids for kept rows only, as row by row */
	struct keyset email, ext;
	uint64_t dropped;
	struct sb buf; /* COPY text not sent yet */
	struct sb xk;  /* the row's external-id key */
	bool open;     /* a COPY is in progress */
	char *copy_sql;
};

/* The slot of key (n bytes, no NUL inside, hash h): holding it, or empty for it. */
static size_t keyset_slot(struct keyset *k, const char *key, size_t n, uint64_t h)
{
	if (2 * (k->n + 1) > k->cap) {
		unsigned bits = k->cap ? k->bits + 1 : 10;
		size_t cap = (size_t)1 << bits;
		struct kslot *old = k->slot;
		size_t ocap = k->cap;
		k->slot = xcalloc(cap, sizeof *k->slot);
		k->cap = cap;
		k->bits = bits;
		for (size_t i = 0; i < ocap; i++) {
			if (!old[i].off)
				continue;
			size_t j = hash_home(old[i].h, k->bits);
			while (k->slot[j].off)
				j = (j + 1) & (cap - 1);
			k->slot[j] = old[i];
		}
		free(old);
	}
	size_t j = hash_home(h, k->bits);
	for (; k->slot[j].off; j = (j + 1) & (k->cap - 1)) {
		if (k->slot[j].h != h)
			continue;
		const char *s = k->text.buf + k->slot[j].off - 1;
		if (memcmp(s, key, n) == 0 && s[n] == '\0')
			break;
	}
	return j;
}

static void keyset_put(struct keyset *k, size_t j, const char *key, size_t n, uint64_t h)
{
	k->slot[j].h = h;
	k->slot[j].off = k->text.len + 1;
	sb_add(&k->text, key, n);
	sb_addc(&k->text, '\0');
	k->n++;
}

static void keyset_free(struct keyset *k)
{
	free(k->slot);
	sb_free(&k->text);
}

struct db_load *db_load_new(int64_t next_id, bool dense, const char *cols)
{
	struct db_load *ld = xcalloc(1, sizeof *ld);
	ld->next_id = next_id;
	ld->dense = dense;
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
	sb_free(&ld->xk);
	free(ld->copy_sql);
	free(ld);
}

uint64_t db_load_dropped(const struct db_load *ld)
{
	return ld->dropped;
}

/* The external-id key: ext_id, a unit separator, the source ("\x1e" for none). */
static void ext_key(struct sb *k, const char *ext_id, const char *ext_source)
{
	sb_reset(k);
	sb_adds(k, ext_id);
	sb_addc(k, '\x1f');
	sb_adds(k, ext_source ? ext_source : "\x1e");
}

/* A probe of k for key: the key's hash and its slot, holding it or empty for it. */
struct probe {
	uint64_t h;
	size_t j;
};

static bool keyset_find(struct keyset *k, const char *key, size_t n, struct probe *p)
{
	p->h = fnv1a(FNV1A_INIT, key, n);
	p->j = keyset_slot(k, key, n, p->h);
	return k->slot[p->j].off != 0;
}

/* Put key in k, unless there. */
static void keyset_add(struct keyset *k, const char *key, size_t n)
{
	struct probe p;
	if (!keyset_find(k, key, n, &p))
		keyset_put(k, p.j, key, n, p.h);
}

/* A key of the lead there: as db_load_lead builds them for the rows. */
static void seed_key(struct db_load *ld, const char *email, const char *ext_id,
                     const char *ext_source)
{
	if (email) {
		keyset_add(&ld->email, email, strlen(email));
	} else {
		ext_key(&ld->xk, ext_id, ext_source);
		keyset_add(&ld->ext, ld->xk.buf, ld->xk.len);
	}
}

int db_load_seed(struct db *db, db_key_fn fn, void *ctx, struct lerr *err)
{
	struct db_load *ld = db_load_of(db);
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

/* Send what is buffered; with end, end the COPY too. A SQLITE_* code. */
static int send(struct db *db, bool end)
{
	struct db_load *ld = db_load_of(db);
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
	if (!db_load_of(db) || (!db_load_of(db)->open && !db_load_of(db)->buf.len))
		return 0;
	return send(db, true) ? db_fail(db, err, "load leads") : 0;
}

int db_load_lead(struct db *db, const struct lead *l, int64_t *give, struct lerr *err)
{
	struct db_load *ld = db_load_of(db);
	int64_t id = give ? (*give = ld->next_id) : l->i[LI_ID];
	/* a key seen on a row kept: a duplicate, as db_import_dedupe would find */
	const char *email = l->t[LT_EMAIL], *ext = l->t[LT_EXT_ID];
	size_t en = ld->by_email && email ? strlen(email) : 0;
	bool by_ext = ld->by_ext && ext;
	if (by_ext)
		ext_key(&ld->xk, ext, l->t[LT_EXT_SOURCE]);
	struct probe pe, px;
	bool dup = (en && keyset_find(&ld->email, email, en, &pe)) ||
	           (by_ext && keyset_find(&ld->ext, ld->xk.buf, ld->xk.len, &px));
	/* the id is taken, unless dense and the row is left out */
	if (id >= ld->next_id && !(dup && ld->dense))
		ld->next_id = id + 1;
	if (dup) {
		ld->dropped++;
		return 0;
	}
	/* kept: its keys count from now on, in the slots found (the two
	 * sets are two tables: putting one moves nothing in the other) */
	if (en)
		keyset_put(&ld->email, pe.j, email, en, pe.h);
	if (by_ext)
		keyset_put(&ld->ext, px.j, ld->xk.buf, ld->xk.len, px.h);
	struct sb *b = &ld->buf;
	pg_copy_int(b, id);
	for (int i = 1; i < lead_nfields; i++) {
		const struct field_desc *f = &lead_fields[i];
		sb_addc(b, '\t');
		if (f->kind == FK_TEXT && l->t[f->idx])
			pg_copy_text(b, l->t[f->idx], strlen(l->t[f->idx]));
		else if (f->kind != FK_TEXT && l->has[f->idx])
			pg_copy_int(b, l->i[f->idx]);
		else
			sb_add(b, "\\N", 2);
	}
	sb_addc(b, '\n');
	if (b->len >= PG_COPY_CHUNK && send(db, false))
		return db_fail(db, err, "load leads");
	return 0;
}
