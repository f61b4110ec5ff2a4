/*
 * leads.c - main: global options, the command table, dispatch.
 *
 * Adding a command is one file in cmd/ and one row in commands[] below.
 * The row says what the command needs (config, database, a write
 * transaction) and main() prepares exactly that, so commands only do
 * their own work.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "cmd.h"
#include "ltime.h"
#include "pager.h"
#include "tz.h"

static int cmd_help(struct ctx *c, struct args *a);
static int cmd_complete(struct ctx *c, struct args *a);
static const struct opt opts_none[] = { { 0 } };

#define STATUS_WORDS "new active inactive unqualified"

/* Sorted by name; `leads help` lists them in this order. */
static const struct cmd commands[] = {
	{ "__complete", NULL, cmd_complete, 0, 0, -1, "WORDS...", NULL, NULL, opts_none,
	  COMP_NONE },
	{ "add", NULL, cmd_add, NEED_CONFIG | NEED_WRITE, 0, 0,
	  "[--email ADDR] [--first NAME] [--last NAME] [OPTIONS] | --json", "add a lead",
	  "Add one lead from options, or from one JSON object on standard input with --json\n"
	  "(what a web form script posts). Prints the new lead's id.",
	  opts_add, COMP_NONE },
	{ "config", NULL, cmd_config, 0, 1, 1, "check|show|graph [--svg FILE]",
	  "check, print or draw the configuration",
	  "check: load the config and report every problem found (exit 1 if any), and\n"
	  "warn about leads in stages the config no longer has.\n"
	  "show: print the effective config (the file, or the built-in default) as YAML.\n"
	  "graph: the pipeline (with the moves leads made), routing and workflows as\n"
	  "Graphviz DOT; --svg FILE renders it with dot (apt-get install graphviz).",
	  opts_config, COMP_WORDS },
	{ "db", NULL, cmd_db, 0, 1, 1, "copy --from SRC --to DST [--force]",
	  "copy a whole database (file or PostgreSQL)",
	  "copy: copy every lead, event, stay, task, outbox message, import batch, stage,\n"
	  "score and state value from SRC to DST, ids and all, in one transaction on DST;\n"
	  "then read both back and compare each table's row count and checksum. SRC and\n"
	  "DST are database files or PostgreSQL URIs, either way round. DST is created if\n"
	  "missing and must be empty unless --force, which replaces what it holds.",
	  opts_db, COMP_WORDS },
	{ "edit", NULL, cmd_edit, NEED_CONFIG | NEED_WRITE | NEED_NO_CREATE, 1, 1,
	  "LEAD [--FIELD VALUE]... [--field NAME=VALUE]... [--do-not-email|--email-ok]",
	  "change a lead's fields",
	  "Change fields, owner, priority, category or value. Every change is recorded\n"
	  "in the lead's history. An empty value clears a field. --do-not-email: no mail\n"
	  "goes to the lead any more (its sequences stop); --email-ok allows it again.",
	  opts_edit, COMP_NONE },
	{ "export", NULL, cmd_export, NEED_CONFIG | NEED_DB, 0, 0, "[FILTERS] [-O FILE]",
	  "export leads as CSV or JSON",
	  "Write all (or the filtered) leads with stable columns, the ones `leads import`\n"
	  "reads back without loss. CSV unless --format says otherwise.",
	  opts_export, COMP_NONE },
	{ "funnel", NULL, cmd_funnel, NEED_CONFIG | NEED_DB, 0, 0,
	  "[FILTERS] [--by owner|source|month] [--svg FILE] | --stage STAGE [--current]",
	  "show the pipeline funnel",
	  "Per stage of the pipeline: leads in it now, leads that ever reached it, conversion\n"
	  "from the previous stage and from the top, drop-off, summed value and the median\n"
	  "and mean time spent in it; won, lost and the win rate. --stage lists the leads\n"
	  "behind a stage's number.",
	  opts_funnel, COMP_NONE },
	{ "help", NULL, cmd_help, 0, 0, 1, "[COMMAND]", "show help for leads or a command", NULL,
	  opts_none, COMP_NONE },
	{ "import", NULL, cmd_import, NEED_CONFIG, 0, 1,
	  "FILE|- [--preset NAME] [--map COL=FIELD] [--dry-run] [--rejects FILE] | --list | "
	  "--revert BATCH",
	  "import leads from a CSV export",
	  "Import a CSV export of Salesforce, HubSpot, Zoho, Pipedrive, SuiteCRM, Close or\n"
	  "leads itself, in one transaction: all rows or none. The preset and each date\n"
	  "column's format are detected; rows that cannot be imported are reported (and\n"
	  "written to --rejects FILE), duplicates are skipped or updated.",
	  opts_import, COMP_FILE },
	{ "intake", NULL, cmd_intake, NEED_CONFIG, 0, 0, "| --drain | --pixel-url ID",
	  "take a web form's lead (CGI), or import those taken",
	  "As a CGI program (REQUEST_METHOD set by the web server): read one form\n"
	  "submission (urlencoded, multipart or JSON), validate it and write it to the\n"
	  "spool directory (intake.spool); the database is not opened. With --drain, as\n"
	  "the database's owner: import the spooled submissions (the sweep does too).",
	  opts_intake, COMP_NONE },
	{ "init", NULL, cmd_init, NEED_RW, 0, 0, "[--template NAME] [--force]",
	  "create the database (and a starter config)",
	  "Create the database file (mode 0600). With --template, also write a starter\n"
	  "config from one of the shipped templates to the config path.",
	  opts_init, COMP_NONE },
	{ "list", "ls", cmd_list, NEED_CONFIG | NEED_DB, 0, 1,
	  "[TEXT] [FILTERS] [--sort FIELD] [-n N]", "list leads",
	  "List leads, filtered by stage, group, status, owner, source, dates or text.\n"
	  "TEXT: leads whose name, company, email, phone, title, custom fields or notes\n"
	  "have words starting with each word of TEXT (a full-text index).",
	  opts_list, COMP_NONE },
	{ "log", NULL, cmd_log, NEED_CONFIG | NEED_WRITE | NEED_NO_CREATE, 2, 2,
	  "LEAD call|email|meeting|email-opened [--note TEXT] [--at TIME]", "log an activity",
	  "Record an activity with the lead. It counts as activity: the lead's idle clock\n"
	  "restarts and an inactive or new lead becomes active.",
	  opts_log, COMP_ACTIVITY },
	{ "merge", NULL, cmd_merge, NEED_CONFIG | NEED_WRITE | NEED_NO_CREATE, 2, 2,
	  "KEEP OTHER [--prefer keep|other] [--dry-run]", "merge a lead entered twice into one",
	  "One person entered twice becomes lead KEEP: fields KEEP lacks are filled from\n"
	  "OTHER (custom fields too), conflicts are listed and won by KEEP (--prefer other:\n"
	  "by OTHER), and OTHER's history, tasks, scores and mail move to KEEP. OTHER's id\n"
	  "and address keep finding KEEP. One transaction; --dry-run writes nothing.",
	  opts_merge, COMP_NONE },
	{ "move", NULL, cmd_move, NEED_CONFIG | NEED_WRITE | NEED_NO_CREATE, 1, 2,
	  "LEAD STAGE|--next|--back [--reason TEXT]", "move a lead to another stage",
	  "Move a lead to a named stage (case-insensitive), or one stage forward or back.\n"
	  "Moving into a lost stage needs --reason.",
	  opts_move, COMP_STAGE },
	{ "note", NULL, cmd_note, NEED_CONFIG | NEED_RW | NEED_NO_CREATE, 1, 2, "LEAD [TEXT|-]",
	  "add a note to a lead",
	  "Add a note to the lead's history. A note counts as activity. With - the text is\n"
	  "read from standard input; without TEXT, on a terminal, $VISUAL or $EDITOR opens.",
	  opts_note, COMP_NONE },
	{ "outbox", NULL, cmd_outbox, NEED_CONFIG | NEED_RW | NEED_NO_CREATE, 1, -1,
	  "list [--all|--failed|--sent|--unknown] | retry [ID...] | show ID",
	  "list, retry or show queued mail",
	  "list: the messages waiting to be delivered (--all: sent ones too), with their\n"
	  "state, tries and last error. retry: deliver now the messages ID..., whatever\n"
	  "their state, or every one not sent but those in state unknown (maybe sent:\n"
	  "sendmail timed out once it had the message), failed ones included (exit 1 if\n"
	  "any could not be sent). show: print message ID as it is piped to sendmail.",
	  opts_outbox, COMP_WORDS },
	{ "sequence", NULL, cmd_sequence, NEED_CONFIG | NEED_RW | NEED_NO_CREATE, 1, 3,
	  "list [LEAD] [--all] | show ID | start LEAD NAME | stop LEAD [NAME]",
	  "follow-up mail to leads: list, show, start or stop sequences",
	  "list: the sequences running on leads (--all: finished and stopped ones too),\n"
	  "with the next step and when it is due. show: one run, step by step. start: run\n"
	  "the configured sequence NAME on LEAD. stop: stop the lead's running sequences\n"
	  "(or the one named). The sweep sends the steps that are due; a reply, a logged\n"
	  "call or meeting, a stage move, status unqualified, an unsubscribe or a bounce\n"
	  "stops them. See leads-sequence(1).",
	  opts_sequence, COMP_WORDS },
	{ "report", NULL, cmd_report, NEED_CONFIG | NEED_DB, 1, 1,
	  "tasks|activity|sources|forecast [--since WHEN] [--by owner|month|stage] [--svg FILE]",
	  "manager reports: tasks, activity, sources, forecast",
	  "tasks: per rep, the tasks that came due, done on time, done late and still late,\n"
	  "with the on-time rate. activity: per rep, the calls, emails, meetings and notes\n"
	  "logged on their leads, stage moves and leads gone inactive. sources: per lead\n"
	  "source, leads, open, won, lost, win rate and average score. forecast: the open\n"
	  "pipeline by month of expected close (or --by owner, stage), weighted by each\n"
	  "stage's win probability: pipeline, best case, commit, and won to date.",
	  opts_report, COMP_WORDS },
	{ "route", NULL, cmd_route, NEED_CONFIG | NEED_RW | NEED_NO_CREATE, 0, -1,
	  "[LEAD...|--all|--unassigned] [--dry-run] [--explain]",
	  "assign owners by the routing rules",
	  "Route the given leads, every open lead (--all) or the open leads without an owner\n"
	  "(--unassigned) through the routing rules of the config, as `leads add` does for a\n"
	  "new lead. --explain shows each rule tried and why; --dry-run changes nothing, so\n"
	  "`leads -c proposal.yaml route --all --dry-run` previews a proposed rule set.",
	  opts_route, COMP_NONE },
	{ "score", NULL, cmd_score, NEED_CONFIG | NEED_RW | NEED_NO_CREATE, 0, -1,
	  "LEAD [--explain] | --recalc LEAD...|--all", "show or recompute lead scores",
	  "Show a lead's scores (--explain: every rule's contribution), or recompute and\n"
	  "store the scores of the given leads or of all leads (--recalc), firing the\n"
	  "thresholds crossed. Scores are also recomputed on every change of a lead.",
	  opts_score, COMP_NONE },
	{ "show", NULL, cmd_show, NEED_CONFIG | NEED_DB, 1, 1, "LEAD",
	  "show a lead and its history", "Show every field of a lead and its full history.",
	  opts_show, COMP_NONE },
	{ "status", NULL, cmd_status, NEED_CONFIG | NEED_WRITE | NEED_NO_CREATE, 2, 2,
	  "LEAD new|active|inactive|unqualified [--reason TEXT]", "set a lead's status",
	  "Set the status of a lead; the change is recorded in its history.", opts_status,
	  COMP_STATUS },
	{ "step", NULL, cmd_step, NEED_CONFIG | NEED_WRITE | NEED_NO_CREATE, 1, 2,
	  "LEAD STEP|--clear", "set a lead's step within its stage",
	  "Set the lead's step, one of the steps its current stage lists in the config.", opts_step,
	  COMP_NONE },
	{ "sweep", NULL, cmd_sweep, NEED_CONFIG | NEED_RW | NEED_NO_CREATE, 0, 0,
	  "[--dry-run] [--digest] [--no-deliver] [--timeout SECS]",
	  "mark idle leads, send reminders and deliver mail (for cron)",
	  "In one transaction: mark idle leads inactive, queue stage reminders, mark late\n"
	  "tasks, queue due-soon notices, re-route leads past their response deadline and,\n"
	  "with --digest, each rep's daily digest; then deliver the outbox. Running it twice\n"
	  "changes and sends nothing more. Exit 1 if a message could not be delivered.",
	  opts_sweep, COMP_NONE },
	{ "task", NULL, cmd_task, NEED_CONFIG | NEED_RW | NEED_NO_CREATE, 0, 3,
	  "[list [FILTERS] | add LEAD TITLE --due WHEN | done ID |\n"
	  "snooze ID DURATION|WHEN | reassign ID OWNER]",
	  "list, add, finish or postpone tasks",
	  "Alone: my day, my open tasks that are late or due today, then the next few.\n"
	  "list: open tasks (--all: done ones too), filtered by owner, due date or lead.\n"
	  "add: a task for a lead, due in a duration or at a time, owned by the lead's owner\n"
	  "unless --owner says otherwise. done: finish a task (after its due time it is\n"
	  "recorded late). snooze: push its due time back by DURATION, or to WHEN.\n"
	  "reassign: give it to OWNER ('none': nobody); it then stays with them when the\n"
	  "lead changes owner.",
	  opts_task, COMP_WORDS },
};

