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
	int rc = db_lead_find(c->db, ref, l, &c->err);
	if (rc != EX_NOINPUT)
		return rc ? fail_err(c) : 0;
	/* a lead merged into another (leads merge): its id and address name that one */
	struct lerr e = { 0 };
	int64_t to;
	int found = db_lc_alias_find(c->db, ref, &to, &e);
	if (found < 0) {
		c->err = e;
		return fail_err(c);
	}
	if (found == 0 || db_lead_by_id(c->db, to, l, &c->err))
		return fail_err(c);
	note(c, "%s was merged into lead #%lld", ref, (long long)to);
	return 0;
}

struct lc ctx_lc(struct ctx *c)
{
	return (struct lc){ .db = c->db,
		            .cfg = c->cfg,
		            .now = c->now,
		            .actor = c->actor,
		            .no_route = c->no_route,
		            .no_events = c->no_events,
		            .err = &c->err };
}

int record(struct ctx *c, const struct lead *l, const char *kind, const char *from, const char *to,
           const char *data)
{
	struct lc lc = ctx_lc(c);
	return lc_record(&lc, l, kind, from, to, data) ? fail_err(c) : 0;
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
	struct lc lc = ctx_lc(c);
	lc_touch(&lc, l, activity);
}

int lead_action(struct ctx *c, struct lead *l)
{
	struct lc lc = ctx_lc(c);
	return lc_action(&lc, l) ? fail_err(c) : 0;
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
	struct lc lc = ctx_lc(c);
	return lc_hook(&lc, l, kind, detail) ? fail_err(c) : 0;
}

void warn_db_file(struct ctx *c, const char *path)
{
	char why[128];
	const char *fix;
	if (c->quiet || !db_file_untrusted(path, why, sizeof why, &fix))
		return;
	fprintf(stderr,
	        "warning: %s: the file is %s: whoever can change it can change every lead "
	        "and the mail leads sends; %s\n",
	        path, why, fix);
}
