/* lead.c - the lead field table and small value helpers. */
#include "lead.h"
#include "ltime.h"
#include "util.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define T(name, idx, flags, help)                                                                  \
	{                                                                                          \
		name, FK_TEXT, idx, flags, help                                                    \
	}
#define I(name, kind, idx, flags, help)                                                            \
	{                                                                                          \
		name, kind, idx, flags, help                                                       \
	}

/*
 * Order matters: it is the column order of `leads export` and of the
 * `leads` import preset. Append new fields at the end of their group.
 */
const struct field_desc lead_fields[] = {
	I("id", FK_INT, LI_ID, FF_EXPORT | FF_LIST, "numeric id"),
	T("email", LT_EMAIL, FF_EDIT | FF_EXPORT | FF_LIST | FF_SEARCH, "email address (unique)"),
	T("first_name", LT_FIRST_NAME, FF_EDIT | FF_EXPORT | FF_LIST | FF_SEARCH, "first name"),
	T("last_name", LT_LAST_NAME, FF_EDIT | FF_EXPORT | FF_LIST | FF_SEARCH, "last name"),
	T("phone", LT_PHONE, FF_EDIT | FF_EXPORT | FF_SEARCH, "phone number"),
	T("company", LT_COMPANY, FF_EDIT | FF_EXPORT | FF_LIST | FF_SEARCH, "company"),
	T("title", LT_TITLE, FF_EDIT | FF_EXPORT | FF_SEARCH, "job title"),
	T("website", LT_WEBSITE, FF_EDIT | FF_EXPORT, "web site"),
	T("industry", LT_INDUSTRY, FF_EDIT | FF_EXPORT, "industry"),
	T("city", LT_CITY, FF_EDIT | FF_EXPORT, "city"),
	T("state", LT_STATE, FF_EDIT | FF_EXPORT, "state or region"),
	T("country", LT_COUNTRY, FF_EDIT | FF_EXPORT, "country"),
	T("source", LT_SOURCE, FF_EDIT | FF_EXPORT, "lead source"),
	T("owner", LT_OWNER, FF_EDIT | FF_EXPORT | FF_LIST, "owning team member"),
	T("stage", LT_STAGE, FF_EXPORT | FF_LIST, "pipeline stage (use `leads move`)"),
	T("step", LT_STEP, FF_EXPORT, "step within the stage (use `leads step`)"),
	T("status", LT_STATUS, FF_EXPORT | FF_LIST, "new, active, inactive, unqualified"),
	T("priority", LT_PRIORITY, FF_EDIT | FF_EXPORT, "priority"),
	T("category", LT_CATEGORY, FF_EDIT | FF_EXPORT, "category"),
	I("score", FK_INT, LI_SCORE, FF_EXPORT, "lead score"),
	I("value", FK_MONEY, LI_VALUE, FF_EDIT | FF_EXPORT, "expected deal value"),
	T("close_date", LT_CLOSE_DATE, FF_EDIT | FF_EXPORT, "expected close date (YYYY-MM-DD)"),
	I("created_at", FK_TIME, LI_CREATED_AT, FF_EXPORT, "creation time"),
	I("updated_at", FK_TIME, LI_UPDATED_AT, FF_EXPORT, "last change"),
	I("last_activity_at", FK_TIME, LI_LAST_ACTIVITY_AT, FF_EXPORT, "last activity by a person"),
	I("stage_entered_at", FK_TIME, LI_STAGE_ENTERED_AT, FF_EXPORT, "when it entered its stage"),
	I("assigned_at", FK_TIME, LI_ASSIGNED_AT, 0, "when the owner was assigned"),
	T("ext_source", LT_EXT_SOURCE, FF_EXPORT, "CRM the lead was imported from"),
	T("ext_id", LT_EXT_ID, FF_EDIT | FF_EXPORT, "id in that CRM"),
	I("import_batch", FK_INT, LI_IMPORT_BATCH, 0, "import batch that created it"),
	T("extra", LT_EXTRA, FF_EXPORT, "custom fields (JSON object)"),
	/* internal bookkeeping, not exported */
	T("assigned_rule", LT_ASSIGNED_RULE, 0, "routing rule that assigned the owner"),
	I("source_line", FK_INT, LI_SOURCE_LINE, 0, "line of the import file"),
	I("reached_pos", FK_INT, LI_REACHED_POS, 0, "furthest non-lost position reached"),
	T("import_owner", LT_IMPORT_OWNER, 0, "owner a bulk import routed it to"),
	T("import_rule", LT_IMPORT_RULE, 0, "routing rule of that assignment"),
};
const int lead_nfields = (int)ARRAY_LEN(lead_fields);

