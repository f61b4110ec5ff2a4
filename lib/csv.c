/*
 * csv.c - streaming CSV reader and writer helpers; see csv.h.
 *
 * The reader keeps one window of decoded UTF-8 text, buf[pos..end), with
 * a NUL sentinel at buf[end]. The parser skips, 16 bytes at a time with
 * SSE2 (else with a byte-class table), to the next byte needing a
 * decision: delimiter (or quote, in a quoted field), CR, LF, NUL (real,
 * or the sentinel) and bytes >= 0x80 (validated as UTF-8 on the spot,
 * then skipped, so non-ASCII text costs a check per character). Runs of
 * ordinary bytes are copied with one memcpy into the record buffer, where
 * fields lie back to back, each NUL-terminated.
 *
 * Nothing in a record is kept in the window: when the scan reaches the
 * end, the pending run is copied out and the window refilled, carrying
 * over at most the few bytes still undecided (a CR or quote waiting for
 * the next byte, a UTF-8 sequence cut in half). So the window stays one
 * block however long a field or line is.
 *
 * With a non-UTF-8 input (a UTF-16 BOM, or opts.encoding) raw blocks are
 * read into a second buffer and converted by iconv into the window. An
 * invalid sequence is not reported at once: conversion stops there, and
 * the error is raised when the parser reaches it, so it names the line.
 */
#include "csv.h"

#include <errno.h>
#include <iconv.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DEF_BLOCK      (256u * 1024)
#define DEF_MAX_FIELD  (16u * 1024 * 1024)
#define DEF_MAX_FIELDS 100000u
#define DEF_MAX_RECORD (64u * 1024 * 1024)
#define DETECT_WINDOW  (64u * 1024) /* at least this much is read to find line 1 */
#define SLACK          64           /* window room beyond a block: carry-over, iconv */

static const char REPLACEMENT[] = "\xEF\xBF\xBD"; /* U+FFFD */

struct csv_reader {
	int fd;
	size_t block, win;
	size_t max_field, max_fields, max_record;
	bool replace;
	char delim;
	bool had_bom;
	char *enc;

	/* the window of UTF-8 text: buf[pos..end), buf[end] == '\0' */
	char *buf;
	size_t cap, pos, end;
	bool eof; /* nothing follows buf[end] */

	/* conversion: raw[raw_pos..raw_end) not yet converted */
	bool conv;
	bool w1252; /* by w1252_utf8[], not iconv */
	iconv_t cd;
	char *raw;
	size_t raw_cap, raw_pos, raw_end;
	bool raw_eof;
	size_t unit;       /* bytes skipped per invalid sequence when replacing */
	int conv_err;      /* 1 = invalid, 2 = truncated at end: raised when reached */
	uint64_t conv_off; /* input offset of that sequence */
	uint64_t nread;    /* bytes read from fd */

	/* position, for messages */
	uint64_t line;     /* current physical line */
	size_t line_start; /* index in buf where it starts (or 0 if before) */
	size_t col_base;   /* characters of the line already out of the window */
	bool skip_lf;      /* the last line break was a CR: an LF now is its pair */

	/* the record being built */
	char *fb; /* fields, back to back, each NUL-terminated */
	size_t fb_len, fb_cap;
	struct csv_field *f;
	size_t nf, f_cap, f_lim; /* f_lim = min(f_cap, max_fields) */
	size_t fstart;           /* offset of the current field in fb */
	uint64_t rline;          /* line where the record starts */
	uint64_t fline;          /* line where the current field starts */

	struct lerr err;    /* sticky error of csv_next() */
	struct lerr rd_err; /* sticky read error */

	unsigned char cls_u[256]; /* nonzero: stop in unquoted text */
	unsigned char cls_q[256]; /* nonzero: stop in quoted text */
};

/* ---- input ------------------------------------------------------------ */

static int read_fd(struct csv_reader *r, char *dst, size_t n, size_t *got, struct lerr *err)
{
	for (;;) {
		ssize_t k = read(r->fd, dst, n);
		if (k >= 0) {
			*got = (size_t)k;
			r->nread += (uint64_t)k;
			return 0;
		}
		if (errno != EINTR) {
			lerr_set(&r->rd_err, EX_IOERR, "read: %s", strerror(errno));
			if (err)
				*err = r->rd_err;
			return EX_IOERR;
		}
	}
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* Characters (code points) in s[0..n): bytes that are not continuations. */
static size_t count_chars(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xC0) != 0x80;
	return c;
}

