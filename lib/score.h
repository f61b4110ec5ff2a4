/*
 * score.h - the scoring engine: how hot a lead is.
 *
 *   scoring:
 *     rules:                        # the default score, leads.score
 *       - name: exec                # attribute rule: when + points
 *         when: {field: title, regex: "chief|vp|director", ignore_case: true}
 *         points: 20
 *       - name: free-mail
 *         when: {field: email, regex: "@gmail\\.com$"}
 *         points: -10               # negative points are fine
 *       - name: opens               # behaviour rule: points per activity
 *         on: email-opened          # call, email, meeting, email-opened, note, any
 *         points: 5
 *         max: 15                   # at most 15 from this rule
 *         within: 30d               # only activities of the last 30 days
 *       - name: meetings
 *         on: [meeting, call]
 *         points: 10
 *         decay: {half_life: 30d}   # each one fades: 10 now, 5 after 30d
 *     cap: 100                      # the total never exceeds 100
 *     thresholds:
 *       - name: hot
 *         at: 50
 *         instructions: "Call within the hour; mention the pricing page."
 *         due: 1h                   # the owner's task is due then (default 1d)
 *     scores:                       # named scores, each the same shape
 *       engagement:
 *         rules: [...]
 *         thresholds: [...]
 *
 * A score is the sum of its rules' points (each behaviour rule rounded to
 * a whole number after its max), then capped. The default score lives in
 * the lead's score column (`leads list --sort score`, `--min-score`), a
 * named one in the scores table (and as score.NAME in conditions).
 *
 * Every lead event recomputes the lead's scores (hooks_run), and `leads
 * score --recalc` does the same computation for many leads, so the two
 * always agree for the same "now" -- except a change of status (`leads
 * status`, the sweep's inactivity), which rescores only when a rule reads
 * the status or updated_at: nothing else of the lead changed. A threshold fires once per upward
 * crossing (old < at <= new): a "score.threshold" history event, a task
 * for the owner and a queued mail with the lead's details and the
 * instructions; a downward crossing records "score.dropped", after which
 * the next upward crossing fires again.
 */
#ifndef LEADS_SCORE_H
#define LEADS_SCORE_H

#include <stdbool.h>
#include <stdint.h>

#include "activity.h"
#include "config.h"
#include "hooks.h"
#include "lead.h"
#include "util.h"

/* Register the `scoring:` section (hooks_register_config calls it). */
void score_register_config(void);
/* Does cfg score leads (a scoring section with any score)? */
bool score_configured(const struct config *cfg);
/* Does computing any score need the lead's activities? */
bool score_uses_activity(const struct config *cfg);

/* The scores cfg defines: "score" (the default, if any) first, then named ones. */
size_t score_count(const struct config *cfg);
const char *score_name(const struct config *cfg, size_t i);

struct score_stats {
	int64_t changed; /* scores whose value changed */
	int64_t crossed; /* thresholds crossed upward (fired) */
	int64_t dropped; /* thresholds crossed downward */
};

/*
 * The engine decides, the lifecycle writes: score_decide computes every
 * score of l now and lists those whose value changes (from, to), in the
 * config's order, writing nothing; lc_score_apply (lib/lifecycle.h)
 * writes the points (the default into l->i[LI_SCORE], the caller saves
 * l; named ones into the scores table) and calls score_crossings for
 * each, which fires the thresholds a change crossed (history, task,
 * mail; only counted with env->dry_run). acts may be NULL (read on
 * demand). fresh: l was just received (no named score stored yet).
 */
struct score_change {
	size_t idx;       /* which score, in the config's order */
	const char *name; /* its name ("score" for the default) */
	bool is_default;  /* the lead's own score column */
	int64_t from, to;
};
struct score_decision {
	struct score_change *v;
	size_t n, cap;
};
int score_decide(struct hook_env *env, const struct lead *l, struct act_src *acts, bool fresh,
                 struct score_decision *out);
void score_decision_free(struct score_decision *d);
int score_crossings(struct hook_env *env, const struct lead *l, const struct score_change *ch,
                    struct score_stats *stats, bool fresh);

/*
 * The default score of a new lead not stored yet: no activities, no named
 * scores (cc: its custom fields as looked up so far, or NULL). An import
 * computes it on its reader thread, so this touches no database and no
 * shared state. False when there is no default score, or
 * when a rule looks at what routing changes (the owner, the assignment):
 * then it is only known after routing.
 */
bool score_new_lead(const struct config *cfg, const struct lead *l, int64_t now,
                    struct cond_cache *cc, int64_t *out);

/* hooks_run's part: should this event rescore l (not when nothing a rule
 * reads changed)? hooks_run then calls lc_score and tells score_ran. */
bool score_wanted(const struct hook_env *env, const struct lead *l, const struct hook_event *ev);
void score_ran(const struct hook_env *env, const struct lead *l, int rc);
/* Whether an event of this kind may rescore a lead at all (hooks_quiet). */
bool score_hook_reacts(const struct config *cfg, const struct hook_event *ev);

/*
 * Each score of l computed now with every rule's contribution:
 *   score 55
 *     +20  exec       title 'VP Sales' matches /chief|vp/i
 *     +15  opens      4 email_opened within 30d x 5 = 20, max 15
 *   thresholds: warm 20 (reached), hot 50 (not reached)
 * values[i] (score_count entries, may be NULL) gets each computed score.
 */
int score_explain(struct hook_env *env, const struct lead *l, struct act_src *acts, struct sb *out,
                  int64_t *values);

/* --- storage (lib/db_route.c) --- */

/* A named score of a lead; *found false (and *v 0) when never computed. */
int db_score_get(struct db *db, int64_t lead_id, const char *name, int64_t *v, bool *found,
                 struct lerr *err);
int db_score_set(struct db *db, int64_t lead_id, const char *name, int64_t v, struct lerr *err);
/* The default score alone (bulk recalculation). */
int db_score_set_default(struct db *db, int64_t lead_id, int64_t v, struct lerr *err);
/* How often threshold `name` of score `score` fired for the lead so far. */
int db_threshold_fired(struct db *db, int64_t lead_id, const char *score, const char *name,
                       int64_t *n, struct lerr *err);

#endif
