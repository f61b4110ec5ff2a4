/*
 * maildir.c - replies and bounces from a Maildir (maildir.h).
 *
 * GMime is loaded on demand, as libpq is (lib/db_pg.c): only a sweep with
 * a Maildir needs it, and interactive commands stay fast without it. Its
 * objects are used through opaque pointers: no GLib header is needed to
 * build leads.
 */
#include "maildir.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lifecycle.h"
#include "lyaml.h"
#include "mail.h"
#include "outbox.h"
#include "sequence.h"

/* ---- GMime 3, loaded on demand ---- */

typedef void *gp; /* any GObject or GMime structure */
#define GM_FUNCS                                                                                   \
	X(void, g_mime_init, (void))                                                               \
	X(gp, g_mime_stream_fs_open, (const char *, int, int, gp))                                 \
	X(gp, g_mime_parser_new_with_stream, (gp))                                                 \
	X(gp, g_mime_parser_construct_message, (gp, gp))                                           \
	X(const char *, g_mime_object_get_header, (gp, const char *))                              \
	X(gp, g_mime_object_get_content_type, (gp))                                                \
	X(char *, g_mime_object_to_string, (gp, gp))                                               \
	X(int, g_mime_content_type_is_type, (gp, const char *, const char *))                      \
	X(const char *, g_mime_content_type_get_parameter, (gp, const char *))                     \
	X(const char *, g_mime_message_get_message_id, (gp))                                       \
	X(const char *, g_mime_message_get_subject, (gp))                                          \
	X(gp, g_mime_message_get_from, (gp))                                                       \
	X(gp, g_mime_message_get_mime_part, (gp))                                                  \
	X(gp, g_mime_message_part_get_message, (gp))                                               \
	X(int, g_mime_multipart_get_count, (gp))                                                   \
	X(gp, g_mime_multipart_get_part, (gp, int))                                                \
	X(char *, g_mime_text_part_get_text, (gp))                                                 \
	X(char *, internet_address_list_to_string, (gp, gp, int))                                  \
	X(gp, g_mime_references_parse, (gp, const char *))                                         \
	X(int, g_mime_references_length, (gp))                                                     \
	X(const char *, g_mime_references_get_message_id, (gp, int))                               \
	X(void, g_mime_references_free, (gp))                                                      \
	X(void, g_object_unref, (gp))                                                              \
	X(void, g_free, (void *))

static struct {
#define X(ret, name, args) ret(*name) args;
	GM_FUNCS
#undef X
} gm;

static int gm_load(struct lerr *err)
{
	static void *lib;
	if (lib)
		return 0;
	const char *path = getenv("LEADS_LIBGMIME");
	if (!path || !*path)
		path = "libgmime-3.0.so.0";
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		return lerr_set(err, EX_UNAVAILABLE,
		                "reading a Maildir needs GMime (libgmime-3.0.so.0, Debian package "
		                "libgmime-3.0-0), which could not be loaded: %s",
		                why ? why : path);
	}
	const char *missing = NULL;
