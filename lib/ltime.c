/*
 * ltime.c - ISO 8601 times and durations on int64 UTC seconds.
 *
 * No libc time-zone function is used (they depend on TZ) and the clock is
 * never read: the calendar is Howard Hinnant's days_from_civil /
 * civil_from_days (http://howardhinnant.github.io/date_algorithms.html),
 * which is exact for the proleptic Gregorian calendar over any year whose
 * day count fits in an int64.
 */
#include "ltime.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define SECS_PER_DAY 86400

/* Limits of what ldur_parse accepts: about 10000 years either way. */
#define LDUR_MAX_SECS   (INT64_C(10000) * 366 * SECS_PER_DAY)
#define LDUR_MAX_MONTHS (10000 * 12)

/* Floor division and its remainder (always >= 0) for b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b < 0) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	int64_t r = a % b;
	return r < 0 ? r + b : r;
}

int64_t ltime_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;                          /* [0, 399] */
	int64_t mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9; /* [0, 11] */
	int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;    /* [0, 365] */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

void ltime_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;                                      /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11] */
	unsigned dd = (unsigned)(doy - (153 * mp + 2) / 5 + 1);              /* [1, 31] */
	unsigned mm = (unsigned)(mp < 10 ? mp + 3 : mp - 9);                 /* [1, 12] */
	*y = yoe + era * 400 + (mm <= 2);
	*m = mm;
	*d = dd;
}

static bool is_leap(int64_t y)
{
	return floor_mod(y, 4) == 0 && (floor_mod(y, 100) != 0 || floor_mod(y, 400) == 0);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && is_leap(y))
		return 29;
	return dim[m - 1];
}

bool ltime_valid_date(int64_t y, unsigned m, unsigned d)
{
	return m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* Exactly n ASCII digits at *p into *v; advances *p. */
static bool digits(const char **p, int n, int *v)
{
	int x = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		x = x * 10 + (c - '0');
	}
	*p += n;
	*v = x;
	return true;
}

/* The zone suffix at p (already past the time): "Z", "+HH", "+HHMM", "+HH:MM". */
static bool parse_zone(const char *p, int64_t *offset)
{
	*offset = 0;
	if (*p == '\0')
		return true;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return true;
	if (*p != '+' && *p != '-')
		return false;
	int sign = *p == '-' ? -1 : 1;
	int hh, mm = 0;
	p++;
	if (!digits(&p, 2, &hh) || hh > 23)
		return false;
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, &mm))
			return false;
	} else if (*p != '\0' && !digits(&p, 2, &mm)) {
		return false;
	}
	if (mm > 59 || *p != '\0')
		return false;
	*offset = sign * (int64_t)(hh * 3600 + mm * 60);
	return true;
}

bool ltime_parse(const char *s, int64_t *out)
{
	if (!s)
		return false;
	const char *p = s;
	int y, mo, d, hh = 0, mi = 0, ss = 0;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
	    !digits(&p, 2, &d))
		return false;
	if (y < 1900 || !ltime_valid_date(y, (unsigned)mo, (unsigned)d))
		return false;
	int64_t offset = 0;
	if (*p != '\0') {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return false;
		p++;
		if (!digits(&p, 2, &hh) || *p++ != ':' || !digits(&p, 2, &mi))
			return false;
		if (*p == ':') {
			p++;
			if (!digits(&p, 2, &ss))
				return false;
			if (*p == '.' || *p == ',') {
				p++;
				if (*p < '0' || *p > '9')
					return false;
				while (*p >= '0' && *p <= '9')
					p++;
			}
		}
		if (hh > 23 || mi > 59 || ss > 59)
			return false;
		if (!parse_zone(p, &offset))
			return false;
	}
	int64_t days = ltime_days_from_civil(y, (unsigned)mo, (unsigned)d);
	*out = days * SECS_PER_DAY + hh * 3600 + mi * 60 + ss - offset;
	return true;
}

static void split(int64_t t, int64_t *y, unsigned *m, unsigned *d, int64_t *sod)
{
	int64_t days = floor_div(t, SECS_PER_DAY);
	*sod = floor_mod(t, SECS_PER_DAY);
	ltime_civil_from_days(days, y, m, d);
}

