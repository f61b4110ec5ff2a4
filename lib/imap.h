/*
 * imap.h - import mapping: from a CSV header and rows to lead fields.
 *
 * Pure functions, no SQL and no I/O: `leads import` reads the file with
 * lib/csv.h and writes with the storage layer; in between it asks this
 * module what each column means and what each value becomes.
 *
 *   struct imap m;
 *   imap_init(&m, header_cells, n, &err);        // trim, dedupe, skip blanks
 *   struct imap_detection d;
 *   imap_detect(&m, &d);                         // or imap_preset_find(--preset)
 *   imap_use_preset(&m, d.preset);
 *   imap_parse_map(&m, "E-mail Address=email", &err);  // user overrides
 *   // pass 1 over the file: an imap_datedet per date column, then
 *   m.cols[i].date = the verdict (or the user's --date-format)
 *   struct imap_vmap *vm = imap_vmap_new(m.preset, cfg->stages, cfg->nstages);
 *   // pass 2: per record
 *   imap_row(&m, vm, cells, n, &lead, &warn, &err);
 *
 * Columns are matched case-insensitively on trimmed names, ignoring
 * spaces, '_' and '-' ("First Name" = "first_name" = "FirstName"), but
 * not '.', so Zoho's lookup id column "Lead Owner.id" is never taken for
 * "Lead Owner". A column that maps to no core field is kept as a custom
 * field: a key of the lead's `extra` JSON object named after the column.
 * Nothing is dropped silently; only `--ignore` / "-" drops a column.
 */
#ifndef LEADS_IMAP_H
#define LEADS_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "lead.h"
#include "util.h"

struct tz;

/* ---- Presets -------------------------------------------------------- */

struct tz;
struct imap_preset; /* opaque; one per vendor, plus "leads" and "generic" */

/*
 * The presets, generic last: the one list that lib/imap.c's table, its
 * names below, and `import --preset`'s help and completion are made of.
 * A new preset is a word here and a row in that table.
 */
#define IMAP_PRESETS(X)                                                                            \
	X(salesforce) X(hubspot) X(zoho) X(pipedrive) X(suitecrm) X(close) X(leads) X(generic)
#define IMAP_PRESET_WORD_(n) #n " "
/* "salesforce hubspot ... generic " (space-separated, for COMP_WORDS) */
#define IMAP_PRESET_WORDS IMAP_PRESETS(IMAP_PRESET_WORD_)

/* salesforce, hubspot, zoho, pipedrive, suitecrm, close, leads, generic; NULL-terminated. */
extern const char *const imap_preset_names[];
/* By name, case-insensitive; NULL if none. */
const struct imap_preset *imap_preset_find(const char *name);
const char *imap_preset_name(const struct imap_preset *p);
/* One line for --help and --detect: "Salesforce (Data Loader or report export)". */
const char *imap_preset_label(const struct imap_preset *p);
/* Self-check for the tests: every preset table entry names a real field
 * (EX_SOFTWARE naming the entry otherwise). */
int imap_presets_check(struct lerr *err);

/* ---- Dates ---------------------------------------------------------- */

enum imap_datefmt {
	IMAP_DATE_AUTO,     /* not decided: each value must fit exactly one reading */
	IMAP_DATE_ISO,      /* ISO 8601 via ltime_parse: 2024-03-14T09:30:00.000+01:00 */
	IMAP_DATE_YMD,      /* 2024-03-14 09:30:15, 2024/03/14, 2024.03.14 9:30 PM */
	IMAP_DATE_MDY,      /* 03/14/2024, 3/14/2024 9:30 AM, 3/14/2024, 9:30 PM */
	IMAP_DATE_DMY,      /* 14/03/2024, 14.03.2024 09:30, 14-03-2024 */
	IMAP_DATE_EPOCH_MS, /* 1710408615000 (HubSpot) */
	IMAP_DATE_EPOCH_S,  /* 1710408615 */
	/* a column mixing formats: each value in whichever reads it, numeric
	 * day/month in the order the file proved elsewhere */
	IMAP_DATE_ANY_MDY,
	IMAP_DATE_ANY_DMY,
	IMAP_DATE_PATTERN, /* a strftime-style pattern: the column's pattern */
};

