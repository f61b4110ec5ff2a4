/*
 * intake.c - leads from web forms (intake.h): the `intake:` section, the
 * field mapping shared with `add --json`, the spool, the opens token.
 */
#include "intake.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cond.h"
#include "lead.h"
#include "lyaml.h"
#include "rules.h"

/* ---- config ---- */

struct in_ps {
	struct intake_config *c;
	const struct config *cfg;
};

static int h_when(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct in_ps *p = obj;
	(void)k;
	cond_free(p->c->reject_when);
	p->c->reject_when = cond_compile(y, val, p->cfg);
	return p->c->reject_when ? 0 : -1;
}

static int h_fields(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct in_ps *p = obj;
	struct intake_config *c = p->c;
	if (!ly_is_map(val))
		return ly_error(y, val,
		                "expected a mapping of form field: lead field for %s, got %s",
		                k->key, ly_kind(val));
	int rc = 0;
	size_t n = ly_map_len(val);
	for (size_t i = 0; i < n; i++) {
		char *from = NULL, *to = NULL;
		if (ly_str(y, ly_map_key(y, val, i), "a form field", &from) ||
		    ly_str(y, ly_map_val(y, val, i), "a lead field", &to)) {
			free(from);
			free(to);
			rc = -1;
			continue;
		}
		const char *t = to;
		if (strncmp(t, "extra.", 6) == 0)
			t += 6;
		else if (strcmp(t, "ignore") != 0 && strcmp(t, "name") != 0) {
			const struct field_desc *f = lead_field(t);
			if (!f || !(f->flags & FF_EDIT)) {
				ly_error(
				    y, ly_map_val(y, val, i),
				    "'%s' is not a lead field that can be set (use extra.%s for a "
				    "custom field, or ignore)",
				    to, to);
				free(from);
				free(to);
				rc = -1;
				continue;
			}
		}
		if (!*t) {
			ly_error(y, ly_map_val(y, val, i), "empty custom field name");
			free(from);
			free(to);
			rc = -1;
			continue;
		}
		c->map_from = xrealloc(c->map_from, (c->nmap + 1) * sizeof *c->map_from);
		c->map_to = xrealloc(c->map_to, (c->nmap + 1) * sizeof *c->map_to);
		c->map_from[c->nmap] = from;
		c->map_to[c->nmap] = to;
		c->nmap++;
	}
	return rc;
}

static const struct ly_key in_keys[] = {
	{ .key = "spool", .fn = ly_h_str, .off = offsetof(struct intake_config, spool) },
	{ .key = "max_body",
	  .fn = ly_h_int,
	  .off = offsetof(struct intake_config, max_body),
	  .min = 1,
	  .max = INTAKE_MAX_BODY },
	{ .key = "honeypot", .fn = ly_h_str, .off = offsetof(struct intake_config, honeypot) },
	{ .key = "redirect", .fn = ly_h_str, .off = offsetof(struct intake_config, redirect) },
	{ .key = "reject_when", .fn = h_when },
	{ .key = "fields", .fn = h_fields },
	{ .key = "opens", .fn = ly_h_bool, .off = offsetof(struct intake_config, opens) },
	{ .key = "url", .fn = ly_h_str, .off = offsetof(struct intake_config, url) },
	{ .key = "secret", .fn = ly_h_str, .off = offsetof(struct intake_config, secret) },
	{ .key = "secret_file",
	  .fn = ly_h_str,
	  .off = offsetof(struct intake_config, secret_file) },
};

static void in_release(struct config *cfg)
{
	struct intake_config *c = cfg->intake;
	if (!c)
		return;
	free(c->spool);
	free(c->honeypot);
	free(c->redirect);
	cond_free(c->reject_when);
	for (size_t i = 0; i < c->nmap; i++) {
		free(c->map_from[i]);
		free(c->map_to[i]);
	}
	free(c->map_from);
	free(c->map_to);
	free(c->url);
	free(c->secret);
	free(c->secret_file);
	free(c->src);
	free(c);
	cfg->intake = NULL;
}

