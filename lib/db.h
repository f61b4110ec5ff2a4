/*
 * db.h - the storage layer: the only code in leads that speaks SQL.
 *
 * One SQLite file in WAL mode with foreign keys and a busy timeout.
 * Every writing command runs inside one BEGIN IMMEDIATE transaction
 * (db_begin/db_commit), so a crash leaves the file as it was before the
 * command or after it. SQL text is constant: user data is only ever bound
 * as parameters. Statements are prepared once and cached (enum stmt_id).
 *
 * Errors: SQLITE_BUSY/LOCKED past the timeout -> EX_TEMPFAIL ("database
 * busy"), a file that cannot be opened -> EX_NOINPUT/EX_IOERR, a constraint
 * violation -> EX_DATAERR, anything else -> EX_SOFTWARE.
 */
#ifndef LEADS_DB_H
#define LEADS_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "lead.h"
#include "util.h"

struct db;

enum db_open_flags {
	DB_READONLY = 1 << 0,   /* read-only commands: never create or migrate */
	DB_CREATE = 1 << 1,     /* create the file (and its directory) if missing */
	DB_EMPTY_OK = 1 << 2,   /* init: an existing 0-byte file becomes the database */
	DB__IMMUTABLE = 1 << 3, /* internal: the read-only fallback (db_open) */
};

/* The SQLite library version, for --version. */
const char *db_sqlite_version(void);

/* Schema version this build writes (PRAGMA user_version). */
int db_schema_version(void);

/*
 * Open (and with a writing command, create or upgrade) the database.
 * DB_READONLY never writes: a file at an older schema version is refused
 * (75, naming 'leads init'), and a WAL file whose -shm cannot be made (a
 * read-only directory, another user's file) is read as immutable. A 0-byte
 * file is a database only to DB_EMPTY_OK (init); 65 otherwise.
 */
int db_open(const char *path, int flags, struct db **out, struct lerr *err);
/* The ownership rule of the config (file_untrusted) for a database file:
 * NULL for a server, a missing file or a file that keeps the rule. */
const char *db_file_untrusted(const char *path, char *buf, size_t n, const char **fix);
void db_close(struct db *db);
const char *db_path(const struct db *db);
/* A PostgreSQL server, not a file? */
bool db_is_server(const struct db *db);

/* Transactions: BEGIN IMMEDIATE, so a writer waits for the lock up front. */
int db_begin(struct db *db, struct lerr *err);
int db_commit(struct db *db, struct lerr *err);
void db_rollback(struct db *db);

/*
 * Bulk loading (import, lib/import.c: import_run drives these). Before
 * the transaction, db_bulk_prepare() starts a bulk session, an opaque
 * handle the importer holds until db_bulk_finish(): on SQLite, a
 * database whose leads table is empty is switched to a rollback journal
 * (one huge transaction through WAL costs seconds of extra writes, while
 * a rollback journal of an empty file holds almost nothing) and foreign
 * keys go off for the load. Inside the transaction, db_bulk_begin() drops
 * the secondary indexes of leads if the table is still empty;
 * db_bulk_end() builds them again from their saved SQL, faster than
 * keeping them up to date row by row, and checks every foreign key once
 * (EX_SOFTWARE if one is broken: the caller rolls back).
 * db_bulk_finish() returns to WAL and foreign keys after the commit or
 * rollback and frees the session. A crash at any point rolls back to the
 * empty database with every index in place. On PostgreSQL a bulk load is
 * a COPY (lib/db_load.c), with every index kept, into a table empty or not.
 */
struct db_bulk;
struct db_bulk *db_bulk_prepare(struct db *db);
/*
 * all: drop the indexes that find duplicates too (the caller then removes
 * duplicates itself before db_bulk_end(), see db_import_dedupe()).
 * bytes: the file's size, 0 if unknown. *bulk says whether the load is a
 * bulk one (SQLite: the table was empty and the indexes were dropped;
 * PostgreSQL: all, a COPY, into an empty table or a file big beside it).
 */
int db_bulk_begin(struct db_bulk *b, bool all, uint64_t bytes, bool *bulk, struct lerr *err);
int db_bulk_end(struct db_bulk *b, struct lerr *err);
/* After the commit or rollback; NULL is a no-op. */
void db_bulk_finish(struct db_bulk *b);

/*
 * Keep the stages table in step with the config (key, name, position,
 * group), so history keyed by stage survives renames and reorders.
 * Call inside a write transaction; cheap when nothing changed.
 */
int db_sync_stages(struct db *db, const struct config *cfg, struct lerr *err);

