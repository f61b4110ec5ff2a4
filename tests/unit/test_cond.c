/*
 * test_cond.c - the condition language: every operator on every kind of
 * field, the combinators, explanations, and the config errors with their
 * line and column.
 *
 * Conditions are compiled the way the engines compile them: from a config
 * loaded with config_load_mem(), through a section parser registered for
 * the test ("test: {when: ...}").
 */
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "cond.h"
#include "config.h"
#include "lead.h"
#include "ltime.h"
#include "lyaml.h"

static struct cond *compiled;

static int parse_test(struct yaml_ctx *y, struct yaml_node_s *node, struct config *cfg)
{
	yaml_node_t *w = ly_map_get(y, node, "when");
	compiled = cond_compile(y, w, cfg);
	return compiled ? 0 : -1;
}

static const char *header = "pipeline:\n"
                            "  stages:\n"
                            "    - {name: New, group: active}\n"
                            "    - {name: Appointment Set, key: appt, group: active}\n"
                            "    - {name: Won, group: won}\n"
                            "    - {name: Lost, group: lost}\n"
                            "team:\n"
                            "  - {name: ana, email: ana@example.com}\n"
                            "  - {name: ben, email: ben@example.com}\n"
                            "test:\n"
                            "  when: ";

static struct config *cfg;
static char first_diag[1024];

/* Compile `when: text`; NULL on error with the first diagnostic's first line in first_diag. */
static struct cond *compile(const char *text)
{
	struct sb sb = SB_INIT;
	sb_adds(&sb, header);
	sb_adds(&sb, text);
	sb_adds(&sb, "\n");
	config_free(cfg);
	compiled = NULL;
	cfg = config_load_mem("t.yaml", sb.buf, sb.len);
	sb_free(&sb);
	first_diag[0] = '\0';
	if (cfg->nerrors) {
		for (size_t i = 0; i < cfg->ndiags; i++) {
			if (cfg->diags[i].warning)
				continue;
			const char *t = cfg->diags[i].text;
			size_t n = strcspn(t, "\n");
			snprintf(first_diag, sizeof first_diag, "%.*s", (int)n, t);
			break;
		}
		cond_free(compiled);
		compiled = NULL;
	}
	return compiled;
}

static struct lead lead;
static struct act_src acts;
static int64_t now;

static bool eval_x(const char *text, char *why, size_t n)
{
	struct cond *c = compile(text);
	if (!c) {
		printf("# compile failed: %s\n", first_diag);
		snprintf(why, n, "(error)");
		return false;
	}
	struct cond_env env = { .l = &lead, .cfg = cfg, .now = now };
	act_env(&env, &acts);
	struct sb ex = SB_INIT;
	bool r = cond_eval(c, &env, &ex);
	snprintf(why, n, "%s", sb_str(&ex));
	sb_free(&ex);
	/* the same without an explanation */
	bool r2 = cond_eval(c, &env, NULL);
	if (r2 != r)
		printf("# explain and plain evaluation disagree on %s\n", text);
	cond_free(c);
	return r;
}

#define T(text, want)                                                                              \
	do {                                                                                       \
		char why_[512];                                                                    \
		bool got_ = eval_x(text, why_, sizeof why_);                                       \
		ok(got_ == (want), "%s -> %s (%s)", text, (want) ? "true" : "false", why_);        \
	} while (0)

#define WHY(text, want, expl)                                                                      \
	do {                                                                                       \
		char why_[512];                                                                    \
		bool got_ = eval_x(text, why_, sizeof why_);                                       \
		ok(got_ == (want), "%s -> %s", text, (want) ? "true" : "false");                   \
		is_str(why_, expl, "explain " text);                                               \
	} while (0)

#define ERR(text, msg)                                                                             \
	do {                                                                                       \
		struct cond *c_ = compile(text);                                                   \
		ok(c_ == NULL, "error: %s", text);                                                 \
		cond_free(c_);                                                                     \
		is_str(first_diag, msg, "message for " text);                                      \
	} while (0)

static int64_t at(const char *iso)
{
	int64_t t = 0;
	ltime_parse(iso, &t);
	return t;
}