static int conv_error(struct csv_reader *r, struct lerr *err)
{
	if (r->conv_err == 2)
		return lerr_set(err, EX_DATAERR,
		                "line %" PRIu64 ": truncated %s sequence at end of input", r->line,
		                r->enc);
	return lerr_set(err, EX_DATAERR,
	                "line %" PRIu64 ": invalid %s input (byte offset %" PRIu64 ")", r->line,
	                r->enc, r->conv_off);
}

/*
 * windows-1252 as the WHATWG Encoding Standard decodes it (its
 * index-windows-1252): every byte is a character. 0x80-0x9F are the euro
 * sign, smart quotes, dashes, and at 0x81, 0x8D, 0x8F, 0x90 and 0x9D,
 * which the standard leaves undefined, the C1 controls of the same
 * number (glibc's iconv refuses those five bytes); 0xA0-0xFF are
 * U+00A0-U+00FF. A table lookup a byte, not iconv: no slower, and the
 * same on every libc.
 */
static const uint16_t w1252_c1[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

/* Decode raw[raw_pos..raw_end) into buf[end..] while 3 bytes fit. */
static void w1252_decode(struct csv_reader *r, size_t room)
{
	const unsigned char *in = (const unsigned char *)r->raw + r->raw_pos;
	const unsigned char *ie = (const unsigned char *)r->raw + r->raw_end;
	unsigned char *out = (unsigned char *)r->buf + r->end;
	unsigned char *oe = out + room;
	while (in < ie && oe - out >= 3) {
		unsigned c = *in++;
		if (c < 0x80) {
			*out++ = (unsigned char)c;
			continue;
		}
		if (c < 0xA0)
			c = w1252_c1[c - 0x80];
		if (c < 0x800) {
			*out++ = (unsigned char)(0xC0 | (c >> 6));
			*out++ = (unsigned char)(0x80 | (c & 0x3F));
		} else {
			*out++ = (unsigned char)(0xE0 | (c >> 12));
			*out++ = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
			*out++ = (unsigned char)(0x80 | (c & 0x3F));
		}
	}
	r->raw_pos = (size_t)((const char *)in - r->raw);
	r->end = (size_t)((char *)out - r->buf);
}

/* Convert more raw input into buf[end..]. Returns 0 having added text or
 * set eof, or an error code. */
static int decode_more(struct csv_reader *r, struct lerr *err)
{
	size_t start = r->end;
	for (;;) {
		size_t room = r->cap - 1 - r->end;
		if (r->conv_err)
			return r->end > start ? 0 : conv_error(r, err);
		if (r->raw_pos < r->raw_end && r->w1252) {
			w1252_decode(r, room);
		} else if (r->raw_pos < r->raw_end) {
			char *in = r->raw + r->raw_pos, *out = r->buf + r->end;
			size_t inleft = r->raw_end - r->raw_pos, outleft = room;
			size_t k = iconv(r->cd, &in, &inleft, &out, &outleft);
			int e = errno;
			r->raw_pos = (size_t)(in - r->raw);
			r->end = (size_t)(out - r->buf);
			if (k == (size_t)-1) {
				if (e == E2BIG)
					return 0; /* window full (room >= SLACK, so text was added)
					           */
				if (e == EILSEQ) {
					if (!r->replace) {
						r->conv_err = 1;
						r->conv_off = r->nread - (r->raw_end - r->raw_pos);
						continue;
					}
					if (outleft < 3)
						return 0;
					memcpy(r->buf + r->end, REPLACEMENT, 3);
					r->end += 3;
					r->raw_pos += min_sz(r->unit, r->raw_end - r->raw_pos);
					continue;
				}
				if (e != EINVAL)
					return lerr_set(err, EX_DATAERR, "line %" PRIu64 ": %s: %s",
					                r->line, r->enc, strerror(e));
				/* EINVAL: a sequence cut at the end of raw; read on */
			}
		}
		if (r->end > start)
			return 0;
		if (r->raw_eof) {
			if (r->raw_pos < r->raw_end) {
				if (!r->replace) {
					r->conv_err = 2;
					continue;
				}
				memcpy(r->buf + r->end, REPLACEMENT, 3);
				r->end += 3;
				r->raw_pos = r->raw_end;
				continue;
			}
			if (!r->w1252) {
				char *out = r->buf + r->end;
				size_t outleft = room;
				iconv(r->cd, NULL, NULL, &out, &outleft);
				r->end = (size_t)(out - r->buf);
			}
			r->eof = true;
			return 0;
		}
		size_t left = r->raw_end - r->raw_pos, got = 0;
		memmove(r->raw, r->raw + r->raw_pos, left);
		r->raw_pos = 0;
		r->raw_end = left;
		int rc = read_fd(r, r->raw + left, min_sz(r->block, r->raw_cap - left), &got, err);
		if (rc)
			return rc;
		r->raw_end += got;
		if (got == 0)
			r->raw_eof = true;
	}
}

/* Add input after buf[end] (one read, or one batch of converted text). */
static int more(struct csv_reader *r, struct lerr *err)
{
	int rc = 0;
	if (r->rd_err.code) {
		if (err)
			*err = r->rd_err;
		return r->rd_err.code;
	}
	if (!r->eof) {
		if (r->conv) {
			rc = decode_more(r, err);
		} else if (r->end + 1 < r->cap) {
			size_t got = 0;
			rc = read_fd(r, r->buf + r->end, min_sz(r->block, r->cap - 1 - r->end),
			             &got, err);
			r->end += got;
			if (!rc && got == 0)
				r->eof = true;
		}
	}
	r->buf[r->end] = '\0';
	return rc;
}

/* Drop buf[0..keep) and add input. The parser calls it only with a few
 * undecided bytes left after keep, so the window never grows. */
static int refill(struct csv_reader *r, size_t keep, struct lerr *err)
{
	if (r->line_start < keep) {
		r->col_base += count_chars(r->buf + r->line_start, keep - r->line_start);
		r->line_start = 0;
	} else {
		r->line_start -= keep;
	}
	memmove(r->buf, r->buf + keep, r->end - keep);
	r->end -= keep;
	r->pos = 0;
	return more(r, err);
}

/* ---- UTF-8 ------------------------------------------------------------ */

/* Bytes a sequence starting with lead c claims (1 for an invalid lead). */
static size_t utf8_need(unsigned c)
{
	if (c >= 0xC2 && c <= 0xDF)
		return 2;
	if (c >= 0xE0 && c <= 0xEF)
		return 3;
	if (c >= 0xF0 && c <= 0xF4)
		return 4;
	return 1;
}

/* Check the sequence at s (n bytes available). Returns its length when
 * valid; else 0 and *bad = the length of the invalid part to replace (the
 * maximal subpart, as Unicode recommends: at least 1). */
static size_t utf8_seq(const unsigned char *s, size_t n, size_t *bad)
{
	unsigned c = s[0];
	size_t need = utf8_need(c), i;
	unsigned lo = 0x80, hi = 0xBF;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	*bad = 1;
	if (need == 1)
		return 0;
	for (i = 1; i < need; i++) {
		if (i >= n)
			return 0;
		unsigned b = s[i];
		if (i == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80)
			return 0;
		*bad = i + 1;
	}
	return need;
}

/* ---- scanning ---------------------------------------------------------- */

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>

/* The first byte from p on that is c, CR, LF, NUL or >= 0x80, 16 bytes at
 * a time. The NUL sentinel at buf[end] stops it; the window has 16 zeroed
 * bytes after its capacity, so reading past the sentinel stays inside. */
static inline char *scan(char *p, char c)
{
	const __m128i vc = _mm_set1_epi8(c), cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	const __m128i z = _mm_setzero_si128();
	for (;;) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, vc), _mm_cmpeq_epi8(v, cr)),
		                         _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, z)));
		unsigned bits =
		    (unsigned)_mm_movemask_epi8(_mm_or_si128(m, v)); /* v: bytes >= 0x80 */
		if (bits)
			return p + __builtin_ctz(bits);
		p += 16;
	}
}
#define SCAN_UNQUOTED(p) ((p) = scan((p), delim))
#define SCAN_QUOTED(p)   ((p) = scan((p), '"'))
#else
#define SCAN_UNQUOTED(p)                                                                           \
	do {                                                                                       \
		while (!r->cls_u[(unsigned char)*(p)])                                             \
			(p)++;                                                                     \
	} while (0)