const struct field_desc *lead_field(const char *name)
{
	for (int i = 0; i < lead_nfields; i++) {
		const char *a = lead_fields[i].name, *b = name;
		for (; *a && *b; a++, b++) {
			char cb = (char)tolower((unsigned char)*b);
			if (cb == '-')
				cb = '_';
			if (*a != cb)
				break;
		}
		if (!*a && !*b)
			return &lead_fields[i];
	}
	return NULL;
}

void lead_init(struct lead *l)
{
	memset(l, 0, sizeof *l);
}

void lead_free(struct lead *l)
{
	for (int i = 0; i < LT__COUNT; i++)
		free(l->t[i]);
	lead_init(l);
}

void lead_set(struct lead *l, enum lead_text f, const char *v)
{
	free(l->t[f]);
	l->t[f] = str_empty(v) ? NULL : xstrdup(v);
}

void lead_set_int(struct lead *l, enum lead_int f, int64_t v)
{
	l->i[f] = v;
	l->has[f] = true;
}

const char *lead_get(const struct lead *l, enum lead_text f)
{
	return l->t[f] ? l->t[f] : "";
}

/* Append s to buf[n] at *at, cut as snprintf would (bulk commands call this per lead). */
static void put(char *buf, size_t n, size_t *at, const char *s)
{
	size_t len = strlen(s);
	if (*at + len >= n)
		len = n - 1 - *at;
	memcpy(buf + *at, s, len);
	*at += len;
	buf[*at] = '\0';
}

void lead_display_name(const struct lead *l, char *buf, size_t n)
{
	const char *fn = lead_get(l, LT_FIRST_NAME), *ln = lead_get(l, LT_LAST_NAME);
	size_t at = 0;
	if (!n)
		return;
	buf[0] = '\0';
	if (*fn || *ln) {
		put(buf, n, &at, fn);
		put(buf, n, &at, *fn && *ln ? " " : "");
		put(buf, n, &at, ln);
	} else if (l->t[LT_COMPANY]) {
		put(buf, n, &at, l->t[LT_COMPANY]);
	} else if (l->t[LT_EMAIL]) {
		put(buf, n, &at, l->t[LT_EMAIL]);
	} else {
		snprintf(buf, n, "#%" PRId64, l->i[LI_ID]);
	}
}

/*
 * The length of an invisible character at p (zero-width, bidi and other
 * format characters, the soft hyphen, a stray BOM), else 0; *space is set
 * instead for a Unicode space (NBSP, the U+2000 range, ideographic...).
 */
static size_t invisible_at(const unsigned char *p, bool *space)
{
	*space = false;
	if (p[0] == 0xC2 && (p[1] == 0xA0 || p[1] == 0xAD)) {
		*space = p[1] == 0xA0; /* NBSP; U+00AD soft hyphen */
		return 2;
	}
	if (p[0] == 0xE1 && p[1] == 0x9A && p[2] == 0x80) { /* U+1680 */
		*space = true;
		return 3;
	}
	if (p[0] == 0xE1 && p[1] == 0xA0 && p[2] == 0x8E) /* U+180E */
		return 3;
	if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0x80 && p[2] <= 0xAF) {
		unsigned c = p[2];
		/* U+2000-200A spaces, 2028/2029 separators, 202F narrow NBSP */
		*space = c <= 0x8A || c == 0xA8 || c == 0xA9 || c == 0xAF;
		/* U+200B-200F zero-width and marks, 202A-202E embeddings */
		if (*space || (c >= 0x8B && c <= 0x8F) || (c >= 0xAA && c <= 0xAE))
			return 3;
		return 0;
	}
	if (p[0] == 0xE2 && p[1] == 0x81 && (p[2] == 0x9F || (p[2] >= 0xA0 && p[2] <= 0xAF))) {
		*space = p[2] == 0x9F; /* U+205F; 2060-206F word joiner, isolates */
		return 3;
	}
	if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) { /* U+3000 */
		*space = true;
		return 3;
	}
	if (p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) /* U+FEFF BOM */
		return 3;
	return 0;
}

