/*
 * test_bizhours.c - the TZif reader against glibc's own (an independent
 * reading of the same files), and business-time arithmetic across nights,
 * weekends, holidays and DST changes.
 */
#include "tap.h"

#include "bizhours.h"
#include "ltime.h"
#include "tz.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *nm(const char *fmt, ...) TAP_PRINTF(1, 2);
static const char *nm(const char *fmt, ...)
{
	static char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

static int64_t T(const char *s)
{
	int64_t t = 0;
	if (!ltime_parse(s, &t))
		diag("bad time %s", s);
	return t;
}

static const char *F(int64_t t)
{
	static char buf[4][LTIME_BUFSZ];
	static int i;
	i = (i + 1) % 4;
	ltime_fmt(t, buf[i]);
	return buf[i];
}

/* glibc's offset at t for zone name (the test may use the process TZ). */
static long glibc_offset(const char *zone, time_t t)
{
	static char cur[64];
	if (strcmp(cur, zone) != 0) {
		setenv("TZ", zone, 1);
		tzset();
		snprintf(cur, sizeof cur, "%s", zone);
	}
	struct tm tm;
	localtime_r(&t, &tm);
	return tm.tm_gmtoff;
}

static void test_against_glibc(void)
{
	static const char *const zones[] = {
		"America/New_York",    "Europe/Berlin",     "America/Sao_Paulo", "Australia/Sydney",
		"Australia/Lord_Howe", "Europe/Dublin",     "Asia/Kolkata",      "Pacific/Chatham",
		"America/Santiago",    "Africa/Casablanca", "Asia/Tehran",       "UTC",
	};
	for (size_t z = 0; z < ARRAY_LEN(zones); z++) {
		struct tz *tz;
		struct lerr e;
		if (!ok(tz_load(zones[z], &tz, &e) == 0, "load %s", zones[z])) {
			diag("%s", e.msg);
			continue;
		}
		int bad = 0, n = 0;
		/* every 6h from 1901 to 2100, plus a few odd seconds */
		for (int64_t t = T("1901-12-14T00:00:00Z"); t < T("2100-01-01");
		     t += 6 * 3600 + 7) {
			long want = glibc_offset(zones[z], (time_t)t);
			long got = tz_offset(tz, t);
			n++;
			if (want != got && bad++ < 3)
				diag("%s at %s: got %ld, glibc %ld", zones[z], F(t), got, want);
		}
		ok(bad == 0, "%s: offsets at %d instants agree with glibc", zones[z], n);
		tz_free(tz);
	}
}

static void test_local_to_utc(void)
{
	struct tz *ny;
	struct lerr e;
	tz_load("America/New_York", &ny, &e);
	/* 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST */
	int64_t day = ltime_days_from_civil(2026, 3, 8) * 86400;
	is_str(F(tz_local_to_utc(ny, day + 1 * 3600 + 1800)), "2026-03-08T06:30:00Z",
	       "01:30 before the spring jump is EST");
	is_str(F(tz_local_to_utc(ny, day + 2 * 3600 + 1800)), "2026-03-08T07:30:00Z",
	       "02:30 does not exist: 03:30 EDT");
	is_str(F(tz_local_to_utc(ny, day + 3 * 3600 + 1800)), "2026-03-08T07:30:00Z", "03:30 EDT");
	day = ltime_days_from_civil(2026, 11, 1) * 86400;
	is_str(F(tz_local_to_utc(ny, day + 1 * 3600 + 1800)), "2026-11-01T05:30:00Z",
	       "01:30 happens twice: the first (EDT)");
	is_str(F(tz_local_to_utc(ny, day + 2 * 3600 + 1800)), "2026-11-01T07:30:00Z",
	       "02:30 after the fall back is EST");
	char buf[LTIME_BUFSZ];
	tz_fmt(ny, T("2026-07-01T12:00:00Z"), buf);
	is_str(buf, "2026-07-01T08:00:00-04:00", "tz_fmt in summer");
	/* after the last transition in the file: the footer rule */
	tz_fmt(ny, T("2090-07-01T12:00:00Z"), buf);
	is_str(buf, "2090-07-01T08:00:00-04:00", "tz_fmt in 2090 (POSIX rule)");
	/* round trip for every hour of 2026 */
	int bad = 0;
	for (int64_t t = T("2026-01-01"); t < T("2027-01-01"); t += 3600) {
		int64_t l = t + tz_offset(ny, t);
		int64_t back = tz_local_to_utc(ny, l);
		if (back != t && !(tz_offset(ny, t) == -5 * 3600 && back == t - 3600))
			bad++;
	}
	is_int(bad, 0, "local -> utc round trip (second of a repeated hour -> first)");
	tz_free(ny);
}

static void test_bad_zones(void)
{
	struct tz *tz;
	struct lerr e;
	is_int(tz_load("Mars/Olympus", &tz, &e), EX_CONFIG, "unknown zone");
	is_int(tz_load("../etc/passwd", &tz, &e), EX_CONFIG, "a path is not a zone");
	is_int(tz_load("/etc/localtime", &tz, &e), EX_CONFIG, "absolute path refused");
	is_int(tz_load("", &tz, &e), EX_CONFIG, "empty");
	unsigned char junk[64] = "TZif2";
	is_int(tz_parse("x", junk, sizeof junk, &tz, &e), EX_DATAERR, "truncated TZif");
	/* every prefix of a real file is refused or parsed, never read past */
	FILE *fp = fopen("/usr/share/zoneinfo/Europe/Berlin", "rb");
	unsigned char buf[8192];
	size_t n = fp ? fread(buf, 1, sizeof buf, fp) : 0;
	if (fp)
		fclose(fp);
	int parsed = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char *cp = malloc(i ? i : 1);
		memcpy(cp, buf, i);
		if (tz_parse("x", cp, i, &tz, &e) == 0) {
			parsed++;
			tz_free(tz);
		}
		free(cp);
	}
	ok(n > 0 && parsed == 0, "prefixes of a TZif file: %d of %zu parsed", parsed, n);
}

