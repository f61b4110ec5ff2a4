/* import.c - `leads import`: CSV exports of other CRMs, in one transaction. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "afile.h"
#include "tz.h"
#include "cmd.h"
#include "csv.h"
#include "fields.h"
#include "import.h"
#include "ltime.h"

enum {
	I_PRESET,
	I_DETECT,
	I_DELIM,
	I_ENCODING,
	I_ENC_ERRORS,
	I_MAP,
	I_MAP_FILE,
	I_IGNORE,
	I_STAGE_MAP,
	I_STATUS_MAP,
	I_DATE_FORMAT,
	I_TIMEZONE,
	I_OWNER_MAP,
	I_MATCH,
	I_ON_DUP,
	I_ONLY_UPDATE,
	I_REJECTS,
	I_STRICT,
	I_DRY_RUN,
	I_NO_ROUTE,
	I_NO_EVENTS,
	I_EVENTS,
	I_LIST,
	I_REVERT,
	I_FORCE,
};

const struct opt opts_import[] = {
	[I_PRESET] = { "preset", 'p', "NAME", IMAP_PRESET_WORDS "(default: detected)", 0,
	               COMP_WORDS, IMAP_PRESET_WORDS },
	[I_DETECT] = { "detect", 0, NULL, "show the preset and column mapping; import nothing", 0,
	               COMP_NONE, NULL },
	[I_DELIM] = { "delimiter", 0, "CHAR", "field delimiter (default: detected; 'tab' for tab)",
	              0, COMP_NONE, NULL },
	[I_ENCODING] = { "encoding", 0, "ENC",
	                 "input encoding: windows-1252, latin1, utf-16le, ...", 0, COMP_NONE,
	                 NULL },
	[I_ENC_ERRORS] = { "encoding-errors", 0, "MODE",
	                   "strict (default: invalid text is an error) or replace (U+FFFD)", 0,
	                   COMP_WORDS, "strict replace" },
	[I_MAP] = { "map", 'm', "COL=FIELD,...", "map columns to fields (or extra.KEY, or -)",
	            OPT_MULTI, COMP_NONE, NULL },
	[I_MAP_FILE] = { "map-file", 0, "FILE", "column mappings, one COL=FIELD a line", 0,
	                 COMP_FILE, NULL },
	[I_IGNORE] = { "ignore", 0, "COL", "drop a column (repeatable)", OPT_MULTI, COMP_NONE,
	               NULL },
	[I_STAGE_MAP] = { "stage-map", 0, "VALUE=STAGE,...", "map status values to stages", 0,
	                  COMP_NONE, NULL },
	[I_STATUS_MAP] = { "status-map", 0, "VALUE=STATUS,...", "map status values to statuses", 0,
	                   COMP_NONE, NULL },
	[I_DATE_FORMAT] = { "date-format", 0, "[COL=]FMT",
	                    "iso, ymd, mdy, dmy, epoch-ms, epoch-s, any-mdy, any-dmy or a "
	                    "pattern (%d.%m.%y), for every date column or COL (default: "
	                    "detected)",
	                    OPT_MULTI, COMP_WORDS, "iso ymd mdy dmy epoch-ms epoch-s" },
	[I_TIMEZONE] = { "timezone", 0, "ZONE",
	                 "the zone of the file's times without an offset (default: the config's "
	                 "timezone:, else UTC; never $TZ), e.g. Europe/Berlin",
	                 0, COMP_NONE, NULL },
	[I_OWNER_MAP] = { "owner-map", 0, "FILE",
	                  "CSV of old,new owner names: the old CRM's owners to team members", 0,
	                  COMP_FILE, NULL },
	[I_MATCH] = { "match", 0, "KEYS",
	              "what makes a duplicate: email,external_id,phone,name+company "
	              "(default email,external_id)",
	              0, COMP_NONE, NULL },
	[I_ON_DUP] = { "on-duplicate", 0, "MODE", "skip (default), update or error", 0, COMP_WORDS,
	               "skip update error" },
	[I_ONLY_UPDATE] = { "only-update", 0, NULL, "update existing leads, create none", 0,
	                    COMP_NONE, NULL },
	[I_REJECTS] = { "rejects", 'r', "FILE", "write refused rows to FILE (CSV, mode 0600)", 0,
	                COMP_FILE, NULL },
	[I_STRICT] = { "strict", 0, NULL, "stop at the first bad row or unknown value (exit 65)", 0,
	               COMP_NONE, NULL },
	[I_DRY_RUN] = { "dry-run", 'n', NULL, "do everything but write; print the summary", 0,
	                COMP_NONE, NULL },
	[I_NO_ROUTE] = { "no-route", 0, NULL, "do not route leads without an owner", 0, COMP_NONE,
	                 NULL },
	[I_NO_EVENTS] = { "no-events", 0, NULL, "run no workflows for the imported leads", 0,
	                  COMP_NONE, NULL },
	[I_EVENTS] = { "events", 0, "WHICH",
	               "which new leads fire workflows: recent (default: open leads created "
	               "lately), all or none",
	               0, COMP_WORDS, "recent all none" },
	[I_LIST] = { "list", 'l', NULL, "list past imports", 0, COMP_NONE, NULL },
	[I_REVERT] = { "revert", 0, "BATCH", "undo an import batch", 0, COMP_NONE, NULL },
	[I_FORCE] = { "force", 0, NULL, "with --revert: also leads changed since", 0, COMP_NONE,
	              NULL },
	{ 0 },
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

struct run {
	struct ctx *c;
	FILE *rej; /* --rejects: rej_file.fp */
	struct afile rej_file;
	size_t ncols;
	int shown; /* reasons printed without --rejects */
	uint64_t size;
	struct timespec t0;
	bool bar;
};

