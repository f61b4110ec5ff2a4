/*
 * workflow.c - the workflows and business_hours sections and the tasks
 * events create (see workflow.h). Also owns `mail: templates:`, since
 * the messages it describes are the sweep's.
 */
#include "workflow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "cond.h"
#include "lifecycle.h"
#include "queue.h"

/*
 * The one table of event names: what `on:` says in a config, and which
 * hook (lib/hooks.h) fires it; an activity by its kind. score.threshold
 * comes from the scoring engine, not from a hook.
 */
static const struct {
	const char *name;
	int hook;           /* enum hook_kind, -1 for none */
	const char *detail; /* HK_ACTIVITY: the activity kind */
} events[WF__N] = {
	[WF_RECEIVED] = { "lead.received", HK_RECEIVED, NULL },
	[WF_DISCARDED] = { "lead.discarded", HK_DISCARDED, NULL },
	[WF_ASSIGNED] = { "lead.assigned", HK_ASSIGNED, NULL },
	[WF_STAGE_ENTERED] = { "stage.entered", HK_STAGE_ENTERED, NULL },
	[WF_MEETING] = { "meeting.scheduled", HK_MEETING, NULL },
	[WF_EMAIL_OPENED] = { "email.opened", HK_ACTIVITY, "email_opened" },
	[WF_CALL] = { "call.logged", HK_ACTIVITY, "call" },
	[WF_EMAIL_REPLIED] = { "email.replied", HK_ACTIVITY, "email_replied" },
	[WF_THRESHOLD] = { "score.threshold", -1, NULL },
};

const char *wf_event_name(enum wf_event e)
{
	return (int)e >= 0 && e < WF__N ? events[e].name : "?";
}

int wf_event_parse(const char *s)
{
	for (int i = 0; i < WF__N; i++)
		if (s && strcmp(s, events[i].name) == 0)
			return i;
	return -1;
}

/* The workflow event a hook is, -1 if workflows do not react to it. */
static int wf_event_of(const struct hook_event *ev)
{
	for (int i = 0; i < WF__N; i++)
		if (events[i].hook == (int)ev->kind &&
		    (!events[i].detail ||
		     (ev->detail && strcmp(ev->detail, events[i].detail) == 0)))
			return i;
	return -1;
}

const char *wf_hook_event_name(const struct hook_event *ev)
{
	int e = wf_event_of(ev);
	return e < 0 ? NULL : events[e].name;
}

/* ---- shared pieces ---- */

const struct bizhours *workflow_bizhours(const struct config *cfg)
{
	return cfg && cfg->workflow ? cfg->workflow->bh : NULL;
}

const struct tz *workflow_tz(const struct config *cfg)
{
	const struct bizhours *bh = workflow_bizhours(cfg);
	return bh ? bh->tz : NULL;
}

const struct mail_templates *workflow_templates(const struct config *cfg)
{
	return cfg && cfg->workflow ? cfg->workflow->tpl : NULL;
}

int64_t workflow_due(const struct config *cfg, int64_t t, const struct bh_dur *d, bool business)
{
	const struct bizhours *bh = workflow_bizhours(cfg);
	if (business && bh)
		return bh_add(bh, t, d);
	return bh_cal_add(workflow_tz(cfg), t, d);
}

/* ---- config ---- */

static struct workflow_config *wfc(struct config *cfg)
{
	if (!cfg->workflow)
		cfg->workflow = xcalloc(1, sizeof *cfg->workflow);
	return cfg->workflow;
}

static void free_task(struct wf_task *t)
{
	free(t->title);
	free(t->notes);
	free(t->assignee);
}

static void free_rule(struct wf_rule *r)
{
	free(r->name);
	free(r->stage);
	free(r->threshold);
	cond_free(r->when);
	strv_free(r->groups, r->ngroups);
	strv_free(r->notify, r->nnotify);
	for (size_t i = 0; i < r->ntasks; i++)
		free_task(&r->tasks[i]);
	free(r->tasks);
}

