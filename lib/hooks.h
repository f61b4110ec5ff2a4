/*
 * hooks.h - what happens after a lead changes: routing, scoring and
 * workflows react to one stream of lead events.
 *
 * Every command that changes a lead (add, import, move, status, note, log,
 * edit, step) calls hooks_run() once per event (most through
 * lib/lifecycle.h, which decides which events a change fires), inside its write
 * transaction, after the change is made in `l` and before `l` is saved:
 * the engines may change `l` further (owner, score) and may write their own
 * rows (history, tasks, queued mail) through the storage layer. The caller
 * saves `l` afterwards with db_lead_update(). So a change and everything
 * it causes commit together or not at all.
 */
#ifndef LEADS_HOOKS_H
#define LEADS_HOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "lead.h"
#include "util.h"

struct act_src;

/*
 * What changed. The event names that workflows react to ("lead.received",
 * "call.logged", ...) and which hook fires each are one table, in
 * lib/workflow.c; the names below are only reminders.
 */
enum hook_kind {
	HK_RECEIVED,      /* lead.received: a new lead (add, import) */
	HK_ASSIGNED,      /* lead.assigned: owner set or changed (detail: owner) */
	HK_STAGE_ENTERED, /* stage.entered (detail: stage key) */
	HK_DISCARDED,     /* lead.discarded: moved to a lost stage or unqualified */
	HK_ACTIVITY,      /* call.logged, email.opened, note, ... (detail: kind) */
	HK_MEETING,       /* meeting.scheduled (at: the meeting's time) */
	HK_UPDATED,       /* fields edited (detail: field name) */
	HK_STATUS,        /* status changed (detail: new status) */
};

struct hook_event {
	enum hook_kind kind;
	const char *detail;
	int64_t at; /* HK_MEETING: when the meeting is; else 0 */
};

struct hook_env {
	struct db *db;
	const struct config *cfg;
	int64_t now;
	const char *actor;
	bool no_route;  /* --no-route: leave owners alone */
	bool no_events; /* --no-events: no workflows (history is still kept) */
	bool dry_run;   /* compute and explain, write nothing extra */
	/*
	 * A bulk import: a new lead's assignment is kept on the lead
	 * (import_owner, import_rule) rather than as an `assigned` event;
	 * `leads show` lists it in the history all the same.
	 */
	bool import_assign;
	/* the lead's default score computed ahead (score_new_lead), or NULL */
	const int64_t *new_score;
	/* which main routing rules it matches, computed ahead (route_new_lead_matches), or NULL */
	const uint64_t *route_mask;
	struct lerr *err;
	/* the lead's activities when a bulk reader has them (lib/activity.h), or NULL */
	struct act_src *acts;
};

/*
 * Register the config sections the engines own (routing, scoring,
 * workflows, business_hours, import) with config_register_section().
 * main() calls it once before loading any config.
 */
void hooks_register_config(void);

/*
 * Whether no engine reacts to ev on any lead under cfg: hooks_run for it
 * would change nothing and write nothing, so a bulk path may leave it out
 * and write its change set-based (lc_inactivate_idle).
 */
bool hooks_quiet(const struct config *cfg, const struct hook_event *ev);

/* Run the engines for one event on l. 0 or an exit code with env->err. */
int hooks_run(struct hook_env *env, struct lead *l, const struct hook_event *ev);

#endif
