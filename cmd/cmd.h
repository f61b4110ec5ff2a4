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
	struct lerr err;
};

/* Print "leads CMD: message" to stderr; returns code. */
int fail(struct ctx *c, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* Report c->err (as filled by lib) and return its code. */
int fail_err(struct ctx *c);
/* A note on stderr unless -q. */
void note(struct ctx *c, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* A usage error: the message, then "usage: ..." ; returns 64. */
int usage_error(struct ctx *c, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* The config's ownership rule for the database file: a warning on stderr
 * (unless -q) when another user owns it or others may write to it. */
void warn_db_file(struct ctx *c, const char *path);

/* Parse an option value as a time (ISO 8601) or a duration ago ("30d"). */
bool parse_when(struct ctx *c, const char *s, int64_t *out);

/* The emitter for this command's data output. */
struct out *ctx_out(struct ctx *c);

/* Find a lead by id or email; on failure prints the error, returns code. */
int find_lead(struct ctx *c, const char *ref, struct lead *l);

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

extern const struct opt opts_init[], opts_add[], opts_list[], opts_show[], opts_move[],
    opts_status[], opts_note[], opts_log[], opts_edit[], opts_step[], opts_export[], opts_config[],
    opts_import[];
extern const struct opt opts_route[], opts_score[];
extern const struct opt opts_task[], opts_outbox[], opts_sweep[];
extern const struct opt opts_sequence[];
extern const struct opt opts_funnel[], opts_report[];
extern const struct opt opts_db[];

#endif
