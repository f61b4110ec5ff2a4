/*
 * sweep.c - the periodic work of `leads sweep` (see sweep.h): statuses,
 * reminders, late tasks, notices, re-routing and digests, each change
 * with its message in the caller's transaction.
 */
#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "lifecycle.h"
#include "mail.h"
#include "queue.h"
#include "route.h"
#include "task.h"
#include "workflow.h"

#define SWEEP_ACTOR "sweep"

struct sw {
	struct db *db;
	const struct config *cfg;
	const struct sweep_opts *o;
	struct sweep_counts *c;
	struct lerr *err;
	const struct tz *tz; /* the business zone, NULL = UTC */
};

static void say(struct sw *s, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void say(struct sw *s, const char *fmt, ...)
{
	if (!s->o->say)
		return;
	struct sb sb = SB_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	s->o->say(s->o->ctx, sb_str(&sb));
	sb_free(&sb);
}

/* "2026-11-24 10:00" in the business zone (UTC without one). */
static void local_time(struct sw *s, int64_t t, char *buf, size_t n)
{
	int64_t day = 0;
	int32_t secs = 0;
	if (s->tz) {
		tz_local(s->tz, t, &day, &secs);
	} else {
		day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
		secs = (int32_t)(t - day * 86400);
	}
	int64_t y;
	unsigned m, d;
	ltime_civil_from_days(day, &y, &m, &d);
	snprintf(buf, n, "%04lld-%02u-%02u %02d:%02d%s", (long long)y, m, d, secs / 3600,
	         secs / 60 % 60, s->tz ? "" : " UTC");
}

static const struct member *first_manager(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->nteam; i++)
		if (cfg->team[i].role && strcmp(cfg->team[i].role, "manager") == 0)
			return &cfg->team[i];
	return NULL;
}

/* "ana <ana@example.com>" */
static char *mailbox(const struct member *m)
{
	struct sb sb = SB_INIT;
	sb_addf(&sb, "%s <%s>", m->name, m->email);
	return sb_detach(&sb);
}

static int queue(struct sw *s, enum mail_kind k, const char *key, int64_t lead_id,
                 const struct member *to, const struct member *cc, struct mail_vars *v)
{
	if (s->o->dry_run) { /* what would be queued: a message not there yet */
		bool has = false;
		int rc = mail_queued(s->db, key, &has, s->err);
		s->c->queued += !rc && !has;
		return rc;
	}
	mail_var(v, "rep.name", to->name);
	mail_var(v, "rep.email", to->email);
	char *subject, *body;
	mail_compose(workflow_templates(s->cfg), k, v, &subject, &body);
	char *rcpt = mailbox(to), *ccb = cc ? mailbox(cc) : NULL;
	struct mail_new m = { .kind = mail_kind_name(k),
		              .idem_key = key,
		              .lead_id = lead_id,
		              .rcpt = rcpt,
		              .cc = ccb,
		              .subject = subject,
		              .body = body };
	int queued = 0;
	int rc = mail_queue(s->db, &m, s->o->now, &queued, s->err);
	s->c->queued += queued;
	free(subject);
	free(body);
	free(rcpt);
	free(ccb);
	return rc;
}

static int event(struct sw *s, int64_t lead_id, const char *kind, const char *from, const char *to,
                 const char *data)
{
	struct event ev = { .lead_id = lead_id,
		            .at = s->o->now,
		            .actor = SWEEP_ACTOR,
		            .kind = kind,
		            .from = from,
		            .to = to,
		            .data = data };
	return db_event_add(s->db, &ev, s->err);
}

static struct hook_env henv(struct sw *s)
{
	struct hook_env env = { .db = s->db,
		                .cfg = s->cfg,
		                .now = s->o->now,
		                .actor = SWEEP_ACTOR,
		                .no_route = s->o->no_route,
		                .dry_run = false,
		                .err = s->err };
	return env;
}

/* ---- inactivity ---- */

struct idle_say {
	struct sw *s;
	const char *reason;
};

