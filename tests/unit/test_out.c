/* test_out.c - every output format, byte for byte. */
#include "tap.h"

#include "out.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* An emitter writing into memory. */
struct cap {
	char *buf;
	size_t len;
	FILE *fp;
	struct out *o;
};

static struct out *start(struct cap *c, enum out_format fmt, int flags)
{
	c->buf = NULL;
	c->len = 0;
	c->fp = open_memstream(&c->buf, &c->len);
	if (!c->fp) {
		perror("open_memstream");
		exit(2);
	}
	c->o = out_new(c->fp, fmt, flags);
	return c->o;
}

/* out_finish, then the text written (free c->buf after). */
static const char *text(struct cap *c)
{
	out_finish(c->o);
	out_free(c->o);
	fclose(c->fp);
	return c->buf;
}

static void expect(struct cap *c, const char *want, const char *name)
{
	is_str(text(c), want, name);
	free(c->buf);
}

static bool has_trailing_space(const char *s)
{
	for (; *s; s++)
		if (*s == ' ' && (s[1] == '\n' || s[1] == '\0'))
			return true;
	return false;
}

/* The usual data: every type, a short row, nulls. */
static const struct out_col people_cols[] = {
	{ "name", NULL, OUT_T_STR, 0 },     { "age", NULL, OUT_T_INT, 0 },
	{ "score", "Score", OUT_T_NUM, 0 }, { "vip", NULL, OUT_T_BOOL, 0 },
	{ "extra", NULL, OUT_T_RAW, 0 },
};

static void people(struct out *o)
{
	out_begin(o, people_cols, 5);
	out_str(o, "ana");
	out_int(o, 31);
	out_str(o, "4.5");
	out_str(o, "1");
	out_str(o, "{\"a\": 1}");
	out_end_row(o);
	out_str(o, "Bob Smith");
	out_int(o, 7);
	out_null(o);
	out_str(o, "0");
	out_end_row(o); /* short: extra is null */
	out_str(o, NULL);
	out_int(o, -1200);
	out_str(o, "12");
	out_null(o);
	out_str(o, "[1, 2]");
	out_end_row(o);
}

static void test_format_parse(void)
{
	is_int(out_format_parse("table"), OUT_TABLE, "table");
	is_int(out_format_parse("csv"), OUT_CSV, "csv");
	is_int(out_format_parse("tsv"), OUT_TSV, "tsv");
	is_int(out_format_parse("json"), OUT_JSON, "json");
	is_int(out_format_parse("jsonl"), OUT_JSONL, "jsonl");
	is_int(out_format_parse("JSON"), -1, "names are lower case");
	is_int(out_format_parse("yaml"), -1, "unknown");
	is_int(out_format_parse(""), -1, "empty");
	is_int(out_format_parse(NULL), -1, "NULL");
}

