/*
 * test_csv.c - the CSV reader and writer (lib/csv.c).
 *
 * Most cases are fixture files (tests/fixtures/csv/, see its README) read
 * to the end and printed one record a line as "LINE: f1|f2|..." (with \,
 * |, CR and LF escaped), then compared with the expected text; so every
 * check covers exact field contents, field counts and line numbers. Each
 * file is read again with tiny block sizes (1..7 bytes, 61) so that
 * every CRLF, "" pair and UTF-8 sequence gets cut by a block boundary
 * somewhere, and must give the same result. Big inputs are generated.
 *
 * Run from tests/unit: fixtures are opened as ../fixtures/csv/NAME.
 */
#include "csv.h"
#include "tap.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* what every invalid-UTF-8 message ends with */
#define HINT "; if the file is not UTF-8, name its encoding, e.g. --encoding windows-1252"

#define FIX "../fixtures/csv/"

struct row {
	uint64_t line;
	const char *f[8]; /* NULL after the last field */
};

static int open_fixture(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, FIX "%s", name);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		exit(2);
	}
	return fd;
}

/* An fd reading data[0..n): a deleted temporary file. */
static int mem_fd(const char *data, size_t n)
{
	char path[] = "/tmp/test_csv.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0) {
		perror("mkstemp");
		exit(2);
	}
	unlink(path);
	for (size_t off = 0; off < n;) {
		ssize_t k = write(fd, data + off, n - off);
		if (k <= 0) {
			perror("write");
			exit(2);
		}
		off += (size_t)k;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void add_escaped(struct sb *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '\\':
			sb_adds(out, "\\\\");
			break;
		case '|':
			sb_adds(out, "\\|");
			break;
		case '\n':
			sb_adds(out, "\\n");
			break;
		case '\r':
			sb_adds(out, "\\r");
			break;
		default:
			sb_addc(out, s[i]);
		}
	}
}

/* Read fd to the end into "LINE: f1|f2\n" lines, then "error CODE: MSG"
 * if reading stopped on an error. Returns the csv_next() result. */
static int dump_fd(int fd, const struct csv_opts *o, struct sb *out)
{
	struct lerr err = { 0 };
	struct csv_reader *r = csv_open_fd(fd, o, &err);
	int rc;
	if (!r) {
		sb_addf(out, "open error %d: %s\n", err.code, err.msg);
		return err.code;
	}
	struct csv_rec rec;
	while ((rc = csv_next(r, &rec, &err)) == 1) {
		sb_addf(out, "%" PRIu64 ": ", rec.line);
		for (size_t i = 0; i < rec.n; i++) {
			if (i)
				sb_addc(out, '|');
			if (strlen(rec.f[i].s) != rec.f[i].len)
				sb_adds(out, "<BAD LENGTH>");
			add_escaped(out, rec.f[i].s, rec.f[i].len);
		}
		sb_addc(out, '\n');
	}
	if (rc)
		sb_addf(out, "error %d: %s\n", rc, err.msg);
	csv_close(r);
	return rc;
}

static void expect_rows(struct sb *out, const struct row *rows, size_t n, const char *error)
{
	for (size_t i = 0; i < n; i++) {
		sb_addf(out, "%" PRIu64 ": ", rows[i].line);
		for (size_t j = 0; j < ARRAY_LEN(rows[i].f) && rows[i].f[j]; j++) {
			if (j)
				sb_addc(out, '|');
			add_escaped(out, rows[i].f[j], strlen(rows[i].f[j]));
		}
		sb_addc(out, '\n');
	}
	if (error)
		sb_addf(out, "error %d: %s\n", EX_DATAERR, error);
}

/* Read input (data[0..len), or the fixture name when data is NULL) with o at the
 * default block size and at tiny ones; each must give rows then error. */
static void check_input(const char *name, const char *data, size_t len, const struct csv_opts *opts,
                        const struct row *rows, size_t n, const char *error)
{
	static const size_t blocks[] = { 0, 1, 2, 3, 4, 5, 6, 7, 61 };
	struct csv_opts o = { 0 };
	struct sb want = SB_INIT, got = SB_INIT, bad = SB_INIT;
	if (opts)
		o = *opts;
	expect_rows(&want, rows, n, error);
	for (size_t b = 0; b < ARRAY_LEN(blocks); b++) {
		o.block_size = blocks[b];
		int fd = data ? mem_fd(data, len) : open_fixture(name);
		sb_reset(&got);
		dump_fd(fd, &o, &got);
		close(fd);
		if (b == 0)
			is_str(sb_str(&got), sb_str(&want), name);
		else if (strcmp(sb_str(&got), sb_str(&want)) != 0)
			sb_addf(&bad, " %zu", blocks[b]);
	}
	if (!ok(bad.len == 0, "%s: same with tiny blocks", name))
		diag("differs with block sizes:%s", sb_str(&bad));
	sb_free(&want);
	sb_free(&got);
	sb_free(&bad);
}

#define CHECK(name, opts, rows, error)                                                             \
	check_input(name, NULL, 0, opts, rows, ARRAY_LEN(rows), error)
#define CHECK_DATA(name, data, opts, rows, error)                                                  \
	check_input(name, data, sizeof(data) - 1, opts, rows, ARRAY_LEN(rows), error)

/* ---- csv-spectrum style ------------------------------------------------ */