static void setup_lead(void)
{
	lead_free(&lead);
	lead_init(&lead);
	lead_set_int(&lead, LI_ID, 7);
	lead_set(&lead, LT_EMAIL, "ana@gmail.com");
	lead_set(&lead, LT_FIRST_NAME, "Ana");
	lead_set(&lead, LT_TITLE, "VP Sales");
	lead_set(&lead, LT_STATE, "NY");
	lead_set(&lead, LT_SOURCE, "Referral");
	lead_set(&lead, LT_OWNER, "ana");
	lead_set(&lead, LT_STAGE, "appt");
	lead_set(&lead, LT_STATUS, "active");
	lead_set(&lead, LT_EXTRA,
	         "{\"Annual Revenue\":\"1,200,000\",\"employees\":\"250\",\"note\":\"a \\\"big\\\" "
	         "one \\u00e9\",\"renewal\":\"2027-03-01\",\"empty\":\"\",\"nothing\":null,"
	         "\"nested\":{\"a\":[1,2]}}");
	lead_set_int(&lead, LI_SCORE, 42);
	lead_set_int(&lead, LI_VALUE, 1250050); /* 12500.50 */
	lead_set_int(&lead, LI_CREATED_AT, at("2026-11-01T09:00:00Z"));
	lead_set_int(&lead, LI_UPDATED_AT, at("2026-11-20T09:00:00Z"));
	lead_set_int(&lead, LI_STAGE_ENTERED_AT, at("2026-11-17T09:00:00Z"));
	lead_set_int(&lead, LI_LAST_ACTIVITY_AT, at("2026-11-23T09:00:00Z"));
	now = at("2026-11-24T09:00:00Z");

	act_list_reset(&acts.list, 7);
	acts.list.loaded = true;
	act_list_add(&acts.list, ACT_EMAIL_OPENED, at("2026-11-23T09:00:00Z"));
	act_list_add(&acts.list, ACT_EMAIL_OPENED, at("2026-11-20T09:00:00Z"));
	act_list_add(&acts.list, ACT_EMAIL_OPENED, at("2026-09-01T09:00:00Z"));
	act_list_add(&acts.list, ACT_CALL, at("2026-11-22T09:00:00Z"));
	act_list_add(&acts.list, ACT_CALL, at("2026-12-01T09:00:00Z")); /* after now: ignored */
}

static void test_text(void)
{
	T("{field: state, eq: NY}", true);
	T("{field: state, eq: ny}", true); /* text ignores case */
	T("{field: state, eq: NJ}", false);
	T("{field: state, ne: NJ}", true);
	T("{field: state, ne: ny}", false);
	T("{field: state, in: [NJ, NY]}", true);
	T("{field: state, in: [NJ, CT]}", false);
	T("{field: state, not_in: [NJ, CT]}", true);
	T("{field: state, not_in: [nj, ny]}", false);
	T("{field: email, contains: '@GMAIL.'}", true);
	T("{field: email, contains: '@yahoo.'}", false);
	T("{field: title, regex: 'chief|vp'}", false); /* regex is case-sensitive */
	T("{field: title, regex: 'chief|vp', ignore_case: true}", true);
	T("{field: title, regex: '^VP'}", true);
	T("{field: title, regex: 'Sales$', ignore_case: false}", true);
	T("{field: first-name, eq: ana}", true); /* '-' for '_' */
	/* missing values: everything fails but ne, not_in and missing */
	T("{field: phone, eq: x}", false);
	T("{field: phone, ne: x}", true);
	T("{field: phone, in: [x]}", false);
	T("{field: phone, not_in: [x]}", true);
	T("{field: phone, contains: x}", false);
	T("{field: phone, regex: '.*'}", false);
	T("{field: phone, exists: true}", false);
	T("{field: phone, missing: true}", true);
	T("{field: phone, exists: false}", true);
	T("{field: email, exists: true}", true);
	T("{field: email, missing: true}", false);
	T("{field: email, missing: false}", true);
}

