/*
 * sequence.c - `leads sequence list|show|start|stop`: the follow-up mail
 * runs on leads (lib/sequence.h). The sweep sends their due steps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "pager.h"
#include "ltime.h"
#include "mail.h"
#include "sequence.h"

enum { S_ALL };
const struct opt opts_sequence[] = {
	[S_ALL] = { "all", 'a', NULL, "list: finished and stopped runs too", 0, COMP_NONE, NULL },
	{ 0 },
};

static const struct out_col cols[] = {
	{ "id", "ID", OUT_T_INT, 0 },
	{ "lead", "LEAD", OUT_T_INT, 0 },
	{ "sequence", "SEQUENCE", OUT_T_STR, 0 },
	{ "step", "STEP", OUT_T_STR, 0 },
	{ "started_at", "STARTED", OUT_T_STR, 0 },
	{ "next_at", "NEXT", OUT_T_STR, 0 },
	{ "state", "STATE", OUT_T_STR, 0 },
	{ "reason", "REASON", OUT_T_STR, 0 },
};

struct list_ctx {
	struct ctx *c;
	struct out *o;
};

static int row(const struct seq_row *r, void *p)
{
	struct list_ctx *lc = p;
	const struct seq_def *d = seq_find(lc->c->cfg, r->name);
	char started[LTIME_BUFSZ], next[LTIME_BUFSZ], step[48];
	fmt_time(lc->c, r->started_at, started);
	if (r->next_at)
		fmt_time(lc->c, r->next_at, next);
	if (d)
		snprintf(step, sizeof step, "%lld/%zu", (long long)r->step, d->nsteps);
	else
		snprintf(step, sizeof step, "%lld/?", (long long)r->step);
	out_int(lc->o, r->id);
	out_int(lc->o, r->lead_id);
	out_str(lc->o, r->name);
	out_str(lc->o, step);
	out_str(lc->o, started);
	out_str(lc->o, r->next_at ? next : NULL);
	out_str(lc->o, r->stopped_at ? "stopped" : r->done_at ? "done" : "running");
	out_str(lc->o, r->stop_reason);
	out_end_row(lc->o);
	return 0;
}

static int seq_list(struct ctx *c, struct args *a)
{
	struct lead l;
	int64_t lead_id = 0;
	int rc;
	if (a->argc > 1) {
		if ((rc = find_lead(c, a->argv[1], &l)))
			return rc;
		lead_id = l.i[LI_ID];
		lead_free(&l);
	}
	pager_start_reading(c); /* listing only: nothing to interrupt */
	struct list_ctx lc = { c, ctx_out(c) };
	out_begin(lc.o, cols, (int)ARRAY_LEN(cols));
	out_drop_order(lc.o, "started_at reason step"); /* on a narrow terminal */
	rc = db_seq_list(c->db, lead_id, !a->val[S_ALL], row, &lc, &c->err);
	out_finish(lc.o);
	out_free(lc.o);
	return rc ? fail_err(c) : 0;
}

static int seq_show(struct ctx *c, struct args *a)
{
	int64_t id;
	if (!parse_row_id(a->argv[1], &id))
		return usage_error(c, "bad sequence run id '%s'", a->argv[1]);
	struct seq_row r;
	if (db_seq_get(c->db, id, &r, &c->err))
		return fail_err(c);
	const struct seq_def *d = seq_find(c->cfg, r.name);
	char t[LTIME_BUFSZ];
	out_tprintf(stdout, "run:      #%lld\nlead:     #%lld\nsequence: %s%s\n", (long long)r.id,
	            (long long)r.lead_id, r.name, d ? "" : " (not in the config)");
	fmt_time(c, r.started_at, t);
	printf("started:  %s\n", t);
	printf("state:    %s", r.stopped_at ? "stopped" : r.done_at ? "done" : "running");
	if (r.stopped_at) {
		fmt_time(c, r.stopped_at, t);
		out_tprintf(stdout, " at %s (%s)", t, r.stop_reason ? r.stop_reason : "");
	}
	putchar('\n');
	/* subjects as the lead gets them */
	struct lead l;
	struct lerr e = { 0 };
	bool have = db_lead_by_id(c->db, r.lead_id, &l, &e) == 0;
	struct mail_vars v = { 0 };
	if (have)
		mail_lead_vars(&v, c->cfg, &l);
	for (size_t i = 0; d && i < d->nsteps; i++) {
		const char *state = (int64_t)i < r.step                 ? "sent"
		                    : (int64_t)i == r.step && r.next_at ? "next"
		                    : r.stopped_at || r.done_at         ? "-"
		                                                        : "later";
		char *subject = mail_expand(d->steps[i].subject, &v);
		printf("step %zu:   %-5s ", i + 1, state);
		out_term_puts(stdout, subject, 0); /* lead data: no escapes reach the terminal */
		free(subject);
		if ((int64_t)i == r.step && r.next_at) {
			fmt_time(c, r.next_at, t);
			printf("  (due %s)", t);
		}
		putchar('\n');
	}
	mail_vars_free(&v);
	if (have)
		lead_free(&l);
	seq_row_free(&r);
	return 0;
}

