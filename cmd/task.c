/*
 * task.c - `leads task list|add|done|snooze`: the follow-ups of a lead.
 *
 * Tasks come from workflows (lib/workflow.h) or by hand (task add). A task
 * not done by its due time is late; `task done` after the due time
 * records it late. The writing subcommands run in one BEGIN IMMEDIATE
 * transaction each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bizhours.h"
#include "cmd.h"
#include "pager.h"
#include "ltime.h"
#include "queue.h"
#include "task.h"
#include "when.h"
#include "workflow.h"

enum { T_MINE, T_OWNER, T_DUE, T_LEAD, T_ALL, T_NOTE, T_NOTES, T_NOTIFY, T_BUSINESS };
const struct opt opts_task[] = {
	[T_MINE] = { "mine", 0, NULL,
	             "list: only my tasks ($LEADS_USER, $USER or git's user.email)", 0, COMP_NONE,
	             NULL },
	[T_OWNER] = { "owner", 'o', "NAME", "list: only NAME's tasks; add: give it to NAME", 0,
	              COMP_MEMBER, NULL },
	[T_DUE] = { "due", 0, "WHEN",
	            "list: late, today (late ones too) or a day; add: 2h, tomorrow, fri 10:00, "
	            "a time",
	            0, COMP_WORDS, "late today tomorrow overdue" },
	[T_LEAD] = { "lead", 'l', "LEAD", "list: only the tasks of LEAD", 0, COMP_NONE, NULL },
	[T_ALL] = { "all", 'a', NULL, "list: done tasks too", 0, COMP_NONE, NULL },
	[T_NOTE] = { "note", 'm', "TEXT", "done: what came of it, kept in the history", 0,
	             COMP_NONE, NULL },
	[T_NOTES] = { "notes", 0, "TEXT", "add: notes or instructions for the task", 0, COMP_NONE,
	              NULL },
	[T_NOTIFY] = { "notify-before", 0, "DUR", "add: send a \"due soon\" mail DUR before", 0,
	               COMP_NONE, NULL },
	[T_BUSINESS] = { "business-hours", 0, NULL, "add: count the due duration in business hours",
	                 0, COMP_NONE, NULL },
	{ 0 },
};

/* Which options each subcommand takes (bit i = opts_task[i]). */
static const struct {
	const char *name;
	int opts;
	int min, max; /* positional arguments after the subcommand */
	const char *usage;
} subs[] = {
	{ "list", 1 << T_MINE | 1 << T_OWNER | 1 << T_DUE | 1 << T_LEAD | 1 << T_ALL, 0, 0,
	  "list [--mine | --owner NAME] [--due late|today|DAY] [--lead LEAD] [--all]" },
	{ "add", 1 << T_OWNER | 1 << T_DUE | 1 << T_NOTES | 1 << T_NOTIFY | 1 << T_BUSINESS, 2, 2,
	  "add LEAD TITLE --due WHEN [--owner NAME] [--notes TEXT] [--notify-before DUR]" },
	{ "done", 1 << T_NOTE, 1, 1, "done ID [--note TEXT]" },
	{ "snooze", 0, 2, 2, "snooze ID DURATION|WHEN" },
	{ "reassign", 0, 2, 2, "reassign ID OWNER" },
};

static const char *task_state(const struct task *t, int64_t now)
{
	if (t->cancelled_at)
		return "cancelled";
	if (t->done_at)
		return t->late || t->done_at > t->due_at ? "done late" : "done";
	if (t->late || t->due_at < now)
		return "late";
	return "open";
}

/* ---- list ---- */

static const struct out_col list_cols[] = {
	{ "id", "ID", OUT_T_INT, 0 },       { "lead", "LEAD", OUT_T_INT, 0 },
	{ "name", "NAME", OUT_T_STR, 0 },   { "owner", "OWNER", OUT_T_STR, 0 },
	{ "title", "TITLE", OUT_T_STR, 0 }, { "due", "DUE", OUT_T_STR, 0 },
	{ "state", "STATE", OUT_T_STR, 0 },
};

struct lst {
	struct ctx *c;
	struct out *o;
	int limit, n; /* at most limit rows (0: all) */
};

static int list_row(const struct task *t, void *p)
{
	struct lst *ls = p;
	char due[LTIME_BUFSZ];
	if (ls->limit && ls->n++ >= ls->limit)
		return -1; /* enough: stop the query */
	fmt_time(ls->c, t->due_at, due);
	out_int(ls->o, t->id);
	out_int(ls->o, t->lead_id);
	out_str(ls->o, t->lead_name);
	out_str(ls->o, t->owner);
	out_str(ls->o, t->title);
	out_str(ls->o, due);
	out_str(ls->o, task_state(t, ls->c->now));
	out_end_row(ls->o);
	return 0;
}

