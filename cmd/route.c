/*
 * route.c - `leads route [LEAD...|--all|--unassigned] [--reassign] [--dry-run]
 * [--explain]`: assign owners by the routing rules on demand (lib/route.h).
 * A lead that has an owner keeps it unless --reassign: routing it again
 * would turn the rotation and mail someone for nothing. --explain and
 * --dry-run never write.
 *
 * The whole run is one transaction: every assignment, its history event,
 * its mail and the rotation cursors commit together. A dry run computes
 * the same decisions against a private copy of the cursors, writes
 * nothing, and rolls back whatever the engines might have touched, so
 * `leads -c proposal.yaml route --all --dry-run --explain` answers "what
 * if" for a proposed rule set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "lifecycle.h"
#include "route.h"
#include "rules.h"
#include "score.h"

enum { R_ALL, R_UNASSIGNED, R_DRY_RUN, R_EXPLAIN, R_REASSIGN };
const struct opt opts_route[] = {
	[R_ALL] = { "all", 'a', NULL,
	            "every open lead (stage in an active group, status not unqualified)", 0,
	            COMP_NONE, NULL },
	[R_UNASSIGNED] = { "unassigned", 'u', NULL, "every open lead without an owner", 0,
	                   COMP_NONE, NULL },
	[R_DRY_RUN] = { "dry-run", 'n', NULL, "show what would happen; change nothing", 0,
	                COMP_NONE, NULL },
	[R_EXPLAIN] = { "explain", 'x', NULL,
	                "for each lead: the rules tried, which matched and why, the member "
	                "chosen (changes nothing)",
	                0, COMP_NONE, NULL },
	[R_REASSIGN] = { "reassign", 0, NULL,
	                 "route leads that have an owner too (else they keep it)", 0, COMP_NONE,
	                 NULL },
	{ 0 },
};

static const struct out_col cols[] = {
	{ "id", NULL, OUT_T_INT, 0 },      { "name", NULL, OUT_T_STR, 0 },
	{ "owner", NULL, OUT_T_STR, 0 },   { "previous", NULL, OUT_T_STR, 0 },
	{ "rule", NULL, OUT_T_STR, 0 },    { "result", NULL, OUT_T_STR, 0 },
	{ "explain", NULL, OUT_T_STR, 0 }, /* --explain in a machine format: the text */
};

struct run {
	struct ctx *c;
	bool dry, explain, reassign;
	struct out *o;
	int64_t n, assigned, unchanged, nobody;
	struct lead_snap before; /* the lead being routed, as read */
};

static const char *result_word(const struct route_result *res, const char *prev)
{
	if (res->outcome == RO_KEPT)
		return "owned";
	if (res->outcome == RO_ASSIGNED)
		return res->changed ? "assigned" : "unchanged";
	return prev ? "kept" : "unassigned";
}

static int route_one(struct run *r, struct lead *l, struct act_src *acts)
{
	struct ctx *c = r->c;
	struct hook_env env = { .db = c->db,
		                .cfg = c->cfg,
		                .now = c->now,
		                .actor = c->actor,
		                .no_route = true, /* the hooks below must not route again */
		                .no_events = c->no_events,
		                .dry_run = r->dry,
		                .err = &c->err,
		                .acts = acts };
	char *prev = l->t[LT_OWNER] ? xstrdup(l->t[LT_OWNER]) : NULL;
	struct sb ex = SB_INIT;
	struct route_result res;
	int rc = 0;
	if (prev && !r->reassign) { /* owned: left alone */
		memset(&res, 0, sizeof res);
		res.outcome = RO_KEPT;
		sb_addf(&ex, "  owned by %s: left alone (--reassign routes it again)\n", prev);
		goto show;
	}
	rules_lead_snap(&r->before, l);
	/* the engine decides, the lifecycle writes (in --all: a chunk at a time) */
	struct lc lc = lc_of_env(&env);
	rc = route_decide(&env, l, acts, &res, r->explain ? &ex : NULL);
	if (!rc)
		rc = lc_route_apply(&lc, l, &res);
	if (!rc && res.changed) {
		struct hook_event ev = { .kind = HK_ASSIGNED, .detail = l->t[LT_OWNER] };
		if (!(rc = hooks_run(&env, l, &ev)))
			rc = lc_route_save(&lc, &r->before.l, l);
	}
	if (rc) {
		free(prev);
		sb_free(&ex);
		return fail_err(c);
	}
show:
	r->n++;
	if (res.outcome == RO_ASSIGNED)
		*(res.changed ? &r->assigned : &r->unchanged) += 1;
	else if (res.outcome == RO_KEPT)
		r->unchanged++;
	else
		r->nobody++;
	char name[256];
	lead_display_name(l, name, sizeof name);
	if (r->explain && !r->o) {
		out_tprintf(stdout, "%s#%lld %s", r->n > 1 ? "\n" : "", (long long)l->i[LI_ID],
		            name);
		if (l->t[LT_EMAIL] && strcmp(name, l->t[LT_EMAIL]) != 0)
			out_tprintf(stdout, " <%s>", l->t[LT_EMAIL]);
		out_tprintf(stdout, "\n%s", sb_str(&ex));
	} else {
		out_int(r->o, l->i[LI_ID]);
		out_str(r->o, name);
		out_str(r->o, res.outcome == RO_ASSIGNED ? res.member->name : prev);
		out_str(r->o, prev);
		out_str(r->o, res.rule[0] ? res.rule : NULL);
		out_str(r->o, result_word(&res, prev));
		if (r->explain)
			out_str(r->o, sb_str(&ex));
		out_end_row(r->o);
	}
	free(prev);
	sb_free(&ex);
	return 0;
}

