/*
 * score.c - `leads score LEAD [--explain]` and `leads score --recalc
 * [LEAD...|--all]`: show and recompute scores (lib/score.h).
 *
 * Showing reads only. Recalculating runs the computation every lead event
 * runs (hooks_run), in one transaction, so a threshold crossed by a new
 * rule set fires exactly as it would have fired incrementally.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "lifecycle.h"
#include "rules.h"
#include "score.h"

enum { S_RECALC, S_ALL, S_EXPLAIN };
const struct opt opts_score[] = {
	[S_RECALC] = { "recalc", 0, NULL, "recompute and store the scores", 0, COMP_NONE, NULL },
	[S_ALL] = { "all", 'a', NULL, "with --recalc: every lead", 0, COMP_NONE, NULL },
	[S_EXPLAIN] = { "explain", 'x', NULL, "show each rule's contribution", 0, COMP_NONE, NULL },
	{ 0 },
};

static struct hook_env env_of(struct ctx *c, struct act_src *acts)
{
	struct hook_env env = { .db = c->db,
		                .cfg = c->cfg,
		                .now = c->now,
		                .actor = c->actor,
		                .no_route = true,
		                .no_events = c->no_events,
		                .err = &c->err,
		                .acts = acts };
	return env;
}

/* The stored scores of l: the default from the lead, named ones from the table. */
static int stored(struct ctx *c, const struct lead *l, size_t i, int64_t *v)
{
	const char *name = score_name(c->cfg, i);
	if (strcmp(name, "score") == 0) {
		*v = l->i[LI_SCORE];
		return 0;
	}
	bool found;
	if (db_score_get(c->db, l->i[LI_ID], name, v, &found, &c->err))
		return fail_err(c);
	return 0;
}

static int show(struct ctx *c, const char *ref, bool explain)
{
	struct lead l;
	int rc = find_lead(c, ref, &l);
	if (rc)
		return rc;
	size_t n = score_count(c->cfg);
	int64_t *now_v = xcalloc(n + 1, sizeof *now_v);
	if (explain && c->fmt != OUT_TABLE) {
		/* a machine format: the scores as computed now, stored, and the text */
		struct sb out = SB_INIT;
		struct hook_env env = env_of(c, NULL);
		if (score_explain(&env, &l, NULL, &out, now_v)) {
			rc = fail_err(c);
		} else {
			static const struct out_col cols[] = {
				{ "score", NULL, OUT_T_STR, 0 },
				{ "value", NULL, OUT_T_INT, 0 },
				{ "stored", NULL, OUT_T_INT, 0 },
			};
			struct out *o = ctx_out(c);
			char buf[32], name[256];
			out_record_begin(o);
			snprintf(buf, sizeof buf, "%" PRId64, l.i[LI_ID]);
			out_record_field(o, "id", OUT_T_INT, buf);
			lead_display_name(&l, name, sizeof name);
			out_record_field(o, "name", OUT_T_STR, name);
			out_record_field(o, "explain", OUT_T_STR, sb_str(&out));
			out_record_list_begin(o, "scores");
			out_begin(o, cols, (int)ARRAY_LEN(cols));
			for (size_t i = 0; i < n && !rc; i++) {
				int64_t v = 0;
				if ((rc = stored(c, &l, i, &v)))
					break;
				out_str(o, score_name(c->cfg, i));
				out_int(o, now_v[i]);
				out_int(o, v);
				out_end_row(o);
			}
			out_record_list_end(o);
			out_record_end(o);
			out_free(o);
		}
		sb_free(&out);
	} else if (explain) {
		struct sb out = SB_INIT;
		struct hook_env env = env_of(c, NULL);
		if (score_explain(&env, &l, NULL, &out, now_v)) {
			rc = fail_err(c);
		} else {
			char name[256];
			lead_display_name(&l, name, sizeof name);
			out_tprintf(stdout, "#%" PRId64 " %s\n%s", l.i[LI_ID], name, sb_str(&out));
			for (size_t i = 0; i < n && !rc; i++) {
				int64_t v = 0;
				if ((rc = stored(c, &l, i, &v)))
					break;
				if (v != now_v[i])
					out_tprintf(stdout,
					            "stored %s is %" PRId64
					            "; 'leads score --recalc %" PRId64
					            "' updates it\n",
					            score_name(c->cfg, i), v, l.i[LI_ID]);
			}
		}
		sb_free(&out);
	} else {
		struct out *o = ctx_out(c);
		out_record_begin(o);
		char buf[32];
		snprintf(buf, sizeof buf, "%" PRId64, l.i[LI_ID]);
		out_record_field(o, "id", OUT_T_INT, buf);
		for (size_t i = 0; i < n && !rc; i++) {
			int64_t v = 0;
			if ((rc = stored(c, &l, i, &v)))
				break;
			snprintf(buf, sizeof buf, "%" PRId64, v);
			out_record_field(o, score_name(c->cfg, i), OUT_T_INT, buf);
		}
		out_record_end(o);
		out_free(o);
	}
	free(now_v);
	lead_free(&l);
	return rc;
}

