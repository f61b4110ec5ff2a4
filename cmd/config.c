/* config.c - `leads config check|show`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

const struct opt opts_config[] = { { 0 } };

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

int cmd_config(struct ctx *c, struct args *a)
{
	if (strcmp(a->argv[0], "check") == 0)
		return check(c);
	if (strcmp(a->argv[0], "show") == 0)
		return show(c);
	return usage_error(c, "unknown config action '%s' (check or show)", a->argv[0]);
}
