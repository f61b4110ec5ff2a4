/* note.c - `leads note` and `leads log`: activities with a lead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

const struct opt opts_note[] = { { 0 } };

enum { G_NOTE };
const struct opt opts_log[] = {
	[G_NOTE] = { "note", 'm', "TEXT", "what happened", 0, COMP_NONE, NULL },
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

int cmd_log(struct ctx *c, struct args *a)
{
	for (size_t i = 0; i < ARRAY_LEN(activities); i++)
		if (strcmp(a->argv[1], activities[i][0]) == 0)
			return activity(c, a->argv[0], activities[i][1], a->val[G_NOTE]);
	return usage_error(c, "unknown activity '%s' (call, email, meeting, email-opened)",
	                   a->argv[1]);
}