static void test_table(void)
{
	struct cap c;

	people(start(&c, OUT_TABLE, 0));
	const char *got = text(&c);
	is_str(got,
	       "NAME         AGE  Score  VIP    EXTRA\n"
	       "ana           31    4.5  true   {\"a\": 1}\n"
	       "Bob Smith      7         false\n"
	       "           -1200     12         [1, 2]\n",
	       "table: aligned, numbers right, header upper-cased or as given");
	ok(!has_trailing_space(got), "table: no trailing spaces");
	ok(!strchr(got, '\033'), "table: no colour unless asked");
	free(c.buf);

	people(start(&c, OUT_TABLE, OUT_COLOR));
	expect(&c,
	       "\033[1mNAME         AGE  Score  VIP    EXTRA\033[0m\n"
	       "ana           31    4.5  true   {\"a\": 1}\n"
	       "Bob Smith      7         false\n"
	       "           -1200     12         [1, 2]\n",
	       "table: OUT_COLOR makes the header line bold, nothing else");

	people(start(&c, OUT_TABLE, OUT_NO_HEADER));
	expect(&c,
	       "ana           31  4.5  true   {\"a\": 1}\n"
	       "Bob Smith      7       false\n"
	       "           -1200   12         [1, 2]\n",
	       "table: OUT_NO_HEADER; widths from the rows only");

	struct out *o = start(&c, OUT_TABLE, 0);
	out_begin(o, people_cols, 5);
	expect(&c, "", "table: no rows, no output");

	/* Display widths: code points, wide CJK/emoji 2, combining marks 0. */
	static const struct out_col wcols[] = { { "who", NULL, OUT_T_STR, 0 },
		                                { "n", NULL, OUT_T_STR, 1 },
		                                { "city", NULL, OUT_T_STR, 0 } };
	o = start(&c, OUT_TABLE, 0);
	out_begin(o, wcols, 3);
	out_str(o, "Zo\xc3\xab"); /* Zoë, 3 columns */
	out_str(o, "1");
	out_str(o, "M\xc3\xbcnchen");
	out_end_row(o);
	out_str(o, "\xe7\x94\xb0\xe4\xb8\xad"); /* 田中, 4 columns */
	out_str(o, "22");
	out_str(o, "\xe6\x9d\xb1\xe4\xba\xac"); /* 東京 */
	out_end_row(o);
	out_str(o, "Jose\xcc\x81"); /* José with a combining accent, 4 columns */
	out_str(o, "\xef\xbc\x93"); /* fullwidth digit 3, 2 columns */
	out_str(o, "x");
	out_end_row(o);
	out_str(o, "\xf0\x9f\x98\x80!"); /* 😀!, 3 columns */
	out_str(o, "");
	out_str(o, "");
	out_end_row(o);
	expect(&c,
	       "WHO    N  CITY\n"
	       "Zo\xc3\xab    1  M\xc3\xbcnchen\n"
	       "\xe7\x94\xb0\xe4\xb8\xad  22  \xe6\x9d\xb1\xe4\xba\xac\n"
	       "Jose\xcc\x81  \xef\xbc\x93  x\n"
	       "\xf0\x9f\x98\x80!\n",
	       "table: UTF-8 display widths; a right-aligned text column");

	/* Data never reaches the terminal as control characters. */
	static const struct out_col one[] = { { "v", "Value", OUT_T_STR, 0 },
		                              { "w", NULL, OUT_T_STR, 0 } };
	o = start(&c, OUT_TABLE, 0);
	out_begin(o, one, 2);
	out_str(o, "a\tb\nc\r");
	out_str(o, "end");
	out_end_row(o);
	out_str(o, "\033[31mred\x7f");
	out_str(o, "\xc2\x9b"); /* C1 CSI */
	out_end_row(o);
	out_str(o, "bad\xff\xfe utf8\xe2\x82");
	out_str(o, "x  ");
	out_end_row(o);
	expect(&c,
	       "Value        W\n"
	       "a b c        end\n"
	       "\xef\xbf\xbd[31mred\xef\xbf\xbd    \xef\xbf\xbd\n"
	       "bad\xef\xbf\xbd\xef\xbf\xbd utf8\xef\xbf\xbd  x\n",
	       "table: tab/CR/LF become spaces, controls and bad UTF-8 U+FFFD");
}

