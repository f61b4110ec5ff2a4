/*
 * score.c - the scoring engine (see score.h): the `scoring:` section,
 * computing scores with their explanations, and thresholds.
 */
#include "score.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "lifecycle.h"
#include "ltime.h"
#include "lyaml.h"
#include "queue.h"
#include "workflow.h"
#include "rules.h"

struct srule {
	char *name;
	int line;
	struct cond *when; /* attribute: the test; behaviour: a gate (NULL: always) */
	int64_t points;
	bool behaviour;
	unsigned kinds; /* behaviour: bit per enum act_kind */
	char *kinds_txt;
	int64_t max; /* 0: no max */
	int64_t within;
	char *within_txt;
	int64_t half_life;
	char *half_txt;
};

struct thresh {
	char *name;
	int64_t at;
	char *instructions;
	struct ldur due;
	int line;
	char **notify; /* notify: team members or addresses, besides the owner */
	size_t nnotify;
};

struct sdef {
	char *name; /* "score" for the default */
	struct srule *r;
	size_t nr;
	int64_t cap;
	bool has_cap;
	struct thresh *t;
	size_t nt;
	bool uses_act;
};

struct score_config {
	struct sdef *d; /* the default first, when there is one */
	size_t n;
	bool has_default;
	bool uses_act;
	bool uses_assignment; /* a rule looks at what an assignment changes */
	bool uses_status;     /* a rule looks at what a change of status changes */
};

static void srule_free(struct srule *r)
{
	free(r->name);
	cond_free(r->when);
	free(r->kinds_txt);
	free(r->within_txt);
	free(r->half_txt);
}

static void sdef_free(struct sdef *d)
{
	for (size_t i = 0; i < d->nr; i++)
		srule_free(&d->r[i]);
	free(d->r);
	for (size_t i = 0; i < d->nt; i++) {
		free(d->t[i].name);
		free(d->t[i].instructions);
		strv_free(d->t[i].notify, d->t[i].nnotify);
	}
	free(d->t);
	free(d->name);
}

void score_config_free(struct score_config *sc);
void score_config_free(struct score_config *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->n; i++)
		sdef_free(&sc->d[i]);
	free(sc->d);
	free(sc);
}

static const struct score_config *sc_of(const struct config *cfg)
{
	return cfg && cfg->rules ? cfg->rules->score : NULL;
}

bool score_configured(const struct config *cfg)
{
	const struct score_config *sc = sc_of(cfg);
	return sc && sc->n > 0;
}

bool score_uses_activity(const struct config *cfg)
{
	const struct score_config *sc = sc_of(cfg);
	return sc && sc->uses_act;
}

size_t score_count(const struct config *cfg)
{
	const struct score_config *sc = sc_of(cfg);
	return sc ? sc->n : 0;
}

const char *score_name(const struct config *cfg, size_t i)
{
	const struct score_config *sc = sc_of(cfg);
	return sc && i < sc->n ? sc->d[i].name : NULL;
}

/* ---- parsing ---- */

struct pctx {
	const struct config *cfg;
	struct sdef *def;
	yaml_node_t *list; /* the rules being parsed, and which one */
	size_t idx;
	struct srule *rule;
	struct thresh *th;
	yaml_node_t *max_n, *within_n, *decay_n;
};

static int h_rname(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pctx *p = obj;
	if (ly_str(y, val, k->key, &p->rule->name) != 0)
		return -1;
	/* against every earlier rule, also those with errors of their own */
	for (size_t i = 0; i < p->idx; i++) {
		yaml_node_t *prev = ly_map_get(y, ly_seq_at(y, p->list, i), "name");
		if (ly_scalar(prev) && str_ieq(ly_scalar(prev), p->rule->name))
			return ly_error(y, val, "duplicate rule name '%s' (first at line %d)",
			                p->rule->name, ly_line(prev));
	}
	return 0;
}

static int h_when(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pctx *p = obj;
	(void)k;
	p->rule->when = cond_compile(y, val, p->cfg);
	return p->rule->when ? 0 : -1;
}

