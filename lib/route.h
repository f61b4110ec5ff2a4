/*
 * route.h - the routing engine: who works a lead.
 *
 *   routing:
 *     rules:                       # top to bottom, the first match decides
 *       - name: enterprise
 *         when: {field: extra.annual_revenue, gte: 1000000}
 *         assign: ana              # one member
 *         reassign_after: 2h       # (pools only) no activity by then: next member
 *       - name: east
 *         when: {field: state, in: [NY, NJ]}
 *         assign: {round_robin: [ana, ben, group:east], weighted: true}
 *       - name: big-deals
 *         when: {field: value, gte: 50000}
 *         assign: {least_loaded: [ana, ben]}
 *       - name: ana-form
 *         when: {field: source, eq: ana-landing-page}
 *         assign: {router: ana}    # hand over to ana's own router
 *       - name: spam
 *         when: {field: email, regex: "@(mailinator|example)\\."}
 *         assign: unassigned       # deliberately nobody
 *     default: {round_robin: [ana, ben]}  # when nothing matched (optional)
 *     routers:                     # one router per team member (optional)
 *       ana:
 *         - {name: big, when: {field: value, gte: 10000}, assign: ana}
 *         - {name: rest, assign: {round_robin: [ben, cy]}}
 *
 * A member who is `away`, or at `capacity` (open leads they own: stage in
 * an active group and status not unqualified), is skipped; a rule whose
 * members are all unavailable passes the lead on to the next rule, and the
 * outcome says so. A member's router is a rule set of its own that a rule
 * hands a lead to; routers do not nest. When nothing matches and there is
 * no `default`, the lead stays unassigned and the history says why: never
 * a silent drop.
 *
 * Rotation: each round-robin rule walks a fixed slot sequence (weights 3:1
 * give a a b a, spread by smooth weighted round robin); its cursor is a
 * counter in the `state` table ("route.rr.<rule>"). The engine reads it
 * (lc_cursor) and its decision says the step; the lifecycle advances it
 * in the caller's write transaction (assignment mails are keyed
 * "assign:<lead id, 12 digits>:<time>:<member>"), so concurrent writers
 * and bulk imports hand out exactly the configured proportions. A dry run
 * advances an in-memory copy of the cursors instead and writes nothing.
 */
#ifndef LEADS_ROUTE_H
#define LEADS_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "activity.h"
#include "config.h"
#include "hooks.h"
#include "lead.h"
#include "ltime.h"
#include "util.h"

/* Register the `routing:` section (hooks_register_config calls it). */
void route_register_config(void);
/* Does cfg route leads at all (a routing section with rules or a default)? */
bool route_configured(const struct config *cfg);

/* One routing rule as `config graph` draws it (route_each_rule). */
struct route_rule_view {
	const char *name;
	const char *router_of; /* the member whose router holds it; NULL: the main rules */
	bool conditional;      /* has a `when` */
	const char *pick;      /* member, round_robin, least_loaded, router, unassigned */
	const char *member;    /* pick member, or the member of the router (pick router) */
	const struct member *const *pool; /* round_robin, least_loaded */
	size_t npool;
};
/* Each rule in order: the main rules, then each member's router. */
void route_each_rule(const struct config *cfg,
                     void (*fn)(const struct route_rule_view *r, void *ctx), void *ctx);
/* Does any routing condition look at activities (bulk readers preload them)? */
bool route_uses_activity(const struct config *cfg);

enum route_outcome {
	RO_ASSIGNED,   /* a member was chosen (possibly the current owner) */
	RO_UNASSIGNED, /* a rule says unassigned */
	RO_NO_MATCH,   /* no rule matched and there is no default */
	RO_NOBODY,     /* rules matched, but every member they name is unavailable */
	RO_KEPT,       /* it has an owner and was left alone (route without --reassign) */
};

struct route_result {
	enum route_outcome outcome;
	const struct member *member; /* RO_ASSIGNED */
	bool changed;                /* the owner changes */
	char rule[160];              /* deciding rule ("ana/big" in ana's router); "" if none */
	char reason[256];            /* why nobody, for the other outcomes */
	/* what the lifecycle writes for it (lc_route_apply, lib/lifecycle.h) */
	const char *cursor; /* a rotation slot taken: the cursor's key; NULL: none */
	int64_t cursor_to;  /* the cursor's value once the slot is taken */
	char why[128];      /* passed on (route_decide_reassign): "no activity within 2h" */
};