size_t lead_text_clean(char *s)
{
	unsigned char *r = (unsigned char *)s, *w;
	r += strcspn(s, "\xC2\xE1\xE2\xE3\xEF"); /* the lead bytes of what goes */
	w = r;
	while (*r) {
		bool space;
		size_t k = *r >= 0xC2 ? invisible_at(r, &space) : 0;
		if (k) {
			if (space)
				*w++ = ' ';
			r += k;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - (unsigned char *)s);
}

bool lead_email_canon(char *s)
{
	/* Unicode spaces and invisible characters never belong in an address */
	size_t n = lead_text_clean(s), i = 0;
	/* trim */
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	/* Forms often wrap addresses: "<ana@example.com>" or "mailto:ana@..." */
	if (n - i >= 7 && strncasecmp(s + i, "mailto:", 7) == 0)
		i += 7;
	if (n - i >= 2 && s[n - 1] == '>') {
		/* "Ana Lima <ana@example.com>": the address */
		size_t lt = n - 1;
		while (lt > i && s[lt] != '<')
			lt--;
		if (s[lt] == '<') {
			i = lt + 1;
			n--;
			while (i < n && isspace((unsigned char)s[i]))
				i++;
			while (n > i && isspace((unsigned char)s[n - 1]))
				n--;
		}
	}
	if (n - i >= 7 && strncasecmp(s + i, "mailto:", 7) == 0)
		i += 7;
	n -= i;
	if (i)
		memmove(s, s + i, n);
	s[n] = '\0';
	/* one pass: lower-case, one '@', the last dot after it, no separators */
	const char *at = NULL, *dot = NULL;
	for (char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 'A' && c <= 'Z') {
			*p = (char)(c + ('a' - 'A'));
		} else if (c == '@') {
			if (at)
				return false;
			at = p;
		} else if (c == '.') {
			dot = p;
		} else if (c < 0x21 || c == ',' || c == ';' || c == '<' || c == '>' || c == '"') {
			/* (every ASCII space is below 0x21) */
			return false;
		}
	}
	return at && at != s && n <= 254 && dot && dot > at + 1 && dot[1] != '\0';
}

/* The end of the item that starts at p: the next ',' or ';' outside quotes
 * and angle brackets, or a space between two bare addresses. */
static const char *email_item_end(const char *p)
{
	bool quoted = false, angle = false, named = false;
	const char *at = NULL;
	for (; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (quoted)
			continue;
		else if (*p == '<')
			angle = named = true;
		else if (*p == '>')
			angle = false;
		else if (angle)
			continue;
		else if (*p == ',' || *p == ';')
			return p;
		else if (*p == '@')
			at = p;
		else if (isspace((unsigned char)*p) && at && !named) {
			/* "a@x.com b@y.com": a space after a bare address ends it,
			 * unless a display name's '<' follows */
			const char *q = p;
			while (isspace((unsigned char)*q))
				q++;
			if (*q != '<' && *q != ',' && *q != ';' && *q)
				return p;
		}
	}
	return p;
}

static char *email_trimmed(const char *b, const char *e)
{
	while (b < e && isspace((unsigned char)*b))
		b++;
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	return xstrndup(b, (size_t)(e - b));
}