/* --mine: the owner to filter by, or NULL after saying why (exit 64). */
static int mine(struct ctx *c, const char **owner)
{
	char why[512] = "";
	*owner = my_name(c, why, sizeof why);
	if (*owner)
		return 0;
	return fail(c, EX_USAGE, "--mine: %s",
	            why[0] ? why : "who you are is unknown (set LEADS_USER)");
}

/*
 * Bare `leads task`, "my day": my open tasks that are late or due today,
 * then the next few. Without a known user, everyone's, with a note.
 */
static int my_day(struct ctx *c)
{
	char why[512] = "";
	const char *me = my_name(c, why, sizeof why);
	if (!me)
		note(c, "%s; showing everyone's tasks", why);
	int64_t from, until;
	when_day(user_tz(c), c->now, &from, &until);
	struct task_filter f = {
		.open_only = true, .now = c->now, .owner = me, .due_until = until
	};
	struct out *o = ctx_out(c);
	out_begin(o, list_cols, (int)ARRAY_LEN(list_cols));
	struct lst ls = { c, o, 0, 0 };
	int rc = db_task_query(c->db, &f, list_row, &ls, &c->err);
	if (!rc) {
		f.due_until = 0;
		f.due_from = until;
		ls.limit = 5, ls.n = 0;
		rc = db_task_query(c->db, &f, list_row, &ls, &c->err);
		if (rc == -1)
			rc = 0;
	}
	out_finish(o);
	out_free(o);
	return rc ? fail_err(c) : 0;
}

static int task_list(struct ctx *c, struct args *a)
{
	struct task_filter f = { .open_only = !a->val[T_ALL], .now = c->now };
	if (a->val[T_MINE] && a->val[T_OWNER])
		return usage_error(c, "give --mine or --owner, not both");
	int rc;
	if (a->val[T_MINE] && (rc = mine(c, &f.owner)))
		return rc;
	if (a->val[T_OWNER] && (rc = pick_owner(c, a->val[T_OWNER], &f.owner)))
		return rc;
	const char *due = a->val[T_DUE];
	int64_t from, until;
	if (due && (str_ieq(due, "late") || str_ieq(due, "overdue"))) {
		/* open ones past due; with --all, done late ones too */
		if (a->val[T_ALL])
			f.late_only = true;
		else
			f.due_until = c->now;
	} else if (due && str_ieq(due, "today")) {
		/* what is to be done today: the late ones too */
		when_day(user_tz(c), c->now, &from, &until);
		f.due_until = until;
		if (a->val[T_ALL])
			f.due_from = from;
	} else if (due && parse_when(c, due, &from)) {
		when_day(user_tz(c), from, &f.due_from, &f.due_until);
	} else if (due) {
		return usage_error(c,
		                   "unknown --due '%s' (late, today, or a day: tomorrow, fri, "
		                   "2026-12-24)",
		                   due);
	}
	struct lead l;
	if (a->val[T_LEAD]) {
		rc = find_lead(c, a->val[T_LEAD], &l);
		if (rc)
			return rc;
		f.lead_id = l.i[LI_ID];
		lead_free(&l);
	}
	pager_start_reading(c); /* listing only: nothing to interrupt */
	struct out *o = ctx_out(c);
	out_begin(o, list_cols, (int)ARRAY_LEN(list_cols));
	out_drop_order(o, "lead owner name"); /* on a narrow terminal */
	struct lst ls = { c, o, 0, 0 };
	rc = db_task_query(c->db, &f, list_row, &ls, &c->err);
	out_finish(o);
	out_free(o);
	return rc ? fail_err(c) : 0;
}

/* ---- writing subcommands: one transaction each ---- */

static int begin(struct ctx *c)
{
	if (db_begin(c->db, &c->err))
		return fail_err(c);
	return 0;
}

static int task_event(struct ctx *c, const struct lead *l, const char *kind, const struct task *t,
                      const char *extra_key, const char *extra)
{
	struct sb data = SB_INIT;
	sb_addf(&data, "{\"task\":%lld,\"title\":", (long long)t->id);
	sb_add_json_str(&data, t->title);
	if (extra_key) {
		sb_addf(&data, ",\"%s\":", extra_key);
		sb_add_json_str(&data, extra);
	}
	sb_addc(&data, '}');
	int rc = record(c, l, kind, NULL, t->owner, data.buf);
	sb_free(&data);
	return rc;
}

