/*
 * activity.h - the activities of one lead, in memory.
 *
 * Conditions on activities (activity.call.count, activity.meeting.last_age)
 * and behaviour scoring rules (on: email-opened) both look at the lead's
 * history of calls, emails, meetings, opened emails and notes. They read
 * it through this list, which is loaded once per lead and only when some
 * rule asks: one indexed query for a single lead (db_act_load), or one
 * ordered scan for a batch of leads (db_act_range) in bulk commands.
 */
#ifndef LEADS_ACTIVITY_H
#define LEADS_ACTIVITY_H

#include <stdbool.h>
#include <stdint.h>

#include "cond.h"
#include "db.h"
#include "util.h"

/* The history kinds that count as activities (`leads log`, `leads note`). */
enum act_kind {
	ACT_CALL,
	ACT_EMAIL,
	ACT_MEETING,
	ACT_EMAIL_OPENED,
	ACT_NOTE,
	ACT_EMAIL_REPLIED, /* a reply read from a Maildir (lib/maildir.h) */
	ACT__COUNT
};
#define ACT_ANY (-1)

/* "email_opened" for ACT_EMAIL_OPENED; "any" for ACT_ANY. */
const char *act_kind_name(int kind);
/* "email-opened", "email_opened", "Call", "any" -> kind; -2 if unknown. */
int act_kind_parse(const char *s);
/* The kinds, space-separated, for messages. */
#define ACT_KIND_LIST "call, email, meeting, email-opened, email-replied, note, any"

struct act {
	int64_t at;
	int kind;
};

struct act_list {
	int64_t lead_id;
	bool loaded;
	struct act *v;
	size_t n, cap;
};

void act_list_reset(struct act_list *a, int64_t lead_id);
void act_list_free(struct act_list *a);
void act_list_add(struct act_list *a, int kind, int64_t at);

/* Activities of kind (ACT_ANY: all) at or after since and not after now. */
int64_t act_count(const struct act_list *a, int kind, int64_t since, int64_t now);
/* Time of the latest activity of kind not after now; 0 if none. */
int64_t act_last(const struct act_list *a, int kind, int64_t now);

/*
 * A lazily loaded source of one lead's activities for struct cond_env:
 * act_env() points env's activity callbacks at src (set env->now first);
 * the list is read from
 * db on first use (unless a bulk reader filled it already). A storage
 * error is kept in src->rc / src->err for the caller to check after
 * evaluating.
 */
struct act_src {
	struct db *db;
	int64_t now; /* activities after now do not count (act_env sets it) */
	struct act_list list;
	int rc;
	struct lerr err;
};
/*
 * An empty source reading from db: every field set but the error text,
 * which is written before it is read. Not `= { 0 }`: that clears the
 * 1 KB message too, and the engines set up several sources a lead (a
 * million-lead import spent 0.1 s of CPU on it).
 */
void act_src_init(struct act_src *src, struct db *db);
void act_env(struct cond_env *env, struct act_src *src);
/*
 * The same for a new lead not stored yet: no activities and no named
 * scores (score.NAME reads 0, as before it is first computed), and no
 * database, so another thread than the connection's may evaluate
 * conditions with it (an import's reader thread). act_list_free(&src->list)
 * after.
 */
void act_env_new(struct cond_env *env, struct act_src *src, int64_t lead_id);
/* Make sure src holds lead_id's activities; 0 or an exit code. */
int act_src_load(struct act_src *src, int64_t lead_id);

/* --- storage (lib/db_route.c) --- */

/* Read the activities of one lead into a (reset first). */
int db_act_load(struct db *db, int64_t lead_id, struct act_list *a, struct lerr *err);
/*
 * Every activity of the leads with ids in [lo, hi], ordered by lead id:
 * fn(lead_id, kind, at, ctx) per row; a non-zero return stops.
 */
typedef int (*db_act_fn)(int64_t lead_id, int kind, int64_t at, void *ctx);
int db_act_range(struct db *db, int64_t lo, int64_t hi, db_act_fn fn, void *ctx, struct lerr *err);

#endif