static void test_csv(void)
{
	struct cap c;

	people(start(&c, OUT_CSV, 0));
	expect(&c,
	       "name,age,score,vip,extra\n"
	       "ana,31,4.5,true,\"{\"\"a\"\": 1}\"\n"
	       "Bob Smith,7,,false,\n"
	       ",-1200,12,,\"[1, 2]\"\n",
	       "csv: header of names, quoting, nulls empty, bools as words");

	people(start(&c, OUT_CSV, OUT_NO_HEADER));
	expect(&c,
	       "ana,31,4.5,true,\"{\"\"a\"\": 1}\"\n"
	       "Bob Smith,7,,false,\n"
	       ",-1200,12,,\"[1, 2]\"\n",
	       "csv: OUT_NO_HEADER");

	struct out *o = start(&c, OUT_CSV, 0);
	out_begin(o, people_cols, 5);
	expect(&c, "name,age,score,vip,extra\n", "csv: no rows, just the header");

	static const struct out_col v[] = { { "v", NULL, OUT_T_STR, 0 } };
	static const char *const cells[] = {
		"plain",  "a,b", "say \"hi\"", "two\nlines", "cr\rhere", " lead", "trail ",
		"\tlead", "",    "=1+2",       "=a,b",       "+1",       "-12",   "+3.5",
		"-0.5",   ".5",  "-",          "+",          "-1e5",     "1-2",   "@SUM(A1)",
		"\tx",    "\rx", "-+1",        "1.2.3",      "'quoted",  "a=b",
	};
	const char *guarded = "v\n"
	                      "plain\n"
	                      "\"a,b\"\n"
	                      "\"say \"\"hi\"\"\"\n"
	                      "\"two\nlines\"\n"
	                      "\"cr\rhere\"\n"
	                      "\" lead\"\n"
	                      "\"trail \"\n"
	                      "\"'\tlead\"\n"
	                      "\n"
	                      "'=1+2\n"
	                      "\"'=a,b\"\n"
	                      "+1\n"
	                      "-12\n"
	                      "+3.5\n"
	                      "-0.5\n"
	                      ".5\n"
	                      "'-\n"
	                      "'+\n"
	                      "'-1e5\n"
	                      "1-2\n"
	                      "'@SUM(A1)\n"
	                      "\"'\tx\"\n"
	                      "\"'\rx\"\n"
	                      "'-+1\n"
	                      "1.2.3\n"
	                      "'quoted\n"
	                      "a=b\n";
	const char *raw = "v\n"
	                  "plain\n"
	                  "\"a,b\"\n"
	                  "\"say \"\"hi\"\"\"\n"
	                  "\"two\nlines\"\n"
	                  "\"cr\rhere\"\n"
	                  "\" lead\"\n"
	                  "\"trail \"\n"
	                  "\"\tlead\"\n"
	                  "\n"
	                  "=1+2\n"
	                  "\"=a,b\"\n"
	                  "+1\n"
	                  "-12\n"
	                  "+3.5\n"
	                  "-0.5\n"
	                  ".5\n"
	                  "-\n"
	                  "+\n"
	                  "-1e5\n"
	                  "1-2\n"
	                  "@SUM(A1)\n"
	                  "\"\tx\"\n"
	                  "\"\rx\"\n"
	                  "-+1\n"
	                  "1.2.3\n"
	                  "'quoted\n"
	                  "a=b\n";
	for (int pass = 0; pass < 2; pass++) {
		o = start(&c, OUT_CSV, pass ? OUT_NO_ESCAPE : 0);
		out_begin(o, v, 1);
		for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
			out_str(o, cells[i]);
			out_end_row(o);
		}
		expect(&c, pass ? raw : guarded,
		       pass ? "csv: OUT_NO_ESCAPE turns the formula guard off, quoting stays"
		            : "csv: RFC 4180 quoting and the formula guard");
	}

	/* An integer column is guarded like any other: negatives are plain numbers. */
	static const struct out_col n[] = { { "n", NULL, OUT_T_INT, 0 } };
	o = start(&c, OUT_CSV, 0);
	out_begin(o, n, 1);
	out_int(o, INT64_MIN);
	out_end_row(o);
	expect(&c, "n\n-9223372036854775808\n", "csv: INT64_MIN is left alone");

	/* Rows are streamed, not held until out_finish. */
	o = start(&c, OUT_CSV, 0);
	out_begin(o, v, 1);
	out_str(o, "early");
	out_end_row(o);
	fflush(c.fp);
	is_str(c.buf, "v\nearly\n", "csv: a row is written at out_end_row");
	expect(&c, "v\nearly\n", "csv: and not again at out_finish");
}

