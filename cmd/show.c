/* show.c - `leads show LEAD`: every field and the full history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "import.h"
#include "jsonval.h"
#include "ltime.h"
#include "task.h"

enum { S_REVERSE };
const struct opt opts_show[] = {
	[S_REVERSE] = { "reverse", 'r', NULL, "history oldest first (default: newest first)", 0,
	                COMP_NONE, NULL },
	{ 0 },
};

static const struct out_col history_cols[] = {
	{ "at", "WHEN", OUT_T_STR, 0 },   { "actor", "WHO", OUT_T_STR, 0 },
	{ "kind", "WHAT", OUT_T_STR, 0 }, { "from", "FROM", OUT_T_STR, 0 },
	{ "to", "TO", OUT_T_STR, 0 },     { "data", "DETAILS", OUT_T_RAW, 0 },
};

static const struct out_col task_cols[] = {
	{ "id", "ID", OUT_T_INT, 0 },       { "title", "TITLE", OUT_T_STR, 0 },
	{ "owner", "OWNER", OUT_T_STR, 0 }, { "due", "DUE", OUT_T_STR, 0 },
	{ "state", "STATE", OUT_T_STR, 0 },
};

struct tasks {
	struct out *o;
	int64_t now;
	struct ctx *c;
};

static int task_row(const struct task *t, void *p)
{
	struct out *o = ((struct tasks *)p)->o;
	int64_t now = ((struct tasks *)p)->now;
	char due[LTIME_BUFSZ];
	fmt_time(((struct tasks *)p)->c, t->due_at, due);
	out_int(o, t->id);
	out_str(o, t->title);
	out_str(o, t->owner);
	out_str(o, due);
	out_str(o, t->cancelled_at ? "cancelled"
	           : t->done_at    ? (t->late || t->done_at > t->due_at ? "done late" : "done")
	           : t->late || t->due_at < now ? "late"
	                                        : "open");
	out_end_row(o);
	return 0;
}

/* The lead's history, held to be shown newest first (a lead's own events). */
struct hist {
	struct ctx *c;
	struct event *ev; /* owned copies */
	size_t n, cap;
};

static char *dup0(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static int history_keep(const struct event *ev, void *p)
{
	struct hist *h = p;
	h->ev = xgrow(h->ev, &h->cap, h->n + 1, sizeof(*h->ev));
	struct event *e = &h->ev[h->n++];
	*e = *ev;
	e->actor = dup0(ev->actor);
	e->kind = dup0(ev->kind);
	e->from = dup0(ev->from);
	e->to = dup0(ev->to);
	e->data = dup0(ev->data);
	return 0;
}

static void hist_free(struct hist *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free((char *)h->ev[i].actor);
		free((char *)h->ev[i].kind);
		free((char *)h->ev[i].from);
		free((char *)h->ev[i].to);
		free((char *)h->ev[i].data);
	}
	free(h->ev);
}

static bool is_stage_event(const struct event *ev)
{
	return strcmp(ev->kind, "moved") == 0 || strcmp(ev->kind, "created") == 0;
}

/* The raw row, for the machine formats: data is the JSON as stored. */
static void history_row(struct ctx *c, struct out *o, const struct event *ev)
{
	char when[LTIME_BUFSZ], b1[256], b2[256];
	ltime_fmt(ev->at, when);
	out_str(o, when);
	out_str(o, ev->actor);
	out_str(o, ev->kind);
	bool stage = is_stage_event(ev);
	out_str(o, stage && ev->from ? stage_label(c, ev->from, b1, sizeof b1) : ev->from);
	out_str(o, stage && ev->to ? stage_label(c, ev->to, b2, sizeof b2) : ev->to);
	out_str(o, ev->data);
	out_end_row(o);
}

