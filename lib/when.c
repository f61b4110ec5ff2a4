/* when.c - natural and local time input (see when.h). */
#include "when.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ltime.h"

#define MAX_WORDS 6
#define WORD_LEN  32

static const char *const wdays[] = { "sunday",   "monday", "tuesday", "wednesday",
	                             "thursday", "friday", "saturday" };

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int64_t local_of(const struct tz *tz, int64_t t)
{
	return t + (tz ? tz_offset(tz, t) : 0);
}

static int64_t utc_of(const struct tz *tz, int64_t local)
{
	return tz ? tz_local_to_utc(tz, local) : local;
}

void when_day(const struct tz *tz, int64_t t, int64_t *from, int64_t *until)
{
	int64_t day = floor_div(local_of(tz, t), 86400);
	*from = utc_of(tz, day * 86400);
	*until = utc_of(tz, (day + 1) * 86400);
}

void when_fmt_local(const struct tz *tz, int64_t t, char *buf)
{
	int64_t l = local_of(tz, t), day = floor_div(l, 86400), y;
	unsigned m, d;
	int64_t s = l - day * 86400;
	ltime_civil_from_days(day, &y, &m, &d);
	if (y < 0 || y > 9999) {
		ltime_fmt(t, buf);
		return;
	}
	snprintf(buf, LTIME_BUFSZ, "%04d-%02u-%02u %02d:%02d", (int)y, m, d, (int)(s / 3600),
	         (int)(s / 60 % 60));
}

/* A time of day: "10:00", "9:30", "10:00:15", "3pm", "3:30pm", "noon", "midnight". */
static bool parse_tod(const char *w, int32_t *secs)
{
	if (strcmp(w, "noon") == 0) {
		*secs = 12 * 3600;
		return true;
	}
	if (strcmp(w, "midnight") == 0) {
		*secs = 0;
		return true;
	}
	int h = 0, m = 0, s = 0, n = 0;
	const char *p = w;
	if (!isdigit((unsigned char)*p))
		return false;
	while (isdigit((unsigned char)*p) && n < 3)
		h = h * 10 + (*p++ - '0'), n++;
	if (n > 2)
		return false;
	bool colon = false;
	if (*p == ':') {
		colon = true;
		if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
			return false;
		m = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
		if (*p == ':') {
			if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
				return false;
			s = (p[1] - '0') * 10 + (p[2] - '0');
			p += 3;
		}
	}
	if (strcmp(p, "am") == 0 || strcmp(p, "pm") == 0) {
		if (h < 1 || h > 12)
			return false;
		h = h % 12 + (*p == 'p' ? 12 : 0);
	} else if (*p || !colon) {
		return false;
	}
	if (h > 23 || m > 59 || s > 59)
		return false;
	*secs = h * 3600 + m * 60 + s;
	return true;
}

static int weekday(const char *w)
{
	size_t n = strlen(w);
	for (int i = 0; i < 7; i++) {
		if (strcmp(w, wdays[i]) == 0 || (n == 3 && strncmp(w, wdays[i], 3) == 0))
			return i;
		/* tue, tues, thu, thur, thurs, wed, weds */
		if (n >= 3 && n < strlen(wdays[i]) && strncmp(w, wdays[i], n) == 0 &&
		    (i == 2 || i == 4))
			return i;
	}
	if (strcmp(w, "weds") == 0)
		return 3;
	return -1;
}

/* "3" "hours" -> a duration; also "3h" alone (w2 NULL). */
static bool parse_amount(const char *w1, const char *w2, struct ldur *d)
{
	if (!w2)
		return ldur_parse(w1, d);
	static const struct {
		const char *word, *unit;
	} units[] = {
		{ "second", "s" }, { "seconds", "s" }, { "sec", "s" },  { "secs", "s" },
		{ "minute", "m" }, { "minutes", "m" }, { "min", "m" },  { "mins", "m" },
		{ "hour", "h" },   { "hours", "h" },   { "hr", "h" },   { "hrs", "h" },
		{ "day", "d" },    { "days", "d" },    { "week", "w" }, { "weeks", "w" },
		{ "month", "mo" }, { "months", "mo" }, { "s", "s" },    { "m", "m" },
		{ "h", "h" },      { "d", "d" },       { "w", "w" },    { "mo", "mo" },
	};
	if (strspn(w1, "0123456789") != strlen(w1) || strlen(w1) > 6)
		return false;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (strcmp(w2, units[i].word) == 0) {
			char buf[WORD_LEN];
			snprintf(buf, sizeof buf, "%s%s", w1, units[i].unit);
			return ldur_parse(buf, d);
		}
	}
	return false;
}

