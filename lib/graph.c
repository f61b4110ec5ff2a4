/*
 * graph.c - the configuration as Graphviz DOT (see graph.h).
 */
#include "graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"
#include "rules.h"
#include "workflow.h"

void graph_dot_str(struct sb *out, const char *s)
{
	size_t bad;
	bool valid = utf8_valid(s, strlen(s), &bad);
	sb_addc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			sb_addc(out, '\\');
			sb_addc(out, (char)*p);
		} else if (*p == '\n') {
			sb_adds(out, "\\n");
		} else if (*p < 0x20 || *p == 0x7f) {
			sb_addc(out, ' ');
		} else if (*p >= 0x80 && !valid) {
			sb_addc(out, '?');
		} else {
			sb_addc(out, (char)*p);
		}
	}
	sb_addc(out, '"');
}

static size_t stage_idx(const struct config *cfg, const char *key)
{
	for (size_t i = 0; key && i < cfg->nstages; i++)
		if (strcmp(cfg->stages[i].key, key) == 0)
			return i;
	return cfg->nstages;
}

/* Stages the history names but the config no longer has: x0, x1, ... */
struct extra {
	char **keys;
	size_t n, cap;
};

static void stage_id(const struct config *cfg, struct extra *x, const char *key, char *buf,
                     size_t n)
{
	size_t i = stage_idx(cfg, key);
	if (i < cfg->nstages) {
		snprintf(buf, n, "s%zu", i);
		return;
	}
	for (size_t k = 0; k < x->n; k++)
		if (strcmp(x->keys[k], key) == 0) {
			snprintf(buf, n, "x%zu", k);
			return;
		}
	if (x->n == x->cap)
		x->keys = xgrow(x->keys, &x->cap, x->n + 1, sizeof *x->keys);
	x->keys[x->n] = xstrdup(key);
	snprintf(buf, n, "x%zu", x->n++);
}

struct edge {
	long from, to; /* stage index, nstages + k for an extra, -1: a new lead */
	int64_t n;
};

static int cmp_edge(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return (x->to > y->to) - (x->to < y->to);
}

static size_t node_no(const struct config *cfg, struct extra *x, const char *key)
{
	char buf[32];
	stage_id(cfg, x, key, buf, sizeof buf);
	size_t k = strtoul(buf + 1, NULL, 10);
	return buf[0] == 's' ? k : cfg->nstages + k;
}

static void node_name(const struct config *cfg, long no, char *buf, size_t n)
{
	if (no < 0)
		snprintf(buf, n, "start");
	else if ((size_t)no < cfg->nstages)
		snprintf(buf, n, "s%ld", no);
	else
		snprintf(buf, n, "x%zu", (size_t)no - cfg->nstages);
}

static const char *group_colour(enum stage_group g)
{
	return g == GRP_WON ? "#54a24b" : g == GRP_LOST ? "#e45756" : "#4c78a8";
}

struct moves {
	const struct config *cfg;
	struct extra x;
	struct edge *ev;
	size_t nev, cap;
	bool created;
};

static void move_row(bool moved, const char *from, const char *to, int64_t n, void *p)
{
	struct moves *m = p;
	if (!to || (moved && !from))
		return;
	if (m->nev == m->cap)
		m->ev = xgrow(m->ev, &m->cap, m->nev + 1, sizeof *m->ev);
	struct edge *e = &m->ev[m->nev++];
	e->from = moved ? (long)node_no(m->cfg, &m->x, from) : -1;
	e->to = (long)node_no(m->cfg, &m->x, to);
	e->n = n;
	m->created = m->created || !moved;
}