#define SCAN_QUOTED(p)                                                                             \
	do {                                                                                       \
		while (!r->cls_q[(unsigned char)*(p)])                                             \
			(p)++;                                                                     \
	} while (0)
#endif

/* ---- the record ------------------------------------------------------- */

static size_t column(const struct csv_reader *r, const char *p)
{
	return r->col_base +
	       count_chars(r->buf + r->line_start, (size_t)(p - r->buf - r->line_start)) + 1;
}

static int too_long(struct csv_reader *r, size_t len)
{
	if (len - r->fstart > r->max_field)
		return lerr_set(&r->err, EX_DATAERR,
		                "line %" PRIu64 ", field %zu: field longer than %zu bytes",
		                r->fline, r->nf + 1, r->max_field);
	return lerr_set(&r->err, EX_DATAERR, "line %" PRIu64 ": record longer than %zu bytes",
	                r->rline, r->max_record);
}

/* Append s[0..n) to the current field (room for its NUL is kept). */
static inline int add(struct csv_reader *r, const char *s, size_t n)
{
	size_t len = r->fb_len + n;
	if (len - r->fstart > r->max_field || len > r->max_record)
		return too_long(r, len);
	if (len >= r->fb_cap)
		r->fb = xgrow(r->fb, &r->fb_cap, len + 1, 1);
	memcpy(r->fb + r->fb_len, s, n);
	r->fb_len = len;
	return 0;
}

