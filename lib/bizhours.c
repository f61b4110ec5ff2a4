/*
 * bizhours.c - working days and hours in a time zone, and due times
 * counted in them (see bizhours.h).
 *
 * Every computation walks local days: for day D the windows are
 * [D start, D end] in local wall time, turned into instants with the
 * zone's rules (tz_local_to_utc), so a window on a DST day is where the
 * wall clock says it is. Nothing reads $TZ or calls localtime().
 */
#include "bizhours.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How far the walks look before giving up (a config always has a working
 * day each week, so this is only reached on absurd inputs). */
#define BH_MAX_DAYS (366 * 30)

static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };
static const char *const day_long[] = { "sunday",   "monday", "tuesday", "wednesday",
	                                "thursday", "friday", "saturday" };

/* ---- durations ---- */

bool bh_dur_parse(const char *s, struct bh_dur *out)
{
	struct ldur check;
	if (!ldur_parse(s, &check))
		return false;
	struct bh_dur d = { 0 };
	for (const char *p = s; *p;) {
		int64_t n = 0;
		while (*p >= '0' && *p <= '9')
			n = n * 10 + (*p++ - '0');
		if (strncmp(p, "mo", 2) == 0) {
			d.months += (int32_t)n;
			p += 2;
			continue;
		}
		switch (*p++) {
		case 's':
			d.secs += n;
			break;
		case 'm':
			d.secs += n * 60;
			break;
		case 'h':
			d.secs += n * 3600;
			break;
		case 'd':
			d.days += n;
			break;
		case 'w':
			d.weeks += n;
			break;
		default:
			return false;
		}
	}
	*out = d;
	return true;
}

int64_t bh_dur_approx(const struct bh_dur *d)
{
	return (int64_t)d->months * 30 * 86400 + (d->weeks * 7 + d->days) * 86400 + d->secs;
}

/* ---- calendar arithmetic in a zone ---- */

static int64_t local_of(const struct tz *tz, int64_t t)
{
	return tz ? t + tz_offset(tz, t) : t;
}

static int64_t utc_of(const struct tz *tz, int64_t local)
{
	return tz ? tz_local_to_utc(tz, local) : local;
}

int64_t bh_cal_add(const struct tz *tz, int64_t t, const struct bh_dur *d)
{
	if (d->months || d->days || d->weeks) {
		int64_t l = local_of(tz, t);
		l = ldur_add(l, (struct ldur){ .secs = 0, .months = d->months });
		l += (d->weeks * 7 + d->days) * 86400;
		t = utc_of(tz, l);
	}
	return t + d->secs;
}

int64_t bh_cal_sub(const struct tz *tz, int64_t t, const struct bh_dur *d)
{
	t -= d->secs;
	if (d->months || d->days || d->weeks) {
		int64_t l = local_of(tz, t);
		l -= (d->weeks * 7 + d->days) * 86400;
		l = ldur_sub(l, (struct ldur){ .secs = 0, .months = d->months });
		t = utc_of(tz, l);
	}
	return t;
}

/* ---- working days ---- */

