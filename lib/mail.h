/*
 * mail.h - the messages leads sends: templates, RFC 5322 rendering, and
 * delivery of the outbox through a sendmail-compatible command.
 *
 * leads never speaks SMTP. A change that should tell someone queues a
 * message in the outbox (queue.h: mail_queue, in the transaction of the
 * change); `leads sweep` and `leads outbox retry` deliver the queue by
 * piping each message to mail.sendmail (default "/usr/sbin/sendmail -t
 * -i"), run without a shell.
 *
 * Delivery is at least once, and in practice exactly once: a message is
 * claimed in a small transaction (so two sweeps never pipe the same one),
 * piped, and marked sent in another small transaction right after the
 * command exits 0. The command itself is waited for (its exit, not the end
 * of its output: a sendmail may leave a background child holding the
 * pipe, and that child is left alone).
 *
 * What can send a message twice:
 * - a process killed between the end of the pipe and the sent mark: a
 *   later run sends it again (once its claim, MAIL_CLAIM_SECS past the
 *   timeout on the real clock, has run out), with the same Message-ID;
 * - `leads outbox retry ID` of a message in state unknown (below): the
 *   user's decision, never a sweep's.
 *
 * A failure (non-zero exit, command not found, a timeout or signal before
 * the command had the whole message) keeps the message queued with the
 * error and a retry time (backoff: 5m, 15m, 45m, ...); the
 * MAIL_MAX_TRIES-th failure marks it failed. A timeout (or a death by a
 * signal) after the command had the whole message (its standard input
 * closed) is not a failure but an unknown outcome: it may have gone out
 * before the command hung. The process group of the command is killed and
 * the message marked unknown: no sweep sends it again, only `leads outbox
 * retry ID` does.
 * Failed messages stay in the outbox until `leads outbox retry`.
 * (The claim and sent transactions do not wait for the disk: a power cut,
 * unlike a killed process, may lose the last marks, with the same
 * consequence: those messages go out once more. See db_outbox_fast.)
 *
 * Header safety: addresses are checked (one addr-spec, optionally with a
 * display name) and a bad one fails the message rather than being sent;
 * display names and subjects are written as plain text only when they
 * are printable ASCII, else as RFC 2047 encoded-words; control
 * characters, CR and LF never reach a header; the body is UTF-8 in 7bit
 * or quoted-printable. So no lead data can add a header or a recipient.
 */
#ifndef LEADS_MAIL_H
#define LEADS_MAIL_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "lead.h"
#include "lyaml.h"
#include "util.h"

#define MAIL_MAX_TRIES     6
#define MAIL_BACKOFF_FIRST 300 /* seconds before the first retry; x3 each time */
#define MAIL_BACKOFF_MAX   (12 * 3600)
#define MAIL_TIMEOUT_MS    60000 /* default; sweep/outbox retry --timeout */
#define MAIL_CLAIM_SECS    60    /* a claim outlives the timeout by this much */

/* ---- templates ---- */

/*
 * MK_DIGEST is a rep's daily task digest (sweep --digest);
 * MK_ASSIGNMENT_DIGEST the one mail a bulk routing run sends a member who
 * got several leads (route.h: route_bulk_begin).
 */
enum mail_kind {
	MK_ASSIGNMENT,
	MK_THRESHOLD,
	MK_REMINDER,
	MK_DUE_SOON,
	MK_LATE,
	MK_DIGEST,
	MK_ASSIGNMENT_DIGEST,
	MK__N
};
const char *mail_kind_name(enum mail_kind k);

struct mail_tpl {
	char *subject, *body;
};
/*
 * Overrides from the config (`mail: templates:`), NULL members = built-in.
 * Every kind may be overridden. The routing and scoring engines write
 * their own text while no template of theirs is configured (a bulk run
 * writes a mail per lead), and compose with mail_compose() when one is.
 */
struct mail_templates {
	struct mail_tpl t[MK__N];
};

/*
 * Parse the `templates:` mapping: kind -> {subject:, body:}. Every
 * {{placeholder}} must be one the kind provides:
 * an unknown one is a config error at its line and column.
 */
struct mail_templates *mail_templates_parse(struct yaml_ctx *y, yaml_node_t *n);
void mail_templates_free(struct mail_templates *t);

