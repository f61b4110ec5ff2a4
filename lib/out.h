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
 *
 * The formats, exactly:
 *
 * table  Streamed from a bounded look-ahead: the first OUT_LOOKAHEAD rows
 *        (or all of them, if fewer, at out_finish) are held to work out
 *        the column widths; they are printed then, and every later row as
 *        soon as it ends, in those widths. A later cell wider than its
 *        column is printed whole (the row is then misaligned, no data is
 *        lost) unless the table is fitted to a width, where it is cut with
 *        an ellipsis. Nothing is printed when there are no rows.
 *        Fitting (out_set_width, on a terminal): when the natural widths do
 *        not fit, the columns named by out_drop_order are left out, most
 *        dispensable first, while the others would not fit even cut to 20
 *        columns each; then text columns are cut from the widest down (an
 *        ellipsis "…" marks the cut; not below their header's width, or
 *        10, while more columns can be left out: dispensable ones first,
 *        then the rightmost). Numbers are never cut. So a row is never
 *        wider than the width and never wraps.
 *        A header line (col.header, or the name upper-cased; bold only
 *        with OUT_COLOR), columns two spaces apart, padded by display width:
 *        UTF-8 code points, East Asian wide characters count 2 and
 *        combining marks 0 (a small built-in table, not full wcwidth).
 *        Columns with `right` or of type OUT_T_INT/OUT_T_NUM are
 *        right-aligned. No trailing spaces. NULL is empty. Text is cleaned
 *        for the terminal (see "Text for a terminal" below): tab, CR and
 *        LF show as a space, every other unsafe character as U+FFFD.
 * csv    RFC 4180 with "\n" line ends: a header line of column names, then
 *        one line per row. A cell is quoted (inner quotes doubled) when it
 *        holds a comma, quote, CR or LF or starts or ends with a space or
 *        tab. NULL is empty. Formula guard (unless OUT_NO_ESCAPE): a cell
 *        starting with =, @, TAB or CR, or with + or - and not a strict
 *        numeric literal, gets a leading apostrophe (OWASP's advice
 *        against CSV injection); strict is csv_write_field()'s rule
 *        (lib/csv.h): only digits and at most one decimal point after the
 *        sign, so "-12" and "-3.5" stay as they are while "-1-1",
 *        "+1-555-0101" and "+1 (555) 010-0100" (a spreadsheet computes
 *        the first two) are guarded. Bytes pass through unchanged
 *        otherwise.
 * tsv    A header line of names, then rows; tab, LF, CR and backslash inside
 *        a cell are written \t \n \r \\ (the convention of PostgreSQL
 *        COPY and MySQL), so every line is one row. NULL is empty. No
 *        formula guard; bytes pass through unchanged otherwise.
 * json   One array of objects, keys in column order, two-space indent;
 *        "[]" when there are no rows.
 * jsonl  One compact object per line; nothing when there are no rows.
 *
 * JSON values follow the column's out_type: OUT_T_STR a string, OUT_T_INT
 * and OUT_T_NUM the number as given, OUT_T_BOOL true/false (given as
 * "1"/"0" or "true"/"false"), OUT_T_RAW the JSON as given but compacted
 * (whitespace outside strings dropped, so jsonl stays one line), NULL null.
 * Text that does not fit its type (OUT_T_INT "abc", OUT_T_NUM "1.", invalid
 * JSON in OUT_T_RAW) is written as a JSON string instead. Strings escape
 * quotes, backslashes and control characters, and invalid UTF-8 becomes
 * U+FFFD: the output is always valid JSON. In table/csv/tsv an OUT_T_BOOL
 * cell prints as true/false too; everything else prints as given.
 *
 * Strings handed in are copied; cols may be freed after out_begin.
 */
#ifndef LEADS_OUT_H
#define LEADS_OUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h" /* PRINTF_LIKE */

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
	/*
	 * 1: right-align in tables (implied for OUT_T_INT and OUT_T_NUM);
	 * OUT_WHOLE: left-aligned and never cut to fit a terminal (a bar: its
	 * length is its meaning), left out in the drop order instead.
	 */
	int right;
};
#define OUT_WHOLE 2

/* Rows held to align a streamed table (see "table" above). */
#define OUT_LOOKAHEAD 200

enum out_flags {
	OUT_NO_HEADER = 1 << 0, /* csv/tsv/table without the header line */
	OUT_COLOR = 1 << 1,     /* table may use colour (TTY and no NO_COLOR) */
	OUT_NO_ESCAPE = 1 << 2, /* csv: no formula guard (no apostrophe before =,+,-,@) */
};

struct out;

/* Parse "table|csv|tsv|json|jsonl"; returns -1 if unknown. */
int out_format_parse(const char *s);

