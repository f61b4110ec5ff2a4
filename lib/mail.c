/*
 * mail.c - templates, RFC 5322 rendering (RFC 2045 quoted-printable,
 * RFC 2047 encoded-words) and delivery through a sendmail command run
 * without a shell. See mail.h for the guarantees.
 */
#include "mail.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ltime.h"
#include "outbox.h"
#include "sequence.h"

extern char **environ;

/* ---- templates ---- */

static const char *const kind_names[MK__N] = { "assignment",       "threshold", "reminder",
	                                       "due_soon",         "late",      "digest",
	                                       "assignment_digest" };

const char *mail_kind_name(enum mail_kind k)
{
	return (unsigned)k < MK__N ? kind_names[k] : "?";
}

/* Placeholders beyond lead.* (which every kind but the digests has). */
static const char *const kind_vars[MK__N] = {
	[MK_ASSIGNMENT] = "rep.name rep.email assignment.rule",
	[MK_THRESHOLD] = "rep.name rep.email threshold.name threshold.at threshold.instructions",
	[MK_REMINDER] = "rep.name rep.email reminder.number reminder.idle reminder.since",
	[MK_DUE_SOON] = "rep.name rep.email task.id task.title task.notes task.due",
	[MK_LATE] = "rep.name rep.email task.id task.title task.notes task.due",
	[MK_DIGEST] = "rep.name rep.email digest.date digest.today digest.overdue "
	              "digest.count_today digest.count_overdue",
	[MK_ASSIGNMENT_DIGEST] = "rep.name rep.email digest.count digest.leads digest.more "
	                         "digest.command",
};

/* Kinds about no single lead: no lead.* placeholders. */
static bool no_lead(enum mail_kind k)
{
	return k == MK_DIGEST || k == MK_ASSIGNMENT_DIGEST;
}

static const char *const lead_extra_vars[] = { "name", "stage", "group" };

static bool word_in(const char *list, const char *w, size_t n)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, " ");
		if (len == n && strncmp(p, w, n) == 0)
			return true;
		p += len;
		p += *p == ' ';
	}
	return false;
}

static bool placeholder_ok(enum mail_kind k, const char *name, size_t n)
{
	if (word_in(kind_vars[k], name, n))
		return true;
	if (no_lead(k) || n <= 5 || strncmp(name, "lead.", 5) != 0)
		return false;
	char f[64];
	if (n - 5 >= sizeof f)
		return false;
	memcpy(f, name + 5, n - 5);
	f[n - 5] = '\0';
	for (size_t i = 0; i < ARRAY_LEN(lead_extra_vars); i++)
		if (strcmp(f, lead_extra_vars[i]) == 0)
			return true;
	const struct field_desc *fd = lead_field(f);
	return fd && strcmp(fd->name, f) == 0;
}

/*
 * Walk the {{name}} placeholders of text: fn(name, len) for each; returns
 * the first non-zero fn result. "{{" without "}}" is reported as name NULL.
 */
typedef int (*ph_fn)(const char *name, size_t n, const char *at, void *ctx);
static int each_placeholder(const char *text, ph_fn fn, void *ctx)
{
	for (const char *p = text; (p = strstr(p, "{{"));) {
		const char *q = strstr(p + 2, "}}");
		if (!q)
			return fn(NULL, 0, p, ctx);
		const char *a = p + 2, *b = q;
		while (a < b && *a == ' ')
			a++;
		while (b > a && b[-1] == ' ')
			b--;
		int rc = fn(a, (size_t)(b - a), p, ctx);
		if (rc)
			return rc;
		p = q + 2;
	}
	return 0;
}

struct check_ctx {
	struct yaml_ctx *y;
	yaml_node_t *node;
	enum mail_kind k;
	int bad;
};

static int check_one(const char *name, size_t n, const char *at, void *p)
{
	struct check_ctx *c = p;
	(void)at;
	if (!name) {
		ly_error(c->y, c->node, "unclosed '{{' in the %s template", kind_names[c->k]);
		c->bad = 1;
		return 1;
	}
	if (!placeholder_ok(c->k, name, n)) {
		if (no_lead(c->k))
			ly_error(
			    c->y, c->node,
			    "unknown placeholder '{{%.*s}}' in the %s template (it is about no "
			    "single lead: use %s)",
			    (int)n, name, kind_names[c->k], kind_vars[c->k]);
		else
			ly_error(c->y, c->node,
			         "unknown placeholder '{{%.*s}}' in the %s template (use "
			         "lead.<field>%s%s)",
			         (int)n, name, kind_names[c->k], *kind_vars[c->k] ? " or " : "",
			         kind_vars[c->k]);
		c->bad = 1;
	}
	return 0;
}

struct tpl_parse {
	struct mail_tpl *t;
	enum mail_kind k;
};

