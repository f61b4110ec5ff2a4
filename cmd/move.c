/* move.c - `leads move`, `leads status`, `leads step`: where a lead stands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ltime.h"

enum { M_NEXT, M_BACK, M_REASON };
const struct opt opts_move[] = {
	[M_NEXT] = { "next", 'n', NULL, "move to the next stage of the same group", 0, COMP_NONE,
	             NULL },
	[M_BACK] = { "back", 'b', NULL, "move back to the previous stage", 0, COMP_NONE, NULL },
	[M_REASON] = { "reason", 'm', "TEXT", "why (required when moving to a lost stage)", 0,
	               COMP_NONE, NULL },
	{ 0 },
};

enum { S_REASON };
const struct opt opts_status[] = {
	[S_REASON] = { "reason", 'm', "TEXT", "why, kept in the history", 0, COMP_NONE, NULL },
	{ 0 },
};

enum { P_CLEAR };
const struct opt opts_step[] = {
	[P_CLEAR] = { "clear", 0, NULL, "clear the step", 0, COMP_NONE, NULL },
	{ 0 },
};

/* "Closed Deal, Customer": the names of the stages in group g. */
static void group_names(const struct config *cfg, enum stage_group g, struct sb *out)
{
	for (size_t i = 0; i < cfg->nstages; i++)
		if (cfg->stages[i].grp == g)
			sb_addf(out, "%s'%s'", out->len ? ", " : "", cfg->stages[i].name);
}

static const struct stage *next_stage(struct ctx *c, const struct lead *l, bool back, int *rc)
{
	const struct config *cfg = c->cfg;
	int pos = config_stage_pos(cfg, l->t[LT_STAGE]);
	*rc = 0;
	if (pos < 0) {
		*rc = fail(c, EX_DATAERR,
		           "lead #%lld is in stage '%s', which the config no longer has; move it "
		           "to a stage by name",
		           (long long)l->i[LI_ID], l->t[LT_STAGE]);
		return NULL;
	}
	const struct stage *cur = &cfg->stages[pos];
	if (back) {
		if (cur->grp == GRP_LOST) {
			*rc =
			    fail(c, EX_DATAERR,
			         "lead #%lld is lost ('%s'); reopen it by moving it to a stage by "
			         "name",
			         (long long)l->i[LI_ID], cur->name);
			return NULL;
		}
		for (int i = pos - 1; i >= 0; i--)
			if (cfg->stages[i].grp != GRP_LOST)
				return &cfg->stages[i];
		*rc = fail(c, EX_DATAERR,
		           "lead #%lld is in the first stage '%s'; there is no "
		           "stage before it",
		           (long long)l->i[LI_ID], cur->name);
		return NULL;
	}
	for (size_t i = (size_t)pos + 1; i < cfg->nstages; i++)
		if (cfg->stages[i].grp == cur->grp)
			return &cfg->stages[i];
	struct sb won = SB_INIT;
	group_names(cfg, GRP_WON, &won);
	if (cur->grp == GRP_ACTIVE)
		*rc = fail(c, EX_DATAERR,
		           "lead #%lld is in '%s', the last active stage; move it to a won "
		           "stage by name: %s",
		           (long long)l->i[LI_ID], cur->name, sb_str(&won));
	else
		*rc = fail(c, EX_DATAERR, "lead #%lld is in '%s', the last %s stage",
		           (long long)l->i[LI_ID], cur->name, stage_group_name(cur->grp));
	sb_free(&won);
	return NULL;
}

int cmd_move(struct ctx *c, struct args *a)
{
	int modes = (a->argc > 1) + (a->val[M_NEXT] != NULL) + (a->val[M_BACK] != NULL);
	if (modes != 1)
		return usage_error(c, "give exactly one of STAGE, --next or --back");
	struct lead l;
	int rc = find_lead(c, a->argv[0], &l);
	if (rc)
		return rc;
	const struct stage *to;
	if (a->argc > 1) {
		if ((rc = pick_stage(c, a->argv[1], &to)))
			goto out;
	} else if (!(to = next_stage(c, &l, a->val[M_BACK] != NULL, &rc))) {
		goto out;
	}
	if (strcmp(to->key, lead_get(&l, LT_STAGE)) == 0) {
		note(c, "lead #%lld is already in '%s'", (long long)l.i[LI_ID], to->name);
		goto out;
	}
	const char *reason = a->val[M_REASON];
	if (to->grp == GRP_LOST && str_empty(reason)) {
		rc = usage_error(c, "moving lead #%lld to lost stage '%s' needs --reason",
		                 (long long)l.i[LI_ID], to->name);
		goto out;
	}
	struct lc lc = ctx_lc(c);
	if ((rc = lc_move(&lc, &l, to, reason)))
		rc = fail_err(c);
	if (!rc && c->verbose)
		note(c, "lead #%lld moved to '%s'", (long long)l.i[LI_ID], to->name);
out:
	lead_free(&l);
	return rc;
}

int cmd_status(struct ctx *c, struct args *a)
{
	const char *to;
	int prc = pick_status(c, a->argv[1], &to);
	if (prc)
		return prc;
	struct lead l;
	int rc = find_lead(c, a->argv[0], &l);
	if (rc)
		return rc;
	if (strcmp(lead_get(&l, LT_STATUS), to) == 0) {
		note(c, "lead #%lld is already %s", (long long)l.i[LI_ID], to);
		lead_free(&l);
		return 0;
	}
	struct lc lc = ctx_lc(c);
	if ((rc = lc_set_status(&lc, &l, to, a->val[S_REASON])))
		rc = fail_err(c);
	int64_t idle = rc ? 0 : lc_inactive_at(c->cfg, &l);
	if (idle) {
		char when[64];
		ltime_fmt(idle, when);
		note(c, "lead #%lld is %s; with no activity the sweep makes it inactive at %s",
		     (long long)l.i[LI_ID], to, when);
	}
	lead_free(&l);
	return rc;
}

int cmd_step(struct ctx *c, struct args *a)
{
	if ((a->argc > 1) == (a->val[P_CLEAR] != NULL))
		return usage_error(c, "give a STEP or --clear");
	struct lead l;
	int rc = find_lead(c, a->argv[0], &l);
	if (rc)
		return rc;
	const struct stage *s = config_stage(c->cfg, lead_get(&l, LT_STAGE));
	const char *step = NULL;
	if (a->argc > 1) {
		for (size_t i = 0; s && i < s->nsteps; i++)
			if (str_ieq(s->steps[i], a->argv[1]))
				step = s->steps[i];
		if (!step) {
			struct sb names = SB_INIT;
			for (size_t i = 0; s && i < s->nsteps; i++)
				sb_addf(&names, "%s'%s'", i ? ", " : "", s->steps[i]);
			if (!s || !s->nsteps)
				rc = fail(c, EX_DATAERR, "stage '%s' has no steps",
				          s ? s->name : lead_get(&l, LT_STAGE));
			else
				rc = fail(c, EX_DATAERR, "stage '%s' has no step '%s' (steps: %s)",
				          s->name, a->argv[1], sb_str(&names));
			sb_free(&names);
			lead_free(&l);
			return rc;
		}
	}
	struct lc lc = ctx_lc(c);
	if (lc_step(&lc, &l, step))
		rc = fail_err(c);
	lead_free(&l);
	return rc;
}
