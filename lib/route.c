/*
 * route.c - the routing engine (see route.h): rule evaluation, pools,
 * and the decision (member, rule, rotation step) that lib/lifecycle.c
 * applies; the assignment mails' wording. The `routing:` section is read
 * by lib/config_rules.c.
 */
#include "route.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "config_rules.h"
#include "lifecycle.h"
#include "queue.h"
#include "rules.h"
#include "workflow.h"

static const struct route_config *rc_of(const struct config *cfg)
{
	return cfg && cfg->rules ? cfg->rules->route : NULL;
}

bool route_configured(const struct config *cfg)
{
	const struct route_config *rc = rc_of(cfg);
	return rc && rc->main.n > 0;
}

bool route_uses_activity(const struct config *cfg)
{
	const struct route_config *rc = rc_of(cfg);
	if (!rc)
		return false;
	for (size_t i = 0; i < rc->main.n; i++)
		if (cond_uses_activity(rc->main.r[i].when))
			return true;
	for (size_t j = 0; j < rc->nrouters; j++)
		for (size_t i = 0; i < rc->routers[j].n; i++)
			if (cond_uses_activity(rc->routers[j].r[i].when))
				return true;
	return false;
}

/* src into dst[n], cut like snprintf("%s") would */
static void copy_str(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* ---- open leads per member, counted once per process ---- */

/*
 * Capacity and least_loaded need each member's open leads. A bulk command
 * routes many leads in one process and one transaction, so each member is
 * counted once (an indexed query) and then kept up to date as this
 * process assigns; other writers wait for our transaction, so the counts
 * cannot go stale under us.
 */
static struct {
	const struct db *db;
	const struct config *cfg;
	int64_t *n;
	bool *known;
} load;

static int open_count(struct hook_env *env, const struct member *m, int64_t *out)
{
	const struct config *cfg = env->cfg;
	if (load.db != env->db || load.cfg != cfg) {
		free(load.n);
		free(load.known);
		load.db = env->db;
		load.cfg = cfg;
		load.n = xcalloc(cfg->nteam + 1, sizeof *load.n);
		load.known = xcalloc(cfg->nteam + 1, sizeof *load.known);
	}
	size_t i = (size_t)(m - cfg->team);
	if (!load.known[i]) {
		int rc = db_route_open_count(env->db, m->name, &load.n[i], env->err);
		if (rc)
			return rc;
		load.known[i] = true;
	}
	*out = load.n[i];
	return 0;
}

static bool lead_open(const struct config *cfg, const struct lead *l)
{
	const struct stage *st = l->t[LT_STAGE] ? config_stage(cfg, l->t[LT_STAGE]) : NULL;
	return st && st->grp == GRP_ACTIVE && strcmp(lead_get(l, LT_STATUS), "unqualified") != 0;
}

void route_owner_moved(const struct config *cfg, const struct lead *l, const char *from,
                       const char *to)
{
	if (load.cfg != cfg || !lead_open(cfg, l))
		return;
	const struct member *a = config_member(cfg, from), *b = config_member(cfg, to);
	if (a && load.known[a - cfg->team])
		load.n[a - cfg->team]--;
	if (b && load.known[b - cfg->team])
		load.n[b - cfg->team]++;
}

/* ---- rotation cursors: read here, advanced by the lifecycle ---- */

void route_bulk_begin(void)
{
	lc_bulk_begin();
}

int route_bulk_end(struct hook_env *env)
{
	return lc_bulk_end(env);
}

/* ---- choosing ---- */

struct run {
	struct hook_env *env;
	const struct lead *l;
	struct cond_env *ce;
	struct sb *ex;
	const char *skip; /* route_reassign: never the current owner */
	/* the main set's matches, computed ahead (route_new_lead_matches), or NULL */
	const uint64_t *mask;
	const struct rset *mask_set;
};

/* Can m take a lead? On no, why says why not, when explaining (rn->ex). */
static int available(struct run *rn, const struct member *m, bool *ok, struct sb *why)
{
	*ok = false;
	if (!rn->ex)
		why = NULL; /* no reasons formatted for nobody to read */
	if (rn->skip && str_ieq(rn->skip, m->name)) {
		if (why)
			sb_addf(why, "%s%s owns it now", why->len ? "; " : "", m->name);
		return 0;
	}
	if (m->away) {
		if (why)
			sb_addf(why, "%s%s is away", why->len ? "; " : "", m->name);
		return 0;
	}
	if (m->capacity > 0) {
		int64_t n;
		int rc = open_count(rn->env, m, &n);
		if (rc)
			return rc;
		if (n >= m->capacity) {
			if (why)
				sb_addf(why, "%s%s is at capacity (%" PRId64 " open, capacity %d)",
				        why->len ? "; " : "", m->name, n, m->capacity);
			return 0;
		}
	}
	*ok = true;
	return 0;
}

static void pool_text(const struct rrule *r, struct sb *out)
{
	sb_adds(out, r->pick == PICK_ROUND_ROBIN ? "round_robin" : "least_loaded");
	sb_adds(out, " [");
	for (size_t i = 0; i < r->npool; i++) {
		if (i)
			sb_adds(out, ", ");
		sb_adds(out, r->pool[i]->name);
		if (r->weighted)
			sb_addf(out, " x%d", r->weight[i]);
	}
	sb_adds(out, "]");
}

static int pick_round_robin(struct run *rn, const struct rrule *r, const struct member **out,
                            struct sb *why, int64_t *cursor_to)
{
	int64_t cur = lc_cursor(rn->env->db, r->cursor, rn->env->dry_run);
	int rc;
	for (size_t k = 0; k < r->nslots; k++) {
		int64_t pos = (cur + (int64_t)k) % (int64_t)r->nslots;
		const struct member *m = r->pool[r->slots[pos]];
		bool ok;
		/* each member is explained once even if it holds several slots */
		struct sb one = SB_INIT;
		if ((rc = available(rn, m, &ok, &one))) {
			sb_free(&one);
			return rc;
		}
		if (!ok && rn->ex && !strstr(sb_str(why), sb_str(&one)))
			sb_addf(why, "%s%s", why->len ? "; " : "", one.buf);
		sb_free(&one);
		if (ok) {
			*out = m;
			if (rn->ex)
				sb_addf(why, "%sslot %" PRId64 " of %zu", why->len ? "; " : "",
				        pos + 1, r->nslots);
			*cursor_to = cur + (int64_t)k + 1;
			return 0;
		}
	}
	*out = NULL;
	return 0;
}

static int pick_least_loaded(struct run *rn, const struct rrule *r, const struct member **out,
                             struct sb *why)
{
	const struct member *best = NULL;
	double best_load = 0;
	struct sb loads = SB_INIT;
	for (size_t i = 0; i < r->npool; i++) {
		const struct member *m = r->pool[i];
		bool ok;
		int rc = available(rn, m, &ok, why);
		if (rc) {
			sb_free(&loads);
			return rc;
		}
		if (!ok)
			continue;
		int64_t n;
		if ((rc = open_count(rn->env, m, &n))) {
			sb_free(&loads);
			return rc;
		}
		double ld = (double)n / r->weight[i];
		if (rn->ex)
			sb_addf(&loads, "%s%s %" PRId64, loads.len ? ", " : "", m->name, n);
		if (!best || ld < best_load) {
			best = m;
			best_load = ld;
		}
	}
	if (best && rn->ex)
		sb_addf(why, "%sopen leads: %s", why->len ? "; " : "", loads.buf);
	sb_free(&loads);
	*out = best;
	return 0;
}

static int run_set(struct run *rn, const struct route_config *rc, const struct rset *set,
                   struct route_result *res, int indent, bool *nobody);

/* One rule that matched: 1 if it decided (res filled), 0 to go on, or an error code > 1. */
static int apply_rule(struct run *rn, const struct route_config *rc, const struct rrule *r,
                      struct route_result *res, int indent, bool *nobody)
{
	struct sb why = SB_INIT;
	const struct member *m = NULL;
	int64_t cursor_to = 0;
	int rc_ = 0;
	switch (r->pick) {
	case PICK_UNASSIGNED:
		res->outcome = RO_UNASSIGNED;
		snprintf(res->rule, sizeof res->rule, "%s", r->full);
		snprintf(res->reason, sizeof res->reason, "rule '%s' leaves it unassigned",
		         r->full);
		return 1;
	case PICK_ROUTER: {
		const struct rset *sub = &rc->routers[r->router];
		if (rn->ex)
			sb_addf(rn->ex, "%*s%s's router:\n", indent + 2, "", sub->owner->name);
		bool sub_nobody = false;
		int got = run_set(rn, rc, sub, res, indent + 4, &sub_nobody);
		if (got != 0)
			return got;
		*nobody = *nobody || sub_nobody;
		if (rn->ex)
			sb_addf(rn->ex, "%*s%s's router decided nothing; next rule\n", indent + 2,
			        "", sub->owner->name);
		return 0;
	}
	case PICK_MEMBER: {
		bool ok;
		rc_ = available(rn, r->member, &ok, &why);
		if (ok)
			m = r->member;
		break;
	}
	case PICK_ROUND_ROBIN:
		rc_ = pick_round_robin(rn, r, &m, &why, &cursor_to);
		break;
	case PICK_LEAST_LOADED:
		rc_ = pick_least_loaded(rn, r, &m, &why);
		break;
	}
	if (rc_) {
		sb_free(&why);
		return rc_ > 1 ? rc_ : EX_SOFTWARE;
	}
	if (rn->ex && r->pick != PICK_MEMBER) {
		sb_addf(rn->ex, "%*s", indent + 2, "");
		pool_text(r, rn->ex);
		sb_addf(rn->ex, "%s%s%s\n", why.len ? ": " : "", sb_str(&why),
		        m ? "" : "; nobody available, next rule");
	} else if (rn->ex && !m) {
		sb_addf(rn->ex, "%*s%s; next rule\n", indent + 2, "", sb_str(&why));
	}
	sb_free(&why);
	if (!m) {
		*nobody = true;
		return 0;
	}
	res->outcome = RO_ASSIGNED;
	res->member = m;
	copy_str(res->rule, sizeof res->rule, r->full);
	if (r->pick == PICK_ROUND_ROBIN) {
		res->cursor = r->cursor;
		res->cursor_to = cursor_to;
	}
	const char *owner = rn->l->t[LT_OWNER];
	res->changed = !owner || !str_ieq(owner, m->name);
	return 1;
}

static int run_set(struct run *rn, const struct route_config *rc, const struct rset *set,
                   struct route_result *res, int indent, bool *nobody)
{
	struct sb why = SB_INIT;
	for (size_t i = 0; i < set->n; i++) {
		const struct rrule *r = &set->r[i];
		sb_reset(&why);
		bool match = rn->mask && set == rn->mask_set && !rn->ex
		                 ? (*rn->mask >> i) & 1
		                 : cond_eval(r->when, rn->ce, rn->ex ? &why : NULL);
		if (rn->ex)
			sb_addf(rn->ex, "%*srule %zu '%s': %s: %s\n", indent, "", i + 1, r->name,
			        match ? "matched" : "no match", sb_str(&why));
		if (!match)
			continue;
		int got = apply_rule(rn, rc, r, res, indent, nobody);
		if (got != 0) {
			sb_free(&why);
			return got;
		}
	}
	sb_free(&why);
	return 0;
}

/* ---- assignment ---- */

/* Decimal digits of v into buf (at least width, zero-padded); returns buf. */
static const char *digits(int64_t v, int width, char buf[24])
{
	char tmp[24];
	int n = 0;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n < width && n < 20)
		tmp[n++] = '0';
	int k = 0;
	if (v < 0)
		buf[k++] = '-';
	while (n)
		buf[k++] = tmp[--n];
	buf[k] = '\0';
	return buf;
}

