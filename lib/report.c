/*
 * report.c - the manager reports (funnel.h): tasks per rep straight from
 * SQL; activity per owner and leads per source counted here, from one
 * sequential pass over the events or the leads, because SQL would look a
 * lead up for each of millions of events, or sort a million leads by
 * source, to group them.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "funnel.h"

/* ---- names to group numbers, ignoring ASCII case ---- */

struct names {
	char **v; /* first spelling seen */
	size_t n, cap;
	struct ci_index ix;
	size_t none; /* group of NULL + 1 */
};

static const char *name_key(const void *ctx, size_t i)
{
	return ((const struct names *)ctx)->v[i];
}

static size_t name_add(struct names *nm, const char *s)
{
	nm->v = xgrow(nm->v, &nm->cap, nm->n + 1, sizeof *nm->v);
	nm->v[nm->n] = s ? xstrdup(s) : NULL;
	return nm->n++;
}

static size_t name_of(struct names *nm, const char *s)
{
	if (!s) {
		if (!nm->none)
			nm->none = name_add(nm, NULL) + 1;
		return nm->none - 1;
	}
	size_t slot, i = ci_index_find(&nm->ix, s, name_key, nm, nm->n, &slot);
	if (i < nm->n)
		return i;
	i = name_add(nm, s);
	ci_index_put(&nm->ix, slot, i);
	return i;
}

static void names_free(struct names *nm)
{
	strv_free(nm->v, nm->n);
	ci_index_free(&nm->ix);
}

/* The order of the rows: by name ignoring case, no name last. */
static const struct names *sort_names;
static int cmp_name(const void *x, const void *y)
{
	const char *a = sort_names->v[*(const size_t *)x], *b = sort_names->v[*(const size_t *)y];
	if (!a || !b)
		return (a == NULL) - (b == NULL);
	int c = strcasecmp(a, b);
	return c ? c : strcmp(a, b);
}

static size_t *sorted(const struct names *nm)
{
	size_t *ord = xmalloc((nm->n ? nm->n : 1) * sizeof *ord);
	for (size_t i = 0; i < nm->n; i++)
		ord[i] = i;
	sort_names = nm;
	qsort(ord, nm->n, sizeof *ord, cmp_name);
	sort_names = NULL;
	return ord;
}

/* ---- tasks ---- */

int report_tasks(struct db *db, int64_t since, int64_t now, bool by_owner, report_tasks_fn fn,
                 void *ctx, struct lerr *err)
{
	return db_report_tasks(db, since, now, by_owner, fn, ctx, err);
}

/* ---- activity ---- */

enum { A_CALL, A_EMAIL, A_MEETING, A_NOTE, A_MOVE, A__N };

struct act_acc {
	bool by;
	int64_t idlo, idhi;
	int32_t *owner; /* per lead id - idlo: group, -1 = none seen */
	uint8_t *inact; /* per lead: counted as gone inactive */
	struct names nm;
	int64_t (*n)[A__N + 1]; /* per group: the kinds, then gone inactive */
	size_t capn;
};

static void grow_counts(struct act_acc *a)
{
	size_t old = a->capn;
	if (a->nm.n <= old)
		return;
	a->n = xgrow(a->n, &a->capn, a->nm.n, sizeof *a->n);
	memset(a->n + old, 0, (a->capn - old) * sizeof *a->n);
}

static void act_owner(void *p, int64_t id, const char *owner)
{
	struct act_acc *a = p;
	if (id < a->idlo || id > a->idhi)
		return;
	a->owner[id - a->idlo] = a->by ? (int32_t)name_of(&a->nm, owner) : 0;
}

static void act_event(void *p, int64_t lead_id, const char *kind, const char *to)
{
	struct act_acc *a = p;
	if (lead_id < a->idlo || lead_id > a->idhi)
		return;
	int32_t g = a->owner[lead_id - a->idlo];
	if (g < 0)
		return;
	grow_counts(a);
	int64_t *n = a->n[g];
	if (strcmp(kind, "call") == 0)
		n[A_CALL]++;
	else if (strcmp(kind, "email") == 0)
		n[A_EMAIL]++;
	else if (strcmp(kind, "meeting") == 0)
		n[A_MEETING]++;
	else if (strcmp(kind, "note") == 0)
		n[A_NOTE]++;
	else if (strcmp(kind, "moved") == 0)
		n[A_MOVE]++;
	else if (strcmp(kind, "status") == 0 && to && strcmp(to, "inactive") == 0 &&
	         !a->inact[lead_id - a->idlo]) {
		a->inact[lead_id - a->idlo] = 1;
		n[A__N]++;
	}
}

