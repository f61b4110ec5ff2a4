/* note.c - `leads note` and `leads log`: activities with a lead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ltime.h"

const struct opt opts_note[] = { { 0 } };

enum { G_NOTE, G_AT };
const struct opt opts_log[] = {
	[G_NOTE] = { "note", 'm', "TEXT", "what happened", 0, COMP_NONE, NULL },
	[G_AT] = { "at", 0, "TIME",
	           "meeting: when (ISO 8601); a future time schedules it, a past one "
	           "records it held then",
	           0, COMP_NONE, NULL },
	{ 0 },
};

/* Activity names on the command line and the event kinds they record. */
static const char *const activities[][2] = {
	{ "call", "call" },
	{ "email", "email" },
	{ "meeting", "meeting" },
	{ "email-opened", "email_opened" },
};

static int activity(struct ctx *c, const char *ref, const char *kind, const char *text)
{
	struct lead l;
	int rc = find_lead(c, ref, &l);
	if (rc)
		return rc;
	struct sb data = SB_INIT;
	json_obj1(&data, "text", text);
	if (!(rc = record(c, &l, kind, NULL, NULL, data.len ? data.buf : NULL)) &&
	    !(rc = lead_action(c, &l)) && !(rc = run_hook(c, &l, HK_ACTIVITY, kind)) &&
	    (rc = db_lead_update(c->db, &l, &c->err)))
		rc = fail_err(c);
	sb_free(&data);
	lead_free(&l);
	return rc;
}

int cmd_note(struct ctx *c, struct args *a)
{
	if (a->argv[1][strspn(a->argv[1], " \t\r\n")] == '\0')
		return usage_error(c, "the note is empty");
	return activity(c, a->argv[0], "note", a->argv[1]);
}

/*
 * `log LEAD meeting --at TIME`: a future meeting is scheduled (history
 * "meeting_scheduled", the meeting.scheduled event for workflows, which
 * may count back from it); a past one was held then (a "meeting" at TIME).
 * Either way logging it is an action on the lead.
 */
static int meeting_at(struct ctx *c, const char *ref, const char *when, const char *text)
{
	int64_t at;
	if (!parse_when(c, when, &at))
		return usage_error(c,
		                   "bad time '%s' for --at (e.g. 2026-11-26 15:00, tomorrow 10:00, "
		                   "fri 3pm; see leads(1), TIMES)",
		                   when);
	struct lead l;
	int rc = find_lead(c, ref, &l);
	if (rc)
		return rc;
	bool future = at > c->now;
	char iso[LTIME_BUFSZ];
	ltime_fmt(at, iso);
	struct sb data = SB_INIT;
	sb_adds(&data, "{\"at\":");
	sb_add_json_str(&data, iso);
	if (text) {
		sb_adds(&data, ",\"text\":");
		sb_add_json_str(&data, text);
	}
	sb_addc(&data, '}');
	struct event ev = { .lead_id = l.i[LI_ID],
		            .at = future ? c->now : at,
		            .actor = c->actor,
		            .kind = future ? "meeting_scheduled" : "meeting",
		            .data = data.buf };
	struct hook_env env = { .db = c->db,
		                .cfg = c->cfg,
		                .now = c->now,
		                .actor = c->actor,
		                .no_route = c->no_route,
		                .no_events = c->no_events,
		                .err = &c->err };
	struct hook_event hev = { .kind = future ? HK_MEETING : HK_ACTIVITY,
		                  .detail = "meeting",
		                  .at = future ? at : 0 };
	if (db_event_add(c->db, &ev, &c->err) || (rc = lead_action(c, &l)) ||
	    hooks_run(&env, &l, &hev) || db_lead_update(c->db, &l, &c->err))
		rc = rc ? rc : fail_err(c);
	sb_free(&data);
	lead_free(&l);
	return rc;
}

int cmd_log(struct ctx *c, struct args *a)
{
	if (a->val[G_AT] && strcmp(a->argv[1], "meeting") != 0)
		return usage_error(c, "--at is for meetings only");
	if (a->val[G_AT])
		return meeting_at(c, a->argv[0], a->val[G_AT], a->val[G_NOTE]);
	for (size_t i = 0; i < ARRAY_LEN(activities); i++)
		if (strcmp(a->argv[1], activities[i][0]) == 0)
			return activity(c, a->argv[0], activities[i][1], a->val[G_NOTE]);
	return usage_error(c, "unknown activity '%s' (call, email, meeting, email-opened)",
	                   a->argv[1]);
}