/* Options every command accepts, before or after its name. */
enum {
	G_DB,
	G_CONFIG,
	G_FORMAT,
	G_NOW,
	G_QUIET,
	G_VERBOSE,
	G_NO_PAGER,
	G_HELP,
	G_VERSION,
	G_LOCAL,
	G__COUNT
};
static const struct opt global_opts[] = {
	[G_DB] = { "db", 'd', "FILE",
	           "database file (default $LEADS_DB, else "
	           "$XDG_DATA_HOME/leads/leads.db)",
	           0, COMP_FILE, NULL },
	[G_CONFIG] = { "config", 'c', "FILE",
	               "config file (default $LEADS_CONFIG, else "
	               "$XDG_CONFIG_HOME/leads/config.yaml if present, else built-in)",
	               0, COMP_FILE, NULL },
	[G_FORMAT] = { "format", 0, "FMT", "output format: table, csv, tsv, json, jsonl", 0,
	               COMP_FORMAT, NULL },
	[G_NOW] = { "now", 0, "TIME", "take TIME (ISO 8601) as the current time ($LEADS_NOW)", 0,
	            COMP_NONE, NULL },
	[G_QUIET] = { "quiet", 'q', NULL, "print nothing but data and errors", 0, COMP_NONE, NULL },
	[G_VERBOSE] = { "verbose", 'v', NULL, "say more about what happens", OPT_MULTI, COMP_NONE,
	                NULL },
	[G_NO_PAGER] = { "no-pager", 0, NULL, "do not page long output (also $LEADS_PAGER=cat)", 0,
	                 COMP_NONE, NULL },
	[G_HELP] = { "help", 'h', NULL, "show this help", 0, COMP_NONE, NULL },
	[G_VERSION] = { "version", 0, NULL, "print the version", 0, COMP_NONE, NULL },
	[G_LOCAL] = { "local", 0, NULL,
	              "csv, tsv, json, jsonl: times in your zone with its offset, not UTC", 0,
	              COMP_NONE, NULL },
	{ 0 },
};

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (strcmp(commands[i].name, name) == 0 ||
		    (commands[i].alias && strcmp(commands[i].alias, name) == 0))
			return &commands[i];
	return NULL;
}

