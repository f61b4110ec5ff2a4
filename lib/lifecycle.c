/*
 * lifecycle.c - the lead's lifecycle (see lifecycle.h): moves, statuses,
 * actions, owner changes, and the tasks and mail that follow them.
 */
#include "lifecycle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lyaml.h"
#include "queue.h"
#include "route.h"
#include "rules.h"
#include "workflow.h"

/* ---- config ---- */

struct lc_ps {
	struct lifecycle_config *c;
	const struct config *cfg;
};

static int h_unowned(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct lc_ps *p = obj;
	char *s = NULL;
	if (ly_str(y, val, k->key, &s) != 0)
		return -1;
	if (strcmp(s, "manager") != 0 && !config_member(p->cfg, s) && !strchr(s, '@')) {
		ly_error(y, val, "expected manager, a team member or an address for %s, got '%s'",
		         k->key, s);
		free(s);
		return -1;
	}
	free(p->c->unowned_tasks);
	p->c->unowned_tasks = s;
	return 0;
}

static int h_within(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct lc_ps *p = obj;
	struct ly_key k2 = *k;
	k2.off = 0;
	if (ly_h_dur(y, val, &p->c->import_events_within, &k2) != 0)
		return -1;
	p->c->has_import_within = true;
	return 0;
}

static int h_mail(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct lc_ps *p = obj;
	struct ly_key k2 = *k;
	k2.off = 0;
	return ly_h_bool(y, val, &p->c->assignment_mail, &k2);
}

static const struct ly_key lc_keys[] = {
	{ .key = "assignment_mail", .fn = h_mail },
	{ .key = "unowned_tasks", .fn = h_unowned },
	{ .key = "import_events_within", .fn = h_within },
};

static void lc_release(struct config *cfg)
{
	if (!cfg->lifecycle)
		return;
	free(cfg->lifecycle->unowned_tasks);
	free(cfg->lifecycle->src);
	free(cfg->lifecycle);
	cfg->lifecycle = NULL;
}

static int parse_lifecycle(struct yaml_ctx *y, yaml_node_t *node, struct config *cfg)
{
	lc_release(cfg);
	struct lifecycle_config *c = xcalloc(1, sizeof *c);
	c->assignment_mail = true;
	cfg->lifecycle = c;
	c->src = rules_yaml_echo(y, "lifecycle", node);
	if (ly_is_null(node))
		return 0;
	struct lc_ps p = { c, cfg };
	return ly_walk(y, node, "lifecycle", lc_keys, ARRAY_LEN(lc_keys), &p);
}

static void write_lifecycle(const struct config *cfg, struct sb *out)
{
	if (cfg->lifecycle && cfg->lifecycle->src)
		sb_adds(out, cfg->lifecycle->src);
}

void lifecycle_register_config(void)
{
	config_register_section("lifecycle", parse_lifecycle, write_lifecycle, lc_release);
}

bool lc_assignment_mail(const struct config *cfg)
{
	return !cfg || !cfg->lifecycle || cfg->lifecycle->assignment_mail;
}

struct ldur lc_import_events_within(const struct config *cfg)
{
	if (cfg && cfg->lifecycle && cfg->lifecycle->has_import_within)
		return cfg->lifecycle->import_events_within;
	return (struct ldur){ .secs = 7 * 86400, .months = 0 };
}

const struct member *lc_unowned_to(const struct config *cfg, const char **addr)
{
	*addr = NULL;
	const char *u = cfg && cfg->lifecycle ? cfg->lifecycle->unowned_tasks : NULL;
	if (u && strcmp(u, "manager") != 0) {
		const struct member *m = config_member(cfg, u);
		if (m)
			return m;
		*addr = u;
		return NULL;
	}
	for (size_t i = 0; cfg && i < cfg->nteam; i++)
		if (cfg->team[i].role && strcmp(cfg->team[i].role, "manager") == 0)
			return &cfg->team[i];
	return NULL;
}

/* ---- the basics ---- */

int lc_identifiable(const struct lead *l, struct lerr *err)
{
	static const enum lead_text id[] = { LT_EMAIL, LT_FIRST_NAME, LT_LAST_NAME, LT_COMPANY,
		                             LT_PHONE };
	for (size_t i = 0; i < ARRAY_LEN(id); i++)
		if (!str_empty(l->t[id[i]]))
			return 0;
	return lerr_set(err, EX_DATAERR, "no email, name, company or phone");
}

/* The engines' context for a lifecycle call. */
static struct hook_env env_of(const struct lc *c)
{
	return (struct hook_env){ .db = c->db,
		                  .cfg = c->cfg,
		                  .now = c->now,
		                  .actor = c->actor,
		                  .no_route = c->no_route,
		                  .no_events = c->no_events,
		                  .dry_run = c->dry_run,
		                  .import_assign = c->import_assign,
		                  .err = c->err };
}

int lc_record(struct lc *c, const struct lead *l, const char *kind, const char *from,
              const char *to, const char *data)
{
	struct event ev = { .lead_id = l->i[LI_ID],
		            .at = c->now,
		            .actor = c->actor,
		            .kind = kind,
		            .from = from,
		            .to = to,
		            .data = data };
	return db_event_add(c->db, &ev, c->err);
}

void lc_touch(struct lc *c, struct lead *l, bool activity)
{
	lead_set_int(l, LI_UPDATED_AT, c->now);
	if (activity)
		lead_set_int(l, LI_LAST_ACTIVITY_AT, c->now);
}

int lc_action(struct lc *c, struct lead *l)
{
	lc_touch(c, l, true);
	const char *st = lead_get(l, LT_STATUS);
	if (strcmp(st, "new") != 0 && strcmp(st, "inactive") != 0)
		return 0;
	char *from = xstrdup(st);
	lead_set(l, LT_STATUS, "active");
	int rc = lc_record(c, l, "status", from, "active", "{\"reason\":\"activity\"}");
	free(from);
	return rc;
}

int lc_hook(struct lc *c, struct lead *l, enum hook_kind kind, const char *detail)
{
	struct hook_env env = env_of(c);
	struct hook_event ev = { .kind = kind, .detail = detail, .at = 0 };
	return hooks_run(&env, l, &ev);
}

static void json_reason(struct sb *out, const char *reason)
{
	sb_reset(out);
	if (!reason)
		return;
	sb_adds(out, "{\"reason\":");
	sb_add_json_str(out, reason);
	sb_addc(out, '}');
}

/* ---- activities ---- */

int lc_log(struct lc *c, struct lead *l, const char *kind, const char *data, int64_t at,
           const char *detail, int64_t meeting)
{
	struct event ev = { .lead_id = l->i[LI_ID],
		            .at = at ? at : c->now,
		            .actor = c->actor,
		            .kind = kind,
		            .data = data };
	struct hook_env env = env_of(c);
	struct hook_event hev = { .kind = meeting ? HK_MEETING : HK_ACTIVITY,
		                  .detail = detail,
		                  .at = meeting };
	int rc = db_event_add(c->db, &ev, c->err);
	if (!rc)
		rc = lc_action(c, l);
	if (!rc)
		rc = hooks_run(&env, l, &hev);
	if (!rc)
		rc = db_lead_update(c->db, l, c->err);
	return rc;
}