static int h_points(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pctx *p = obj;
	return ly_int(y, val, k->key, -1000000, 1000000, &p->rule->points);
}

static int add_kind(struct yaml_ctx *y, yaml_node_t *n, struct srule *r)
{
	const char *s = ly_scalar(n);
	int k = s && !ly_is_null(n) ? act_kind_parse(s) : -2;
	if (k == -2)
		return ly_error(y, n, "unknown activity '%s' for on (" ACT_KIND_LIST ")",
		                s && !ly_is_null(n) ? s : ly_kind(n));
	r->kinds |= k == ACT_ANY ? (1u << ACT__COUNT) - 1 : 1u << k;
	struct sb sb = SB_INIT;
	if (r->kinds_txt)
		sb_addf(&sb, "%s or ", r->kinds_txt);
	sb_adds(&sb, act_kind_name(k));
	free(r->kinds_txt);
	r->kinds_txt = sb_detach(&sb);
	return 0;
}

static int h_on(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pctx *p = obj;
	(void)k;
	p->rule->behaviour = true;
	if (!ly_is_seq(val))
		return add_kind(y, val, p->rule);
	if (ly_seq_len(val) == 0)
		return ly_error(y, val, "on needs at least one activity");
	int rc = 0;
	for (size_t i = 0; i < ly_seq_len(val); i++)
		if (add_kind(y, ly_seq_at(y, val, i), p->rule) != 0)
			rc = -1;
	return rc;
}

static int h_max(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pctx *p = obj;
	p->max_n = val;
	return ly_int(y, val, k->key, 1, 1000000000, &p->rule->max);
}

static int h_within(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pctx *p = obj;
	struct ldur d;
	p->within_n = val;
	if (ly_dur(y, val, k->key, &d) != 0)
		return -1;
	p->rule->within = ldur_approx_secs(d);
	p->rule->within_txt = xstrdup(ly_scalar(val));
	return 0;
}

static int h_half_life(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pctx *p = obj;
	struct ldur d;
	if (ly_dur(y, val, k->key, &d) != 0)
		return -1;
	p->rule->half_life = ldur_approx_secs(d);
	p->rule->half_txt = xstrdup(ly_scalar(val));
	return 0;
}

static const struct ly_key decay_keys[] = {
	{ .key = "half_life", .fn = h_half_life, .required = true },
};

static int h_decay(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pctx *p = obj;
	p->decay_n = val;
	return ly_walk(y, val, k->key, decay_keys, ARRAY_LEN(decay_keys), p);
}

static const struct ly_key rule_keys[] = {
	{ .key = "name", .fn = h_rname, .required = true },
	{ .key = "when", .fn = h_when },
	{ .key = "points", .fn = h_points, .required = true },
	{ .key = "on", .fn = h_on },
	{ .key = "max", .fn = h_max },
	{ .key = "within", .fn = h_within },
	{ .key = "decay", .fn = h_decay },
};

static int check_rule(struct yaml_ctx *y, yaml_node_t *map, struct pctx *p)
{
	struct srule *r = p->rule;
	int rc = 0;
	if (!r->behaviour) {
		yaml_node_t *bad = p->max_n ? p->max_n : p->within_n ? p->within_n : p->decay_n;
		if (bad)
			rc = ly_error(y, bad,
			              "max, within and decay go with behaviour rules (add on: "
			              "email-opened, meeting, ...)");
		if (!r->when)
			rc = ly_error(
			    y, map, "an attribute rule needs when: (or on: for a behaviour rule)");
	}
	if (p->within_n && p->decay_n)
		rc = ly_error(y, p->decay_n, "use within or decay, not both");
	return rc;
}

