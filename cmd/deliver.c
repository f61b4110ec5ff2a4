/* deliver.c - outbox delivery for sweep and outbox retry (deliver.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver.h"
#include "intake.h"

bool deliver_timeout(struct ctx *c, const char *s, int *ms, int *rc)
{
	*ms = MAIL_TIMEOUT_MS;
	if (!s)
		return true;
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0) || v > 3600) {
		*rc =
		    usage_error(c, "bad --timeout '%s' (seconds, more than 0 and at most 3600)", s);
		return false;
	}
	*ms = (int)(v * 1000);
	if (*ms < 1)
		*ms = 1;
	return true;
}

static void report(void *ctx, int64_t id, const char *rcpt, const char *subject, const char *status,
                   const char *error)
{
	struct ctx *c = ctx;
	(void)subject;
	if (strcmp(status, "sent") == 0) {
		if (c->verbose)
			note(c, "message #%lld to %s: sent", (long long)id, rcpt);
		return;
	}
	/* a failure is reported even with -q: cron mails it to someone */
	if (strcmp(status, "unknown") == 0) {
		out_tprintf(stderr,
		            "leads %s: message #%lld to %s may have been sent: %s (not sent again; "
		            "see the mail log, then: leads outbox retry %lld)\n",
		            c->cmd->name, (long long)id, rcpt, error ? error : "?", (long long)id);
		return;
	}
	out_tprintf(stderr, "leads %s: message #%lld to %s not sent: %s (%s)\n", c->cmd->name,
	            (long long)id, rcpt, error ? error : "?",
	            strcmp(status, "failed") == 0 ? "gave up; see leads outbox list"
	                                          : "will retry");
}

/* {{pixel_url}} in a body: the signed opens pixel of this message when
 * intake.opens is on, else nothing (leads-intake(1)). */
static char *pixel_body(void *ctx, int64_t id, const char *body)
{
	static const char ph[] = "{{pixel_url}}";
	if (!body || !strstr(body, ph))
		return NULL;
	struct ctx *c = ctx;
	struct lerr e = { 0 };
	char *url = intake_pixel_url(c->cfg, id, &e);
	if (!url && e.msg[0])
		note(c, "message #%lld: no opens pixel: %s", (long long)id, e.msg);
	struct sb out = SB_INIT;
	for (const char *p = body, *q; *p; p = q + sizeof ph - 1) {
		if (!(q = strstr(p, ph))) {
			sb_adds(&out, p);
			break;
		}
		sb_add(&out, p, (size_t)(q - p));
		sb_adds(&out, url ? url : "");
	}
	free(url);
	return sb_detach(&out);
}

int deliver_outbox(struct ctx *c, int64_t only_id, bool force, int timeout_ms,
                   struct mail_counts *mc)
{
	struct mail_deliver_opts o = { .from = c->cfg->mail_from,
		                       .sendmail = c->cfg->mail_sendmail,
		                       .timeout_ms = timeout_ms,
		                       .only_id = only_id,
		                       .force = force,
		                       .report = report,
		                       .ctx = c,
		                       .body_at_send = pixel_body };
	if (mail_deliver(c->db, &o, c->now, mc, &c->err))
		return fail_err(c);
	return 0;
}
