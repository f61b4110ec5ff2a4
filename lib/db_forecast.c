/*
 * db_forecast.c - the storage side of `report forecast` (lib/forecast.h)
 * and `config graph` (lib/graph.h): plain scans, handed to C row by row.
 *
 *   leads  SELECT owner, stage, ... FROM leads              SCAN leads
 *   stays  SELECT ... FROM stays s JOIN leads l ON l.id = s.lead_id
 *          SCAN s, SEARCH l USING INTEGER PRIMARY KEY (rowid=?)
 *   moves  SELECT kind, from_val, to_val, count(*) FROM events WHERE kind IN
 *          ('created', 'moved') GROUP BY ...
 *          SEARCH events USING INDEX events_kind (kind=?)
 */
#include "dbi.h"
#include "forecast.h"
#include "graph.h"

int db_forecast_leads(struct db *db, void (*fn)(const struct fc_lead_row *r, void *ctx), void *ctx,
                      struct lerr *err)
{
	struct dbst *st = db_prepare_once(db,
	                                  "SELECT owner, stage, status, value, stage_entered_at, "
	                                  "close_date, reached_pos, category FROM leads",
	                                  err);
	if (!st)
		return err->code;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		struct fc_lead_row r = {
			.owner = st_col_text(st, 0),
			.stage = st_col_text(st, 1),
			.status = st_col_text(st, 2),
			.has_value = st_col_type(st, 3) != SQLITE_NULL,
			.value = st_col_int64(st, 3),
			.entered = st_col_int64(st, 4),
			.close_date = st_col_text(st, 5),
			.reached = st_col_type(st, 6) == SQLITE_NULL ? -1 : st_col_int64(st, 6),
			.category = st_col_text(st, 7),
		};
		fn(&r, ctx);
	}
	st_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "read the leads");
	return 0;
}

int db_forecast_stays(struct db *db,
                      void (*fn)(const char *stage, int64_t entered, const char *now_stage,
                                 int64_t now_entered, void *ctx),
                      void *ctx, struct lerr *err)
{
	struct dbst *st = db_prepare_once(db,
	                                  "SELECT s.stage, s.entered_at, l.stage, "
	                                  "l.stage_entered_at FROM stays s JOIN leads l ON "
	                                  "l.id = s.lead_id",
	                                  err);
	if (!st)
		return err->code;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW)
		fn(st_col_text(st, 0), st_col_int64(st, 1), st_col_text(st, 2), st_col_int64(st, 3),
		   ctx);
	st_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "read the stays");
	return 0;
}

int db_graph_moves(struct db *db,
                   void (*fn)(bool moved, const char *from, const char *to, int64_t n, void *ctx),
                   void *ctx, struct lerr *err)
{
	struct dbst *st = db_prepare_once(db,
	                                  "SELECT kind, from_val, to_val, count(*) FROM events "
	                                  "WHERE kind IN ('created', 'moved') GROUP BY kind, "
	                                  "from_val, to_val",
	                                  err);
	if (!st)
		return err->code;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		const char *kind = st_col_text(st, 0);
		fn(kind && kind[0] == 'm', st_col_text(st, 1), st_col_text(st, 2),
		   st_col_int64(st, 3), ctx);
	}
	st_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "read the history");
	return 0;
}
