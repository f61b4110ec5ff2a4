/*
 * sweep.h - what `leads sweep` does inside its write transaction: idle
 * leads go inactive, stage reminders and their escalation, late tasks,
 * "due soon" notices, re-routing past a response deadline, and the daily
 * digest. Every message goes to the outbox in the same transaction as the
 * change that caused it; delivery happens after the commit (mail.h).
 *
 * Idempotent by construction: each change is guarded by the state it
 * produces (a status, tasks.late, tasks.notified_at, a "reminder" event
 * numbered within the lead's idle spell) and each message by its
 * idempotency key, and the caller runs it in one BEGIN IMMEDIATE
 * transaction. So a sweep run twice at the same time, or two sweeps at
 * once, changes and queues everything exactly once.
 *
 * Definitions:
 *  - idle since: the later of the last activity by a person (note, log,
 *    move, step, edit, task done; lead.last_activity_at) and, for stage
 *    reminders, the time the lead entered its stage; a lead never acted
 *    on is idle since it was created.
 *  - inactivity: status new or active, idle for status.inactive_after ->
 *    inactive, with a history entry. Unqualified and inactive leads are
 *    left alone.
 *  - reminders: a lead in an active stage with remind_after, status not
 *    unqualified, idle in that stage for remind_after gets reminder 1,
 *    then one more every `repeat` while it stays idle. Reminder n copies
 *    the first manager of the team when n > escalate_after (> 0). A sweep
 *    that runs late sends only the latest reminder due, numbered as if
 *    none had been missed.
 *  - late: an open task whose due time has passed is marked late and its
 *    owner mailed once.
 *  - due soon: an open task whose notify time has come and whose due time
 *    has not gets one notice to its owner.
 *  - digest (opts.digest): each team member with open tasks due before the
 *    end of the local day (the business_hours zone, else UTC) gets one
 *    mail a day listing them, overdue ones apart.
 */
#ifndef LEADS_SWEEP_H
#define LEADS_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "util.h"

struct sweep_opts {
	int64_t now;
	/* say what would happen, write nothing (no history, no rescoring, no
	 * workflows): counts.queued is what would be queued, the messages of
	 * the sweep itself not in the outbox yet; the caller rolls back all the
	 * same */
	bool dry_run;
	bool digest;
	bool no_route; /* leave owners alone: no re-routing */
	/* one line per action ("lead #3 inactive (idle since ...)"), may be NULL */
	void (*say)(void *ctx, const char *line);
	void *ctx;
};

struct sweep_counts {
	int inactive, reminders, escalated, late, due_soon, rerouted, digests, queued;
};

/* Run inside the caller's write transaction. 0 or an exit code. */
int sweep_run(struct db *db, const struct config *cfg, const struct sweep_opts *o,
              struct sweep_counts *c, struct lerr *err);

/* --- storage (lib/db_sweep.c) --- */

struct sweep_idle {
	int64_t id, since;
};
/* Leads in stage (not unqualified) idle in it since at or before cutoff. */
int db_sweep_stage_idle(struct db *db, const char *stage, int64_t cutoff, struct sweep_idle **v,
                        size_t *n, struct lerr *err);
/* The highest reminder number recorded for lead at or after since (0 if none). */
int db_sweep_last_reminder(struct db *db, int64_t lead_id, int64_t since, int64_t *n,
                           struct lerr *err);
/*
 * Leads assigned by a routing rule (assigned_rule set) at or before
 * cutoff with no activity since, status new or active: re-routing
 * candidates, with their rule and assignment time.
 */
struct sweep_assigned {
	int64_t id, assigned_at;
	char *rule;
};
int db_sweep_assigned(struct db *db, int64_t cutoff, struct sweep_assigned **v, size_t *n,
                      struct lerr *err);

#endif