static void release(struct config *cfg)
{
	struct workflow_config *w = cfg->workflow;
	if (!w)
		return;
	for (size_t i = 0; i < w->nrules; i++)
		free_rule(&w->rules[i]);
	free(w->rules);
	bh_free(w->bh);
	mail_templates_free(w->tpl);
	free(w->src);
	free(w->tpl_src);
	free(w);
	cfg->workflow = NULL;
}

static size_t mark_offset(const struct yaml_ctx *y, size_t index)
{
	/* libyaml's mark.index counts characters (CRLF as two) after a byte
	 * order mark it skips, not bytes: one multi-byte character before the
	 * node cut its text short, and config show wrote broken YAML */
	size_t off = y->len >= 3 && memcmp(y->src, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	for (size_t i = 0; i < index && off < y->len; i++) {
		unsigned char c = (unsigned char)y->src[off];
		off += c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	}
	return off < y->len ? off : y->len;
}

/*
 * The text of a node's value as written, re-indented so that its least
 * indented line starts at column `indent` (for config show). A value on
 * the key's own line (flow style) is returned as is.
 */
static char *node_text(struct yaml_ctx *y, yaml_node_t *n, int indent, bool *same_line)
{
	size_t a = mark_offset(y, n->start_mark.index), b = mark_offset(y, n->end_mark.index);
	/* a block value starts on a line of its own */
	size_t ls = a;
	while (ls > 0 && y->src[ls - 1] != '\n')
		ls--;
	bool own = true;
	for (size_t i = ls; i < a; i++)
		if (y->src[i] != ' ' && y->src[i] != '-')
			own = false;
	*same_line = !own || ly_is_scalar(n);
	if (*same_line)
		return xstrndup(y->src + a, b - a);
	while (b > ls && (y->src[b - 1] == ' ' || y->src[b - 1] == '\n'))
		b--;
	int min = 1 << 30;
	for (size_t p = ls; p < b;) {
		size_t e = p;
		while (e < b && y->src[e] != '\n')
			e++;
		size_t sp = 0;
		while (p + sp < e && y->src[p + sp] == ' ')
			sp++;
		if (p + sp < e && y->src[p + sp] != '#' && (int)sp < min)
			min = (int)sp;
		p = e + 1;
	}
	struct sb out = SB_INIT;
	for (size_t p = ls; p < b;) {
		size_t e = p;
		while (e < b && y->src[e] != '\n')
			e++;
		size_t sp = 0;
		while (p + sp < e && y->src[p + sp] == ' ')
			sp++;
		if (p + sp < e) {
			size_t drop = sp < (size_t)min ? sp : (size_t)min;
			for (int i = 0; i < indent; i++)
				sb_addc(&out, ' ');
			sb_add(&out, y->src + p + drop, e - p - drop);
		}
		sb_addc(&out, '\n');
		p = e + 1;
	}
	return sb_detach(&out);
}

static int parse_business_hours(struct yaml_ctx *y, yaml_node_t *n, struct config *cfg)
{
	struct bizhours *bh = bh_parse(y, n, cfg->timezone);
	if (!bh)
		return -1;
	struct workflow_config *w = wfc(cfg);
	bh_free(w->bh);
	w->bh = bh;
	return 0;
}

static void write_business_hours(const struct config *cfg, struct sb *out)
{
	const struct bizhours *bh = workflow_bizhours(cfg);
	if (bh)
		bh_write(bh, out);
}

static int parse_templates(struct yaml_ctx *y, yaml_node_t *n, struct config *cfg)
{
	struct mail_templates *t = mail_templates_parse(y, n);
	if (!t)
		return -1;
	struct workflow_config *w = wfc(cfg);
	mail_templates_free(w->tpl);
	w->tpl = t;
	bool same;
	free(w->tpl_src);
	char *text = node_text(y, n, 4, &same);
	struct sb sb = SB_INIT;
	sb_addf(&sb, "  templates:%s%s%s", same ? " " : "\n", text, same ? "\n" : "");
	w->tpl_src = sb_detach(&sb);
	free(text);
	return 0;
}

static void write_templates(const struct config *cfg, struct sb *out)
{
	if (cfg->workflow && cfg->workflow->tpl_src)
		sb_adds(out, cfg->workflow->tpl_src);
}

/* What a rule's parse needs beyond the rule. */
struct rule_ps {
	struct wf_rule r;
	const struct config *cfg;
	yaml_node_t *on_n, *stage_n, *threshold_n, *before_n; /* for cross-checks */
	bool on_ok;
};

struct task_ps {
	struct wf_task t;
	struct rule_ps *rp;
	char *due_text;
	bool has_due;
	char *type;
};

static int h_on(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct rule_ps *rp = obj;
	const char *s = ly_scalar(val);
	rp->on_n = val;
	int e = ly_is_null(val) ? -1 : wf_event_parse(s);
	if (e < 0) {
		struct sb names = SB_INIT;
		const char *best = NULL;
		size_t bestd = 4;
		for (int i = 0; i < WF__N; i++) {
			sb_addf(&names, "%s%s", i ? ", " : "", events[i].name);
			size_t d = s ? str_distance(s, events[i].name) : 99;
			if (d < bestd) {
				bestd = d;
				best = events[i].name;
			}
		}
		if (best)
			ly_error(y, val, "unknown event '%s' for %s; did you mean '%s'?", s, k->key,
			         best);
		else
			ly_error(y, val, "unknown event '%s' for %s (events: %s)", s ? s : "",
			         k->key, sb_str(&names));
		sb_free(&names);
		return -1;
	}
	rp->r.on = (enum wf_event)e;
	rp->on_ok = true;
	return 0;
}

static int h_stage(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct rule_ps *rp = obj;
	(void)k;
	rp->stage_n = val;
	const struct stage *st = config_ref_stage(y, val, rp->cfg);
	if (!st)
		return -1;
	rp->r.stage = xstrdup(st->key);
	return 0;
}

static int h_threshold(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct rule_ps *rp = obj;
	rp->threshold_n = val;
	return ly_str(y, val, k->key, &rp->r.threshold);
}

static int h_when(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct rule_ps *rp = obj;
	(void)k;
	rp->r.when = cond_compile(y, val, rp->cfg);
	return rp->r.when ? 0 : -1;
}

static bool group_known(const struct config *cfg, const char *g)
{
	for (size_t i = 0; i < cfg->nteam; i++)
		for (size_t j = 0; j < cfg->team[i].ngroups; j++)
			if (str_ieq(cfg->team[i].groups[j], g))
				return true;
	return false;
}

static int h_groups(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct rule_ps *rp = obj;
	if (ly_strv(y, val, k->key, &rp->r.groups, &rp->r.ngroups) != 0)
		return -1;
	if (!rp->r.ngroups)
		return ly_error(y, val, "groups must name at least one group");
	int rc = 0;
	for (size_t i = 0; i < rp->r.ngroups; i++)
		if (!group_known(rp->cfg, rp->r.groups[i]))
			rc = ly_error(y, ly_seq_at(y, val, i) ? ly_seq_at(y, val, i) : val,
			              "no team member is in group '%s'", rp->r.groups[i]);
	return rc;
}

static const struct ly_key for_keys[] = {
	{ .key = "groups", .fn = h_groups, .required = true },
};

static int h_for(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	if (ly_is_scalar(val) && !ly_is_null(val)) {
		if (strcmp(ly_scalar(val), "all") == 0)
			return 0;
		return ly_error(y, val, "expected 'all' or {groups: [...]} for %s, got '%s'",
		                k->key, ly_scalar(val));
	}
	return ly_walk(y, val, k->key, for_keys, ARRAY_LEN(for_keys), obj);
}

static int h_assignee(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct task_ps *tp = obj;
	(void)k;
	if (ly_is_scalar(val) && strcmp(ly_scalar(val), "owner") == 0)
		return 0;
	const struct member *m = config_ref_member(y, val, tp->rp->cfg);
	if (!m)
		return -1;
	tp->t.assignee = xstrdup(m->name);
	return 0;
}

static int h_due(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct task_ps *tp = obj;
	char *s = NULL;
	if (ly_str(y, val, k->key, &s) != 0)
		return -1;
	tp->has_due = true;
	static const char before[] = " before meeting";
	size_t n = strlen(s), nb = strlen(before);
	if (n > nb && strcmp(s + n - nb, before) == 0) {
		s[n - nb] = '\0';
		tp->t.before_meeting = true;
		tp->rp->before_n = val;
	}
	int rc = 0;
	if (!bh_dur_parse(s, &tp->t.due)) {
		rc = ly_error(y, val,
		              "invalid due '%s%s' (expected 30m, 2h, 3d, 1w, 3mo, or for "
		              "meeting.scheduled '120m before meeting')",
		              s, tp->t.before_meeting ? before : "");
	} else if (!tp->t.before_meeting && bh_dur_approx(&tp->t.due) < 30 * 60) {
		rc = ly_error(y, val,
		              "due '%s' is too soon: a task is due at least 30m after the "
		              "event",
		              s);
	}
	free(s);
	return rc;
}

static int h_type(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct task_ps *tp = obj;
	return ly_str(y, val, k->key, &tp->type);
}

static const struct ly_key task_keys[] = {
	{ .key = "title", .fn = ly_h_str, .off = offsetof(struct task_ps, t.title) },
	{ .key = "type", .fn = h_type },
	{ .key = "notes", .fn = ly_h_str, .off = offsetof(struct task_ps, t.notes) },
	{ .key = "instructions", .fn = ly_h_str, .off = offsetof(struct task_ps, t.notes) },
	{ .key = "assignee", .fn = h_assignee },
	{ .key = "due", .fn = h_due, .required = true },
	{ .key = "notify_before",
	  .fn = ly_h_dur,
	  .off = offsetof(struct task_ps, t.notify_before) },
	{ .key = "business_hours",
	  .fn = ly_h_bool,
	  .off = offsetof(struct task_ps, t.business_hours) },
};

static int parse_task(struct yaml_ctx *y, yaml_node_t *n, struct rule_ps *rp)
{
	struct task_ps tp = { .rp = rp };
	int rc = ly_walk(y, n, "task", task_keys, ARRAY_LEN(task_keys), &tp);
	if (!tp.t.title && tp.type)
		tp.t.title = xstrdup(tp.type);
	else if (tp.t.title && tp.type) {
		char *t = tp.t.title;
		struct sb sb = SB_INIT;
		sb_addf(&sb, "%s: %s", tp.type, t);
		tp.t.title = sb_detach(&sb);
		free(t);
	}
	free(tp.type);
	if (!rc && !tp.t.title)
		rc = ly_error(y, n, "a task needs a title");
	if (!rc && tp.t.title && strpbrk(tp.t.title, "\r\n"))
		rc = ly_error(y, ly_map_get(y, n, "title"), "a task title must be on one line");
	if (!rc && !ldur_is_zero(tp.t.notify_before) && !tp.t.before_meeting &&
	    ldur_approx_secs(tp.t.notify_before) >= bh_dur_approx(&tp.t.due))
		rc = ly_error(y, ly_map_get(y, n, "notify_before"),
		              "notify_before must be shorter than due");
	if (!rc && tp.t.business_hours && !workflow_bizhours(rp->cfg))
		rc = ly_error(y, ly_map_get(y, n, "business_hours"),
		              "business_hours: true needs a business_hours section");
	if (rc) {
		free_task(&tp.t);
		return -1;
	}
	rp->r.tasks = xrealloc(rp->r.tasks, (rp->r.ntasks + 1) * sizeof *rp->r.tasks);
	rp->r.tasks[rp->r.ntasks++] = tp.t;
	return 0;
}

static int h_task(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct rule_ps *rp = obj;
	if (ly_is_seq(val)) {
		int rc = 0;
		if (!ly_seq_len(val))
			return ly_error(y, val, "%s is an empty list", k->key);
		for (size_t i = 0; i < ly_seq_len(val); i++)
			if (parse_task(y, ly_seq_at(y, val, i), rp))
				rc = -1;
		return rc;
	}
	return parse_task(y, val, rp);
}

static const struct ly_key action_keys[] = {
	{ .key = "task", .fn = h_task, .required = true },
};

static int h_actions(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	if (!ly_is_seq(val) || !ly_seq_len(val))
		return ly_error(y, val, "expected a list of actions ({task: ...}) for %s, got %s",
		                k->key, ly_kind(val));
	int rc = 0;
	for (size_t i = 0; i < ly_seq_len(val); i++)
		if (ly_walk(y, ly_seq_at(y, val, i), "action", action_keys, ARRAY_LEN(action_keys),
		            obj))
			rc = -1;
	return rc;
}

static int h_notify(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct rule_ps *rp = obj;
	return lc_notify_parse(y, val, rp->cfg, k->key, &rp->r.notify, &rp->r.nnotify);
}

static const struct ly_key rule_keys[] = {
	{ .key = "notify", .fn = h_notify },
	{ .key = "name", .fn = ly_h_str, .off = offsetof(struct rule_ps, r.name) },
	{ .key = "on", .fn = h_on, .required = true },
	{ .key = "stage", .fn = h_stage },
	{ .key = "threshold", .fn = h_threshold },
	{ .key = "when", .fn = h_when },
	{ .key = "for", .fn = h_for },
	{ .key = "task", .fn = h_task },
	{ .key = "tasks", .fn = h_task },
	{ .key = "actions", .fn = h_actions },
	{ .key = "keep_open", .fn = ly_h_bool, .off = offsetof(struct rule_ps, r.keep_open) },
	{ .key = "repeat", .fn = ly_h_bool, .off = offsetof(struct rule_ps, r.repeat) },
};

static int parse_workflows(struct yaml_ctx *y, yaml_node_t *n, struct config *cfg)
{
	if (ly_is_null(n))
		return 0;
	if (!ly_is_seq(n))
		return ly_error(y, n, "expected a list of workflow rules for workflows, got %s",
		                ly_kind(n));
	struct workflow_config *w = wfc(cfg);
	size_t cnt = ly_seq_len(n);
	w->rules = xcalloc(cnt + 1, sizeof *w->rules);
	int rc = 0;
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *item = ly_seq_at(y, n, i);
		struct rule_ps rp = { .cfg = cfg };
		int bad = ly_walk(y, item, "workflow rule", rule_keys, ARRAY_LEN(rule_keys), &rp);
		if (rp.on_ok) {
			if (rp.stage_n && rp.r.on != WF_STAGE_ENTERED && rp.r.on != WF_DISCARDED)
				bad = ly_error(y, rp.stage_n,
				               "stage: needs on: stage.entered or lead.discarded");
			if (rp.threshold_n && rp.r.on != WF_THRESHOLD)
				bad = ly_error(y, rp.threshold_n,
				               "threshold: needs on: score.threshold");
			if (rp.before_n && rp.r.on != WF_MEETING)
				bad =
				    ly_error(y, rp.before_n,
				             "a due 'before meeting' needs on: meeting.scheduled");
		}
		if (!bad && !rp.r.ntasks)
			bad = ly_error(y, item,
			               "a workflow rule needs a task (task: {title:, due:})");
		if (!bad && !rp.r.name) {
			struct sb nm = SB_INIT;
			sb_addf(&nm, "workflows[%zu]", i + 1);
			rp.r.name = sb_detach(&nm);
		}
		for (size_t j = 0; !bad && j < w->nrules; j++)
			if (strcmp(w->rules[j].name, rp.r.name) == 0)
				bad = ly_error(y, ly_map_get(y, item, "name"),
				               "duplicate workflow name '%s' (first at line %d)",
				               rp.r.name, w->rules[j].line);
		if (bad) {
			free_rule(&rp.r);
			rc = -1;
			continue;
		}
		rp.r.line = ly_line(item);
		w->rules[w->nrules++] = rp.r;
	}
	bool same;
	char *text = node_text(y, n, 2, &same);
	struct sb sb = SB_INIT;
	sb_addf(&sb, "workflows:%s%s%s", same ? " " : "\n", text, same ? "\n" : "");
	free(w->src);
	w->src = sb_detach(&sb);
	free(text);
	return rc;
}

