/*
 * test_db_json.c - the JSON helpers (lib/db_json.c, jansson) write what
 * SQLite's JSON1 wrote before, byte for byte: compact, members in order
 * (a key set again keeps its place), control characters as lower-case
 * \u00xx, reals as SQLite prints them; and malformed JSON is an error,
 * never "not found" or "nothing to change".
 */
#include "tap.h"

#include "db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seen {
	char text[512];
};

static int collect(const char *key, const char *value, const char *type, void *ctx)
{
	struct seen *s = ctx;
	size_t n = strlen(s->text);
	snprintf(s->text + n, sizeof s->text - n, "%s%s=%s:%s", n ? " " : "", key,
	         value ? value : "NULL", type);
	return 0;
}

static void each(const char *json, const char *want, int want_rc, const char *msg)
{
	struct seen s = { "" };
	struct lerr err = { 0 };
	int rc = db_json_object_each(NULL, json, collect, &s, &err);
	char name[256];
	snprintf(name, sizeof name, "each %s: exit code", json ? json : "NULL");
	is_int(rc, want_rc, name);
	snprintf(name, sizeof name, "each %s", json ? json : "NULL");
	if (want)
		is_str(s.text, want, name);
	if (msg)
		ok(strncmp(err.msg, msg, strlen(msg)) == 0, "each %s: '%s' starts '%s'",
		   json ? json : "NULL", err.msg, msg);
}

static void set(const char *json, const char *key, const char *value, const char *want)
{
	char *got = db_json_set(NULL, json, key, value);
	char name[256];
	snprintf(name, sizeof name, "set %s %s=%s", json ? json : "NULL", key,
	         value ? value : "NULL");
	is_str(got, want, name);
	free(got);
}

static void patch(const char *json, const char *p, const char *want)
{
	char *got = db_json_patch(NULL, json, p);
	char name[256];
	snprintf(name, sizeof name, "patch %s with %s", json ? json : "NULL", p ? p : "NULL");
	is_str(got, want, name);
	free(got);
}

int main(void)
{
	/* values as json_each gave them */
	each("{\"a\":\"x\\u00e9\",\"b\":12,\"c\":1.50,\"d\":1e3,\"e\":true,\"f\":false,\"g\":null,"
	     "\"h\":[1, {\"i\": 2}],\"j\":0.1}",
	     "a=xé:text b=12:integer c=1.5:real d=1000.0:real e=1:true f=0:false g=NULL:null "
	     "h=[1,{\"i\":2}]:array j=0.1:real",
	     0, NULL);
	/* a key given twice: the last value, in the first one's place */
	each("{\"a\":\"1\",\"b\":\"2\",\"a\":\"3\"}", "a=3:text b=2:text", 0, NULL);
	/* malformed: 65 with the words the callers know */
	each("{\"email\": ", NULL, EX_DATAERR, "invalid JSON");
	each("{\"q\":\"z\",{\"a\":\"b\"}:\"z\"}", NULL, EX_DATAERR, "invalid JSON");
	each("[\"a\"]", NULL, EX_DATAERR, "expected one JSON object");
	each("\"a\"", NULL, EX_DATAERR, "expected one JSON object");
	each("{\"a\":\"x\\u0000y\"}", NULL, EX_DATAERR, "expected text without \\u0000 (a NUL");
	each("{\"x\\u0000\":\"1\"}", NULL, EX_DATAERR, "expected text without \\u0000 (a NUL");
	each("{\"a\":\"\\ud800x\"}", NULL, EX_DATAERR,
	     "expected text without \\u0000 or unpaired surrogates");
	each(NULL, NULL, EX_DATAERR, "invalid JSON");

	/* set: compact, order kept, new keys last, removal, empty is NULL */
	set(NULL, "b", "2", "{\"b\":\"2\"}");
	set("{\"a\": \"1\", \"b\": \"2\"}", "a", "one", "{\"a\":\"one\",\"b\":\"2\"}");
	set("{\"a\":\"1\"}", "c", "3", "{\"a\":\"1\",\"c\":\"3\"}");
	set("{\"a\":\"1\",\"b\":\"2\"}", "a", NULL, "{\"b\":\"2\"}");
	set("{\"a\":\"1\"}", "a", NULL, NULL);
	set("{\"a\":\"1\"}", "we\"ird\\", "x/y", "{\"a\":\"1\",\"we\\\"ird\\\\\":\"x/y\"}");
	/* control characters as sb_add_json_str writes them */
	set(NULL, "c", "\x01\x1f\t\n\x7f", "{\"c\":\"\\u0001\\u001f\\t\\n\x7f\"}");
	/* not UTF-8: each bad byte as U+FFFD, never a lost object */
	set("{\"a\":\"1\"}", "b", "x\xffy", "{\"a\":\"1\",\"b\":\"x\xef\xbf\xbdy\"}");
	set("{\"a\":", "b", "1", NULL);

	/* patch: RFC 7396 */
	patch(NULL, "{\"a\":\"1\"}", "{\"a\":\"1\"}");
	patch("{\"a\":\"1\",\"b\":\"2\"}", "{\"b\":null,\"c\":\"3\",\"a\":\"0\"}",
	      "{\"a\":\"0\",\"c\":\"3\"}");
	patch("{\"a\":{\"x\":1,\"y\":2}}", "{\"a\":{\"y\":null,\"z\":3}}",
	      "{\"a\":{\"x\":1,\"z\":3}}");
	patch("{\"a\":\"1\"}", "{}", "{\"a\":\"1\"}");
	patch("{\"a\":1.5,\"b\":1e300,\"c\":0.1}", "{}", "{\"a\":1.5,\"b\":1e300,\"c\":0.1}");
	patch("{\"a\":", "{\"b\":\"1\"}", NULL);
	patch("{\"a\":\"1\"}", "{\"b\":", NULL);
	patch("{\"a\":\"1\"}", NULL, NULL);

	/* get and valid */
	char *v = db_json_get(NULL, "{\"a\":\"x\",\"n\":7}", "n");
	is_str(v, "7", "get a number");
	free(v);
	v = db_json_get(NULL, "{\"a\":\"x\"}", "b");
	is_str(v, NULL, "get an absent key");
	free(v);
	ok(db_json_valid(NULL, "{\"a\":[1,2]}"), "valid object");
	ok(!db_json_valid(NULL, "[1]"), "an array is not an object");
	ok(!db_json_valid(NULL, "{\"a\":1} x"), "trailing text");
	ok(!db_json_valid(NULL, "{{\"a\":\"b\"}:1}"), "a key that is not a string");
	ok(!db_json_valid(NULL, NULL), "NULL");
	return done_testing();
}