static int parse_rules(struct yaml_ctx *y, yaml_node_t *n, const struct config *cfg, struct sdef *d)
{
	if (ly_is_null(n))
		return 0;
	if (!ly_is_seq(n))
		return ly_error(y, n, "expected a list of scoring rules, got %s", ly_kind(n));
	d->r = xcalloc(ly_seq_len(n) + 1, sizeof *d->r);
	int rc = 0;
	for (size_t i = 0; i < ly_seq_len(n); i++) {
		yaml_node_t *it = ly_seq_at(y, n, i);
		struct srule r = { .line = ly_line(it) };
		struct pctx p = { .cfg = cfg, .def = d, .rule = &r, .list = n, .idx = i };
		if (ly_walk(y, it, "scoring rule", rule_keys, ARRAY_LEN(rule_keys), &p) != 0 ||
		    check_rule(y, it, &p) != 0) {
			srule_free(&r);
			rc = -1;
			continue;
		}
		d->uses_act = d->uses_act || r.behaviour || cond_uses_activity(r.when);
		d->r[d->nr++] = r;
	}
	return rc;
}

static int h_tname(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pctx *p = obj;
	if (ly_str(y, val, k->key, &p->th->name) != 0)
		return -1;
	for (size_t i = 0; i < p->def->nt; i++)
		if (str_ieq(p->def->t[i].name, p->th->name))
			return ly_error(y, val, "duplicate threshold '%s' (first at line %d)",
			                p->th->name, p->def->t[i].line);
	return 0;
}

static int h_at(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pctx *p = obj;
	return ly_int(y, val, k->key, -1000000000, 1000000000, &p->th->at);
}

static int h_instructions(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pctx *p = obj;
	return ly_str(y, val, k->key, &p->th->instructions);
}

static int h_due(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pctx *p = obj;
	return ly_dur(y, val, k->key, &p->th->due);
}

static int h_notify(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pctx *p = obj;
	return lc_notify_parse(y, val, p->cfg, k->key, &p->th->notify, &p->th->nnotify);
}

static const struct ly_key thresh_keys[] = {
	{ .key = "notify", .fn = h_notify },
	{ .key = "name", .fn = h_tname, .required = true },
	{ .key = "at", .fn = h_at, .required = true },
	{ .key = "instructions", .fn = h_instructions },
	{ .key = "due", .fn = h_due },
};

static int parse_thresholds(struct yaml_ctx *y, yaml_node_t *n, const struct config *cfg,
                            struct sdef *d)
{
	if (ly_is_null(n))
		return 0;
	if (!ly_is_seq(n))
		return ly_error(y, n, "expected a list of thresholds, got %s", ly_kind(n));
	d->t = xcalloc(ly_seq_len(n) + 1, sizeof *d->t);
	int rc = 0;
	for (size_t i = 0; i < ly_seq_len(n); i++) {
		yaml_node_t *it = ly_seq_at(y, n, i);
		struct thresh t = { .line = ly_line(it), .due = { 86400, 0 } };
		struct pctx p = { .cfg = cfg, .def = d, .th = &t };
		if (ly_walk(y, it, "threshold", thresh_keys, ARRAY_LEN(thresh_keys), &p) != 0) {
			free(t.name);
			free(t.instructions);
			strv_free(t.notify, t.nnotify);
			rc = -1;
			continue;
		}
		d->t[d->nt++] = t;
	}
	/* in order of `at`, so crossings fire low to high */
	for (size_t i = 1; i < d->nt; i++)
		for (size_t j = i; j > 0 && d->t[j - 1].at > d->t[j].at; j--) {
			struct thresh tmp = d->t[j];
			d->t[j] = d->t[j - 1];
			d->t[j - 1] = tmp;
		}
	return rc;
}

