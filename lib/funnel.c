/*
 * funnel.c - the funnel's numbers (see funnel.h for their definitions).
 *
 * Everything is gathered into cells, one per group and stage (the last
 * stage index, nst, is "other"), then turned into rows. Memory does not
 * follow the number of leads, beyond 8 bytes a lead on the general path
 * (its group, stage and furthest position) and a bit a lead per lost stage:
 *
 *  - current and value from the leads;
 *  - time in stage as a histogram per cell of the stays' lengths (the
 *    buckets of the stays_add trigger, in a hash by cell and bucket): the
 *    finished stays from the stay histogram (fast path) or the stays table
 *    (general path), the current ones from the leads. The median is then
 *    picked exactly from the one bucket where it falls, by counting that
 *    bucket's stays again (read by index range) into at most 4096 bins,
 *    narrowing until a bin is one second wide (select_in);
 *  - reached from each lead's furthest position outside the lost stages:
 *    reached_pos on the fast path, the stages of its stays and its current
 *    stage on the general one (so the tests comparing the two paths check
 *    reached_pos as well); for a lost stage, the leads in it now and those
 *    with a finished stay in it that are elsewhere now (bitmaps by id).
 */
#include "funnel.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "activity.h"
#include "ltime.h"

/* A bucket of a cell's histogram: stays lasting [lo, funnel_bucket_end(lo)). */
struct hent {
	uint32_t cell; /* cell + 1; 0: empty slot */
	int64_t lo, n;
};

struct cell {
	int64_t cur, value, nvalue, reached;
	int64_t n, sum;    /* stays (finished and current) and their seconds */
	size_t hfirst, hn; /* its buckets in acc.hv, once sorted */
};

struct other {
	char *key;
	int64_t n;
};

struct group {
	char *key; /* NULL: no grouping, or none */
	struct cell *cells;
	int64_t *rh; /* rh[p]: leads whose furthest position (not lost) is p */
	struct other *other;
	size_t nother, capother;
};

/* Per lead on the general path, by index (dense ids: id - idlo; sparse
 * ones: through a hash of the id, see pl_index). */
struct plead {
	int32_t g;    /* group; -1: not selected */
	uint16_t st;  /* stage index now */
	uint16_t max; /* furthest position outside the lost stages */
};

struct acc {
	const struct funnel_query *q;
	const struct config *cfg;
	struct db *db;
	size_t nst, nlost;
	int *lost_ord; /* per stage: ordinal among the lost stages (< 64), else -1 */
	struct group *g;
	size_t ng, capg;
	struct ci_index gix; /* the groups by key */
	size_t none_g;       /* group of NULL keys + 1, 0 = none yet */
	/* last stage looked up */
	char *last;
	size_t last_len, last_cap;
	int last_idx;
	/* stage keys not in the config that were seen: the "other" cells' */
	char **okeys;
	size_t nokeys, capokeys;
	/* the histograms: a hash by (cell, lo), then sorted into hv */
	struct hent *ht, *hlast; /* hlast: the bucket added to last */
	size_t htcap, htn;
	struct hent *hv;
	bool times; /* compute time in stage (not for funnel_lead_ids) */
	bool general;
	/* leads by index (general path) and the lost bitmaps (both paths) */
	int64_t idlo, idhi;
	size_t span; /* number of indexes */
	struct plead *pl;
	int64_t *plid; /* sparse: the id of each index */
	size_t npl, cappl, capplid;
	bool sparse;
	size_t *idht; /* sparse: index into pl + 1 */
	size_t idhtcap;
	/* nlost bitmaps of span bits: in that lost stage now (fast path), ever
	 * (general path); NULL when there is no lost stage, or (fast path) when
	 * the ids are too sparse for bitmaps */
	uint64_t *lostmap;
	uint64_t *seen; /* one bitmap of span bits */
	int rc;
	struct lerr *err;
	const char *overflow; /* what summed beyond 64 bits, first seen */
};

/*
 * Sums of money and of durations are checked: a sum beyond 64 bits is an
 * error (leads-funnel(1)), never a wrapped total. The first one is noted
 * here and reported once the pass over the data is done.
 */
static void add_checked(struct acc *a, int64_t *sum, int64_t x, const char *what)
{
	if (__builtin_add_overflow(*sum, x, sum) && !a->overflow)
		a->overflow = what;
}

/* now - start, at least 0: a current stay's length, checked like the sums */
static int64_t stay_len(struct acc *a, int64_t start)
{
	int64_t r;
	if (__builtin_sub_overflow(a->q->now, start, &r)) {
		if (!a->overflow)
			a->overflow = "time in stage";
		return start < 0 ? INT64_MAX : 0;
	}
	return r > 0 ? r : 0;
}

static bool is_lost(const struct acc *a, size_t idx)
{
	return idx < a->nst && a->cfg->stages[idx].grp == GRP_LOST;
}

