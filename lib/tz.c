/*
 * tz.c - TZif reader and POSIX TZ rules (see tz.h).
 *
 * RFC 8536: a version 1 block of 32-bit data, then (version 2 and later)
 * a second header and block with 64-bit transition times, then a footer
 * "\n<POSIX TZ string>\n" that governs every time after the last
 * transition. Only the 64-bit block is used when there is one.
 */
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ltime.h"

#define TZ_MAX_FILE  (1u << 20)
#define TZ_MAX_TIMES 100000
#define TZ_MAX_TYPES 256

/* A POSIX TZ rule date: Jn, n or Mm.w.d, and the local time of day. */
struct rule_date {
	char kind; /* 'J', 'D' (zero-based n) or 'M' */
	int n, m, w, d;
	int32_t time; /* seconds, may be negative or over 24h (RFC 8536) */
};

struct posix_rule {
	bool present;             /* the footer has a usable rule */
	int32_t std_off, dst_off; /* seconds east of UTC */
	bool has_dst;
	struct rule_date start, end;
};

struct tz {
	char *name;
	int64_t *times; /* transition instants, ascending */
	uint8_t *idx;   /* type after each transition */
	size_t ntimes;
	int32_t *offs; /* utoff of each type */
	size_t ntypes;
	struct posix_rule rule;
};

void tz_free(struct tz *tz)
{
	if (!tz)
		return;
	free(tz->name);
	free(tz->times);
	free(tz->idx);
	free(tz->offs);
	free(tz);
}

struct tz *tz_utc(void)
{
	struct tz *tz = xcalloc(1, sizeof *tz);
	tz->name = xstrdup("UTC");
	tz->offs = xcalloc(1, sizeof *tz->offs);
	tz->ntypes = 1;
	return tz;
}

/* ---- the POSIX TZ string ---- */

static bool parse_name(const char **pp)
{
	const char *p = *pp;
	if (*p == '<') {
		const char *q = strchr(p, '>');
		if (!q || q - p < 4)
			return false;
		*pp = q + 1;
		return true;
	}
	size_t n = 0;
	while ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z'))
		n++;
	if (n < 3)
		return false;
	*pp = p + n;
	return true;
}

/* [+-]hh[:mm[:ss]] with hh up to max; returns seconds. */
static bool parse_hms(const char **pp, int max_h, int32_t *out)
{
	const char *p = *pp;
	int sign = 1;
	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if (*p < '0' || *p > '9')
		return false;
	int v[3] = { 0, 0, 0 };
	for (int i = 0; i < 3; i++) {
		if (i > 0) {
			if (*p != ':')
				break;
			p++;
		}
		int digits = 0, x = 0;
		while (*p >= '0' && *p <= '9' && digits < 3) {
			x = x * 10 + (*p++ - '0');
			digits++;
		}
		if (!digits || (i > 0 && (digits != 2 || x > 59)) || (i == 0 && x > max_h))
			return false;
		v[i] = x;
	}
	*out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
	*pp = p;
	return true;
}

static bool parse_num(const char **pp, int lo, int hi, int *out)
{
	const char *p = *pp;
	int x = 0, digits = 0;
	while (*p >= '0' && *p <= '9' && digits < 4) {
		x = x * 10 + (*p++ - '0');
		digits++;
	}
	if (!digits || x < lo || x > hi)
		return false;
	*out = x;
	*pp = p;
	return true;
}

static bool parse_date(const char **pp, struct rule_date *r)
{
	const char *p = *pp;
	if (*p == 'J') {
		p++;
		r->kind = 'J';
		if (!parse_num(&p, 1, 365, &r->n))
			return false;
	} else if (*p == 'M') {
		p++;
		r->kind = 'M';
		if (!parse_num(&p, 1, 12, &r->m) || *p++ != '.' || !parse_num(&p, 1, 5, &r->w) ||
		    *p++ != '.' || !parse_num(&p, 0, 6, &r->d))
			return false;
	} else {
		r->kind = 'D';
		if (!parse_num(&p, 0, 365, &r->n))
			return false;
	}
	r->time = 7200;
	if (*p == '/') {
		p++;
		if (!parse_hms(&p, 167, &r->time))
			return false;
	}
	*pp = p;
	return true;
}