bool lead_email_split(const char *in, char **addr, char **name, char **rest)
{
	char *s = xstrdup(in);
	lead_text_clean(s);
	*addr = *name = *rest = NULL;
	struct sb more = SB_INIT;
	bool ok = false;
	for (const char *p = s; *p;) {
		const char *e = email_item_end(p);
		char *item = email_trimmed(p, e);
		p = *e ? e + 1 : e;
		if (!*item) {
			free(item);
			continue;
		}
		if (*addr) {
			if (more.len)
				sb_adds(&more, ", ");
			char *c = xstrdup(item);
			sb_adds(&more, lead_email_canon(c) ? c : item);
			free(c);
			free(item);
			continue;
		}
		char *lt = strrchr(item, '<');
		if (lt && lt != item) {
			char *nm = email_trimmed(item, lt);
			size_t k = strlen(nm);
			if (k >= 2 && nm[0] == '"' && nm[k - 1] == '"') {
				memmove(nm, nm + 1, k - 2);
				nm[k - 2] = '\0';
			}
			if (*nm)
				*name = nm;
			else
				free(nm);
		}
		ok = lead_email_canon(item);
		if (!ok) {
			free(item);
			break;
		}
		*addr = item;
	}
	free(s);
	if (!ok) {
		free(*addr);
		free(*name);
		*addr = *name = NULL;
		sb_free(&more);
		return false;
	}
	*rest = more.len ? more.buf : NULL;
	if (!more.len)
		sb_free(&more);
	return true;
}

bool lead_email_normalize(const char *in, char **out)
{
	char *s = xstrdup(in);
	if (!lead_email_canon(s)) {
		free(s);
		return false;
	}
	*out = s;
	return true;
}

bool lead_money_parse(const char *s, int64_t *cents)
{
	while (isspace((unsigned char)*s))
		s++;
	bool neg = false;
	if (*s == '-') {
		neg = true;
		s++;
	}
	/* a currency sign or code in front: "$", "€", "USD " */
	while (*s && !isdigit((unsigned char)*s) && *s != '.') {
		if (*s == '-' || *s == ',')
			return false;
		s++;
	}
	int64_t whole = 0, frac = 0;
	int fdigits = 0, digits = 0;
	bool dot = false;
	for (; *s; s++) {
		if (isdigit((unsigned char)*s)) {
			if (dot) {
				if (fdigits == 2)
					return false;
				frac = frac * 10 + (*s - '0');
				fdigits++;
			} else {
				if (whole > (INT64_MAX / 100 - 9) / 10)
					return false;
				whole = whole * 10 + (*s - '0');
			}
			digits++;
		} else if (*s == ',' && !dot) {
			continue; /* thousands separator */
		} else if (*s == '.' && !dot) {
			dot = true;
		} else if (isspace((unsigned char)*s)) {
			while (isspace((unsigned char)*s))
				s++;
			if (*s)
				return false;
			break;
		} else {
			return false;
		}
	}
	if (!digits)
		return false;
	if (fdigits == 1)
		frac *= 10;
	int64_t v = whole * 100 + frac;
	if (v > LEAD_MONEY_MAX)
		return false;
	*cents = neg ? -v : v;
	return true;
}

void lead_money_fmt(int64_t cents, char *buf)
{
	/* the magnitude unsigned: INT64_MIN (a hand-written value) has no int64 negation */
	uint64_t a = cents < 0 ? 0 - (uint64_t)cents : (uint64_t)cents;
	if (a % 100)
		sprintf(buf, "%s%" PRIu64 ".%02" PRIu64, cents < 0 ? "-" : "", a / 100, a % 100);
	else
		sprintf(buf, "%s%" PRIu64, cents < 0 ? "-" : "", a / 100);
}

const char *const lead_statuses[] = { "new", "active", "inactive", "unqualified", NULL };

bool lead_status_ok(const char *s)
{
	for (int i = 0; lead_statuses[i]; i++)
		if (strcmp(lead_statuses[i], s) == 0)
			return true;
	return false;
}

bool lead_date_ok(const char *s, int64_t *days)
{
	for (int i = 0; i < 10; i++) {
		bool dash = i == 4 || i == 7;
		if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return false;
	}
	if (s[10])
		return false;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1000 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return false;
	if (days)
		*days = ltime_days_from_civil(y, (unsigned)m, (unsigned)d);
	return true;
}
