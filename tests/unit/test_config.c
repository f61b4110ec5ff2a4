/*
 * test_config.c - the YAML layer and the config: the built-in default, the
 * shipped examples, every kind of error at its exact file:line:col, the
 * round trip through config_write_yaml, and the loader's limits (alias
 * bombs, deep nesting, huge files). Run from tests/unit.
 */
#include "tap.h"

#include "config.h"
#include "lyaml.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FIX      "../fixtures/config/"
#define EXAMPLES "../../examples/"

/* A printf-formatted test name (is_str/is_int take a plain one). */
static const char *nm(const char *fmt, ...) TAP_PRINTF(1, 2);
static const char *nm(const char *fmt, ...)
{
	static char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

/* First line of diagnostic i ("" if there is none). */
static const char *diag_line(const struct config *cfg, size_t i)
{
	static char buf[1024];
	if (!cfg || i >= cfg->ndiags)
		return "";
	const char *t = cfg->diags[i].text;
	size_t n = strcspn(t, "\n");
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	memcpy(buf, t, n);
	buf[n] = '\0';
	return buf;
}

static bool has_diag(const struct config *cfg, const char *line)
{
	for (size_t i = 0; cfg && i < cfg->ndiags; i++)
		if (strcmp(diag_line(cfg, i), line) == 0)
			return true;
	return false;
}

static void show_diags(const struct config *cfg)
{
	for (size_t i = 0; cfg && i < cfg->ndiags; i++)
		diag("%s%s", cfg->diags[i].warning ? "(warning) " : "", diag_line(cfg, i));
}

static struct config *load(const char *path)
{
	struct lerr err = { 0 };
	struct config *cfg = config_load(path, &err);
	if (!cfg)
		diag("cannot load %s: %s", path, err.msg);
	return cfg;
}

static struct config *load_str(const char *text)
{
	return config_load_mem("t.yaml", text, strlen(text));
}

/* A fixture that must give exactly these errors (first lines), in order. */
static void expect_errors(const char *fixture, const char *const *want, size_t nwant)
{
	char path[256];
	snprintf(path, sizeof path, FIX "%s", fixture);
	struct config *cfg = load(path);
	if (!ok(cfg != NULL, "%s loads", fixture))
		return;
	if (!is_int(cfg->nerrors, nwant, nm("%s: %zu errors", fixture, nwant)))
		show_diags(cfg);
	for (size_t i = 0; i < nwant; i++) {
		char full[1024];
		snprintf(full, sizeof full, "%s%s", FIX, want[i]);
		is_str(diag_line(cfg, i), full, nm("%s: error %zu", fixture, i + 1));
	}
	config_free(cfg);
}
#define EXPECT(fixture, ...)                                                                       \
	do {                                                                                       \
		static const char *const w_[] = { __VA_ARGS__ };                                   \
		expect_errors(fixture, w_, ARRAY_LEN(w_));                                         \
	} while (0)

/* ---- comparing configs ---- */

static bool strv_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

static bool dur_eq(struct ldur a, struct ldur b)
{
	return a.secs == b.secs && a.months == b.months;
}

static bool pipeline_eq(const struct config *a, const struct config *b, const char *what)
{
	if (!is_int(a->nstages, b->nstages, nm("%s: same number of stages", what)))
		return false;
	bool same = true;
	for (size_t i = 0; i < a->nstages; i++) {
		const struct stage *x = &a->stages[i], *y = &b->stages[i];
		bool eq = strcmp(x->key, y->key) == 0 && strcmp(x->name, y->name) == 0 &&
		          x->grp == y->grp && strv_eq(x->steps, x->nsteps, y->steps, y->nsteps) &&
		          dur_eq(x->remind_after, y->remind_after) &&
		          dur_eq(x->repeat, y->repeat) && x->escalate_after == y->escalate_after;
		if (!eq)
			diag("%s: stage %zu differs: %s/%s vs %s/%s", what, i, x->key, x->name,
			     y->key, y->name);
		same = same && eq;
	}
	return same;
}

static bool config_eq(const struct config *a, const struct config *b, const char *what)
{
	bool same = pipeline_eq(a, b, what);
	same = same && strv_eq(a->priorities, a->npriorities, b->priorities, b->npriorities) &&
	       strcmp(a->default_priority, b->default_priority) == 0 &&
	       strv_eq(a->categories, a->ncategories, b->categories, b->ncategories) &&
	       dur_eq(a->inactive_after, b->inactive_after) && a->nteam == b->nteam &&
	       strcmp(a->mail_from, b->mail_from) == 0 &&
	       strcmp(a->mail_sendmail, b->mail_sendmail) == 0;
	for (size_t i = 0; same && i < a->nteam; i++) {
		const struct member *x = &a->team[i], *y = &b->team[i];
		same = strcmp(x->name, y->name) == 0 && strcmp(x->email, y->email) == 0 &&
		       strcmp(x->role, y->role) == 0 &&
		       strv_eq(x->groups, x->ngroups, y->groups, y->ngroups) &&
		       x->weight == y->weight && x->capacity == y->capacity && x->away == y->away;
	}
	return same;
}

/* Write cfg, load it back: the same config, and writing it again is stable. */
static void round_trip(const struct config *cfg, const char *what)
{
	struct sb a = SB_INIT, b = SB_INIT;
	config_write_yaml(cfg, &a);
	struct config *back = config_load_mem("written.yaml", a.buf, a.len);
	if (!is_int(back->nerrors, 0, nm("%s: written YAML loads without errors", what))) {
		show_diags(back);
		diag("%s", sb_str(&a));
	}
	ok(config_eq(cfg, back, what), "%s: written YAML reads back the same", what);
	config_write_yaml(back, &b);
	is_str(sb_str(&b), sb_str(&a), nm("%s: writing again gives the same text", what));
	config_free(back);
	sb_free(&a);
	sb_free(&b);
}

/* ---- the tests ---- */

static void test_default(void)
{
	static const char *const names[] = { "Prospecting",     "Contacted",
		                             "Appointment Set", "Proposal Sent",
		                             "Customer Agreed", "Closed Deal",
		                             "Customer",        "Lost" };
	static const char *const keys[] = { "prospecting",     "contacted",
		                            "appointment-set", "proposal-sent",
		                            "customer-agreed", "closed-deal",
		                            "customer",        "lost" };
	static const enum stage_group grps[] = { GRP_ACTIVE, GRP_ACTIVE, GRP_ACTIVE, GRP_ACTIVE,
		                                 GRP_ACTIVE, GRP_WON,    GRP_WON,    GRP_LOST };
	struct config *cfg = config_default();
	is_int(cfg->nstages, 8, "default: eight stages");
	for (size_t i = 0; i < cfg->nstages && i < 8; i++) {
		is_str(cfg->stages[i].name, names[i], nm("default: stage %zu name", i));
		is_str(cfg->stages[i].key, keys[i], nm("default: stage %zu key", i));
		is_int(cfg->stages[i].grp, grps[i], nm("default: stage %zu group", i));
	}
	is_int(cfg->inactive_after.secs, 30 * 86400, "default: inactive after 30 days");
	is_int(cfg->inactive_after.months, 0, "default: no months");
	is_int(cfg->npriorities, 4, "default: four priorities");
	is_str(cfg->priorities[0], "low", "default: low first");
	is_str(cfg->priorities[3], "urgent", "default: urgent last");
	is_str(cfg->default_priority, "normal", "default priority normal");
	is_int(cfg->ncategories, 0, "default: any category");
	is_int(cfg->nteam, 0, "default: empty team");
	is_str(cfg->mail_sendmail, "/usr/sbin/sendmail -t -i", "default sendmail");
	is_str(cfg->mail_from, "leads <leads@localhost>", "default from");
	ok(cfg->path == NULL, "default: no path");
	is_int(cfg->ndiags, 0, "default: no diagnostics");
	round_trip(cfg, "default");

	/* lookups */
	is_str(config_first_stage(cfg)->key, "prospecting", "first stage");
	ok(config_stage(cfg, "appointment set") == &cfg->stages[2], "stage by name, any case");
	ok(config_stage(cfg, "PROPOSAL-SENT") == &cfg->stages[3], "stage by key, any case");
	ok(config_stage(cfg, "nope") == NULL, "unknown stage");
	ok(config_stage(cfg, NULL) == NULL, "NULL stage");
	is_int(config_stage_pos(cfg, "lost"), 7, "position of lost");
	is_int(config_stage_pos(cfg, "Closed Deal"), 5, "position by name");
	is_int(config_stage_pos(cfg, "x"), -1, "position of unknown");
	is_str(stage_group_name(GRP_ACTIVE), "active", "group name active");
	is_str(stage_group_name(GRP_WON), "won", "group name won");
	is_str(stage_group_name(GRP_LOST), "lost", "group name lost");
	is_str(config_priority(cfg, "HIGH"), "high", "priority canonical spelling");
	ok(config_priority(cfg, "asap") == NULL, "unknown priority");
	ok(config_category_ok(cfg, "anything"), "any category when none configured");
	ok(config_member(cfg, "ana") == NULL, "no members");
	config_free(cfg);
}

static void test_slug(void)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ "Appointment Set", "appointment-set" },
		{ "  Closed   Deal! ", "closed-deal" },
		{ "Step_2 (final)", "step-2-final" },
		{ "Négociation", "négociation" },
		{ "already-a-slug", "already-a-slug" },
		{ "!!!", "" },
		{ "", "" },
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		char *s = config_slug(t[i].in);
		is_str(s, t[i].out, nm("slug of '%s'", t[i].in));
		free(s);
	}
}