static double elapsed(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void on_reject(void *p, uint64_t line, const char *reason, const char *const *cells,
                      size_t n)
{
	struct run *r = p;
	if (r->rej) {
		struct sb row = SB_INIT;
		char num[32];
		snprintf(num, sizeof num, "%llu", (unsigned long long)line);
		csv_write_field(&row, num, ',', false);
		sb_addc(&row, ',');
		csv_write_field(&row, reason, ',', false);
		for (size_t i = 0; i < n; i++) {
			sb_addc(&row, ',');
			csv_write_field(&row, cells[i], ',', false);
		}
		sb_addc(&row, '\n');
		fwrite(row.buf, 1, row.len, r->rej);
		sb_free(&row);
	} else if (r->shown++ < 5) {
		note(r->c, "line %llu: %s", (unsigned long long)line, reason);
	}
}

static void on_notice(void *p, const char *msg)
{
	struct run *r = p;
	note(r->c, "%s", msg);
}

static void on_progress(void *p, uint64_t bytes, uint64_t rows)
{
	struct run *r = p;
	if (!r->bar)
		return;
	double t = elapsed(&r->t0);
	double pct = r->size ? 100.0 * (double)bytes / (double)r->size : 0;
	double rate = t > 0 ? (double)rows / t : 0;
	double eta = pct > 0 ? t * (100.0 - pct) / pct : 0;
	int w = (int)(pct / 5);
	char line[160];
	int n = snprintf(line, sizeof line, "[%-20.*s] %5.1f%%  %llu rows  %.0f rows/s  ETA %.0fs ",
	                 w, "####################", pct, (unsigned long long)rows, rate, eta);
	/* never as wide as the terminal: a wrapped line would not be redrawn by \r */
	struct winsize ws;
	if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && n >= (int)ws.ws_col)
		n = ws.ws_col - 1;
	if (n > (int)sizeof line - 1)
		n = (int)sizeof line - 1;
	fprintf(stderr, "\r%.*s", n, line);
	fflush(stderr);
}