static size_t nopts(const struct opt *o)
{
	size_t n = 0;
	while (o && o[n].lng)
		n++;
	return n;
}

/* ---- messages ---- */

static const char *cmd_name(struct ctx *c)
{
	return c->cmd ? c->cmd->name : NULL;
}

/*
 * Messages quote data (a lead's name, a field from --json, a line of an
 * import), so they are cleaned for the terminal: no escape sequence or
 * bidi override in the data reaches stderr as it is (lib/out.h).
 */
static void vmsg(struct ctx *c, const char *fmt, va_list ap)
{
	if (cmd_name(c))
		fprintf(stderr, "leads %s: ", cmd_name(c));
	else
		fputs("leads: ", stderr);
	out_vtprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static char last_failure[1024];

const char *fail_last(void)
{
	return last_failure;
}

int fail(struct ctx *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char buf[sizeof last_failure];
	va_list aq;
	va_copy(aq, ap);
	vsnprintf(buf, sizeof buf, fmt, aq);
	va_end(aq);
	memcpy(last_failure, buf, sizeof buf);
	vmsg(c, fmt, ap);
	va_end(ap);
	return code;
}

int fail_err(struct ctx *c)
{
	return fail(c, c->err.code ? c->err.code : EX_SOFTWARE, "%s", c->err.msg);
}

void note(struct ctx *c, const char *fmt, ...)
{
	if (c->quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vmsg(c, fmt, ap);
	va_end(ap);
}

int usage_error(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(c, fmt, ap);
	va_end(ap);
	if (c->cmd)
		fprintf(stderr, "usage: leads %s %s\n", c->cmd->name, c->cmd->usage);
	else
		fputs("usage: leads [OPTIONS] COMMAND [ARGS]\n", stderr);
	fputs("Try 'leads help' or 'leads COMMAND -h'.\n", stderr);
	return EX_USAGE;
}

/* ---- help ---- */

static void print_opts(FILE *fp, const struct opt *o)
{
	for (; o && o->lng; o++) {
		char left[64];
		snprintf(left, sizeof left, "--%s%s%s", o->lng, o->arg ? " " : "",
		         o->arg ? o->arg : "");
		if (o->shrt)
			fprintf(fp, "  -%c, %-24s %s\n", o->shrt, left, o->help);
		else
			fprintf(fp, "      %-24s %s\n", left, o->help);
	}
}

static void help_command(FILE *fp, const struct cmd *cmd)
{
	fprintf(fp, "usage: leads %s %s\n", cmd->name, cmd->usage);
	if (cmd->alias)
		fprintf(fp, "   or: leads %s ...\n", cmd->alias);
	fprintf(fp, "\n%s\n", cmd->description ? cmd->description : cmd->summary);
	if (nopts(cmd->opts)) {
		fputs("\noptions:\n", fp);
		print_opts(fp, cmd->opts);
	}
	fputs("\nglobal options:\n", fp);
	print_opts(fp, global_opts);
	if (cmd->fn == cmd_help)
		fputs("\nSee leads(1) for details.\n", fp);
	else
		fprintf(fp, "\nSee leads-%s(1) for details.\n", cmd->name);
}

static void help_main(FILE *fp)
{
	fputs("usage: leads [OPTIONS] COMMAND [ARGS]\n\n"
	      "Manage sales leads in a local SQLite file.\n\ncommands:\n",
	      fp);
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (commands[i].summary)
			fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\noptions:\n", fp);
	print_opts(fp, global_opts);
	fputs("\n'leads help COMMAND' or 'leads COMMAND -h' shows a command's options;\n"
	      "leads(1) has the whole story, leads-config(5) the config file.\n",
	      fp);
}

static int cmd_help(struct ctx *c, struct args *a)
{
	if (a->argc == 0) {
		help_main(stdout);
		return 0;
	}
	const struct cmd *cmd = find_cmd(a->argv[0]);
	if (!cmd || !cmd->summary)
		return fail(c, EX_USAGE, "no such command '%s'", a->argv[0]);
	help_command(stdout, cmd);
	return 0;
}

/* ---- completion: the scripts in completions/ call `leads __complete` ---- */

static void complete_words(struct ctx *c, enum opt_complete what, const char *words)
{
	switch (what) {
	case COMP_STAGE:
	case COMP_STATUS:
	case COMP_MEMBER:
	case COMP_PRIORITY: {
		struct config *cfg = c->cfg;
		if (what == COMP_STATUS)
			for (int i = 0; lead_statuses[i]; i++)
				puts(lead_statuses[i]);
		for (size_t i = 0; cfg && what == COMP_STAGE && i < cfg->nstages; i++)
			puts(cfg->stages[i].name);
		for (size_t i = 0; cfg && what == COMP_MEMBER && i < cfg->nteam; i++)
			puts(cfg->team[i].name);
		for (size_t i = 0; cfg && what == COMP_PRIORITY && i < cfg->npriorities; i++)
			puts(cfg->priorities[i]);
		break;
	}
	case COMP_FORMAT:
		puts("table\ncsv\ntsv\njson\njsonl");
		break;
	case COMP_FIELD:
		for (int i = 0; i < lead_nfields; i++)
			if (lead_fields[i].flags & FF_EXPORT)
				puts(lead_fields[i].name);
		break;
	case COMP_ACTIVITY:
		puts("call\nemail\nmeeting\nemail-opened");
		break;
	case COMP_TEMPLATE:
		for (size_t i = 0; config_template_names[i]; i++)
			puts(config_template_names[i]);
		break;
	case COMP_WORDS:
		for (const char *p = words; p && *p;) {
			size_t n = strcspn(p, " ");
			printf("%.*s\n", (int)n, p);
			p += n + (p[n] == ' ');
		}
		break;
	case COMP_FILE:
		puts("__files__");
		break;
	case COMP_NONE:
		break;
	}
}

static const struct opt *find_long(const struct opt *o, const char *name)
{
	for (; o && o->lng; o++)
		if (strcmp(o->lng, name) == 0)
			return o;
	return NULL;
}

static const struct opt *find_short(const struct opt *o, char c)
{
	for (; o && o->lng; o++)
		if (o->shrt == c)
			return o;
	return NULL;
}

/*
 * The option a word names, if it is one: "--db", "--db=x" (then *inline
 * is set), "-d", or a cluster "-qd" (its last letter). NULL otherwise.
 */
static const struct opt *word_opt(const struct opt *cmd_opts, const char *w, bool *inline_val)
{
	*inline_val = false;
	if (w[0] != '-' || !w[1])
		return NULL;
	if (w[1] == '-') {
		const char *eq = strchr(w, '=');
		char *name = xstrndup(w + 2, eq ? (size_t)(eq - w - 2) : strlen(w + 2));
		const struct opt *o = find_long(cmd_opts, name);
		if (!o)
			o = find_long(global_opts, name);
		free(name);
		*inline_val = eq != NULL;
		return o;
	}
	const struct opt *o = NULL;
	for (const char *p = w + 1; *p; p++) {
		o = find_short(cmd_opts, *p);
		if (!o)
			o = find_short(global_opts, *p);
		if (o && o->arg) { /* "-dFILE": the rest is its value */
			*inline_val = p[1] != '\0';
			return o;
		}
	}
	return o;
}

static bool complete_desc; /* $LEADS_COMPLETE_DESC: "word\tdescription" lines */

static void cand(const char *word, const char *desc)
{
	if (complete_desc && desc && *desc)
		printf("%s\t%s\n", word, desc);
	else
		puts(word);
}

static void complete_opts(const struct opt *o)
{
	for (; o && o->lng; o++) {
		char w[64];
		snprintf(w, sizeof w, "--%s", o->lng);
		cand(w, o->help);
	}
}

static void complete_commands(void)
{
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (commands[i].summary)
			cand(commands[i].name, commands[i].summary);
}

/*
 * `leads __complete WORD...`: the words typed so far, the last being the one
 * to complete (possibly empty). Prints candidates, one a line (with
 * LEADS_COMPLETE_DESC set, "word<TAB>description" where there is one); the
 * special line "__files__" asks the shell for file names. Option values are
 * completed after a long or short option (--db FILE, -d FILE, -s STAGE),
 * global ones before the command too; `help` completes command names.
 */
static int cmd_complete(struct ctx *c, struct args *a)
{
	complete_desc = !str_empty(getenv("LEADS_COMPLETE_DESC"));
	int n = a->argc;
	const char *cur = n ? a->argv[n - 1] : "";
	const struct cmd *cmd = NULL;
	int first = -1;
	bool want_value = false; /* the word before cur is an option wanting a value */
	const struct opt *vopt = NULL;
	int pos = 0; /* positionals after the command, before cur */
	bool dashdash = false;
	for (int i = 0; i < n - 1; i++) {
		const char *w = a->argv[i];
		if (want_value) {
			want_value = false;
			continue;
		}
		if (!dashdash && strcmp(w, "--") == 0) {
			dashdash = true;
			continue;
		}
		bool inl;
		const struct opt *o = dashdash ? NULL : word_opt(cmd ? cmd->opts : NULL, w, &inl);
		if (o || (!dashdash && w[0] == '-' && w[1])) {
			if (o && o->arg && !inl)
				want_value = true;
			continue;
		}
		if (!cmd) {
			cmd = find_cmd(w);
			first = i;
			if (!cmd)
				return 0; /* not a command: nothing to offer */
		} else {
			pos++;
		}
	}
	(void)first;
	if (want_value) {
		bool inl;
		vopt = word_opt(cmd ? cmd->opts : NULL, a->argv[n - 2], &inl);
		if (vopt && vopt->arg) {
			complete_words(c, vopt->comp, vopt->words);
			return 0;
		}
	}
	if (cur[0] == '-' && !dashdash) {
		if (cmd)
			complete_opts(cmd->opts);
		complete_opts(global_opts);
		return 0;
	}
	if (!cmd) {
		complete_commands();
		return 0;
	}
	if (cmd->fn == cmd_help) {
		if (pos == 0)
			complete_commands();
		return 0;
	}
	/* positional: the command's own words after the first (lead) argument */
	if (cmd->args_comp == COMP_WORDS && cmd->opts == opts_config)
		complete_words(c, COMP_WORDS, pos == 0 ? "check show graph" : NULL);
	else if (cmd->opts == opts_db && pos == 0)
		complete_words(c, COMP_WORDS, "copy");
	else if (cmd->opts == opts_report && pos == 0)
		complete_words(c, COMP_WORDS, "tasks activity sources forecast");
	else if (cmd->opts == opts_sequence && pos == 0)
		complete_words(c, COMP_WORDS, "list show start stop");
	else if (cmd->opts == opts_task || cmd->opts == opts_outbox)
		complete_words(c, COMP_WORDS,
		               pos                      ? NULL
		               : cmd->opts == opts_task ? "list add done snooze reassign"
		                                        : "list retry show");
	else if (cmd->args_comp == COMP_FILE && pos == 0)
		complete_words(c, COMP_FILE, NULL);
	else if (cmd->args_comp != COMP_NONE && cmd->args_comp != COMP_FILE && pos >= 1)
		complete_words(c, cmd->args_comp, NULL);
	return 0;
}

/* ---- option parsing ---- */

/*
 * Every value given on the command line is text that may end up in the
 * database, in an export, in a mail: it must be UTF-8, checked here once
 * for every command (a bad value given as an option or argument is 64).
 * File names are bytes to the kernel and are left alone: the values of
 * COMP_FILE options and the positionals of commands that take files.
 */
static int check_utf8(struct ctx *c, const char *v, const char *opt, int argn)
{
	size_t bad;
	if (utf8_valid(v, strlen(v), &bad))
		return 0;
	if (opt)
		return fail(c, EX_USAGE, "--%s: invalid UTF-8 at byte %zu", opt, bad + 1);
	return fail(c, EX_USAGE, "argument %d: invalid UTF-8 at byte %zu", argn, bad + 1);
}

/*
 * Parse argv (argv[0] is the command name) against the command's options
 * followed by the global ones. Global options land in c; the command's in a.
 */
static int parse_args(struct ctx *c, const struct cmd *cmd, int argc, char **argv, struct args *a,
                      const char *gval[G__COUNT])
{
	size_t nc = nopts(cmd->opts);
	if (nc + G__COUNT >= MAX_OPTS)
		return fail(c, EX_SOFTWARE, "too many options");
	struct option lo[MAX_OPTS + 1];
	char shorts[3 * MAX_OPTS + 2] = "+";
	size_t ns = 1, nl = 0;
	for (size_t i = 0; i < nc + G__COUNT; i++) {
		const struct opt *o = i < nc ? &cmd->opts[i] : &global_opts[i - nc];
		lo[nl++] = (struct option){ o->lng, o->arg ? required_argument : no_argument, NULL,
			                    (int)(1000 + i) };
		if (o->shrt) {
			shorts[ns++] = o->shrt;
			if (o->arg)
				shorts[ns++] = ':';
		}
	}
	lo[nl] = (struct option){ 0 };
	shorts[ns] = '\0';
	/* Permute so options may follow positionals, but keep "--" meaning. */
	shorts[0] = '-';

	int nmulti[MAX_OPTS] = { 0 };
	char **pos = xcalloc((size_t)argc + 1, sizeof *pos);
	int npos = 0;
	optind = 0; /* glibc: full re-initialisation for a new argv */
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		size_t idx;
		if (ch == 1) {
			if (cmd->args_comp != COMP_FILE && check_utf8(c, optarg, NULL, npos + 1)) {
				free(pos);
				return EX_USAGE;
			}
			pos[npos++] = optarg;
			continue;
		}
		if (ch == '?' || ch == ':') {
			const char *bad = argv[optind - 1];
			free(pos);
			if (optopt && optopt < 1000) {
				const char *what =
				    strchr(shorts, optopt) ? "needs a value" : "is not an option";
				return usage_error(c, "-%c %s", optopt, what);
			}
			if (optopt >= 1000)
				return usage_error(c, "%s needs a value", bad);
			return usage_error(c, "unknown option '%s'", bad);
		}
		if (ch >= 1000) {
			idx = (size_t)ch - 1000;
		} else {
			for (idx = 0; idx < nc + G__COUNT; idx++) {
				const struct opt *o =
				    idx < nc ? &cmd->opts[idx] : &global_opts[idx - nc];
				if (o->shrt == ch)
					break;
			}
		}
		const struct opt *o = idx < nc ? &cmd->opts[idx] : &global_opts[idx - nc];
		const char *v = o->arg ? optarg : "1";
		if (o->arg && o->comp != COMP_FILE && check_utf8(c, v, o->lng, 0)) {
			free(pos);
			return EX_USAGE;
		}
		if (idx >= nc) {
			size_t g = idx - nc;
			if (g == G_VERBOSE)
				c->verbose++;
			gval[g] = v;
			continue;
		}
		a->val[idx] = v;
		a->count[idx]++;
		if (o->flags & OPT_MULTI) {
			a->multi[idx] =
			    xrealloc(a->multi[idx], sizeof(char *) * (size_t)(nmulti[idx] + 2));
			a->multi[idx][nmulti[idx]++] = v;
			a->multi[idx][nmulti[idx]] = NULL;
		}
	}
	for (int i = optind; i < argc; i++) {
		if (cmd->args_comp != COMP_FILE && check_utf8(c, argv[i], NULL, npos + 1)) {
			free(pos);
			return EX_USAGE;
		}
		pos[npos++] = argv[i];
	}
	a->argc = npos;
	a->argv = pos;
	return 0;
}

static void args_free(struct args *a)
{
	for (int i = 0; i < MAX_OPTS; i++)
		free(a->multi[i]);
	free(a->argv);
}

/* ---- environment ---- */

static char *default_path(const char *xdg_var, const char *fallback, const char *file)
{
	const char *base = getenv(xdg_var);
	struct sb sb = SB_INIT;
	if (base && *base == '/') {
		sb_addf(&sb, "%s/leads/%s", base, file);
	} else {
		const char *home = getenv("HOME");
		sb_addf(&sb, "%s/%s/leads/%s", home && *home ? home : ".", fallback, file);
	}
	return sb_detach(&sb);
}

static int apply_globals(struct ctx *c, const char *gval[G__COUNT])
{
	if (gval[G_QUIET])
		c->quiet = true;
	if (gval[G_NO_PAGER])
		c->no_pager = true;
	if (gval[G_LOCAL])
		c->local = true;
	if (gval[G_DB])
		c->db_path = gval[G_DB];
	if (gval[G_CONFIG])
		c->config_path = gval[G_CONFIG];
	if (gval[G_FORMAT]) {
		int f = out_format_parse(gval[G_FORMAT]);
		if (f < 0)
			return usage_error(c,
			                   "unknown format '%s' (use table, csv, tsv, json "
			                   "or jsonl)",
			                   gval[G_FORMAT]);
		c->fmt = (enum out_format)f;
		c->fmt_given = true;
	}
	const char *now = gval[G_NOW] ? gval[G_NOW] : getenv("LEADS_NOW");
	if (now && *now) {
		if (!ltime_parse(now, &c->now))
			return usage_error(c,
			                   "bad time '%s' for %s (use ISO 8601, e.g. "
			                   "2026-11-24T09:00:00Z)",
			                   now, gval[G_NOW] ? "--now" : "LEADS_NOW");
	}
	return 0;
}

static int load_config(struct ctx *c, const char *path)
{
	if (!path) {
		c->cfg = config_default();
		return 0;
	}
	c->cfg = config_load(path, &c->err);
	if (!c->cfg)
		return fail_err(c);
	int errors = 0;
	for (size_t i = 0; i < c->cfg->ndiags; i++) {
		const struct config_diag *d = &c->cfg->diags[i];
		if (d->warning && c->quiet)
			continue;
		out_tprintf(stderr, "%s: %s\n", d->warning ? "warning" : "error", d->text);
		errors += !d->warning;
	}
	if (errors)
		return fail(c, EX_CONFIG, "%d error%s in config '%s'", errors,
		            errors > 1 ? "s" : "", c->cfg->path);
	for (size_t i = 0; i < c->cfg->naliases && !c->quiet; i++)
		if (find_cmd(c->cfg->alias_names[i]))
			out_tprintf(stderr,
			            "warning: alias '%s' in config '%s' is never used: '%s' is a "
			            "command\n",
			            c->cfg->alias_names[i], c->cfg->path, c->cfg->alias_names[i]);
	return 0;
}

/*
 * Split an alias into words: blanks separate them, '...' and "..." quote
 * (no escapes inside '...'; \" and \\ inside "..."). NULL on an unclosed
 * quote. The words point into one allocation, returned in *store.
 */
static char **split_words(const char *s, int *n, char **store)
{
	size_t len = strlen(s);
	char *buf = xmalloc(len + 1), *o = buf;
	char **v = xcalloc(len / 2 + 2, sizeof *v);
	*n = 0;
	const char *p = s;
	while (*p) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		v[(*n)++] = o;
		while (*p && *p != ' ' && *p != '\t') {
			char q = *p;
			if (q == '\'' || q == '"') {
				p++;
				while (*p && *p != q) {
					if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					*o++ = *p++;
				}
				if (!*p) {
					free(buf);
					free(v);
					return NULL;
				}
				p++;
			} else {
				*o++ = *p++;
			}
		}
		*o++ = '\0';
	}
	*store = buf;
	return v;
}

