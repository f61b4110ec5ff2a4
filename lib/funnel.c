/*
 * funnel.c - the funnel's numbers (see funnel.h for their definitions).
 *
 * Everything is gathered into cells, one per group and stage (the last
 * stage index, nst, is "other"), then turned into rows:
 *
 *  - current, value and the current stays (their start times, b) from the
 *    leads;
 *  - the finished stays (their lengths, a) from the stays table: all of
 *    them on the general path; on the fast path only the stay histogram,
 *    which gives counts and sums at once, and the exact lengths of the one
 *    bucket that holds a median;
 *  - reached from each lead's furthest position outside the lost stages:
 *    reached_pos on the fast path, the stages of its stays and its current
 *    stage on the general one (so the tests comparing the two paths check
 *    reached_pos as well).
 */
#include "funnel.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "activity.h"
#include "ltime.h"

struct vec {
	int64_t *v;
	size_t n, cap;
};

static void vec_push(struct vec *a, int64_t x)
{
	if (a->n == a->cap)
		a->v = xgrow(a->v, &a->cap, a->n + 1, sizeof *a->v);
	a->v[a->n++] = x;
}

struct bucket {
	int64_t lo, n;
};

struct cell {
	int64_t cur, value, nvalue, reached;
	int64_t na, sum_a; /* finished stays */
	struct vec a;      /* their lengths (general path; "other" on the fast path) */
	struct bucket *hist;
	size_t nhist, caphist;
	const char *hist_key; /* the stage whose histogram this is */
	struct vec b;         /* start times of the current stays */
	bool b_unsorted;
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

/* Per lead on the general path: indexed by id - idlo, or found by a hash
 * of the id when the ids are too sparse for that (see pl_find). */
struct plead {
	int64_t id;
	int32_t g;     /* group; -1: not selected */
	int32_t st;    /* stage index now */
	int32_t max;   /* furthest position outside the lost stages */
	uint64_t lost; /* lost stages visited, by lost ordinal */
};

struct acc {
	const struct funnel_query *q;
	const struct config *cfg;
	struct db *db;
	size_t nst;
	int *lost_ord; /* per stage: ordinal among the lost stages (< 64), else -1 */
	struct group *g;
	size_t ng, capg;
	struct ci_index gix; /* the groups by key */
	size_t none_g;       /* group of NULL keys + 1, 0 = none yet */
	/* last stage looked up */
	char *last;
	size_t last_len, last_cap;
	int last_idx;
	/* fast path: the lengths of the last bucket read (a median's two middle
	 * stays are mostly in the same one) */
	const char *bkey;
	int64_t blo;
	int64_t *bv;
	size_t bn;
	/* general path */
	int64_t idlo, idhi;
	struct plead *pl;
	size_t npl, cappl;
	bool sparse;
	size_t *idht; /* sparse: index into pl + 1 */
	size_t idhtcap;
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

/* now - start: a stay's length so far, checked like the sums */
static int64_t stay_len(struct acc *a, int64_t start)
{
	int64_t r;
	if (__builtin_sub_overflow(a->q->now, start, &r)) {
		if (!a->overflow)
			a->overflow = "time in stage";
		return start < 0 ? INT64_MAX : 0;
	}
	return r;
}

static bool is_lost(const struct acc *a, size_t idx)
{
	return idx < a->nst && a->cfg->stages[idx].grp == GRP_LOST;
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
	a->lost_ord = xcalloc(a->nst + 1, sizeof *a->lost_ord);
	int n = 0;
	for (size_t i = 0; i < a->nst; i++)
		a->lost_ord[i] = q->cfg->stages[i].grp == GRP_LOST && n < 64 ? n++ : -1;
	a->lost_ord[a->nst] = -1;
}

static void acc_free(struct acc *a)
{
	for (size_t i = 0; i < a->ng; i++) {
		struct group *g = &a->g[i];
		for (size_t s = 0; s <= a->nst; s++) {
			free(g->cells[s].a.v);
			free(g->cells[s].b.v);
			free(g->cells[s].hist);
		}
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
	free(a->pl);
	free(a->idht);
	free(a->lost_ord);
	free(a->bv);
}

static void add_current(struct cell *c, int64_t entered)
{
	if (c->b.n && entered < c->b.v[c->b.n - 1])
		c->b_unsorted = true;
	vec_push(&c->b, entered);
	c->cur++;
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

static void fast_lead(void *p, const char *stage, size_t len, int64_t entered, int64_t reached,
                      bool has_value, int64_t value)
{
	struct acc *a = p;
	struct group *g = &a->g[0];
	size_t idx = stage_idx(a, stage, len);
	if (idx == a->nst)
		count_other(g, stage, len);
	struct cell *c = &g->cells[idx];
	add_current(c, entered);
	if (has_value) {
		add_checked(a, &c->value, value, "value");
		c->nvalue++;
	}
	if (a->nst)
		g->rh[furthest(a, idx, reached)]++;
}

struct hist_ctx {
	struct acc *a;
	char **other; /* stage keys of the histogram the config lacks */
	size_t nother, cap;
};

static void fast_hist(void *p, const char *stage, int64_t lo, int64_t n, int64_t secs)
{
	struct hist_ctx *h = p;
	struct acc *a = h->a;
	size_t idx = stage_idx(a, stage, strlen(stage));
	struct cell *c = &a->g[0].cells[idx];
	if (idx == a->nst) {
		/* several removed stages share "other": read their stays exactly */
		if (!h->nother || strcmp(h->other[h->nother - 1], stage) != 0) {
			h->other = xgrow(h->other, &h->cap, h->nother + 1, sizeof *h->other);
			h->other[h->nother++] = xstrdup(stage);
		}
		return;
	}
	c->hist = xgrow(c->hist, &c->caphist, c->nhist + 1, sizeof *c->hist);
	c->hist[c->nhist].lo = lo;
	c->hist[c->nhist].n = n;
	c->nhist++;
	c->hist_key = a->cfg->stages[idx].key;
	c->na += n;
	add_checked(a, &c->sum_a, secs, "time in stage");
}

static int fast_path(struct acc *a)
{
	struct db *db = a->db;
	group_of(a, NULL);
	int rc;
	if ((rc = db_funnel_scan_all(db, fast_lead, a, a->err)))
		return rc;
	struct hist_ctx h = { .a = a };
	rc = db_funnel_hist(db, fast_hist, &h, a->err);
	struct cell *oc = &a->g[0].cells[a->nst];
	for (size_t i = 0; i < h.nother; i++) {
		int64_t *v = NULL;
		size_t n = 0;
		if (!rc)
			rc = db_funnel_stay_range(db, h.other[i], 0, INT64_MAX, &v, &n, a->err);
		for (size_t k = 0; k < n; k++) {
			vec_push(&oc->a, v[k]);
			add_checked(a, &oc->sum_a, v[k], "time in stage");
		}
		oc->na += (int64_t)n;
		free(v);
		free(h.other[i]);
	}
	free(h.other);
	if (rc)
		return rc;
	/* lost stages: in them now, or in them once and reopened since */
	for (size_t i = 0; i < a->nst; i++) {
		if (!is_lost(a, i))
			continue;
		int64_t left = 0;
		if ((rc = db_funnel_left(db, a->cfg->stages[i].key, &left, a->err)))
			return rc;
		a->g[0].cells[i].reached = a->g[0].cells[i].cur + left;
	}
	return 0;
}

/* ---- the general path: selected leads, their stays ---- */

static uint64_t hash_id(int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15u;
	return h ^ (h >> 29);
}

/* The record of lead id (made with create), NULL if there is none. */
static struct plead *pl_find(struct acc *a, int64_t id, bool create)
{
	if (!a->sparse) {
		if (id < a->idlo || id > a->idhi)
			return NULL;
		return &a->pl[id - a->idlo];
	}
	if (a->idhtcap) {
		for (size_t j = (size_t)(hash_id(id) & (a->idhtcap - 1)); a->idht[j];
		     j = (j + 1) & (a->idhtcap - 1))
			if (a->pl[a->idht[j] - 1].id == id)
				return &a->pl[a->idht[j] - 1];
	}
	if (!create)
		return NULL;
	if (2 * (a->npl + 1) > a->idhtcap) {
		size_t cap = a->idhtcap ? 2 * a->idhtcap : 1024;
		size_t *ht = xcalloc(cap, sizeof *ht);
		for (size_t i = 0; i < a->npl; i++) {
			size_t j = (size_t)(hash_id(a->pl[i].id) & (cap - 1));
			while (ht[j])
				j = (j + 1) & (cap - 1);
			ht[j] = i + 1;
		}
		free(a->idht);
		a->idht = ht;
		a->idhtcap = cap;
	}
	a->pl = xgrow(a->pl, &a->cappl, a->npl + 1, sizeof *a->pl);
	a->pl[a->npl] = (struct plead){ .id = id, .g = -1 };
	size_t j = (size_t)(hash_id(id) & (a->idhtcap - 1));
	while (a->idht[j])
		j = (j + 1) & (a->idhtcap - 1);
	a->idht[j] = ++a->npl;
	return &a->pl[a->npl - 1];
}

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

static void gen_lead(void *p, const struct db_funnel_lead *l)
{
	struct acc *a = p;
	if (!pl_find(a, l->id, true))
		return; /* added since the id range was read */
	char buf[LTIME_BUFSZ];
	size_t gi = group_of(a, group_key(a, l, buf));
	struct group *g = &a->g[gi];
	size_t idx = stage_idx(a, l->stage, strlen(l->stage));
	if (idx == a->nst)
		count_other(g, l->stage, strlen(l->stage));
	struct cell *c = &g->cells[idx];
	add_current(c, l->entered);
	if (l->has_value) {
		add_checked(a, &c->value, l->value, "value");
		c->nvalue++;
	}
	struct plead *pl = pl_find(a, l->id, false);
	pl->g = (int32_t)gi;
	pl->st = (int32_t)idx;
	pl->max = (int32_t)furthest(a, idx, -1);
	pl->lost = a->lost_ord[idx] >= 0 ? (uint64_t)1 << a->lost_ord[idx] : 0;
}

static void gen_stay(void *p, int64_t lead_id, const char *stage, size_t len, int64_t secs)
{
	struct acc *a = p;
	struct plead *pl = pl_find(a, lead_id, false);
	if (!pl || pl->g < 0)
		return;
	size_t idx = stage_idx(a, stage, len);
	struct cell *c = &a->g[pl->g].cells[idx];
	vec_push(&c->a, secs);
	c->na++;
	add_checked(a, &c->sum_a, secs, "time in stage");
	if (a->lost_ord[idx] >= 0)
		pl->lost |= (uint64_t)1 << a->lost_ord[idx];
	else if (idx < a->nst && !is_lost(a, idx) && (int32_t)idx > pl->max)
		pl->max = (int32_t)idx;
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
	int rc = db_funnel_id_range(db, &a->idlo, &a->idhi, a->err);
	if (rc)
		return rc;
	uint64_t span = a->idhi >= a->idlo && a->idhi ? (uint64_t)(a->idhi - a->idlo) + 1 : 0;
	int64_t count = db_lead_count(db);
	/* ids are dense unless someone wrote huge ones by hand: then hash them */
	a->sparse = count < 0 || span > 4 * (uint64_t)count + 65536;
	if (!a->sparse) {
		a->npl = (size_t)span;
		a->pl = xmalloc((span ? span : 1) * sizeof *a->pl);
		for (size_t i = 0; i < a->npl; i++)
			a->pl[i] = (struct plead){ .id = a->idlo + (int64_t)i, .g = -1 };
		if (!span)
			a->idlo = 1, a->idhi = 0; /* no lead id fits */
	}
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
		for (size_t s = 0; s < a->nst; s++)
			if (a->lost_ord[s] >= 0 && (pl->lost >> a->lost_ord[s] & 1))
				g->cells[s].reached++;
	}
	return 0;
}

/* ---- medians ---- */

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* The k-th smallest (1-based) of two ascending arrays holding at least k. */
static int64_t kth2(const int64_t *a, size_t na, const int64_t *b, size_t nb, size_t k)
{
	size_t lo = k > nb ? k - nb : 0, hi = k < na ? k : na;
	while (lo < hi) { /* the first i (taken from a) with a[i] >= b[k - i - 1] */
		size_t i = lo + (hi - lo) / 2, j = k - i;
		if (i < na && j > 0 && a[i] < b[j - 1])
			lo = i + 1;
		else
			hi = i;
	}
	int64_t x = lo > 0 ? a[lo - 1] : INT64_MIN;
	int64_t y = k - lo > 0 ? b[k - lo - 1] : INT64_MIN;
	return x > y ? x : y;
}

/* How many of the ascending b are below x. */
static size_t below(const int64_t *b, size_t nb, int64_t x)
{
	size_t lo = 0, hi = nb;
	while (lo < hi) {
		size_t m = lo + (hi - lo) / 2;
		if (b[m] < x)
			lo = m + 1;
		else
			hi = m;
	}
	return lo;
}

/*
 * The k-th smallest of the finished stays (as the histogram of c) and the
 * current stays d (ascending): walk the buckets counting both, then read
 * the exact lengths of the one bucket where the k-th falls.
 */
static int kth_hist(struct acc *a, const struct cell *c, const int64_t *d, size_t nd, size_t k,
                    int64_t *out)
{
	size_t ca = 0;
	for (size_t j = 0; j < c->nhist; j++) {
		int64_t lo = c->hist[j].lo, hi = funnel_bucket_end(lo);
		size_t bl = below(d, nd, lo);
		if (ca + bl >= k) {
			*out = d[k - ca - 1];
			return 0;
		}
		size_t bh = below(d, nd, hi);
		if (ca + bh + (size_t)c->hist[j].n >= k) {
			if (a->bkey != c->hist_key || a->blo != lo) {
				free(a->bv);
				a->bv = NULL;
				a->bkey = NULL;
				int rc = db_funnel_stay_range(a->db, c->hist_key, lo, hi, &a->bv,
				                              &a->bn, a->err);
				if (rc)
					return rc;
				a->bkey = c->hist_key;
				a->blo = lo;
			}
			if (a->bn != (size_t)c->hist[j].n)
				return lerr_set(
				    a->err, EX_SOFTWARE,
				    "the stay histogram of '%s' is out of step with its "
				    "stays (%lld counted, %zu found)",
				    c->hist_key, (long long)c->hist[j].n, a->bn);
			*out = kth2(a->bv, a->bn, d + bl, bh - bl, k - ca - bl);
			return 0;
		}
		ca += (size_t)c->hist[j].n;
	}
	*out = d[k - ca - 1];
	return 0;
}

/*
 * The k-th smallest (0-based) of v[0..n), by quickselect: v is reordered so
 * that v[k] holds it, smaller ones before and larger ones after. Linear on
 * average; the pivot is the middle of three, so sorted input is no worse.
 */
static int64_t select_k(int64_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int64_t x = v[lo], y = v[mid], z = v[hi];
		int64_t pivot =
		    x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
		size_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i <= j) {
				int64_t t = v[i];
				v[i] = v[j];
				v[j] = t;
				i++;
				if (j == 0)
					break;
				j--;
			}
		}
		if (k <= j)
			hi = j;
		else if (k >= i)
			lo = i;
		else
			return v[k];
	}
	return v[k];
}

