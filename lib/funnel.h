/*
 * funnel.h - the pipeline funnel and the manager reports, as numbers.
 * Nothing here prints: cmd/funnel.c and cmd/report.c render the results.
 *
 * The funnel, per configured stage in pipeline order:
 *
 * current   leads in the stage now.
 * reached   leads that ever got to the stage. For an active or won stage:
 *           leads whose furthest position outside the lost stages is at or
 *           after it, so a stage skipped on the way to a later one counts as
 *           reached (a lead in Customer reached Closed Deal; a lead lost
 *           after Proposal Sent reached Proposal Sent and everything before
 *           it, and nothing after). Every lead entered at the top: the first
 *           stage's reached is the number of leads. For a lost stage: leads
 *           that were ever in that stage (in it now, or reopened since).
 * conversion from the previous stage (reached here / reached at the
 *           previous stage that is not lost) and from the top (reached here
 *           / leads); drop-off is 1 - conversion from the previous stage.
 *           A lost stage has only the share from the top.
 * value     summed value of the leads in the stage now (cents).
 * time      median and mean length of a stay in the stage: one stay per
 *           visit, from entering the stage to leaving it (a lead that moved
 *           back and came again has two stays), and the stay of a lead still
 *           in the stage counts up to now. A stage that was skipped has no
 *           stay. The finished stays come from the stays table, which a
 *           trigger fills whenever a lead's stage changes (lib/db.c).
 * won, lost leads in won stages and in lost stages now; the win rate is
 *           won / (won + lost), the share of closed leads that were won.
 *
 * Leads in stages the config no longer has are counted under one row
 * "other" (current, value and time only), and named in funnel.other.
 *
 * Filters select leads by owner, source, status, creation time (the
 * funnel of the leads created in a period: a cohort) and any condition of
 * the shared condition language (lib/cond.h). Grouping gives one funnel per
 * owner, source (ignoring case) or month of creation (UTC).
 *
 * Two ways to the same numbers: the whole pipeline unfiltered reads one
 * covering index scan of leads plus the stay histogram (fast, see
 * lib/db_funnel.c); anything filtered or grouped reads the selected leads
 * and their stays one by one. Both give the same figures; the tests check
 * that they agree.
 */
#ifndef LEADS_FUNNEL_H
#define LEADS_FUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cond.h"
#include "config.h"
#include "db.h"
#include "util.h"

enum funnel_by { FUNNEL_BY_NONE, FUNNEL_BY_OWNER, FUNNEL_BY_SOURCE, FUNNEL_BY_MONTH };

struct funnel_filter {
	const char *owner;        /* a name, compared ignoring case; "-" = unassigned */
	const char *source;       /* compared ignoring case */
	const char *status;       /* new, active, inactive, unqualified */
	int64_t since, until;     /* created_at in [since, until); 0 = open */
	const struct cond *where; /* NULL = every lead */
};

struct funnel_query {
	const struct config *cfg;
	int64_t now;
	struct funnel_filter f;
	enum funnel_by by;
};

/* One row: a configured stage, or "other" (pos -1, key NULL, grp -1). */
struct funnel_row {
	int pos;          /* 0-based position in the pipeline */
	const char *key;  /* the config's (not copied) */
	const char *name; /* the config's name, or "other" */
	int grp;          /* enum stage_group */
	int prev;         /* row of the previous stage that is not lost; -1 if none */
	int64_t current, reached;
	int64_t value, nvalue; /* cents summed over the current leads that have one */
	int64_t stays;         /* stays behind the time figures; 0: no figures */
	int64_t median, mean;  /* seconds */
};

/* A stage key no longer in the config, with its last known name. */
struct funnel_other {
	char *key, *name; /* name may be NULL */
	int64_t n;
};

struct funnel {
	char *group; /* the --by value; NULL: no grouping, or none (unassigned) */
	struct funnel_row *rows;
	size_t nrows; /* the configured stages, then "other" if any lead is there */
	int64_t leads, won, lost, value;
	struct funnel_other *other;
	size_t nother;
};

