/*
 * util.h - the small pieces every file uses: allocation that cannot fail
 * silently, a growing string buffer, and the error object that lib/
 * returns instead of printing.
 *
 * lib/ never prints and never exits. A function that can fail takes a
 * `struct lerr *` and returns 0 on success or an exit code from
 * <sysexits.h> (the codes of leads(1)) after filling the message.
 */
#ifndef LEADS_UTIL_H
#define LEADS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sysexits.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

/* Exit codes (leads(1)); the others come from <sysexits.h>. */
#define EX_FAIL 1 /* ran, but found failures (config check, --strict) */

/* Allocation: out of memory is not recoverable for a CLI; abort loudly. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Grow *p (holding *cap elements of size) to hold at least need. */
void *xgrow(void *p, size_t *cap, size_t need, size_t size);

/* A growing, always NUL-terminated string. */
struct sb {
	char *buf;
	size_t len;
	size_t cap;
};
#define SB_INIT                                                                                    \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}
void sb_add(struct sb *sb, const char *s, size_t n);
void sb_adds(struct sb *sb, const char *s);
void sb_addc(struct sb *sb, char c);
void sb_addf(struct sb *sb, const char *fmt, ...) PRINTF_LIKE(2, 3);
void sb_vaddf(struct sb *sb, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);
void sb_reset(struct sb *sb);
void sb_free(struct sb *sb);
/* The contents, "" when empty; stays owned by the buffer. */
const char *sb_str(const struct sb *sb);
/* Hand the buffer to the caller (never NULL) and reset sb. */
char *sb_detach(struct sb *sb);

/* Append s as a JSON string literal (quotes included; invalid UTF-8 -> U+FFFD). */
void sb_add_json_str(struct sb *sb, const char *s);
/* The same for n bytes (which may hold no NUL). */
void sb_add_json_strn(struct sb *sb, const char *s, size_t n);
/* Append s as XML text: markup escaped, control characters as spaces,
 * every byte of invalid UTF-8 as '?' (the SVG files of funnel and forecast). */
void sb_add_xml(struct sb *out, const char *s);

/* The error a lib function reports: an exit code and one line of text. */
struct lerr {
	int code;
	char msg[1024];
};
/* Fill e (if not NULL) and return code, so `return lerr_set(...)` works. */
int lerr_set(struct lerr *e, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Strings */
bool str_ieq(const char *a, const char *b);

/* 64-bit FNV-1a of n bytes at p, from h: fnv1a(FNV1A_INIT, ...), chained for pieces. */
#define FNV1A_INIT 0xcbf29ce484222325u
uint64_t fnv1a(uint64_t h, const void *p, size_t n);
/*
 * The home slot of hash h in an open-addressing table of 2^bits slots:
 * the high bits of h times 2^64/phi (Fibonacci hashing). FNV-1a's low
 * bits are poorly mixed; taken as they are, the keys of a real file
 * clustered and a probe walked long runs.
 */
static inline size_t hash_home(uint64_t h, unsigned bits)
{
	return (size_t)((h * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - bits));
}

/*
 * An index of strings that ignores ASCII case, over an array the caller
 * keeps (the index holds positions + 1; open addressing, grown as needed).
 * ci_index_find: the position of s among the n strings key(ctx, 0..n-1)
 * (NULL ones are left out), or n when absent, with *slot where
 * ci_index_put() records it once the caller has added it at n.
 */
struct ci_index {
	size_t *ht;
	size_t cap;
};
typedef const char *(*ci_key_fn)(const void *ctx, size_t i);
size_t ci_index_find(struct ci_index *x, const char *s, ci_key_fn key, const void *ctx, size_t n,
                     size_t *slot);
void ci_index_put(struct ci_index *x, size_t slot, size_t i);
void ci_index_free(struct ci_index *x);
bool str_empty(const char *s); /* NULL or "" */
/* Trim ASCII whitespace in place; returns s. */
char *str_trim(char *s);
/* Lower-case ASCII copy. */
char *str_lower(const char *s);
/* Levenshtein distance, for "did you mean". */
size_t str_distance(const char *a, const char *b);
/* Parse a whole string as a base-10 int64; false on junk or overflow. */
bool str_to_i64(const char *s, int64_t *out);
/* Check s is valid UTF-8; on failure *bad is the byte offset. */
bool utf8_valid(const char *s, size_t n, size_t *bad);
/* A copy of s with each invalid byte as U+FFFD: for a file name (bytes to
 * the kernel) that is stored or shown as text. */
char *utf8_repair(const char *s);

/*
 * The rule for files whose contents steer leads (the config, the database):
 * owned by the user running leads (or root) and writable by nobody else.
 * NULL when st keeps it; else what is wrong, "writable by its group (mode
 * 0664)" or "owned by uid 1001 (ben), not by you or root", in buf, and in
 * *fix the remedy ("chmod go-w it", "chown it"), for a warning.
 */
const char *file_untrusted(const struct stat *st, char *buf, size_t n, const char **fix);

/* mkdir -p with mode 0700 for what it creates; 0 or -1 with errno. */
int mkdir_p(const char *dir);

/* Free a NULL-terminated or counted array of strings. */
void strv_free(char **v, size_t n);

#endif
