/*
 * lifecycle.h - the one place that changes where a lead stands and fires
 * what follows: moving between stages, setting a status, logging an
 * action, assigning an owner, and the tasks and mail these imply.
 *
 * Every function takes a context (config, database, now, actor), works
 * inside the caller's write transaction, returns 0 or an exit code with
 * the message in ctx->err, and never prints. The engines (route, score,
 * workflow) decide; the lifecycle writes.
 *
 * The rules it keeps, whichever way a lead changes (add, edit, import,
 * move, status, route):
 * - an owner change records `assigned`, queues the assignment mail to the
 *   new owner (`lifecycle: assignment_mail: false` turns that off; bulk
 *   paths keep their digests) and hands the lead's open tasks to the new
 *   owner, except tasks given to someone by name (owner_given);
 * - reaching a won or lost stage, or status unqualified, closes the lead's
 *   open tasks as cancelled (kept, shown as cancelled), except those of a
 *   workflow with `keep_open: true`;
 * - a status set by hand is an action: the idle clock restarts from it;
 * - lead.discarded carries the stage the lead came from.
 *
 *   lifecycle:
 *     assignment_mail: true     # mail the new owner on any owner change
 *     unowned_tasks: manager    # who gets a task that comes due unowned:
 *                               #   manager, a team member or an address
 *     import_events_within: 7d  # import fires workflows only for open
 *                               #   leads created this recently
 */
#ifndef LEADS_LIFECYCLE_H
#define LEADS_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "hooks.h"
#include "lead.h"
#include "route.h"
#include "score.h"
#include "util.h"

struct lifecycle_config {
	bool assignment_mail;             /* default true */
	char *unowned_tasks;              /* NULL: the team's manager */
	struct ldur import_events_within; /* default 7d */
	bool has_import_within;
	char *src; /* the section as written, for config show */
};

struct lc {
	struct db *db;
	const struct config *cfg;
	int64_t now;
	const char *actor;
	bool no_route;      /* leave owners alone */
	bool no_events;     /* no workflows */
	bool dry_run;       /* route decisions: keep the cursors in memory, write nothing */
	bool import_assign; /* hook_env.import_assign: a new lead's owner kept on the lead */
	struct lerr *err;
};

/* The lifecycle context of an engine's hook_env. */
struct lc lc_of_env(const struct hook_env *env);

/* Register the `lifecycle:` section (hooks_register_config calls it). */
void lifecycle_register_config(void);
/* The settings, defaults when the config has no such section. */
bool lc_assignment_mail(const struct config *cfg);
struct ldur lc_import_events_within(const struct config *cfg);

/*
 * One definition of a valid lead for add, edit, --json and import: it is
 * identifiable by an email, a first or last name, a company or a phone.
 * 0, or EX_DATAERR with "no email, name, company or phone".
 */
int lc_identifiable(const struct lead *l, struct lerr *err);

/* One history event on l at now, by the actor. */
int lc_record(struct lc *c, const struct lead *l, const char *kind, const char *from,
              const char *to, const char *data);
/* Mark l changed (and, with activity, acted on by a person) at now. */
void lc_touch(struct lc *c, struct lead *l, bool activity);
/* An action by a person: restarts the idle clocks and makes a new or
 * inactive lead active (recorded in history). Does not save l. */
int lc_action(struct lc *c, struct lead *l);
/* Run the engines (route, score, workflows) for one event on l. */
int lc_hook(struct lc *c, struct lead *l, enum hook_kind kind, const char *detail);

/*
 * Log an activity on l and save it: a `kind` history row (note, call,
 * email, meeting, meeting_scheduled...) at `at` (0: now) with data, an
 * action on the lead, then the engines: meeting.scheduled when meeting is
 * the future meeting's time, else the activity `detail` (call,
 * email_opened, ...).
 */
int lc_log(struct lc *c, struct lead *l, const char *kind, const char *data, int64_t at,
           const char *detail, int64_t meeting);
/* Set l's step in its stage (NULL: none) as an action and save it. */
int lc_step(struct lc *c, struct lead *l, const char *step);