static void test_tsv(void)
{
	struct cap c;

	people(start(&c, OUT_TSV, 0));
	expect(&c,
	       "name\tage\tscore\tvip\textra\n"
	       "ana\t31\t4.5\ttrue\t{\"a\": 1}\n"
	       "Bob Smith\t7\t\tfalse\t\n"
	       "\t-1200\t12\t\t[1, 2]\n",
	       "tsv: header of names, nulls empty");

	static const struct out_col v[] = { { "a", NULL, OUT_T_STR, 0 },
		                            { "b", NULL, OUT_T_STR, 0 } };
	struct out *o = start(&c, OUT_TSV, OUT_NO_HEADER);
	out_begin(o, v, 2);
	out_str(o, "tab\there");
	out_str(o, "line\nbreak\r\n");
	out_end_row(o);
	out_str(o, "back\\slash \\t");
	out_str(o, "=1+2, \"q\"");
	out_end_row(o);
	expect(&c,
	       "tab\\there\tline\\nbreak\\r\\n\n"
	       "back\\\\slash \\\\t\t=1+2, \"q\"\n",
	       "tsv: \\t \\n \\r \\\\ escapes, no quoting, no formula guard");

	o = start(&c, OUT_TSV, 0);
	out_begin(o, v, 2);
	expect(&c, "a\tb\n", "tsv: no rows, just the header");
}