static int grow_fields(struct csv_reader *r)
{
	if (r->nf == r->max_fields)
		return lerr_set(&r->err, EX_DATAERR,
		                "line %" PRIu64 ": more than %zu fields in a record", r->rline,
		                r->max_fields);
	r->f = xgrow(r->f, &r->f_cap, r->nf + 1, sizeof *r->f);
	r->f_lim = min_sz(r->f_cap, r->max_fields);
	return 0;
}

static inline int end_field(struct csv_reader *r, bool quoted)
{
	if (r->nf == r->f_lim) {
		int rc = grow_fields(r);
		if (rc)
			return rc;
	}
	if (r->fb_len + 1 > r->fb_cap)
		r->fb = xgrow(r->fb, &r->fb_cap, r->fb_len + 1, 1);
	r->f[r->nf].len = r->fb_len - r->fstart;
	r->f[r->nf].quoted = quoted;
	r->nf++;
	r->fb[r->fb_len++] = '\0';
	return 0;
}

static int bad_byte(struct csv_reader *r, const char *p)
{
	if (*p == '\0')
		return lerr_set(&r->err, EX_DATAERR,
		                "line %" PRIu64 ": NUL byte (is this a binary file?)", r->line);
	if (!r->conv) /* the window is the file's own bytes: say where, for a hex dump */
		return lerr_set(&r->err, EX_DATAERR,
		                "line %" PRIu64 ", column %zu (field %zu): invalid UTF-8 "
		                "(byte 0x%02X at byte %" PRIu64 " of the file); if the file is "
		                "not UTF-8, name its encoding, e.g. --encoding windows-1252",
		                r->line, column(r, p), r->nf + 1, (unsigned)(unsigned char)*p,
		                r->nread - (r->end - (size_t)(p - r->buf)) + 1);
	return lerr_set(&r->err, EX_DATAERR,
	                "line %" PRIu64 ", column %zu (field %zu): invalid UTF-8 (byte 0x%02X)",
	                r->line, column(r, p), r->nf + 1, (unsigned)(unsigned char)*p);
}

/* Set up the public view of the record just completed. */
static int finish(struct csv_reader *r, struct csv_rec *rec)
{
	const char *s = r->fb;
	for (size_t i = 0; i < r->nf; i++) {
		r->f[i].s = s;
		s += r->f[i].len + 1;
	}
	rec->f = r->f;
	rec->n = r->nf;
	return 1;
}

#define TRY(x)                                                                                     \
	do {                                                                                       \
		int rc_ = (x);                                                                     \
		if (rc_)                                                                           \
			return rc_;                                                                \
	} while (0)

/* Refill keeping p onward; reset p and s to the start of the window. */
#define REFILL()                                                                                   \
	do {                                                                                       \
		TRY(refill(r, (size_t)(p - r->buf), &r->err));                                     \
		p = s = r->buf;                                                                    \
	} while (0)