static int task_add(struct ctx *c, struct args *a)
{
	const char *due_s = a->val[T_DUE];
	if (!due_s)
		return usage_error(c, "task add needs --due (a duration such as 2h, or a time)");
	if (str_empty(a->argv[2]) || strpbrk(a->argv[2], "\r\n"))
		return usage_error(c, "the title must be one line of text");
	struct bh_dur d;
	int64_t due;
	bool business = a->val[T_BUSINESS] != NULL;
	if (business && !workflow_bizhours(c->cfg))
		return fail(c, EX_CONFIG,
		            "--business-hours needs a business_hours section in the "
		            "config");
	if (bh_dur_parse(due_s, &d))
		due = workflow_due(c->cfg, c->now, &d, business);
	else if (!business && parse_due(c, due_s, &due))
		;
	else
		return usage_error(c,
		                   "bad --due '%s' (a duration: 30m, 2h, 3d; a time: tomorrow, "
		                   "fri 10:00, in 3h, 2026-12-06T10:00; see leads(1), Times)",
		                   due_s);
	struct ldur nb = { 0, 0 };
	if (a->val[T_NOTIFY] && !ldur_parse(a->val[T_NOTIFY], &nb))
		return usage_error(c, "bad --notify-before '%s' (a duration such as 15m)",
		                   a->val[T_NOTIFY]);
	int rc = begin(c);
	if (rc)
		return rc;
	struct lead l;
	if ((rc = find_lead(c, a->argv[1], &l)))
		return tx_end(c, rc);
	const char *owner = l.t[LT_OWNER];
	if (a->val[T_OWNER] && !c->cfg->nteam) /* no team: anyone may own it */
		owner = a->val[T_OWNER];
	else if (a->val[T_OWNER] && (rc = pick_owner(c, a->val[T_OWNER], &owner))) {
		lead_free(&l);
		return tx_end(c, rc);
	}
	struct task_new tn = { .lead_id = l.i[LI_ID],
		               .owner = owner,
		               .title = a->argv[2],
		               .notes = a->val[T_NOTES],
		               .due_at = due,
		               .notify_at = ldur_is_zero(nb) ? 0 : ldur_sub(due, nb),
		               /* given by name: it stays when the lead changes owner */
		               .owner_given = a->val[T_OWNER] != NULL };
	int64_t id = 0;
	struct task t = { 0 };
	if (task_create(c->db, &tn, c->now, &id, &c->err))
		rc = fail_err(c);
	else if (db_task_get(c->db, id, &t, &c->err))
		rc = fail_err(c);
	else
		rc = task_event(c, &l, "task", &t, NULL, NULL);
	task_free(&t);
	lead_free(&l);
	if ((rc = tx_end(c, rc)))
		return rc;
	printf("%lld\n", (long long)id);
	return 0;
}

static int get_task(struct ctx *c, const char *ref, struct task *t, struct lead *l)
{
	int64_t id;
	if (!parse_row_id(ref, &id))
		return usage_error(c, "bad task id '%s'", ref);
	if (db_task_get(c->db, id, t, &c->err))
		return fail_err(c);
	if (db_lead_by_id(c->db, t->lead_id, l, &c->err)) {
		task_free(t);
		return fail_err(c);
	}
	return 0;
}

static int task_done(struct ctx *c, struct args *a)
{
	int rc = begin(c);
	if (rc)
		return rc;
	struct task t;
	struct lead l;
	if ((rc = get_task(c, a->argv[1], &t, &l)))
		return tx_end(c, rc);
	if (t.done_at) {
		char when[LTIME_BUFSZ];
		fmt_time_msg(c, t.done_at, when);
		note(c, "task #%lld is already done (%s)", (long long)t.id, when);
	} else {
		bool late = c->now > t.due_at;
		/* finishing a task is an action on the lead: its idle clock restarts */
		if (db_task_done(c->db, t.id, c->now, late, NULL, &c->err))
			rc = fail_err(c);
		else if (!(rc = task_event(c, &l, late ? "task_done_late" : "task_done", &t,
		                           a->val[T_NOTE] ? "note" : NULL, a->val[T_NOTE])) &&
		         !(rc = lead_action(c, &l)) && db_lead_update(c->db, &l, &c->err))
			rc = fail_err(c);
		if (!rc && late) {
			char due[LTIME_BUFSZ];
			fmt_time_msg(c, t.due_at, due);
			note(c, "task #%lld was due %s: done late", (long long)t.id, due);
		}
	}
	task_free(&t);
	lead_free(&l);
	return tx_end(c, rc);
}