static void test_spectrum(void)
{
	static const struct row comma_in_quotes[] = {
		{ 1, { "first", "last", "address", "city", "zip" } },
		{ 2, { "Ana", "Lima", "12 Rua Augusta", "Lisboa, PT", "1100-048" } },
	};
	CHECK("spectrum-comma_in_quotes.csv", NULL, comma_in_quotes, NULL);

	static const struct row escaped_quotes[] = {
		{ 1, { "name", "notes" } },
		{ 2, { "Bob", "said \"call me Monday\" twice" } },
		{ 3, { "Cy", "ok" } },
	};
	CHECK("spectrum-escaped_quotes.csv", NULL, escaped_quotes, NULL);

	static const struct row json[] = {
		{ 1, { "id", "extra" } },
		{ 2, { "7", "{\"source\": \"webinar\", \"score\": [1, 2.5]}" } },
	};
	CHECK("spectrum-json.csv", NULL, json, NULL);

	static const struct row newlines[] = {
		{ 1, { "id", "note", "owner" } },
		{ 2, { "1", "first", "ana" } },
		{ 3, { "2", "line one\nline two", "bob" } },
		{ 5, { "3", "third", "cy" } },
	};
	CHECK("spectrum-newlines.csv", NULL, newlines, NULL);

	static const struct row newlines_crlf[] = {
		{ 1, { "id", "note", "owner" } },
		{ 2, { "1", "first", "ana" } },
		{ 3, { "2", "line one\r\nline two", "bob" } },
		{ 5, { "3", "third", "cy" } },
	};
	CHECK("spectrum-newlines_crlf.csv", NULL, newlines_crlf, NULL);

	static const struct row quotes_and_newlines[] = {
		{ 1, { "id", "note" } },
		{ 2, { "1", "she said \n\"yes\" \nthen left" } },
		{ 5, { "2", "done" } },
	};
	CHECK("spectrum-quotes_and_newlines.csv", NULL, quotes_and_newlines, NULL);

	static const struct row simple[] = {
		{ 1, { "a", "b", "c" } },
		{ 2, { "1", "2", "3" } },
	};
	CHECK("spectrum-simple.csv", NULL, simple, NULL);
	CHECK("spectrum-simple_crlf.csv", NULL, simple, NULL);

	static const struct row utf8[] = {
		{ 1, { "name", "city" } },  { 2, { "José", "São Paulo" } },
		{ 3, { "Zoë", "Kraków" } }, { 4, { "李", "北京" } },
		{ 5, { "😀", "emoji" } },
	};
	CHECK("spectrum-utf8.csv", NULL, utf8, NULL);

	static const struct row empty_field[] = {
		{ 1, { "a", "b", "c" } },
		{ 2, { "1", "", "" } },
		{ 3, { "2", "3", "" } },
		{ 4, { "", "", "" } },
	};
	CHECK("spectrum-empty_field.csv", NULL, empty_field, NULL);

	static const struct row location_with_quotes[] = {
		{ 1, { "place", "coords" } },
		{ 2, { "HQ", "40°42'46\"N 74°00'21\"W" } },
		{ 3, { "Desk", "5' 11\"" } },
	};
	CHECK("spectrum-location_with_quotes.csv", NULL, location_with_quotes, NULL);
}

/* ---- csv-test-data style good and bad files ---------------------------- */

static void test_good_bad(void)
{
	static const struct row quoted_empty[] = {
		{ 1, { "" } },
		{ 2, { "", "" } },
	};
	CHECK("good-quoted-empty.csv", NULL, quoted_empty, NULL);

	static const struct row lenient[] = {
		{ 1, { "a\"b", "c\"\"d", "e" } },
	};
	CHECK("good-lenient-quote.csv", NULL, lenient, NULL);

	static const struct row trailing[] = {
		{ 1, { "a", "b", "" } },
		{ 2, { "", "" } },
	};
	CHECK("good-trailing-delim.csv", NULL, trailing, NULL);

	static const struct row single[] = {
		{ 1, { "name" } },
		{ 2, { "ana" } },
		{ 4, { "bob" } },
	};
	CHECK("good-single-column.csv", NULL, single, NULL);

	static const struct row spaces[] = {
		{ 1, { " a ", " b " } },
	};
	CHECK("good-spaces.csv", NULL, spaces, NULL);

	static const struct row unterminated[] = {
		{ 1, { "id", "note" } },
		{ 2, { "1", "ok" } },
	};
	CHECK("bad-unterminated-quote.csv", NULL, unterminated,
	      "line 3, field 2: unterminated quoted field");

	static const struct row after_quote[] = {
		{ 1, { "id", "note" } },
	};
	CHECK("bad-text-after-quote.csv", NULL, after_quote,
	      "line 2, column 8 (field 2): text after the closing quote");

	static const struct row none[] = { { 0, { NULL } } };
	check_input("bad-quote-space.csv", NULL, 0, NULL, none, 0,
	            "line 1, column 4 (field 1): text after the closing quote");
	check_input("unterminated on the last line", "a,\"b", 4, NULL, none, 0,
	            "line 1, field 2: unterminated quoted field");
	check_input("unterminated, line 2 of the field", "x\n\"a\nb,\"\"", 9, NULL,
	            (const struct row[]){ { 1, { "x" } } }, 1,
	            "line 2, field 1: unterminated quoted field");
	static const struct row col_after_utf8[] = {
		{ 1, { "a", "b" } },
	};
	CHECK_DATA("column counts characters", "a,b\n\"é€😀\"x,1\n", NULL, col_after_utf8,
	           "line 2, column 6 (field 1): text after the closing quote");
}