static void idle_said(void *ctx, int64_t id, const char *name, const char *from)
{
	struct idle_say *is = ctx;
	say(is->s, "lead #%lld %s: %s -> inactive (%s)", (long long)id, name, from, is->reason);
}

static int inactivity(struct sw *s)
{
	struct ldur after = s->cfg->inactive_after;
	if (ldur_is_zero(after))
		return 0;
	char dur[LTIME_BUFSZ];
	ldur_fmt(after, dur);
	struct sb data = SB_INIT;
	sb_adds(&data, "{\"reason\":");
	struct sb reason = SB_INIT;
	sb_addf(&reason, "no activity for %s", dur);
	sb_add_json_str(&data, reason.buf);
	sb_adds(&data, "}");
	struct lc c = { .db = s->db,
		        .cfg = s->cfg,
		        .now = s->o->now,
		        .actor = SWEEP_ACTOR,
		        .no_route = s->o->no_route,
		        .err = s->err };
	struct idle_say is = { s, reason.buf };
	size_t n = 0;
	int rc = lc_inactivate_idle(&c, ldur_sub(s->o->now, after), data.buf, s->o->dry_run,
	                            idle_said, &is, &n);
	s->c->inactive += (int)n;
	sb_free(&reason);
	sb_free(&data);
	return rc;
}

/* ---- stage reminders ---- */

/* The number of the latest reminder due at now for an idle spell since. */
static int64_t reminders_due(const struct stage *st, int64_t since, int64_t now)
{
	int64_t first = ldur_add(since, st->remind_after);
	if (now < first)
		return 0;
	if (ldur_is_zero(st->repeat))
		return 1;
	if (st->repeat.months == 0)
		return 1 + (now - first) / st->repeat.secs;
	int64_t k = 1;
	for (int64_t t = ldur_add(first, st->repeat); t <= now && k < 100000;
	     t = ldur_add(t, st->repeat))
		k++;
	return k;
}

static int remind_one(struct sw *s, const struct stage *st, const struct sweep_idle *it)
{
	int64_t k = reminders_due(st, it->since, s->o->now), last = 0;
	if (k == 0)
		return 0;
	int rc = db_sweep_last_reminder(s->db, it->id, it->since, &last, s->err);
	if (rc || last >= k)
		return rc;
	struct lead l;
	if ((rc = db_lead_by_id(s->db, it->id, &l, s->err)))
		return rc;
	/* a lead imported quietly: idle from the import on, not from its old dates */
	struct lc c = { .db = s->db, .cfg = s->cfg, .now = s->o->now, .err = s->err };
	int64_t from = it->since;
	if ((rc = lc_reminder_since(&c, &l, it->since, &from)) ||
	    (from != it->since &&
	     ((k = reminders_due(st, from, s->o->now)) == 0 ||
	      (rc = db_sweep_last_reminder(s->db, it->id, from, &last, s->err)) || last >= k))) {
		lead_free(&l);
		return rc;
	}
	struct sweep_idle quiet = { .id = it->id, .since = from };
	it = &quiet;
	const struct member *owner = l.t[LT_OWNER] ? config_member(s->cfg, l.t[LT_OWNER]) : NULL;
	const struct member *mgr = first_manager(s->cfg);
	const struct member *to = owner ? owner : mgr;
	const struct member *cc = NULL;
	if (st->escalate_after > 0 && k > st->escalate_after && mgr && mgr != to)
		cc = mgr;
	char idle[LTIME_BUFSZ], since[64];
	/* how long idle, in whole days (whole hours under a day) */
	struct ldur spell = { .secs = s->o->now - it->since, .months = 0 };
	spell.secs -= spell.secs % (spell.secs >= 86400 ? 86400 : 3600);
	if (spell.secs > 0)
		ldur_fmt(spell, idle);
	else
		snprintf(idle, sizeof idle, "under an hour");
	local_time(s, it->since, since, sizeof since);
	struct sb data = SB_INIT;
	sb_addf(&data, "{\"n\":%lld,\"stage\":", (long long)k);
	sb_add_json_str(&data, st->key);
	sb_addf(&data, ",\"since\":%lld", (long long)it->since);
	if (cc) {
		sb_adds(&data, ",\"cc\":");
		sb_add_json_str(&data, cc->name);
	}
	sb_adds(&data, "}");
	if (!s->o->dry_run)
		rc = event(s, l.i[LI_ID], "reminder", NULL, to ? to->name : NULL, data.buf);
	if (!rc && to) {
		struct mail_vars v = { 0 };
		mail_lead_vars(&v, s->cfg, &l);
		mail_varf(&v, "reminder.number", "%lld", (long long)k);
		mail_var(&v, "reminder.idle", idle);
		mail_var(&v, "reminder.since", since);
		struct sb key = SB_INIT;
		sb_addf(&key, "reminder:%lld:%lld:%lld", (long long)l.i[LI_ID],
		        (long long)it->since, (long long)k);
		rc = queue(s, MK_REMINDER, key.buf, l.i[LI_ID], to, cc, &v);
		sb_free(&key);
		mail_vars_free(&v);
	}
	if (!rc) {
		s->c->reminders++;
		s->c->escalated += cc != NULL;
		char name[256];
		lead_display_name(&l, name, sizeof name);
		say(s, "lead #%lld %s: reminder %lld to %s%s%s (idle in %s since %s)",
		    (long long)l.i[LI_ID], name, (long long)k, to ? to->name : "nobody",
		    cc ? ", copy to " : "", cc ? cc->name : "", st->name, since);
	}
	sb_free(&data);
	lead_free(&l);
	return rc;
}