/* (plain appends, no printf: a bulk run writes a mail per lead) */
static int assign_mail(struct hook_env *env, const struct lead *l, const struct member *to,
                       const char *rule, const char *subject, const char *intro)
{
	char name[256], d[24];
	lead_display_name(l, name, sizeof name);
	struct sb subj = SB_INIT, body = SB_INIT, key = SB_INIT;
	const struct mail_templates *tpl = workflow_templates(env->cfg);
	if (tpl && (tpl->t[MK_ASSIGNMENT].subject || tpl->t[MK_ASSIGNMENT].body)) {
		/* the config's own words (mail: templates: assignment:) */
		struct mail_vars v = { 0 };
		mail_lead_vars(&v, env->cfg, l);
		mail_var(&v, "rep.name", to->name);
		mail_var(&v, "rep.email", to->email);
		mail_var(&v, "assignment.rule", rule);
		char *s = NULL, *b = NULL;
		mail_compose(tpl, MK_ASSIGNMENT, &v, &s, &b);
		mail_vars_free(&v);
		subject = NULL;
		sb_adds(&subj, s);
		sb_adds(&body, b);
		free(s);
		free(b);
	}
	if (subject) {
		sb_adds(&subj, subject);
		sb_adds(&subj, ": ");
		sb_adds(&subj, name);
		if (l->t[LT_COMPANY] && strcmp(name, l->t[LT_COMPANY]) != 0) {
			sb_adds(&subj, " (");
			sb_adds(&subj, l->t[LT_COMPANY]);
			sb_addc(&subj, ')');
		}
		sb_adds(&body, "Hello ");
		sb_adds(&body, to->name);
		sb_adds(&body, ",\n\n");
		sb_adds(&body, intro);
		sb_adds(&body, "\n\n");
		rules_lead_details(env->cfg, l, &body);
	}
	/* the id zero-padded: a bulk run then appends to the outbox's unique index */
	sb_adds(&key, "assign:");
	sb_adds(&key, digits(l->i[LI_ID], 12, d));
	sb_addc(&key, ':');
	sb_adds(&key, digits(env->now, 0, d));
	sb_addc(&key, ':');
	sb_adds(&key, to->name);
	struct mail_new m = { .kind = "assignment",
		              .idem_key = key.buf,
		              .lead_id = l->i[LI_ID],
		              .rcpt = to->email,
		              .subject = subj.buf,
		              .body = body.buf };
	int queued;
	int rc = mail_queue(env->db, &m, env->now, &queued, env->err);
	sb_free(&subj);
	sb_free(&body);
	sb_free(&key);
	return rc;
}