static bool parse_posix(const char *s, struct posix_rule *r)
{
	memset(r, 0, sizeof *r);
	const char *p = s;
	int32_t off;
	if (!parse_name(&p) || !parse_hms(&p, 24, &off))
		return false;
	r->std_off = -off; /* POSIX counts west of Greenwich */
	if (*p == '\0') {
		r->present = true;
		return true;
	}
	if (!parse_name(&p))
		return false;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*p && *p != ',') {
		if (!parse_hms(&p, 24, &off))
			return false;
		r->dst_off = -off;
	}
	if (*p == '\0') { /* POSIX leaves the default rule open; use the US one */
		r->start = (struct rule_date){ .kind = 'M', .m = 3, .w = 2, .d = 0, .time = 7200 };
		r->end = (struct rule_date){ .kind = 'M', .m = 11, .w = 1, .d = 0, .time = 7200 };
		r->present = true;
		return true;
	}
	if (*p++ != ',' || !parse_date(&p, &r->start) || *p++ != ',' || !parse_date(&p, &r->end) ||
	    *p)
		return false;
	r->present = true;
	return true;
}

static bool leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since the epoch of the rule's date in year y. */
static int64_t rule_day(const struct rule_date *r, int64_t y)
{
	int64_t jan1 = ltime_days_from_civil(y, 1, 1);
	switch (r->kind) {
	case 'J':
		return jan1 + r->n - 1 + (leap_year(y) && r->n >= 60);
	case 'D':
		return jan1 + r->n;
	default: {
		int64_t first = ltime_days_from_civil(y, (unsigned)r->m, 1);
		int64_t wd = ((first + 4) % 7 + 7) % 7; /* 1970-01-01 was a Thursday */
		int64_t day = first + ((r->d - wd) % 7 + 7) % 7 + (int64_t)(r->w - 1) * 7;
		int64_t next = r->m == 12 ? ltime_days_from_civil(y + 1, 1, 1)
		                          : ltime_days_from_civil(y, (unsigned)r->m + 1, 1);
		while (day >= next)
			day -= 7;
		return day;
	}
	}
}

static int32_t rule_offset(const struct posix_rule *r, int64_t t)
{
	if (!r->has_dst)
		return r->std_off;
	int64_t local = t + r->std_off;
	int64_t day = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
	int64_t y;
	unsigned m, d;
	ltime_civil_from_days(day, &y, &m, &d);
	/* The latest transition at or before t among three years' worth. */
	int64_t best = INT64_MIN;
	bool dst = false;
	for (int64_t yy = y - 1; yy <= y + 1; yy++) {
		/* DST starts at a local standard time and ends at a local DST time */
		int64_t s = rule_day(&r->start, yy) * 86400 + r->start.time - r->std_off;
		int64_t e = rule_day(&r->end, yy) * 86400 + r->end.time - r->dst_off;
		if (s <= t && s > best) {
			best = s;
			dst = true;
		}
		if (e <= t && e > best) {
			best = e;
			dst = false;
		}
	}
	return dst ? r->dst_off : r->std_off;
}