static int pipeline(const struct config *cfg, struct db *db, struct sb *out, struct lerr *err)
{
	sb_adds(out, "  subgraph cluster_pipeline {\n    label=\"pipeline\";\n");
	for (int g = GRP_ACTIVE; g <= GRP_LOST; g++) {
		sb_addf(out,
		        "    subgraph cluster_%s {\n      label=\"%s\";\n      color=\"%s\";\n",
		        stage_group_name((enum stage_group)g),
		        stage_group_name((enum stage_group)g), group_colour((enum stage_group)g));
		for (size_t i = 0; i < cfg->nstages; i++) {
			if ((int)cfg->stages[i].grp != g)
				continue;
			sb_addf(out, "      s%zu [shape=box, style=rounded, label=", i);
			graph_dot_str(out, cfg->stages[i].name);
			sb_adds(out, "];\n");
		}
		sb_adds(out, "    }\n");
	}
	sb_adds(out, "  }\n");
	sb_adds(out, "  start [shape=circle, label=\"new\\nlead\"];\n");
	/* the configured order, between active stages */
	size_t prev = cfg->nstages;
	for (size_t i = 0; i < cfg->nstages; i++) {
		if (cfg->stages[i].grp != GRP_ACTIVE)
			continue;
		if (prev < cfg->nstages)
			sb_addf(out, "  s%zu -> s%zu [style=dotted, color=\"#9d9d9d\"];\n", prev,
			        i);
		prev = i;
	}
	if (!db) {
		if (cfg->nstages)
			sb_adds(out, "  start -> s0;\n");
		return 0;
	}
	struct moves m = { .cfg = cfg };
	int rc = db_graph_moves(db, move_row, &m, err);
	struct extra x = m.x;
	struct edge *ev = m.ev;
	size_t nev = m.nev;
	bool created = m.created;
	struct sb edges = SB_INIT;
	qsort(ev, nev, sizeof *ev, cmp_edge);
	for (size_t i = 0; i < nev; i++) {
		/* one edge per pair (GROUP BY gives one row; this keeps it so) */
		int64_t n = ev[i].n;
		while (i + 1 < nev && ev[i + 1].from == ev[i].from && ev[i + 1].to == ev[i].to)
			n += ev[++i].n;
		char a[32], b[32];
		node_name(cfg, ev[i].from, a, sizeof a);
		node_name(cfg, ev[i].to, b, sizeof b);
		sb_addf(&edges, "  %s -> %s [label=\"%lld\", penwidth=%.1f];\n", a, b, (long long)n,
		        n >= 100  ? 4.0
		        : n >= 10 ? 2.5
		                  : 1.2);
	}
	free(ev);
	if (!rc) {
		for (size_t k = 0; k < x.n; k++) {
			struct sb lab = SB_INIT;
			sb_addf(&lab, "%s\n(not in the config)", x.keys[k]);
			sb_addf(out, "  x%zu [shape=box, style=dashed, label=", k);
			graph_dot_str(out, lab.buf);
			sb_adds(out, "];\n");
			sb_free(&lab);
		}
		if (!created && cfg->nstages)
			sb_adds(out, "  start -> s0;\n");
		sb_adds(out, sb_str(&edges));
	}
	for (size_t k = 0; k < x.n; k++)
		free(x.keys[k]);
	free(x.keys);
	sb_free(&edges);
	return rc;
}

/* ---- routing ---- */

struct rview {
	struct route_rule_view *v;
	char **names, **owners, **members;
	size_t n, cap;
};

static void collect(const struct route_rule_view *r, void *p)
{
	struct rview *rv = p;
	if (rv->n == rv->cap) {
		size_t cap = rv->cap;
		rv->v = xgrow(rv->v, &cap, rv->n + 1, sizeof *rv->v);
		rv->cap = cap;
	}
	rv->v[rv->n++] = *r;
}

/* The id of a member's node (m0 ...), declared once. */
static void member_node(const struct config *cfg, const char *name, bool *declared, struct sb *out,
                        char *id, size_t n)
{
	size_t i = 0;
	while (i < cfg->nteam && strcmp(cfg->team[i].name, name) != 0)
		i++;
	snprintf(id, n, "m%zu", i);
	if (i < cfg->nteam && !declared[i]) {
		declared[i] = true;
		sb_addf(out,
		        "    m%zu [shape=ellipse, style=filled, fillcolor=\"#eeeeee\", label=", i);
		graph_dot_str(out, name);
		sb_adds(out, "];\n");
	}
}