/*
 * Decide who works l: evaluate the rules and pick a member (a rotation
 * slot, the least loaded, ...). Writes nothing and changes nothing but
 * res: the decision says the member, the rule, whether the owner
 * changes and which cursor step taking it means; lc_route_apply
 * (lib/lifecycle.h) applies it. acts may be NULL (activities are then
 * read on demand). explain (may be NULL) gets indented lines: each rule
 * tried, whether it matched and why, the members skipped, and the
 * outcome.
 */
int route_decide(struct hook_env *env, const struct lead *l, struct act_src *acts,
                 struct route_result *res, struct sb *explain);

/*
 * A bulk run (`leads route --all`, an import; one transaction): between
 * these two the rotation cursors live in memory, and route_bulk_end writes
 * them, once, into the caller's transaction (not in a dry run): they are
 * lc_bulk_begin and lc_bulk_end (lib/lifecycle.h).
 *
 * Mail is per member, not per lead: each assignment is still recorded in
 * history as it happens, but route_bulk_end queues, for each member in the
 * order they got their first lead, the usual assignment mail when they got
 * one lead, or one MK_ASSIGNMENT_DIGEST mail (kind "assignment_digest",
 * key "assign-digest:<time>:<member>:<first lead id, 12 digits>") listing
 * the first 50 and counting the rest. Memory stays bounded by the team.
 * route_bulk_end uses env->db, env->cfg, env->err and env->dry_run (the
 * time is the one the assignments had); call it before the commit. Call
 * it on failure too, before the rollback, with env->dry_run set: it then
 * writes nothing (the failed transaction may already be gone) and frees
 * what the run kept.
 */
void route_bulk_begin(void);
int route_bulk_end(struct hook_env *env);

/*
 * The engine's side of an applied decision (lc_route_apply calls these):
 * the open-lead counts it keeps for capacity and least_loaded follow l
 * from owner `from` to `to`; and the assignment mail of d (routed: one
 * mail, or a line of the member's digest in a bulk run; passed on: the
 * new and the previous owner), composed here and queued.
 */
void route_owner_moved(const struct config *cfg, const struct lead *l, const char *from,
                       const char *to);
int route_assign_mail(struct hook_env *env, const struct lead *l, const struct route_result *d,
                      const char *from);
/* The digests of a bulk run: queued (unless env->dry_run) and forgotten. */
int route_digest_flush(struct hook_env *env);

/*
 * Which rules of the main rule set match a new lead not stored yet (bit i
 * for rule i), for route_decide to use instead of evaluating them again
 * (hook_env.route_mask): an import's reader thread computes it while the
 * other thread stores leads, so this touches no database and no shared
 * state (cc: the custom fields looked up so far, or NULL). False when the
 * lead will not be routed (it has an owner) or the set has more than 64
 * rules.
 */
bool route_new_lead_matches(const struct config *cfg, const struct lead *l, int64_t now,
                            struct cond_cache *cc, uint64_t *mask);

/* hooks_run's part: should l be routed now (a new lead without an owner,
 * routing configured, not env->no_route)? hooks_run then calls lc_route. */
bool route_wanted(const struct hook_env *env, const struct lead *l, const struct hook_event *ev);

/*
 * For the sweep (`reassign_after`): the response deadline of the rule that
 * assigned a lead (its assigned_rule); false if that rule has none.
 */
bool route_reassign_after(const struct config *cfg, const char *rule, struct ldur *out);
/*
 * The latest assignment time a lead may have and be due for re-routing at
 * now by some rule (a little later, never earlier, where calendar months
 * make it inexact); false when no rule has a reassign_after.
 */
bool route_reassign_cutoff(const struct config *cfg, int64_t now, int64_t *cutoff);
/*
 * Decide who l passes on to: the next available member of the pool of
 * the rule that assigned it, skipping the current owner (res->why: "no
 * activity within <reassign_after>"); lc_route_apply records the change
 * and mails both the new and the previous owner. RO_NOBODY when no one
 * else is available. Writes nothing.
 */
int route_decide_reassign(struct hook_env *env, const struct lead *l, struct route_result *res,
                          struct sb *explain);

/* --- storage (lib/db_route.c) --- */

/* Open leads owned by owner: stage in an active group, status not unqualified. */
/* The assignment mail of an owner change by hand (lib/lifecycle.c): to m,
 * naming the actor and the previous owner `from` (NULL: nobody). */
int route_owner_mail(struct hook_env *env, const struct lead *l, const struct member *m,
                     const char *from);
/* An owner that came with a lead in a bulk run (an import's owner column):
 * into the run's digests like a routed lead, or mailed at once outside one. */
int route_owner_digest(struct hook_env *env, const struct lead *l, const struct member *m,
                       const char *why);
int db_route_open_count(struct db *db, const char *owner, int64_t *n, struct lerr *err);

#endif