static int h_tpl_text(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct tpl_parse *tp = obj;
	char **dst = strcmp(k->key, "subject") == 0 ? &tp->t->subject : &tp->t->body;
	if (ly_str(y, val, k->key, dst) != 0)
		return -1;
	struct check_ctx c = { y, val, tp->k, 0 };
	each_placeholder(*dst, check_one, &c);
	if (!c.bad && dst == &tp->t->subject && strpbrk(*dst, "\r\n"))
		return ly_error(y, val, "a subject must be on one line");
	return c.bad ? -1 : 0;
}

static const struct ly_key tpl_keys[] = {
	{ .key = "subject", .fn = h_tpl_text },
	{ .key = "body", .fn = h_tpl_text },
};

struct mail_templates *mail_templates_parse(struct yaml_ctx *y, yaml_node_t *n)
{
	if (!ly_is_map(n)) {
		ly_error(y, n, "expected a mapping of message kinds for templates, got %s",
		         ly_kind(n));
		return NULL;
	}
	struct mail_templates *t = xcalloc(1, sizeof *t);
	int bad = 0;
	for (size_t i = 0; i < ly_map_len(n); i++) {
		yaml_node_t *kn = ly_map_key(y, n, i);
		int k;
		if (ly_enum(y, kn, "template", kind_names, ARRAY_LEN(kind_names), &k) != 0) {
			bad = 1;
			continue;
		}
		struct tpl_parse tp = { &t->t[k], (enum mail_kind)k };
		if (ly_walk(y, ly_map_val(y, n, i), kind_names[k], tpl_keys, ARRAY_LEN(tpl_keys),
		            &tp) != 0)
			bad = 1;
	}
	if (bad) {
		mail_templates_free(t);
		return NULL;
	}
	return t;
}

void mail_templates_free(struct mail_templates *t)
{
	if (!t)
		return;
	for (int i = 0; i < MK__N; i++) {
		free(t->t[i].subject);
		free(t->t[i].body);
	}
	free(t);
}

static const struct mail_tpl builtin[MK__N] = {
	[MK_ASSIGNMENT] = { "New lead for you: {{lead.name}}", "Hello {{rep.name}},\n\n"
	                                                       "{{lead.name}} is yours now.\n\n"
	                                                       "  Email:   {{lead.email}}\n"
	                                                       "  Phone:   {{lead.phone}}\n"
	                                                       "  Company: {{lead.company}}\n"
	                                                       "  Title:   {{lead.title}}\n"
	                                                       "  Source:  {{lead.source}}\n"
	                                                       "  Stage:   {{lead.stage}}\n\n"
	                                                       "  leads show {{lead.id}}\n" },
	[MK_THRESHOLD] = { "{{lead.name}} is {{threshold.name}} (score {{lead.score}})",
	                   "Hello {{rep.name}},\n\n"
	                   "{{lead.name}} reached the '{{threshold.name}}' threshold "
	                   "({{threshold.at}} points; score now {{lead.score}}).\n\n"
	                   "{{threshold.instructions}}\n\n"
	                   "  Email:   {{lead.email}}\n"
	                   "  Phone:   {{lead.phone}}\n"
	                   "  Company: {{lead.company}}\n"
	                   "  Title:   {{lead.title}}\n\n"
	                   "  leads show {{lead.id}}\n" },
	[MK_REMINDER] = { "Reminder: {{lead.name}} idle for {{reminder.idle}} in {{lead.stage}}",
	                  "Hello {{rep.name}},\n\n"
	                  "{{lead.name}} has been in {{lead.stage}} with no action since "
	                  "{{reminder.since}} ({{reminder.idle}}).\n"
	                  "This is reminder {{reminder.number}}.\n\n"
	                  "  leads show {{lead.id}}\n" },
	[MK_DUE_SOON] = { "Due soon: {{task.title}} ({{lead.name}})",
	                  "Hello {{rep.name}},\n\n"
	                  "Task #{{task.id}} \"{{task.title}}\" for {{lead.name}} is due at "
	                  "{{task.due}}.\n\n"
	                  "{{task.notes}}\n\n"
	                  "  leads task done {{task.id}}\n" },
	[MK_LATE] = { "Late: {{task.title}} ({{lead.name}})",
	              "Hello {{rep.name}},\n\n"
	              "Task #{{task.id}} \"{{task.title}}\" for {{lead.name}} was due at "
	              "{{task.due}} and is not done.\n\n"
	              "{{task.notes}}\n\n"
	              "  leads task done {{task.id}}\n"
	              "  leads task snooze {{task.id}} 1d\n" },
	[MK_DIGEST] = { "Your day {{digest.date}}: {{digest.count_today}} due, "
	                "{{digest.count_overdue}} overdue",
	                "Hello {{rep.name}},\n\n"
	                "Due today:\n{{digest.today}}\n"
	                "Overdue:\n{{digest.overdue}}\n"
	                "  leads task list --mine\n" },
	[MK_ASSIGNMENT_DIGEST] = { "{{digest.count}} new leads assigned to you",
	                           "Hello {{rep.name}},\n\n"
	                           "{{digest.count}} new leads are yours now:\n\n"
	                           "{{digest.leads}}\n"
	                           "See them all with: {{digest.command}}\n" },
};