/* A pipe cannot be read twice: copy it to an unlinked temporary file. */
static int spool_stdin(struct ctx *c, int *fd)
{
	const char *dir = getenv("TMPDIR");
	struct sb path = SB_INIT;
	sb_addf(&path, "%s/leads-import-XXXXXX", dir && *dir ? dir : "/tmp");
	int t = mkstemp(path.buf);
	if (t < 0) {
		int rc = fail(c, EX_IOERR, "cannot create a temporary file in '%s': %s",
		              dir && *dir ? dir : "/tmp", strerror(errno));
		sb_free(&path);
		return rc;
	}
	unlink(path.buf);
	sb_free(&path);
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(0, buf, sizeof buf)) > 0) {
		if (write(t, buf, (size_t)n) != n) {
			close(t);
			return fail(c, EX_IOERR, "cannot spool standard input: %s",
			            strerror(errno));
		}
	}
	if (n < 0 || lseek(t, 0, SEEK_SET) < 0) {
		close(t);
		return fail(c, EX_IOERR, "cannot read standard input: %s", strerror(errno));
	}
	*fd = t;
	return 0;
}

static int parse_match(struct ctx *c, const char *spec, struct import_opts *o)
{
	static const char *const names[] = { "email", "external_id", "phone", "name+company" };
	o->nmatch = 0;
	char *s = xstrdup(spec);
	int rc = 0;
	for (char *tok = strtok(s, ","); tok && !rc; tok = strtok(NULL, ",")) {
		str_trim(tok);
		int k = -1;
		for (int i = 0; i < 4; i++)
			if (str_ieq(tok, names[i]) || (i == 1 && str_ieq(tok, "ext_id")))
				k = i;
		if (k < 0)
			rc = usage_error(c,
			                 "unknown --match key '%s' (email, external_id, phone, "
			                 "name+company)",
			                 tok);
		else if (o->nmatch < IMPORT_MAX_MATCH)
			o->match[o->nmatch++] = (enum import_match)k;
	}
	free(s);
	if (!rc && !o->nmatch)
		rc = usage_error(c, "--match needs at least one key");
	return rc;
}

struct batch_rows {
	struct ctx *c;
	struct out *o;
};

static int batch_row(const struct import_batch *b, void *p)
{
	struct out *o = ((struct batch_rows *)p)->o;
	struct ctx *c = ((struct batch_rows *)p)->c;
	char t[LTIME_BUFSZ];
	out_int(o, b->id);
	out_str(o, fmt_time(c, b->started_at, t));
	out_str(o, b->actor);
	out_str(o, b->preset);
	out_str(o, b->file);
	out_str(o, b->counts);
	if (b->reverted_at) {
		out_str(o, fmt_time(c, b->reverted_at, t));
	} else {
		out_null(o);
	}
	out_end_row(o);
	return 0;
}

/*
 * The database, opened here rather than by main(): --detect needs none,
 * --list and --revert need an existing one, an import may create it.
 */
static int open_db(struct ctx *c, bool create)
{
	warn_db_file(c, c->db_path);
	if (db_open(c->db_path, create ? DB_CREATE : 0, &c->db, &c->err))
		return fail_err(c);
	return 0;
}

static int list_batches(struct ctx *c)
{
	int rc = open_db(c, false);
	if (rc)
		return rc;
	static const struct out_col cols[] = {
		{ "batch", NULL, OUT_T_INT, 1 },
		{ "started_at", "WHEN", OUT_T_STR, 0 },
		{ "actor", "WHO", OUT_T_STR, 0 },
		{ "preset", NULL, OUT_T_STR, 0 },
		{ "file", NULL, OUT_T_STR, 0 },
		{ "counts", NULL, OUT_T_RAW, 0 },
		{ "reverted_at", "REVERTED", OUT_T_STR, 0 },
	};
	struct out *o = ctx_out(c);
	out_begin(o, cols, (int)ARRAY_LEN(cols));
	struct batch_rows br = { c, o };
	rc = db_import_list(c->db, batch_row, &br, &c->err);
	out_finish(o);
	out_free(o);
	return rc ? fail_err(c) : 0;
}

