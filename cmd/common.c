/* common.c - helpers the command files share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "ltime.h"
#include "pager.h"
#include "tz.h"
#include "when.h"

bool parse_when(struct ctx *c, const char *s, int64_t *out)
{
	struct ldur d;
	if (when_parse(s, c->now, user_tz(c), WHEN_START, out))
		return true;
	if (ldur_parse(s, &d)) { /* "30d": that long ago */
		*out = ldur_sub(c->now, d);
		return true;
	}
	return false;
}

bool parse_due(struct ctx *c, const char *s, int64_t *out)
{
	struct ldur d;
	if (when_parse(s, c->now, user_tz(c), WHEN_END, out))
		return true;
	if (ldur_parse(s, &d)) { /* "2h": that long from now */
		*out = ldur_add(c->now, d);
		return true;
	}
	return false;
}

/* /etc/localtime, read as a TZif file: the system's zone. */
static struct tz *system_tz(void)
{
	int fd = open("/etc/localtime", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	struct tz *tz = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
	    st.st_size < (1 << 20)) {
		size_t n = (size_t)st.st_size, got = 0;
		unsigned char *buf = xmalloc(n);
		while (got < n) {
			ssize_t r = read(fd, buf + got, n - got);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
		}
		struct lerr e = { 0 };
		char name[256] = "localtime";
		char link[256];
		ssize_t ln = readlink("/etc/localtime", link, sizeof link - 1);
		if (ln > 0) {
			link[ln] = '\0';
			const char *z = strstr(link, "zoneinfo/");
			if (z)
				snprintf(name, sizeof name, "%s", z + 9);
		}
		if (got == n && tz_parse(name, buf, n, &tz, &e) != 0)
			tz = NULL;
		free(buf);
	}
	close(fd);
	return tz;
}

const struct tz *user_tz(struct ctx *c)
{
	if (c->cfg && c->cfg->tz)
		return c->cfg->tz;
	if (c->tz)
		return c->tz;
	const char *env = getenv("TZ");
	struct lerr e = { 0 };
	if (env && *env == ':')
		env++;
	if (env && *env && tz_load(env, &c->tz, &e) == 0)
		return c->tz;
	if (!env || !*env)
		c->tz = system_tz();
	if (!c->tz)
		c->tz = tz_utc();
	return c->tz;
}

bool parse_row_id(const char *s, int64_t *id)
{
	if (s && *s == '#')
		s++;
	return str_to_i64(s, id) && *id > 0;
}

const char *fmt_time(struct ctx *c, int64_t t, char *buf)
{
	if (c->fmt == OUT_TABLE)
		when_fmt_local(user_tz(c), t, buf);
	else if (c->local)
		tz_fmt(user_tz(c), t, buf);
	else
		ltime_fmt(t, buf);
	return buf;
}

const char *fmt_time_msg(struct ctx *c, int64_t t, char *buf)
{
	const struct tz *tz = user_tz(c);
	char iso[LTIME_BUFSZ];
	tz_fmt(tz, t, iso);
	when_fmt_local(tz, t, buf);
	const char *off = strlen(iso) > 19 && strcmp(iso + 19, "Z") != 0 ? iso + 19 : "UTC";
	size_t n = strlen(buf);
	snprintf(buf + n, LTIME_BUFSZ - n, " %s", off);
	return buf;
}

static char *git_email(void)
{
	FILE *p = popen("git config user.email 2>/dev/null", "r");
	if (!p)
		return NULL;
	char buf[256];
	char *r = fgets(buf, sizeof buf, p) && *str_trim(buf) ? xstrdup(buf) : NULL;
	pclose(p);
	return r;
}

static const struct member *member_by_user(const struct config *cfg, const char *user)
{
	if (str_empty(user))
		return NULL;
	const struct member *m = config_member(cfg, user);
	for (size_t i = 0; !m && i < cfg->nteam; i++) {
		const char *e = cfg->team[i].email, *at = e ? strchr(e, '@') : NULL;
		if (at && (size_t)(at - e) == strlen(user) &&
		    strncasecmp(e, user, strlen(user)) == 0)
			m = &cfg->team[i];
	}
	return m;
}