/* The walker hands the ly_h_* handlers obj + off: give them the config. */
static int h_wrap(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct in_ps *p = obj;
	for (size_t i = 0; i < ARRAY_LEN(in_keys); i++)
		if (strcmp(in_keys[i].key, k->key) == 0) {
			if (in_keys[i].fn == h_when || in_keys[i].fn == h_fields)
				return in_keys[i].fn(y, val, p, &in_keys[i]);
			return in_keys[i].fn(y, val, p->c, &in_keys[i]);
		}
	return -1;
}

static int parse_intake(struct yaml_ctx *y, yaml_node_t *node, struct config *cfg)
{
	in_release(cfg);
	struct intake_config *c = xcalloc(1, sizeof *c);
	c->max_body = INTAKE_DEFAULT_MAX_BODY;
	cfg->intake = c;
	c->src = rules_yaml_echo(y, "intake", node);
	if (ly_is_null(node))
		return 0;
	struct ly_key keys[ARRAY_LEN(in_keys)];
	for (size_t i = 0; i < ARRAY_LEN(in_keys); i++) {
		keys[i] = in_keys[i];
		keys[i].fn = h_wrap;
	}
	struct in_ps p = { c, cfg };
	int rc = ly_walk(y, node, "intake", keys, ARRAY_LEN(keys), &p);
	if (!rc && c->opens && !c->secret && !c->secret_file)
		rc = ly_error(y, node, "intake: opens needs a secret or a secret_file");
	if (!rc && c->opens && !c->url)
		rc = ly_error(y, node, "intake: opens needs the url of the intake program");
	return rc;
}

/* The section as written, but the pixel's secret: config show is pasted
 * into tickets and chats. Its line becomes a comment, so a config written
 * back from it fails loudly ("opens needs a secret") instead of signing
 * with another key. */
static void write_intake(const struct config *cfg, struct sb *out)
{
	if (!cfg->intake || !cfg->intake->src)
		return;
	for (const char *p = cfg->intake->src; *p;) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p + 1) : strlen(p);
		size_t ind = strspn(p, " ");
		if (n > ind + 7 && strncmp(p + ind, "secret:", 7) == 0) {
			sb_add(out, p, ind);
			sb_adds(out, "# secret: (hidden by config show)\n");
		} else {
			sb_add(out, p, n);
		}
		p += n;
	}
}

void intake_register_config(void)
{
	config_register_section("intake", parse_intake, write_intake, in_release);
}

const struct intake_config *intake_config(const struct config *cfg)
{
	static const struct intake_config def = { .max_body = INTAKE_DEFAULT_MAX_BODY };
	return cfg && cfg->intake ? cfg->intake : &def;
}

char *intake_spool_dir(const struct config *cfg)
{
	const struct intake_config *ic = intake_config(cfg);
	const char *s = ic->spool ? ic->spool : INTAKE_DEFAULT_SPOOL;
	if (s[0] == '/' || !cfg->path)
		return xstrdup(s);
	const char *slash = strrchr(cfg->path, '/');
	if (!slash)
		return xstrdup(s);
	struct sb sb = SB_INIT;
	sb_add(&sb, cfg->path, (size_t)(slash - cfg->path) + 1);
	sb_adds(&sb, s);
	return sb_detach(&sb);
}

/* ---- mapping ---- */