struct funnel_set {
	struct funnel *v;
	size_t n;  /* 1 without grouping (also when empty) */
	bool fast; /* computed by the whole-pipeline path */
};

int funnel_compute(struct db *db, const struct funnel_query *q, struct funnel_set *out,
                   struct lerr *err);
void funnel_set_free(struct funnel_set *s);

/*
 * The ids of the leads behind a stage's number, ascending: those that
 * reached the stage (key NULL: those in stages no longer configured), or
 * with current_only those in it now.
 */
int funnel_lead_ids(struct db *db, const struct funnel_query *q, const char *key, bool current_only,
                    int64_t **ids, size_t *n, struct lerr *err);

/* Conversion as a fraction; false when undefined (nothing to divide by). */
bool funnel_conv_prev(const struct funnel *f, size_t row, double *out);
bool funnel_conv_top(const struct funnel *f, size_t row, double *out);
bool funnel_win_rate(const struct funnel *f, double *out);

/*
 * The funnel as an SVG picture: per funnel (side by side when grouped),
 * the stages that are not lost as centred bands whose width follows the
 * number that reached them, labelled with the stage, the counts and the
 * conversion from the previous stage; lost stages and "other" below.
 * title is shown on top. Complete standalone SVG 1.1 document.
 */
void funnel_svg(const struct funnel_set *s, const char *title, struct sb *out);

/* --- manager reports --- */

/* Tasks that came due in [since, now): done on time, done late, still open. */
struct report_tasks_row {
	const char *owner; /* NULL: no owner (or the total without --by) */
	int64_t due, on_time, done_late, still_late;
};
/* Activities logged in [since, now] on the leads of each owner. */
struct report_activity_row {
	const char *owner;
	int64_t calls, emails, meetings, notes, moves, gone_inactive;
};
/* Leads created in [since, now] by source (ignoring case). */
struct report_sources_row {
	const char *source;
	int64_t leads, won, lost;
	double avg_score;
};

typedef int (*report_tasks_fn)(const struct report_tasks_row *r, void *ctx);
typedef int (*report_activity_fn)(const struct report_activity_row *r, void *ctx);
typedef int (*report_sources_fn)(const struct report_sources_row *r, void *ctx);

/*
 * The reports (lib/report.c), one call of fn per row: per owner in order
 * of name (no owner last) with by_owner, else one row for everyone; the
 * sources most leads first. Every count is 0 when there is nothing.
 */
int report_tasks(struct db *db, int64_t since, int64_t now, bool by_owner, report_tasks_fn fn,
                 void *ctx, struct lerr *err);
int report_activity(struct db *db, int64_t since, int64_t now, bool by_owner, report_activity_fn fn,
                    void *ctx, struct lerr *err);
int report_sources(struct db *db, const struct config *cfg, int64_t since, int64_t now,
                   report_sources_fn fn, void *ctx, struct lerr *err);

/* --- storage (lib/db_funnel.c) --- */

/*
 * One read transaction around the funnel's statements (SQLite; *began
 * tells whether one was begun): the histograms and the ranges read again
 * to pick a median see the same data, whatever moves meanwhile.
 */
int db_funnel_read_begin(struct db *db, bool *began, struct lerr *err);
void db_funnel_read_end(struct db *db, bool began);

/* Does the stages table hold the config's stages in its order (so that
 * reached_pos is in its positions)? */
int db_funnel_in_step(struct db *db, const struct config *cfg, bool *same, struct lerr *err);

/* The leads: stage key, stage_entered_at, reached_pos (-1 if NULL), value ... */
typedef void (*db_funnel_all_fn)(void *ctx, const char *stage, size_t len, int64_t entered,
                                 int64_t reached, bool has_value, int64_t value);
