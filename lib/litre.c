/*
 * litre.c - literal regular expressions (see litre.h).
 */
#include "litre.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/*
 * Ordinary characters and escaped punctuation into out, up to one of
 * ( | ) $ or the end (true), or false at anything else an ERE gives a
 * meaning to.
 */
static bool read_lit(const char **pp, struct sb *out)
{
	const char *p = *pp;
	for (; *p; p++) {
		if (*p == '\\') {
			/* \. is a dot; \w, \1 and the like are GNU's own: not ours */
			if (!p[1] || alnum(p[1]) || (unsigned char)p[1] >= 0x80)
				return false;
			sb_addc(out, *++p);
			continue;
		}
		if (strchr("(|)$", *p))
			break;
		if (strchr(".[]*+?{}^", *p))
			return false;
		sb_addc(out, *p);
	}
	*pp = p;
	return true;
}

static void add_alt(struct litre *re, const struct sb *pre, const char *mid, size_t nmid,
                    const struct sb *suf)
{
	size_t n = pre->len + nmid + suf->len;
	char *s = xmalloc(n + 1);
	memcpy(s, pre->buf ? pre->buf : "", pre->len);
	memcpy(s + pre->len, mid, nmid);
	memcpy(s + pre->len + nmid, suf->buf ? suf->buf : "", suf->len);
	s[n] = '\0';
	if (re->icase)
		for (size_t i = 0; i < n; i++)
			s[i] = lower(s[i]);
	re->alt = xrealloc(re->alt, (re->n + 1) * sizeof *re->alt);
	re->len = xrealloc(re->len, (re->n + 1) * sizeof *re->len);
	re->alt[re->n] = s;
	re->len[re->n++] = n;
}

bool litre_compile(const char *pattern, bool icase, struct litre *out)
{
	memset(out, 0, sizeof *out);
	out->icase = icase;
	struct sb pre = SB_INIT, suf = SB_INIT, alt = SB_INIT;
	const char *p = pattern;
	bool ok = false;
	if (*p == '^') {
		out->start = true;
		p++;
	}
	if (!read_lit(&p, &pre))
		goto out;
	if (*p == '|') {
		/* LIT|LIT|...: no anchors, no group */
		if (out->start || pre.len == 0)
			goto out;
		add_alt(out, &pre, "", 0, &suf); /* suf is empty here */
		while (*p == '|') {
			p++;
			sb_reset(&alt);
			if (!read_lit(&p, &alt) || alt.len == 0 || (*p && *p != '|'))
				goto out;
			add_alt(out, &alt, "", 0, &suf);
		}
		ok = true;
		goto out;
	}
	struct sb mids = SB_INIT; /* the group's alternatives, NUL-separated */
	size_t nmid = 0;
	if (*p == '(') {
		p++;
		for (;;) {
			sb_reset(&alt);
			if (!read_lit(&p, &alt) || alt.len == 0 || (*p != '|' && *p != ')')) {
				sb_free(&mids);
				goto out;
			}
			sb_add(&mids, alt.buf, alt.len + 1);
			nmid++;
			if (*p++ == ')')
				break;
		}
		if (!read_lit(&p, &suf)) {
			sb_free(&mids);
			goto out;
		}
	}
	if (*p == '$') {
		out->end = true;
		p++;
	}
	if (*p || (nmid == 0 && pre.len == 0)) {
		sb_free(&mids);
		goto out;
	}
	if (nmid == 0) {
		add_alt(out, &pre, "", 0, &suf);
	} else {
		const char *m = mids.buf;
		for (size_t i = 0; i < nmid; i++, m += strlen(m) + 1)
			add_alt(out, &pre, m, strlen(m), &suf);
	}
	sb_free(&mids);
	ok = true;
out:
	sb_free(&pre);
	sb_free(&suf);
	sb_free(&alt);
	if (!ok)
		litre_free(out);
	return ok;
}

static bool same(const char *s, const char *lit, size_t n, bool icase)
{
	if (!icase)
		return memcmp(s, lit, n) == 0;
	for (size_t i = 0; i < n; i++)
		if (lower(s[i]) != lit[i])
			return false;
	return true;
}

bool litre_match(const struct litre *re, const char *s)
{
	size_t slen = strlen(s);
	for (size_t i = 0; i < re->n; i++) {
		const char *a = re->alt[i];
		size_t n = re->len[i];
		if (n > slen)
			continue;
		if (re->start && re->end) {
			if (n == slen && same(s, a, n, re->icase))
				return true;
		} else if (re->start) {
			if (same(s, a, n, re->icase))
				return true;
		} else if (re->end) {
			if (same(s + slen - n, a, n, re->icase))
				return true;
		} else if (!re->icase) {
			for (const char *k = s;
			     (k = memchr(k, a[0], slen - n + 1 - (size_t)(k - s))); k++)
				if (memcmp(k, a, n) == 0)
					return true;
		} else {
			for (size_t k = 0; k + n <= slen; k++)
				if (lower(s[k]) == a[0] && same(s + k, a, n, true))
					return true;
		}
	}
	return false;
}

void litre_free(struct litre *re)
{
	for (size_t i = 0; i < re->n; i++)
		free(re->alt[i]);
	free(re->alt);
	free(re->len);
	memset(re, 0, sizeof *re);
}