const char *intake_alias(const char *key)
{
	static const char *const alias[][2] = {
		{ "first", "first_name" },
		{ "firstname", "first_name" },
		{ "first_name", "first_name" },
		{ "fname", "first_name" },
		{ "given_name", "first_name" },
		{ "last", "last_name" },
		{ "lastname", "last_name" },
		{ "last_name", "last_name" },
		{ "lname", "last_name" },
		{ "surname", "last_name" },
		{ "family_name", "last_name" },
		{ "name", "name" },
		{ "full_name", "name" },
		{ "fullname", "name" },
		{ "your_name", "name" },
		{ "email", "email" },
		{ "mail", "email" },
		{ "e_mail", "email" },
		{ "email_address", "email" },
		{ "your_email", "email" },
		{ "phone", "phone" },
		{ "tel", "phone" },
		{ "telephone", "phone" },
		{ "phone_number", "phone" },
		{ "mobile", "phone" },
		{ "company", "company" },
		{ "company_name", "company" },
		{ "organization", "company" },
		{ "organisation", "company" },
		{ "org", "company" },
		{ "title", "title" },
		{ "job_title", "title" },
		{ "jobtitle", "title" },
		{ "position", "title" },
		{ "website", "website" },
		{ "web", "website" },
		{ "message", "extra.message" },
		{ "comments", "extra.message" },
		{ "comment", "extra.message" },
		{ "msg", "extra.message" },
		{ "city", "city" },
		{ "state", "state" },
		{ "country", "country" },
		{ "industry", "industry" },
		{ "source", "source" },
	};
	char norm[64];
	size_t n = strlen(key);
	if (n >= sizeof norm)
		return NULL;
	for (size_t i = 0; i <= n; i++) {
		char ch = key[i];
		if (ch == '-' || ch == ' ')
			ch = '_';
		else if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		norm[i] = ch;
	}
	for (size_t i = 0; i < ARRAY_LEN(alias); i++)
		if (strcmp(norm, alias[i][0]) == 0)
			return alias[i][1];
	return NULL;
}

static bool space_at(const char *s, size_t *len)
{
	unsigned char c = (unsigned char)s[0];
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
		*len = 1;
		return true;
	}
	/* U+00A0 no-break space */
	if (c == 0xc2 && (unsigned char)s[1] == 0xa0) {
		*len = 2;
		return true;
	}
	return false;
}

void intake_split_name(const char *full, char **first, char **last)
{
	*first = *last = NULL;
	/* words */
	const char *w[64];
	size_t wl[64], nw = 0;
	const char *p = full;
	size_t sl;
	while (*p) {
		while (*p && space_at(p, &sl))
			p += sl;
		if (!*p)
			break;
		const char *s = p;
		while (*p && !space_at(p, &sl))
			p++;
		if (nw < ARRAY_LEN(w)) {
			w[nw] = s;
			wl[nw] = (size_t)(p - s);
			nw++;
		} else {
			wl[nw - 1] = (size_t)(p - w[nw - 1]);
		}
	}
	if (nw == 0)
		return;
	if (nw == 1) {
		*first = xstrndup(w[0], wl[0]);
		return;
	}
	*first = xstrndup(w[0], (size_t)(w[nw - 2] + wl[nw - 2] - w[0]));
	*last = xstrndup(w[nw - 1], wl[nw - 1]);
}

static void put(struct sb *json, bool *any, const char *k, const char *v)
{
	sb_addc(json, *any ? ',' : '{');
	*any = true;
	sb_add_json_str(json, k);
	sb_addc(json, ':');
	sb_add_json_str(json, v);
}

static bool seen(const char *const *keys, size_t n, const char *k)
{
	for (size_t i = 0; i < n; i++)
		if (str_ieq(keys[i], k))
			return true;
	return false;
}

