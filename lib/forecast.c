/*
 * forecast.c - the forecast's numbers (definitions in forecast.h and
 * leads-report(1)). Two reads: every lead (their stage, value, dates and
 * furthest position), and the stays of the won leads (how long a stage
 * took to be won). Everything else is done here, the same on both
 * backends.
 */
#include "forecast.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltime.h"
#include "tz.h"
#include "workflow.h"

#define COMMIT_BP 9000

struct lrow {
	char *owner;
	size_t idx; /* stage index; nst = not in the config */
	bool unqualified;
	bool has_value;
	int64_t value, entered, reached;
	char *close_date, *category;
};

struct fc {
	const struct config *cfg;
	const struct tz *tz;
	size_t nst;
	struct lrow *l;
	size_t nl, cap;
	int64_t **rem; /* per stage: times from entering it to being won */
	size_t *nrem, *caprem;
	const char *overflow;
};

static void add(struct fc *f, int64_t *sum, int64_t x, const char *what)
{
	if (__builtin_add_overflow(*sum, x, sum) && !f->overflow)
		f->overflow = what;
}

static size_t stage_idx(const struct config *cfg, const char *key)
{
	for (size_t i = 0; key && i < cfg->nstages; i++)
		if (strcmp(cfg->stages[i].key, key) == 0)
			return i;
	return cfg->nstages;
}

static int32_t offset(const struct tz *tz, int64_t t)
{
	return tz ? tz_offset(tz, t) : 0;
}

/* The month of instant t: year * 12 + month - 1. */
static int64_t month_of(const struct tz *tz, int64_t t)
{
	int64_t l = t + offset(tz, t);
	int64_t d = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
	int64_t y;
	unsigned m, dd;
	ltime_civil_from_days(d, &y, &m, &dd);
	return y * 12 + (m - 1);
}

int64_t forecast_month_start(const struct config *cfg, int64_t t)
{
	const struct tz *tz = workflow_tz(cfg);
	int64_t mo = month_of(tz, t);
	int64_t local = ltime_days_from_civil(mo / 12, (unsigned)(mo % 12) + 1, 1) * 86400;
	return tz ? tz_local_to_utc(tz, local) : local;
}

