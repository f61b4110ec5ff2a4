/* test_ltime.c - calendar, ISO 8601 parsing, formatting and durations. */
#include "tap.h"

#include "ltime.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A printf-formatted test name (is_str/is_int take a plain one). */
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

static void test_days(void)
{
	/* Reference values from Python's datetime. */
	is_int(ltime_days_from_civil(1970, 1, 1), 0, "epoch is day 0");
	is_int(ltime_days_from_civil(1969, 12, 31), -1, "day before the epoch");
	is_int(ltime_days_from_civil(2000, 3, 1), 11017, "2000-03-01");
	is_int(ltime_days_from_civil(1900, 1, 1), -25567, "1900-01-01");
	is_int(ltime_days_from_civil(9999, 12, 31), 2932896, "9999-12-31");
	is_int(ltime_days_from_civil(2024, 2, 29), 19782, "2024-02-29");
	is_int(ltime_days_from_civil(2024, 3, 1), 19783, "2024-03-01 follows Feb 29");
	is_int(ltime_days_from_civil(0, 1, 1), -719528, "year 0 (proleptic)");

	/* Walk day by day from 1600 to 2500 against a naive calendar. */
	static const unsigned dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t y = 1600;
	unsigned m = 1, d = 1;
	int64_t z = ltime_days_from_civil(1600, 1, 1);
	int bad = 0;
	for (; y <= 2500; z++) {
		int64_t cy;
		unsigned cm, cd;
		ltime_civil_from_days(z, &cy, &cm, &cd);
		if (cy != y || cm != m || cd != d || ltime_days_from_civil(y, m, d) != z) {
			if (bad++ < 5)
				diag("mismatch at day %" PRId64 ": %" PRId64 "-%u-%u", z, cy, cm,
				     cd);
		}
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		unsigned last = dim[m - 1] + (m == 2 && leap);
		if (!ltime_valid_date(y, m, d) || ltime_valid_date(y, m, last + 1))
			bad++;
		if (++d > last) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	is_int(bad, 0, "days_from_civil/civil_from_days agree with a naive calendar 1600..2500");

	/* Far away years round-trip too. */
	static const int64_t years[] = { -1000000000,          -4713, -1, 0, 1, 1000000000,
		                         INT64_C(100000000000) };
	for (size_t i = 0; i < sizeof(years) / sizeof(years[0]); i++) {
		int64_t cy;
		unsigned cm, cd;
		ltime_civil_from_days(ltime_days_from_civil(years[i], 2, 28), &cy, &cm, &cd);
		ok(cy == years[i] && cm == 2 && cd == 28, "round trip of Feb 28 in year %" PRId64,
		   years[i]);
		ltime_civil_from_days(ltime_days_from_civil(years[i], 12, 31) + 1, &cy, &cm, &cd);
		ok(cy == years[i] + 1 && cm == 1 && cd == 1, "Dec 31 %" PRId64 " + 1 is Jan 1",
		   years[i]);
	}
}

static void test_valid_date(void)
{
	ok(ltime_valid_date(2024, 2, 29), "2024 is a leap year");
	ok(!ltime_valid_date(2023, 2, 29), "2023 is not");
	ok(!ltime_valid_date(1900, 2, 29), "1900 is not (century)");
	ok(ltime_valid_date(2000, 2, 29), "2000 is (400 years)");
	ok(!ltime_valid_date(2100, 2, 29), "2100 is not");
	ok(!ltime_valid_date(2024, 4, 31), "April has 30 days");
	ok(ltime_valid_date(2024, 12, 31), "Dec 31");
	ok(!ltime_valid_date(2024, 0, 1), "month 0");
	ok(!ltime_valid_date(2024, 13, 1), "month 13");
	ok(!ltime_valid_date(2024, 1, 0), "day 0");
	ok(!ltime_valid_date(2024, 1, 32), "day 32");
	ok(ltime_valid_date(-4, 2, 29), "year -4 is leap (proleptic)");
}

static void parses(const char *s, int64_t want)
{
	int64_t t = 42;
	bool r = ltime_parse(s, &t);
	ok(r && t == want, "parse \"%s\"", s);
	if (!r || t != want)
		diag("got %s %" PRId64 ", want %" PRId64, r ? "true" : "false", t, want);
}

static void rejects(const char *s)
{
	int64_t t = 42;
	ok(!ltime_parse(s, &t) && t == 42, "reject \"%s\"",
	   !s                ? "(null)"
	   : strchr(s, '\n') ? "(with a newline)"
	                     : s);
}

static void test_parse(void)
{
	/* Expected values from Python: (datetime - epoch).total_seconds(). */
	parses("2026-11-24", 1795478400);
	parses("2026-11-24T10:30", 1795516200);
	parses("2026-11-24T10:30:45", 1795516245);
	parses("2026-11-24 10:30:45", 1795516245);
	parses("2026-11-24t10:30:45z", 1795516245);
	parses("2026-11-24T10:30:45Z", 1795516245);
	parses("2026-11-24T10:30:45.999", 1795516245);
	parses("2026-11-24T10:30:45,5Z", 1795516245);
	parses("2026-11-24T10:30:45.123456789+00:00", 1795516245);
	parses("2026-11-24T10:30+05:30", 1795496400);
	parses("2026-11-24T10:30:00+0530", 1795496400);
	parses("2026-11-24T10:30-08:00", 1795545000);
	parses("2026-11-24T10:30:00-0800", 1795545000);
	parses("2026-11-24T10:30:00-08", 1795545000);
	parses("2026-11-24T02:00+05", 1795467600); /* the day before in UTC */
	parses("2026-11-24T10:30:45-00:00", 1795516245);
	parses("2024-12-31T23:30-01:00", 1735691400); /* the next year in UTC */
	parses("2024-02-29T12:00", 1709208000);
	parses("2000-02-29", 951782400);
	parses("1969-12-31T23:59:59", -1);
	parses("1900-01-01", -2208988800);
	parses("1900-01-01T00:00+01:00", -2208992400);
	parses("9999-12-31T23:59:59", 253402300799);
	parses("9999-12-31T23:59:59-23:59", 253402387139);

	rejects(NULL);
	rejects("");
	rejects("2024-02-30");
	rejects("2023-02-29");
	rejects("1900-02-29");
	rejects("2024-04-31");
	rejects("2024-13-01");
	rejects("2024-00-10");
	rejects("2024-01-00");
	rejects("2024-01-32");
	rejects("1899-12-31");
	rejects("0000-01-01");
	rejects("10000-01-01");
	rejects("2024-1-5");
	rejects("24-01-05");
	rejects("2024/01/05");
	rejects("20240105");
	rejects("2024-01-05T24:00");
	rejects("2024-01-05T23:60");
	rejects("2024-01-05T23:59:60");
	rejects("2024-01-05T9:30");
	rejects("2024-01-05T09");
	rejects("2024-01-05T09:30:");
	rejects("2024-01-05T09:30.5"); /* fraction only after seconds */
	rejects("2024-01-05T09:30:00.");
	rejects("2024-01-05T09:30:00.x");
	rejects("2024-01-05T");
	rejects("2024-01-05Z");
	rejects("2024-01-05+01:00");
	rejects("2024-01-05x");
	rejects("2024-01-05 ");
	rejects(" 2024-01-05");
	rejects("2024-01-05T09:30Zjunk");
	rejects("2024-01-05T09:30ZZ");
	rejects("2024-01-05T09:30+24:00");
	rejects("2024-01-05T09:30+05:60");
	rejects("2024-01-05T09:30+5");
	rejects("2024-01-05T09:30+05:3");
	rejects("2024-01-05T09:30+053");
	rejects("2024-01-05T09:30+05:30:00");
	rejects("2024-01-05T09:30 +05:30");
	rejects("-2024-01-05");
	rejects("2024-01-05T09:30:00\n");
}

static void fmts(int64_t t, const char *want, const char *want_date)
{
	char buf[LTIME_BUFSZ], date[LTIME_BUFSZ];
	ltime_fmt(t, buf);
	ltime_fmt_date(t, date);
	is_str(buf, want, nm("fmt %" PRId64, t));
	is_str(date, want_date, nm("fmt_date %" PRId64, t));
}

static void test_fmt(void)
{
	/* Expected values from GNU date -u and, beyond it, Python. */
	fmts(0, "1970-01-01T00:00:00Z", "1970-01-01");
	fmts(-1, "1969-12-31T23:59:59Z", "1969-12-31");
	fmts(1795516245, "2026-11-24T10:30:45Z", "2026-11-24");
	fmts(951782400, "2000-02-29T00:00:00Z", "2000-02-29");
	fmts(1709251199, "2024-02-29T23:59:59Z", "2024-02-29");
	fmts(4102444800, "2100-01-01T00:00:00Z", "2100-01-01");
	fmts(-2208988800, "1900-01-01T00:00:00Z", "1900-01-01");
	fmts(-2208988801, "1899-12-31T23:59:59Z", "1899-12-31");
	fmts(253402300799, "9999-12-31T23:59:59Z", "9999-12-31");
	fmts(253402300800, "10000-01-01T00:00:00Z", "10000-01-01");
	fmts(-62135596800, "0001-01-01T00:00:00Z", "0001-01-01");
	fmts(-62167219201, "-001-12-31T23:59:59Z", "-001-12-31");
	fmts(INT64_C(67767976233316800), "2147483647-12-29T12:00:00Z", "2147483647-12-29");
	fmts(INT64_C(-67768040609740800), "-2147481748-01-01T00:00:00Z", "-2147481748-01-01");
	fmts(INT64_MAX, "292277026596-12-04T15:30:07Z", "292277026596-12-04");
	fmts(INT64_MIN, "-292277022657-01-27T08:29:52Z", "-292277022657-01-27");

	/* Parse and format agree on every hour of a leap year and around it. */
	int bad = 0;
	int64_t start, end;
	ltime_parse("2023-12-31T00:00Z", &start);
	ltime_parse("2025-01-02T00:00Z", &end);
	for (int64_t t = start; t < end; t += 3599) {
		char buf[LTIME_BUFSZ];
		int64_t back;
		ltime_fmt(t, buf);
		if (!ltime_parse(buf, &back) || back != t)
			bad++;
	}
	is_int(bad, 0, "fmt then parse is the identity over 2024");
}

static void dur_ok(const char *s, int64_t secs, int32_t months, const char *canon)
{
	struct ldur d = { -1, -1 };
	char buf[LTIME_BUFSZ];
	bool r = ldur_parse(s, &d);
	ok(r && d.secs == secs && d.months == months, "duration \"%s\"", s);
	if (!r || d.secs != secs || d.months != months)
		diag("got %s secs=%" PRId64 " months=%d", r ? "true" : "false", d.secs,
		     (int)d.months);
	ldur_fmt(d, buf);
	is_str(buf, canon, nm("duration \"%s\" prints as \"%s\"", s, canon));
	struct ldur back = { 0, 0 };
	ok(ldur_parse(buf, &back) && back.secs == d.secs && back.months == d.months,
	   "\"%s\" reads back", buf);
}

static void dur_bad(const char *s)
{
	struct ldur d = { 7, 7 };
	ok(!ldur_parse(s, &d) && d.secs == 7 && d.months == 7, "reject duration \"%s\"",
	   !s                ? "(null)"
	   : strchr(s, '\n') ? "(with a newline)"
	                     : s);
}

static void test_dur_parse(void)
{
	dur_ok("90s", 90, 0, "1m30s");
	dur_ok("30m", 1800, 0, "30m");
	dur_ok("2h", 7200, 0, "2h");
	dur_ok("3d", 259200, 0, "3d");
	dur_ok("1w", 604800, 0, "1w");
	dur_ok("3mo", 0, 3, "3mo");
	dur_ok("10mo", 0, 10, "10mo");
	dur_ok("10m", 600, 0, "10m");
	dur_ok("1d12h", 129600, 0, "1d12h");
	dur_ok("36h", 129600, 0, "1d12h");
	dur_ok("12h1d", 129600, 0, "1d12h");
	dur_ok("14d", 1209600, 0, "2w");
	dur_ok("10d", 864000, 0, "10d");
	dur_ok("30d", 2592000, 0, "30d");
	dur_ok("1w3d", 864000, 0, "10d");
	dur_ok("1mo2w", 1209600, 1, "1mo2w");
	dur_ok("2w1mo", 1209600, 1, "1mo2w");
	dur_ok("1mo30m", 1800, 1, "1mo30m");
	dur_ok("1w1d1h1m1s", 694861, 0, "8d1h1m1s");
	dur_ok("0d1h", 3600, 0, "1h");
	dur_ok("007d", 604800, 0, "1w");
	dur_ok("1d1d", 172800, 0, "2d");
	dur_ok("12mo", 0, 12, "12mo");
	dur_ok("86400s", 86400, 0, "1d");
	dur_ok("120000mo", 0, 120000, "120000mo");
	dur_ok("316224000000s", INT64_C(316224000000), 0, "3660000d");
	dur_ok("3660000d1mo", INT64_C(316224000000), 1, "1mo3660000d");

	dur_bad(NULL);
	dur_bad("");
	dur_bad("0");
	dur_bad("0s");
	dur_bad("0d0h");
	dur_bad("5");
	dur_bad("d");
	dur_bad("mo");
	dur_bad("-1d");
	dur_bad("+1d");
	dur_bad("1.5h");
	dur_bad("3 d");
	dur_bad(" 3d");
	dur_bad("3d ");
	dur_bad("1d 12h");
	dur_bad("1D");
	dur_bad("1H");
	dur_bad("1M");
	dur_bad("1x");
	dur_bad("1y");
	dur_bad("1dd");
	dur_bad("1mon");
	dur_bad("1month");
	dur_bad("1d12");
	dur_bad("1d\n");
	dur_bad("120001mo");
	dur_bad("119999mo2mo");
	dur_bad("316224000001s");
	dur_bad("3660001d");
	dur_bad("3660000d1s");
	dur_bad("9223372036854775807s");
	dur_bad("9223372036854775808s");
	dur_bad("99999999999999999999999999w");
	dur_bad("2147483648mo");
}

static void test_dur_fmt(void)
{
	char buf[LTIME_BUFSZ];
	struct ldur d;

	d = (struct ldur){ 0, 0 };
	ldur_fmt(d, buf);
	is_str(buf, "0s", "zero prints as 0s");
	d = (struct ldur){ -86400, 0 };
	ldur_fmt(d, buf);
	is_str(buf, "-1d", "negative");
	d = (struct ldur){ -3600, -1 };
	ldur_fmt(d, buf);
	is_str(buf, "-1mo1h", "wholly negative, one sign");
	d = (struct ldur){ 3600, -1 };
	ldur_fmt(d, buf);
	is_str(buf, "-1mo+1h", "mixed signs, each part signed");
	d = (struct ldur){ -3600, 1 };
	ldur_fmt(d, buf);
	is_str(buf, "1mo-1h", "mixed signs the other way");
	d = (struct ldur){ INT64_MAX, INT32_MAX };
	ldur_fmt(d, buf);
	ok(strlen(buf) < LTIME_BUFSZ && strncmp(buf, "2147483647mo106751991167300d", 28) == 0,
	   "huge durations are cut to the buffer: %s", buf);
	d = (struct ldur){ INT64_MIN, INT32_MIN };
	ldur_fmt(d, buf);
	ok(strlen(buf) < LTIME_BUFSZ && strncmp(buf, "-2147483648mo106751991167300d", 29) == 0,
	   "INT64_MIN does not overflow: %s", buf);
}

static int64_t T(const char *s)
{
	int64_t t = 0;
	if (!ltime_parse(s, &t))
		diag("bad test time %s", s);
	return t;
}

static struct ldur D(const char *s) {
	struct ldur d = { 0, 0 };
	if (!ldur_parse(s, &d))
		diag("bad test duration %s", s);
	return d;
}

static void
adds(const char *t, const char *d, const char *want)
{
	char buf[LTIME_BUFSZ];
	ltime_fmt(ldur_add(T(t), D(d)), buf);
	is_str(buf, want, nm("%s + %s", t, d));
}

static void subs(const char *t, const char *d, const char *want)
{
	char buf[LTIME_BUFSZ];
	ltime_fmt(ldur_sub(T(t), D(d)), buf);
	is_str(buf, want, nm("%s - %s", t, d));
}

static void test_dur_add(void)
{
	adds("2024-01-31T09:15:00Z", "1mo", "2024-02-29T09:15:00Z");
	adds("2023-01-31T09:15:00Z", "1mo", "2023-02-28T09:15:00Z");
	adds("2024-03-31", "1mo", "2024-04-30T00:00:00Z");
	adds("2024-01-31", "13mo", "2025-02-28T00:00:00Z");
	adds("2024-12-15T23:59:59Z", "1mo", "2025-01-15T23:59:59Z");
	adds("2024-02-29", "12mo", "2025-02-28T00:00:00Z");
	adds("2024-02-29", "48mo", "2028-02-29T00:00:00Z");
	adds("2100-01-29", "1mo", "2100-02-28T00:00:00Z");
	adds("2000-01-29", "1mo", "2000-02-29T00:00:00Z");
	adds("2024-01-31", "1mo1d", "2024-03-01T00:00:00Z");
	adds("2024-01-31", "1d", "2024-02-01T00:00:00Z");
	adds("2024-02-28", "1d", "2024-02-29T00:00:00Z");
	adds("2023-02-28", "1d", "2023-03-01T00:00:00Z");
	adds("2024-12-31T12:00Z", "1d12h", "2025-01-02T00:00:00Z");
	/* UTC has no DST: the US switch of 2024-03-10 is just another day. */
	adds("2024-03-10T01:30:00-08:00", "1d", "2024-03-11T09:30:00Z");
	adds("2024-03-09T12:00Z", "2w", "2024-03-23T12:00:00Z");
	/* Before the epoch (negative t). */
	adds("1969-12-31T12:00Z", "1mo", "1970-01-31T12:00:00Z");
	adds("1900-01-31", "1mo", "1900-02-28T00:00:00Z");
	adds("9999-12-31T23:59:59Z", "1s", "10000-01-01T00:00:00Z");

	subs("2024-03-31", "1mo", "2024-02-29T00:00:00Z");
	subs("2024-03-01", "1d", "2024-02-29T00:00:00Z");
	subs("2024-01-15T10:00Z", "1mo", "2023-12-15T10:00:00Z");
	subs("1970-01-01", "1s", "1969-12-31T23:59:59Z");
	subs("2024-03-31", "1mo1d", "2024-02-29T00:00:00Z");

	int bad = 0;
	struct ldur d = D("1mo1d2h");
	for (int64_t t = T("2023-01-01"); t < T("2026-01-01"); t += 86400 - 1) {
		/* Days 1..28 never clamp, so sub undoes add exactly. */
		int64_t y;
		unsigned m, dd;
		ltime_civil_from_days(t / 86400, &y, &m, &dd);
		if (dd <= 27 && ldur_sub(ldur_add(t, d), d) != t)
			bad++;
	}
	is_int(bad, 0, "ldur_sub undoes ldur_add when no day is clamped");

	/* 64-bit edges saturate instead of overflowing. */
	is_int(ldur_add(INT64_MAX - 10, D("100s")), INT64_MAX, "add saturates at INT64_MAX");
	is_int(ldur_sub(INT64_MIN + 10, D("100s")), INT64_MIN, "sub saturates at INT64_MIN");
	is_int(ldur_add(INT64_MAX - 10, D("1mo")), INT64_MAX, "months saturate too");
	is_int(ldur_sub(INT64_MIN + 10, D("1mo")), INT64_MIN, "and downwards");
	is_int(ldur_add(0, (struct ldur){ INT64_MIN, 0 }), INT64_MIN, "adding INT64_MIN");
	is_int(ldur_sub(-1, (struct ldur){ INT64_MIN, 0 }), INT64_MAX, "subtracting INT64_MIN");
	char buf[LTIME_BUFSZ];
	ltime_fmt(ldur_sub(0, (struct ldur){ 0, INT32_MIN }), buf);
	is_str(buf, "178958940-09-01T00:00:00Z", "subtracting INT32_MIN months");
	ltime_fmt(ldur_add(0, (struct ldur){ 0, INT32_MIN }), buf);
	is_str(buf, "-178955001-05-01T00:00:00Z", "adding INT32_MIN months");
}

static void test_dur_misc(void)
{
	is_int(ldur_approx_secs(D("1mo1d")), 31 * 86400, "a month counts as 30 days");
	is_int(ldur_approx_secs(D("2w")), 14 * 86400, "weeks are exact");
	is_int(ldur_approx_secs((struct ldur){ INT64_MAX, 1 }), INT64_MAX, "approx saturates");
	ok(ldur_is_zero((struct ldur){ 0, 0 }), "zero is zero");
	ok(!ldur_is_zero((struct ldur){ 0, 1 }), "a month is not zero");
	ok(!ldur_is_zero((struct ldur){ 1, 0 }), "a second is not zero");
}

int main(void)
{
	test_days();
	test_valid_date();
	test_parse();
	test_fmt();
	test_dur_parse();
	test_dur_fmt();
	test_dur_add();
	test_dur_misc();
	return done_testing();
}
