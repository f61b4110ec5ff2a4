/*
 * lyaml.h - the YAML layer every config section is parsed with.
 *
 * (Named lyaml.h, like ltime.h, because the build puts lib/ on the include
 * path: a lib/yaml.h would hide libyaml's own <yaml.h> from every file.)
 *
 * A thin layer over libyaml's document API that keeps the file's text so
 * that every problem is reported the same way, netplan style:
 *
 *	leads.yaml:3:5: unknown key 'stagse' in pipeline (expected: stages)
 *	      stagse:
 *	      ^
 *
 * Problems are accumulated in the context, not stop-at-first, so that
 * `leads config check` can list them all; config_load() hands them to
 * struct config as its diags.
 *
 * Limits, checked before any section parser sees the document:
 *  - files over LY_MAX_BYTES are refused;
 *  - collections nested deeper than LY_MAX_DEPTH are refused while
 *    parsing (libyaml slows down quadratically on deep flow nesting);
 *  - only one document per file;
 *  - tabs in indentation are refused (outside quoted and block scalars);
 *  - aliases are allowed, but the document as a walker sees it (every
 *    alias expanded) may hold at most LY_MAX_ALIAS_NODES nodes more than
 *    the file itself, and an alias inside its own anchor is refused. So a
 *    "billion laughs" file is an error after a bounded amount of work, and
 *    a section parser may recurse over any node it is given.
 *
 * Section parsers get nodes through the helpers below. The node pointers
 * and strings stay valid until ly_free(); copy what you keep.
 */
#ifndef LEADS_LYAML_H
#define LEADS_LYAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "config.h"
#include "ltime.h"

#define LY_MAX_BYTES       (4u << 20)
#define LY_MAX_DEPTH       64
#define LY_MAX_ALIAS_NODES 10000

struct yaml_ctx {
	char *name; /* file name used in messages */
	char *src;  /* the text, NUL-terminated */
	size_t len;
	size_t *lines; /* byte offset where each line starts */
	size_t nlines;
	unsigned mode;  /* st_mode of the file, 0 for text given in memory */
	struct stat st; /* the file's, for the ownership rule (file_untrusted) */
	yaml_document_t doc;
	bool have_doc;
	yaml_node_t *root; /* NULL if empty or unusable (errors reported) */

	/* What was found: errors and warnings (ly_take_diags sorts them). */
	struct config_diag *diags;
	size_t ndiags;
	size_t capdiags;
	size_t nerrors;
};

/*
 * Load a file. Returns 0, or EX_NOINPUT / EX_IOERR with err filled when
 * the file cannot be read at all. Everything else (too big, invalid YAML,
 * tabs, alias bombs) is a diagnostic in y, and y->root is NULL then.
 */
int ly_load_file(struct yaml_ctx *y, const char *path, struct lerr *err);
/* The same for text in memory; name is used in messages. */
void ly_load_mem(struct yaml_ctx *y, const char *name, const char *text, size_t len);
void ly_free(struct yaml_ctx *y);

/* Hand the diagnostics over (the caller frees them); y keeps none. */
void ly_take_diags(struct yaml_ctx *y, struct config_diag **diags, size_t *n, size_t *nerrors);

/*
 * Report a problem at a node ("file:line:col: msg", the line, a caret;
 * the text has no "error:"/"warning:", the diag's flag says which).
 * at may be NULL for a problem of the whole file ("file: msg").
 * ly_error always returns -1, so `return ly_error(...)` reads well.
 */