static void routing(const struct config *cfg, struct sb *out)
{
	struct rview rv = { 0 };
	route_each_rule(cfg, collect, &rv);
	if (!rv.n)
		return;
	bool *declared = xcalloc(cfg->nteam + 1, sizeof *declared);
	sb_adds(out, "  subgraph cluster_routing {\n    label=\"routing\";\n");
	sb_adds(out, "    route [shape=oval, label=\"lead to route\"];\n");
	sb_adds(out, "    unassigned [shape=plaintext, label=\"unassigned\"];\n");
	bool unassigned_used = false;
	for (size_t i = 0; i < rv.n; i++) {
		const struct route_rule_view *r = &rv.v[i];
		struct sb lab = SB_INIT;
		sb_addf(&lab, "%s%s%s%s", r->router_of ? r->router_of : "",
		        r->router_of ? ": " : "", r->name, r->conditional ? "?" : "");
		sb_addf(out, "    r%zu [shape=%s, label=", i, r->conditional ? "diamond" : "box");
		graph_dot_str(out, lab.buf);
		sb_adds(out, "];\n");
		sb_free(&lab);
		/* into the chain: the first rule of its set from its entry */
		bool first = i == 0 || !r->router_of != !rv.v[i - 1].router_of ||
		             (r->router_of && strcmp(r->router_of, rv.v[i - 1].router_of) != 0);
		if (first && !r->router_of)
			sb_addf(out, "    route -> r%zu;\n", i);
		else if (first)
			sb_addf(out, "    router%zu -> r%zu;\n", i, i);
		if (first && r->router_of) {
			sb_addf(out, "    router%zu [shape=oval, label=", i);
			struct sb l2 = SB_INIT;
			sb_addf(&l2, "router of %s", r->router_of);
			graph_dot_str(out, l2.buf);
			sb_free(&l2);
			sb_adds(out, "];\n");
		}
		/* no: to the next rule of the same set */
		bool last = i + 1 == rv.n || !r->router_of != !rv.v[i + 1].router_of ||
		            (r->router_of && strcmp(r->router_of, rv.v[i + 1].router_of) != 0);
		if (!last)
			sb_addf(out, "    r%zu -> r%zu [label=\"no\"];\n", i, i + 1);
		else if (r->conditional) {
			sb_addf(out, "    r%zu -> unassigned [label=\"no\"];\n", i);
			unassigned_used = true;
		}
		const char *yes = r->conditional ? " [label=\"yes\"]" : "";
		char id[32];
		if (strcmp(r->pick, "member") == 0 && r->member) {
			member_node(cfg, r->member, declared, out, id, sizeof id);
			sb_addf(out, "    r%zu -> %s%s;\n", i, id, yes);
		} else if (strcmp(r->pick, "router") == 0 && r->member) {
			/* the router's entry, drawn when its rules come */
			size_t j = 0;
			while (j < rv.n &&
			       !(rv.v[j].router_of && strcmp(rv.v[j].router_of, r->member) == 0))
				j++;
			if (j < rv.n)
				sb_addf(out, "    r%zu -> router%zu%s;\n", i, j, yes);
		} else if (r->npool) {
			sb_addf(out, "    p%zu [shape=box3d, label=\"%s\"];\n", i,
			        strcmp(r->pick, "round_robin") == 0 ? "round robin"
			                                            : "least loaded");
			sb_addf(out, "    r%zu -> p%zu%s;\n", i, i, yes);
			for (size_t k = 0; k < r->npool; k++) {
				member_node(cfg, r->pool[k]->name, declared, out, id, sizeof id);
				sb_addf(out, "    p%zu -> %s;\n", i, id);
			}
		} else {
			sb_addf(out, "    r%zu -> unassigned%s;\n", i, yes);
			unassigned_used = true;
		}
	}
	(void)unassigned_used;
	sb_adds(out, "  }\n");
	free(declared);
	free(rv.v);
}

/* ---- workflows ---- */

static void workflows(const struct config *cfg, struct sb *out)
{
	const struct workflow_config *wf = cfg->workflow;
	if (!wf || !wf->nrules)
		return;
	sb_adds(out, "  subgraph cluster_workflows {\n    label=\"workflows\";\n");
	bool used[WF__N] = { false };
	for (size_t i = 0; i < wf->nrules; i++) {
		const struct wf_rule *r = &wf->rules[i];
		if (!used[r->on]) {
			used[r->on] = true;
			sb_addf(out, "    e%d [shape=cds, label=", (int)r->on);
			graph_dot_str(out, wf_event_name(r->on));
			sb_adds(out, "];\n");
		}
		struct sb lab = SB_INIT;
		sb_adds(&lab, r->name);
		if (r->stage) {
			size_t s = stage_idx(cfg, r->stage);
			sb_addf(&lab, "\nstage %s",
			        s < cfg->nstages ? cfg->stages[s].name : r->stage);
		}
		if (r->threshold)
			sb_addf(&lab, "\nthreshold %s", r->threshold);
		if (r->when)
			sb_adds(&lab, "\nwhen ...");
		sb_addf(out, "    w%zu [shape=box, style=rounded, label=", i);
		graph_dot_str(out, lab.buf);
		sb_adds(out, "];\n");
		sb_addf(out, "    e%d -> w%zu;\n", (int)r->on, i);
		for (size_t t = 0; t < r->ntasks; t++) {
			const struct wf_task *tk = &r->tasks[t];
			sb_reset(&lab);
			sb_addf(&lab, "task: %s\nfor %s", tk->title ? tk->title : "",
			        tk->assignee ? tk->assignee : "the owner");
			sb_addf(out, "    w%zut%zu [shape=note, label=", i, t);
			graph_dot_str(out, lab.buf);
			sb_adds(out, "];\n");
			sb_addf(out, "    w%zu -> w%zut%zu;\n", i, i, t);
		}
		sb_free(&lab);
	}
	sb_adds(out, "  }\n");
}

int graph_dot(const struct config *cfg, struct db *db, struct sb *out, struct lerr *err)
{
	sb_adds(out, "digraph leads {\n  rankdir=LR;\n  compound=true;\n"
	             "  node [fontname=\"sans-serif\", fontsize=11];\n"
	             "  edge [fontname=\"sans-serif\", fontsize=10];\n");
	int rc = pipeline(cfg, db, out, err);
	if (rc)
		return rc;
	routing(cfg, out);
	workflows(cfg, out);
	sb_adds(out, "}\n");
	return 0;
}