/* The mail a new owner gets for one lead routed to them. */
static int new_lead_mail(struct hook_env *env, const struct lead *l, const struct member *m,
                         const char *rule)
{
	char name[256], d[24];
	lead_display_name(l, name, sizeof name);
	struct sb intro = SB_INIT;
	sb_adds(&intro, "Lead #");
	sb_adds(&intro, digits(l->i[LI_ID], 0, d));
	sb_addc(&intro, ' ');
	sb_adds(&intro, name);
	sb_adds(&intro, " is yours now (routing rule '");
	sb_adds(&intro, rule);
	sb_adds(&intro, "').");
	int rc = assign_mail(env, l, m, rule, "New lead", intro.buf);
	sb_free(&intro);
	return rc;
}

int route_owner_mail(struct hook_env *env, const struct lead *l, const struct member *m,
                     const char *from)
{
	char name[256];
	lead_display_name(l, name, sizeof name);
	struct sb intro = SB_INIT;
	sb_addf(&intro, "Lead #%lld %s is yours now: %s gave it to you", (long long)l->i[LI_ID],
	        name, env->actor ? env->actor : "someone");
	if (!str_empty(from))
		sb_addf(&intro, " (it was %s's)", from);
	sb_addc(&intro, '.');
	int rc = assign_mail(env, l, m, "by hand", "Lead assigned to you", intro.buf);
	sb_free(&intro);
	return rc;
}

