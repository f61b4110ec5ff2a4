/*
 * tap.h - the few assertions our C unit tests use, printing TAP.
 *
 *   #include "tap.h"
 *   int main(void)
 *   {
 *           ok(1 + 1 == 2, "sum of %d", 2);    // printf-style name
 *           is_str(got, "ana", "first name");  // NULL-safe; shows both on failure
 *           is_int(n, 3, "three rows");
 *           return done_testing();             // 0 if all passed, else 1
 *   }
 *
 * A failure prints "not ok N - name" and the file:line of the check, so
 * a test run reads like prove(1) output. Header-only: everything is
 * static inline, so unused helpers cost no warning.
 */
#ifndef LEADS_TAP_H
#define LEADS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#if defined(__GNUC__)
#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TAP_PRINTF(f, a)
#endif

struct tap_state {
	int run;
	int failed;
};

static inline struct tap_state *tap_state(void)
{
	static struct tap_state st;
	return &st;
}

static inline bool tap_vok(bool pass, const char *file, int line, const char *fmt, va_list ap)
    TAP_PRINTF(4, 0);
static inline bool tap_vok(bool pass, const char *file, int line, const char *fmt, va_list ap)
{
	struct tap_state *st = tap_state();
	char name[512];
	vsnprintf(name, sizeof name, fmt, ap);
	st->run++;
	printf("%sok %d - ", pass ? "" : "not ", st->run);
	for (const char *c = name; *c; c++) { /* keep one test on one line */
		if (*c == '\n')
			fputs("\\n", stdout);
		else if (*c == '\r')
			fputs("\\r", stdout);
		else
			putchar(*c);
	}
	putchar('\n');
	if (!pass) {
		st->failed++;
		printf("#   Failed test at %s line %d.\n", file, line);
	}
	fflush(stdout);
	return pass;
}

static inline bool tap_ok(bool pass, const char *file, int line, const char *fmt, ...)
    TAP_PRINTF(4, 5);
static inline bool tap_ok(bool pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool r = tap_vok(pass, file, line, fmt, ap);
	va_end(ap);
	return r;
}

/* Print s quoted, with control characters escaped, for diagnostics. */
static inline void tap_quote(const char *s)
{
	if (!s) {
		fputs("NULL", stdout);
		return;
	}
	putchar('"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\r')
			fputs("\\r", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7F)
			printf("\\x%02X", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static inline bool tap_is_str(const char *got, const char *want, const char *file, int line,
                              const char *name)
{
	bool pass = (got && want) ? strcmp(got, want) == 0 : got == want;
	if (!tap_ok(pass, file, line, "%s", name)) {
		fputs("#          got: ", stdout);
		tap_quote(got);
		fputs("\n#     expected: ", stdout);
		tap_quote(want);
		putchar('\n');
	}
	return pass;
}

static inline bool tap_is_int(long long got, long long want, const char *file, int line,
                              const char *name)
{
	bool pass = got == want;
	if (!tap_ok(pass, file, line, "%s", name))
		printf("#          got: %lld\n#     expected: %lld\n", got, want);
	return pass;
}

/* A comment line in the output. */
static inline void diag(const char *fmt, ...) TAP_PRINTF(1, 2);
static inline void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

/* Print the plan; the exit status for main: 0 if every check passed. */
static inline int done_testing(void)
{
	struct tap_state *st = tap_state();
	printf("1..%d\n", st->run);
	if (st->failed)
		printf("# Looks like you failed %d test%s of %d.\n", st->failed,
		       st->failed == 1 ? "" : "s", st->run);
	return st->failed ? 1 : 0;
}

#define ok(cond, ...)           tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, name) tap_is_str((got), (want), __FILE__, __LINE__, (name))
#define is_int(got, want, name)                                                                    \
	tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, (name))

#endif
