/*
 * fuzz_config.c - libFuzzer harness for the YAML config loader
 * (config_load_mem: lib/lyaml.c, lib/config.c and every section parser
 * the binary registers: routing, scoring, workflows, business hours,
 * mail templates).
 *
 * The input is the file. Beyond not crashing, it checks what config.h
 * promises: every diagnostic has text, and a config that loads without
 * errors is written by config_write_yaml() as YAML that loads again
 * without errors and writes back the same text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "hooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_diags(const struct config *cfg)
{
	size_t nerr = 0;
	for (size_t i = 0; i < cfg->ndiags; i++) {
		if (!cfg->diags[i].text || !cfg->diags[i].text[0])
			abort();
		if (!cfg->diags[i].warning)
			nerr++;
	}
	/* past 200 diagnostics the rest are only counted (lib/lyaml.c) */
	if (nerr > cfg->nerrors || (nerr < cfg->nerrors && cfg->ndiags < 200))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool registered;
	if (!registered) {
		hooks_register_config();
		registered = true;
	}
	struct config *cfg = config_load_mem("fuzz.yaml", (const char *)data, size);
	if (!cfg)
		abort();
	check_diags(cfg);
	if (cfg->nerrors == 0 && cfg->nstages > 0) {
		struct sb a = SB_INIT, b = SB_INIT;
		config_write_yaml(cfg, &a);
		struct config *again = config_load_mem("again.yaml", sb_str(&a), a.len);
		check_diags(again);
		if (again->nerrors) {
			fprintf(stderr, "written config does not load again:\n%s\n---\n%s\n",
			        sb_str(&a), again->diags[0].text);
			abort();
		}
		config_write_yaml(again, &b);
		if (strcmp(sb_str(&a), sb_str(&b)) != 0) {
			fprintf(stderr, "written config changes when written again:\n%s\n---\n%s\n",
			        sb_str(&a), sb_str(&b));
			abort();
		}
		config_free(again);
		sb_free(&a);
		sb_free(&b);
	}
	config_free(cfg);
	return 0;
}
