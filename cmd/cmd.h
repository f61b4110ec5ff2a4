/*
 * cmd.h - what every command file (cmd/<name>.c) sees: the context main()
 * prepares, the declarative option spec, and small printing helpers.
 *
 * A command is one `struct cmd` row in cmd/leads.c plus one function
 * `int cmd_NAME(struct ctx *c, struct args *a)` that returns an exit code.
 * Options are data: the same table drives parsing, `-h`, `leads help`, and
 * shell completion (`leads __complete`), so they cannot drift apart.
 */
#ifndef LEADS_CMD_H
#define LEADS_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "db.h"
#include "hooks.h"
#include "lead.h"
#include "lifecycle.h"
#include "out.h"
#include "util.h"

#define MAX_OPTS 48

enum opt_flags {
	OPT_MULTI = 1 << 0, /* may repeat; all values kept in order */
};

/* What completion offers for an option's argument or a positional. */
enum opt_complete {
	COMP_NONE,
	COMP_FILE,
	COMP_STAGE,
	COMP_STATUS,
	COMP_MEMBER,
	COMP_FORMAT,
	COMP_FIELD,
	COMP_ACTIVITY,
	COMP_TEMPLATE,
	COMP_PRIORITY,
	COMP_WORDS, /* the words listed in opt.words */
};

struct opt {
	const char *lng; /* "next" for --next */
	char shrt;       /* 'n' for -n, or 0 */
	const char *arg; /* metavar ("STAGE") or NULL for a flag */
	const char *help;
	int flags;
	enum opt_complete comp;
	const char *words; /* COMP_WORDS: space-separated */
};

struct args {
	int argc; /* positional arguments after the options */
	char **argv;
	const char *val[MAX_OPTS]; /* last value (or "1" for a flag), NULL if absent */
	int count[MAX_OPTS];
	const char **multi[MAX_OPTS]; /* OPT_MULTI: every value */
};

struct ctx;

enum cmd_needs {
	NEED_CONFIG = 1 << 0,    /* load the config (error -> 78) */
	NEED_DB = 1 << 1,        /* open the database read-only */
	NEED_WRITE = 1 << 2,     /* open read-write (create if missing) in one transaction */
	NEED_RW = 1 << 3,        /* open read-write; the command runs its own transactions */
	NEED_NO_CREATE = 1 << 4, /* with WRITE/RW: the database must exist already */
};

struct cmd {
	const char *name;
	const char *alias;
	int (*fn)(struct ctx *c, struct args *a);
	int needs;
	int min_args, max_args; /* positional arity; max -1 = any */
	const char *usage;      /* after "leads NAME " */
	const char *summary;    /* one line for `leads help` */
	const char *description;
	const struct opt *opts; /* terminated by a zero row */
	enum opt_complete args_comp;
};

struct ctx {
	const struct cmd *cmd;
	const char *db_path;
	const char *config_path; /* NULL: the built-in default */
	struct config *cfg;
	struct db *db;
	enum out_format fmt;
	bool fmt_given;
	int out_flags;
	int64_t now;
	bool quiet;
	int verbose;
	bool tty_err;      /* stderr is a terminal: progress bars */
	int term_cols;     /* stdout is a terminal this wide: tables fit it; else 0 */
	bool no_pager;     /* --no-pager */
	const char *actor; /* who is acting: $LEADS_USER, else $USER */
	bool no_route;     /* leave owners alone (add/import --no-route) */
	bool no_events;    /* run no workflows (--no-events) */
	bool local;        /* --local: machine formats in the user's zone, not UTC */
	struct tz *tz;     /* the user's zone, see user_tz(); owned */
	struct lerr err;
};

