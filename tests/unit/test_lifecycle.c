/*
 * test_lifecycle.c - lib/lifecycle.h on a real database: closing a lead
 * cancels its open tasks (keep_open aside), a new owner takes the tasks
 * not given by name and gets the assignment mail, a status set by hand
 * restarts the idle clock, and the small rules (closed, inactive at,
 * who takes unowned tasks) read the config as documented.
 */
#include "tap.h"
#include "fixture.h"

#include "config.h"
#include "db.h"
#include "hooks.h"
#include "lead.h"
#include "lifecycle.h"
#include "outbox.h"
#include "queue.h"
#include "task.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char yaml[] = "team:\n"
                           "  - {name: ana, email: ana@example.com}\n"
                           "  - {name: ben, email: ben@example.com}\n"
                           "  - {name: mia, email: mia@example.com, role: manager}\n"
                           "status:\n"
                           "  inactive_after: 30d\n"
                           "workflows:\n"
                           "  - {name: keep, on: lead.discarded, keep_open: true,\n"
                           "     task: {title: Recover, due: 3mo}}\n";

static int64_t add_task(struct db *db, int64_t lead, const char *owner, bool given,
                        const char *rule)
{
	struct task_new tn = { .lead_id = lead,
		               .owner = owner,
		               .title = "T",
		               .due_at = 5000,
		               .rule = rule,
		               .owner_given = given };
	int64_t id = 0;
	struct lerr err = { 0 };
	if (task_create(db, &tn, 1000, &id, &err))
		diag("task: %s", err.msg);
	return id;
}

static struct task get(struct db *db, int64_t id)
{
	struct task t;
	struct lerr err = { 0 };
	if (db_task_get(db, id, &t, &err))
		diag("task get: %s", err.msg);
	return t;
}

struct kind_count {
	const char *kind;
	int n;
};

static int count_kind(const struct event *ev, void *ctx)
{
	struct kind_count *k = ctx;
	k->n += strcmp(ev->kind, k->kind) == 0;
	return 0;
}

/* How many history rows of kind lead id has. */
static int events_of(struct db *db, int64_t id, const char *kind)
{
	struct kind_count k = { kind, 0 };
	struct lerr err = { 0 };
	if (db_events_for(db, id, count_kind, &k, &err))
		diag("events: %s", err.msg);
	return k.n;
}