/* ---- RFC 4180 section 2 ----------------------------------------------- */

static void test_rfc4180(void)
{
	static const struct row r1[] = {
		{ 1, { "aaa", "bbb", "ccc" } },
		{ 2, { "zzz", "yyy", "xxx" } },
	};
	CHECK("rfc4180-1.csv", NULL, r1, NULL);
	CHECK("rfc4180-2.csv", NULL, r1, NULL);

	static const struct row r3[] = {
		{ 1, { "field_name", "field_name", "field_name" } },
		{ 2, { "aaa", "bbb", "ccc" } },
		{ 3, { "zzz", "yyy", "xxx" } },
	};
	CHECK("rfc4180-3.csv", NULL, r3, NULL);

	static const struct row r4[] = {
		{ 1, { "aaa", " bbb ", "ccc" } },
	};
	CHECK("rfc4180-4.csv", NULL, r4, NULL);
	CHECK("rfc4180-5.csv", NULL, r1, NULL);

	static const struct row r6[] = {
		{ 1, { "aaa", "b\r\nbb", "ccc" } },
		{ 3, { "zzz", "yyy", "xxx" } },
	};
	CHECK("rfc4180-6.csv", NULL, r6, NULL);

	static const struct row r7[] = {
		{ 1, { "aaa", "b\"bb", "ccc" } },
	};
	CHECK("rfc4180-7.csv", NULL, r7, NULL);
}

/* ---- line endings, blank lines, quoted flags ---------------------------- */

static void test_lines(void)
{
	static const struct row lone_cr[] = {
		{ 1, { "a", "b" } },
		{ 2, { "1", "x\ry" } },
		{ 4, { "2", "z" } },
	};
	CHECK("lone-cr.csv", NULL, lone_cr, NULL);

	static const struct row no_final[] = {
		{ 1, { "a", "b" } },
		{ 2, { "1", "2" } },
	};
	CHECK("no-final-newline.csv", NULL, no_final, NULL);

	static const struct row blank[] = {
		{ 2, { "a", "b" } },
		{ 5, { "1", "2" } },
		{ 8, { "3", "4" } },
	};
	CHECK("blank-lines.csv", NULL, blank, NULL);

	static const struct row mixed[] = {
		{ 1, { "a" } },
		{ 2, { "b" } },
		{ 3, { "c" } },
		{ 6, { "d" } },
	};
	CHECK_DATA("LF, CRLF, CR mixed", "a\r\nb\rc\n\r\rd", NULL, mixed, NULL);

	static const struct row only_delims[] = {
		{ 1, { "", "" } },
		{ 2, { " " } },
	};
	CHECK_DATA("a lone delimiter, a lone space", ",\n \n", NULL, only_delims, NULL);

	static const struct row none[] = { { 0, { NULL } } };
	check_input("empty input", "", 0, NULL, none, 0, NULL);
	check_input("only blank lines", "\n\r\n\r", 4, NULL, none, 0, NULL);

	/* quoted flags */
	struct lerr err = { 0 };
	int fd = open_fixture("spectrum-empty_field.csv");
	struct csv_reader *r = csv_open_fd(fd, NULL, &err);
	struct csv_rec rec;
	is_int(csv_next(r, &rec, &err), 1, "quoted flags: header");
	ok(!rec.f[0].quoted && !rec.f[1].quoted && !rec.f[2].quoted, "header not quoted");
	is_int(csv_next(r, &rec, &err), 1, "quoted flags: row 2");
	ok(!rec.f[0].quoted && rec.f[1].quoted && rec.f[2].quoted,
	   "1,\"\",\"\": fields 2, 3 quoted");
	is_int(csv_next(r, &rec, &err), 1, "row 3");
	is_int(csv_next(r, &rec, &err), 1, "row 4");
	is_int(csv_next(r, &rec, &err), 0, "then EOF");
	is_int(csv_next(r, &rec, &err), 0, "EOF again");
	is_int((long long)csv_bytes_read(r), lseek(fd, 0, SEEK_END), "bytes read = file size");
	csv_close(r);
	close(fd);
}

/* ---- encodings ---------------------------------------------------------- */

static void check_encoding(const char *name, const char *enc, const char *want_enc, bool bom)
{
	struct lerr err = { 0 };
	struct csv_opts o = { .encoding = enc };
	int fd = open_fixture(name);
	struct csv_reader *r = csv_open_fd(fd, &o, &err);
	if (!ok(r != NULL, "%s: opens", name)) {
		diag("%s", err.msg);
		close(fd);
		return;
	}
	is_str(csv_encoding(r), want_enc, "encoding name");
	is_int(csv_had_bom(r), bom, "BOM seen");
	csv_close(r);
	close(fd);
}

