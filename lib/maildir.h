/*
 * maildir.h - replies and bounces come back: `leads sweep --maildir DIR`
 * (or `mail: maildir: DIR` in the config) reads the new messages of a
 * Maildir that the user's own fetcher fills (mbsync, fetchmail, getmail).
 *
 * A message is new when it is in new/, or in cur/ without the S (seen)
 * flag. Each is parsed with GMime 3 (loaded on demand: libgmime-3.0.so.0,
 * Debian package libgmime-3.0-0) and
 * - a delivery status notification (multipart/report;
 *   report-type=delivery-status) with Action: failed marks the lead's
 *   address as bouncing (mail_flags.bounced_at): its sequences stop and no
 *   mail goes to it any more. The lead is found by the Message-ID of the
 *   returned message (one the outbox sent), else by the failed recipient.
 *   A delayed notice is read and left at that;
 * - any other message whose In-Reply-To or References name a message the
 *   outbox sent, or whose sender is a lead's email, is logged on that lead
 *   as email_replied (the workflow event email.replied), which stops its
 *   sequences. A reply whose subject starts with "unsubscribe" (the
 *   List-Unsubscribe mailto) sets do_not_email as well.
 * Each message is handled in its own transaction, once (a message logged
 * before is not logged again), then marked read: moved to cur/ with the S
 * flag added to its info (":2,S"). Nothing is ever deleted. Messages that
 * match no lead are marked read too: give leads a folder of its own.
 */
#ifndef LEADS_MAILDIR_H
#define LEADS_MAILDIR_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "util.h"

struct maildir_counts {
	int read;    /* messages read */
	int replies; /* logged as email_replied */
	int bounces; /* addresses marked bouncing */
	int unsubscribed;
	int unmatched; /* no lead */
	int bad;       /* could not be parsed (left unread) */
};

/* Read the new messages of Maildir dir (see above). dry: read and count,
 * change nothing. */
int maildir_sweep(struct db *db, const struct config *cfg, const char *dir, int64_t now,
                  const char *actor, bool dry, struct maildir_counts *n, struct lerr *err);

/* Register `mail: maildir:` (hooks_register_config calls it). */
void maildir_register_config(void);

#endif
