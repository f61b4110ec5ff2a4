/*
 * db.c - `leads db copy --from SRC --to DST [--force]`: move a team's
 * database between a file and a PostgreSQL server (or file to file).
 * The work and its checks are lib/db_copy.c's; this opens both sides,
 * prints the table of counts and checksums and maps the outcome to an
 * exit code.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"

enum { D_FROM, D_TO, D_FORCE };
const struct opt opts_db[] = {
	[D_FROM] = { "from", 0, "SRC", "copy: the database to read (a file or a PostgreSQL URI)", 0,
	             COMP_FILE, NULL },
	[D_TO] = { "to", 0, "DST", "copy: the database to write (created if missing)", 0, COMP_FILE,
	           NULL },
	[D_FORCE] = { "force", 0, NULL, "copy: replace what the target holds", 0, COMP_NONE, NULL },
	{ 0 },
};

static const struct out_col cols[] = {
	{ "table", "TABLE", OUT_T_STR, 0 },
	{ "source", "SOURCE", OUT_T_INT, 0 },
	{ "target", "TARGET", OUT_T_INT, 0 },
	{ "checksum", "CHECKSUM", OUT_T_STR, 0 },
};

static void report_row(const struct db_copy_table *t, void *p)
{
	struct out *o = p;
	bool same = t->src_rows == t->dst_rows && t->src_sum == t->dst_sum;
	out_str(o, t->name);
	out_int(o, t->src_rows);
	out_int(o, t->dst_rows);
	out_str(o, same ? "ok" : "DIFFERENT");
	out_end_row(o);
}

/* Both names one database? Two paths to one file, or one server address. */
static bool same_db(struct db *a, struct db *b)
{
	if (strcmp(db_path(a), db_path(b)) == 0)
		return true;
	struct stat sa, sb;
	return !db_is_server(a) && !db_is_server(b) && stat(db_path(a), &sa) == 0 &&
	       stat(db_path(b), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* A file the failed copy created: remove it, so the target is as it was (absent). */
static void remove_created(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < ARRAY_LEN(suffix); i++) {
		char *p = xstrdup(path);
		size_t n = strlen(p) + strlen(suffix[i]) + 1;
		p = xrealloc(p, n);
		strcat(p, suffix[i]);
		unlink(p);
		free(p);
	}
}

static int copy(struct ctx *c, struct args *a)
{
	const char *src = a->val[D_FROM], *dst = a->val[D_TO];
	if (!src || !*src || !dst || !*dst)
		return usage_error(c, "copy needs --from SRC and --to DST");
	struct db *from = NULL, *to = NULL;
	int rc;
	/* the source first: a missing one must not leave a new empty target behind */
	warn_db_file(c, src);
	warn_db_file(c, dst);
	if (db_open(src, DB_READONLY, &from, &c->err))
		return fail(c, c->err.code, "source: %s", c->err.msg);
	struct stat st;
	bool existed = stat(dst, &st) == 0 || errno != ENOENT;
	if (db_open(dst, DB_CREATE, &to, &c->err)) {
		db_close(from);
		rc = fail(c, c->err.code, "target: %s", c->err.msg);
		if (!existed && access(dst, F_OK) == 0)
			remove_created(dst);
		return rc;
	}
	bool created = !existed && !db_is_server(to);
	if (same_db(from, to)) {
		rc = usage_error(c, "--from and --to are the same database '%s'", db_path(to));
	} else {
		struct out *o = c->quiet ? NULL : ctx_out(c);
		if (o)
			out_begin(o, cols, (int)ARRAY_LEN(cols));
		rc = db_copy(from, to, a->val[D_FORCE] != NULL, o ? report_row : NULL, o, &c->err);
		if (o) {
			out_finish(o);
			out_free(o);
		}
		if (rc)
			rc = fail_err(c);
	}
	db_close(from);
	db_close(to);
	if (rc && created)
		remove_created(dst);
	return rc;
}

int cmd_db(struct ctx *c, struct args *a)
{
	if (strcmp(a->argv[0], "copy") != 0)
		return usage_error(c, "unknown db action '%s' (copy)", a->argv[0]);
	/* messages say "leads db copy: ...", and its usage is the copy part */
	const struct cmd *db = c->cmd;
	struct cmd sub = *db;
	sub.name = "db copy";
	sub.usage = strchr(db->usage, ' ') + 1;
	c->cmd = &sub;
	int rc = copy(c, a);
	c->cmd = db;
	return rc;
}