static void test_examples(void)
{
	struct config *def = config_default();
	struct config *full = load(EXAMPLES "full-sales-cycle.yaml");
	if (ok(full != NULL, "full-sales-cycle loads")) {
		is_int(full->nerrors, 0, "full-sales-cycle: no errors");
		show_diags(full);
		ok(pipeline_eq(full, def, "full-sales-cycle"),
		   "full-sales-cycle.yaml is exactly the built-in pipeline");
		ok(config_eq(full, def, "full-sales-cycle"),
		   "full-sales-cycle.yaml is exactly the built-in config");
		round_trip(full, "full-sales-cycle");
	}
	config_free(full);
	config_free(def);

	struct config *app = load(EXAMPLES "appointment-setting.yaml");
	if (ok(app != NULL, "appointment-setting loads")) {
		is_int(app->nerrors, 0, "appointment-setting: no errors");
		show_diags(app);
		static const char *const names[] = { "Prospecting", "Contacted", "Appointment Set",
			                             "Closed Deal", "Lost" };
		static const enum stage_group grps[] = { GRP_ACTIVE, GRP_ACTIVE, GRP_WON, GRP_WON,
			                                 GRP_LOST };
		is_int(app->nstages, 5, "appointment-setting: five stages");
		for (size_t i = 0; i < app->nstages && i < 5; i++) {
			is_str(app->stages[i].name, names[i],
			       nm("appointment-setting: stage %zu", i));
			is_int(app->stages[i].grp, grps[i],
			       nm("appointment-setting: group %zu", i));
		}
		round_trip(app, "appointment-setting");
	}
	config_free(app);

	struct config *dd = load(EXAMPLES "deal-desk.yaml");
	if (ok(dd != NULL, "deal-desk loads")) {
		is_int(dd->nerrors, 0, "deal-desk: no errors");
		show_diags(dd);
		static const char *const names[] = { "Added",     "Negotiation", "Legal",
			                             "Execution", "Signed",      "Lost" };
		is_int(dd->nstages, 6, "deal-desk: six stages");
		is_int(dd->stages[4].probability, -1, "deal-desk: Signed has no probability");
		for (size_t i = 0; i < dd->nstages && i < 6; i++)
			is_str(dd->stages[i].name, names[i], nm("deal-desk: stage %zu", i));
		const struct stage *neg = config_stage(dd, "negotiation");
		if (ok(neg != NULL, "deal-desk: negotiation")) {
			is_int(neg->nsteps, 3, "negotiation has steps");
			is_int(neg->probability, 3000, "negotiation: probability 30%");
			is_str(neg->steps[0], "Contact Made", "first step");
			is_int(neg->remind_after.secs, 3 * 86400, "remind after 3d");
			is_int(neg->repeat.secs, 3 * 86400, "repeat 3d");
			is_int(neg->escalate_after, 2, "escalate after 2");
		}
		const struct member *mia = config_member(dd, "MIA@example.com");
		ok(mia && strcmp(mia->role, "manager") == 0,
		   "deal-desk: mia, found by email, manages");
		const struct member *ana = config_member(dd, "ana");
		ok(ana && ana->weight == 2 && ana->capacity == 150 && ana->ngroups == 1,
		   "deal-desk: ana's weight, capacity and groups");
		const struct member *cy = config_member(dd, "cy");
		ok(cy && cy->away && cy->weight == 1 && strcmp(cy->role, "rep") == 0,
		   "deal-desk: cy is away, default weight and role");
		ok(config_category_ok(dd, "renewal"), "category check ignores case");
		ok(!config_category_ok(dd, "Charity"), "unknown category refused");
		is_int(dd->inactive_after.secs, 60 * 86400, "deal-desk: inactive after 60d");
		is_str(dd->mail_from, "Deal Desk <deals@example.com>", "deal-desk: from");
		round_trip(dd, "deal-desk");
	}
	config_free(dd);

	/* The embedded templates are the same files. The engines' sections
	 * (routing, workflows, mail.templates, ...) are not registered in this
	 * test, so the errors about them do not count; `leads config check` of
	 * each example in the bats suites covers them. */
	size_t n = 0;
	for (; config_template_names[n]; n++) {
		const char *text = config_template(config_template_names[n]);
		struct config *cfg = config_load_mem(config_template_names[n], text, strlen(text));
		size_t engine = 0;
		for (size_t i = 0; i < cfg->ndiags; i++) {
			const char *d = cfg->diags[i].text;
			engine += strstr(d, "is not supported by this build") != NULL ||
			          strstr(d, "unknown key 'templates' in mail") != NULL;
		}
		is_int(cfg->nerrors - engine, 0, nm("template %s loads", config_template_names[n]));
		config_free(cfg);
	}
	ok(n >= 3, "three templates or more are embedded");
	ok(config_template("nope") == NULL, "unknown template");
}

