/*
 * db_lookup.c - finding a lead by what a person remembers of it: a part of
 * the name, the company or the email (db_lead_lookup in db.h).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "dbi.h"

#define LOOKUP_LIKE                                                                                \
	"(lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) LIKE ?1 ESCAPE '\\' "  \
	"OR lower(company) LIKE ?1 ESCAPE '\\' OR lower(email) LIKE ?1 ESCAPE '\\')"

/* The leads of sql (?1 the LIKE pattern, ?2 the limit, ?3 the text query). */
static int lookup_run(struct db *db, const char *sql, const char *pat, const char *tq, int64_t *ids,
                      int max, int *n, struct lerr *err)
{
	*n = 0;
	struct dbst *st = db_prep(db, sql, err);
	if (!st)
		return err->code;
	st_bind_text(st, 1, pat, -1);
	st_bind_int64(st, 2, max);
	if (tq)
		st_bind_text(st, 3, tq, -1);
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = st_col_int64(st, 0);
	st_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(db, err, "look up a lead");
	return 0;
}

int db_lead_lookup(struct db *db, const char *text, int64_t *ids, int max, int *n, struct lerr *err)
{
	struct sb pat = SB_INIT;
	sb_addc(&pat, '%');
	for (const char *p = text; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			sb_addc(&pat, '\\');
		sb_addc(&pat, (char)tolower((unsigned char)*p));
	}
	sb_addc(&pat, '%');
	/* first the leads whose words start with the words of text, through the
	 * full-text index (fast at any size); only when there are none, every
	 * lead's name, company and email for text anywhere in them (a scan) */
	char *tq = db_fts_stale(db) ? NULL : db_text_query(db, text);
	int rc = 0;
	*n = 0;
	if (tq)
		rc = lookup_run(
		    db,
		    db->pg ? "SELECT id FROM leads WHERE leads_text(first_name, last_name, "
		             "company, email, phone, title, extra) @@ to_tsquery('simple', "
		             "?3) AND " LOOKUP_LIKE " ORDER BY id LIMIT ?2"
		           : "SELECT id FROM lead_fts CROSS JOIN leads ON leads.id = "
		             "lead_fts.rowid WHERE lead_fts MATCH ?3 AND " LOOKUP_LIKE
		             " ORDER BY lead_fts.rowid LIMIT ?2",
		    pat.buf, tq, ids, max, n, err);
	if (!rc && *n == 0)
		rc = lookup_run(db,
		                "SELECT id FROM leads WHERE " LOOKUP_LIKE " ORDER BY id LIMIT ?2",
		                pat.buf, NULL, ids, max, n, err);
	free(tq);
	sb_free(&pat);
	return rc;
}

int db_lead_distinct(struct db *db, const char *col, char ***v, size_t *n, struct lerr *err)
{
	*v = NULL;
	*n = 0;
	/* the column is one of two constants, never the caller's text */
	bool owner = strcmp(col, "owner") == 0;
	struct dbst *st = db_prep(
	    db,
	    owner ? "SELECT DISTINCT owner FROM leads WHERE owner IS NOT NULL ORDER BY owner"
	          : "SELECT DISTINCT source FROM leads WHERE source IS NOT NULL ORDER BY source",
	    err);
	if (!st)
		return err->code;
	size_t cap = 0;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		if (*n + 1 >= cap) {
			cap = cap ? 2 * cap : 16;
			*v = xrealloc(*v, cap * sizeof **v);
		}
		(*v)[(*n)++] = db_col_text(st, 0);
		(*v)[*n] = NULL;
	}
	st_reset(st);
	if (rc != SQLITE_DONE) {
		strv_free(*v, *n);
		*v = NULL;
		*n = 0;
		return db_fail(db, err, "list the sources");
	}
	return 0;
}

int db_lead_owner_exact(struct db *db, const char *owner, char **out, struct lerr *err)
{
	*out = NULL;
	struct dbst *st =
	    db_prep(db, "SELECT owner FROM leads WHERE owner = ?1 COLLATE NOCASE LIMIT 1", err);
	if (!st)
		return err->code;
	db_bind_text(st, 1, owner);
	int rc = st_step(st);
	if (rc == SQLITE_ROW)
		*out = db_col_text(st, 0);
	st_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, err, "look up an owner");
}

static char *text_query(struct db *db, const char *text, bool any)
{
	/* words: runs of ASCII letters and digits and of any non-ASCII bytes */
	struct sb q = SB_INIT;
	int n = 0;
	for (const unsigned char *p = (const unsigned char *)text; *p;) {
		size_t len = 0;
		while (p[len] && (isalnum(p[len]) || p[len] >= 0x80))
			len++;
		if (!len) {
			p++;
			continue;
		}
		if (n++)
			sb_adds(&q, db->pg ? any ? " | " : " & " : any ? " OR " : " ");
		sb_addc(&q, db->pg ? '\'' : '"');
		for (size_t i = 0; i < len; i++)
			sb_addc(&q, (char)tolower(p[i]));
		sb_adds(&q, db->pg ? "':*" : "\"*");
		p += len;
	}
	if (!n) {
		sb_free(&q);
		return NULL;
	}
	return sb_detach(&q);
}

char *db_text_query(struct db *db, const char *text)
{
	return text_query(db, text, false);
}

char *db_text_query_any(struct db *db, const char *text)
{
	return text_query(db, text, true);
}

const char *db_text_clause(struct db *db)
{
	/* PostgreSQL: the leads with any word in their fields or notes (the GIN
	 * indexes, ?13), then every word in the two together (?12) */
	if (db->pg)
		return " AND id IN (SELECT l.id FROM leads l WHERE l.id IN (SELECT id FROM leads "
		       "WHERE leads_text(first_name, last_name, company, email, phone, title, "
		       "extra) @@ to_tsquery('simple', ?13) UNION SELECT lead_id FROM events WHERE "
		       "kind IN ('note', 'call', 'email', 'meeting', 'meeting_scheduled') AND "
		       "leads_note_text(data) @@ to_tsquery('simple', ?13)) AND "
		       "(leads_text(l.first_name, l.last_name, l.company, l.email, l.phone, "
		       "l.title, l.extra) || to_tsvector('simple', coalesce((SELECT "
		       "string_agg(e.data::json ->> 'text', ' ') FROM events e WHERE e.lead_id = "
		       "l.id AND e.kind IN ('note', 'call', 'email', 'meeting', "
		       "'meeting_scheduled')), ''))) @@ to_tsquery('simple', ?12))";
	return " AND id IN (SELECT rowid FROM lead_fts WHERE lead_fts MATCH ?12)";
}
