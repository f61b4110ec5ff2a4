/* config.c - `leads config check|show|graph`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "afile.h"
#include "cmd.h"
#include "graph.h"

enum { CF_SVG };
const struct opt opts_config[] = {
	[CF_SVG] = { "svg", 0, "FILE",
	             "graph: render it with Graphviz's dot into FILE (mode 0600); - for stdout", 0,
	             COMP_FILE, NULL },
	{ 0 },
};

struct orphans {
	struct ctx *c;
	int n;
};

static void orphan_stage(const char *key, int64_t n, void *p)
{
	struct orphans *o = p;
	const struct stage *s = config_stage(o->c->cfg, key);
	if (s && strcmp(s->key, key) == 0)
		return;
	char *old = db_stage_name(o->c->db, key);
	fprintf(stderr,
	        "warning: %lld lead%s in stage '%s' (key '%s'), which the config no longer has\n",
	        (long long)n, n == 1 ? " is" : "s are", old ? old : key, key);
	free(old);
	o->n++;
}

static int check(struct ctx *c)
{
	const char *path = c->config_path;
	if (path) {
		c->cfg = config_load(path, &c->err);
		if (!c->cfg)
			return fail_err(c);
	} else {
		c->cfg = config_default();
	}
	size_t errors = 0, warnings = 0;
	bool machine = c->fmt != OUT_TABLE;
	for (size_t i = 0; i < c->cfg->ndiags; i++) {
		const struct config_diag *d = &c->cfg->diags[i];
		if (!machine)
			out_tprintf(stderr, "%s: %s\n", d->warning ? "warning" : "error", d->text);
		if (d->warning)
			warnings++;
		else
			errors++;
	}
	/* Leads whose stage the config lost: their history stays, but say so. */
	struct orphans o = { c, 0 };
	if (!errors)
		warn_db_file(c, c->db_path);
	if (!errors && db_open(c->db_path, DB_READONLY, &c->db, &c->err) == 0)
		db_stage_counts(c->db, orphan_stage, &o, &c->err);
	warnings += (size_t)o.n;
	if (machine) {
		/* one record: the verdict and every problem (orphan stages on stderr) */
		static const struct out_col cols[] = { { "level", NULL, OUT_T_STR, 0 },
			                               { "text", NULL, OUT_T_STR, 0 } };
		struct out *out = ctx_out(c);
		char buf[32];
		out_record_begin(out);
		out_record_field(out, "path", OUT_T_STR, path);
		out_record_field(out, "ok", OUT_T_BOOL, errors ? "false" : "true");
		snprintf(buf, sizeof buf, "%zu", errors);
		out_record_field(out, "errors", OUT_T_INT, buf);
		snprintf(buf, sizeof buf, "%zu", warnings);
		out_record_field(out, "warnings", OUT_T_INT, buf);
		snprintf(buf, sizeof buf, "%zu", c->cfg->nstages);
		out_record_field(out, "stages", OUT_T_INT, buf);
		snprintf(buf, sizeof buf, "%zu", c->cfg->nteam);
		out_record_field(out, "team", OUT_T_INT, buf);
		out_record_list_begin(out, "diagnostics");
		out_begin(out, cols, 2);
		for (size_t i = 0; i < c->cfg->ndiags; i++) {
			out_str(out, c->cfg->diags[i].warning ? "warning" : "error");
			out_str(out, c->cfg->diags[i].text);
			out_end_row(out);
		}
		out_record_list_end(out);
		out_record_end(out);
		out_free(out);
		return errors ? EX_FAIL : 0;
	}
	if (errors) {
		out_tprintf(stderr, "%s: %zu error%s, %zu warning%s\n", path ? path : "(built-in)",
		            errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
		return EX_FAIL;
	}
	if (!c->quiet)
		out_tprintf(stdout, "%s: ok (%zu stage%s, %zu team member%s%s)\n",
		            path ? path : "built-in default", c->cfg->nstages,
		            c->cfg->nstages == 1 ? "" : "s", c->cfg->nteam,
		            c->cfg->nteam == 1 ? "" : "s", warnings ? ", with warnings" : "");
	return 0;
}

static int show(struct ctx *c)
{
	if (c->fmt_given && c->fmt != OUT_TABLE)
		return usage_error(c,
		                   "config show prints the config as YAML; --format is not for it");
	if (c->config_path) {
		c->cfg = config_load(c->config_path, &c->err);
		if (!c->cfg)
			return fail_err(c);
		if (c->cfg->nerrors)
			return fail(c, EX_CONFIG,
			            "config '%s' has errors; run 'leads config check'",
			            c->config_path);
	} else {
		c->cfg = config_default();
	}
	struct sb out = SB_INIT;
	config_write_yaml(c->cfg, &out);
	fputs(sb_str(&out), stdout);
	sb_free(&out);
	return 0;
}

