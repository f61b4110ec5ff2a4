/*
 * report.c - `leads report tasks|activity|sources`: the manager reports,
 * per rep or per lead source, through the output emitter (a table on a
 * terminal, --format csv|tsv|json|jsonl for scripts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "funnel.h"

enum { R_SINCE, R_BY };
const struct opt opts_report[] = {
	[R_SINCE] = { "since", 0, "WHEN", "only from WHEN on (date or duration ago: 30d)", 0,
	              COMP_NONE, NULL },
	[R_BY] = { "by", 'b', "WHAT", "one row per owner (tasks, activity)", 0, COMP_WORDS,
	           "owner" },
	{ 0 },
};

struct rep {
	struct ctx *c;
	struct out *o;
	bool by;
	bool table;
};

static void owner_cell(struct rep *r, const char *owner)
{
	if (!r->by)
		return;
	if (!owner && r->table)
		out_str(r->o, "(none)");
	else
		out_str(r->o, owner);
}

static void rate(struct rep *r, int64_t n, int64_t of)
{
	char buf[32];
	if (of <= 0) {
		out_null(r->o);
		return;
	}
	double v = (double)n / (double)of;
	if (r->table)
		snprintf(buf, sizeof buf, "%.1f%%", v * 100);
	else
		snprintf(buf, sizeof buf, "%.4f", v);
	out_str(r->o, buf);
}

static int tasks_row(const struct report_tasks_row *t, void *p)
{
	struct rep *r = p;
	owner_cell(r, t->owner);
	out_int(r->o, t->due);
	out_int(r->o, t->on_time);
	out_int(r->o, t->done_late);
	out_int(r->o, t->still_late);
	rate(r, t->on_time, t->due);
	out_end_row(r->o);
	return 0;
}

static int activity_row(const struct report_activity_row *t, void *p)
{
	struct rep *r = p;
	owner_cell(r, t->owner);
	out_int(r->o, t->calls);
	out_int(r->o, t->emails);
	out_int(r->o, t->meetings);
	out_int(r->o, t->notes);
	out_int(r->o, t->moves);
	out_int(r->o, t->gone_inactive);
	out_end_row(r->o);
	return 0;
}

static int sources_row(const struct report_sources_row *t, void *p)
{
	struct rep *r = p;
	char buf[32];
	if (!t->source && r->table)
		out_str(r->o, "(none)");
	else
		out_str(r->o, t->source);
	out_int(r->o, t->leads);
	out_int(r->o, t->leads - t->won - t->lost);
	out_int(r->o, t->won);
	out_int(r->o, t->lost);
	rate(r, t->won, t->won + t->lost);
	snprintf(buf, sizeof buf, "%.1f", t->avg_score);
	out_str(r->o, buf);
	out_end_row(r->o);
	return 0;
}

int cmd_report(struct ctx *c, struct args *a)
{
	static const char *const kinds[] = { "tasks", "activity", "sources" };
	int kind = -1;
	for (int i = 0; i < (int)ARRAY_LEN(kinds); i++)
		if (strcmp(a->argv[0], kinds[i]) == 0)
			kind = i;
	if (kind < 0)
		return usage_error(c, "no report '%s' (tasks, activity or sources)", a->argv[0]);
	int64_t since = 0;
	if (a->val[R_SINCE] && !parse_when(c, a->val[R_SINCE], &since))
		return usage_error(c,
		                   "bad time '%s' (use a date like 2026-11-01 or a duration ago "
		                   "like 30d)",
		                   a->val[R_SINCE]);
	bool by = false;
	if (a->val[R_BY]) {
		if (!str_ieq(a->val[R_BY], "owner"))
			return usage_error(c, "cannot group by '%s' (owner)", a->val[R_BY]);
		if (kind == 2)
			return usage_error(c, "the sources report is by source; it takes no --by");
		by = true;
	}

	struct rep r = { .c = c, .by = by, .table = c->fmt == OUT_TABLE };
	r.o = ctx_out(c);
	int rc = 0;
	if (kind == 0) {
		static const struct out_col cols[] = {
			{ "owner", "OWNER", OUT_T_STR, 0 },
			{ "due_count", "DUE", OUT_T_INT, 0 },
			{ "on_time", "ON TIME", OUT_T_INT, 0 },
			{ "done_late", "DONE LATE", OUT_T_INT, 0 },
			{ "still_late", "STILL LATE", OUT_T_INT, 0 },
			{ "on_time_rate", "ON-TIME RATE", OUT_T_NUM, 1 },
		};
		out_begin(r.o, cols + !by, (int)ARRAY_LEN(cols) - !by);
		rc = report_tasks(c->db, since, c->now, by, tasks_row, &r, &c->err);
	} else if (kind == 1) {
		static const struct out_col cols[] = {
			{ "owner", "OWNER", OUT_T_STR, 0 },
			{ "calls", "CALLS", OUT_T_INT, 0 },
			{ "emails", "EMAILS", OUT_T_INT, 0 },
			{ "meetings", "MEETINGS", OUT_T_INT, 0 },
			{ "notes", "NOTES", OUT_T_INT, 0 },
			{ "moves", "MOVES", OUT_T_INT, 0 },
			{ "gone_inactive", "GONE INACTIVE", OUT_T_INT, 0 },
		};
		out_begin(r.o, cols + !by, (int)ARRAY_LEN(cols) - !by);
		rc = report_activity(c->db, since, c->now, by, activity_row, &r, &c->err);
	} else {
		static const struct out_col cols[] = {
			{ "source", "SOURCE", OUT_T_STR, 0 },
			{ "leads", "LEADS", OUT_T_INT, 0 },
			{ "open", "OPEN", OUT_T_INT, 0 },
			{ "won", "WON", OUT_T_INT, 0 },
			{ "lost", "LOST", OUT_T_INT, 0 },
			{ "win_rate", "WIN RATE", OUT_T_NUM, 1 },
			{ "avg_score", "AVG SCORE", OUT_T_NUM, 1 },
		};
		out_begin(r.o, cols, (int)ARRAY_LEN(cols));
		rc = report_sources(c->db, c->cfg, since, c->now, sources_row, &r, &c->err);
	}
	out_finish(r.o);
	out_free(r.o);
	return rc ? fail_err(c) : 0;
}