static int reminders(struct sw *s)
{
	int rc = 0;
	for (size_t i = 0; i < s->cfg->nstages && !rc; i++) {
		const struct stage *st = &s->cfg->stages[i];
		if (ldur_is_zero(st->remind_after) || st->grp != GRP_ACTIVE)
			continue;
		struct sweep_idle *v;
		size_t n;
		rc = db_sweep_stage_idle(s->db, st->key, ldur_sub(s->o->now, st->remind_after), &v,
		                         &n, s->err);
		for (size_t j = 0; j < n && !rc; j++)
			rc = remind_one(s, st, &v[j]);
		free(v);
	}
	return rc;
}

/* ---- tasks ---- */

static int task_mail(struct sw *s, enum mail_kind k, struct task *t, const char *key)
{
	const struct member *to = t->owner ? config_member(s->cfg, t->owner) : NULL;
	struct member addr = { 0 };
	int rc = 0;
	if (!t->owner) {
		/* nothing due is nobody's: the manager takes it (lifecycle.h) */
		const char *a = NULL;
		to = lc_unowned_to(s->cfg, &a);
		if (to) {
			struct sb data = SB_INIT;
			sb_addf(&data, "{\"task\":%lld,\"reason\":\"unowned\"}", (long long)t->id);
			if (!(rc = db_lc_task_owner(s->db, t->id, to->name, false, s->err)))
				rc = event(s, t->lead_id, "task.reassigned", NULL, to->name,
				           data.buf);
			sb_free(&data);
			if (rc)
				return rc;
			t->owner = xstrdup(to->name);
		} else if (a) {
			addr.name = addr.email = (char *)a;
			to = &addr;
		}
	}
	if (!to)
		return 0;
	struct lead l;
	if ((rc = db_lead_by_id(s->db, t->lead_id, &l, s->err)))
		return rc;
	struct mail_vars v = { 0 };
	mail_lead_vars(&v, s->cfg, &l);
	char due[64];
	local_time(s, t->due_at, due, sizeof due);
	mail_varf(&v, "task.id", "%lld", (long long)t->id);
	mail_var(&v, "task.title", t->title);
	mail_var(&v, "task.notes", t->notes);
	mail_var(&v, "task.due", due);
	rc = queue(s, k, key, t->lead_id, to, NULL, &v);
	mail_vars_free(&v);
	lead_free(&l);
	return rc;
}

