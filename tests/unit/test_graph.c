/*
 * test_graph.c - DOT strings (graph_dot_str) and the date check of
 * close_date (lead_date_ok).
 */
#include "graph.h"
#include "lead.h"
#include "tap.h"

static void dot(const char *in, const char *want)
{
	struct sb b = SB_INIT;
	graph_dot_str(&b, in);
	is_str(sb_str(&b), want, in);
	sb_free(&b);
}

int main(void)
{
	dot("New", "\"New\"");
	dot("Say \"hi\"", "\"Say \\\"hi\\\"\"");
	dot("a\\b", "\"a\\\\b\"");
	dot("two\nlines", "\"two\\nlines\"");
	dot("tab\there\r", "\"tab here \"");
	dot("\\\"", "\"\\\\\\\"\"");
	dot("caf\xc3\xa9", "\"caf\xc3\xa9\"");
	dot("bad\xff", "\"bad?\"");
	dot("", "\"\"");

	int64_t d = 0;
	ok(lead_date_ok("2026-12-31", &d), "a date");
	is_int(d, 20818, "its day number");
	ok(lead_date_ok("2024-02-29", NULL), "a leap day");
	ok(!lead_date_ok("2026-02-29", NULL), "not a leap year");
	ok(!lead_date_ok("2100-02-29", NULL), "a century is not a leap year");
	ok(lead_date_ok("2000-02-29", NULL), "but 2000 is");
	ok(!lead_date_ok("2026-13-01", NULL), "month 13");
	ok(!lead_date_ok("2026-04-31", NULL), "April 31");
	ok(!lead_date_ok("2026-1-01", NULL), "one-digit month");
	ok(!lead_date_ok("2026-12-31T00:00", NULL), "a time after it");
	ok(!lead_date_ok("0999-12-31", NULL), "before year 1000");
	ok(!lead_date_ok("", NULL), "empty");
	return done_testing();
}