static void note_other_key(struct acc *a, const char *key, size_t len)
{
	for (size_t i = 0; i < a->nokeys; i++)
		if (strlen(a->okeys[i]) == len && memcmp(a->okeys[i], key, len) == 0)
			return;
	a->okeys = xgrow(a->okeys, &a->capokeys, a->nokeys + 1, sizeof *a->okeys);
	a->okeys[a->nokeys++] = xstrndup(key, len);
}

/* Stage index of a key: its position, or nst for a key the config lacks. */
static size_t stage_idx(struct acc *a, const char *key, size_t len)
{
	if (a->last && a->last_len == len && memcmp(a->last, key, len) == 0)
		return (size_t)a->last_idx;
	size_t idx = a->nst;
	for (size_t i = 0; i < a->nst; i++) {
		if (strlen(a->cfg->stages[i].key) == len &&
		    memcmp(a->cfg->stages[i].key, key, len) == 0) {
			idx = i;
			break;
		}
	}
	if (idx == a->nst)
		note_other_key(a, key, len);
	a->last = xgrow(a->last, &a->last_cap, len + 1, 1);
	memcpy(a->last, key, len);
	a->last[len] = '\0';
	a->last_len = len;
	a->last_idx = (int)idx;
	return idx;
}

static void count_other(struct group *g, const char *key, size_t len)
{
	for (size_t i = 0; i < g->nother; i++)
		if (strlen(g->other[i].key) == len && memcmp(g->other[i].key, key, len) == 0) {
			g->other[i].n++;
			return;
		}
	g->other = xgrow(g->other, &g->capother, g->nother + 1, sizeof *g->other);
	g->other[g->nother].key = xstrndup(key, len);
	g->other[g->nother].n = 1;
	g->nother++;
}

static size_t new_group(struct acc *a, const char *key)
{
	a->g = xgrow(a->g, &a->capg, a->ng + 1, sizeof *a->g);
	struct group *g = &a->g[a->ng];
	memset(g, 0, sizeof *g);
	g->key = key ? xstrdup(key) : NULL;
	g->cells = xcalloc(a->nst + 1, sizeof *g->cells);
	g->rh = xcalloc(a->nst ? a->nst : 1, sizeof *g->rh);
	return a->ng++;
}

static const char *group_key_at(const void *ctx, size_t i)
{
	return ((const struct acc *)ctx)->g[i].key;
}

/* The group of key (NULL: none), made on first sight; keys ignore ASCII case. */
static size_t group_of(struct acc *a, const char *key)
{
	if (!key) {
		if (!a->none_g)
			a->none_g = new_group(a, NULL) + 1;
		return a->none_g - 1;
	}
	size_t slot, gi = ci_index_find(&a->gix, key, group_key_at, a, a->ng, &slot);
	if (gi < a->ng)
		return gi;
	gi = new_group(a, key);
	ci_index_put(&a->gix, slot, gi);
	return gi;
}

static void acc_init(struct acc *a, struct db *db, const struct funnel_query *q, struct lerr *err)
{
	memset(a, 0, sizeof *a);
	a->q = q;
	a->cfg = q->cfg;
	a->db = db;
	a->nst = q->cfg->nstages;
	a->err = err;
	a->times = true;
	a->lost_ord = xcalloc(a->nst + 1, sizeof *a->lost_ord);
	int n = 0;
	for (size_t i = 0; i < a->nst; i++)
		a->lost_ord[i] = q->cfg->stages[i].grp == GRP_LOST && n < 64 ? n++ : -1;
	a->lost_ord[a->nst] = -1;
	a->nlost = (size_t)n;
}

static void acc_free(struct acc *a)
{
	for (size_t i = 0; i < a->ng; i++) {
		struct group *g = &a->g[i];
		free(g->cells);
		free(g->rh);
		for (size_t k = 0; k < g->nother; k++)
			free(g->other[k].key);
		free(g->other);
		free(g->key);
	}
	free(a->g);
	ci_index_free(&a->gix);
	free(a->last);
	strv_free(a->okeys, a->nokeys);
	free(a->ht);
	free(a->hv);
	free(a->pl);
	free(a->plid);
	free(a->idht);
	free(a->lostmap);
	free(a->seen);
	free(a->lost_ord);
}

/* ---- the histograms ---- */

/* Where the bucket of a stay of secs seconds starts (the stays_add trigger's). */
static int64_t bucket_lo(int64_t secs)
{
	if (secs < 3600)
		return secs - secs % 60;
	if (secs < 86400)
		return secs - secs % 600;
	if (secs < 2592000)
		return secs - secs % 3600;
	if (secs < 31449600)
		return secs - secs % 86400;
	return secs - secs % 604800;
}

static uint64_t hash_pair(uint64_t x, uint64_t y)
{
	uint64_t h = (x * 0x9E3779B97F4A7C15u) ^ (y + 0x632BE59BD9B4E019u + (x << 6));
	h *= 0xBF58476D1CE4E5B9u;
	return h ^ (h >> 31);
}