static void write_workflows(const struct config *cfg, struct sb *out)
{
	if (cfg->workflow && cfg->workflow->src)
		sb_adds(out, cfg->workflow->src);
}

void workflow_register_config(void)
{
	config_register_section("business_hours", parse_business_hours, write_business_hours,
	                        release);
	config_register_section("workflows", parse_workflows, write_workflows, release);
	config_register_section("mail.templates", parse_templates, write_templates, release);
}

/* ---- events -> tasks ---- */

static bool owner_in_groups(const struct config *cfg, const char *owner, const struct wf_rule *r)
{
	const struct member *m = owner ? config_member(cfg, owner) : NULL;
	if (!m)
		return false;
	for (size_t i = 0; i < m->ngroups; i++)
		for (size_t j = 0; j < r->ngroups; j++)
			if (str_ieq(m->groups[i], r->groups[j]))
				return true;
	return false;
}

static int create_task(struct hook_env *env, const struct lead *l, const struct wf_rule *r,
                       size_t ti, enum wf_event e, const char *detail, int64_t at)
{
	const struct wf_task *t = &r->tasks[ti];
	const struct config *cfg = env->cfg;
	int64_t due;
	if (t->before_meeting) {
		const struct bizhours *bh = workflow_bizhours(cfg);
		due = t->business_hours && bh ? bh_sub(bh, at, &t->due)
		                              : bh_cal_sub(workflow_tz(cfg), at, &t->due);
		if (due < env->now)
			due = env->now;
	} else {
		due = workflow_due(cfg, env->now, &t->due, t->business_hours);
	}
	int64_t notify = 0;
	if (!ldur_is_zero(t->notify_before)) {
		notify = ldur_sub(due, t->notify_before);
		if (notify < env->now)
			notify = env->now;
	}
	const char *owner = t->assignee ? t->assignee : l->t[LT_OWNER];
	struct sb key = SB_INIT;
	sb_addf(&key, "wf:%s#%zu:%lld:%s:%lld", r->name, ti + 1, (long long)l->i[LI_ID],
	        events[e].name, (long long)env->now);
	if (e == WF_MEETING)
		sb_addf(&key, ":%lld", (long long)at);
	struct task_new tn = { .lead_id = l->i[LI_ID],
		               .owner = owner,
		               .title = t->title,
		               .notes = t->notes,
		               .due_at = due,
		               .notify_at = notify,
		               .rule = r->name,
		               .idem_key = key.buf,
		               .owner_given = t->assignee != NULL };
	int64_t id = 0;
	int rc = env->dry_run ? 0 : task_create(env->db, &tn, env->now, &id, env->err);
	if (!rc && id) {
		/* the lead's history says where the task came from */
		struct sb data = SB_INIT;
		sb_addf(&data, "{\"task\":%lld,\"title\":", (long long)id);
		sb_add_json_str(&data, t->title);
		sb_adds(&data, ",\"rule\":");
		sb_add_json_str(&data, r->name);
		if (e == WF_DISCARDED && detail) {
			sb_adds(&data, ",\"from_stage\":");
			sb_add_json_str(&data, detail);
		}
		sb_adds(&data, "}");
		struct event ev = { .lead_id = l->i[LI_ID],
			            .at = env->now,
			            .actor = env->actor,
			            .kind = "task",
			            .to = owner,
			            .data = data.buf };
		rc = db_event_add(env->db, &ev, env->err);
		sb_free(&data);
	}
	if (!rc && id && r->nnotify) {
		/* notify: the people named hear of the task, whoever owns it */
		char name[256], when[LTIME_BUFSZ];
		lead_display_name(l, name, sizeof name);
		ltime_fmt(due, when);
		struct sb subject = SB_INIT, intro = SB_INIT, kb = SB_INIT;
		sb_addf(&subject, "New task: %s: %s", t->title, name);
		sb_addf(&intro,
		        "Workflow '%s' created task #%lld \"%s\" for lead #%lld %s, due %s, "
		        "owned by %s.",
		        r->name, (long long)id, t->title, (long long)l->i[LI_ID], name, when,
		        owner ? owner : "nobody");
		sb_addf(&kb, "wf-notify:%lld", (long long)id);
		struct lc c = { .db = env->db, .cfg = env->cfg, .now = env->now, .err = env->err };
		rc = lc_notify_mail(&c, l, r->notify, r->nnotify, "workflow", kb.buf, subject.buf,
		                    intro.buf, NULL);
		sb_free(&subject);
		sb_free(&intro);
		sb_free(&kb);
	}
	sb_free(&key);
	return rc;
}

