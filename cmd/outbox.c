/*
 * outbox.c - `leads outbox list|retry|show`: the queued mail, what failed
 * and why, and forcing a retry. A message whose send timed out once
 * sendmail had it (state unknown: maybe sent) is sent again only when
 * retry names it: that is a person's decision, after a look at the mail
 * log, never a sweep's nor a bare `outbox retry`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "pager.h"
#include "deliver.h"
#include "ltime.h"
#include "mail.h"
#include "outbox.h"

enum { B_ALL, B_FAILED, B_SENT, B_UNKNOWN, B_TIMEOUT };
const struct opt opts_outbox[] = {
	[B_ALL] = { "all", 'a', NULL, "list: sent messages too", 0, COMP_NONE, NULL },
	[B_FAILED] = { "failed", 0, NULL, "list: only messages given up on", 0, COMP_NONE, NULL },
	[B_SENT] = { "sent", 0, NULL, "list: only sent messages", 0, COMP_NONE, NULL },
	[B_UNKNOWN] = { "unknown", 0, NULL, "list: only messages that may have gone out", 0,
	                COMP_NONE, NULL },
	[B_TIMEOUT] = { "timeout", 0, "SECS", "retry: wait at most SECS for each sendmail (60)", 0,
	                COMP_NONE, NULL },
	{ 0 },
};

static const struct out_col cols[] = {
	{ "id", "ID", OUT_T_INT, 0 },
	{ "kind", "KIND", OUT_T_STR, 0 },
	{ "to", "TO", OUT_T_STR, 0 },
	{ "subject", "SUBJECT", OUT_T_STR, 0 },
	{ "created_at", "CREATED", OUT_T_STR, 0 },
	{ "state", "STATE", OUT_T_STR, 0 },
	{ "tries", "TRIES", OUT_T_INT, 0 },
	{ "next_try", "NEXT TRY", OUT_T_STR, 0 },
	{ "error", "ERROR", OUT_T_STR, 0 },
};

struct rows {
	struct ctx *c;
	struct out *o;
};

static int row(const struct outbox_msg *m, void *p)
{
	struct out *o = ((struct rows *)p)->o;
	struct ctx *c = ((struct rows *)p)->c;
	char created[LTIME_BUFSZ], next[LTIME_BUFSZ];
	fmt_time(c, m->created_at, created);
	fmt_time(c, m->next_try_at, next);
	const char *state = m->sent_at      ? "sent"
	                    : m->unknown_at ? "unknown"
	                    : m->failed_at  ? "failed"
	                    : m->tries      ? "retry"
	                                    : "queued";
	out_int(o, m->id);
	out_str(o, m->kind);
	out_str(o, m->rcpt);
	out_str(o, m->subject);
	out_str(o, created);
	out_str(o, state);
	out_int(o, m->tries);
	out_str(o, m->sent_at || m->failed_at || m->unknown_at ? NULL : next);
	out_str(o, m->last_error);
	out_end_row(o);
	return 0;
}

static int outbox_list(struct ctx *c, struct args *a)
{
	int n = (a->val[B_ALL] != NULL) + (a->val[B_FAILED] != NULL) + (a->val[B_SENT] != NULL) +
	        (a->val[B_UNKNOWN] != NULL);
	if (n > 1)
		return usage_error(c, "give one of --all, --failed, --sent and --unknown");
	enum outbox_which w = a->val[B_ALL]       ? OB_ALL
	                      : a->val[B_FAILED]  ? OB_FAILED
	                      : a->val[B_SENT]    ? OB_SENT
	                      : a->val[B_UNKNOWN] ? OB_UNKNOWN
	                                          : OB_PENDING;
	pager_start_reading(c); /* listing only: nothing to interrupt */
	struct out *o = ctx_out(c);
	out_begin(o, cols, (int)ARRAY_LEN(cols));
	out_drop_order(o, "kind created_at next_try tries"); /* on a narrow terminal */
	struct rows rs = { c, o };
	int rc = db_outbox_list(c->db, w, row, &rs, &c->err);
	out_finish(o);
	out_free(o);
	return rc ? fail_err(c) : 0;
}

static int count_one(const struct outbox_msg *m, void *p)
{
	(void)m;
	++*(int64_t *)p;
	return 0;
}

/*
 * retry: the messages named, each whatever its state (unknown included),
 * or with none named every message not yet sent but the unknown ones.
 */
