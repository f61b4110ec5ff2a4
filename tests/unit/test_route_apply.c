/*
 * test_route_apply.c - routing decides, the lifecycle writes: a decision
 * (route_decide) changes nothing, not even the rotation cursor; applying
 * it (lc_route_apply) sets the owner, advances the cursor once, records
 * `assigned` and hands the open tasks on; a dry run advances only the
 * in-memory cursor; a bulk run (lc_bulk_begin/lc_bulk_end) writes the
 * owners, tasks and cursor at its end, in chunks.
 */
#include "tap.h"
#include "fixture.h"

#include "config.h"
#include "db.h"
#include "hooks.h"
#include "lead.h"
#include "lifecycle.h"
#include "route.h"
#include "queue.h"
#include "task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char yaml[] = "team:\n"
                           "  - {name: ana, email: ana@example.com}\n"
                           "  - {name: ben, email: ben@example.com}\n"
                           "routing:\n"
                           "  rules:\n"
                           "    - {name: rotation, assign: {round_robin: [ana, ben]}}\n";

static int count_assigned(const struct event *ev, void *ctx)
{
	if (strcmp(ev->kind, "assigned") == 0)
		(*(int *)ctx)++;
	return 0;
}

static int assigned(struct db *db, int64_t id)
{
	int n = 0;
	struct lerr err = { 0 };
	db_events_for(db, id, count_assigned, &n, &err);
	return n;
}

/* the cursor as stored, "-" when unset */
static const char *stored(struct db *db, char buf[32])
{
	char *v = db_state_get(db, "route.rr.rotation");
	snprintf(buf, 32, "%s", v ? v : "-");
	free(v);
	return buf;
}

static const char *owner_of(struct db *db, int64_t id, char buf[32])
{
	struct lead l;
	struct lerr err = { 0 };
	if (db_lead_by_id(db, id, &l, &err))
		return "?";
	snprintf(buf, 32, "%s", l.t[LT_OWNER] ? l.t[LT_OWNER] : "-");
	lead_free(&l);
	return buf;
}

int main(void)
{
	hooks_register_config();
	struct config *cfg = config_load_mem("t.yaml", yaml, strlen(yaml));
	if (!cfg || cfg->nerrors) {
		printf("Bail out! config\n");
		return 2;
	}
	char dir[] = "/tmp/leads-ra-XXXXXX";
	struct db *db = fixture_open(dir);
	if (!db)
		return 2;
	char b[32];
	struct lerr err = { 0 };
	if (db_sync_stages(db, cfg, &err) != 0) {
		printf("Bail out! %s\n", err.msg);
		return 2;
	}
	struct hook_env env = { .db = db, .cfg = cfg, .now = 2000, .actor = "t", .err = &err };
	struct lc c = lc_of_env(&env);

	/* the decision writes nothing */
	int64_t a = fixture_lead(db, "a@x.com");
	struct task_new tn = { .lead_id = a, .title = "T", .due_at = 5000 };
	int64_t task = 0;
	task_create(db, &tn, 1000, &task, &err);
	struct lead l;
	db_lead_by_id(db, a, &l, &err);
	struct route_result d;
	is_int(route_decide(&env, &l, NULL, &d, NULL), 0, "decide");
	is_int(d.outcome, RO_ASSIGNED, "a member");
	is_str(d.member ? d.member->name : "-", "ana", "the first slot: ana");
	ok(d.changed, "the owner changes");
	is_str(d.cursor ? d.cursor : "-", "route.rr.rotation", "the cursor of its rule");
	is_int(d.cursor_to, 1, "advanced by one");
	ok(l.t[LT_OWNER] == NULL, "the lead is untouched");
	is_str(stored(db, b), "-", "the cursor is not written");
	is_int(assigned(db, a), 0, "no history");
	/* deciding again gives the same answer: nothing moved */
	struct route_result d2;
	route_decide(&env, &l, NULL, &d2, NULL);
	is_str(d2.member ? d2.member->name : "-", "ana", "the same slot again");

	/* applying it writes everything, the cursor once */
	is_int(lc_route_apply(&c, &l, &d), 0, "apply");
	is_str(l.t[LT_OWNER], "ana", "owner set on the lead");
	is_str(l.t[LT_ASSIGNED_RULE], "rotation", "its rule");
	is_str(stored(db, b), "1", "the cursor advanced once");
	is_int(assigned(db, a), 1, "one assigned row");
	struct task t;
	db_task_get(db, task, &t, &err);
	is_str(t.owner ? t.owner : "-", "ana", "the open task followed");
	task_free(&t);
	lead_free(&l);

	/* a dry run: the in-memory cursor only */
	int64_t bid = fixture_lead(db, "b@x.com");
	db_lead_by_id(db, bid, &l, &err);
	env.dry_run = true;
	is_int(lc_route(&env, &l, NULL, &d, NULL), 0, "dry run");
	is_str(l.t[LT_OWNER], "ben", "the dry run's answer: ben");
	is_str(stored(db, b), "1", "dry: the stored cursor stays");
	is_int(lc_cursor(db, "route.rr.rotation", true), 2, "dry: its own copy moved");
	is_int(assigned(db, bid), 0, "dry: no history");
	lead_free(&l);
	env.dry_run = false;

	/* a bulk run: owners, cursor and history written at its end */
	int64_t ids[3] = { bid, fixture_lead(db, "c@x.com"), fixture_lead(db, "d@x.com") };
	lc_bulk_begin();
	const char *want[3] = { "ben", "ana", "ben" };
	for (int i = 0; i < 3; i++) {
		struct lead before, x;
		db_lead_by_id(db, ids[i], &before, &err);
		db_lead_by_id(db, ids[i], &x, &err);
		route_decide(&env, &x, NULL, &d, NULL);
		is_str(d.member ? d.member->name : "-", want[i], "bulk: the rotation goes on");
		lc_route_apply(&c, &x, &d);
		is_int(lc_route_save(&c, &before, &x), 0, "bulk: saved (kept)");
		lead_free(&before);
		lead_free(&x);
	}
	is_str(owner_of(db, ids[1], b), "-", "bulk: not written yet");
	is_str(stored(db, b), "1", "bulk: the cursor not written yet");
	is_int(lc_bulk_end(&env), 0, "bulk end");
	is_str(stored(db, b), "4", "bulk: the cursor written once, three slots on");
	for (int i = 0; i < 3; i++)
		is_str(owner_of(db, ids[i], b), want[i], "bulk: the owner written");
	is_int(assigned(db, ids[2]), 1, "bulk: its history row");

	config_free(cfg);
	if (!fixture_close(db, dir))
		return 2;
	return done_testing();
}