static void test_stage_keys(void)
{
	struct config *cfg = load(FIX "stage-keys.yaml");
	if (!ok(cfg && cfg->nerrors == 0, "stage-keys.yaml loads"))
		return;
	is_str(cfg->stages[0].key, "prospecting", "explicit key kept across a rename");
	is_str(cfg->stages[0].name, "Finding", "new name");
	is_str(cfg->stages[1].key, "talking", "key from the name");
	is_int(cfg->stages[1].line, 6, "stage line");
	ok(config_stage(cfg, "prospecting") == &cfg->stages[0], "found by its old key");
	is_str(cfg->default_priority, "Normal",
	       "default priority: 'normal' in the list's spelling");
	ok(config_category_ok(cfg, "retail"), "listed category");
	ok(!config_category_ok(cfg, "Other"), "unlisted category");
	round_trip(cfg, "stage-keys");
	config_free(cfg);

	/* Values YAML would misread if written plainly survive the round trip. */
	cfg =
	    load_str("pipeline:\n  stages:\n"
	             "    - {name: \"Yes\", steps: [\"a, b\", \"[x]\", \"#1\", \"k: v\"]}\n"
	             "    - {name: \"Won: big\", key: won-big, group: won, remind_after: 1mo2d}\n"
	             "    - {name: Négociation perdue, group: lost}\n"
	             "categories: [\"null\", \"123\", \" pad \", \"-x\"]\n"
	             "team:\n  - {name: \"O'Neil\", email: o@example.com, groups: [\"a\\\\b\"]}\n"
	             "mail: {from: \"\\\"Q, Inc\\\" <q@example.com>\", sendmail: \"msmtp -t\"}\n");
	if (!is_int(cfg->nerrors, 0, "tricky values load"))
		show_diags(cfg);
	round_trip(cfg, "tricky values");
	config_free(cfg);

	cfg = load_str("priorities: [p1, p2]\n");
	is_str(cfg->default_priority, "p1", "default priority: the first without 'normal'");
	config_free(cfg);
	cfg = load_str("priorities: [p1, p2]\ndefault_priority: P2\n");
	is_str(cfg->default_priority, "p2", "default priority canonical");
	config_free(cfg);
	cfg = load(FIX "empty.yaml");
	ok(cfg && cfg->nerrors == 0 && cfg->ndiags == 0 && cfg->nstages == 8,
	   "a file of comments gives the built-in default");
	is_str(cfg ? cfg->path : NULL, FIX "empty.yaml", "path kept");
	config_free(cfg);
	cfg = load(FIX "aliases-ok.yaml");
	ok(cfg && cfg->nerrors == 0 && cfg->nteam == 2 && cfg->team[1].ngroups == 2,
	   "small aliases are fine");
	config_free(cfg);
}

