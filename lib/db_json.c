/*
 * db_json.c - the JSON helpers of the storage layer (db.h), read and
 * written with jansson on both backends: no SQL, no scratch SQLite.
 *
 * What they produce is what SQLite's JSON1 produced before, byte for
 * byte where it is stored or compared: compact text, members in their
 * order (a key set again keeps its place, a new one goes last), strings
 * as UTF-8 with the escapes sb_add_json_str() writes (control characters
 * as lower-case \u00xx), and a member's value as text the way json_each
 * gave it (true 1, false 0, a real as SQLite prints one).
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "db.h"

/* Reals with 15 significant digits, as SQLite prints a REAL. */
#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))

/*
 * Parse text that must be one JSON object. On failure, the error says
 * what is wrong in the words the callers (and their users) know.
 */
static json_t *load_object(const char *text, struct lerr *err)
{
	if (!text) {
		lerr_set(err, EX_DATAERR, "invalid JSON");
		return NULL;
	}
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);
	if (!v) {
		if (strncmp(je.text, "\\u0000", 6) == 0 || strncmp(je.text, "NUL byte", 8) == 0)
			lerr_set(err, EX_DATAERR,
			         "expected text without \\u0000 (a NUL character)");
		else if (strncmp(je.text, "invalid Unicode", 15) == 0)
			lerr_set(
			    err, EX_DATAERR,
			    "expected text without \\u0000 or unpaired surrogates (near byte %d)",
			    je.position);
		else
			lerr_set(err, EX_DATAERR, "invalid JSON: %s (byte %d)", je.text,
			         je.position);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		lerr_set(err, EX_DATAERR, "expected one JSON object");
		return NULL;
	}
	return v;
}

/* jansson writes \u001F; the rest of leads (and SQLite) write \u001f. */
static int dump_chunk(const char *buf, size_t size, void *data)
{
	struct sb *out = data;
	if (size == 6 && buf[0] == '\\' && buf[1] == 'u') {
		char e[6];
		for (size_t i = 0; i < 6; i++)
			e[i] = (char)tolower((unsigned char)buf[i]);
		sb_add(out, e, 6);
	} else {
		sb_add(out, buf, size);
	}
	return 0;
}

static char *dump(const json_t *v)
{
	struct sb out = SB_INIT;
	if (json_dump_callback(v, dump_chunk, &out, DUMP_FLAGS)) {
		sb_free(&out);
		return NULL;
	}
	return sb_detach(&out);
}

/* A real as SQLite's "%!.15g": always a '.' in the mantissa. */
static void real_text(double d, struct sb *out)
{
	char buf[40];
	snprintf(buf, sizeof buf, "%.15g", d);
	if (strpbrk(buf, ".ni")) { /* has a point, or is nan/inf */
		sb_adds(out, buf);
		return;
	}
	char *e = strchr(buf, 'e');
	if (e) {
		sb_add(out, buf, (size_t)(e - buf));
		sb_adds(out, ".0");
		sb_adds(out, e);
	} else {
		sb_adds(out, buf);
		sb_adds(out, ".0");
	}
}

/* One value as json_each's value and type columns; NULL text for null. */
static char *value_text(const json_t *v, const char **type)
{
	struct sb out = SB_INIT;
	switch (json_typeof(v)) {
	case JSON_STRING:
		*type = "text";
		sb_add(&out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		*type = "integer";
		sb_addf(&out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		*type = "real";
		real_text(json_real_value(v), &out);
		break;
	case JSON_TRUE:
		*type = "true";
		sb_addc(&out, '1');
		break;
	case JSON_FALSE:
		*type = "false";
		sb_addc(&out, '0');
		break;
	case JSON_OBJECT:
	case JSON_ARRAY:
		*type = json_is_object(v) ? "object" : "array";
		return dump(v);
	case JSON_NULL:
	default:
		*type = "null";
		return NULL;
	}
	return sb_detach(&out);
}

int db_json_object_each(struct db *db, const char *json, db_json_fn fn, void *ctx, struct lerr *err)
{
	(void)db;
	json_t *obj = load_object(json, err);
	if (!obj)
		return err->code;
	int ret = 0;
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		const char *type;
		char *text = value_text(v, &type);
		ret = fn(key, text, type, ctx);
		free(text);
		if (ret)
			break;
	}
	json_decref(obj);
	return ret;
}

char *db_json_get(struct db *db, const char *json, const char *key)
{
	(void)db;
	if (!json)
		return NULL;
	json_t *obj = load_object(json, NULL);
	if (!obj)
		return NULL;
	const json_t *v = json_object_get(obj, key);
	const char *type;
	char *out = v ? value_text(v, &type) : NULL;
	json_decref(obj);
	return out;
}

bool db_json_valid(struct db *db, const char *json)
{
	(void)db;
	json_t *obj = load_object(json, NULL);
	json_decref(obj);
	return obj != NULL;
}

/* RFC 7396: patch merged into target, which it changes or replaces; a new reference. */
static json_t *merge(json_t *target, json_t *patch)
{
	if (!json_is_object(patch))
		return json_incref(patch);
	json_t *out = json_is_object(target) ? json_incref(target) : json_object();
	const char *key;
	json_t *v;
	json_object_foreach(patch, key, v)
	{
		if (json_is_null(v)) {
			json_object_del(out, key);
			continue;
		}
		json_object_set_new(out, key, merge(json_object_get(out, key), v));
	}
	return out;
}

char *db_json_patch(struct db *db, const char *json, const char *patch)
{
	(void)db;
	json_t *target = json ? load_object(json, NULL) : json_object();
	json_error_t je;
	json_t *p = target && patch ? json_loads(patch, JSON_DECODE_ANY, &je) : NULL;
	char *out = NULL;
	if (p) {
		json_t *m = merge(target, p);
		out = dump(m);
		json_decref(m);
	}
	json_decref(p);
	json_decref(target);
	return out;
}

/*
 * A string for jansson, which takes only UTF-8: bytes that are not are
 * each replaced by U+FFFD, as sb_add_json_str() writes them.
 */
static char *as_utf8(const char *s)
{
	size_t bad;
	if (utf8_valid(s, strlen(s), &bad))
		return xstrdup(s);
	struct sb q = SB_INIT;
	sb_add_json_str(&q, s);
	json_t *v = json_loads(sb_str(&q), JSON_DECODE_ANY, NULL);
	sb_free(&q);
	char *out = xstrdup(json_is_string(v) ? json_string_value(v) : "");
	json_decref(v);
	return out;
}

char *db_json_set(struct db *db, const char *json, const char *key, const char *value)
{
	(void)db;
	json_t *obj = json ? load_object(json, NULL) : json_object();
	if (!obj)
		return NULL;
	char *k = as_utf8(key);
	if (value) {
		char *val = as_utf8(value);
		json_object_set_new(obj, k, json_string(val));
		free(val);
	} else {
		json_object_del(obj, k);
	}
	free(k);
	char *out = json_object_size(obj) ? dump(obj) : NULL;
	json_decref(obj);
	return out;
}
