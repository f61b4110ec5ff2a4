/* util.c - allocation, string buffers, errors, small string helpers. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

static void oom(size_t n)
{
	fprintf(stderr, "leads: out of memory (%zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void *xgrow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t c = *cap ? *cap : 8;
	while (c < need) {
		if (c > SIZE_MAX / 2 / size)
			oom(SIZE_MAX);
		c *= 2;
	}
	*cap = c;
	return xrealloc(p, c * size);
}

static void sb_grow(struct sb *sb, size_t extra)
{
	if (sb->len + extra + 1 <= sb->cap)
		return;
	sb->buf = xgrow(sb->buf, &sb->cap, sb->len + extra + 1, 1);
}

void sb_add(struct sb *sb, const char *s, size_t n)
{
	sb_grow(sb, n);
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void sb_adds(struct sb *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void sb_addc(struct sb *sb, char c)
{
	sb_grow(sb, 1);
	sb->buf[sb->len++] = c;
	sb->buf[sb->len] = '\0';
}

void sb_vaddf(struct sb *sb, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void sb_addf(struct sb *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(sb, fmt, ap);
	va_end(ap);
}

void sb_reset(struct sb *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void sb_free(struct sb *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

const char *sb_str(const struct sb *sb)
{
	return sb->buf ? sb->buf : "";
}

char *sb_detach(struct sb *sb)
{
	char *s = sb->buf ? sb->buf : xstrdup("");
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return s;
}

void sb_add_json_strn(struct sb *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	sb_addc(out, '"');
	size_t i = 0, run = 0;
	while (i < n) {
		/* runs copied as they are: printable ASCII but the quote and the backslash */
		for (unsigned p; i < n && (p = (unsigned char)s[i] - 0x20u) < 0x60u &&
		                 p != '"' - 0x20u && p != '\\' - 0x20u;)
			i++;
		if (i == n)
			break;
		unsigned char c = (unsigned char)s[i];
		sb_add(out, s + run, i - run);
		if (c >= 0x80) {
			size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
			if (i + len <= n && utf8_valid(s + i, len, NULL)) {
				sb_add(out, s + i, len);
				i += len;
			} else {
				sb_adds(out, "\\ufffd");
				i++;
			}
			run = i;
			continue;
		}
		switch (c) {
		case '"':
			sb_adds(out, "\\\"");
			break;
		case '\\':
			sb_adds(out, "\\\\");
			break;
		case '\n':
			sb_adds(out, "\\n");
			break;
		case '\r':
			sb_adds(out, "\\r");
			break;
		case '\t':
			sb_adds(out, "\\t");
			break;
		case '\b':
			sb_adds(out, "\\b");
			break;
		case '\f':
			sb_adds(out, "\\f");
			break;
		default: {
			char u[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };
			sb_adds(out, u);
		}
		}
		i++;
		run = i;
	}
	sb_add(out, s + run, i - run);
	sb_addc(out, '"');
}

void sb_add_json_str(struct sb *sb, const char *s)
{
	sb_add_json_strn(sb, s, strlen(s));
}

int lerr_set(struct lerr *e, int code, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		va_end(ap);
		e->code = code;
	}
	return code;
}

uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3u;
	return h;
}

/* ASCII case folding: what tolower() does in the C locale leads runs in */
static inline unsigned char fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static uint64_t hash_ci(const char *s)
{
	uint64_t h = 1469598103934665603u; /* FNV-1a over the lower-cased bytes */
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 1099511628211u;
	}
	return h;
}

size_t ci_index_find(struct ci_index *x, const char *s, ci_key_fn key, const void *ctx, size_t n,
                     size_t *slot)
{
	if (2 * (n + 1) > x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 64;
		size_t *ht = xcalloc(cap, sizeof *ht);
		for (size_t i = 0; i < n; i++) {
			const char *k = key(ctx, i);
			if (!k)
				continue;
			size_t j = (size_t)(hash_ci(k) & (cap - 1));
			while (ht[j])
				j = (j + 1) & (cap - 1);
			ht[j] = i + 1;
		}
		free(x->ht);
		x->ht = ht;
		x->cap = cap;
	}
	size_t j = (size_t)(hash_ci(s) & (x->cap - 1));
	for (; x->ht[j]; j = (j + 1) & (x->cap - 1))
		if (strcasecmp(key(ctx, x->ht[j] - 1), s) == 0)
			return x->ht[j] - 1;
	*slot = j;
	return n;
}

void ci_index_put(struct ci_index *x, size_t slot, size_t i)
{
	x->ht[slot] = i + 1;
}