static void test_errors(void)
{
	EXPECT("unknown-key.yaml",
	       "unknown-key.yaml:2:3: unknown key 'stagse' in pipeline (expected: stages)",
	       "unknown-key.yaml:2:3: missing key 'stages' in pipeline");
	EXPECT("wrong-types.yaml",
	       "wrong-types.yaml:2:11: expected a list of stages for stages, got a string",
	       "wrong-types.yaml:3:13: expected a list for priorities, got a string (write "
	       "[normal])",
	       "wrong-types.yaml:4:9: expected a mapping for status, got a string",
	       "wrong-types.yaml:8:13: expected a whole number for weight, got a list",
	       "wrong-types.yaml:9:11: expected true or false for away, got 'maybe'");
	EXPECT("duplicate-stages.yaml",
	       "duplicate-stages.yaml:4:13: duplicate stage name 'prospecting' (first at line 3)",
	       "duplicate-stages.yaml:9:12: duplicate stage key 'closed' (also stage 'Won' at line "
	       "5)",
	       "duplicate-stages.yaml:12:12: invalid stage key 'Lost Forever' (use lower-case "
	       "letters, digits and dashes, e.g. 'lost-forever')");
	EXPECT(
	    "duplicate-key.yaml",
	    "duplicate-key.yaml:3:3: duplicate key 'inactive_after' in status (first at line 2)");
	EXPECT("no-won.yaml", "no-won.yaml:3:5: the pipeline has no won stage (group: won)");
	EXPECT("no-lost.yaml", "no-lost.yaml:3:5: the pipeline has no lost stage (group: lost)");
	EXPECT("no-active.yaml",
	       "no-active.yaml:3:5: the pipeline has no active stage (group: active)");
	EXPECT("empty-pipeline.yaml", "empty-pipeline.yaml:2:11: the pipeline has no stages");
	EXPECT("bad-group.yaml",
	       "bad-group.yaml:4:14: invalid group 'activ' (expected: active, won, lost)");
	EXPECT("team.yaml", "team.yaml:4:11: duplicate team member 'Ana' (first at line 2)",
	       "team.yaml:7:12: invalid email address 'not-an-email'",
	       "team.yaml:9:12: 'ANA@example.com' is also the email of 'ana' (line 2)",
	       "team.yaml:12:11: invalid role 'boss' (expected: rep, manager)",
	       "team.yaml:13:13: expected a whole number from 1 to 1000 for weight, got '0'",
	       "team.yaml:14:15: expected a whole number from 0 to 1000000000 for capacity, got "
	       "'-1'");
	EXPECT("escalation.yaml",
	       "escalation.yaml:6:23: escalate_after needs a team member with role: manager",
	       "escalation.yaml:9:23: escalate_after: 2 needs repeat (without it only one "
	       "reminder is sent)",
	       "escalation.yaml:9:23: escalate_after needs a team member with role: manager",
	       "escalation.yaml:11:15: repeat needs remind_after");
	EXPECT("durations.yaml",
	       "durations.yaml:4:21: invalid duration '3x' for remind_after (expected a number and "
	       "a unit: 30m, 2h, 3d, 1w, 3mo)",
	       "durations.yaml:5:15: invalid duration '0' for repeat (expected a number and a "
	       "unit: 30m, 2h, 3d, 1w, 3mo)",
	       "durations.yaml:11:19: invalid duration '30 days' for inactive_after (expected a "
	       "number and a unit: 30m, 2h, 3d, 1w, 3mo)");
	EXPECT("tabs.yaml", "tabs.yaml:3:1: tab character in indentation (indent with spaces)");
	EXPECT("invalid.yaml", "invalid.yaml:4:6: invalid YAML: did not find expected '-' "
	                       "indicator (while parsing a block collection at line 3, column 5)");
	EXPECT("unsupported-section.yaml",
	       "unsupported-section.yaml:2:1: section 'routing' is not supported by this build");
	EXPECT("two-documents.yaml",
	       "two-documents.yaml:2:1: only one YAML document is allowed in a config file");
	EXPECT("not-a-mapping.yaml", "not-a-mapping.yaml:1:1: expected a mapping of sections "
	                             "(pipeline:, team:, ...), got a list");

	/* The warning in escalation.yaml: a warning, not an error. */
	struct config *cfg = load(FIX "escalation.yaml");
	ok(cfg && cfg->ndiags == 5 && cfg->diags[4].warning &&
	       strcmp(diag_line(cfg, 4),
	              FIX "escalation.yaml:14:21: remind_after has no effect "
	                  "in a won stage (only active stages send reminders)") == 0,
	   "remind_after on a won stage is a warning");
	config_free(cfg);

	/* The whole diagnostic: position, source line, caret under the column. */
	cfg = load(FIX "bad-group.yaml");
	is_str(cfg ? cfg->diags[0].text : NULL,
	       FIX "bad-group.yaml:4:14: invalid group 'activ' (expected: active, won, lost)\n"
	           "        group: activ\n"
	           "               ^",
	       "diagnostic shows the line and a caret");
	is_int(cfg ? cfg->diags[0].line : 0, 4, "diag line");
	is_int(cfg ? cfg->diags[0].col : 0, 14, "diag column");
	config_free(cfg);
	cfg = load(FIX "tabs.yaml");
	is_str(cfg ? cfg->diags[0].text : NULL,
	       FIX "tabs.yaml:3:1: tab character in indentation (indent with spaces)\n"
	           "  \t- name: Prospecting\n"
	           "  ^",
	       "tab diagnostic");
	config_free(cfg);
}