static int outbox_retry(struct ctx *c, struct args *a)
{
	int ms, rc = 0;
	if (!deliver_timeout(c, a->val[B_TIMEOUT], &ms, &rc))
		return rc;
	int nids = a->argc - 1;
	int64_t *ids = xcalloc(nids ? (size_t)nids : 1, sizeof *ids);
	/* every id checked before anything is sent */
	for (int i = 0; i < nids && !rc; i++) {
		struct outbox_msg m;
		if (!parse_row_id(a->argv[i + 1], &ids[i])) {
			rc = usage_error(c, "bad message id '%s'", a->argv[i + 1]);
			break;
		}
		if (db_outbox_get(c->db, ids[i], &m, &c->err)) {
			rc = fail_err(c);
			break;
		}
		if (m.sent_at) {
			note(c, "message #%lld was sent already", (long long)ids[i]);
			ids[i] = 0;
		}
		outbox_msg_free(&m);
	}
	int64_t left_alone = 0;
	if (!rc && !nids && db_outbox_list(c->db, OB_UNKNOWN, count_one, &left_alone, &c->err))
		rc = fail_err(c);
	struct mail_counts mc = { 0 };
	if (!rc && !nids)
		rc = deliver_outbox(c, 0, true, ms, &mc);
	for (int i = 0; i < nids && !rc; i++)
		if (ids[i] && (rc = deliver_outbox(c, ids[i], true, ms, &mc)))
			break;
	free(ids);
	if (rc)
		return rc;
	if (nids && !mc.sent && !mc.retry && !mc.failed && !mc.unknown && !mc.busy)
		return 0; /* each was sent already: said so */
	if (c->fmt != OUT_TABLE) {
		struct out *o = ctx_out(c);
		char buf[32];
		out_record_begin(o);
		snprintf(buf, sizeof buf, "%d", mc.sent);
		out_record_field(o, "sent", OUT_T_INT, buf);
		snprintf(buf, sizeof buf, "%d", mc.retry);
		out_record_field(o, "retry", OUT_T_INT, buf);
		snprintf(buf, sizeof buf, "%d", mc.failed);
		out_record_field(o, "failed", OUT_T_INT, buf);
		snprintf(buf, sizeof buf, "%d", mc.unknown);
		out_record_field(o, "unknown", OUT_T_INT, buf);
		out_record_end(o);
		out_free(o);
	} else if (!c->quiet) {
		printf("outbox: %d sent, %d to retry, %d failed", mc.sent, mc.retry, mc.failed);
		if (mc.unknown)
			printf(", %d maybe sent", mc.unknown);
		printf("\n");
	}
	if (left_alone)
		note(c,
		     "%lld message%s that may have gone out left alone (state unknown); "
		     "name %s to send %s again: leads outbox retry ID...",
		     (long long)left_alone, left_alone == 1 ? "" : "s",
		     left_alone == 1 ? "it" : "them", left_alone == 1 ? "it" : "them");
	return mc.retry || mc.failed || mc.unknown ? EX_FAIL : 0;
}

static int outbox_show(struct ctx *c, struct args *a)
{
	int64_t id;
	if (!parse_row_id(a->argv[1], &id))
		return usage_error(c, "bad message id '%s'", a->argv[1]);
	int rc = 0;
	struct outbox_msg m;
	if (db_outbox_get(c->db, id, &m, &c->err))
		return fail_err(c);
	char msgid[256];
	mail_message_id(m.id, m.idem_key, c->cfg->mail_from, msgid, sizeof msgid);
	struct mail_msg mm = { .from = c->cfg->mail_from,
		               .to = m.rcpt,
		               .cc = m.cc,
		               .subject = m.subject,
		               .body = m.body,
		               .date = m.created_at,
		               .msgid = msgid };
	char *text;
	if (mail_render(&mm, &text, &c->err)) {
		rc = fail_err(c);
	} else if (c->fmt != OUT_TABLE) {
		/* --format: the message's fields and the text sendmail gets */
		struct out *o = ctx_out(c);
		char buf[LTIME_BUFSZ + 32];
		out_record_begin(o);
		snprintf(buf, sizeof buf, "%lld", (long long)m.id);
		out_record_field(o, "id", OUT_T_INT, buf);
		out_record_field(o, "kind", OUT_T_STR, m.kind);
		out_record_field(o, "to", OUT_T_STR, m.rcpt);
		out_record_field(o, "cc", OUT_T_STR, m.cc);
		out_record_field(o, "subject", OUT_T_STR, m.subject);
		ltime_fmt(m.created_at, buf);
		out_record_field(o, "created_at", OUT_T_STR, buf);
		out_record_field(o, "message_id", OUT_T_STR, msgid);
		out_record_field(o, "message", OUT_T_STR, text);
		out_record_end(o);
		out_free(o);
	} else if (isatty(STDOUT_FILENO)) /* lead data in a body must not drive the terminal */
		out_term_puts(stdout, text, OUT_TERM_LINES);
	else /* the message exactly as sendmail would get it */
		fputs(text, stdout);
	if (!rc)
		free(text);
	outbox_msg_free(&m);
	return rc;
}

int cmd_outbox(struct ctx *c, struct args *a)
{
	const char *sub = a->argv[0];
	bool list = strcmp(sub, "list") == 0, retry = strcmp(sub, "retry") == 0,
	     show = strcmp(sub, "show") == 0;
	if (!list && !retry && !show)
		return usage_error(c, "unknown subcommand '%s' (list, retry, show)", sub);
	if (list && a->argc > 1)
		return usage_error(c, "unexpected argument '%s'", a->argv[1]);
	if (show && a->argc != 2)
		return usage_error(c, "outbox show needs a message id");
	if (!list && (a->val[B_ALL] || a->val[B_FAILED] || a->val[B_SENT] || a->val[B_UNKNOWN]))
		return usage_error(
		    c, "--all, --failed, --sent and --unknown are options of outbox list");
	if (!retry && a->val[B_TIMEOUT])
		return usage_error(c, "--timeout is an option of outbox retry");
	return list ? outbox_list(c, a) : retry ? outbox_retry(c, a) : outbox_show(c, a);
}
