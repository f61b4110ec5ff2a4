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
 * with optional ".fraction" (or ",fraction"; dropped, i.e. truncated)
 * after the seconds, and optional "Z" or "+HH:MM" / "+HHMM" / "+HH" zone
 * (or "-") after a time; a space may replace the "T", and "t"/"z" are
 * accepted (RFC 3339). No zone means UTC.
 * Calendar-checked: 2024-02-30 is rejected, and so are hour 24, second 60
 * (leap seconds), zone offsets beyond 23:59, years outside 1900..9999 and
 * any trailing text. Returns false on anything else; *out is set only on
 * success.
 */
bool ltime_parse(const char *s, int64_t *out);

/*
 * "2026-11-24T10:30:00Z"; buf must hold LTIME_BUFSZ bytes. Defined for
 * every int64: years before 0 or after 9999 print with a sign or more
 * digits ("-001-12-31...", "292277026596-12-04T15:30:07Z").
 */
#define LTIME_BUFSZ 32
void ltime_fmt(int64_t t, char *buf);
/* "2026-11-24" */
void ltime_fmt_date(int64_t t, char *buf);

/*
 * Days since 1970-01-01 of a proleptic Gregorian date, and back (Howard
 * Hinnant's algorithms). m must be 1..12 and d 1..31 (d past the month's
 * end just counts on); exact for |y| < 2^50.
 */
int64_t ltime_days_from_civil(int64_t y, unsigned m, unsigned d);
void ltime_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
bool ltime_valid_date(int64_t y, unsigned m, unsigned d);

/*
 * A duration: "30m", "2h", "3d", "1w", "3mo", "90s", and sums of them
 * ("1d12h", in any order). Units are lower case: s, m (minutes), h, d,
 * w, mo (months). No spaces, signs, fractions or bare numbers. Months are
 * calendar months (added with ldur_add), everything else is exact seconds.
 * "0" is not accepted, nor a total of zero ("0d"), nor negatives, nor more
 * than 10000*366 days of seconds or 120000 months (so nothing overflows).
 */
struct ldur {
	int64_t secs;
	int32_t months;
};
bool ldur_parse(const char *s, struct ldur *d);
/*
 * t + d: months first, added on the calendar with the day clamped
 * (Jan 31 + 1mo = Feb 28/29), then the seconds. Saturates at the int64
 * limits instead of overflowing.
 */
int64_t ldur_add(int64_t t, struct ldur d);
/* t - d: seconds first, then months, so ldur_sub undoes ldur_add unless a
 * day was clamped. Saturates like ldur_add. */
int64_t ldur_sub(int64_t t, struct ldur d);
/*
 * Shortest canonical text: "3d", "1d12h", "3mo", "1mo2d"; buf of
 * LTIME_BUFSZ. The largest units, zero parts left out; weeks only when the
 * days are a whole number of weeks ("2w", but "10d" and "30d"). Zero is
 * "0s"; a negative duration "-1d". ldur_parse reads back what it prints.
 */
void ldur_fmt(struct ldur d, char *buf);
/* Seconds, counting a month as 30 days (for comparisons only). */
int64_t ldur_approx_secs(struct ldur d);
bool ldur_is_zero(struct ldur d);

#endif