/* Median and mean of the cell's stays, the current ones up to now. */
static int cell_times(struct acc *a, struct cell *c, struct funnel_row *r)
{
	size_t nd = c->b.n, n = (size_t)c->na + nd;
	r->stays = (int64_t)n;
	if (!n)
		return 0;
	int64_t sum = c->sum_a, m1 = 0, m2 = 0;
	size_t k = (n + 1) / 2; /* 1-based: the median, or the lower middle one */
	int rc = 0;
	if (c->nhist) {
		/* the fast path: the current stays in index order, the finished
		 * ones as the histogram; start times ascending = lengths descending */
		if (c->b_unsorted)
			qsort(c->b.v, nd, sizeof *c->b.v, cmp_i64);
		int64_t *d = xmalloc((nd ? nd : 1) * sizeof *d);
		for (size_t i = 0; i < nd; i++) {
			int64_t len = stay_len(a, c->b.v[nd - 1 - i]);
			d[i] = len > 0 ? len : 0;
			add_checked(a, &sum, d[i], "time in stage");
		}
		rc = kth_hist(a, c, d, nd, k, &m1);
		if (!rc && n % 2 == 0)
			rc = kth_hist(a, c, d, nd, k + 1, &m2);
		free(d);
	} else {
		/* everything in memory: both kinds of stay in one array, selected */
		int64_t *u = xmalloc(n * sizeof *u);
		if (c->a.n)
			memcpy(u, c->a.v, c->a.n * sizeof *u);
		for (size_t i = 0; i < nd; i++) {
			int64_t len = stay_len(a, c->b.v[i]);
			u[c->a.n + i] = len > 0 ? len : 0;
			add_checked(a, &sum, u[c->a.n + i], "time in stage");
		}
		m1 = select_k(u, n, k - 1);
		if (n % 2 == 0) { /* the next one up: the least of those after it */
			m2 = u[k];
			for (size_t i = k + 1; i < n; i++)
				if (u[i] < m2)
					m2 = u[i];
		}
		free(u);
	}
	/* rounded to the nearest second without sum + n/2, which may not fit */
	r->mean = sum / (int64_t)n + (sum % (int64_t)n >= ((int64_t)n + 1) / 2);
	r->median = n % 2 ? m1 : m1 + (m2 - m1) / 2;
	return rc;
}