static int weekday(int64_t day)
{
	return (int)(((day + 4) % 7 + 7) % 7); /* 0 = Sunday; 1970-01-01 was a Thursday */
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

bool bh_workday(const struct bizhours *bh, int64_t day)
{
	if (!(bh->days & (1u << weekday(day))))
		return false;
	if (bh->nholidays && bsearch(&day, bh->holidays, bh->nholidays, sizeof day, cmp_i64))
		return false;
	if (bh->nannual) {
		int64_t y;
		unsigned m, d;
		ltime_civil_from_days(day, &y, &m, &d);
		for (size_t i = 0; i < bh->nannual; i++)
			if (bh->annual[i] == (int)(m * 100 + d))
				return false;
	}
	return true;
}

static void window(const struct bizhours *bh, int64_t day, size_t w, int64_t *open, int64_t *close)
{
	*open = tz_local_to_utc(bh->tz, day * 86400 + bh->win[w].start);
	*close = tz_local_to_utc(bh->tz, day * 86400 + bh->win[w].end);
}

static int64_t local_day(const struct bizhours *bh, int64_t t)
{
	int64_t day;
	int32_t secs;
	tz_local(bh->tz, t, &day, &secs);
	return day;
}

bool bh_open(const struct bizhours *bh, int64_t t)
{
	int64_t day = local_day(bh, t);
	for (int64_t d = day - 1; d <= day + 1; d++) {
		if (!bh_workday(bh, d))
			continue;
		for (size_t w = 0; w < bh->nwin; w++) {
			int64_t o, c;
			window(bh, d, w, &o, &c);
			if (o <= t && t <= c)
				return true;
		}
	}
	return false;
}

/* Consume secs of working time forward from t (0: the next working moment). */
static int64_t forward(const struct bizhours *bh, int64_t t, int64_t secs)
{
	int64_t day = local_day(bh, t) - 1;
	for (int i = 0; i < BH_MAX_DAYS; i++, day++) {
		if (!bh_workday(bh, day))
			continue;
		for (size_t w = 0; w < bh->nwin; w++) {
			int64_t o, c;
			window(bh, day, w, &o, &c);
			if (c < t || c <= o)
				continue;
			int64_t s = o > t ? o : t;
			if (secs <= c - s)
				return s + secs;
			secs -= c - s;
			t = c;
		}
	}
	return t;
}

static int64_t backward(const struct bizhours *bh, int64_t t, int64_t secs)
{
	int64_t day = local_day(bh, t) + 1;
	for (int i = 0; i < BH_MAX_DAYS; i++, day--) {
		if (!bh_workday(bh, day))
			continue;
		for (size_t w = bh->nwin; w-- > 0;) {
			int64_t o, c;
			window(bh, day, w, &o, &c);
			if (o > t || c <= o)
				continue;
			int64_t e = c < t ? c : t;
			if (secs <= e - o)
				return e - secs;
			secs -= e - o;
			t = o;
		}
	}
	return t;
}

/* n working days after (dir 1) or before (dir -1) t, same wall time. */
static int64_t workdays(const struct bizhours *bh, int64_t t, int64_t n, int dir)
{
	if (n <= 0)
		return t;
	int64_t day;
	int32_t secs;
	tz_local(bh->tz, t, &day, &secs);
	for (int i = 0; n > 0 && i < BH_MAX_DAYS; i++) {
		day += dir;
		if (bh_workday(bh, day))
			n--;
	}
	return tz_local_to_utc(bh->tz, day * 86400 + secs);
}

static int64_t per_week(const struct bizhours *bh)
{
	int64_t n = 0;
	for (int i = 0; i < 7; i++)
		n += (bh->days >> i) & 1;
	return n;
}

int64_t bh_add(const struct bizhours *bh, int64_t t, const struct bh_dur *d)
{
	if (d->months) {
		struct bh_dur m = { .months = d->months };
		t = bh_cal_add(bh->tz, t, &m);
	}
	t = forward(bh, t, 0);
	t = workdays(bh, t, d->weeks * per_week(bh) + d->days, 1);
	return forward(bh, t, d->secs);
}

int64_t bh_sub(const struct bizhours *bh, int64_t t, const struct bh_dur *d)
{
	t = backward(bh, t, 0);
	t = backward(bh, t, d->secs);
	t = workdays(bh, t, d->weeks * per_week(bh) + d->days, -1);
	if (d->months) {
		struct bh_dur m = { .months = d->months };
		t = backward(bh, bh_cal_sub(bh->tz, t, &m), 0);
	}
	return t;
}

/* ---- parsing ---- */

void bh_free(struct bizhours *bh)
{
	if (!bh)
		return;
	free(bh->tzname);
	tz_free(bh->tz);
	free(bh->holidays);
	free(bh->annual);
	free(bh);
}

static int day_index(const char *s)
{
	for (int i = 0; i < 7; i++)
		if (str_ieq(s, day_names[i]) || str_ieq(s, day_long[i]))
			return i;
	return -1;
}

/* "mon", "monday" or "mon-fri" (wrapping: "sat-sun", "fri-mon"). */
static bool parse_days_word(const char *s, unsigned *mask)
{
	char a[16], b[16];
	const char *dash = strchr(s, '-');
	if (!dash) {
		int i = day_index(s);
		if (i < 0)
			return false;
		*mask |= 1u << i;
		return true;
	}
	size_t na = (size_t)(dash - s), nb = strlen(dash + 1);
	if (na == 0 || na >= sizeof a || nb == 0 || nb >= sizeof b)
		return false;
	memcpy(a, s, na);
	a[na] = '\0';
	memcpy(b, dash + 1, nb + 1);
	int i = day_index(a), j = day_index(b);
	if (i < 0 || j < 0)
		return false;
	for (int k = i;; k = (k + 1) % 7) {
		*mask |= 1u << k;
		if (k == j)
			break;
	}
	return true;
}

static bool parse_hhmm(const char *s, int32_t *out)
{
	if (!(s[0] >= '0' && s[0] <= '2' && s[1] >= '0' && s[1] <= '9' && s[2] == ':' &&
	      s[3] >= '0' && s[3] <= '5' && s[4] >= '0' && s[4] <= '9'))
		return false;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (h > 24 || (h == 24 && m != 0))
		return false;
	*out = h * 3600 + m * 60;
	return true;
}

/* "09:00-18:00" -> window; false on anything else. */
static bool parse_range(const char *s, int32_t *start, int32_t *end)
{
	char buf[32];
	size_t n = strlen(s);
	if (n >= sizeof buf)
		return false;
	size_t j = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ')
			buf[j++] = s[i];
	buf[j] = '\0';
	return j == 11 && buf[5] == '-' && parse_hhmm(buf, start) && parse_hhmm(buf + 6, end);
}

static int add_range(struct bizhours *bh, const char *s, struct yaml_ctx *y, yaml_node_t *at,
                     struct lerr *err)
{
	int32_t a, b;
	if (!parse_range(s, &a, &b)) {
		if (y)
			return ly_error(y, at, "invalid hours '%s' (expected \"09:00-18:00\")", s);
		return lerr_set(err, EX_CONFIG, "invalid hours '%s'", s);
	}
	if (b <= a) {
		if (y)
			return ly_error(y, at,
			                "hours '%s' end before they start (a range may not cross "
			                "midnight; give two ranges)",
			                s);
		return lerr_set(err, EX_CONFIG, "hours '%s' end before they start", s);
	}
	if (bh->nwin == BH_MAX_WINDOWS) {
		if (y)
			return ly_error(y, at, "at most %d ranges of hours", BH_MAX_WINDOWS);
		return lerr_set(err, EX_CONFIG, "too many ranges of hours");
	}
	/* keep them sorted; overlaps are mistakes */
	size_t i = bh->nwin;
	while (i > 0 && bh->win[i - 1].start > a) {
		bh->win[i] = bh->win[i - 1];
		i--;
	}
	bh->win[i].start = a;
	bh->win[i].end = b;
	bh->nwin++;
	if ((i > 0 && bh->win[i - 1].end > a) || (i + 1 < bh->nwin && bh->win[i + 1].start < b)) {
		if (y)
			return ly_error(y, at, "hours '%s' overlap another range", s);
		return lerr_set(err, EX_CONFIG, "hours '%s' overlap another range", s);
	}
	return 0;
}

static void set_defaults(struct bizhours *bh)
{
	if (!bh->days)
		bh->days = 0x3e; /* mon-fri */
	if (!bh->nwin) {
		bh->win[0].start = 9 * 3600;
		bh->win[0].end = 17 * 3600;
		bh->nwin = 1;
	}
}

int bh_new(const char *tzname, const char *days, const char *hours, struct bizhours **out,
           struct lerr *err)
{
	*out = NULL;
	struct bizhours *bh = xcalloc(1, sizeof *bh);
	int rc = tz_load(tzname, &bh->tz, err);
	if (!rc && days && !parse_days_word(days, &bh->days))
		rc = lerr_set(err, EX_CONFIG, "invalid days '%s'", days);
	if (!rc && hours)
		rc = add_range(bh, hours, NULL, NULL, err) ? EX_CONFIG : 0;
	if (rc) {
		bh_free(bh);
		return rc;
	}
	bh->tzname = xstrdup(tzname);
	set_defaults(bh);
	*out = bh;
	return 0;
}

static int h_timezone(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct bizhours *bh = obj;
	return ly_tz(y, val, k->key, &bh->tzname, &bh->tz);
}

static int h_days(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct bizhours *bh = obj;
	char **v = NULL;
	size_t n = 0;
	if (ly_is_scalar(val) && !ly_is_null(val)) {
		v = xcalloc(1, sizeof *v);
		v[0] = xstrdup(ly_scalar(val));
		n = 1;
	} else if (ly_strv(y, val, k->key, &v, &n) != 0) {
		return -1;
	}
	int rc = 0;
	unsigned mask = 0;
	for (size_t i = 0; i < n; i++) {
		if (!parse_days_word(v[i], &mask)) {
			yaml_node_t *at = ly_is_seq(val) ? ly_seq_at(y, val, i) : val;
			rc =
			    ly_error(y, at,
			             "invalid day '%s' (use mon, tue, wed, thu, fri, sat, sun or a "
			             "range like mon-fri)",
			             v[i]);
		}
	}
	strv_free(v, n);
	if (rc)
		return rc;
	if (!mask)
		return ly_error(y, val, "days must list at least one working day");
	bh->days = mask;
	return 0;
}

static int h_hours(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct bizhours *bh = obj;
	if (ly_is_scalar(val) && !ly_is_null(val))
		return add_range(bh, ly_scalar(val), y, val, NULL);
	if (!ly_is_seq(val) || ly_seq_len(val) == 0)
		return ly_error(y, val, "expected a range \"09:00-18:00\" or a list of them for %s",
		                k->key);
	int rc = 0;
	for (size_t i = 0; i < ly_seq_len(val); i++) {
		yaml_node_t *it = ly_seq_at(y, val, i);
		if (!ly_is_scalar(it) || ly_is_null(it))
			rc = ly_error(y, it, "expected a range \"09:00-18:00\", got %s",
			              ly_kind(it));
		else if (add_range(bh, ly_scalar(it), y, it, NULL))
			rc = -1;
	}
	return rc;
}

static int h_holidays(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct bizhours *bh = obj;
	if (ly_is_null(val))
		return 0;
	if (!ly_is_seq(val))
		return ly_error(y, val, "expected a list of dates for %s, got %s", k->key,
		                ly_kind(val));
	size_t n = ly_seq_len(val);
	bh->holidays = xcalloc(n + 1, sizeof *bh->holidays);
	bh->annual = xcalloc(n + 1, sizeof *bh->annual);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *it = ly_seq_at(y, val, i);
		const char *s = ly_scalar(it);
		int yy, mm, dd;
		char tail;
		if (s && sscanf(s, "%4d-%2d-%2d%c", &yy, &mm, &dd, &tail) == 3 && strlen(s) == 10 &&
		    ltime_valid_date(yy, (unsigned)mm, (unsigned)dd)) {
			bh->holidays[bh->nholidays++] =
			    ltime_days_from_civil(yy, (unsigned)mm, (unsigned)dd);
		} else if (s && sscanf(s, "%2d-%2d%c", &mm, &dd, &tail) == 2 && strlen(s) == 5 &&
		           ltime_valid_date(2000, (unsigned)mm, (unsigned)dd)) {
			bh->annual[bh->nannual++] = mm * 100 + dd;
		} else {
			rc = ly_error(y, it,
			              "invalid holiday '%s' (expected a date 2026-12-25, or 12-25 "
			              "for every year)",
			              s ? s : ly_kind(it));
		}
	}
	qsort(bh->holidays, bh->nholidays, sizeof *bh->holidays, cmp_i64);
	return rc;
}

