/* activity.c - a lead's activities in memory (see activity.h). */
#include "activity.h"
#include "score.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[ACT__COUNT] = { "call",         "email", "meeting",
	                                            "email_opened", "note",  "email_replied" };

const char *act_kind_name(int kind)
{
	if (kind == ACT_ANY)
		return "any";
	return kind >= 0 && kind < ACT__COUNT ? kind_names[kind] : "?";
}

int act_kind_parse(const char *s)
{
	char buf[32];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof buf)
		return -2;
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		buf[i] = c == '-' ? '_' : c;
	}
	if (strcmp(buf, "any") == 0)
		return ACT_ANY;
	for (int k = 0; k < ACT__COUNT; k++)
		if (strcmp(buf, kind_names[k]) == 0)
			return k;
	return -2;
}

void act_list_reset(struct act_list *a, int64_t lead_id)
{
	a->n = 0;
	a->lead_id = lead_id;
	a->loaded = false;
}

void act_list_free(struct act_list *a)
{
	free(a->v);
	memset(a, 0, sizeof *a);
}

void act_list_add(struct act_list *a, int kind, int64_t at)
{
	if (a->n == a->cap)
		a->v = xgrow(a->v, &a->cap, a->n + 1, sizeof *a->v);
	a->v[a->n].kind = kind;
	a->v[a->n].at = at;
	a->n++;
}

int64_t act_count(const struct act_list *a, int kind, int64_t since, int64_t now)
{
	int64_t n = 0;
	for (size_t i = 0; i < a->n; i++)
		if ((kind == ACT_ANY || a->v[i].kind == kind) && a->v[i].at >= since &&
		    a->v[i].at <= now)
			n++;
	return n;
}

int64_t act_last(const struct act_list *a, int kind, int64_t now)
{
	int64_t last = 0;
	for (size_t i = 0; i < a->n; i++)
		if ((kind == ACT_ANY || a->v[i].kind == kind) && a->v[i].at <= now &&
		    a->v[i].at > last)
			last = a->v[i].at;
	return last;
}

int act_src_load(struct act_src *src, int64_t lead_id)
{
	if (src->list.loaded && src->list.lead_id == lead_id)
		return 0;
	if (src->rc)
		return src->rc;
	src->rc = db_act_load(src->db, lead_id, &src->list, &src->err);
	return src->rc;
}

static int64_t cb_count(void *ctx, int64_t lead_id, const char *kind, int64_t since)
{
	struct act_src *src = ctx;
	if (act_src_load(src, lead_id))
		return 0;
	return act_count(&src->list, act_kind_parse(kind), since, src->now);
}

static int64_t cb_last(void *ctx, int64_t lead_id, const char *kind)
{
	struct act_src *src = ctx;
	if (act_src_load(src, lead_id))
		return 0;
	return act_last(&src->list, act_kind_parse(kind), src->now);
}

static bool cb_score(void *ctx, int64_t lead_id, const char *name, int64_t *out)
{
	struct act_src *src = ctx;
	bool found = false;
	*out = 0; /* a named score is 0 until first computed (it is stored when not 0) */
	if (!src->db)
		return false;
	if (db_score_get(src->db, lead_id, name, out, &found, &src->err) != 0)
		src->rc = src->err.code;
	return src->rc == 0;
}

void act_env(struct cond_env *env, struct act_src *src)
{
	src->now = env->now;
	env->ctx = src;
	env->activity_count = cb_count;
	env->activity_last = cb_last;
	env->named_score = cb_score;
}

/* score.NAME of a lead never stored: 0, as a named score reads before it is first computed */
static bool no_named_score(void *ctx, int64_t lead_id, const char *name, int64_t *out)
{
	(void)ctx;
	(void)lead_id;
	(void)name;
	*out = 0;
	return true;
}

void act_src_init(struct act_src *src, struct db *db)
{
	src->db = db;
	src->now = 0;
	memset(&src->list, 0, sizeof src->list);
	src->rc = 0;
	src->err.code = 0;
	src->err.msg[0] = '\0';
}

void act_env_new(struct cond_env *env, struct act_src *src, int64_t lead_id)
{
	act_src_init(src, NULL);
	act_list_reset(&src->list, lead_id);
	src->list.loaded = true;
	act_env(env, src);
	env->named_score = no_named_score;
}
