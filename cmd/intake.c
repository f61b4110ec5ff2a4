/*
 * intake.c - `leads intake`: a web form's submission as a CGI program,
 * spooled for the database's owner; `leads intake --drain` imports the
 * spool (the sweep drains it too). And the opens pixel. leads-intake(1).
 *
 * The CGI side never opens the database and never tells the sender more
 * than what was wrong with the submission: the details (paths, errno
 * text) go to standard error, which the web server logs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "cond.h"
#include "fields.h"
#include "form.h"
#include "intake.h"
#include "outbox.h"

enum { I_DRAIN, I_PIXEL };
const struct opt opts_intake[] = {
	[I_DRAIN] = { "drain", 0, NULL,
	              "import the spooled submissions into the database (as its owner)", 0,
	              COMP_NONE, NULL },
	[I_PIXEL] = { "pixel-url", 0, "ID", "print the signed opens pixel URL of outbox message ID",
	              0, COMP_NONE, NULL },
	{ 0 },
};

/* ---- the CGI answer ---- */

static void answer_json(int status, const char *reason, const char *error)
{
	struct sb b = SB_INIT;
	if (error) {
		sb_adds(&b, "{\"ok\":false,\"error\":");
		sb_add_json_str(&b, error);
		sb_adds(&b, "}\n");
	} else {
		sb_adds(&b, "{\"ok\":true}\n");
	}
	printf("Status: %d %s\r\n"
	       "Content-Type: application/json; charset=utf-8\r\n"
	       "Cache-Control: no-store\r\n"
	       "X-Content-Type-Options: nosniff\r\n",
	       status, reason);
	if (status == 405)
		printf("Allow: POST\r\n");
	printf("Content-Length: %zu\r\n\r\n%s", b.len, b.buf);
	fflush(stdout);
	sb_free(&b);
}

static const char *reason_of(int status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 411:
		return "Length Required";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	default:
		return "Internal Server Error";
	}
}

/* An error answer; the exit status follows DECISIONS' codes. */
static int refuse(struct ctx *c, int status, const char *msg)
{
	answer_json(status, reason_of(status), msg);
	if (status >= 500)
		return EX_SOFTWARE;
	note(c, "refused a submission (%d): %s", status, msg);
	return EX_DATAERR;
}

/* Success, or what a spam bot is told: the same, so it learns nothing. */
static int accepted(struct ctx *c)
{
	const struct intake_config *ic = intake_config(c->cfg);
	if (ic->redirect) {
		printf("Status: 303 See Other\r\nLocation: %s\r\nCache-Control: no-store\r\n"
		       "Content-Length: 0\r\n\r\n",
		       ic->redirect);
		fflush(stdout);
		return 0;
	}
	answer_json(202, "Accepted", NULL);
	return 0;
}

static int64_t no_count(void *ctx, int64_t lead_id, const char *kind, int64_t since)
{
	(void)ctx;
	(void)lead_id;
	(void)kind;
	(void)since;
	return 0;
}

static int64_t no_last(void *ctx, int64_t lead_id, const char *kind)
{
	(void)ctx;
	(void)lead_id;
	(void)kind;
	return 0;
}

static int spool_json(struct ctx *c, const char *text)
{
	char *dir = intake_spool_dir(c->cfg);
	int rc = intake_spool_write(dir, text, &c->err);
	free(dir);
	if (rc) {
		fail_err(c);
		answer_json(500, "Internal Server Error", "the submission could not be saved");
	}
	return rc;
}

/* The 1x1 transparent GIF. */
static const unsigned char pixel_gif[] = {
	0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
	0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
	0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
};

