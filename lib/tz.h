/*
 * tz.h - IANA time zones without the process TZ: a small reader of the
 * TZif files (RFC 8536, versions 1 to 4) in /usr/share/zoneinfo, with the
 * POSIX TZ rule of the footer for times after the last transition.
 *
 * Nothing here calls tzset(), localtime() or reads $TZ, so a config's
 * `business_hours: timezone:` can never be confused by, nor change, the
 * zone of the process. The files come from TZ_DIR (Debian's tzdata
 * package); tests use the system files too.
 *
 * Leap-second ("right/") zones are read without their corrections: leads
 * counts POSIX seconds like everything else on the system.
 */
#ifndef LEADS_TZ_H
#define LEADS_TZ_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#ifndef TZ_DIR
#define TZ_DIR "/usr/share/zoneinfo"
#endif

struct tz;

/*
 * Load the zone "America/New_York" (or "UTC"). The name must be a relative
 * path of letters, digits and - _ + / (no "..", no leading '/'). Returns 0,
 * EX_CONFIG for a name that is not a zone (message says so), EX_IOERR when
 * the file exists but cannot be read, EX_DATAERR when it is not TZif.
 */
int tz_load(const char *name, struct tz **out, struct lerr *err);
/* The same from the bytes of a TZif file (tests, fuzzing). */
int tz_parse(const char *name, const unsigned char *buf, size_t len, struct tz **out,
             struct lerr *err);
/* UTC, no file needed. Never fails. */
struct tz *tz_utc(void);
void tz_free(struct tz *tz);

/* Offset from UTC in seconds at instant t (local = t + offset). */
int32_t tz_offset(const struct tz *tz, int64_t t);

/*
 * The instant at which the local clock shows `local` (seconds since
 * 1970-01-01T00:00 local). A local time that happens twice (clocks going
 * back) gives the earlier instant; one that never happens (clocks going
 * forward) gives the instant the same distance after the jump, e.g. 02:30
 * on the spring-forward night in New York is 03:30 EDT.
 */
int64_t tz_local_to_utc(const struct tz *tz, int64_t local);

/* Local calendar of t: days since 1970-01-01 and seconds into that day. */
void tz_local(const struct tz *tz, int64_t t, int64_t *day, int32_t *secs);

/*
 * "2026-11-24T10:30:00-03:00": t in the zone's local time with its offset
 * (buf of LTIME_BUFSZ bytes).
 */
void tz_fmt(const struct tz *tz, int64_t t, char *buf);

#endif