/* Name a stage key had when last seen in a config (for stages since removed). */
char *db_stage_name(struct db *db, const char *key);
/*
 * Read every stage's name once, for db_stage_name to answer from memory
 * from now on (for a walk over streamed leads, which can run no other
 * statement). A later db_sync_stages reads them again when asked.
 */
int db_stage_names_load(struct db *db, struct lerr *err);

/* --- leads --- */

/* Insert l (id ignored); sets l->i[LI_ID]. Duplicate email -> EX_DATAERR. */
int db_lead_insert(struct db *db, struct lead *l, struct lerr *err);
/* Insert l with the id it has (a bulk import hands them out, db_import_ids). */
int db_lead_insert_id(struct db *db, const struct lead *l, struct lerr *err);
/*
 * Insert n new leads in order (a bulk import's block): as db_lead_insert,
 * but their ids are not read back. In a bulk load on SQLite, 16 to a
 * statement (a statement a row costs a fifth more); else one by one.
 * *done: leads stored before an error.
 */
int db_leads_insert(struct db *db, struct lead *v, size_t n, size_t *done, struct lerr *err);
/* Write every field of l back (by id). */
int db_lead_update(struct db *db, const struct lead *l, struct lerr *err);
/*
 * Write back only the fields of l that differ from before (l as it was
 * read): an UPDATE rewrites every index of a column it assigns, and leads
 * has six. For loops over many leads (lib/db_route.c).
 */
int db_lead_save(struct db *db, const struct lead *before, const struct lead *l, struct lerr *err);
/*
 * Find a lead by reference: a number is an id, anything with '@' an email
 * (case-insensitive). Not found -> EX_NOINPUT "no lead matches 'REF'".
 */
int db_lead_find(struct db *db, const char *ref, struct lead *out, struct lerr *err);
int db_lead_by_id(struct db *db, int64_t id, struct lead *out, struct lerr *err);
/*
 * The ids (at most max, ascending) of the leads whose name, company or email
 * contains text, case-insensitively (ASCII). Those whose words start with
 * the words of text are found through the full-text index; only when there
 * are none is every lead scanned for text inside a word. *n = how many.
 */
int db_lead_lookup(struct db *db, const char *text, int64_t *ids, int max, int *n,
                   struct lerr *err);
/*
 * The full-text query for the words of text (`leads list TEXT`): each word a
 * prefix, all of them required. NULL when text has no letter or digit.
 */
char *db_text_query(struct db *db, const char *text);
/* The same with any word enough (PostgreSQL's candidates, bound to ?13). */
char *db_text_query_any(struct db *db, const char *text);
/* " AND id IN (...)": the leads matching the full-text query bound to ?12. */
const char *db_text_clause(struct db *db);
/*
 * A bulk import into an empty SQLite database leaves the full-text index
 * to be filled later (db_fts_fill, run by the sweep): until then it is
 * stale, and list TEXT and the lookup of a lead by a fragment scan the
 * leads instead. Never on PostgreSQL.
 */
bool db_fts_stale(struct db *db);
/* Fill a stale index (in the caller's transaction); *filled says it did. */
int db_fts_fill(struct db *db, bool *filled, struct lerr *err);

/* The distinct values of column "source" or "owner" of the leads, sorted
 * (strv_free them). */
int db_lead_distinct(struct db *db, const char *col, char ***v, size_t *n, struct lerr *err);
/* An owner some lead has, the case aside (by the owner index): *out as
 * stored, or NULL when none has it. */
int db_lead_owner_exact(struct db *db, const char *owner, char **out, struct lerr *err);
/* 1 if found (id in *id), 0 if not. */
int db_lead_id_by_email(struct db *db, const char *email, int64_t *id, struct lerr *err);
int64_t db_lead_count(struct db *db);

struct lead_filter {
	const char *stages_json; /* JSON array of stage keys, or NULL */
	const char *stage;       /* the one key when stages_json holds one: an equality
	                            that the index leads_stage_id serves in id order */
	const char *status;
	const char *owner; /* "-" or "" = unassigned */
	const char *source;
	const char *search; /* substring of name, email, company, ... */
	const char *text;   /* words of name, company, email, phone, notes, ... (full text) */
	int64_t created_since, created_until;   /* 0 = open */
	int64_t activity_since, activity_until; /* last activity */
	int64_t min_score;
	bool has_min_score;
	const char *sort; /* a lead field name, or "name" (last, first); NULL = id */
	/* a JSON array: sort by the place of the sort field's value in it
	 * (priority, stage: an order by meaning); values not in it go last */
	const char *sort_order_json;
	bool desc;
	int64_t limit; /* 0 = all */
	bool stream;   /* fn runs no statement: on PostgreSQL the rows come as
	                  they are sent, not all at once (see st_stream) */
};