static void test_json(void)
{
	struct cap c;

	people(start(&c, OUT_JSON, 0));
	expect(&c,
	       "[\n"
	       "  {\n"
	       "    \"name\": \"ana\",\n"
	       "    \"age\": 31,\n"
	       "    \"score\": 4.5,\n"
	       "    \"vip\": true,\n"
	       "    \"extra\": {\"a\":1}\n"
	       "  },\n"
	       "  {\n"
	       "    \"name\": \"Bob Smith\",\n"
	       "    \"age\": 7,\n"
	       "    \"score\": null,\n"
	       "    \"vip\": false,\n"
	       "    \"extra\": null\n"
	       "  },\n"
	       "  {\n"
	       "    \"name\": null,\n"
	       "    \"age\": -1200,\n"
	       "    \"score\": 12,\n"
	       "    \"vip\": null,\n"
	       "    \"extra\": [1,2]\n"
	       "  }\n"
	       "]\n",
	       "json: pretty array of objects, typed values");

	people(start(&c, OUT_JSONL, 0));
	expect(&c,
	       "{\"name\":\"ana\",\"age\":31,\"score\":4.5,\"vip\":true,\"extra\":{\"a\":1}}\n"
	       "{\"name\":\"Bob Smith\",\"age\":7,\"score\":null,\"vip\":false,\"extra\":null}\n"
	       "{\"name\":null,\"age\":-1200,\"score\":12,\"vip\":null,\"extra\":[1,2]}\n",
	       "jsonl: one compact object per line");

	struct out *o = start(&c, OUT_JSON, 0);
	out_begin(o, people_cols, 5);
	expect(&c, "[]\n", "json: no rows is []");
	start(&c, OUT_JSON, OUT_NO_HEADER);
	expect(&c, "[]\n", "json: no out_begin at all is [] too");
	o = start(&c, OUT_JSONL, 0);
	out_begin(o, people_cols, 5);
	expect(&c, "", "jsonl: no rows, no lines");

	/* String escaping, and invalid UTF-8 replaced so the JSON stays valid. */
	static const struct out_col s[] = { { "s", NULL, OUT_T_STR, 0 } };
	static const char *const in[] = {
		"quote \" backslash \\ slash /",
		"\b\f\n\r\t",
		"\x01\x1f\x7f",
		"Zo\xc3\xab \xe7\x94\xb0 \xf0\x9f\x98\x80",
		"bad \xff end",
		"cut \xe2\x82",
		"surrogate \xed\xa0\x80",
		"overlong \xc0\xaf",
		"too big \xf4\x90\x80\x80",
		"lone \x80 cont",
		"\xf0\x9f\x98",
	};
	static const char *const want[] = {
		"\"quote \\\" backslash \\\\ slash /\"",
		"\"\\b\\f\\n\\r\\t\"",
		"\"\\u0001\\u001f\x7f\"",
		"\"Zo\xc3\xab \xe7\x94\xb0 \xf0\x9f\x98\x80\"",
		"\"bad \xef\xbf\xbd end\"",
		"\"cut \xef\xbf\xbd\"",
		"\"surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
		"\"overlong \xef\xbf\xbd\xef\xbf\xbd\"",
		"\"too big \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
		"\"lone \xef\xbf\xbd cont\"",
		"\"\xef\xbf\xbd\"",
	};
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char line[256];
		o = start(&c, OUT_JSONL, 0);
		out_begin(o, s, 1);
		out_str(o, in[i]);
		out_end_row(o);
		snprintf(line, sizeof(line), "{\"s\":%s}\n", want[i]);
		char name[64];
		snprintf(name, sizeof(name), "json string escaping, case %zu", i + 1);
		expect(&c, line, name);
	}

	/* Text that does not fit its type becomes a string. */
	static const struct out_col t[] = {
		{ "i", NULL, OUT_T_INT, 0 },
		{ "n", NULL, OUT_T_NUM, 0 },
		{ "b", NULL, OUT_T_BOOL, 0 },
		{ "r", NULL, OUT_T_RAW, 0 },
	};
	struct {
		const char *i, *n, *b, *r, *want;
	} typed[] = {
		{ "0", "-0.5e10", "true", " { \"k\" : [ 1 , \"a b\" , null , true ] } ",
		  "{\"i\":0,\"n\":-0.5e10,\"b\":true,\"r\":{\"k\":[1,\"a b\",null,true]}}\n" },
		{ "abc", "1.", "yes", "{a:1}",
		  "{\"i\":\"abc\",\"n\":\"1.\",\"b\":\"yes\",\"r\":\"{a:1}\"}\n" },
		{ "1.5", "NaN", "false", "[1] x",
		  "{\"i\":\"1.5\",\"n\":\"NaN\",\"b\":false,\"r\":\"[1] x\"}\n" },
		{ "007", "+3", "0", "\"caf\\u00e9 \\\"q\\\"\"",
		  "{\"i\":\"007\",\"n\":\"+3\",\"b\":false,\"r\":\"caf\\u00e9 \\\"q\\\"\"}\n" },
		{ "-", "1E+2", "1", "", "{\"i\":\"-\",\"n\":1E+2,\"b\":true,\"r\":\"\"}\n" },
		{ "12", ".5", "", "[\"tab\there\"]",
		  "{\"i\":12,\"n\":\".5\",\"b\":\"\",\"r\":\"[\\\"tab\\there\\\"]\"}\n" },
		{ "-0", "0.0", "1", "[\"\xff\"]",
		  "{\"i\":-0,\"n\":0.0,\"b\":true,\"r\":\"[\\\"\xef\xbf\xbd\\\"]\"}\n" },
		{ "1", "2", "1", "{\"a\":1,}",
		  "{\"i\":1,\"n\":2,\"b\":true,\"r\":\"{\\\"a\\\":1,}\"}\n" },
		{ "1", "2", "1", "[]", "{\"i\":1,\"n\":2,\"b\":true,\"r\":[]}\n" },
		{ "1", "2", "1", "\"\\x\"",
		  "{\"i\":1,\"n\":2,\"b\":true,\"r\":\"\\\"\\\\x\\\"\"}\n" },
	};
	for (size_t i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		char name[64];
		o = start(&c, OUT_JSONL, 0);
		out_begin(o, t, 4);
		out_str(o, typed[i].i);
		out_str(o, typed[i].n);
		out_str(o, typed[i].b);
		out_str(o, typed[i].r);
		out_end_row(o);
		snprintf(name, sizeof(name), "json types and their fallbacks, case %zu", i + 1);
		expect(&c, typed[i].want, name);
	}

	/* Raw JSON nested too deep is not trusted (the reader's stack is bounded). */
	char deep[1024];
	memset(deep, '[', 300);
	memset(deep + 300, ']', 300);
	deep[600] = '\0';
	static const struct out_col r[] = { { "r", NULL, OUT_T_RAW, 0 } };
	o = start(&c, OUT_JSONL, 0);
	out_begin(o, r, 1);
	out_str(o, deep);
	out_end_row(o);
	const char *got = text(&c);
	ok(got[5] == '"' && got[6] == '[', "json: raw nested 300 deep becomes a string");
	free(c.buf);
	memset(deep, '[', 150);
	memset(deep + 150, ']', 150);
	deep[300] = '\0';
	o = start(&c, OUT_JSONL, 0);
	out_begin(o, r, 1);
	out_str(o, deep);
	out_end_row(o);
	got = text(&c);
	ok(got[5] == '[', "json: raw nested 150 deep is kept");
	free(c.buf);

	/* out_json_escape, for callers building JSON themselves. */
	c.buf = NULL;
	c.fp = open_memstream(&c.buf, &c.len);
	out_json_escape(c.fp, "a\"b\\c\nd\xff");
	fputc(' ', c.fp);
	out_json_escape(c.fp, NULL);
	fputc(' ', c.fp);
	out_json_escape(c.fp, "");
	fclose(c.fp);
	is_str(c.buf, "\"a\\\"b\\\\c\\nd\xef\xbf\xbd\" null \"\"",
	       "out_json_escape writes a whole literal; NULL is null");
	free(c.buf);
}

