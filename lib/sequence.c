/*
 * sequence.c - the `sequences:` section, starting and stopping runs from
 * lead events, and the sweep's pass that queues due steps (sequence.h).
 */
#include "sequence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"
#include "lyaml.h"
#include "mail.h"
#include "queue.h"
#include "rules.h"
#include "tz.h"
#include "workflow.h"

/* ---- config ---- */

static const char *const placeholders[] = { "lead.*", "sender.*", "sequence.name", "unsubscribe" };

static bool tpl_ok(struct yaml_ctx *y, yaml_node_t *at, const char *tpl)
{
	char bad[80];
	if (mail_placeholders_ok(tpl, placeholders, ARRAY_LEN(placeholders), bad, sizeof bad))
		return true;
	ly_error(y, at,
	         "unknown placeholder {{%s}}: a sequence knows lead.FIELD, lead.name, "
	         "sender.name, sender.email, sequence.name and unsubscribe",
	         bad);
	return false;
}

static int h_after(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	(void)k;
	struct seq_step *s = obj;
	const char *v = ly_scalar(val);
	if (v && strcmp(v, "0") == 0) {
		memset(&s->after, 0, sizeof s->after);
		return 0;
	}
	if (!v || !bh_dur_parse(v, &s->after))
		return ly_error(y, val, "after: a duration such as 0, 2h, 2d or 1w");
	return 0;
}

static int h_tpl(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	char **out = (char **)((char *)obj + k->off);
	if (ly_str(y, val, k->key, out))
		return -1;
	return tpl_ok(y, val, *out) ? 0 : -1;
}

static const struct ly_key step_keys[] = {
	{ .key = "after", .fn = h_after },
	{ .key = "subject",
	  .fn = h_tpl,
	  .off = offsetof(struct seq_step, subject),
	  .required = true },
	{ .key = "body", .fn = h_tpl, .off = offsetof(struct seq_step, body), .required = true },
};

static int h_steps(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	(void)k;
	struct seq_def *d = obj;
	if (!ly_is_seq(val) || !ly_seq_len(val))
		return ly_error(y, val, "steps: a list of {after, subject, body}");
	d->nsteps = ly_seq_len(val);
	d->steps = xcalloc(d->nsteps, sizeof *d->steps);
	int bad = 0;
	for (size_t i = 0; i < d->nsteps; i++)
		bad |= ly_walk(y, ly_seq_at(y, val, i), "step", step_keys, ARRAY_LEN(step_keys),
		               &d->steps[i]) != 0;
	for (size_t i = 1; !bad && i < d->nsteps; i++)
		if (bh_dur_approx(&d->steps[i].after) < bh_dur_approx(&d->steps[i - 1].after))
			bad = ly_error(y, ly_seq_at(y, val, i),
			               "steps count from the start of the sequence: each `after` "
			               "must be at least the one before");
	return bad ? -1 : 0;
}

static int hm(const char *s, int32_t *out)
{
	unsigned h, m;
	char end;
	if (sscanf(s, "%2u:%2u%c", &h, &m, &end) != 2 || h > 24 || m > 59 || (h == 24 && m))
		return -1;
	*out = (int32_t)(h * 3600 + m * 60);
	return 0;
}

static int h_quiet(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	(void)k;
	struct seq_def *d = obj;
	const char *v = ly_scalar(val);
	char a[8], b[8];
	if (!v || sscanf(v, "%7[0-9:]-%7[0-9:]", a, b) != 2 || hm(a, &d->quiet_start) ||
	    hm(b, &d->quiet_end))
		return ly_error(y, val, "quiet_hours: \"HH:MM-HH:MM\" such as \"20:00-08:00\"");
	return 0;
}

static int h_on(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	(void)k;
	struct seq_def *d = obj;
	if (ly_str(y, val, "on", &d->on))
		return -1;
	if (wf_event_parse(d->on) < 0)
		return ly_error(
		    y, val, "on: '%s' is not an event (lead.received, stage.entered, ...)", d->on);
	return 0;
}

static int h_business(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	(void)k;
	struct seq_def *d = obj;
	bool b;
	if (ly_bool(y, val, "business_hours", &b))
		return -1;
	d->business = b;
	return 0;
}