/*
 * Parse s by a strftime-style pattern, as strptime(3) would, without the
 * locale: %Y %y (69-99: 19xx) %m %d %e %H %I %M %S %p %b %B %h (month
 * names in English, German, French, Spanish, Portuguese) %a %A (a weekday
 * word, skipped) %z (+01:00, -0500, Z) %Z (UTC, GMT) %s (epoch seconds)
 * %T (%H:%M:%S) %F (%Y-%m-%d) %D (%m/%d/%y) %%; a space matches any run of
 * spaces; other characters match themselves, letters without regard to
 * case. *zoned: the pattern gave the zone. false when s does not fit.
 */
bool imap_date_pattern(const char *pat, const char *s, int64_t *out, bool *zoned);
/* Whether a --date-format value is a pattern (has a %). */
bool imap_datefmt_is_pattern(const char *fmt);

/* --date-format names: iso, ymd, mdy, dmy, epoch-ms, epoch-s, any-mdy,
 * any-dmy (also "auto"). false on anything else. */
bool imap_datefmt_parse(const char *name, enum imap_datefmt *fmt);
const char *imap_datefmt_name(enum imap_datefmt fmt);

/*
 * Parse one value in a format into epoch seconds, UTC (values without a
 * zone are taken as UTC). Calendar-checked: 02/30/2024 is false. Hours
 * with AM/PM run 1-12, without 0-23. Years 1900-9999. Surrounding
 * whitespace is ignored; "" is false. IMAP_DATE_AUTO accepts a value
 * when every format that reads it gives the same time (so 03/04/2024 is
 * refused, 2024-03-04 and 14/03/2024 are fine).
 */
bool imap_date_parse(enum imap_datefmt fmt, const char *s, int64_t *out);
/* The same, *zoned telling whether the value carried its zone (an offset,
 * Z, UTC, GMT, or an epoch count). */
bool imap_date_parse_zoned(enum imap_datefmt fmt, const char *s, int64_t *out, bool *zoned);

/*
 * Detecting the format of a column from all its values, streaming: feed
 * every value (empty ones are skipped), then ask for the verdict.
 */
struct imap_datedet {
	unsigned possible; /* bit (1 << fmt) for each format still fitting every value */
	bool differ;       /* some value read differently as MDY and DMY */
	bool only_mdy;     /* some value read as MDY and not DMY (12/25/2024) */
	bool only_dmy;     /* some value read as DMY and not MDY (25/12/2024) */
	uint64_t nvalues;  /* non-empty values seen */
	char *bad;         /* the first value that left no format fitting */
	uint64_t bad_line;
	char *sample; /* the first value, for messages */
	char *proof;  /* the first value that set only_mdy or only_dmy */
};

enum imap_dverdict {
	IMAP_DV_EMPTY,     /* no values at all: nothing to parse */
	IMAP_DV_ONE,       /* *fmt is the format */
	IMAP_DV_AMBIGUOUS, /* MM/DD and DD/MM both fit: ask for --date-format */
	IMAP_DV_BAD,       /* a value fits no format (or no format fits them all) */
};

void imap_datedet_init(struct imap_datedet *d);
/* line: where the value is, for the message naming a bad one (0 = unknown). */
void imap_datedet_feed(struct imap_datedet *d, const char *value, uint64_t line);
/* For AMBIGUOUS and BAD, err (EX_DATAERR) says why, naming column and value:
 * "column 'Create Date': '03/04/2024' may be MM/DD/YYYY or DD/MM/YYYY; use --date-format mdy or
 * dmy" "column 'Created': line 7: '2024-13-45' is not a date in a known format" */
enum imap_dverdict imap_datedet_verdict(const struct imap_datedet *d, const char *column,
                                        enum imap_datefmt *fmt, struct lerr *err);
void imap_datedet_free(struct imap_datedet *d);

/*
 * What a date value tells of the locale that wrote it, for the file's
 * day/month order when no value proves it (a bit set of):
 *   IMAP_HINT_DAY_WORD  the month a word after the day: "14 Mar 2024",
 *                       "14. März 2024", "14 de marzo de 2024"
 *   IMAP_HINT_WORD_DAY  the month a word before the day: "Mar 14, 2024"
 *   IMAP_HINT_24H       a numeric date with a 24-hour time, no AM/PM:
 *                       "03/01/2024 10:15"
 * 0 for anything else (ISO dates, a date alone, "3/1/2024 9:30 AM").
 */
enum { IMAP_HINT_DAY_WORD = 1, IMAP_HINT_WORD_DAY = 2, IMAP_HINT_24H = 4 };
unsigned imap_date_hints(const char *value);

/* ---- Columns and the mapping ---------------------------------------- */