/* "12000" as "12,000" (and "-1234.50" as "-1,234.50"); other text as it is. */
static void add_grouped(struct sb *sb, const char *v)
{
	const char *p = v + (*v == '-');
	size_t digits = strspn(p, "0123456789");
	if (!digits || (p[digits] && (p[digits] != '.' ||
	                              p[digits + 1 + strspn(p + digits + 1, "0123456789")]))) {
		sb_adds(sb, v);
		return;
	}
	if (*v == '-')
		sb_addc(sb, '-');
	for (size_t i = 0; i < digits; i++) {
		if (i && (digits - i) % 3 == 0)
			sb_addc(sb, ',');
		sb_addc(sb, p[i]);
	}
	sb_adds(sb, p + digits);
}

static void add_value(struct sb *sb, const char *field, const char *v)
{
	if (str_empty(v))
		sb_adds(sb, "(none)");
	else if (field && strcmp(field, "value") == 0)
		add_grouped(sb, v);
	else
		sb_adds(sb, v);
}

/* A member of the event's data, or NULL; in the hist's scratch buffer. */
static const char *data_get(const struct event *ev, const char *key, struct sb *buf)
{
	if (!ev->data || !jsonval_get(ev->data, key, false, buf))
		return NULL;
	return sb_str(buf);
}

/* lead.merged: each conflict as "company 'Acme' over 'ACME'". */
static int merged_conflict(const char *key, const char *value, const char *type, void *ctx)
{
	struct sb *out = ctx;
	if (strcmp(type, "object") != 0)
		return 0;
	char *kept = db_json_get(NULL, value, "kept"),
	     *dropped = db_json_get(NULL, value, "dropped");
	sb_addf(out, "%s %s '%s' over '%s'", out->len ? "," : ";", key, kept ? kept : "",
	        dropped ? dropped : "");
	free(kept);
	free(dropped);
	return 0;
}

/* lead.merged: "#12 (ann@example.com) merged in; filled phone, title; company 'Acme' over 'ACME'"
 */
static void describe_merged(const struct event *ev, struct sb *out)
{
	struct sb d = SB_INIT;
	sb_addf(out, "%s", ev->from ? ev->from : "?");
	if (data_get(ev, "other_email", &d))
		sb_addf(out, " (%s)", sb_str(&d));
	sb_adds(out, " merged in");
	if (data_get(ev, "filled", &d) && strcmp(sb_str(&d), "[]") != 0) {
		sb_adds(out, "; filled ");
		for (const char *p = sb_str(&d); *p; p++) {
			if (*p == ',')
				sb_adds(out, ", ");
			else if (*p != '[' && *p != ']' && *p != '"')
				sb_addc(out, *p);
		}
	}
	struct sb conf = SB_INIT;
	struct lerr e = { 0 };
	if (data_get(ev, "conflicts", &d))
		db_json_object_each(NULL, sb_str(&d), merged_conflict, &conf, &e);
	sb_adds(out, sb_str(&conf));
	sb_free(&conf);
	sb_free(&d);
}

struct data_words {
	struct sb *out;
	bool sep;
};

/* One member of an event's data as "key: value", an array's items joined. */
static int data_word(const char *key, const char *value, const char *type, void *ctx)
{
	struct data_words *dw = ctx;
	if (strcmp(type, "object") == 0)
		return 0;
	sb_addf(dw->out, "%s%s: ", dw->sep ? ", " : "", key);
	dw->sep = true;
	if (strcmp(type, "array") != 0) {
		sb_adds(dw->out, value ? value : "");
		return 0;
	}
	for (const char *p = value; p && *p; p++) {
		if (*p == ',')
			sb_adds(dw->out, ", ");
		else if (*p != '[' && *p != ']' && *p != '"')
			sb_addc(dw->out, *p);
	}
	return 0;
}

/*
 * What an event says, in words: "value: 10,000 -> 12,000", "Contacted ->
 * Proposal Sent", a note's text.
 */