int lc_step(struct lc *c, struct lead *l, const char *step)
{
	const char *cur = l->t[LT_STEP];
	if (cur == step || (cur && step && strcmp(cur, step) == 0))
		return 0;
	char *from = cur ? xstrdup(cur) : NULL;
	lead_set(l, LT_STEP, step);
	int rc = lc_record(c, l, "step", from, step, NULL);
	if (!rc)
		rc = lc_action(c, l);
	if (!rc)
		rc = lc_hook(c, l, HK_UPDATED, "step");
	if (!rc)
		rc = db_lead_update(c->db, l, c->err);
	free(from);
	return rc;
}

/* ---- closing ---- */

bool lc_closed(const struct config *cfg, const char *stage_key, const char *status)
{
	if (status && strcmp(status, "unqualified") == 0)
		return true;
	const struct stage *s = stage_key ? config_stage(cfg, stage_key) : NULL;
	return s && s->grp != GRP_ACTIVE;
}

static bool keeps_open(const struct config *cfg, const char *rule)
{
	const struct workflow_config *w = cfg ? cfg->workflow : NULL;
	for (size_t i = 0; rule && w && i < w->nrules; i++)
		if (strcmp(w->rules[i].name, rule) == 0)
			return w->rules[i].keep_open;
	return false;
}

int lc_close_tasks(struct lc *c, const struct lead *l, const char *why)
{
	struct lc_open_task *v;
	size_t n;
	int rc = db_lc_open_tasks(c->db, l->i[LI_ID], &v, &n, c->err);
	struct sb ids = SB_INIT;
	for (size_t i = 0; i < n && !rc; i++) {
		if (keeps_open(c->cfg, v[i].rule))
			continue;
		rc = db_lc_task_cancel(c->db, v[i].id, c->now, c->err);
		sb_addf(&ids, "%s%lld", ids.len ? "," : "", (long long)v[i].id);
	}
	if (!rc && ids.len) {
		struct sb data = SB_INIT;
		sb_addf(&data, "{\"tasks\":[%s],\"reason\":", ids.buf);
		sb_add_json_str(&data, why);
		sb_addc(&data, '}');
		rc = lc_record(c, l, "tasks.cancelled", NULL, NULL, data.buf);
		sb_free(&data);
	}
	sb_free(&ids);
	lc_open_tasks_free(v, n);
	return rc;
}

int lc_task_check_closed(struct lc *c, int64_t task_id, int64_t lead_id, const char *rule,
                         bool *cancelled)
{
	*cancelled = false;
	if (keeps_open(c->cfg, rule))
		return 0;
	struct lead l;
	int rc = db_lead_by_id(c->db, lead_id, &l, c->err);
	if (rc)
		return rc;
	if (lc_closed(c->cfg, l.t[LT_STAGE], lead_get(&l, LT_STATUS))) {
		struct sb data = SB_INIT;
		sb_addf(&data, "{\"tasks\":[%lld],\"reason\":\"closed\"}", (long long)task_id);
		if (!(rc = db_lc_task_cancel(c->db, task_id, c->now, c->err)))
			rc = lc_record(c, &l, "tasks.cancelled", NULL, NULL, data.buf);
		sb_free(&data);
		*cancelled = !rc;
	}
	lead_free(&l);
	return rc;
}

int lc_reminder_since(struct lc *c, const struct lead *l, int64_t since, int64_t *out)
{
	*out = since;
	if (!l->has[LI_IMPORT_BATCH] || !l->i[LI_IMPORT_BATCH])
		return 0;
	int64_t started, before;
	int rc = db_lc_import_quiet(c->db, l->i[LI_IMPORT_BATCH], &started, &before, c->err);
	if (!rc && before && l->i[LI_CREATED_AT] < before && started > since)
		*out = started;
	return rc;
}

/* ---- moves and statuses ---- */

int lc_move(struct lc *c, struct lead *l, const struct stage *to, const char *reason)
{
	if (to->grp == GRP_LOST && str_empty(reason))
		return lerr_set(c->err, EX_USAGE,
		                "moving lead #%lld to lost stage '%s' needs a reason",
		                (long long)l->i[LI_ID], to->name);
	char *from = xstrdup(lead_get(l, LT_STAGE));
	lead_set(l, LT_STAGE, to->key);
	lead_set(l, LT_STEP, NULL); /* steps belong to a stage */
	lead_set_int(l, LI_STAGE_ENTERED_AT, c->now);
	/* the furthest position reached, for the funnel: lost stages do not count */
	int pos = to->grp == GRP_LOST ? 0 : config_stage_pos(c->cfg, to->key);
	if (!l->has[LI_REACHED_POS] || pos > l->i[LI_REACHED_POS])
		lead_set_int(l, LI_REACHED_POS, pos);
	struct sb data = SB_INIT;
	json_reason(&data, reason);
	int rc = lc_record(c, l, "moved", from, to->key, data.len ? data.buf : NULL);
	if (!rc)
		rc = lc_action(c, l);
	/* closed first: the tasks of the stage it leaves go, a workflow of the
	 * stage it enters (a recovery task, say) stays */
	if (!rc && to->grp != GRP_ACTIVE && !lc_closed(c->cfg, from, lead_get(l, LT_STATUS)))
		rc = lc_close_tasks(c, l, to->grp == GRP_WON ? "won" : "lost");
	if (!rc)
		rc = lc_hook(c, l, HK_STAGE_ENTERED, to->key);
	if (!rc && to->grp == GRP_LOST)
		rc = lc_hook(c, l, HK_DISCARDED, from); /* the stage it came from */
	if (!rc)
		rc = db_lead_update(c->db, l, c->err);
	sb_free(&data);
	free(from);
	return rc;
}

int lc_set_status(struct lc *c, struct lead *l, const char *to, const char *reason)
{
	if (!lead_status_ok(to))
		return lerr_set(c->err, EX_USAGE,
		                "unknown status '%s' (new, active, inactive, unqualified)", to);
	char *from = xstrdup(lead_get(l, LT_STATUS));
	lead_set(l, LT_STATUS, to);
	/* a status set by hand is an action: the idle clock restarts from it,
	 * so the next sweep does not undo `leads status 1 active` */
	lc_touch(c, l, true);
	struct sb data = SB_INIT;
	json_reason(&data, reason);
	int rc = lc_record(c, l, "status", from, to, data.len ? data.buf : NULL);
	bool disq = strcmp(to, "unqualified") == 0;
	if (!rc && disq && !lc_closed(c->cfg, lead_get(l, LT_STAGE), from))
		rc = lc_close_tasks(c, l, "unqualified");
	if (!rc)
		rc = lc_hook(c, l, HK_STATUS, to);
	if (!rc && disq)
		rc = lc_hook(c, l, HK_DISCARDED, lead_get(l, LT_STAGE));
	if (!rc)
		rc = db_lead_update(c->db, l, c->err);
	sb_free(&data);
	free(from);
	return rc;
}

/* ---- the sweep: idle leads go inactive ---- */

