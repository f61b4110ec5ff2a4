/*
 * fixture.h - what the unit tests of the store and the lifecycle set up
 * the same way: a database in a directory of its own, removed at the
 * end, and a new lead in Prospecting inserted straight into the store.
 */
#ifndef LEADS_TEST_FIXTURE_H
#define LEADS_TEST_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

/*
 * A new database t.db in a new directory made from tmpl (ending in
 * XXXXXX, rewritten); NULL after a "Bail out!" line when that fails.
 */
static inline struct db *fixture_open(char *tmpl)
{
	if (!mkdtemp(tmpl)) {
		printf("Bail out! mkdtemp\n");
		return NULL;
	}
	char path[256];
	snprintf(path, sizeof path, "%s/t.db", tmpl);
	struct db *db;
	struct lerr err = { 0 };
	if (db_open(path, DB_CREATE, &db, &err) != 0) {
		printf("Bail out! %s\n", err.msg);
		return NULL;
	}
	return db;
}

/* Close the database and remove its directory: false if it stays. */
static inline bool fixture_close(struct db *db, const char *dir)
{
	db_close(db);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0;
}

#endif
