/*
 * test_seq.c - the storage of sequences (lib/sequence.h): db_seq_move, the
 * helper `leads merge` calls, moves a lead's runs to another lead and stops
 * a run of a name the other lead runs already; stop by lead and by name;
 * the mail flags every send checks.
 */
#include "tap.h"
#include "fixture.h"

#include "config.h"
#include "db.h"
#include "hooks.h"
#include "lead.h"
#include "sequence.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int64_t new_lead(struct db *db, const char *email)
{
	struct lead l;
	struct lerr err = { 0 };
	lead_init(&l);
	lead_set(&l, LT_EMAIL, email);
	lead_set(&l, LT_STAGE, "prospecting");
	lead_set(&l, LT_STATUS, "new");
	lead_set_int(&l, LI_CREATED_AT, 1);
	lead_set_int(&l, LI_UPDATED_AT, 1);
	lead_set_int(&l, LI_STAGE_ENTERED_AT, 1);
	lead_set_int(&l, LI_SCORE, 0);
	int64_t id = db_lead_insert(db, &l, &err) ? 0 : l.i[LI_ID];
	lead_free(&l);
	return id;
}

struct count {
	int running, stopped;
	char reason[32];
};

static int tally(const struct seq_row *r, void *p)
{
	struct count *c = p;
	if (r->stopped_at) {
		c->stopped++;
		snprintf(c->reason, sizeof c->reason, "%s", r->stop_reason ? r->stop_reason : "");
	} else if (!r->done_at)
		c->running++;
	return 0;
}

static struct count runs(struct db *db, int64_t lead)
{
	struct count c = { 0 };
	struct lerr err = { 0 };
	db_seq_list(db, lead, false, tally, &c, &err);
	return c;
}

int main(void)
{
	char dir[] = "/tmp/leads-seq-XXXXXX";
	struct db *db = fixture_open(dir);
	if (!db)
		return 2;
	struct lerr err = { 0 };
	hooks_register_config();
	static const char yaml[] = "sequences:\n"
	                           "  a:\n    steps: [{subject: s, body: b}]\n"
	                           "  b:\n    steps: [{subject: s, body: b}]\n";
	struct config *cfg = config_load_mem("t.yaml", yaml, sizeof yaml - 1);
	ok(cfg && !cfg->nerrors, "a config with two sequences");
	int64_t from = new_lead(db, "from@x.com"), to = new_lead(db, "to@x.com");
	ok(from && to, "two leads");
	struct lead lf, lt;
	db_lead_by_id(db, from, &lf, &err);
	db_lead_by_id(db, to, &lt, &err);
	int64_t id;
	is_int(seq_start(db, cfg, &lf, "a", 100, &id, &err), 0, "a on from");
	is_int(seq_start(db, cfg, &lf, "b", 100, &id, &err), 0, "b on from");
	is_int(seq_start(db, cfg, &lt, "a", 100, &id, &err), 0, "a on to");
	is_int(seq_start(db, cfg, &lt, "a", 100, &id, &err), 65, "a twice on to: 65");
	is_int(seq_start(db, cfg, &lt, "zz", 100, &id, &err), 64, "no such sequence: 64");

	is_int(db_seq_move(db, from, to, 200, &err), 0, "move from -> to");
	struct count c = runs(db, from);
	is_int(c.running + c.stopped, 0, "from has no runs left");
	c = runs(db, to);
	is_int(c.running, 2, "to runs a (its own) and b (moved)");
	is_int(c.stopped, 1, "from's a stopped");
	is_str(c.reason, "merged", "as merged");

	int n = 0;
	is_int(db_seq_stop_lead(db, to, "b", "test", 300, &n, &err), 0, "stop b by name");
	is_int(n, 1, "one stopped");
	is_int(db_seq_stop_lead(db, to, NULL, "test", 300, &n, &err), 0, "stop the rest");
	is_int(n, 1, "the other one");
	is_int(runs(db, to).running, 0, "none running");

	is_int(seq_send_check(db, to, &err), 0, "mail allowed by default");
	is_int(db_mail_do_not_email(db, to, true, 400, &err), 0, "do_not_email on");
	is_int(seq_send_check(db, to, &err), 65, "refused");
	is_int(db_mail_do_not_email(db, to, false, 400, &err), 0, "do_not_email off");
	is_int(seq_send_check(db, to, &err), 0, "allowed again");
	is_int(db_mail_bounced(db, to, "5.1.1", 500, &err), 0, "bounced");
	is_int(seq_send_check(db, to, &err), 65, "refused: bounced");

	lead_free(&lf);
	lead_free(&lt);
	config_free(cfg);
	if (!fixture_close(db, dir))
		return 2;
	return done_testing();
}