static void test_many_errors(void)
{
	EXPECT("many-errors.yaml",
	       "many-errors.yaml:4:5: the pipeline has no won stage (group: won)",
	       "many-errors.yaml:5:7: unknown key 'grup' in stage (expected: name, key, group, "
	       "steps, remind_after, repeat, escalate_after, probability)",
	       "many-errors.yaml:7:21: invalid duration 'soon' for remind_after (expected a number "
	       "and a unit: 30m, 2h, 3d, 1w, 3mo)",
	       "many-errors.yaml:11:19: default_priority 'normal' is not one of the priorities "
	       "(low, high)",
	       "many-errors.yaml:14:12: invalid email address 'ana-at-example.com'",
	       "many-errors.yaml:16:9: invalid address 'Leads <leads@>' for from (expected "
	       "name@example.com or \"Name <name@example.com>\")",
	       "many-errors.yaml:17:1: section 'workflows' is not supported by this build");
}

static void test_inline_errors(void)
{
	static const struct {
		const char *yaml, *want;
	} t[] = {
		{ "team:\n  - name: ana\n", "t.yaml:2:5: missing key 'email' in team member" },
		{ "team:\n  - name: ana\n    email: ana@example.com\n    colour: red\n",
		  "t.yaml:4:5: unknown key 'colour' in team member (expected: name, email, role, "
		  "groups, weight, capacity, away)" },
		{ "categories: [a, b, A]\n", "t.yaml:1:20: 'A' appears twice in categories (first "
		                             "at line 1)" },
		{ "categories: [a, [b]]\n",
		  "t.yaml:1:17: expected a string for categories, got a list" },
		{ "categories: [a, '']\n", "t.yaml:1:17: categories must not be empty" },
		{ "priorities: []\n", "t.yaml:1:13: priorities must list at least one priority" },
		{ "mail:\n  sendmail:\n", "t.yaml:2:12: sendmail needs a value (a string)" },
		{ "mail:\n  from: a@b.c\n  to: x\n",
		  "t.yaml:3:3: unknown key 'to' in mail (expected: from, sendmail)" },
		{ "pipeline:\n  stages:\n    - name: A\n      key: a\n    - name: B\n      key: "
		  "a\n",
		  "t.yaml:6:12: duplicate stage key 'a' (also stage 'A' at line 3)" },
		{ "pipeline:\n  stages:\n    - name: Won\n      key: closed\n    - name: Closed\n",
		  "t.yaml:5:13: stage 'Closed' and stage 'Won' (line 3) would both be found as "
		  "'Closed'; rename one or change its key" },
		{ "pipeline:\n  stages:\n    - name: Won\n      group: won\n    - name: A\n    - "
		  "name: L\n      group: lost\n",
		  "t.yaml:4:14: the first stage must be active: new leads start there" },
		{ "pipeline:\n  stages:\n    - group: active\n",
		  "t.yaml:3:7: missing key 'name' in stage" },
		{ "pipeline:\n  stages:\n    - name: \"!?\"\n",
		  "t.yaml:3:13: cannot make a stage key from the name '!?'; add a key" },
		{ "pipeline:\n  stages:\n    - name: \"a\\nb\"\n",
		  "t.yaml:3:13: stage name must be on one line" },
		{ "pipeline:\n  stages:\n    - Prospecting\n",
		  "t.yaml:3:7: expected a mapping for stage, got a string" },
		{ "pipeline:\n  stages:\n    - name: A\n      escalate_after: -1\n",
		  "t.yaml:4:23: expected a whole number from 0 to 1000 for escalate_after, got "
		  "'-1'" },
		{ "team:\n  - name: a\n    email: a@example.com\n  - name: b\n    email: a\n",
		  "t.yaml:5:12: 'a' is also the name of 'a' (line 2)" },
		{ "status:\n  inactive_after: [30d]\n",
		  "t.yaml:2:19: expected a duration such as 30m, 2h, 3d, 1w or 3mo for "
		  "inactive_after, got a list" },
		{ "? [a]\n: b\n", "t.yaml:1:3: expected a key name in the config, got a list" },
		{ "team: {}\n",
		  "t.yaml:1:7: expected a list of team members for team, got a mapping" },
		{ "categories: [a, \xff]\n",
		  "t.yaml:1:17: invalid YAML: invalid leading UTF-8 octet "
		  "(byte 0xff)" },
		{ "team:\n \t \nmail: {}\n",
		  "t.yaml:2:2: tab character in indentation (indent with spaces)" },
		{ "team:\n\t# a comment\n",
		  "t.yaml:2:1: tab character in indentation (indent with spaces)" },
		{ "a: 'unterminated\n", "t.yaml:2:1: invalid YAML: found unexpected end of stream "
		                        "(while scanning a quoted scalar at line 1, column 4)" },
		{ "mail:\n  from: \"x\\ny <a@b.c>\"\n",
		  "t.yaml:2:9: invalid address 'x\\ny <a@b.c>' for from (expected name@example.com "
		  "or \"Name <name@example.com>\")" },
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++) {
		struct config *cfg = load_str(t[i].yaml);
		if (!ok(has_diag(cfg, t[i].want), "inline error: %s", t[i].want))
			show_diags(cfg);
		ok(cfg->nerrors > 0, "counted as an error: %s", t[i].want);
		config_free(cfg);
	}

	/* Texts that must load cleanly. */
	static const char *const fine[] = {
		"---\nteam: []\n...\n",                 /* explicit document markers */
		"categories:\n  - |\n    a\n    \tb\n", /* a tab inside a block scalar */
		"categories: [\"a\n\tb\"]\n",           /* ...and a quoted one */
		"~\n",
		"status:\nmail:\n",
		"team:\n  - {name: a, email: a@b.c, away: On, weight: +3}\n",
	};
	for (size_t i = 0; i < ARRAY_LEN(fine); i++) {
		struct config *c = load_str(fine[i]);
		if (!is_int(c->nerrors, 0, nm("loads cleanly: %s", fine[i])))
			show_diags(c);
		config_free(c);
	}

	/* Emails and mailboxes that pass. */
	struct config *cfg =
	    load_str("team:\n  - name: a\n    email: first.last+tag@sub.example.co\n"
	             "  - name: b\n    email: b@localhost\n"
	             "mail:\n  from: \"Sales Team <sales@example.com>\"\n");
	is_int(cfg->nerrors, 0, "valid emails and a display-name mailbox");
	show_diags(cfg);
	config_free(cfg);
	static const char *const bad[] = { "a@b@c", "@b.c",   "a@",       "a b@c.d", "a@.c",
		                           "a@c.",  "a@-c.d", "a..b@c.d", "a@c..d",  "<a@b.c>" };
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char buf[256];
		snprintf(buf, sizeof buf, "team:\n  - name: a\n    email: \"%s\"\n", bad[i]);
		cfg = load_str(buf);
		is_int(cfg->nerrors, 1, nm("email '%s' refused", bad[i]));
		config_free(cfg);
	}
}

