/*
 * csv.h - a streaming CSV reader and the writer helpers, the base of
 * `leads import` (CSV exports of Salesforce, HubSpot, Zoho, Pipedrive,
 * SuiteCRM) and of CSV output.
 *
 *   struct csv_opts o = { 0 };            // all defaults: auto everything
 *   struct csv_reader *r = csv_open_fd(fd, &o, &err);
 *   struct csv_rec rec;
 *   int rc;
 *   while ((rc = csv_next(r, &rec, &err)) == 1)
 *           use(rec.f[0].s, rec.f[0].len, rec.line);
 *   if (rc != 0)
 *           fail(rc, err.msg);              // "line 12, field 3: ..."
 *   csv_close(r);
 *
 * Reading
 *   - Streams from a file descriptor (a file or stdin) in blocks of
 *     block_size bytes; memory is bounded by one block plus the largest
 *     record. The fd stays the caller's: csv_close() does not close it.
 *   - RFC 4180: quoted fields may hold delimiters, doubled quotes ("") and
 *     line breaks. LF, CRLF and lone CR all end a line; the last line needs
 *     no line break. A quote inside an unquoted field is kept literally
 *     (a"b -> a"b, as Excel does). Errors: text after a closing quote
 *     ("abc"def,) and a quoted field still open at end of input.
 *   - Blank lines (no characters at all) are skipped. A line with only a
 *     delimiter is a record of two empty fields.
 *   - Encoding: without opts.encoding the input is UTF-8; a UTF-8 BOM is
 *     dropped, and a UTF-16LE/BE (or UTF-32) BOM switches to converting
 *     that encoding with iconv. opts.encoding names any iconv encoding
 *     ("windows-1252", "latin1", "utf-16le", ...); windows-1252 and the
 *     names WHATWG reads as it (latin1, iso-8859-1, us-ascii) decode by
 *     its table, every byte a character (0x81 -> U+0081, as WHATWG says,
 *     where iconv refuses it); an unknown name fails
 *     csv_open_fd() with EX_USAGE. A leading U+FEFF of the decoded text is
 *     always dropped. Invalid input (bad UTF-8, or bytes not valid in the
 *     given encoding) is an EX_DATAERR error naming the line, unless
 *     opts.replace_invalid: then each invalid sequence becomes U+FFFD.
 *     A NUL byte is always an error ("is this a binary file?").
 *   - Delimiter: opts.delim, else Excel's first line "sep=X" (any single
 *     character; the line is then skipped, but still counted in line
 *     numbers), else the most frequent of ',' ';' '\t' '|' outside quotes
 *     in the first line (ties and none -> ',').
 *   - Limits (EX_DATAERR naming the line): a field over max_field bytes, a
 *     record of more than max_fields fields or over max_record bytes.
 *
 * Errors are sticky: after one, csv_next() keeps returning it. Messages
 * name a 1-based physical line of the input; where a position inside the
 * line helps, "column" counts characters (code points) of that line from
 * 1 and "field" counts fields of the record from 1, e.g.
 *   "line 3, column 9 (field 2): invalid UTF-8 (byte 0xE9)"
 *   "line 7, column 6 (field 1): text after the closing quote"
 *   "line 12, field 3: unterminated quoted field"   (line where it opened)
 *   "line 4: NUL byte (is this a binary file?)"
 */
#ifndef LEADS_CSV_H
#define LEADS_CSV_H

#include "util.h"

struct csv_opts {
	char delim;           /* 0 = sep= line or detect from the first line */
	const char *encoding; /* NULL, "" or "auto" = UTF-8 with BOM detection */
	bool replace_invalid; /* encoding_errors=replace: invalid input -> U+FFFD */
	size_t max_field;     /* bytes in one field; 0 = 16 MiB */
	size_t max_fields;    /* fields in one record; 0 = 100000 */
	size_t max_record;    /* bytes in one record; 0 = 64 MiB */
	size_t block_size;    /* bytes per read(2); 0 = 256 KiB (tests use tiny ones) */
};

struct csv_field {
	const char *s; /* UTF-8, NUL-terminated (no NUL inside) */
	size_t len;    /* bytes, without the terminating NUL */
	bool quoted;   /* was written between quotes ("" is an empty quoted field) */
};

/* One record; everything stays valid until the next csv_next()/csv_close(). */
struct csv_rec {
	const struct csv_field *f;
	size_t n;      /* number of fields, always >= 1 */
	uint64_t line; /* physical line where the record starts, 1-based */
};

struct csv_reader;

/* Open a reader on fd (NULL opts = defaults). Reads the first block to
 * detect the BOM, sep= line and delimiter. NULL on error: EX_USAGE (bad
 * option, unknown encoding), EX_IOERR (read), EX_DATAERR. */
struct csv_reader *csv_open_fd(int fd, const struct csv_opts *o, struct lerr *err);

/* 1 = a record in *rec, 0 = end of input, else an exit code and err. */
int csv_next(struct csv_reader *r, struct csv_rec *rec, struct lerr *err);

char csv_delimiter(const struct csv_reader *r);
/* Bytes read from the fd so far (raw input, BOM included): for progress,
 * compare with the file size; it runs at most one block ahead. */
uint64_t csv_bytes_read(const struct csv_reader *r);
/* The input encoding in use: "UTF-8", "UTF-16LE", or opts.encoding. */
const char *csv_encoding(const struct csv_reader *r);
/* True when a BOM was found (and dropped) at the start of the input. */
bool csv_had_bom(const struct csv_reader *r);
void csv_close(struct csv_reader *r);

/*
 * Writing. csv_write_field() appends one field to out, quoted (with
 * quotes doubled) when it holds the delimiter, '"', CR or LF, or starts or
 * ends with a space or tab. NULL is written as an empty field.
 *
 * guard_formula (CSV injection guard, for files meant for spreadsheets):
 * a field is prefixed with a single quote (') when it starts with '=',
 * '@', TAB or CR, or starts with '+' or '-' and is not a strict numeric
 * literal: after the sign, digits with at most one decimal point and
 * nothing else -- so "-12" and "+3.5" stay as they are, while "-1-1" and
 * "+1-555-0101" (which a spreadsheet computes), "+1 (555) 010-0100",
 * "-1,234.50", "-1+cmd|' /C calc'!A0", "+A1" and "-" are guarded; so is a
 * value starting with apostrophes and then one of those characters ('+1,
 * ''=x), which makes the guard reversible. Import of leads' own export
 * takes the apostrophe off again (csv_unguard).
 *
 * csv_write_row() writes n fields separated by delim and ends the row
 * with "\n" (LF, not CRLF: what Unix tools and our reader expect; every
 * spreadsheet reads it). A row of one empty field is written as "" so it
 * is not a blank line (which readers skip).
 */
void csv_write_field(struct sb *out, const char *s, char delim, bool guard_formula);
void csv_write_row(struct sb *out, const char *const *fields, size_t n, char delim,
                   bool guard_formula);
/*
 * The reversal of the guard, for reading leads' own export: one leading
 * apostrophe comes off when apostrophes and then one of = + - @ TAB CR
 * follow it ('=x -> =x, ''+1 -> '+1); any other value is returned as is.
 * csv_unguard(guarded(v)) == v for every v.
 */
const char *csv_unguard(const char *s);

#endif