void mail_var(struct mail_vars *v, const char *name, const char *value)
{
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->v[i].name, name) == 0) {
			free(v->v[i].value);
			v->v[i].value = value ? xstrdup(value) : NULL;
			return;
		}
	}
	v->v = xgrow(v->v, &v->cap, v->n + 1, sizeof *v->v);
	v->v[v->n].name = xstrdup(name);
	v->v[v->n].value = value ? xstrdup(value) : NULL;
	v->n++;
}

void mail_varf(struct mail_vars *v, const char *name, const char *fmt, ...)
{
	struct sb sb = SB_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	mail_var(v, name, sb_str(&sb));
	sb_free(&sb);
}

void mail_vars_free(struct mail_vars *v)
{
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
	}
	free(v->v);
	memset(v, 0, sizeof *v);
}

void mail_lead_vars(struct mail_vars *v, const struct config *cfg, const struct lead *l)
{
	char buf[256];
	for (int i = 0; i < lead_nfields; i++) {
		const struct field_desc *f = &lead_fields[i];
		struct sb name = SB_INIT;
		sb_addf(&name, "lead.%s", f->name);
		const char *val = NULL;
		switch (f->kind) {
		case FK_TEXT:
			val = l->t[f->idx];
			break;
		case FK_INT:
			if (l->has[f->idx]) {
				snprintf(buf, sizeof buf, "%lld", (long long)l->i[f->idx]);
				val = buf;
			}
			break;
		case FK_TIME:
			if (l->has[f->idx]) {
				ltime_fmt(l->i[f->idx], buf);
				val = buf;
			}
			break;
		case FK_MONEY:
			if (l->has[f->idx]) {
				lead_money_fmt(l->i[f->idx], buf);
				val = buf;
			}
			break;
		}
		mail_var(v, name.buf, val);
		sb_free(&name);
	}
	lead_display_name(l, buf, sizeof buf);
	mail_var(v, "lead.name", buf);
	const struct stage *s = cfg ? config_stage(cfg, lead_get(l, LT_STAGE)) : NULL;
	mail_var(v, "lead.stage", s ? s->name : l->t[LT_STAGE]);
	mail_var(v, "lead.group", s ? stage_group_name(s->grp) : NULL);
}

struct expand_ctx {
	const struct mail_vars *v;
	struct sb *out;
	const char *pos;
};

static int expand_one(const char *name, size_t n, const char *at, void *p)
{
	struct expand_ctx *e = p;
	sb_add(e->out, e->pos, (size_t)(at - e->pos));
	if (!name) { /* unclosed: the rest is text (a config cannot have this) */
		e->pos = at;
		return 1;
	}
	for (size_t i = 0; i < e->v->n; i++) {
		if (strlen(e->v->v[i].name) == n && strncmp(e->v->v[i].name, name, n) == 0) {
			if (e->v->v[i].value)
				sb_adds(e->out, e->v->v[i].value);
			break;
		}
	}
	e->pos = strstr(at + 2, "}}") + 2;
	return 0;
}

static char *expand(const char *tpl, const struct mail_vars *v)
{
	struct sb out = SB_INIT;
	struct expand_ctx e = { v, &out, tpl };
	each_placeholder(tpl, expand_one, &e);
	sb_adds(&out, e.pos);
	return sb_detach(&out);
}

char *mail_expand(const char *tpl, const struct mail_vars *v)
{
	return expand(tpl, v);
}

bool mail_placeholders_ok(const char *tpl, const char *const *names, size_t n, char *bad,
                          size_t badn)
{
	for (const char *p = strstr(tpl, "{{"); p; p = strstr(p + 2, "{{")) {
		const char *e = strstr(p + 2, "}}");
		if (!e)
			break;
		const char *a = p + 2, *b = e;
		while (a < b && *a == ' ')
			a++;
		while (b > a && b[-1] == ' ')
			b--;
		size_t len = (size_t)(b - a);
		bool ok = false;
		for (size_t i = 0; i < n && !ok; i++) {
			size_t nl = strlen(names[i]);
			ok = names[i][nl - 1] == '*'
			         ? len >= nl - 1 && strncmp(a, names[i], nl - 1) == 0
			         : len == nl && strncmp(a, names[i], nl) == 0;
		}
		if (!ok) {
			snprintf(bad, badn, "%.*s", (int)len, a);
			return false;
		}
		p = e;
	}
	return true;
}