/* ---- assignment digests (bulk runs) ---- */

/*
 * A bulk run (route_bulk_begin) does not mail each assignment: a member
 * who got 100,000 leads from `route --all` wants one message, not 100,000.
 * Per member it keeps the count, the first DIGEST_LIST leads as lines of
 * the digest (the rest are only counted, so memory stays bounded) and a
 * copy of the first lead as it was assigned. route_bulk_end then queues,
 * per member in the order they got their first lead, either the very
 * mail a single assignment sends (one lead) or one digest (several).
 */
#define DIGEST_LIST 50

static struct {
	const struct config *cfg;
	struct digest {
		int64_t count;
		char *line[DIGEST_LIST]; /* "#12 Ana Lima (Acme) — rule 'east'" */
		size_t nlines;
		struct lead first; /* the first lead, as it was when assigned */
		char *rule;        /* the rule that assigned it */
	} * d;                     /* per team member */
	size_t *order;             /* team indexes, in order of their first lead */
	size_t norder;
	int64_t now; /* the run's time: what the per-lead mails would have used */
} dig;

static void digest_add(const struct hook_env *env, const struct lead *l, const struct member *m,
                       const char *rule)
{
	const struct config *cfg = env->cfg;
	if (!dig.d) {
		dig.cfg = cfg;
		dig.d = xcalloc(cfg->nteam + 1, sizeof *dig.d);
		dig.order = xcalloc(cfg->nteam + 1, sizeof *dig.order);
		dig.norder = 0;
		dig.now = env->now;
	}
	size_t i = (size_t)(m - cfg->team);
	struct digest *d = &dig.d[i];
	if (d->count++ == 0) {
		dig.order[dig.norder++] = i;
		rules_lead_copy(&d->first, l);
		d->rule = xstrdup(rule);
	}
	if (d->nlines == DIGEST_LIST)
		return;
	char name[256];
	lead_display_name(l, name, sizeof name);
	const char *co = l->t[LT_COMPANY];
	struct sb line = SB_INIT;
	sb_addf(&line, "#%" PRId64 " %s", l->i[LI_ID], name);
	if (!str_empty(co) && strcmp(co, name) != 0)
		sb_addf(&line, " (%s)", co);
	sb_addf(&line, " \u2014 rule '%s'", rule);
	d->line[d->nlines++] = sb_detach(&line);
}

