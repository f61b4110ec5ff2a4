/*
 * outbox.h - storage of queued mail beyond mail_queue() (queue.h): what
 * is due, claims, delivery results, and the listing of `leads outbox`.
 * Implemented in db_outbox.c; lib/mail.c drives delivery with it.
 */
#ifndef LEADS_OUTBOX_H
#define LEADS_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "util.h"

struct outbox_msg {
	int64_t id, lead_id, created_at, next_try_at, sent_at, failed_at;
	int64_t unknown_at; /* a send timed out with the message: maybe sent */
	int64_t tries;
	char *idem_key, *kind, *rcpt, *cc, *subject, *body, *last_error;
	char *sender;  /* NULL: mail.from; else the From of this message (a lead's owner) */
	char *headers; /* NULL or extra header lines, "Name: value\n" each (List-Unsubscribe) */
};
void outbox_msg_free(struct outbox_msg *m);

/*
 * Ids of the messages to deliver at now, oldest first: unsent, not failed,
 * not unknown, next_try_at <= now. With force: every unsent message,
 * failed ones too. only_id != 0 restricts to that message, and with force
 * it may be unknown. *ids is malloc'ed.
 */
int db_outbox_due(struct db *db, int64_t now, bool force, int64_t only_id, int64_t **ids, size_t *n,
                  struct lerr *err);
/*
 * Claim message id for delivery until `until` (its own transaction): due
 * by the business clock `now`, claims by the real clock `wall` (a claim
 * must not run out while its sendmail runs, wherever --now points).
 * *got is false when it was sent, failed (without force), unknown
 * (without unknown) or is claimed by another process meanwhile. With
 * force a failed message is revived; with unknown an unknown one.
 */
int db_outbox_claim(struct db *db, int64_t id, const char *token, int64_t now, int64_t wall,
                    int64_t until, bool force, bool unknown, bool *got, struct outbox_msg *m,
                    struct lerr *err);
/*
 * Delivery's small transactions need not wait for the disk: with fast on,
 * their commits are durable against a crash of the process but not of
 * the machine (SQLite's synchronous=NORMAL in WAL mode). A power cut can
 * then lose the last claims and sent marks, which only means those
 * messages are sent once more. Off restores the default (FULL).
 */
int db_outbox_fast(struct db *db, bool fast, struct lerr *err);
/* Mark sent (its own transaction), if the claim is still ours. */
int db_outbox_sent(struct db *db, int64_t id, const char *token, int64_t now, struct lerr *err);
/* Record a failed try: tries+1, the error, the next try, or failed_at. */
int db_outbox_fail(struct db *db, int64_t id, const char *token, const char *error,
                   int64_t next_try_at, bool give_up, int64_t now, struct lerr *err);

/*
 * The try timed out after the command had the whole message: tries+1, the
 * error, unknown_at = now. No sweep picks it again; outbox retry ID does.
 */
int db_outbox_unknown(struct db *db, int64_t id, const char *token, const char *error, int64_t now,
                      struct lerr *err);

enum outbox_which { OB_PENDING, OB_FAILED, OB_SENT, OB_UNKNOWN, OB_ALL };
typedef int (*db_outbox_fn)(const struct outbox_msg *m, void *ctx);
int db_outbox_list(struct db *db, enum outbox_which which, db_outbox_fn fn, void *ctx,
                   struct lerr *err);
/* One message by id: EX_NOINPUT "no message #ID in the outbox". */
int db_outbox_get(struct db *db, int64_t id, struct outbox_msg *m, struct lerr *err);
/* Messages waiting (unsent, not failed, not unknown) and failed. */
int db_outbox_counts(struct db *db, int64_t *waiting, int64_t *failed, struct lerr *err);

#endif