const char *my_name(struct ctx *c, char *why, size_t n)
{
	const char *lu = getenv("LEADS_USER"), *user = getenv("USER");
	if (!c->cfg || !c->cfg->nteam) {
		if (str_empty(lu) && str_empty(user))
			snprintf(why, n, "who you are is unknown (set LEADS_USER)");
		return !str_empty(lu) ? lu : !str_empty(user) ? user : NULL;
	}
	if (!str_empty(lu)) {
		const struct member *m = config_member(c->cfg, lu);
		if (m)
			return m->name;
		snprintf(why, n, "LEADS_USER '%s' is no team member's name or email", lu);
		return NULL;
	}
	const struct member *m = member_by_user(c->cfg, user);
	if (m)
		return m->name;
	char *ge = git_email();
	m = config_member(c->cfg, ge);
	if (!m)
		snprintf(
		    why, n, "no team member is '%s'%s%s%s; set LEADS_USER to your name or email",
		    str_empty(user) ? "" : user, ge ? " or '" : "", ge ? ge : "", ge ? "'" : "");
	free(ge);
	return m ? m->name : NULL;
}

int pick(struct ctx *c, const char *what, const char *s, const char *const *names, const int *ids,
         size_t n, int *out)
{
	size_t len = strlen(s);
	int found = -1, nfound = 0;
	for (size_t i = 0; i < n; i++)
		if (names[i] && str_ieq(names[i], s)) {
			*out = ids ? ids[i] : (int)i;
			return 0;
		}
	struct sb amb = SB_INIT;
	for (size_t i = 0; len && i < n; i++) {
		int id = ids ? ids[i] : (int)i;
		if (!names[i] || strncasecmp(names[i], s, len) != 0 || id == found)
			continue;
		sb_addf(&amb, "%s'%s'", nfound ? ", " : "", names[i]);
		if (found < 0 || id != found)
			nfound++;
		found = id;
	}
	if (nfound == 1) {
		sb_free(&amb);
		*out = found;
		return 0;
	}
	if (nfound > 1) {
		int rc = fail(c, EX_USAGE, "'%s' is ambiguous for %s: %s", s, what, amb.buf);
		sb_free(&amb);
		return rc;
	}
	sb_free(&amb);
	const char *best = NULL;
	size_t bd = len <= 3 ? 1 : len <= 6 ? 2 : 3; /* "zed" is not "ben" */
	for (size_t i = 0; i < n; i++) {
		if (!names[i])
			continue;
		size_t d = str_distance(s, names[i]);
		if (d <= bd && (!best || d < str_distance(s, best)))
			best = names[i];
	}
	if (best)
		return fail(c, EX_USAGE, "unknown %s '%s'; did you mean '%s'?", what, s, best);
	struct sb all = SB_INIT;
	size_t shown = 0;
	for (size_t i = 0; i < n && shown < 12; i++)
		if (names[i] && (!ids || i == 0 || ids[i] != ids[i - 1]))
			sb_addf(&all, "%s'%s'", shown++ ? ", " : "", names[i]);
	int rc = n ? fail(c, EX_USAGE, "unknown %s '%s' (%s%s)", what, s, all.buf,
	                  shown < n && !ids ? ", ..." : "")
	           : fail(c, EX_USAGE, "unknown %s '%s'", what, s);
	sb_free(&all);
	return rc;
}

/*
 * pick() over pairs of names of n things (a stage's name and key, a
 * member's name and email), each pair one thing: *k its index.
 */
static int pick_pair(struct ctx *c, const char *what, const char *s, size_t n,
                     const char *(*first)(const struct config *, size_t),
                     const char *(*second)(const struct config *, size_t), int *k)
{
	const char **names = xcalloc(2 * n + 1, sizeof *names);
	int *ids = xcalloc(2 * n + 1, sizeof *ids);
	for (size_t i = 0; i < n; i++) {
		names[2 * i] = first(c->cfg, i);
		names[2 * i + 1] = second(c->cfg, i);
		ids[2 * i] = ids[2 * i + 1] = (int)i;
	}
	int rc = pick(c, what, s, names, ids, 2 * n, k);
	free(names);
	free(ids);
	return rc;
}