static void test_limits(void)
{
	clock_t t0 = clock();
	EXPECT("alias-bomb.yaml", "alias-bomb.yaml:3:8: aliases expand the document by more than "
	                          "10000 nodes; refusing it");
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0, "the alias bomb costs little time");
	EXPECT("alias-cycle.yaml",
	       "alias-cycle.yaml:1:13: an alias refers to a node that contains it");
	EXPECT("deep.yaml", "deep.yaml:1:76: nesting deeper than 64 levels");

	/* Very deep flow nesting: refused at level 65 (the mapping is level 1)
	 * instead of libyaml's quadratic slog through a million levels. */
	size_t depth = 1000000;
	struct sb sb = SB_INIT;
	sb_adds(&sb, "a: ");
	for (size_t i = 0; i < depth; i++)
		sb_addc(&sb, '[');
	for (size_t i = 0; i < depth; i++)
		sb_addc(&sb, ']');
	t0 = clock();
	struct config *cfg = config_load_mem("deep", sb.buf, sb.len);
	is_str(diag_line(cfg, 0), "deep:1:67: nesting deeper than 64 levels",
	       "a million levels: refused");
	ok((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0, "...quickly");
	config_free(cfg);

	/* Nesting through aliases: 40 levels inside an alias inside 30. */
	sb_reset(&sb);
	sb_adds(&sb, "a: &a ");
	for (int i = 0; i < 40; i++)
		sb_addc(&sb, '[');
	for (int i = 0; i < 40; i++)
		sb_addc(&sb, ']');
	sb_adds(&sb, "\nb: ");
	for (int i = 0; i < 30; i++)
		sb_addc(&sb, '[');
	sb_adds(&sb, "*a");
	for (int i = 0; i < 30; i++)
		sb_addc(&sb, ']');
	sb_addc(&sb, '\n');
	cfg = config_load_mem("alias-deep", sb.buf, sb.len);
	if (!ok(cfg->nerrors == 1 &&
	            strstr(diag_line(cfg, 0), "nesting deeper than 64 levels (through aliases)"),
	        "nesting through aliases is bounded too"))
		show_diags(cfg);
	config_free(cfg);

	/* Files over 4 MiB are refused before parsing. */
	char path[] = "/tmp/leads-test-config-XXXXXX";
	int fd = mkstemp(path);
	if (ok(fd >= 0, "temp file")) {
		sb_reset(&sb);
		sb_adds(&sb, "# ");
		while (sb.len <= LY_MAX_BYTES)
			sb_adds(&sb, "padding padding padding padding padding padding padding\n");
		ok(write(fd, sb.buf, sb.len) == (ssize_t)sb.len, "wrote a big file");
		close(fd);
		cfg = load(path);
		ok(cfg && cfg->nerrors == 1, "big file: one error");
		is_str(diag_line(cfg, 0),
		       nm("%s: file is larger than 4 MiB; refusing to read it", path),
		       "big file refused");
		config_free(cfg);
		unlink(path);
	}
	sb_free(&sb);

	/* More problems than are worth printing: capped, but all counted. */
	struct sb many = SB_INIT;
	for (int i = 0; i < 300; i++)
		sb_addf(&many, "bad%d: 1\n", i);
	cfg = load_str(many.buf);
	is_int(cfg->nerrors, 300, "300 errors counted");
	is_int(cfg->ndiags, 201, "200 shown and a summary");
	is_str(diag_line(cfg, 200), "t.yaml: 100 more problems not shown", "summary line");
	config_free(cfg);
	sb_free(&many);
}

static void test_files(void)
{
	struct lerr err = { 0 };
	ok(config_load("../fixtures/config/no-such-file.yaml", &err) == NULL, "missing file: NULL");
	is_int(err.code, EX_NOINPUT, "missing file: EX_NOINPUT");
	ok(strstr(err.msg, "no-such-file.yaml") != NULL, "missing file: named");
	ok(config_load("../fixtures/config", &err) == NULL, "directory: NULL");
	is_int(err.code, EX_NOINPUT, "directory: EX_NOINPUT");

	char path[] = "/tmp/leads-test-config-XXXXXX";
	int fd = mkstemp(path);
	if (!ok(fd >= 0, "temp file"))
		return;
	const char *text = "status:\n  inactive_after: 45d\n";
	ok(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "wrote config");
	close(fd);
	chmod(path, 0664);
	struct config *cfg = load(path);
	ok(cfg && cfg->nerrors == 0 && cfg->ndiags == 1 && cfg->diags[0].warning,
	   "group-writable: one warning, no error");
	is_str(diag_line(cfg, 0),
	       nm("%s: the file is writable by its group (mode 0664): whoever can change it "
	          "decides who gets leads and which sendmail command runs; chmod go-w it",
	          path),
	       "group-writable warning text");
	is_int(cfg ? cfg->inactive_after.secs : 0, 45 * 86400, "...and the config is loaded");
	config_free(cfg);
	chmod(path, 0646);
	cfg = load(path);
	ok(cfg && cfg->ndiags == 1 && strstr(diag_line(cfg, 0), "writable by others (mode 0646)"),
	   "world-writable warning");
	config_free(cfg);
	chmod(path, 0600);
	cfg = load(path);
	ok(cfg && cfg->ndiags == 0, "mode 0600: no warning");
	config_free(cfg);
	unlink(path);
}