static void test_encodings(void)
{
	static const struct row bom[] = {
		{ 1, { "name", "email" } },
		{ 2, { "Ana", "ana@example.com" } },
	};
	CHECK("bom-utf8.csv", NULL, bom, NULL);
	check_encoding("bom-utf8.csv", NULL, "UTF-8", true);
	struct csv_opts utf8 = { .encoding = "UTF-8" };
	CHECK("bom-utf8.csv", &utf8, bom, NULL);

	static const struct row utf16[] = {
		{ 1, { "name", "city" } },
		{ 2, { "José", "São Paulo" } },
		{ 3, { "Zoë", "Kraków, PL" } },
		{ 4, { "😀", "last" } },
	};
	CHECK("utf16le-bom.tsv", NULL, utf16, NULL);
	CHECK("utf16be-bom.tsv", NULL, utf16, NULL);
	check_encoding("utf16le-bom.tsv", NULL, "UTF-16LE", true);
	check_encoding("utf16be-bom.tsv", NULL, "UTF-16BE", true);
	struct csv_opts le = { .encoding = "utf-16le" };
	CHECK("utf16le-bom.tsv", &le, utf16, NULL); /* BOM decoded as U+FEFF, dropped */
	struct csv_opts u16 = { .encoding = "UTF-16" };
	CHECK("utf16be-bom.tsv", &u16, utf16, NULL);
	static const struct row u16nobom[] = {
		{ 1, { "a", "é" } },
	};
	CHECK_DATA("utf-16le without BOM, by name", "a\0,\0\xE9\0\n\0", &le, u16nobom, NULL);

	static const struct row cp1252[] = {
		{ 1, { "name", "price" } },
		{ 2, { "Café", "5 €" } },
		{ 3, { "Renée", "10" } },
	};
	struct csv_opts win = { .encoding = "windows-1252" };
	CHECK("windows-1252.csv", &win, cp1252, NULL);
	check_encoding("windows-1252.csv", "windows-1252", "windows-1252", false);
	static const struct row cp1252_head[] = {
		{ 1, { "name", "price" } },
	};
	CHECK("windows-1252.csv", NULL, cp1252_head,
	      "line 2, column 4 (field 1): invalid UTF-8 (byte 0xE9 at byte 15 of the file)" HINT);

	static const struct row latin1[] = {
		{ 1, { "Zoë", "½" } },
	};
	struct csv_opts l1 = { .encoding = "latin1" };
	CHECK_DATA("latin1", "Zo\xEB,\xBD\n", &l1, latin1, NULL);

	/* 0x81: undefined in windows-1252, WHATWG's U+0081 (glibc's iconv refuses it) */
	static const struct row c1[] = {
		{ 1, { "a", "b" } },
		{ 2, { "x\xC2\x81y", "z" } },
	};
	CHECK_DATA("windows-1252 0x81 is U+0081", "a,b\nx\x81y,z\n", &win, c1, NULL);
	static const struct row odd16[] = {
		{ 1, { "a" } },
	};
	CHECK_DATA("odd byte at the end of UTF-16", "a\0\n\0b", &le, odd16,
	           "line 2: truncated utf-16le sequence at end of input");

	static const struct row surrogate[] = {
		{ 1,
		  { "a", "\xEF\xBF\xBD"
		         "b" } },
	};
	struct csv_opts ler = { .encoding = "utf-16le", .replace_invalid = true };
	CHECK_DATA("unpaired UTF-16 surrogate, replaced",
	           "a\0,\0\0\xD8"
	           "b\0\n\0",
	           &ler, surrogate, NULL);
	check_input("unpaired UTF-16 surrogate",
	            "a\0,\0\0\xD8"
	            "b\0\n\0",
	            10, &le, surrogate, 0, "line 1: invalid utf-16le input (byte offset 4)");

	struct lerr err = { 0 };
	struct csv_opts bogus = { .encoding = "klingon-8" };
	int fd = open_fixture("spectrum-simple.csv");
	ok(csv_open_fd(fd, &bogus, &err) == NULL, "unknown encoding: no reader");
	is_int(err.code, EX_USAGE, "unknown encoding: EX_USAGE");
	is_str(err.msg, "unknown encoding \"klingon-8\"", "unknown encoding: message");
	close(fd);
}

/*
 * All 256 bytes as the WHATWG Encoding Standard's index-windows-1252 says
 * (typed in from encoding.spec.whatwg.org, not from lib/csv.c), each alone
 * in a quoted field, so that delimiters and line breaks are plain text
 * too. NUL is the reader's "binary file" error whatever the encoding.
 */
