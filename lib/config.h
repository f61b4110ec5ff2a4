/*
 * config.h - the typed configuration: pipeline, statuses, team, and the
 * sections later parts fill in (routing, scoring, workflows, business
 * hours, mail, import).
 *
 * config_load() reads YAML with libyaml and reports every problem found as
 * a diagnostic "file:line:col: message" followed by the source line and a
 * caret. With no file, config_default() gives the built-in full sales
 * cycle, so a new user needs no config at all. leads-config(5) describes
 * the file.
 *
 * Diagnostics: "file:line:col: message", then the source line and a
 * caret; a problem of the whole file is "file: message". The text carries
 * no severity: the caller says "error"/"warning" from diag.warning.
 */
#ifndef LEADS_CONFIG_H
#define LEADS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ltime.h"
#include "util.h"

enum stage_group { GRP_ACTIVE, GRP_WON, GRP_LOST };

struct stage {
	char *key;  /* stable id kept in the database; `key:` or slug of name */
	char *name; /* display name, may be renamed freely while key stays */
	enum stage_group grp;
	char **steps; /* finer progress markers inside the stage */
	size_t nsteps;
	struct ldur remind_after; /* zero = no reminders */
	struct ldur repeat;       /* zero = remind once */
	int escalate_after;       /* 0 = never copy the manager */
	int probability;          /* win probability in basis points (0-10000), -1 = not set */
	int line;                 /* where it was defined, 0 for built-in */
};

struct member {
	char *name;
	char *email;
	char *role; /* "rep" (default) or "manager" */
	char **groups;
	size_t ngroups;
	int weight;   /* round-robin weight, default 1 */
	int capacity; /* max open leads, 0 = unlimited */
	bool away;
};

/* One diagnostic from loading. */
struct config_diag {
	char *text; /* "file:line:col: message\n  the line\n       ^" */
	bool warning;
	int line, col; /* 1-based; 0 for a problem of the whole file */
};

/* Sections other modules own hang off these opaque pointers. */
struct tz;
struct rules_config;    /* routing + scoring, lib/rules.h */
struct workflow_config; /* workflows + business hours, lib/workflow.h */

struct config {
	char *path; /* NULL for the built-in default */
	struct stage *stages;
	size_t nstages;
	char **priorities; /* default low, normal, high, urgent */
	size_t npriorities;
	char *default_priority; /* default "normal" */
	char **categories;      /* empty = any category allowed */
	size_t ncategories;
	struct ldur inactive_after; /* default 30d */
	struct member *team;
	size_t nteam;

	/* the user's time zone (`timezone:`); NULL when the file has none */
	char *timezone;
	struct tz *tz;

	/* `alias: {name: "command words"}`, in file order */
	char **alias_names;
	char **alias_values;
	size_t naliases;

	/* mail: */
	char *mail_from;     /* default "leads <leads@localhost>" */
	char *mail_sendmail; /* default "/usr/sbin/sendmail -t -i" */
	char *mail_maildir;  /* replies and bounces (lib/maildir.h), or NULL */

	/* Filled in by the modules that own them; NULL when absent. */
	struct rules_config *rules;
	struct workflow_config *workflow;
	struct import_config *import;       /* lib/import.c */
	struct lifecycle_config *lifecycle; /* lib/lifecycle.c */
	struct intake_config *intake;       /* lib/intake.c */
	struct seq_config *sequences;       /* lib/sequence.c */

	/* Everything found while loading, errors and warnings, by position. */
	struct config_diag *diags;
	size_t ndiags;
	size_t nerrors;
};

/*
 * Sections other modules parse: routing, scoring, workflows,
 * business_hours and import are reserved; a module registers its parser
 * before the first config_load(). A reserved section found in a file with
 * no registered parser is an error ("section 'routing' is not supported by
 * this build").
 *
 * Parsers run after the core sections (pipeline, team, ...) whatever the
 * order in the file, so they can resolve team members and stages with
 * config_ref_member() / config_ref_stage(); and in this order:
 * business_hours, routing, scoring, workflows, import, then any other
 * registered key. A parser reports through ly_error() (lib/lyaml.h; all
 * problems, not only the first), copies what it keeps (nodes die with the
 * context) and hangs its result on cfg (cfg->rules, cfg->workflow).
 * `write` appends the section as YAML for config_write_yaml() ("routing:\n
 * ..."), `release` frees what parse hung on cfg; both may be NULL. One
 * release function registered for several sections is called once.
 * A key "mail.NAME" registers a subsection NAME inside the core section
 * mail (mail.templates); its parser gets that value and its writer
 * appends indented lines ("  templates:\n ...") right after mail's own.
 */
struct yaml_ctx;    /* lib/lyaml.h */
struct yaml_node_s; /* libyaml's yaml_node_t */
typedef int (*config_parse_fn)(struct yaml_ctx *y, struct yaml_node_s *node, struct config *cfg);
typedef void (*config_write_fn)(const struct config *cfg, struct sb *out);
typedef void (*config_release_fn)(struct config *cfg);
/* 0, or -1 if key is a core section or the table (16) is full. */
int config_register_section(const char *key, config_parse_fn parse, config_write_fn write,
                            config_release_fn release);

/*
 * For section parsers: the team member (name or email) or stage (name or
 * key) a scalar node names. NULL after reporting "unknown team member
 * 'bob' (team: ana, ben)" at the node, or a type error.
 */
const struct member *config_ref_member(struct yaml_ctx *y, struct yaml_node_s *node,
                                       const struct config *cfg);
const struct stage *config_ref_stage(struct yaml_ctx *y, struct yaml_node_s *node,
                                     const struct config *cfg);

/* The built-in full sales cycle. Never fails. */
struct config *config_default(void);

/*
 * Load path. Returns the config (also when it has errors, so that
 * `config check` can list them all) or NULL if the file cannot be read
 * (err filled, EX_NOINPUT / EX_IOERR). The caller checks cfg->nerrors.
 */
struct config *config_load(const char *path, struct lerr *err);
/* The same for YAML text in memory (tests, templates); name is used in
 * messages. Never NULL. */
struct config *config_load_mem(const char *name, const char *text, size_t len);
void config_free(struct config *cfg);

/* Write the effective config as YAML that config_load reads back. */
void config_write_yaml(const struct config *cfg, struct sb *out);

/* Stage lookup by name or key, case-insensitive; NULL if none. */
const struct stage *config_stage(const struct config *cfg, const char *name);
/* Index of the stage in the pipeline order, -1 if none. */
int config_stage_pos(const struct config *cfg, const char *key);
/* First stage of the pipeline (where new leads start). */
const struct stage *config_first_stage(const struct config *cfg);
const char *stage_group_name(enum stage_group g);

/* Team lookup by name or email, case-insensitive; NULL if none. */
const struct member *config_member(const struct config *cfg, const char *name);

/* The words an alias stands for, or NULL when there is no such alias. */
const char *config_alias(const struct config *cfg, const char *name);

/* Priority check (case-insensitive), returns the canonical spelling. */
const char *config_priority(const struct config *cfg, const char *p);
/* Category check: any value when no categories are configured. */
bool config_category_ok(const struct config *cfg, const char *c);

/* Slug for a stage key: "Appointment Set" -> "appointment-set". */
char *config_slug(const char *name);

/* The starter templates `leads init --template` writes (examples/). */
const char *config_template(const char *name); /* YAML text or NULL */
extern const char *const config_template_names[];

#endif