int ly_error(struct yaml_ctx *y, const yaml_node_t *at, const char *fmt, ...) PRINTF_LIKE(3, 4);
void ly_warning(struct yaml_ctx *y, const yaml_node_t *at, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* At a libyaml mark (0-based line and column). */
void ly_report_at(struct yaml_ctx *y, bool warning, size_t line, size_t col, const char *fmt, ...)
    PRINTF_LIKE(5, 6);
/* Source line of a node, 1-based (0 for NULL). */
int ly_line(const yaml_node_t *n);

/* Node kinds */
bool ly_is_map(const yaml_node_t *n);
bool ly_is_seq(const yaml_node_t *n);
bool ly_is_scalar(const yaml_node_t *n);
/* An empty value: nothing after the colon, "~" or "null" (unquoted). */
bool ly_is_null(const yaml_node_t *n);
/* "a mapping", "a list", "a string", "nothing" - for messages. */
const char *ly_kind(const yaml_node_t *n);
/* The text of a scalar, NULL for anything else. */
const char *ly_scalar(const yaml_node_t *n);

/* Lists and mappings (n of the wrong kind counts as empty). */
size_t ly_seq_len(const yaml_node_t *n);
yaml_node_t *ly_seq_at(struct yaml_ctx *y, const yaml_node_t *n, size_t i);
size_t ly_map_len(const yaml_node_t *n);
yaml_node_t *ly_map_key(struct yaml_ctx *y, const yaml_node_t *n, size_t i);
yaml_node_t *ly_map_val(struct yaml_ctx *y, const yaml_node_t *n, size_t i);
/* Value of the first pair whose key is the scalar key; NULL if none. */
yaml_node_t *ly_map_get(struct yaml_ctx *y, const yaml_node_t *n, const char *key);

/*
 * Scalar getters. `what` names the value in messages (usually its key).
 * Each returns 0 and stores the value, or reports at n and returns -1
 * leaving *out untouched.
 */
/* A non-empty string; *out is freed and replaced. */
int ly_str(struct yaml_ctx *y, const yaml_node_t *n, const char *what, char **out);
/* true/false (also yes/no, on/off), any case. */
int ly_bool(struct yaml_ctx *y, const yaml_node_t *n, const char *what, bool *out);
/* A base-10 integer in [min, max]. */
int ly_int(struct yaml_ctx *y, const yaml_node_t *n, const char *what, int64_t min, int64_t max,
           int64_t *out);
/* A duration (ldur_parse: 30m, 2h, 3d, 1w, 3mo, 1d12h). */
int ly_dur(struct yaml_ctx *y, const yaml_node_t *n, const char *what, struct ldur *out);
/* One of names (case-insensitive); *out is its index. */
/* A time zone name (tz_load): the name and the zone, or -1 with the error. */
struct tz;
int ly_tz(struct yaml_ctx *y, const yaml_node_t *n, const char *what, char **name, struct tz **tz);
int ly_enum(struct yaml_ctx *y, const yaml_node_t *n, const char *what, const char *const *names,
            size_t nnames, int *out);
/*
 * A list of non-empty strings, no two equal ignoring case. An empty value
 * is an empty list. *v / *n are freed and replaced.
 */
int ly_strv(struct yaml_ctx *y, const yaml_node_t *n, const char *what, char ***v, size_t *nv);

/*
 * The table-driven mapping walker. For each pair of the mapping the
 * handler of its key is called with the value; an unknown key is an error
 * naming the valid ones, a repeated key is an error, and so is a missing
 * `required` key. The generic handlers ly_h_* store into obj at `off`.
 */
struct ly_key;
typedef int (*ly_handler)(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k);
struct ly_key {
	const char *key;
	ly_handler fn;
	size_t off;       /* ly_h_*: offsetof the field in obj */
	size_t off_n;     /* ly_h_strv: offsetof the size_t count */
	int64_t min, max; /* ly_h_int: accepted range (both 0: 0..INT_MAX) */
	bool required;
};
/*
 * Walk map, a mapping describing `what` ("pipeline", "stage"). Returns 0,
 * or -1 if it reported anything (its handlers' problems included).
 * Reports "expected a mapping" when map is not one.
 */
int ly_walk(struct yaml_ctx *y, yaml_node_t *map, const char *what, const struct ly_key *keys,
            size_t nkeys, void *obj);

int ly_h_str(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k);  /* char * */
int ly_h_bool(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k); /* bool */
int ly_h_int(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k);  /* int */
int ly_h_dur(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k);  /* ldur */
int ly_h_strv(struct yaml_ctx *y, yaml_node_t *val, void *obj,
              const struct ly_key *k); /* char ** */

/*
 * Duplicates ignoring ASCII case, in O(n log n): first[i] is the index of
 * the first earlier string equal to v[i], or SIZE_MAX. NULL strings never
 * match.
 */
void ly_find_dups(const char *const *v, size_t n, size_t *first);

/*
 * Write s as a YAML scalar: plain when that reads back as the same string,
 * double-quoted (with escapes) otherwise.
 */
void ly_emit_str(struct sb *out, const char *s);

#endif