/* Move l to stage `to` (a lost stage needs a reason) and save it. */
int lc_move(struct lc *c, struct lead *l, const struct stage *to, const char *reason);
/* Set l's status (new, active, inactive, unqualified) by hand and save it. */
int lc_set_status(struct lc *c, struct lead *l, const char *to, const char *reason);
/*
 * What follows an owner change of l from `from` (already set on l, not yet
 * saved): the lead.assigned event, the mail to the new owner unless
 * `mail` is false, the open tasks handed on. `assigned` must already be
 * in the history (set_field and the router record it).
 */
int lc_owner_changed(struct lc *c, struct lead *l, const char *from, bool mail);
/*
 * Routing: the engine decides (route_decide, lib/route.h), the lifecycle
 * writes. lc_route_apply applies a decision d to l in the caller's
 * transaction: for a member, the owner, assigned_rule, assigned_at and
 * updated_at on l (the caller saves l: lc_route_save), the rotation
 * cursor advanced to d->cursor_to (once, here and nowhere else), the
 * `assigned` history row (or, for a new lead of an import, import_owner
 * and import_rule on l), the lead's open tasks handed on except those
 * given by name, and the assignment mail (lifecycle: assignment_mail
 * turns off the mail of a routing rule; a bulk run collects digests; a
 * lead passed on by reassign_after always mails both owners). For no
 * member, an unowned lead gets its `route.unassigned` row saying why.
 * With c->dry_run only l and the in-memory cursors change.
 * lc_route is the engine's decision applied at once (route_decide, then
 * lc_route_apply), for one lead.
 */
int lc_route_apply(struct lc *c, struct lead *l, const struct route_result *d);
int lc_route(struct hook_env *env, struct lead *l, struct act_src *acts, struct route_result *res,
             struct sb *explain);
/*
 * Scoring: score_decide (lib/score.h) says which scores change; the
 * lifecycle writes the points: the default score on l (the caller saves
 * l), a named score into the scores table (not with c->dry_run), and for
 * each change the thresholds it crossed (score_crossings). stats (may be
 * NULL) is added to. lc_score decides and applies at once.
 */
int lc_score_apply(struct lc *c, struct lead *l, const struct score_decision *d,
                   struct score_stats *stats, bool fresh);
int lc_score(struct hook_env *env, struct lead *l, struct act_src *acts, struct score_stats *stats,
             bool fresh);
/*
 * A rotation cursor as the engine should read it: in a bulk run or a dry
 * run the value this process advanced it to (never written before
 * lc_bulk_end, or never at all), else the stored one (0 when unset).
 */
int64_t lc_cursor(struct db *db, const char *key, bool dry_run);
/*
 * The set-based entry point of bulk routing (route --all, and an import's
 * routing): between lc_bulk_begin and lc_bulk_end the cursors live in
 * memory and are written once at the end; open tasks handed on, and the
 * leads whose only change is their assignment (lc_route_save), are
 * written a few hundred at a time (one UPDATE ... FROM (VALUES ...) per
 * chunk) instead of a statement per lead. lc_bulk_end writes what is
 * pending, the cursors and the run's assignment mails (digests, see
 * route_bulk_end) into the caller's transaction; with env->dry_run
 * (a failed or dry run) it writes nothing and forgets the run.
 */
void lc_bulk_begin(void);
bool lc_in_bulk(void);
int lc_bulk_end(struct hook_env *env);
/* Save l after routing (before: l as read): batched in a bulk run when
 * only its assignment changed, else at once (db_lead_save). */
int lc_route_save(struct lc *c, const struct lead *before, const struct lead *l);

/* Hand task id to owner by name (NULL: nobody); records it on the lead. */
int lc_task_reassign(struct lc *c, int64_t task_id, const char *owner);

/* Close the open tasks of lead l as cancelled (keep_open workflows aside). */
int lc_close_tasks(struct lc *c, const struct lead *l, const char *why);
/*
 * For the sweep, before a late or due-soon mail: if the task's lead is
 * closed (a lead closed before the lifecycle existed, or changed by a path
 * that bypassed it) and its rule does not keep_open, cancel the task now
 * and set *cancelled, so no mail goes out for it.
 */
