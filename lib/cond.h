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
};

/* Compile the condition at n; NULL after reporting through ly_error(). */
struct cond *cond_compile(struct yaml_ctx *y, yaml_node_t *n, const struct config *cfg);
void cond_free(struct cond *c);

/*
 * Evaluate. With explain non-NULL, appends a one-line account of why it
 * matched or not ("title 'VP Sales' matches /chief|vp/i").
 */
bool cond_eval(const struct cond *c, const struct cond_env *env, struct sb *explain);

#endif