/* Print "leads CMD: message" to stderr; returns code. */
int fail(struct ctx *c, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* The message of the last fail() ("" before any), for a caller that keeps it. */
const char *fail_last(void);
/* Report c->err (as filled by lib) and return its code. */
int fail_err(struct ctx *c);
/* A note on stderr unless -q. */
void note(struct ctx *c, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* A usage error: the message, then "usage: ..." ; returns 64. */
int usage_error(struct ctx *c, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* The config's ownership rule for the database file: a warning on stderr
 * (unless -q) when another user owns it or others may write to it. */
void warn_db_file(struct ctx *c, const char *path);

/*
 * Parse an option value as a time a person typed (lib/when.h: ISO 8601,
 * local without an offset; now, today, tomorrow, monday, +2d, in 3h ...) or
 * a bare duration ago ("30d"). A day alone is its start.
 */
bool parse_when(struct ctx *c, const char *s, int64_t *out);
/* The same for a due time: a bare duration is from now, a day alone its end. */
bool parse_due(struct ctx *c, const char *s, int64_t *out);

/*
 * The user's time zone: the config's `timezone:`, else $TZ, else the
 * system zone (/etc/localtime), else UTC. Loaded once; never NULL.
 */
const struct tz *user_tz(struct ctx *c);
/*
 * A time for output: "2026-12-06 10:00" local in a table; ISO 8601 with
 * its offset in machine formats (UTC, or the user's zone with --local).
 * buf of LTIME_BUFSZ bytes.
 */
/* A row id as typed: 12 or #12, positive. */
bool parse_row_id(const char *s, int64_t *id);
const char *fmt_time(struct ctx *c, int64_t t, char *buf);
/* A time for a message: "2026-12-06 10:00 -03:00" (buf of LTIME_BUFSZ). */
const char *fmt_time_msg(struct ctx *c, int64_t t, char *buf);

/*
 * Who "me" is for --mine: $LEADS_USER (a team name or email), else the team
 * member whose name or email is $USER, else the one whose email is git's
 * user.email. Without a team, $LEADS_USER or $USER as it is. NULL when the
 * team has nobody that matches; *why then says what was tried.
 */
const char *my_name(struct ctx *c, char *why, size_t n);

/*
 * A value typed for a named set (stages, owners, statuses, sources): an
 * exact case-insensitive match, else the one name it is a prefix of. Else
 * exit 64 after "unknown WHAT 'x'; did you mean 'y'?" (edit distance) or
 * "'x' is ambiguous for WHAT: a, b". names[i] may be NULL (skipped);
 * ids[i] (or i when ids is NULL) says which thing name i stands for, so a
 * stage's name and key count once. *out = that id.
 */
int pick(struct ctx *c, const char *what, const char *s, const char *const *names, const int *ids,
         size_t n, int *out);
/* Stage by name, key or unique prefix; 64 with a suggestion. */
int pick_stage(struct ctx *c, const char *s, const struct stage **out);
/* Team member by name, email or unique prefix; without a team, an owner
 * the leads have (for filters). */
int pick_owner(struct ctx *c, const char *s, const char **out);
/* A lead status (new, active, inactive, unqualified) or unique prefix. */
int pick_status(struct ctx *c, const char *s, const char **out);
/* A source the leads have (sources are not configured); 64 when none has it. */
int pick_source(struct ctx *c, const char *s, char **out);

/* The emitter for this command's data output. */
struct out *ctx_out(struct ctx *c);

/* Find a lead by id or email; on failure prints the error, returns code. */
int find_lead(struct ctx *c, const char *ref, struct lead *l);
/* End the command's transaction: rolled back on rc (returned), else
 * committed (a failed commit is reported and its code returned). */
int tx_end(struct ctx *c, int rc);

/* The lifecycle context of this command (lib/lifecycle.h). */
struct lc ctx_lc(struct ctx *c);

/* Record one history event on lead l now, by the actor. */
int record(struct ctx *c, const struct lead *l, const char *kind, const char *from, const char *to,
           const char *data);

/* The stage of a lead as shown: config name, or "<key> (not in config)". */
const char *stage_label(struct ctx *c, const char *key, char *buf, size_t n);

/* Mark a lead changed (and, with activity, acted on by a person) at c->now. */
void lead_touch(struct ctx *c, struct lead *l, bool activity);
/*
 * An action by a person (note, call, move, step, edit): restarts the idle
 * clocks and makes a new or inactive lead active (recorded in history).
 */
int lead_action(struct ctx *c, struct lead *l);
/* Run the engines (route, score, workflows) for one event on l. */
int run_hook(struct ctx *c, struct lead *l, enum hook_kind kind, const char *detail);
/* out = {"key": value} as JSON (empty when value is NULL); returns 1 if set. */
int json_obj1(struct sb *out, const char *key, const char *value);

/*
 * add.c, shared with `leads intake --drain`: read a JSON object of fields
 * into l (the --json rules: aliases, a full "name" split, the validator;
 * what names the input in messages; *stage the "stage" given, or NULL),
 * and create l in stage_name (NULL: the first) with what follows
 * (history, routing, workflows, the assignment mail).
 */
int add_json_fields(struct ctx *c, struct lead *l, const char *text, const char *what,
                    char **stage);
int add_create(struct ctx *c, struct lead *l, const char *stage_name);
/*
 * intake.c, for the sweep: import the spool into the open database, one
 * transaction a file, each file removed after its commit, a bad one moved
 * to failed/. A missing spool directory is no error with quiet_missing.
 */
int intake_drain(struct ctx *c, bool quiet_missing, int64_t *imported, int64_t *failed);

/* Commands */
int cmd_init(struct ctx *c, struct args *a);
int cmd_add(struct ctx *c, struct args *a);
int cmd_list(struct ctx *c, struct args *a);
int cmd_show(struct ctx *c, struct args *a);
int cmd_move(struct ctx *c, struct args *a);
int cmd_status(struct ctx *c, struct args *a);
int cmd_note(struct ctx *c, struct args *a);
int cmd_log(struct ctx *c, struct args *a);
int cmd_edit(struct ctx *c, struct args *a);
int cmd_step(struct ctx *c, struct args *a);
int cmd_export(struct ctx *c, struct args *a);
int cmd_config(struct ctx *c, struct args *a);
int cmd_import(struct ctx *c, struct args *a);
int cmd_route(struct ctx *c, struct args *a);
int cmd_score(struct ctx *c, struct args *a);
int cmd_task(struct ctx *c, struct args *a);
int cmd_outbox(struct ctx *c, struct args *a);
int cmd_sequence(struct ctx *c, struct args *a);
int cmd_sweep(struct ctx *c, struct args *a);
int cmd_funnel(struct ctx *c, struct args *a);
int cmd_report(struct ctx *c, struct args *a);
int cmd_db(struct ctx *c, struct args *a);
int cmd_merge(struct ctx *c, struct args *a);
int cmd_intake(struct ctx *c, struct args *a);

extern const struct opt opts_init[], opts_add[], opts_list[], opts_show[], opts_move[],
    opts_status[], opts_note[], opts_log[], opts_edit[], opts_step[], opts_export[], opts_config[],
    opts_import[];
extern const struct opt opts_route[], opts_score[];
extern const struct opt opts_task[], opts_outbox[], opts_sweep[];
extern const struct opt opts_sequence[];
extern const struct opt opts_funnel[], opts_report[];
extern const struct opt opts_db[];
extern const struct opt opts_merge[];
extern const struct opt opts_intake[];

#endif