static void print_changed(void *p, int64_t id, const char *email)
{
	(void)p;
	out_tprintf(stderr, "  changed since the import: #%lld %s\n", (long long)id,
	            email ? email : "");
}

static int revert(struct ctx *c, const char *arg, bool force)
{
	int64_t batch;
	if (!str_to_i64(arg, &batch) || batch <= 0)
		return usage_error(c, "--revert wants a batch number (see 'leads import --list')");
	struct revert_stats rs;
	int rc = open_db(c, false);
	if (rc)
		return rc;
	rc = db_begin(c->db, &c->err);
	if (!rc)
		rc = db_import_revert(c->db, batch, force, c->now, c->actor, print_changed, c, &rs,
		                      &c->err);
	if (!rc)
		rc = db_commit(c->db, &c->err);
	else
		db_rollback(c->db);
	if (rc)
		return fail_err(c);
	note(c, "reverted batch %lld: %llu lead%s deleted, %llu restored", (long long)batch,
	     (unsigned long long)rs.deleted, rs.deleted == 1 ? "" : "s",
	     (unsigned long long)rs.restored);
	if (rs.merged)
		note(c,
		     "kept %llu lead%s of the batch that took part in a merge (leads merge), as "
		     "they are",
		     (unsigned long long)rs.merged, rs.merged == 1 ? "" : "s");
	return 0;
}

static int detect(struct ctx *c, struct import_opts *io)
{
	struct imap m;
	struct imap_detection d;
	struct import_stats st = { 0 };
	struct hook_env env = { .cfg = c->cfg, .err = &c->err }; /* no database */
	if (!io->hooks)
		io->hooks = &env;
	int rc = import_detect(io, &m, &d, c->cfg ? &st : NULL, &c->err);
	io->hooks = NULL;
	if (rc) {
		imap_free(&m);
		import_stats_free(&st);
		return fail_err(c);
	}
	/* the confidence is the detection's: it says nothing of a --preset */
	if (!c->quiet && c->fmt == OUT_TABLE && io->preset)
		printf("preset: %s (%s, chosen with --preset)\n", imap_preset_name(d.preset),
		       imap_preset_label(d.preset));
	else if (!c->quiet && c->fmt == OUT_TABLE && d.why[0])
		printf("preset: %s (%s, confidence %s: %s)\n", imap_preset_name(d.preset),
		       imap_preset_label(d.preset), imap_conf_name(d.conf), d.why);
	else if (!c->quiet && c->fmt == OUT_TABLE)
		printf("preset: %s (%s, confidence %s)\n", imap_preset_name(d.preset),
		       imap_preset_label(d.preset), imap_conf_name(d.conf));
	for (size_t i = 0; i < m.nnotes; i++)
		note(c, "%s", m.notes[i]);
	static const struct out_col cols[] = {
		{ "column", NULL, OUT_T_STR, 0 },
		{ "target", "FIELD", OUT_T_STR, 0 },
		{ "by", NULL, OUT_T_STR, 0 },
	};
	static const char *const origin[] = { "default", "preset", "generic", "user" };
	struct out *o = ctx_out(c);
	out_begin(o, cols, (int)ARRAY_LEN(cols));
	for (size_t i = 0; i < m.ncols; i++) {
		struct sb t = SB_INIT;
		imap_col_describe(&m.cols[i], &t);
		out_str(o, m.cols[i].name);
		out_str(o, sb_str(&t));
		out_str(o, origin[m.cols[i].origin]);
		out_end_row(o);
		sb_free(&t);
	}
	out_finish(o);
	out_free(o);
	imap_free(&m);
	if (st.nunmapped) {
		/* before anything is written: what --owner-map should cover */
		struct sb sb = SB_INIT;
		for (size_t i = 0; i < st.nunmapped; i++) {
			if (i)
				sb_adds(&sb, ", ");
			sb_adds(&sb, st.unmapped_owners[i]);
		}
		note(c,
		     "owners not in the team (would be kept as source_owner; map them with "
		     "--owner-map): %s",
		     sb.buf);
		sb_free(&sb);
	}
	import_stats_free(&st);
	return 0;
}

