/*
 * fuzz_cond.c - libFuzzer harness for the condition language (lib/cond.h).
 *
 * The input is the YAML text of a `when:` value: on one line it follows
 * "when: " (flow style, as configs usually write it), on several lines it
 * is indented below "when:". It is compiled the way the engines compile
 * it, through config_load_mem() and a section parser, and a compiled
 * condition is evaluated against a fixed lead with activities and named
 * scores, with and without an explanation: both must agree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "activity.h"
#include "cond.h"
#include "config.h"
#include "lead.h"
#include "ltime.h"
#include "lyaml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cond *compiled;
static struct lead lead;
static struct act_src acts;
static int64_t now;

static int parse_test(struct yaml_ctx *y, struct yaml_node_s *node, struct config *cfg)
{
	compiled = cond_compile(y, ly_map_get(y, node, "when"), cfg);
	return compiled ? 0 : -1;
}

static const char header[] = "pipeline:\n"
                             "  stages:\n"
                             "    - {name: New, group: active}\n"
                             "    - {name: Appointment Set, key: appt, group: active}\n"
                             "    - {name: Won, group: won}\n"
                             "    - {name: Lost, group: lost}\n"
                             "team:\n"
                             "  - {name: ana, email: ana@example.com, groups: [east]}\n"
                             "  - {name: ben, email: ben@example.com}\n"
                             "test:\n"
                             "  when:";

static int64_t at(const char *iso)
{
	int64_t t = 0;
	if (!ltime_parse(iso, &t))
		abort();
	return t;
}

static bool named_score(void *ctx, int64_t id, const char *name, int64_t *out)
{
	(void)ctx;
	(void)id;
	if (strcmp(name, "fit") != 0)
		return false;
	*out = 35;
	return true;
}

static void setup(void)
{
	config_register_section("test", parse_test, NULL, NULL);
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
	         "{\"Annual Revenue\":\"1,200,000\",\"employees\":\"250\",\"renewal\":"
	         "\"2027-03-01\",\"empty\":\"\",\"nothing\":null,\"nested\":{\"a\":[1,2]},"
	         "\"big\":\"1e308\",\"neg\":\"-9223372036854775808\"}");
	lead_set_int(&lead, LI_SCORE, 42);
	lead_set_int(&lead, LI_VALUE, 1250050);
	lead_set_int(&lead, LI_CREATED_AT, at("2026-11-01T09:00:00Z"));
	lead_set_int(&lead, LI_UPDATED_AT, at("2026-11-20T09:00:00Z"));
	lead_set_int(&lead, LI_STAGE_ENTERED_AT, at("2026-11-17T09:00:00Z"));
	lead_set_int(&lead, LI_LAST_ACTIVITY_AT, at("2026-11-23T09:00:00Z"));
	now = at("2026-11-24T09:00:00Z");
	act_list_reset(&acts.list, 7);
	acts.list.loaded = true;
	act_list_add(&acts.list, ACT_EMAIL_OPENED, at("2026-11-23T09:00:00Z"));
	act_list_add(&acts.list, ACT_EMAIL_OPENED, at("2026-09-01T09:00:00Z"));
	act_list_add(&acts.list, ACT_CALL, at("2026-11-22T09:00:00Z"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		setup();
		ready = true;
	}
	if (size > 65536)
		return 0;
	struct sb y = SB_INIT;
	sb_adds(&y, header);
	if (!memchr(data, '\n', size)) {
		sb_addc(&y, ' ');
		sb_add(&y, (const char *)data, size);
	} else {
		sb_adds(&y, "\n    ");
		for (size_t i = 0; i < size; i++) {
			sb_addc(&y, (char)data[i]);
			if (data[i] == '\n')
				sb_adds(&y, "    ");
		}
	}
	sb_addc(&y, '\n');
	compiled = NULL;
	struct config *cfg = config_load_mem("cond.yaml", y.buf, y.len);
	sb_free(&y);
	if (cfg->nerrors == 0 && compiled) {
		struct cond_env env = { .l = &lead, .cfg = cfg, .now = now };
		act_env(&env, &acts);
		env.named_score = named_score;
		struct sb ex = SB_INIT;
		bool r1 = cond_eval(compiled, &env, &ex);
		bool r2 = cond_eval(compiled, &env, NULL);
		if (r1 != r2) {
			fprintf(stderr, "explained and plain evaluation disagree: %s\n",
			        sb_str(&ex));
			abort();
		}
		(void)cond_uses_activity(compiled);
		sb_free(&ex);
	}
	cond_free(compiled);
	compiled = NULL;
	config_free(cfg);
	return 0;
}
