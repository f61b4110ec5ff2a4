/*
 * config_rules.c - reading the `routing:` and `scoring:` sections (see
 * config_rules.h, route.h and score.h): what the two share (a list of
 * named rules, each a mapping walked with ly_walk, names unique in their
 * list; a section of known keys; the section echoed for config show) is
 * written once here.
 */
#include "config_rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "cond.h"
#include "lifecycle.h"
#include "lyaml.h"
#include "route.h"
#include "rules.h"
#include "score.h"

const struct route_config *route_config_of(const struct config *cfg)
{
	return cfg && cfg->rules ? cfg->rules->route : NULL;
}

const struct score_config *score_config_of(const struct config *cfg)
{
	return cfg && cfg->rules ? cfg->rules->score : NULL;
}

/* ---- what routing and scoring share ---- */

/* Every key of map n is one of keys[]; else an error naming `where`. */
static int known_keys(struct yaml_ctx *y, yaml_node_t *n, const char *const *keys, size_t nkeys,
                      const char *where)
{
	int rc = 0;
	for (size_t i = 0; i < ly_map_len(n); i++) {
		yaml_node_t *kn = ly_map_key(y, n, i);
		const char *k = ly_scalar(kn);
		size_t j = 0;
		while (k && j < nkeys && strcmp(keys[j], k) != 0)
			j++;
		if (k && j < nkeys)
			continue;
		struct sb exp = SB_INIT;
		for (j = 0; j < nkeys; j++)
			sb_addf(&exp, "%s%s", j ? ", " : "", keys[j]);
		rc = ly_error(y, kn, "unknown key '%s' in %s (expected: %s)", k ? k : "?", where,
		              exp.buf);
		sb_free(&exp);
	}
	return rc;
}

/*
 * The name of rule idx of list (its value val, already read into name) is
 * not the name of an earlier rule, also of one with errors of its own.
 */
static int unique_name(struct yaml_ctx *y, yaml_node_t *list, size_t idx, yaml_node_t *val,
                       const char *name)
{
	for (size_t i = 0; i < idx; i++) {
		yaml_node_t *prev = ly_map_get(y, ly_seq_at(y, list, i), "name");
		if (ly_scalar(prev) && str_ieq(ly_scalar(prev), name))
			return ly_error(y, val, "duplicate rule name '%s' (first at line %d)", name,
			                ly_line(prev));
	}
	return 0;
}

/*
 * A list of rules (`what`: "routing", "scoring"): each item walked by
 * fn(item, index, ctx), which keeps it or frees it; -1 when any failed.
 * *slots gets room for every item and one more.
 */
static int each_rule(struct yaml_ctx *y, yaml_node_t *n, const char *what, size_t size,
                     void **slots, int (*fn)(struct yaml_ctx *, yaml_node_t *, size_t, void *),
                     void *ctx)
{
	if (ly_is_null(n))
		return 0;
	if (!ly_is_seq(n))
		return ly_error(y, n, "expected a list of %s rules, got %s", what, ly_kind(n));
	*slots = xcalloc(ly_seq_len(n) + 1, size);
	int rc = 0;
	for (size_t i = 0; i < ly_seq_len(n); i++)
		if (fn(y, ly_seq_at(y, n, i), i, ctx) != 0)
			rc = -1;
	return rc;
}

/* The section as loaded, for config show (config_write_yaml). */
static void write_routing(const struct config *cfg, struct sb *out)
{
	if (cfg->rules && cfg->rules->routing_yaml)
		sb_adds(out, cfg->rules->routing_yaml);
}

static void write_scoring(const struct config *cfg, struct sb *out)
{
	if (cfg->rules && cfg->rules->scoring_yaml)
		sb_adds(out, cfg->rules->scoring_yaml);
}

/* ==== routing ==== */

static void rule_free(struct rrule *r)
{
	free(r->name);
	free(r->full);
	free(r->cursor);
	cond_free(r->when);
	free(r->pool);
	free(r->weight);
	free(r->slots);
}

static void rset_free(struct rset *s)
{
	for (size_t i = 0; i < s->n; i++)
		rule_free(&s->r[i]);
	free(s->r);
}