static void hist_add(struct acc *a, size_t cell, int64_t lo, int64_t n)
{
	uint32_t c = (uint32_t)cell + 1;
	if (a->hlast && a->hlast->cell == c && a->hlast->lo == lo) {
		a->hlast->n += n; /* the leads come by stage and start: mostly the same bucket */
		return;
	}
	if (2 * (a->htn + 1) > a->htcap) {
		size_t cap = a->htcap ? 2 * a->htcap : 1024;
		struct hent *t = xcalloc(cap, sizeof *t);
		for (size_t i = 0; i < a->htcap; i++) {
			if (!a->ht[i].cell)
				continue;
			size_t j =
			    (size_t)hash_pair(a->ht[i].cell, (uint64_t)a->ht[i].lo) & (cap - 1);
			while (t[j].cell)
				j = (j + 1) & (cap - 1);
			t[j] = a->ht[i];
		}
		free(a->ht);
		a->ht = t;
		a->htcap = cap;
		a->hlast = NULL;
	}
	size_t j = (size_t)hash_pair(c, (uint64_t)lo) & (a->htcap - 1);
	while (a->ht[j].cell && (a->ht[j].cell != c || a->ht[j].lo != lo))
		j = (j + 1) & (a->htcap - 1);
	if (!a->ht[j].cell) {
		a->ht[j] = (struct hent){ c, lo, 0 };
		a->htn++;
	}
	a->ht[j].n += n;
	a->hlast = &a->ht[j];
}

static size_t cell_no(const struct acc *a, size_t g, size_t idx)
{
	return g * (a->nst + 1) + idx;
}

/* One stay of secs seconds in cell (group g, stage idx). */
static void add_stay(struct acc *a, size_t g, size_t idx, int64_t secs)
{
	struct cell *c = &a->g[g].cells[idx];
	c->n++;
	add_checked(a, &c->sum, secs, "time in stage");
	hist_add(a, cell_no(a, g, idx), bucket_lo(secs), 1);
}

static int cmp_hent(const void *x, const void *y)
{
	const struct hent *a = x, *b = y;
	if (a->cell != b->cell)
		return a->cell < b->cell ? -1 : 1;
	return (a->lo > b->lo) - (a->lo < b->lo);
}

/* Sort the buckets by cell and start; each cell learns its range. */
static void hist_sort(struct acc *a)
{
	a->hv = xmalloc((a->htn ? a->htn : 1) * sizeof *a->hv);
	size_t n = 0;
	for (size_t i = 0; i < a->htcap; i++)
		if (a->ht[i].cell)
			a->hv[n++] = a->ht[i];
	free(a->ht);
	a->ht = NULL;
	a->hlast = NULL;
	a->htcap = 0;
	qsort(a->hv, n, sizeof *a->hv, cmp_hent);
	for (size_t i = 0; i < n; i++) {
		size_t cn = a->hv[i].cell - 1, nst1 = a->nst + 1;
		struct cell *c = &a->g[cn / nst1].cells[cn % nst1];
		if (!c->hn)
			c->hfirst = i;
		c->hn++;
	}
}

/* ---- leads by id ---- */

static uint64_t hash_id(int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15u;
	return h ^ (h >> 29);
}

static uint64_t *lost_map(struct acc *a, int ord)
{
	return a->lostmap + (size_t)ord * ((a->span + 63) / 64);
}

/* Room in the lost bitmaps for n indexes (the sparse general path grows). */
static void lost_grow(struct acc *a, size_t n)
{
	if (!a->nlost || (a->lostmap && n <= a->span))
		return;
	size_t span = a->span, words = (span + 63) / 64;
	size_t nspan = !a->lostmap || n > 2 * span ? n : 2 * span, nwords = (nspan + 63) / 64;
	uint64_t *m = xcalloc(a->nlost * nwords + 1, sizeof *m);
	for (size_t o = 0; a->lostmap && o < a->nlost; o++)
		memcpy(m + o * nwords, a->lostmap + o * words, words * sizeof *m);
	free(a->lostmap);
	a->lostmap = m;
	a->span = nspan;
}

/*
 * The index of lead id (made with create), or SIZE_MAX. Dense ids (the
 * usual case) are their own index; ids far apart (someone wrote huge ones
 * by hand) go through a hash (general path only), so nothing is allocated
 * per id between.
 */
