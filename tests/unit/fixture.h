/*
 * fixture.h - what several unit tests of the lifecycle set up the same
 * way: a new lead in Prospecting, inserted straight into the store.
 */
#ifndef LEADS_TEST_FIXTURE_H
#define LEADS_TEST_FIXTURE_H

#include <stdint.h>

#include "db.h"
#include "lead.h"
#include "tap.h"

/* A lead with this email, new, in prospecting, created at t=1000: its id. */
static inline int64_t fixture_lead(struct db *db, const char *email)
{
	struct lead l;
	lead_init(&l);
	lead_set(&l, LT_EMAIL, email);
	lead_set(&l, LT_STAGE, "prospecting");
	lead_set(&l, LT_STATUS, "new");
	lead_set_int(&l, LI_CREATED_AT, 1000);
	lead_set_int(&l, LI_UPDATED_AT, 1000);
	lead_set_int(&l, LI_STAGE_ENTERED_AT, 1000);
	lead_set_int(&l, LI_SCORE, 0);
	struct lerr err = { 0 };
	if (db_lead_insert(db, &l, &err))
		diag("insert: %s", err.msg);
	int64_t id = l.i[LI_ID];
	lead_free(&l);
	return id;
}

#endif