/*
 * `alias: {today: "task --mine --due today"}`: argv with the alias word at
 * argv[i] replaced by its words (git's aliases). A command always wins over
 * an alias of the same name. Returns 0 and sets *out (or leaves it NULL when
 * name is no alias), or an exit code after the message.
 */
static int expand_alias(struct ctx *c, const char *cfgpath, int argc, char **argv, int i,
                        char ***out, int *outc, char **store)
{
	*out = NULL;
	if (!cfgpath)
		return 0;
	if (!c->cfg) {
		int rc = load_config(c, cfgpath);
		if (rc)
			return rc;
	}
	const char *val = config_alias(c->cfg, argv[i]);
	if (!val)
		return 0;
	int n;
	char **w = split_words(val, &n, store);
	if (!w || n == 0) {
		free(w);
		return fail(c, EX_CONFIG, "alias '%s' in config '%s': unclosed quote", argv[i],
		            c->cfg->path);
	}
	if (!find_cmd(w[0])) {
		fail(c, EX_CONFIG,
		     "alias '%s' in config '%s' expands to '%s', which is not a command", argv[i],
		     c->cfg->path, w[0]);
		free(w);
		free(*store);
		*store = NULL;
		return EX_CONFIG;
	}
	char **v = xcalloc((size_t)(argc + n) + 1, sizeof *v);
	int k = 0;
	for (int j = 0; j < i; j++)
		v[k++] = argv[j];
	for (int j = 0; j < n; j++)
		v[k++] = w[j];
	for (int j = i + 1; j < argc; j++)
		v[k++] = argv[j];
	free(w);
	*out = v;
	*outc = k;
	return 0;
}