static void describe(struct ctx *c, const struct event *ev, struct sb *out)
{
	struct sb d = SB_INIT, d2 = SB_INIT;
	char b1[256], b2[256];
	const char *k = ev->kind;
	const char *text = data_get(ev, "text", &d);
	if (strcmp(k, "created") == 0) {
		sb_addf(out, "in %s", ev->to ? stage_label(c, ev->to, b2, sizeof b2) : "?");
	} else if (strcmp(k, "moved") == 0) {
		sb_addf(out, "%s -> %s", ev->from ? stage_label(c, ev->from, b1, sizeof b1) : "?",
		        ev->to ? stage_label(c, ev->to, b2, sizeof b2) : "?");
		const char *why = data_get(ev, "reason", &d2);
		if (why)
			sb_addf(out, " (%s)", why);
	} else if (strcmp(k, "edited") == 0 || strcmp(k, "assigned") == 0 ||
	           strcmp(k, "step") == 0 || strcmp(k, "status") == 0) {
		const char *field = data_get(ev, "field", &d2);
		char *f = xstrdup(field ? field : strcmp(k, "assigned") == 0 ? "owner" : k);
		if (strcmp(f, k) != 0) /* "status", "step": the kind says it already */
			sb_addf(out, "%s: ", f);
		add_value(out, f, ev->from);
		sb_adds(out, " -> ");
		add_value(out, f, ev->to);
		free(f);
		const char *why = data_get(ev, "reason", &d2);
		if (!why)
			why = data_get(ev, "rule", &d2);
		if (why && *why)
			sb_addf(out, " (%s)", why);
	} else if (strcmp(k, "lead.merged") == 0) {
		describe_merged(ev, out);
	} else if (strcmp(k, "imported") == 0) {
		sb_adds(out, "from ");
		sb_adds(out, data_get(ev, "file", &d2) ? sb_str(&d2) : "?");
		if (data_get(ev, "line", &d2))
			sb_addf(out, " line %s", sb_str(&d2));
		if (data_get(ev, "preset", &d2) && *sb_str(&d2))
			sb_addf(out, " (%s", sb_str(&d2));
		else
			sb_adds(out, " (");
		if (data_get(ev, "batch", &d2))
			sb_addf(out, "%sbatch %s", out->buf[out->len - 1] == '(' ? "" : ", ",
			        sb_str(&d2));
		sb_addc(out, ')');
	} else if (text) {
		sb_adds(out, text);
	} else if ((strcmp(k, "task") == 0 || strcmp(k, "task.reassigned") == 0) &&
	           data_get(ev, "task", &d2)) {
		/* task #3 "Call back" for ana (rule first-call) */
		sb_addf(out, "#%s", sb_str(&d2));
		if (data_get(ev, "title", &d2))
			sb_addf(out, " \"%s\"", sb_str(&d2));
		if (strcmp(k, "task.reassigned") == 0) {
			sb_adds(out, ": ");
			add_value(out, NULL, ev->from);
			sb_adds(out, " -> ");
			add_value(out, NULL, ev->to);
		} else if (ev->to) {
			sb_addf(out, " for %s", ev->to);
		}
		if (data_get(ev, "rule", &d2))
			sb_addf(out, " (rule %s)", sb_str(&d2));
	} else {
		if (ev->from || ev->to) {
			add_value(out, NULL, ev->from);
			sb_adds(out, " -> ");
			add_value(out, NULL, ev->to);
		}
		if (ev->data) {
			/* the data in words: "reason: closed, tasks: 4, 5" */
			struct data_words dw = { out, out->len > 0 };
			struct lerr e = { 0 };
			if (db_json_object_each(NULL, ev->data, data_word, &dw, &e)) {
				if (out->len)
					sb_addc(out, ' ');
				sb_adds(out, ev->data); /* not an object: as it is */
			}
		}
	}
	sb_free(&d);
	sb_free(&d2);
}

static void pad_to(struct sb *sb, size_t n)
{
	while (n--)
		sb_addc(sb, ' ');
}

/*
 * Append text to out, wrapped at word boundaries to lines of at most
 * width display columns (0: one line), continuation lines indented by ind.
 */