static int task_snooze(struct ctx *c, struct args *a)
{
	struct bh_dur d;
	int64_t until = 0;
	bool dur = bh_dur_parse(a->argv[2], &d);
	if (!dur && !parse_due(c, a->argv[2], &until))
		return usage_error(c,
		                   "bad duration or time '%s' (30m, 2h, 1d; tomorrow, mon 9:00, "
		                   "in 3h; see leads(1), Times)",
		                   a->argv[2]);
	int rc = begin(c);
	if (rc)
		return rc;
	struct task t;
	struct lead l;
	if ((rc = get_task(c, a->argv[1], &t, &l)))
		return tx_end(c, rc);
	if (t.done_at) {
		rc = fail(c, EX_DATAERR, "task #%lld is done; there is nothing to snooze",
		          (long long)t.id);
	} else {
		/* from the due time, or from now when it has passed */
		int64_t base = t.due_at > c->now ? t.due_at : c->now;
		int64_t due = dur ? workflow_due(c->cfg, base, &d, false) : until;
		int64_t notify = t.notify_at ? due - (t.due_at - t.notify_at) : 0;
		char was[LTIME_BUFSZ], now_due[LTIME_BUFSZ], iso[LTIME_BUFSZ];
		fmt_time_msg(c, t.due_at, was);
		fmt_time_msg(c, due, now_due);
		ltime_fmt(due, iso);
		if (db_task_reschedule(c->db, t.id, due, notify, &c->err))
			rc = fail_err(c);
		else
			rc = task_event(c, &l, "task_snoozed", &t, "due", iso);
		if (!rc && c->verbose)
			note(c, "task #%lld was due %s, now %s", (long long)t.id, was, now_due);
	}
	task_free(&t);
	lead_free(&l);
	return tx_end(c, rc);
}

/* task reassign ID OWNER: hand a task to someone by name ('none': nobody) */
static int task_reassign(struct ctx *c, struct args *a)
{
	int64_t id;
	if (!parse_row_id(a->argv[1], &id))
		return usage_error(c, "bad task id '%s'", a->argv[1]);
	const char *owner = a->argv[2];
	if (str_ieq(owner, "none") || strcmp(owner, "-") == 0) {
		owner = NULL;
	} else {
		const struct member *m = config_member(c->cfg, owner);
		if (!m && c->cfg->nteam)
			return fail(c, EX_USAGE, "no team member '%s'", owner);
		owner = m ? m->name : owner;
	}
	int rc = begin(c);
	if (rc)
		return rc;
	struct lc lc = ctx_lc(c);
	if (lc_task_reassign(&lc, id, owner))
		rc = fail_err(c);
	if (!rc && c->verbose)
		note(c, "task #%lld is %s's now", (long long)id, owner ? owner : "nobody");
	return tx_end(c, rc);
}

int cmd_task(struct ctx *c, struct args *a)
{
	if (a->argc == 0) { /* my day; with options, what list makes of them */
		for (int o = 0; opts_task[o].lng; o++)
			if (a->val[o])
				return task_list(c, a);
		return my_day(c);
	}
	size_t i = 0;
	while (i < ARRAY_LEN(subs) && strcmp(subs[i].name, a->argv[0]) != 0)
		i++;
	if (i == ARRAY_LEN(subs))
		return usage_error(c, "unknown subcommand '%s' (list, add, done, snooze, reassign)",
		                   a->argv[0]);
	int npos = a->argc - 1;
	if (npos < subs[i].min)
		return usage_error(c, "missing argument; usage: leads task %s", subs[i].usage);
	if (npos > subs[i].max)
		return usage_error(c, "unexpected argument '%s'; usage: leads task %s",
		                   a->argv[subs[i].max + 1], subs[i].usage);
	for (int o = 0; opts_task[o].lng; o++)
		if (a->val[o] && !(subs[i].opts & (1 << o)))
			return usage_error(c, "--%s is not an option of task %s", opts_task[o].lng,
			                   subs[i].name);
	switch (i) {
	case 0:
		return task_list(c, a);
	case 1:
		return task_add(c, a);
	case 2:
		return task_done(c, a);
	case 3:
		return task_snooze(c, a);
	default:
		return task_reassign(c, a);
	}
}