struct out *out_new(FILE *fp, enum out_format fmt, int flags);
/*
 * Fit tables (and a record's nested lists) to this many terminal columns;
 * 0 (the default) does not fit. Call before out_begin.
 */
void out_set_width(struct out *o, int width);
/*
 * True once writing failed (the reader went away: `list | head`); a
 * command producing many rows stops then.
 */
bool out_failed(const struct out *o);
/* Once per emitter (and once per nested list of a record); ncols > 0. */
void out_begin(struct out *o, const struct out_col *cols, int ncols);
/*
 * The columns a table may leave out to fit a terminal, most dispensable
 * first: space-separated column names (unknown names are ignored). The
 * others are kept. After out_begin; machine formats ignore it.
 */
void out_drop_order(struct out *o, const char *names);
/*
 * The next cell of the row. More cells than columns is a programming error
 * (assert); out_end_row pads a short row with nulls.
 */
void out_str(struct out *o, const char *s); /* NULL = null */
void out_int(struct out *o, int64_t v);
void out_null(struct out *o);
void out_end_row(struct out *o);
/*
 * Flush (a table's look-ahead rows are printed); prints "[]" for empty JSON
 * (also when out_begin was never called). After a record it only flushes.
 */
void out_finish(struct out *o);
void out_free(struct out *o); /* NULL is fine */

/*
 * A single record, for `show` (one per emitter, instead of out_begin): the
 * fields are collected and printed at out_record_end.
 *
 * table      "key: value" lines with the values aligned after the longest
 *            key; a multi-line value continues on lines indented to the
 *            value column. Then each nested list: a blank line, "key:", and
 *            the list as a table indented by two spaces ("  (none)" if
 *            empty).
 * json/jsonl One object, fields and lists in call order; a nested list is
 *            an array of objects under its key ([] if empty). jsonl: one
 *            line.
 * csv/tsv    A header "field,value" then one "key,value" line per scalar
 *            field; then each non-empty nested list as its own block: a
 *            blank line, a header line of its column names, its rows.
 *            (OUT_NO_HEADER drops all the header lines.)
 * In table, csv and tsv the scalar fields come first and the lists after
 * them, whatever the call order. Values follow the out_type rules above.
 */
void out_record_begin(struct out *o);
void out_record_field(struct out *o, const char *key, enum out_type type, const char *value);
/* Nested list of rows under key: begin, then out_begin + rows, then end. */
void out_record_list_begin(struct out *o, const char *key);
void out_record_list_end(struct out *o);
void out_record_end(struct out *o);

/*
 * JSON string escaping, for callers building JSON (e.g. the extra column):
 * writes s as a complete JSON string literal, quotes included, with
 * invalid UTF-8 replaced by U+FFFD; NULL writes null.
 */
void out_json_escape(FILE *fp, const char *s);

/*
 * Text for a terminal: the one rule for every human-readable text leads
 * prints from data (table and record output, messages on stderr, the text
 * lines of funnel, route --explain, sweep, import...). Machine formats
 * (csv, tsv, json, jsonl, export and rejects files) never pass through it
 * and keep the bytes exact.
 *
 * Unsafe, and shown as U+FFFD (the replacement character, one column):
 *   - C0 controls (U+0000-U+001F), DEL and C1 controls (U+007F-U+009F),
 *     so data can never send an escape sequence (ESC), ring the bell or
 *     move the cursor;
 *   - the bidi controls U+061C, U+200E, U+200F, U+202A-U+202E and
 *     U+2066-U+2069, so data cannot reorder the text around it (a U+202E
 *     in a name making the rest of the line read backwards);
 *   - invalid UTF-8: each maximal ill-formed sequence becomes one U+FFFD.
 * Tab, CR and LF show as a space; with OUT_TERM_LINES (text that is lines
 * of its own, like messages) tab and LF stay, and CR is unsafe.
 */
enum out_term_flags {
	OUT_TERM_LINES = 1 << 0, /* keep tab and LF; CR becomes U+FFFD */
};
/* A cleaned copy of s, to free; "" for NULL. */
char *out_term_dup(const char *s, int flags);
/* The display width of s once cleaned (0 for NULL). */
size_t out_term_width(const char *s);
/* Write s cleaned (nothing is appended). */
void out_term_puts(FILE *fp, const char *s, int flags);
/*
 * printf, then the whole text cleaned with OUT_TERM_LINES before it is
 * written: for human-readable lines that carry data. Returns the length of
 * the formatted text before cleaning.
 */
int out_tprintf(FILE *fp, const char *fmt, ...) PRINTF_LIKE(2, 3);
int out_vtprintf(FILE *fp, const char *fmt, va_list ap) PRINTF_LIKE(2, 0);

#endif
