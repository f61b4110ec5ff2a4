/*
 * db_lookup.c - finding a lead by what a person remembers of it: a part of
 * the name, the company or the email (db_lead_lookup in db.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dbi.h"

int db_lead_lookup(struct db *db, const char *text, int64_t *ids, int max, int *n, struct lerr *err)
{
	*n = 0;
	struct dbst *st =
	    db_prep(db,
	            "SELECT id FROM leads WHERE lower(coalesce(first_name, '') || ' ' "
	            "|| coalesce(last_name, '')) LIKE ?1 ESCAPE '\\' OR "
	            "lower(company) LIKE ?1 ESCAPE '\\' OR lower(email) LIKE ?1 "
	            "ESCAPE '\\' ORDER BY id LIMIT ?2",
	            err);
	if (!st)
		return err->code;
	struct sb pat = SB_INIT;
	sb_addc(&pat, '%');
	for (const char *p = text; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			sb_addc(&pat, '\\');
		sb_addc(&pat, (char)tolower((unsigned char)*p));
	}
	sb_addc(&pat, '%');
	st_bind_text(st, 1, pat.buf, -1);
	st_bind_int64(st, 2, max);
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = st_col_int64(st, 0);
	st_reset(st);
	sb_free(&pat);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(db, err, "look up a lead");
	return 0;
}