struct recalc {
	struct ctx *c;
	int64_t n;
	struct score_stats st;
};

static int recalc_one(struct recalc *r, struct lead *l, struct act_src *acts, bool full_save)
{
	struct ctx *c = r->c;
	struct hook_env env = env_of(c, acts);
	int64_t before = l->i[LI_SCORE];
	int rc = lc_score(&env, l, acts, &r->st, false);
	if (!rc && l->i[LI_SCORE] != before)
		rc = full_save ? db_lead_update(c->db, l, &c->err)
		               : db_score_set_default(c->db, l->i[LI_ID], l->i[LI_SCORE], &c->err);
	r->n++;
	return rc ? fail_err(c) : 0;
}

static int recalc_all(struct recalc *r)
{
	struct ctx *c = r->c;
	struct lead_batch *b = xcalloc(1, sizeof *b);
	b->scope = RS_ALL;
	b->cfg = c->cfg;
	b->with_acts = score_uses_activity(c->cfg);
	int rc = 0;
	for (;;) {
		if (lead_batch_next(c->db, b, &c->err)) {
			rc = fail_err(c);
			break;
		}
		for (int i = 0; i < b->n && !rc; i++)
			rc = recalc_one(r, &b->v[i], b->with_acts ? &b->acts[i] : NULL, false);
		if (rc || b->n == 0)
			break;
	}
	lead_batch_free(b);
	free(b);
	return rc;
}

int cmd_score(struct ctx *c, struct args *a)
{
	bool recalc = a->val[S_RECALC] != NULL, all = a->val[S_ALL] != NULL;
	if (!recalc && (all || a->argc != 1))
		return usage_error(c, all ? "--all goes with --recalc" : "give one lead to show");
	if (recalc && (all == (a->argc > 0)))
		return usage_error(c,
		                   all ? "give leads or --all, not both" : "give leads or --all");
	if (recalc && a->val[S_EXPLAIN])
		return usage_error(c, "--explain shows one lead; leave out --recalc");
	if (!score_configured(c->cfg))
		return fail(c, EX_CONFIG, "the config%s%s%s has no scoring rules",
		            c->cfg->path ? " '" : "", c->cfg->path ? c->cfg->path : "",
		            c->cfg->path ? "'" : "");
	if (!recalc)
		return show(c, a->argv[0], a->val[S_EXPLAIN] != NULL);

	struct recalc r = { .c = c };
	int rc;
	if (db_begin(c->db, &c->err) || db_sync_stages(c->db, c->cfg, &c->err)) {
		db_rollback(c->db);
		return fail_err(c);
	}
	if (all) {
		rc = recalc_all(&r);
	} else {
		rc = 0;
		for (int i = 0; i < a->argc && !rc; i++) {
			struct lead l;
			if ((rc = find_lead(c, a->argv[i], &l)))
				break;
			rc = recalc_one(&r, &l, NULL, true);
			lead_free(&l);
		}
	}
	if ((rc = tx_end(c, rc)))
		return rc;
	note(c,
	     "%" PRId64 " lead%s recalculated: %" PRId64 " score%s changed, %" PRId64
	     " threshold%s crossed, %" PRId64 " dropped below",
	     r.n, r.n == 1 ? "" : "s", r.st.changed, r.st.changed == 1 ? "" : "s", r.st.crossed,
	     r.st.crossed == 1 ? "" : "s", r.st.dropped);
	return 0;
}