static int closed_task(struct sw *s, const struct task *t, bool *gone)
{
	struct lc c = {
		.db = s->db, .cfg = s->cfg, .now = s->o->now, .actor = SWEEP_ACTOR, .err = s->err
	};
	return lc_task_check_closed(&c, t->id, t->lead_id, t->rule, gone);
}

static int late_tasks(struct sw *s)
{
	int64_t *ids;
	size_t n;
	int rc = db_tasks_past_due(s->db, s->o->now, &ids, &n, s->err);
	for (size_t i = 0; i < n && !rc; i++) {
		struct task t;
		if ((rc = db_task_get(s->db, ids[i], &t, s->err)))
			break;
		bool gone = false; /* a closed lead's task: cancelled, no mail */
		if ((rc = closed_task(s, &t, &gone)) || gone) {
			task_free(&t);
			continue;
		}
		struct sb key = SB_INIT;
		sb_addf(&key, "late:%lld", (long long)t.id);
		if (!(rc = s->o->dry_run ? 0 : db_task_set_late(s->db, t.id, s->err)) &&
		    !(rc = task_mail(s, MK_LATE, &t, key.buf))) {
			s->c->late++;
			char due[64];
			local_time(s, t.due_at, due, sizeof due);
			say(s, "task #%lld \"%s\" (%s, lead #%lld): late, was due %s",
			    (long long)t.id, t.title, t.owner ? t.owner : "nobody",
			    (long long)t.lead_id, due);
		}
		sb_free(&key);
		task_free(&t);
	}
	free(ids);
	return rc;
}

static int due_soon(struct sw *s)
{
	int64_t *ids;
	size_t n;
	int rc = db_tasks_notify_due(s->db, s->o->now, &ids, &n, s->err);
	for (size_t i = 0; i < n && !rc; i++) {
		struct task t;
		if ((rc = db_task_get(s->db, ids[i], &t, s->err)))
			break;
		bool gone = false;
		if ((rc = closed_task(s, &t, &gone)) || gone) {
			task_free(&t);
			continue;
		}
		struct sb key = SB_INIT;
		sb_addf(&key, "due_soon:%lld:%lld", (long long)t.id, (long long)t.notify_at);
		if (!(rc = s->o->dry_run ? 0
		                         : db_task_set_notified(s->db, t.id, s->o->now, s->err)) &&
		    !(rc = task_mail(s, MK_DUE_SOON, &t, key.buf))) {
			s->c->due_soon++;
			char due[64];
			local_time(s, t.due_at, due, sizeof due);
			say(s, "task #%lld \"%s\" (%s, lead #%lld): due soon, at %s",
			    (long long)t.id, t.title, t.owner ? t.owner : "nobody",
			    (long long)t.lead_id, due);
		}
		sb_free(&key);
		task_free(&t);
	}
	free(ids);
	return rc;
}

/* ---- re-routing ---- */

static int reroute(struct sw *s)
{
	if (s->o->no_route)
		return 0;
	struct sweep_assigned *v;
	size_t n;
	int64_t cutoff;
	if (!route_reassign_cutoff(s->cfg, s->o->now, &cutoff))
		return 0; /* no rule passes leads on */
	int rc = db_sweep_assigned(s->db, cutoff, &v, &n, s->err);
	for (size_t i = 0; i < n; i++) {
		struct ldur d;
		if (rc || !route_reassign_after(s->cfg, v[i].rule, &d) ||
		    ldur_add(v[i].assigned_at, d) > s->o->now)
			continue;
		struct lead l;
		if ((rc = db_lead_by_id(s->db, v[i].id, &l, s->err)))
			continue;
		char *from = l.t[LT_OWNER] ? xstrdup(l.t[LT_OWNER]) : NULL;
		struct hook_env env = henv(s);
		env.dry_run = s->o->dry_run; /* who would get it; nothing written */
		struct route_result res;
		struct lc c = lc_of_env(&env);
		if (!(rc = route_decide_reassign(&env, &l, &res, NULL)) &&
		    !(rc = lc_route_apply(&c, &l, &res)) && res.changed) {
			struct hook_event ev = { .kind = HK_ASSIGNED, .detail = l.t[LT_OWNER] };
			if (!s->o->dry_run && !(rc = hooks_run(&env, &l, &ev)))
				rc = db_lead_update(s->db, &l, s->err);
			if (!rc) {
				s->c->rerouted++;
				char name[256];
				lead_display_name(&l, name, sizeof name);
				say(s, "lead #%lld %s: re-routed from %s to %s (rule %s)",
				    (long long)l.i[LI_ID], name, from ? from : "nobody",
				    lead_get(&l, LT_OWNER), v[i].rule);
			}
		}
		free(from);
		lead_free(&l);
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].rule);
	free(v);
	return rc;
}

