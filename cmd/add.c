/* add.c - `leads add`: one lead from options or a JSON object on stdin. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "intake.h"

enum { O_STAGE = NFIELD_OPTS, O_JSON, O_UPDATE, O_NO_ROUTE };
const struct opt opts_add[] = {
	FIELD_OPTS,
	[O_STAGE] = { "stage", 0, "STAGE", "start in STAGE (default: the first stage)", 0,
	              COMP_STAGE, NULL },
	[O_JSON] = { "json", 0, NULL, "read one JSON object of fields from standard input", 0,
	             COMP_NONE, NULL },
	[O_UPDATE] = { "update", 'u', NULL, "if the email exists, update that lead instead", 0,
	               COMP_NONE, NULL },
	[O_NO_ROUTE] = { "no-route", 0, NULL, "leave the new lead unassigned (no routing rules)", 0,
	                 COMP_NONE, NULL },
	{ 0 },
};

/* JSON keys a web form may send besides the field names themselves: the
 * intake's table (lib/intake.c), so that both read a form the same way. */
static const char *json_alias(const char *k)
{
	const char *a = intake_alias(k);
	return a ? a : k;
}

struct json_ctx {
	struct ctx *c;
	struct lead *l;
	bool stage_seen;
	char *stage;
	const char *what; /* names the input in messages */
	char *full_name;  /* "name": split into first and last when neither is given */
	char *email;      /* as given: its display name may name the lead */
};

static int json_member(const char *key, const char *value, const char *type, void *p)
{
	struct json_ctx *j = p;
	if (strcmp(type, "null") == 0)
		return 0;
	if (strcmp(type, "object") == 0 || strcmp(type, "array") == 0)
		return fail(j->c, EX_DATAERR, "%s: field '%s' must be a string or number", j->what,
		            key);
	const char *name = json_alias(key);
	if (strcmp(name, "name") == 0) {
		free(j->full_name);
		j->full_name = xstrdup(value);
		return 0;
	}
	if (str_ieq(name, "stage")) {
		free(j->stage);
		j->stage = xstrdup(value);
		return 0;
	}
	if (str_ieq(name, "id") || str_ieq(name, "status") || str_ieq(name, "score"))
		return fail(j->c, EX_DATAERR, "%s: field '%s' cannot be set", j->what, key);
	if (str_ieq(name, "email")) {
		free(j->email);
		j->email = xstrdup(value);
	}
	return set_field(j->c, j->l, name, value);
}

static int merge_extra(const char *key, const char *value, const char *type, void *p)
{
	struct json_ctx *j = p;
	(void)type;
	struct sb name = SB_INIT;
	sb_addf(&name, "extra.%s", key);
	int rc = set_field(j->c, j->l, name.buf, value);
	sb_free(&name);
	return rc;
}

/* Fold the given fields into the existing lead (add --update). */
static int update_existing(struct ctx *c, int64_t id, struct lead *given)
{
	struct lead l;
	if (db_lead_by_id(c->db, id, &l, &c->err))
		return fail_err(c);
	int rc = 0;
	char *owner = l.t[LT_OWNER] ? xstrdup(l.t[LT_OWNER]) : NULL;
	for (int i = 0; i < lead_nfields && !rc; i++) {
		const struct field_desc *f = &lead_fields[i];
		if (!(f->flags & FF_EDIT))
			continue;
		if (f->kind == FK_TEXT && given->t[f->idx]) {
			rc = set_field(c, &l, f->name, given->t[f->idx]);
		} else if (f->kind == FK_MONEY && given->has[f->idx]) {
			char buf[32];
			lead_money_fmt(given->i[f->idx], buf);
			rc = set_field(c, &l, f->name, buf);
		}
	}
	if (!rc && given->t[LT_EXTRA]) {
		/* custom fields: the given ones override, the others stay */
		struct json_ctx j = { c, &l, false, NULL, "--json", NULL, NULL };
		rc = db_json_object_each(c->db, given->t[LT_EXTRA], merge_extra, &j, &c->err);
	}
	struct lc lc = ctx_lc(c);
	if (!rc && (rc = lc_owner_changed(&lc, &l, owner, true)))
		rc = fail_err(c);
	free(owner);
	if (!rc && !(rc = lead_action(c, &l))) {
		if (!(rc = db_lead_update(c->db, &l, &c->err)))
			printf("%lld\n", (long long)id);
		else
			rc = fail_err(c);
	}
	lead_free(&l);
	return rc;
}