static void test_special(void)
{
	T("{field: stage, eq: Appointment Set}", true);
	T("{field: stage, eq: appt}", true);              /* by key */
	T("{field: stage, eq: 'appointment set'}", true); /* any case */
	T("{field: stage, in: [New, Won]}", false);
	T("{field: stage, contains: appoint}", true); /* the name */
	T("{field: stage, regex: '^appt$'}", true);   /* or the key */
	T("{field: group, eq: active}", true);
	T("{field: group, in: [won, lost]}", false);
	T("{field: status, eq: Active}", true);
	T("{field: status, not_in: [unqualified]}", true);
	T("{field: owner, eq: ANA}", true);
	T("{field: owner, eq: ben@example.com}", false); /* resolved to ben */
	T("{field: owner, exists: true}", true);
	T("{field: score, gt: 41}", true);
	T("{field: score, gt: 42}", false);
	T("{field: score, gte: 42}", true);
	T("{field: score, lt: 42}", false);
	T("{field: score, lte: 42}", true);
	T("{field: score, eq: 42}", true);
	T("{field: score, in: [1, 42.0]}", true);
	T("{field: score, ne: 42}", false);
	T("{field: score, gte: 10, lt: 50}", true); /* several operators: all */
	T("{field: score, gte: 10, lt: 40}", false);
	T("{field: value, gt: 12500}", true); /* in units, the column is cents */
	T("{field: value, gt: 12500.5}", false);
	T("{field: value, eq: 12500.50}", true);
	T("{field: id, eq: 7}", true);
	T("{field: created_at, gte: 2026-11-01}", true);
	T("{field: created_at, gt: '2026-11-01T09:00:00Z'}", false);
	T("{field: created_at, lt: 2026-11-02}", true);
	T("{field: assigned_at, lt: 2030-01-01}", false); /* missing */
	T("{field: age, gte: 23d}", true);
	T("{field: age, gt: 23d}", false);
	T("{field: age, lt: 4w}", true);
	T("{field: stage_age, eq: 7d}", true);
	T("{field: stage_age, gte: 1w}", true);
	T("{field: last_activity_age, lte: 24h}", true);
	T("{field: last_activity_age, lt: 1d}", false);
}

static void test_extra(void)
{
	T("{field: extra.employees, gte: 250}", true);
	T("{field: extra.employees, gt: 250}", false);
	T("{field: extra.annual_revenue, gte: 1000000}", true); /* loose key, "1,200,000" */
	T("{field: extra.Annual Revenue, lt: 1000000}", false);
	T("{field: extra.annual-revenue, eq: 1200000}", true);
	T("{field: extra.employees, eq: '250.0'}", true); /* numbers compare as numbers */
	T("{field: extra.note, contains: 'BIG\" one'}", true);
	T("{field: extra.note, regex: 'é$'}", true);
	T("{field: extra.renewal, gte: 2027-01-01}", true);
	T("{field: extra.renewal, lt: 2027-01-01}", false);
	T("{field: extra.note, gt: 5}", false); /* not a number */
	T("{field: extra.empty, exists: true}", false);
	T("{field: extra.nothing, missing: true}", true);
	T("{field: extra.absent, ne: x}", true);
	T("{field: extra.nested, contains: '[1,2]'}", true);
	T("{field: extra.EMPLOYEES, in: [100, 250]}", true);
}

static void test_activity(void)
{
	T("{field: activity.email_opened.count, eq: 3}", true);
	T("{field: activity.email-opened.count, gte: 2, within: 30d}", true);
	T("{field: activity.email-opened.count, gte: 3, within: 30d}", false);
	T("{field: activity.email_opened.count, eq: 1, within: 2d}", true);
	T("{field: activity.call.count, eq: 1}", true); /* the future call does not count */
	T("{field: activity.meeting.count, eq: 0}", true);
	T("{field: activity.any.count, eq: 4}", true);
	T("{field: activity.call.last_age, eq: 2d}", true);
	T("{field: activity.meeting.last_age, exists: true}", false);
	T("{field: activity.meeting.last_age, lt: 30d}", false);
	T("{field: activity.any.last_age, lte: 1d}", true);
}