static void test_windows1252_all(void)
{
	static const unsigned hi[32] = {
		0x20AC, 0x81,   0x201A, 0x192,  0x201E, 0x2026, 0x2020, 0x2021,
		0x2C6,  0x2030, 0x160,  0x2039, 0x152,  0x8D,   0x17D,  0x8F,
		0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
		0x2DC,  0x2122, 0x161,  0x203A, 0x153,  0x9D,   0x17E,  0x178,
	};
	int bad = 0;
	for (unsigned b = 1; b < 256; b++) {
		unsigned cp = b >= 0x80 && b < 0xA0 ? hi[b - 0x80] : b;
		char want[4] = { 0 };
		if (cp < 0x80) {
			want[0] = (char)cp;
		} else if (cp < 0x800) {
			want[0] = (char)(0xC0 | (cp >> 6));
			want[1] = (char)(0x80 | (cp & 0x3F));
		} else {
			want[0] = (char)(0xE0 | (cp >> 12));
			want[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
			want[2] = (char)(0x80 | (cp & 0x3F));
		}
		char in[8];
		size_t n = 0;
		in[n++] = '"';
		in[n++] = (char)b;
		if (b == '"')
			in[n++] = '"';
		in[n++] = '"';
		in[n++] = '\n';
		struct lerr err = { 0 };
		struct csv_opts o = { .encoding = "latin1" };
		int fd = mem_fd(in, n);
		struct csv_reader *r = csv_open_fd(fd, &o, &err);
		struct csv_rec rec;
		int rc = r ? csv_next(r, &rec, &err) : -1;
		if (rc != 1 || rec.n != 1 || strcmp(rec.f[0].s, want) != 0) {
			diag("byte 0x%02X: rc %d, %s", b, rc, rc == 1 ? rec.f[0].s : err.msg);
			bad++;
		}
		csv_close(r);
		close(fd);
	}
	is_int(bad, 0, "windows-1252: bytes 0x01-0xFF decode as WHATWG's index says");
	static const struct row nul[] = {
		{ 1, { "a" } },
	};
	struct csv_opts win = { .encoding = "windows-1252" };
	check_input("windows-1252 NUL", "a\n\0\n", 4, &win, nul, 1,
	            "line 2: NUL byte (is this a binary file?)");
}

static void test_invalid_utf8(void)
{
	static const struct row head[] = {
		{ 1, { "name", "city" } },
		{ 2, { "Ana", "Lisboa" } },
	};
	CHECK("invalid-utf8.csv", NULL, head,
	      "line 3, column 7 (field 2): invalid UTF-8 (byte 0xE3 at byte 29 of the file)" HINT);

	static const struct row replaced[] = {
		{ 1, { "name", "city" } },
		{ 2, { "Ana", "Lisboa" } },
		{ 3, { "José", "S\xEF\xBF\xBDo Paulo" } },
	};
	struct csv_opts rep = { .replace_invalid = true };
	CHECK("invalid-utf8.csv", &rep, replaced, NULL);

	/* one U+FFFD per maximal invalid subpart, as Unicode recommends */
	static const struct row subparts[] = {
		{ 1,
		  { "1\xEF\xBF\xBDx", "\xEF\xBF\xBD\xEF\xBF\xBD",
		    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD", "\xEF\xBF\xBD" } },
	};
	CHECK_DATA("replacement subparts", "1\xF0\x9F\x98x,\xC0\xAF,\xED\xA0\x80,\xF0\x9F\x98",
	           &rep, subparts, NULL);

	static const struct row quoted_ml[] = {
		{ 1, { "h" } },
	};
	CHECK_DATA(
	    "invalid UTF-8 on line 2 of a quoted field", "h\na,\"x\ny\xFF\"\n", NULL, quoted_ml,
	    "line 3, column 2 (field 2): invalid UTF-8 (byte 0xFF at byte 9 of the file)" HINT);
	CHECK_DATA(
	    "overlong encoding", "h\n\xC0\x80\n", NULL, quoted_ml,
	    "line 2, column 1 (field 1): invalid UTF-8 (byte 0xC0 at byte 3 of the file)" HINT);
	CHECK_DATA(
	    "UTF-16 surrogate in UTF-8", "h\nab\xED\xA0\x80\n", NULL, quoted_ml,
	    "line 2, column 3 (field 1): invalid UTF-8 (byte 0xED at byte 5 of the file)" HINT);
	CHECK_DATA(
	    "truncated at EOF", "h\nab\xE2\x82", NULL, quoted_ml,
	    "line 2, column 3 (field 1): invalid UTF-8 (byte 0xE2 at byte 5 of the file)" HINT);

	static const struct row nul[] = {
		{ 1, { "a", "b" } },
		{ 2, { "1", "2" } },
	};
	CHECK("nul-byte.csv", NULL, nul, "line 3: NUL byte (is this a binary file?)");
	CHECK("nul-byte.csv", &rep, nul, "line 3: NUL byte (is this a binary file?)");
	check_input("NUL in a quoted field", "\"a\0\"", 4, NULL, nul, 0,
	            "line 1: NUL byte (is this a binary file?)");
	check_input("NUL after a closing quote", "\"a\"\0", 4, NULL, nul, 0,
	            "line 1: NUL byte (is this a binary file?)");
}

/* ---- delimiters ---------------------------------------------------------- */

static void check_delim(const char *name, char want)
{
	struct lerr err = { 0 };
	int fd = open_fixture(name);
	struct csv_reader *r = csv_open_fd(fd, NULL, &err);
	char label[128];
	snprintf(label, sizeof label, "%s: delimiter", name);
	is_int(r ? csv_delimiter(r) : -1, want, label);
	csv_close(r);
	close(fd);
}

static void test_delimiters(void)
{
	static const struct row semi[] = {
		{ 1, { "name", "company, legal", "city" } },
		{ 2, { "Ana", "Acme; Inc", "Porto" } },
	};
	CHECK("semicolon.csv", NULL, semi, NULL);
	check_delim("semicolon.csv", ';');

	static const struct row tab[] = {
		{ 1, { "name", "note" } },
		{ 2, { "Ana", "hello, world" } },
	};
	CHECK("tab.tsv", NULL, tab, NULL);
	check_delim("tab.tsv", '\t');

	static const struct row pipe[] = {
		{ 1, { "name", "phone", "city" } },
		{ 2, { "Ana", "+351 912", "Porto" } },
	};
	CHECK("pipe.csv", NULL, pipe, NULL);
	check_delim("pipe.csv", '|');

	static const struct row sep[] = {
		{ 2, { "name", "note" } },
		{ 3, { "Ana", "a,b,c" } },
	};
	CHECK("sep-line.csv", NULL, sep, NULL);
	check_delim("sep-line.csv", ';');
	static const struct row sep_pipe[] = {
		{ 2, { "a,b", "c" } },
	};
	CHECK("sep-pipe-crlf.csv", NULL, sep_pipe, NULL);
	check_delim("sep-pipe-crlf.csv", '|');

	/* an explicit delimiter wins over sep= and detection */
	static const struct row sep_comma[] = {
		{ 2, { "name;note" } },
		{ 3, { "Ana;a", "b", "c" } },
	};
	struct csv_opts comma = { .delim = ',' };
	CHECK("sep-line.csv", &comma, sep_comma, NULL);
	static const struct row forced[] = {
		{ 1, { "name;company", " legal;city" } },
		{ 2, { "Ana;\"Acme; Inc\";Porto" } },
	};
	CHECK("semicolon.csv", &comma, forced, NULL);

	static const struct row tie[] = {
		{ 1, { "a", "b;c" } },
	};
	CHECK_DATA("tie: comma", "a,b;c\n", NULL, tie, NULL);
	static const struct row quoted_commas[] = {
		{ 1, { "a,b,c", "d" } },
		{ 2, { "1", "2" } },
	};
	CHECK_DATA("count outside quotes", "\"a,b,c\";d\n1;2\n", NULL, quoted_commas, NULL);
	static const struct row after_blank[] = {
		{ 3, { "a", "b" } },
	};
	CHECK_DATA("detect on the first non-blank line", "\n\na;b\n", NULL, after_blank, NULL);

	struct lerr err = { 0 };
	struct csv_opts bad = { .delim = '"' };
	ok(csv_open_fd(0, &bad, &err) == NULL && err.code == EX_USAGE,
	   "quote as delimiter: EX_USAGE");
}

/* ---- big and limits -------------------------------------------------------- */

static char *repeat(const char *head, char c, size_t n, const char *tail, size_t *len)
{
	size_t h = strlen(head), t = strlen(tail);
	char *s = xmalloc(h + n + t + 1);
	memcpy(s, head, h);
	memset(s + h, c, n);
	memcpy(s + h + n, tail, t + 1);
	*len = h + n + t;
	return s;
}

/* Read data; returns the number of records, keeps the last in *out. */
static int read_all(const char *data, size_t len, const struct csv_opts *o, struct sb *last,
                    uint64_t *line, size_t *nf, struct lerr *err)
{
	int fd = mem_fd(data, len);
	struct csv_reader *r = csv_open_fd(fd, o, err);
	struct csv_rec rec;
	int rc, n = 0;
	while ((rc = csv_next(r, &rec, err)) == 1) {
		n++;
		sb_reset(last);
		sb_add(last, rec.f[rec.n - 1].s, rec.f[rec.n - 1].len);
		*line = rec.line;
		*nf = rec.n;
	}
	csv_close(r);
	close(fd);
	return rc ? -rc : n;
}

static void test_big(void)
{
	struct sb last = SB_INIT;
	struct lerr err = { 0 };
	uint64_t line = 0;
	size_t len, nf = 0, mb = 1024 * 1024;

	char *s = repeat("id,blob\n1,", 'x', mb, "\n2,end\n", &len);
	is_int(read_all(s, len, NULL, &last, &line, &nf, &err), 3,
	       "1 MB unquoted field: 3 records");
	is_str(sb_str(&last), "end", "1 MB unquoted field: then the next record");
	free(s);

	s = repeat("id,blob\n1,\"", 'y', mb, "\"\n", &len);
	s[len - 3] = '\n'; /* a line break near the end of the quoted field */
	struct sb blob = SB_INIT;
	struct csv_opts small = { .block_size = 1000 };
	is_int(read_all(s, len, &small, &blob, &line, &nf, &err), 2, "1 MB quoted field");
	is_int(blob.len, mb, "1 MB quoted field: length");
	is_int(line, 2, "1 MB quoted field: starts on line 2");
	ok(blob.buf && blob.buf[0] == 'y' && blob.buf[mb - 1] == '\n',
	   "1 MB quoted field: content");
	sb_free(&blob);
	free(s);

	struct sb wide = SB_INIT;
	for (int row = 0; row < 2; row++)
		for (int i = 0; i < 10000; i++)
			sb_addf(&wide, "%s%d%s", i ? "," : "", row * 10000 + i,
			        i == 9999 ? "\n" : "");
	is_int(read_all(wide.buf, wide.len, NULL, &last, &line, &nf, &err), 2, "10,000 columns");
	is_int(nf, 10000, "10,000 columns: field count");
	is_str(sb_str(&last), "19999", "10,000 columns: last field");
	struct csv_opts few = { .max_fields = 9999 };
	is_int(read_all(wide.buf, wide.len, &few, &last, &line, &nf, &err), -EX_DATAERR,
	       "more than max_fields: EX_DATAERR");
	is_str(err.msg, "line 1: more than 9999 fields in a record", "max_fields message");
	sb_free(&wide);

	struct csv_opts ten = { .max_field = 10 };
	const char *d = "a,b\n1,0123456789\n2,\"0123456789\n\"\n";
	is_int(read_all(d, strlen(d), &ten, &last, &line, &nf, &err), -EX_DATAERR,
	       "field over max_field");
	is_str(err.msg, "line 3, field 2: field longer than 10 bytes", "max_field message");
	struct csv_opts rec20 = { .max_record = 20 };
	d = "a,b\n0123456789,0123456789,0\n";
	is_int(read_all(d, strlen(d), &rec20, &last, &line, &nf, &err), -EX_DATAERR,
	       "record over max_record");
	is_str(err.msg, "line 2: record longer than 20 bytes", "max_record message");

	/* no line break at all: stopped by the limits, not by memory */
	s = repeat("", 'z', 17 * mb, "", &len);
	is_int(read_all(s, len, NULL, &last, &line, &nf, &err), -EX_DATAERR, "17 MB, no newline");
	is_str(err.msg, "line 1, field 1: field longer than 16777216 bytes",
	       "17 MB, no newline: message");
	for (size_t i = 1; i < len; i += 2)
		s[i] = ',';
	is_int(read_all(s, len, NULL, &last, &line, &nf, &err), -EX_DATAERR,
	       "17 MB of z,z,z, no newline");
	is_str(err.msg, "line 1: more than 100000 fields in a record",
	       "z,z,z, no newline: message");
	free(s);
	sb_free(&last);
}

/* ---- reading a pipe (stdin) ----------------------------------------------- */

static void test_pipe(void)
{
	int p[2];
	if (pipe(p) != 0) {
		perror("pipe");
		exit(2);
	}
	const char *d = "\xEF\xBB\xBFname;note\r\nAna;\"multi\r\nline\"\r\n";
	ssize_t k = write(p[1], d, strlen(d));
	(void)k;
	close(p[1]);
	struct lerr err = { 0 };
	struct csv_reader *r = csv_open_fd(p[0], NULL, &err);
	struct csv_rec rec;
	is_int(csv_next(r, &rec, &err), 1, "pipe: header");
	is_str(rec.f[0].s, "name", "pipe: BOM dropped");
	is_int(csv_next(r, &rec, &err), 1, "pipe: row");
	is_str(rec.f[1].s, "multi\r\nline", "pipe: multi-line field");
	is_int(csv_next(r, &rec, &err), 0, "pipe: EOF");
	is_int((long long)csv_bytes_read(r), (long long)strlen(d), "pipe: bytes read");
	csv_close(r);
	close(p[0]);
}

/* ---- random inputs ------------------------------------------------------ */

/* Random snippets of CSV-ish bytes must parse the same (records and
 * errors) whatever the block size: refills must never change a result. */
static void test_random(void)
{
	static const char *const bits[] = { "a",        "bc",   ",",        ";",           "\"",
		                            "\"\"",     "\r",   "\n",       " ",           "\t",
		                            "\xC3\xA9", "\xFF", "\xE2\x82", "\xEF\xBB\xBF" };
	static const size_t blocks[] = { 1, 2, 3, 5 };
	uint32_t seed = 12345;
	struct sb in = SB_INIT, want = SB_INIT, got = SB_INIT;
	int bad = 0, n = 3000;
	for (int i = 0; i < n && bad < 3; i++) {
		sb_reset(&in);
		seed = seed * 1103515245u + 12345u;
		int len = (int)(seed >> 16) % 24;
		for (int k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			sb_adds(&in, bits[(seed >> 16) % ARRAY_LEN(bits)]);
		}
		struct csv_opts o = { .replace_invalid = i % 2 };
		int fd = mem_fd(in.buf ? in.buf : "", in.len);
		sb_reset(&want);
		dump_fd(fd, &o, &want);
		close(fd);
		for (size_t b = 0; b < ARRAY_LEN(blocks); b++) {
			o.block_size = blocks[b];
			fd = mem_fd(in.buf ? in.buf : "", in.len);
			sb_reset(&got);
			dump_fd(fd, &o, &got);
			close(fd);
			if (strcmp(sb_str(&got), sb_str(&want)) != 0) {
				struct sb q = SB_INIT;
				add_escaped(&q, sb_str(&in), in.len);
				diag("input \"%s\", block size %zu:", sb_str(&q), blocks[b]);
				diag("  %s  vs  %s", sb_str(&want), sb_str(&got));
				sb_free(&q);
				bad++;
				break;
			}
		}
	}
	ok(bad == 0, "%d random inputs: same result at block sizes 1, 2, 3, 5", n);
	sb_free(&in);
	sb_free(&want);
	sb_free(&got);
}

/* ---- writer ---------------------------------------------------------------- */

static void field_is(const char *in, char delim, bool guard, const char *want)
{
	struct sb out = SB_INIT;
	char name[160];
	csv_write_field(&out, in, delim, guard);
	snprintf(name, sizeof name, "write %s%s%s", in ? in : "NULL", guard ? " (guarded)" : "",
	         delim == ',' ? "" : " (other delimiter)");
	is_str(sb_str(&out), want, name);
	sb_free(&out);
}

static void test_writer(void)
{
	field_is("plain", ',', false, "plain");
	field_is("", ',', false, "");
	field_is(NULL, ',', false, "");
	field_is("a,b", ',', false, "\"a,b\"");
	field_is("a,b", ';', false, "a,b");
	field_is("a;b", ';', false, "\"a;b\"");
	field_is("a\tb", '\t', false, "\"a\tb\"");
	field_is("say \"hi\"", ',', false, "\"say \"\"hi\"\"\"");
	field_is("\"", ',', false, "\"\"\"\"");
	field_is("two\nlines", ',', false, "\"two\nlines\"");
	field_is("cr\r", ',', false, "\"cr\r\"");
	field_is(" lead", ',', false, "\" lead\"");
	field_is("trail ", ',', false, "\"trail \"");
	field_is("in side", ',', false, "in side");
	field_is("José", ',', false, "José");

	field_is("=1+2", ',', true, "'=1+2");
	field_is("=1+2", ',', false, "=1+2");
	field_is("@SUM(A1)", ',', true, "'@SUM(A1)");
	field_is("+A1", ',', true, "'+A1");
	field_is("-2+3+cmd|' /C calc'!A0", ',', true, "'-2+3+cmd|' /C calc'!A0");
	field_is("=HYPERLINK(\"x\",\"y\")", ',', true, "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"");
	field_is("\tx", ',', true, "\"'\tx\"");
	field_is("\rx", ',', true, "\"'\rx\"");
	field_is("-", ',', true, "'-");
	field_is("-12", ',', true, "-12");
	field_is("-1.5", ',', true, "-1.5");
	field_is("+3.5", ',', true, "+3.5");
	field_is("-.5", ',', true, "-.5");
	/* strict numbers only: anything else a spreadsheet may compute */
	field_is("-1-1", ',', true, "'-1-1");
	field_is("+1-555-0101", ',', true, "'+1-555-0101");
	field_is("-1.2.3", ',', true, "'-1.2.3");
	field_is("-1,234.50", ',', true, "\"'-1,234.50\"");
	field_is("+1 555 0100", ',', true, "'+1 555 0100");
	field_is("+1 (555) 010-0100", ',', true, "'+1 (555) 010-0100");
	field_is("+351-912-000-000", ',', true, "'+351-912-000-000");
	field_is("-1e3", ',', true, "'-1e3");
	field_is("a=b", ',', true, "a=b");
	field_is("ana@example.com", ',', true, "ana@example.com");
	/* apostrophes before a guard character are guarded too: reversible */
	field_is("'+1", ',', true, "''+1");
	field_is("''=x", ',', true, "'''=x");
	field_is("'-12", ',', true, "''-12");
	field_is("'", ',', true, "'");
	field_is("''", ',', true, "''");
	field_is("'abc", ',', true, "'abc");
	static const char *const nasty[] = { "'+1",   "'=x",  "=1+1", "-1-1", "+1-555-0101", "'",
		                             "''",    "''=x", "'-12", "-12",  "+3.5",        "-",
		                             "'''+1", "'@",   "@",    "'abc", "plain",       "" };
	for (size_t i = 0; i < sizeof nasty / sizeof *nasty; i++) {
		struct sb g = SB_INIT;
		csv_write_field(&g, nasty[i], '\x1f',
		                true); /* unquoted (the bats test reads quoted ones back) */
		is_str(csv_unguard(sb_str(&g)), nasty[i],
		       "guard then unguard gives back the value");
		sb_free(&g);
	}
	is_str(csv_unguard("'x"), "'x", "an apostrophe before text stays");

	struct sb out = SB_INIT;
	const char *row[] = { "id", "a,b", NULL, "=x" };
	csv_write_row(&out, row, 4, ',', true);
	is_str(sb_str(&out), "id,\"a,b\",,'=x\n", "write row ends in LF");
	sb_reset(&out);
	const char *one[] = { "" };
	csv_write_row(&out, one, 1, ',', false);
	is_str(sb_str(&out), "\"\"\n", "one empty field: \"\", not a blank line");

	/* round trip through the reader */
	const char *rows[][4] = {
		{ "id", "name", "note", "" },
		{ "1", "José \"Zé\"", "multi\r\nline, with comma", " pad " },
		{ "2", "", "|;\t", "\"" },
	};
	sb_reset(&out);
	for (size_t i = 0; i < ARRAY_LEN(rows); i++)
		csv_write_row(&out, rows[i], 4, ',', false);
	int fd = mem_fd(out.buf, out.len);
	struct lerr err = { 0 };
	struct csv_opts o = { .delim = ',' };
	struct csv_reader *r = csv_open_fd(fd, &o, &err);
	struct csv_rec rec;
	bool same = true;
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		if (csv_next(r, &rec, &err) != 1 || rec.n != 4) {
			same = false;
			break;
		}
		for (size_t j = 0; j < 4; j++)
			same = same && strcmp(rec.f[j].s, rows[i][j]) == 0;
	}
	ok(same && csv_next(r, &rec, &err) == 0, "written rows read back the same");
	csv_close(r);
	close(fd);
	sb_free(&out);
}

int main(void)
{
	test_spectrum();
	test_good_bad();
	test_rfc4180();
	test_lines();
	test_encodings();
	test_windows1252_all();
	test_invalid_utf8();
	test_delimiters();
	test_big();
	test_pipe();
	test_random();
	test_writer();
	return done_testing();
}