int add_json_fields(struct ctx *c, struct lead *l, const char *text, const char *what, char **stage)
{
	*stage = NULL;
	size_t bad;
	if (!utf8_valid(text, strlen(text), &bad))
		return fail(c, EX_DATAERR, "%s: invalid UTF-8 at byte %zu", what, bad + 1);
	struct json_ctx j = { c, l, false, NULL, what, NULL, NULL };
	int rc = db_json_object_each(c->db, text, json_member, &j, &c->err);
	/* "Ana Lima <ana@example.com>": the address, and the name when none is given */
	if (!rc && j.email)
		rc = name_from_email(c, l, j.email);
	free(j.email);
	if (!rc && j.full_name && !l->t[LT_FIRST_NAME] && !l->t[LT_LAST_NAME]) {
		/* a full name, as most forms send it: the last word is the last name */
		char *first, *last;
		intake_split_name(j.full_name, &first, &last);
		if (first)
			rc = set_field(c, l, "first_name", first);
		if (!rc && last)
			rc = set_field(c, l, "last_name", last);
		free(first);
		free(last);
	}
	free(j.full_name);
	*stage = j.stage;
	if (rc) {
		if (c->err.code == rc && c->err.msg[0] &&
		    strncmp(c->err.msg, "invalid JSON", 12) == 0)
			rc = fail(c, rc, "%s: invalid JSON%s", what,
			          strcmp(what, "--json") == 0 ? " on standard input" : "");
		else if (c->err.code == rc && strncmp(c->err.msg, "expected", 8) == 0)
			rc = fail(c, rc, "%s: %s", what, c->err.msg);
	}
	return rc;
}

int add_create(struct ctx *c, struct lead *l, const char *stage_name)
{
	const struct stage *st =
	    stage_name ? config_stage(c->cfg, stage_name) : config_first_stage(c->cfg);
	if (!st)
		return fail(c, EX_DATAERR, "no stage '%s' in the pipeline", stage_name);
	/* a lead added by hand starts new, now, unscored: the rest of the
	 * defaults are every new lead's (lib/lifecycle.c, import's too) */
	lead_set(l, LT_STATUS, "new");
	l->has[LI_CREATED_AT] = l->has[LI_UPDATED_AT] = l->has[LI_STAGE_ENTERED_AT] = false;
	l->has[LI_SCORE] = false;
	struct lc lc = ctx_lc(c);
	return lc_create(&lc, l, st) ? fail_err(c) : 0;
}

int cmd_add(struct ctx *c, struct args *a)
{
	struct lead l;
	lead_init(&l);
	c->no_route = a->val[O_NO_ROUTE] != NULL;
	char *stage_name = a->val[O_STAGE] ? xstrdup(a->val[O_STAGE]) : NULL;
	int rc = 0;

	if (a->val[O_JSON]) {
		char *text = NULL;
		if ((rc = read_all(c, stdin, "--json", 1 << 20, &text)))
			goto out;
		char *js = NULL;
		rc = add_json_fields(c, &l, text, "--json", &js);
		free(text);
		if (js && !stage_name)
			stage_name = js;
		else
			free(js);
		if (rc)
			goto out;
	}
	if ((rc = set_fields_from_args(c, &l, a)))
		goto out;
	if (lc_identifiable(&l, &c->err)) {
		/* a missing option: 64, as before (import refuses the same row, 65) */
		rc = usage_error(c, "a lead needs at least an email, a name, a company or a phone");
		goto out;
	}

	if (l.t[LT_EMAIL]) {
		int64_t other;
		int found = db_lead_id_by_email(c->db, l.t[LT_EMAIL], &other, &c->err);
		if (found < 0) {
			rc = fail_err(c);
			goto out;
		}
		if (found) {
			if (a->val[O_UPDATE] && stage_name)
				rc =
				    usage_error(c, "--update does not change the stage; use 'leads "
				                   "move'");
			else if (a->val[O_UPDATE])
				rc = update_existing(c, other, &l);
			else
				rc = fail(c, EX_DATAERR,
				          "lead #%lld already has email '%s' (use --update to "
				          "change it)",
				          (long long)other, l.t[LT_EMAIL]);
			goto out;
		}
	}

	/* --stage is typed (any unique prefix, 64); a stage in --json is data (65) */
	if (a->val[O_STAGE]) {
		const struct stage *st = NULL;
		if ((rc = pick_stage(c, a->val[O_STAGE], &st)))
			goto out;
		free(stage_name);
		stage_name = xstrdup(st->key);
	}
	if ((rc = add_create(c, &l, stage_name)))
		goto out;
	printf("%lld\n", (long long)l.i[LI_ID]);
out:
	free(stage_name);
	lead_free(&l);
	return rc;
}