void route_config_free(struct route_config *rc);
void route_config_free(struct route_config *rc)
{
	if (!rc)
		return;
	rset_free(&rc->main);
	for (size_t i = 0; i < rc->nrouters; i++)
		rset_free(&rc->routers[i]);
	free(rc->routers);
	free(rc);
}

struct route_ps {
	struct config *cfg;
	struct route_config *rc;
	struct rset *set; /* the set being parsed */
	struct rrule *rule;
	yaml_node_t *list; /* the set's rules, and which one is being read */
	size_t idx;
};

static int gcd(int a, int b)
{
	while (b) {
		int t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/*
 * The rotation of a pool: smooth weighted round robin run for one full
 * cycle (sum of the weights, reduced by their gcd), so 3:1 gives a a b a
 * and 2:2:1 gives a b c a b - every member's turns spread out evenly.
 */
static void build_slots(struct rrule *r)
{
	int g = 0;
	for (size_t i = 0; i < r->npool; i++)
		g = gcd(g, r->weight[i]);
	size_t total = 0;
	for (size_t i = 0; i < r->npool; i++)
		total += (size_t)(r->weight[i] / g);
	r->slots = xcalloc(total, sizeof *r->slots);
	r->nslots = total;
	int64_t *cur = xcalloc(r->npool, sizeof *cur);
	for (size_t s = 0; s < total; s++) {
		size_t best = 0;
		for (size_t i = 0; i < r->npool; i++) {
			cur[i] += r->weight[i] / g;
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= (int64_t)total;
		r->slots[s] = (int)best;
	}
	free(cur);
}

static int add_pool_member(struct yaml_ctx *y, yaml_node_t *at, struct rrule *r,
                           const struct member *m)
{
	for (size_t i = 0; i < r->npool; i++)
		if (r->pool[i] == m)
			return ly_error(y, at, "'%s' is in the pool twice", m->name);
	r->pool[r->npool++] = m;
	return 0;
}

static int parse_pool(struct yaml_ctx *y, yaml_node_t *n, struct route_ps *p, const char *what)
{
	struct rrule *r = p->rule;
	const struct config *cfg = p->cfg;
	if (!ly_is_seq(n) || ly_seq_len(n) == 0)
		return ly_error(y, n,
		                "expected a list of team members (or group:NAME) for %s, got %s",
		                what, ly_is_seq(n) ? "an empty list" : ly_kind(n));
	r->pool = xcalloc(cfg->nteam + 1, sizeof *r->pool);
	int rc = 0;
	for (size_t i = 0; i < ly_seq_len(n); i++) {
		yaml_node_t *it = ly_seq_at(y, n, i);
		const char *s = ly_scalar(it);
		if (s && strncmp(s, "group:", 6) == 0) {
			const char *g = s + 6;
			size_t found = 0;
			for (size_t m = 0; m < cfg->nteam; m++) {
				const struct member *mb = &cfg->team[m];
				for (size_t k = 0; k < mb->ngroups; k++) {
					if (!str_ieq(mb->groups[k], g))
						continue;
					found++;
					if (add_pool_member(y, it, r, mb))
						rc = -1;
					break;
				}
			}
			if (!found)
				rc = ly_error(y, it, "no team member is in group '%s'", g);
			continue;
		}
		const struct member *m = config_ref_member(y, it, cfg);
		if (!m || add_pool_member(y, it, r, m))
			rc = -1;
	}
	return rc;
}

static int parse_assign(struct yaml_ctx *y, yaml_node_t *n, struct route_ps *p)
{
	struct rrule *r = p->rule;
	const char *s = ly_scalar(n);
	if (s && !ly_is_null(n)) {
		if (str_ieq(s, "unassigned")) {
			r->pick = PICK_UNASSIGNED;
			return 0;
		}
		r->member = config_ref_member(y, n, p->cfg);
		r->pick = PICK_MEMBER;
		return r->member ? 0 : -1;
	}
	if (!ly_is_map(n))
		return ly_error(y, n,
		                "expected a team member, unassigned, or {round_robin: [...]}, "
		                "{least_loaded: [...]} or {router: MEMBER} for assign, got %s",
		                ly_kind(n));
	static const char *const keys[] = { "round_robin", "least_loaded", "router", "weighted" };
	yaml_node_t *strategy = NULL, *strategy_key = NULL, *weighted = NULL;
	int rc = known_keys(y, n, keys, ARRAY_LEN(keys), "assign");
	for (size_t i = 0; i < ly_map_len(n); i++) {
		yaml_node_t *kn = ly_map_key(y, n, i);
		const char *k = ly_scalar(kn);
		size_t j = 0;
		while (k && j < ARRAY_LEN(keys) && strcmp(keys[j], k) != 0)
			j++;
		if (!k || j == ARRAY_LEN(keys))
			continue;
		if (j == 3) {
			weighted = ly_map_val(y, n, i);
			continue;
		}
		if (strategy) {
			rc = ly_error(y, kn,
			              "assign takes one of round_robin, least_loaded, router");
			continue;
		}
		strategy = ly_map_val(y, n, i);
		strategy_key = kn;
		r->pick = j == 0 ? PICK_ROUND_ROBIN : j == 1 ? PICK_LEAST_LOADED : PICK_ROUTER;
	}
	if (rc)
		return rc;
	if (!strategy)
		return ly_error(y, n, "assign needs round_robin, least_loaded or router");
	if (weighted && ly_bool(y, weighted, "weighted", &r->weighted) != 0)
		return -1;
	if (r->pick == PICK_ROUTER) {
		if (weighted)
			return ly_error(y, weighted,
			                "weighted goes with round_robin or least_loaded");
		if (p->set->owner)
			return ly_error(y, strategy_key,
			                "a member's router cannot hand over to another router");
		const struct member *m = config_ref_member(y, strategy, p->cfg);
		if (!m)
			return -1;
		for (size_t i = 0; i < p->rc->nrouters; i++) {
			if (p->rc->routers[i].owner == m) {
				r->router = i;
				return 0;
			}
		}
		return ly_error(y, strategy, "no router for '%s' (add routing: routers: %s: [...])",
		                m->name, m->name);
	}
	if (parse_pool(y, strategy, p, ly_scalar(strategy_key)) != 0)
		return -1;
	r->weight = xcalloc(r->npool, sizeof *r->weight);
	for (size_t i = 0; i < r->npool; i++)
		r->weight[i] = r->weighted && r->pool[i]->weight > 0 ? r->pool[i]->weight : 1;
	if (r->pick == PICK_ROUND_ROBIN)
		build_slots(r);
	return 0;
}

static int h_name(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct route_ps *p = obj;
	if (ly_str(y, val, k->key, &p->rule->name) != 0)
		return -1;
	if (strchr(p->rule->name, '/'))
		return ly_error(y, val, "a rule name cannot contain '/'");
	return unique_name(y, p->list, p->idx, val, p->rule->name);
}

static int route_h_when(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct route_ps *p = obj;
	(void)k;
	p->rule->when = cond_compile(y, val, p->cfg);
	return p->rule->when ? 0 : -1;
}

static int h_assign(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	(void)k;
	return parse_assign(y, val, obj);
}

static int h_reassign(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct route_ps *p = obj;
	if (ly_dur(y, val, k->key, &p->rule->reassign_after) != 0)
		return -1;
	p->rule->has_reassign = true;
	return 0;
}

static const struct ly_key route_rule_keys[] = {
	{ .key = "name", .fn = h_name, .required = true },
	{ .key = "when", .fn = route_h_when },
	{ .key = "assign", .fn = h_assign, .required = true },
	{ .key = "reassign_after", .fn = h_reassign },
};

static void set_full(struct rrule *r, const struct rset *set)
{
	struct sb sb = SB_INIT;
	if (set->owner)
		sb_addf(&sb, "%s/", set->owner->name);
	sb_adds(&sb, r->name);
	r->full = sb_detach(&sb);
	/* as it always was: at most 199 bytes */
	sb_addf(&sb, "route.rr.%.190s", r->full);
	r->cursor = sb_detach(&sb);
}

static int check_reassign(struct yaml_ctx *y, yaml_node_t *map, struct rrule *r)
{
	if (!r->has_reassign)
		return 0;
	if (r->pick != PICK_ROUND_ROBIN && r->pick != PICK_LEAST_LOADED)
		return ly_error(y, ly_map_get(y, map, "reassign_after"),
		                "reassign_after needs a pool (round_robin or least_loaded) to pass "
		                "the lead on to");
	return 0;
}

static int route_rule(struct yaml_ctx *y, yaml_node_t *it, size_t i, void *ctx)
{
	struct route_ps *p = ctx;
	struct rrule r = { .line = ly_line(it) };
	p->rule = &r;
	p->idx = i;
	if (ly_walk(y, it, "routing rule", route_rule_keys, ARRAY_LEN(route_rule_keys), p) != 0 ||
	    check_reassign(y, it, &r) != 0) {
		rule_free(&r);
		return -1;
	}
	set_full(&r, p->set);
	p->set->r[p->set->n++] = r;
	return 0;
}

static int route_rules(struct yaml_ctx *y, yaml_node_t *n, struct route_ps *p, struct rset *set)
{
	p->set = set;
	p->list = n;
	/* one more slot for a default */
	return each_rule(y, n, "routing", sizeof *set->r, (void **)&set->r, route_rule, p);
}

static int parse_routers(struct yaml_ctx *y, yaml_node_t *n, struct route_ps *p)
{
	if (ly_is_null(n))
		return 0;
	if (!ly_is_map(n))
		return ly_error(y, n,
		                "expected a mapping of team member: [rules] for routers, got %s",
		                ly_kind(n));
	struct route_config *rc = p->rc;
	rc->routers = xcalloc(ly_map_len(n) + 1, sizeof *rc->routers);
	int ret = 0;
	/* first who has a router, so that a rule may name any of them */
	for (size_t i = 0; i < ly_map_len(n); i++) {
		yaml_node_t *kn = ly_map_key(y, n, i);
		const struct member *m = config_ref_member(y, kn, p->cfg);
		if (!m) {
			ret = -1;
			continue;
		}
		bool dup = false;
		for (size_t j = 0; j < rc->nrouters; j++)
			dup = dup || rc->routers[j].owner == m;
		if (dup) {
			ret = ly_error(y, kn, "two routers for '%s'", m->name);
			continue;
		}
		rc->routers[rc->nrouters++].owner = m;
	}
	for (size_t i = 0; i < ly_map_len(n); i++) {
		const struct member *m = config_member(p->cfg, ly_scalar(ly_map_key(y, n, i)));
		for (size_t j = 0; m && j < rc->nrouters; j++)
			if (rc->routers[j].owner == m && !rc->routers[j].r &&
			    route_rules(y, ly_map_val(y, n, i), p, &rc->routers[j]) != 0)
				ret = -1;
	}
	return ret;
}

static int parse_routing(struct yaml_ctx *y, struct yaml_node_s *node, struct config *cfg)
{
	struct rules_config *rules = rules_of(cfg);
	route_config_free(rules->route);
	free(rules->routing_yaml);
	rules->routing_yaml = rules_yaml_echo(y, "routing", node);
	struct route_config *rc = xcalloc(1, sizeof *rc);
	rules->route = rc;
	if (ly_is_null(node))
		return 0;
	if (!ly_is_map(node))
		return ly_error(
		    y, node, "expected a mapping (rules:, default:, routers:) for routing, got %s",
		    ly_kind(node));
	static const char *const keys[] = { "rules", "default", "routers" };
	known_keys(y, node, keys, ARRAY_LEN(keys), "routing");
	struct route_ps p = { .cfg = cfg, .rc = rc };
	int ret = parse_routers(y, ly_map_get(y, node, "routers"), &p);
	if (route_rules(y, ly_map_get(y, node, "rules"), &p, &rc->main) != 0)
		ret = -1;
	yaml_node_t *def = ly_map_get(y, node, "default");
	if (def) {
		struct rrule r = { .line = ly_line(def), .name = xstrdup("default") };
		for (size_t i = 0; i < rc->main.n; i++)
			if (str_ieq(rc->main.r[i].name, "default"))
				ret = ly_error(
				    y, def,
				    "a rule is named 'default' already (line %d); rename it",
				    rc->main.r[i].line);
		p.rule = &r;
		p.set = &rc->main;
		if (!rc->main.r)
			rc->main.r = xcalloc(1, sizeof *rc->main.r);
		if (parse_assign(y, def, &p) != 0) {
			rule_free(&r);
			ret = -1;
		} else {
			set_full(&r, &rc->main);
			rc->main.r[rc->main.n++] = r;
		}
	}
	return ret;
}

void route_register_config(void)
{
	config_register_section("routing", parse_routing, write_routing, rules_release);
}

/* ==== scoring ==== */

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

struct score_ps {
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
	struct score_ps *p = obj;
	if (ly_str(y, val, k->key, &p->rule->name) != 0)
		return -1;
	return unique_name(y, p->list, p->idx, val, p->rule->name);
}

static int score_h_when(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct score_ps *p = obj;
	(void)k;
	p->rule->when = cond_compile(y, val, p->cfg);
	return p->rule->when ? 0 : -1;
}

static int h_points(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct score_ps *p = obj;
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
	struct score_ps *p = obj;
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
	struct score_ps *p = obj;
	p->max_n = val;
	return ly_int(y, val, k->key, 1, 1000000000, &p->rule->max);
}

static int score_h_within(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct score_ps *p = obj;
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
	struct score_ps *p = obj;
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
	struct score_ps *p = obj;
	p->decay_n = val;
	return ly_walk(y, val, k->key, decay_keys, ARRAY_LEN(decay_keys), p);
}

static const struct ly_key score_rule_keys[] = {
	{ .key = "name", .fn = h_rname, .required = true },
	{ .key = "when", .fn = score_h_when },
	{ .key = "points", .fn = h_points, .required = true },
	{ .key = "on", .fn = h_on },
	{ .key = "max", .fn = h_max },
	{ .key = "within", .fn = score_h_within },
	{ .key = "decay", .fn = h_decay },
};

static int check_rule(struct yaml_ctx *y, yaml_node_t *map, struct score_ps *p)
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

static int score_rule(struct yaml_ctx *y, yaml_node_t *it, size_t i, void *ctx)
{
	const struct score_ps *q = ctx;
	struct sdef *d = q->def;
	struct srule r = { .line = ly_line(it) };
	struct score_ps p = { .cfg = q->cfg, .def = d, .rule = &r, .list = q->list, .idx = i };
	if (ly_walk(y, it, "scoring rule", score_rule_keys, ARRAY_LEN(score_rule_keys), &p) != 0 ||
	    check_rule(y, it, &p) != 0) {
		srule_free(&r);
		return -1;
	}
	d->uses_act = d->uses_act || r.behaviour || cond_uses_activity(r.when);
	d->r[d->nr++] = r;
	return 0;
}

static int score_rules(struct yaml_ctx *y, yaml_node_t *n, const struct config *cfg, struct sdef *d)
{
	struct score_ps p = { .cfg = cfg, .def = d, .list = n };
	return each_rule(y, n, "scoring", sizeof *d->r, (void **)&d->r, score_rule, &p);
}

static int h_tname(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct score_ps *p = obj;
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
	struct score_ps *p = obj;
	return ly_int(y, val, k->key, -1000000000, 1000000000, &p->th->at);
}

static int h_instructions(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct score_ps *p = obj;
	return ly_str(y, val, k->key, &p->th->instructions);
}

static int h_due(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct score_ps *p = obj;
	return ly_dur(y, val, k->key, &p->th->due);
}

static int h_notify(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct score_ps *p = obj;
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
		struct score_ps p = { .cfg = cfg, .def = d, .th = &t };
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
	int rc = known_keys(y, n, keys, top ? 4 : 3, top ? "scoring" : d->name);
	if (score_rules(y, ly_map_get(y, n, "rules"), cfg, d) != 0)
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

void score_register_config(void)
{
	config_register_section("scoring", parse_scoring, write_scoring, rules_release);
}