/* ---- the TZif file ---- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	uint64_t v = (uint64_t)be32(p) << 32 | be32(p + 4);
	return (int64_t)v;
}

static int bad(const char *name, struct lerr *err, const char *why)
{
	return lerr_set(err, EX_DATAERR, "time zone '%s': not a valid TZif file (%s)", name, why);
}

int tz_parse(const char *name, const unsigned char *buf, size_t len, struct tz **out,
             struct lerr *err)
{
	*out = NULL;
	if (len < 44 || memcmp(buf, "TZif", 4) != 0)
		return bad(name, err, "no TZif header");
	char version = (char)buf[4];
	size_t cnt[6];
	const unsigned char *h = buf;
	size_t pos = 0;
	int tsize = 4;
	for (int pass = 0; pass < 2; pass++) {
		if (len - pos < 44 || memcmp(h, "TZif", 4) != 0)
			return bad(name, err, "truncated header");
		for (int i = 0; i < 6; i++)
			cnt[i] = be32(h + 20 + 4 * i);
		/* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
		if (cnt[3] > TZ_MAX_TIMES || cnt[4] == 0 || cnt[4] > TZ_MAX_TYPES ||
		    cnt[5] > 4096 || cnt[2] > 10000 || (cnt[0] && cnt[0] != cnt[4]) ||
		    (cnt[1] && cnt[1] != cnt[4]))
			return bad(name, err, "counts out of range");
		size_t size = cnt[3] * (size_t)tsize + cnt[3] + cnt[4] * 6 + cnt[5] +
		              cnt[2] * (size_t)(tsize + 4) + cnt[1] + cnt[0];
		if (len - pos - 44 < size)
			return bad(name, err, "truncated data");
		if (pass == 1 || version < '2')
			break;
		pos += 44 + size;
		h = buf + pos;
		tsize = 8;
	}
	const unsigned char *p = h + 44;
	struct tz *tz = xcalloc(1, sizeof *tz);
	tz->name = xstrdup(name);
	tz->ntimes = cnt[3];
	tz->ntypes = cnt[4];
	tz->times = xcalloc(tz->ntimes + 1, sizeof *tz->times);
	tz->idx = xcalloc(tz->ntimes + 1, 1);
	tz->offs = xcalloc(tz->ntypes, sizeof *tz->offs);
	for (size_t i = 0; i < tz->ntimes; i++, p += tsize) {
		tz->times[i] = tsize == 8 ? be64(p) : (int32_t)be32(p);
		if (i && tz->times[i] <= tz->times[i - 1]) {
			tz_free(tz);
			return bad(name, err, "transitions out of order");
		}
	}
	for (size_t i = 0; i < tz->ntimes; i++, p++) {
		if (*p >= tz->ntypes) {
			tz_free(tz);
			return bad(name, err, "bad type index");
		}
		tz->idx[i] = *p;
	}
	for (size_t i = 0; i < tz->ntypes; i++, p += 6) {
		int32_t off = (int32_t)be32(p);
		if (off <= -89999 || off >= 93600) { /* RFC 8536: within -25h..26h */
			tz_free(tz);
			return bad(name, err, "offset out of range");
		}
		tz->offs[i] = off;
	}
	p += cnt[5] + cnt[2] * (size_t)(tsize + 4) + cnt[1] + cnt[0];
	/* The footer of version 2+ (required): "\nTZ\n", the TZ possibly empty. */
	size_t used = (size_t)(p - buf);
	if (tsize == 8) {
		const unsigned char *nl =
		    used + 1 < len ? memchr(buf + used + 1, '\n', len - used - 1) : NULL;
		size_t n = nl ? (size_t)(nl - (buf + used + 1)) : 0;
		char s[256];
		if (used >= len || buf[used] != '\n' || !nl || n >= sizeof s) {
			tz_free(tz);
			return bad(name, err, "no footer");
		}
		memcpy(s, buf + used + 1, n);
		s[n] = '\0';
		if (n && !parse_posix(s, &tz->rule)) {
			tz_free(tz);
			return bad(name, err, "bad TZ string in the footer");
		}
	}
	*out = tz;
	return 0;
}

static bool name_ok(const char *s)
{
	if (str_empty(s) || s[0] == '/' || strlen(s) > 255)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		          (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '+' || c == '/';
		if (!ok)
			return false;
		if (c == '/' && (p == s || p[-1] == '/' || p[1] == '\0'))
			return false;
	}
	return true; /* no '.' at all: ".." and "./" cannot occur */
}