static void wrap(struct sb *out, const char *text, size_t width, size_t ind)
{
	char *clean = out_term_dup(text, 0); /* one line: tabs and newlines as spaces */
	size_t col = 0;
	const char *p = clean;
	while (*p) {
		size_t sp = strspn(p, " ");
		size_t wl = strcspn(p + sp, " ");
		if (!wl)
			break;
		char *word = xstrndup(p + sp, wl);
		size_t ww = out_term_width(word);
		if (col && width && col + 1 + ww > width) {
			sb_addc(out, '\n');
			for (size_t i = 0; i < ind; i++)
				sb_addc(out, ' ');
			col = 0;
		} else if (col) {
			sb_addc(out, ' ');
			col++;
		}
		sb_adds(out, word); /* a word longer than the width stays whole */
		col += ww;
		free(word);
		p += sp + wl;
	}
	free(clean);
}

/* The history as a readable timeline (table format). */
static void timeline(struct ctx *c, const struct hist *h, bool reverse)
{
	size_t whow = 0, kindw = 0;
	for (size_t i = 0; i < h->n; i++) {
		size_t w = out_term_width(h->ev[i].actor ? h->ev[i].actor : "");
		if (w > whow)
			whow = w;
		w = out_term_width(h->ev[i].kind);
		if (w > kindw)
			kindw = w;
	}
	struct sb line = SB_INIT, what = SB_INIT;
	fputs("\nhistory:\n", stdout);
	if (!h->n)
		fputs("  (none)\n", stdout);
	for (size_t k = 0; k < h->n; k++) {
		const struct event *ev = &h->ev[reverse ? k : h->n - 1 - k];
		char when[LTIME_BUFSZ];
		fmt_time(c, ev->at, when); /* the reader's zone, as the fields above */
		sb_reset(&line);
		sb_reset(&what);
		char *who = out_term_dup(ev->actor ? ev->actor : "", 0);
		char *kind = out_term_dup(ev->kind, 0);
		sb_addf(&line, "  %s  %s", when, who);
		for (size_t i = out_term_width(who); i < whow; i++)
			sb_addc(&line, ' ');
		sb_addf(&line, "  %s", kind);
		size_t ind = 2 + strlen(when) + 2 + whow + 2 + kindw + 2;
		describe(c, ev, &what);
		if (what.len) {
			size_t cols = c->term_cols > 0 ? (size_t)c->term_cols : 0;
			if (cols && cols < ind + 30) {
				/* too narrow beside the time: the text on lines of its own */
				ind = 4;
				sb_addc(&line, '\n');
				pad_to(&line, ind);
			} else {
				for (size_t i = out_term_width(kind); i < kindw + 2; i++)
					sb_addc(&line, ' ');
			}
			size_t room = !cols ? 0 : cols > ind + 10 ? cols - ind : 10;
			wrap(&line, what.buf, room, ind);
		}
		sb_addc(&line, '\n');
		fwrite(line.buf, 1, line.len, stdout);
		free(who);
		free(kind);
	}
	sb_free(&line);
	sb_free(&what);
}

/* A field of the record; in a table, empty ones are left out to keep it readable. */
static void show_field(struct ctx *c, struct out *o, const char *key, enum out_type type,
                       const char *value)
{
	if (value || c->fmt != OUT_TABLE)
		out_record_field(o, key, type, value);
}