/* word quoted for a POSIX shell when it needs it */
static void shell_word(struct sb *out, const char *w)
{
	if (*w && strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	                    "@%+=:,./-_") == strlen(w)) {
		sb_adds(out, w);
		return;
	}
	sb_addc(out, '\'');
	for (; *w; w++) {
		if (*w == '\'')
			sb_adds(out, "'\\''");
		else
			sb_addc(out, *w);
	}
	sb_addc(out, '\'');
}

static int digest_mail(struct hook_env *env, const struct member *m, const struct digest *d)
{
	struct mail_vars v = { 0 };
	mail_var(&v, "rep.name", m->name);
	mail_var(&v, "rep.email", m->email);
	mail_varf(&v, "digest.count", "%" PRId64, d->count);
	struct sb sb = SB_INIT;
	for (size_t i = 0; i < d->nlines; i++) {
		sb_adds(&sb, d->line[i]);
		sb_addc(&sb, '\n');
	}
	int64_t more = d->count - (int64_t)d->nlines;
	if (more > 0)
		sb_addf(&sb, "and %" PRId64 " more\n", more);
	mail_var(&v, "digest.leads", sb.buf);
	mail_varf(&v, "digest.more", "%" PRId64, more);
	sb_reset(&sb);
	sb_adds(&sb, "leads list --owner ");
	shell_word(&sb, m->name);
	mail_var(&v, "digest.command", sb.buf);
	char *subject = NULL, *body = NULL;
	mail_compose(workflow_templates(env->cfg), MK_ASSIGNMENT_DIGEST, &v, &subject, &body);
	mail_vars_free(&v);
	/* the run's time and its first lead: two runs in one second never collide */
	char id[24];
	sb_reset(&sb);
	sb_addf(&sb, "assign-digest:%" PRId64 ":%s:%s", env->now, m->name,
	        digits(d->first.i[LI_ID], 12, id));
	/* linked to its first lead: import --revert takes back the digest of its batch */
	struct mail_new mn = { .kind = mail_kind_name(MK_ASSIGNMENT_DIGEST),
		               .idem_key = sb.buf,
		               .lead_id = d->first.i[LI_ID],
		               .rcpt = m->email,
		               .subject = subject,
		               .body = body };
	int queued;
	int rc = mail_queue(env->db, &mn, env->now, &queued, env->err);
	sb_free(&sb);
	free(subject);
	free(body);
	return rc;
}