void ci_index_free(struct ci_index *x)
{
	free(x->ht);
	x->ht = NULL;
	x->cap = 0;
}

bool str_ieq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	for (; *x && *y; x++, y++)
		if (*x != *y && fold(*x) != fold(*y))
			return false;
	return *x == *y;
}

bool str_empty(const char *s)
{
	return !s || !*s;
}

char *str_trim(char *s)
{
	size_t n = strlen(s), i = 0;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
	return s;
}

char *str_lower(const char *s)
{
	char *p = xstrdup(s);
	for (char *q = p; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return p;
}

size_t str_distance(const char *a, const char *b)
{
	/* optimal string alignment: Levenshtein plus adjacent transpositions */
	size_t la = strlen(a), lb = strlen(b);
	size_t *prev2 = xcalloc(lb + 1, sizeof *prev2);
	size_t *prev = xcalloc(lb + 1, sizeof *prev);
	size_t *row = xcalloc(lb + 1, sizeof *row);
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		row[0] = i;
		int ca = tolower((unsigned char)a[i - 1]);
		for (size_t j = 1; j <= lb; j++) {
			int cb = tolower((unsigned char)b[j - 1]);
			size_t best = prev[j - 1] + (ca != cb);
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			/* a transposition ("mvoe", "lsit") costs one edit, not two */
			if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			row[j] = best;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = row;
		row = t;
	}
	size_t d = prev[lb];
	free(prev2);
	free(prev);
	free(row);
	return d;
}

bool str_to_i64(const char *s, int64_t *out)
{
	if (str_empty(s))
		return false;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || end == s)
		return false;
	*out = (int64_t)v;
	return true;
}

bool utf8_valid(const char *str, size_t n, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t len;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2;
			min = 0x80;
			c &= 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3;
			min = 0x800;
			c &= 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4;
			min = 0x10000;
			c &= 0x07;
		} else {
			goto fail;
		}
		if (i + len > n)
			goto fail;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				goto fail;
			c = (c << 6) | (s[i + k] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
			goto fail;
		i += len;
	}
	return true;
fail:
	if (bad)
		*bad = i;
	return false;
}

void strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int mkdir_p(const char *dir)
{
	char *p = xstrdup(dir);
	int rc = 0;
	for (char *s = p + 1; *s && !rc; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (!rc && mkdir(p, 0700) != 0 && errno != EEXIST)
		rc = -1;
	int e = errno;
	free(p);
	errno = e;
	return rc;
}

const char *file_untrusted(const struct stat *st, char *buf, size_t n, const char **fix)
{
	if (!S_ISREG(st->st_mode))
		return NULL;
	if (st->st_uid != geteuid() && st->st_uid != 0) {
		const struct passwd *pw = getpwuid(st->st_uid);
		snprintf(buf, n, "owned by uid %u%s%s%s, not by you or root", (unsigned)st->st_uid,
		         pw ? " (" : "", pw ? pw->pw_name : "", pw ? ")" : "");
		*fix = "chown it";
		return buf;
	}
	unsigned mode = (unsigned)st->st_mode;
	if (!(mode & 022))
		return NULL;
	snprintf(buf, n, "writable by %s (mode %04o)",
	         (mode & 020) && (mode & 002) ? "group and others"
	         : (mode & 020)               ? "its group"
	                                      : "others",
	         mode & 07777u);
	*fix = "chmod go-w it";
	return buf;
}

char *utf8_repair(const char *s)
{
	struct sb out = SB_INIT;
	size_t n = strlen(s), i = 0, bad;
	while (i < n) {
		if (utf8_valid(s + i, n - i, &bad)) {
			sb_add(&out, s + i, n - i);
			break;
		}
		sb_add(&out, s + i, bad);
		sb_adds(&out, "\xef\xbf\xbd");
		i += bad + 1;
	}
	return sb_detach(&out);
}

void sb_add_xml(struct sb *out, const char *s)
{
	size_t bad;
	bool valid = utf8_valid(s, strlen(s), &bad);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&':
			sb_adds(out, "&amp;");
			break;
		case '<':
			sb_adds(out, "&lt;");
			break;
		case '>':
			sb_adds(out, "&gt;");
			break;
		case '"':
			sb_adds(out, "&quot;");
			break;
		case '\'':
			sb_adds(out, "&#39;");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				sb_addc(out, ' ');
			else if (*p >= 0x80 && !valid)
				sb_addc(out, '?');
			else
				sb_addc(out, (char)*p);
		}
	}
}
