/*
 * funnel.c - `leads funnel`: the pipeline funnel as a table with bars,
 * machine formats, an SVG picture, or the leads behind one stage's number.
 * The numbers come from lib/funnel.c; their definitions are in funnel.h
 * and leads-funnel(1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "cmd.h"
#include "cond.h"
#include "funnel.h"
#include "ltime.h"
#include "lyaml.h"
#include "pager.h"

enum {
	F_STAGE,
	F_CURRENT,
	F_OWNER,
	F_SOURCE,
	F_STATUS,
	F_SINCE,
	F_UNTIL,
	F_PERIOD,
	F_WHERE,
	F_BY,
	F_ASCII,
	F_SVG,
};
const struct opt opts_funnel[] = {
	[F_STAGE] = { "stage", 's', "STAGE", "list the leads that reached STAGE (or 'other')", 0,
	              COMP_STAGE, NULL },
	[F_CURRENT] = { "current", 0, NULL, "with --stage: only the leads in STAGE now", 0,
	                COMP_NONE, NULL },
	[F_OWNER] = { "owner", 'o', "MEMBER", "only leads owned by MEMBER ('none': unassigned)", 0,
	              COMP_MEMBER, NULL },
	[F_SOURCE] = { "source", 0, "SOURCE", "only leads from SOURCE", 0, COMP_NONE, NULL },
	[F_STATUS] = { "status", 0, "STATUS", "only leads with STATUS", 0, COMP_STATUS, NULL },
	[F_SINCE] = { "since", 0, "WHEN",
	              "only leads created at or after WHEN (date or duration ago)", 0, COMP_NONE,
	              NULL },
	[F_UNTIL] = { "until", 0, "WHEN", "only leads created before WHEN", 0, COMP_NONE, NULL },
	[F_PERIOD] = { "period", 0, "DURATION",
	               "only leads created in the last DURATION (30d: --since 30d)", 0, COMP_NONE,
	               NULL },
	[F_WHERE] = { "where", 'w', "CONDITION",
	              "only leads matching CONDITION (YAML, as in leads-config(5))", 0, COMP_NONE,
	              NULL },
	[F_BY] = { "by", 'b', "WHAT", "one funnel per owner, source or month (of creation)", 0,
	           COMP_WORDS, "owner source month" },
	[F_ASCII] = { "ascii", 0, NULL, "draw the bars with ASCII characters", 0, COMP_NONE, NULL },
	[F_SVG] = { "svg", 0, "FILE",
	            "also draw the funnel as SVG in FILE (mode 0600); - for stdout, instead of the "
	            "table",
	            0, COMP_FILE, NULL },
	{ 0 },
};

static const char *const by_names[] = { NULL, "owner", "source", "month" };

#define BAR_WIDTH 24 /* at most; less on a narrow terminal (bar_width) */
#define BAR_MIN   8

