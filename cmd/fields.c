/* fields.c - setting lead fields (add, edit) and filtering leads (list, export). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "imap.h"
#include "ltime.h"

const char *const field_opt_names[NFIELD_OPTS - 1] = {
	"email",  "first_name", "last_name", "phone",    "company", "title",
	"source", "owner",      "priority",  "category", "value",
};

static int record_change(struct ctx *c, struct lead *l, const char *name, const char *from,
                         const char *to)
{
	if (!l->has[LI_ID])
		return 0;
	if ((from ? from : "")[0] == '\0' && (to ? to : "")[0] == '\0')
		return 0;
	if (from && to && strcmp(from, to) == 0)
		return 0;
	struct sb data = SB_INIT;
	sb_adds(&data, "{\"field\":");
	sb_add_json_str(&data, name);
	sb_addc(&data, '}');
	int rc =
	    record(c, l, strcmp(name, "owner") == 0 ? "assigned" : "edited", from, to, data.buf);
	sb_free(&data);
	return rc;
}

static int set_custom(struct ctx *c, struct lead *l, const char *name, const char *value)
{
	if (!*name || strlen(name) > 200)
		return fail(c, EX_USAGE, "bad custom field name '%s'", name);
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20)
			return fail(c, EX_USAGE, "bad custom field name (control character)");
	char *old = db_json_get(c->db, l->t[LT_EXTRA], name);
	char *extra = db_json_set(c->db, l->t[LT_EXTRA], name, *value ? value : NULL);
	free(l->t[LT_EXTRA]);
	l->t[LT_EXTRA] = extra;
	struct sb fname = SB_INIT;
	sb_addf(&fname, "extra.%s", name);
	int rc = record_change(c, l, fname.buf, old, *value ? value : NULL);
	sb_free(&fname);
	free(old);
	return rc;
}

int set_field(struct ctx *c, struct lead *l, const char *name, const char *value)
{
	const char *p = name;
	bool custom = false;
	if (strncmp(p, "extra.", 6) == 0) {
		p += 6;
		custom = true;
	}
	const struct field_desc *f = custom ? NULL : lead_field(p);
	if (!f)
		return set_custom(c, l, p, value);
	if (!(f->flags & FF_EDIT)) {
		const char *how = f->idx == LT_STAGE && f->kind == FK_TEXT    ? "leads move"
		                  : f->idx == LT_STATUS && f->kind == FK_TEXT ? "leads status"
		                  : f->idx == LT_STEP && f->kind == FK_TEXT   ? "leads step"
		                                                              : NULL;
		if (how && c->cmd && strcmp(c->cmd->name, "add") == 0 && f->idx == LT_STAGE)
			how = "leads add --stage";
		if (how)
			return fail(c, EX_USAGE, "field '%s' is changed with '%s'", f->name, how);
		return fail(c, EX_USAGE, "field '%s' cannot be set", f->name);
	}
	char *norm = NULL;
	const char *v = value;
	if (f->kind == FK_MONEY) {
		int64_t cents = 0;
		char old[32] = "", nw[32] = "";
		if (*v && !lead_money_parse(v, &cents))
			return fail(c, EX_DATAERR,
			            "bad value '%s' for %s (expected an amount like "
			            "12000 or 12,000.50, at most " LEAD_MONEY_MAX_TEXT
			            " either sign)",
			            v, f->name);
		if (l->has[f->idx])
			lead_money_fmt(l->i[f->idx], old);
		if (*v) {
			lead_set_int(l, (enum lead_int)f->idx, cents);
			lead_money_fmt(cents, nw);
		} else {
			l->has[f->idx] = false;
			l->i[f->idx] = 0;
		}
		return record_change(c, l, f->name, old, nw);
	}
	if (f->kind != FK_TEXT)
		return fail(c, EX_USAGE, "field '%s' cannot be set", f->name);
	if (*v) {
		switch (f->idx) {
		case LT_EMAIL:
			if (!lead_email_normalize(v, &norm))
				return fail(c, EX_DATAERR, "invalid email address '%s'", v);
			v = norm;
			break;
		case LT_OWNER: {
			if (strcmp(v, "-") == 0 || str_ieq(v, "none")) {
				v = "";
				break;
			}
			const struct member *m = config_member(c->cfg, v);
			if (m)
				v = m->name;
			else if (c->cfg->nteam)
				return fail(c, EX_DATAERR, "no team member '%s' in the config", v);
			break;
		}
		case LT_PRIORITY: {
			const char *pr = config_priority(c->cfg, v);
			if (!pr)
				return fail(c, EX_DATAERR, "unknown priority '%s'", v);
			v = pr;
			break;
		}
		case LT_CATEGORY:
			if (!config_category_ok(c->cfg, v))
				return fail(c, EX_DATAERR, "unknown category '%s'", v);
			break;
		case LT_CLOSE_DATE:
			if (!lead_date_ok(v, NULL))
				return fail(c, EX_DATAERR,
				            "bad close_date '%s' (expected a date like 2026-12-31)",
				            v);
			break;
		default:
			break;
		}
	}
	int idx = f->idx;
	char *old = l->t[idx] ? xstrdup(l->t[idx]) : NULL;
	lead_set(l, (enum lead_text)idx, v);
	if (idx == LT_OWNER && l->t[LT_OWNER] && (!old || strcmp(old, l->t[LT_OWNER]))) {
		lead_set_int(l, LI_ASSIGNED_AT, c->now);
		lead_set(l, LT_ASSIGNED_RULE, NULL);
	}
	int rc = record_change(c, l, f->name, old, l->t[idx]);
	free(old);
	free(norm);
	return rc;
}

int set_fields_from_args(struct ctx *c, struct lead *l, struct args *a)
{
	int rc;
	for (int i = 0; i < NFIELD_OPTS - 1; i++) {
		const char *v = a->val[i];
		/* --owner is typed: a unique prefix will do, an unknown one is 64
		 * (a bad owner inside --json data stays 65, in set_field) */
		if (v && strcmp(field_opt_names[i], "owner") == 0 && c->cfg->nteam && *v &&
		    strcmp(v, "-") != 0 && !str_ieq(v, "none") && (rc = pick_owner(c, v, &v)))
			return rc;
		if (v && (rc = set_field(c, l, field_opt_names[i], v)))
			return rc;
	}
	for (int i = 0; a->multi[NFIELD_OPTS - 1] && a->multi[NFIELD_OPTS - 1][i]; i++) {
		const char *kv = a->multi[NFIELD_OPTS - 1][i];
		const char *eq = strchr(kv, '=');
		if (!eq || eq == kv)
			return usage_error(c, "--field wants NAME=VALUE, not '%s'", kv);
		char *name = xstrndup(kv, (size_t)(eq - kv));
		str_trim(name);
		rc = set_field(c, l, name, eq + 1);
		free(name);
		if (rc)
			return rc;
	}
	return a->val[0] ? name_from_email(c, l, a->val[0]) : 0;
}