void mail_compose(const struct mail_templates *t, enum mail_kind k, const struct mail_vars *v,
                  char **subject, char **body)
{
	const char *s = t && t->t[k].subject ? t->t[k].subject : builtin[k].subject;
	const char *b = t && t->t[k].body ? t->t[k].body : builtin[k].body;
	*subject = expand(s, v);
	*body = expand(b, v);
}

/* ---- rendering ---- */

/* Length of the valid UTF-8 sequence at p (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *p)
{
	size_t bad;
	size_t n = p[0] < 0x80 ? 1 : p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc0 ? 2 : 0;
	if (!n)
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!p[i])
			return 0;
	return utf8_valid((const char *)p, n, &bad) ? n : 0;
}

/* Valid UTF-8 with control characters (but tab and LF) made safe. */
static char *clean_text(const char *s, bool one_line)
{
	struct sb out = SB_INIT;
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	while (*p) {
		if (*p == '\r') {
			sb_addc(&out, one_line ? ' ' : '\n');
			p += p[1] == '\n' ? 2 : 1;
			continue;
		}
		if (*p == '\n' || *p == '\t') {
			sb_addc(&out, one_line ? ' ' : (char)*p);
			p++;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			sb_addc(&out, one_line ? ' ' : '?');
			p++;
			continue;
		}
		size_t n = utf8_len(p);
		if (!n) {
			sb_adds(&out, "\xef\xbf\xbd");
			p++;
			continue;
		}
		sb_add(&out, (const char *)p, n);
		p += n;
	}
	return sb_detach(&out);
}

static bool printable_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

/*
 * RFC 2047 Q encoding of s as encoded-words of at most 75 characters,
 * never splitting a UTF-8 sequence, separated by folding whitespace.
 * phrase: the stricter set of section 5(3) for display names.
 */
static void encode_words(struct sb *out, const char *s, bool phrase, size_t col)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t wlen = 0, wstart = col;
	bool open = false;
	while (*p) {
		size_t n = utf8_len(p);
		if (!n)
			n = 1;
		char enc[16];
		size_t elen = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = p[i];
			bool lit =
			    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
			    c == '-' || c == '/' ||
			    (!phrase && c > 0x20 && c < 0x7f && !strchr("=?_\"(),.:;<>@[\\]", c));
			if (c == ' ')
				enc[elen++] = '_';
			else if (lit)
				enc[elen++] = (char)c;
			else
				elen += (size_t)snprintf(enc + elen, sizeof enc - elen, "=%02X", c);
		}
		/* words of at most 75 characters on lines of at most 76 */
		size_t limit = wstart + 75 > 76 ? 76 - wstart : 75;
		if (open && wlen + elen + 2 > limit) {
			sb_adds(out, "?=\n ");
			open = false;
			wstart = 1;
		}
		if (!open) {
			sb_adds(out, "=?UTF-8?Q?");
			wlen = 10;
			open = true;
		}
		sb_add(out, enc, elen);
		wlen += elen;
		p += n;
	}
	if (open)
		sb_adds(out, "?=");
	else
		sb_adds(out, "=?UTF-8?Q?"
		             "?=");
}

void mail_encode_header(struct sb *out, const char *name, const char *value)
{
	char *v = clean_text(value, true);
	sb_addf(out, "%s: ", name);
	size_t col = strlen(name) + 2;
	bool longword = false;
	for (const char *p = v; *p;) {
		size_t n = strcspn(p, " ");
		longword |= n > 70;
		p += n;
		p += *p == ' ';
	}
	if (printable_ascii(v) && !strstr(v, "=?") && !longword) {
		/* plain text, folded at spaces to keep lines under 78 */
		for (const char *p = v; *p;) {
			size_t n = strcspn(p, " ");
			if (p != v) {
				if (col + 1 + n > 78) {
					sb_adds(out, "\n ");
					col = 1;
				} else {
					sb_addc(out, ' ');
					col++;
				}
			}
			sb_add(out, p, n);
			col += n;
			p += n;
			p += *p == ' ';
		}
	} else {
		encode_words(out, v, false, col);
	}
	sb_addc(out, '\n');
	free(v);
}

static bool addr_spec_ok(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	if (!at || at == s || at == s + n - 1 || memchr(at + 1, '@', (size_t)(s + n - at - 1)))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\,;:\"", c))
			return false;
	}
	return true;
}