/* A byte >= 0x80 at p: step over a valid sequence, replace or fail. */
#define UTF8_STEP()                                                                                \
	do {                                                                                       \
		size_t need_ = utf8_need((unsigned char)*p), bad_, ok_;                            \
		if ((size_t)(r->buf + r->end - p) < need_ && !r->eof) {                            \
			TRY(add(r, s, (size_t)(p - s)));                                           \
			REFILL();                                                                  \
			break;                                                                     \
		}                                                                                  \
		ok_ = utf8_seq((const unsigned char *)p, (size_t)(r->buf + r->end - p), &bad_);    \
		if (ok_) {                                                                         \
			p += ok_;                                                                  \
		} else if (r->replace) {                                                           \
			TRY(add(r, s, (size_t)(p - s)));                                           \
			TRY(add(r, REPLACEMENT, 3));                                               \
			p += bad_;                                                                 \
			s = p;                                                                     \
		} else {                                                                           \
			return bad_byte(r, p);                                                     \
		}                                                                                  \
	} while (0)

static int parse(struct csv_reader *r, struct csv_rec *rec)
{
	const char delim = r->delim;
	char *p, *s;

	r->fb_len = 0;
	r->nf = 0;

	/* Skip blank lines (and the LF of a CRLF that ended the last record). */
	for (;;) {
		p = r->buf + r->pos;
		if (p == r->buf + r->end) {
			if (r->eof)
				return 0;
			TRY(refill(r, r->pos, &r->err));
			continue;
		}
		if (*p == '\n') {
			if (!r->skip_lf)
				r->line++;
			r->skip_lf = false;
		} else if (*p == '\r') {
			r->line++;
			r->skip_lf = true;
		} else {
			break;
		}
		r->pos++;
		r->line_start = r->pos;
		r->col_base = 0;
	}
	r->skip_lf = false;
	rec->line = r->rline = r->line;

field:
	r->fstart = r->fb_len;
	r->fline = r->line;
	s = p;
	if (p == r->buf + r->end && !r->eof) {
		REFILL();
		goto field;
	}
	if (*p == '"')
		goto quoted;

	/* unquoted */
	for (;;) {
		SCAN_UNQUOTED(p);
		if (*p == delim) {
			TRY(add(r, s, (size_t)(p - s)));
			TRY(end_field(r, false));
			p++;
			goto field;
		}
		if (*p == '\n' || *p == '\r') {
			TRY(add(r, s, (size_t)(p - s)));
			TRY(end_field(r, false));
			goto newline;
		}
		if (*p == '\0') {
			if (p != r->buf + r->end)
				return bad_byte(r, p);
			TRY(add(r, s, (size_t)(p - s)));
			if (r->eof) {
				TRY(end_field(r, false));
				r->pos = r->end;
				return finish(r, rec);
			}
			REFILL();
			continue;
		}
		UTF8_STEP();
	}

quoted:
	p++;
	s = p;
	for (;;) {
		SCAN_QUOTED(p);
		switch (*p) {
		case '"':
			TRY(add(r, s, (size_t)(p - s)));
			if (p + 1 == r->buf + r->end && !r->eof) {
				REFILL();
				continue;
			}
			if (p[1] == '"') { /* "" -> ", which starts the next run */
				s = p + 1;
				p += 2;
				continue;
			}
			p++;
			if (*p == delim) {
				TRY(end_field(r, true));
				p++;
				goto field;
			}
			if (*p == '\n' || *p == '\r') {
				TRY(end_field(r, true));
				goto newline;
			}
			if (p == r->buf + r->end) {
				TRY(end_field(r, true));
				r->pos = r->end;
				return finish(r, rec);
			}
			if (*p == '\0')
				return bad_byte(r, p);
			return lerr_set(&r->err, EX_DATAERR,
			                "line %" PRIu64
			                ", column %zu (field %zu): text after the closing quote",
			                r->line, column(r, p), r->nf + 1);
		case '\r':
			if (p + 1 == r->buf + r->end && !r->eof) {
				TRY(add(r, s, (size_t)(p - s)));
				REFILL();
				continue;
			}
			p += p[1] == '\n' ? 2 : 1;
			r->line++;
			r->line_start = (size_t)(p - r->buf);
			r->col_base = 0;
			continue;
		case '\n':
			p++;
			r->line++;
			r->line_start = (size_t)(p - r->buf);
			r->col_base = 0;
			continue;
		case '\0':
			if (p != r->buf + r->end)
				return bad_byte(r, p);
			TRY(add(r, s, (size_t)(p - s)));
			if (r->eof) {
				return lerr_set(&r->err, EX_DATAERR,
				                "line %" PRIu64
				                ", field %zu: unterminated quoted field",
				                r->fline, r->nf + 1);
			}
			REFILL();
			continue;
		default:
			UTF8_STEP();
			continue;
		}
	}

newline:
	r->skip_lf = *p == '\r';
	p++;
	r->line++;
	r->pos = (size_t)(p - r->buf);
	r->line_start = r->pos;
	r->col_base = 0;
	return finish(r, rec);
}

