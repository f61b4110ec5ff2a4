/*
 * sweep.c - `leads sweep`, what cron runs: statuses, reminders, late
 * tasks, notices, re-routing and digests in one write transaction
 * (lib/sweep.h), then delivery of the outbox outside it (lib/mail.h).
 *
 * Exit status: 0 when every change was made and every message due was
 * delivered; 1 when a message could not be delivered (it stays queued for
 * a retry, or was given up on: see leads outbox list); the usual codes for
 * the rest (75 when the database stayed busy, 78 for a bad config).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "deliver.h"
#include "ltime.h"
#include "maildir.h"
#include "outbox.h"
#include "sequence.h"
#include "sweep.h"

enum { W_DRY, W_DIGEST, W_NO_DELIVER, W_TIMEOUT, W_MAILDIR };
const struct opt opts_sweep[] = {
	[W_DRY] = { "dry-run", 'n', NULL, "print what would be done; change and send nothing", 0,
	            COMP_NONE, NULL },
	[W_DIGEST] = { "digest", 0, NULL, "also mail each rep today's tasks and overdue ones", 0,
	               COMP_NONE, NULL },
	[W_NO_DELIVER] = { "no-deliver", 0, NULL, "queue messages but do not deliver any", 0,
	                   COMP_NONE, NULL },
	[W_TIMEOUT] = { "timeout", 0, "SECS", "wait at most SECS for each sendmail (default 60)", 0,
	                COMP_NONE, NULL },
	[W_MAILDIR] = { "maildir", 0, "DIR",
	                "first read replies and bounces from Maildir DIR (default mail.maildir)", 0,
	                COMP_FILE, NULL },
	{ 0 },
};

struct say_ctx {
	struct ctx *c;
	bool dry;
	char **would; /* a dry run in a machine format: the lines, for the record */
	size_t nwould, cap;
};

static void put_int(struct out *o, const char *key, int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%lld", (long long)v);
	out_record_field(o, key, OUT_T_INT, buf);
}

/* The summary as one record (--format): the same counts as the text line. */
static void summary_record(struct ctx *c, const struct say_ctx *sc, const struct sweep_counts *sw,
                           bool digest, int64_t queued, const struct mail_counts *mc,
                           int64_t waiting, int64_t seq_steps)
{
	static const struct out_col cols[] = { { "action", NULL, OUT_T_STR, 0 } };
	struct out *o = ctx_out(c);
	out_record_begin(o);
	out_record_field(o, "dry_run", OUT_T_BOOL, sc->dry ? "true" : "false");
	put_int(o, "inactive", sw->inactive);
	put_int(o, "reminders", sw->reminders);
	put_int(o, "escalated", sw->escalated);
	put_int(o, "late", sw->late);
	put_int(o, "due_soon", sw->due_soon);
	put_int(o, "rerouted", sw->rerouted);
	if (digest)
		put_int(o, "digests", sw->digests);
	put_int(o, "queued", queued);
	put_int(o, "sequence_steps", seq_steps);
	put_int(o, "sent", mc->sent);
	put_int(o, "retry", mc->retry);
	put_int(o, "failed", mc->failed);
	put_int(o, "unknown", mc->unknown);
	put_int(o, "waiting", waiting);
	if (sc->dry) {
		out_record_list_begin(o, "would");
		out_begin(o, cols, 1);
		for (size_t i = 0; i < sc->nwould; i++) {
			out_str(o, sc->would[i]);
			out_end_row(o);
		}
		out_record_list_end(o);
	}
	out_record_end(o);
	out_free(o);
}

static void say(void *p, const char *line)
{
	struct say_ctx *s = p;
	if (s->dry && s->c->fmt != OUT_TABLE) {
		s->would = xgrow(s->would, &s->cap, s->nwould + 1, sizeof(*s->would));
		s->would[s->nwould++] = xstrdup(line);
	} else if (s->dry)
		out_tprintf(stdout, "would: %s\n", line);
	else if (s->c->verbose)
		note(s->c, "%s", line);
}

static void plural(struct sb *sb, int n, const char *one, const char *many)
{
	sb_addf(sb, "%s%d %s", sb->len ? ", " : "", n, n == 1 ? one : many);
}