struct idle_walk {
	lc_idle_fn fn;
	void *ctx;
	size_t n;
	int64_t *ids; /* kept for the engines, one lead at a time */
	size_t cap;
	bool keep;
};

static int idle_seen(const struct lead *l, void *p)
{
	struct idle_walk *w = p;
	if (w->keep) {
		w->ids = xgrow(w->ids, &w->cap, w->n + 1, sizeof *w->ids);
		w->ids[w->n++] = l->i[LI_ID];
		return 0;
	}
	char name[256];
	lead_display_name(l, name, sizeof name);
	w->fn(w->ctx, l->i[LI_ID], name, lead_get(l, LT_STATUS));
	w->n++;
	return 0;
}

/* Whether a and b differ at most in their default score. */
static bool same_but_score(const struct lead *a, const struct lead *b)
{
	for (int i = 0; i < LT__COUNT; i++)
		if (strcmp(lead_get(a, (enum lead_text)i), lead_get(b, (enum lead_text)i)) != 0)
			return false;
	for (int i = 0; i < LI__COUNT; i++)
		if (i != LI_SCORE && (a->has[i] != b->has[i] || (a->has[i] && a->i[i] != b->i[i])))
			return false;
	return true;
}

/*
 * One idle lead through the engines, then saved: its status, updated_at
 * and score when nothing else changed (what a change of status makes the
 * scoring do), else the whole row.
 */
static int inactivate_one(struct lc *c, int64_t id, const char *data, struct idle_walk *w)
{
	struct lead l, was;
	int rc = db_lead_by_id(c->db, id, &l, c->err);
	if (rc)
		return rc;
	char *from = xstrdup(lead_get(&l, LT_STATUS));
	lead_set(&l, LT_STATUS, "inactive");
	lead_set_int(&l, LI_UPDATED_AT, c->now);
	lead_init(&was);
	for (int i = 0; i < LT__COUNT; i++)
		lead_set(&was, (enum lead_text)i, l.t[i]);
	memcpy(was.i, l.i, sizeof was.i);
	memcpy(was.has, l.has, sizeof was.has);
	if (!(rc = lc_record(c, &l, "status", from, "inactive", data)) &&
	    !(rc = lc_hook(c, &l, HK_STATUS, "inactive")))
		rc = same_but_score(&l, &was)
		         ? db_lc_inactive_one(c->db, id, c->now, l.i[LI_SCORE], c->err)
		         : db_lead_update(c->db, &l, c->err);
	lead_free(&was);
	if (!rc) {
		char name[256];
		lead_display_name(&l, name, sizeof name);
		w->fn(w->ctx, id, name, from);
	}
	free(from);
	lead_free(&l);
	return rc;
}

int lc_inactivate_idle(struct lc *c, int64_t cutoff, const char *data, bool dry_run, lc_idle_fn fn,
                       void *ctx, size_t *n)
{
	struct hook_event ev = { .kind = HK_STATUS, .detail = "inactive", .at = 0 };
	struct idle_walk w = { .fn = fn, .ctx = ctx };
	w.keep = !dry_run && !hooks_quiet(c->cfg, &ev);
	int rc = db_lc_idle_each(c->db, cutoff, idle_seen, &w, c->err);
	if (!rc && !dry_run && !w.keep)
		rc = db_lc_inactivate(c->db, cutoff, c->now, c->actor, data, c->err);
	*n = w.keep ? 0 : w.n;
	for (size_t i = 0; w.keep && i < w.n && !rc; i++)
		if (!(rc = inactivate_one(c, w.ids[i], data, &w)))
			(*n)++;
	free(w.ids);
	return rc;
}

int64_t lc_inactive_at(const struct config *cfg, const struct lead *l)
{
	const char *st = lead_get(l, LT_STATUS);
	if (ldur_is_zero(cfg->inactive_after) ||
	    (strcmp(st, "new") != 0 && strcmp(st, "active") != 0))
		return 0;
	int64_t since =
	    l->has[LI_LAST_ACTIVITY_AT] ? l->i[LI_LAST_ACTIVITY_AT] : l->i[LI_CREATED_AT];
	return ldur_add(since, cfg->inactive_after);
}

/* ---- owners ---- */

int lc_owner_changed(struct lc *c, struct lead *l, const char *from, bool mail)
{
	const char *to = l->t[LT_OWNER];
	if ((from ? from : "")[0] == '\0' && (to ? to : "")[0] == '\0')
		return 0;
	if (from && to && strcmp(from, to) == 0)
		return 0;
	int rc = db_lc_tasks_follow(c->db, l->i[LI_ID], to, c->err);
	if (!rc && to && mail && lc_assignment_mail(c->cfg)) {
		const struct member *m = config_member(c->cfg, to);
		if (m && !str_empty(m->email)) {
			struct hook_env env = env_of(c);
			rc = route_owner_mail(&env, l, m, from);
		}
	}
	if (!rc && to)
		rc = lc_hook(c, l, HK_ASSIGNED, to);
	return rc;
}

/* ---- routing: the engine's decisions applied ---- */

struct lc lc_of_env(const struct hook_env *env)
{
	return (struct lc){ .db = env->db,
		            .cfg = env->cfg,
		            .now = env->now,
		            .actor = env->actor,
		            .no_route = env->no_route,
		            .no_events = env->no_events,
		            .dry_run = env->dry_run,
		            .import_assign = env->import_assign,
		            .err = env->err };
}

/*
 * A bulk run's state: the rotation cursors as advanced so far (also a dry
 * run's, which are never written), and the assignments waiting to be
 * written a chunk at a time.
 */
#define LC_SET 256 /* assignments kept before they are written */
static struct {
	struct lc_cursor {
		char *key;
		int64_t val;
		bool dirty; /* to be written at lc_bulk_end */
	} * cur;
	size_t ncur, capcur;
	bool bulk;
	struct lc_assign_row leads[LC_SET], tasks[LC_SET]; /* text in `text` */
	size_t nleads, ntasks;
	char *text[3 * LC_SET]; /* owners and rules, freed at each write */
	size_t ntext;
} run;

static struct lc_cursor *cursor_slot(const char *key)
{
	for (size_t i = 0; i < run.ncur; i++)
		if (strcmp(run.cur[i].key, key) == 0)
			return &run.cur[i];
	return NULL;
}

int64_t lc_cursor(struct db *db, const char *key, bool dry_run)
{
	struct lc_cursor *m = run.bulk || dry_run ? cursor_slot(key) : NULL;
	if (m)
		return m->val;
	char *v = db_state_get(db, key);
	int64_t n = 0;
	if (v && !str_to_i64(v, &n))
		n = 0;
	free(v);
	return n < 0 ? 0 : n;
}

static int cursor_advance(struct lc *c, const char *key, int64_t to)
{
	if (!run.bulk && !c->dry_run) {
		char buf[32];
		snprintf(buf, sizeof buf, "%" PRId64, to);
		return db_state_set(c->db, key, buf, c->err);
	}
	struct lc_cursor *m = cursor_slot(key);
	if (!m) {
		run.cur = xgrow(run.cur, &run.capcur, run.ncur + 1, sizeof *run.cur);
		m = &run.cur[run.ncur++];
		m->key = xstrdup(key);
		m->dirty = false;
	}
	m->val = to;
	m->dirty = m->dirty || !c->dry_run;
	return 0;
}

