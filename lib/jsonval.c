/* jsonval.c - one member of a flat JSON object (see jsonval.h). */
#include "jsonval.h"

#include <string.h>

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void put_utf8(struct sb *out, unsigned cp)
{
	char b[4];
	if (cp < 0x80) {
		sb_addc(out, (char)cp);
		return;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		sb_add(out, b, 2);
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		sb_add(out, b, 3);
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		sb_add(out, b, 4);
	}
}

/*
 * Decode the string starting at the opening quote p into out (when not
 * NULL); returns the position after the closing quote, NULL if malformed.
 */
static const char *str_decode(const char *p, struct sb *out)
{
	p++;
	for (;;) {
		const char *run = p;
		p += strcspn(p, "\"\\");
		if (out && p > run)
			sb_add(out, run, (size_t)(p - run));
		if (*p == '"')
			return p + 1;
		if (*p == '\0')
			return NULL;
		p++; /* backslash */
		char c = *p++;
		unsigned cp;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			cp = (unsigned char)c;
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u': {
			int h = hex4(p);
			if (h < 0)
				return NULL;
			p += 4;
			cp = (unsigned)h;
			if (cp >= 0xd800 && cp < 0xdc00 && p[0] == '\\' && p[1] == 'u') {
				int lo = hex4(p + 2);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     ((unsigned)lo - 0xdc00);
					p += 6;
				}
			}
			if (cp >= 0xd800 && cp < 0xe000)
				cp = 0xfffd; /* a lone surrogate */
			break;
		}
		default:
			return NULL;
		}
		if (out)
			put_utf8(out, cp);
	}
}

/* Skip one value at p; returns the position after it, NULL if malformed. */
static const char *skip_value(const char *p)
{
	p = ws(p);
	if (*p == '"')
		return str_decode(p, NULL);
	if (*p == '{' || *p == '[') {
		int depth = 0;
		while (*p) {
			if (*p == '"') {
				p = str_decode(p, NULL);
				if (!p)
					return NULL;
				continue;
			}
			if (*p == '{' || *p == '[')
				depth++;
			else if (*p == '}' || *p == ']')
				if (--depth == 0)
					return p + 1;
			p++;
		}
		return NULL;
	}
	const char *s = p;
	while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' && *p != '\n' &&
	       *p != '\r')
		p++;
	return p > s ? p : NULL;
}

static char loose_char(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	if (c == ' ' || c == '-')
		return '_';
	return c;
}

static bool loose_eq(const char *a, size_t na, const char *b)
{
	size_t i = 0;
	for (; i < na && b[i]; i++)
		if (loose_char(a[i]) != loose_char(b[i]))
			return false;
	return i == na && !b[i];
}

/* Decode the value at p (not null) into out. */
static bool take_value(const char *p, struct sb *out)
{
	p = ws(p);
	if (*p == '"')
		return str_decode(p, out) != NULL;
	const char *end = skip_value(p);
	if (!end)
		return false;
	if ((size_t)(end - p) == 4 && strncmp(p, "null", 4) == 0)
		return false;
	sb_add(out, p, (size_t)(end - p));
	return true;
}

bool jsonval_get(const char *json, const char *key, bool loose, struct sb *out)
{
	sb_reset(out);
	if (!json)
		return false;
	const char *p = ws(json);
	if (*p != '{')
		return false;
	p = ws(p + 1);
	if (*p == '}')
		return false;
	size_t klen = strlen(key);
	const char *fallback = NULL;
	struct sb name = SB_INIT;
	bool found = false;
	while (*p == '"') {
		/* a name without escapes is compared where it stands */
		const char *nm = p + 1, *after;
		size_t nlen = strcspn(nm, "\"\\");
		if (nm[nlen] == '"') {
			after = nm + nlen + 1;
		} else {
			sb_reset(&name);
			if (!(after = str_decode(p, &name)))
				break;
			nm = sb_str(&name);
			nlen = name.len;
		}
		p = ws(after);
		if (*p != ':')
			break;
		const char *val = ws(p + 1);
		if (nlen == klen && memcmp(nm, key, klen) == 0) {
			found = take_value(val, out);
			fallback = NULL;
			break;
		}
		if (loose && !fallback && loose_eq(nm, nlen, key))
			fallback = val;
		p = skip_value(val);
		if (!p)
			break;
		p = ws(p);
		if (*p != ',')
			break;
		p = ws(p + 1);
	}
	if (fallback)
		found = take_value(fallback, out);
	sb_free(&name);
	if (!found)
		sb_reset(out);
	return found;
}