/* One score: rules, cap, thresholds (and, for the top level, scores). */
static int parse_def(struct yaml_ctx *y, yaml_node_t *n, const struct config *cfg, struct sdef *d,
                     bool top)
{
	static const char *const keys[] = { "rules", "cap", "thresholds", "scores" };
	size_t nkeys = top ? 4 : 3;
	int rc = 0;
	for (size_t i = 0; i < ly_map_len(n); i++) {
		yaml_node_t *kn = ly_map_key(y, n, i);
		const char *k = ly_scalar(kn);
		size_t j = 0;
		while (k && j < nkeys && strcmp(keys[j], k) != 0)
			j++;
		if (!k || j == nkeys)
			rc = ly_error(
			    y, kn, "unknown key '%s' in %s (expected: rules, cap, thresholds%s)",
			    k ? k : "?", top ? "scoring" : d->name, top ? ", scores" : "");
	}
	if (parse_rules(y, ly_map_get(y, n, "rules"), cfg, d) != 0)
		rc = -1;
	yaml_node_t *cap = ly_map_get(y, n, "cap");
	if (cap) {
		if (ly_int(y, cap, "cap", -1000000000, 1000000000, &d->cap) != 0)
			rc = -1;
		d->has_cap = true;
	}
	if (parse_thresholds(y, ly_map_get(y, n, "thresholds"), cfg, d) != 0)
		rc = -1;
	if (!top && d->nr == 0 && rc == 0)
		rc = ly_error(y, n, "score '%s' has no rules", d->name);
	return rc;
}

static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

static int parse_scoring(struct yaml_ctx *y, struct yaml_node_s *node, struct config *cfg)
{
	struct rules_config *rules = rules_of(cfg);
	score_config_free(rules->score);
	free(rules->scoring_yaml);
	rules->scoring_yaml = rules_yaml_echo(y, "scoring", node);
	struct score_config *sc = xcalloc(1, sizeof *sc);
	rules->score = sc;
	if (ly_is_null(node))
		return 0;
	if (!ly_is_map(node))
		return ly_error(
		    y, node,
		    "expected a mapping (rules:, cap:, thresholds:, scores:) for scoring, "
		    "got %s",
		    ly_kind(node));
	yaml_node_t *named = ly_map_get(y, node, "scores");
	sc->d = xcalloc(ly_map_len(named) + 1, sizeof *sc->d);
	struct sdef top = { .name = xstrdup("score") };
	int rc = parse_def(y, node, cfg, &top, true);
	bool want_top = ly_map_get(y, node, "rules") || top.nt || top.has_cap;
	if (want_top && top.nr == 0 && rc == 0)
		rc = ly_error(y, node, "scoring has thresholds or a cap but no rules");
	if (want_top) {
		sc->d[sc->n++] = top;
		sc->has_default = true;
	} else {
		sdef_free(&top);
	}
	if (named && !ly_is_map(named))
		return ly_error(y, named,
		                "expected a mapping of name: {rules: ...} for scores, got %s",
		                ly_kind(named));
	for (size_t i = 0; i < ly_map_len(named); i++) {
		yaml_node_t *kn = ly_map_key(y, named, i);
		const char *k = ly_scalar(kn);
		if (!k || !name_ok(k) || str_ieq(k, "score") || str_ieq(k, "default")) {
			rc = ly_error(y, kn,
			              "invalid score name '%s' (letters, digits, '-' and '_'; not "
			              "score or default)",
			              k ? k : "?");
			continue;
		}
		bool dup = false;
		for (size_t j = 0; j < sc->n; j++)
			dup = dup || str_ieq(sc->d[j].name, k);
		if (dup) {
			rc = ly_error(y, kn, "duplicate score '%s'", k);
			continue;
		}
		yaml_node_t *v = ly_map_val(y, named, i);
		if (!ly_is_map(v)) {
			rc = ly_error(
			    y, v,
			    "expected a mapping (rules:, cap:, thresholds:) for score '%s', got %s",
			    k, ly_kind(v));
			continue;
		}
		struct sdef d = { .name = xstrdup(k) };
		if (parse_def(y, v, cfg, &d, false) != 0) {
			sdef_free(&d);
			rc = -1;
			continue;
		}
		sc->d[sc->n++] = d;
	}
	for (size_t i = 0; i < sc->n; i++) {
		sc->uses_act = sc->uses_act || sc->d[i].uses_act;
		for (size_t j = 0; j < sc->d[i].nr; j++) {
			sc->uses_assignment =
			    sc->uses_assignment || cond_uses_assignment(sc->d[i].r[j].when);
			sc->uses_status = sc->uses_status || cond_uses_status(sc->d[i].r[j].when);
		}
	}
	return rc;
}

