/*
 * when.h - times as a person types and reads them, in the user's zone.
 *
 * The rules (written for users in leads(1), Times):
 *   - ISO 8601 with "Z" or an offset is that instant; without one it is a
 *     local time in the zone given ("2026-12-06T10:00", "2026-12-06 10:00").
 *   - now; today, tomorrow, yesterday; weekday names (monday or mon: the
 *     next one, today not included; "next monday" is the same); next week
 *     (its Monday), next month (its first day); eod (the end of today).
 *   - a day may be followed by a time of day: "tomorrow 10:00", "fri 3pm",
 *     "today at 17:30"; a time of day alone is today at that time.
 *   - +2d, -3h, in 3h, in 2 days, 3 days ago (units of ldur_parse, or the
 *     words minute(s), hour(s), day(s), week(s), month(s)).
 *   - a day without a time of day stands for its start (00:00) when the
 *     caller asks for WHEN_START (filters: --since) and for its end (23:59:59)
 *     with WHEN_END (due times: "tomorrow" is due by the end of tomorrow).
 * Words are case-insensitive. lib/ never reads the clock: now is given.
 */
#ifndef LEADS_WHEN_H
#define LEADS_WHEN_H

#include <stdbool.h>
#include <stdint.h>

#include "tz.h"

enum when_round { WHEN_START, WHEN_END };

/* Parse s; tz NULL means UTC. *out is set only on success. */
bool when_parse(const char *s, int64_t now, const struct tz *tz, enum when_round r, int64_t *out);

/* "2026-12-06 10:00" in tz (NULL: UTC); buf of LTIME_BUFSZ bytes. */
void when_fmt_local(const struct tz *tz, int64_t t, char *buf);

/* [from, until): the local day of t in tz (NULL: UTC). */
void when_day(const struct tz *tz, int64_t t, int64_t *from, int64_t *until);

#endif