static const char *run_text(const char *s)
{
	return s ? (run.text[run.ntext++] = xstrdup(s)) : NULL;
}

/* Write the kept assignments (unless dry) and forget them. */
static int set_flush(struct lc *c, bool dry)
{
	int rc = 0;
	if (!dry && run.nleads)
		rc = db_lc_assign_set(c->db, run.leads, run.nleads, c->err);
	if (!dry && !rc && run.ntasks)
		rc = db_lc_tasks_follow_set(c->db, run.tasks, run.ntasks, c->err);
	for (size_t i = 0; i < run.ntext; i++)
		free(run.text[i]);
	run.ntext = run.nleads = run.ntasks = 0;
	return rc;
}

void lc_bulk_begin(void)
{
	/* from the stored cursors: a dry run's copies before it are forgotten */
	for (size_t i = 0; i < run.ncur; i++)
		free(run.cur[i].key);
	run.ncur = 0;
	run.bulk = true;
}

bool lc_in_bulk(void)
{
	return run.bulk;
}

int lc_bulk_end(struct hook_env *env)
{
	struct lc c = lc_of_env(env);
	int rc = set_flush(&c, env->dry_run);
	int mrc = route_digest_flush(env);
	rc = rc ? rc : mrc;
	for (size_t i = 0; i < run.ncur; i++) {
		struct lc_cursor *m = &run.cur[i];
		if (m->dirty && !rc && !env->dry_run) {
			char buf[32];
			snprintf(buf, sizeof buf, "%" PRId64, m->val);
			rc = db_state_set(env->db, m->key, buf, env->err);
		}
		free(m->key);
	}
	run.ncur = 0;
	run.bulk = false;
	return rc;
}

/* The lead's open tasks follow it to owner: now, or in the run's next chunk. */
/* Is lead id kept in v already? (A lead routed twice in one run, as an
 * import naming it twice may: what is kept is written first, so that a
 * chunk never holds a lead twice and the later owner wins.) */
static bool kept(const struct lc_assign_row *v, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return true;
	return false;
}

static int tasks_follow(struct lc *c, const struct lead *l, const char *owner)
{
	if (!run.bulk)
		return db_lc_tasks_follow(c->db, l->i[LI_ID], owner, c->err);
	if (run.ntasks == LC_SET || run.ntext + 2 > ARRAY_LEN(run.text) ||
	    kept(run.tasks, run.ntasks, l->i[LI_ID])) {
		int rc = set_flush(c, false);
		if (rc)
			return rc;
	}
	run.tasks[run.ntasks++] =
	    (struct lc_assign_row){ .id = l->i[LI_ID], .owner = run_text(owner) };
	return 0;
}

int lc_route_save(struct lc *c, const struct lead *before, const struct lead *l)
{
	if (c->dry_run)
		return 0;
	if (!run.bulk)
		return db_lead_save(c->db, before, l, c->err);
	int rc = 0;
	/* a lead kept already (routed twice in the run): that first, then this */
	if (run.nleads == LC_SET || run.ntext + 2 > ARRAY_LEN(run.text) ||
	    kept(run.leads, run.nleads, l->i[LI_ID]))
		rc = set_flush(c, false);
	if (rc || !db_lc_only_assigned(before, l))
		return rc ? rc : db_lead_save(c->db, before, l, c->err);
	run.leads[run.nleads++] = (struct lc_assign_row){ .id = l->i[LI_ID],
		                                          .owner = run_text(l->t[LT_OWNER]),
		                                          .rule = run_text(l->t[LT_ASSIGNED_RULE]),
		                                          .at = l->i[LI_ASSIGNED_AT] };
	return 0;
}

/* No member: an unowned lead's history says why (an owned one keeps its owner). */
static int route_nobody(struct lc *c, const struct lead *l, const struct route_result *d)
{
	if (c->dry_run || l->t[LT_OWNER])
		return 0;
	struct sb data = SB_INIT;
	sb_adds(&data, "{\"reason\":");
	sb_add_json_str(&data, d->reason);
	if (d->rule[0]) {
		sb_adds(&data, ",\"rule\":");
		sb_add_json_str(&data, d->rule);
	}
	sb_addc(&data, '}');
	int rc = lc_record(c, l, "route.unassigned", NULL, NULL, data.buf);
	sb_free(&data);
	return rc;
}

int lc_route_apply(struct lc *c, struct lead *l, const struct route_result *d)
{
	if (d->outcome != RO_ASSIGNED)
		return d->outcome == RO_KEPT ? 0 : route_nobody(c, l, d);
	const struct member *m = d->member;
	int rc = 0;
	/* a slot taken is taken, even by the owner the lead has */
	if (d->cursor && (rc = cursor_advance(c, d->cursor, d->cursor_to)))
		return rc;
	if (!d->changed)
		return 0;
	char *from = l->t[LT_OWNER] ? xstrdup(l->t[LT_OWNER]) : NULL;
	route_owner_moved(c->cfg, l, from, m->name);
	lead_set(l, LT_OWNER, m->name);
	lead_set(l, LT_ASSIGNED_RULE, d->rule);
	lead_set_int(l, LI_ASSIGNED_AT, c->now);
	lead_set_int(l, LI_UPDATED_AT, c->now);
	if (c->dry_run)
		goto out;
	bool import_new = c->import_assign && !from;
	/* the lead's open tasks follow it; a lead new to an import has none yet */
	if (!import_new && (rc = tasks_follow(c, l, m->name)))
		goto out;
	if (import_new) {
		/* a new lead of an import: kept on the lead (lib/hooks.h) */
		lead_set(l, LT_IMPORT_OWNER, m->name);
		lead_set(l, LT_IMPORT_RULE, d->rule);
	} else {
		struct sb data = SB_INIT;
		sb_adds(&data, "{\"rule\":");
		sb_add_json_str(&data, d->rule);
		if (d->why[0]) {
			sb_adds(&data, ",\"reason\":");
			sb_add_json_str(&data, d->why);
		}
		sb_addc(&data, '}');
		rc = lc_record(c, l, "assigned", from, m->name, data.buf);
		sb_free(&data);
		if (rc)
			goto out;
	}
	/* lifecycle: assignment_mail: false keeps a rule's mail; a lead passed on
	 * by reassign_after always tells both owners */
	if (d->why[0] || lc_assignment_mail(c->cfg)) {
		struct hook_env env = env_of(c);
		rc = route_assign_mail(&env, l, d, from);
	}
out:
	free(from);
	return rc;
}

int lc_route(struct hook_env *env, struct lead *l, struct act_src *acts, struct route_result *res,
             struct sb *explain)
{
	int rc = route_decide(env, l, acts, res, explain);
	if (rc)
		return rc;
	struct lc c = lc_of_env(env);
	return lc_route_apply(&c, l, res);
}

/* ---- scoring: the points written ---- */

