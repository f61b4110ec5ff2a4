/*
 * forecast.h - `leads report forecast`: the open pipeline as expected
 * revenue, by month of expected close, by owner or by stage (see
 * leads-report(1) for the definitions, kept in one place there).
 *
 * Per open lead (an active stage, status not unqualified):
 *
 * probability  its stage's `probability:` from the config, else learned
 *              from the history: of the closed leads (in a won or a lost
 *              stage now) that reached the stage, the share that is won
 *              (reached as in the funnel: reached_pos). No closed lead
 *              reached it: 0, and the stage row says so (sample 0).
 * close month  its close_date; else the day it entered its stage plus the
 *              median time from entering that stage to being won, over
 *              the won leads that were in it (their stays); else none.
 *              A date already past counts in the current month. Months
 *              are local to the config's zone (business_hours), else UTC.
 * pipeline     value, unweighted; best case: value x probability;
 *              commit: value of the leads with probability >= 90% or
 *              category "commit".
 * won          value of the leads in a won stage that entered it from
 *              `since` on (by month: in that month).
 *
 * Sums are checked 64-bit: a sum that does not fit is an error (65).
 */
#ifndef LEADS_FORECAST_H
#define LEADS_FORECAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "db.h"
#include "util.h"

enum fc_by { FC_BY_MONTH, FC_BY_OWNER, FC_BY_STAGE };
enum fc_src { FC_SRC_NONE, FC_SRC_CONFIG, FC_SRC_HISTORY };

struct fc_row {
	char *key;        /* "2026-12", an owner, a stage key; NULL: no date / no owner */
	char *label;      /* the stage's name (by stage), else NULL */
	int64_t deals;    /* open leads */
	int64_t pipeline; /* cents */
	int64_t best;     /* cents, rounded */
	int64_t commit;   /* cents */
	int64_t won;      /* cents */
	int64_t nwon;     /* won leads counted in won */
	/* by stage only */
	int prob; /* basis points */
	enum fc_src src;
	int64_t sample, sample_won; /* closed leads that reached it, and the won ones */
	int64_t median_secs;        /* to won from entering it; -1: no history */
};

struct forecast {
	struct fc_row *v;
	size_t n;
	struct fc_row total;
	char month_now[32]; /* "2026-12" */
};

/* The storage side (lib/db_forecast.c): each lead, each stay of a lead. */
struct fc_lead_row {
	const char *owner, *stage, *status, *close_date, *category;
	bool has_value;
	int64_t value, entered, reached; /* reached: -1 when unknown */
};
int db_forecast_leads(struct db *db, void (*fn)(const struct fc_lead_row *r, void *ctx), void *ctx,
                      struct lerr *err);
int db_forecast_stays(struct db *db,
                      void (*fn)(const char *stage, int64_t entered, const char *now_stage,
                                 int64_t now_entered, void *ctx),
                      void *ctx, struct lerr *err);

/* since: won from then on (and, by month, the first month shown). */
int forecast_run(struct db *db, const struct config *cfg, int64_t now, int64_t since, enum fc_by by,
                 struct forecast *out, struct lerr *err);
void forecast_free(struct forecast *f);
/* The first instant of the month holding t, in the config's zone (else UTC). */
int64_t forecast_month_start(const struct config *cfg, int64_t t);
/* A standalone SVG: one group of bars per row. */
void forecast_svg(const struct forecast *f, enum fc_by by, const char *title, struct sb *out);

#endif
