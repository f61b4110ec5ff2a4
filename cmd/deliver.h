/*
 * deliver.h - delivering the outbox from a command (sweep, outbox retry):
 * the options both take and the report of each failure.
 */
#ifndef LEADS_DELIVER_H
#define LEADS_DELIVER_H

#include "cmd.h"
#include "mail.h"

/* "--timeout SECS" -> milliseconds; false (after a usage error) on junk. */
bool deliver_timeout(struct ctx *c, const char *s, int *ms, int *rc);

/*
 * Deliver what is due (only_id: that message; force: failed ones too and
 * now). Each message that could not be sent is reported on stderr. 0 or
 * the exit code of a database problem; delivery failures are in *mc.
 */
int deliver_outbox(struct ctx *c, int64_t only_id, bool force, int timeout_ms,
                   struct mail_counts *mc);

#endif
