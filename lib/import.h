/*
 * import.h - `leads import`: a CSV export of another CRM into leads.
 *
 * The engine reads with lib/csv.h, maps with lib/imap.h and writes the
 * leads through the lifecycle (lib/lifecycle.h: lc_import_*), all inside
 * the one transaction import_run() opens (BEGIN IMMEDIATE) and commits:
 * an interrupted import leaves the database as before. It never prints;
 * the caller gets rejected rows and progress through callbacks and a
 * summary in struct import_stats.
 */
#ifndef LEADS_IMPORT_H
#define LEADS_IMPORT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "csv.h"
#include "db.h"
#include "hooks.h"
#include "imap.h"
#include "lifecycle.h"

enum import_dup { DUP_SKIP, DUP_UPDATE, DUP_ERROR };

/* Which imported rows fire workflows (--events): enum import_events, lib/lifecycle.h. */

/* What identifies a duplicate, tried in the order given (--match). */
enum import_match { MATCH_EMAIL, MATCH_EXT_ID, MATCH_PHONE, MATCH_NAME_COMPANY };
#define IMPORT_MAX_MATCH 4

struct import_opts {
	const char *file; /* as given, for messages and the batch record ("-" = stdin) */
	int fd;           /* seekable: the caller spools a pipe to a file first */
	struct csv_opts csv;
	const char *preset;      /* NULL = detect */
	const char *const *maps; /* --map specs, NULL-terminated or NULL */
	const char *map_file_text, *map_file_name;
	const char *const *ignores;
	const char *stage_map, *status_map;
	/* --date-format, NULL-terminated or NULL (detect per column): FMT for
	 * every date column or COL=FMT; FMT a name or a strftime-style pattern */
	const char *const *date_formats;
	const char *timezone; /* zone of the file's times without one; NULL: UTC */
	/* --owner-map: the path of a CSV of old,new owner names (new: a team
	 * member, or "-" for none); its entries override the config's
	 * import.owners */
	const char *owner_map;
	const struct tz *tz; /* without --timezone: the config's zone; NULL = UTC */
	enum import_match match[IMPORT_MAX_MATCH];
	int nmatch;
	enum import_dup on_dup;
	bool only_update;
	bool strict;
	enum import_events events;
	struct hook_env *hooks; /* db, cfg, now, actor, no_route, no_events */
	/*
	 * Set by import_run: bulk mode (import_bulk_ok() and db_bulk_begin(all)
	 * dropped every index): rows go in without duplicate lookups, duplicates are removed
	 * after the load exactly as the row-by-row rule would have (the first
	 * row wins), then the engines see the survivors in file order.
	 */
	bool bulk;
	bool extra_json; /* set by import_run: a column holds a JSON object to check */
	/* Set by a signal handler: stop at the next row, the caller rolls back. */
	volatile sig_atomic_t *stop;
	/* Called for each rejected row: line, reason, the original cells. */
	void (*reject)(void *ctx, uint64_t line, const char *reason, const char *const *cells,
	               size_t n);
	/* Called once with the header row as read (for the rejects file). */
	void (*header)(void *ctx, const char *const *cells, size_t n);
	/* Called with remarks about the header ("duplicate column 'Email' renamed 'Email_2'"). */
	void (*notice)(void *ctx, const char *msg);
	/* Called now and then with bytes read so far. */
	void (*progress)(void *ctx, uint64_t bytes, uint64_t rows);
	/* Called last before the commit (not for a dry run): nonzero with err
	 * set rolls the import back (the rejects file must be on disk first). */
	int (*before_commit)(void *ctx, struct lerr *err);
	void *ctx;
};

struct import_stats {
	int64_t batch;
	uint64_t read, inserted, updated, dup_skipped, rejected, not_found, footer, warnings;
	uint64_t events_fired; /* new leads that went through the workflows */
	uint64_t events_quiet; /* new leads imported quietly (--events) */
	char first_warning[512];
	char preset[32];
	/* owners in the file that name no team member and no --owner-map or
	 * import.owners entry: each distinct name once, in file order (kept
	 * on their leads as the custom field source_owner) */
	char **unmapped_owners;
	size_t nunmapped;
	struct owner_set *owner_set_; /* private */
};
/* Free what import_run() left in st (the unmapped owners). */
void import_stats_free(struct import_stats *st);

/*
 * Import the file, all or nothing: open the write transaction, load the
 * rows (in bulk into an empty table: lib/db.h's db_bulk_*), run the
 * engines, record the batch and commit, or roll back for a dry run
 * (hooks->dry_run) or any failure. The one call `leads import` makes.
 * Returns 0, or an exit code with err filled: EX_DATAERR for a file that
 * cannot be imported at all (no header, an ambiguous date column, a bad
 * row under --strict as "file:line: reason"), EX_USAGE for bad options
 * (unknown preset, --map naming no column), 75 when the database is busy,
 * or 130/143 when stopped by a signal (o->stop).
 */
