/*
 * report.c - `leads report tasks|activity|sources|forecast`: the manager
 * reports, per rep or per lead source, and the forecast (lib/forecast.h),
 * through the output emitter (a table on a terminal, --format
 * csv|tsv|json|jsonl for scripts).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "afile.h"
#include "forecast.h"
#include "funnel.h"

enum { R_SINCE, R_BY, R_ASCII, R_SVG };
const struct opt opts_report[] = {
	[R_SINCE] = { "since", 0, "WHEN",
	              "only from WHEN on (date or duration ago: 30d); forecast: won from WHEN on "
	              "(default: this month)",
	              0, COMP_NONE, NULL },
	[R_BY] = { "by", 'b', "WHAT",
	           "one row per owner (tasks, activity, forecast); forecast also by month "
	           "(default) or stage",
	           0, COMP_WORDS, "owner month stage" },
	[R_ASCII] = { "ascii", 0, NULL, "forecast: draw the bars with ASCII characters", 0,
	              COMP_NONE, NULL },
	[R_SVG] = { "svg", 0, "FILE",
	            "forecast: also draw it as SVG in FILE (mode 0600); - for stdout, instead of "
	            "the table",
	            0, COMP_FILE, NULL },
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

/* ---- forecast ---- */

#define BAR_WIDTH 20

static void bar(int64_t n, int64_t max, bool ascii, struct sb *out)
{
	sb_reset(out);
	if (n <= 0 || max <= 0)
		return;
	/* in doubles: n * BAR_WIDTH * 8 could pass 64 bits for large sums */
	int64_t eighths = (int64_t)((double)n / (double)max * BAR_WIDTH * 8 + 0.5);
	if (!eighths)
		eighths = 1;
	if (ascii) {
		for (int64_t i = 0; i < (eighths + 4) / 8 || i == 0; i++)
			sb_addc(out, '#');
		return;
	}
	static const char *const part[] = { "",       "\u258F", "\u258E", "\u258D",
		                            "\u258C", "\u258B", "\u258A", "\u2589" };
	for (int64_t i = 0; i < eighths / 8; i++)
		sb_adds(out, "\u2588");
	sb_adds(out, part[eighths % 8]);
}

static void money_cell(struct out *o, int64_t cents)
{
	char buf[32];
	lead_money_fmt(cents, buf);
	out_str(o, buf);
}

static void fc_row_out(struct ctx *c, struct out *o, enum fc_by by, const struct fc_row *r,
                       const char *key, int64_t max, bool ascii)
{
	bool table = c->fmt == OUT_TABLE;
	char buf[32];
	out_str(o, key);
	if (by == FC_BY_STAGE) {
		if (table)
			snprintf(buf, sizeof buf, "%d%%", (r->prob + 50) / 100);
		else
			snprintf(buf, sizeof buf, "%.4f", r->prob / 10000.0);
		if (r->src == FC_SRC_NONE)
			out_null(o);
		else
			out_str(o, buf);
		out_str(o, r->src == FC_SRC_CONFIG    ? "config"
		           : r->src == FC_SRC_HISTORY ? "history"
		                                      : "none");
		out_int(o, r->sample_won);
		out_int(o, r->sample);
		if (r->median_secs < 0)
			out_null(o);
		else
			out_int(o, (r->median_secs + 43200) / 86400);
		out_int(o, r->deals);
		money_cell(o, r->pipeline);
		money_cell(o, r->best);
	} else {
		out_int(o, r->deals);
		money_cell(o, r->pipeline);
		money_cell(o, r->best);
		money_cell(o, r->commit);
		money_cell(o, r->won);
	}
	if (table) {
		struct sb b = SB_INIT;
		bar(r->best, max, ascii, &b);
		out_str(o, sb_str(&b));
		sb_free(&b);
	}
	out_end_row(o);
}

