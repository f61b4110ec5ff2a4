/* common.c - helpers the command files share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "ltime.h"
#include "pager.h"

bool parse_when(struct ctx *c, const char *s, int64_t *out)
{
	struct ldur d;
	if (ltime_parse(s, out))
		return true;
	if (ldur_parse(s, &d)) { /* "30d": that long ago */
		*out = ldur_sub(c->now, d);
		return true;
	}
	return false;
}

struct out *ctx_out(struct ctx *c)
{
	pager_start(c);
	struct out *o = out_new(stdout, c->fmt, c->out_flags);
	out_set_width(o, c->term_cols);
	return o;
}

int find_lead(struct ctx *c, const char *ref, struct lead *l)
{
	if (db_lead_find(c->db, ref, l, &c->err))
		return fail_err(c);
	return 0;
}

int record(struct ctx *c, const struct lead *l, const char *kind, const char *from, const char *to,
           const char *data)
{
	struct event ev = { .lead_id = l->i[LI_ID],
		            .at = c->now,
		            .actor = c->actor,
		            .kind = kind,
		            .from = from,
		            .to = to,
		            .data = data };
	if (db_event_add(c->db, &ev, &c->err))
		return fail_err(c);
	return 0;
}

const char *stage_label(struct ctx *c, const char *key, char *buf, size_t n)
{
	const struct stage *s = key ? config_stage(c->cfg, key) : NULL;
	if (s && strcmp(s->key, key) == 0)
		return s->name;
	char *old = key && c->db ? db_stage_name(c->db, key) : NULL;
	snprintf(buf, n, "%s (not in config)", old ? old : key ? key : "?");
	free(old);
	return buf;
}

void lead_touch(struct ctx *c, struct lead *l, bool activity)
{
	lead_set_int(l, LI_UPDATED_AT, c->now);
	if (activity)
		lead_set_int(l, LI_LAST_ACTIVITY_AT, c->now);
}

int lead_action(struct ctx *c, struct lead *l)
{
	lead_touch(c, l, true);
	const char *st = lead_get(l, LT_STATUS);
	if (strcmp(st, "new") != 0 && strcmp(st, "inactive") != 0)
		return 0;
	char *from = xstrdup(st);
	lead_set(l, LT_STATUS, "active");
	int rc = record(c, l, "status", from, "active", "{\"reason\":\"activity\"}");
	free(from);
	return rc;
}

int json_obj1(struct sb *out, const char *key, const char *value)
{
	sb_reset(out);
	if (!value)
		return 0;
	sb_addc(out, '{');
	sb_add_json_str(out, key);
	sb_addc(out, ':');
	sb_add_json_str(out, value);
	sb_addc(out, '}');
	return 1;
}

int run_hook(struct ctx *c, struct lead *l, enum hook_kind kind, const char *detail)
{
	struct hook_env env = { .db = c->db,
		                .cfg = c->cfg,
		                .now = c->now,
		                .actor = c->actor,
		                .no_route = c->no_route,
		                .no_events = c->no_events,
		                .err = &c->err };
	struct hook_event ev = { .kind = kind, .detail = detail, .at = 0 };
	if (hooks_run(&env, l, &ev))
		return fail_err(c);
	return 0;
}
