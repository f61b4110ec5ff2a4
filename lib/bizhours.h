/*
 * bizhours.h - business hours: when a team works, and due times counted
 * only in that time.
 *
 *   business_hours:
 *     timezone: America/Sao_Paulo     # IANA name (required)
 *     days: [mon-fri]                 # default mon-fri; names or ranges
 *     hours: "09:00-18:00"            # default 09:00-17:00; or a list of
 *                                     #   ranges ["09:00-12:00", "13:00-18:00"]
 *     holidays: [2026-12-25, 01-01]   # dates, or MM-DD for every year
 *
 * Counting business time (bh_add, bh_sub), for a duration of
 *   s, m, h   working time: the clock only runs inside the hours of working
 *             days, so 2h from Friday 17:00 (hours 09-18) is Monday 10:00;
 *   d, w      working days: the same time of day N working days later (a
 *             week is as many working days as `days` lists);
 *   mo        calendar months on the local calendar, then to the next
 *             working moment.
 * A start outside working time first moves to the next working moment
 * (bh_sub: back to the previous one). Windows are computed per local day
 * from the zone's rules, so a DST change moves them with the wall clock.
 *
 * Without business hours, bh_cal_add adds d, w and mo on the local
 * calendar of the zone (same wall time N days later, across DST) and
 * s, m, h as exact seconds.
 */
#ifndef LEADS_BIZHOURS_H
#define LEADS_BIZHOURS_H

#include <stdbool.h>
#include <stdint.h>

#include "ltime.h"
#include "lyaml.h"
#include "tz.h"
#include "util.h"

#define BH_MAX_WINDOWS 8

struct bizhours {
	char *tzname;
	struct tz *tz;
	unsigned days; /* bit 0 Sunday ... bit 6 Saturday */
	struct {
		int32_t start, end; /* seconds into the local day, end <= 86400 */
	} win[BH_MAX_WINDOWS];
	size_t nwin;
	int64_t *holidays; /* local days since 1970-01-01, sorted */
	size_t nholidays;
	int *annual; /* month * 100 + day, every year */
	size_t nannual;
};

/*
 * A duration split the way business time counts it: "1w2d4h30m" is
 * weeks 1, days 2, secs 16200. Parsed with the units of ldur_parse.
 */
struct bh_dur {
	int32_t months;
	int64_t weeks, days, secs;
};
bool bh_dur_parse(const char *s, struct bh_dur *out);

/*
 * Parse the business_hours mapping; its timezone defaults to default_tz (the
 * config's top-level timezone:, may be NULL). NULL after reporting through
 * ly_error.
 */
struct bizhours *bh_parse(struct yaml_ctx *y, yaml_node_t *n, const char *default_tz);
/* Programmatic construction (tests): "mon-fri", "09:00-18:00", NULL holidays. */
int bh_new(const char *tzname, const char *days, const char *hours, struct bizhours **out,
           struct lerr *err);
void bh_free(struct bizhours *bh);
/* YAML for config_write_yaml ("business_hours:\n  timezone: ...\n"). */
void bh_write(const struct bizhours *bh, struct sb *out);

/* Is local day `day` (days since epoch) a working day? */
bool bh_workday(const struct bizhours *bh, int64_t day);
/* Is t inside working hours (a window's end counts as inside)? */
bool bh_open(const struct bizhours *bh, int64_t t);

/* t plus / minus d of business time (see the top of this file). */
int64_t bh_add(const struct bizhours *bh, int64_t t, const struct bh_dur *d);
int64_t bh_sub(const struct bizhours *bh, int64_t t, const struct bh_dur *d);

/*
 * t plus / minus d on the local calendar of tz (NULL = UTC): months and
 * days keep the wall time, the rest is exact seconds.
 */
int64_t bh_cal_add(const struct tz *tz, int64_t t, const struct bh_dur *d);
int64_t bh_cal_sub(const struct tz *tz, int64_t t, const struct bh_dur *d);

/* Approximate length in seconds (a month is 30 days), for sanity checks. */
int64_t bh_dur_approx(const struct bh_dur *d);

#endif