static int unknown_command(struct ctx *c, const char *name)
{
	const char *best = NULL;
	size_t bestd = 3;
	for (size_t i = 0; i < ARRAY_LEN(commands); i++) {
		if (!commands[i].summary)
			continue;
		size_t d = str_distance(name, commands[i].name);
		if (d < bestd) {
			bestd = d;
			best = commands[i].name;
		}
	}
	if (best)
		out_tprintf(stderr, "leads: '%s' is not a leads command; did you mean '%s'?\n",
		            name, best);
	else
		out_tprintf(stderr, "leads: '%s' is not a leads command; see 'leads help'\n", name);
	(void)c;
	return EX_USAGE;
}

static int run(struct ctx *c, const struct cmd *cmd, struct args *a)
{
	int rc;
	if (a->argc < cmd->min_args)
		return usage_error(c, "missing argument");
	if (cmd->max_args >= 0 && a->argc > cmd->max_args)
		return usage_error(c, "unexpected argument '%s'", a->argv[cmd->max_args]);

	if ((cmd->needs & NEED_CONFIG || cmd->fn == cmd_complete) && !c->cfg) {
		if ((rc = load_config(c, c->config_path)) && cmd->fn != cmd_complete)
			return rc;
	}
	if (cmd->needs & (NEED_DB | NEED_WRITE | NEED_RW)) {
		int flags = cmd->needs & NEED_DB ? DB_READONLY : DB_CREATE;
		if (cmd->needs & NEED_NO_CREATE)
			flags &= ~DB_CREATE;
		if (cmd->fn == cmd_init)
			flags |= DB_EMPTY_OK; /* DECISIONS.md: only init takes a 0-byte file */
		warn_db_file(c, c->db_path);
		if ((rc = db_open(c->db_path, flags, &c->db, &c->err)))
			return fail_err(c);
	}
	if (!(cmd->needs & NEED_WRITE))
		return cmd->fn(c, a);

	if ((rc = db_begin(c->db, &c->err)))
		return fail_err(c);
	if (c->cfg && (rc = db_sync_stages(c->db, c->cfg, &c->err))) {
		db_rollback(c->db);
		return fail_err(c);
	}
	return tx_end(c, cmd->fn(c, a));
}

