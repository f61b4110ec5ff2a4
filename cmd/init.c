/* init.c - `leads init`: create the database, optionally a starter config. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "afile.h"
#include "cmd.h"

enum { I_TEMPLATE, I_FORCE };
const struct opt opts_init[] = {
	[I_TEMPLATE] = { "template", 't', "NAME",
	                 "write a starter config: appointment-setting, full-sales-cycle, "
	                 "deal-desk",
	                 0, COMP_TEMPLATE, NULL },
	[I_FORCE] = { "force", 0, NULL, "overwrite an existing config file", 0, COMP_NONE, NULL },
	{ 0 },
};

static char *config_target(struct ctx *c)
{
	if (c->config_path)
		return xstrdup(c->config_path);
	struct sb sb = SB_INIT;
	const char *x = getenv("XDG_CONFIG_HOME");
	if (x && *x == '/')
		sb_addf(&sb, "%s/leads/config.yaml", x);
	else
		sb_addf(&sb, "%s/.config/leads/config.yaml", getenv("HOME") ? getenv("HOME") : ".");
	return sb_detach(&sb);
}

/* Write text to path atomically (temp file + rename), mode 0600. */
static int write_file(struct ctx *c, const char *path, const char *text, bool force)
{
	if (!force && access(path, F_OK) == 0)
		return fail(c, EX_DATAERR, "config '%s' exists already (use --force to replace it)",
		            path);
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir_p(dir) != 0) {
			int rc = fail(c, EX_IOERR, "cannot create '%s': %s", dir, strerror(errno));
			free(dir);
			return rc;
		}
	}
	free(dir);
	if (afile_write(path, text, strlen(text), &c->err))
		return fail_err(c);
	return 0;
}

int cmd_init(struct ctx *c, struct args *a)
{
	const char *tname = a->val[I_TEMPLATE];
	if (tname) {
		const char *text = config_template(tname);
		if (!text) {
			struct sb names = SB_INIT;
			for (size_t i = 0; config_template_names[i]; i++)
				sb_addf(&names, "%s%s", i ? ", " : "", config_template_names[i]);
			int rc = usage_error(c, "no template '%s' (templates: %s)", tname,
			                     sb_str(&names));
			sb_free(&names);
			return rc;
		}
		char *path = config_target(c);
		int rc = write_file(c, path, text, a->val[I_FORCE] != NULL);
		if (!rc)
			note(c, "wrote config '%s' from template '%s'", path, tname);
		free(path);
		if (rc)
			return rc;
	}
	note(c, "database '%s' is ready (schema version %d)", db_path(c->db), db_schema_version());
	return 0;
}
