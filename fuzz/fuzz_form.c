/*
 * fuzz_form.c - libFuzzer harness for the web form parser of `leads
 * intake` (lib/form.c) and the field mapping after it (lib/intake.c).
 *
 * The first byte picks the content type (urlencoded, multipart with the
 * boundary "XB", JSON, or a query string); the rest is the body. Whatever
 * the input: the answer is 0, 400 or 415; every name and value handed on
 * is valid UTF-8 without NUL; no name repeats (ignoring case); at most
 * FORM_MAX_FIELDS fields; and the mapped lead is a valid JSON object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "form.h"
#include "intake.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void form_fuzz_text(const char *what, const char *s)
{
	size_t bad;
	if (!s || !utf8_valid(s, strlen(s), &bad)) {
		fprintf(stderr, "%s is not valid UTF-8\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {
		"application/x-www-form-urlencoded",
		"multipart/form-data; boundary=XB",
		"application/json",
		NULL,
	};
	if (size < 1 || size > (1u << 20))
		return 0;
	const char *ct = types[data[0] % 4];
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	struct form f = { 0 };
	char msg[256];
	int st = ct ? form_parse(ct, body, len, &f, msg, sizeof msg)
	            : form_parse_urlencoded(body, len, &f, msg, sizeof msg);
	if (st != 0 && st != 400 && st != 415) {
		fprintf(stderr, "unexpected status %d\n", st);
		abort();
	}
	if (st)
		form_fuzz_text("the message", msg);
	if (f.n > FORM_MAX_FIELDS)
		abort();
	for (size_t i = 0; i < f.n; i++) {
		form_fuzz_text("a name", f.v[i].name);
		form_fuzz_text("a value", f.v[i].value);
		for (size_t j = 0; j < i; j++)
			if (str_ieq(f.v[i].name, f.v[j].name)) {
				fprintf(stderr, "field '%s' twice\n", f.v[i].name);
				abort();
			}
	}
	if (!st) {
		struct sb json = SB_INIT;
		intake_map(NULL, &f, &json);
		if (!db_json_valid(NULL, json.buf)) {
			fprintf(stderr, "mapped to invalid JSON: %s\n", json.buf);
			abort();
		}
		sb_free(&json);
	}
	form_free(&f);
	return 0;
}
