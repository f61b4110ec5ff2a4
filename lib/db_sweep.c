/* db_sweep.c - the queries of `leads sweep` (sweep.h). */
#include "sweep.h"

#include <stdlib.h>
#include <string.h>

#include "dbi.h"

int db_sweep_stage_idle(struct db *db, const char *stage, int64_t cutoff, struct sweep_idle **v,
                        size_t *n, struct lerr *err)
{
	/* since <= cutoff is both of its parts <= cutoff: leads_stage(stage,
	 * stage_entered_at, ...) gives the leads in the stage since before the
	 * cutoff by a range instead of every lead of the stage */
	struct dbst *st = db_prep(db,
	                          "SELECT id, CASE WHEN "
	                          "coalesce(last_activity_at, created_at) > stage_entered_at "
	                          "THEN coalesce(last_activity_at, created_at) "
	                          "ELSE stage_entered_at END FROM leads "
	                          "WHERE stage = ?1 AND stage_entered_at <= ?2 "
	                          "AND coalesce(last_activity_at, created_at) <= ?2 "
	                          "AND status <> 'unqualified' ORDER BY id",
	                          err);
	if (!st)
		return err->code;
	st_bind_text_static(st, 1, stage, -1);
	st_bind_int64(st, 2, cutoff);
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		*v = xgrow(*v, &cap, *n + 1, sizeof **v);
		(*v)[*n].id = st_col_int64(st, 0);
		(*v)[*n].since = st_col_int64(st, 1);
		(*n)++;
	}
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "find idle leads in a stage");
}

int db_sweep_last_reminder(struct db *db, int64_t lead_id, int64_t since, int64_t *n,
                           struct lerr *err)
{
	/* by events_lead: `kind || ''` keeps the planner off events_kind, which
	 * would read every reminder since `since` for each lead */
	struct dbst *st = db_prep(
	    db,
	    "SELECT coalesce(max(CAST(json_extract(data, '$.n') AS INTEGER)), 0) FROM events "
	    "WHERE lead_id = ?1 AND at >= ?2 AND kind || '' = 'reminder'",
	    err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	st_bind_int64(st, 2, since);
	int rc = st_step(st);
	if (rc == SQLITE_ROW)
		*n = st_col_int64(st, 0);
	st_reset(st);
	return rc == SQLITE_ROW ? 0 : db_fail(db, err, "read reminders");
}

int db_sweep_assigned(struct db *db, int64_t cutoff, struct sweep_assigned **v, size_t *n,
                      struct lerr *err)
{
	/* the terms of the partial index leads_unrouted, word for word (SQLite
	 * uses a partial index only when the query repeats its WHERE), then a
	 * range of it per status: the open leads untouched since their
	 * assignment and assigned before the cutoff */
	struct dbst *st =
	    db_prep(db,
	            "SELECT id, assigned_at, assigned_rule FROM leads "
	            "WHERE assigned_rule IS NOT NULL "
	            "AND (last_activity_at IS NULL OR last_activity_at < assigned_at) "
	            "AND status IN ('new', 'active') AND assigned_at <= ?1 ORDER BY id",
	            err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, cutoff);
	size_t cap = 0;
	*v = NULL;
	*n = 0;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		*v = xgrow(*v, &cap, *n + 1, sizeof **v);
		(*v)[*n].id = st_col_int64(st, 0);
		(*v)[*n].assigned_at = st_col_int64(st, 1);
		(*v)[*n].rule = db_col_text(st, 2);
		(*n)++;
	}
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "find leads to re-route");
}