static void summary(struct ctx *c, const struct import_stats *s, double secs, bool dry)
{
	double rate = secs > 0 ? (double)s->read / secs : 0;
	if (c->fmt == OUT_JSON || c->fmt == OUT_JSONL) {
		printf("{\"batch\":%lld,\"preset\":\"%s\",\"read\":%llu,\"inserted\":%llu,"
		       "\"updated\":%llu,\"duplicates\":%llu,\"rejected\":%llu,"
		       "\"not_found\":%llu,\"warnings\":%llu,\"events_fired\":%llu,"
		       "\"events_quiet\":%llu,\"dry_run\":%s,"
		       "\"elapsed\":%.3f,\"rows_per_s\":%.0f}\n",
		       dry ? 0LL : (long long)s->batch, s->preset, (unsigned long long)s->read,
		       (unsigned long long)s->inserted, (unsigned long long)s->updated,
		       (unsigned long long)s->dup_skipped, (unsigned long long)s->rejected,
		       (unsigned long long)s->not_found, (unsigned long long)s->warnings,
		       (unsigned long long)s->events_fired, (unsigned long long)s->events_quiet,
		       dry ? "true" : "false", secs, rate);
		return;
	}
	if (c->quiet)
		return;
	fprintf(stderr,
	        "%s%s: %llu read, %llu inserted, %llu updated, %llu duplicates skipped, "
	        "%llu rejected, %llu warnings",
	        dry ? "dry run, nothing written: " : "", s->preset, (unsigned long long)s->read,
	        (unsigned long long)s->inserted, (unsigned long long)s->updated,
	        (unsigned long long)s->dup_skipped, (unsigned long long)s->rejected,
	        (unsigned long long)s->warnings);
	if (s->not_found)
		fprintf(stderr, ", %llu not found", (unsigned long long)s->not_found);
	if (s->events_fired + s->events_quiet)
		fprintf(stderr, ", workflows fired for %llu (%llu imported quietly)",
		        (unsigned long long)s->events_fired, (unsigned long long)s->events_quiet);
	fprintf(stderr, " (%.2fs, %.0f rows/s)", secs, rate);
	if (!dry)
		fprintf(stderr, "; batch %lld", (long long)s->batch);
	fputc('\n', stderr);
	if (s->warnings && s->first_warning[0])
		out_tprintf(stderr, "first warning: %s\n", s->first_warning);
	if (s->nunmapped) {
		/* every owner the team does not know, once: for --owner-map */
		struct sb sb = SB_INIT;
		for (size_t i = 0; i < s->nunmapped; i++) {
			if (i)
				sb_adds(&sb, ", ");
			sb_adds(&sb, s->unmapped_owners[i]);
		}
		out_tprintf(stderr,
		            "owners not in the team (kept as source_owner; map them with "
		            "--owner-map): %s\n",
		            sb.buf);
		sb_free(&sb);
	}
}

static int open_rejects(struct ctx *c, struct run *r, const char *path)
{
	if (afile_open(&r->rej_file, path, &c->err))
		return fail_err(c);
	/* committed rows and their rejects go together: if the rename fails
	 * after the commit, the rejects stay in the temporary file, named */
	r->rej_file.keep_tmp = true;
	r->rej = r->rej_file.fp;
	return 0;
}