/* A record with scalars, a multi-line value, a list with rows and an empty list. */
static void record(struct out *o)
{
	static const struct out_col hcols[] = {
		{ "at", NULL, OUT_T_STR, 0 },
		{ "what", NULL, OUT_T_STR, 0 },
		{ "mins", "Minutes", OUT_T_INT, 0 },
	};
	out_record_begin(o);
	out_record_field(o, "id", OUT_T_INT, "7");
	out_record_field(o, "first_name", OUT_T_STR, "Zo\xc3\xab");
	out_record_field(o, "notes", OUT_T_STR, "line one\nline two");
	out_record_list_begin(o, "history");
	out_begin(o, hcols, 3);
	out_str(o, "2024-02-29");
	out_str(o, "=called, left msg");
	out_int(o, 5);
	out_end_row(o);
	out_str(o, "2024-03-01");
	out_str(o, "\xe6\x9d\xb1\xe4\xba\xac meeting");
	out_end_row(o);
	out_record_list_end(o);
	out_record_field(o, "vip", OUT_T_BOOL, "1");
	out_record_field(o, "phone", OUT_T_STR, NULL);
	out_record_field(o, "extra", OUT_T_RAW, "{ \"src\": \"web\" }");
	out_record_list_begin(o, "tags");
	out_record_list_end(o);
	out_record_end(o);
}