/* Is prog an executable in $PATH? */
static bool in_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		char buf[4096];
		if (n && n + strlen(prog) + 2 < sizeof buf) {
			snprintf(buf, sizeof buf, "%.*s/%s", (int)n, path, prog);
			if (access(buf, X_OK) == 0)
				return true;
		}
		path += n;
		if (*path == ':')
			path++;
	}
	return false;
}

/* dot -Tsvg with the DOT on its standard input (a temporary file) into *svg. */
static int run_dot(struct ctx *c, const struct sb *dot, struct sb *svg)
{
	const char *tmpdir = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/leads-graph-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	int in = mkstemp(tmpl);
	if (in < 0)
		return fail(c, EX_CANTCREAT, "cannot create a temporary file in %s: %s",
		            tmpdir && *tmpdir ? tmpdir : "/tmp", strerror(errno));
	unlink(tmpl);
	size_t off = 0;
	while (off < dot->len) {
		ssize_t w = write(in, dot->buf + off, dot->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			close(in);
			return fail(c, EX_IOERR, "cannot write a temporary file: %s",
			            strerror(errno));
		}
		off += (size_t)w;
	}
	lseek(in, 0, SEEK_SET);
	int p[2];
	if (pipe(p) < 0) {
		close(in);
		return fail(c, EX_OSERR, "pipe: %s", strerror(errno));
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		close(in);
		close(p[0]);
		close(p[1]);
		return fail(c, EX_OSERR, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		dup2(in, 0);
		dup2(p[1], 1);
		close(in);
		close(p[0]);
		close(p[1]);
		execlp("dot", "dot", "-Tsvg", (char *)NULL);
		_exit(127);
	}
	close(in);
	close(p[1]);
	char buf[8192];
	for (;;) {
		ssize_t r = read(p[0], buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		sb_add(svg, buf, (size_t)r);
	}
	close(p[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return fail(c, EX_SOFTWARE, "dot failed (%s %d) on the graph",
		            WIFEXITED(st) ? "exit" : "signal",
		            WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return 0;
}

static int graph(struct ctx *c, struct args *a)
{
	if (c->fmt_given && c->fmt != OUT_TABLE)
		return usage_error(c, "config graph prints Graphviz DOT; --format is not for it");
	const char *svg = a->val[CF_SVG];
	if (svg && !in_path("dot"))
		return fail(c, EX_UNAVAILABLE,
		            "--svg needs Graphviz's dot, which is not installed; install it with "
		            "'apt-get install graphviz' (or leave out --svg and render the DOT "
		            "elsewhere)");
	if (c->config_path) {
		c->cfg = config_load(c->config_path, &c->err);
		if (!c->cfg)
			return fail_err(c);
		if (c->cfg->nerrors)
			return fail(c, EX_CONFIG,
			            "config '%s' has errors; run 'leads config check'",
			            c->config_path);
	} else {
		c->cfg = config_default();
	}
	/* the moves come from the history, when there is a database */
	struct db *db = NULL;
	if (c->db_path && db_open(c->db_path, DB_READONLY, &db, &c->err) != 0) {
		if (c->err.code != EX_NOINPUT)
			out_tprintf(stderr,
			            "leads config: warning: no moves from the history: %s\n",
			            c->err.msg);
		db = NULL;
		c->err.code = 0;
		c->err.msg[0] = '\0';
	}
	c->db = db;
	struct sb dot = SB_INIT;
	if (graph_dot(c->cfg, db, &dot, &c->err)) {
		sb_free(&dot);
		return fail_err(c);
	}
	int rc = 0;
	if (!svg) {
		if (fwrite(dot.buf, 1, dot.len, stdout) != dot.len || fflush(stdout) != 0)
			rc = errno == EPIPE ? 0
			                    : fail(c, EX_IOERR, "write error: %s", strerror(errno));
		sb_free(&dot);
		return rc;
	}
	struct sb pic = SB_INIT;
	rc = run_dot(c, &dot, &pic);
	if (!rc && strcmp(svg, "-") == 0) {
		if (pic.len && fwrite(pic.buf, 1, pic.len, stdout) != pic.len)
			rc = fail(c, EX_IOERR, "error writing the SVG: %s", strerror(errno));
	} else if (!rc && afile_write(svg, pic.buf, pic.len, &c->err)) {
		rc = fail_err(c);
	}
	sb_free(&pic);
	sb_free(&dot);
	return rc;
}

int cmd_config(struct ctx *c, struct args *a)
{
	if (strcmp(a->argv[0], "graph") == 0)
		return graph(c, a);
	if (a->val[CF_SVG])
		return usage_error(c, "--svg is for config graph");
	if (strcmp(a->argv[0], "check") == 0)
		return check(c);
	if (strcmp(a->argv[0], "show") == 0)
		return show(c);
	return usage_error(c, "unknown config action '%s' (check, show or graph)", a->argv[0]);
}