/* "2d 4h", "3h 5m", "45m", "12s": the two largest units. */
static void fmt_dur(int64_t s, char *buf, size_t n)
{
	if (s < 60)
		snprintf(buf, n, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, n, "%lldm", (long long)(s / 60));
	else if (s < 86400 && s % 3600 / 60)
		snprintf(buf, n, "%lldh %lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s < 86400)
		snprintf(buf, n, "%lldh", (long long)(s / 3600));
	else if (s % 86400 / 3600)
		snprintf(buf, n, "%lldd %lldh", (long long)(s / 86400),
		         (long long)(s % 86400 / 3600));
	else
		snprintf(buf, n, "%lldd", (long long)(s / 86400));
}

/* A bar of n out of max, width cells at most, in eighths (or '#'). */
static void bar(int64_t n, int64_t max, int64_t width, bool ascii, struct sb *out)
{
	sb_reset(out);
	if (n <= 0 || max <= 0)
		return;
	if (ascii) {
		int64_t cells = (n * width + max / 2) / max;
		for (int64_t i = 0; i < (cells ? cells : 1); i++)
			sb_addc(out, '#');
		return;
	}
	static const char *const part[] = { "",       "\u258F", "\u258E", "\u258D",
		                            "\u258C", "\u258B", "\u258A", "\u2589" };
	int64_t eighths = (n * width * 8 + max / 2) / max;
	if (!eighths)
		eighths = 1;
	for (int64_t i = 0; i < eighths / 8; i++)
		sb_adds(out, "\u2588");
	sb_adds(out, part[eighths % 8]);
}

static void pct(struct out *o, bool ok, double v, bool table)
{
	char buf[32];
	if (!ok) {
		out_null(o);
		return;
	}
	if (table)
		snprintf(buf, sizeof buf, "%.1f%%", v * 100);
	else
		snprintf(buf, sizeof buf, "%.4f", v);
	out_str(o, buf);
}

static void money(struct out *o, int64_t cents, bool blank)
{
	char buf[32];
	if (blank) {
		out_null(o);
		return;
	}
	lead_money_fmt(cents, buf);
	out_str(o, buf);
}

/* ---- table ---- */

static const char *group_label(const struct funnel *f)
{
	return f->group ? f->group : "(none)";
}

static void other_note(struct ctx *c, const struct funnel *f, FILE *fp)
{
	if (!f->nother)
		return;
	struct sb sb = SB_INIT;
	int64_t n = 0;
	for (size_t i = 0; i < f->nother; i++) {
		n += f->other[i].n;
		sb_addf(&sb, "%s'%s'", i ? ", " : "",
		        f->other[i].name ? f->other[i].name : f->other[i].key);
		if (f->other[i].name && strcmp(f->other[i].name, f->other[i].key) != 0)
			sb_addf(&sb, " (key %s)", f->other[i].key);
		sb_addf(&sb, ": %lld", (long long)f->other[i].n);
	}
	if (fp == stdout)
		out_tprintf(
		    fp,
		    "note: %lld lead%s in stages no longer in the config, shown as 'other': %s\n",
		    (long long)n, n == 1 ? " is" : "s are", sb.buf);
	else
		note(c, "%lld lead%s in stages no longer in the config, shown as 'other': %s",
		     (long long)n, n == 1 ? " is" : "s are", sb.buf);
	sb_free(&sb);
}

static int digits(int64_t n)
{
	int d = 1;
	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/*
 * The bars' full width: BAR_WIDTH, or on a narrow terminal what is left
 * beside the stage, the two counts and the conversion (down to BAR_MIN:
 * narrower, the table leaves the bars out). A bar is never cut: all are
 * drawn to one scale.
 */
static int64_t bar_width(const struct ctx *c, const struct funnel *f)
{
	if (c->term_cols <= 0)
		return BAR_WIDTH;
	size_t namew = 5; /* STAGE */
	int64_t most = 0;
	for (size_t i = 0; i < f->nrows; i++) {
		size_t w = out_term_width(f->rows[i].name);
		if (w > namew)
			namew = w;
		if (f->rows[i].reached > most)
			most = f->rows[i].reached;
		if (f->rows[i].current > most)
			most = f->rows[i].current;
	}
	int d = digits(most);
	int64_t fixed = (int64_t)namew + 2 + (d > 3 ? d : 3) + 2 + (d > 7 ? d : 7) + 2 + 6 + 2;
	int64_t room = (int64_t)c->term_cols - fixed;
	return room >= BAR_WIDTH ? BAR_WIDTH : room >= BAR_MIN ? room : BAR_MIN;
}

static void print_table(struct ctx *c, const struct funnel *f, bool ascii)
{
	static const struct out_col cols[] = {
		{ "stage", "STAGE", OUT_T_STR, 0 },     { "group", "GROUP", OUT_T_STR, 0 },
		{ "current", "NOW", OUT_T_INT, 1 },     { "reached", "REACHED", OUT_T_INT, 1 },
		{ "bar", "", OUT_T_STR, OUT_WHOLE },    { "conv_prev", "CONV", OUT_T_STR, 1 },
		{ "conv_top", "OF TOP", OUT_T_STR, 1 }, { "drop_off", "DROP", OUT_T_STR, 1 },
		{ "value", "VALUE", OUT_T_STR, 1 },     { "median", "MEDIAN", OUT_T_STR, 1 },
		{ "mean", "MEAN", OUT_T_STR, 1 },
	};
	struct out *o = out_new(stdout, OUT_TABLE, c->out_flags);
	out_set_width(o, c->term_cols);
	out_begin(o, cols, (int)ARRAY_LEN(cols));
	/* 80 columns keep the stage, the counts, the bar and the conversion */
	out_drop_order(o, "group mean drop_off median conv_top value bar");
	struct sb b = SB_INIT;
	int64_t barw = bar_width(c, f);
	for (size_t i = 0; i < f->nrows; i++) {
		const struct funnel_row *r = &f->rows[i];
		char buf[64];
		out_str(o, r->name);
		out_str(o, r->grp >= 0 ? stage_group_name((enum stage_group)r->grp) : "-");
		out_int(o, r->current);
		if (r->reached >= 0)
			out_int(o, r->reached);
		else
			out_null(o);
		bar(r->reached >= 0 ? r->reached : r->current, f->leads, barw, ascii, &b);
		out_str(o, b.buf);
		double v;
		bool ok = funnel_conv_prev(f, i, &v);
		pct(o, ok, v, true);
		bool okt = funnel_conv_top(f, i, &v);
		pct(o, okt, v, true);
		ok = funnel_conv_prev(f, i, &v);
		pct(o, ok, 1 - v, true);
		money(o, r->value, r->nvalue == 0);
		if (r->stays) {
			fmt_dur(r->median, buf, sizeof buf);
			out_str(o, buf);
			fmt_dur(r->mean, buf, sizeof buf);
			out_str(o, buf);
		} else {
			out_null(o);
			out_null(o);
		}
		out_end_row(o);
	}
	out_finish(o);
	out_free(o);
	sb_free(&b);

	/* the summary: its parts joined by "; ", a line each on a terminal
	 * too narrow for them together */
	int64_t open = f->leads - f->won - f->lost;
	char part[3][128];
	int np = 0;
	snprintf(part[np++], sizeof part[0], "%lld lead%s: %lld won, %lld lost, %lld open",
	         (long long)f->leads, f->leads == 1 ? "" : "s", (long long)f->won,
	         (long long)f->lost, (long long)open);
	double wr;
	if (funnel_win_rate(f, &wr))
		snprintf(part[np++], sizeof part[0], "win rate %.1f%% (won of closed)", wr * 100);
	if (f->value) {
		char m[32];
		lead_money_fmt(f->value, m);
		snprintf(part[np++], sizeof part[0], "value %s", m);
	}
	size_t col = 0;
	for (int i = 0; i < np; i++) {
		size_t w = strlen(part[i]);
		if (i && c->term_cols > 0 && col + 2 + w > (size_t)c->term_cols) {
			fputs(";\n", stdout);
			col = 0;
		} else if (i) {
			fputs("; ", stdout);
			col += 2;
		}
		fputs(part[i], stdout);
		col += w;
	}
	putchar('\n');
	other_note(c, f, stdout);
}

/* ---- machine formats: one flat table, a total row per funnel ---- */

static void print_machine(struct ctx *c, const struct funnel_set *s, enum funnel_by by)
{
	struct out_col cols[] = {
		{ by_names[by], NULL, OUT_T_STR, 0 },  { "position", NULL, OUT_T_INT, 0 },
		{ "stage", NULL, OUT_T_STR, 0 },       { "key", NULL, OUT_T_STR, 0 },
		{ "group", NULL, OUT_T_STR, 0 },       { "current", NULL, OUT_T_INT, 0 },
		{ "reached", NULL, OUT_T_INT, 0 },     { "conv_prev", NULL, OUT_T_NUM, 0 },
		{ "conv_top", NULL, OUT_T_NUM, 0 },    { "drop_off", NULL, OUT_T_NUM, 0 },
		{ "value", NULL, OUT_T_NUM, 0 },       { "stays", NULL, OUT_T_INT, 0 },
		{ "median_secs", NULL, OUT_T_INT, 0 }, { "mean_secs", NULL, OUT_T_INT, 0 },
		{ "won", NULL, OUT_T_INT, 0 },         { "lost", NULL, OUT_T_INT, 0 },
		{ "win_rate", NULL, OUT_T_NUM, 0 },
	};
	int first = by == FUNNEL_BY_NONE ? 1 : 0;
	struct out *o = ctx_out(c);
	out_begin(o, cols + first, (int)ARRAY_LEN(cols) - first);
	for (size_t k = 0; k < s->n; k++) {
		const struct funnel *f = &s->v[k];
		for (size_t i = 0; i < f->nrows; i++) {
			const struct funnel_row *r = &f->rows[i];
			if (!first)
				out_str(o, f->group);
			if (r->pos >= 0)
				out_int(o, r->pos + 1);
			else
				out_null(o);
			out_str(o, r->name);
			out_str(o, r->key);
			out_str(o,
			        r->grp >= 0 ? stage_group_name((enum stage_group)r->grp) : "other");
			out_int(o, r->current);
			if (r->reached >= 0)
				out_int(o, r->reached);
			else
				out_null(o);
			double v;
			bool ok = funnel_conv_prev(f, i, &v);
			pct(o, ok, v, false);
			bool okt = funnel_conv_top(f, i, &v);
			pct(o, okt, v, false);
			ok = funnel_conv_prev(f, i, &v);
			pct(o, ok, 1 - v, false);
			money(o, r->value, false);
			out_int(o, r->stays);
			if (r->stays) {
				out_int(o, r->median);
				out_int(o, r->mean);
			} else {
				out_null(o);
				out_null(o);
			}
			out_null(o);
			out_null(o);
			out_null(o);
			out_end_row(o);
		}
		/* the total row */
		if (!first)
			out_str(o, f->group);
		out_null(o);
		out_null(o);
		out_null(o);
		out_str(o, "total");
		out_int(o, f->leads);
		for (int i = 0; i < 4; i++)
			out_null(o);
		money(o, f->value, false);
		for (int i = 0; i < 3; i++)
			out_null(o);
		out_int(o, f->won);
		out_int(o, f->lost);
		double wr;
		bool ok = funnel_win_rate(f, &wr);
		pct(o, ok, wr, false);
		out_end_row(o);
		other_note(c, f, stderr);
	}
	out_finish(o);
	out_free(o);
}

/* ---- the leads behind a number ---- */

static int list_leads(struct ctx *c, const struct funnel_query *q, const char *key, bool current)
{
	int64_t *ids;
	size_t n;
	if (funnel_lead_ids(c->db, q, key, current, &ids, &n, &c->err))
		return fail_err(c);
	static const struct out_col cols[] = {
		{ "id", NULL, OUT_T_INT, 0 },         { "name", NULL, OUT_T_STR, 0 },
		{ "email", NULL, OUT_T_STR, 0 },      { "owner", NULL, OUT_T_STR, 0 },
		{ "source", NULL, OUT_T_STR, 0 },     { "stage", NULL, OUT_T_STR, 0 },
		{ "status", NULL, OUT_T_STR, 0 },     { "value", NULL, OUT_T_NUM, 1 },
		{ "created_at", NULL, OUT_T_STR, 0 }, { "stage_entered_at", NULL, OUT_T_STR, 0 },
	};
	struct out *o = ctx_out(c);
	out_begin(o, cols, (int)ARRAY_LEN(cols));
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		struct lead l;
		if (db_lead_by_id(c->db, ids[i], &l, &c->err)) {
			rc = fail_err(c);
			break;
		}
		char buf[LTIME_BUFSZ + 64];
		out_int(o, l.i[LI_ID]);
		lead_display_name(&l, buf, sizeof buf);
		out_str(o, buf);
		out_str(o, l.t[LT_EMAIL]);
		out_str(o, l.t[LT_OWNER]);
		out_str(o, l.t[LT_SOURCE]);
		out_str(o, stage_label(c, l.t[LT_STAGE], buf, sizeof buf));
		out_str(o, l.t[LT_STATUS]);
		money(o, l.i[LI_VALUE], !l.has[LI_VALUE]);
		out_str(o, fmt_time(c, l.i[LI_CREATED_AT], buf));
		out_str(o, fmt_time(c, l.i[LI_STAGE_ENTERED_AT], buf));
		out_end_row(o);
		lead_free(&l);
	}
	out_finish(o);
	out_free(o);
	free(ids);
	return rc;
}

/* ---- the SVG file: written beside the target, then renamed ---- */

/* Write text to path, or to standard output for "-" (as export -O - does). */
static int write_file(struct ctx *c, const char *path, const struct sb *text)
{
	if (strcmp(path, "-") == 0) {
		if (text->len && fwrite(text->buf, 1, text->len, stdout) != text->len)
			return fail(c, EX_IOERR, "error writing the SVG: %s", strerror(errno));
		return 0;
	}
	if (afile_write(path, text->buf, text->len, &c->err))
		return fail_err(c);
	return 0;
}

/* ---- options ---- */

/* Compile --where; prints the diagnostics and returns 64 on a mistake. */
static int compile_where(struct ctx *c, const char *text, struct cond **out)
{
	struct yaml_ctx y;
	ly_load_mem(&y, "--where", text, strlen(text));
	*out = y.root ? cond_compile(&y, y.root, c->cfg) : NULL;
	if (!y.root && !y.nerrors)
		ly_error(&y, NULL, "the condition is empty");
	struct config_diag *d;
	size_t nd, ne;
	ly_take_diags(&y, &d, &nd, &ne);
	ly_free(&y);
	for (size_t i = 0; i < nd; i++) {
		if (!d[i].warning || !c->quiet)
			out_tprintf(stderr, "leads funnel: %s: %s\n",
			            d[i].warning ? "warning" : "error", d[i].text);
		free(d[i].text);
	}
	free(d);
	if (ne || !*out) {
		cond_free(*out);
		*out = NULL;
		return usage_error(c, "bad condition for --where (see leads-config(5))");
	}
	return 0;
}

static int parse_query(struct ctx *c, struct args *a, struct funnel_query *q, struct cond **where,
                       struct sb *desc)
{
	memset(q, 0, sizeof *q);
	q->cfg = c->cfg;
	q->now = c->now;
	*where = NULL;
	const char **v = a->val;
	int prc;
	if (v[F_STATUS]) {
		if ((prc = pick_status(c, v[F_STATUS], &q->f.status)))
			return prc;
		sb_addf(desc, ", status %s", q->f.status);
	}
	if (v[F_OWNER]) {
		if (str_ieq(v[F_OWNER], "none") || strcmp(v[F_OWNER], "-") == 0)
			q->f.owner = "-";
		else if ((prc = pick_owner(c, v[F_OWNER], &q->f.owner)))
			return prc;
		sb_addf(desc, ", owner %s", strcmp(q->f.owner, "-") ? q->f.owner : "none");
	}
	if (v[F_SOURCE]) {
		static char *source; /* as the leads spell it */
		free(source);
		source = NULL;
		if ((prc = pick_source(c, v[F_SOURCE], &source)))
			return prc;
		q->f.source = source;
		sb_addf(desc, ", source %s", source);
	}
	if (v[F_PERIOD] && v[F_SINCE])
		return usage_error(c, "give --period or --since, not both");
	if (v[F_PERIOD]) {
		struct ldur d;
		if (!ldur_parse(v[F_PERIOD], &d))
			return usage_error(c, "bad duration '%s' for --period (use 30d, 12w, 3mo)",
			                   v[F_PERIOD]);
		q->f.since = ldur_sub(c->now, d);
	}
	if (v[F_SINCE] && !parse_when(c, v[F_SINCE], &q->f.since))
		return usage_error(c,
		                   "bad time '%s' (use a date like 2026-11-01 or a duration ago "
		                   "like 30d)",
		                   v[F_SINCE]);
	if (v[F_UNTIL] && !parse_when(c, v[F_UNTIL], &q->f.until))
		return usage_error(c,
		                   "bad time '%s' (use a date like 2026-11-01 or a duration ago "
		                   "like 30d)",
		                   v[F_UNTIL]);
	char t[LTIME_BUFSZ];
	if (q->f.since) {
		ltime_fmt(q->f.since, t);
		sb_addf(desc, ", created since %s", t);
	}
	if (q->f.until) {
		ltime_fmt(q->f.until, t);
		sb_addf(desc, ", created before %s", t);
	}
	if (v[F_BY]) {
		for (int i = 1; i < (int)ARRAY_LEN(by_names); i++)
			if (str_ieq(v[F_BY], by_names[i]))
				q->by = (enum funnel_by)i;
		if (q->by == FUNNEL_BY_NONE)
			return usage_error(c, "cannot group by '%s' (owner, source or month)",
			                   v[F_BY]);
		sb_addf(desc, ", by %s", by_names[q->by]);
	}
	if (v[F_WHERE]) {
		int rc = compile_where(c, v[F_WHERE], where);
		if (rc)
			return rc;
		q->f.where = *where;
		sb_adds(desc, ", where ");
		sb_adds(desc, v[F_WHERE]);
	}
	return 0;
}

int cmd_funnel(struct ctx *c, struct args *a)
{
	struct funnel_query q;
	struct cond *where = NULL;
	struct sb desc = SB_INIT;
	int rc = parse_query(c, a, &q, &where, &desc);
	if (rc)
		goto out;
	if (a->val[F_CURRENT] && !a->val[F_STAGE]) {
		rc = usage_error(c, "--current goes with --stage");
		goto out;
	}
	if (a->val[F_STAGE]) {
		if (q.by != FUNNEL_BY_NONE || a->val[F_SVG]) {
			rc = usage_error(c,
			                 "--stage lists leads; it does not go with --by or --svg");
			goto out;
		}
		const struct stage *s = NULL;
		if (!str_ieq(a->val[F_STAGE], "other") && (rc = pick_stage(c, a->val[F_STAGE], &s)))
			goto out;
		rc = list_leads(c, &q, s ? s->key : NULL, a->val[F_CURRENT] != NULL);
		goto out;
	}

	struct funnel_set fs;
	if (funnel_compute(c->db, &q, &fs, &c->err)) {
		rc = fail_err(c);
		goto out;
	}
	if (c->verbose)
		note(c, "computed by the %s path", fs.fast ? "whole-pipeline" : "general");
	if (a->val[F_SVG]) {
		struct sb title = SB_INIT, svg = SB_INIT;
		int64_t n = 0;
		for (size_t i = 0; i < fs.n; i++)
			n += fs.v[i].leads;
		sb_addf(&title, "Funnel: %lld lead%s%s", (long long)n, n == 1 ? "" : "s",
		        sb_str(&desc));
		funnel_svg(&fs, title.buf, &svg);
		rc = write_file(c, a->val[F_SVG], &svg);
		sb_free(&title);
		sb_free(&svg);
	}
	if (!rc && a->val[F_SVG] && strcmp(a->val[F_SVG], "-") == 0) {
		/* standard output has the picture: the figures would spoil it */
	} else if (!rc && c->fmt != OUT_TABLE) {
		print_machine(c, &fs, q.by);
	} else if (!rc) {
		if (!fs.n)
			note(c, "no leads%s", sb_str(&desc));
		else
			pager_start(c);
		for (size_t i = 0; i < fs.n; i++) {
			if (q.by != FUNNEL_BY_NONE)
				out_tprintf(stdout, "%s%s: %s\n", i ? "\n" : "", by_names[q.by],
				            group_label(&fs.v[i]));
			print_table(c, &fs.v[i], a->val[F_ASCII] != NULL);
		}
	}
	funnel_set_free(&fs);
out:
	cond_free(where);
	sb_free(&desc);
	return rc;
}