void ltime_fmt(int64_t t, char *buf)
{
	int64_t y, sod;
	unsigned m, d;
	split(t, &y, &m, &d, &sod);
	snprintf(buf, LTIME_BUFSZ, "%04" PRId64 "-%02u-%02uT%02d:%02d:%02dZ", y, m, d,
	         (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
}

void ltime_fmt_date(int64_t t, char *buf)
{
	int64_t y, sod;
	unsigned m, d;
	split(t, &y, &m, &d, &sod);
	snprintf(buf, LTIME_BUFSZ, "%04" PRId64 "-%02u-%02u", y, m, d);
}

/* Durations */

static const struct unit {
	const char *name;
	int64_t secs; /* 0 for months */
} units[] = {
	/* "mo" before "m": the longest name wins. */
	{ "mo", 0 }, { "w", 7 * SECS_PER_DAY }, { "d", SECS_PER_DAY }, { "h", 3600 }, { "m", 60 },
	{ "s", 1 },
};

bool ldur_parse(const char *s, struct ldur *out)
{
	if (!s || !*s)
		return false;
	int64_t secs = 0, months = 0;
	const char *p = s;
	while (*p) {
		if (*p < '0' || *p > '9')
			return false;
		int64_t n = 0;
		while (*p >= '0' && *p <= '9') {
			if (n > LDUR_MAX_SECS)
				return false;
			n = n * 10 + (*p++ - '0');
		}
		const struct unit *u = NULL;
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			size_t len = strlen(units[i].name);
			if (strncmp(p, units[i].name, len) == 0) {
				u = &units[i];
				p += len;
				break;
			}
		}
		if (!u)
			return false;
		if (u->secs == 0) {
			if (n > LDUR_MAX_MONTHS - months)
				return false;
			months += n;
		} else {
			if (n > (LDUR_MAX_SECS - secs) / u->secs)
				return false;
			secs += n * u->secs;
		}
	}
	if (secs == 0 && months == 0)
		return false;
	out->secs = secs;
	out->months = (int32_t)months;
	return true;
}

static int64_t add_sat(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t sub_sat(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* t plus a (possibly negative) number of calendar months, the day clamped. */
static int64_t add_months(int64_t t, int64_t months)
{
	if (months == 0)
		return t;
	int64_t y, sod, r;
	unsigned m, d;
	split(t, &y, &m, &d, &sod);
	/* |y| < 2^39 for any int64 t and |months| < 2^32: no overflow here. */
	int64_t total = y * 12 + (int64_t)(m - 1) + months;
	int64_t y2 = floor_div(total, 12);
	unsigned m2 = (unsigned)floor_mod(total, 12) + 1;
	unsigned dim = days_in_month(y2, m2);
	unsigned d2 = d > dim ? dim : d;
	int64_t days = ltime_days_from_civil(y2, m2, d2);
	if (__builtin_mul_overflow(days, SECS_PER_DAY, &r))
		return days > 0 ? INT64_MAX : INT64_MIN;
	return add_sat(r, sod);
}

/* Months first, then seconds: "1mo1d" from Jan 31 is Mar 1 (Feb 29 + 1d). */
int64_t ldur_add(int64_t t, struct ldur d)
{
	return add_sat(add_months(t, d.months), d.secs);
}

/* The reverse order of ldur_add, so sub(add(t, d), d) == t unless a day was clamped. */
int64_t ldur_sub(int64_t t, struct ldur d)
{
	return add_months(sub_sat(t, d.secs), -(int64_t)d.months);
}

/* Append s at *pos, never past LTIME_BUFSZ (a too long result is cut). */
static void put(char *buf, size_t *pos, const char *s)
{
	while (*s && *pos < LTIME_BUFSZ - 1)
		buf[(*pos)++] = *s++;
	buf[*pos] = '\0';
}

static void put_n(char *buf, size_t *pos, uint64_t n, const char *unit)
{
	char num[24];
	snprintf(num, sizeof num, "%" PRIu64, n);
	put(buf, pos, num);
	put(buf, pos, unit);
}

static uint64_t uabs(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

void ldur_fmt(struct ldur d, char *buf)
{
	size_t pos = 0;
	buf[0] = '\0';
	if (d.secs == 0 && d.months == 0) {
		put_n(buf, &pos, 0, "s");
		return;
	}
	/*
	 * Wholly negative: one leading sign, "-1mo2d". Mixed signs (never
	 * parsed, only computed) sign each part: "-1mo+2d".
	 */
	bool neg = d.secs <= 0 && d.months <= 0;
	if (neg)
		put(buf, &pos, "-");
	if (d.months != 0) {
		if (!neg && d.months < 0)
			put(buf, &pos, "-");
		put_n(buf, &pos, uabs(d.months), "mo");
	}
	if (d.secs != 0) {
		if (!neg && d.secs < 0)
			put(buf, &pos, "-");
		else if (!neg && d.months < 0)
			put(buf, &pos, "+");
		uint64_t s = uabs(d.secs);
		uint64_t days = s / SECS_PER_DAY;
		s %= SECS_PER_DAY;
		/* Weeks only when they are exact, so "30d" stays "30d" and "14d" is "2w". */
		if (days && days % 7 == 0)
			put_n(buf, &pos, days / 7, "w");
		else if (days)
			put_n(buf, &pos, days, "d");
		if (s / 3600)
			put_n(buf, &pos, s / 3600, "h");
		if (s / 60 % 60)
			put_n(buf, &pos, s / 60 % 60, "m");
		if (s % 60)
			put_n(buf, &pos, s % 60, "s");
	}
}

int64_t ldur_approx_secs(struct ldur d)
{
	return add_sat(d.secs, (int64_t)d.months * 30 * SECS_PER_DAY);
}

bool ldur_is_zero(struct ldur d)
{
	return d.secs == 0 && d.months == 0;
}