/* ---- the YAML layer directly ---- */

struct thing {
	char *name;
	bool on;
	int n;
	struct ldur every;
	char **tags;
	size_t ntags;
};

static void test_lyaml(void)
{
	static const struct ly_key keys[] = {
		{ .key = "name",
		  .fn = ly_h_str,
		  .off = offsetof(struct thing, name),
		  .required = true },
		{ .key = "on", .fn = ly_h_bool, .off = offsetof(struct thing, on) },
		{ .key = "n",
		  .fn = ly_h_int,
		  .off = offsetof(struct thing, n),
		  .min = -5,
		  .max = 5 },
		{ .key = "every", .fn = ly_h_dur, .off = offsetof(struct thing, every) },
		{ .key = "tags",
		  .fn = ly_h_strv,
		  .off = offsetof(struct thing, tags),
		  .off_n = offsetof(struct thing, ntags) },
	};
	const char *text = "name: x\non: Yes\nn: -5\nevery: 1d12h\ntags: [a, b]\n";
	struct yaml_ctx y;
	ly_load_mem(&y, "thing", text, strlen(text));
	struct thing t = { 0 };
	is_int(ly_walk(&y, y.root, "thing", keys, ARRAY_LEN(keys), &t), 0, "walk: no problems");
	is_str(t.name, "x", "walk: string");
	ok(t.on, "walk: bool");
	is_int(t.n, -5, "walk: int at the bottom of its range");
	is_int(t.every.secs, 36 * 3600, "walk: duration");
	ok(t.ntags == 2 && strcmp(t.tags[1], "b") == 0, "walk: list of strings");
	is_int(y.nerrors, 0, "walk: nothing reported");
	ly_free(&y);
	free(t.name);
	strv_free(t.tags, t.ntags);

	text = "on: 1\nn: 6\nevery: 0\ntags: x\nnmae: y\n";
	ly_load_mem(&y, "thing", text, strlen(text));
	memset(&t, 0, sizeof t);
	is_int(ly_walk(&y, y.root, "thing", keys, ARRAY_LEN(keys), &t), -1, "walk: problems");
	is_int(y.nerrors, 6, "walk: each problem reported");
	struct config_diag *d;
	size_t nd, ne;
	ly_take_diags(&y, &d, &nd, &ne);
	struct config fake = { .diags = d, .ndiags = nd };
	ok(has_diag(&fake, "thing:1:1: missing key 'name' in thing"), "required key");
	ok(has_diag(&fake, "thing:1:5: expected true or false for on, got '1'"), "bad bool");
	ok(has_diag(&fake, "thing:2:4: expected a whole number from -5 to 5 for n, got '6'"),
	   "int range");
	ok(has_diag(&fake, "thing:5:1: unknown key 'nmae' in thing (expected: name, on, n, every, "
	                   "tags)"),
	   "unknown key lists the valid ones");
	ok(has_diag(&fake, "thing:4:7: expected a list for tags, got a string (write [x])"),
	   "string for a list");
	for (size_t i = 0; i < nd; i++)
		free(d[i].text);
	free(d);
	ly_free(&y);
	free(t.name);

	/* Node helpers */
	text = "m: {a: 1, b: [x, y]}\ns: ~\n";
	ly_load_mem(&y, "h", text, strlen(text));
	yaml_node_t *m = ly_map_get(&y, y.root, "m");
	ok(ly_is_map(m) && ly_map_len(m) == 2, "map helpers");
	yaml_node_t *b = ly_map_get(&y, m, "b");
	ok(ly_is_seq(b) && ly_seq_len(b) == 2 && strcmp(ly_scalar(ly_seq_at(&y, b, 1)), "y") == 0,
	   "sequence helpers");
	ok(ly_seq_at(&y, b, 2) == NULL, "past the end");
	ok(ly_is_null(ly_map_get(&y, y.root, "s")), "~ is null");
	ok(ly_map_get(&y, y.root, "zz") == NULL, "missing key");
	is_str(ly_kind(b), "a list", "kind");
	is_int(ly_line(b), 1, "line of a node");
	ly_free(&y);

	/* Duplicates */
	const char *v[] = { "a", "B", "c", "b", NULL, "A", "a" };
	size_t first[7];
	ly_find_dups(v, 7, first);
	ok(first[0] == SIZE_MAX && first[1] == SIZE_MAX && first[2] == SIZE_MAX && first[3] == 1 &&
	       first[4] == SIZE_MAX && first[5] == 0 && first[6] == 0,
	   "find_dups points at the first of equal strings");
}