int lc_score_apply(struct lc *c, struct lead *l, const struct score_decision *d,
                   struct score_stats *stats, bool fresh)
{
	struct hook_env env = env_of(c);
	int rc = 0;
	for (size_t i = 0; i < d->n && !rc; i++) {
		const struct score_change *ch = &d->v[i];
		if (stats)
			stats->changed++;
		if (ch->is_default)
			lead_set_int(l, LI_SCORE, ch->to);
		else if (!c->dry_run &&
		         (rc = db_score_set(c->db, l->i[LI_ID], ch->name, ch->to, c->err)))
			break;
		rc = score_crossings(&env, l, ch, stats, fresh);
	}
	return rc;
}

int lc_score(struct hook_env *env, struct lead *l, struct act_src *acts, struct score_stats *stats,
             bool fresh)
{
	struct score_decision d = { 0 };
	int rc = score_decide(env, l, acts, fresh, &d);
	if (!rc && d.n) {
		struct lc c = lc_of_env(env);
		rc = lc_score_apply(&c, l, &d, stats, fresh);
	}
	score_decision_free(&d);
	return rc;
}

int lc_task_reassign(struct lc *c, int64_t task_id, const char *owner)
{
	struct lead l;
	int64_t lead_id = 0;
	char *old = NULL;
	int rc = db_lc_task_lead(c->db, task_id, &lead_id, &old, c->err);
	if (rc)
		return rc;
	if (!(rc = db_lc_task_owner(c->db, task_id, owner, owner != NULL, c->err)) &&
	    !(rc = db_lead_by_id(c->db, lead_id, &l, c->err))) {
		struct sb data = SB_INIT;
		sb_addf(&data, "{\"task\":%lld}", (long long)task_id);
		rc = lc_record(c, &l, "task.reassigned", old, owner, data.buf);
		sb_free(&data);
		lead_free(&l);
	}
	free(old);
	return rc;
}

/* ---- notify: ---- */

int lc_notify_parse(struct yaml_ctx *y, yaml_node_t *val, const struct config *cfg,
                    const char *what, char ***v, size_t *n)
{
	*v = NULL;
	*n = 0;
	if (ly_is_scalar(val) && !ly_is_null(val)) {
		*v = xcalloc(1, sizeof **v);
		(*v)[0] = xstrdup(ly_scalar(val));
		*n = 1;
	} else if (ly_strv(y, val, what, v, n) != 0) {
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; i < *n; i++) {
		const struct member *m = config_member(cfg, (*v)[i]);
		if (m) {
			free((*v)[i]);
			(*v)[i] = xstrdup(m->name);
		} else if (!strchr((*v)[i], '@') || strpbrk((*v)[i], " \t\r\n<>,")) {
			yaml_node_t *at = ly_is_seq(val) ? ly_seq_at(y, val, i) : val;
			rc = ly_error(y, at ? at : val,
			              "%s: '%s' is neither a team member nor a mail address", what,
			              (*v)[i]);
		}
	}
	return rc;
}

int lc_notify_mail(struct lc *c, const struct lead *l, char *const *who, size_t n, const char *kind,
                   const char *key_base, const char *subject, const char *intro, const char *skip)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const struct member *m = config_member(c->cfg, who[i]);
		const char *addr = m ? m->email : who[i];
		if (str_empty(addr) || (skip && str_ieq(addr, skip)))
			continue;
		struct sb key = SB_INIT, body = SB_INIT;
		sb_addf(&key, "%s:%s", key_base, addr);
		sb_addf(&body, "Hello%s%s,\n\n%s\n\n", m ? " " : "", m ? m->name : "", intro);
		rules_lead_details(c->cfg, l, &body);
		struct mail_new mail = { .kind = kind,
			                 .idem_key = key.buf,
			                 .lead_id = l->i[LI_ID],
			                 .rcpt = addr,
			                 .subject = subject,
			                 .body = body.buf };
		int queued;
		rc = mail_queue(c->db, &mail, c->now, &queued, c->err);
		sb_free(&key);
		sb_free(&body);
	}
	return rc;
}

/* ---- merging two leads ---- */

static void merge_conflict(struct lc_merge *m, const char *field, const char *keep,
                           const char *other, bool other_won)
{
	m->conf = xrealloc(m->conf, (m->nconf + 1) * sizeof *m->conf);
	m->conf[m->nconf++] = (struct lc_merge_conflict){ .field = xstrdup(field),
		                                          .keep = xstrdup(keep),
		                                          .other = xstrdup(other),
		                                          .other_won = other_won };
}

static void merge_filled(struct lc_merge *m, const char *field)
{
	m->filled = xrealloc(m->filled, (m->nfilled + 1) * sizeof *m->filled);
	m->filled[m->nfilled++] = xstrdup(field);
}

/* Equal but for ASCII case and the spaces around them. */
static bool same_text(const char *a, const char *b)
{
	while (*a == ' ')
		a++;
	while (*b == ' ')
		b++;
	size_t na = strlen(a), nb = strlen(b);
	while (na && a[na - 1] == ' ')
		na--;
	while (nb && b[nb - 1] == ' ')
		nb--;
	return na == nb && strncasecmp(a, b, na) == 0;
}

/* Two values of one field: fill an empty one, else a conflict. Returns
 * whether OTHER's value is taken. */
static bool merge_value(struct lc_merge *m, const char *field, const char *keep, const char *other)
{
	if (str_empty(other))
		return false;
	if (str_empty(keep)) {
		merge_filled(m, field);
		return true;
	}
	if (same_text(keep, other)) /* "ACME" and "Acme " are one company */
		return false;
	merge_conflict(m, field, keep, other, m->prefer_other);
	return m->prefer_other;
}

struct merge_extra {
	struct lc_merge *m;
	struct db *db;
	const char *keep; /* KEEP's custom fields as read */
	struct sb patch;  /* what OTHER gives: {"key": value, ...} */
};

static int merge_extra_key(const char *key, const char *value, const char *type, void *ctx)
{
	struct merge_extra *x = ctx;
	if (!value || strcmp(type, "null") == 0)
		return 0;
	char *mine = db_json_get(x->db, x->keep, key);
	struct sb name = SB_INIT;
	sb_addf(&name, "extra.%s", key);
	bool take = merge_value(x->m, sb_str(&name), mine, value);
	sb_free(&name);
	free(mine);
	if (!take)
		return 0;
	sb_addc(&x->patch, x->patch.len ? ',' : '{');
	sb_add_json_str(&x->patch, key);
	sb_addc(&x->patch, ':');
	if (strcmp(type, "text") == 0)
		sb_add_json_str(&x->patch, value);
	else if (strcmp(type, "true") == 0 || strcmp(type, "false") == 0)
		sb_adds(&x->patch, type);
	else
		sb_adds(&x->patch, value);
	return 0;
}