static void write_scoring(const struct config *cfg, struct sb *out)
{
	if (cfg->rules && cfg->rules->scoring_yaml)
		sb_adds(out, cfg->rules->scoring_yaml);
}

void score_register_config(void)
{
	config_register_section("scoring", parse_scoring, write_scoring, rules_release);
}

/* ---- computing ---- */

static void put_pts(struct sb *ex, double v)
{
	if (v == floor(v))
		sb_addf(ex, "%lld", (long long)v);
	else
		sb_addf(ex, "%.1f", v);
}

/* One behaviour rule: its points (after max, rounded) and the account of it. */
static int64_t behaviour(const struct srule *r, const struct act_list *acts, int64_t now,
                         struct sb *ex)
{
	int64_t n = 0;
	double sum = 0;
	for (size_t i = 0; i < acts->n; i++) {
		const struct act *a = &acts->v[i];
		if (!(r->kinds & (1u << a->kind)) || a->at > now)
			continue;
		if (r->within && a->at < now - r->within)
			continue;
		n++;
		if (r->half_life)
			sum += (double)r->points *
			       pow(0.5, (double)(now - a->at) / (double)r->half_life);
	}
	if (!r->half_life)
		sum = (double)(n * r->points);
	double raw = sum;
	if (r->max && sum > (double)r->max)
		sum = (double)r->max;
	if (r->max && sum < -(double)r->max)
		sum = -(double)r->max;
	int64_t pts = llround(sum);
	if (ex) {
		sb_addf(ex, "%" PRId64 " %s", n, r->kinds_txt);
		if (r->within_txt)
			sb_addf(ex, " within %s", r->within_txt);
		sb_addf(ex, " x %" PRId64, r->points);
		if (r->half_txt)
			sb_addf(ex, ", decayed (half-life %s)", r->half_txt);
		sb_adds(ex, " = ");
		put_pts(ex, r->half_life ? floor(raw * 10 + 0.5) / 10 : raw);
		if (r->max && raw != sum)
			sb_addf(ex, ", max %" PRId64, r->max);
	}
	return pts;
}

/*
 * Compute d for the lead in ce. With ex, one line per rule:
 * "    +20  exec       title 'VP Sales' matches /chief|vp/i".
 */
static int64_t compute(const struct sdef *d, const struct cond_env *ce, struct act_src *src,
                       struct sb *ex)
{
	int64_t total = 0;
	size_t w = 4;
	for (size_t i = 0; ex && i < d->nr; i++)
		if (strlen(d->r[i].name) > w)
			w = strlen(d->r[i].name);
	struct sb why = SB_INIT;
	for (size_t i = 0; i < d->nr; i++) {
		const struct srule *r = &d->r[i];
		int64_t pts = 0;
		sb_reset(&why);
		bool on = cond_eval(r->when, ce, ex && (!r->behaviour || r->when) ? &why : NULL);
		if (r->behaviour && on) {
			sb_reset(&why); /* the gate held: the account is the activities */
			if (act_src_load(src, ce->l->i[LI_ID]) == 0)
				pts = behaviour(r, &src->list, ce->now, ex ? &why : NULL);
		} else if (r->behaviour && ex) {
			struct sb g = SB_INIT;
			sb_addf(&g, "not counted: %s", sb_str(&why));
			sb_reset(&why);
			sb_adds(&why, g.buf);
			sb_free(&g);
		} else if (on) {
			pts = r->points;
		}
		total += pts;
		if (ex) {
			char p[32];
			snprintf(p, sizeof p, pts ? "%+" PRId64 : "%" PRId64, pts);
			sb_addf(ex, "  %5s  %-*s  %s\n", p, (int)w, r->name, sb_str(&why));
		}
	}
	sb_free(&why);
	if (d->has_cap && total > d->cap) {
		if (ex)
			sb_addf(ex, "  = %" PRId64 " (capped at %" PRId64 ")\n", total, d->cap);
		total = d->cap;
	}
	return total;
}

/* ---- thresholds ---- */