void intake_map(const struct config *cfg, const struct form *f, struct sb *json)
{
	const struct intake_config *ic = intake_config(cfg);
	bool any = false;
	const char **keys = xcalloc(f->n * 2 + 1, sizeof *keys);
	char **owned = xcalloc(f->n * 2 + 1, sizeof *owned);
	size_t nk = 0, no = 0;
	bool has_source = false;
	for (size_t i = 0; i < f->n; i++) {
		const char *a = intake_alias(f->v[i].name);
		if (a && strcmp(a, "source") == 0 && f->v[i].value[0])
			has_source = true;
	}
	for (size_t i = 0; i < ic->nmap; i++)
		if (str_ieq(ic->map_to[i], "source") && form_get(f, ic->map_from[i]))
			has_source = true;
	for (size_t i = 0; i < f->n; i++) {
		const char *name = f->v[i].name, *value = f->v[i].value;
		if (!value[0])
			continue;
		if (ic->honeypot && str_ieq(name, ic->honeypot))
			continue;
		const char *to = NULL;
		for (size_t m = 0; m < ic->nmap && !to; m++)
			if (str_ieq(ic->map_from[m], name))
				to = ic->map_to[m];
		if (!to) {
			if (name[0] == '_' || str_ieq(name, "submit"))
				continue;
			to = intake_alias(name);
		}
		if (!to && strncasecmp(name, "utm_", 4) == 0) {
			if (str_ieq(name, "utm_source") && !has_source &&
			    !seen(keys, nk, "source")) {
				put(json, &any, "source", value);
				keys[nk++] = "source";
			}
			char *k = str_lower(name);
			struct sb e = SB_INIT;
			sb_addf(&e, "extra.%s", k);
			free(k);
			to = owned[no++] = sb_detach(&e);
		}
		if (!to) {
			/* any other name: a custom field of that name */
			struct sb e = SB_INIT;
			sb_addf(&e, "extra.%s", name);
			to = owned[no++] = sb_detach(&e);
		}
		if (strcmp(to, "ignore") == 0 || seen(keys, nk, to))
			continue;
		put(json, &any, to, value);
		keys[nk++] = to;
	}
	if (!any)
		sb_addc(json, '{');
	sb_addc(json, '}');
	for (size_t i = 0; i < no; i++)
		free(owned[i]);
	free(owned);
	free(keys);
}

/* ---- spool ---- */

int intake_spool_write(const char *dir, const char *text, struct lerr *err)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned r = 0;
	int ufd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (ufd >= 0) {
		if (read(ufd, &r, sizeof r) != (ssize_t)sizeof r)
			r = 0;
		close(ufd);
	}
	if (!r)
		r = (unsigned)ts.tv_nsec ^ (unsigned)getpid();
	char name[96], tmp[112];
	snprintf(name, sizeof name, "%lld.%09ld-%ld-%08x.json", (long long)ts.tv_sec,
	         (long)ts.tv_nsec, (long)getpid(), r);
	snprintf(tmp, sizeof tmp, ".tmp-%s", name);
	struct sb tpath = SB_INIT, path = SB_INIT;
	sb_addf(&tpath, "%s/%s", dir, tmp);
	sb_addf(&path, "%s/%s", dir, name);
	int rc = 0;
	int fd = open(tpath.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc =
		    lerr_set(err, EX_CANTCREAT, "cannot create %s: %s", tpath.buf, strerror(errno));
		goto out;
	}
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	if (off < len || fchmod(fd, 0640) != 0 || fsync(fd) != 0) {
		rc = lerr_set(err, EX_IOERR, "cannot write %s: %s", tpath.buf, strerror(errno));
		close(fd);
		unlink(tpath.buf);
		goto out;
	}
	if (close(fd) != 0 || rename(tpath.buf, path.buf) != 0) {
		rc = lerr_set(err, EX_IOERR, "cannot write %s: %s", path.buf, strerror(errno));
		unlink(tpath.buf);
		goto out;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
out:
	sb_free(&tpath);
	sb_free(&path);
	return rc;
}

/* ---- opens token: HMAC-SHA256 from libcrypto, loaded on demand ---- */

typedef const void *(*evp_sha256_fn)(void);
typedef unsigned char *(*hmac_fn)(const void *md, const void *key, int key_len,
                                  const unsigned char *d, size_t n, unsigned char *out,
                                  unsigned int *out_len);