int csv_next(struct csv_reader *r, struct csv_rec *rec, struct lerr *err)
{
	int rc = r->err.code ? r->err.code : parse(r, rec);
	if (rc > 1 && err)
		*err = r->err;
	return rc;
}

/* ---- opening: encoding, sep=, delimiter ------------------------------ */

static bool is_utf8_name(const char *e)
{
	return str_ieq(e, "utf-8") || str_ieq(e, "utf8");
}

/*
 * As the WHATWG Encoding Standard (and every browser) does: a file labelled
 * Latin-1 or ASCII is windows-1252, whose 0x80-0x9F are printable (the euro
 * sign, smart quotes, dashes) where ISO-8859-1 has C1 control characters.
 */
static const char *whatwg_name(const char *e)
{
	static const char *const w1252[] = { "latin1",     "latin-1",         "l1",
		                             "iso-8859-1", "iso8859-1",       "iso88591",
		                             "iso_8859-1", "iso-ir-100",      "cp819",
		                             "ibm819",     "csisolatin1",     "us-ascii",
		                             "ascii",      "iso_8859-1:1987", "cp1252",
		                             "x-cp1252",   "ansi_x3.4-1968" };
	for (size_t i = 0; i < sizeof w1252 / sizeof *w1252; i++)
		if (str_ieq(e, w1252[i]))
			return "windows-1252";
	return e;
}

static int start_iconv(struct csv_reader *r, const char *from, struct lerr *err)
{
	from = whatwg_name(from);
	r->w1252 = str_ieq(from, "windows-1252");
	if (!r->w1252)
		r->cd = iconv_open("UTF-8", from);
	if (!r->w1252 && r->cd == (iconv_t)-1) {
		if (errno == EINVAL)
			return lerr_set(err, EX_USAGE, "unknown encoding \"%s\"", from);
		return lerr_set(err, EX_OSERR, "iconv_open %s: %s", from, strerror(errno));
	}
	r->conv = true;
	free(r->enc);
	r->enc = xstrdup(from);
	r->raw_cap = r->win + SLACK;
	r->raw = xmalloc(r->raw_cap);
	/* code unit size, to skip an invalid sequence when replacing */
	char *low = str_lower(from);
	r->unit = 1;
	if (strstr(low, "utf-16") || strstr(low, "utf16") || strstr(low, "ucs-2") ||
	    strstr(low, "ucs2") || strcmp(low, "unicode") == 0)
		r->unit = 2;
	else if (strstr(low, "utf-32") || strstr(low, "utf32") || strstr(low, "ucs-4") ||
	         strstr(low, "ucs4"))
		r->unit = 4;
	free(low);
	return 0;
}

/* Read until buf holds n bytes from pos, the window is full, or EOF. An
 * error stops it quietly: it is sticky, and csv_next() reports it when it
 * gets there (naming the line). */
static void want(struct csv_reader *r, size_t n)
{
	struct lerr ignored;
	while (r->end - r->pos < n && !r->eof && r->end < r->win)
		if (more(r, &ignored))
			return;
}

/* Find the line starting at buf[at]: *len bytes, then *eol bytes of
 * CR/LF (0 at EOF, at an error, or when the window is full). Quotes are
 * honoured. */
static void find_line(struct csv_reader *r, size_t at, size_t *len, size_t *eol)
{
	struct lerr ignored;
	size_t i = at;
	bool q = false;
	for (;;) {
		for (; i < r->end; i++) {
			char c = r->buf[i];
			if (c == '"') {
				q = !q;
			} else if (!q && (c == '\n' || c == '\r')) {
				if (c == '\r' && i + 1 == r->end && !r->eof && r->end < r->win)
					break; /* an LF may follow */
				*len = i - at;
				*eol = c == '\r' && r->buf[i + 1] == '\n' ? 2 : 1;
				return;
			}
		}
		if (r->eof || r->end >= r->win || more(r, &ignored)) {
			*len = r->end - at;
			*eol = 0;
			return;
		}
	}
}