int main(void)
{
	hooks_register_config();
	struct config *cfg = config_load_mem("t.yaml", yaml, strlen(yaml));
	if (!cfg || cfg->nerrors) {
		printf("Bail out! config\n");
		return 2;
	}
	char dir[] = "/tmp/leads-lc-XXXXXX";
	struct db *db = fixture_open(dir);
	if (!db)
		return 2;
	struct lerr err = { 0 };
	if (db_sync_stages(db, cfg, &err) != 0) {
		printf("Bail out! %s\n", err.msg);
		return 2;
	}
	struct lc c = { .db = db, .cfg = cfg, .now = 2000, .actor = "t", .err = &err };

	/* the small rules */
	ok(!lc_closed(cfg, "prospecting", "new"), "an active stage is open");
	ok(lc_closed(cfg, "closed-deal", "active"), "a won stage is closed");
	ok(lc_closed(cfg, "lost", "new"), "a lost stage is closed");
	ok(lc_closed(cfg, "prospecting", "unqualified"), "unqualified is closed");
	const char *addr;
	const struct member *m = lc_unowned_to(cfg, &addr);
	is_str(m ? m->name : "(none)", "mia", "unowned tasks go to the manager");
	ok(lc_assignment_mail(cfg), "assignment mail on by default");
	is_int(lc_import_events_within(cfg).secs, 7 * 86400, "import events: 7d by default");

	/* one definition of a valid lead */
	struct lead v;
	lead_init(&v);
	struct lerr verr = { 0 };
	is_int(lc_identifiable(&v, &verr), EX_DATAERR, "nothing: refused");
	is_str(verr.msg, "no email, name, company or phone", "why");
	lead_set(&v, LT_TITLE, "CEO");
	is_int(lc_identifiable(&v, &verr), EX_DATAERR, "a title alone: refused");
	lead_set(&v, LT_PHONE, "555-0100");
	is_int(lc_identifiable(&v, &verr), 0, "a phone alone: accepted");
	lead_free(&v);

	/* a status by hand restarts the idle clock */
	int64_t id = fixture_lead(db, "a@x.com");
	struct lead l;
	is_int(db_lead_by_id(db, id, &l, &err), 0, "read the lead");
	is_int(lc_inactive_at(cfg, &l), 1000 + 30 * 86400, "inactive 30d after creation");
	is_int(lc_set_status(&c, &l, "active", NULL), 0, "status active");
	is_int(l.i[LI_LAST_ACTIVITY_AT], 2000, "the idle clock restarts");
	is_int(lc_inactive_at(cfg, &l), 2000 + 30 * 86400, "inactive 30d after the status");
	is_int(lc_set_status(&c, &l, "sleepy", NULL), EX_USAGE, "an unknown status");

	/* a new owner: tasks not given by name follow, a mail is queued */
	int64_t t1 = add_task(db, id, NULL, false, NULL);
	int64_t t2 = add_task(db, id, "ben", true, NULL);
	lead_set(&l, LT_OWNER, "ana");
	is_int(lc_owner_changed(&c, &l, NULL, true), 0, "owner changed");
	struct task t = get(db, t1);
	is_str(t.owner, "ana", "an unowned task follows the new owner");
	task_free(&t);
	t = get(db, t2);
	is_str(t.owner, "ben", "a task given by name stays");
	task_free(&t);
	int64_t *ids;
	size_t n;
	is_int(db_outbox_due(db, 1 << 30, true, 0, &ids, &n, &err), 0, "outbox");
	is_int((long long)n, 1, "one mail");
	struct outbox_msg msg = { 0 };
	if (n && db_outbox_get(db, ids[0], &msg, &err) == 0) {
		is_str(msg.rcpt, "ana@example.com", "to the new owner");
		is_str(msg.kind, "assignment", "an assignment mail");
		outbox_msg_free(&msg);
	}
	free(ids);
	is_int(lc_owner_changed(&c, &l, "ana", true), 0, "the same owner again");
	is_int(db_outbox_due(db, 1 << 30, true, 0, &ids, &n, &err), 0, "outbox again");
	is_int((long long)n, 1, "no second mail for no change");
	free(ids);

	/* won: the open tasks are cancelled, kept */
	const struct stage *won = config_stage(cfg, "Closed Deal");
	is_int(lc_move(&c, &l, won, NULL), 0, "move to a won stage");
	t = get(db, t1);
	ok(t.cancelled_at == 2000 && t.done_at == 2000, "open task cancelled (and done)");
	task_free(&t);
	t = get(db, t2);
	ok(t.cancelled_at == 2000, "the task given by name too");
	task_free(&t);
	const struct stage *lost = config_stage(cfg, "Lost");
	is_int(lc_move(&c, &l, lost, NULL), EX_USAGE, "lost needs a reason");

	/* keep_open: a workflow's tasks survive the closing */
	int64_t id2 = fixture_lead(db, "b@x.com");
	struct lead l2;
	is_int(db_lead_by_id(db, id2, &l2, &err), 0, "second lead");
	int64_t k = add_task(db, id2, NULL, false, "keep");
	int64_t o = add_task(db, id2, NULL, false, "other");
	is_int(lc_set_status(&c, &l2, "unqualified", NULL), 0, "unqualified");
	t = get(db, k);
	ok(!t.done_at && !t.cancelled_at, "keep_open: still open");
	task_free(&t);
	t = get(db, o);
	ok(t.cancelled_at != 0, "another rule's task cancelled");
	task_free(&t);

	/* task reassign: given by name from then on */
	is_int(lc_task_reassign(&c, k, "ben"), 0, "reassign");
	t = get(db, k);
	ok(t.owner && strcmp(t.owner, "ben") == 0 && t.owner_given, "ben's, by name");
	task_free(&t);
	is_int(lc_task_reassign(&c, 999, "ben"), EX_NOINPUT, "no such task");

	/* merge: the plan fills, lists conflicts, flips with prefer_other; the
	 * apply moves tasks, keeps the alias, deletes OTHER */
	int64_t mk = fixture_lead(db, "keep@x.com"), mo = fixture_lead(db, "other@x.com");
	struct lead a, b;
	is_int(db_lead_by_id(db, mk, &a, &err), 0, "merge: KEEP");
	is_int(db_lead_by_id(db, mo, &b, &err), 0, "merge: OTHER");
	lead_set(&a, LT_COMPANY, "Acme");
	lead_set(&a, LT_EXTRA, "{\"plan\":\"gold\",\"n\":1}");
	lead_set(&b, LT_COMPANY, "Zed");
	lead_set(&b, LT_PHONE, "555-0100");
	lead_set(&b, LT_EXTRA, "{\"plan\":\"silver\",\"seats\":3,\"vip\":true}");
	lead_set_int(&b, LI_VALUE, 120000);
	lead_set_int(&b, LI_CREATED_AT, 500);
	is_int(db_lead_update(db, &a, &err) || db_lead_update(db, &b, &err), 0, "merge: saved");
	int64_t mt = add_task(db, mo, NULL, false, NULL);
	struct lead a2, b2;
	db_lead_by_id(db, mk, &a2, &err);
	db_lead_by_id(db, mo, &b2, &err);
	struct lc_merge mg;
	is_int(lc_merge_plan(&c, &a2, &b2, true, &mg), 0, "merge: plan, prefer other");
	is_str(mg.merged.t[LT_COMPANY], "Zed", "prefer other: OTHER wins the conflict");
	is_str(mg.merged.t[LT_EMAIL], "other@x.com", "prefer other: OTHER's address first");
	is_str(mg.alias_email, "keep@x.com", "KEEP's address second");
	lc_merge_free(&mg);
	db_lead_by_id(db, mk, &a2, &err);
	db_lead_by_id(db, mo, &b2, &err);
	is_int(lc_merge_plan(&c, &a2, &b2, false, &mg), 0, "merge: plan");
	is_str(mg.merged.t[LT_COMPANY], "Acme", "KEEP wins a conflict");
	is_str(mg.merged.t[LT_PHONE], "555-0100", "a field KEEP lacks is filled");
	is_int(mg.merged.i[LI_VALUE], 120000, "value filled");
	is_int(mg.merged.i[LI_CREATED_AT], 500, "known since the earlier");
	is_int((long long)mg.nconf, 2, "two conflicts: company, extra.plan");
	is_str(mg.nconf ? mg.conf[0].field : "", "company", "the first conflict");
	is_str(mg.merged.t[LT_EXTRA], "{\"plan\":\"gold\",\"n\":1,\"seats\":3,\"vip\":true}",
	       "custom fields merged, types kept");
	is_str(mg.alias_email, "other@x.com", "OTHER's address kept as a second");
	is_int(lc_merge_apply(&c, &mg), 0, "merge: apply");
	lc_merge_free(&mg);
	t = get(db, mt);
	is_int(t.lead_id, mk, "OTHER's task is KEEP's");
	task_free(&t);
	is_int(db_lead_by_id(db, mo, &b2, &err), EX_NOINPUT, "OTHER is gone");
	int64_t to = 0;
	is_int(db_lc_alias_find(db, "#2", &to, &err), 0, "#2 is no merged lead");
	char ref[32];
	snprintf(ref, sizeof ref, "%lld", (long long)mo);
	is_int(db_lc_alias_find(db, ref, &to, &err), 1, "OTHER's id is an alias");
	is_int(to, mk, "of KEEP");
	is_int(db_lc_alias_find(db, "Other@X.com", &to, &err), 1, "OTHER's address too");
	char *also = db_lc_alias_emails(db, mk);
	is_str(also, "other@x.com", "KEEP's second addresses");
	free(also);
	db_lead_by_id(db, mk, &a2, &err);
	db_lead_by_id(db, mk, &b2, &err);
	is_int(lc_merge_plan(&c, &a2, &b2, false, &mg), EX_USAGE, "a lead into itself");
	lc_merge_free(&mg);
	lead_free(&a);
	lead_free(&b);

	/* a new lead's defaults, one set for add and import */
	const struct stage *first = config_first_stage(cfg), *lost_st = config_stage(cfg, "lost");
	struct lead nl;
	lead_init(&nl);
	lead_set(&nl, LT_EMAIL, "new@x.com");
	lc_new_defaults(cfg, &nl, lost_st, 5000);
	is_str(nl.t[LT_STAGE], "lost", "defaults: the stage given");
	is_str(nl.t[LT_STATUS], "new", "defaults: status new");
	is_int(nl.i[LI_REACHED_POS], 0, "defaults: lost on arrival reached the top only");
	is_int(nl.i[LI_CREATED_AT], 5000, "defaults: created now");
	is_int(nl.i[LI_STAGE_ENTERED_AT], 5000, "defaults: entered the stage at creation");
	is_int(nl.i[LI_SCORE], 0, "defaults: score 0");
	ok(!nl.has[LI_ASSIGNED_AT], "defaults: no owner, no assigned_at");
	lead_free(&nl);
	lead_init(&nl);
	lead_set(&nl, LT_COMPANY, "Acme");
	lead_set(&nl, LT_OWNER, "ana");
	lead_set(&nl, LT_STATUS, "active");
	lead_set_int(&nl, LI_CREATED_AT, 100);
	lead_set_int(&nl, LI_UPDATED_AT, 9000);
	lead_set_int(&nl, LI_LAST_ACTIVITY_AT, 9000);
	lc_new_defaults(cfg, &nl, &cfg->stages[1], 5000);
	is_str(nl.t[LT_STATUS], "active", "defaults: a status given is kept");
	is_int(nl.i[LI_CREATED_AT], 100, "defaults: a creation time given is kept");
	is_int(nl.i[LI_UPDATED_AT], 5000, "defaults: updated never after now");
	ok(!nl.has[LI_LAST_ACTIVITY_AT], "defaults: last activity never after now");
	is_int(nl.i[LI_REACHED_POS], 1, "defaults: the stage's position reached");
	is_int(nl.i[LI_ASSIGNED_AT], 5000, "defaults: an owner is assigned now");
	lead_free(&nl);

	/* lc_create: the row, created and assigned in history */
	lead_init(&nl);
	lead_set(&nl, LT_EMAIL, "made@x.com");
	lead_set(&nl, LT_OWNER, "ben");
	is_int(lc_create(&c, &nl, first), 0, "create");
	ok(nl.i[LI_ID] > 0, "create: an id");
	is_int(events_of(db, nl.i[LI_ID], "created"), 1, "create: created in history");
	is_int(events_of(db, nl.i[LI_ID], "assigned"), 1, "create: assigned in history");
	lead_free(&nl);

	/* import: rows describe the past */
	struct hook_env h = { .db = db, .cfg = cfg, .now = 100 * 86400, .actor = "t", .err = &err };
	struct lc_import li;
	lc_import_begin(&li, &h, IMPORT_EVENTS_RECENT, 0);
	is_int(lc_import_quiet_before(&li), 93 * 86400, "import: quiet before now - 7d");
	ok(lc_import_engines(&li), "import: the engines run");
	lead_init(&nl);
	lead_set(&nl, LT_EMAIL, "old@x.com");
	lead_set_int(&nl, LI_CREATED_AT, 86400);
	lc_new_defaults(cfg, &nl, first, h.now);
	is_int(lc_import_new(&li, &nl), 0, "import: an old lead");
	int64_t old_id = nl.i[LI_ID];
	lead_free(&nl);
	lead_init(&nl);
	lead_set(&nl, LT_EMAIL, "fresh@x.com");
	lc_new_defaults(cfg, &nl, first, h.now);
	is_int(lc_import_new(&li, &nl), 0, "import: a new lead");
	lead_free(&nl);
	is_int((int)li.quiet, 1, "import: the old lead came quietly");
	is_int((int)li.fired, 1, "import: the new one went through the workflows");
	is_int(events_of(db, old_id, "created"), 0, "import: no created row (the batch says it)");

	/* --on-duplicate update: what changed, kept for --revert */
	lead_init(&nl);
	lead_set(&nl, LT_COMPANY, "Initech");
	lead_set(&nl, LT_OWNER, "ana");
	bool changed = false;
	is_int(lc_import_update(&li, old_id, &nl, 7, &changed), 0, "import update");
	ok(changed, "import update: changed");
	is_int(events_of(db, old_id, "import_update"), 1, "import update: in history");
	is_int(lc_import_update(&li, old_id, &nl, 8, &changed), 0, "import update again");
	ok(!changed, "import update again: nothing changed");
	is_int(events_of(db, old_id, "import_update"), 1, "import update again: no history");
	struct lead u;
	db_lead_by_id(db, old_id, &u, &err);
	is_str(u.t[LT_COMPANY], "Initech", "import update: the company");
	is_str(u.t[LT_OWNER], "ana", "import update: the owner");
	lead_free(&u);
	lead_free(&nl);

	lead_free(&l);
	lead_free(&l2);
	config_free(cfg);
	if (!fixture_close(db, dir))
		return 2;
	return done_testing();
}