int import_run(struct import_opts *o, struct import_stats *st, struct lerr *err);

/*
 * The config's `import:` section: values of the files' stage and status
 * columns mapped to our stages and statuses, for every import, before
 * --stage-map and --status-map (which win):
 *
 *     import:
 *       stages: {Hot: Proposal Sent, Cold: Lost, Recycled: "-"}
 *       statuses: {Dormant: inactive}
 *       owners: {jsmith: Ana Lima, "005Dn000001AbCd": Bo, Old Timer: "-"}
 *
 * owners: the old CRM's owner names or ids mapped to team members ("-":
 * no owner), matched without regard to case.
 *
 * Registered by hooks_register_config().
 */
void import_register_config(void);

/*
 * `leads import --detect`: read the header and report the preset, its
 * confidence and each column's target. Fills m (caller imap_free()s it)
 * and d; with st (zeroed by the caller; import_stats_free() it), also
 * reads the rows for the owners no team member and no owner map names.
 */
int import_detect(struct import_opts *o, struct imap *m, struct imap_detection *d,
                  struct import_stats *st, struct lerr *err);

/* ---- storage of batches (lib/db_import.c) ---- */

int db_import_begin(struct db *db, const char *file, const char *preset, const char *actor,
                    int64_t now, int64_t *batch, struct lerr *err);
int db_import_finish(struct db *db, int64_t batch, const struct import_stats *st, int64_t now,
                     struct lerr *err);
/* The id of a lead matching l by one criterion; 0 if none. */
int db_import_find(struct db *db, enum import_match how, const struct lead *l, int64_t *id,
                   struct lerr *err);
/*
 * Bulk mode: delete the rows of batch that the row-by-row rule would have
 * skipped as duplicates (by the criteria m, in file order: a row is a
 * duplicate when an earlier row still kept matches it); *removed gets
 * their number. Builds and drops the indexes it needs.
 */
int db_import_dedupe(struct db *db, int64_t batch, const enum import_match *m, int n,
                     uint64_t *removed, struct lerr *err);
/* Bulk mode: call fn for each lead of the batch in file order. */
int db_import_each(struct db *db, int64_t batch, db_lead_fn fn, void *ctx, struct lerr *err);
/*
 * Bulk mode with the engines: the leads get their ids from us (the first
 * is *next), so that routing, scoring and workflows can run on a lead
 * before its one INSERT; what they write about it (tasks, mails, score
 * events) refers to a row not there yet, so foreign keys are checked at
 * COMMIT instead (PRAGMA defer_foreign_keys, for this transaction).
 * *dense: a duplicate takes no id, as row by row (PostgreSQL into a table
 * with leads; SQLite's bulk path numbers every row and removes
 * duplicates after the load, so its ids have the duplicates' gaps).
 */
int db_import_ids(struct db *db, int64_t *next, bool *dense, struct lerr *err);

/*
 * Bulk mode into a table that has leads (PostgreSQL, after
 * db_import_prepare): the duplicate keys of every lead there, read once,
 * go to the COPY's key sets and to fn (if not NULL): email (ext NULL) or
 * external id and source (email NULL), as the row-by-row lookups compare
 * them (db_key_fn, lib/db.h); ids go on after theirs.
 */
int db_import_seed(struct db *db, db_key_fn fn, void *ctx, struct lerr *err);

/* Make the lookups of the chosen criteria fast (indexes for phone, name+company). */
int db_import_prepare(struct db *db, const enum import_match *m, int n, struct lerr *err);

struct import_batch {
	int64_t id, started_at, finished_at, reverted_at;
	const char *file, *preset, *actor, *counts; /* counts: JSON object */
};
typedef int (*db_batch_fn)(const struct import_batch *b, void *ctx);
int db_import_list(struct db *db, db_batch_fn fn, void *ctx, struct lerr *err);
/* file and preset of a batch, for the history line of its leads; NULL if none. */
struct import_info {
	char *file, *preset, *actor; /* the caller frees them */
	int64_t at;
};
int db_import_get(struct db *db, int64_t batch, struct import_info *info, struct lerr *err);

/*
 * Undo a batch: delete the leads it created and restore the fields it
 * updated, in the caller's transaction. Leads changed since the import are
 * refused (listed through changed(), EX_DATAERR) unless force.
 */
struct revert_stats {
	uint64_t deleted, restored, changed;
	uint64_t merged; /* leads of the batch in a merge: kept as they are (--force) */
};
int db_import_revert(struct db *db, int64_t batch, bool force, int64_t now, const char *actor,
                     void (*changed)(void *ctx, int64_t lead_id, const char *email), void *ctx,
                     struct revert_stats *rs, struct lerr *err);

#endif