static int cgi_get(struct ctx *c)
{
	const struct intake_config *ic = intake_config(c->cfg);
	const char *qs = getenv("QUERY_STRING");
	struct form q = { 0 };
	char msg[160];
	const char *tok = NULL;
	if (qs && *qs && form_parse_urlencoded(qs, strlen(qs), &q, msg, sizeof msg) == 0)
		tok = form_get(&q, "o");
	if (!tok) {
		form_free(&q);
		return refuse(c, 405, "send the form with POST");
	}
	if (!ic->opens) {
		form_free(&q);
		return refuse(c, 404, "not found");
	}
	int64_t id = 0;
	int ok = intake_token_check(c->cfg, tok, &id, &c->err);
	form_free(&q);
	int rc = 0;
	if (ok > 1) {
		fail_err(c); /* the server's log: libcrypto or the secret is missing */
		rc = ok;
	} else if (ok == 1) {
		struct sb j = SB_INIT;
		sb_addf(&j, "{\"type\":\"open\",\"at\":%lld,\"message\":%lld}\n", (long long)c->now,
		        (long long)id);
		char *dir = intake_spool_dir(c->cfg);
		if ((rc = intake_spool_write(dir, j.buf, &c->err)))
			fail_err(c);
		free(dir);
		sb_free(&j);
	} else {
		note(c, "an opens token that does not verify");
	}
	/* the same picture whatever happened: a token cannot be tried out */
	printf("Status: 200 OK\r\nContent-Type: image/gif\r\n"
	       "Cache-Control: no-store, no-cache, must-revalidate, private\r\n"
	       "Content-Length: %zu\r\n\r\n",
	       sizeof pixel_gif);
	fwrite(pixel_gif, 1, sizeof pixel_gif, stdout);
	fflush(stdout);
	return rc;
}

static int cgi_post(struct ctx *c)
{
	const struct intake_config *ic = intake_config(c->cfg);
	const char *cl = getenv("CONTENT_LENGTH");
	int64_t len;
	if (!cl || !*cl || !str_to_i64(cl, &len) || len < 0)
		return refuse(c, 411, "a Content-Length is required");
	if (len > ic->max_body)
		return refuse(c, 413, "the submission is too large");
	char *body = xmalloc((size_t)len + 1);
	size_t got = 0;
	while (got < (size_t)len) {
		size_t n = fread(body + got, 1, (size_t)len - got, stdin);
		if (n == 0)
			break;
		got += n;
	}
	body[got] = '\0';
	if (got < (size_t)len) {
		free(body);
		return refuse(c, 400, "the submission was cut short");
	}
	struct form f = { 0 };
	char msg[256];
	int st = form_parse(getenv("CONTENT_TYPE"), body, got, &f, msg, sizeof msg);
	free(body);
	if (st) {
		form_free(&f);
		return refuse(c, st, msg);
	}
	int rc = 0;
	if (ic->honeypot && form_get(&f, ic->honeypot) && *form_get(&f, ic->honeypot)) {
		note(c, "spam: the honeypot field '%s' was filled in; nothing kept", ic->honeypot);
		form_free(&f);
		return accepted(c);
	}
	struct sb fields = SB_INIT;
	intake_map(c->cfg, &f, &fields);
	form_free(&f);

	/* the one validator: the same reading as `add --json`, on a scratch lead */
	struct lead l;
	lead_init(&l);
	char *stage = NULL;
	if (add_json_fields(c, &l, fields.buf, "form", &stage)) {
		/* what the validator said is about the sender's own values */
		rc = refuse(c, 400,
		            fail_last()[0] ? fail_last() : "a field has a value that is not valid");
		goto out;
	}
	if (stage && !config_stage(c->cfg, stage)) {
		rc = refuse(c, 400, "a field has a value that is not valid");
		goto out;
	}
	if (lc_identifiable(&l, &c->err)) {
		rc = refuse(c, 400, "a lead needs an email, a name, a company or a phone");
		goto out;
	}
	if (ic->reject_when) {
		struct cond_env env = { .l = &l,
			                .cfg = c->cfg,
			                .now = c->now,
			                .activity_count = no_count,
			                .activity_last = no_last };
		struct sb why = SB_INIT;
		bool hit = cond_eval(ic->reject_when, &env, &why);
		if (hit) {
			note(c, "spam: reject_when matched (%s); nothing kept", sb_str(&why));
			sb_free(&why);
			rc = accepted(c);
			goto out;
		}
		sb_free(&why);
	}
	struct sb j = SB_INIT;
	sb_addf(&j, "{\"type\":\"lead\",\"at\":%lld,\"fields\":%s}\n", (long long)c->now,
	        fields.buf);
	rc = spool_json(c, j.buf);
	sb_free(&j);
	if (!rc)
		rc = accepted(c);
out:
	free(stage);
	lead_free(&l);
	sb_free(&fields);
	return rc;
}