static const struct ly_key bh_keys[] = {
	{ .key = "timezone", .fn = h_timezone },
	{ .key = "days", .fn = h_days },
	{ .key = "hours", .fn = h_hours },
	{ .key = "holidays", .fn = h_holidays },
};

struct bizhours *bh_parse(struct yaml_ctx *y, yaml_node_t *n, const char *default_tz)
{
	struct bizhours *bh = xcalloc(1, sizeof *bh);
	if (ly_walk(y, n, "business_hours", bh_keys, ARRAY_LEN(bh_keys), bh) != 0) {
		bh_free(bh);
		return NULL;
	}
	if (!bh->tz && default_tz) { /* the config's top-level timezone: */
		struct lerr e = { 0 };
		if (tz_load(default_tz, &bh->tz, &e) == 0)
			bh->tzname = xstrdup(default_tz);
	}
	if (!bh->tz) {
		ly_error(y, n,
		         "business_hours needs a timezone (its own, or a top-level "
		         "timezone: in the config)");
		bh_free(bh);
		return NULL;
	}
	set_defaults(bh);
	return bh;
}

void bh_write(const struct bizhours *bh, struct sb *out)
{
	sb_adds(out, "business_hours:\n  timezone: ");
	ly_emit_str(out, bh->tzname);
	sb_adds(out, "\n  days: [");
	bool first = true;
	for (int i = 1; i <= 7; i++) { /* Monday first */
		if (bh->days & (1u << (i % 7))) {
			sb_addf(out, "%s%s", first ? "" : ", ", day_names[i % 7]);
			first = false;
		}
	}
	sb_adds(out, "]\n  hours: [");
	for (size_t w = 0; w < bh->nwin; w++)
		sb_addf(out, "%s\"%02d:%02d-%02d:%02d\"", w ? ", " : "", bh->win[w].start / 3600,
		        bh->win[w].start / 60 % 60, bh->win[w].end / 3600,
		        bh->win[w].end / 60 % 60);
	sb_adds(out, "]\n");
	if (bh->nholidays || bh->nannual) {
		sb_adds(out, "  holidays: [");
		for (size_t i = 0; i < bh->nholidays; i++) {
			char buf[LTIME_BUFSZ];
			ltime_fmt_date(bh->holidays[i] * 86400, buf);
			sb_addf(out, "%s%s", i ? ", " : "", buf);
		}
		for (size_t i = 0; i < bh->nannual; i++)
			sb_addf(out, "%s\"%02d-%02d\"", i || bh->nholidays ? ", " : "",
			        bh->annual[i] / 100, bh->annual[i] % 100);
		sb_adds(out, "]\n");
	}
}
