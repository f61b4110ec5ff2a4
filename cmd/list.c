/* list.c - `leads list` and `leads export`: leads through the output emitter. */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "afile.h"
#include "fields.h"
#include "ltime.h"
#include "pager.h"

enum { L_COLUMNS = NFILTER_OPTS, L_DUPLICATES };
const struct opt opts_list[] = {
	FILTER_OPTS,
	[L_COLUMNS] = { "columns", 'C', "F1,F2", "show these fields instead of the default", 0,
	                COMP_FIELD, NULL },
	[L_DUPLICATES] = { "duplicates", 0, NULL,
	                   "pairs of leads that look like one person, with the `leads merge` "
	                   "line for each",
	                   0, COMP_NONE, NULL },
	{ 0 },
};

enum { E_OUTPUT = NFILTER_OPTS, E_NO_ESCAPE };
const struct opt opts_export[] = {
	FILTER_OPTS,
	[E_OUTPUT] = { "output", 'O', "FILE", "write to FILE (mode 0600) instead of stdout", 0,
	               COMP_FILE, NULL },
	[E_NO_ESCAPE] = { "no-escape", 0, NULL,
	                  "do not guard cells starting with = + - @ against spreadsheet "
	                  "formulas",
	                  0, COMP_NONE, NULL },
	{ 0 },
};

/* A column is a lead field, or "name" (display name) in list. */
struct col {
	const struct field_desc *f; /* NULL: the display name */
};

struct walk {
	struct ctx *c;
	struct out *o;
	struct col *cols;
	int ncols;
	int64_t n;
};

static void emit_field(struct ctx *c, struct out *o, const struct lead *l,
                       const struct field_desc *f)
{
	char buf[LTIME_BUFSZ + 64];
	if (!f) {
		lead_display_name(l, buf, sizeof buf);
		out_str(o, buf);
		return;
	}
	switch (f->kind) {
	case FK_TEXT:
		if (f->idx == LT_STAGE)
			out_str(o, stage_label(c, l->t[LT_STAGE], buf, sizeof buf));
		else
			out_str(o, l->t[f->idx]);
		return;
	case FK_INT:
		if (l->has[f->idx])
			out_int(o, l->i[f->idx]);
		else
			out_null(o);
		return;
	case FK_TIME:
		if (!l->has[f->idx]) {
			out_null(o);
			return;
		}
		out_str(o, fmt_time(c, l->i[f->idx], buf));
		return;
	case FK_MONEY:
		if (!l->has[f->idx]) {
			out_null(o);
			return;
		}
		lead_money_fmt(l->i[f->idx], buf);
		out_str(o, buf);
		return;
	}
}

static int emit_row(const struct lead *l, void *p)
{
	struct walk *w = p;
	for (int i = 0; i < w->ncols; i++)
		emit_field(w->c, w->o, l, w->cols[i].f);
	out_end_row(w->o);
	w->n++;
	/* the reader went away (`list | head` with SIGPIPE ignored): stop */
	return out_failed(w->o) ? 1 : 0;
}

static enum out_type col_type(const struct field_desc *f)
{
	if (f && f->idx == LT_EXTRA && f->kind == FK_TEXT)
		return OUT_T_RAW;
	if (f && f->kind == FK_INT)
		return OUT_T_INT;
	if (f && f->kind == FK_MONEY)
		return OUT_T_NUM;
	return OUT_T_STR;
}

static int run_query(struct ctx *c, struct args *a, struct col *cols, int ncols, FILE *fp,
                     int flags)
{
	struct lead_filter f;
	char *stages = NULL;
	int rc = filter_from_args(c, a, 0, &f, &stages);
	if (rc) {
		free(stages);
		return rc;
	}
	if (a->argc > 0) { /* list TEXT: the full-text index (db_text_query) */
		char *q = db_text_query(c->db, a->argv[0]);
		free(q);
		if (!q) {
			free(stages);
			return usage_error(c,
			                   "nothing to search for in '%s' (give a word of a name, "
			                   "company, email, phone or note)",
			                   a->argv[0]);
		}
		f.text = a->argv[0];
		if (db_fts_stale(c->db))
			note(c, "the search index is not filled since a bulk import (the next "
			        "'leads sweep' fills it): searching without it, slowly");
	}
	/* emit_row only prints, and names stages no longer in the config from
	 * what is read here: the leads can come as they are sent */
	f.stream = true;
	if (db_stage_names_load(c->db, &c->err)) {
		free(stages);
		return fail_err(c);
	}
	struct out_col *oc = xcalloc((size_t)ncols, sizeof *oc);
	for (int i = 0; i < ncols; i++) {
		oc[i].name = cols[i].f ? cols[i].f->name : "name";
		oc[i].type = col_type(cols[i].f);
		oc[i].right = cols[i].f && cols[i].f->kind != FK_TEXT && cols[i].f->kind != FK_TIME;
	}
	if (fp == stdout)
		pager_start(c);
	struct out *o = out_new(fp, c->fmt, flags);
	if (fp == stdout)
		out_set_width(o, c->term_cols);
	out_begin(o, oc, ncols);
	/* on a narrow terminal these go first, the id, name and stage last */
	out_drop_order(o, "score step status owner company email");
	struct walk w = { c, o, cols, ncols, 0 };
	rc = db_lead_query(c->db, &f, emit_row, &w, &c->err);
	if (rc && out_failed(o))
		rc = 0; /* stopped by a write error: main (stdout) or afile reports it */
	out_finish(o);
	out_free(o);
	free(oc);
	free(stages);
	return rc ? fail_err(c) : 0;
}