static int load_crypto(evp_sha256_fn *sha, hmac_fn *hmac, struct lerr *err)
{
	static void *h;
	static evp_sha256_fn s;
	static hmac_fn m;
	if (!h) {
		const char *path = getenv("LEADS_LIBCRYPTO");
		if (!path || !*path)
			path = "libcrypto.so.3";
		h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h)
			return lerr_set(
			    err, EX_UNAVAILABLE,
			    "the opens pixel needs libcrypto.so.3 (Debian package libssl3), "
			    "which could not be loaded");
		*(void **)&s = dlsym(h, "EVP_sha256");
		*(void **)&m = dlsym(h, "HMAC");
		if (!s || !m) {
			dlclose(h);
			h = NULL;
			return lerr_set(
			    err, EX_UNAVAILABLE,
			    "the opens pixel needs libcrypto.so.3 (Debian package libssl3) "
			    "with EVP_sha256 and HMAC");
		}
	}
	*sha = s;
	*hmac = m;
	return 0;
}

static int get_secret(const struct intake_config *ic, struct sb *out, struct lerr *err)
{
	if (ic->secret) {
		sb_adds(out, ic->secret);
		return 0;
	}
	if (!ic->secret_file)
		return lerr_set(err, EX_CONFIG,
		                "intake: no secret or secret_file for the opens token");
	FILE *fp = fopen(ic->secret_file, "re");
	if (!fp)
		return lerr_set(err, EX_CONFIG, "intake: cannot read the secret_file %s: %s",
		                ic->secret_file, strerror(errno));
	char buf[512];
	size_t n = fread(buf, 1, sizeof buf, fp);
	fclose(fp);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	if (n < 16)
		return lerr_set(err, EX_CONFIG,
		                "intake: the secret_file %s holds less than 16 bytes",
		                ic->secret_file);
	sb_add(out, buf, n);
	return 0;
}

static int token_mac(const struct config *cfg, int64_t id, char hex[33], struct lerr *err)
{
	evp_sha256_fn sha = NULL;
	hmac_fn hmac = NULL;
	int rc = load_crypto(&sha, &hmac, err);
	if (rc)
		return rc;
	struct sb key = SB_INIT;
	if ((rc = get_secret(intake_config(cfg), &key, err))) {
		sb_free(&key);
		return rc;
	}
	char msg[64];
	int ml = snprintf(msg, sizeof msg, "leads-open:%lld", (long long)id);
	unsigned char mac[64];
	unsigned int maclen = 0;
	if (!hmac(sha(), key.buf, (int)key.len, (const unsigned char *)msg, (size_t)ml, mac,
	          &maclen) ||
	    maclen < 16) {
		sb_free(&key);
		return lerr_set(err, EX_SOFTWARE, "HMAC-SHA256 failed");
	}
	sb_free(&key);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

int intake_token(const struct config *cfg, int64_t id, char *out, size_t n, struct lerr *err)
{
	char hex[33];
	int rc = token_mac(cfg, id, hex, err);
	if (rc)
		return rc;
	snprintf(out, n, "%lld.%s", (long long)id, hex);
	return 0;
}

int intake_token_check(const struct config *cfg, const char *token, int64_t *id, struct lerr *err)
{
	const char *dot = strchr(token, '.');
	if (!dot || dot == token || dot - token > 18 || strlen(dot + 1) != 32)
		return 0;
	char num[20];
	memcpy(num, token, (size_t)(dot - token));
	num[dot - token] = '\0';
	int64_t v;
	if (!str_to_i64(num, &v) || v <= 0 || num[0] == '0' || num[0] == '+')
		return 0;
	char hex[33];
	int rc = token_mac(cfg, v, hex, err);
	if (rc)
		return rc;
	/* constant time */
	unsigned diff = 0;
	for (int i = 0; i < 32; i++)
		diff |= (unsigned)(hex[i] ^ dot[1 + i]);
	if (diff)
		return 0;
	*id = v;
	return 1;
}

char *intake_pixel_url(const struct config *cfg, int64_t id, struct lerr *err)
{
	const struct intake_config *ic = intake_config(cfg);
	if (!ic->opens || !ic->url)
		return NULL;
	char tok[64];
	if (intake_token(cfg, id, tok, sizeof tok, err))
		return NULL;
	struct sb sb = SB_INIT;
	sb_addf(&sb, "%s%co=%s", ic->url, strchr(ic->url, '?') ? '&' : '?', tok);
	return sb_detach(&sb);
}