int workflow_fire(struct hook_env *env, const struct lead *l, enum wf_event e, const char *detail,
                  int64_t at)
{
	const struct workflow_config *w = env->cfg ? env->cfg->workflow : NULL;
	if (!w || !w->nrules || env->no_events)
		return 0;
	struct act_src acts;
	act_src_init(&acts, env->db);
	int rc = 0;
	for (size_t i = 0; i < w->nrules && !rc; i++) {
		const struct wf_rule *r = &w->rules[i];
		if (r->on != e)
			continue;
		/* stage.entered: the stage entered; lead.discarded: the stage it left */
		if ((e == WF_STAGE_ENTERED || e == WF_DISCARDED) && r->stage &&
		    (!detail || strcmp(r->stage, detail) != 0))
			continue;
		if (e == WF_THRESHOLD && r->threshold &&
		    (!detail || !str_ieq(r->threshold, detail)))
			continue;
		if (r->ngroups && !owner_in_groups(env->cfg, l->t[LT_OWNER], r))
			continue;
		if (r->when) {
			struct cond_env ce = { .l = l, .cfg = env->cfg, .now = env->now };
			act_env(&ce, &acts);
			bool match = cond_eval(r->when, &ce, NULL);
			if (acts.rc) {
				rc = lerr_set(env->err, acts.err.code, "%s", acts.err.msg);
				break;
			}
			if (!match)
				continue;
		}
		/* at most once while a task it created is open (a new lead, added
		 * or imported, has none: no query per imported row) */
		if (!r->repeat && e != WF_RECEIVED && !env->import_assign && !env->dry_run) {
			bool open;
			if ((rc = db_lc_rule_open(env->db, l->i[LI_ID], r->name, &open, env->err)))
				break;
			if (open)
				continue;
		}
		for (size_t t = 0; t < r->ntasks && !rc; t++)
			rc = create_task(env, l, r, t, e, detail, at);
	}
	act_list_free(&acts.list);
	return rc;
}

int workflow_run(struct hook_env *env, struct lead *l, const struct hook_event *ev)
{
	int e = wf_event_of(ev);
	if (e < 0)
		return 0;
	return workflow_fire(env, l, (enum wf_event)e, ev->detail, ev->at);
}