/* "Name <addr>" or "addr" -> header text with the name encoded. */
static int render_addr(struct sb *out, const char *hdr, const char *a, struct lerr *err)
{
	const char *lt = strrchr(a, '<');
	const char *addr = a;
	size_t alen = strlen(a);
	char *name = NULL;
	if (lt) {
		const char *gt = strchr(lt, '>');
		if (!gt || gt[1] != '\0')
			return lerr_set(err, EX_DATAERR, "invalid address '%s'", a);
		addr = lt + 1;
		alen = (size_t)(gt - addr);
		name = xstrndup(a, (size_t)(lt - a));
		str_trim(name);
		size_t nl = strlen(name);
		if (nl >= 2 && name[0] == '"' && name[nl - 1] == '"') {
			memmove(name, name + 1, nl - 2);
			name[nl - 2] = '\0';
		}
	}
	if (!addr_spec_ok(addr, alen)) {
		free(name);
		return lerr_set(err, EX_DATAERR, "invalid address '%s'", a);
	}
	sb_addf(out, "%s: ", hdr);
	if (!str_empty(name)) {
		char *clean = clean_text(name, true);
		bool atext = printable_ascii(clean) && !strstr(clean, "=?");
		if (atext) {
			/* a quoted-string: only " and \ need escaping */
			sb_addc(out, '"');
			for (const char *p = clean; *p; p++) {
				if (*p == '"' || *p == '\\')
					sb_addc(out, '\\');
				sb_addc(out, *p);
			}
			sb_addc(out, '"');
		} else {
			encode_words(out, clean, true, strlen(hdr) + 2);
		}
		free(clean);
		sb_addf(out, " <%.*s>\n", (int)alen, addr);
	} else {
		sb_addf(out, "%.*s\n", (int)alen, addr);
	}
	free(name);
	return 0;
}

static void qp_body(struct sb *out, const char *body)
{
	size_t col = 0;
	for (const unsigned char *p = (const unsigned char *)body; *p; p++) {
		unsigned char c = *p;
		if (c == '\n') {
			sb_addc(out, '\n');
			col = 0;
			continue;
		}
		char enc[4];
		size_t n;
		bool at_eol = p[1] == '\n' || p[1] == '\0';
		bool lit =
		    (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol);
		if (col == 0 &&
		    (c == '.' || (c == 'F' && strncmp((const char *)p, "From ", 5) == 0)))
			lit = false; /* keep "." and "From " off the start of a line */
		if (lit) {
			enc[0] = (char)c;
			n = 1;
		} else {
			snprintf(enc, sizeof enc, "=%02X", c);
			n = 3;
		}
		if (col + n > 75) {
			sb_adds(out, "=\n");
			col = 0;
		}
		sb_add(out, enc, n);
		col += n;
	}
}

static bool body_is_7bit(const char *b)
{
	size_t col = 0;
	for (const unsigned char *p = (const unsigned char *)b; *p; p++) {
		if (*p == '\n') {
			col = 0;
			continue;
		}
		if (col == 0 && (*p == '.' || strncmp((const char *)p, "From ", 5) == 0))
			return false;
		if ((*p < 0x20 && *p != '\t') || *p > 0x7e || ++col > 998)
			return false;
	}
	return true;
}

