/*
 * rules.h - what routing (lib/route.h) and scoring (lib/score.h) share:
 * the struct hung on cfg->rules, the echo of their config sections for
 * `leads config show`, and the block of lead details their mails carry.
 */
#ifndef LEADS_RULES_H
#define LEADS_RULES_H

#include "activity.h"
#include "config.h"
#include "db.h"
#include "lead.h"
#include "lyaml.h"
#include "util.h"

struct route_config;
struct score_config;

struct rules_config {
	struct route_config *route; /* NULL: no routing section */
	struct score_config *score; /* NULL: no scoring section */
	char *routing_yaml;         /* the sections as loaded, for config_write_yaml() */
	char *scoring_yaml;
};

/* cfg->rules, created on first use. */
struct rules_config *rules_of(struct config *cfg);
/* The release function both sections register (config_free calls it once). */
void rules_release(struct config *cfg);

/*
 * The section `key` at node n as YAML ("key:\n  rules:\n    - {...}\n"):
 * the top two levels in block style, everything deeper in flow style.
 * Comments are not kept; every value reads back the same.
 */
char *rules_yaml_echo(struct yaml_ctx *y, const char *key, yaml_node_t *n);

/*
 * The lead as mails show it: "  Lead:     #12 Ana Lima" and one line per
 * non-empty field (email, phone, company, title, source, stage, status,
 * owner, score, value), then how to see it ("leads show 12").
 */
void rules_lead_details(const struct config *cfg, const struct lead *l, struct sb *out);

/* A deep copy of src (the caller lead_free()s dst). */
void rules_lead_copy(struct lead *dst, const struct lead *src);

/*
 * A read-only copy of a lead whose text lives in one buffer that the next
 * snapshot reuses: a bulk command takes one per lead (to save only what
 * changed) without a malloc per field. s->l is valid until the next
 * rules_lead_snap(s, ...) or rules_lead_snap_free(s); never lead_free() it.
 */
struct lead_snap {
	struct lead l;
	char *buf;
	size_t cap;
};
void rules_lead_snap(struct lead_snap *s, const struct lead *src);
void rules_lead_snap_free(struct lead_snap *s);

/* --- storage for bulk commands (lib/db_route.c) --- */

enum rules_scope {
	RS_ALL,        /* every lead */
	RS_OPEN,       /* stage in an active group, status not unqualified */
	RS_UNASSIGNED, /* open and without an owner */
};
/*
 * Read up to max leads with id > after, in id order, into out (the caller
 * lead_free()s each); *n is how many. A batch at a time keeps memory
 * bounded and never writes under an open read of the same table. scope
 * skips leads that are surely out of it (by the stages table, which
 * db_sync_stages keeps in step with the config); it may let through some
 * that the caller's test rejects, never the other way.
 */
int db_lead_batch(struct db *db, enum rules_scope scope, int64_t after, struct lead *out, int max,
                  int *n, struct lerr *err);
/*
 * Walking many leads (route --all, score --recalc --all): a batch at a
 * time in id order, each lead with its activities already read when
 * with_acts (one ordered scan of events for the whole batch instead of a
 * query per lead).
 *
 *   struct lead_batch b = { .scope = RS_OPEN, .cfg = cfg, .with_acts = true };
 *   while ((rc = lead_batch_next(db, &b, err)) == 0 && b.n > 0)
 *           for (int i = 0; i < b.n; i++) work(&b.v[i], &b.acts[i]);
 *   lead_batch_free(&b);
 */
#define LEAD_BATCH 512
struct lead_batch {
	enum rules_scope scope;
	const struct config *cfg; /* which stages are open (RS_OPEN, RS_UNASSIGNED) */
	bool with_acts;
	int64_t after; /* the last id seen */
	int n;
	struct lead v[LEAD_BATCH];
	struct act_src acts[LEAD_BATCH];
};
int lead_batch_next(struct db *db, struct lead_batch *b, struct lerr *err);
void lead_batch_free(struct lead_batch *b);

#endif