/* ---- rows ---- */

static int cmp_group(const void *x, const void *y)
{
	const struct funnel *a = x, *b = y;
	if (!a->group || !b->group)
		return (a->group == NULL) - (b->group == NULL);
	int c = strcasecmp(a->group, b->group);
	return c ? c : strcmp(a->group, b->group);
}

static int make_funnel(struct acc *a, struct group *g, struct funnel *f)
{
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
		int rc = cell_times(a, c, r);
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
	bool same = false;
	int rc = 0;
	if (!filtered && q->by == FUNNEL_BY_NONE)
		rc = db_funnel_in_step(db, q->cfg, &same, err);
	out->fast = !rc && same;
	if (!rc)
		rc = out->fast ? fast_path(&a) : general_path(&a);
	if (!rc && q->by == FUNNEL_BY_NONE)
		group_of(&a, NULL); /* one funnel, even an empty one */
	if (!rc) {
		out->v = xcalloc(a.ng ? a.ng : 1, sizeof *out->v);
		for (size_t i = 0; !rc && i < a.ng; i++) {
			rc = make_funnel(&a, &a.g[i], &out->v[i]);
			out->n++;
		}
		qsort(out->v, out->n, sizeof *out->v, cmp_group);
	}
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
			in = (size_t)pl->st == idx ||
			     (a.lost_ord[idx] >= 0 && (pl->lost >> a.lost_ord[idx] & 1));
		else
			in = (size_t)pl->max >= idx;
		if (in) {
			*ids = xgrow(*ids, &cap, *n + 1, sizeof **ids);
			(*ids)[(*n)++] = pl->id;
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