/* ---- digest ---- */

struct dg {
	struct sw *s;
	struct sb today, overdue;
	int ntoday, noverdue;
};

static int digest_row(const struct task *t, void *p)
{
	struct dg *d = p;
	char due[64];
	local_time(d->s, t->due_at, due, sizeof due);
	bool over = t->due_at < d->s->o->now;
	struct sb *out = over ? &d->overdue : &d->today;
	sb_addf(out, "  #%lld  %s  %s - %s (lead #%lld)\n", (long long)t->id, due, t->title,
	        t->lead_name, (long long)t->lead_id);
	if (over)
		d->noverdue++;
	else
		d->ntoday++;
	return 0;
}

static int digests(struct sw *s)
{
	int64_t day = 0;
	int32_t secs = 0;
	if (s->tz)
		tz_local(s->tz, s->o->now, &day, &secs);
	else
		day = s->o->now / 86400;
	int64_t end = s->tz ? tz_local_to_utc(s->tz, (day + 1) * 86400) : (day + 1) * 86400;
	char date[LTIME_BUFSZ];
	ltime_fmt_date(day * 86400, date);
	int rc = 0;
	for (size_t i = 0; i < s->cfg->nteam && !rc; i++) {
		const struct member *m = &s->cfg->team[i];
		struct dg d = { .s = s };
		struct task_filter f = { .owner = m->name, .open_only = true, .due_until = end };
		rc = db_task_query(s->db, &f, digest_row, &d, s->err);
		if (!rc && d.ntoday + d.noverdue > 0) {
			struct mail_vars v = { 0 };
			mail_var(&v, "digest.date", date);
			mail_var(&v, "digest.today", d.ntoday ? d.today.buf : "  (nothing)\n");
			mail_var(&v, "digest.overdue",
			         d.noverdue ? d.overdue.buf : "  (nothing)\n");
			mail_varf(&v, "digest.count_today", "%d", d.ntoday);
			mail_varf(&v, "digest.count_overdue", "%d", d.noverdue);
			struct sb key = SB_INIT;
			sb_addf(&key, "digest:%s:%s", m->name, date);
			int before = s->c->queued;
			rc = queue(s, MK_DIGEST, key.buf, 0, m, NULL, &v);
			if (!rc && s->c->queued > before) {
				s->c->digests++;
				say(s, "digest for %s: %d due today, %d overdue", m->name, d.ntoday,
				    d.noverdue);
			}
			sb_free(&key);
			mail_vars_free(&v);
		}
		sb_free(&d.today);
		sb_free(&d.overdue);
	}
	return rc;
}

int sweep_run(struct db *db, const struct config *cfg, const struct sweep_opts *o,
              struct sweep_counts *c, struct lerr *err)
{
	struct sw s = { db, cfg, o, c, err, workflow_tz(cfg) };
	int rc;
	if ((rc = inactivity(&s)) || (rc = reroute(&s)) || (rc = reminders(&s)) ||
	    (rc = late_tasks(&s)) || (rc = due_soon(&s)) || (o->digest && (rc = digests(&s))))
		return rc;
	if (o->dry_run)
		return 0;
	char now[LTIME_BUFSZ];
	ltime_fmt(o->now, now);
	return db_state_set(db, "sweep.last", now, err);
}
