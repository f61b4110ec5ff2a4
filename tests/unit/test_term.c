/* test_term.c - text from data on its way to a terminal (lib/out.h). */
#include "tap.h"

#include "out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FFFD "\xEF\xBF\xBD"

static void clean(const char *in, int flags, const char *want, const char *name)
{
	char *got = out_term_dup(in, flags);
	is_str(got, want, name);
	free(got);
}

/* A stream into memory: *buf holds what was written after fclose. */
static FILE *mem(char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	FILE *fp = open_memstream(buf, len);
	if (!fp) {
		perror("open_memstream");
		exit(2);
	}
	return fp;
}

/* A table of one column and one row: the line after the header. */
static char *table_cell(const char *s)
{
	static const struct out_col cols[] = { { "name", "N", OUT_T_STR, 0 } };
	char *buf;
	size_t len;
	FILE *fp = mem(&buf, &len);
	struct out *o = out_new(fp, OUT_TABLE, OUT_NO_HEADER);
	out_begin(o, cols, 1);
	out_str(o, s);
	out_end_row(o);
	out_finish(o);
	out_free(o);
	fclose(fp);
	return buf;
}

static char *json_cell(const char *s)
{
	static const struct out_col cols[] = { { "n", NULL, OUT_T_STR, 0 } };
	char *buf;
	size_t len;
	FILE *fp = mem(&buf, &len);
	struct out *o = out_new(fp, OUT_JSONL, 0);
	out_begin(o, cols, 1);
	out_str(o, s);
	out_end_row(o);
	out_finish(o);
	out_free(o);
	fclose(fp);
	return buf;
}

int main(void)
{
	/* plain text and every kind of script stay as they are */
	clean("Ana Lima", 0, "Ana Lima", "ASCII unchanged");
	clean("Zoë 山田 😀 שלום مرحبا", 0, "Zoë 山田 😀 שלום مرحبا", "UTF-8 unchanged");
	clean("", 0, "", "empty");
	clean(NULL, 0, "", "NULL is empty");

	/* C0, DEL and C1 controls */
	clean("a\x1b[31mred\x1b[0m", 0, "a" FFFD "[31mred" FFFD "[0m", "ESC (CSI)");
	clean("t\x1b]0;title\x07", 0, "t" FFFD "]0;title" FFFD, "OSC and BEL");
	clean("a\x7f"
	      "b",
	      0, "a" FFFD "b", "DEL");
	clean("a\xc2\x9b"
	      "2J",
	      0, "a" FFFD "2J", "C1 CSI (U+009B)");
	clean("a\xc2\x85"
	      "b",
	      0, "a" FFFD "b", "C1 NEL (U+0085)");
	clean("a\x08\x08"
	      "b",
	      0, "a" FFFD FFFD "b", "backspace");
	clean("\xc2\xa0", 0, "\xc2\xa0", "U+00A0 is not a control");

	/* bidi controls, each one */
	static const char *const bidi[] = {
		"\xd8\x9c",     /* U+061C ALM */
		"\xe2\x80\x8e", /* U+200E LRM */
		"\xe2\x80\x8f", /* U+200F RLM */
		"\xe2\x80\xaa", /* U+202A LRE */
		"\xe2\x80\xab", /* U+202B RLE */
		"\xe2\x80\xac", /* U+202C PDF */
		"\xe2\x80\xad", /* U+202D LRO */
		"\xe2\x80\xae", /* U+202E RLO */
		"\xe2\x81\xa6", /* U+2066 LRI */
		"\xe2\x81\xa7", /* U+2067 RLI */
		"\xe2\x81\xa8", /* U+2068 FSI */
		"\xe2\x81\xa9", /* U+2069 PDI */
	};
	for (size_t i = 0; i < sizeof bidi / sizeof bidi[0]; i++) {
		char in[32];
		snprintf(in, sizeof in, "x%sy", bidi[i]);
		char name[64];
		snprintf(name, sizeof name, "bidi control %zu", i);
		clean(in, 0, "x" FFFD "y", name);
		snprintf(name, sizeof name, "bidi control %zu (lines)", i);
		clean(in, OUT_TERM_LINES, "x" FFFD "y", name);
	}
	/* neighbours that are not controls */
	clean("\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5", 0, "\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5",
	      "U+200D, U+202F, U+2065 stay");

	/* invalid UTF-8: one U+FFFD per maximal ill-formed sequence */
	clean("Caf\xe9", 0, "Caf" FFFD, "Latin-1 byte");
	clean("\xe2\x80", 0, FFFD, "truncated sequence");
	clean("\xc0\xaf", 0, FFFD FFFD, "overlong");
	clean("\xed\xa0\x80", 0, FFFD FFFD FFFD, "surrogate");
	clean("\xff\xfeX", 0, FFFD FFFD "X", "bytes that never start a sequence");

	/* tab, CR and LF: a space in a cell; LF and tab kept in lines, CR not */
	clean("a\tb\rc\nd", 0, "a b c d", "cell: tab, CR, LF as spaces");
	clean("a\tb\rc\nd", OUT_TERM_LINES, "a\tb" FFFD "c\nd", "lines: tab and LF kept, CR not");

	/* out_tprintf: the whole formatted text is cleaned */
	char *t;
	size_t len;
	FILE *fp = mem(&t, &len);
	out_tprintf(fp, "would: %s\n", "lead #1 Ev\x1b[2J\xe2\x80\xaeil");
	fclose(fp);
	is_str(t, "would: lead #1 Ev" FFFD "[2J" FFFD "il\n", "out_tprintf cleans its arguments");
	free(t);
	char long_arg[2000];
	memset(long_arg, 'x', sizeof long_arg - 1);
	long_arg[sizeof long_arg - 1] = '\0';
	long_arg[1500] = '\x1b';
	fp = mem(&t, &len);
	out_tprintf(fp, "%s", long_arg);
	fclose(fp);
	ok(t && strlen(t) == sizeof long_arg - 1 + 2 && !strchr(t, '\x1b'),
	   "out_tprintf: a long text whole, cleaned");
	free(t);

	/* the table cleans and aligns by the shown width; JSON keeps the data */
	t = table_cell("a\xe2\x80\xae"
	               "b\x1b");
	is_str(t, "a" FFFD "b" FFFD "\n", "table cell: bidi override and ESC replaced");
	free(t);
	t = json_cell("a\xe2\x80\xae"
	              "b\x1b");
	is_str(t,
	       "{\"n\":\"a\xe2\x80\xae"
	       "b\\u001b\"}\n",
	       "jsonl keeps U+202E, escapes ESC");
	free(t);

	return done_testing();
}