int name_from_email(struct ctx *c, struct lead *l, const char *email)
{
	char *addr, *dname, *rest;
	if (lead_get(l, LT_FIRST_NAME)[0] || lead_get(l, LT_LAST_NAME)[0] ||
	    !lead_email_split(email, &addr, &dname, &rest))
		return 0;
	int rc = 0;
	if (dname) {
		char *first, *last;
		imap_split_name(dname, &first, &last);
		if (first)
			rc = set_field(c, l, "first_name", first);
		if (!rc && last)
			rc = set_field(c, l, "last_name", last);
		free(first);
		free(last);
	}
	free(addr);
	free(dname);
	free(rest);
	return rc;
}

int filter_from_args(struct ctx *c, struct args *a, int first, struct lead_filter *f,
                     char **stages_json)
{
	enum {
		F_STAGE,
		F_GROUP,
		F_STATUS,
		F_OWNER,
		F_SOURCE,
		F_SINCE,
		F_UNTIL,
		F_ASINCE,
		F_IDLE,
		F_SEARCH,
		F_MINSCORE,
		F_SORT,
		F_REVERSE,
		F_LIMIT,
		F_MINE
	};
	const char **v = a->val + first;
	memset(f, 0, sizeof *f);
	*stages_json = NULL;
	const char *const *stages = a->multi[first + F_STAGE];
	if (stages || v[F_GROUP]) {
		int grp = -1;
		if (v[F_GROUP]) {
			for (int g = GRP_ACTIVE; g <= GRP_LOST; g++)
				if (str_ieq(v[F_GROUP], stage_group_name((enum stage_group)g)))
					grp = g;
			if (grp < 0)
				return usage_error(c, "unknown group '%s' (active, won or lost)",
				                   v[F_GROUP]);
		}
		/* each --stage: a name, key or unique prefix (64 otherwise) */
		size_t nwant = 0;
		while (stages && stages[nwant])
			nwant++;
		const struct stage **want = xcalloc(nwant + 1, sizeof *want);
		for (size_t k = 0; k < nwant; k++) {
			int rc = pick_stage(c, stages[k], &want[k]);
			if (rc) {
				free(want);
				return rc;
			}
		}
		struct sb js = SB_INIT;
		sb_addc(&js, '[');
		int n = 0;
		const char *one = NULL;
		for (size_t i = 0; i < c->cfg->nstages; i++) {
			const struct stage *s = &c->cfg->stages[i];
			bool in = !stages;
			for (size_t k = 0; k < nwant; k++)
				if (want[k] == s)
					in = true;
			if (grp >= 0 && (int)s->grp != grp)
				in = false;
			if (in) {
				if (n++)
					sb_addc(&js, ',');
				sb_add_json_str(&js, s->key);
				one = s->key;
			}
		}
		sb_addc(&js, ']');
		free(want);
		*stages_json = sb_detach(&js);
		f->stages_json = *stages_json;
		if (n == 1) /* one stage: an equality, which an index serves in id order */
			f->stage = one;
	}
	/* names: any unique case-insensitive prefix; unknown ones are 64 */
	int prc;
	if (v[F_STATUS] && (prc = pick_status(c, v[F_STATUS], &f->status)))
		return prc;
	if (v[F_MINE] && v[F_OWNER])
		return usage_error(c, "give --mine or --owner, not both");
	if (v[F_MINE]) {
		char why[512] = "";
		if (!(f->owner = my_name(c, why, sizeof why)))
			return fail(c, EX_USAGE, "--mine: %s",
			            why[0] ? why : "who you are is unknown (set LEADS_USER)");
	}
	if (v[F_OWNER] && (str_ieq(v[F_OWNER], "none") || strcmp(v[F_OWNER], "-") == 0))
		f->owner = "-";
	else if (v[F_OWNER] && (prc = pick_owner(c, v[F_OWNER], &f->owner)))
		return prc;
	static char *source; /* the source as the leads spell it */
	free(source);
	source = NULL;
	if (v[F_SOURCE] && (prc = pick_source(c, v[F_SOURCE], &source)))
		return prc;
	f->source = source;
	f->search = v[F_SEARCH];
	static const struct {
		int opt;
		size_t off;
	} times[] = {
		{ F_SINCE, offsetof(struct lead_filter, created_since) },
		{ F_UNTIL, offsetof(struct lead_filter, created_until) },
		{ F_ASINCE, offsetof(struct lead_filter, activity_since) },
	};
	for (size_t i = 0; i < ARRAY_LEN(times); i++) {
		const char *s = v[times[i].opt];
		if (s && !parse_when(c, s, (int64_t *)((char *)f + times[i].off)))
			return usage_error(c,
			                   "bad time '%s' (use a date like 2026-11-01 or a "
			                   "duration ago like 30d)",
			                   s);
	}
	if (v[F_IDLE]) {
		struct ldur d;
		if (!ldur_parse(v[F_IDLE], &d))
			return usage_error(c, "bad duration '%s' for --idle (e.g. 30d, 2w)",
			                   v[F_IDLE]);
		f->activity_until = ldur_sub(c->now, d) + 1;
	}
	if (v[F_MINSCORE]) {
		if (!str_to_i64(v[F_MINSCORE], &f->min_score))
			return usage_error(c, "--min-score wants a number, not '%s'",
			                   v[F_MINSCORE]);
		f->has_min_score = true;
	}
	if (v[F_SORT] && strcmp(v[F_SORT], "name") == 0) {
		f->sort = "name"; /* last name, then first */
	} else if (v[F_SORT]) {
		const struct field_desc *sf = lead_field(v[F_SORT]);
		if (!sf || !(sf->flags & (FF_EXPORT | FF_LIST)))
			return usage_error(c, "cannot sort by '%s': no such field", v[F_SORT]);
		f->sort = v[F_SORT];
		/* by meaning: the most urgent priority first, stages in pipeline order */
		static struct sb sort_order; /* one list per run: kept until exit */
		struct sb *order = &sort_order;
		sb_reset(order);
		if (sf->idx == LT_PRIORITY && sf->kind == FK_TEXT) {
			sb_addc(order, '[');
			for (size_t i = c->cfg->npriorities; i-- > 0;) {
				sb_add_json_str(order, c->cfg->priorities[i]);
				if (i)
					sb_addc(order, ',');
			}
			sb_addc(order, ']');
		} else if (sf->idx == LT_STAGE && sf->kind == FK_TEXT) {
			sb_addc(order, '[');
			for (size_t i = 0; i < c->cfg->nstages; i++) {
				if (i)
					sb_addc(order, ',');
				sb_add_json_str(order, c->cfg->stages[i].key);
			}
			sb_addc(order, ']');
		}
		if (order->len)
			f->sort_order_json = order->buf;
	}
	f->desc = v[F_REVERSE] != NULL;
	if (v[F_LIMIT] && (!str_to_i64(v[F_LIMIT], &f->limit) || f->limit < 0))
		return usage_error(c, "--limit wants a number, not '%s'", v[F_LIMIT]);
	return 0;
}

int read_all(struct ctx *c, FILE *fp, const char *name, size_t max, char **out)
{
	struct sb sb = SB_INIT;
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
		sb_add(&sb, buf, n);
		if (sb.len > max) {
			sb_free(&sb);
			return fail(c, EX_DATAERR, "%s: input larger than %zu bytes", name, max);
		}
	}
	if (ferror(fp)) {
		sb_free(&sb);
		return fail(c, EX_IOERR, "%s: read error", name);
	}
	if (memchr(sb_str(&sb), '\0', sb.len)) {
		sb_free(&sb);
		return fail(c, EX_DATAERR, "%s: NUL byte in input", name);
	}
	*out = sb_detach(&sb);
	return 0;
}
