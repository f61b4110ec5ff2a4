/* show.c - `leads show LEAD`: every field and the full history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "import.h"
#include "ltime.h"
#include "task.h"

const struct opt opts_show[] = { { 0 } };

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
	out_str(o, t->done_at ? (t->late || t->done_at > t->due_at ? "done late" : "done")
	           : t->late || t->due_at < now ? "late"
	                                        : "open");
	out_end_row(o);
	return 0;
}

struct hist {
	struct ctx *c;
	struct out *o;
};

static int history_row(const struct event *ev, void *p)
{
	struct hist *h = p;
	char when[LTIME_BUFSZ], b1[256], b2[256];
	ltime_fmt(ev->at, when);
	out_str(h->o, when);
	out_str(h->o, ev->actor);
	out_str(h->o, ev->kind);
	bool stage = strcmp(ev->kind, "moved") == 0 || strcmp(ev->kind, "created") == 0;
	out_str(h->o, stage && ev->from ? stage_label(h->c, ev->from, b1, sizeof b1) : ev->from);
	out_str(h->o, stage && ev->to ? stage_label(h->c, ev->to, b2, sizeof b2) : ev->to);
	out_str(h->o, ev->data);
	out_end_row(h->o);
	return 0;
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
	out_record_list_begin(o, "history");
	out_begin(o, history_cols, (int)ARRAY_LEN(history_cols));
	struct hist h = { c, o };
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
		history_row(&ev, &h);
		/* and the owner its routing gave it (lib/hooks.h, import_assign) */
		if (l.t[LT_IMPORT_OWNER]) {
			sb_reset(&data);
			sb_adds(&data, "{\"rule\":");
			sb_add_json_str(&data, lead_get(&l, LT_IMPORT_RULE));
			sb_addc(&data, '}');
			ev.kind = "assigned";
			ev.to = l.t[LT_IMPORT_OWNER];
			ev.data = data.buf;
			history_row(&ev, &h);
		}
		sb_free(&data);
	}
	free(ii.file);
	free(ii.preset);
	free(ii.actor);
	rc = db_events_for(c->db, l.i[LI_ID], history_row, &h, &c->err);
	out_record_list_end(o);
	out_record_end(o);
	out_free(o);
	lead_free(&l);
	return rc ? fail_err(c) : 0;
}