/* list --duplicates: one row per pair, its reasons joined. */
struct dups {
	struct ctx *c;
	struct out *o;
	int64_t keep, other; /* the pair being gathered (0: none yet) */
	struct sb why;
	int64_t n;
};

static int dup_flush(struct dups *d)
{
	if (!d->keep)
		return 0;
	struct lead l;
	char name[256], buf[96];
	out_int(d->o, d->keep);
	out_int(d->o, d->other);
	for (int i = 0; i < 2; i++) {
		if (db_lead_by_id(d->c->db, i ? d->other : d->keep, &l, &d->c->err))
			return d->c->err.code;
		lead_display_name(&l, name, sizeof name);
		out_str(d->o, name);
		lead_free(&l);
	}
	out_str(d->o, sb_str(&d->why));
	snprintf(buf, sizeof buf, "leads merge %lld %lld", (long long)d->keep, (long long)d->other);
	out_str(d->o, buf);
	out_end_row(d->o);
	d->n++;
	sb_reset(&d->why);
	return out_failed(d->o) ? EX_IOERR : 0;
}

static int dup_row(int64_t keep, int64_t other, const char *reason, void *ctx)
{
	struct dups *d = ctx;
	int rc = 0;
	if (keep != d->keep || other != d->other) {
		rc = dup_flush(d);
		d->keep = keep;
		d->other = other;
	}
	sb_addf(&d->why, "%s%s", d->why.len ? ", " : "", reason);
	return rc;
}

static int list_duplicates(struct ctx *c, struct args *a)
{
	for (int i = 0; i < L_DUPLICATES; i++)
		if (a->val[i])
			return usage_error(c, "--duplicates takes no filters or --columns");
	static const struct out_col cols[] = {
		{ "keep", "KEEP", OUT_T_INT, 1 },
		{ "other", "OTHER", OUT_T_INT, 1 },
		{ "keep_name", "KEEP NAME", OUT_T_STR, 0 },
		{ "other_name", "OTHER NAME", OUT_T_STR, 0 },
		{ "reason", "REASON", OUT_T_STR, 0 },
		{ "command", "COMMAND", OUT_T_STR, 0 },
	};
	struct out *o = ctx_out(c);
	out_begin(o, cols, (int)ARRAY_LEN(cols));
	struct dups d = { .c = c, .o = o, .why = SB_INIT };
	int rc = db_lc_duplicates(c->db, dup_row, &d, &c->err);
	if (!rc)
		rc = dup_flush(&d);
	out_finish(o);
	bool wfail = out_failed(o);
	out_free(o);
	sb_free(&d.why);
	if (rc && wfail)
		return 0; /* stopped by a write error: main reports it */
	if (rc)
		return fail_err(c);
	if (!d.n)
		note(c, "no leads look like duplicates");
	return 0;
}

int cmd_list(struct ctx *c, struct args *a)
{
	if (a->val[L_DUPLICATES])
		return list_duplicates(c, a);
	static const char *const defaults[] = { "id",   "name",   "email", "company", "stage",
		                                "step", "status", "owner", "score" };
	struct col cols[64];
	int ncols = 0;
	if (a->val[L_COLUMNS]) {
		char *spec = xstrdup(a->val[L_COLUMNS]);
		for (char *tok = strtok(spec, ","); tok; tok = strtok(NULL, ",")) {
			str_trim(tok);
			const struct field_desc *f = lead_field(tok);
			if (f && !(f->flags & (FF_EXPORT | FF_LIST)))
				f = NULL; /* internal bookkeeping is not a column */
			if (!f && strcmp(tok, "name") != 0) {
				int rc = usage_error(c, "no such field '%s' for --columns", tok);
				free(spec);
				return rc;
			}
			if (ncols < (int)ARRAY_LEN(cols))
				cols[ncols++].f = f;
		}
		free(spec);
		if (!ncols)
			return usage_error(c, "--columns needs at least one field");
	} else {
		for (size_t i = 0; i < ARRAY_LEN(defaults); i++)
			cols[ncols++].f =
			    strcmp(defaults[i], "name") ? lead_field(defaults[i]) : NULL;
	}
	return run_query(c, a, cols, ncols, stdout, c->out_flags);
}

int cmd_export(struct ctx *c, struct args *a)
{
	struct col cols[64];
	int ncols = 0;
	for (int i = 0; i < lead_nfields; i++)
		if (lead_fields[i].flags & FF_EXPORT)
			cols[ncols++].f = &lead_fields[i];
	if (!c->fmt_given)
		c->fmt = OUT_CSV;
	if (c->fmt == OUT_TABLE)
		return usage_error(c, "export writes csv, tsv, json or jsonl");
	int flags = a->val[E_NO_ESCAPE] ? OUT_NO_ESCAPE : 0;
	FILE *fp = stdout;
	struct afile af = { 0 };
	const char *path = a->val[E_OUTPUT];
	if (path && strcmp(path, "-") != 0) {
		/* all or nothing: a temporary file renamed over the target (afile.h) */
		if (afile_open(&af, path, &c->err))
			return fail_err(c);
		fp = af.fp;
	}
	int rc = run_query(c, a, cols, ncols, fp, flags);
	if (fp != stdout) {
		if (rc)
			afile_abort(&af);
		else if ((rc = afile_commit(&af, &c->err)))
			rc = fail_err(c);
	}
	return rc;
}
