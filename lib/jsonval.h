/*
 * jsonval.h - read one member of a flat JSON object without SQL.
 *
 * The condition language reads custom fields (`extra.<name>`) of every
 * lead it looks at; `leads route --all` over a million leads cannot afford
 * a SQLite round trip (json_extract) per field per lead. The extra column
 * is always valid JSON (a CHECK constraint on both backends), written by
 * the jansson helpers (lib/db_json.c), so a small scanner is enough: it
 * finds a key at the top level of an object and decodes its value. It
 * never reads past the terminating NUL, and on malformed text it simply
 * reports "not found", which the CHECK makes impossible for a stored lead.
 *
 * Everything else reads JSON with jansson. This scanner stays only here,
 * because it measures faster: one extra.<name> lookup in a three-member
 * object of 120 bytes costs about 1,200 instructions here and 21,000 with
 * jansson (parse, find, free; callgrind), and `route --all` or a funnel
 * --where does one per lead per condition (README, "Layout").
 */
#ifndef LEADS_JSONVAL_H
#define LEADS_JSONVAL_H

#include <stdbool.h>

#include "util.h"

/*
 * Find `key` among the members of the JSON object `json` and put its value
 * into out (reset first): a string decoded (escapes, \uXXXX with surrogate
 * pairs -> UTF-8), a number, true or false as written; an object or array
 * as its JSON text. null and absent keys are "not found".
 *
 * With loose, a key also matches ignoring ASCII case and treating ' ', '-'
 * and '_' alike ("Annual Revenue" = "annual_revenue"); an exact match
 * wins over a loose one. Returns true if found.
 */
bool jsonval_get(const char *json, const char *key, bool loose, struct sb *out);

#endif