int lc_task_check_closed(struct lc *c, int64_t task_id, int64_t lead_id, const char *rule,
                         bool *cancelled);
/*
 * The sweep's bulk entry point: every new or active lead idle since cutoff
 * or before (lead.last_activity_at, else created_at) becomes inactive at
 * c->now, with a `status` history row carrying data, in id order; fn is
 * told of each (its id, its name as people read it, the status it had)
 * and *n counts them. When no engine reacts to a lead going inactive
 * (hooks_quiet: no scoring rule reads the status), two statements do it
 * whatever the number of leads, and only the status and updated_at
 * columns are written; else each lead goes through the engines in turn
 * and is saved by its status, updated_at and score (the whole row when
 * an engine changed more). dry_run: the leads are only read, no engine
 * runs.
 */
typedef void (*lc_idle_fn)(void *ctx, int64_t id, const char *name, const char *from);
int lc_inactivate_idle(struct lc *c, int64_t cutoff, const char *data, bool dry_run, lc_idle_fn fn,
                       void *ctx, size_t *n);
/* Whether a lead in stage key with status is closed (won, lost, unqualified). */
bool lc_closed(const struct config *cfg, const char *stage_key, const char *status);
/* When the sweep would make l inactive, or 0 if it never will as things stand. */
int64_t lc_inactive_at(const struct config *cfg, const struct lead *l);
/* Who gets an unowned task that comes due: a team member, or NULL with *addr
 * set to a plain address, or both NULL when nobody is configured. */
const struct member *lc_unowned_to(const struct config *cfg, const char **addr);

/*
 * `notify:` of thresholds and workflows: a team member's name or a plain
 * address, or a list of them. lc_notify_parse reports problems with
 * ly_error and stores member names canonical; lc_notify_mail queues one
 * message per recipient (key: key_base:ADDRESS), skipping `skip` (an
 * address already mailed).
 */
struct yaml_ctx;
struct yaml_node_s;
int lc_notify_parse(struct yaml_ctx *y, struct yaml_node_s *val, const struct config *cfg,
                    const char *what, char ***v, size_t *n);
int lc_notify_mail(struct lc *c, const struct lead *l, char *const *who, size_t n, const char *kind,
                   const char *key_base, const char *subject, const char *intro, const char *skip);

/*
 * A new lead, from any way in (add, intake, import): what it does not
 * give, in stage s. Status new, the config's default priority, score 0,
 * created now, updated and stage-entered never after now (an import keeps
 * the file's earlier times), the furthest position reached (a lead lost
 * on arrival got no further than the top), assigned now when it has an
 * owner. Writes nothing.
 */
void lc_new_defaults(const struct config *cfg, struct lead *l, const struct stage *s, int64_t now);
/*
 * Create l in stage s (add, intake): the defaults, the row, `created` (and
 * `assigned` with an owner) in history, lead.received, and for an owner
 * given by hand what any owner change brings (lc_owner_changed). A lead
 * that arrives closed (a won or lost stage) fires no workflows.
 */
int lc_create(struct lc *c, struct lead *l, const struct stage *s);

/*
 * Import: the same rules, set-based (lib/import.c drives the file; these
 * write). Rows describe the past: by default workflows fire only for rows
 * that arrive as open leads (an active stage, status new or active)
 * created within lifecycle: import_events_within; the rest come in
 * quietly. Routing assigns either way; an owner the file gives is told in
 * the run's digest (route_bulk_begin), as a routed one.
 */
enum import_events { IMPORT_EVENTS_RECENT, IMPORT_EVENTS_ALL, IMPORT_EVENTS_NONE };
struct lc_import {
	struct hook_env *h; /* db, cfg, now, actor, no_route, no_events, dry_run */
	enum import_events mode;
	int64_t recent;        /* created at or after this: recent */
	int64_t batch;         /* the import batch (import_update history) */
	uint64_t fired, quiet; /* new leads that went through the workflows, or quietly */
};
void lc_import_begin(struct lc_import *li, struct hook_env *h, enum import_events mode,
                     int64_t batch);