enum imap_kind {
	IMAP_IGNORE,     /* dropped on purpose: --ignore, or "-" in --map */
	IMAP_FIELD,      /* a core field: `field` */
	IMAP_NAME,       /* a full name, split into first/last (last word = last name) */
	IMAP_EXTRA,      /* a custom field: key `key` of the extra object */
	IMAP_EXTRA_JSON, /* a JSON object merged into extra (our own export's `extra`) */
};

enum imap_origin {
	IMAP_BY_DEFAULT, /* matched nothing: kept as a custom field */
	IMAP_BY_PRESET,  /* the preset's table */
	IMAP_BY_GENERIC, /* the common names every preset falls back on */
	IMAP_BY_USER,    /* --map, --map-file, --ignore */
};

struct imap_col {
	char *name; /* trimmed, never empty ("column_N"), unique ("Email_2") */
	enum imap_kind kind;
	const struct field_desc *field; /* IMAP_FIELD */
	char *key;                      /* IMAP_EXTRA (also where a demoted value goes) */
	enum imap_origin origin;
	/*
	 * Set by imap_use_preset()/overrides: another column feeds the same
	 * field first; this one is used only when that one is empty, and
	 * otherwise its value is kept in extra under `key`. For IMAP_NAME:
	 * first/last name columns exist, so the full name is only kept in
	 * extra (and used when both of those are empty).
	 */
	bool secondary;
	enum imap_datefmt date; /* FK_TIME fields: set by the caller after detection */
	const char *pattern;    /* IMAP_DATE_PATTERN: the pattern (not owned) */
};

struct imap {
	const struct imap_preset *preset; /* NULL until imap_use_preset() */
	struct imap_col *cols;
	size_t ncols; /* header columns kept: leading and trailing empty ones dropped */
	size_t skip;  /* leading empty header cells, dropped from every row */
	size_t width; /* cells of the raw header row */
	char **notes; /* for the report: "duplicate column 'Email' renamed 'Email_2'" */
	size_t nnotes;
	/* the zone of the file's times that carry no offset (NULL: UTC);
	 * epoch numbers and ISO 8601 with Z or an offset are instants */
	const struct tz *tz;
};

/* Blank: no cells, or every cell empty or only whitespace. Skip such rows
 * (before the header too: the header is the first non-blank row). */
bool imap_row_blank(const char *const *cells, size_t n);

/*
 * Report debris that is not a lead: Salesforce report footers. True for
 * a row whose only non-empty cell is the first one and reads like
 * "Confidential Information - Do Not Distribute", "Copyright (c)
 * 2000-2024 salesforce.com, inc. All rights reserved." or "Generated By:
 * ..."; a "Grand Totals (N records)" first cell is debris whatever
 * follows (summary reports put sums there). Such a row sets *in_footer
 * (the caller's, false at the start); from then on every row whose only
 * non-empty cell is the first (the report name, the org name) is debris
 * too. Call it before imap_row_shape(): footer rows are short.
 */
bool imap_row_footer(const char *const *cells, size_t n, bool *in_footer);
/* The language of a footer row's first cell ("German", "French",
 * "Spanish", "Portuguese", "Japanese"); NULL for English or none. */
const char *imap_footer_language(const char *cell);
/* The language of a header that has a Salesforce report label (or a
 * first or last name column) in German, French, Spanish or Portuguese
 * ("Erstelldatum", "Date de création"), *column the first such column;
 * NULL for none. */
const char *imap_header_language(const struct imap *m, const char **column);

/*
 * Take the header row: trims names, drops leading empty cells (m->skip,
 * dropped from every row too) and trailing empty cells (Excel), names an
 * empty cell in between "column_N" (N = its 1-based position in the
 * file), strips a stray UTF-8 BOM from the first name and renames
 * duplicates (case-insensitive) "Email_2", "Email_3", noted in m->notes.
 * All columns start as custom fields. EX_DATAERR if the row is blank.
 */
int imap_init(struct imap *m, const char *const *cells, size_t n, struct lerr *err);
void imap_free(struct imap *m);
/* Add a remark to m->notes (for the report). */
void imap_add_note(struct imap *m, const char *msg);

/* Column index by name (case-insensitive, trimmed), -1 if none. */
int imap_col_find(const struct imap *m, const char *name);
/* True for a column feeding a time field (which needs a date format). */
bool imap_col_is_date(const struct imap_col *c);

enum imap_conf { IMAP_CONF_NONE, IMAP_CONF_LOW, IMAP_CONF_MEDIUM, IMAP_CONF_HIGH };
const char *imap_conf_name(enum imap_conf c); /* none, low, medium, high */