int report_activity(struct db *db, int64_t since, int64_t now, bool by_owner, report_activity_fn fn,
                    void *ctx, struct lerr *err)
{
	struct act_acc a = { .by = by_owner };
	int rc = db_funnel_id_range(db, &a.idlo, &a.idhi, err);
	if (rc)
		return rc;
	size_t span = a.idhi >= a.idlo && a.idhi ? (size_t)(a.idhi - a.idlo + 1) : 0;
	a.owner = xmalloc((span ? span : 1) * sizeof *a.owner);
	for (size_t i = 0; i < span; i++)
		a.owner[i] = -1;
	a.inact = xcalloc(span ? span : 1, 1);
	if (!by_owner)
		name_add(&a.nm, NULL); /* the one row of the whole team */
	if (!span)
		a.idlo = 1, a.idhi = 0;
	if (!(rc = db_report_owners(db, act_owner, &a, err)))
		rc = db_report_events(db, since, now, act_event, &a, err);
	grow_counts(&a);
	size_t *ord = sorted(&a.nm);
	for (size_t i = 0; !rc && i < a.nm.n; i++) {
		const int64_t *n = a.n[ord[i]];
		struct report_activity_row r = {
			.owner = a.nm.v[ord[i]],
			.calls = n[A_CALL],
			.emails = n[A_EMAIL],
			.meetings = n[A_MEETING],
			.notes = n[A_NOTE],
			.moves = n[A_MOVE],
			.gone_inactive = n[A__N],
		};
		rc = fn(&r, ctx);
	}
	free(ord);
	free(a.owner);
	free(a.inact);
	free(a.n);
	names_free(&a.nm);
	return rc;
}

/* ---- sources ---- */

struct src_acc {
	const struct config *cfg;
	struct names nm;
	struct report_sources_row *r;
	double *score;
	size_t cap, capscore;
	/* last stage seen and its group */
	char *last;
	size_t last_cap;
	int last_grp;
};

static int stage_grp(struct src_acc *a, const char *stage)
{
	if (a->last && strcmp(a->last, stage) == 0)
		return a->last_grp;
	int grp = -1;
	for (size_t i = 0; i < a->cfg->nstages; i++)
		if (strcmp(a->cfg->stages[i].key, stage) == 0)
			grp = (int)a->cfg->stages[i].grp;
	size_t len = strlen(stage);
	a->last = xgrow(a->last, &a->last_cap, len + 1, 1);
	memcpy(a->last, stage, len + 1);
	a->last_grp = grp;
	return grp;
}

static void src_lead(void *p, const char *source, const char *stage, int64_t score)
{
	struct src_acc *a = p;
	size_t g = name_of(&a->nm, source);
	if (g >= a->cap) {
		size_t old = a->cap;
		a->r = xgrow(a->r, &a->cap, g + 1, sizeof *a->r);
		memset(a->r + old, 0, (a->cap - old) * sizeof *a->r);
		a->score = xgrow(a->score, &a->capscore, a->cap, sizeof *a->score);
	}
	if (a->r[g].leads == 0)
		a->score[g] = 0;
	a->r[g].leads++;
	a->score[g] += (double)score;
	int grp = stage_grp(a, stage ? stage : "");
	if (grp == GRP_WON)
		a->r[g].won++;
	else if (grp == GRP_LOST)
		a->r[g].lost++;
}

static struct src_acc *cmp_src_acc;
static int cmp_src(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	const struct report_sources_row *a = &cmp_src_acc->r[i], *b = &cmp_src_acc->r[j];
	if (a->leads != b->leads)
		return a->leads < b->leads ? 1 : -1;
	sort_names = &cmp_src_acc->nm;
	return cmp_name(x, y);
}

int report_sources(struct db *db, const struct config *cfg, int64_t since, int64_t now,
                   report_sources_fn fn, void *ctx, struct lerr *err)
{
	struct src_acc a = { .cfg = cfg };
	int rc = db_report_leads(db, since, now, src_lead, &a, err);
	size_t *ord = xmalloc((a.nm.n ? a.nm.n : 1) * sizeof *ord);
	for (size_t i = 0; i < a.nm.n; i++)
		ord[i] = i;
	cmp_src_acc = &a;
	qsort(ord, a.nm.n, sizeof *ord, cmp_src);
	cmp_src_acc = NULL;
	sort_names = NULL;
	for (size_t i = 0; !rc && i < a.nm.n; i++) {
		struct report_sources_row r = a.r[ord[i]];
		r.source = a.nm.v[ord[i]];
		r.avg_score = a.score[ord[i]] / (double)r.leads;
		rc = fn(&r, ctx);
	}
	free(ord);
	free(a.r);
	free(a.score);
	free(a.last);
	names_free(&a.nm);
	return rc;
}