static void rfc5322_date(int64_t t, struct sb *out)
{
	static const char *const wd[] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char *const mn[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t s = t - day * 86400, y;
	unsigned m, d;
	ltime_civil_from_days(day, &y, &m, &d);
	sb_addf(out, "%s, %u %s %04lld %02d:%02d:%02d +0000", wd[((day % 7) + 7) % 7], d, mn[m - 1],
	        (long long)y, (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}

void mail_message_id(int64_t id, const char *idem_key, const char *from, char *buf, size_t n)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)idem_key; p && *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	const char *at = from ? strrchr(from, '@') : NULL;
	char dom[128] = "localhost";
	if (at) {
		size_t i = 0;
		for (const char *p = at + 1; *p && *p != '>' && i + 1 < sizeof dom; p++)
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.')
				dom[i++] = *p;
		dom[i] = '\0';
		if (!i)
			snprintf(dom, sizeof dom, "localhost");
	}
	snprintf(buf, n, "<leads.%lld.%016llx@%s>", (long long)id, (unsigned long long)h, dom);
}

/*
 * Extra header lines of a message (sequences: List-Unsubscribe...): only
 * known names, values of printable ASCII, at most 998 octets a line. They
 * are written by leads from the config, but a lead's field may be in a
 * URL: a line that is not clean fails the message instead of being sent.
 */
static int extra_headers(struct sb *out, const char *h, struct lerr *err)
{
	static const char *const ok[] = { "List-Unsubscribe", "List-Unsubscribe-Post",
		                          "In-Reply-To", "References", "Precedence" };
	while (*h) {
		const char *nl = strchr(h, '\n');
		size_t n = nl ? (size_t)(nl - h) : strlen(h);
		const char *colon = memchr(h, ':', n);
		bool known = false;
		for (size_t i = 0; colon && i < ARRAY_LEN(ok); i++)
			known |= strlen(ok[i]) == (size_t)(colon - h) &&
			         strncasecmp(ok[i], h, (size_t)(colon - h)) == 0;
		bool clean = n <= 998;
		for (size_t i = 0; i < n && clean; i++)
			clean = h[i] >= 0x20 && h[i] < 0x7f;
		if (!known || !clean)
			return lerr_set(err, EX_DATAERR,
			                "a header line of this message is not allowed: %.40s",
			                known ? "(not printable ASCII)" : h);
		sb_add(out, h, n);
		sb_addc(out, '\n');
		h += n + (nl != NULL);
	}
	return 0;
}

int mail_render(const struct mail_msg *m, char **out, struct lerr *err)
{
	struct sb sb = SB_INIT;
	int rc;
	if ((rc = render_addr(&sb, "From", m->from, err)) ||
	    (rc = render_addr(&sb, "To", m->to, err)) ||
	    (!str_empty(m->cc) && (rc = render_addr(&sb, "Cc", m->cc, err)))) {
		sb_free(&sb);
		return rc;
	}
	mail_encode_header(&sb, "Subject", m->subject);
	sb_adds(&sb, "Date: ");
	rfc5322_date(m->date, &sb);
	sb_addf(&sb, "\nMessage-ID: %s\n", m->msgid);
	if (m->headers && (rc = extra_headers(&sb, m->headers, err))) {
		sb_free(&sb);
		return rc;
	}
	sb_adds(&sb, "MIME-Version: 1.0\n"
	             "Content-Type: text/plain; charset=utf-8\n");
	char *body = clean_text(m->body, false);
	bool plain = body_is_7bit(body);
	sb_addf(&sb, "Content-Transfer-Encoding: %s\n", plain ? "7bit" : "quoted-printable");
	sb_adds(&sb, "Auto-Submitted: auto-generated\n\n");
	if (plain)
		sb_adds(&sb, body);
	else
		qp_body(&sb, body);
	if (sb.len && sb.buf[sb.len - 1] != '\n')
		sb_addc(&sb, '\n');
	free(body);
	*out = sb_detach(&sb);
	return 0;
}

/* ---- delivery ---- */

char **mail_split_argv(const char *cmd, int *argc, struct lerr *err)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	const char *p = cmd;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		struct sb w = SB_INIT;
		sb_add(&w, "", 0);
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'') {
				const char *q = strchr(p + 1, '\'');
				if (!q)
					goto unbalanced;
				sb_add(&w, p + 1, (size_t)(q - p - 1));
				p = q + 1;
			} else if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					sb_addc(&w, *p++);
				}
				if (*p != '"')
					goto unbalanced;
				p++;
			} else if (*p == '\\' && p[1]) {
				sb_addc(&w, p[1]);
				p += 2;
			} else {
				sb_addc(&w, *p++);
			}
			continue;
		unbalanced:
			sb_free(&w);
			strv_free(v, n);
			lerr_set(err, EX_CONFIG, "unbalanced quote in the sendmail command '%s'",
			         cmd);
			return NULL;
		}
		v = xgrow(v, &cap, n + 2, sizeof *v);
		v[n++] = sb_detach(&w);
	}
	if (!n) {
		lerr_set(err, EX_CONFIG, "the sendmail command is empty");
		free(v);
		return NULL;
	}
	v[n] = NULL;
	*argc = (int)n;
	return v;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* First line of the command's output, trimmed, for last_error. */
static void first_line(const char *s, char *buf, size_t n)
{
	while (*s == '\n' || *s == '\r' || *s == ' ')
		s++;
	size_t len = strcspn(s, "\r\n");
	if (len >= n)
		len = n - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
}