struct imap_detection {
	const struct imap_preset *preset; /* the best; the generic preset when none fits */
	enum imap_conf conf;
	int matched;                         /* columns the chosen preset knows */
	int distinct;                        /* of those, names no other preset knows */
	int score;                           /* 3 per distinct column, 1 per shared one */
	const struct imap_preset *runner_up; /* NULL if no other preset matched */
	int runner_score;
	/* why generic was chosen, for --detect ("" when a preset fits):
	 * "hubspot knows 5 columns, 1 of them its own (2 needed)" */
	char why[160];
	bool near;      /* short of distinct columns: values may decide */
	bool by_values; /* chosen by imap_detect_values() */
	/* imap_detect_values(): the vendors' stage and status columns */
	bool vready;
	int nv;
	size_t vcol[16];
	const struct imap_preset *vpre[16];
};
/*
 * Values as evidence, for a header short of distinct columns (d->near):
 * when a stage or status cell of a data row holds a word of a vendor's own
 * vocabulary that no other vendor uses (Salesforce's "Closed -
 * Converted"), that vendor is chosen (conf MEDIUM, why says so). Feed rows
 * until it returns true or the rows run out.
 */
bool imap_detect_values(const struct imap *m, struct imap_detection *d, const char *const *cells,
                        size_t n);

/*
 * Score every preset against the header. A column known to exactly one
 * preset scores 3 for it, a column several presets know 1 for each. A
 * common word ("address", "city", "zip", "status", "score") is never a
 * distinct column, and leads' own preset counts only its own key columns
 * (stage_entered_at, ext_source, priority...). The best preset needs two
 * distinct columns; else generic is chosen (conf NONE) and why says why. HIGH: 2+ distinct columns
 * and ahead of the runner-up by 3+ points; MEDIUM: ahead; LOW: a tie broken by distinct columns,
 * then order.
 */
void imap_detect(const struct imap *m, struct imap_detection *d);

/*
 * Map every column by the preset (its own names first, then the generic
 * names, except for the exact `leads` preset), the rest to custom
 * fields. Resets earlier mapping, overrides included: call it first.
 * The `leads` preset alone maps a column to `id` (our own export's id):
 * imap_row() then sets l->i[LI_ID]; the import decides what it means
 * (match on it, or clear it and let the database number the lead).
 */
void imap_use_preset(struct imap *m, const struct imap_preset *p);

/*
 * User overrides. target: a lead field name (lead_field(): "email",
 * "first-name"), "name" (a full name to split), "extra" (a JSON object),
 * "extra.KEY" (custom field KEY), or "-" (ignore). Column names match
 * like imap_col_find(). Errors, EX_USAGE: no such column (with a
 * "did you mean"), unknown target field, a field that cannot be imported
 * (id, import_batch, ...).
 */
int imap_set(struct imap *m, const char *column, const char *target, struct lerr *err);
int imap_ignore(struct imap *m, const char *column, struct lerr *err);
/*
 * --map 'E-mail Address=email,Firma=company': items separated by commas;
 * in each, the LAST '=' separates column from target (targets never hold
 * '='), both trimmed. A column name holding a comma is written in double
 * quotes ("Name, Full"=name; "" inside quotes is a quote). Empty items
 * are skipped.
 */
int imap_parse_map(struct imap *m, const char *spec, struct lerr *err);
/*
 * --map-file: the text of the file, one Column=target per line (the last
 * '=' separates, so a column may hold commas and '='); blank lines and
 * lines starting with '#' are skipped. Errors name fname:line.
 */
int imap_parse_map_text(struct imap *m, const char *text, const char *fname, struct lerr *err);

/* "email", "name (split)", "extra.Lead Owner.id", "extra (JSON)", "-": for --detect. */
void imap_col_describe(const struct imap_col *c, struct sb *out);

/* ---- Values: vendor status/stage vocabularies ----------------------- */

/*
 * A vocabulary maps a vendor's status/stage values onto the configured
 * pipeline and our statuses. Built-in entries name stages abstractly
 * ("the first active stage", "the stage named Contacted, else the second
 * active one", "the first won stage", "the first lost stage"), resolved
 * against the stages given here, so they work on every config.
 */
struct imap_vmap;

/* stages: the pipeline (cfg->stages); kept by pointer, must outlive vm.
 * p may be NULL (no vendor vocabulary). */
struct imap_vmap *imap_vmap_new(const struct imap_preset *p, const struct stage *stages,
                                size_t nstages);
void imap_vmap_free(struct imap_vmap *vm);