static void test_record(void)
{
	struct cap c;

	record(start(&c, OUT_TABLE, 0));
	const char *got = text(&c);
	is_str(got,
	       "id:         7\n"
	       "first_name: Zo\xc3\xab\n"
	       "notes:      line one\n"
	       "            line two\n"
	       "vip:        true\n"
	       "phone:\n"
	       "extra:      { \"src\": \"web\" }\n"
	       "\n"
	       "history:\n"
	       "  AT          WHAT               Minutes\n"
	       "  2024-02-29  =called, left msg        5\n"
	       "  2024-03-01  \xe6\x9d\xb1\xe4\xba\xac meeting\n"
	       "\n"
	       "tags:\n"
	       "  (none)\n",
	       "record as a table: aligned keys, then the lists as indented tables");
	ok(!has_trailing_space(got), "record table: no trailing spaces");
	free(c.buf);

	record(start(&c, OUT_TABLE, OUT_COLOR));
	got = text(&c);
	ok(strstr(got, "\n  \033[1mAT          WHAT               Minutes\033[0m\n") != NULL,
	   "record table: the nested header is bold with OUT_COLOR");
	free(c.buf);

	record(start(&c, OUT_JSON, 0));
	expect(&c,
	       "{\n"
	       "  \"id\": 7,\n"
	       "  \"first_name\": \"Zo\xc3\xab\",\n"
	       "  \"notes\": \"line one\\nline two\",\n"
	       "  \"history\": [\n"
	       "    {\n"
	       "      \"at\": \"2024-02-29\",\n"
	       "      \"what\": \"=called, left msg\",\n"
	       "      \"mins\": 5\n"
	       "    },\n"
	       "    {\n"
	       "      \"at\": \"2024-03-01\",\n"
	       "      \"what\": \"\xe6\x9d\xb1\xe4\xba\xac meeting\",\n"
	       "      \"mins\": null\n"
	       "    }\n"
	       "  ],\n"
	       "  \"vip\": true,\n"
	       "  \"phone\": null,\n"
	       "  \"extra\": {\"src\":\"web\"},\n"
	       "  \"tags\": []\n"
	       "}\n",
	       "record as JSON: one object, lists as arrays in call order");

	record(start(&c, OUT_JSONL, 0));
	expect(
	    &c,
	    "{\"id\":7,\"first_name\":\"Zo\xc3\xab\",\"notes\":\"line one\\nline two\","
	    "\"history\":[{\"at\":\"2024-02-29\",\"what\":\"=called, left msg\",\"mins\":5},"
	    "{\"at\":\"2024-03-01\",\"what\":\"\xe6\x9d\xb1\xe4\xba\xac meeting\",\"mins\":null}],"
	    "\"vip\":true,\"phone\":null,\"extra\":{\"src\":\"web\"},\"tags\":[]}\n",
	    "record as JSON lines: one line");

	record(start(&c, OUT_CSV, 0));
	expect(&c,
	       "field,value\n"
	       "id,7\n"
	       "first_name,Zo\xc3\xab\n"
	       "notes,\"line one\nline two\"\n"
	       "vip,true\n"
	       "phone,\n"
	       "extra,\"{ \"\"src\"\": \"\"web\"\" }\"\n"
	       "\n"
	       "at,what,mins\n"
	       "2024-02-29,\"'=called, left msg\",5\n"
	       "2024-03-01,\xe6\x9d\xb1\xe4\xba\xac meeting,\n",
	       "record as CSV: field,value rows, then each non-empty list as a block");

	record(start(&c, OUT_TSV, OUT_NO_HEADER));
	expect(&c,
	       "id\t7\n"
	       "first_name\tZo\xc3\xab\n"
	       "notes\tline one\\nline two\n"
	       "vip\ttrue\n"
	       "phone\t\n"
	       "extra\t{ \"src\": \"web\" }\n"
	       "\n"
	       "2024-02-29\t=called, left msg\t5\n"
	       "2024-03-01\t\xe6\x9d\xb1\xe4\xba\xac meeting\t\n",
	       "record as TSV without headers");

	struct out *o = start(&c, OUT_JSON, 0);
	out_record_begin(o);
	out_record_end(o);
	expect(&c, "{}\n", "an empty record is {}");

	o = start(&c, OUT_TABLE, 0);
	out_record_begin(o);
	out_record_list_begin(o, "history");
	out_record_list_end(o);
	out_record_end(o);
	expect(&c, "history:\n  (none)\n", "a record of only an empty list: no leading blank line");
}