/* fresh: a lead just received, which cannot have fired a threshold yet */
static int fire(struct hook_env *env, const struct lead *l, const struct sdef *d,
                const struct thresh *t, int64_t from, int64_t to, bool up, bool fresh)
{
	struct sb data = SB_INIT;
	sb_adds(&data, "{\"score\":");
	sb_add_json_str(&data, d->name);
	sb_adds(&data, ",\"threshold\":");
	sb_add_json_str(&data, t->name);
	sb_addf(&data, ",\"at\":%" PRId64 ",\"from\":%" PRId64 ",\"to\":%" PRId64 "}", t->at, from,
	        to);
	int64_t n = 0;
	int rc = 0;
	if (up && !fresh)
		rc = db_threshold_fired(env->db, l->i[LI_ID], d->name, t->name, &n, env->err);
	struct event ev = { .lead_id = l->i[LI_ID],
		            .at = env->now,
		            .actor = env->actor,
		            .kind = up ? "score.threshold" : "score.dropped",
		            .from = d->name,
		            .to = t->name,
		            .data = data.buf };
	if (!rc)
		rc = db_event_add(env->db, &ev, env->err);
	sb_free(&data);
	if (!rc && up) /* workflows `on: score.threshold` */
		rc = workflow_fire(env, l, WF_THRESHOLD, t->name, 0);
	if (rc || !up)
		return rc;

	char name[256];
	lead_display_name(l, name, sizeof name);
	const char *owner = l->t[LT_OWNER];
	struct sb key = SB_INIT, title = SB_INIT, rule = SB_INIT;
	/* the id zero-padded: a bulk run then appends to the unique indexes */
	sb_addf(&key, "threshold:%012" PRId64 ":%s:%s:%" PRId64, l->i[LI_ID], d->name, t->name,
	        n + 1);
	sb_addf(&title, "%s is %s (%s %" PRId64 ")", name, t->name, d->name, to);
	sb_addf(&rule, "scoring:%s:%s", d->name, t->name);
	struct task_new task = { .lead_id = l->i[LI_ID],
		                 .owner = owner,
		                 .title = title.buf,
		                 .notes = t->instructions,
		                 .due_at = ldur_add(env->now, t->due),
		                 .rule = rule.buf,
		                 .idem_key = key.buf };
	int64_t id;
	rc = task_create(env->db, &task, env->now, &id, env->err);
	const struct member *m = owner ? config_member(env->cfg, owner) : NULL;
	/* an unowned lead crossing a threshold: the manager hears of it
	 * (or lifecycle: unowned_tasks), never nobody */
	const char *fb = NULL;
	if (!owner)
		m = lc_unowned_to(env->cfg, &fb);
	if (!rc && (t->nnotify || fb)) {
		struct sb subject = SB_INIT, intro = SB_INIT;
		sb_addf(&subject, "%s is %s: %s %" PRId64, name, t->name, d->name, to);
		sb_addf(&intro,
		        "Lead #%" PRId64 " %s crossed the '%s' threshold of %s (%" PRId64
		        "): %s went from %" PRId64 " to %" PRId64 ".",
		        l->i[LI_ID], name, t->name, d->name, t->at, d->name, from, to);
		if (t->instructions)
			sb_addf(&intro, "\n\nWhat to do:\n  %s", t->instructions);
		struct lc c = { .db = env->db, .cfg = env->cfg, .now = env->now, .err = env->err };
		char *fbv[1] = { (char *)fb };
		rc = lc_notify_mail(&c, l, t->notify, t->nnotify, "threshold", key.buf, subject.buf,
		                    intro.buf, m ? m->email : NULL);
		if (!rc && fb)
			rc = lc_notify_mail(&c, l, fbv, 1, "threshold", key.buf, subject.buf,
			                    intro.buf, NULL);
		sb_free(&subject);
		sb_free(&intro);
	}
	if (!rc && m && m->email) {
		struct sb subject = SB_INIT, body = SB_INIT;
		const struct mail_templates *tpl = workflow_templates(env->cfg);
		if (tpl && (tpl->t[MK_THRESHOLD].subject || tpl->t[MK_THRESHOLD].body)) {
			/* the config's own words (mail: templates: threshold:) */
			struct mail_vars v = { 0 };
			mail_lead_vars(&v, env->cfg, l);
			mail_var(&v, "rep.name", m->name);
			mail_var(&v, "rep.email", m->email);
			mail_var(&v, "threshold.name", t->name);
			mail_varf(&v, "threshold.at", "%" PRId64, t->at);
			mail_varf(&v, "lead.score", "%" PRId64, to); /* the score that crossed */
			mail_var(&v, "threshold.instructions", t->instructions);
			char *s = NULL, *b = NULL;
			mail_compose(tpl, MK_THRESHOLD, &v, &s, &b);
			mail_vars_free(&v);
			sb_adds(&subject, s);
			sb_adds(&body, b);
			free(s);
			free(b);
		} else {
			sb_addf(&subject, "%s", name);
			if (l->t[LT_COMPANY] && strcmp(name, l->t[LT_COMPANY]) != 0)
				sb_addf(&subject, " (%s)", l->t[LT_COMPANY]);
			sb_addf(&subject, " is %s: %s %" PRId64, t->name, d->name, to);
			sb_addf(&body,
			        "Hello %s,\n\nLead #%" PRId64
			        " %s crossed the '%s' threshold of %s (%" PRId64
			        "): %s went from %" PRId64 " to %" PRId64 ".\n\n",
			        m->name, l->i[LI_ID], name, t->name, d->name, t->at, d->name, from,
			        to);
			if (t->instructions)
				sb_addf(&body, "What to do:\n  %s\n\n", t->instructions);
			rules_lead_details(env->cfg, l, &body);
		}
		struct mail_new mail = { .kind = "threshold",
			                 .idem_key = key.buf,
			                 .lead_id = l->i[LI_ID],
			                 .rcpt = m->email,
			                 .subject = subject.buf,
			                 .body = body.buf };
		int queued;
		rc = mail_queue(env->db, &mail, env->now, &queued, env->err);
		sb_free(&subject);
		sb_free(&body);
	}
	sb_free(&key);
	sb_free(&title);
	sb_free(&rule);
	return rc;
}