static void month_text(int64_t mo, char *buf, size_t n)
{
	snprintf(buf, n, "%04lld-%02d", (long long)(mo / 12), (int)(mo % 12) + 1);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void lead_row(const struct fc_lead_row *in, void *p)
{
	struct fc *f = p;
	if (f->nl == f->cap)
		f->l = xgrow(f->l, &f->cap, f->nl + 1, sizeof *f->l);
	struct lrow *r = &f->l[f->nl++];
	memset(r, 0, sizeof *r);
	r->owner = in->owner ? xstrdup(in->owner) : NULL;
	r->idx = stage_idx(f->cfg, in->stage);
	r->unqualified = in->status && strcmp(in->status, "unqualified") == 0;
	r->has_value = in->has_value;
	r->value = in->has_value ? in->value : 0;
	r->entered = in->entered;
	r->close_date = in->close_date ? xstrdup(in->close_date) : NULL;
	r->reached = in->reached;
	r->category = in->category ? xstrdup(in->category) : NULL;
}

/* A stay of a lead in a won stage now: how long its stage took to be won. */
static void stay_row(const char *stage, int64_t entered, const char *now_stage, int64_t now_entered,
                     void *p)
{
	struct fc *f = p;
	size_t now_idx = stage_idx(f->cfg, now_stage);
	if (now_idx >= f->nst || f->cfg->stages[now_idx].grp != GRP_WON)
		return;
	size_t i = stage_idx(f->cfg, stage);
	if (i >= f->nst || f->cfg->stages[i].grp != GRP_ACTIVE)
		return;
	int64_t d;
	if (__builtin_sub_overflow(now_entered, entered, &d) || d < 0)
		return;
	if (f->nrem[i] == f->caprem[i])
		f->rem[i] = xgrow(f->rem[i], &f->caprem[i], f->nrem[i] + 1, sizeof **f->rem);
	f->rem[i][f->nrem[i]++] = d;
}

/* The furthest position outside the lost stages (as the funnel's reached). */
static int64_t furthest(const struct fc *f, const struct lrow *r)
{
	int64_t p = r->reached;
	if (r->idx < f->nst && f->cfg->stages[r->idx].grp != GRP_LOST && (int64_t)r->idx > p)
		p = (int64_t)r->idx;
	return p;
}

struct acc {
	struct fc_row *v;
	size_t n, cap;
};

static struct fc_row *row_for(struct acc *a, const char *key)
{
	for (size_t i = 0; i < a->n; i++)
		if ((!key && !a->v[i].key) || (key && a->v[i].key && str_ieq(key, a->v[i].key)))
			return &a->v[i];
	if (a->n == a->cap)
		a->v = xgrow(a->v, &a->cap, a->n + 1, sizeof *a->v);
	struct fc_row *r = &a->v[a->n++];
	memset(r, 0, sizeof *r);
	r->key = key ? xstrdup(key) : NULL;
	r->median_secs = -1;
	return r;
}

static int cmp_key(const void *a, const void *b)
{
	const struct fc_row *x = a, *y = b;
	if (!x->key || !y->key)
		return !x->key - !y->key; /* no date / no owner last */
	return strcmp(x->key, y->key);
}

/* Weighted sums are kept in cents x basis points and rounded at the end. */
static int64_t round_bp(int64_t v)
{
	return v >= 0 ? (v + 5000) / 10000 : -((-v + 5000) / 10000);
}

int forecast_run(struct db *db, const struct config *cfg, int64_t now, int64_t since, enum fc_by by,
                 struct forecast *out, struct lerr *err)
{
	memset(out, 0, sizeof *out);
	struct fc f = { .cfg = cfg, .tz = workflow_tz(cfg), .nst = cfg->nstages };
	f.rem = xcalloc(f.nst + 1, sizeof *f.rem);
	f.nrem = xcalloc(f.nst + 1, sizeof *f.nrem);
	f.caprem = xcalloc(f.nst + 1, sizeof *f.caprem);
	int rc = db_forecast_leads(db, lead_row, &f, err);
	if (!rc)
		rc = db_forecast_stays(db, stay_row, &f, err);

	/* per stage: probability, its source and sample, the median time to won */
	int *prob = xcalloc(f.nst + 1, sizeof *prob);
	enum fc_src *src = xcalloc(f.nst + 1, sizeof *src);
	int64_t *n = xcalloc(f.nst + 1, sizeof *n), *nw = xcalloc(f.nst + 1, sizeof *nw);
	int64_t *median = xcalloc(f.nst + 1, sizeof *median);
	for (size_t i = 0; !rc && i < f.nl; i++) {
		const struct lrow *r = &f.l[i];
		if (r->idx >= f.nst || f.cfg->stages[r->idx].grp == GRP_ACTIVE)
			continue;
		bool won = cfg->stages[r->idx].grp == GRP_WON;
		int64_t p = furthest(&f, r);
		for (size_t s = 0; s < f.nst && (int64_t)s <= p; s++) {
			if (cfg->stages[s].grp != GRP_ACTIVE)
				continue;
			n[s]++;
			nw[s] += won;
		}
	}
	for (size_t s = 0; s < f.nst; s++) {
		const struct stage *st = &cfg->stages[s];
		if (st->probability >= 0) {
			prob[s] = st->probability;
			src[s] = FC_SRC_CONFIG;
		} else if (st->grp == GRP_WON) {
			prob[s] = 10000;
			src[s] = FC_SRC_NONE;
		} else if (n[s] > 0) {
			prob[s] = (int)((nw[s] * 10000 + n[s] / 2) / n[s]);
			src[s] = FC_SRC_HISTORY;
		}
		median[s] = -1;
		if (f.nrem[s]) {
			qsort(f.rem[s], f.nrem[s], sizeof **f.rem, cmp_i64);
			size_t k = f.nrem[s];
			median[s] = k % 2 ? f.rem[s][k / 2]
			                  : f.rem[s][k / 2 - 1] / 2 + f.rem[s][k / 2] / 2 +
			                        (f.rem[s][k / 2 - 1] % 2 + f.rem[s][k / 2] % 2) / 2;
		}
	}

	int64_t mo_now = month_of(f.tz, now), mo_since = month_of(f.tz, since);
	month_text(mo_now, out->month_now, sizeof out->month_now);
	struct acc a = { 0 };
	if (!rc && by == FC_BY_STAGE) {
		for (size_t s = 0; s < f.nst; s++) {
			if (cfg->stages[s].grp != GRP_ACTIVE)
				continue;
			struct fc_row *r = row_for(&a, cfg->stages[s].key);
			r->label = xstrdup(cfg->stages[s].name);
			r->prob = prob[s];
			r->src = src[s];
			r->sample = n[s];
			r->sample_won = nw[s];
			r->median_secs = median[s];
		}
	}
	if (!rc && by == FC_BY_MONTH) {
		int64_t last = mo_now;
		for (int64_t m = mo_since; m <= last; m++) {
			char k[32];
			month_text(m, k, sizeof k);
			row_for(&a, k);
		}
	}
	int64_t best_bp_total = 0;
	int64_t *best_bp = NULL; /* per row, parallel to a.v (grown as rows come) */
	size_t best_cap = 0;
	for (size_t i = 0; !rc && i < f.nl; i++) {
		const struct lrow *l = &f.l[i];
		if (l->idx >= f.nst)
			continue;
		enum stage_group g = cfg->stages[l->idx].grp;
		bool open = g == GRP_ACTIVE && !l->unqualified;
		bool won = g == GRP_WON && l->entered >= since && l->entered <= now;
		if (!open && !won)
			continue;
		char key[32];
		const char *k = NULL;
		if (by == FC_BY_OWNER) {
			k = l->owner;
		} else if (by == FC_BY_STAGE) {
			if (!open)
				continue;
			k = cfg->stages[l->idx].key;
		} else {
			int64_t mo = -1, days;
			if (won) {
				mo = month_of(f.tz, l->entered);
			} else if (l->close_date && lead_date_ok(l->close_date, &days)) {
				int64_t y;
				unsigned m, d;
				ltime_civil_from_days(days, &y, &m, &d);
				mo = y * 12 + (m - 1);
			} else if (median[l->idx] >= 0) {
				int64_t t;
				if (!__builtin_add_overflow(l->entered, median[l->idx], &t))
					mo = month_of(f.tz, t);
			}
			if (mo >= 0 && open && mo < mo_now)
				mo = mo_now; /* overdue: expected now */
			if (mo >= 0) {
				month_text(mo, key, sizeof key);
				k = key;
			}
		}
		struct fc_row *r = row_for(&a, k);
		size_t ri = (size_t)(r - a.v);
		if (a.cap > best_cap) {
			size_t old = best_cap;
			best_bp = xgrow(best_bp, &best_cap, a.cap, sizeof *best_bp);
			memset(best_bp + old, 0, (best_cap - old) * sizeof *best_bp);
		}
		if (won) {
			add(&f, &r->won, l->value, "won value");
			add(&f, &out->total.won, l->value, "won value");
			r->nwon++;
			out->total.nwon++;
			continue;
		}
		int p = prob[l->idx];
		int64_t w;
		if (__builtin_mul_overflow(l->value, (int64_t)p, &w) && !f.overflow)
			f.overflow = "weighted value";
		r->deals++;
		out->total.deals++;
		add(&f, &r->pipeline, l->value, "value");
		add(&f, &out->total.pipeline, l->value, "value");
		add(&f, &best_bp[ri], w, "weighted value");
		add(&f, &best_bp_total, w, "weighted value");
		if (p >= COMMIT_BP || (l->category && str_ieq(l->category, "commit"))) {
			add(&f, &r->commit, l->value, "commit value");
			add(&f, &out->total.commit, l->value, "commit value");
		}
	}
	for (size_t i = 0; i < a.n; i++)
		a.v[i].best = best_bp ? round_bp(best_bp[i]) : 0;
	if (by == FC_BY_MONTH) {
		/* every month from the first to the last, empty ones too */
		int64_t last = mo_now;
		for (size_t i = 0; i < a.n; i++) {
			int y, m;
			if (a.v[i].key && sscanf(a.v[i].key, "%d-%d", &y, &m) == 2 &&
			    (int64_t)y * 12 + m - 1 > last)
				last = (int64_t)y * 12 + m - 1;
		}
		for (int64_t m = mo_now; m <= last; m++) {
			char k[32];
			month_text(m, k, sizeof k);
			row_for(&a, k);
		}
	}
	out->total.best = round_bp(best_bp_total);
	out->total.median_secs = -1;
	free(best_bp);
	if (by != FC_BY_STAGE && a.n)
		qsort(a.v, a.n, sizeof *a.v, cmp_key);
	out->v = a.v;
	out->n = a.n;
	if (!rc && f.overflow)
		rc = lerr_set(err, EX_DATAERR,
		              "the sum of the leads' %s does not fit in 64 bits; refusing to show "
		              "a wrong total",
		              f.overflow);
	for (size_t i = 0; i < f.nl; i++) {
		free(f.l[i].owner);
		free(f.l[i].close_date);
		free(f.l[i].category);
	}
	free(f.l);
	for (size_t s = 0; s <= f.nst; s++)
		free(f.rem[s]);
	free(f.rem);
	free(f.nrem);
	free(f.caprem);
	free(prob);
	free(src);
	free(n);
	free(nw);
	free(median);
	if (rc)
		forecast_free(out);
	return rc;
}

void forecast_free(struct forecast *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].key);
		free(f->v[i].label);
	}
	free(f->v);
	memset(f, 0, sizeof *f);
}