static int forecast(struct ctx *c, struct args *a, int64_t since)
{
	enum fc_by by = FC_BY_MONTH;
	if (a->val[R_BY]) {
		if (str_ieq(a->val[R_BY], "owner"))
			by = FC_BY_OWNER;
		else if (str_ieq(a->val[R_BY], "stage"))
			by = FC_BY_STAGE;
		else if (!str_ieq(a->val[R_BY], "month"))
			return usage_error(
			    c, "cannot group the forecast by '%s' (month, owner or stage)",
			    a->val[R_BY]);
	}
	if (!a->val[R_SINCE])
		since = forecast_month_start(c->cfg, c->now);
	struct forecast f;
	if (forecast_run(c->db, c->cfg, c->now, since, by, &f, &c->err))
		return fail_err(c);
	int rc = 0;
	const char *svg = a->val[R_SVG];
	if (svg) {
		struct sb title = SB_INIT, pic = SB_INIT;
		char p[32], b[32];
		lead_money_fmt(f.total.pipeline, p);
		lead_money_fmt(f.total.best, b);
		sb_addf(&title, "Forecast by %s: %lld open deal%s, pipeline %s, best case %s",
		        by == FC_BY_MONTH   ? "month"
		        : by == FC_BY_OWNER ? "owner"
		                            : "stage",
		        (long long)f.total.deals, f.total.deals == 1 ? "" : "s", p, b);
		forecast_svg(&f, by, title.buf, &pic);
		if (strcmp(svg, "-") == 0) {
			if (pic.len && fwrite(pic.buf, 1, pic.len, stdout) != pic.len)
				rc =
				    fail(c, EX_IOERR, "error writing the SVG: %s", strerror(errno));
		} else if (afile_write(svg, pic.buf, pic.len, &c->err)) {
			rc = fail_err(c);
		}
		sb_free(&title);
		sb_free(&pic);
		if (rc || strcmp(svg, "-") == 0) {
			forecast_free(&f);
			return rc;
		}
	}
	static const struct out_col month_cols[] = {
		{ "month", "MONTH", OUT_T_STR, 0 },
		{ "deals", "DEALS", OUT_T_INT, 0 },
		{ "pipeline", "PIPELINE", OUT_T_NUM, 1 },
		{ "best_case", "BEST CASE", OUT_T_NUM, 1 },
		{ "commit", "COMMIT", OUT_T_NUM, 1 },
		{ "won", "WON", OUT_T_NUM, 1 },
		{ "bar", "", OUT_T_STR, 0 },
	};
	static const struct out_col stage_cols[] = {
		{ "stage", "STAGE", OUT_T_STR, 0 },
		{ "probability", "PROBABILITY", OUT_T_NUM, 1 },
		{ "source", "FROM", OUT_T_STR, 0 },
		{ "sample_won", "WON", OUT_T_INT, 0 },
		{ "sample", "OF CLOSED", OUT_T_INT, 0 },
		{ "median_days_to_won", "DAYS TO WON", OUT_T_INT, 0 },
		{ "deals", "DEALS", OUT_T_INT, 0 },
		{ "pipeline", "PIPELINE", OUT_T_NUM, 1 },
		{ "best_case", "BEST CASE", OUT_T_NUM, 1 },
		{ "bar", "", OUT_T_STR, 0 },
	};
	struct out_col cols[10];
	int ncols;
	if (by == FC_BY_STAGE) {
		ncols = (int)ARRAY_LEN(stage_cols);
		memcpy(cols, stage_cols, sizeof stage_cols);
	} else {
		ncols = (int)ARRAY_LEN(month_cols);
		memcpy(cols, month_cols, sizeof month_cols);
		if (by == FC_BY_OWNER)
			cols[0] = (struct out_col){ "owner", "OWNER", OUT_T_STR, 0 };
	}
	bool table = c->fmt == OUT_TABLE;
	if (!table)
		ncols--; /* the bar is for people */
	struct out *o = ctx_out(c);
	out_begin(o, cols, ncols);
	int64_t max = 0;
	for (size_t i = 0; i < f.n; i++)
		if (f.v[i].best > max)
			max = f.v[i].best;
	for (size_t i = 0; i < f.n; i++) {
		const struct fc_row *r = &f.v[i];
		const char *key = by == FC_BY_STAGE ? r->label : r->key;
		if (!key && table)
			key = by == FC_BY_OWNER ? "(none)" : "(no date)";
		fc_row_out(c, o, by, r, key, max, a->val[R_ASCII] != NULL);
	}
	if (table && f.n > 1 && by != FC_BY_STAGE) {
		struct fc_row t = f.total;
		fc_row_out(c, o, by, &t, "total", 0, false);
	}
	out_finish(o);
	out_free(o);
	forecast_free(&f);
	return 0;
}

int cmd_report(struct ctx *c, struct args *a)
{
	static const char *const kinds[] = { "tasks", "activity", "sources", "forecast" };
	int kind = -1;
	for (int i = 0; i < (int)ARRAY_LEN(kinds); i++)
		if (strcmp(a->argv[0], kinds[i]) == 0)
			kind = i;
	if (kind < 0)
		return usage_error(c, "no report '%s' (tasks, activity, sources or forecast)",
		                   a->argv[0]);
	int64_t since = 0;
	if (a->val[R_SINCE] && !parse_when(c, a->val[R_SINCE], &since))
		return usage_error(c,
		                   "bad time '%s' (use a date like 2026-11-01 or a duration ago "
		                   "like 30d)",
		                   a->val[R_SINCE]);
	if (kind == 3)
		return forecast(c, a, since);
	if (a->val[R_SVG] || a->val[R_ASCII])
		return usage_error(c, "--svg and --ascii are for the forecast report");
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