static size_t pl_index(struct acc *a, int64_t id, bool create)
{
	if (!a->sparse)
		return id < a->idlo || id > a->idhi ? SIZE_MAX : (size_t)(id - a->idlo);
	if (a->idhtcap) {
		for (size_t j = (size_t)(hash_id(id) & (a->idhtcap - 1)); a->idht[j];
		     j = (j + 1) & (a->idhtcap - 1))
			if (a->plid[a->idht[j] - 1] == id)
				return a->idht[j] - 1;
	}
	if (!create)
		return SIZE_MAX;
	if (2 * (a->npl + 1) > a->idhtcap) {
		size_t cap = a->idhtcap ? 2 * a->idhtcap : 1024;
		size_t *ht = xcalloc(cap, sizeof *ht);
		for (size_t i = 0; i < a->npl; i++) {
			size_t j = (size_t)(hash_id(a->plid[i]) & (cap - 1));
			while (ht[j])
				j = (j + 1) & (cap - 1);
			ht[j] = i + 1;
		}
		free(a->idht);
		a->idht = ht;
		a->idhtcap = cap;
	}
	a->plid = xgrow(a->plid, &a->capplid, a->npl + 1, sizeof *a->plid);
	a->pl = xgrow(a->pl, &a->cappl, a->npl + 1, sizeof *a->pl);
	lost_grow(a, a->npl + 1);
	a->plid[a->npl] = id;
	a->pl[a->npl] = (struct plead){ .g = -1 };
	size_t j = (size_t)(hash_id(id) & (a->idhtcap - 1));
	while (a->idht[j])
		j = (j + 1) & (a->idhtcap - 1);
	a->idht[j] = ++a->npl;
	return a->npl - 1;
}

static int64_t pl_id(const struct acc *a, size_t i)
{
	return a->sparse ? a->plid[i] : a->idlo + (int64_t)i;
}

static bool bit(const uint64_t *m, size_t i)
{
	return m[i / 64] >> (i % 64) & 1;
}

static void set_bit(uint64_t *m, size_t i)
{
	m[i / 64] |= (uint64_t)1 << (i % 64);
}

/*
 * Read the id range; ids are dense unless someone wrote huge ones by
 * hand (count: the number of leads, -1 to count them when it matters).
 * Dense: the per-lead records (general path) and the lost bitmaps
 * are indexed by id; sparse: the records by a hash, and the fast path
 * counts the lost stages in SQL instead.
 */
static int ids_init(struct acc *a, int64_t count)
{
	int rc = db_funnel_id_range(a->db, &a->idlo, &a->idhi, a->err);
	if (rc)
		return rc;
	uint64_t span = a->idhi >= a->idlo && a->idhi ? (uint64_t)(a->idhi - a->idlo) + 1 : 0;
	if (count < 0 && span > 65536)
		count = db_lead_count(a->db);
	a->sparse = span > 65536 && (count < 0 || span > 4 * (uint64_t)count + 65536);
	if (!a->sparse) {
		a->span = (size_t)span;
		if (!span)
			a->idlo = 1, a->idhi = 0; /* no lead id fits */
	}
	if (a->general && !a->sparse) {
		a->npl = a->span;
		a->pl = xmalloc((a->span ? a->span : 1) * sizeof *a->pl);
		for (size_t i = 0; i < a->npl; i++)
			a->pl[i] = (struct plead){ .g = -1 };
	}
	if (!a->sparse)
		lost_grow(a, a->span);
	return 0;
}

/* The furthest position of a lead now in idx whose reached_pos is r (-1: unknown). */
static int64_t furthest(const struct acc *a, size_t idx, int64_t r)
{
	if (idx < a->nst && !is_lost(a, idx) && (int64_t)idx > r)
		r = (int64_t)idx;
	if (r < 0)
		r = 0;
	if (a->nst && r >= (int64_t)a->nst)
		r = (int64_t)a->nst - 1;
	while (r > 0 && is_lost(a, (size_t)r))
		r--;
	return r;
}

/* ---- the fast path: the whole pipeline ---- */

struct left_ctx {
	struct acc *a;
	uint64_t *now; /* in the stage now */
	int64_t n;
};

static void fast_lead(void *p, const char *stage, size_t len, int64_t entered, int64_t reached,
                      bool has_value, int64_t value)
{
	struct acc *a = p;
	struct group *g = &a->g[0];
	size_t idx = stage_idx(a, stage, len);
	if (idx == a->nst)
		count_other(g, stage, len);
	struct cell *c = &g->cells[idx];
	c->cur++;
	add_stay(a, 0, idx, stay_len(a, entered));
	if (has_value) {
		add_checked(a, &c->value, value, "value");
		c->nvalue++;
	}
	if (a->nst)
		g->rh[furthest(a, idx, reached)]++;
}

/* A lead in a lost stage now. */
static void lost_now(void *p, int64_t id, int64_t zero)
{
	(void)zero;
	struct left_ctx *l = p;
	size_t i = pl_index(l->a, id, false);
	if (i != SIZE_MAX)
		set_bit(l->now, i);
}

static void fast_hist(void *p, const char *stage, int64_t lo, int64_t n, int64_t secs)
{
	struct acc *a = p;
	size_t idx = stage_idx(a, stage, strlen(stage));
	struct cell *c = &a->g[0].cells[idx];
	c->n += n;
	add_checked(a, &c->sum, secs, "time in stage");
	hist_add(a, cell_no(a, 0, idx), lo, n);
}

/* A finished stay in a lost stage: count its lead once, if it is elsewhere now. */
static void left_stay(void *p, int64_t id, int64_t secs)
{
	(void)secs;
	struct left_ctx *l = p;
	size_t i = pl_index(l->a, id, false);
	if (i == SIZE_MAX || bit(l->a->seen, i))
		return;
	set_bit(l->a->seen, i);
	if (!bit(l->now, i))
		l->n++;
}