static int cgi(struct ctx *c)
{
	const char *m = getenv("REQUEST_METHOD");
	if (!m)
		return usage_error(
		    c, "REQUEST_METHOD is not set: 'leads intake' runs as a CGI program "
		       "(see leads-intake(1)), or with --drain");
	c->quiet = false;
	if (strcmp(m, "POST") == 0)
		return cgi_post(c);
	if (strcmp(m, "GET") == 0)
		return cgi_get(c);
	return refuse(c, 405, "send the form with POST");
}

/* ---- drain ---- */

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Move a bad file to failed/ with its reason beside it (NAME.error). */
static void set_aside(struct ctx *c, const char *dir, const char *name, const char *why)
{
	struct sb fdir = SB_INIT, from = SB_INIT, to = SB_INIT, ef = SB_INIT;
	sb_addf(&fdir, "%s/failed", dir);
	sb_addf(&from, "%s/%s", dir, name);
	sb_addf(&to, "%s/%s", fdir.buf, name);
	sb_addf(&ef, "%s/%s.error", fdir.buf, name);
	if (mkdir(fdir.buf, 0700) != 0 && errno != EEXIST)
		note(c, "cannot create %s: %s", fdir.buf, strerror(errno));
	if (rename(from.buf, to.buf) != 0)
		note(c, "cannot move %s to %s: %s", from.buf, to.buf, strerror(errno));
	FILE *fp = fopen(ef.buf, "we");
	if (fp) {
		fprintf(fp, "%s\n", why);
		fclose(fp);
	}
	fprintf(stderr, "leads intake: %s: %s (moved to %s)\n", name, why, fdir.buf);
	sb_free(&fdir);
	sb_free(&from);
	sb_free(&to);
	sb_free(&ef);
}

/* A lead from the spool: the add --json path, or a note on the one with its email. */
static int drain_lead(struct ctx *c, const char *fields, int64_t at)
{
	struct lead l;
	lead_init(&l);
	char *stage = NULL;
	int64_t now = c->now;
	c->now = at;
	int rc = add_json_fields(c, &l, fields, "spool", &stage);
	if (!rc && lc_identifiable(&l, &c->err))
		rc = fail(c, EX_DATAERR, "a lead needs an email, a name, a company or a phone");
	int64_t other = 0;
	int found = 0;
	if (!rc && l.t[LT_EMAIL]) {
		found = db_lead_id_by_email(c->db, l.t[LT_EMAIL], &other, &c->err);
		if (found < 0)
			rc = fail_err(c);
	}
	if (!rc && found) {
		/* the same person again: the submission goes into that lead's history */
		struct lead o;
		if ((rc = db_lead_by_id(c->db, other, &o, &c->err)) == 0) {
			struct sb d = SB_INIT;
			sb_addf(&d, "{\"form\":%s}", fields);
			rc = record(c, &o, "form", NULL, NULL, d.buf);
			sb_free(&d);
			lead_free(&o);
		} else {
			rc = fail_err(c);
		}
	} else if (!rc) {
		rc = add_create(c, &l, stage);
	}
	c->now = now;
	free(stage);
	lead_free(&l);
	return rc;
}

