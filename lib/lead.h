/*
 * lead.h - a lead and the one table of its fields.
 *
 * lead_fields[] is the single description of what a lead has: the
 * database columns, `add --FIELD` / `edit --field NAME=`, `list`/`export`
 * columns, the `leads` import preset and the condition language all use
 * it, so a field added here appears everywhere at once.
 */
#ifndef LEADS_LEAD_H
#define LEADS_LEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Text fields, stored as TEXT columns of the same name (NULL = empty). */
enum lead_text {
	LT_EMAIL,
	LT_FIRST_NAME,
	LT_LAST_NAME,
	LT_PHONE,
	LT_COMPANY,
	LT_TITLE,
	LT_WEBSITE,
	LT_INDUSTRY,
	LT_CITY,
	LT_STATE,
	LT_COUNTRY,
	LT_SOURCE,
	LT_OWNER,
	LT_STAGE, /* stage key */
	LT_STEP,
	LT_STATUS,
	LT_PRIORITY,
	LT_CATEGORY,
	LT_EXT_SOURCE,    /* CRM the lead came from: salesforce, hubspot, ... */
	LT_EXT_ID,        /* its id there */
	LT_EXTRA,         /* JSON object of custom fields */
	LT_ASSIGNED_RULE, /* routing rule that assigned the owner */
	LT_IMPORT_OWNER,  /* the owner a bulk import routed it to (history) */
	LT_IMPORT_RULE,   /* and by which rule */
	LT_CLOSE_DATE,    /* expected close, "YYYY-MM-DD" (forecast) */
	LT__COUNT
};

/* Integer fields: times are epoch seconds, value is in cents. */
enum lead_int {
	LI_ID,
	LI_SCORE,
	LI_VALUE,
	LI_CREATED_AT,
	LI_UPDATED_AT,
	LI_LAST_ACTIVITY_AT,
	LI_STAGE_ENTERED_AT,
	LI_ASSIGNED_AT,
	LI_IMPORT_BATCH,
	LI_SOURCE_LINE, /* line of the import file it came from */
	LI_REACHED_POS, /* furthest pipeline position ever reached (funnel) */
	LI__COUNT
};

struct lead {
	char *t[LT__COUNT];
	int64_t i[LI__COUNT];
	bool has[LI__COUNT]; /* integer field set (value may be absent) */
};

enum field_kind { FK_TEXT, FK_INT, FK_TIME, FK_MONEY };

enum field_flags {
	FF_EDIT = 1 << 0,   /* settable with add/edit --field */
	FF_EXPORT = 1 << 1, /* a column of `leads export` (and the leads preset) */
	FF_LIST = 1 << 2,   /* a default column of `leads list` */
	FF_SEARCH = 1 << 3, /* searched by `list --search` */
};

struct field_desc {
	const char *name; /* column / field name */
	enum field_kind kind;
	int idx; /* index into t[] (FK_TEXT) or i[] (the others) */
	int flags;
	const char *help;
};

extern const struct field_desc lead_fields[];
extern const int lead_nfields;

/* Find a field by name (case-insensitive, '-' equals '_'); NULL if none. */
const struct field_desc *lead_field(const char *name);

void lead_init(struct lead *l);
void lead_free(struct lead *l);
/* Set a text field (copying v; NULL or "" clears it). */
void lead_set(struct lead *l, enum lead_text f, const char *v);
void lead_set_int(struct lead *l, enum lead_int f, int64_t v);
const char *lead_get(const struct lead *l, enum lead_text f); /* never NULL */

/* Display name: "First Last", else company, else email, else "#id". */
void lead_display_name(const struct lead *l, char *buf, size_t n);

/*
 * Normalise an email: trim, lower-case; false if it does not look like an
 * address (one '@', non-empty local part and a dotted domain, no spaces).
 */
bool lead_email_normalize(const char *in, char **out);
/* The same in place (the result is never longer). Unicode spaces and
 * invisible characters go first, and "Name <addr>" gives the address. */
bool lead_email_canon(char *s);
/*
 * An email cell as people and vendors write it: "ana@x.com", "Ana Lima
 * <ana@x.com>", "\"Lima, Ana\" <ana@x.com>", or several addresses split by
 * commas, semicolons or spaces (Pipedrive). *addr: the first, canonical;
 * *name: its display name or NULL; *rest: the others, canonical where they
 * read as addresses, ", "-joined, or NULL. false (all NULL) if the first
 * item is not an address.
 */
bool lead_email_split(const char *in, char **addr, char **name, char **rest);
/*
 * In place: Unicode spaces (NBSP, U+2000-200A, U+202F, U+3000...) become
 * ' ', zero-width and format characters (ZWSP, ZWJ, bidi marks, a stray
 * BOM, the soft hyphen) go. Returns the new length.
 */
size_t lead_text_clean(char *s);

/*
 * The largest amount a lead's value may hold, in cents (one trillion, either
 * sign): beyond any deal, and far enough below 2^63 that 92,000 leads at
 * the bound still sum in 64 bits (the funnel refuses a sum that does not).
 */
#define LEAD_MONEY_MAX      INT64_C(100000000000000)
#define LEAD_MONEY_MAX_TEXT "1,000,000,000,000"
/* Money "12000", "12,000.50", "$1,200" -> cents; false on junk or beyond
 * LEAD_MONEY_MAX. */
bool lead_money_parse(const char *s, int64_t *cents);
/* cents -> "12000" or "12000.50" (buf >= 32). */
void lead_money_fmt(int64_t cents, char *buf);

/*
 * A calendar date "YYYY-MM-DD" (a real day, year 1000-9999): the form
 * close_date is stored in. True and the day count since 1970-01-01 in *days
 * (may be NULL) when s is one.
 */
bool lead_date_ok(const char *s, int64_t *days);

/* Statuses: new, active, inactive, unqualified. */
extern const char *const lead_statuses[];
bool lead_status_ok(const char *s);

#endif