/* Call fn for each matching lead in order; a non-zero return stops. */
typedef int (*db_lead_fn)(const struct lead *l, void *ctx);
/* A lead's duplicate keys: email (the rest NULL) or external id and source. */
typedef void (*db_key_fn)(void *ctx, const char *email, const char *ext_id, const char *ext_source);
int db_lead_query(struct db *db, const struct lead_filter *f, db_lead_fn fn, void *ctx,
                  struct lerr *err);

/* Leads per stage key (including keys no longer in the config). */
typedef void (*db_count_fn)(const char *key, int64_t n, void *ctx);
int db_stage_counts(struct db *db, db_count_fn fn, void *ctx, struct lerr *err);

/* --- history --- */

struct event {
	int64_t id, lead_id, at;
	const char *actor, *kind, *from, *to, *data; /* data: JSON or NULL */
};
int db_event_add(struct db *db, const struct event *ev, struct lerr *err);
/*
 * For bulk commands inside their transaction (route --all: an "assigned"
 * row per lead). While on, db_event_add() keeps the rows and writes them
 * 32 at a time with one statement, which costs a fifth less than a
 * statement per row. Any other statement (db_prep, db_exec, the commit)
 * writes what is kept first, saving a lead's columns excepted (it never
 * reads history): nothing can see the history without them, and every
 * row gets the id it would have had. Off writes the rest; a rollback
 * forgets them. A failed write fails the commit.
 */
int db_events_defer(struct db *db, bool on, struct lerr *err);
typedef int (*db_event_fn)(const struct event *ev, void *ctx);
int db_events_for(struct db *db, int64_t lead_id, db_event_fn fn, void *ctx, struct lerr *err);

/* --- small state --- */
char *db_state_get(struct db *db, const char *key); /* NULL if unset */
int db_state_set(struct db *db, const char *key, const char *value, struct lerr *err);

/*
 * JSON text, read and written with jansson (lib/db_json.c) on both
 * backends; db is not used. Walk one JSON object's members:
 * fn(key, value-as-text, json-type) where type is "text",
 * "integer", "real", "true", "false", "null", "object" or "array"
 * (true is "1", false "0", null a NULL value, an object or array its
 * compact text). Invalid JSON or not an object -> EX_DATAERR (the message
 * starts "invalid JSON" or "expected"), and so is a key or string
 * that is not text once decoded ("\u0000", an unpaired "\ud800"): the
 * callback only ever sees valid UTF-8 C strings.
 */
typedef int (*db_json_fn)(const char *key, const char *value, const char *type, void *ctx);
int db_json_object_each(struct db *db, const char *json, db_json_fn fn, void *ctx,
                        struct lerr *err);
/* One key of a JSON object text as text, NULL if absent, null or not an object. */
char *db_json_get(struct db *db, const char *json, const char *key);
/* A JSON object? */
bool db_json_valid(struct db *db, const char *json);
/* RFC 7396 merge of patch into a JSON object text (NULL = {}); new text,
 * NULL if either is malformed (or patch is NULL). */
char *db_json_patch(struct db *db, const char *json, const char *patch);
/* Set or remove (value NULL) one key of a JSON object text; returns new
 * text, NULL when no key is left or json is malformed. */
char *db_json_set(struct db *db, const char *json, const char *key, const char *value);

/* --- copying a whole database (leads db copy) --- */

/* stages, imports, leads, events, stays, stay_hist, tasks, outbox, state, scores,
 * lead_aliases, sequences, mail_flags */
#define DB_COPY_NTABLES 13

/* One table of a copy: rows copied, and each side read back after it. */
struct db_copy_table {
	const char *name;
	int64_t copied;
	int64_t src_rows, dst_rows;
	uint64_t src_sum, dst_sum; /* 64-bit FNV-1a of the rows in primary-key order */
};
typedef void (*db_copy_report_fn)(const struct db_copy_table *t, void *ctx);
/*
 * Copy every row of every table of from (opened read-only) into to, ids
 * and all, in one transaction on to; then read both back in primary-key
 * order and compare row counts and checksums per table. Commits only when
 * every table is the same; otherwise rolls back and returns EX_SOFTWARE,
 * so a failure of any kind leaves to as it was. A target holding leads,
 * events, tasks, outbox messages, imports, state or named scores is
 * refused (EX_CANTCREAT) unless force, which empties it first inside the
 * same transaction. fn gets each table (parents first) after a commit, and
 * also when the checksums differ.
 */
int db_copy(struct db *from, struct db *to, bool force, db_copy_report_fn fn, void *ctx,
            struct lerr *err);

#endif