/* An open: email.opened on the message's lead, once per message. */
static int drain_open(struct ctx *c, int64_t id, int64_t at)
{
	char key[48];
	snprintf(key, sizeof key, "email_opened:%lld", (long long)id);
	char *done = db_state_get(c->db, key);
	if (done) {
		free(done);
		return 0;
	}
	struct outbox_msg m;
	memset(&m, 0, sizeof m);
	if (db_outbox_get(c->db, id, &m, &c->err))
		return fail_err(c);
	int rc = 0;
	if (m.lead_id) {
		struct lead l;
		if ((rc = db_lead_by_id(c->db, m.lead_id, &l, &c->err)))
			rc = fail_err(c);
		else {
			struct lc lc = ctx_lc(c);
			struct sb d = SB_INIT;
			sb_addf(&d, "{\"message\":%lld}", (long long)id);
			if (lc_log(&lc, &l, "email_opened", d.buf, at, "email_opened", 0))
				rc = fail_err(c);
			sb_free(&d);
			lead_free(&l);
		}
	}
	outbox_msg_free(&m);
	if (!rc && db_state_set(c->db, key, "1", &c->err))
		rc = fail_err(c);
	return rc;
}

/* The state key that marks spool file name imported, in the same
 * transaction as its lead: a drain that dies between the commit and the
 * unlink does not import the file twice. */
static void done_key(const char *name, char *key, size_t n)
{
	snprintf(key, n, "intake_file:%s", name);
}

static int drain_one(struct ctx *c, const char *path, const char *name, char *why, size_t whysz)
{
	char key[400];
	done_key(name, key, sizeof key);
	char *done = db_state_get(c->db, key);
	if (done) {
		free(done);
		return 0; /* imported already; only its removal was left */
	}
	FILE *fp = fopen(path, "re");
	if (!fp) {
		snprintf(why, whysz, "cannot read it: %s", strerror(errno));
		return EX_NOINPUT;
	}
	char *text = NULL;
	int rc = read_all(c, fp, path, 2u << 20, &text);
	fclose(fp);
	if (rc) {
		snprintf(why, whysz, "cannot read it");
		return EX_DATAERR;
	}
	char *type = db_json_get(NULL, text, "type");
	char *at_s = db_json_get(NULL, text, "at");
	int64_t at = 0;
	if (!type || !at_s || !str_to_i64(at_s, &at) || at <= 0) {
		snprintf(why, whysz, "not a spool file (no type or time)");
		rc = EX_DATAERR;
	} else if (strcmp(type, "lead") == 0) {
		char *fields = db_json_get(NULL, text, "fields");
		if (!fields || !db_json_valid(NULL, fields)) {
			snprintf(why, whysz, "no fields object");
			rc = EX_DATAERR;
		} else if ((rc = db_begin(c->db, &c->err)) == 0) {
			if ((rc = drain_lead(c, fields, at)) == 0 &&
			    (rc = db_state_set(c->db, key, "1", &c->err)) != 0)
				rc = fail_err(c);
			if (!rc)
				rc = db_commit(c->db, &c->err) ? fail_err(c) : 0;
			else
				db_rollback(c->db);
			if (rc)
				snprintf(why, whysz, "%s",
				         fail_last()[0] ? fail_last() : "the lead was refused");
		}
		free(fields);
	} else if (strcmp(type, "open") == 0) {
		char *m = db_json_get(NULL, text, "message");
		int64_t id;
		if (!m || !str_to_i64(m, &id) || id <= 0) {
			snprintf(why, whysz, "no message id");
			rc = EX_DATAERR;
		} else if ((rc = db_begin(c->db, &c->err)) == 0) {
			if ((rc = drain_open(c, id, at)) == 0)
				rc = db_commit(c->db, &c->err) ? fail_err(c) : 0;
			else
				db_rollback(c->db);
			if (rc)
				snprintf(why, whysz, "%s", fail_last());
		}
		free(m);
	} else {
		snprintf(why, whysz, "unknown type of submission");
		rc = EX_DATAERR;
	}
	free(type);
	free(at_s);
	free(text);
	return rc;
}

