/*
 * out.c - the data emitter: aligned tables, CSV, TSV, JSON and JSON lines.
 *
 * Rows arrive one cell at a time into the current table (struct tbl).
 * CSV, TSV, JSON and JSONL are streamed row by row; the terminal table
 * holds its first OUT_LOOKAHEAD rows to choose the column widths (and, on
 * a terminal, which columns fit), then streams too.
 * A record (out_record_*) is collected whole, nested lists included, and
 * rendered at out_record_end. Everything is rendered into a string buffer
 * first and written with one fwrite.
 */
#include "out.h"

#include "csv.h"

#include "util.h"

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define BOLD  "\033[1m"
#define RESET "\033[0m"

/* A table being filled: its columns and the buffered rows. */
struct tbl {
	struct out_col *cols; /* owned copies */
	int *drop;            /* out_drop_order: 1 = left out first, 0 = kept */
	int ncols;
	char **cells; /* nrows * ncols, NULL = null */
	size_t nrows;
	size_t cap; /* in cells */
	int cur;    /* cells given in the row being filled */
};

/*
 * How a table is laid out: each column's width and whether it is shown,
 * and whether cells are cut to their width (a table fitted to a terminal)
 * or printed whole when wider (a later row of a streamed table).
 */
/* A text column cut to this width still reads well (see layout_fit). */
#define OUT_COMFORT 20

struct layout {
	size_t *w;
	bool *show;
	bool cut;
};

/* An item of a record: a scalar field or a nested list. */
struct ritem {
	char *key;
	enum out_type type;
	char *value; /* scalar, NULL = null */
	bool is_list;
	struct tbl list;
};

enum rec_state { REC_NONE, REC_OPEN, REC_LIST, REC_DONE };

struct out {
	FILE *fp;
	enum out_format fmt;
	int flags;
	struct tbl t;      /* the table being filled (top level or a nested list) */
	bool begun;        /* out_begin was called at the top level */
	size_t emitted;    /* top-level rows streamed so far */
	size_t width;      /* fit tables to this many columns; 0: do not */
	struct layout lay; /* a streamed table's layout, once laid out */
	bool laid;         /* the look-ahead is printed; rows now go straight out */
	enum rec_state rec;
	struct ritem *items;
	size_t nitems, icap;
	struct sb sb; /* rendering buffer */
};

/* UTF-8 */

/*
 * Decode the code point at s (n > 0 bytes left). Returns the bytes used;
 * *cp is -1 for an ill-formed sequence, which then covers its maximal
 * well-formed prefix (at least one byte), as Unicode recommends for U+FFFD
 * replacement.
 */
static size_t utf8_next(const unsigned char *s, size_t n, int32_t *cp)
{
	unsigned char c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF;
	int32_t v;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0; /* no overlongs */
		else if (c == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F; /* <= U+10FFFF */
	} else {
		*cp = -1;
		return 1;
	}
	for (size_t i = 1; i < len; i++) {
		unsigned char b = i < n ? s[i] : 0;
		if (b < lo || b > hi) {
			*cp = -1;
			return i;
		}
		lo = 0x80;
		hi = 0xBF;
		v = (v << 6) | (b & 0x3F);
	}
	*cp = v;
	return len;
}

struct range {
	int32_t lo, hi;
};

static bool in_ranges(int32_t c, const struct range *r, size_t n)
{
	size_t a = 0, b = n;
	while (a < b) {
		size_t mid = (a + b) / 2;
		if (c < r[mid].lo)
			b = mid;
		else if (c > r[mid].hi)
			a = mid + 1;
		else
			return true;
	}
	return false;
}

/* Combining marks and invisible format characters: width 0 (the common ones). */
static const struct range zero_width[] = {
	{ 0x0300, 0x036F }, { 0x0483, 0x0489 }, { 0x0591, 0x05BD },   { 0x05BF, 0x05BF },
	{ 0x05C1, 0x05C2 }, { 0x05C4, 0x05C5 }, { 0x05C7, 0x05C7 },   { 0x0610, 0x061A },
	{ 0x064B, 0x065F }, { 0x0670, 0x0670 }, { 0x06D6, 0x06DC },   { 0x06DF, 0x06E4 },
	{ 0x0900, 0x0902 }, { 0x093A, 0x093A }, { 0x093C, 0x093C },   { 0x0941, 0x0948 },
	{ 0x094D, 0x094D }, { 0x0E31, 0x0E31 }, { 0x0E34, 0x0E3A },   { 0x0E47, 0x0E4E },
	{ 0x1160, 0x11FF }, { 0x1AB0, 0x1AFF }, { 0x1DC0, 0x1DFF },   { 0x200B, 0x200F },
	{ 0x202A, 0x202E }, { 0x2060, 0x2064 }, { 0x20D0, 0x20FF },   { 0xFE00, 0xFE0F },
	{ 0xFE20, 0xFE2F }, { 0xFEFF, 0xFEFF }, { 0x1F3FB, 0x1F3FF }, { 0xE0000, 0xE0FFF },
};