/* Run f in a child; true if it died of SIGABRT (a failed assert). */
static bool aborts(void (*f)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		f();
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void too_many_cells(void)
{
	static const struct out_col one[] = { { "a", NULL, OUT_T_STR, 0 } };
	struct out *o = out_new(stdout, OUT_CSV, OUT_NO_HEADER);
	out_begin(o, one, 1);
	out_str(o, "x");
	out_str(o, "y");
}

static void cell_before_begin(void)
{
	struct out *o = out_new(stdout, OUT_CSV, 0);
	out_int(o, 1);
}

static void test_misuse(void)
{
#ifdef NDEBUG
	ok(1, "# SKIP asserts are compiled out");
	ok(1, "# SKIP asserts are compiled out");
#else
	ok(aborts(too_many_cells), "more cells than columns is an assertion failure");
	ok(aborts(cell_before_begin), "a cell before out_begin is an assertion failure");
#endif
	out_free(NULL);
	ok(1, "out_free(NULL) is fine");
}

/* A table streams: rows are written once the look-ahead is full, not at out_finish. */
static void test_table_stream(void)
{
	static const struct out_col cols[] = { { "id", NULL, OUT_T_INT, 0 },
		                               { "name", NULL, OUT_T_STR, 0 } };
	struct cap c;
	struct out *o = start(&c, OUT_TABLE, 0);
	out_begin(o, cols, 2);
	for (int i = 1; i < OUT_LOOKAHEAD; i++) {
		out_int(o, i);
		out_str(o, "ab");
		out_end_row(o);
	}
	fflush(c.fp);
	ok(c.len == 0, "table: nothing written before the look-ahead is full");
	out_int(o, OUT_LOOKAHEAD);
	out_str(o, "ab");
	out_end_row(o);
	fflush(c.fp);
	size_t at_lookahead = c.len;
	ok(at_lookahead > 0, "table: the look-ahead is written when full");
	out_int(o, OUT_LOOKAHEAD + 1);
	out_str(o, "a much longer name than before");
	out_end_row(o);
	fflush(c.fp);
	ok(c.len > at_lookahead, "table: a later row is written as it ends");
	const char *got = text(&c);
	ok(strstr(got, "\n 10  ab\n") != NULL, "table: widths from the look-ahead");
	ok(strstr(got, "\n201  a much longer name than before\n") != NULL,
	   "table: a later wider cell is printed whole, not cut, off a terminal");
	free(c.buf);
}

/* Fitting to a width: cut with an ellipsis, dispensable columns left out. */
static void test_table_fit(void)
{
	static const struct out_col cols[] = { { "id", NULL, OUT_T_INT, 0 },
		                               { "name", NULL, OUT_T_STR, 0 },
		                               { "email", NULL, OUT_T_STR, 0 },
		                               { "score", NULL, OUT_T_INT, 0 } };
	struct cap c;
	struct out *o = start(&c, OUT_TABLE, 0);
	out_set_width(o, 50);
	out_begin(o, cols, 4);
	out_drop_order(o, "score email");
	out_int(o, 1);
	out_str(o, "Maximiliana Vandenberghe");
	out_str(o, "maximiliana@example.com");
	out_int(o, 7);
	out_end_row(o);
	expect(&c,
	       "ID  NAME                    EMAIL\n"
	       " 1  Maximiliana Vandenber…  maximiliana@example.c…\n",
	       "fit: score left out first, then name and email cut alike");

	o = start(&c, OUT_TABLE, 0);
	out_set_width(o, 20);
	out_begin(o, cols, 4);
	out_drop_order(o, "score email");
	out_int(o, 1);
	out_str(o, "Maximiliana Vandenberghe");
	out_str(o, "maximiliana@example.com");
	out_int(o, 7);
	out_end_row(o);
	expect(&c, "ID  NAME\n 1  Maximiliana Van…\n", "fit: email left out too, the name cut");

	o = start(&c, OUT_TABLE, 0);
	out_set_width(o, 200);
	out_begin(o, cols, 4);
	out_drop_order(o, "score email");
	out_int(o, 1);
	out_str(o, "Ana");
	out_str(o, "a@x");
	out_int(o, 7);
	out_end_row(o);
	expect(&c, "ID  NAME  EMAIL  SCORE\n 1  Ana   a@x        7\n",
	       "fit: room enough, all shown");
}

int main(void)
{
	test_format_parse();
	test_table();
	test_table_stream();
	test_table_fit();
	test_csv();
	test_tsv();
	test_json();
	test_record();
	test_misuse();
	return done_testing();
}
