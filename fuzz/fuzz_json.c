/*
 * fuzz_json.c - libFuzzer harness for the JSON reader of `leads add
 * --json`: the same steps as cmd/add.c (at most 1 MiB, valid UTF-8, then
 * db_json_object_each(), jansson underneath) on a scratch database.
 *
 * Every key and value handed to the callback is what `add` would store,
 * so each must be valid UTF-8, and the extra-field helpers (db_json_set,
 * db_json_get, db_json_patch) must keep the object valid.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct db *db;
static char db_dir[] = "/tmp/fuzz-json-XXXXXX";
static char db_path_buf[64];

static void cleanup(void)
{
	db_close(db);
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < ARRAY_LEN(sfx); i++) {
		char p[96];
		snprintf(p, sizeof p, "%s%s", db_path_buf, sfx[i]);
		unlink(p);
	}
	rmdir(db_dir);
}

static void open_db(void)
{
	if (!mkdtemp(db_dir))
		abort();
	snprintf(db_path_buf, sizeof db_path_buf, "%s/fuzz.db", db_dir);
	struct lerr err;
	if (db_open(db_path_buf, DB_CREATE, &db, &err) != 0) {
		fprintf(stderr, "fuzz_json: %s\n", err.msg);
		abort();
	}
	atexit(cleanup);
}

struct walk {
	char *extra; /* the custom fields gathered so far, as add does */
	int n;
};

static void check_text(const char *what, const char *s)
{
	size_t bad;
	if (s && !utf8_valid(s, strlen(s), &bad)) {
		fprintf(stderr, "%s '%s' is not valid UTF-8 (byte %zu)\n", what, s, bad);
		abort();
	}
}

static int member(const char *key, const char *value, const char *type, void *p)
{
	struct walk *w = p;
	if (!key || !type)
		abort();
	check_text("key", key);
	check_text("value", value);
	if (strcmp(type, "null") == 0)
		return 0;
	if (!value)
		abort();
	if (strcmp(type, "object") == 0 || strcmp(type, "array") == 0)
		return 0;
	char *next = db_json_set(db, w->extra, key, value);
	if (!next || !db_json_valid(db, next))
		abort();
	char *back = db_json_get(db, next, key);
	if (!back || strcmp(back, value) != 0) {
		fprintf(stderr, "extra key '%s': set '%s', got back '%s'\n", key, value,
		        back ? back : "(null)");
		abort();
	}
	free(back);
	free(w->extra);
	w->extra = next;
	return ++w->n > 1000 ? EX_DATAERR : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!db)
		open_db();
	if (size > (1u << 20))
		return 0;
	char *text = xstrndup((const char *)data, size);
	size_t bad;
	if (!utf8_valid(text, strlen(text), &bad)) {
		free(text);
		return 0;
	}
	struct walk w = { NULL, 0 };
	struct lerr err = { 0 };
	int rc = db_json_object_each(db, text, member, &w, &err);
	if (rc && rc != EX_DATAERR) {
		fprintf(stderr, "unexpected %d: %s\n", rc, err.msg);
		abort();
	}
	if (w.extra) {
		char *merged = db_json_patch(db, w.extra, text);
		if (merged && !db_json_valid(db, merged))
			abort();
		free(merged);
	}
	free(w.extra);
	free(text);
	return 0;
}