static const char *stage_name(const struct config *cfg, size_t i)
{
	return cfg->stages[i].name;
}

static const char *stage_key(const struct config *cfg, size_t i)
{
	return cfg->stages[i].key;
}

static const char *member_name(const struct config *cfg, size_t i)
{
	return cfg->team[i].name;
}

static const char *member_email(const struct config *cfg, size_t i)
{
	return cfg->team[i].email;
}

int pick_stage(struct ctx *c, const char *s, const struct stage **out)
{
	int k = 0;
	int rc = pick_pair(c, "stage", s, c->cfg->nstages, stage_name, stage_key, &k);
	if (!rc)
		*out = &c->cfg->stages[k];
	return rc;
}

/* A value of the leads' column col (owner, source) or a unique prefix. */
static int pick_distinct(struct ctx *c, const char *col, const char *s, char **out)
{
	char **v = NULL;
	size_t n = 0;
	if (db_lead_distinct(c->db, col, &v, &n, &c->err))
		return fail_err(c);
	int k = 0;
	int rc = pick(c, col, s, (const char *const *)v, NULL, n, &k);
	if (!rc)
		*out = xstrdup(v[k]);
	strv_free(v, n);
	return rc;
}

int pick_owner(struct ctx *c, const char *s, const char **out)
{
	size_t n = c->cfg->nteam;
	if (!n && !c->db) {
		*out = s;
		return 0;
	}
	if (!n) { /* no team: the owners the leads have */
		static char *owner;
		free(owner);
		owner = NULL;
		/* one that some lead has: found by the index, no walk over all */
		if (db_lead_owner_exact(c->db, s, &owner, &c->err))
			return fail_err(c);
		if (owner) {
			*out = owner;
			return 0;
		}
		int rc = pick_distinct(c, "owner", s, &owner);
		*out = owner;
		return rc;
	}
	int k = 0;
	int rc = pick_pair(c, "owner", s, n, member_name, member_email, &k);
	if (!rc)
		*out = c->cfg->team[k].name;
	return rc;
}

int pick_status(struct ctx *c, const char *s, const char **out)
{
	static const char *const st[] = { "new", "active", "inactive", "unqualified" };
	int k = 0;
	int rc = pick(c, "status", s, st, NULL, ARRAY_LEN(st), &k);
	if (!rc)
		*out = st[k];
	return rc;
}

int pick_source(struct ctx *c, const char *s, char **out)
{
	return pick_distinct(c, "source", s, out);
}

struct out *ctx_out(struct ctx *c)
{
	pager_start(c);
	struct out *o = out_new(stdout, c->fmt, c->out_flags);
	out_set_width(o, c->term_cols);
	return o;
}

/*
 * An id or an email first (db_lead_find); then a part of the name, company
 * or email: one match is the lead, several are listed (exit 65), as git
 * does with an ambiguous ref.
 */
int tx_end(struct ctx *c, int rc)
{
	if (rc) {
		db_rollback(c->db);
		return rc;
	}
	if (db_commit(c->db, &c->err))
		return fail_err(c);
	return 0;
}