/* The rejects file's header: where and why, then the file's own columns. */
static void on_header(void *p, const char *const *cells, size_t n)
{
	struct run *r = p;
	if (!r->rej)
		return;
	struct sb row = SB_INIT;
	sb_adds(&row, "rejected_line,rejected_reason");
	for (size_t i = 0; i < n; i++) {
		sb_addc(&row, ',');
		csv_write_field(&row, cells[i], ',', false);
	}
	sb_addc(&row, '\n');
	fwrite(row.buf, 1, row.len, r->rej);
	sb_free(&row);
}

/*
 * Flush and fsync the rejects, before the import commits: rows refused
 * must never be lost while the rows taken are kept.
 */
static int sync_rejects(void *p, struct lerr *err)
{
	struct run *r = p;
	if (r->rej && afile_sync(&r->rej_file, err))
		return err->code;
	return 0;
}

/* Put the rejects file in place (keep), or drop it. */
static int close_rejects(struct ctx *c, struct run *r, bool keep)
{
	if (!r->rej)
		return 0;
	r->rej = NULL;
	if (!keep) {
		afile_abort(&r->rej_file);
		return 0;
	}
	if (afile_commit(&r->rej_file, &c->err))
		return fail_err(c);
	return 0;
}

int cmd_import(struct ctx *c, struct args *a)
{
	if (a->val[I_LIST])
		return list_batches(c);
	if (a->val[I_REVERT])
		return revert(c, a->val[I_REVERT], a->val[I_FORCE] != NULL);
	if (a->argc != 1)
		return usage_error(c, "give one FILE to import ('-' for standard input)");

	struct import_opts io = { 0 };
	io.file = a->argv[0];
	io.preset = a->val[I_PRESET];
	io.maps = a->multi[I_MAP];
	io.ignores = a->multi[I_IGNORE];
	io.stage_map = a->val[I_STAGE_MAP];
	io.status_map = a->val[I_STATUS_MAP];
	io.date_formats = a->multi[I_DATE_FORMAT];
	/* the file's zone is not the machine's: --timezone, the config's, UTC */
	io.timezone = a->val[I_TIMEZONE];
	io.tz = c->cfg ? c->cfg->tz : NULL;
	io.owner_map = a->val[I_OWNER_MAP];
	io.strict = a->val[I_STRICT] != NULL;
	io.only_update = a->val[I_ONLY_UPDATE] != NULL;
	io.csv.encoding = a->val[I_ENCODING];
	io.match[0] = MATCH_EMAIL;
	io.match[1] = MATCH_EXT_ID;
	io.nmatch = 2;
	int rc;
	if (a->val[I_MATCH] && (rc = parse_match(c, a->val[I_MATCH], &io)))
		return rc;
	if (a->val[I_ON_DUP]) {
		const char *d = a->val[I_ON_DUP];
		if (strcmp(d, "skip") == 0)
			io.on_dup = DUP_SKIP;
		else if (strcmp(d, "update") == 0)
			io.on_dup = DUP_UPDATE;
		else if (strcmp(d, "error") == 0)
			io.on_dup = DUP_ERROR;
		else
			return usage_error(c, "--on-duplicate is skip, update or error, not '%s'",
			                   d);
	}
	if (io.only_update && io.on_dup == DUP_SKIP)
		io.on_dup = DUP_UPDATE;
	if (a->val[I_ENC_ERRORS]) {
		if (strcmp(a->val[I_ENC_ERRORS], "replace") == 0)
			io.csv.replace_invalid = true;
		else if (strcmp(a->val[I_ENC_ERRORS], "strict") != 0)
			return usage_error(c, "--encoding-errors is strict or replace");
	}
	if (a->val[I_DELIM]) {
		const char *d = a->val[I_DELIM];
		if (str_ieq(d, "tab") || strcmp(d, "\\t") == 0)
			io.csv.delim = '\t';
		else if (strlen(d) == 1 && d[0] != '"' && d[0] != '\n' && d[0] != '\r')
			io.csv.delim = d[0];
		else
			return usage_error(c, "--delimiter wants one character, not '%s'", d);
	}
	char *map_text = NULL;
	if (a->val[I_MAP_FILE]) {
		FILE *fp = fopen(a->val[I_MAP_FILE], "r");
		if (!fp)
			return fail(c, EX_NOINPUT, "cannot open map file '%s': %s",
			            a->val[I_MAP_FILE], strerror(errno));
		rc = read_all(c, fp, a->val[I_MAP_FILE], 1 << 20, &map_text);
		fclose(fp);
		if (rc)
			return rc;
		io.map_file_text = map_text;
		io.map_file_name = a->val[I_MAP_FILE];
	}

	int fd = -1;
	struct run r = { .c = c };
	if (strcmp(io.file, "-") == 0) {
		io.file = "(stdin)";
		if ((rc = spool_stdin(c, &fd)))
			goto out;
	} else {
		fd = open(io.file, O_RDONLY | O_CLOEXEC);
		struct stat sta;
		if (fd < 0) {
			rc = fail(c, errno == ENOENT ? EX_NOINPUT : EX_IOERR,
			          "cannot open '%s': %s", io.file, strerror(errno));
			goto out;
		}
		if (fstat(fd, &sta) == 0 && S_ISDIR(sta.st_mode)) {
			rc = fail(c, EX_NOINPUT, "'%s' is a directory", io.file);
			goto out;
		}
	}
	io.fd = fd;
	if (a->val[I_DETECT]) {
		rc = detect(c, &io);
		goto out;
	}

	struct stat sta;
	r.size = fstat(fd, &sta) == 0 ? (uint64_t)sta.st_size : 0;
	r.bar = c->tty_err && !c->quiet;
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	c->no_route = a->val[I_NO_ROUTE] != NULL;
	c->no_events = a->val[I_NO_EVENTS] != NULL;
	if (a->val[I_EVENTS]) {
		const char *e = a->val[I_EVENTS];
		if (strcmp(e, "all") == 0)
			io.events = IMPORT_EVENTS_ALL;
		else if (strcmp(e, "recent") == 0)
			io.events = IMPORT_EVENTS_RECENT;
		else if (strcmp(e, "none") == 0)
			io.events = IMPORT_EVENTS_NONE;
		else {
			rc = usage_error(c, "bad --events '%s' (recent, all or none)", e);
			goto out;
		}
	}
	if ((rc = open_db(c, true)))
		goto out;
	struct hook_env env = { .db = c->db,
		                .cfg = c->cfg,
		                .now = c->now,
		                .actor = c->actor,
		                .no_route = c->no_route,
		                .no_events = c->no_events,
		                .dry_run = a->val[I_DRY_RUN] != NULL,
		                .err = &c->err };
	io.hooks = &env;
	io.stop = &stop_signal;
	io.reject = on_reject;
	io.notice = on_notice;
	io.header = on_header;
	io.progress = on_progress;
	io.ctx = &r;
	if (a->val[I_REJECTS] && (rc = open_rejects(c, &r, a->val[I_REJECTS])))
		goto out;

	/* Ctrl-C or a TERM rolls back cleanly: the loop stops at the next row. */
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct import_stats st;
	bool dry = a->val[I_DRY_RUN] != NULL;
	io.before_commit = sync_rejects;
	rc = import_run(&io, &st, &c->err);
	if (r.bar)
		fputs("\r\033[K", stderr);
	if (rc) {
		import_stats_free(&st);
		close_rejects(c, &r, false);
		rc = fail_err(c);
		goto out;
	}
	if (r.shown > 5)
		note(c, "... and %d more rejected rows (use --rejects FILE to keep them all)",
		     r.shown - 5);
	if ((rc = close_rejects(c, &r, true)))
		goto out;
	summary(c, &st, elapsed(&r.t0), dry);
	import_stats_free(&st);
	if (io.strict && st.warnings)
		rc = EX_FAIL;
out:
	close_rejects(c, &r, false); /* still open: the import did not happen */
	if (fd >= 0)
		close(fd);
	free(map_text);
	return rc;
}
