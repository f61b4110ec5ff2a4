/* test_when.c - times as people type them (lib/when.h), in a zone. */
#include "tap.h"

#include "ltime.h"
#include "tz.h"
#include "when.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct tz *sp, *ny; /* America/Sao_Paulo (-03:00), America/New_York */
static int64_t now;        /* Thursday 2026-12-03 14:30 in Sao Paulo */

/* s parsed in zone tz with rounding r, shown back in that zone ("" on failure). */
static const char *p(const struct tz *tz, const char *s, enum when_round r)
{
	static char buf[LTIME_BUFSZ];
	int64_t t;
	if (!when_parse(s, now, tz, r, &t))
		return "";
	tz_fmt(tz, t, buf);
	return buf;
}

static void test_iso(void)
{
	is_str(p(sp, "2026-12-06T10:00", WHEN_START), "2026-12-06T10:00:00-03:00",
	       "no offset: local time");
	is_str(p(sp, "2026-12-06 10:00", WHEN_START), "2026-12-06T10:00:00-03:00", "space for T");
	is_str(p(sp, "2026-12-06T10:00:00Z", WHEN_START), "2026-12-06T07:00:00-03:00", "Z is UTC");
	is_str(p(sp, "2026-12-06T10:00+01:00", WHEN_START), "2026-12-06T06:00:00-03:00",
	       "an offset is kept");
	is_str(p(sp, "2026-12-06", WHEN_START), "2026-12-06T00:00:00-03:00", "a date: its start");
	is_str(p(sp, "2026-12-06", WHEN_END), "2026-12-06T23:59:59-03:00", "a date: its end");
	int64_t t;
	ok(when_parse("2026-12-06T10:00", now, NULL, WHEN_START, &t) && t == 1796551200,
	   "NULL zone is UTC");
	/* New York's spring-forward gap: 02:30 does not exist, 03:30 EDT */
	is_str(p(ny, "2026-03-08T02:30", WHEN_START), "2026-03-08T03:30:00-04:00", "DST gap");
}

static void test_words(void)
{
	is_str(p(sp, "now", WHEN_START), "2026-12-03T14:30:00-03:00", "now");
	is_str(p(sp, "NOW", WHEN_START), "2026-12-03T14:30:00-03:00", "case-insensitive");
	is_str(p(sp, "today", WHEN_START), "2026-12-03T00:00:00-03:00", "today: start");
	is_str(p(sp, "today", WHEN_END), "2026-12-03T23:59:59-03:00", "today: end");
	is_str(p(sp, "eod", WHEN_START), "2026-12-03T23:59:59-03:00", "eod");
	is_str(p(sp, "tomorrow", WHEN_END), "2026-12-04T23:59:59-03:00", "tomorrow");
	is_str(p(sp, "tomorrow 10:00", WHEN_END), "2026-12-04T10:00:00-03:00", "tomorrow 10:00");
	is_str(p(sp, "tomorrow at 9am", WHEN_END), "2026-12-04T09:00:00-03:00", "at 9am");
	is_str(p(sp, "yesterday", WHEN_START), "2026-12-02T00:00:00-03:00", "yesterday");
	is_str(p(sp, "friday", WHEN_START), "2026-12-04T00:00:00-03:00", "friday: the next one");
	is_str(p(sp, "thu", WHEN_START), "2026-12-10T00:00:00-03:00", "thu on a Thursday: next");
	is_str(p(sp, "thurs", WHEN_START), "2026-12-10T00:00:00-03:00", "thurs");
	is_str(p(sp, "Mon 3pm", WHEN_START), "2026-12-07T15:00:00-03:00", "mon 3pm");
	is_str(p(sp, "next monday", WHEN_START), "2026-12-07T00:00:00-03:00", "next monday");
	is_str(p(sp, "next week", WHEN_START), "2026-12-07T00:00:00-03:00", "next week: Monday");
	is_str(p(sp, "next month", WHEN_START), "2027-01-01T00:00:00-03:00", "next month");
	is_str(p(sp, "17:45", WHEN_START), "2026-12-03T17:45:00-03:00", "a time alone: today");
	is_str(p(sp, "12am", WHEN_START), "2026-12-03T00:00:00-03:00", "12am is midnight");
	is_str(p(sp, "12pm", WHEN_START), "2026-12-03T12:00:00-03:00", "12pm is noon");
	is_str(p(sp, "noon", WHEN_START), "2026-12-03T12:00:00-03:00", "noon");
}

static void test_relative(void)
{
	is_str(p(sp, "+2d", WHEN_START), "2026-12-05T14:30:00-03:00", "+2d");
	is_str(p(sp, "-3h", WHEN_START), "2026-12-03T11:30:00-03:00", "-3h");
	is_str(p(sp, "in 3h", WHEN_START), "2026-12-03T17:30:00-03:00", "in 3h");
	is_str(p(sp, "in 2 days", WHEN_START), "2026-12-05T14:30:00-03:00", "in 2 days");
	is_str(p(sp, "in 1 hour", WHEN_START), "2026-12-03T15:30:00-03:00", "in 1 hour");
	is_str(p(sp, "3 days ago", WHEN_START), "2026-11-30T14:30:00-03:00", "3 days ago");
	is_str(p(sp, "1w ago", WHEN_START), "2026-11-26T14:30:00-03:00", "1w ago");
	is_str(p(sp, "in 1mo", WHEN_START), "2027-01-03T14:30:00-03:00", "in 1mo");
}

static void test_bad(void)
{
	static const char *const bad[] = {
		"",         "   ",
		"someday",  "tomorrow 25:00",
		"13pm",     "0am",
		"in",       "in 3",
		"in x h",   "3 ago",
		"next",     "next year",
		"+",        "+2",
		"2d",       "friday 10",
		"10",       "2026-13-01",
		"today at", "now now",
		"1:5",      "tomorrow 10:00 x",
		"in -3h",   "in 3 parsecs",
	};
	int64_t t = 42;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ok(!when_parse(bad[i], now, sp, WHEN_START, &t) && t == 42, "rejects '%s'", bad[i]);
}

static void test_fmt(void)
{
	char buf[LTIME_BUFSZ];
	int64_t t;
	ltime_parse("2026-12-06T13:00:00Z", &t);
	when_fmt_local(sp, t, buf);
	is_str(buf, "2026-12-06 10:00", "local, minutes");
	when_fmt_local(NULL, t, buf);
	is_str(buf, "2026-12-06 13:00", "NULL is UTC");
	int64_t from, until;
	when_day(sp, t, &from, &until);
	ok(until - from == 86400 && from == t - 10 * 3600, "the local day around t");
}

int main(void)
{
	struct lerr e = { 0 };
	if (tz_load("America/Sao_Paulo", &sp, &e) || tz_load("America/New_York", &ny, &e)) {
		printf("1..0 # skip no tzdata: %s\n", e.msg);
		return 0;
	}
	ltime_parse("2026-12-03T17:30:00Z", &now);
	test_iso();
	test_words();
	test_relative();
	test_bad();
	test_fmt();
	tz_free(sp);
	tz_free(ny);
	return done_testing();
}
