/*
 * fuzz_time.c - libFuzzer harness for durations and dates: ldur_parse
 * (config durations), ltime_parse (ISO 8601: --now, LEADS_NOW, dates in
 * conditions), when_parse (times people type: tomorrow 10:00, in 3h) and
 * imap_date_parse in every import format.
 *
 * The input is one value (a NUL ends it early, as in a C string). Beyond
 * not crashing, the round trips the headers promise are checked:
 * ldur_parse reads back what ldur_fmt prints, ltime_parse reads back what
 * ltime_fmt prints (for years 1900..9999 in UTC), and the ldur arithmetic saturates instead of
 * overflowing (UBSan would catch an overflow).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "ltime.h"
#include "tz.h"
#include "when.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_dur(const char *s)
{
	struct ldur d;
	if (!ldur_parse(s, &d))
		return;
	if (ldur_is_zero(d) || d.secs < 0 || d.months < 0)
		abort();
	char buf[LTIME_BUFSZ], buf2[LTIME_BUFSZ];
	ldur_fmt(d, buf);
	struct ldur d2;
	if (!ldur_parse(buf, &d2) || d2.secs != d.secs || d2.months != d.months) {
		fprintf(stderr, "duration '%s' prints as '%s', which does not read back\n", s, buf);
		abort();
	}
	ldur_fmt(d2, buf2);
	if (strcmp(buf, buf2) != 0)
		abort();
	static const int64_t ts[] = { 0, 1795424400, INT64_MAX, INT64_MIN, -62135596800 };
	for (size_t i = 0; i < ARRAY_LEN(ts); i++) {
		(void)ldur_add(ts[i], d);
		(void)ldur_sub(ts[i], d);
	}
	(void)ldur_approx_secs(d);
}

static void check_time(const char *s)
{
	int64_t t;
	if (!ltime_parse(s, &t))
		return;
	char buf[LTIME_BUFSZ], day[LTIME_BUFSZ];
	ltime_fmt(t, buf);
	ltime_fmt_date(t, day);
	/* ltime_parse bounds the year as written, so a zone may carry the time
	 * past 9999 or before 1900 in UTC (9999-12-31T23:59-01:00, tested in
	 * test_ltime.c); such a time prints with a year it does not read */
	if (t < ltime_days_from_civil(1900, 1, 1) * 86400 ||
	    t >= ltime_days_from_civil(10000, 1, 1) * 86400)
		return;
	int64_t t2;
	if (!ltime_parse(buf, &t2) || t2 != t) {
		fprintf(stderr, "time '%s' prints as '%s', which does not read back\n", s, buf);
		abort();
	}
}

/* Natural input in UTC and in a zone with DST; "now" alone is now. */
static void check_when(const char *s)
{
	static struct tz *utc;
	if (!utc)
		utc = tz_utc();
	static const int64_t nows[] = { 1795424400, 0, -2208988800 };
	for (size_t i = 0; i < ARRAY_LEN(nows); i++) {
		int64_t t = 0;
		if (when_parse(s, nows[i], utc, WHEN_START, &t) && strcmp(s, "now") == 0 &&
		    t != nows[i])
			abort();
		(void)when_parse(s, nows[i], NULL, WHEN_END, &t);
		char buf[LTIME_BUFSZ];
		when_fmt_local(utc, t, buf);
	}
}

static void check_import_date(const char *s)
{
	int64_t auto_t = 0;
	bool auto_ok = imap_date_parse(IMAP_DATE_AUTO, s, &auto_t);
	bool any = false;
	static const enum imap_datefmt fmts[] = { IMAP_DATE_ISO,      IMAP_DATE_YMD,
		                                  IMAP_DATE_MDY,      IMAP_DATE_DMY,
		                                  IMAP_DATE_EPOCH_MS, IMAP_DATE_EPOCH_S };
	for (size_t i = 0; i < ARRAY_LEN(fmts); i++) {
		int64_t t = 0;
		if (imap_date_parse(fmts[i], s, &t)) {
			any = true;
			char buf[LTIME_BUFSZ];
			ltime_fmt(t, buf);
		}
	}
	/* AUTO accepts only what some format reads */
	if (auto_ok && !any) {
		fprintf(stderr, "auto reads '%s' but no single format does\n", s);
		abort();
	}
	struct imap_datedet det;
	imap_datedet_init(&det);
	imap_datedet_feed(&det, s, 1);
	imap_datedet_feed(&det, s, 2);
	enum imap_datefmt fmt;
	struct lerr err;
	(void)imap_datedet_verdict(&det, "col", &fmt, &err);
	imap_datedet_free(&det);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *s = xstrndup((const char *)data, size);
	check_dur(s);
	check_time(s);
	check_when(s);
	check_import_date(s);
	free(s);
	return 0;
}
