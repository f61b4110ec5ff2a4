/*
 * workflow.h - events -> tasks: the `workflows:` and `business_hours:`
 * sections, and the mail templates they share with the sweep.
 *
 *   workflows:
 *     - name: first-call              # optional; names the rule in tasks
 *       on: lead.received             # the event (list below)
 *       when: {field: source, eq: Web}  # optional condition (lib/cond.h)
 *       for: all                      # or {groups: [east, west]}: leads
 *                                     #   owned by members of those groups
 *       task:                         # or a list of tasks
 *         title: First call
 *         notes: Use the discovery script.
 *         assignee: owner             # default; or a team member
 *         due: 30m                    # >= 30m: 30m 2h 3d 1w 3mo (sums too)
 *         notify_before: 10m          # a "due soon" mail that long before
 *         business_hours: true        # count due in business hours
 *     - on: stage.entered
 *       stage: Proposal Sent          # only this stage (default: any)
 *       task: {title: Follow up on the proposal, due: 3d}
 *     - on: meeting.scheduled
 *       task: {title: Confirm the meeting, due: 120m before meeting}
 *     - on: score.threshold
 *       threshold: hot                # only this threshold (default: any)
 *       task: {title: Call now, due: 1h}
 *
 * Events: lead.received, lead.discarded (moved to a lost stage or marked
 * unqualified), lead.assigned, stage.entered, meeting.scheduled,
 * email.opened, call.logged, score.threshold.
 *
 * A due time is counted from the event (the meeting's own time for
 * "before meeting"). Without business_hours, days, weeks and months are
 * calendar days in the business_hours time zone (UTC when there is no
 * such section) and minutes and hours are exact; with it, see
 * lib/bizhours.h. A due under 30 minutes is a config error; a "before
 * meeting" due that has already passed when the meeting is logged makes
 * the task due at once.
 *
 * Each task created has an idempotency key made of the rule, the action,
 * the lead, the event and its time: replaying an event (the same command
 * at the same --now) never creates a task twice.
 */
#ifndef LEADS_WORKFLOW_H
#define LEADS_WORKFLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "bizhours.h"
#include "config.h"
#include "hooks.h"
#include "lead.h"
#include "mail.h"
#include "util.h"

enum wf_event {
	WF_RECEIVED,
	WF_DISCARDED,
	WF_ASSIGNED,
	WF_STAGE_ENTERED,
	WF_MEETING,
	WF_EMAIL_OPENED,
	WF_CALL,
	WF_EMAIL_REPLIED,
	WF_THRESHOLD,
	WF__N
};

struct cond;

struct wf_task {
	char *title, *notes;
	char *assignee; /* team member name; NULL = the lead's owner */
	struct bh_dur due;
	bool before_meeting;
	struct ldur notify_before; /* zero = no notice */
	bool business_hours;
};

struct wf_rule {
	char *name; /* `name:`, else "workflows[N]" (1-based) */
	enum wf_event on;
	char *stage;     /* stage.entered: stage key, NULL = any */
	char *threshold; /* score.threshold: name, NULL = any */
	struct cond *when;
	char **groups; /* for: {groups: [...]}; none = all */
	size_t ngroups;
	struct wf_task *tasks;
	size_t ntasks;
	int line;
	bool keep_open; /* its open tasks outlive the lead's closing (won, lost, unqualified) */
	bool repeat;    /* fire again while a task it created is open */
	char **notify;  /* notify: members or addresses told of each task it creates */
	size_t nnotify;
};

struct workflow_config {
	struct wf_rule *rules;
	size_t nrules;
	struct bizhours *bh;        /* business_hours, NULL if none */
	struct mail_templates *tpl; /* mail: templates, NULL if none */
	char *src;                  /* the workflows section as written, for config show */
	char *tpl_src;              /* and mail: templates */
};

/* Register business_hours and workflows (hooks_register_config calls it). */
void workflow_register_config(void);

/* The event named s ("lead.received"), -1 if unknown. */
int wf_event_parse(const char *s);
/* The name of event e ("lead.received"). */
const char *wf_event_name(enum wf_event e);
/* The event name a hook event is ("lead.received"), NULL if none. */
const char *wf_hook_event_name(const struct hook_event *ev);

/*
 * hooks_run's part: create the tasks of every rule the event triggers.
 * Does nothing with env->no_events; with env->dry_run computes but writes
 * nothing.
 */
int workflow_run(struct hook_env *env, struct lead *l, const struct hook_event *ev);
/*
 * The same for events that are not hook kinds: score.threshold (detail:
 * the threshold's name), which the scoring engine fires when a lead's
 * score crosses a threshold upwards.
 */
int workflow_fire(struct hook_env *env, const struct lead *l, enum wf_event e, const char *detail,
                  int64_t at);

/* What other parts share: business hours, the zone (NULL = UTC), templates. */
const struct bizhours *workflow_bizhours(const struct config *cfg);
const struct tz *workflow_tz(const struct config *cfg);
const struct mail_templates *workflow_templates(const struct config *cfg);

/*
 * A due time d after t: in business hours when business is true and the
 * config has business hours, else on the calendar of workflow_tz().
 */
int64_t workflow_due(const struct config *cfg, int64_t t, const struct bh_dur *d, bool business);

#endif