static int cmp_key(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/*
 * Every lead, one configured stage at a time (no stage to read per lead),
 * then the leads of stages the config lacks, from the gaps between its keys
 * in the index's (byte) order.
 */
static int scan_stages(struct acc *a)
{
	int rc = 0;
	const char **keys = xmalloc((a->nst ? a->nst : 1) * sizeof *keys);
	for (size_t i = 0; i < a->nst; i++)
		keys[i] = a->cfg->stages[i].key;
	for (size_t i = 0; !rc && i < a->nst; i++)
		rc = db_funnel_scan_stage(a->db, keys[i], fast_lead, a, a->err);
	qsort(keys, a->nst, sizeof *keys, cmp_key);
	for (size_t i = 0; !rc && i <= a->nst; i++)
		rc = db_funnel_scan_gap(a->db, i ? keys[i - 1] : NULL, i < a->nst ? keys[i] : NULL,
		                        fast_lead, a, a->err);
	free(keys);
	return rc;
}

static int fast_path(struct acc *a)
{
	struct db *db = a->db;
	group_of(a, NULL);
	int rc;
	if ((rc = scan_stages(a)) || (rc = db_funnel_hist(db, fast_hist, a, a->err)))
		return rc;
	int64_t count = 0; /* the leads, counted by the scan */
	for (size_t i = 0; i <= a->nst; i++)
		count += a->g[0].cells[i].cur;
	if ((rc = ids_init(a, count)))
		return rc;
	/* lost stages: in them now, or in them once and reopened since */
	size_t words = (a->span + 63) / 64;
	if (a->lostmap)
		a->seen = xmalloc((words ? words : 1) * sizeof *a->seen);
	for (size_t i = 0; i < a->nst; i++) {
		if (!is_lost(a, i))
			continue;
		int64_t left = 0;
		if (a->lostmap && a->lost_ord[i] >= 0) {
			struct left_ctx l = { a, lost_map(a, a->lost_ord[i]), 0 };
			memset(a->seen, 0, words * sizeof *a->seen);
			rc = db_funnel_stage_ids(db, a->cfg->stages[i].key, lost_now, &l, a->err);
			if (!rc)
				rc = db_funnel_stay_leads(db, a->cfg->stages[i].key, left_stay, &l,
				                          a->err);
			left = l.n;
		} else {
			rc = db_funnel_left(db, a->cfg->stages[i].key, &left, a->err);
		}
		if (rc)
			return rc;
		a->g[0].cells[i].reached = a->g[0].cells[i].cur + left;
	}
	return 0;
}

/* ---- the general path: selected leads, their stays ---- */

static const char *group_key(const struct acc *a, const struct db_funnel_lead *l, char *buf)
{
	switch (a->q->by) {
	case FUNNEL_BY_OWNER:
		return l->owner;
	case FUNNEL_BY_SOURCE:
		return l->source;
	case FUNNEL_BY_MONTH:
		ltime_fmt_date(l->created, buf);
		buf[7] = '\0'; /* YYYY-MM */
		return buf;
	case FUNNEL_BY_NONE:
		break;
	}
	return NULL;
}

/* Was the lead of index i ever in the lost stage of ordinal ord? */
static bool lost_bit(const struct acc *a, size_t i, int ord)
{
	return bit(a->lostmap + (size_t)ord * ((a->span + 63) / 64), i);
}

static void gen_lead(void *p, const struct db_funnel_lead *l)
{
	struct acc *a = p;
	size_t i = pl_index(a, l->id, true);
	if (i == SIZE_MAX)
		return; /* added since the id range was read */
	char buf[LTIME_BUFSZ];
	size_t gi = group_of(a, group_key(a, l, buf));
	struct group *g = &a->g[gi];
	size_t idx = stage_idx(a, l->stage, strlen(l->stage));
	if (idx == a->nst)
		count_other(g, l->stage, strlen(l->stage));
	struct cell *c = &g->cells[idx];
	c->cur++;
	if (a->times)
		add_stay(a, gi, idx, stay_len(a, l->entered));
	if (l->has_value) {
		add_checked(a, &c->value, l->value, "value");
		c->nvalue++;
	}
	struct plead *pl = &a->pl[i];
	pl->g = (int32_t)gi;
	pl->st = (uint16_t)idx;
	pl->max = (uint16_t)furthest(a, idx, -1);
	if (a->lost_ord[idx] >= 0 && a->lostmap)
		set_bit(lost_map(a, a->lost_ord[idx]), i);
}

static void gen_stay(void *p, int64_t lead_id, const char *stage, size_t len, int64_t secs)
{
	struct acc *a = p;
	size_t i = pl_index(a, lead_id, false);
	if (i == SIZE_MAX)
		return;
	struct plead *pl = &a->pl[i];
	if (pl->g < 0)
		return;
	size_t idx = stage_idx(a, stage, len);
	if (a->times)
		add_stay(a, (size_t)pl->g, idx, secs);
	if (a->lost_ord[idx] >= 0) {
		if (a->lostmap)
			set_bit(lost_map(a, a->lost_ord[idx]), i);
	} else if (idx < a->nst && !is_lost(a, idx) && idx > pl->max) {
		pl->max = (uint16_t)idx;
	}
}

struct where_ctx {
	struct acc *a;
	struct act_src src;
};

static int where_lead(const struct lead *l, void *p)
{
	struct where_ctx *w = p;
	struct acc *a = w->a;
	struct cond_env env = { .l = l, .cfg = a->cfg, .now = a->q->now };
	act_env(&env, &w->src);
	bool ok = cond_eval(a->q->f.where, &env, NULL);
	if (w->src.rc)
		return lerr_set(a->err, w->src.err.code, "%s", w->src.err.msg);
	if (!ok)
		return 0;
	struct db_funnel_lead fl = {
		.id = l->i[LI_ID],
		.entered = l->i[LI_STAGE_ENTERED_AT],
		.value = l->i[LI_VALUE],
		.has_value = l->has[LI_VALUE],
		.created = l->i[LI_CREATED_AT],
		.stage = lead_get(l, LT_STAGE),
		.owner = l->t[LT_OWNER],
		.source = l->t[LT_SOURCE],
	};
	gen_lead(a, &fl);
	return 0;
}

static int general_path(struct acc *a)
{
	struct db *db = a->db;
	a->general = true;
	if (a->nst >= UINT16_MAX)
		return lerr_set(a->err, EX_CONFIG, "too many stages (%zu) for the funnel", a->nst);
	int rc = ids_init(a, -1);
	if (rc)
		return rc;
	const struct funnel_filter *f = &a->q->f;
	if (f->where) {
		struct lead_filter lf = {
			.status = f->status,
			.owner = f->owner,
			.source = f->source,
			.created_since = f->since,
			.created_until = f->until,
		};
		struct where_ctx w = { .a = a, .src = { .db = db } };
		rc = db_lead_query(db, &lf, where_lead, &w, a->err);
		act_list_free(&w.src.list);
	} else {
		rc = db_funnel_scan(db, f, gen_lead, a, a->err);
	}
	if (rc || (rc = db_funnel_stays(db, gen_stay, a, a->err)))
		return rc;
	for (size_t i = 0; i < a->npl; i++) {
		const struct plead *pl = &a->pl[i];
		if (pl->g < 0)
			continue;
		struct group *g = &a->g[pl->g];
		if (a->nst)
			g->rh[pl->max]++;
		for (size_t s = 0; a->lostmap && s < a->nst; s++)
			if (a->lost_ord[s] >= 0 && lost_bit(a, i, a->lost_ord[s]))
				g->cells[s].reached++;
	}
	return 0;
}

/* ---- medians ---- */

/*
 * The k-th smallest (1-based) stay of a cell whose stays in [lo, hi) are
 * counted in its histogram: the stays of the range are read again (by
 * index) and counted into at most SEL_BINS bins of equal width, then the
 * bin holding the k-th is read again, until the bins are one second wide.
 * Memory is the bins, whatever the number of stays.
 */
enum { SEL_BINS = 4096 };

struct sel {
	struct acc *a;
	int32_t g; /* the cell's group; -1: any (fast path) */
	int64_t lo, hi, width;
	int64_t *bins;
	int64_t n; /* stays counted in [lo, hi) */
};

static void sel_count(struct sel *s, int64_t secs)
{
	if (secs < s->lo || secs >= s->hi)
		return;
	s->bins[(secs - s->lo) / s->width]++;
	s->n++;
}

static bool sel_lead(struct sel *s, int64_t id)
{
	if (s->g < 0)
		return true;
	size_t i = pl_index(s->a, id, false);
	return i != SIZE_MAX && s->a->pl[i].g == s->g;
}

static void sel_stay(void *p, int64_t id, int64_t secs)
{
	struct sel *s = p;
	if (sel_lead(s, id))
		sel_count(s, secs);
}

static void sel_current(void *p, int64_t id, int64_t entered)
{
	struct sel *s = p;
	if (sel_lead(s, id))
		sel_count(s, stay_len(s->a, entered));
}

static int64_t sat_sub(int64_t x, int64_t y)
{
	int64_t r;
	if (__builtin_sub_overflow(x, y, &r))
		return y > 0 ? INT64_MIN : INT64_MAX;
	return r;
}

/* Count the cell's stays in [s->lo, s->hi) into the bins. */
static int sel_read(struct sel *s, size_t idx)
{
	struct acc *a = s->a;
	const char *one = idx < a->nst ? a->cfg->stages[idx].key : NULL;
	size_t nkeys = one ? 1 : a->nokeys;
	/* current stays: now - entered in [lo, hi) (0 for any start after now) */
	int64_t after = sat_sub(a->q->now, s->hi);
	int64_t upto = s->lo > 0 ? sat_sub(a->q->now, s->lo) : INT64_MAX;
	memset(s->bins, 0, SEL_BINS * sizeof *s->bins);
	s->n = 0;
	for (size_t k = 0; k < nkeys; k++) {
		const char *key = one ? one : a->okeys[k];
		int rc = db_funnel_stay_range(a->db, key, s->lo, s->hi, sel_stay, s, a->err);
		if (!rc && after < upto)
			rc = db_funnel_current_range(a->db, key, after, upto, sel_current, s,
			                             a->err);
		if (rc)
			return rc;
	}
	return 0;
}

static int select_in(struct acc *a, size_t gi, size_t idx, int64_t lo, int64_t hi, int64_t want,
                     int64_t k, int64_t *out)
{
	int64_t bins[SEL_BINS];
	struct sel s = { .a = a, .g = a->general ? (int32_t)gi : -1, .bins = bins };
	for (;;) {
		s.lo = lo;
		s.hi = hi;
		uint64_t w = (uint64_t)hi - (uint64_t)lo;
		s.width = (int64_t)((w + SEL_BINS - 1) / SEL_BINS);
		int rc = sel_read(&s, idx);
		if (rc)
			return rc;
		if (s.n != want)
			return lerr_set(a->err, EX_SOFTWARE,
			                "the stay histogram of '%s' is out of step with its "
			                "stays (%lld counted, %lld found)",
			                idx < a->nst ? a->cfg->stages[idx].key : "other",
			                (long long)want, (long long)s.n);
		size_t j = 0;
		while (k > bins[j])
			k -= bins[j++];
		lo += (int64_t)j * s.width;
		if (s.width == 1) {
			*out = lo;
			return 0;
		}
		hi = lo + s.width < hi ? lo + s.width : hi;
		want = bins[j];
	}
}

/* The k-th smallest (1-based) stay of cell (group gi, stage idx). */
static int cell_kth(struct acc *a, size_t gi, size_t idx, int64_t k, int64_t *out)
{
	const struct cell *c = &a->g[gi].cells[idx];
	for (size_t j = 0; j < c->hn; j++) {
		const struct hent *h = &a->hv[c->hfirst + j];
		if (k <= h->n)
			return select_in(a, gi, idx, h->lo, funnel_bucket_end(h->lo), h->n, k, out);
		k -= h->n;
	}
	return lerr_set(a->err, EX_SOFTWARE, "the stay histogram is out of step with its stays");
}

/* Median and mean of the cell's stays, the current ones up to now. */
static int cell_times(struct acc *a, size_t gi, size_t idx, struct funnel_row *r)
{
	const struct cell *c = &a->g[gi].cells[idx];
	int64_t n = c->n;
	r->stays = n;
	if (!n)
		return 0;
	if (a->overflow)
		return 0; /* no figures: funnel_compute refuses the whole */
	int64_t sum = c->sum, m1 = 0, m2 = 0;
	int64_t k = (n + 1) / 2; /* 1-based: the median, or the lower middle one */
	int rc = cell_kth(a, gi, idx, k, &m1);
	if (!rc && n % 2 == 0)
		rc = cell_kth(a, gi, idx, k + 1, &m2);
	/* rounded to the nearest second without sum + n/2, which may not fit */
	r->mean = sum / n + (sum % n >= (n + 1) / 2);
	r->median = n % 2 ? m1 : m1 + (m2 - m1) / 2;
	return rc;
}

/* ---- rows ---- */

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

static int cmp_group(const void *x, const void *y)
{
	const struct funnel *a = x, *b = y;
	if (!a->group || !b->group)
		return (a->group == NULL) - (b->group == NULL);
	int c = strcasecmp(a->group, b->group);
	return c ? c : strcmp(a->group, b->group);
}

static int make_funnel(struct acc *a, size_t gi, struct funnel *f)
{
	struct group *g = &a->g[gi];
	memset(f, 0, sizeof *f);
	f->group = g->key;
	g->key = NULL;
	const struct config *cfg = a->cfg;
	struct cell *oc = &g->cells[a->nst];
	f->nrows = a->nst + (oc->cur > 0);
	f->rows = xcalloc(f->nrows ? f->nrows : 1, sizeof *f->rows);
	int64_t above = 0; /* leads whose furthest position is at or after i */
	for (size_t i = a->nst; i-- > 0;)
		if (!is_lost(a, i)) {
			above += g->rh[i];
			g->cells[i].reached = above;
		}
	int prev = -1;
	for (size_t i = 0; i < f->nrows; i++) {
		struct funnel_row *r = &f->rows[i];
		struct cell *c = &g->cells[i];
		if (i < a->nst) {
			const struct stage *s = &cfg->stages[i];
			r->pos = (int)i;
			r->key = s->key;
			r->name = s->name;
			r->grp = (int)s->grp;
			r->reached = c->reached;
			if (s->grp != GRP_LOST) {
				r->prev = prev;
				prev = (int)i;
			} else {
				r->prev = -1;
			}
			if (s->grp == GRP_WON)
				f->won += c->cur;
			if (s->grp == GRP_LOST)
				f->lost += c->cur;
		} else {
			r->pos = -1;
			r->name = "other";
			r->grp = -1;
			r->prev = -1;
			r->reached = -1;
		}
		r->current = c->cur;
		r->value = c->value;
		r->nvalue = c->nvalue;
		f->leads += c->cur;
		add_checked(a, &f->value, c->value, "value");
		int rc = a->times ? cell_times(a, gi, i, r) : 0;
		if (rc)
			return rc;
	}
	f->other = xcalloc(g->nother ? g->nother : 1, sizeof *f->other);
	for (size_t i = 0; i < g->nother; i++) {
		f->other[i].key = g->other[i].key;
		f->other[i].name = db_stage_name(a->db, g->other[i].key);
		f->other[i].n = g->other[i].n;
		g->other[i].key = NULL;
	}
	f->nother = g->nother;
	return 0;
}

int funnel_compute(struct db *db, const struct funnel_query *q, struct funnel_set *out,
                   struct lerr *err)
{
	memset(out, 0, sizeof *out);
	struct acc a;
	acc_init(&a, db, q, err);
	const struct funnel_filter *f = &q->f;
	bool filtered = f->owner || f->source || f->status || f->since || f->until || f->where;
	bool same = false, began;
	int rc = db_funnel_read_begin(db, &began, err);
	if (!rc && !filtered && q->by == FUNNEL_BY_NONE)
		rc = db_funnel_in_step(db, q->cfg, &same, err);
	out->fast = !rc && same;
	if (!rc)
		rc = out->fast ? fast_path(&a) : general_path(&a);
	if (!rc && q->by == FUNNEL_BY_NONE)
		group_of(&a, NULL); /* one funnel, even an empty one */
	if (!rc)
		hist_sort(&a);
	if (!rc) {
		out->v = xcalloc(a.ng ? a.ng : 1, sizeof *out->v);
		for (size_t i = 0; !rc && i < a.ng; i++) {
			rc = make_funnel(&a, i, &out->v[i]);
			out->n++;
		}
		qsort(out->v, out->n, sizeof *out->v, cmp_group);
	}
	db_funnel_read_end(db, began);
	if (!rc && a.overflow)
		rc = lerr_set(err, EX_DATAERR,
		              "the sum of the leads' %s does not fit in 64 bits; "
		              "refusing to show a wrong total",
		              a.overflow);
	acc_free(&a);
	if (rc)
		funnel_set_free(out);
	return rc;
}

void funnel_set_free(struct funnel_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct funnel *f = &s->v[i];
		free(f->group);
		free(f->rows);
		for (size_t k = 0; k < f->nother; k++) {
			free(f->other[k].key);
			free(f->other[k].name);
		}
		free(f->other);
	}
	free(s->v);
	memset(s, 0, sizeof *s);
}