static int crossings(struct hook_env *env, const struct lead *l, const struct sdef *d, int64_t from,
                     int64_t to, struct score_stats *stats, bool fresh)
{
	for (size_t i = 0; i < d->nt; i++) {
		const struct thresh *t = &d->t[i];
		bool up = from < t->at && to >= t->at, down = from >= t->at && to < t->at;
		if (!up && !down)
			continue;
		if (stats) {
			stats->crossed += up;
			stats->dropped += down;
		}
		if (env->dry_run)
			continue;
		int rc = fire(env, l, d, t, from, to, up, fresh);
		if (rc)
			return rc;
	}
	return 0;
}

bool score_new_lead(const struct config *cfg, const struct lead *l, int64_t now,
                    struct cond_cache *cc, int64_t *out)
{
	const struct score_config *sc = sc_of(cfg);
	if (!sc || sc->n == 0 || !sc->has_default || sc->uses_assignment)
		return false;
	struct act_src none;
	struct cond_env ce = { .l = l, .cfg = cfg, .now = now };
	act_env_new(&ce, &none, l->i[LI_ID]);
	ce.cache = cc;
	*out = compute(&sc->d[0], &ce, &none, NULL);
	act_list_free(&none.list);
	return none.rc == 0;
}

/*
 * fresh: l was just received (lead.received), so it has no named score
 * stored and no threshold fired: neither is read back, a statement each
 * per score and lead of an import.
 */
