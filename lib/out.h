/*
 * out.h - one emitter for every command's data output.
 *
 * Commands never hand-format tables or JSON. They describe columns once,
 * then hand rows of cells; the emitter renders them as an aligned table
 * (terminal), CSV (RFC 4180), TSV, a JSON array of objects, or JSON lines.
 * Field names in machine formats are the column names, stable for scripts.
 *
 *   struct out *o = out_new(stdout, OUT_TABLE, flags);
 *   out_begin(o, cols, ncols);
 *   out_str(o, "ana"); out_int(o, 3); out_null(o); out_end_row(o);
 *   out_finish(o); out_free(o);
 *
 * Records (one object, `leads show`): out_record_* prints "key: value"
 * lines in table mode and one JSON object otherwise (see below).
 */
#ifndef LEADS_OUT_H
#define LEADS_OUT_H

#include <stdint.h>
#include <stdio.h>

enum out_format { OUT_TABLE, OUT_CSV, OUT_TSV, OUT_JSON, OUT_JSONL };

enum out_type {
	OUT_T_STR,  /* JSON string */
	OUT_T_INT,  /* JSON number (integer) */
	OUT_T_NUM,  /* JSON number, given as text already formatted */
	OUT_T_RAW,  /* JSON given as text (an object/array), e.g. "extra" */
	OUT_T_BOOL, /* JSON true/false, given as 0/1 */
};

struct out_col {
	const char *name;   /* machine name: "first_name" */
	const char *header; /* table header; NULL = name upper-cased */
	enum out_type type;
	int right;          /* right-align in tables (numbers) */
};

enum out_flags {
	OUT_NO_HEADER = 1 << 0, /* csv/tsv/table without the header line */
	OUT_COLOR = 1 << 1,     /* table may use colour (TTY and no NO_COLOR) */
	OUT_NO_ESCAPE = 1 << 2, /* csv: do not guard cells against formula injection */
};

struct out;

/* Parse "table|csv|tsv|json|jsonl"; returns -1 if unknown. */
int out_format_parse(const char *s);

struct out *out_new(FILE *fp, enum out_format fmt, int flags);
void out_begin(struct out *o, const struct out_col *cols, int ncols);
void out_str(struct out *o, const char *s); /* NULL = null */
void out_int(struct out *o, int64_t v);
void out_null(struct out *o);
void out_end_row(struct out *o);
/* Flush (a table is buffered to align columns); prints "[]" for empty JSON. */
void out_finish(struct out *o);
void out_free(struct out *o);

/*
 * A single record, for `show`: in table format "key: value" lines with the
 * keys aligned; in JSON a single object (jsonl: one line), and nested
 * arrays of objects may be added with out_record_list_* (e.g. "history").
 * In csv/tsv a two-column key,value listing.
 */
void out_record_begin(struct out *o);
void out_record_field(struct out *o, const char *key, enum out_type type, const char *value);
/* Nested list of rows under key: begin, then out_begin + rows, then end. */
void out_record_list_begin(struct out *o, const char *key);
void out_record_list_end(struct out *o);
void out_record_end(struct out *o);

/* JSON string escaping, for callers building JSON (e.g. the extra column). */
void out_json_escape(FILE *fp, const char *s);

#endif