int route_owner_digest(struct hook_env *env, const struct lead *l, const struct member *m,
                       const char *why)
{
	if (env->dry_run || str_empty(m->email))
		return 0;
	if (lc_in_bulk()) {
		digest_add(env, l, m, why);
		return 0;
	}
	return new_lead_mail(env, l, m, why);
}

int route_digest_flush(struct hook_env *env)
{
	int rc = 0;
	if (!dig.d)
		return 0;
	struct hook_env e = *env;
	e.cfg = dig.cfg;
	e.now = dig.now;
	for (size_t k = 0; k < dig.norder; k++) {
		size_t i = dig.order[k];
		struct digest *d = &dig.d[i];
		const struct member *m = &dig.cfg->team[i];
		if (!rc && !env->dry_run)
			rc = d->count == 1 ? new_lead_mail(&e, &d->first, m, d->rule)
			                   : digest_mail(&e, m, d);
		for (size_t j = 0; j < d->nlines; j++)
			free(d->line[j]);
		lead_free(&d->first);
		free(d->rule);
	}
	free(dig.d);
	free(dig.order);
	memset(&dig, 0, sizeof dig);
	return rc;
}

int route_assign_mail(struct hook_env *env, const struct lead *l, const struct route_result *d,
                      const char *from)
{
	const struct member *m = d->member;
	if (!d->why[0]) {
		/* routed by a rule: one mail now, or one per member at the end of a
		 * bulk run */
		if (lc_in_bulk()) {
			digest_add(env, l, m, d->rule);
			return 0;
		}
		return new_lead_mail(env, l, m, d->rule);
	}
	/* passed on (reassign_after): both owners hear of it, always per lead */
	char name[256];
	lead_display_name(l, name, sizeof name);
	struct sb intro = SB_INIT;
	sb_addf(&intro, "Lead #%" PRId64 " %s is yours now: it was %s's, and %s.", l->i[LI_ID],
	        name, from ? from : "nobody", d->why);
	int rc = assign_mail(env, l, m, d->rule, "Lead passed on to you", intro.buf);
	if (!rc && from) {
		const struct member *prev = config_member(env->cfg, from);
		if (prev) {
			sb_reset(&intro);
			sb_addf(&intro, "Lead #%" PRId64 " %s was passed on to %s: %s.",
			        l->i[LI_ID], name, m->name, d->why);
			rc = assign_mail(env, l, prev, d->rule, "Lead passed on to someone else",
			                 intro.buf);
		}
	}
	sb_free(&intro);
	return rc;
}