/* The width of the terminal on standard output; 0 when it is not one. */
static int term_columns(void)
{
	if (!isatty(1))
		return 0;
	struct winsize ws;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *env = getenv("COLUMNS");
	int64_t n;
	if (env && str_to_i64(env, &n) && n > 0 && n < 10000)
		return (int)n;
	return 80;
}

int main(int argc, char **argv)
{
	/* Lead data is personal data: everything leads creates is private. */
	umask(077);
	afile_wrap_stdout();
	hooks_register_config();
	pager_register_config();

	struct ctx c = { 0 };
	char **aargv = NULL, *astore = NULL; /* an alias's expansion */
	c.fmt = OUT_TABLE;
	c.now = (int64_t)time(NULL);
	c.tty_err = isatty(2);
	c.actor = getenv("LEADS_USER");
	if (str_empty(c.actor))
		c.actor = getenv("USER");
	if (str_empty(c.actor))
		c.actor = "unknown";
	c.db_path = getenv("LEADS_DB");
	c.config_path = getenv("LEADS_CONFIG");
	if (str_empty(c.config_path))
		c.config_path = NULL;
	char *defcfg = NULL;
	if (!c.config_path) {
		/* the default file when there is one, else the built-in pipeline */
		defcfg = default_path("XDG_CONFIG_HOME", ".config", "config.yaml");
		if (access(defcfg, F_OK) == 0)
			c.config_path = defcfg;
	}
	char *defdb = NULL;
	if (str_empty(c.db_path))
		c.db_path = defdb = default_path("XDG_DATA_HOME", ".local/share", "leads.db");
	c.term_cols = term_columns();
	if (isatty(1) && str_empty(getenv("NO_COLOR")) && !str_ieq(getenv("TERM"), "dumb"))
		c.out_flags |= OUT_COLOR;

	/* Global options before the command name. */
	static const struct cmd top = { "", NULL, NULL, 0,         0,        -1,
		                        "", NULL, NULL, opts_none, COMP_NONE };
	const char *gval[G__COUNT] = { 0 };
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		/* options that take a value as the next word */
		int takes = 0;
		const char *w = argv[i];
		for (const struct opt *o = global_opts; o->lng; o++) {
			if (!o->arg)
				continue;
			if ((w[1] == o->shrt && w[2] == '\0') ||
			    (w[1] == '-' && strcmp(w + 2, o->lng) == 0))
				takes = 1;
		}
		i += takes;
	}
	if (i > argc)
		i = argc;
	struct args ga = { 0 };
	int rc = parse_args(&c, &top, i, argv, &ga, gval);
	args_free(&ga);
	if (rc)
		goto out;
	if (gval[G_VERSION]) {
		printf("leads %s (sqlite %s, schema %d)\n", LEADS_VERSION, db_sqlite_version(),
		       db_schema_version());
		goto out;
	}
	if (i >= argc) {
		if (gval[G_HELP]) {
			help_main(stdout);
			goto out;
		}
		help_main(stderr);
		rc = EX_USAGE;
		goto out;
	}
	const struct cmd *cmd = find_cmd(argv[i]);
	if (!cmd) {
		int ac;
		c.quiet = gval[G_QUIET] != NULL;
		rc = expand_alias(&c, gval[G_CONFIG] ? gval[G_CONFIG] : c.config_path, argc, argv,
		                  i, &aargv, &ac, &astore);
		if (rc)
			goto out;
		if (aargv) {
			argv = aargv;
			argc = ac;
			cmd = find_cmd(argv[i]);
		}
	}
	if (!cmd) {
		rc = unknown_command(&c, argv[i]);
		goto out;
	}
	c.cmd = cmd;
	struct args a = { 0 };
	if (cmd->fn == cmd_complete) {
		/* the words being completed are not options of ours */
		a.argc = argc - i - 1;
		a.argv = xcalloc((size_t)a.argc + 1, sizeof *a.argv);
		memcpy(a.argv, argv + i + 1, (size_t)a.argc * sizeof *a.argv);
		rc = apply_globals(&c, gval);
		if (!rc)
			rc = run(&c, cmd, &a);
	} else if ((rc = parse_args(&c, cmd, argc - i, argv + i, &a, gval)) == 0 &&
	           (rc = apply_globals(&c, gval)) == 0) {
		if (gval[G_HELP])
			help_command(stdout, cmd);
		else
			rc = run(&c, cmd, &a);
	}
	args_free(&a);
out:
	free(aargv);
	free(astore);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		int e = afile_stdout_errno() ? afile_stdout_errno() : errno ? errno : EIO;
		if (rc == 0 && e != EPIPE)
			rc = fail(&c, EX_IOERR, "error writing output: %s", strerror(e));
	}
	db_close(c.db);
	config_free(c.cfg);
	tz_free(c.tz);
	free(defdb);
	free(defcfg);
	return rc;
}