static int score_run(struct hook_env *env, struct lead *l, struct act_src *acts,
                     struct score_stats *stats, bool fresh)
{
	const struct score_config *sc = sc_of(env->cfg);
	if (!sc || sc->n == 0)
		return 0;
	struct act_src own;
	act_src_init(&own, env->db);
	struct act_src *src = acts ? acts : &own;
	struct cond_env ce = { .l = l, .cfg = env->cfg, .now = env->now };
	act_env(&ce, src);
	int rc = 0;
	for (size_t i = 0; i < sc->n && !rc; i++) {
		const struct sdef *d = &sc->d[i];
		int64_t v = i == 0 && sc->has_default && env->new_score
		                ? *env->new_score
		                : compute(d, &ce, src, NULL);
		if (src->rc) {
			rc = lerr_set(env->err, src->err.code, "%s", src->err.msg);
			break;
		}
		int64_t old = 0;
		bool found;
		if (i == 0 && sc->has_default)
			old = l->has[LI_SCORE] ? l->i[LI_SCORE] : 0;
		else if (!fresh &&
		         (rc = db_score_get(env->db, l->i[LI_ID], d->name, &old, &found, env->err)))
			break;
		if (v == old) /* a named score never computed reads as 0 */
			continue;
		if (stats)
			stats->changed++;
		if (i == 0 && sc->has_default)
			lead_set_int(l, LI_SCORE, v);
		else if (!env->dry_run &&
		         (rc = db_score_set(env->db, l->i[LI_ID], d->name, v, env->err)))
			break;
		rc = crossings(env, l, d, old, v, stats, fresh);
	}
	act_list_free(&own.list);
	return rc;
}

int score_lead(struct hook_env *env, struct lead *l, struct act_src *acts,
               struct score_stats *stats)
{
	return score_run(env, l, acts, stats, false);
}

/*
 * The last lead scored by the hook: lead.assigned right after another
 * event of the same lead at the same "now" (add, import, edit fire both)
 * cannot change a score that does not look at the assignment, so it is
 * not computed twice.
 */
static struct {
	const struct config *cfg;
	int64_t id, now;
} last;

bool score_hook_reacts(const struct config *cfg, const struct hook_event *ev)
{
	const struct score_config *sc = sc_of(cfg);
	/* a change of status (the sweep making idle leads inactive) rescored
	 * from the lead's events for nothing when no rule reads the status: a
	 * third of the sweep's work per lead */
	return sc && sc->n > 0 && (ev->kind != HK_STATUS || sc->uses_status);
}

int score_hook(struct hook_env *env, struct lead *l, const struct hook_event *ev,
               struct act_src *acts)
{
	if (!score_hook_reacts(env->cfg, ev))
		return 0;
	const struct score_config *sc = sc_of(env->cfg);
	if (ev->kind == HK_ASSIGNED && !sc->uses_assignment && last.cfg == env->cfg &&
	    last.id == l->i[LI_ID] && last.now == env->now)
		return 0;
	int rc = score_run(env, l, acts, NULL, ev->kind == HK_RECEIVED);
	last.cfg = rc ? NULL : env->cfg;
	last.id = l->i[LI_ID];
	last.now = env->now;
	return rc;
}

int score_explain(struct hook_env *env, const struct lead *l, struct act_src *acts, struct sb *out,
                  int64_t *values)
{
	const struct score_config *sc = sc_of(env->cfg);
	if (!sc)
		return 0;
	struct act_src own;
	act_src_init(&own, env->db);
	struct act_src *src = acts ? acts : &own;
	struct cond_env ce = { .l = l, .cfg = env->cfg, .now = env->now };
	act_env(&ce, src);
	int rc = 0;
	struct sb body = SB_INIT;
	for (size_t i = 0; i < sc->n; i++) {
		const struct sdef *d = &sc->d[i];
		sb_reset(&body);
		int64_t v = compute(d, &ce, src, &body);
		if (src->rc) {
			rc = lerr_set(env->err, src->err.code, "%s", src->err.msg);
			break;
		}
		if (values)
			values[i] = v;
		sb_addf(out, "%s %" PRId64 "\n%s", d->name, v, sb_str(&body));
		if (d->nt) {
			sb_adds(out, "  thresholds:");
			for (size_t j = 0; j < d->nt; j++)
				sb_addf(out, "%s %s %" PRId64 " (%s)", j ? "," : "", d->t[j].name,
				        d->t[j].at, v >= d->t[j].at ? "reached" : "not reached");
			sb_addc(out, '\n');
		}
	}
	sb_free(&body);
	act_list_free(&own.list);
	return rc;
}