static struct bizhours *mk(const char *zone, const char *days, const char *hours)
{
	struct bizhours *bh;
	struct lerr e;
	if (bh_new(zone, days, hours, &bh, &e) != 0) {
		diag("bh_new: %s", e.msg);
		exit(1);
	}
	return bh;
}

static const char *add(struct bizhours *bh, const char *t, const char *d)
{
	struct bh_dur du;
	if (!bh_dur_parse(d, &du))
		return "bad duration";
	return F(bh_add(bh, T(t), &du));
}

static const char *sub(struct bizhours *bh, const char *t, const char *d)
{
	struct bh_dur du;
	if (!bh_dur_parse(d, &du))
		return "bad duration";
	return F(bh_sub(bh, T(t), &du));
}

static void test_business(void)
{
	struct bizhours *bh = mk("UTC", "mon-fri", "09:00-18:00");
	/* 2026-11-20 is a Friday */
	is_str(add(bh, "2026-11-20T10:00Z", "2h"), "2026-11-20T12:00:00Z", "inside the day");
	is_str(add(bh, "2026-11-20T17:00Z", "2h"), "2026-11-23T10:00:00Z", "over the weekend");
	is_str(add(bh, "2026-11-21T12:00Z", "30m"), "2026-11-23T09:30:00Z", "from a Saturday");
	is_str(add(bh, "2026-11-20T20:00Z", "30m"), "2026-11-23T09:30:00Z", "from Friday night");
	is_str(add(bh, "2026-11-19T06:00Z", "30m"), "2026-11-19T09:30:00Z", "before opening");
	is_str(add(bh, "2026-11-20T17:30Z", "9h"), "2026-11-23T17:30:00Z", "a full day of hours");
	is_str(add(bh, "2026-11-20T17:30Z", "1d"), "2026-11-23T17:30:00Z", "one working day");
	is_str(add(bh, "2026-11-18T10:00Z", "3d"), "2026-11-23T10:00:00Z", "3 working days");
	is_str(add(bh, "2026-11-18T10:00Z", "1w"), "2026-11-25T10:00:00Z", "a week is 5 days");
	is_str(add(bh, "2026-11-20T18:00Z", "1h"), "2026-11-23T10:00:00Z", "from closing time");
	is_str(add(bh, "2026-11-20T09:00Z", "9h"), "2026-11-20T18:00:00Z", "to closing time");
	is_str(add(bh, "2026-11-21T12:00Z", "1mo"), "2026-12-21T12:00:00Z",
	       "a month then the next working moment (Monday noon)");
	is_str(add(bh, "2026-10-24T12:00Z", "1mo"), "2026-11-24T12:00:00Z", "a month, Tuesday");
	is_str(sub(bh, "2026-11-23T10:00Z", "2h"), "2026-11-20T17:00:00Z", "back over a weekend");
	is_str(sub(bh, "2026-11-23T08:00Z", "30m"), "2026-11-20T17:30:00Z",
	       "back from before opening");
	is_str(sub(bh, "2026-11-23T10:00Z", "1d"), "2026-11-20T10:00:00Z", "back one working day");
	bh_free(bh);

	/* holidays */
	struct yaml_ctx y;
	const char *text = "timezone: UTC\ndays: [mon-fri]\nhours: [\"09:00-12:00\", "
	                   "\"13:00-18:00\"]\nholidays: [2026-11-23, 12-25]\n";
	ly_load_mem(&y, "bh.yaml", text, strlen(text));
	bh = bh_parse(&y, y.root, NULL);
	ok(bh != NULL, "parse holidays and two ranges");
	if (bh) {
		is_str(add(bh, "2026-11-20T17:00Z", "2h"), "2026-11-24T10:00:00Z",
		       "Monday is a holiday");
		is_str(add(bh, "2026-11-24T11:30Z", "1h"), "2026-11-24T13:30:00Z",
		       "lunch is skipped");
		is_str(add(bh, "2026-12-24T17:00Z", "2h"), "2026-12-28T10:00:00Z",
		       "Christmas (every year) and the weekend");
		is_str(add(bh, "2027-12-24T17:00Z", "2h"), "2027-12-27T10:00:00Z",
		       "12-25 of 2027 is a Saturday anyway");
		struct sb out = SB_INIT;
		bh_write(bh, &out);
		is_str(out.buf,
		       "business_hours:\n  timezone: UTC\n  days: [mon, tue, wed, thu, fri]\n  "
		       "hours: [\"09:00-12:00\", \"13:00-18:00\"]\n  holidays: [2026-11-23, "
		       "\"12-25\"]\n",
		       "written back as YAML");
		sb_free(&out);
		bh_free(bh);
	}
	ly_free(&y);

	/* DST: New York springs forward on Sunday 2026-03-08 */
	bh = mk("America/New_York", "mon-fri", "09:00-18:00");
	/* Friday 17:00 EST = 22:00Z; Monday 10:00 EDT = 14:00Z */
	is_str(add(bh, "2026-03-06T22:00Z", "2h"), "2026-03-09T14:00:00Z",
	       "over the spring DST weekend: Monday 10:00 EDT");
	is_str(add(bh, "2026-03-06T15:00Z", "1d"), "2026-03-09T14:00:00Z",
	       "one working day keeps the wall time (10:00) across DST");
	is_str(add(bh, "2026-10-30T21:00Z", "2h"), "2026-11-02T15:00:00Z",
	       "over the fall DST weekend: Monday 10:00 EST");
	ok(bh_open(bh, T("2026-03-09T13:30Z")), "09:30 EDT is open");
	ok(!bh_open(bh, T("2026-03-09T12:30Z")), "08:30 EDT is closed (would be open in EST)");
	bh_free(bh);

	/* a zone whose DST change happens inside working hours: Lord Howe
	 * moves 30 minutes at 02:00; use hours that cover it */
	bh = mk("Australia/Lord_Howe", "sun-sat", "00:00-24:00");
	/* 2026-10-04 02:00 +10:30 -> 02:30 +11: a day with 23.5 hours */
	is_str(add(bh, "2026-10-03T13:30Z", "24h"), "2026-10-04T13:30:00Z",
	       "working time is elapsed time across a 30-minute jump");
	bh_free(bh);

	/* calendar arithmetic without business hours */
	struct tz *ny;
	struct lerr e;
	tz_load("America/New_York", &ny, &e);
	struct bh_dur d;
	bh_dur_parse("1d", &d);
	is_str(F(bh_cal_add(ny, T("2026-03-07T15:00Z"), &d)), "2026-03-08T14:00:00Z",
	       "1d over spring DST keeps 10:00 local");
	is_str(F(bh_cal_add(NULL, T("2026-03-07T15:00Z"), &d)), "2026-03-08T15:00:00Z",
	       "1d in UTC is 24h");
	bh_dur_parse("2h", &d);
	is_str(F(bh_cal_add(ny, T("2026-03-08T06:30Z"), &d)), "2026-03-08T08:30:00Z",
	       "hours are exact");
	bh_dur_parse("1mo", &d);
	is_str(F(bh_cal_add(ny, T("2026-01-31T15:00Z"), &d)), "2026-02-28T15:00:00Z",
	       "a month clamps the day");
	tz_free(ny);

	struct bh_dur x;
	ok(bh_dur_parse("1w2d4h30m", &x) && x.weeks == 1 && x.days == 2 && x.secs == 16200 &&
	       x.months == 0,
	   "bh_dur_parse splits units");
	ok(bh_dur_parse("3mo", &x) && x.months == 3, "months");
	ok(!bh_dur_parse("3 days", &x) && !bh_dur_parse("0m", &x), "junk refused");
}