/* Does the ISO text carry a zone ("Z", "+03:00", "-0300") after a time? */
static bool iso_has_zone(const char *s)
{
	size_t n = strlen(s);
	if (n <= 10)
		return false;
	return strpbrk(s + 10, "Zz+-") != NULL;
}

static int64_t day_start(const struct tz *tz, int64_t day)
{
	return utc_of(tz, day * 86400);
}

static int64_t day_end(const struct tz *tz, int64_t day)
{
	return utc_of(tz, (day + 1) * 86400) - 1;
}

bool when_parse(const char *s, int64_t now, const struct tz *tz, enum when_round r, int64_t *out)
{
	if (!s)
		return false;
	int64_t t;
	if (ltime_parse(s, &t)) {
		if (iso_has_zone(s)) {
			*out = t;
			return true;
		}
		int64_t day = floor_div(t, 86400);
		if (strlen(s) == 10) /* a date alone */
			*out = r == WHEN_END ? day_end(tz, day) : day_start(tz, day);
		else
			*out = utc_of(tz, t);
		return true;
	}

	/* words, lower-cased */
	char w[MAX_WORDS][WORD_LEN];
	int nw = 0;
	for (const char *p = s;;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		size_t len = strcspn(p, " \t");
		if (nw == MAX_WORDS || len >= WORD_LEN)
			return false;
		for (size_t i = 0; i < len; i++)
			w[nw][i] = (char)tolower((unsigned char)p[i]);
		w[nw][len] = '\0';
		nw++;
		p += len;
	}
	if (!nw)
		return false;

	struct ldur d;
	if (nw == 1 && strcmp(w[0], "now") == 0) {
		*out = now;
		return true;
	}
	if (nw == 1 && (w[0][0] == '+' || w[0][0] == '-') && ldur_parse(w[0] + 1, &d)) {
		*out = w[0][0] == '+' ? ldur_add(now, d) : ldur_sub(now, d);
		return true;
	}
	if (strcmp(w[0], "in") == 0 && (nw == 2 || nw == 3) &&
	    parse_amount(w[1], nw == 3 ? w[2] : NULL, &d)) {
		*out = ldur_add(now, d);
		return true;
	}
	if ((nw == 2 || nw == 3) && strcmp(w[nw - 1], "ago") == 0 &&
	    parse_amount(w[0], nw == 3 ? w[1] : NULL, &d)) {
		*out = ldur_sub(now, d);
		return true;
	}

	int64_t today = floor_div(local_of(tz, now), 86400);
	int64_t day;
	int i = 0;
	if (strcmp(w[0], "eod") == 0 && nw == 1) {
		*out = day_end(tz, today);
		return true;
	}
	int32_t tod;
	if (nw == 1 && parse_tod(w[0], &tod)) {
		*out = utc_of(tz, today * 86400 + tod);
		return true;
	}
	/* 1970-01-01 was a Thursday: weekday of day n is (n + 4) mod 7 */
	int wd_today = (int)((today % 7 + 7 + 4) % 7);
	if (strcmp(w[0], "today") == 0) {
		day = today, i = 1;
	} else if (strcmp(w[0], "tomorrow") == 0) {
		day = today + 1, i = 1;
	} else if (strcmp(w[0], "yesterday") == 0) {
		day = today - 1, i = 1;
	} else if (weekday(w[0]) >= 0) {
		int k = (weekday(w[0]) - wd_today + 7) % 7;
		day = today + (k ? k : 7), i = 1;
	} else if (strcmp(w[0], "next") == 0 && nw >= 2) {
		i = 2;
		if (strcmp(w[1], "week") == 0) {
			int k = (1 - wd_today + 7) % 7; /* the next Monday */
			day = today + (k ? k : 7);
		} else if (strcmp(w[1], "month") == 0) {
			int64_t y;
			unsigned m, dd;
			ltime_civil_from_days(today, &y, &m, &dd);
			day = m == 12 ? ltime_days_from_civil(y + 1, 1, 1)
			              : ltime_days_from_civil(y, m + 1, 1);
		} else if (weekday(w[1]) >= 0) {
			int k = (weekday(w[1]) - wd_today + 7) % 7;
			day = today + (k ? k : 7);
		} else {
			return false;
		}
	} else {
		return false;
	}
	if (i == nw) {
		*out = r == WHEN_END ? day_end(tz, day) : day_start(tz, day);
		return true;
	}
	if (strcmp(w[i], "at") == 0)
		i++;
	if (i == nw - 1 && parse_tod(w[i], &tod)) {
		*out = utc_of(tz, day * 86400 + tod);
		return true;
	}
	return false;
}