static int pipe_cloexec(int fd[2])
{
	if (pipe(fd) != 0)
		return -1;
	fcntl(fd[0], F_SETFD, FD_CLOEXEC);
	fcntl(fd[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

/*
 * Wait for the command itself, not for the end of its output: a sendmail
 * that hands the message to a background child of its own (which keeps
 * our pipe open) has done its job when it exits. Its output is read while
 * it runs, so that it never blocks writing to us, and whatever is left in
 * the pipe when it exits is read without waiting for more.
 */
int mail_pipe(const char *cmd, const char *msg, size_t len, int timeout_ms, bool *maybe_sent,
              struct lerr *err)
{
	if (maybe_sent)
		*maybe_sent = false;
	int argc;
	char **argv = mail_split_argv(cmd, &argc, err);
	if (!argv)
		return err->code;
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 };
	if (pipe_cloexec(in) != 0 || pipe_cloexec(outp) != 0) {
		int e = errno;
		if (in[0] >= 0) {
			close(in[0]);
			close(in[1]);
		}
		strv_free(argv, (size_t)argc);
		return lerr_set(err, EX_OSERR, "pipe: %s", strerror(e));
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 2);
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t none, def;
	sigemptyset(&none);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	/* its own process group (setpgid(0, 0) in the child), so a timeout
	 * kills whatever it started too */
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
	                                  POSIX_SPAWN_SETPGROUP);
	/* a sendmail that exits early must not kill us with SIGPIPE */
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, &old);

	pid_t pid;
	int rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(in[0]);
	close(outp[1]);
	int ret = 0;
	if (rc != 0) {
		close(in[1]);
		close(outp[0]);
		sigaction(SIGPIPE, &old, NULL);
		ret = lerr_set(err, EX_UNAVAILABLE, "cannot run '%s': %s", argv[0], strerror(rc));
		strv_free(argv, (size_t)argc);
		return ret;
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(outp[0], F_SETFL, O_NONBLOCK);
	struct sb output = SB_INIT;
	size_t off = 0;
	int64_t deadline = mono_ms() + timeout_ms;
	bool timed_out = false, write_failed = false, exited = false, handed = len == 0;
	int wfd = in[1], rfd = outp[0], status = 0, wait_errno = 0;
	if (len == 0) {
		close(wfd);
		wfd = -1;
	}
	/* nap: how long to wait for the exit when no pipe can wake us (microseconds,
	 * short at first: a command that closed its output exits in microseconds) */
	long nap = 20;
	while (!exited) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			exited = true;
			break;
		}
		if (w < 0 && errno != EINTR) {
			wait_errno = errno; /* cannot happen unless SIGCHLD is ignored */
			break;
		}
		int64_t left = deadline - mono_ms();
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd pf[2];
		nfds_t np = 0;
		if (wfd >= 0)
			pf[np++] = (struct pollfd){ .fd = wfd, .events = POLLOUT };
		if (rfd >= 0)
			pf[np++] = (struct pollfd){ .fd = rfd, .events = POLLIN };
		if (!np) {
			long us = left * 1000 < nap ? (long)left * 1000 : nap;
			struct timespec ts = { us / 1000000, us % 1000000 * 1000 };
			nanosleep(&ts, NULL);
			if (nap < 50 * 1000)
				nap *= 2;
			continue;
		}
		/* the pipes wake us for data and for their end; a background child
		 * that keeps them open does not end them: look at the command every
		 * 50 ms meanwhile */
		int pr = poll(pf, np, (int)(left > 50 ? 50 : left));
		if (pr < 0 && errno != EINTR)
			break;
		for (nfds_t i = 0; pr > 0 && i < np; i++) {
			if (!pf[i].revents)
				continue;
			if (pf[i].fd == wfd) {
				ssize_t wr = write(wfd, msg + off, len - off);
				if (wr > 0)
					off += (size_t)wr;
				if ((wr < 0 && errno != EAGAIN && errno != EINTR) || off == len) {
					write_failed = off < len;
					handed = off == len;
					close(wfd);
					wfd = -1;
				}
			} else {
				char buf[4096];
				ssize_t r = read(rfd, buf, sizeof buf);
				if (r > 0 && output.len < 8192)
					sb_add(&output, buf, (size_t)r);
				if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
					close(rfd);
					rfd = -1;
				}
			}
		}
	}
	if (wfd >= 0) {
		write_failed = true;
		close(wfd);
	}
	if (exited && rfd >= 0) {
		/* what it wrote before it exited; not what a child of it may write later */
		char buf[4096];
		ssize_t r;
		while (output.len < 8192 && (r = read(rfd, buf, sizeof buf)) > 0)
			sb_add(&output, buf, (size_t)r);
	}
	if (rfd >= 0)
		close(rfd);
	if (!exited && !wait_errno) {
		/* timed out (or poll failed): the command and all it started */
		timed_out = true;
		kill(-pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	sigaction(SIGPIPE, &old, NULL);
	char line[200];
	first_line(sb_str(&output), line, sizeof line);
	if (wait_errno)
		ret = lerr_set(err, EX_UNAVAILABLE, "cannot wait for '%s': %s", argv[0],
		               strerror(wait_errno));
	else if (timed_out) {
		ret = lerr_set(err, EX_UNAVAILABLE, "'%s' timed out after %d ms", argv[0],
		               timeout_ms);
		/* it had the whole message: it may have sent it before it hung */
		if (maybe_sent)
			*maybe_sent = handed;
	} else if (WIFSIGNALED(status)) {
		ret = lerr_set(err, EX_UNAVAILABLE, "'%s' was killed by signal %d%s%s", argv[0],
		               WTERMSIG(status), *line ? ": " : "", line);
		/* no exit status to say it was not sent */
		if (maybe_sent)
			*maybe_sent = handed;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		ret =
		    lerr_set(err, EX_UNAVAILABLE, "'%s' exited with status %d%s%s", argv[0],
		             WIFEXITED(status) ? WEXITSTATUS(status) : -1, *line ? ": " : "", line);
	else if (write_failed)
		ret = lerr_set(err, EX_UNAVAILABLE, "'%s' did not read the whole message", argv[0]);
	sb_free(&output);
	strv_free(argv, (size_t)argc);
	return ret;
}

static int64_t backoff(int64_t tries)
{
	int64_t d = MAIL_BACKOFF_FIRST;
	for (int64_t i = 1; i < tries && d < MAIL_BACKOFF_MAX; i++)
		d *= 3;
	return d < MAIL_BACKOFF_MAX ? d : MAIL_BACKOFF_MAX;
}

/* MAIL_CLAIM_SECS, or $LEADS_CLAIM_GRACE seconds (tests, leads(1)). */
static int64_t claim_grace(void)
{
	const char *s = getenv("LEADS_CLAIM_GRACE");
	int64_t v;
	if (s && str_to_i64(s, &v) && v >= 0 && v <= 86400)
		return v;
	return MAIL_CLAIM_SECS;
}

int mail_deliver(struct db *db, const struct mail_deliver_opts *o, int64_t now,
                 struct mail_counts *c, struct lerr *err)
{
	int64_t *ids;
	size_t n;
	int rc = db_outbox_due(db, now, o->force, o->only_id, &ids, &n, err);
	if (rc || (n && (rc = db_outbox_fast(db, true, err))))
		return rc;
	char token[64];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(token, sizeof token, "%ld.%lld.%ld", (long)getpid(), (long long)ts.tv_sec,
	         (long)ts.tv_nsec);
	int timeout = o->timeout_ms > 0 ? o->timeout_ms : MAIL_TIMEOUT_MS;
	int64_t grace = claim_grace();
	for (size_t i = 0; i < n && !rc; i++) {
		struct outbox_msg m;
		bool got;
		/*
		 * A claim lives on the real clock, read afresh for each message:
		 * `now` is the business clock (LEADS_NOW, --now), fixed when the
		 * command started and free to be anywhere; a claim measured by it
		 * could run out while its sendmail still runs.
		 */
		int64_t wall = (int64_t)time(NULL);
		int64_t until = wall + (timeout + 999) / 1000 + grace;
		if ((rc = db_outbox_claim(db, ids[i], token, now, wall, until, o->force,
		                          o->force && o->only_id, &got, &m, err)))
			break;
		if (!got) {
			c->busy++;
			continue;
		}
		char msgid[256];
		const char *from = m.sender ? m.sender : o->from;
		mail_message_id(m.id, m.idem_key, from, msgid, sizeof msgid);
		char *sent_body = o->body_at_send ? o->body_at_send(o->ctx, m.id, m.body) : NULL;
		struct mail_msg mm = { .from = from,
			               .headers = m.headers,
			               .to = m.rcpt,
			               .cc = m.cc,
			               .subject = m.subject,
			               .body = sent_body ? sent_body : m.body,
			               .date = m.created_at,
			               .msgid = msgid };
		char *text = NULL;
		struct lerr e = { 0 };
		bool maybe = false;
		int sr = 0;
		/* mail to a lead: every send checks do_not_email and bounces */
		if (m.kind && strcmp(m.kind, "sequence") == 0 && m.lead_id)
			sr = seq_send_check(db, m.lead_id, &e);
		if (!sr)
			sr = mail_render(&mm, &text, &e);
		if (!sr)
			sr = mail_pipe(o->sendmail, text, strlen(text), timeout, &maybe, &e);
		free(text);
		free(sent_body);
		const char *status;
		if (!sr) {
			rc = db_outbox_sent(db, m.id, token, now, err);
			c->sent++;
			status = "sent";
		} else if (maybe) {
			/* it may be in someone's inbox: only a person decides to resend */
			rc = db_outbox_unknown(db, m.id, token, e.msg, now, err);
			c->unknown++;
			status = "unknown";
		} else {
			/* a message that cannot be rendered will never be: give up now */
			bool give_up = sr == EX_DATAERR || m.tries + 1 >= MAIL_MAX_TRIES;
			rc = db_outbox_fail(db, m.id, token, e.msg, now + backoff(m.tries + 1),
			                    give_up, now, err);
			if (give_up)
				c->failed++;
			else
				c->retry++;
			status = give_up ? "failed" : "retry";
		}
		if (o->report)
			o->report(o->ctx, m.id, m.rcpt, m.subject, status, sr ? e.msg : NULL);
		outbox_msg_free(&m);
	}
	free(ids);
	if (n) {
		struct lerr e2;
		int r2 = db_outbox_fast(db, false, rc ? &e2 : err);
		rc = rc ? rc : r2;
	}
	return rc;
}