int cmd_show(struct ctx *c, struct args *a)
{
	struct lead l;
	int rc = find_lead(c, a->argv[0], &l);
	if (rc)
		return rc;
	struct out *o = ctx_out(c);
	out_record_begin(o);
	char buf[256];
	for (int i = 0; i < lead_nfields; i++) {
		const struct field_desc *f = &lead_fields[i];
		if (!(f->flags & (FF_EXPORT | FF_EDIT)))
			continue;
		switch (f->kind) {
		case FK_TEXT:
			if (f->idx == LT_STAGE) {
				show_field(c, o, "stage", OUT_T_STR,
				           stage_label(c, l.t[LT_STAGE], buf, sizeof buf));
				const struct stage *s = config_stage(c->cfg, l.t[LT_STAGE]);
				show_field(c, o, "group", OUT_T_STR,
				           s ? stage_group_name(s->grp) : NULL);
			} else {
				show_field(c, o, f->name,
				           f->idx == LT_EXTRA ? OUT_T_RAW : OUT_T_STR, l.t[f->idx]);
			}
			if (f->idx == LT_EMAIL) { /* a merged lead's (leads merge), if any */
				char *also = db_lc_alias_emails(c->db, l.i[LI_ID]);
				if (also)
					out_record_field(o, "other_emails", OUT_T_STR, also);
				free(also);
			}
			break;
		case FK_INT:
			snprintf(buf, sizeof buf, "%lld", (long long)l.i[f->idx]);
			show_field(c, o, f->name, OUT_T_INT, l.has[f->idx] ? buf : NULL);
			break;
		case FK_TIME:
			fmt_time(c, l.i[f->idx], buf);
			show_field(c, o, f->name, OUT_T_STR, l.has[f->idx] ? buf : NULL);
			break;
		case FK_MONEY:
			lead_money_fmt(l.i[f->idx], buf);
			show_field(c, o, f->name, OUT_T_NUM, l.has[f->idx] ? buf : NULL);
			break;
		}
	}
	out_record_list_begin(o, "tasks");
	out_begin(o, task_cols, (int)ARRAY_LEN(task_cols));
	struct task_filter tf = { .lead_id = l.i[LI_ID], .now = c->now };
	struct tasks ts = { o, c->now, c };
	rc = db_task_query(c->db, &tf, task_row, &ts, &c->err);
	out_record_list_end(o);
	if (rc) {
		out_record_end(o);
		out_free(o);
		lead_free(&l);
		return fail_err(c);
	}
	struct hist h = { c, NULL, 0, 0 };
	/* An imported lead's first line: kept on the batch, not as an event per lead. */
	struct import_info ii = { 0 };
	if (l.has[LI_IMPORT_BATCH] &&
	    db_import_get(c->db, l.i[LI_IMPORT_BATCH], &ii, &c->err) == 0) {
		struct sb data = SB_INIT;
		sb_addf(&data, "{\"batch\":%lld,\"preset\":", (long long)l.i[LI_IMPORT_BATCH]);
		sb_add_json_str(&data, ii.preset ? ii.preset : "");
		sb_adds(&data, ",\"file\":");
		sb_add_json_str(&data, ii.file ? ii.file : "");
		sb_addf(&data, ",\"line\":%lld}", (long long)l.i[LI_SOURCE_LINE]);
		struct event ev = {
			.at = ii.at, .actor = ii.actor, .kind = "imported", .data = data.buf
		};
		history_keep(&ev, &h);
		/* and the owner its routing gave it (lib/hooks.h, import_assign) */
		if (l.t[LT_IMPORT_OWNER]) {
			sb_reset(&data);
			sb_adds(&data, "{\"rule\":");
			sb_add_json_str(&data, lead_get(&l, LT_IMPORT_RULE));
			sb_addc(&data, '}');
			ev.kind = "assigned";
			ev.to = l.t[LT_IMPORT_OWNER];
			ev.data = data.buf;
			history_keep(&ev, &h);
		}
		sb_free(&data);
	}
	free(ii.file);
	free(ii.preset);
	free(ii.actor);
	rc = db_events_for(c->db, l.i[LI_ID], history_keep, &h, &c->err);
	bool reverse = a->val[S_REVERSE] != NULL;
	if (c->fmt == OUT_TABLE) {
		out_record_end(o); /* the fields and tasks; then the timeline */
		fflush(stdout);
		if (!rc)
			timeline(c, &h, reverse);
	} else {
		out_record_list_begin(o, "history");
		out_begin(o, history_cols, (int)ARRAY_LEN(history_cols));
		for (size_t k = 0; k < h.n; k++)
			history_row(c, o, &h.ev[reverse ? k : h.n - 1 - k]);
		out_record_list_end(o);
		out_record_end(o);
	}
	hist_free(&h);
	out_free(o);
	lead_free(&l);
	return rc ? fail_err(c) : 0;
}