/* ---- the picture ---- */

#define SVG_W   760
#define LABEL_W 150
#define BARS_W  430
#define ROW_H   58
#define MARGIN  20
#define TITLE_H 70

static void money(int64_t cents, char *buf)
{
	lead_money_fmt(cents, buf);
}

void forecast_svg(const struct forecast *f, enum fc_by by, const char *title, struct sb *out)
{
	static const struct {
		const char *name, *fill;
	} series[] = { { "pipeline", "#bab0ac" },
		       { "best case", "#4c78a8" },
		       { "commit", "#1f3b66" },
		       { "won", "#54a24b" } };
	int64_t max = 1;
	for (size_t i = 0; i < f->n; i++) {
		const struct fc_row *r = &f->v[i];
		int64_t v[] = { r->pipeline, r->best, r->commit, r->won };
		for (int k = 0; k < 4; k++)
			if (v[k] > max)
				max = v[k];
	}
	int h = TITLE_H + (int)f->n * ROW_H + MARGIN;
	sb_addf(out,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
	        "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
	        SVG_W, h, SVG_W, h);
	sb_addf(out, "<text x=\"%d\" y=\"30\" font-size=\"18\" font-weight=\"bold\">", MARGIN);
	sb_add_xml(out, title);
	sb_adds(out, "</text>\n");
	for (int k = 0; k < 4; k++) {
		int x = MARGIN + k * 120;
		sb_addf(out,
		        "<rect x=\"%d\" y=\"42\" width=\"12\" height=\"12\" fill=\"%s\"/>"
		        "<text x=\"%d\" y=\"52\" font-size=\"12\">%s</text>\n",
		        x, series[k].fill, x + 16, series[k].name);
	}
	for (size_t i = 0; i < f->n; i++) {
		const struct fc_row *r = &f->v[i];
		int y = TITLE_H + (int)i * ROW_H;
		const char *label = r->label            ? r->label
		                    : r->key            ? r->key
		                    : by == FC_BY_OWNER ? "(none)"
		                                        : "(no date)";
		sb_addf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"13\">",
		        MARGIN + LABEL_W - 10, y + 28);
		sb_add_xml(out, label);
		sb_adds(out, "</text>\n");
		int64_t v[] = { r->pipeline, r->best, r->commit, r->won };
		for (int k = 0; k < 4; k++) {
			double w = v[k] > 0 ? (double)v[k] / (double)max * BARS_W : 0;
			char buf[32];
			money(v[k], buf);
			int by_ = y + 4 + k * 12;
			sb_addf(out,
			        "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"10\" fill=\"%s\">"
			        "<title>%s %s</title></rect>\n",
			        MARGIN + LABEL_W, by_, w, series[k].fill, series[k].name, buf);
			sb_addf(out, "<text x=\"%.1f\" y=\"%d\" font-size=\"10\">%s</text>\n",
			        MARGIN + LABEL_W + w + 4, by_ + 9, buf);
		}
	}
	sb_adds(out, "</svg>\n");
}