int tz_load(const char *name, struct tz **out, struct lerr *err)
{
	*out = NULL;
	if (!name_ok(name))
		return lerr_set(err, EX_CONFIG,
		                "'%s' is not a time zone name (use an IANA name such as "
		                "America/New_York)",
		                name ? name : "");
	if (strcmp(name, "UTC") == 0) {
		*out = tz_utc();
		return 0;
	}
	const char *dir = TZ_DIR;
	struct sb path = SB_INIT;
	sb_addf(&path, "%s/%s", dir, name);
	int fd = open(path.buf, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		sb_free(&path);
		if (e == ENOENT || e == ENOTDIR)
			return lerr_set(err, EX_CONFIG,
			                "unknown time zone '%s' (no such file in %s; is the "
			                "tzdata package installed?)",
			                name, dir);
		return lerr_set(err, EX_IOERR, "time zone '%s': %s", name, strerror(e));
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TZ_MAX_FILE) {
		close(fd);
		sb_free(&path);
		return lerr_set(err, EX_CONFIG, "unknown time zone '%s'", name);
	}
	size_t n = (size_t)st.st_size, got = 0;
	unsigned char *buf = xmalloc(n + 1);
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	sb_free(&path);
	int rc = got == n ? tz_parse(name, buf, n, out, err)
	                  : lerr_set(err, EX_IOERR, "time zone '%s': short read", name);
	free(buf);
	return rc;
}

/* ---- lookups ---- */

int32_t tz_offset(const struct tz *tz, int64_t t)
{
	size_t n = tz->ntimes;
	if (n == 0)
		return tz->rule.present ? rule_offset(&tz->rule, t) : tz->offs[0];
	if (t < tz->times[0])
		return tz->offs[0];
	if (t >= tz->times[n - 1] && tz->rule.present)
		return rule_offset(&tz->rule, t);
	size_t lo = 0, hi = n; /* last i with times[i] <= t */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (tz->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return tz->offs[tz->idx[lo]];
}

int64_t tz_local_to_utc(const struct tz *tz, int64_t local)
{
	int32_t oa = tz_offset(tz, local - 86400), ob = tz_offset(tz, local + 86400);
	int64_t ta = local - oa, tb = local - ob;
	bool va = tz_offset(tz, ta) == oa, vb = tz_offset(tz, tb) == ob;
	if (va && vb)
		return ta < tb ? ta : tb;
	if (va)
		return ta;
	if (vb)
		return tb;
	return ta; /* in a gap: the offset from before the jump */
}

void tz_local(const struct tz *tz, int64_t t, int64_t *day, int32_t *secs)
{
	int64_t l = t + tz_offset(tz, t);
	int64_t d = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
	*day = d;
	*secs = (int32_t)(l - d * 86400);
}

void tz_fmt(const struct tz *tz, int64_t t, char *buf)
{
	int32_t off = tz_offset(tz, t);
	int64_t day;
	int32_t s;
	tz_local(tz, t, &day, &s);
	int64_t y;
	unsigned m, d;
	ltime_civil_from_days(day, &y, &m, &d);
	char zone[16] = "Z";
	if (off) {
		int32_t a = off < 0 ? -off : off;
		snprintf(zone, sizeof zone, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600,
		         a / 60 % 60);
	}
	char tmp[96]; /* room for any year; cut to LTIME_BUFSZ (years of 4 digits fit) */
	snprintf(tmp, sizeof tmp, "%04lld-%02u-%02uT%02d:%02d:%02d%s", (long long)y, m, d, s / 3600,
	         s / 60 % 60, s % 60, zone);
	size_t n = strlen(tmp);
	if (n >= LTIME_BUFSZ)
		n = LTIME_BUFSZ - 1;
	memcpy(buf, tmp, n);
	buf[n] = '\0';
}