int intake_drain(struct ctx *c, bool quiet_missing, int64_t *imported, int64_t *failed)
{
	*imported = *failed = 0;
	char *dir = intake_spool_dir(c->cfg);
	DIR *d = opendir(dir);
	if (!d) {
		int rc = 0;
		if (!(quiet_missing && errno == ENOENT))
			rc = fail(c, errno == ENOENT ? EX_NOINPUT : EX_NOPERM,
			          "cannot read the spool directory %s: %s", dir, strerror(errno));
		free(dir);
		return rc;
	}
	/* one drain at a time (the sweep from cron, a --drain by hand) */
	if (flock(dirfd(d), LOCK_EX | LOCK_NB) != 0) {
		closedir(d);
		free(dir);
		if (quiet_missing)
			return 0; /* the sweep: the other drain does the work */
		return fail(c, EX_TEMPFAIL, "another drain of the spool is running; try again");
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".json") != 0)
			continue;
		names = xgrow(names, &cap, n + 1, sizeof *names);
		names[n++] = xstrdup(e->d_name);
	}
	if (n)
		qsort(names, n, sizeof *names, name_cmp);
	int rc = 0;
	const char *actor = c->actor;
	c->actor = "intake"; /* who the history says did it */
	for (size_t i = 0; i < n; i++) {
		struct sb path = SB_INIT;
		sb_addf(&path, "%s/%s", dir, names[i]);
		char why[1100] = "";
		int r = drain_one(c, path.buf, names[i], why, sizeof why);
		if (r == 0) {
			if (unlink(path.buf) != 0 && errno != ENOENT)
				rc = fail(c, EX_IOERR, "imported %s but cannot remove it: %s",
				          path.buf, strerror(errno));
			else
				++*imported;
		} else if (r == EX_DATAERR || r == EX_USAGE || r == EX_NOINPUT) {
			set_aside(c, dir, names[i], why);
			++*failed;
		} else {
			/* the database (busy, unwritable): stop, keep the file for next time */
			rc = r;
			sb_free(&path);
			break;
		}
		sb_free(&path);
	}
	c->actor = actor;
	closedir(d); /* and the lock with it */
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dir);
	return rc;
}

int cmd_intake(struct ctx *c, struct args *a)
{
	if (a->val[I_PIXEL]) {
		int64_t id;
		if (a->val[I_DRAIN])
			return usage_error(c, "--pixel-url and --drain do not go together");
		if (!str_to_i64(a->val[I_PIXEL], &id) || id <= 0)
			return usage_error(c, "--pixel-url: '%s' is not a message id",
			                   a->val[I_PIXEL]);
		if (!intake_config(c->cfg)->opens)
			return fail(c, EX_CONFIG,
			            "the opens pixel is off (intake.opens: true turns it on)");
		char *url = intake_pixel_url(c->cfg, id, &c->err);
		if (!url)
			return fail_err(c);
		printf("%s\n", url);
		free(url);
		return 0;
	}
	if (!a->val[I_DRAIN])
		return cgi(c);
	warn_db_file(c, c->db_path);
	if (db_open(c->db_path, 0, &c->db, &c->err))
		return fail_err(c);
	if (db_begin(c->db, &c->err) || db_sync_stages(c->db, c->cfg, &c->err) ||
	    db_commit(c->db, &c->err))
		return fail_err(c);
	int64_t imported, failed;
	int rc = intake_drain(c, false, &imported, &failed);
	if (!c->quiet)
		fprintf(stderr, "leads intake: %lld imported, %lld set aside\n",
		        (long long)imported, (long long)failed);
	if (!rc && failed)
		rc = EX_DATAERR;
	return rc;
}
