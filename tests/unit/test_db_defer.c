/*
 * test_db_defer.c - db_events_defer(): history rows kept and written 32
 * at a time are the rows, in the order and with the ids, that writing
 * each at once gives; any other statement sees them; a rollback forgets
 * them.
 */
#include "tap.h"
#include "fixture.h"

#include "db.h"
#include "lead.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct seen {
	int n;
	int64_t last_id;
	bool ordered;
	char to[8];
};

static int count(const struct event *ev, void *ctx)
{
	struct seen *s = ctx;
	s->ordered = s->ordered && ev->id > s->last_id;
	s->last_id = ev->id;
	snprintf(s->to, sizeof s->to, "%s", ev->to ? ev->to : "-");
	s->n++;
	return 0;
}

static struct seen history(struct db *db, int64_t lead)
{
	struct seen s = { .ordered = true };
	struct lerr err = { 0 };
	db_events_for(db, lead, count, &s, &err);
	return s;
}

static int add(struct db *db, int64_t lead, int i)
{
	char to[8];
	snprintf(to, sizeof to, "m%d", i);
	struct event ev = { .lead_id = lead,
		            .at = 1000 + i,
		            .actor = "t",
		            .kind = "assigned",
		            .from = i % 2 ? NULL : "x",
		            .to = to,
		            .data = "{\"rule\":\"r\"}" };
	struct lerr err = { 0 };
	return db_event_add(db, &ev, &err);
}

int main(void)
{
	char dir[] = "/tmp/leads-defer-XXXXXX";
	struct db *db = fixture_open(dir);
	if (!db)
		return 2;
	struct lerr err = { 0 };
	struct lead l;
	lead_init(&l);
	lead_set(&l, LT_EMAIL, "a@x.com");
	lead_set(&l, LT_STAGE, "prospecting");
	lead_set(&l, LT_STATUS, "new");
	lead_set_int(&l, LI_CREATED_AT, 1);
	lead_set_int(&l, LI_UPDATED_AT, 1);
	lead_set_int(&l, LI_STAGE_ENTERED_AT, 1);
	lead_set_int(&l, LI_SCORE, 0);
	if (!is_int(db_lead_insert(db, &l, &err), 0, "a lead"))
		printf("# %s\n", err.msg);
	int64_t id = l.i[LI_ID];

	is_int(db_begin(db, &err), 0, "begin");
	is_int(db_events_defer(db, true, &err), 0, "defer on");
	int rc = 0;
	for (int i = 0; i < 70; i++)
		rc |= add(db, id, i);
	is_int(rc, 0, "70 rows kept");
	/* a read writes them first: two chunks of 32 and 6 one by one */
	struct seen s = history(db, id);
	is_int(s.n, 70, "a read sees all 70");
	ok(s.ordered, "in the order they were added");
	is_str(s.to, "m69", "the last one last");
	for (int i = 70; i < 75; i++)
		rc |= add(db, id, i);
	db_rollback(db);
	is_int(history(db, id).n, 0, "a rollback forgets written and kept rows");

	is_int(db_begin(db, &err), 0, "begin again");
	is_int(db_events_defer(db, true, &err), 0, "defer on");
	for (int i = 0; i < 40; i++)
		rc |= add(db, id, i);
	is_int(db_commit(db, &err), 0, "the commit writes the rest");
	s = history(db, id);
	is_int(s.n, 40, "40 rows after the commit");
	ok(s.ordered, "in order");
	/* no longer deferred: a row is written at once */
	is_int(add(db, id, 99), 0, "one more, outside the transaction");
	is_int(history(db, id).n, 41, "written at once");

	lead_free(&l);
	if (!fixture_close(db, dir))
		return 2;
	return done_testing();
}
