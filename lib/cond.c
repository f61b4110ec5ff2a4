/*
 * cond.c - the condition language (see cond.h): compiled once from the
 * YAML node, evaluated many times.
 *
 * A compiled condition is a small tree: all/any/not nodes over leaves. A
 * leaf knows where its value comes from (a lead column, the stage's group,
 * a custom field, the activity list, the clock) and the type it compares
 * as; its operands are parsed to that type at load time, so evaluation
 * never parses YAML, never compiles a regex and never fails.
 */
#include "cond.h"

#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "jsonval.h"
#include "litre.h"
#include "ltime.h"

enum ckind { CK_ALL, CK_ANY, CK_NOT, CK_LEAF };

/* Where a leaf's value comes from. */
enum fsrc {
	FS_TEXT,      /* a text column, l->t[idx] */
	FS_NUM,       /* an integer column, l->i[idx] */
	FS_TIME,      /* a time column, l->i[idx] */
	FS_MONEY,     /* value: cents in l->i[idx], compared in units */
	FS_STAGE,     /* stage key, shown and matched by name too */
	FS_GROUP,     /* the group of the lead's stage */
	FS_EXTRA,     /* extra.NAME */
	FS_ACT_COUNT, /* activity.KIND.count */
	FS_ACT_AGE,   /* activity.KIND.last_age */
	FS_AGE_OF,    /* now - l->i[idx]: age, stage_age, last_activity_age */
	FS_SCORE,     /* score.NAME */
};

/* What a leaf's value compares as. */
enum vtype { VT_TEXT, VT_NUM, VT_TIME, VT_DUR, VT_EXTRA };

enum opk {
	OP_EQ,
	OP_NE,
	OP_IN,
	OP_NOT_IN,
	OP_CONTAINS,
	OP_REGEX,
	OP_GT,
	OP_GTE,
	OP_LT,
	OP_LTE,
	OP_EXISTS,
	OP_MISSING,
	OP__COUNT
};
static const char *const op_names[OP__COUNT] = {
	"eq", "ne",  "in", "not_in", "contains", "regex",
	"gt", "gte", "lt", "lte",    "exists",   "missing"
};
static const char *const op_true[OP__COUNT] = {
	"equals", "differs from", "is in", "is not in", "contains", "matches", ">", ">=", "<", "<="
};
static const char *const op_false[OP__COUNT] = {
	"does not equal", "equals",   "is not in", "is in",    "does not contain",
	"does not match", "is not >", "is not >=", "is not <", "is not <="
};

struct operand {
	char *s;     /* as written (stage: the key; owner: the member's name) */
	char *lower; /* contains: s in lower case */
	double n;    /* numbers, times (epoch seconds) and durations (seconds) */
	bool has_n;  /* extra: the operand reads as a number */
	bool has_t;  /* extra: the operand reads as a date (in n) */
};

struct op {
	enum opk k;
	struct operand *v;
	size_t nv;
	regex_t re;
	struct litre lit; /* the same regex as literals, when it is one (has_lit) */
	bool has_re, has_lit, icase;
	bool flag; /* exists/missing: true or false as written */
};

struct cond {
	enum ckind kind;
	bool uses_act;
	bool uses_owner;  /* owner, assigned_*, score: see cond_uses_assignment */
	bool uses_status; /* status, updated_at: see cond_uses_status */
	struct cond **kids;
	size_t nkids;
	/* leaf */
	char *fname; /* the field as shown in explanations */
	enum fsrc src;
	enum vtype vt;
	int idx;
	char *key;      /* extra.KEY, score.KEY */
	int act;        /* activity kind (ACT_ANY for any) */
	int64_t within; /* activity.KIND.count: seconds, 0 = ever */
	char *within_txt;
	struct op *ops;
	size_t nops;
};

void cond_free(struct cond *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nkids; i++)
		cond_free(c->kids[i]);
	free(c->kids);
	for (size_t i = 0; i < c->nops; i++) {
		struct op *o = &c->ops[i];
		for (size_t j = 0; j < o->nv; j++) {
			free(o->v[j].s);
			free(o->v[j].lower);
		}
		free(o->v);
		if (o->has_re)
			regfree(&o->re);
		if (o->has_lit)
			litre_free(&o->lit);
	}
	free(c->ops);
	free(c->fname);
	free(c->key);
	free(c->within_txt);
	free(c);
}

bool cond_uses_activity(const struct cond *c)
{
	return c && c->uses_act;
}

bool cond_uses_assignment(const struct cond *c)
{
	return c && c->uses_owner;
}

bool cond_uses_status(const struct cond *c)
{
	return c && c->uses_status;
}

/* ---- numbers ---- */