static int h_cap(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	(void)k;
	struct seq_def *d = obj;
	return ly_int(y, val, "daily_cap", 0, 1000000, &d->daily_cap);
}

static int h_unsub(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	(void)k;
	struct seq_def *d = obj;
	if (ly_str(y, val, "unsubscribe", &d->unsubscribe))
		return -1;
	if (strncmp(d->unsubscribe, "https://", 8) != 0 && strncmp(d->unsubscribe, "http://", 7) &&
	    strncmp(d->unsubscribe, "mailto:", 7) != 0)
		return ly_error(y, val, "unsubscribe: an https:// URL or a mailto: address");
	return tpl_ok(y, val, d->unsubscribe) ? 0 : -1;
}

static const struct ly_key def_keys[] = {
	{ .key = "on", .fn = h_on },
	{ .key = "business_hours", .fn = h_business },
	{ .key = "quiet_hours", .fn = h_quiet },
	{ .key = "daily_cap", .fn = h_cap },
	{ .key = "unsubscribe", .fn = h_unsub },
	{ .key = "steps", .fn = h_steps, .required = true },
};

static void seq_release(struct config *cfg)
{
	struct seq_config *s = cfg->sequences;
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct seq_def *d = &s->v[i];
		for (size_t j = 0; j < d->nsteps; j++) {
			free(d->steps[j].subject);
			free(d->steps[j].body);
		}
		free(d->steps);
		free(d->name);
		free(d->on);
		free(d->unsubscribe);
	}
	free(s->v);
	free(s->src);
	free(s);
	cfg->sequences = NULL;
}

static int parse_sequences(struct yaml_ctx *y, yaml_node_t *node, struct config *cfg)
{
	seq_release(cfg);
	struct seq_config *s = xcalloc(1, sizeof *s);
	cfg->sequences = s;
	s->src = rules_yaml_echo(y, "sequences", node);
	if (ly_is_null(node))
		return 0;
	if (!ly_is_map(node))
		return ly_error(y, node, "sequences: a mapping of name -> {on, steps, ...}");
	s->n = ly_map_len(node);
	s->v = xcalloc(s->n, sizeof *s->v);
	int bad = 0;
	for (size_t i = 0; i < s->n; i++) {
		struct seq_def *d = &s->v[i];
		d->business = -1;
		const char *name = ly_scalar(ly_map_key(y, node, i));
		d->name = xstrdup(name ? name : "");
		bad |= ly_walk(y, ly_map_val(y, node, i), "sequence", def_keys, ARRAY_LEN(def_keys),
		               d) != 0;
	}
	return bad ? -1 : 0;
}

static void write_sequences(const struct config *cfg, struct sb *out)
{
	if (cfg->sequences && cfg->sequences->src)
		sb_adds(out, cfg->sequences->src);
}

void sequence_register_config(void)
{
	config_register_section("sequences", parse_sequences, write_sequences, seq_release);
}