static void test_parse_errors(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "days: [mon]\n", "bh.yaml:1:1: business_hours needs a timezone (its own, or a "
		                   "top-level timezone: in the config)" },
		{ "timezone: Mars/Base\n", "bh.yaml:1:11: unknown time zone 'Mars/Base'" },
		{ "timezone: UTC\ndays: [mon, funday]\n", "bh.yaml:2:13: invalid day 'funday'" },
		{ "timezone: UTC\nhours: \"18:00-09:00\"\n",
		  "bh.yaml:2:8: hours '18:00-09:00' end" },
		{ "timezone: UTC\nhours: 9-5\n", "bh.yaml:2:8: invalid hours '9-5'" },
		{ "timezone: UTC\nhours: [\"09:00-13:00\", \"12:00-18:00\"]\n",
		  "bh.yaml:2:24: hours '12:00-18:00' overlap" },
		{ "timezone: UTC\nholidays: [2026-02-30]\n", "bh.yaml:2:12: invalid holiday" },
		{ "timezone: UTC\nhollidays: []\n", "bh.yaml:2:1: unknown key 'hollidays'" },
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct yaml_ctx y;
		ly_load_mem(&y, "bh.yaml", cases[i].text, strlen(cases[i].text));
		struct bizhours *bh = bh_parse(&y, y.root, NULL);
		ok(!bh, "refused: %s", cases[i].want);
		const char *got = y.ndiags ? y.diags[0].text : "";
		ok(strncmp(got, cases[i].want, strlen(cases[i].want)) == 0, "%s",
		   nm("message: %s", cases[i].want));
		if (strncmp(got, cases[i].want, strlen(cases[i].want)) != 0)
			diag("got: %s", got);
		bh_free(bh);
		ly_free(&y);
	}
}

int main(void)
{
	test_against_glibc();
	test_local_to_utc();
	test_bad_zones();
	test_business();
	test_parse_errors();
	return done_testing();
}