/* A plain decimal number: [+-]digits[.digits][e[+-]digits]. */
static bool num_parse(const char *s, double *out)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')))
		return false;
	/* plain integers (most custom fields): exact in a double, no strtod */
	int64_t n = 0;
	int digits = 0;
	const char *d = p;
	while (*d >= '0' && *d <= '9' && digits < 15) {
		n = n * 10 + (*d++ - '0');
		digits++;
	}
	if (!*d) {
		*out = *s == '-' ? -(double)n : (double)n;
		return true;
	}
	for (const char *q = p; *q; q++)
		if (!((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' ||
		      *q == '+' || *q == '-'))
			return false;
	char *end;
	double v = strtod(s, &end);
	if (*end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

/* A custom field as a number: "1200", " 1,200,000 ", "$40.5". */
static bool extra_num(const char *s, double *out)
{
	if (num_parse(s, out))
		return true;
	int64_t cents;
	if (lead_money_parse(s, &cents)) {
		*out = (double)cents / 100.0;
		return true;
	}
	return false;
}

static void put_num(struct sb *sb, double n)
{
	if (n == floor(n) && fabs(n) < 1e15)
		sb_addf(sb, "%lld", (long long)n);
	else
		sb_addf(sb, "%.15g", n);
}

static void put_dur(struct sb *sb, double secs)
{
	char buf[LTIME_BUFSZ];
	struct ldur d = { (int64_t)secs, 0 };
	ldur_fmt(d, buf);
	sb_adds(sb, buf);
}

static void put_time(struct sb *sb, double t)
{
	char buf[LTIME_BUFSZ];
	ltime_fmt((int64_t)t, buf);
	sb_adds(sb, buf);
}

/* ---- compiling ---- */

static const char *const derived_fields[] = { "group", "age", "stage_age", "last_activity_age" };

static int unknown_field(struct yaml_ctx *y, yaml_node_t *at, const char *name)
{
	const char *best = NULL;
	size_t bd = 3;
	for (int i = 0; i < lead_nfields; i++) {
		size_t d = str_distance(name, lead_fields[i].name);
		if (d < bd) {
			bd = d;
			best = lead_fields[i].name;
		}
	}
	for (size_t i = 0; i < ARRAY_LEN(derived_fields); i++) {
		size_t d = str_distance(name, derived_fields[i]);
		if (d < bd) {
			bd = d;
			best = derived_fields[i];
		}
	}
	if (best)
		return ly_error(y, at, "unknown field '%s' (did you mean '%s'?)", name, best);
	return ly_error(y, at,
	                "unknown field '%s' (a lead field, group, age, stage_age, "
	                "last_activity_age, extra.NAME, score.NAME, activity.KIND.count or "
	                "activity.KIND.last_age)",
	                name);
}

static int resolve_field(struct yaml_ctx *y, yaml_node_t *n, struct cond *c)
{
	const char *name = ly_scalar(n);
	if (!name || ly_is_null(n) || !*name)
		return ly_error(y, n, "expected a field name for field, got %s", ly_kind(n));
	if (strncmp(name, "extra.", 6) == 0) {
		if (!name[6])
			return ly_error(y, n, "extra. needs a custom field name (extra.budget)");
		c->src = FS_EXTRA;
		c->vt = VT_EXTRA;
		c->key = xstrdup(name + 6);
		c->fname = xstrdup(name);
		return 0;
	}
	if (strncmp(name, "score.", 6) == 0) {
		if (!name[6])
			return ly_error(y, n, "score. needs the name of a score (score.fit)");
		c->src = FS_SCORE;
		c->vt = VT_NUM;
		c->uses_owner = true;
		c->key = xstrdup(name + 6);
		c->fname = xstrdup(name);
		return 0;
	}
	if (strncmp(name, "activity.", 9) == 0) {
		const char *kind = name + 9, *dot = strrchr(kind, '.');
		char *k = dot ? xstrndup(kind, (size_t)(dot - kind)) : NULL;
		int ak = k ? act_kind_parse(k) : -2;
		free(k);
		if (!dot || ak == -2)
			return ly_error(y, n,
			                "unknown activity in '%s' (activity.KIND.count or "
			                "activity.KIND.last_age; KIND: " ACT_KIND_LIST ")",
			                name);
		if (strcmp(dot + 1, "count") == 0) {
			c->src = FS_ACT_COUNT;
			c->vt = VT_NUM;
		} else if (strcmp(dot + 1, "last_age") == 0) {
			c->src = FS_ACT_AGE;
			c->vt = VT_DUR;
		} else {
			return ly_error(y, n,
			                "unknown activity measure '%s' in '%s' (count or "
			                "last_age)",
			                dot + 1, name);
		}
		c->act = ak;
		c->uses_act = true;
		struct sb sb = SB_INIT;
		sb_addf(&sb, "activity.%s.%s", act_kind_name(ak), dot + 1);
		c->fname = sb_detach(&sb);
		return 0;
	}
	if (str_ieq(name, "group")) {
		c->src = FS_GROUP;
		c->vt = VT_TEXT;
		c->fname = xstrdup("group");
		return 0;
	}
	static const struct {
		const char *name;
		int idx;
	} ages[] = { { "age", LI_CREATED_AT },
		     { "stage_age", LI_STAGE_ENTERED_AT },
		     { "last_activity_age", LI_LAST_ACTIVITY_AT } };
	for (size_t i = 0; i < ARRAY_LEN(ages); i++) {
		if (str_ieq(name, ages[i].name)) {
			c->src = FS_AGE_OF;
			c->vt = VT_DUR;
			c->idx = ages[i].idx;
			c->fname = xstrdup(ages[i].name);
			return 0;
		}
	}
	const struct field_desc *f = lead_field(name);
	if (!f)
		return unknown_field(y, n, name);
	c->fname = xstrdup(f->name);
	c->idx = f->idx;
	c->uses_owner =
	    (f->kind == FK_TEXT && (f->idx == LT_OWNER || f->idx == LT_ASSIGNED_RULE)) ||
	    (f->kind != FK_TEXT && (f->idx == LI_ASSIGNED_AT || f->idx == LI_SCORE));
	c->uses_status = (f->kind == FK_TEXT && f->idx == LT_STATUS) ||
	                 (f->kind != FK_TEXT && f->idx == LI_UPDATED_AT);
	switch (f->kind) {
	case FK_TEXT:
		c->src = f->idx == LT_STAGE ? FS_STAGE : FS_TEXT;
		c->vt = VT_TEXT;
		break;
	case FK_INT:
		c->src = FS_NUM;
		c->vt = VT_NUM;
		break;
	case FK_TIME:
		c->src = FS_TIME;
		c->vt = VT_TIME;
		break;
	case FK_MONEY:
		c->src = FS_MONEY;
		c->vt = VT_NUM;
		break;
	}
	return 0;
}

static const char *vt_name(const struct cond *c)
{
	switch (c->vt) {
	case VT_TEXT:
		return "text";
	case VT_NUM:
		return "a number";
	case VT_TIME:
		return "a date";
	case VT_DUR:
		return "a duration";
	case VT_EXTRA:
		return "a custom field";
	}
	return "?";
}

/* Parse one operand of op k at n for leaf c. */
static int operand(struct yaml_ctx *y, yaml_node_t *n, struct cond *c, enum opk k,
                   const struct config *cfg, struct operand *o)
{
	const char *s = ly_scalar(n);
	if (!s || ly_is_null(n))
		return ly_error(y, n, "expected a value for '%s' on %s, got %s", op_names[k],
		                c->fname, ly_kind(n));
	bool match = k == OP_CONTAINS || k == OP_REGEX;
	switch (c->vt) {
	case VT_NUM:
		if (!num_parse(s, &o->n))
			return ly_error(y, n, "expected a number for '%s' on %s, got '%s'",
			                op_names[k], c->fname, s);
		break; /* value (FS_MONEY) compares in units: no scaling here */
	case VT_TIME: {
		int64_t t;
		if (!ltime_parse(s, &t))
			return ly_error(y, n,
			                "expected a date for '%s' on %s (ISO 8601: 2026-01-31 "
			                "or 2026-01-31T09:00:00Z), got '%s'",
			                op_names[k], c->fname, s);
		o->n = (double)t;
		break;
	}
	case VT_DUR: {
		struct ldur d;
		if (!ldur_parse(s, &d))
			return ly_error(y, n,
			                "expected a duration for '%s' on %s (30m, 2h, 3d, 1w, "
			                "3mo), got '%s'",
			                op_names[k], c->fname, s);
		o->n = (double)ldur_approx_secs(d);
		break;
	}
	case VT_EXTRA: {
		int64_t t;
		if (num_parse(s, &o->n)) {
			o->has_n = true;
		} else if (ltime_parse(s, &t)) {
			o->has_t = true;
			o->n = (double)t;
		} else if (k >= OP_GT && k <= OP_LTE) {
			return ly_error(y, n,
			                "expected a number or a date for '%s' on %s, got '%s'",
			                op_names[k], c->fname, s);
		}
		break;
	}
	case VT_TEXT:
		if (match)
			break;
		if (c->src == FS_STAGE) {
			const struct stage *st = config_ref_stage(y, n, cfg);
			if (!st)
				return -1;
			o->s = xstrdup(st->key);
			return 0;
		}
		if (c->src == FS_GROUP) {
			if (!str_ieq(s, "active") && !str_ieq(s, "won") && !str_ieq(s, "lost"))
				return ly_error(y, n, "unknown group '%s' (active, won or lost)",
				                s);
		} else if (c->src == FS_TEXT && c->idx == LT_STATUS) {
			char *low = str_lower(s);
			bool ok = lead_status_ok(low);
			free(low);
			if (!ok)
				return ly_error(y, n,
				                "unknown status '%s' (new, active, inactive or "
				                "unqualified)",
				                s);
		} else if (c->src == FS_TEXT && c->idx == LT_OWNER && cfg->nteam) {
			const struct member *m = config_ref_member(y, n, cfg);
			if (!m)
				return -1;
			o->s = xstrdup(m->name);
			return 0;
		}
		break;
	}
	o->s = xstrdup(s);
	if (k == OP_CONTAINS)
		o->lower = str_lower(s);
	return 0;
}

/*
 * glibc's regcomp copies the tree of a repeated part once per repetition,
 * so a hostile config could make it take gigabytes: `a+++...+` (a
 * quantifier on a quantifier, undefined in POSIX EREs anyway) doubles it
 * each time, `((a{100}){100}){100}` multiplies. Found by the fuzzer
 * (fuzz/fuzz_cond.c). Refused before compiling: a pattern longer than
 * REGEX_MAX_LEN, a quantifier right after another, or bounds {m,n} whose
 * product passes REGEX_MAX_REPEAT. No rule a person writes comes near.
 */
#define REGEX_MAX_LEN    1024
#define REGEX_MAX_REPEAT 10000

static const char *regex_too_big(const char *re)
{
	if (strlen(re) > REGEX_MAX_LEN)
		return "longer than 1024 bytes";
	bool after_quant = false;
	unsigned long product = 1;
	for (const char *p = re; *p; p++) {
		if (*p == '\\') {
			if (p[1])
				p++;
			after_quant = false;
			continue;
		}
		if (*p == '[') { /* a bracket expression is one atom: skip it */
			const char *q = p + 1;
			if (*q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q && *q != ']') {
				if (*q == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
					char close = q[1];
					const char *e = q + 2;
					while (*e && !(e[0] == close && e[1] == ']'))
						e++;
					q = *e ? e + 1 : e;
				}
				if (*q)
					q++;
			}
			p = *q ? q : q - 1;
			after_quant = false;
			continue;
		}
		if (*p == '*' || *p == '+' || *p == '?' || *p == '{') {
			if (after_quant)
				return "a quantifier on a quantifier (such as 'a++')";
			after_quant = true;
			if (*p == '{') {
				unsigned long hi = 0, n = 0;
				const char *q = p + 1;
				for (; *q && *q != '}'; q++) {
					if (*q >= '0' && *q <= '9') {
						n = n * 10 + (unsigned long)(*q - '0');
						if (n > REGEX_MAX_REPEAT)
							return "a repetition count over 10000";
					} else {
						n = 0;
					}
					if (n > hi)
						hi = n;
				}
				if (hi > 1) {
					product *= hi;
					if (product > REGEX_MAX_REPEAT)
						return "repetitions that multiply past 10000";
				}
				if (*q)
					p = q;
			}
			continue;
		}
		after_quant = false;
	}
	return NULL;
}

static int compile_op(struct yaml_ctx *y, yaml_node_t *kn, yaml_node_t *v, struct cond *c,
                      enum opk k, bool icase, const struct config *cfg)
{
	struct op *o = &c->ops[c->nops];
	memset(o, 0, sizeof *o);
	o->k = k;
	if (k == OP_EXISTS || k == OP_MISSING) {
		if (ly_bool(y, v, op_names[k], &o->flag) != 0)
			return -1;
		c->nops++;
		return 0;
	}
	bool text_op = k == OP_CONTAINS || k == OP_REGEX;
	bool order_op = k >= OP_GT && k <= OP_LTE;
	if (text_op && c->vt != VT_TEXT && c->vt != VT_EXTRA)
		return ly_error(y, kn, "'%s' needs a text field; %s is %s", op_names[k], c->fname,
		                vt_name(c));
	if (order_op && c->vt == VT_TEXT)
		return ly_error(y, kn,
		                "'%s' needs a number, date or age field; %s is text (use eq, in, "
		                "contains or regex)",
		                op_names[k], c->fname);
	if (k == OP_IN || k == OP_NOT_IN) {
		if (!ly_is_seq(v))
			return ly_error(y, v, "expected a list for '%s' on %s, got %s (write [%s])",
			                op_names[k], c->fname, ly_kind(v),
			                ly_scalar(v) ? ly_scalar(v) : "...");
		size_t n = ly_seq_len(v);
		if (n == 0)
			return ly_error(y, v, "'%s' needs at least one value", op_names[k]);
		o->v = xcalloc(n, sizeof *o->v);
		int rc = 0;
		for (size_t i = 0; i < n; i++) {
			if (operand(y, ly_seq_at(y, v, i), c, k, cfg, &o->v[o->nv]) == 0)
				o->nv++;
			else
				rc = -1;
		}
		c->nops++; /* freed with c even on error */
		return rc;
	}
	if (!ly_is_scalar(v) || ly_is_null(v))
		return ly_error(y, v, "expected one value for '%s' on %s, got %s", op_names[k],
		                c->fname, ly_kind(v));
	o->v = xcalloc(1, sizeof *o->v);
	c->nops++;
	if (operand(y, v, c, k, cfg, &o->v[0]) != 0)
		return -1;
	o->nv = 1;
	if (k == OP_REGEX) {
		if (!*o->v[0].s)
			return ly_error(y, v, "empty regex for %s", c->fname);
		const char *why = regex_too_big(o->v[0].s);
		if (why)
			return ly_error(y, v, "regex for %s refused: %s", c->fname, why);
		int flags = REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0);
		int rc = regcomp(&o->re, o->v[0].s, flags);
		if (rc != 0) {
			char msg[256];
			regerror(rc, &o->re, msg, sizeof msg);
			return ly_error(y, v, "invalid regex '%s' for %s: %s", o->v[0].s, c->fname,
			                msg);
		}
		o->has_re = true;
		o->has_lit = litre_compile(o->v[0].s, icase, &o->lit);
		o->icase = icase;
	}
	return 0;
}

static int op_lookup(const char *key)
{
	for (int i = 0; i < OP__COUNT; i++)
		if (strcmp(op_names[i], key) == 0)
			return i;
	return -1;
}

static void unknown_op(struct yaml_ctx *y, yaml_node_t *kn, const char *key, const char *field)
{
	const char *best = NULL;
	size_t bd = 3;
	for (int i = 0; i < OP__COUNT; i++) {
		size_t d = str_distance(key, op_names[i]);
		if (d < bd) {
			bd = d;
			best = op_names[i];
		}
	}
	if (best)
		ly_error(y, kn, "unknown operator '%s' on %s (did you mean '%s'?)", key, field,
		         best);
	else
		ly_error(y, kn,
		         "unknown operator '%s' on %s (expected: eq, ne, in, not_in, contains, "
		         "regex, gt, gte, lt, lte, exists, missing)",
		         key, field);
}

static struct cond *compile_leaf(struct yaml_ctx *y, yaml_node_t *n, const struct config *cfg)
{
	struct cond *c = xcalloc(1, sizeof *c);
	c->kind = CK_LEAF;
	size_t before = y->nerrors;
	if (resolve_field(y, ly_map_get(y, n, "field"), c) != 0) {
		cond_free(c);
		return NULL;
	}
	size_t np = ly_map_len(n);
	c->ops = xcalloc(np, sizeof *c->ops);
	bool icase = false, have_icase = false, have_regex = false;
	yaml_node_t *icase_key = NULL, *within_key = NULL;
	/* first the modifiers, wherever they are in the mapping */
	for (size_t i = 0; i < np; i++) {
		yaml_node_t *kn = ly_map_key(y, n, i), *v = ly_map_val(y, n, i);
		const char *key = ly_scalar(kn);
		if (key && strcmp(key, "ignore_case") == 0) {
			have_icase = true;
			icase_key = kn;
			ly_bool(y, v, "ignore_case", &icase);
		} else if (key && strcmp(key, "within") == 0) {
			within_key = kn;
			struct ldur d;
			if (c->src != FS_ACT_COUNT) {
				ly_error(y, kn, "'within' goes with activity.KIND.count, not %s",
				         c->fname);
			} else if (ly_dur(y, v, "within", &d) == 0) {
				c->within = ldur_approx_secs(d);
				c->within_txt = xstrdup(ly_scalar(v));
			}
		}
	}
	int seen[OP__COUNT] = { 0 };
	for (size_t i = 0; i < np; i++) {
		yaml_node_t *kn = ly_map_key(y, n, i), *v = ly_map_val(y, n, i);
		const char *key = ly_scalar(kn);
		if (!key) {
			ly_error(y, kn, "expected an operator name, got %s", ly_kind(kn));
			continue;
		}
		if (strcmp(key, "field") == 0 || strcmp(key, "ignore_case") == 0 ||
		    strcmp(key, "within") == 0)
			continue;
		int k = op_lookup(key);
		if (k < 0) {
			if (strcmp(key, "all") == 0 || strcmp(key, "any") == 0 ||
			    strcmp(key, "not") == 0)
				ly_error(y, kn,
				         "'%s' cannot sit beside 'field'; nest the field test "
				         "inside it",
				         key);
			else
				unknown_op(y, kn, key, c->fname);
			continue;
		}
		if (seen[k]) {
			ly_error(y, kn, "duplicate operator '%s' (first at line %d)", key, seen[k]);
			continue;
		}
		seen[k] = ly_line(kn);
		have_regex = have_regex || k == OP_REGEX;
		compile_op(y, kn, v, c, (enum opk)k, icase, cfg);
	}
	if (c->nops == 0 && y->nerrors == before)
		ly_error(y, n,
		         "no operator for %s (eq, ne, in, not_in, contains, regex, gt, gte, lt, "
		         "lte, exists or missing)",
		         c->fname);
	if (have_icase && !have_regex)
		ly_error(y, icase_key,
		         "'ignore_case' goes with regex (eq, in and contains ignore case "
		         "already)");
	(void)within_key;
	if (y->nerrors > before) {
		cond_free(c);
		return NULL;
	}
	return c;
}

static struct cond *compile_node(struct yaml_ctx *y, yaml_node_t *n, const struct config *cfg,
                                 int depth);

static struct cond *compile_list(struct yaml_ctx *y, yaml_node_t *n, const struct config *cfg,
                                 int depth, enum ckind kind, const char *what)
{
	if (!ly_is_seq(n))
		return ly_error(y, n, "expected a list of conditions for '%s', got %s", what,
		                ly_kind(n)),
		       NULL;
	size_t len = ly_seq_len(n);
	if (len == 0)
		return ly_error(y, n, "'%s' needs at least one condition", what), NULL;
	struct cond *c = xcalloc(1, sizeof *c);
	c->kind = kind;
	c->kids = xcalloc(len, sizeof *c->kids);
	bool bad = false;
	for (size_t i = 0; i < len; i++) {
		struct cond *k = compile_node(y, ly_seq_at(y, n, i), cfg, depth + 1);
		if (!k) {
			bad = true;
			continue;
		}
		c->uses_act = c->uses_act || k->uses_act;
		c->uses_owner = c->uses_owner || k->uses_owner;
		c->uses_status = c->uses_status || k->uses_status;
		c->kids[c->nkids++] = k;
	}
	if (bad) {
		cond_free(c);
		return NULL;
	}
	return c;
}

static struct cond *compile_node(struct yaml_ctx *y, yaml_node_t *n, const struct config *cfg,
                                 int depth)
{
	if (depth >= COND_MAX_DEPTH)
		return ly_error(y, n, "conditions nest deeper than %d levels", COND_MAX_DEPTH),
		       NULL;
	if (ly_is_seq(n))
		return compile_list(y, n, cfg, depth, CK_ALL, "all");
	if (!ly_is_map(n))
		return ly_error(y, n,
		                "expected a condition (a mapping with field and an operator, "
		                "or all, any, not), got %s",
		                ly_kind(n)),
		       NULL;
	yaml_node_t *all = ly_map_get(y, n, "all"), *any = ly_map_get(y, n, "any"),
	            *not = ly_map_get(y, n, "not"), *field = ly_map_get(y, n, "field");
	if (field)
		return compile_leaf(y, n, cfg);
	int ncomb = (all != NULL) + (any != NULL) + (not != NULL);
	if (ncomb == 0) {
		yaml_node_t *k0 = ly_map_key(y, n, 0);
		const char *key = ly_scalar(k0);
		if (key && (lead_field(key) || str_ieq(key, "group")))
			return ly_error(y, k0,
			                "a condition needs 'field' (write {field: %s, eq: ...})",
			                key),
			       NULL;
		return ly_error(y, k0 ? k0 : n,
		                "a condition needs 'field' and an operator, or one of all, any, "
		                "not%s%s%s",
		                key ? " (got '" : "", key ? key : "", key ? "')" : ""),
		       NULL;
	}
	if (ncomb > 1 || ly_map_len(n) > 1) {
		for (size_t i = 0; i < ly_map_len(n); i++) {
			const char *key = ly_scalar(ly_map_key(y, n, i));
			if (key && strcmp(key, "all") && strcmp(key, "any") && strcmp(key, "not"))
				return ly_error(y, ly_map_key(y, n, i),
				                "unexpected key '%s' beside all/any/not", key),
				       NULL;
		}
		return ly_error(y, n,
		                "one of all, any or not per mapping (nest them: {all: [{any: "
		                "[...]}, ...]})"),
		       NULL;
	}
	if (all)
		return compile_list(y, all, cfg, depth, CK_ALL, "all");
	if (any)
		return compile_list(y, any, cfg, depth, CK_ANY, "any");
	struct cond *k = compile_node(y, not, cfg, depth + 1);
	if (!k)
		return NULL;
	struct cond *c = xcalloc(1, sizeof *c);
	c->kind = CK_NOT;
	c->kids = xcalloc(1, sizeof *c->kids);
	c->kids[0] = k;
	c->nkids = 1;
	c->uses_act = k->uses_act;
	c->uses_owner = k->uses_owner;
	c->uses_status = k->uses_status;
	return c;
}

struct cond *cond_compile(struct yaml_ctx *y, yaml_node_t *n, const struct config *cfg)
{
	size_t before = y->nerrors;
	struct cond *c = compile_node(y, n, cfg, 0);
	if (c && y->nerrors > before) {
		cond_free(c);
		return NULL;
	}
	return c;
}

/* ---- evaluating ---- */

struct fv {
	bool present;
	const char *s;  /* text value */
	const char *s2; /* FS_STAGE: the stage name (matched too) */
	double n;
};

void cond_cache_reset(struct cond_cache *cc)
{
	for (size_t i = 0; i < cc->n; i++)
		free(cc->e[i].value);
	cc->n = 0;
	cc->json = NULL;
}

static void fetch_extra(const struct cond *c, const struct cond_env *env, struct fv *v,
                        struct sb *tmp)
{
	const char *json = env->l->t[LT_EXTRA];
	struct cond_cache *cc = env->cache;
	if (cc && cc->json != json)
		cond_cache_reset(cc);
	for (size_t i = 0; cc && i < cc->n; i++) {
		if (strcmp(cc->e[i].key, c->key) == 0) {
			v->present = cc->e[i].found;
			v->s = cc->e[i].value ? cc->e[i].value : "";
			return;
		}
	}
	v->present = jsonval_get(json, c->key, true, tmp) && tmp->len > 0;
	v->s = sb_str(tmp);
	if (cc && cc->n < COND_CACHE_SLOTS) {
		cc->json = json;
		cc->e[cc->n].key = c->key;
		cc->e[cc->n].found = v->present;
		cc->e[cc->n++].value = v->present ? xstrdup(v->s) : NULL;
	}
}

static void fetch(const struct cond *c, const struct cond_env *env, struct fv *v, struct sb *tmp)
{
	const struct lead *l = env->l;
	memset(v, 0, sizeof *v);
	switch (c->src) {
	case FS_TEXT:
		v->s = l->t[c->idx];
		v->present = v->s && *v->s;
		return;
	case FS_STAGE: {
		v->s = l->t[LT_STAGE];
		v->present = v->s && *v->s;
		const struct stage *st = v->present ? config_stage(env->cfg, v->s) : NULL;
		v->s2 = st ? st->name : NULL;
		return;
	}
	case FS_GROUP: {
		const struct stage *st =
		    l->t[LT_STAGE] ? config_stage(env->cfg, l->t[LT_STAGE]) : NULL;
		v->present = st != NULL;
		v->s = st ? stage_group_name(st->grp) : NULL;
		return;
	}
	case FS_NUM:
	case FS_TIME:
		v->present = l->has[c->idx];
		v->n = (double)l->i[c->idx];
		return;
	case FS_MONEY:
		v->present = l->has[c->idx];
		v->n = (double)l->i[c->idx] / 100.0;
		return;
	case FS_AGE_OF:
		v->present = l->has[c->idx];
		v->n = (double)(env->now - l->i[c->idx]);
		return;
	case FS_EXTRA:
		fetch_extra(c, env, v, tmp);
		return;
	case FS_ACT_COUNT:
		if (!env->activity_count)
			return;
		v->present = true;
		v->n = (double)env->activity_count(env->ctx, l->i[LI_ID], act_kind_name(c->act),
		                                   c->within ? env->now - c->within : INT64_MIN);
		return;
	case FS_ACT_AGE: {
		if (!env->activity_last)
			return;
		int64_t last = env->activity_last(env->ctx, l->i[LI_ID], act_kind_name(c->act));
		v->present = last != 0;
		v->n = (double)(env->now - last);
		return;
	}
	case FS_SCORE: {
		int64_t s = 0;
		v->present =
		    env->named_score && env->named_score(env->ctx, l->i[LI_ID], c->key, &s);
		v->n = (double)s;
		return;
	}
	}
}

/* ASCII case-insensitive substring; needle is lower case already. */
static bool ci_contains(const char *hay, const char *needle)
{
	size_t nl = strlen(needle);
	if (nl == 0)
		return true;
	for (const char *h = hay; *h; h++) {
		size_t i = 0;
		while (i < nl && h[i]) {
			char ch = h[i];
			if (ch >= 'A' && ch <= 'Z')
				ch = (char)(ch - 'A' + 'a');
			if (ch != needle[i])
				break;
			i++;
		}
		if (i == nl)
			return true;
	}
	return false;
}

/* The value as a number for an ordering or numeric test; false if it is not one. */
static bool as_num(const struct cond *c, const struct fv *v, const struct operand *o, double *x)
{
	if (c->vt != VT_EXTRA) {
		*x = v->n;
		return true;
	}
	if (o->has_n)
		return extra_num(v->s, x);
	int64_t t;
	if (o->has_t && ltime_parse(v->s, &t)) {
		*x = (double)t;
		return true;
	}
	return false;
}

static bool equal1(const struct cond *c, const struct fv *v, const struct operand *o)
{
	double x;
	switch (c->vt) {
	case VT_TEXT:
		return str_ieq(v->s, o->s);
	case VT_EXTRA:
		if ((o->has_n || o->has_t) && as_num(c, v, o, &x))
			return x == o->n;
		return str_ieq(v->s, o->s);
	default:
		return v->n == o->n;
	}
}

static bool match1(const struct op *o, const struct fv *v)
{
	if (o->k == OP_CONTAINS)
		return ci_contains(v->s, o->v[0].lower) ||
		       (v->s2 && ci_contains(v->s2, o->v[0].lower));
	if (o->has_lit)
		return litre_match(&o->lit, v->s) || (v->s2 && litre_match(&o->lit, v->s2));
	return regexec(&o->re, v->s, 0, NULL, 0) == 0 ||
	       (v->s2 && regexec(&o->re, v->s2, 0, NULL, 0) == 0);
}

static bool eval_op(const struct cond *c, const struct op *o, const struct fv *v)
{
	switch (o->k) {
	case OP_EXISTS:
		return v->present == o->flag;
	case OP_MISSING:
		return !v->present == o->flag;
	default:
		break;
	}
	if (!v->present)
		return o->k == OP_NE || o->k == OP_NOT_IN;
	switch (o->k) {
	case OP_EQ:
	case OP_IN:
		for (size_t i = 0; i < o->nv; i++)
			if (equal1(c, v, &o->v[i]))
				return true;
		return false;
	case OP_NE:
	case OP_NOT_IN:
		for (size_t i = 0; i < o->nv; i++)
			if (equal1(c, v, &o->v[i]))
				return false;
		return true;
	case OP_CONTAINS:
	case OP_REGEX:
		return match1(o, v);
	case OP_GT:
	case OP_GTE:
	case OP_LT:
	case OP_LTE: {
		double x;
		if (!as_num(c, v, &o->v[0], &x))
			return false;
		double b = o->v[0].n;
		return o->k == OP_GT    ? x > b
		       : o->k == OP_GTE ? x >= b
		       : o->k == OP_LT  ? x < b
		                        : x <= b;
	}
	default:
		return false;
	}
}

static void put_value(const struct cond *c, const struct fv *v, struct sb *ex)
{
	switch (c->vt) {
	case VT_TEXT:
	case VT_EXTRA:
		sb_addc(ex, '\'');
		sb_adds(ex, v->s2 ? v->s2 : v->s);
		sb_addc(ex, '\'');
		return;
	case VT_NUM:
		put_num(ex, v->n);
		return;
	case VT_TIME:
		put_time(ex, v->n);
		return;
	case VT_DUR:
		put_dur(ex, v->n);
		return;
	}
}

static void put_operand(const struct cond *c, const struct config *cfg, const struct operand *o,
                        struct sb *ex, bool quote)
{
	const char *s = o->s;
	if (c->src == FS_STAGE && s) {
		const struct stage *st = config_stage(cfg, s);
		if (st)
			s = st->name;
	}
	if (quote && (c->vt == VT_TEXT || (c->vt == VT_EXTRA && !o->has_n)))
		sb_addf(ex, "'%s'", s);
	else
		sb_adds(ex, s);
}

static void explain_op(const struct cond *c, const struct op *o, const struct fv *v, bool ok,
                       const struct config *cfg, struct sb *ex)
{
	sb_adds(ex, c->fname);
	if (c->within_txt)
		sb_addf(ex, " (within %s)", c->within_txt);
	if (o->k == OP_EXISTS || o->k == OP_MISSING) {
		if (v->present) {
			sb_adds(ex, " exists (");
			put_value(c, v, ex);
			sb_adds(ex, ")");
		} else {
			sb_adds(ex, " is missing");
		}
		return;
	}
	if (!v->present) {
		sb_adds(ex, " is missing");
		return;
	}
	sb_addc(ex, ' ');
	put_value(c, v, ex);
	double x;
	if (o->k >= OP_GT && o->k <= OP_LTE && !as_num(c, v, &o->v[0], &x)) {
		sb_adds(ex, o->v[0].has_t ? " is not a date" : " is not a number");
		return;
	}
	sb_addf(ex, " %s ", ok ? op_true[o->k] : op_false[o->k]);
	if (o->k == OP_IN || o->k == OP_NOT_IN) {
		sb_addc(ex, '[');
		for (size_t i = 0; i < o->nv; i++) {
			if (i)
				sb_adds(ex, ", ");
			put_operand(c, cfg, &o->v[i], ex, false);
		}
		sb_addc(ex, ']');
	} else if (o->k == OP_REGEX) {
		sb_addf(ex, "/%s/%s", o->v[0].s, o->icase ? "i" : "");
	} else {
		put_operand(c, cfg, &o->v[0], ex, true);
	}
}

static bool eval_leaf(const struct cond *c, const struct cond_env *env, struct sb *ex)
{
	struct sb tmp = SB_INIT;
	struct fv v;
	fetch(c, env, &v, &tmp);
	bool ok = true;
	size_t fail = 0;
	for (size_t i = 0; i < c->nops && ok; i++) {
		ok = eval_op(c, &c->ops[i], &v);
		fail = i;
	}
	if (ex) {
		if (!ok) {
			explain_op(c, &c->ops[fail], &v, false, env->cfg, ex);
		} else {
			for (size_t i = 0; i < c->nops; i++) {
				if (i)
					sb_adds(ex, " and ");
				explain_op(c, &c->ops[i], &v, true, env->cfg, ex);
			}
		}
	}
	sb_free(&tmp);
	return ok;
}

static bool eval_node(const struct cond *c, const struct cond_env *env, struct sb *ex);

/* Append a child's explanation, in parentheses when it is compound. */
static void put_child(const struct cond *k, struct sb *ex, const char *text)
{
	bool paren = k->kind != CK_LEAF && k->kind != CK_NOT && k->nkids > 1;
	if (paren)
		sb_addc(ex, '(');
	sb_adds(ex, text);
	if (paren)
		sb_addc(ex, ')');
}

static bool eval_list(const struct cond *c, const struct cond_env *env, struct sb *ex)
{
	bool want = c->kind == CK_ANY; /* the child value that decides */
	if (!ex) {
		for (size_t i = 0; i < c->nkids; i++)
			if (eval_node(c->kids[i], env, NULL) == want)
				return want;
		return !want;
	}
	struct sb all = SB_INIT, one = SB_INIT;
	bool result = !want;
	for (size_t i = 0; i < c->nkids; i++) {
		sb_reset(&one);
		bool r = eval_node(c->kids[i], env, &one);
		if (r == want) {
			put_child(c->kids[i], ex, sb_str(&one));
			result = want;
			break;
		}
		if (all.len)
			sb_adds(&all, want ? "; " : " and ");
		put_child(c->kids[i], &all, sb_str(&one));
	}
	if (result != want)
		sb_adds(ex, sb_str(&all));
	sb_free(&all);
	sb_free(&one);
	return result;
}

static bool eval_node(const struct cond *c, const struct cond_env *env, struct sb *ex)
{
	switch (c->kind) {
	case CK_LEAF:
		return eval_leaf(c, env, ex);
	case CK_NOT:
		/* the child's own account says why "not" holds or fails */
		return !eval_node(c->kids[0], env, ex);
	case CK_ALL:
	case CK_ANY:
		return eval_list(c, env, ex);
	}
	return false;
}

bool cond_eval(const struct cond *c, const struct cond_env *env, struct sb *explain)
{
	if (!c) {
		if (explain)
			sb_adds(explain, "always");
		return true;
	}
	return eval_node(c, env, explain);
}