int lc_merge_plan(struct lc *c, struct lead *keep, struct lead *other, bool prefer_other,
                  struct lc_merge *m)
{
	memset(m, 0, sizeof *m);
	m->keep = *keep;
	m->other = *other;
	m->prefer_other = prefer_other;
	lead_init(keep);
	lead_init(other);
	if (m->keep.i[LI_ID] == m->other.i[LI_ID])
		return lerr_set(c->err, EX_USAGE, "lead #%lld cannot be merged into itself",
		                (long long)m->keep.i[LI_ID]);
	struct lead *k = &m->keep, *o = &m->other, *r = &m->merged;
	lead_init(r);
	for (int i = 0; i < LT__COUNT; i++)
		lead_set(r, (enum lead_text)i, k->t[i]);
	for (int i = 0; i < LI__COUNT; i++) {
		r->i[i] = k->i[i];
		r->has[i] = k->has[i];
	}
	/* the fields a person edits, the address and the CRM reference aside */
	for (int i = 0; i < lead_nfields; i++) {
		const struct field_desc *f = &lead_fields[i];
		if (!(f->flags & FF_EDIT) ||
		    (f->kind == FK_TEXT && (f->idx == LT_EMAIL || f->idx == LT_EXT_ID)))
			continue;
		if (f->kind == FK_TEXT) {
			if (merge_value(m, f->name, k->t[f->idx], o->t[f->idx]))
				lead_set(r, (enum lead_text)f->idx, o->t[f->idx]);
			continue;
		}
		char kb[32] = "", ob[32] = "";
		if (k->has[f->idx])
			lead_money_fmt(k->i[f->idx], kb);
		if (o->has[f->idx])
			lead_money_fmt(o->i[f->idx], ob);
		if (merge_value(m, f->name, kb, ob))
			lead_set_int(r, (enum lead_int)f->idx, o->i[f->idx]);
	}
	/* the CRM reference goes as a pair */
	if (merge_value(m, "ext_id", k->t[LT_EXT_ID], o->t[LT_EXT_ID])) {
		lead_set(r, LT_EXT_ID, o->t[LT_EXT_ID]);
		lead_set(r, LT_EXT_SOURCE, o->t[LT_EXT_SOURCE]);
	}
	/* both addresses stay: the winner's on the lead, the other as a second */
	const char *ke = k->t[LT_EMAIL], *oe = o->t[LT_EMAIL];
	if (str_empty(ke) && !str_empty(oe)) {
		merge_filled(m, "email");
		lead_set(r, LT_EMAIL, oe);
	} else if (!str_empty(ke) && !str_empty(oe)) {
		if (prefer_other)
			lead_set(r, LT_EMAIL, oe);
		m->alias_email = xstrdup(prefer_other ? ke : oe);
	}
	/* custom fields, key by key */
	if (!str_empty(o->t[LT_EXTRA])) {
		if (!str_empty(k->t[LT_EXTRA]) && !db_json_valid(c->db, k->t[LT_EXTRA]))
			return lerr_set(c->err, EX_DATAERR,
			                "lead #%lld: its custom fields are not a "
			                "JSON object",
			                (long long)k->i[LI_ID]);
		struct merge_extra x = { m, c->db, k->t[LT_EXTRA], SB_INIT };
		int rc = db_json_object_each(c->db, o->t[LT_EXTRA], merge_extra_key, &x, c->err);
		if (!rc && x.patch.len) {
			sb_addc(&x.patch, '}');
			char *e = db_json_patch(c->db, k->t[LT_EXTRA], x.patch.buf);
			if (!e)
				rc = lerr_set(c->err, EX_DATAERR, "cannot merge the custom fields");
			free(r->t[LT_EXTRA]);
			r->t[LT_EXTRA] = e;
		}
		sb_free(&x.patch);
		if (rc)
			return rc;
	}
	/* one person: known since the first, acted on at the last */
	if (o->i[LI_CREATED_AT] < r->i[LI_CREATED_AT])
		lead_set_int(r, LI_CREATED_AT, o->i[LI_CREATED_AT]);
	if (o->has[LI_LAST_ACTIVITY_AT] &&
	    (!r->has[LI_LAST_ACTIVITY_AT] || o->i[LI_LAST_ACTIVITY_AT] > r->i[LI_LAST_ACTIVITY_AT]))
		lead_set_int(r, LI_LAST_ACTIVITY_AT, o->i[LI_LAST_ACTIVITY_AT]);
	if (o->has[LI_REACHED_POS] &&
	    (!r->has[LI_REACHED_POS] || o->i[LI_REACHED_POS] > r->i[LI_REACHED_POS]))
		lead_set_int(r, LI_REACHED_POS, o->i[LI_REACHED_POS]);
	/* a person acted on through OTHER is not new */
	if (strcmp(lead_get(r, LT_STATUS), "new") == 0 &&
	    strcmp(lead_get(o, LT_STATUS), "active") == 0)
		lead_set(r, LT_STATUS, "active");
	/* the default score adds up as the named ones do (db_lc_merge_move) */
	lead_set_int(r, LI_SCORE, k->i[LI_SCORE] + o->i[LI_SCORE]);
	return 0;
}

void lc_merge_free(struct lc_merge *m)
{
	lead_free(&m->keep);
	lead_free(&m->other);
	lead_free(&m->merged);
	for (size_t i = 0; i < m->nfilled; i++)
		free(m->filled[i]);
	free(m->filled);
	for (size_t i = 0; i < m->nconf; i++) {
		free(m->conf[i].field);
		free(m->conf[i].keep);
		free(m->conf[i].other);
	}
	free(m->conf);
	free(m->alias_email);
	memset(m, 0, sizeof *m);
}

int lc_merge_apply(struct lc *c, struct lc_merge *m)
{
	struct lead *r = &m->merged;
	int64_t keep = m->keep.i[LI_ID], other = m->other.i[LI_ID];
	int rc;
	if ((rc = db_lc_merge_move(c->db, keep, other, c->now, c->err)) ||
	    (rc = db_lc_lead_delete(c->db, other, c->err)))
		return rc;
	lc_touch(c, r, false);
	if ((rc = db_lead_update(c->db, r, c->err)) ||
	    (rc = db_lc_alias_add(c->db, other, keep, m->alias_email,
	                          m->other.has[LI_IMPORT_BATCH] ? m->other.i[LI_IMPORT_BATCH] : 0,
	                          c->now, c->actor, c->err)))
		return rc;
	/* what the merge did, for the history and for whoever undoes it by hand */
	struct sb d = SB_INIT;
	sb_addf(&d, "{\"other\":%lld", (long long)other);
	if (m->other.t[LT_EMAIL]) {
		sb_adds(&d, ",\"other_email\":");
		sb_add_json_str(&d, m->other.t[LT_EMAIL]);
	}
	sb_adds(&d, ",\"filled\":[");
	for (size_t i = 0; i < m->nfilled; i++) {
		if (i)
			sb_addc(&d, ',');
		sb_add_json_str(&d, m->filled[i]);
	}
	sb_adds(&d, "],\"conflicts\":{");
	for (size_t i = 0; i < m->nconf; i++) {
		const struct lc_merge_conflict *x = &m->conf[i];
		sb_addf(&d, "%s", i ? "," : "");
		sb_add_json_str(&d, x->field);
		sb_adds(&d, ":{\"kept\":");
		sb_add_json_str(&d, x->other_won ? x->other : x->keep);
		sb_adds(&d, ",\"dropped\":");
		sb_add_json_str(&d, x->other_won ? x->keep : x->other);
		sb_addc(&d, '}');
	}
	sb_adds(&d, "}}");
	char ref[32];
	snprintf(ref, sizeof ref, "#%lld", (long long)other);
	char to[32];
	snprintf(to, sizeof to, "#%lld", (long long)keep);
	rc = lc_record(c, r, "lead.merged", ref, to, d.buf);
	sb_free(&d);
	if (rc)
		return rc;
	/* an owner the merge gave KEEP is an owner change like any other */
	const char *was = m->keep.t[LT_OWNER], *now = r->t[LT_OWNER];
	if (!str_empty(now) && (str_empty(was) || strcmp(was, now) != 0)) {
		if ((rc = lc_record(c, r, "assigned", was, now, NULL)) ||
		    (rc = lc_owner_changed(c, r, was, true)))
			return rc;
	} else if (!str_empty(now) && (rc = db_lc_tasks_follow(c->db, keep, now, c->err))) {
		/* OTHER's tasks, now KEEP's, follow KEEP's owner */
		return rc;
	}
	/* a closed lead keeps no open tasks, OTHER's included */
	if (lc_closed(c->cfg, r->t[LT_STAGE], r->t[LT_STATUS]))
		rc = lc_close_tasks(c, r, "merged into a closed lead");
	return rc;
}