static int seq_start_cmd(struct ctx *c, struct args *a)
{
	if (a->argc < 3)
		return usage_error(c, "usage: leads sequence start LEAD NAME");
	if (!seq_find(c->cfg, a->argv[2]))
		return usage_error(c, "no sequence '%s' in the config", a->argv[2]);
	if (db_begin(c->db, &c->err))
		return fail_err(c);
	struct lead l;
	int rc = find_lead(c, a->argv[1], &l);
	if (rc)
		return tx_end(c, rc);
	int64_t id = 0;
	if (str_empty(l.t[LT_EMAIL]))
		rc = fail(c, EX_DATAERR, "lead #%lld has no email", (long long)l.i[LI_ID]);
	else if ((rc = seq_start(c->db, c->cfg, &l, a->argv[2], c->now, &id, &c->err)))
		rc = fail_err(c);
	if (!(rc = tx_end(c, rc)))
		printf("%lld\n", (long long)id);
	lead_free(&l);
	return rc;
}

static int seq_stop_cmd(struct ctx *c, struct args *a)
{
	if (db_begin(c->db, &c->err))
		return fail_err(c);
	struct lead l;
	int rc = find_lead(c, a->argv[1], &l);
	if (rc)
		return tx_end(c, rc);
	int n = 0;
	const char *name = a->argc > 2 ? a->argv[2] : NULL;
	if ((rc =
	         db_seq_stop_lead(c->db, l.i[LI_ID], name, "stopped by hand", c->now, &n, &c->err)))
		rc = fail_err(c);
	if (!rc && n)
		rc = record(c, &l, "sequence_stopped", NULL, NULL,
		            "{\"reason\":\"stopped by hand\"}");
	if (!(rc = tx_end(c, rc)))
		note(c, "%d sequence run%s stopped on lead #%lld", n, n == 1 ? "" : "s",
		     (long long)l.i[LI_ID]);
	lead_free(&l);
	return rc;
}

int cmd_sequence(struct ctx *c, struct args *a)
{
	const char *sub = a->argv[0];
	if (strcmp(sub, "list") == 0) {
		if (a->argc > 2)
			return usage_error(c, "usage: leads sequence list [LEAD] [--all]");
		return seq_list(c, a);
	}
	if (a->val[S_ALL])
		return usage_error(c, "--all is an option of sequence list only");
	if (strcmp(sub, "show") == 0) {
		if (a->argc != 2)
			return usage_error(c, "usage: leads sequence show ID");
		return seq_show(c, a);
	}
	if (strcmp(sub, "start") == 0) {
		if (a->argc != 3)
			return usage_error(c, "usage: leads sequence start LEAD NAME");
		return seq_start_cmd(c, a);
	}
	if (strcmp(sub, "stop") == 0) {
		if (a->argc < 2 || a->argc > 3)
			return usage_error(c, "usage: leads sequence stop LEAD [NAME]");
		return seq_stop_cmd(c, a);
	}
	return usage_error(c, "unknown subcommand '%s' (list, show, start, stop)", sub);
}