static void outcome_line(const struct lead *l, const struct route_result *res, struct sb *ex)
{
	if (!ex)
		return;
	if (res->outcome == RO_ASSIGNED)
		sb_addf(ex, "  -> %s (rule '%s')%s\n", res->member->name, res->rule,
		        res->changed ? "" : ", unchanged");
	else
		sb_addf(ex, "  -> %s: %s\n", l->t[LT_OWNER] ? "keeps its owner" : "unassigned",
		        res->reason);
}

int route_decide(struct hook_env *env, const struct lead *l, struct act_src *acts,
                 struct route_result *res, struct sb *explain)
{
	memset(res, 0, sizeof *res);
	const struct route_config *rc = rc_of(env->cfg);
	struct act_src own;
	act_src_init(&own, env->db);
	struct cond_env ce = { .l = l, .cfg = env->cfg, .now = env->now };
	act_env(&ce, acts ? acts : &own);
	struct run rn = { .env = env, .l = l, .ce = &ce, .ex = explain };
	if (rc && env->route_mask) {
		rn.mask = env->route_mask;
		rn.mask_set = &rc->main;
	}
	bool saw_nobody = false;
	int got = rc ? run_set(&rn, rc, &rc->main, res, 2, &saw_nobody) : 0;
	struct act_src *src = acts ? acts : &own;
	int ret = 0;
	if (src->rc) {
		ret = lerr_set(env->err, src->err.code, "%s", src->err.msg);
		goto out;
	}
	if (got > 1) {
		ret = got;
		goto out;
	}
	if (got == 0) {
		res->outcome = saw_nobody ? RO_NOBODY : RO_NO_MATCH;
		snprintf(res->reason, sizeof res->reason, "%s",
		         saw_nobody ? "every member the matching rules name is away or at capacity"
		                    : "no routing rule matched");
	}
	outcome_line(l, res, explain);
out:
	act_list_free(&own.list);
	return ret;
}

bool route_new_lead_matches(const struct config *cfg, const struct lead *l, int64_t now,
                            struct cond_cache *cc, uint64_t *mask)
{
	const struct route_config *rc = rc_of(cfg);
	if (!rc || l->t[LT_OWNER] || rc->main.n > 64)
		return false;
	struct act_src none;
	struct cond_env ce = { .l = l, .cfg = cfg, .now = now };
	act_env_new(&ce, &none, l->i[LI_ID]);
	ce.cache = cc;
	*mask = 0;
	for (size_t i = 0; i < rc->main.n; i++)
		if (cond_eval(rc->main.r[i].when, &ce, NULL))
			*mask |= (uint64_t)1 << i;
	act_list_free(&none.list);
	return none.rc == 0;
}

bool route_wanted(const struct hook_env *env, const struct lead *l, const struct hook_event *ev)
{
	return ev->kind == HK_RECEIVED && !env->no_route && !l->t[LT_OWNER] &&
	       route_configured(env->cfg);
}

/* ---- reassign_after ---- */

static const struct rrule *find_rule(const struct config *cfg, const char *full)
{
	const struct route_config *rc = rc_of(cfg);
	if (!rc || !full)
		return NULL;
	for (size_t i = 0; i < rc->main.n; i++)
		if (str_ieq(rc->main.r[i].full, full))
			return &rc->main.r[i];
	for (size_t j = 0; j < rc->nrouters; j++)
		for (size_t i = 0; i < rc->routers[j].n; i++)
			if (str_ieq(rc->routers[j].r[i].full, full))
				return &rc->routers[j].r[i];
	return NULL;
}

bool route_reassign_after(const struct config *cfg, const char *rule, struct ldur *out)
{
	const struct rrule *r = find_rule(cfg, rule);
	if (!r || !r->has_reassign)
		return false;
	*out = r->reassign_after;
	return true;
}

