/* merge.c - `leads merge KEEP OTHER`: one person entered twice becomes one lead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ltime.h"

enum { G_PREFER, G_DRY_RUN };
const struct opt opts_merge[] = {
	[G_PREFER] = { "prefer", 0, "WHICH",
	               "which lead's value wins a conflict: keep (default) or other", 0, COMP_WORDS,
	               "keep other" },
	[G_DRY_RUN] = { "dry-run", 0, NULL, "show the merged lead and the conflicts; write nothing",
	                0, COMP_NONE, NULL },
	{ 0 },
};

static void field(struct out *o, const char *key, enum out_type type, const char *value)
{
	if (value)
		out_record_field(o, key, type, value);
}

/* The lead as the merge would leave it (--dry-run). */
static void show_merged(struct ctx *c, const struct lc_merge *m)
{
	const struct lead *l = &m->merged;
	struct out *o = ctx_out(c);
	out_record_begin(o);
	char buf[256];
	for (int i = 0; i < lead_nfields; i++) {
		const struct field_desc *f = &lead_fields[i];
		if (!(f->flags & (FF_EXPORT | FF_EDIT)))
			continue;
		switch (f->kind) {
		case FK_TEXT:
			if (f->idx == LT_STAGE)
				field(o, "stage", OUT_T_STR,
				      stage_label(c, l->t[LT_STAGE], buf, sizeof buf));
			else
				field(o, f->name, f->idx == LT_EXTRA ? OUT_T_RAW : OUT_T_STR,
				      l->t[f->idx]);
			if (f->idx == LT_EMAIL)
				field(o, "other_emails", OUT_T_STR, m->alias_email);
			break;
		case FK_INT:
			snprintf(buf, sizeof buf, "%lld", (long long)l->i[f->idx]);
			field(o, f->name, OUT_T_INT, l->has[f->idx] ? buf : NULL);
			break;
		case FK_TIME:
			ltime_fmt(l->i[f->idx], buf);
			field(o, f->name, OUT_T_STR, l->has[f->idx] ? buf : NULL);
			break;
		case FK_MONEY:
			lead_money_fmt(l->i[f->idx], buf);
			field(o, f->name, OUT_T_NUM, l->has[f->idx] ? buf : NULL);
			break;
		}
	}
	snprintf(buf, sizeof buf, "#%lld", (long long)m->other.i[LI_ID]);
	field(o, "merged_from", OUT_T_STR, buf);
	out_record_end(o);
	out_finish(o);
	out_free(o);
}

int cmd_merge(struct ctx *c, struct args *a)
{
	const char *prefer = a->val[G_PREFER];
	if (prefer && strcmp(prefer, "keep") != 0 && strcmp(prefer, "other") != 0)
		return usage_error(c, "--prefer takes keep or other, not '%s'", prefer);
	bool prefer_other = prefer && strcmp(prefer, "other") == 0;
	bool dry = a->val[G_DRY_RUN] != NULL;
	struct lead keep, other;
	int rc = find_lead(c, a->argv[0], &keep);
	if (rc)
		return rc;
	if ((rc = find_lead(c, a->argv[1], &other))) {
		lead_free(&keep);
		return rc;
	}
	struct lc lc = ctx_lc(c);
	struct lc_merge m;
	if ((rc = lc_merge_plan(&lc, &keep, &other, prefer_other, &m))) {
		lc_merge_free(&m);
		return rc == EX_USAGE ? usage_error(c, "%s", c->err.msg) : fail_err(c);
	}
	long long k = (long long)m.keep.i[LI_ID], o = (long long)m.other.i[LI_ID];
	for (size_t i = 0; i < m.nconf; i++) {
		const struct lc_merge_conflict *x = &m.conf[i];
		note(c, "conflict: %s: %s '%s' (#%lld), %s '%s' (#%lld)", x->field,
		     x->other_won ? "dropped" : "kept", x->keep, k,
		     x->other_won ? "kept" : "dropped", x->other, o);
	}
	if (dry) {
		show_merged(c, &m);
		note(c, "dry run: lead #%lld would be merged into #%lld; nothing was written", o,
		     k);
	} else if ((rc = lc_merge_apply(&lc, &m))) {
		rc = fail_err(c);
	} else {
		note(c,
		     "merged lead #%lld into #%lld (%zu field%s filled, %zu conflict%s); "
		     "#%lld%s%s still find%s it",
		     o, k, m.nfilled, m.nfilled == 1 ? "" : "s", m.nconf, m.nconf == 1 ? "" : "s",
		     o, m.alias_email ? " and " : "", m.alias_email ? m.alias_email : "",
		     m.alias_email ? "" : "s");
	}
	lc_merge_free(&m);
	return rc;
}