/* East Asian Wide and Fullwidth (and the usual emoji blocks): width 2. */
static const struct range wide[] = {
	{ 0x1100, 0x115F },   { 0x231A, 0x231B },   { 0x2329, 0x232A },   { 0x23E9, 0x23EC },
	{ 0x23F0, 0x23F0 },   { 0x23F3, 0x23F3 },   { 0x25FD, 0x25FE },   { 0x2614, 0x2615 },
	{ 0x2648, 0x2653 },   { 0x267F, 0x267F },   { 0x2693, 0x2693 },   { 0x26A1, 0x26A1 },
	{ 0x26AA, 0x26AB },   { 0x26BD, 0x26BE },   { 0x26C4, 0x26C5 },   { 0x26CE, 0x26CE },
	{ 0x26D4, 0x26D4 },   { 0x26EA, 0x26EA },   { 0x26F2, 0x26F3 },   { 0x26F5, 0x26F5 },
	{ 0x26FA, 0x26FA },   { 0x26FD, 0x26FD },   { 0x2705, 0x2705 },   { 0x270A, 0x270B },
	{ 0x2728, 0x2728 },   { 0x274C, 0x274C },   { 0x274E, 0x274E },   { 0x2753, 0x2755 },
	{ 0x2757, 0x2757 },   { 0x2795, 0x2797 },   { 0x27B0, 0x27B0 },   { 0x27BF, 0x27BF },
	{ 0x2B1B, 0x2B1C },   { 0x2B50, 0x2B50 },   { 0x2B55, 0x2B55 },   { 0x2E80, 0x303E },
	{ 0x3041, 0x33FF },   { 0x3400, 0x4DBF },   { 0x4E00, 0x9FFF },   { 0xA000, 0xA4CF },
	{ 0xA960, 0xA97F },   { 0xAC00, 0xD7A3 },   { 0xF900, 0xFAFF },   { 0xFE10, 0xFE19 },
	{ 0xFE30, 0xFE6F },   { 0xFF00, 0xFF60 },   { 0xFFE0, 0xFFE6 },   { 0x16FE0, 0x16FE4 },
	{ 0x17000, 0x18CFF }, { 0x1B000, 0x1B2FF }, { 0x1F004, 0x1F004 }, { 0x1F0CF, 0x1F0CF },
	{ 0x1F18E, 0x1F18E }, { 0x1F191, 0x1F19A }, { 0x1F200, 0x1F2FF }, { 0x1F300, 0x1F3FA },
	{ 0x1F400, 0x1F64F }, { 0x1F680, 0x1F6FF }, { 0x1F900, 0x1F9FF }, { 0x1FA70, 0x1FAFF },
	{ 0x20000, 0x2FFFD }, { 0x30000, 0x3FFFD },
};

static size_t cp_width(int32_t c)
{
	if (c < 0x300)
		return 1;
	if (in_ranges(c, zero_width, ARRAY_LEN(zero_width)))
		return 0;
	if (in_ranges(c, wide, ARRAY_LEN(wide)))
		return 2;
	return 1;
}