int cmd_sweep(struct ctx *c, struct args *a)
{
	bool dry = a->val[W_DRY] != NULL;
	int ms, rc = 0;
	if (!deliver_timeout(c, a->val[W_TIMEOUT], &ms, &rc))
		return rc;
	struct say_ctx sc = { c, dry, NULL, 0, 0 };
	struct sweep_opts o = { .now = c->now,
		                .dry_run = dry,
		                .digest = a->val[W_DIGEST] != NULL,
		                .no_route = c->no_route,
		                .say = say,
		                .ctx = &sc };
	struct sweep_counts sw = { 0 };
	struct seq_counts sq = { 0 };
	int64_t waiting = 0, failed = 0, queued = 0;
	/* the web form's leads first (leads-intake(1)), so that this sweep
	 * routes and reminds them like the others; a file each transaction */
	if (!dry && c->cfg->intake) {
		int64_t in_ok = 0, in_bad = 0;
		if (db_begin(c->db, &c->err) || db_sync_stages(c->db, c->cfg, &c->err) ||
		    db_commit(c->db, &c->err))
			return fail_err(c);
		if ((rc = intake_drain(c, true, &in_ok, &in_bad)))
			return rc;
		if (in_ok || in_bad)
			note(c, "intake: %lld imported, %lld set aside", (long long)in_ok,
			     (long long)in_bad);
	}
	/* replies and bounces first: they stop sequences before a step goes out */
	const char *maildir = a->val[W_MAILDIR] ? a->val[W_MAILDIR] : c->cfg->mail_maildir;
	struct maildir_counts md = { 0 };
	if (maildir && *maildir &&
	    maildir_sweep(c->db, c->cfg, maildir, c->now, c->actor, dry, &md, &c->err))
		return fail_err(c);
	if (db_begin(c->db, &c->err))
		return fail_err(c);
	/* queued: what this sweep added to the outbox, by any engine */
	/* a dry run writes nothing, not even the stage names */
	bool filled = false; /* the search index a bulk import left to fill */
	if ((!dry && db_sync_stages(c->db, c->cfg, &c->err)) ||
	    (!dry && db_fts_fill(c->db, &filled, &c->err)) ||
	    db_outbox_counts(c->db, &queued, &failed, &c->err) ||
	    sweep_run(c->db, c->cfg, &o, &sw, &c->err) ||
	    seq_sweep(c->db, c->cfg, c->now, dry, c->actor, &sq, &c->err) ||
	    db_outbox_counts(c->db, &waiting, &failed, &c->err)) {
		db_rollback(c->db);
		return fail_err(c);
	}
	queued = dry ? sw.queued + sq.sent : waiting - queued;
	if (filled && c->verbose)
		note(c, "filled the search index left by a bulk import");
	if (dry)
		db_rollback(c->db); /* nothing was written: end the transaction */
	else if (db_commit(c->db, &c->err))
		return fail_err(c);

	struct mail_counts mc = { 0 };
	if (!dry && !a->val[W_NO_DELIVER] && (rc = deliver_outbox(c, 0, false, ms, &mc)))
		return rc;
	if (db_outbox_counts(c->db, &waiting, &failed, &c->err))
		return fail_err(c);

	if (c->fmt != OUT_TABLE) {
		summary_record(c, &sc, &sw, o.digest, queued, &mc, waiting, sq.sent);
	} else if (!c->quiet) {
		/* only when it happened: "maybe sent" is rare, and a line cron
		 * wrappers parse keeps its shape otherwise */
		char unknown[48] = "";
		if (mc.unknown)
			snprintf(unknown, sizeof unknown, "%d maybe sent, ", mc.unknown);
		struct sb s = SB_INIT;
		plural(&s, sw.inactive, "lead inactive", "leads inactive");
		plural(&s, sw.reminders, "reminder", "reminders");
		if (sw.escalated)
			sb_addf(&s, " (%d to a manager too)", sw.escalated);
		plural(&s, sw.late, "task late", "tasks late");
		plural(&s, sw.due_soon, "due-soon notice", "due-soon notices");
		plural(&s, sw.rerouted, "lead re-routed", "leads re-routed");
		if (o.digest)
			plural(&s, sw.digests, "digest", "digests");
		if (maildir && *maildir)
			sb_addf(&s, "%s%d repl%s, %d bounce%s", s.len ? ", " : "", md.replies,
			        md.replies == 1 ? "y" : "ies", md.bounces,
			        md.bounces == 1 ? "" : "s");
		/* only when sequences did something: the line keeps its shape */
		if (sq.sent || sq.deferred || sq.stopped)
			plural(&s, sq.sent, "sequence step", "sequence steps");
		if (dry)
			out_tprintf(stdout,
			            "sweep (dry run, nothing changed): would make %s; %d message%s "
			            "would be queued, %lld waiting\n",
			            s.buf, (int)queued, queued == 1 ? "" : "s", (long long)waiting);
		else
			out_tprintf(stdout,
			            "sweep: %s; mail: %d queued, %d sent, %d to retry, %d failed, "
			            "%s%lld waiting\n",
			            s.buf, (int)queued, mc.sent, mc.retry, mc.failed, unknown,
			            (long long)waiting);
		sb_free(&s);
	}
	for (size_t i = 0; i < sc.nwould; i++)
		free(sc.would[i]);
	free(sc.would);
	return mc.retry || mc.failed || mc.unknown ? EX_FAIL : 0;
}