static bool valid_delim(char c)
{
	return c && c != '"' && c != '\r' && c != '\n' && !((unsigned char)c & 0x80);
}

static void detect(struct csv_reader *r, char explicit_delim)
{
	size_t len, eol, at = r->pos;
	find_line(r, at, &len, &eol);
	const char *l = r->buf + at;
	/* Excel's "sep=;" line, also quoted ("sep=;", as a spreadsheet saves it
	 * again) and followed by empty fields */
	size_t oq = len > 0 && l[0] == '"', end = oq + 5;
	bool sep = len >= end && strncasecmp(l + oq, "sep=", 4) == 0 && valid_delim(l[oq + 4]);
	if (sep && oq) {
		sep = len > end && l[end] == '"';
		end++;
	}
	for (size_t i = end; sep && i < len; i++)
		sep = l[i] == l[oq + 4] || l[i] == ',';
	if (sep) {
		r->delim = l[oq + 4];
		r->pos += len + eol;
		r->line_start = r->pos;
		r->skip_lf = eol == 1 && l[len] == '\r'; /* CR as the window ended */
		r->line++;
		if (explicit_delim)
			r->delim = explicit_delim;
		return;
	}
	if (explicit_delim) {
		r->delim = explicit_delim;
		return;
	}
	/* count in the header: the first line with something on it */
	while (len == 0 && eol > 0) {
		at += eol;
		find_line(r, at, &len, &eol);
	}
	l = r->buf + at;
	static const char cand[] = { ',', ';', '\t', '|' };
	size_t count[4] = { 0 }, best = 0;
	bool q = false;
	for (size_t i = 0; i < len; i++) {
		char c = l[i];
		if (c == '"')
			q = !q;
		else if (!q)
			for (size_t k = 0; k < 4; k++)
				count[k] += c == cand[k];
	}
	for (size_t k = 1; k < 4; k++)
		if (count[k] > count[best])
			best = k;
	r->delim = cand[best];
}

static int open_input(struct csv_reader *r, const char *enc, struct lerr *err)
{
	if (!str_empty(enc) && !str_ieq(enc, "auto") && !is_utf8_name(enc)) {
		TRY(start_iconv(r, enc, err));
	} else {
		want(r, 4);
		const unsigned char *b = (const unsigned char *)r->buf;
		size_t n = r->end, skip = 0;
		const char *from = NULL;
		if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
			skip = 3;
		else if (n >= 4 && b[0] == 0xFF && b[1] == 0xFE && b[2] == 0 && b[3] == 0)
			skip = 4, from = "UTF-32LE";
		else if (n >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0xFE && b[3] == 0xFF)
			skip = 4, from = "UTF-32BE";
		else if (n >= 2 && b[0] == 0xFF && b[1] == 0xFE)
			skip = 2, from = "UTF-16LE";
		else if (n >= 2 && b[0] == 0xFE && b[1] == 0xFF)
			skip = 2, from = "UTF-16BE";
		r->had_bom = skip > 0;
		if (!from) {
			r->pos = skip;
			r->line_start = skip;
			return 0;
		}
		TRY(start_iconv(r, from, err));
		/* what was read goes back to raw input; the window restarts */
		memcpy(r->raw, r->buf + skip, n - skip);
		r->raw_end = n - skip;
		r->raw_eof = r->eof;
		r->eof = false;
		r->end = 0;
	}
	r->buf[0] = '\0';
	want(r, 3);
	if (r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) {
		r->pos = r->line_start = 3;
		r->had_bom = true;
	}
	return 0;
}