static void test_combinators(void)
{
	T("{all: [{field: state, eq: NY}, {field: score, gt: 40}]}", true);
	T("{all: [{field: state, eq: NY}, {field: score, gt: 50}]}", false);
	T("{any: [{field: state, eq: NJ}, {field: score, gt: 40}]}", true);
	T("{any: [{field: state, eq: NJ}, {field: score, gt: 50}]}", false);
	T("{not: {field: state, eq: NJ}}", true);
	T("{not: {field: state, eq: NY}}", false);
	T("[{field: state, eq: NY}, {field: title, contains: sales}]", true); /* a list is all */
	T("{not: [{field: state, eq: NY}, {field: score, lt: 0}]}", true);
	T("{any: [{all: [{field: state, eq: NJ}, {field: score, gt: 1}]}, "
	  "{not: {any: [{field: group, eq: won}, {field: group, eq: lost}]}}]}",
	  true);
	T("{all: [{any: [{field: state, eq: NJ}, {field: state, eq: NY}]}, "
	  "{not: {field: email, contains: gmail}}]}",
	  false);
	/* 31 levels of not: fine (the limit is 32) */
	struct sb sb = SB_INIT;
	for (int i = 0; i < COND_MAX_DEPTH - 1; i++)
		sb_adds(&sb, "{not: ");
	sb_adds(&sb, "{field: state, eq: NY}");
	for (int i = 0; i < COND_MAX_DEPTH - 1; i++)
		sb_adds(&sb, "}");
	T(sb.buf, false); /* 31 nots: odd */
	sb_free(&sb);
}

static void test_explain(void)
{
	WHY("{field: title, regex: 'chief|vp', ignore_case: true}", true,
	    "title 'VP Sales' matches /chief|vp/i");
	WHY("{field: title, regex: 'chief'}", false, "title 'VP Sales' does not match /chief/");
	WHY("{field: state, in: [NY, NJ]}", true, "state 'NY' is in [NY, NJ]");
	WHY("{field: state, not_in: [NY, NJ]}", false, "state 'NY' is in [NY, NJ]");
	WHY("{field: state, eq: NJ}", false, "state 'NY' does not equal 'NJ'");
	WHY("{field: phone, eq: x}", false, "phone is missing");
	WHY("{field: phone, missing: true}", true, "phone is missing");
	WHY("{field: email, exists: true}", true, "email exists ('ana@gmail.com')");
	WHY("{field: stage, eq: appt}", true, "stage 'Appointment Set' equals 'Appointment Set'");
	WHY("{field: score, gte: 10, lt: 40}", false, "score 42 is not < 40");
	WHY("{field: score, gte: 10, lt: 50}", true, "score 42 >= 10 and score 42 < 50");
	WHY("{field: value, gt: 20000}", false, "value 12500.5 is not > 20000");
	WHY("{field: age, gte: 30d}", false, "age 23d is not >= 30d");
	WHY("{field: created_at, gte: 2026-01-01}", true,
	    "created_at 2026-11-01T09:00:00Z >= 2026-01-01");
	WHY("{field: extra.annual_revenue, gte: 1000000}", true,
	    "extra.annual_revenue '1,200,000' >= 1000000");
	WHY("{field: extra.note, gt: 5}", false, "extra.note 'a \"big\" one é' is not a number");
	WHY("{field: activity.email-opened.count, gte: 3, within: 30d}", false,
	    "activity.email_opened.count (within 30d) 2 is not >= 3");
	WHY("{all: [{field: state, eq: NY}, {field: score, gt: 50}]}", false,
	    "score 42 is not > 50");
	WHY("{all: [{field: state, eq: NY}, {field: score, gt: 40}]}", true,
	    "state 'NY' equals 'NY' and score 42 > 40");
	WHY("{any: [{field: state, eq: NJ}, {field: score, gt: 40}]}", true, "score 42 > 40");
	WHY("{any: [{field: state, eq: NJ}, {field: score, gt: 50}]}", false,
	    "state 'NY' does not equal 'NJ'; score 42 is not > 50");
	WHY("{not: {field: email, contains: gmail}}", false,
	    "email 'ana@gmail.com' contains 'gmail'");
	WHY("{any: [{all: [{field: state, eq: NY}, {field: score, gt: 1}]}, {field: id, eq: 1}]}",
	    true, "(state 'NY' equals 'NY' and score 42 > 1)");
}

