/*
 * fields.h - options and helpers shared by the commands that set lead
 * fields (add, edit) and those that filter leads (list, export).
 */
#ifndef LEADS_FIELDS_H
#define LEADS_FIELDS_H

#include "cmd.h"

/* The direct field options of add and edit, first in both option tables. */
#define FIELD_OPTS                                                                                  \
	{ "email", 'e', "ADDR", "email address (unique, case-insensitive)", 0, COMP_NONE, NULL },   \
	    { "first", 0, "NAME", "first name", 0, COMP_NONE, NULL },                               \
	    { "last", 0, "NAME", "last name", 0, COMP_NONE, NULL },                                 \
	    { "phone", 0, "PHONE", "phone number", 0, COMP_NONE, NULL },                            \
	    { "company", 0, "NAME", "company", 0, COMP_NONE, NULL },                                \
	    { "title", 0, "TITLE", "job title", 0, COMP_NONE, NULL },                               \
	    { "source", 0, "SOURCE", "lead source (web, referral, ...)", 0, COMP_NONE, NULL },      \
	    { "owner", 'o', "MEMBER", "owning team member", 0, COMP_MEMBER, NULL },                 \
	    { "priority", 'p',           "PRIO", "priority (low, normal, high, urgent)",            \
	      0,          COMP_PRIORITY, NULL },                                                    \
	    { "category", 0, "CAT", "category", 0, COMP_NONE, NULL },                               \
	    { "value", 0, "AMOUNT", "expected deal value (12000, 12,000.50)", 0, COMP_NONE, NULL }, \
	{                                                                                           \
		"field", 'f', "NAME=VALUE", "set any field, or a custom field", OPT_MULTI,          \
		    COMP_FIELD, NULL                                                                \
	}
#define NFIELD_OPTS 12
/* The lead field each of the first NFIELD_OPTS - 1 options sets. */
extern const char *const field_opt_names[NFIELD_OPTS - 1];

/*
 * Set field NAME of l to VALUE after validating it against the config
 * (email syntax, team members, priorities, categories, money). Unknown
 * names become custom fields in `extra`. An empty value clears. If l is
 * stored already (has an id), a changed value is recorded in history.
 * Returns 0 or an exit code (message printed).
 */
int set_field(struct ctx *c, struct lead *l, const char *name, const char *value);
/* Apply the FIELD_OPTS found in a. */
int set_fields_from_args(struct ctx *c, struct lead *l, struct args *a);
/* "Ana Lima <ana@example.com>" names a lead that has no name yet (add,
 * edit, --json; import does the same in lib/imap.c). */
int name_from_email(struct ctx *c, struct lead *l, const char *email);

/* Filters shared by list and export. */
#define FILTER_OPTS                                                                                \
	{                                                                                          \
		"stage",   's',        "STAGE", "only leads in STAGE (repeatable)",                \
		OPT_MULTI, COMP_STAGE, NULL                                                        \
	},                                                                                         \
	    { "group", 'g',        "GROUP",          "only leads in stages of GROUP",              \
	      0,       COMP_WORDS, "active won lost" },                                            \
	    { "status", 0, "STATUS", "only leads with STATUS", 0, COMP_STATUS, NULL },             \
	    { "owner", 'o',         "MEMBER", "only leads owned by MEMBER ('none': unassigned)",   \
	      0,       COMP_MEMBER, NULL },                                                        \
	    { "source", 0, "SOURCE", "only leads from SOURCE", 0, COMP_NONE, NULL },               \
	    { "since", 0,         "WHEN", "created at or after WHEN (date or duration ago: 30d)",  \
	      0,       COMP_NONE, NULL },                                                          \
	    { "until", 0, "WHEN", "created before WHEN", 0, COMP_NONE, NULL },                     \
	    { "active-since", 0, "WHEN", "last activity at or after WHEN", 0, COMP_NONE, NULL },   \
	    { "idle", 0, "DURATION", "no activity for at least DURATION", 0, COMP_NONE, NULL },    \
	    { "search", 'S',       "TEXT", "TEXT in name, email, company, phone or title",         \
	      0,        COMP_NONE, NULL },                                                         \
	    { "min-score", 0, "N", "score at least N", 0, COMP_NONE, NULL },                       \
	    { "sort",  0,                                                                          \
	      "FIELD", "sort by FIELD (default id); priority, stage and name by meaning",          \
	      0,       COMP_FIELD,                                                                 \
	      NULL },                                                                              \
	    { "reverse", 'r', NULL, "reverse the order", 0, COMP_NONE, NULL },                     \
	    { "limit", 'n', "N", "at most N leads", 0, COMP_NONE, NULL },                          \
	{                                                                                          \
		"mine", 0, NULL, "only my leads ($LEADS_USER, $USER or git's user.email)", 0,      \
		    COMP_NONE, NULL                                                                \
	}
#define NFILTER_OPTS 15

/* Build a filter from the FILTER_OPTS starting at option index first. */
int filter_from_args(struct ctx *c, struct args *a, int first, struct lead_filter *f,
                     char **stages_json);

/* Read a whole stream (bounded), for --json and friends. */
int read_all(struct ctx *c, FILE *fp, const char *name, size_t max, char **out);

#endif
