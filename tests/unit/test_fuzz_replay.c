/*
 * test_fuzz_replay.c - replay every fuzzing input we keep through the
 * libFuzzer harnesses of fuzz/, compiled here as plain functions:
 *
 *   tests/fixtures/fuzz-regressions/<harness>/   inputs that once crashed
 *                                                 (or broke a harness check)
 *   fuzz/corpus/<harness>/                        the seed corpus
 *
 * So `make check` (and its ASan+UBSan run) proves every crash found stays
 * fixed without clang or libFuzzer. A harness calls abort() on a broken
 * promise, which fails this test; the "# replay" line before it names the
 * input.
 */
#define _GNU_SOURCE
#include "tap.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLVMFuzzerTestOneInput fuzz_csv_one
#include "../../fuzz/fuzz_csv.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_config_one
#include "../../fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_cond_one
#include "../../fuzz/fuzz_cond.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_time_one
#include "../../fuzz/fuzz_time.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_json_one
#include "../../fuzz/fuzz_json.c"
#undef LLVMFuzzerTestOneInput

#define LLVMFuzzerTestOneInput fuzz_form_one
#include "../../fuzz/fuzz_form.c"
#undef LLVMFuzzerTestOneInput

typedef int (*harness_fn)(const uint8_t *data, size_t size);

static const struct {
	const char *name;
	harness_fn fn;
} harnesses[] = {
	{ "csv", fuzz_csv_one },   { "config", fuzz_config_one }, { "cond", fuzz_cond_one },
	{ "time", fuzz_time_one }, { "json", fuzz_json_one },     { "form", fuzz_form_one },
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool read_file(const char *path, uint8_t **data, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	struct sb sb = SB_INIT;
	char buf[8192];
	size_t got;
	while ((got = fread(buf, 1, sizeof buf, f)) > 0)
		sb_add(&sb, buf, got);
	bool ok = !ferror(f);
	fclose(f);
	*n = sb.len;
	*data = (uint8_t *)sb_detach(&sb);
	return ok;
}

/* Replay every file of dir through fn; the number replayed. */
static int replay_dir(const char *dir, const char *harness, harness_fn fn)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = xgrow(names, &cap, n + 1, sizeof *names);
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	int done = 0;
	for (size_t i = 0; i < n; i++) {
		struct sb path = SB_INIT;
		sb_addf(&path, "%s/%s", dir, names[i]);
		uint8_t *data;
		size_t len;
		printf("# replay %s through %s\n", path.buf, harness);
		fflush(stdout);
		if (read_file(path.buf, &data, &len)) {
			ok(fn(data, len) == 0, "%s: %s", harness, path.buf);
			free(data);
			done++;
		} else {
			ok(false, "read %s", path.buf);
		}
		sb_free(&path);
	}
	strv_free(names, n);
	return done;
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_LEN(harnesses); i++) {
		struct sb dir = SB_INIT;
		sb_addf(&dir, "../fixtures/fuzz-regressions/%s", harnesses[i].name);
		replay_dir(dir.buf, harnesses[i].name, harnesses[i].fn);
		sb_reset(&dir);
		sb_addf(&dir, "../../fuzz/corpus/%s", harnesses[i].name);
		int seeds = replay_dir(dir.buf, harnesses[i].name, harnesses[i].fn);
		ok(seeds > 0, "%s: the seed corpus is there (%d inputs)", harnesses[i].name, seeds);
		sb_free(&dir);
	}
	return done_testing();
}