static int route_bulk(struct run *r, enum rules_scope scope)
{
	struct ctx *c = r->c;
	struct lead_batch *b = xcalloc(1, sizeof *b);
	b->scope = scope;
	b->cfg = c->cfg;
	b->with_acts = route_uses_activity(c->cfg) || score_uses_activity(c->cfg);
	int rc = 0;
	for (;;) {
		if (lead_batch_next(c->db, b, &c->err)) {
			rc = fail_err(c);
			break;
		}
		for (int i = 0; i < b->n && !rc; i++)
			rc = route_one(r, &b->v[i], b->with_acts ? &b->acts[i] : NULL);
		if (rc || b->n == 0)
			break;
	}
	lead_batch_free(b);
	free(b);
	return rc;
}

int cmd_route(struct ctx *c, struct args *a)
{
	int modes = (a->argc > 0) + (a->val[R_ALL] != NULL) + (a->val[R_UNASSIGNED] != NULL);
	if (modes != 1)
		return usage_error(c, modes ? "give leads, --all or --unassigned, not several"
		                            : "give leads, --all or --unassigned");
	if (!route_configured(c->cfg))
		return fail(c, EX_CONFIG, "the config%s%s%s has no routing rules",
		            c->cfg->path ? " '" : "", c->cfg->path ? c->cfg->path : "",
		            c->cfg->path ? "'" : "");
	struct run r = { .c = c,
		         /* explaining is reading: it never changes anything */
		         .dry = a->val[R_DRY_RUN] != NULL || a->val[R_EXPLAIN] != NULL,
		         .explain = a->val[R_EXPLAIN] != NULL,
		         .reassign = a->val[R_REASSIGN] != NULL };
	int rc;
	if ((rc = db_begin(c->db, &c->err)) || (rc = db_sync_stages(c->db, c->cfg, &c->err))) {
		db_rollback(c->db);
		return fail_err(c);
	}
	/* --explain: text for a person, or a row with an explain field (--format) */
	if (!r.explain || c->fmt != OUT_TABLE) {
		r.o = ctx_out(c);
		out_begin(r.o, cols, (int)ARRAY_LEN(cols) - !r.explain);
	}
	if (a->argc > 0) {
		for (int i = 0; i < a->argc && !rc; i++) {
			struct lead l;
			if ((rc = find_lead(c, a->argv[i], &l)))
				break;
			rc = route_one(&r, &l, NULL);
			lead_free(&l);
		}
	} else {
		struct hook_env env = {
			.db = c->db, .cfg = c->cfg, .dry_run = r.dry, .err = &c->err
		};
		/* an "assigned" row per lead: written 32 at a time (db.h) */
		route_bulk_begin();
		if (!r.dry && db_events_defer(c->db, true, &c->err))
			rc = fail_err(c);
		if (!rc)
			rc = route_bulk(&r, a->val[R_ALL] && r.reassign ? RS_OPEN : RS_UNASSIGNED);
		env.dry_run = r.dry || rc; /* a failed run writes no mail and no cursor */
		if (route_bulk_end(&env) && !rc)
			rc = fail_err(c);
		if (!rc && db_events_defer(c->db, false, &c->err))
			rc = fail_err(c);
	}
	rules_lead_snap_free(&r.before);
	if (r.o) {
		out_finish(r.o);
		out_free(r.o);
	}
	if (rc || r.dry) {
		db_rollback(c->db);
		if (rc)
			return rc;
	} else if (db_commit(c->db, &c->err)) {
		return fail_err(c);
	}
	note(c, "%lld lead%s: %lld assigned, %lld unchanged, %lld without a member%s",
	     (long long)r.n, r.n == 1 ? "" : "s", (long long)r.assigned, (long long)r.unchanged,
	     (long long)r.nobody,
	     r.explain ? " (explained: nothing changed)"
	     : r.dry   ? " (dry run: nothing changed)"
	               : "");
	return 0;
}