int find_lead(struct ctx *c, const char *ref, struct lead *l)
{
	struct lerr e = { 0 };
	int rc = db_lead_find(c->db, ref, l, &e);
	if (rc != EX_NOINPUT) {
		c->err = e;
		return rc ? fail_err(c) : 0;
	}
	/* a lead merged into another (leads merge): its id and address name that one */
	int64_t to;
	int found = db_lc_alias_find(c->db, ref, &to, &e);
	if (found < 0) {
		c->err = e;
		return fail_err(c);
	}
	if (found) {
		if (db_lead_by_id(c->db, to, l, &c->err))
			return fail_err(c);
		note(c, "%s was merged into lead #%lld", ref, (long long)to);
		return 0;
	}
	const char *r = ref + strspn(ref, " \t");
	if (!*r || (r[0] == '#' && r[1] >= '0' && r[1] <= '9') ||
	    strspn(r, "0123456789") == strlen(r))
		return fail(c, EX_NOINPUT, "no lead matches '%s'", ref);
	enum { SHOW = 10 };
	int64_t ids[SHOW + 1];
	int n = 0;
	if (db_lead_lookup(c->db, r, ids, SHOW + 1, &n, &c->err))
		return fail_err(c);
	if (n == 0 && strchr(r, '@'))
		return fail(c, EX_NOINPUT, "no lead matches '%s'", ref);
	if (n == 0)
		return fail(c, EX_NOINPUT,
		            "no lead matches '%s' (give an id, an email, or a part of a name "
		            "or company)",
		            ref);
	if (n == 1) {
		if (db_lead_by_id(c->db, ids[0], l, &c->err))
			return fail_err(c);
		return 0;
	}
	fail(c, EX_DATAERR, "'%s' is ambiguous; it matches %s%d leads:", ref,
	     n > SHOW ? "more than " : "", n > SHOW ? SHOW : n);
	for (int i = 0; i < n && i < SHOW; i++) {
		struct lead m;
		if (db_lead_by_id(c->db, ids[i], &m, &c->err))
			return fail_err(c);
		char name[256];
		lead_display_name(&m, name, sizeof name);
		const char *email = lead_get(&m, LT_EMAIL), *co = lead_get(&m, LT_COMPANY);
		struct sb line = SB_INIT;
		sb_addf(&line, "  %6lld  %s", (long long)ids[i], name);
		if (*email && strcmp(email, name) != 0)
			sb_addf(&line, " <%s>", email);
		if (*co && strcmp(co, name) != 0)
			sb_addf(&line, ", %s", co);
		out_tprintf(stderr, "%s\n", line.buf);
		sb_free(&line);
		lead_free(&m);
	}
	out_tprintf(stderr, "give the id or the email to say which\n");
	return EX_DATAERR;
}

struct lc ctx_lc(struct ctx *c)
{
	return (struct lc){ .db = c->db,
		            .cfg = c->cfg,
		            .now = c->now,
		            .actor = c->actor,
		            .no_route = c->no_route,
		            .no_events = c->no_events,
		            .err = &c->err };
}

int record(struct ctx *c, const struct lead *l, const char *kind, const char *from, const char *to,
           const char *data)
{
	struct lc lc = ctx_lc(c);
	return lc_record(&lc, l, kind, from, to, data) ? fail_err(c) : 0;
}

const char *stage_label(struct ctx *c, const char *key, char *buf, size_t n)
{
	const struct stage *s = key ? config_stage(c->cfg, key) : NULL;
	if (s && strcmp(s->key, key) == 0)
		return s->name;
	char *old = key && c->db ? db_stage_name(c->db, key) : NULL;
	snprintf(buf, n, "%s (not in config)", old ? old : key ? key : "?");
	free(old);
	return buf;
}

void lead_touch(struct ctx *c, struct lead *l, bool activity)
{
	struct lc lc = ctx_lc(c);
	lc_touch(&lc, l, activity);
}

int lead_action(struct ctx *c, struct lead *l)
{
	struct lc lc = ctx_lc(c);
	return lc_action(&lc, l) ? fail_err(c) : 0;
}

int json_obj1(struct sb *out, const char *key, const char *value)
{
	sb_reset(out);
	if (!value)
		return 0;
	sb_addc(out, '{');
	sb_add_json_str(out, key);
	sb_addc(out, ':');
	sb_add_json_str(out, value);
	sb_addc(out, '}');
	return 1;
}

int run_hook(struct ctx *c, struct lead *l, enum hook_kind kind, const char *detail)
{
	struct lc lc = ctx_lc(c);
	return lc_hook(&lc, l, kind, detail) ? fail_err(c) : 0;
}

void warn_db_file(struct ctx *c, const char *path)
{
	char why[128];
	const char *fix;
	if (c->quiet || !db_file_untrusted(path, why, sizeof why, &fix))
		return;
	fprintf(stderr,
	        "warning: %s: the file is %s: whoever can change it can change every lead "
	        "and the mail leads sends; %s\n",
	        path, why, fix);
}