static void sb_add_cp(struct sb *sb, int32_t c)
{
	char b[4];
	size_t n;
	if (c < 0x80) {
		b[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xC0 | (c >> 6));
		b[1] = (char)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xE0 | (c >> 12));
		b[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		b[2] = (char)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (c >> 18));
		b[1] = (char)(0x80 | ((c >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((c >> 6) & 0x3F));
		b[3] = (char)(0x80 | (c & 0x3F));
		n = 4;
	}
	sb_add(sb, b, n);
}

#define REPLACEMENT 0xFFFD

/*
 * Code points that change how a terminal shows what follows: C0 and C1
 * controls, DEL, and the bidi controls (LRM, RLM, ALM, the embeddings and
 * overrides U+202A-U+202E, the isolates U+2066-U+2069) that can make text
 * read in another order than it is stored. -1 is ill-formed UTF-8.
 */
static bool term_unsafe(int32_t c)
{
	return c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0x061C || c == 0x200E || c == 0x200F ||
	       (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/*
 * Append n bytes of s as they may be shown on a terminal and return their
 * display width. Tab, CR and LF become a space (with OUT_TERM_LINES, tab
 * and LF stay and CR is replaced); every other unsafe code point and
 * ill-formed UTF-8 become U+FFFD, so no data can move the cursor, send
 * escape sequences or reorder the text around it.
 */
static size_t term_text_n(struct sb *dst, const char *s, size_t n, int flags)
{
	const unsigned char *p = (const unsigned char *)s;
	bool lines = flags & OUT_TERM_LINES;
	size_t w = 0;
	while (n > 0) {
		int32_t c;
		size_t k = utf8_next(p, n, &c);
		p += k;
		n -= k;
		if (c == '\t' || c == '\n' || c == '\r') {
			if (!lines)
				c = ' ';
			else if (c == '\r') /* would return to the start and overwrite */
				c = REPLACEMENT;
		} else if (term_unsafe(c)) {
			c = REPLACEMENT;
		}
		if (dst)
			sb_add_cp(dst, c);
		w += cp_width(c);
	}
	return w;
}

static size_t term_text(struct sb *dst, const char *s)
{
	return term_text_n(dst, s, strlen(s), 0);
}

static size_t term_width(const char *s)
{
	return term_text(NULL, s);
}

static void pad(struct sb *sb, size_t n)
{
	while (n--)
		sb_addc(sb, ' ');
}

/* Cell values */

static bool is_true(const char *s)
{
	return strcmp(s, "1") == 0 || strcmp(s, "true") == 0;
}

static bool is_false(const char *s)
{
	return strcmp(s, "0") == 0 || strcmp(s, "false") == 0;
}

/* The text of a cell in table, CSV and TSV output. */
static const char *cell_text(enum out_type type, const char *s)
{
	if (!s)
		return "";
	if (type == OUT_T_BOOL) {
		if (is_true(s))
			return "true";
		if (is_false(s))
			return "false";
	}
	return s;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? ; int_only stops before the fraction. */
static bool is_json_number(const char *s, bool int_only)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (is_digit(*s))
			s++;
	else
		return false;
	if (int_only)
		return *s == '\0';
	if (*s == '.') {
		s++;
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
	}
	return *s == '\0';
}

/* JSON */

static void json_string(struct sb *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	sb_addc(sb, '"');
	while (n > 0) {
		int32_t c;
		size_t k = utf8_next(p, n, &c);
		if (c < 0) {
			sb_add_cp(sb, REPLACEMENT);
		} else if (c == '"' || c == '\\') {
			sb_addc(sb, '\\');
			sb_addc(sb, (char)c);
		} else if (c < 0x20) {
			switch (c) {
			case '\b':
				sb_adds(sb, "\\b");
				break;
			case '\f':
				sb_adds(sb, "\\f");
				break;
			case '\n':
				sb_adds(sb, "\\n");
				break;
			case '\r':
				sb_adds(sb, "\\r");
				break;
			case '\t':
				sb_adds(sb, "\\t");
				break;
			default:
				sb_adds(sb, "\\u00");
				sb_addc(sb, hex[c >> 4]);
				sb_addc(sb, hex[c & 15]);
			}
		} else {
			sb_add(sb, (const char *)p, k);
		}
		p += k;
		n -= k;
	}
	sb_addc(sb, '"');
}

/* A validating JSON reader that re-emits its input without whitespace. */
struct jp {
	const unsigned char *p;
	struct sb *out;
	int depth;
};

#define JSON_MAX_DEPTH 200

static bool jp_value(struct jp *j);

static void jp_ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static bool jp_lit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);
	if (strncmp((const char *)j->p, lit, n) != 0)
		return false;
	sb_add(j->out, lit, n);
	j->p += n;
	return true;
}

static bool is_hex(unsigned char c)
{
	return is_digit((char)c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool jp_string(struct jp *j)
{
	const unsigned char *start = j->p++;
	for (;;) {
		unsigned char c = *j->p;
		if (c == '"') {
			j->p++;
			break;
		}
		if (c < 0x20) /* control characters, and the end of the text */
			return false;
		if (c == '\\') {
			c = *++j->p;
			if (c == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!is_hex(j->p[i]))
						return false;
				j->p += 5;
			} else if (c && strchr("\"\\/bfnrt", c)) {
				j->p++;
			} else {
				return false;
			}
		} else {
			int32_t cp;
			j->p += utf8_next(j->p, 4, &cp); /* stops at the NUL */
			if (cp < 0)
				return false;
		}
	}
	sb_add(j->out, (const char *)start, (size_t)(j->p - start));
	return true;
}

static bool jp_number(struct jp *j)
{
	const unsigned char *start = j->p;
	while (*j->p && strchr("+-.eE0123456789", *j->p))
		j->p++;
	char *num = xstrndup((const char *)start, (size_t)(j->p - start));
	bool good = is_json_number(num, false);
	free(num);
	if (good)
		sb_add(j->out, (const char *)start, (size_t)(j->p - start));
	return good;
}

static bool jp_container(struct jp *j, char open, char close)
{
	if (++j->depth > JSON_MAX_DEPTH)
		return false;
	j->p++;
	sb_addc(j->out, open);
	jp_ws(j);
	if (*j->p == (unsigned char)close) {
		j->p++;
		sb_addc(j->out, close);
		j->depth--;
		return true;
	}
	for (;;) {
		if (open == '{') {
			if (*j->p != '"' || !jp_string(j))
				return false;
			jp_ws(j);
			if (*j->p++ != ':')
				return false;
			sb_addc(j->out, ':');
			jp_ws(j);
		}
		if (!jp_value(j))
			return false;
		jp_ws(j);
		if (*j->p == ',') {
			j->p++;
			sb_addc(j->out, ',');
			jp_ws(j);
		} else if (*j->p == (unsigned char)close) {
			j->p++;
			sb_addc(j->out, close);
			j->depth--;
			return true;
		} else {
			return false;
		}
	}
}

static bool jp_value(struct jp *j)
{
	switch (*j->p) {
	case '{':
		return jp_container(j, '{', '}');
	case '[':
		return jp_container(j, '[', ']');
	case '"':
		return jp_string(j);
	case 't':
		return jp_lit(j, "true");
	case 'f':
		return jp_lit(j, "false");
	case 'n':
		return jp_lit(j, "null");
	default:
		return *j->p == '-' || is_digit((char)*j->p) ? jp_number(j) : false;
	}
}

/* Append s compacted if it is one valid JSON value; false (sb unchanged) if not. */
static bool json_compact(struct sb *sb, const char *s)
{
	size_t len = sb->len;
	struct jp j = { (const unsigned char *)s, sb, 0 };
	jp_ws(&j);
	bool good = jp_value(&j);
	if (good) {
		jp_ws(&j);
		good = *j.p == '\0';
	}
	if (!good) {
		sb->len = len;
		if (sb->buf)
			sb->buf[len] = '\0';
	}
	return good;
}

/*
 * A cell as a JSON value of its column's type. Text that does not fit the
 * type (an OUT_T_INT "abc", invalid OUT_T_RAW) falls back to a JSON
 * string, so the output is always valid JSON and nothing is lost.
 */
static void json_value(struct sb *sb, enum out_type type, const char *s)
{
	if (!s) {
		sb_adds(sb, "null");
		return;
	}
	switch (type) {
	case OUT_T_STR:
		break;
	case OUT_T_INT:
	case OUT_T_NUM:
		if (is_json_number(s, type == OUT_T_INT)) {
			sb_adds(sb, s);
			return;
		}
		break;
	case OUT_T_RAW:
		if (json_compact(sb, s))
			return;
		break;
	case OUT_T_BOOL:
		if (is_true(s) || is_false(s)) {
			sb_adds(sb, is_true(s) ? "true" : "false");
			return;
		}
		break;
	}
	json_string(sb, s);
}

static void indent(struct sb *sb, int level)
{
	for (int i = 0; i < level; i++)
		sb_adds(sb, "  ");
}

/* Row r of t as a JSON object; pretty at the given nesting level, else compact. */
static void json_row(struct sb *sb, const struct tbl *t, size_t r, bool pretty, int level)
{
	sb_addc(sb, '{');
	for (int i = 0; i < t->ncols; i++) {
		if (i)
			sb_addc(sb, ',');
		if (pretty) {
			sb_addc(sb, '\n');
			indent(sb, level + 1);
		}
		json_string(sb, t->cols[i].name);
		sb_adds(sb, pretty ? ": " : ":");
		json_value(sb, t->cols[i].type, t->cells[r * t->ncols + i]);
	}
	if (pretty) {
		sb_addc(sb, '\n');
		indent(sb, level);
	}
	sb_addc(sb, '}');
}

/* All rows of t as a JSON array (used for nested lists). */
static void json_rows(struct sb *sb, const struct tbl *t, bool pretty, int level)
{
	if (t->nrows == 0) {
		sb_adds(sb, "[]");
		return;
	}
	sb_addc(sb, '[');
	for (size_t r = 0; r < t->nrows; r++) {
		if (r)
			sb_addc(sb, ',');
		if (pretty) {
			sb_addc(sb, '\n');
			indent(sb, level + 1);
		}
		json_row(sb, t, r, pretty, level + 1);
	}
	if (pretty) {
		sb_addc(sb, '\n');
		indent(sb, level);
	}
	sb_addc(sb, ']');
}

/* CSV and TSV */

/* One rule for every CSV leads writes: the writer of lib/csv.c. */
static void csv_cell(struct sb *sb, const char *s, int flags)
{
	csv_write_field(sb, s, ',', !(flags & OUT_NO_ESCAPE));
}

static void tsv_cell(struct sb *sb, const char *s)
{
	for (; *s; s++) {
		size_t plain = strcspn(s, "\t\n\r\\");
		sb_add(sb, s, plain);
		s += plain;
		if (!*s)
			break;
		switch (*s) {
		case '\t':
			sb_adds(sb, "\\t");
			break;
		case '\n':
			sb_adds(sb, "\\n");
			break;
		case '\r':
			sb_adds(sb, "\\r");
			break;
		case '\\':
			sb_adds(sb, "\\\\");
			break;
		default:
			sb_addc(sb, *s);
		}
	}
}

static void sep_cell(struct sb *sb, enum out_format fmt, int flags, const char *s)
{
	if (fmt == OUT_CSV)
		csv_cell(sb, s, flags);
	else
		tsv_cell(sb, s);
}

static void sep_header(struct sb *sb, enum out_format fmt, int flags, const struct tbl *t)
{
	for (int i = 0; i < t->ncols; i++) {
		if (i)
			sb_addc(sb, fmt == OUT_CSV ? ',' : '\t');
		sep_cell(sb, fmt, flags, t->cols[i].name);
	}
	sb_addc(sb, '\n');
}

static void sep_row(struct sb *sb, enum out_format fmt, int flags, const struct tbl *t, size_t r)
{
	for (int i = 0; i < t->ncols; i++) {
		if (i)
			sb_addc(sb, fmt == OUT_CSV ? ',' : '\t');
		sep_cell(sb, fmt, flags, cell_text(t->cols[i].type, t->cells[r * t->ncols + i]));
	}
	sb_addc(sb, '\n');
}

/* Terminal tables */

static bool col_right(const struct out_col *c)
{
	return c->right == 1 || c->type == OUT_T_INT || c->type == OUT_T_NUM;
}

/* The header of a column: its header, or its name upper-cased. */
static char *col_header(const struct out_col *c)
{
	char *h = xstrdup(c->header ? c->header : c->name);
	if (!c->header)
		for (char *p = h; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 'a' + 'A');
	return h;
}

/*
 * Append s cleaned for the terminal, cut to at most maxw display columns:
 * a cut is marked by an ellipsis (one column) at the end. Returns the
 * width appended.
 */
static size_t term_text_cut(struct sb *sb, const char *s, size_t maxw)
{
	struct sb tmp = SB_INIT;
	size_t w = term_text(&tmp, s);
	if (w <= maxw) {
		if (tmp.len)
			sb_add(sb, tmp.buf, tmp.len);
		sb_free(&tmp);
		return w;
	}
	size_t used = 0;
	const unsigned char *p = (const unsigned char *)tmp.buf;
	size_t n = tmp.len;
	while (n > 0 && maxw > 0) {
		int32_t c;
		size_t k = utf8_next(p, n, &c);
		size_t cw = cp_width(c);
		if (used + cw > maxw - 1)
			break;
		sb_add(sb, (const char *)p, k);
		used += cw;
		p += k;
		n -= k;
	}
	if (maxw > 0) {
		sb_adds(sb, "\xe2\x80\xa6"); /* U+2026 */
		used++;
	}
	sb_free(&tmp);
	return used;
}

static void layout_free(struct layout *L)
{
	free(L->w);
	free(L->show);
	memset(L, 0, sizeof(*L));
}

/* Append one table line (cells NULL = empty) with no trailing spaces. */
static void table_line(struct sb *sb, const struct tbl *t, const char *const *cells,
                       const struct layout *L, int ind, bool bold)
{
	size_t start = sb->len;
	int last = -1;
	for (int i = 0; i < t->ncols; i++)
		if (L->show[i])
			last = i;
	indent(sb, ind);
	if (bold)
		sb_adds(sb, BOLD);
	size_t text_start = sb->len;
	bool first = true;
	for (int i = 0; i < t->ncols; i++) {
		if (!L->show[i])
			continue;
		const char *s = cells[i] ? cells[i] : "";
		size_t w = term_width(s);
		if (L->cut && w > L->w[i])
			w = L->w[i];
		size_t gap = w < L->w[i] ? L->w[i] - w : 0;
		if (!first)
			sb_adds(sb, "  ");
		first = false;
		if (col_right(&t->cols[i]))
			pad(sb, gap);
		if (L->cut)
			term_text_cut(sb, s, L->w[i]);
		else
			term_text(sb, s);
		if (!col_right(&t->cols[i]) && i != last)
			pad(sb, gap);
	}
	while (sb->len > text_start && sb->buf[sb->len - 1] == ' ')
		sb->len--;
	if (sb->len == text_start) {
		sb->len = start; /* an all-empty line: not even the indent */
	} else if (bold) {
		sb->buf[sb->len] = '\0';
		sb_adds(sb, RESET);
	}
	sb_addc(sb, '\n');
}

/* The width of the shown columns with their separators. */
static size_t layout_total(const struct layout *L, const size_t *w, size_t n)
{
	size_t sum = 0, shown = 0;
	for (size_t i = 0; i < n; i++)
		if (L->show[i]) {
			sum += w[i];
			shown++;
		}
	return sum + (shown ? 2 * (shown - 1) : 0);
}

static size_t layout_shown(const struct layout *L, size_t n)
{
	size_t shown = 0;
	for (size_t i = 0; i < n; i++)
		shown += L->show[i];
	return shown;
}

/*
 * Fit the natural widths in L->w into budget columns (see out.h, "table"):
 * cut text columns down to a floor, leave out dispensable columns, then
 * share what room there is from the widest column down.
 */
static void layout_fit(struct layout *L, const struct tbl *t, const size_t *hdrw, size_t budget)
{
	size_t n = (size_t)t->ncols;
	if (budget < 1)
		budget = 1;
	L->cut = true;
	if (layout_total(L, L->w, n) <= budget)
		return;
	size_t *min = xcalloc(n, sizeof(*min));
	for (size_t i = 0; i < n; i++) {
		size_t floor = hdrw[i] < 4 ? 4 : hdrw[i] > 10 ? 10 : hdrw[i];
		bool whole = col_right(&t->cols[i]) || t->cols[i].right == OUT_WHOLE;
		min[i] = whole || L->w[i] < floor ? L->w[i] : floor;
	}
	/*
	 * Leave out the most dispensable columns while the rest would not fit
	 * even cut to a comfortable width (OUT_COMFORT): a column left out
	 * reads better than every column cut short. Then, as a last resort,
	 * while their floors do not fit.
	 */
	size_t *comfort = xcalloc(n, sizeof(*comfort));
	for (size_t i = 0; i < n; i++)
		comfort[i] = L->w[i] < OUT_COMFORT || min[i] > OUT_COMFORT ? L->w[i]
		             : OUT_COMFORT > min[i]                        ? OUT_COMFORT
		                                                           : min[i];
	while (layout_total(L, comfort, n) > budget && t->drop) {
		int drop = -1;
		for (size_t i = 0; i < n; i++)
			if (L->show[i] && t->drop[i] > 0 &&
			    (drop < 0 || t->drop[i] < t->drop[drop]))
				drop = (int)i;
		if (drop < 0 || layout_shown(L, n) <= 1)
			break;
		L->show[drop] = false;
	}
	free(comfort);
	while (layout_total(L, min, n) > budget && layout_shown(L, n) > 1) {
		int drop = -1;
		for (size_t i = 0; i < n; i++)
			if (L->show[i] && t->drop && t->drop[i] > 0 &&
			    (drop < 0 || t->drop[i] < t->drop[drop]))
				drop = (int)i;
		if (drop < 0) /* none left: the rightmost */
			for (size_t i = n; i-- > 0 && drop < 0;)
				if (L->show[i])
					drop = (int)i;
		L->show[drop] = false;
	}
	size_t shown = layout_shown(L, n);
	size_t seps = shown ? 2 * (shown - 1) : 0;
	size_t avail = budget > seps ? budget - seps : 1;
	if (layout_total(L, L->w, n) > budget) {
		/* the largest cap on widths that fits, then the rest one by one */
		size_t lo = 0, hi = 0;
		for (size_t i = 0; i < n; i++)
			if (L->show[i] && L->w[i] > hi)
				hi = L->w[i];
		while (lo < hi) {
			size_t mid = (lo + hi + 1) / 2, sum = 0;
			for (size_t i = 0; i < n; i++)
				if (L->show[i])
					sum += L->w[i] < mid  ? L->w[i]
					       : mid > min[i] ? mid
					                      : min[i];
			if (sum <= avail)
				lo = mid;
			else
				hi = mid - 1;
		}
		size_t sum = 0;
		for (size_t i = 0; i < n; i++) {
			if (!L->show[i])
				continue;
			size_t natural = L->w[i];
			L->w[i] = natural < lo ? natural : lo > min[i] ? lo : min[i];
			min[i] = natural; /* from here: the natural width */
			sum += L->w[i];
		}
		for (size_t i = 0; i < n && sum < avail; i++)
			if (L->show[i] && L->w[i] < min[i]) {
				L->w[i]++;
				sum++;
			}
		/* one column wider than everything: cut to the width */
		for (size_t i = 0; i < n; i++)
			if (L->show[i] && sum > avail && L->w[i] > avail) {
				sum -= L->w[i] - avail;
				L->w[i] = avail;
			}
	}
	free(min);
}

/* Widths from the header and the rows held in t; fitted to width if > 0. */
static void layout_make(struct layout *L, const struct tbl *t, int flags, size_t width)
{
	size_t n = (size_t)t->ncols;
	bool header = !(flags & OUT_NO_HEADER);
	L->w = xcalloc(n, sizeof(*L->w));
	L->show = xcalloc(n, sizeof(*L->show));
	L->cut = false;
	size_t *hdrw = xcalloc(n, sizeof(*hdrw));
	for (size_t i = 0; i < n; i++) {
		char *h = col_header(&t->cols[i]);
		hdrw[i] = term_width(h);
		free(h);
		if (header)
			L->w[i] = hdrw[i];
		L->show[i] = true;
	}
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t i = 0; i < n; i++) {
			size_t w = term_width(cell_text(t->cols[i].type, t->cells[r * n + i]));
			if (w > L->w[i])
				L->w[i] = w;
		}
	if (width > 0)
		layout_fit(L, t, hdrw, width);
	free(hdrw);
}

static void table_header(struct sb *sb, const struct tbl *t, const struct layout *L, int flags,
                         int ind)
{
	if (flags & OUT_NO_HEADER)
		return;
	size_t n = (size_t)t->ncols;
	char **headers = xcalloc(n, sizeof(*headers));
	for (size_t i = 0; i < n; i++)
		headers[i] = col_header(&t->cols[i]);
	table_line(sb, t, (const char *const *)headers, L, ind, (flags & OUT_COLOR) != 0);
	for (size_t i = 0; i < n; i++)
		free(headers[i]);
	free(headers);
}

/* The rows held in t, in layout L. */
static void table_rows(struct sb *sb, const struct tbl *t, const struct layout *L, int ind)
{
	size_t n = (size_t)t->ncols;
	const char **line = xcalloc(n, sizeof(*line));
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < n; i++)
			line[i] = cell_text(t->cols[i].type, t->cells[r * n + i]);
		table_line(sb, t, line, L, ind, false);
	}
	free(line);
}