static void rset_cutoff(const struct rset *set, int64_t now, bool *any, int64_t *cutoff)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct rrule *r = &set->r[i];
		if (!r->has_reassign)
			continue;
		/* ldur_sub is not quite ldur_add's inverse where a month end clamped */
		int64_t t =
		    ldur_sub(now, r->reassign_after) + (r->reassign_after.months ? 4 * 86400 : 0);
		if (!*any || t > *cutoff)
			*cutoff = t;
		*any = true;
	}
}

bool route_reassign_cutoff(const struct config *cfg, int64_t now, int64_t *cutoff)
{
	const struct route_config *rc = rc_of(cfg);
	bool any = false;
	if (!rc)
		return false;
	rset_cutoff(&rc->main, now, &any, cutoff);
	for (size_t j = 0; j < rc->nrouters; j++)
		rset_cutoff(&rc->routers[j], now, &any, cutoff);
	return any;
}

int route_decide_reassign(struct hook_env *env, const struct lead *l, struct route_result *res,
                          struct sb *explain)
{
	memset(res, 0, sizeof *res);
	const struct rrule *r = find_rule(env->cfg, l->t[LT_ASSIGNED_RULE]);
	if (!r || !r->has_reassign) {
		res->outcome = RO_NO_MATCH;
		snprintf(res->reason, sizeof res->reason, "rule '%s' has no reassign_after",
		         lead_get(l, LT_ASSIGNED_RULE));
		return 0;
	}
	struct cond_env ce = { .l = l, .cfg = env->cfg, .now = env->now };
	struct run rn = { .env = env, .l = l, .ce = &ce, .ex = explain, .skip = l->t[LT_OWNER] };
	bool saw_nobody = false;
	int got = apply_rule(&rn, rc_of(env->cfg), r, res, 2, &saw_nobody);
	if (got > 1)
		return got;
	if (got == 0) {
		res->outcome = RO_NOBODY;
		snprintf(res->reason, sizeof res->reason,
		         "nobody else in the pool of rule '%s' is available", r->full);
		outcome_line(l, res, explain);
		return 0;
	}
	char ago[LTIME_BUFSZ];
	ldur_fmt(r->reassign_after, ago);
	snprintf(res->why, sizeof res->why, "no activity within %s", ago);
	outcome_line(l, res, explain);
	return 0;
}

void route_each_rule(const struct config *cfg,
                     void (*fn)(const struct route_rule_view *r, void *ctx), void *ctx)
{
	static const char *const picks[] = { [PICK_MEMBER] = "member",
		                             [PICK_ROUND_ROBIN] = "round_robin",
		                             [PICK_LEAST_LOADED] = "least_loaded",
		                             [PICK_ROUTER] = "router",
		                             [PICK_UNASSIGNED] = "unassigned" };
	const struct route_config *rc = cfg && cfg->rules ? cfg->rules->route : NULL;
	if (!rc)
		return;
	for (size_t s = 0; s <= rc->nrouters; s++) {
		const struct rset *set = s == 0 ? &rc->main : &rc->routers[s - 1];
		for (size_t i = 0; i < set->n; i++) {
			const struct rrule *r = &set->r[i];
			struct route_rule_view v = {
				.name = r->name,
				.router_of = set->owner ? set->owner->name : NULL,
				.conditional = r->when != NULL,
				.pick = picks[r->pick],
			};
			if (r->pick == PICK_MEMBER && r->member)
				v.member = r->member->name;
			if (r->pick == PICK_ROUTER && r->router < rc->nrouters &&
			    rc->routers[r->router].owner)
				v.member = rc->routers[r->router].owner->name;
			if (r->pick == PICK_ROUND_ROBIN || r->pick == PICK_LEAST_LOADED) {
				v.pool = r->pool;
				v.npool = r->npool;
			}
			fn(&v, ctx);
		}
	}
}