/* ---- new leads ---- */

void lc_new_defaults(const struct config *cfg, struct lead *l, const struct stage *s, int64_t now)
{
	if (!l->t[LT_STAGE] || strcmp(l->t[LT_STAGE], s->key) != 0)
		lead_set(l, LT_STAGE, s->key);
	if (!l->t[LT_STATUS] || !lead_status_ok(l->t[LT_STATUS]))
		lead_set(l, LT_STATUS, "new");
	if (!l->t[LT_PRIORITY])
		lead_set(l, LT_PRIORITY, cfg->default_priority);
	if (!l->has[LI_CREATED_AT])
		lead_set_int(l, LI_CREATED_AT, now);
	/* times and the score given are kept (our own export, or a vendor's
	 * Last Modified Date): an export -> import round trip is lossless */
	if (!l->has[LI_UPDATED_AT] || l->i[LI_UPDATED_AT] > now)
		lead_set_int(l, LI_UPDATED_AT, now);
	if (!l->has[LI_STAGE_ENTERED_AT] || l->i[LI_STAGE_ENTERED_AT] > now)
		lead_set_int(l, LI_STAGE_ENTERED_AT, l->i[LI_CREATED_AT]);
	/* furthest position reached (funnel): a lead lost on arrival got no further than the top */
	lead_set_int(l, LI_REACHED_POS, s->grp == GRP_LOST ? 0 : (int64_t)(s - cfg->stages));
	if (!l->has[LI_SCORE])
		lead_set_int(l, LI_SCORE, 0);
	if (l->t[LT_OWNER])
		lead_set_int(l, LI_ASSIGNED_AT, now);
	/* last activity never after now */
	if (l->has[LI_LAST_ACTIVITY_AT] && l->i[LI_LAST_ACTIVITY_AT] > now)
		l->has[LI_LAST_ACTIVITY_AT] = false;
}

int lc_create(struct lc *c, struct lead *l, const struct stage *s)
{
	struct lc cc = *c;
	/* a lead that arrives closed, as import accepts it, fires no
	 * workflows: nothing is left to do for it */
	if (s->grp != GRP_ACTIVE)
		cc.no_events = true;
	lc_new_defaults(c->cfg, l, s, c->now);
	int rc = db_lead_insert(c->db, l, c->err);
	if (!rc)
		rc = lc_record(&cc, l, "created", NULL, s->key, NULL);
	if (!rc && l->t[LT_OWNER])
		rc = lc_record(&cc, l, "assigned", NULL, l->t[LT_OWNER], NULL);
	if (!rc)
		rc = lc_hook(&cc, l, HK_RECEIVED, NULL);
	/* an owner given by hand is told like one chosen by routing */
	if (!rc && l->t[LT_OWNER])
		rc = lc_owner_changed(&cc, l, NULL, true);
	if (!rc)
		rc = db_lead_update(c->db, l, c->err);
	return rc;
}

/* ---- import ---- */

void lc_import_begin(struct lc_import *li, struct hook_env *h, enum import_events mode,
                     int64_t batch)
{
	*li = (struct lc_import){ .h = h,
		                  .mode = mode,
		                  .recent = ldur_sub(h->now, lc_import_events_within(h->cfg)),
		                  .batch = batch };
}

bool lc_import_engines(const struct lc_import *li)
{
	return !li->h->no_route || !li->h->no_events;
}

int64_t lc_import_quiet_before(const struct lc_import *li)
{
	if (li->h->no_events || li->mode == IMPORT_EVENTS_NONE)
		return INT64_MAX / 2;
	return li->mode == IMPORT_EVENTS_ALL ? 0 : li->recent;
}

/* Does this new lead fire workflows (enum import_events)? */
static bool import_fires(const struct lc_import *li, const struct lead *l)
{
	if (li->mode != IMPORT_EVENTS_RECENT)
		return li->mode == IMPORT_EVENTS_ALL;
	const char *status = lead_get(l, LT_STATUS);
	if (strcmp(status, "new") != 0 && strcmp(status, "active") != 0)
		return false;
	if (lc_closed(li->h->cfg, l->t[LT_STAGE], status))
		return false;
	return !l->has[LI_CREATED_AT] || l->i[LI_CREATED_AT] >= li->recent;
}

/*
 * What a new lead goes through, as with `leads add`: received, then
 * assigned if it has an owner; workflows only for the rows --events lets
 * through (routing and scoring always).
 */
static int import_engines(struct lc_import *li, struct lead *l)
{
	struct hook_env *h = li->h;
	bool quiet = h->no_events;
	bool wf = !quiet && h->cfg->workflow && h->cfg->workflow->nrules;
	bool fire = (wf || l->t[LT_OWNER]) && import_fires(li, l);
	if (wf) {
		li->fired += fire;
		li->quiet += !fire;
		h->no_events = !fire;
	}
	/* an owner the file gives: told like a routed one, in the run's digest
	 * (only for the rows that arrive as live work, as workflows) */
	const char *given = l->t[LT_OWNER];
	int rc = 0;
	if (given && fire && lc_assignment_mail(h->cfg)) {
		const struct member *m = config_member(h->cfg, given);
		if (m)
			rc = route_owner_digest(h, l, m, "owner in the file");
	}
	struct hook_event ev = { .kind = HK_RECEIVED };
	if (!rc)
		rc = hooks_run(h, l, &ev);
	if (!rc && l->t[LT_OWNER]) {
		struct hook_event as = { .kind = HK_ASSIGNED, .detail = l->t[LT_OWNER] };
		rc = hooks_run(h, l, &as);
	}
	h->no_events = quiet;
	return rc;
}