/*
 * One user pair (config `import:` section or a map item): value -> stage
 * (a stage name or key of the pipeline, "-" for none) and/or status
 * (new, active, inactive, unqualified); NULL leaves that part to the
 * built-in vocabulary. User pairs win over built-in ones; a later pair
 * for the same value updates it. EX_USAGE for an unknown stage or status
 * (a config loader reports it as its own error with file:line).
 */
int imap_vmap_add(struct imap_vmap *vm, const char *value, const char *stage, const char *status,
                  struct lerr *err);
/* --stage-map 'Hot=Proposal Sent,Cold=Lost' and --status-map 'Dormant=inactive'
 * (same syntax as --map). */
int imap_vmap_parse_stage(struct imap_vmap *vm, const char *spec, struct lerr *err);
int imap_vmap_parse_status(struct imap_vmap *vm, const char *spec, struct lerr *err);

struct imap_value {
	int stage;          /* index into the stages, -1 = no stage */
	const char *status; /* a lead_statuses[] string, NULL = none */
	bool literal;       /* the value was our own status or stage name/key */
};

enum imap_vres {
	IMAP_V_EMPTY,   /* empty value */
	IMAP_V_OK,      /* known (out may still be "no stage, no status") */
	IMAP_V_UNKNOWN, /* not in any vocabulary: warn, or reject with --strict */
};

/*
 * Look a value up (matched ignoring case, spaces, '_' and '-', so
 * "IN_PROGRESS" = "In Progress"): user pairs, the preset's vocabulary,
 * our own statuses and the stage names/keys, then a small generic
 * vocabulary (won, lost, qualified, ...).
 */
enum imap_vres imap_vmap_resolve(const struct imap_vmap *vm, const char *value,
                                 struct imap_value *out);

/* ---- Rows ------------------------------------------------------------ */

struct imap_warn {
	int unknown;   /* values no vocabulary knows (kept in extra) */
	int bad_value; /* numbers, money, dates, emails that did not parse (kept in extra) */
	char msg[256]; /* the first warning: "column 'Status': unknown value 'Hot'" */
	/* the first email cell that holds no address (into the row's cells:
	 * valid until the next record), NULL if none; the email is left empty */
	const char *bad_email;
	size_t bad_email_len;
};

/*
 * Check a record's shape against the header: it must have every header
 * column; cells beyond them (trailing empty columns) and the skipped
 * leading cells must be empty. EX_DATAERR "expected 9 fields, got 7" /
 * "field 12 has a value but no column header".
 */
int imap_row_shape(const struct imap *m, const char *const *cells, size_t n, struct lerr *err);

/*
 * Fill l (lead_init'ed by the caller) from one record: text fields
 * trimmed; full names split; money, integers and times parsed (a time
 * column uses its `date` format); stage/status columns resolved through
 * vm (NULL: taken literally); custom fields gathered into l->t[LT_EXTRA]
 * (a JSON object, NULL when there are none; empty values are left out).
 * With several stage/status columns (HubSpot lifecycle stage and lead
 * status), the stage furthest along wins (a won/lost stage over an
 * active one; between two won/lost ones the first), the status of the
 * first column that gives one wins. ext_source is the preset's name for
 * a vendor preset. A vendor value that did not resolve to our own
 * status or stage name is also kept in extra under its column name.
 * The email is checked and normalised here (lead_email_canon): a cell
 * with no address leaves it empty, the text in extra, and a warning.
 * Returns 0, or EX_DATAERR (reject the row; err says why) for a bad
 * shape; l may then be partly filled (lead_free it). Warnings
 * accumulate in w (may be NULL); w->msg keeps the first one.
 */
int imap_row(const struct imap *m, const struct imap_vmap *vm, const char *const *cells, size_t n,
             struct lead *l, struct imap_warn *w, struct lerr *err);

/* Split "Ana María Gómez" -> "Ana María" + "Gómez", "Gómez, Ana" ->
 * "Ana" + "Gómez", one word -> first name. Outputs malloc'd, maybe "". */
void imap_split_name(const char *full, char **first, char **last);

/* ---- The extra JSON object ------------------------------------------ */

/* Append s as a JSON string literal with quotes: ", \ and control
 * characters escaped, invalid UTF-8 bytes replaced by U+FFFD. */
void imap_json_string(struct sb *out, const char *s);
/* {"k1":"v1",...} of n pairs, in order; "{}" when n is 0. */
char *imap_extra_json(const char *const *keys, const char *const *vals, size_t n);

#endif