/* Do new leads go through the engines at all (routing or workflows on)? */
bool lc_import_engines(const struct lc_import *li);
/* Leads created before this came quietly (db_lc_import_quiet_set); 0: none. */
int64_t lc_import_quiet_before(const struct lc_import *li);
/* A new lead, row by row: stored, then the engines, then what they changed. */
int lc_import_new(struct lc_import *li, struct lead *l);
/*
 * Decided rows, in file order, with their ids given (db_import_ids): each
 * through the engines, then its one INSERT. held[i]: a row whose key was
 * seen before, stored as it is (the caller runs lc_import_stored on it
 * after the duplicate pass if it survives). score[i] and match[i]: the
 * default score and the routing rules it matches, computed ahead, or
 * NULL. *done: rows stored before an error.
 */
int lc_import_decided(struct lc_import *li, struct lead *v, size_t n, const bool *held,
                      const int64_t *const *score, const uint64_t *const *match, size_t *done);
/* A lead stored already (bulk path): the engines, then what they changed. */
int lc_import_stored(struct lc_import *li, const struct lead *stored);
/*
 * --on-duplicate update: fill and overwrite lead id with the file's
 * non-empty values (line of the file), keeping what it had in an
 * import_update history entry for `import --revert`; a new owner gets the
 * open tasks and is told in the digest. *changed: anything changed.
 */
int lc_import_update(struct lc_import *li, int64_t id, const struct lead *in, uint64_t line,
                     bool *changed);

/* storage (db_lifecycle.c) */
/* The open tasks of a lead: ids and the rules that created them. */
struct lc_open_task {
	int64_t id;
	char *rule;
	char *owner;
	bool owner_given;
};
int db_lc_open_tasks(struct db *db, int64_t lead_id, struct lc_open_task **v, size_t *n,
                     struct lerr *err);
void lc_open_tasks_free(struct lc_open_task *v, size_t n);
int db_lc_task_cancel(struct db *db, int64_t id, int64_t now, struct lerr *err);
/* Hand the lead's open tasks not given by name to owner (NULL: nobody). */
int db_lc_tasks_follow(struct db *db, int64_t lead_id, const char *owner, struct lerr *err);
/*
 * Many leads' assignments at once (bulk routing): each lead's owner,
 * assigned_rule, assigned_at and updated_at (db_lc_assign_set), or its
 * open tasks not given by name handed to owner (db_lc_tasks_follow_set),
 * in chunks of up to 128 leads a statement.
 */
struct lc_assign_row {
	int64_t id;
	const char *owner; /* NULL: nobody */
	const char *rule;
	int64_t at;
};
int db_lc_assign_set(struct db *db, const struct lc_assign_row *v, size_t n, struct lerr *err);
int db_lc_tasks_follow_set(struct db *db, const struct lc_assign_row *v, size_t n,
                           struct lerr *err);
/* Whether after differs from before in its assignment columns only (owner,
 * assigned_rule, assigned_at and updated_at, the last two equal). */
bool db_lc_only_assigned(const struct lead *before, const struct lead *after);
/* The lead and owner of task id (EX_NOINPUT "no task #ID" when missing). */
int db_lc_task_lead(struct db *db, int64_t id, int64_t *lead_id, char **owner, struct lerr *err);
int db_lc_task_owner(struct db *db, int64_t id, const char *owner, bool given, struct lerr *err);
/* Mark import batch: its leads created before `before` came in quietly. */
int db_lc_import_quiet_set(struct db *db, int64_t batch, int64_t before, struct lerr *err);
/* When batch started, and before what creation time its leads came quietly
 * (0 when none did). */
int db_lc_import_quiet(struct db *db, int64_t batch, int64_t *started, int64_t *before,
                       struct lerr *err);
/*
 * The start of a lead's idle spell for stage reminders: `since`, or the
 * import's time for a lead imported quietly (import --events) when that
 * is later. Reads the batch only for imported leads.
 */
