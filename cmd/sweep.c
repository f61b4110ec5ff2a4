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
#include "outbox.h"
#include "sweep.h"

enum { W_DRY, W_DIGEST, W_NO_DELIVER, W_TIMEOUT };
const struct opt opts_sweep[] = {
	[W_DRY] = { "dry-run", 'n', NULL, "print what would be done; change and send nothing", 0,
	            COMP_NONE, NULL },
	[W_DIGEST] = { "digest", 0, NULL, "also mail each rep today's tasks and overdue ones", 0,
	               COMP_NONE, NULL },
	[W_NO_DELIVER] = { "no-deliver", 0, NULL, "queue messages but do not deliver any", 0,
	                   COMP_NONE, NULL },
	[W_TIMEOUT] = { "timeout", 0, "SECS", "wait at most SECS for each sendmail (default 60)", 0,
	                COMP_NONE, NULL },
	{ 0 },
};

struct say_ctx {
	struct ctx *c;
	bool dry;
};

static void say(void *p, const char *line)
{
	struct say_ctx *s = p;
	if (s->dry)
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
	struct say_ctx sc = { c, dry };
	struct sweep_opts o = { .now = c->now,
		                .dry_run = dry,
		                .digest = a->val[W_DIGEST] != NULL,
		                .no_route = c->no_route,
		                .say = say,
		                .ctx = &sc };
	struct sweep_counts sw = { 0 };
	int64_t waiting = 0, failed = 0, queued = 0;
	if (db_begin(c->db, &c->err))
		return fail_err(c);
	/* queued: what this sweep added to the outbox, by any engine */
	bool filled = false; /* the search index a bulk import left to fill */
	if (db_sync_stages(c->db, c->cfg, &c->err) ||
	    (!dry && db_fts_fill(c->db, &filled, &c->err)) ||
	    db_outbox_counts(c->db, &queued, &failed, &c->err) ||
	    sweep_run(c->db, c->cfg, &o, &sw, &c->err) ||
	    db_outbox_counts(c->db, &waiting, &failed, &c->err)) {
		db_rollback(c->db);
		return fail_err(c);
	}
	queued = waiting - queued;
	if (filled && c->verbose)
		note(c, "filled the search index left by a bulk import");
	if (dry)
		db_rollback(c->db); /* a dry run changes nothing */
	else if (db_commit(c->db, &c->err))
		return fail_err(c);

	struct mail_counts mc = { 0 };
	if (!dry && !a->val[W_NO_DELIVER] && (rc = deliver_outbox(c, 0, false, ms, &mc)))
		return rc;
	if (db_outbox_counts(c->db, &waiting, &failed, &c->err))
		return fail_err(c);

	if (!c->quiet) {
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
		if (dry)
			out_tprintf(stdout,
			            "sweep (dry run, nothing changed): would make %s; %d message%s "
			            "would be queued, %lld waiting\n",
			            s.buf, (int)queued, queued == 1 ? "" : "s", (long long)waiting);
		else
			out_tprintf(stdout,
			            "sweep: %s; mail: %d queued, %d sent, %d to retry, %d failed, "
			            "%lld waiting\n",
			            s.buf, (int)queued, mc.sent, mc.retry, mc.failed,
			            (long long)waiting);
		sb_free(&s);
	}
	return mc.retry || mc.failed ? EX_FAIL : 0;
}
