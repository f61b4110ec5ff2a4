/*
 * score.c - the scoring engine (see score.h): computing scores with their
 * explanations, and thresholds. The `scoring:` section is read by
 * lib/config_rules.c.
 */
#include "score.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "config_rules.h"
#include "lifecycle.h"
#include "ltime.h"
#include "queue.h"
#include "workflow.h"
#include "rules.h"

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

int score_crossings(struct hook_env *env, const struct lead *l, const struct score_change *ch,
                    struct score_stats *stats, bool fresh)
{
	const struct score_config *sc = sc_of(env->cfg);
	if (!sc || ch->idx >= sc->n)
		return 0;
	const struct sdef *d = &sc->d[ch->idx];
	int64_t from = ch->from, to = ch->to;
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

void score_decision_free(struct score_decision *d)
{
	free(d->v);
	memset(d, 0, sizeof *d);
}

/*
 * fresh: l was just received (lead.received), so it has no named score
 * stored and no threshold fired: neither is read back, a statement each
 * per score and lead of an import.
 */
int score_decide(struct hook_env *env, const struct lead *l, struct act_src *acts, bool fresh,
                 struct score_decision *out)
{
	out->n = 0;
	const struct score_config *sc = sc_of(env->cfg);
	if (!sc || sc->n == 0)
		return 0;
	struct act_src own;
	act_src_init(&own, env->db);
	struct act_src *src = acts ? acts : &own;
	/* the lead as its rules see it: a named score's rules read the default
	 * score as it will be (a copy of the fields, no text copied) */
	struct lead seen = *l;
	struct cond_env ce = { .l = &seen, .cfg = env->cfg, .now = env->now };
	act_env(&ce, src);
	int rc = 0;
	for (size_t i = 0; i < sc->n && !rc; i++) {
		const struct sdef *d = &sc->d[i];
		bool is_default = i == 0 && sc->has_default;
		int64_t v =
		    is_default && env->new_score ? *env->new_score : compute(d, &ce, src, NULL);
		if (src->rc) {
			rc = lerr_set(env->err, src->err.code, "%s", src->err.msg);
			break;
		}
		int64_t old = 0;
		bool found;
		if (is_default)
			old = l->has[LI_SCORE] ? l->i[LI_SCORE] : 0;
		else if (!fresh &&
		         (rc = db_score_get(env->db, l->i[LI_ID], d->name, &old, &found, env->err)))
			break;
		if (v == old) /* a named score never computed reads as 0 */
			continue;
		if (is_default) {
			seen.i[LI_SCORE] = v;
			seen.has[LI_SCORE] = true;
		}
		out->v = xgrow(out->v, &out->cap, out->n + 1, sizeof *out->v);
		out->v[out->n++] = (struct score_change){
			.idx = i, .name = d->name, .is_default = is_default, .from = old, .to = v
		};
	}
	act_list_free(&own.list);
	return rc;
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

bool score_wanted(const struct hook_env *env, const struct lead *l, const struct hook_event *ev)
{
	if (!score_hook_reacts(env->cfg, ev))
		return false;
	const struct score_config *sc = sc_of(env->cfg);
	if (ev->kind == HK_ASSIGNED && !sc->uses_assignment && last.cfg == env->cfg &&
	    last.id == l->i[LI_ID] && last.now == env->now)
		return false;
	return true;
}

void score_ran(const struct hook_env *env, const struct lead *l, int rc)
{
	last.cfg = rc ? NULL : env->cfg;
	last.id = l->i[LI_ID];
	last.now = env->now;
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
