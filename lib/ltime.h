/*
 * ltime.h - times and durations.
 *
 * Times are int64 seconds since the epoch, UTC. lib/ never reads the
 * clock: "now" is passed in by cmd/ (from --now, LEADS_NOW or time()).
 */
#ifndef LEADS_LTIME_H
#define LEADS_LTIME_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Parse ISO 8601: "2026-11-24", "2026-11-24T10:30", "2026-11-24T10:30:00",
 * with optional ".fraction" (dropped), and optional "Z" or "+HH:MM" /
 * "+HHMM" / "+HH" zone; a space may replace the "T". No zone means UTC.
 * Calendar-checked: 2024-02-30 is rejected. Returns false on anything else.
 */
bool ltime_parse(const char *s, int64_t *out);

/* "2026-11-24T10:30:00Z"; buf must hold LTIME_BUFSZ bytes. */
#define LTIME_BUFSZ 32
void ltime_fmt(int64_t t, char *buf);
/* "2026-11-24" */
void ltime_fmt_date(int64_t t, char *buf);

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t ltime_days_from_civil(int64_t y, unsigned m, unsigned d);
void ltime_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
bool ltime_valid_date(int64_t y, unsigned m, unsigned d);

/*
 * A duration: "30m", "2h", "3d", "1w", "3mo", "90s", and sums of them
 * ("1d12h"). Months are calendar months (added with ltime_add), everything
 * else is exact seconds. "0" alone is not accepted, nor negatives.
 */
struct ldur {
	int64_t secs;
	int32_t months;
};
bool ldur_parse(const char *s, struct ldur *d);
/* t + d, months added on the calendar (Jan 31 + 1mo = Feb 28/29). */
int64_t ldur_add(int64_t t, struct ldur d);
/* t - d */
int64_t ldur_sub(int64_t t, struct ldur d);
/* Shortest canonical text: "3d", "1d12h", "3mo"; buf of LTIME_BUFSZ. */
void ldur_fmt(struct ldur d, char *buf);
/* Seconds, counting a month as 30 days (for comparisons only). */
int64_t ldur_approx_secs(struct ldur d);
bool ldur_is_zero(struct ldur d);

#endif