int lc_reminder_since(struct lc *c, const struct lead *l, int64_t since, int64_t *out);
/* The idle leads of lc_inactivate_idle, streamed in id order: fn gets each
 * with its id, status, names, company and email only, and runs no statement. */
int db_lc_idle_each(struct db *db, int64_t cutoff, db_lead_fn fn, void *ctx, struct lerr *err);
/* Make them inactive: their history rows, then status and updated_at. */
int db_lc_inactivate(struct db *db, int64_t cutoff, int64_t now, const char *actor,
                     const char *data, struct lerr *err);
/* Lead id inactive at now with that default score; nothing else of it changes. */
int db_lc_inactive_one(struct db *db, int64_t id, int64_t now, int64_t score, struct lerr *err);
/* Whether lead has an open task created by rule. */
int db_lc_rule_open(struct db *db, int64_t lead_id, const char *rule, bool *open, struct lerr *err);

/*
 * Merging two leads that are one person (leads merge KEEP OTHER).
 * lc_merge_plan reads nothing and writes nothing: from the two leads as
 * read it works out KEEP as it will be (fields KEEP lacks filled from
 * OTHER, custom fields likewise, a conflict won by KEEP or, with
 * prefer_other, by OTHER), which is all --dry-run shows. lc_merge_apply
 * then, in the caller's transaction, moves every row that points at
 * OTHER to KEEP (history, stays, tasks, scores, outbox, aliases: one
 * line each in db_lifecycle.c's merge_moves), deletes OTHER, saves KEEP,
 * keeps OTHER's id and second address in lead_aliases (so `show OTHER`
 * still finds KEEP) and records lead.merged on KEEP.
 */
struct lc_merge_conflict {
	char *field;        /* "phone", or "extra.plan" for a custom field */
	char *keep, *other; /* the two values as text */
	bool other_won;
};
struct lc_merge {
	struct lead keep, other; /* as read (the caller's, freed by lc_merge_free) */
	struct lead merged;      /* KEEP as it will be */
	bool prefer_other;
	char **filled; /* fields KEEP took from OTHER */
	size_t nfilled;
	struct lc_merge_conflict *conf;
	size_t nconf;
	char *alias_email; /* the address kept as a second one, or NULL */
};
/* Both leads are taken over by m (freed by lc_merge_free). 64 when they are
 * the same lead; 65 when a custom-field object is malformed. */
int lc_merge_plan(struct lc *c, struct lead *keep, struct lead *other, bool prefer_other,
                  struct lc_merge *m);
int lc_merge_apply(struct lc *c, struct lc_merge *m);
void lc_merge_free(struct lc_merge *m);

/* storage of merges (db_lifecycle.c) */
/* Move every row that points at lead `from` to lead `to` (merge_moves). */
int db_lc_merge_move(struct db *db, int64_t to, int64_t from, int64_t now, struct lerr *err);
int db_lc_lead_delete(struct db *db, int64_t id, struct lerr *err);
/* Keep `alias` (a merged lead's old id) and its address as names of lead. */
int db_lc_alias_add(struct db *db, int64_t alias, int64_t lead, const char *email, int64_t batch,
                    int64_t now, const char *actor, struct lerr *err);
/*
 * The lead a merged lead's id ("#12", "12") or address now is: 1 with *lead
 * set, 0 when ref names no merged lead.
 */
int db_lc_alias_find(struct db *db, const char *ref, int64_t *lead, struct lerr *err);
/* The second addresses of lead (a merged lead's), comma-separated, or NULL. */
char *db_lc_alias_emails(struct db *db, int64_t lead);
/*
 * Candidate duplicates (list --duplicates): fn(keep, other, reason) per
 * pair, keep the older (smaller id), ordered by keep then other; a pair
 * found for several reasons comes once per reason, adjacent. Never
 * compared pairwise: the database groups on the normalised name+company
 * and phone; the mailbox key (no "+tag", no dots at Gmail) is made here
 * and sorted once.
 */
typedef int (*db_lc_dup_fn)(int64_t keep, int64_t other, const char *reason, void *ctx);
int db_lc_duplicates(struct db *db, db_lc_dup_fn fn, void *ctx, struct lerr *err);

#endif