static void test_errors(void)
{
	ERR("{field: titel, eq: x}", "t.yaml:11:17: unknown field 'titel' (did you mean 'title'?)");
	ERR("{field: zzzzzzzz, eq: x}",
	    "t.yaml:11:17: unknown field 'zzzzzzzz' (a lead field, group, age, stage_age, "
	    "last_activity_age, extra.NAME, score.NAME, activity.KIND.count or "
	    "activity.KIND.last_age)");
	ERR("{field: title, equals: x}",
	    "t.yaml:11:24: unknown operator 'equals' on title (expected: eq, ne, in, not_in, "
	    "contains, regex, gt, gte, lt, lte, exists, missing)");
	ERR("{field: title, eqq: x}",
	    "t.yaml:11:24: unknown operator 'eqq' on title (did you mean 'eq'?)");
	ERR("{field: title, regex: 'wal+++++++'}",
	    "t.yaml:11:31: regex for title refused: a quantifier on a quantifier (such as 'a++')");
	ERR("{field: title, regex: '((a{100}){100}){2}'}",
	    "t.yaml:11:31: regex for title refused: repetitions that multiply past 10000");
	ERR("{field: title, regex: 'a{99999}'}",
	    "t.yaml:11:31: regex for title refused: a repetition count over 10000");
	{
		/* brackets, classes and escaped quantifiers are atoms, not quantifiers */
		struct cond *c_ =
		    compile("{field: title, regex: '^[+*?]{1,3}[[:digit:]]{3}\\++-[0-9]{4}$'}");
		ok(c_ != NULL, "a regex with quantifier characters inside brackets compiles");
		cond_free(c_);
	}
	ERR("{field: title, regex: 'a(b'}",
	    "t.yaml:11:31: invalid regex 'a(b' for title: Unmatched ( or \\(");
	ERR("{field: score, gte: high}",
	    "t.yaml:11:29: expected a number for 'gte' on score, got 'high'");
	ERR("{field: title, gt: 5}",
	    "t.yaml:11:24: 'gt' needs a number, date or age field; title is text (use eq, in, "
	    "contains or regex)");
	ERR("{field: score, contains: 5}",
	    "t.yaml:11:24: 'contains' needs a text field; score is a number");
	ERR("{field: age, gt: 5}",
	    "t.yaml:11:26: expected a duration for 'gt' on age (30m, 2h, 3d, 1w, 3mo), got '5'");
	ERR("{field: created_at, gt: yesterday}",
	    "t.yaml:11:33: expected a date for 'gt' on created_at (ISO 8601: 2026-01-31 or "
	    "2026-01-31T09:00:00Z), got 'yesterday'");
	ERR("{field: extra.size, gt: big}",
	    "t.yaml:11:33: expected a number or a date for 'gt' on extra.size, got 'big'");
	ERR("{field: state, in: NY}",
	    "t.yaml:11:28: expected a list for 'in' on state, got a string (write [NY])");
	ERR("{field: state, eq: [NY]}",
	    "t.yaml:11:28: expected one value for 'eq' on state, got a list");
	ERR("{field: stage, eq: Nowhere}",
	    "t.yaml:11:28: unknown stage 'Nowhere' (known: New, Appointment Set, Won, Lost)");
	ERR("{field: owner, eq: bob}",
	    "t.yaml:11:28: unknown team member 'bob' (did you mean 'ben'?)");
	ERR("{field: status, eq: hot}",
	    "t.yaml:11:29: unknown status 'hot' (new, active, inactive or unqualified)");
	ERR("{field: group, eq: open}", "t.yaml:11:28: unknown group 'open' (active, won or lost)");
	ERR("{field: state, exists: maybe}",
	    "t.yaml:11:32: expected true or false for exists, got 'maybe'");
	ERR("{field: state}",
	    "t.yaml:11:9: no operator for state (eq, ne, in, not_in, contains, regex, gt, gte, lt, "
	    "lte, exists or missing)");
	ERR("{field: state, eq: NY, ignore_case: true}",
	    "t.yaml:11:32: 'ignore_case' goes with regex (eq, in and contains ignore case "
	    "already)");
	ERR("{field: score, gt: 1, within: 30d}",
	    "t.yaml:11:31: 'within' goes with activity.KIND.count, not score");
	ERR("{field: activity.fax.count, gt: 1}",
	    "t.yaml:11:17: unknown activity in 'activity.fax.count' (activity.KIND.count or "
	    "activity.KIND.last_age; KIND: call, email, meeting, email-opened, email-replied, "
	    "note, any)");
	ERR("{field: activity.call.total, gt: 1}",
	    "t.yaml:11:17: unknown activity measure 'total' in 'activity.call.total' (count or "
	    "last_age)");
	ERR("{field: activity.call.count, gt: 1, within: soon}",
	    "t.yaml:11:53: invalid duration 'soon' for within (expected a number and a unit: 30m, "
	    "2h, 3d, 1w, 3mo)");
	ERR("{title: vp}",
	    "t.yaml:11:10: a condition needs 'field' (write {field: title, eq: ...})");
	ERR("{foo: 1}",
	    "t.yaml:11:10: a condition needs 'field' and an operator, or one of all, any, not "
	    "(got 'foo')");
	ERR("{all: [], any: []}",
	    "t.yaml:11:9: one of all, any or not per mapping (nest them: {all: [{any: [...]}, "
	    "...]})");
	ERR("{all: []}", "t.yaml:11:15: 'all' needs at least one condition");
	ERR("{any: {field: state, eq: NY}}",
	    "t.yaml:11:15: expected a list of conditions for 'any', got a mapping");
	ERR("{field: state, eq: NY, any: []}",
	    "t.yaml:11:32: 'any' cannot sit beside 'field'; nest the field test inside it");
	ERR("{all: [{field: state, eq: NY}, {field: score, gtt: 1}]}",
	    "t.yaml:11:55: unknown operator 'gtt' on score (did you mean 'gt'?)");
	ERR("{field: state, eq: NY, eq: NJ}",
	    "t.yaml:11:32: duplicate operator 'eq' (first at line 11)");
	ERR("ok",
	    "t.yaml:11:9: expected a condition (a mapping with field and an operator, or all, "
	    "any, not), got a string");
	/* the 33rd level is refused */
	struct sb sb = SB_INIT;
	for (int i = 0; i < COND_MAX_DEPTH; i++)
		sb_adds(&sb, "{not: ");
	sb_adds(&sb, "{field: state, eq: NY}");
	for (int i = 0; i < COND_MAX_DEPTH; i++)
		sb_adds(&sb, "}");
	struct cond *c = compile(sb.buf);
	ok(c == NULL, "nesting deeper than %d is an error", COND_MAX_DEPTH);
	ok(strstr(first_diag, "conditions nest deeper than 32 levels") != NULL, "depth message: %s",
	   first_diag);
	sb_free(&sb);
	/* several problems are all reported */
	compile("{all: [{field: titel, eq: x}, {field: score, gt: x}]}");
	is_int((long long)cfg->nerrors, 2, "both mistakes reported");
}