/* Strings survive ly_emit_str and a load. */
static void test_emit(void)
{
	static const char *const s[] = {
		"plain",
		"two words",
		"true",
		"No",
		"null",
		"~",
		"123",
		"1.5",
		"-1",
		"a: b",
		"x #y",
		" lead",
		"trail ",
		"-x",
		"[x]",
		"{x}",
		"&a",
		"*a",
		"!t",
		"%p",
		"@x",
		"`x",
		"?x",
		"|x",
		">x",
		"'x",
		"\"x\"",
		"x:",
		"x,y",
		"a\nb",
		"tab\there",
		"back\\slash",
		"Négociation",
		"\xC2\x85nel",
		"ls\xE2\x80\xA8x",
		"Leads <a@b.c>",
		"#c",
		"/usr/sbin/sendmail -t -i",
	};
	for (size_t i = 0; i < ARRAY_LEN(s); i++) {
		struct sb sb = SB_INIT;
		sb_adds(&sb, "k: ");
		ly_emit_str(&sb, s[i]);
		sb_adds(&sb, "\n");
		struct yaml_ctx y;
		ly_load_mem(&y, "emit", sb.buf, sb.len);
		const char *got = ly_scalar(ly_map_get(&y, y.root, "k"));
		if (!is_str(got, s[i], nm("emit round trip %zu", i)))
			diag("emitted: %s", sb.buf);
		ly_free(&y);
		/* and inside a flow list, as config_write_yaml writes lists */
		sb_reset(&sb);
		sb_adds(&sb, "k: [");
		ly_emit_str(&sb, s[i]);
		sb_adds(&sb, ", z]\n");
		ly_load_mem(&y, "emit", sb.buf, sb.len);
		yaml_node_t *list = ly_map_get(&y, y.root, "k");
		if (!ok(ly_seq_len(list) == 2 &&
		            strcmp(ly_scalar(ly_seq_at(&y, list, 0)), s[i]) == 0,
		        "emit round trip in a flow list %zu", i))
			diag("emitted: %s", sb.buf);
		ly_free(&y);
		sb_free(&sb);
	}
}

/* ---- sections other modules parse ---- */

static int releases;
static char routed_owner[64], routed_stage[64];

static int parse_routing(struct yaml_ctx *y, yaml_node_t *node, struct config *cfg)
{
	const struct member *m = config_ref_member(y, ly_map_get(y, node, "owner"), cfg);
	const struct stage *st = config_ref_stage(y, ly_map_get(y, node, "stage"), cfg);
	snprintf(routed_owner, sizeof routed_owner, "%s", m ? m->name : "");
	snprintf(routed_stage, sizeof routed_stage, "%s", st ? st->key : "");
	return m && st ? 0 : -1;
}

static void write_routing(const struct config *cfg, struct sb *out)
{
	(void)cfg;
	sb_adds(out, "routing:\n  owner: ana\n  stage: lost\n");
}

static void release_rules(struct config *cfg)
{
	(void)cfg;
	releases++;
}

static void test_sections(void)
{
	ok(config_register_section("team", parse_routing, NULL, NULL) == -1,
	   "a core section cannot be taken over");
	ok(config_register_section("", parse_routing, NULL, NULL) == -1, "empty key refused");
	ok(config_register_section("routing", parse_routing, write_routing, release_rules) == 0,
	   "register routing");
	ok(config_register_section("scoring", NULL, NULL, release_rules) == 0,
	   "register a release for scoring too");

	/* routing comes before team in the file: parsed after it anyway */
	struct config *cfg = load_str("routing:\n  owner: ANA@example.com\n  stage: closed deal\n"
	                              "team:\n  - name: ana\n    email: ana@example.com\n");
	is_int(cfg->nerrors, 0, "registered section parses");
	show_diags(cfg);
	is_str(routed_owner, "ana", "member resolved by email");
	is_str(routed_stage, "closed-deal", "stage resolved by name");
	releases = 0;
	config_free(cfg);
	is_int(releases, 1, "a release shared by two sections runs once");

	cfg =
	    load_str("team:\n  - name: ana\n    email: ana@example.com\n  - name: bob\n    email: "
	             "bob@example.com\nrouting:\n  owner: bbo\n  stage: Prospectin\n");
	ok(has_diag(cfg, "t.yaml:7:10: unknown team member 'bbo' (did you mean 'bob'?)"),
	   "unknown member, with a suggestion");
	ok(has_diag(cfg, "t.yaml:8:10: unknown stage 'Prospectin' (did you mean 'Prospecting'?)"),
	   "unknown stage, with a suggestion");
	config_free(cfg);

	cfg = load_str("team:\n  - name: ana\n    email: ana@example.com\nrouting:\n  owner: zed\n"
	               "  stage: lost\n");
	ok(has_diag(cfg, "t.yaml:5:10: unknown team member 'zed' (known: ana)"),
	   "unknown member, with the list");
	config_free(cfg);
	cfg = load_str("routing:\n  owner: zed\n  stage: lost\n");
	ok(has_diag(cfg, "t.yaml:2:10: unknown team member 'zed' (there are none)"),
	   "unknown member, empty team");
	config_free(cfg);

	/* The unknown-key list now includes the sections; scoring has no parser. */
	cfg = load_str("scoring: {}\n");
	ok(has_diag(cfg, "t.yaml:1:1: section 'scoring' is not supported by this build"),
	   "a release alone does not make a section supported");
	config_free(cfg);

	/* config_write_yaml asks the section to write itself. */
	cfg = config_default();
	struct sb sb = SB_INIT;
	config_write_yaml(cfg, &sb);
	ok(strstr(sb.buf, "\nrouting:\n  owner: ana\n  stage: lost\n") != NULL,
	   "write hook output included");
	config_free(cfg);
	sb_free(&sb);
}

int main(void)
{
	test_default();
	test_slug();
	test_examples();
	test_stage_keys();
	test_errors();
	test_many_errors();
	test_inline_errors();
	test_limits();
	test_files();
	test_lyaml();
	test_emit();
	test_sections(); /* last: registrations are global */
	return done_testing();
}