struct csv_reader *csv_open_fd(int fd, const struct csv_opts *o, struct lerr *err)
{
	static const struct csv_opts defaults;
	if (!o)
		o = &defaults;
	if (o->delim && !valid_delim(o->delim)) {
		lerr_set(err, EX_USAGE, "invalid delimiter (not a quote, line break or non-ASCII)");
		return NULL;
	}
	struct csv_reader *r = xcalloc(1, sizeof *r);
	r->fd = fd;
	r->cd = (iconv_t)-1;
	r->block = o->block_size ? o->block_size : DEF_BLOCK;
	r->win = r->block > DETECT_WINDOW ? r->block : DETECT_WINDOW;
	r->max_field = o->max_field ? o->max_field : DEF_MAX_FIELD;
	r->max_fields = o->max_fields ? o->max_fields : DEF_MAX_FIELDS;
	r->max_record = o->max_record ? o->max_record : DEF_MAX_RECORD;
	r->replace = o->replace_invalid;
	r->enc = xstrdup("UTF-8");
	r->cap = r->win + SLACK + 1;
	r->buf = xcalloc(r->cap + 16, 1); /* + 16: see scan() */
	r->buf[0] = '\0';
	r->line = 1;

	if (open_input(r, o->encoding, err)) {
		csv_close(r);
		return NULL;
	}
	detect(r, o->delim);

	memset(r->cls_u, 0, sizeof r->cls_u);
	for (int c = 0x80; c < 0x100; c++)
		r->cls_u[c] = r->cls_q[c] = 1;
	r->cls_u[0] = r->cls_u['\r'] = r->cls_u['\n'] = 1;
	r->cls_u[(unsigned char)r->delim] = 1;
	r->cls_q[0] = r->cls_q['\r'] = r->cls_q['\n'] = r->cls_q['"'] = 1;
	return r;
}

char csv_delimiter(const struct csv_reader *r)
{
	return r->delim;
}

uint64_t csv_bytes_read(const struct csv_reader *r)
{
	return r->nread;
}

const char *csv_encoding(const struct csv_reader *r)
{
	return r->enc;
}

bool csv_had_bom(const struct csv_reader *r)
{
	return r->had_bom;
}

void csv_close(struct csv_reader *r)
{
	if (!r)
		return;
	if (r->cd != (iconv_t)-1)
		iconv_close(r->cd);
	free(r->raw);
	free(r->buf);
	free(r->fb);
	free(r->f);
	free(r->enc);
	free(r);
}

/* ---- writing ---------------------------------------------------------- */

/* After the sign: digits with at most one decimal point, nothing else.
 * Anything looser lets a formula through: "-1-1", "+1-555-0101" compute. */
static bool strict_number(const char *s)
{
	bool digit = false, dot = false;
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digit = true;
		else if (*s == '.' && !dot)
			dot = true;
		else
			return false;
	}
	return digit;
}

static bool guard_char(char c)
{
	return c && strchr("=+-@\t\r", c) != NULL;
}

/*
 * The guard and its reversal (csv_unguard) are exact inverses: a value that
 * already starts with apostrophes followed by a guard character ('+1, ''=x)
 * is guarded too, so that the import's taking off one apostrophe gives it
 * back as it was.
 */
static bool needs_guard(const char *s)
{
	if (s[0] == '\'') {
		while (*s == '\'')
			s++;
		return guard_char(*s);
	}
	switch (s[0]) {
	case '=':
	case '@':
	case '\t':
	case '\r':
		return true;
	case '+':
	case '-':
		return !strict_number(s + 1);
	default:
		return false;
	}
}

void csv_write_field(struct sb *out, const char *s, char delim, bool guard_formula)
{
	if (!s)
		s = "";
	size_t n = strlen(s);
	bool guard = guard_formula && needs_guard(s);
	bool quote = n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == delim || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (!quote) {
		if (guard)
			sb_addc(out, '\'');
		sb_add(out, s, n);
		return;
	}
	sb_addc(out, '"');
	if (guard)
		sb_addc(out, '\'');
	for (const char *q; (q = strchr(s, '"')); s = q + 1)
		sb_add(out, s, (size_t)(q - s + 1)), sb_addc(out, '"');
	sb_adds(out, s);
	sb_addc(out, '"');
}

void csv_write_row(struct sb *out, const char *const *fields, size_t n, char delim,
                   bool guard_formula)
{
	if (n == 1 && str_empty(fields[0])) {
		sb_adds(out, "\"\"\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_addc(out, delim);
		csv_write_field(out, fields[i], delim, guard_formula);
	}
	sb_addc(out, '\n');
}

const char *csv_unguard(const char *s)
{
	if (s[0] != '\'')
		return s;
	const char *t = s + 1;
	while (*t == '\'')
		t++;
	return guard_char(*t) ? s + 1 : s;
}
