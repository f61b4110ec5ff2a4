/*
 * sequence.h - mail to the leads themselves: follow-up sequences.
 *
 *   sequences:
 *     welcome:
 *       on: lead.received        # a workflow event starts it (optional;
 *                                #   else only `leads sequence start`)
 *       business_hours: true     # delays count working time (default:
 *                                #   true when business_hours is set)
 *       quiet_hours: "20:00-08:00"  # no step goes out then (config zone)
 *       daily_cap: 200           # at most this many a day per sender
 *       unsubscribe: "https://example.com/u?e={{lead.email}}"
 *       steps:
 *         - after: 0             # from the start of the sequence
 *           subject: "Thank you, {{lead.first_name}}"
 *           body: |
 *             ...
 *         - after: 2d
 *           subject: ...
 *           body: ...
 *
 * A run of a sequence on a lead is a row of the sequences table: the next
 * step and when it is due. The sweep (seq_sweep) queues each due step in
 * the outbox, in the sweep's transaction, keyed "seq:RUN:STEP" so it is
 * queued once whatever happens; delivery is the outbox's (exactly-once
 * rules, backoff, Message-ID). A step goes From the lead's owner (team
 * `email`), or mail.from for a lead without one, with List-Unsubscribe
 * (a mailto: to the sender, and the unsubscribe URL when configured) and
 * List-Unsubscribe-Post when that URL is https. Later steps are sent as
 * replies to the first (In-Reply-To, References), so they thread.
 *
 * A run stops (stopped_at, stop_reason) on a reply (email.replied), a
 * logged call or meeting, a stage move, the lead discarded or
 * unqualified, an unsubscribe, a bounce, or `leads sequence stop`. Every
 * send checks the lead's mail flags (do_not_email, bounced) twice: when
 * the step is queued and again when the outbox delivers it.
 */
#ifndef LEADS_SEQUENCE_H
#define LEADS_SEQUENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "bizhours.h"
#include "config.h"
#include "db.h"
#include "hooks.h"
#include "lead.h"
#include "util.h"

struct seq_step {
	struct bh_dur after;
	char *subject, *body;
};

struct seq_def {
	char *name;
	char *on;                       /* workflow event name or NULL */
	int business;                   /* -1: default (true when business hours are configured) */
	int32_t quiet_start, quiet_end; /* seconds into the local day; equal: none */
	int64_t daily_cap;              /* 0: none */
	char *unsubscribe;              /* URL template or NULL */
	struct seq_step *steps;
	size_t nsteps;
};

struct seq_config {
	struct seq_def *v;
	size_t n;
	char *src; /* as written, for config show */
};

/* Register the `sequences:` section (hooks_register_config calls it). */
void sequence_register_config(void);
const struct seq_def *seq_find(const struct config *cfg, const char *name);

/* Start and stop runs from lead events: called by hooks_run for each event. */
int seq_hook(struct hook_env *env, struct lead *l, const struct hook_event *ev);
/* Whether seq_hook may stop or start a sequence on ev (hooks_quiet). */
bool seq_hook_reacts(const struct hook_event *ev);

/* Start sequence name on lead l at now: *id the new run; EX_DATAERR when
 * one of that name is running already on it, EX_USAGE for no such name. */
int seq_start(struct db *db, const struct config *cfg, const struct lead *l, const char *name,
              int64_t now, int64_t *id, struct lerr *err);

/* Queue the due steps at now (inside the sweep's transaction). */
struct seq_counts {
	int sent;     /* steps queued */
	int deferred; /* quiet hours or the daily cap */
	int stopped;  /* stopped: no address, do_not_email, bounced, closed lead */
};
int seq_sweep(struct db *db, const struct config *cfg, int64_t now, bool dry, const char *actor,
              struct seq_counts *n, struct lerr *err);

/* ---- storage (lib/db_seq.c) ---- */

struct seq_row {
	int64_t id, lead_id, step, started_at, next_at, done_at, stopped_at;
	char *name, *stop_reason;
};
void seq_row_free(struct seq_row *r);
typedef int (*seq_row_fn)(const struct seq_row *r, void *ctx);
/* Runs of lead_id (0: all), running only when `running`, by id. */
int db_seq_list(struct db *db, int64_t lead_id, bool running, seq_row_fn fn, void *ctx,
                struct lerr *err);
int db_seq_get(struct db *db, int64_t id, struct seq_row *r, struct lerr *err);
/* Stop the running runs of lead_id (name NULL: all) for reason; *n stopped. */
int db_seq_stop_lead(struct db *db, int64_t lead_id, const char *name, const char *reason,
                     int64_t now, int *n, struct lerr *err);
/* A hook's stop: the runs of lead_id and their event, in two deferrable writes. */
int db_seq_stop_hook(struct db *db, int64_t lead_id, const char *reason, int64_t now,
                     const char *actor, const char *data, struct lerr *err);
int db_seq_stop(struct db *db, int64_t id, const char *reason, int64_t now, struct lerr *err);
/*
 * For `leads merge`: move every run of lead `from` to lead `to` (inside
 * the merge's transaction). A run of a name already running on `to` is
 * stopped as "merged" instead of running twice.
 */
int db_seq_move(struct db *db, int64_t from, int64_t to, int64_t now, struct lerr *err);

/* The running run of name on lead (0 when none). */
int db_seq_running(struct db *db, int64_t lead_id, const char *name, int64_t *id, struct lerr *err);
int db_seq_insert(struct db *db, int64_t lead_id, const char *name, int64_t now, int64_t next_at,
                  int64_t *id, struct lerr *err);
/* The runs due at now, by due time. *v malloc'ed; free with seq_due_free. */
struct seq_due {
	int64_t id, lead_id, step, started_at;
	char *name;
};
int db_seq_due(struct db *db, int64_t now, struct seq_due **v, size_t *n, struct lerr *err);
void seq_due_free(struct seq_due *v, size_t n);
/* Next step and its time (0: none), or done at `done` (0: not done). */
int db_seq_set_next(struct db *db, int64_t id, int64_t step, int64_t next, int64_t done,
                    struct lerr *err);
/* Sequence mails queued from sender since `since`. */
int db_seq_sent_since(struct db *db, const char *sender, int64_t since, int64_t *n,
                      struct lerr *err);
/* The outbox message of key: *id (0 when none) and its sender (malloc'ed or NULL). */
int db_seq_outbox_key(struct db *db, const char *key, int64_t *id, char **sender, struct lerr *err);
/* Whether lead has a `kind` history row whose data has this message_id. */
int db_seq_logged(struct db *db, int64_t lead_id, const char *kind, const char *msgid, bool *yes,
                  struct lerr *err);

/* The mail flags of a lead (all zero when it has no row). */
struct mail_flags {
	bool do_not_email;
	int64_t bounced_at;
	char *bounce;
};
int db_mail_flags(struct db *db, int64_t lead_id, struct mail_flags *f, struct lerr *err);
int db_mail_do_not_email(struct db *db, int64_t lead_id, bool on, int64_t now, struct lerr *err);
int db_mail_bounced(struct db *db, int64_t lead_id, const char *why, int64_t now, struct lerr *err);
/* Forget a bounce (the lead has a new address). */
int db_mail_bounce_clear(struct db *db, int64_t lead_id, struct lerr *err);
/* What delivery checks before a lead's mail goes out: 0, or EX_DATAERR
 * with "do not email" / "address bounced" in err. */
int seq_send_check(struct db *db, int64_t lead_id, struct lerr *err);

#endif
