/*
 * pager.c - long output through a pager, as git does.
 *
 * When standard output is a terminal and a command prints data as a table
 * (ctx_out), leads starts a pager and writes into it: $LEADS_PAGER, else
 * the config's `pager:`, else $PAGER, else "less". LESS=FRX and LV=-c are
 * set when not set already (git's defaults), so less quits at once when the
 * output fits one screen (-F), shows colour (-R) and leaves the text on the
 * screen (-X). An empty pager, "cat", `pager: false`, `--no-pager` or
 * output that is not a terminal turn it off. Commands that write are not
 * paged (quitting the pager would kill them mid-transaction), except the
 * read-only subcommands that say so (task list, outbox list). At exit leads closes its end
 * of the pipe and waits for the pager.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "lyaml.h"
#include "pager.h"

static pid_t pager_pid = -1;

/* The config's `pager:` (true: the default, false: none, or a command). */
static char *cfg_pager;
static bool cfg_pager_off;

static int pager_parse(struct yaml_ctx *y, yaml_node_t *node, struct config *cfg)
{
	(void)cfg;
	free(cfg_pager);
	cfg_pager = NULL;
	cfg_pager_off = false;
	const char *s = ly_is_scalar(node) ? ly_scalar(node) : NULL;
	if (s && (str_ieq(s, "false") || str_ieq(s, "no") || str_ieq(s, "off"))) {
		cfg_pager_off = true;
		return 0;
	}
	if (s && (str_ieq(s, "true") || str_ieq(s, "yes") || str_ieq(s, "on")))
		return 0;
	return ly_str(y, node, "pager", &cfg_pager);
}

static void pager_write(const struct config *cfg, struct sb *out)
{
	(void)cfg;
	if (cfg_pager_off)
		sb_adds(out, "pager: false\n");
	else if (cfg_pager) {
		sb_adds(out, "pager: ");
		sb_add_json_str(out, cfg_pager); /* a JSON string is a YAML string */
		sb_addc(out, '\n');
	}
}

static void pager_release(struct config *cfg)
{
	(void)cfg;
	free(cfg_pager);
	cfg_pager = NULL;
	cfg_pager_off = false;
}

void pager_register_config(void)
{
	config_register_section("pager", pager_parse, pager_write, pager_release);
}

/* The pager command, or NULL for none. */
static const char *pager_command(void)
{
	const char *p = getenv("LEADS_PAGER");
	if (!p) {
		if (cfg_pager_off)
			return NULL;
		p = cfg_pager;
	}
	if (!p)
		p = getenv("PAGER");
	if (!p)
		p = "less";
	if (!*p || strcmp(p, "cat") == 0)
		return NULL;
	return p;
}

static void pager_wait(void)
{
	if (pager_pid < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	/* the pager sees the end of the text, then we wait for the person */
	close(1);
	int st;
	while (waitpid(pager_pid, &st, 0) < 0 && errno == EINTR)
		;
	pager_pid = -1;
}

void pager_start(struct ctx *c)
{
	/* quitting the pager must never kill a command that is writing */
	if (c->cmd && (c->cmd->needs & (NEED_WRITE | NEED_RW)))
		return;
	pager_start_reading(c);
}

void pager_start_reading(struct ctx *c)
{
	if (pager_pid >= 0 || c->no_pager || c->fmt != OUT_TABLE || !c->term_cols)
		return;
	const char *cmd = pager_command();
	if (!cmd)
		return;
	int fd[2];
	if (pipe(fd) < 0)
		return;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return;
	}
	if (pid == 0) {
		dup2(fd[0], 0);
		/* the database file or connection is none of the pager's business */
		for (int i = 3; i < 1024; i++)
			close(i);
		setenv("LESS", "FRX", 0);
		setenv("LV", "-c", 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		fprintf(stderr, "leads: cannot run pager '%s': %s\n", cmd, strerror(errno));
		_exit(127);
	}
	dup2(fd[1], 1);
	close(fd[0]);
	close(fd[1]);
	pager_pid = pid;
	/* quitting the pager early closes the pipe: that is not an error */
	signal(SIGPIPE, SIG_DFL);
	atexit(pager_wait);
}
