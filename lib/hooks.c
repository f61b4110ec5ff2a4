/*
 * hooks.c - the one place that decides which engine reacts to which lead
 * event, and in what order: route first (a new lead needs an owner before
 * anyone can be given a task), then score, then workflows.
 */
#include "hooks.h"

#include <string.h>

#include "import.h"
#include "intake.h"
#include "lifecycle.h"
#include "maildir.h"
#include "route.h"
#include "score.h"
#include "sequence.h"
#include "workflow.h"

void hooks_register_config(void)
{
	/* one line per engine: route_register_config(); ... */
	route_register_config();
	score_register_config();
	workflow_register_config();
	import_register_config();
	lifecycle_register_config();
	intake_register_config();
	sequence_register_config();
	maildir_register_config();
}

bool hooks_quiet(const struct config *cfg, const struct hook_event *ev)
{
	/* route_hook routes a new lead only (HK_RECEIVED); a workflow fires on
	 * the events of its table (wf_hook_event_name) */
	return ev->kind != HK_RECEIVED && !score_hook_reacts(cfg, ev) && !wf_hook_event_name(ev) &&
	       !seq_hook_reacts(ev);
}

int hooks_run(struct hook_env *env, struct lead *l, const struct hook_event *ev)
{
	/* Engines register here as they land: route, score, workflow. */
	/* the lead's activities, read at most once and only if a rule asks */
	struct act_src own;
	act_src_init(&own, env->db);
	struct act_src *acts = env->acts ? env->acts : &own;
	if (ev->kind == HK_RECEIVED && !env->acts) {
		/* a new lead: no activities yet, nothing to read */
		act_list_reset(&own.list, l->i[LI_ID]);
		own.list.loaded = true;
	}
	/* route decides, the lifecycle applies (lib/lifecycle.h) */
	int rc = 0;
	if (route_wanted(env, l, ev)) {
		struct route_result res;
		rc = lc_route(env, l, acts, &res, NULL);
	}
	if (!rc && score_wanted(env, l, ev)) {
		rc = lc_score(env, l, acts, NULL, ev->kind == HK_RECEIVED);
		score_ran(env, l, rc);
	}
	act_list_free(&own.list);
	if (rc)
		return rc;
	rc = workflow_run(env, l, ev);
	/* sequences last: a stop or start rides on whatever the event did */
	return rc ? rc : seq_hook(env, l, ev);
}
