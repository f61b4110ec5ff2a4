/* deliver.c - outbox delivery for sweep and outbox retry (deliver.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver.h"

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

int deliver_outbox(struct ctx *c, int64_t only_id, bool force, int timeout_ms,
                   struct mail_counts *mc)
{
	struct mail_deliver_opts o = { .from = c->cfg->mail_from,
		                       .sendmail = c->cfg->mail_sendmail,
		                       .timeout_ms = timeout_ms,
		                       .only_id = only_id,
		                       .force = force,
		                       .report = report,
		                       .ctx = c };
	if (mail_deliver(c->db, &o, c->now, mc, &c->err))
		return fail_err(c);
	return 0;
}