/* ... in stage; in a stage after after and before before (NULL: open), byte order. */
int db_funnel_scan_stage(struct db *db, const char *stage, db_funnel_all_fn fn, void *ctx,
                         struct lerr *err);
int db_funnel_scan_gap(struct db *db, const char *after, const char *before, db_funnel_all_fn fn,
                       void *ctx, struct lerr *err);
/* The stay histogram: per stage key and bucket, count and seconds. */
typedef void (*db_funnel_hist_fn)(void *ctx, const char *stage, int64_t lo, int64_t n,
                                  int64_t secs);
int db_funnel_hist(struct db *db, db_funnel_hist_fn fn, void *ctx, struct lerr *err);
/* Where a bucket starting at lo ends (the buckets of the stays_add trigger). */
int64_t funnel_bucket_end(int64_t lo);
/* A lead id and a number, in no particular order. */
typedef void (*db_funnel_pair_fn)(void *ctx, int64_t id, int64_t x);
/* The finished stays of a stage lasting [lo, hi) seconds: lead id, seconds. */
int db_funnel_stay_range(struct db *db, const char *stage, int64_t lo, int64_t hi,
                         db_funnel_pair_fn fn, void *ctx, struct lerr *err);
/* The leads in stage now that entered it in (after, upto]: id, stage_entered_at. */
int db_funnel_current_range(struct db *db, const char *stage, int64_t after, int64_t upto,
                            db_funnel_pair_fn fn, void *ctx, struct lerr *err);
/* The ids of the leads in stage now (x is 0). */
int db_funnel_stage_ids(struct db *db, const char *stage, db_funnel_pair_fn fn, void *ctx,
                        struct lerr *err);
/* Every finished stay in stage: lead id, seconds. */
int db_funnel_stay_leads(struct db *db, const char *stage, db_funnel_pair_fn fn, void *ctx,
                         struct lerr *err);
/* Leads with a finished stay in stage that are in another stage now. */
int db_funnel_left(struct db *db, const char *stage, int64_t *n, struct lerr *err);

/* The general path: the leads the filter selects (without f->where). */
struct db_funnel_lead {
	int64_t id, entered, value, created;
	bool has_value;
	const char *stage, *owner, *source;
};
typedef void (*db_funnel_lead_fn)(void *ctx, const struct db_funnel_lead *l);
int db_funnel_scan(struct db *db, const struct funnel_filter *f, db_funnel_lead_fn fn, void *ctx,
                   struct lerr *err);
/* Every finished stay: lead id, stage key, seconds. */
typedef void (*db_funnel_stay_fn)(void *ctx, int64_t lead_id, const char *stage, size_t len,
                                  int64_t secs);
int db_funnel_stays(struct db *db, db_funnel_stay_fn fn, void *ctx, struct lerr *err);
/* Smallest and largest lead id (0, 0 when there are none). */
int db_funnel_id_range(struct db *db, int64_t *lo, int64_t *hi, struct lerr *err);

int db_report_tasks(struct db *db, int64_t since, int64_t now, bool by_owner, report_tasks_fn fn,
                    void *ctx, struct lerr *err);
/* Every lead's id and owner. */
typedef void (*db_report_owner_fn)(void *ctx, int64_t id, const char *owner);
int db_report_owners(struct db *db, db_report_owner_fn fn, void *ctx, struct lerr *err);
/* The events in [since, now] that the activity report counts. */
typedef void (*db_report_event_fn)(void *ctx, int64_t lead_id, const char *kind, const char *to);
int db_report_events(struct db *db, int64_t since, int64_t now, db_report_event_fn fn, void *ctx,
                     struct lerr *err);
/* The leads created in [since, now]: source, stage key, score. */
typedef void (*db_report_lead_fn)(void *ctx, const char *source, const char *stage, int64_t score);
int db_report_leads(struct db *db, int64_t since, int64_t now, db_report_lead_fn fn, void *ctx,
                    struct lerr *err);

#endif