#define X(ret, name, args)                                                                         \
	if (!(*(void **)&gm.name = dlsym(h, #name)) && !missing)                                   \
		missing = #name;
	GM_FUNCS
#undef X
	if (missing) {
		dlclose(h);
		memset(&gm, 0, sizeof gm);
		return lerr_set(err, EX_UNAVAILABLE,
		                "reading a Maildir needs GMime 3 (Debian package libgmime-3.0-0), "
		                "and %s has no %s",
		                path, missing);
	}
	gm.g_mime_init();
	lib = h;
	return 0;
}

/* ---- config: mail: maildir: ---- */

static int parse_maildir(struct yaml_ctx *y, yaml_node_t *node, struct config *cfg)
{
	free(cfg->mail_maildir);
	cfg->mail_maildir = NULL;
	if (ly_is_null(node))
		return 0;
	return ly_str(y, node, "maildir", &cfg->mail_maildir);
}

static void write_maildir(const struct config *cfg, struct sb *out)
{
	if (cfg->mail_maildir) {
		sb_adds(out, "  maildir: ");
		ly_emit_str(out, cfg->mail_maildir);
		sb_addc(out, '\n');
	}
}

static void release_maildir(struct config *cfg)
{
	free(cfg->mail_maildir);
	cfg->mail_maildir = NULL;
}

void maildir_register_config(void)
{
	config_register_section("mail.maildir", parse_maildir, write_maildir, release_maildir);
}

/* ---- one message ---- */

struct msg_info {
	char *from;    /* bare address, lower case */
	char *subject; /* UTF-8 */
	char *msgid;
	char **refs; /* In-Reply-To, then References */
	size_t nrefs, cap;
	char *snippet; /* the start of the text, quotes left out */
	bool dsn;      /* a delivery status notification */
	bool failed;   /* ... saying delivery failed */
	char *rcpt;    /* its failed recipient */
	char *status;  /* 5.1.1 */
	char *diag;
	char *orig_msgid; /* the returned message's Message-ID */
};

static void msg_info_free(struct msg_info *m)
{
	free(m->from);
	free(m->subject);
	free(m->msgid);
	for (size_t i = 0; i < m->nrefs; i++)
		free(m->refs[i]);
	free(m->refs);
	free(m->snippet);
	free(m->rcpt);
	free(m->status);
	free(m->diag);
	free(m->orig_msgid);
	memset(m, 0, sizeof *m);
}

/* The bare address of "Name <addr>" or addr, lower case. */
static char *bare(const char *s)
{
	if (!s)
		return NULL;
	const char *lt = strrchr(s, '<');
	const char *a = lt ? lt + 1 : s;
	while (*a == ' ' || *a == '\t')
		a++;
	size_t n = strcspn(a, lt ? ">" : " ,\t\r\n");
	char *r = xstrndup(a, n);
	for (char *p = r; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return r;
}

static void add_refs(struct msg_info *m, const char *text)
{
	if (!text)
		return;
	gp r = gm.g_mime_references_parse(NULL, text);
	if (!r)
		return;
	int n = gm.g_mime_references_length(r);
	for (int i = 0; i < n; i++) {
		const char *id = gm.g_mime_references_get_message_id(r, i);
		if (!id)
			continue;
		m->refs = xgrow(m->refs, &m->cap, m->nrefs + 1, sizeof *m->refs);
		m->refs[m->nrefs++] = xstrdup(id);
	}
	gm.g_mime_references_free(r);
}

/* The value of field `name:` in a block of "Name: value" lines, or NULL. */
static char *field(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = text; p && *p;) {
		if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
			const char *v = p + n + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t len = strcspn(v, "\r\n");
			while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
				len--;
			return xstrndup(v, len);
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

/* What a delivery-status part says (RFC 3464), first failed recipient. */
static void read_dsn(struct msg_info *m, const char *text)
{
	/* per-recipient blocks follow the per-message one, blank-line separated */
	const char *p = text;
	while (p && *p) {
		const char *end = strstr(p, "\n\n");
		const char *end2 = strstr(p, "\r\n\r\n");
		if (!end || (end2 && end2 < end))
			end = end2;
		char *block = end ? xstrndup(p, (size_t)(end - p)) : xstrdup(p);
		char *action = field(block, "Action");
		char *rcpt = field(block, "Final-Recipient");
		if (!rcpt)
			rcpt = field(block, "Original-Recipient");
		if (action && rcpt && !m->rcpt) {
			bool failed = strncasecmp(action, "failed", 6) == 0;
			if (failed || !m->rcpt) {
				const char *semi = strchr(rcpt, ';');
				char *addr = bare(semi ? semi + 1 : rcpt);
				if (failed) {
					m->failed = true;
					m->rcpt = addr;
					m->status = field(block, "Status");
					m->diag = field(block, "Diagnostic-Code");
				} else
					free(addr);
			}
		}
		free(action);
		free(rcpt);
		free(block);
		p = end ? end + (end[0] == '\r' ? 4 : 2) : NULL;
	}
}

static void read_report(struct msg_info *m, gp top)
{
	int n = gm.g_mime_multipart_get_count(top);
	for (int i = 0; i < n; i++) {
		gp part = gm.g_mime_multipart_get_part(top, i);
		gp ct = part ? gm.g_mime_object_get_content_type(part) : NULL;
		if (!ct)
			continue;
		if (gm.g_mime_content_type_is_type(ct, "message", "delivery-status") ||
		    gm.g_mime_content_type_is_type(ct, "message", "global-delivery-status")) {
			char *s = gm.g_mime_object_to_string(part, NULL);
			if (s) {
				/* past the part's own MIME header */
				const char *body = strstr(s, "\n\n");
				read_dsn(m, body ? body + 2 : s);
				gm.g_free(s);
			}
		} else if (gm.g_mime_content_type_is_type(ct, "message", "rfc822") ||
		           gm.g_mime_content_type_is_type(ct, "message", "global")) {
			gp inner = gm.g_mime_message_part_get_message(part);
			const char *id = inner ? gm.g_mime_message_get_message_id(inner) : NULL;
			if (id && !m->orig_msgid)
				m->orig_msgid = xstrdup(id);
		} else if (gm.g_mime_content_type_is_type(ct, "text", "rfc822-headers")) {
			char *s = gm.g_mime_object_to_string(part, NULL);
			const char *body = s ? strstr(s, "\n\n") : NULL;
			char *id = body ? field(body + 2, "Message-ID") : NULL;
			if (id && !m->orig_msgid) {
				char *b = bare(id);
				m->orig_msgid = b;
			}
			free(id);
			if (s)
				gm.g_free(s);
		}
	}
}

/* The first lines of the reply's own text, without the quoted message. */
static char *snippet(const char *text)
{
	struct sb out = SB_INIT;
	for (const char *p = text; p && *p && out.len < 200;) {
		size_t n = strcspn(p, "\r\n");
		bool quote = *p == '>';
		/* "On ... wrote:" starts the quote in most clients */
		bool intro = n > 6 && strncmp(p + n - 6, "wrote:", 6) == 0;
		if (intro)
			break;
		if (!quote && n) {
			if (out.len)
				sb_addc(&out, ' ');
			sb_add(&out, p, n);
		}
		p += n;
		while (*p == '\r' || *p == '\n')
			p++;
	}
	if (out.len > 200)
		out.len = 200, out.buf[200] = '\0';
	return sb_detach(&out);
}

/* The first text/plain part, depth first (a reply's own words). */
static gp find_text(gp obj, int depth)
{
	gp ct = obj ? gm.g_mime_object_get_content_type(obj) : NULL;
	if (!ct || depth > 8)
		return NULL;
	if (gm.g_mime_content_type_is_type(ct, "text", "plain"))
		return obj;
	if (!gm.g_mime_content_type_is_type(ct, "multipart", "*"))
		return NULL;
	int n = gm.g_mime_multipart_get_count(obj);
	for (int i = 0; i < n; i++) {
		gp t = find_text(gm.g_mime_multipart_get_part(obj, i), depth + 1);
		if (t)
			return t;
	}
	return NULL;
}

static int parse_file(const char *path, struct msg_info *m)
{
	memset(m, 0, sizeof *m);
	gp stream = gm.g_mime_stream_fs_open(path, O_RDONLY, 0, NULL);
	if (!stream)
		return -1;
	gp parser = gm.g_mime_parser_new_with_stream(stream);
	gp msg = parser ? gm.g_mime_parser_construct_message(parser, NULL) : NULL;
	if (!msg) {
		if (parser)
			gm.g_object_unref(parser);
		gm.g_object_unref(stream);
		return -1;
	}
	gp from = gm.g_mime_message_get_from(msg);
	char *f = from ? gm.internet_address_list_to_string(from, NULL, 0) : NULL;
	if (f) {
		/* the first mailbox of the list */
		char *comma = strstr(f, ">,");
		if (comma)
			comma[1] = '\0';
		m->from = bare(f);
		gm.g_free(f);
	}
	const char *s = gm.g_mime_message_get_subject(msg);
	m->subject = xstrdup(s ? s : "");
	const char *id = gm.g_mime_message_get_message_id(msg);
	m->msgid = id ? xstrdup(id) : NULL;
	add_refs(m, gm.g_mime_object_get_header(msg, "In-Reply-To"));
	add_refs(m, gm.g_mime_object_get_header(msg, "References"));
	gp top = gm.g_mime_message_get_mime_part(msg);
	gp ct = top ? gm.g_mime_object_get_content_type(top) : NULL;
	if (ct && gm.g_mime_content_type_is_type(ct, "multipart", "report")) {
		const char *rt = gm.g_mime_content_type_get_parameter(ct, "report-type");
		if (rt && strcasecmp(rt, "delivery-status") == 0) {
			m->dsn = true;
			read_report(m, top);
		}
	}
	if (!m->dsn) {
		gp body = find_text(top, 0);
		if (body) {
			char *t = gm.g_mime_text_part_get_text(body);
			if (t) {
				m->snippet = snippet(t);
				gm.g_free(t);
			}
		}
	}
	gm.g_object_unref(msg);
	gm.g_object_unref(parser);
	gm.g_object_unref(stream);
	return 0;
}

/* ---- matching ---- */

/* The lead of a Message-ID the outbox made (<leads.ID.HASH@host>), or 0. */
static int outbox_lead(struct db *db, const char *msgid, int64_t *lead, struct lerr *err)
{
	*lead = 0;
	const char *p = msgid;
	if (*p == '<')
		p++;
	if (strncmp(p, "leads.", 6) != 0)
		return 0;
	char *end;
	long long id = strtoll(p + 6, &end, 10);
	if (id <= 0 || *end != '.')
		return 0;
	struct outbox_msg m;
	struct lerr e = { 0 };
	int rc = db_outbox_get(db, id, &m, &e);
	if (rc == EX_NOINPUT)
		return 0;
	if (rc) {
		*err = e;
		return rc;
	}
	/* the hash part must be the message's own: ids are not guessable keys */
	char want[256];
	mail_message_id(m.id, m.idem_key, "x@x", want, sizeof want);
	const char *at = strchr(want, '@');
	size_t n = at ? (size_t)(at - want - 1) : 0;
	if (n && strncmp(want + 1, p, n) == 0 && p[n] == '@' && m.sent_at)
		*lead = m.lead_id;
	outbox_msg_free(&m);
	return 0;
}

static int lead_by_email(struct db *db, const char *addr, int64_t *lead, struct lerr *err)
{
	*lead = 0;
	if (!addr || !strchr(addr, '@'))
		return 0;
	int found = db_lead_id_by_email(db, addr, lead, err);
	if (found < 0)
		return err->code ? err->code : EX_SOFTWARE;
	if (!found)
		*lead = 0;
	return 0;
}

/* d starts as "{": one more "key":"value" (none for a NULL value) */
static void json_kv(struct sb *d, const char *k, const char *v)
{
	if (!v)
		return;
	if (d->len > 1)
		sb_addc(d, ',');
	sb_add_json_str(d, k);
	sb_addc(d, ':');
	sb_add_json_str(d, v);
}

static int handle(struct db *db, const struct config *cfg, const struct msg_info *m, int64_t now,
                  const char *actor, struct maildir_counts *n, struct lerr *err)
{
	int64_t lead = 0;
	int rc = 0;
	if (m->dsn) {
		if (!m->failed)
			return 0; /* delayed, relayed, delivered: nothing to do */
		if (m->orig_msgid && (rc = outbox_lead(db, m->orig_msgid, &lead, err)))
			return rc;
		if (!lead && (rc = lead_by_email(db, m->rcpt, &lead, err)))
			return rc;
		if (!lead) {
			n->unmatched++;
			return 0;
		}
		struct lead l;
		if ((rc = db_lead_by_id(db, lead, &l, err)))
			return rc;
		struct sb why = SB_INIT;
		sb_addf(&why, "%s%s%s", m->status ? m->status : "failed", m->diag ? " " : "",
		        m->diag ? m->diag : "");
		int stopped = 0;
		struct sb d = SB_INIT;
		sb_addc(&d, '{');
		json_kv(&d, "rcpt", m->rcpt);
		json_kv(&d, "status", m->status);
		json_kv(&d, "diagnostic", m->diag);
		json_kv(&d, "message_id", m->msgid);
		sb_addc(&d, '}');
		bool seen;
		if (!(rc = db_seq_logged(db, lead, "email_bounced", m->msgid, &seen, err)) &&
		    !seen) {
			struct event ev = { .lead_id = lead,
				            .at = now,
				            .actor = actor,
				            .kind = "email_bounced",
				            .data = d.buf };
			if (!(rc = db_mail_bounced(db, lead, why.buf, now, err)) &&
			    !(rc = db_seq_stop_lead(db, lead, NULL, "bounced", now, &stopped, err)))
				rc = db_event_add(db, &ev, err);
			if (!rc)
				n->bounces++;
		}
		sb_free(&d);
		sb_free(&why);
		lead_free(&l);
		return rc;
	}
	for (size_t i = 0; i < m->nrefs && !lead && !rc; i++)
		rc = outbox_lead(db, m->refs[i], &lead, err);
	if (!rc && !lead)
		rc = lead_by_email(db, m->from, &lead, err);
	if (rc)
		return rc;
	if (!lead) {
		n->unmatched++;
		return 0;
	}
	bool seen;
	if ((rc = db_seq_logged(db, lead, "email_replied", m->msgid, &seen, err)) || seen)
		return rc;
	struct lead l;
	if ((rc = db_lead_by_id(db, lead, &l, err)))
		return rc;
	struct sb d = SB_INIT;
	sb_addc(&d, '{');
	json_kv(&d, "from", m->from);
	json_kv(&d, "subject", m->subject);
	json_kv(&d, "message_id", m->msgid);
	json_kv(&d, "text", m->snippet && *m->snippet ? m->snippet : NULL);
	sb_addc(&d, '}');
	struct lc c = { .db = db, .cfg = cfg, .now = now, .actor = actor, .err = err };
	rc = lc_log(&c, &l, "email_replied", d.buf, 0, "email_replied", 0);
	if (!rc)
		n->replies++;
	if (!rc && strncasecmp(m->subject, "unsubscribe", 11) == 0) {
		int stopped;
		if (!(rc = db_mail_do_not_email(db, lead, true, now, err)) &&
		    !(rc = db_seq_stop_lead(db, lead, NULL, "unsubscribed", now, &stopped, err)))
			rc = lc_record(&c, &l, "do_not_email", "false", "true",
			               "{\"reason\":\"unsubscribed\"}");
		if (!rc)
			n->unsubscribed++;
	}
	sb_free(&d);
	lead_free(&l);
	return rc;
}

/* ---- the Maildir ---- */

/* cur/NAME with S among the flags of its info (":2,FLAGS", sorted). */
static char *seen_name(const char *name)
{
	const char *info = strstr(name, ":2,");
	struct sb out = SB_INIT;
	if (!info) {
		sb_adds(&out, name);
		sb_adds(&out, ":2,S");
		return sb_detach(&out);
	}
	sb_add(&out, name, (size_t)(info - name) + 3);
	const char *flags = info + 3;
	bool put = false;
	for (const char *p = flags; *p; p++) {
		if (!put && *p > 'S') {
			sb_addc(&out, 'S');
			put = true;
		}
		sb_addc(&out, *p);
	}
	if (!put)
		sb_addc(&out, 'S');
	return sb_detach(&out);
}

static bool has_seen(const char *name)
{
	const char *info = strstr(name, ":2,");
	return info && strchr(info + 3, 'S') != NULL;
}

static int one_dir(struct db *db, const struct config *cfg, const char *dir, const char *sub,
                   int64_t now, const char *actor, bool dry, struct maildir_counts *n,
                   struct lerr *err)
{
	struct sb path = SB_INIT;
	sb_addf(&path, "%s/%s", dir, sub);
	DIR *d = opendir(path.buf);
	if (!d) {
		int e = errno;
		sb_free(&path);
		return lerr_set(err, EX_NOINPUT, "'%s' is not a Maildir (no %s/): %s", dir, sub,
		                strerror(e));
	}
	/* names first: renaming while reading a directory may show a file twice */
	char **names = NULL;
	size_t nn = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (strcmp(sub, "cur") == 0 && has_seen(de->d_name))
			continue;
		names = xgrow(names, &cap, nn + 1, sizeof *names);
		names[nn++] = xstrdup(de->d_name);
	}
	closedir(d);
	int rc = 0;
	for (size_t i = 0; i < nn && !rc; i++) {
		struct sb f = SB_INIT;
		sb_addf(&f, "%s/%s", path.buf, names[i]);
		struct msg_info m;
		if (parse_file(f.buf, &m) != 0) {
			n->bad++;
			sb_free(&f);
			continue;
		}
		n->read++;
		if (!dry) {
			if (!(rc = db_begin(db, err))) {
				rc = handle(db, cfg, &m, now, actor, n, err);
				if (rc)
					db_rollback(db);
				else
					rc = db_commit(db, err);
			}
			if (!rc) {
				char *to_name = seen_name(names[i]);
				struct sb to = SB_INIT;
				sb_addf(&to, "%s/cur/%s", dir, to_name);
				if (rename(f.buf, to.buf) != 0)
					rc = lerr_set(err, EX_IOERR, "cannot mark '%s' read: %s",
					              f.buf, strerror(errno));
				sb_free(&to);
				free(to_name);
			}
		} /* a dry run reads and counts, and writes nothing */
		msg_info_free(&m);
		sb_free(&f);
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	free(names);
	sb_free(&path);
	return rc;
}

int maildir_sweep(struct db *db, const struct config *cfg, const char *dir, int64_t now,
                  const char *actor, bool dry, struct maildir_counts *n, struct lerr *err)
{
	int rc = gm_load(err);
	if (!rc)
		rc = one_dir(db, cfg, dir, "new", now, actor, dry, n, err);
	if (!rc)
		rc = one_dir(db, cfg, dir, "cur", now, actor, dry, n, err);
	return rc;
}