/* Values for placeholders: name -> value (NULL prints as empty). */
struct mail_vars {
	struct {
		char *name, *value;
	} * v;
	size_t n, cap;
};
void mail_var(struct mail_vars *v, const char *name, const char *value);
void mail_varf(struct mail_vars *v, const char *name, const char *fmt, ...) PRINTF_LIKE(3, 4);
/*
 * lead.<field> for every lead field, plus lead.name (display name),
 * lead.stage (stage name) and lead.group. Times are ISO 8601 UTC here;
 * a caller that shows them formats them in the configured zone.
 */
void mail_lead_vars(struct mail_vars *v, const struct config *cfg, const struct lead *l);
void mail_vars_free(struct mail_vars *v);

/* Subject and body for kind from the templates (NULL: built-in). */
void mail_compose(const struct mail_templates *t, enum mail_kind k, const struct mail_vars *v,
                  char **subject, char **body);

/* A template with its {{placeholders}} filled from v (unknown ones empty). */
char *mail_expand(const char *tpl, const struct mail_vars *v);
/* Whether every placeholder of tpl is one of names ("lead.*" a prefix);
 * else false with the first bad one in bad. */
bool mail_placeholders_ok(const char *tpl, const char *const *names, size_t n, char *bad,
                          size_t badn);

/* ---- rendering ---- */

struct mail_msg {
	const char *from;    /* "Name <addr>" or addr */
	const char *to;      /* one address, optionally with a name */
	const char *cc;      /* NULL or one address */
	const char *subject; /* UTF-8 */
	const char *body;    /* UTF-8 */
	int64_t date;
	const char *msgid; /* "<...@...>" */
	/* NULL or extra header lines "Name: value\n": each must be a known
	 * name (List-Unsubscribe, List-Unsubscribe-Post, In-Reply-To,
	 * References) with a printable ASCII value, else EX_DATAERR */
	const char *headers;
};
/* The message as RFC 5322 text with "\n" line ends; EX_DATAERR on a bad
 * address (err says which). */
int mail_render(const struct mail_msg *m, char **out, struct lerr *err);
/* A header value as RFC 2047 encoded-words when needed (exported for tests). */
void mail_encode_header(struct sb *out, const char *name, const char *value);
/* Message-ID for an outbox message: stable, so a resend is recognisable. */
void mail_message_id(int64_t id, const char *idem_key, const char *from, char *buf, size_t n);

/* ---- delivery ---- */

/*
 * Split a command line into argv: words separated by blanks, '...' and
 * "..." group (\" and \\ inside double quotes), \ escapes one character.
 * No variables, globs or other shell syntax. NULL-terminated; *argc set.
 */
char **mail_split_argv(const char *cmd, int *argc, struct lerr *err);

/*
 * Run the command in a process group of its own, write msg to its
 * standard input and wait for it to exit. 0 if it exited 0 within
 * timeout_ms; else EX_UNAVAILABLE with a one-line reason in err
 * ("sendmail exited with status 75: <first line of its output>"). On a
 * timeout the process group is killed. When the command timed out or was
 * killed by a signal once it had the whole message (its standard input
 * closed), *maybe_sent (if not NULL) is set: it may have sent it. A
 * non-zero exit status says it did not.
 */
int mail_pipe(const char *cmd, const char *msg, size_t len, int timeout_ms, bool *maybe_sent,
              struct lerr *err);

struct mail_deliver_opts {
	const char *from, *sendmail;
	int timeout_ms;
	int64_t only_id; /* 0 = every message due */
	/* retry now, failed ones included (outbox retry); with only_id, a
	 * message in state unknown too */
	bool force;
	/* called after each attempt: status "sent", "retry", "failed" or
	 * "unknown" (timed out once it had the message: maybe sent) */
	void (*report)(void *ctx, int64_t id, const char *rcpt, const char *subject,
	               const char *status, const char *error);
	void *ctx;
	/* the body as sent, when it differs from the stored one (the opens
	 * pixel's {{pixel_url}}, leads-intake(1)): a new string, or NULL */
	char *(*body_at_send)(void *ctx, int64_t id, const char *body);
};
struct mail_counts {
	int sent, retry, failed, busy; /* busy: claimed by another process */
	int unknown;                   /* timed out with the message: maybe sent */
};
/*
 * Deliver what is due at now, each message in its own small transactions
 * (never call inside one). Returns 0 or an exit code for a database
 * problem; delivery failures are counted, not returned.
 */
int mail_deliver(struct db *db, const struct mail_deliver_opts *o, int64_t now,
                 struct mail_counts *c, struct lerr *err);

#endif