/* What a condition reads decides which changes rescore a lead (score_wanted). */
static void test_uses(void)
{
	static const struct {
		const char *when;
		bool status, assignment;
	} t[] = {
		{ "{field: status, eq: inactive}", true, false },
		{ "{field: updated_at, gt: 2026-01-01}", true, false },
		{ "{not: {all: [{field: title, eq: CEO}, {field: status, ne: new}]}}", true,
		  false },
		{ "{field: title, eq: CEO}", false, false },
		{ "{field: last_activity_age, gte: 60d}", false, false },
		{ "{any: [{field: owner, eq: ana}, {field: stage, eq: New}]}", false, true },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct cond *c = compile(t[i].when);
		ok(c && cond_uses_status(c) == t[i].status &&
		       cond_uses_assignment(c) == t[i].assignment,
		   "reads status %d, assignment %d: %s", t[i].status, t[i].assignment, t[i].when);
		cond_free(c);
	}
}

int main(void)
{
	config_register_section("test", parse_test, NULL, NULL);
	setup_lead();
	test_text();
	test_special();
	test_extra();
	test_activity();
	test_combinators();
	test_explain();
	test_errors();
	test_uses();
	config_free(cfg);
	lead_free(&lead);
	act_list_free(&acts.list);
	return done_testing();
}