/* A whole table (a record's nested list), fitted to width if > 0. */
static void table_render(struct sb *sb, const struct tbl *t, int flags, int ind, size_t width)
{
	struct layout L;
	size_t room = width > (size_t)(2 * ind) ? width - (size_t)(2 * ind) : width ? 1 : 0;
	layout_make(&L, t, flags, room);
	table_header(sb, t, &L, flags, ind);
	table_rows(sb, t, &L, ind);
	layout_free(&L);
}

/* Tables being filled */

static void tbl_free(struct tbl *t)
{
	for (int i = 0; i < t->ncols; i++) {
		free((char *)t->cols[i].name);
		free((char *)t->cols[i].header);
	}
	free(t->cols);
	free(t->drop);
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols + (size_t)t->cur; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

static void tbl_drop_rows(struct tbl *t)
{
	for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
		free(t->cells[i]);
	t->nrows = 0;
}

static void tbl_init(struct tbl *t, const struct out_col *cols, int ncols)
{
	assert(cols && ncols > 0);
	memset(t, 0, sizeof(*t));
	t->cols = xcalloc((size_t)ncols, sizeof(*t->cols));
	for (int i = 0; i < ncols; i++) {
		assert(cols[i].name);
		t->cols[i] = cols[i];
		t->cols[i].name = xstrdup(cols[i].name);
		t->cols[i].header = cols[i].header ? xstrdup(cols[i].header) : NULL;
	}
	t->ncols = ncols;
}

/* Add a cell (owned) to the row being filled. */
static void tbl_add(struct tbl *t, char *s)
{
	/* More cells than columns, or a cell before out_begin: a caller's bug. */
	assert(t->ncols > 0 && t->cur < t->ncols);
	if (t->ncols <= 0 || t->cur >= t->ncols) {
		free(s);
		return;
	}
	size_t at = t->nrows * (size_t)t->ncols + (size_t)t->cur;
	t->cells = xgrow(t->cells, &t->cap, at + 1, sizeof(*t->cells));
	t->cells[at] = s;
	t->cur++;
}

/* The emitter */

static void flush_sb(struct out *o)
{
	if (o->sb.len)
		fwrite(o->sb.buf, 1, o->sb.len, o->fp);
	sb_reset(&o->sb);
}

int out_format_parse(const char *s)
{
	static const char *const names[] = { "table", "csv", "tsv", "json", "jsonl" };
	for (size_t i = 0; s && i < ARRAY_LEN(names); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

struct out *out_new(FILE *fp, enum out_format fmt, int flags)
{
	struct out *o = xcalloc(1, sizeof(*o));
	o->fp = fp;
	o->fmt = fmt;
	o->flags = flags;
	return o;
}

void out_set_width(struct out *o, int width)
{
	o->width = width > 0 ? (size_t)width : 0;
}

bool out_failed(const struct out *o)
{
	return ferror(o->fp) != 0;
}

void out_begin(struct out *o, const struct out_col *cols, int ncols)
{
	if (o->rec == REC_LIST) {
		assert(o->t.ncols == 0); /* one out_begin per nested list */
		tbl_free(&o->t);
		tbl_init(&o->t, cols, ncols);
		return;
	}
	assert(o->rec == REC_NONE && !o->begun); /* one table per emitter */
	tbl_free(&o->t);
	tbl_init(&o->t, cols, ncols);
	o->begun = true;
	if ((o->fmt == OUT_CSV || o->fmt == OUT_TSV) && !(o->flags & OUT_NO_HEADER)) {
		sep_header(&o->sb, o->fmt, o->flags, &o->t);
		flush_sb(o);
	}
}

void out_drop_order(struct out *o, const char *names)
{
	struct tbl *t = &o->t;
	assert(t->ncols > 0); /* after out_begin */
	if (!t->drop)
		t->drop = xcalloc((size_t)t->ncols, sizeof(*t->drop));
	int rank = 0;
	for (const char *p = names; p && *p;) {
		size_t n = strcspn(p, " ");
		rank++;
		for (int i = 0; i < t->ncols; i++)
			if (strlen(t->cols[i].name) == n && strncmp(t->cols[i].name, p, n) == 0)
				t->drop[i] = rank;
		p += n;
		while (*p == ' ')
			p++;
	}
}

void out_str(struct out *o, const char *s)
{
	tbl_add(&o->t, s ? xstrdup(s) : NULL);
}

void out_int(struct out *o, int64_t v)
{
	/* decimal digits by hand: a bulk command writes one per row */
	char buf[24], *p = buf + sizeof buf;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	*--p = '\0';
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	tbl_add(&o->t, xstrdup(p));
}

void out_null(struct out *o)
{
	tbl_add(&o->t, NULL);
}

/* Stream the buffered top-level rows (every format but the table). */
static void stream_rows(struct out *o)
{
	struct tbl *t = &o->t;
	for (size_t r = 0; r < t->nrows; r++) {
		switch (o->fmt) {
		case OUT_TABLE:
			return;
		case OUT_CSV:
		case OUT_TSV:
			sep_row(&o->sb, o->fmt, o->flags, t, r);
			break;
		case OUT_JSON:
			sb_adds(&o->sb, o->emitted ? ",\n  " : "[\n  ");
			json_row(&o->sb, t, r, true, 1);
			break;
		case OUT_JSONL:
			json_row(&o->sb, t, r, false, 0);
			sb_addc(&o->sb, '\n');
			break;
		}
		o->emitted++;
	}
	tbl_drop_rows(t);
	flush_sb(o);
}

/*
 * A top-level table: lay it out from the rows held (the look-ahead) and
 * print them; from then on each row is printed as it ends.
 */
static void table_stream(struct out *o)
{
	struct tbl *t = &o->t;
	if (!o->laid) {
		if (t->nrows < OUT_LOOKAHEAD)
			return;
		layout_make(&o->lay, t, o->flags, o->width);
		table_header(&o->sb, t, &o->lay, o->flags, 0);
		o->laid = true;
	}
	table_rows(&o->sb, t, &o->lay, 0);
	tbl_drop_rows(t);
	flush_sb(o);
}

void out_end_row(struct out *o)
{
	struct tbl *t = &o->t;
	assert(t->ncols > 0); /* out_begin first */
	if (t->ncols <= 0)
		return;
	while (t->cur < t->ncols)
		tbl_add(t, NULL); /* a short row is padded with nulls */
	t->cur = 0;
	t->nrows++;
	if (o->rec == REC_NONE && o->fmt == OUT_TABLE)
		table_stream(o);
	else if (o->rec == REC_NONE)
		stream_rows(o);
}

void out_finish(struct out *o)
{
	assert(o->t.cur == 0);                            /* a row was left unfinished */
	assert(o->rec == REC_NONE || o->rec == REC_DONE); /* out_record_end missing */
	if (o->rec == REC_NONE) {
		if (o->fmt == OUT_TABLE && !o->laid && o->t.nrows > 0)
			table_render(&o->sb, &o->t, o->flags, 0, o->width);
		else if (o->fmt == OUT_TABLE && o->laid)
			table_rows(&o->sb, &o->t, &o->lay, 0);
		else if (o->fmt == OUT_JSON)
			sb_adds(&o->sb, o->emitted ? "\n]\n" : "[]\n");
		tbl_drop_rows(&o->t);
		o->emitted = 0;
	}
	flush_sb(o);
	fflush(o->fp);
}

static void ritem_free(struct ritem *it)
{
	free(it->key);
	free(it->value);
	tbl_free(&it->list);
}

void out_free(struct out *o)
{
	if (!o)
		return;
	tbl_free(&o->t);
	layout_free(&o->lay);
	for (size_t i = 0; i < o->nitems; i++)
		ritem_free(&o->items[i]);
	free(o->items);
	sb_free(&o->sb);
	free(o);
}

/* Records */

static struct ritem *ritem_new(struct out *o, const char *key)
{
	assert(key);
	o->items = xgrow(o->items, &o->icap, o->nitems + 1, sizeof(*o->items));
	struct ritem *it = &o->items[o->nitems++];
	memset(it, 0, sizeof(*it));
	it->key = xstrdup(key ? key : "");
	return it;
}

void out_record_begin(struct out *o)
{
	assert(o->rec == REC_NONE && !o->begun); /* one record per emitter, no table */
	o->rec = REC_OPEN;
}

void out_record_field(struct out *o, const char *key, enum out_type type, const char *value)
{
	assert(o->rec == REC_OPEN);
	struct ritem *it = ritem_new(o, key);
	it->type = type;
	it->value = value ? xstrdup(value) : NULL;
}

void out_record_list_begin(struct out *o, const char *key)
{
	assert(o->rec == REC_OPEN);
	struct ritem *it = ritem_new(o, key);
	it->is_list = true;
	tbl_free(&o->t);
	o->rec = REC_LIST;
}

void out_record_list_end(struct out *o)
{
	assert(o->rec == REC_LIST && o->t.cur == 0);
	struct ritem *it = &o->items[o->nitems - 1];
	it->list = o->t; /* ncols == 0 when out_begin was never called: empty */
	memset(&o->t, 0, sizeof(o->t));
	o->rec = REC_OPEN;
}

/* "key: value" lines; continuation lines of a value are indented under it. */
static void record_table(struct out *o)
{
	struct sb *sb = &o->sb;
	size_t keyw = 0;
	bool any = false;
	for (size_t i = 0; i < o->nitems; i++) {
		size_t w = term_width(o->items[i].key);
		if (!o->items[i].is_list && w > keyw)
			keyw = w;
	}
	for (size_t i = 0; i < o->nitems; i++) {
		const struct ritem *it = &o->items[i];
		if (it->is_list)
			continue;
		size_t start = sb->len;
		term_text(sb, it->key);
		sb_addc(sb, ':');
		pad(sb, keyw - term_width(it->key) + 1);
		const char *v = cell_text(it->type, it->value);
		for (;;) {
			const char *nl = strchr(v, '\n');
			char *part = xstrndup(v, nl ? (size_t)(nl - v) : strlen(v));
			term_text(sb, part);
			free(part);
			while (sb->len > start && sb->buf[sb->len - 1] == ' ')
				sb->len--;
			sb->buf[sb->len] = '\0';
			sb_addc(sb, '\n');
			if (!nl)
				break;
			v = nl + 1;
			start = sb->len;
			pad(sb, keyw + 2);
		}
		any = true;
	}
	for (size_t i = 0; i < o->nitems; i++) {
		const struct ritem *it = &o->items[i];
		if (!it->is_list)
			continue;
		if (any)
			sb_addc(sb, '\n');
		any = true;
		term_text(sb, it->key);
		sb_adds(sb, ":\n");
		if (it->list.nrows == 0)
			sb_adds(sb, "  (none)\n");
		else
			table_render(sb, &it->list, o->flags, 1, o->width);
	}
}

static void record_sep(struct out *o)
{
	static const struct out_col kv[] = { { "field", NULL, OUT_T_STR, 0 },
		                             { "value", NULL, OUT_T_STR, 0 } };
	struct sb *sb = &o->sb;
	bool header = !(o->flags & OUT_NO_HEADER);
	char sep = o->fmt == OUT_CSV ? ',' : '\t';
	struct tbl t;
	tbl_init(&t, kv, 2);
	if (header)
		sep_header(sb, o->fmt, o->flags, &t);
	tbl_free(&t);
	for (size_t i = 0; i < o->nitems; i++) {
		const struct ritem *it = &o->items[i];
		if (it->is_list)
			continue;
		sep_cell(sb, o->fmt, o->flags, it->key);
		sb_addc(sb, sep);
		sep_cell(sb, o->fmt, o->flags, cell_text(it->type, it->value));
		sb_addc(sb, '\n');
	}
	for (size_t i = 0; i < o->nitems; i++) {
		const struct ritem *it = &o->items[i];
		if (!it->is_list || it->list.nrows == 0)
			continue;
		sb_addc(sb, '\n');
		if (header)
			sep_header(sb, o->fmt, o->flags, &it->list);
		for (size_t r = 0; r < it->list.nrows; r++)
			sep_row(sb, o->fmt, o->flags, &it->list, r);
	}
}

static void record_json(struct out *o)
{
	struct sb *sb = &o->sb;
	bool pretty = o->fmt == OUT_JSON;
	sb_addc(sb, '{');
	for (size_t i = 0; i < o->nitems; i++) {
		const struct ritem *it = &o->items[i];
		if (i)
			sb_addc(sb, ',');
		if (pretty) {
			sb_addc(sb, '\n');
			indent(sb, 1);
		}
		json_string(sb, it->key);
		sb_adds(sb, pretty ? ": " : ":");
		if (it->is_list)
			json_rows(sb, &it->list, pretty, 1);
		else
			json_value(sb, it->type, it->value);
	}
	if (pretty && o->nitems)
		sb_addc(sb, '\n');
	sb_adds(sb, "}\n");
}

void out_record_end(struct out *o)
{
	assert(o->rec == REC_OPEN);
	switch (o->fmt) {
	case OUT_TABLE:
		record_table(o);
		break;
	case OUT_CSV:
	case OUT_TSV:
		record_sep(o);
		break;
	case OUT_JSON:
	case OUT_JSONL:
		record_json(o);
		break;
	}
	o->rec = REC_DONE;
	flush_sb(o);
}

void out_json_escape(FILE *fp, const char *s)
{
	struct sb sb = SB_INIT;
	if (s)
		json_string(&sb, s);
	else
		sb_adds(&sb, "null");
	fwrite(sb.buf, 1, sb.len, fp);
	sb_free(&sb);
}

/* Text for a terminal */

char *out_term_dup(const char *s, int flags)
{
	struct sb sb = SB_INIT;
	sb_adds(&sb, ""); /* "" for "" (and NULL), never NULL */
	if (s)
		term_text_n(&sb, s, strlen(s), flags);
	return sb.buf;
}

size_t out_term_width(const char *s)
{
	return s ? term_width(s) : 0;
}

void out_term_puts(FILE *fp, const char *s, int flags)
{
	struct sb sb = SB_INIT;
	term_text_n(&sb, s, strlen(s), flags);
	if (sb.len)
		fwrite(sb.buf, 1, sb.len, fp);
	sb_free(&sb);
}

int out_vtprintf(FILE *fp, const char *fmt, va_list ap)
{
	struct sb raw = SB_INIT, sb = SB_INIT;
	sb_vaddf(&raw, fmt, ap);
	if (raw.len)
		term_text_n(&sb, raw.buf, raw.len, OUT_TERM_LINES);
	if (sb.len)
		fwrite(sb.buf, 1, sb.len, fp);
	int n = (int)raw.len;
	sb_free(&sb);
	sb_free(&raw);
	return n;
}

int out_tprintf(FILE *fp, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = out_vtprintf(fp, fmt, ap);
	va_end(ap);
	return n;
}