int lc_import_new(struct lc_import *li, struct lead *l)
{
	struct hook_env *h = li->h;
	int rc = db_lead_insert(h->db, l, h->err);
	if (rc || !lc_import_engines(li))
		return rc;
	char *owner = l->t[LT_OWNER] ? xstrdup(l->t[LT_OWNER]) : NULL;
	int64_t score = l->i[LI_SCORE];
	rc = import_engines(li, l);
	bool moved = (owner == NULL) != (l->t[LT_OWNER] == NULL) ||
	             (owner && strcmp(owner, l->t[LT_OWNER]) != 0) || score != l->i[LI_SCORE];
	if (!rc && moved)
		rc = db_lead_update(h->db, l, h->err);
	free(owner);
	return rc;
}

int lc_import_decided(struct lc_import *li, struct lead *v, size_t n, const bool *held,
                      const int64_t *const *score, const uint64_t *const *match, size_t *done)
{
	struct hook_env *h = li->h;
	int rc = 0;
	*done = 0;
	/* nothing to decide: the block in as few statements as can be */
	if (!lc_import_engines(li))
		return db_leads_insert(h->db, v, n, done, h->err);
	/* one at a time: routing may count the leads stored before (capacity) */
	for (size_t i = 0; i < n && !rc; i++) {
		/* its id came with it (db_import_ids) */
		if (!held[i]) {
			h->new_score = score[i];
			h->route_mask = match[i];
			rc = import_engines(li, &v[i]);
			h->new_score = NULL;
			h->route_mask = NULL;
		}
		if (!rc)
			rc = db_lead_insert_id(h->db, &v[i], h->err);
		*done += !rc;
	}
	return rc;
}

int lc_import_stored(struct lc_import *li, const struct lead *stored)
{
	struct hook_env *h = li->h;
	struct lead l = *stored; /* shallow: the strings stay the caller's */
	char *owner = l.t[LT_OWNER];
	int64_t score = l.i[LI_SCORE];
	int rc = import_engines(li, &l);
	if (!rc && (l.t[LT_OWNER] != owner || l.i[LI_SCORE] != score))
		rc = db_lead_save(h->db, stored, &l, h->err); /* only what the engines changed */
	/* what the engines replaced is ours to free; the rest is the caller's */
	for (int i = 0; i < LT__COUNT; i++)
		if (l.t[i] != stored->t[i])
			free(l.t[i]);
	return rc;
}

/* The fields an import may overwrite on an existing lead (--on-duplicate update). */
static bool import_updatable(const struct field_desc *f)
{
	return (f->flags & FF_EDIT) || (f->kind == FK_TEXT && f->idx == LT_EXT_SOURCE);
}

/* One changed value into the before and after objects of import_update. */
static void import_change(struct sb *before, struct sb *after, int n, const char *name,
                          const char *ov, const char *nv)
{
	sb_adds(before, n ? "," : "{");
	sb_add_json_str(before, name);
	sb_addc(before, ':');
	if (ov)
		sb_add_json_str(before, ov);
	else
		sb_adds(before, "null");
	sb_adds(after, n ? "," : "{");
	sb_add_json_str(after, name);
	sb_addc(after, ':');
	sb_add_json_str(after, nv);
}

int lc_import_update(struct lc_import *li, int64_t id, const struct lead *in, uint64_t line,
                     bool *changed)
{
	struct hook_env *h = li->h;
	struct lead cur;
	*changed = false;
	int rc = db_lead_by_id(h->db, id, &cur, h->err);
	if (rc)
		return rc;
	struct sb before = SB_INIT, after = SB_INIT;
	int n = 0;
	char *owner = cur.t[LT_OWNER] ? xstrdup(cur.t[LT_OWNER]) : NULL;
	for (int i = 0; i < lead_nfields; i++) {
		const struct field_desc *f = &lead_fields[i];
		if (!import_updatable(f))
			continue;
		char ob[32], nb[32];
		const char *ov, *nv;
		if (f->kind == FK_TEXT) {
			ov = cur.t[f->idx];
			nv = in->t[f->idx];
		} else if (f->kind == FK_MONEY) {
			if (!in->has[f->idx])
				continue;
			lead_money_fmt(in->i[f->idx], nb);
			nv = nb;
			ov = NULL;
			if (cur.has[f->idx]) {
				lead_money_fmt(cur.i[f->idx], ob);
				ov = ob;
			}
		} else {
			continue;
		}
		if (!nv || (ov && strcmp(ov, nv) == 0))
			continue;
		import_change(&before, &after, n++, f->name, ov, nv);
		if (f->kind == FK_TEXT)
			lead_set(&cur, (enum lead_text)f->idx, nv);
		else
			lead_set_int(&cur, (enum lead_int)f->idx, in->i[f->idx]);
	}
	/* The same custom fields as stored (a file imported again): merging
	 * them would change nothing, unless a null in them removes a key.
	 * Saves two parses per row (jansson reads ~100 instructions a byte). */
	bool same_extra = in->t[LT_EXTRA] && cur.t[LT_EXTRA] &&
	                  strcmp(in->t[LT_EXTRA], cur.t[LT_EXTRA]) == 0 &&
	                  !strstr(in->t[LT_EXTRA], "null");
	if (in->t[LT_EXTRA] && !same_extra) {
		char *merged = db_json_patch(h->db, cur.t[LT_EXTRA], in->t[LT_EXTRA]);
		if (!merged) {
			/* malformed JSON is an error, never "nothing to change" */
			rc = lerr_set(h->err, EX_DATAERR, "the extra column is not a JSON object");
		} else if (!cur.t[LT_EXTRA] || strcmp(merged, cur.t[LT_EXTRA]) != 0) {
			import_change(&before, &after, n++, "extra", cur.t[LT_EXTRA], merged);
			free(cur.t[LT_EXTRA]);
			cur.t[LT_EXTRA] = merged;
		} else {
			free(merged);
		}
	}
	*changed = n > 0 && !rc;
	if (n && !rc) {
		sb_addc(&before, '}');
		sb_addc(&after, '}');
		struct sb data = SB_INIT;
		sb_addf(&data, "{\"batch\":%lld,\"line\":%llu,\"before\":%s,\"after\":%s}",
		        (long long)li->batch, (unsigned long long)line, before.buf, after.buf);
		struct lc c = {
			.db = h->db, .cfg = h->cfg, .now = h->now, .actor = h->actor, .err = h->err
		};
		lc_touch(&c, &cur, false);
		if (!(rc = lc_record(&c, &cur, "import_update", NULL, NULL, data.buf)))
			rc = db_lead_update(h->db, &cur, h->err);
		sb_free(&data);
		/* a new owner from the file: the open tasks follow, the owner is
		 * told in the run's digest */
		const char *to = cur.t[LT_OWNER];
		if (!rc && to && (!owner || strcmp(owner, to) != 0)) {
			const struct member *m = config_member(h->cfg, to);
			rc = db_lc_tasks_follow(h->db, id, to, h->err);
			if (!rc && m && lc_assignment_mail(h->cfg))
				rc = route_owner_digest(h, &cur, m, "owner in the file");
		}
	}
	free(owner);
	sb_free(&before);
	sb_free(&after);
	lead_free(&cur);
	return rc;
}
