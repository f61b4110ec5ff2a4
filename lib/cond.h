/*
 * cond.h - the condition language shared by routing, scoring and
 * workflows (`when:` in the config).
 *
 *   when: {field: title, regex: "chief|vp", ignore_case: true}
 *   when: {all: [{field: extra.annual_revenue, gte: 1000000},
 *                {field: state, in: [NY, NJ]}]}
 *   when: {not: {field: email, contains: "@gmail."}}
 *   when: {field: activity.email_opened.count, gte: 3}
 *
 * Operators: eq, ne, in, not_in, contains, regex (POSIX extended, with
 * ignore_case), gt/gte/lt/lte (numbers, dates, durations for *_age
 * fields), exists, missing; combined with all, any, not, nested.
 * Fields: every lead field (lead_fields[]), stage (name or key), group,
 * status, owner, score, extra.<name>, activity.<kind>.count,
 * activity.<kind>.last_age, last_activity_age, age, stage_age.
 *
 * A condition is compiled once when the config loads (regexes included);
 * every mistake is a config error at its file:line:column.
 */
#ifndef LEADS_COND_H
#define LEADS_COND_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "lead.h"
#include "lyaml.h"
#include "util.h"

struct cond;

/*
 * What evaluation may ask beyond the lead itself. activity_count and
 * activity_last are called only by conditions that use activity fields
 * (they read the events table through the storage layer).
 */
struct cond_env {
	const struct lead *l;
	const struct config *cfg;
	int64_t now;
	void *ctx;
	int64_t (*activity_count)(void *ctx, int64_t lead_id, const char *kind, int64_t since);
	int64_t (*activity_last)(void *ctx, int64_t lead_id, const char *kind); /* 0 = never */
	/* score.NAME (a named score, lib/score.h); NULL or false: missing */
	bool (*named_score)(void *ctx, int64_t lead_id, const char *name, int64_t *out);
	/* custom fields already looked up in this lead's extra, or NULL */
	struct cond_cache *cache;
};

/*
 * The custom fields (extra.NAME) a run of conditions looked up in one
 * lead's JSON: rules that ask for the same field get it without scanning
 * the JSON again. For one lead at a time (it is keyed to the lead's extra
 * text); cond_cache_reset() between leads and at the end.
 */
#define COND_CACHE_SLOTS 8
struct cond_cache {
	const char *json;
	size_t n;
	struct cond_cached {
		const char *key;
		bool found;
		char *value;
	} e[COND_CACHE_SLOTS];
};
void cond_cache_reset(struct cond_cache *cc);

/* Compile the condition at n; NULL after reporting through ly_error(). */
struct cond *cond_compile(struct yaml_ctx *y, yaml_node_t *n, const struct config *cfg);
void cond_free(struct cond *c);

/*
 * Evaluate. With explain non-NULL, appends a one-line account of why it
 * matched or not ("title 'VP Sales' matches /chief|vp/i").
 * A NULL condition (no `when:`) always matches ("always").
 */
bool cond_eval(const struct cond *c, const struct cond_env *env, struct sb *explain);

/*
 * The details, for engines and leads-config(5):
 *  - a list is `all` of its items: when: [{...}, {...}];
 *  - several operators on one field must all hold: {field: score, gte: 10, lt: 50};
 *  - text comparisons (eq, ne, in, not_in, contains) ignore ASCII case;
 *    regex is case-sensitive unless `ignore_case: true`;
 *  - a missing value (empty field, absent custom field, no activity yet)
 *    fails every operator but ne, not_in and missing;
 *  - extra.NAME compares as a number when the operand is a number and the
 *    value reads as one ("1,200,000", "$40.5"), as a date when the operand
 *    is a date; NAME matches ignoring case, ' ', '-' and '_';
 *  - value compares in currency units (the column is in cents);
 *  - *_age fields and age compare with durations (gte: 30d);
 *    activity.KIND.count takes `within: 30d`;
 *  - score.NAME is a named score (lib/score.h), 0 until first computed;
 *  - nesting is bounded (COND_MAX_DEPTH) so no config can exhaust the stack.
 */
#define COND_MAX_DEPTH 32

/* Does evaluating c ask for activities (so a bulk reader preloads them)? */
bool cond_uses_activity(const struct cond *c);
/*
 * Can an assignment change what c says? True when c looks at owner,
 * assigned_at, assigned_rule, score or score.NAME (scores may follow the
 * owner). Lets the scorer skip recomputing on lead.assigned.
 */
bool cond_uses_assignment(const struct cond *c);
/* Does c read what a change of status changes (status, updated_at)? */
bool cond_uses_status(const struct cond *c);

#endif