const struct seq_def *seq_find(const struct config *cfg, const char *name)
{
	const struct seq_config *s = cfg ? cfg->sequences : NULL;
	for (size_t i = 0; s && name && i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

/* ---- timing ---- */

static int64_t step_due(const struct config *cfg, const struct seq_def *d, int64_t start,
                        size_t step)
{
	const struct bh_dur *a = &d->steps[step].after;
	if (!a->months && !a->weeks && !a->days && !a->secs)
		return start;
	bool business = d->business < 0 ? workflow_bizhours(cfg) != NULL : d->business;
	return workflow_due(cfg, start, a, business);
}

static const struct tz *zone(const struct config *cfg)
{
	const struct tz *z = workflow_tz(cfg);
	return z ? z : tz_utc();
}

/* The end of the quiet hours if t is inside them, else 0. */
static int64_t quiet_until(const struct config *cfg, const struct seq_def *d, int64_t t)
{
	if (d->quiet_start == d->quiet_end)
		return 0;
	int64_t day;
	int32_t secs;
	tz_local(zone(cfg), t, &day, &secs);
	bool in = d->quiet_start < d->quiet_end ? secs >= d->quiet_start && secs < d->quiet_end
	                                        : secs >= d->quiet_start || secs < d->quiet_end;
	if (!in)
		return 0;
	int64_t end_day = d->quiet_start < d->quiet_end || secs < d->quiet_end ? day : day + 1;
	return tz_local_to_utc(zone(cfg), end_day * 86400 + d->quiet_end);
}

/* ---- start and stop ---- */

int seq_start(struct db *db, const struct config *cfg, const struct lead *l, const char *name,
              int64_t now, int64_t *id, struct lerr *err)
{
	const struct seq_def *d = seq_find(cfg, name);
	if (!d)
		return lerr_set(err, EX_USAGE, "no sequence '%s' in the config", name);
	int64_t have;
	int rc = db_seq_running(db, l->i[LI_ID], name, &have, err);
	if (rc)
		return rc;
	if (have) {
		*id = 0;
		return lerr_set(err, EX_DATAERR,
		                "sequence '%s' is running on lead #%lld already (#%lld)", name,
		                (long long)l->i[LI_ID], (long long)have);
	}
	if ((rc = db_seq_insert(db, l->i[LI_ID], name, now, step_due(cfg, d, now, 0), id, err)))
		return rc;
	struct sb data = SB_INIT;
	sb_adds(&data, "{\"sequence\":");
	sb_add_json_str(&data, name);
	sb_addf(&data, ",\"run\":%lld}", (long long)*id);
	struct event ev = { .lead_id = l->i[LI_ID],
		            .at = now,
		            .actor = "leads",
		            .kind = "sequence_started",
		            .data = data.buf };
	rc = db_event_add(db, &ev, err);
	sb_free(&data);
	return rc;
}

/* Why event ev stops a lead's sequences, or NULL. */
static const char *stop_reason(const struct hook_event *ev)
{
	switch (ev->kind) {
	case HK_STAGE_ENTERED:
		return "stage move";
	case HK_DISCARDED:
		return "discarded";
	case HK_MEETING:
		return "meeting";
	case HK_STATUS:
		return ev->detail && strcmp(ev->detail, "unqualified") == 0 ? "unqualified" : NULL;
	case HK_ACTIVITY:
		if (!ev->detail)
			return NULL;
		if (strcmp(ev->detail, "call") == 0)
			return "call";
		if (strcmp(ev->detail, "meeting") == 0)
			return "meeting";
		if (strcmp(ev->detail, "email_replied") == 0)
			return "replied";
		return NULL;
	default:
		return NULL;
	}
}

bool seq_hook_reacts(const struct hook_event *ev)
{
	return stop_reason(ev) || wf_hook_event_name(ev);
}

int seq_hook(struct hook_env *env, struct lead *l, const struct hook_event *ev)
{
	if (env->dry_run || !l->i[LI_ID])
		return 0;
	const struct seq_config *s = env->cfg ? env->cfg->sequences : NULL;
	const char *why = stop_reason(ev);
	int rc = 0;
	if (why) {
		struct sb data = SB_INIT;
		sb_adds(&data, "{\"reason\":");
		sb_add_json_str(&data, why);
		sb_addc(&data, '}');
		rc = db_seq_stop_hook(env->db, l->i[LI_ID], why, env->now, env->actor, data.buf,
		                      env->err);
		sb_free(&data);
	}
	if (rc || !s || !s->n || env->no_events)
		return rc;
	const char *name = wf_hook_event_name(ev);
	for (size_t i = 0; !rc && name && i < s->n; i++) {
		if (!s->v[i].on || strcmp(s->v[i].on, name) != 0)
			continue;
		int64_t id;
		struct lerr e = { 0 };
		rc = seq_start(env->db, env->cfg, l, s->v[i].name, env->now, &id, &e);
		if (rc == EX_DATAERR) /* running already: an event does not restart it */
			rc = 0;
		else if (rc)
			*env->err = e;
	}
	return rc;
}

/* ---- the sweep ---- */

/* A header value part: printable ASCII only (anything else is dropped). */
static void add_ascii(struct sb *out, const char *s)
{
	for (; s && *s; s++)
		if (*s > 0x20 && *s < 0x7f && *s != '<' && *s != '>' && *s != ',')
			sb_addc(out, *s);
}

/* "addr" out of "Name <addr>" or addr. */
static void bare_addr(const char *from, char *buf, size_t n)
{
	const char *lt = strrchr(from, '<');
	const char *a = lt ? lt + 1 : from;
	size_t len = strcspn(a, ">");
	snprintf(buf, n, "%.*s", (int)len, a);
}

/* Percent-encode a URL's substituted value. */
static char *url_value(const char *s)
{
	struct sb out = SB_INIT;
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~@", *p))
			sb_addc(&out, (char)*p);
		else
			sb_addf(&out, "%%%02X", *p);
	}
	return sb_detach(&out);
}

/* The Message-ID the first step of run id went out with, for threading. */
static int first_msgid(struct db *db, const struct config *cfg, int64_t run, char *buf, size_t n,
                       struct lerr *err)
{
	*buf = '\0';
	char key[64];
	snprintf(key, sizeof key, "seq:%lld:0", (long long)run);
	int64_t id;
	char *from;
	int rc = db_seq_outbox_key(db, key, &id, &from, err);
	if (!rc && id)
		mail_message_id(id, key, from ? from : cfg->mail_from, buf, n);
	free(from);
	return rc;
}

static int stop_run(struct db *db, const struct seq_due *r, const char *why, int64_t now,
                    struct lerr *err)
{
	int rc = db_seq_stop(db, r->id, why, now, err);
	if (rc)
		return rc;
	struct sb data = SB_INIT;
	sb_adds(&data, "{\"sequence\":");
	sb_add_json_str(&data, r->name);
	sb_adds(&data, ",\"reason\":");
	sb_add_json_str(&data, why);
	sb_addc(&data, '}');
	struct event e = { .lead_id = r->lead_id,
		           .at = now,
		           .actor = "leads",
		           .kind = "sequence_stopped",
		           .data = data.buf };
	rc = db_event_add(db, &e, err);
	sb_free(&data);
	return rc;
}

/* One due step of run r. */
static int one_step(struct db *db, const struct config *cfg, const struct seq_due *r, int64_t now,
                    bool dry, struct seq_counts *cnt, struct lerr *err)
{
	const struct seq_def *d = seq_find(cfg, r->name);
	if (!d || (size_t)r->step >= d->nsteps) {
		cnt->stopped++;
		return dry ? 0
		           : stop_run(db, r, d ? "no such step" : "not in the config", now, err);
	}
	struct lead l;
	int rc = db_lead_by_id(db, r->lead_id, &l, err);
	if (rc)
		return rc;
	const char *why = NULL;
	struct mail_flags f;
	if ((rc = db_mail_flags(db, r->lead_id, &f, err))) {
		lead_free(&l);
		return rc;
	}
	if (str_empty(l.t[LT_EMAIL]))
		why = "no email";
	else if (f.do_not_email)
		why = "do not email";
	else if (f.bounced_at)
		why = "bounced";
	else if (lc_closed(cfg, lead_get(&l, LT_STAGE), lead_get(&l, LT_STATUS)))
		why = "lead closed";
	free(f.bounce);
	if (why) {
		cnt->stopped++;
		rc = dry ? 0 : stop_run(db, r, why, now, err);
		lead_free(&l);
		return rc;
	}
	/* the sender: the owner's address, else mail.from */
	const struct member *m = l.t[LT_OWNER] ? config_member(cfg, l.t[LT_OWNER]) : NULL;
	char sender[512];
	if (m && !str_empty(m->email))
		snprintf(sender, sizeof sender, "%s <%s>", m->name, m->email);
	else
		snprintf(sender, sizeof sender, "%s", cfg->mail_from);
	int64_t later = quiet_until(cfg, d, now);
	if (!later && d->daily_cap) {
		int64_t day;
		int32_t secs;
		tz_local(zone(cfg), now, &day, &secs);
		int64_t n;
		if ((rc = db_seq_sent_since(db, m && !str_empty(m->email) ? sender : NULL,
		                            tz_local_to_utc(zone(cfg), day * 86400), &n, err))) {
			lead_free(&l);
			return rc;
		}
		if (n >= d->daily_cap)
			later = tz_local_to_utc(zone(cfg), (day + 1) * 86400);
	}
	if (later) {
		cnt->deferred++;
		lead_free(&l);
		return dry ? 0 : db_seq_set_next(db, r->id, r->step, later, 0, err);
	}
	char addr[320];
	bare_addr(sender, addr, sizeof addr);
	struct mail_vars v = { 0 };
	mail_lead_vars(&v, cfg, &l);
	mail_var(&v, "sender.name", m ? m->name : sender);
	mail_var(&v, "sender.email", addr);
	mail_var(&v, "sequence.name", d->name);
	/* List-Unsubscribe: the mailto always, the URL when configured */
	struct sb h = SB_INIT, unsub = SB_INIT;
	char *url = NULL;
	if (d->unsubscribe) {
		struct mail_vars uv = { 0 };
		for (size_t i = 0; i < v.n; i++) {
			char *e = url_value(v.v[i].value);
			mail_var(&uv, v.v[i].name, e);
			free(e);
		}
		url = mail_expand(d->unsubscribe, &uv);
		mail_vars_free(&uv);
	}
	sb_adds(&h, "List-Unsubscribe: ");
	if (url) {
		sb_addc(&h, '<');
		add_ascii(&h, url);
		sb_adds(&h, ">, ");
	}
	sb_adds(&h, "<mailto:");
	add_ascii(&h, addr);
	sb_adds(&h, "?subject=unsubscribe>\n");
	if (url && strncmp(url, "https://", 8) == 0)
		sb_adds(&h, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n");
	sb_addf(&unsub, "%s", url ? url : "");
	if (!url)
		sb_addf(&unsub, "mailto:%s?subject=unsubscribe", addr);
	mail_var(&v, "unsubscribe", unsub.buf);
	char thread[256] = "";
	if (r->step > 0 && (rc = first_msgid(db, cfg, r->id, thread, sizeof thread, err)))
		goto out;
	if (*thread)
		sb_addf(&h, "In-Reply-To: %s\nReferences: %s\n", thread, thread);
	char *subject = mail_expand(d->steps[r->step].subject, &v);
	char *body = mail_expand(d->steps[r->step].body, &v);
	char key[64];
	snprintf(key, sizeof key, "seq:%lld:%lld", (long long)r->id, (long long)r->step);
	int queued = 0;
	struct mail_new mn = { .kind = "sequence",
		               .idem_key = key,
		               .lead_id = r->lead_id,
		               .rcpt = l.t[LT_EMAIL],
		               .subject = subject,
		               .body = body,
		               .sender = m && !str_empty(m->email) ? sender : NULL,
		               .headers = h.buf };
	if (!dry)
		rc = mail_queue(db, &mn, now, &queued, err);
	if (!rc) {
		cnt->sent++;
		size_t next = (size_t)r->step + 1;
		if (!dry && next < d->nsteps) {
			int64_t due = step_due(cfg, d, r->started_at, next);
			rc = db_seq_set_next(db, r->id, (int64_t)next, due > now ? due : now, 0,
			                     err);
		} else if (!dry)
			rc = db_seq_set_next(db, r->id, (int64_t)next, 0, now, err);
	}
	if (!rc && !dry) {
		struct sb data = SB_INIT;
		sb_adds(&data, "{\"sequence\":");
		sb_add_json_str(&data, d->name);
		sb_addf(&data, ",\"step\":%lld,\"subject\":", (long long)r->step + 1);
		sb_add_json_str(&data, subject);
		sb_addc(&data, '}');
		struct event e = { .lead_id = r->lead_id,
			           .at = now,
			           .actor = "leads",
			           .kind = "sequence_sent",
			           .data = data.buf };
		rc = db_event_add(db, &e, err);
		sb_free(&data);
	}
	free(subject);
	free(body);
out:
	free(url);
	sb_free(&h);
	sb_free(&unsub);
	mail_vars_free(&v);
	lead_free(&l);
	return rc;
}

int seq_sweep(struct db *db, const struct config *cfg, int64_t now, bool dry, const char *actor,
              struct seq_counts *cnt, struct lerr *err)
{
	(void)actor;
	/* the due runs first, then one step each: a run never sends two at once */
	struct seq_due *v;
	size_t n;
	int rc = db_seq_due(db, now, &v, &n, err);
	for (size_t i = 0; i < n && !rc; i++)
		rc = one_step(db, cfg, &v[i], now, dry, cnt, err);
	seq_due_free(v, n);
	return rc;
}