int funnel_lead_ids(struct db *db, const struct funnel_query *q, const char *key, bool current_only,
                    int64_t **ids, size_t *n, struct lerr *err)
{
	*ids = NULL;
	*n = 0;
	struct acc a;
	acc_init(&a, db, q, err);
	a.times = false;
	int rc = general_path(&a);
	size_t idx = key ? (size_t)config_stage_pos(q->cfg, key) : a.nst;
	size_t cap = 0;
	for (size_t i = 0; !rc && i < a.npl; i++) {
		const struct plead *pl = &a.pl[i];
		if (pl->g < 0)
			continue;
		bool in;
		if (current_only || idx == a.nst)
			in = (size_t)pl->st == idx;
		else if (is_lost(&a, idx))
			in = (size_t)pl->st == idx || (a.lost_ord[idx] >= 0 && a.lostmap &&
			                               lost_bit(&a, i, a.lost_ord[idx]));
		else
			in = (size_t)pl->max >= idx;
		if (in) {
			*ids = xgrow(*ids, &cap, *n + 1, sizeof **ids);
			(*ids)[(*n)++] = pl_id(&a, i);
		}
	}
	if (a.sparse && *n) /* in the order the leads came */
		qsort(*ids, *n, sizeof **ids, cmp_i64);
	acc_free(&a);
	return rc;
}

/* ---- ratios ---- */

bool funnel_conv_prev(const struct funnel *f, size_t row, double *out)
{
	const struct funnel_row *r = &f->rows[row];
	if (r->grp < 0 || r->grp == GRP_LOST || r->prev < 0)
		return false;
	int64_t den = f->rows[r->prev].reached;
	if (den <= 0)
		return false;
	*out = (double)r->reached / (double)den;
	return true;
}

bool funnel_conv_top(const struct funnel *f, size_t row, double *out)
{
	const struct funnel_row *r = &f->rows[row];
	if (r->grp < 0 || f->leads <= 0)
		return false;
	*out = (double)r->reached / (double)f->leads;
	return true;
}

bool funnel_win_rate(const struct funnel *f, double *out)
{
	if (f->won + f->lost <= 0)
		return false;
	*out = (double)f->won / (double)(f->won + f->lost);
	return true;
}
