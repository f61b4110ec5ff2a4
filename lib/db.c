/*
 * db.c - SQLite storage: open, migrate, transactions, the lead and event
 * tables. See db.h for the rules every function here follows.
 */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "dbi.h"
#include "import.h" /* db_import_ids */

/*
 * The full-text index of migration 3 (`leads list TEXT`): what a lead's
 * document is, the statement that fills the index from the leads and their
 * notes, and the triggers that keep it in step. A bulk load into an empty
 * database drops the triggers and fills the index once at the end
 * (db_bulk_begin/db_bulk_end): a trigger a row made an import ten times
 * slower.
 */
#define FTS_NOTE_KINDS "('note', 'call', 'email', 'meeting', 'meeting_scheduled')"
#define FTS_DOC(r)                                                                                 \
	"coalesce(" r ".first_name, '') || ' ' || coalesce(" r ".last_name, '') || ' ' || "        \
	"coalesce(" r ".company, '') || ' ' || coalesce(" r ".email, '') || ' ' || "               \
	"coalesce(" r ".phone, '') || ' ' || coalesce(" r ".title, '') || ' ' || "                 \
	"coalesce((SELECT group_concat(value, ' ') FROM json_each(" r ".extra)), '')"
#define FTS_FILL                                                                                   \
	"INSERT INTO lead_fts(rowid, doc, notes) SELECT l.id, " FTS_DOC(                           \
	    "l") ", coalesce((SELECT group_concat(json_extract(e.data, '$.text'), ' ') FROM "      \
	         "events e "                                                                       \
	         "WHERE e.lead_id = l.id AND e.kind IN " FTS_NOTE_KINDS "), '') FROM leads l;"
#define FTS_TRIGGER_INSERT                                                                         \
	"CREATE TRIGGER lead_fts_insert AFTER INSERT ON leads BEGIN INSERT INTO "                  \
	"lead_fts(rowid, doc, notes) VALUES (new.id, " FTS_DOC("new") ", ''); END;"
/* the leads above ?1, in one statement (an import into leads in use) */
#define FTS_FILL_AFTER                                                                             \
	"INSERT INTO lead_fts(rowid, doc, notes) SELECT l.id, " FTS_DOC(                           \
	    "l") ", coalesce((SELECT group_concat(json_extract(e.data, '$.text'), ' ') FROM "      \
	         "events e "                                                                       \
	         "WHERE e.lead_id = l.id AND e.kind IN " FTS_NOTE_KINDS "), '') FROM leads l "     \
	         "WHERE l.id > ?1"
#define FTS_TRIGGERS                                                                               \
	FTS_TRIGGER_INSERT                                                                         \
	"CREATE TRIGGER lead_fts_update AFTER UPDATE ON leads WHEN old.id IS NOT "                 \
	"new.id "                                                                                  \
	"OR old.first_name IS NOT new.first_name OR old.last_name IS NOT "                         \
	"new.last_name "                                                                           \
	"OR old.company IS NOT new.company OR old.email IS NOT new.email OR old.phone "            \
	"IS NOT new.phone OR old.title IS NOT new.title OR old.extra IS NOT new.extra "            \
	"BEGIN UPDATE lead_fts SET rowid = new.id, doc = " FTS_DOC(                                \
	    "new") " WHERE rowid = old.id; "                                                       \
	           "END;"                                                                          \
	           "CREATE TRIGGER lead_fts_delete AFTER DELETE ON leads BEGIN DELETE "            \
	           "FROM "                                                                         \
	           "lead_fts WHERE rowid = old.id; END;"                                           \
	           "CREATE TRIGGER lead_fts_note AFTER INSERT ON events WHEN new.kind "            \
	           "IN " FTS_NOTE_KINDS " AND json_extract(new.data, '$.text') IS NOT "            \
	           "NULL BEGIN UPDATE lead_fts SET notes = "                                       \
	           "notes || ' ' || json_extract(new.data, '$.text') WHERE rowid = "               \
	           "new.lead_id; END;"
#define FTS_DROP_TRIGGERS                                                                          \
	"DROP TRIGGER lead_fts_insert; DROP TRIGGER lead_fts_update; DROP TRIGGER "                \
	"lead_fts_delete; DROP TRIGGER lead_fts_note;"

/*
 * Schema migrations, applied in order; migration N brings the file to
 * user_version N. Each runs in its own BEGIN IMMEDIATE transaction
 * together with the version bump, so a half-applied step is impossible.
 * Never edit a step that has shipped: append a new one.
 */
static const char *const migrations[] = {
	/* 1: the base model of DESIGN.md.
	 * - Stage keys are stored on leads, names live in `stages`, synced from
	 *   the config: a rename or reorder never rewrites history.
	 * - Emails are stored normalised (trimmed, lower-case); the unique
	 *   index allows many NULLs (leads known only by name or phone).
	 * - Times are integer seconds since the epoch (UTC); value in cents.
	 * - events is append-only: nothing but `import --revert` of a batch
	 *   deletes from it (through ON DELETE CASCADE of its leads). */
	"CREATE TABLE stages ("
	"  key TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  position INTEGER NOT NULL,"
	"  grp TEXT NOT NULL CHECK (grp IN ('active','won','lost')),"
	"  in_config INTEGER NOT NULL DEFAULT 1"
	");"
	"CREATE TABLE imports ("
	"  id INTEGER PRIMARY KEY,"
	"  file TEXT NOT NULL,"
	"  preset TEXT,"
	"  started_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  actor TEXT,"
	"  counts TEXT,"
	"  reverted_at INTEGER"
	");"
	"CREATE TABLE leads ("
	"  id INTEGER PRIMARY KEY,"
	"  email TEXT, /* stored normalised: trimmed, lower-case */"
	"  first_name TEXT, last_name TEXT, phone TEXT, company TEXT, title TEXT,"
	"  website TEXT, industry TEXT, city TEXT, state TEXT, country TEXT,"
	"  source TEXT, owner TEXT,"
	"  stage TEXT NOT NULL, step TEXT,"
	"  status TEXT NOT NULL DEFAULT 'new'"
	/* not IN (...): SQLite evaluates a constant IN list through a temporary
	 * b-tree set up for every statement run, a third of a bulk insert */
	"    CHECK (status = 'new' OR status = 'active' OR status = 'inactive'"
	"           OR status = 'unqualified'),"
	"  priority TEXT, category TEXT,"
	"  score INTEGER NOT NULL DEFAULT 0,"
	"  value INTEGER,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  last_activity_at INTEGER,"
	"  stage_entered_at INTEGER NOT NULL,"
	"  assigned_at INTEGER,"
	"  ext_source TEXT, ext_id TEXT,"
	"  import_batch INTEGER, /* imports.id; no foreign key: a bulk load would check it per row "
	"*/"
	"  extra TEXT," /* a JSON object; written only through the JSON helpers (db_json.c) */
	"  assigned_rule TEXT,"
	"  source_line INTEGER,"
	"  reached_pos INTEGER"
	");"
	/* what the commands filter and group on */
	"CREATE UNIQUE INDEX leads_email ON leads(email);"
	/* by stage; the other columns serve the funnel (lib/db_funnel.c) from the
	 * index alone, one index to build on import instead of two */
	"CREATE INDEX leads_stage ON leads(stage, stage_entered_at, reached_pos, value);"
	/* owners and statuses: partial, so a bulk import without owners costs nothing;
	 * unassigned leads are found by a scan (route --unassigned, rare). The
	 * batch of an import is found by a scan too: only --revert needs it. */
	"CREATE INDEX leads_owner ON leads(owner, status) WHERE owner IS NOT NULL;"
	"CREATE INDEX leads_status ON leads(status, last_activity_at);"
	/* one lead per id of a source CRM (several NULL sources may share an id) */
	"CREATE UNIQUE INDEX leads_ext ON leads(ext_id, ext_source) WHERE ext_id IS NOT NULL;"

	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  actor TEXT,"
	"  kind TEXT NOT NULL,"
	"  from_val TEXT,"
	"  to_val TEXT,"
	"  data TEXT CHECK (data IS NULL OR json_valid(data))"
	");"
	"CREATE INDEX events_lead ON events(lead_id, at);"
	"CREATE INDEX events_kind ON events(kind, at);"
	/* The funnel (lib/db_funnel.c has the queries and their plans).
	 * leads_stage (above) gives stage counts, reached positions, values and
	 * the current stays in one covering scan. stays: one row per finished
	 * stay of a lead in a stage, written by the trigger whenever a lead's
	 * stage changes (whatever command changed it), so time in stage is never
	 * recomputed from the whole history; stay_hist counts them per stage and
	 * duration bucket for the funnel of the whole pipeline. A bucket is a
	 * minute under an hour, 10 minutes under a day, an hour under 30 days,
	 * a day under 52 weeks, a week beyond: at most a few per cent of its
	 * durations wide, so the one bucket read to find a median is small
	 * (funnel_bucket_end() in lib/db_funnel.c knows the same tiers). */
	"CREATE TABLE stays ("
	"  id INTEGER PRIMARY KEY,"
	"  lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,"
	"  stage TEXT NOT NULL,"
	"  entered_at INTEGER NOT NULL,"
	"  left_at INTEGER NOT NULL,"
	"  secs INTEGER NOT NULL" /* left_at - entered_at */
	");"
	"CREATE INDEX stays_lead ON stays(lead_id);"
	"CREATE INDEX stays_stage ON stays(stage, secs);"
	"CREATE TABLE stay_hist ("
	"  stage TEXT NOT NULL, lo INTEGER NOT NULL, n INTEGER NOT NULL, secs INTEGER NOT NULL,"
	"  PRIMARY KEY (stage, lo)"
	") WITHOUT ROWID;"
	"CREATE TRIGGER leads_stay AFTER UPDATE OF stage ON leads"
	"  WHEN OLD.stage IS NOT NEW.stage BEGIN"
	"  INSERT INTO stays(lead_id, stage, entered_at, left_at, secs) VALUES (OLD.id, OLD.stage,"
	"    OLD.stage_entered_at, max(OLD.stage_entered_at, NEW.stage_entered_at),"
	"    max(0, NEW.stage_entered_at - OLD.stage_entered_at));"
	"END;"
	"CREATE TRIGGER stays_add AFTER INSERT ON stays BEGIN"
	"  INSERT INTO stay_hist(stage, lo, n, secs) VALUES (NEW.stage,"
	"    CASE WHEN NEW.secs < 3600 THEN NEW.secs - NEW.secs % 60"
	"         WHEN NEW.secs < 86400 THEN NEW.secs - NEW.secs % 600"
	"         WHEN NEW.secs < 2592000 THEN NEW.secs - NEW.secs % 3600"
	"         WHEN NEW.secs < 31449600 THEN NEW.secs - NEW.secs % 86400"
	"         ELSE NEW.secs - NEW.secs % 604800 END, 1, NEW.secs)"
	"  ON CONFLICT (stage, lo) DO UPDATE SET n = n + 1, secs = secs + excluded.secs;"
	"END;"
	"CREATE TRIGGER stays_del AFTER DELETE ON stays BEGIN"
	"  UPDATE stay_hist SET n = n - 1, secs = secs - OLD.secs WHERE stage = OLD.stage AND lo ="
	"    CASE WHEN OLD.secs < 3600 THEN OLD.secs - OLD.secs % 60"
	"         WHEN OLD.secs < 86400 THEN OLD.secs - OLD.secs % 600"
	"         WHEN OLD.secs < 2592000 THEN OLD.secs - OLD.secs % 3600"
	"         WHEN OLD.secs < 31449600 THEN OLD.secs - OLD.secs % 86400"
	"         ELSE OLD.secs - OLD.secs % 604800 END;"
	"END;"
	"CREATE TABLE tasks ("
	"  id INTEGER PRIMARY KEY,"
	"  lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,"
	"  owner TEXT,"
	"  title TEXT NOT NULL,"
	"  notes TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  due_at INTEGER NOT NULL,"
	"  notify_at INTEGER,"
	"  notified_at INTEGER," /* the "due soon" notice went out */
	"  done_at INTEGER,"
	"  late INTEGER NOT NULL DEFAULT 0,"
	"  rule TEXT,"
	"  idem_key TEXT UNIQUE"
	");"
	"CREATE INDEX tasks_open ON tasks(due_at) WHERE done_at IS NULL;"
	"CREATE INDEX tasks_lead ON tasks(lead_id);"
	"CREATE INDEX tasks_owner ON tasks(owner, due_at);"
	"CREATE INDEX tasks_notify ON tasks(notify_at) WHERE done_at IS NULL AND notified_at IS "
	"NULL;"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  idem_key TEXT NOT NULL UNIQUE,"
	"  kind TEXT NOT NULL,"
	"  lead_id INTEGER REFERENCES leads(id) ON DELETE SET NULL,"
	"  rcpt TEXT NOT NULL,"
	"  cc TEXT,"
	"  subject TEXT NOT NULL,"
	"  body TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  next_try_at INTEGER NOT NULL,"
	"  tries INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  sent_at INTEGER,"
	"  failed_at INTEGER,"
	/* a delivering process holds the message until claim_until */
	"  claim TEXT,"
	"  claim_until INTEGER"
	");"
	"CREATE INDEX outbox_due ON outbox(next_try_at) WHERE sent_at IS NULL AND failed_at IS "
	"NULL;"
	"CREATE TABLE state ("
	"  key TEXT PRIMARY KEY,"
	"  value TEXT"
	") WITHOUT ROWID;"
	/* named scores (scoring: scores:); the default score is leads.score */
	"CREATE TABLE scores ("
	"  lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  value INTEGER NOT NULL,"
	"  PRIMARY KEY (lead_id, name)"
	") WITHOUT ROWID;",

	/* 2: a bulk import with routing keeps each lead's assignment on the
	 * lead instead of writing an `assigned` event per lead (an event row
	 * and two index entries a lead were most of the cost of routing an
	 * import); `leads show` gives it as the history line it stands for. */
	"ALTER TABLE leads ADD COLUMN import_owner TEXT;"
	"ALTER TABLE leads ADD COLUMN import_rule TEXT;"
	/* the outbox's link to a lead, for the foreign key: deleting a lead
	 * (import --revert) and a bulk import, whose foreign keys are checked
	 * at COMMIT, look up its mails; without it each lead scanned them all */
	"CREATE INDEX outbox_lead ON outbox(lead_id);",

	/* 3: a send that timed out after sendmail had the whole message may
	 * have gone out: such a message is "unknown" from unknown_at on, and
	 * only `leads outbox retry ID` sends it again, never a sweep (which
	 * resent it until it gave up, up to 6 copies). A column of its own,
	 * not failed_at: a failed message was certainly not sent. */
	"ALTER TABLE outbox ADD COLUMN unknown_at INTEGER;",

	/* 4: indexes that let the hot queries ask for what they need instead
	 * of walking a table (issue 18).
	 * - Owners are matched case-insensitively (`owner = ? COLLATE NOCASE`),
	 *   which a BINARY index cannot serve: the owner indexes are NOCASE now.
	 *   A query wanting the exact spelling adds `AND owner = ?` (the
	 *   capacity count of routing) and still uses them. Without the status
	 *   the index gives an owner's leads in id order, so the first page of
	 *   `list --owner X [--status S]` stops after its rows instead of
	 *   sorting all of the owner's leads.
	 * - leads_idle replaces leads_status: by status, then by the time of the
	 *   last activity (the creation for a lead without any), so the sweep
	 *   asks for the leads that went idle before a time by a range.
	 * - leads_unrouted: the leads nobody touched since their assignment,
	 *   by status and time of assignment, all the re-routing of the sweep
	 *   looks at.
	 * - tasks_pending: open tasks not yet marked late, by due time, all the
	 *   late-task pass of the sweep looks at. */
	"DROP INDEX leads_owner;"
	"CREATE INDEX leads_owner_ci ON leads(owner COLLATE NOCASE) WHERE owner IS NOT "
	"NULL;"
	"DROP INDEX leads_status;"
	"CREATE INDEX leads_idle ON leads(status, coalesce(last_activity_at, created_at));"
	"CREATE INDEX leads_unrouted ON leads(status, assigned_at) WHERE assigned_rule IS NOT NULL "
	"AND (last_activity_at IS NULL OR last_activity_at < assigned_at);"
	"DROP INDEX tasks_owner;"
	"CREATE INDEX tasks_owner_ci ON tasks(owner COLLATE NOCASE, due_at);"
	"CREATE INDEX tasks_pending ON tasks(due_at) WHERE done_at IS NULL AND late = 0;",

	/* 5: the lead's lifecycle (lib/lifecycle.h). A task closed because its
	 * lead was won, lost or disqualified is done (done_at) and cancelled
	 * (cancelled_at): it leaves every "open" query without a new index, and
	 * reports leave it out of on time and late. owner_given marks a task
	 * handed to someone by name (task add --owner, task reassign, a workflow
	 * assignee): it stays with them when the lead changes owner. */
	"ALTER TABLE tasks ADD COLUMN cancelled_at INTEGER;"
	"ALTER TABLE tasks ADD COLUMN owner_given INTEGER NOT NULL DEFAULT 0;"
	/* rows describe the past: the leads of a batch created before
	 * quiet_before were imported quietly (import --events), and their
	 * reminder clock starts at the import, not at their old dates */
	"ALTER TABLE imports ADD COLUMN quiet_before INTEGER;",

	/* 6: `leads list TEXT` searches names, company, email, phone, title,
	 * custom fields and the text of notes and logged activities through a
	 * full-text index (FTS5), kept in step by triggers: a lead's own fields
	 * in doc, the notes appended to notes as they are written. */
	"CREATE VIRTUAL TABLE lead_fts USING fts5(doc, notes, tokenize = 'unicode61 "
	"remove_diacritics 2', prefix = '2 3');" FTS_FILL FTS_TRIGGERS,

	/* 7: leads merge. A lead merged into another is deleted, its rows
	 * moved; its id (and its address, when the kept lead has one of its
	 * own) stays here as a name of the kept lead: `show 12` and every
	 * command taking a lead still find it. import_batch: the batch that
	 * created the merged lead, so `import --revert` knows what it cannot
	 * take back alone. */
	"CREATE TABLE lead_aliases ("
	"  id INTEGER PRIMARY KEY," /* the merged lead's id */
	"  lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,"
	"  email TEXT," /* its address, normalised, when it is a second one */
	"  merged_at INTEGER NOT NULL,"
	"  actor TEXT,"
	"  import_batch INTEGER"
	");"
	"CREATE INDEX lead_aliases_lead ON lead_aliases(lead_id);"
	"CREATE INDEX lead_aliases_email ON lead_aliases(email) WHERE email IS NOT NULL;",

	/* 8: the expected close date of a deal ("YYYY-MM-DD", a calendar day
	 * with no zone), for `leads report forecast`. */
	"ALTER TABLE leads ADD COLUMN close_date TEXT;",

	/* 9: mail to the leads themselves (lib/sequence.h). A sequence row is
	 * one run of a configured sequence on a lead: the next step and when it
	 * is due, until it is done or stopped (a reply, a call, a stage move,
	 * ...). mail_flags holds what every send to a lead checks: do_not_email
	 * set by hand or by an unsubscribe, and a bounce. An outbox message may
	 * have its own sender (the lead's owner) and extra header lines
	 * (List-Unsubscribe). */
	"CREATE TABLE sequences ("
	"  id INTEGER PRIMARY KEY,"
	"  lead_id INTEGER NOT NULL REFERENCES leads(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  step INTEGER NOT NULL DEFAULT 0,"
	"  started_at INTEGER NOT NULL,"
	"  next_at INTEGER,"
	"  done_at INTEGER,"
	"  stopped_at INTEGER,"
	"  stop_reason TEXT"
	");"
	"CREATE INDEX sequences_due ON sequences(next_at) WHERE done_at IS NULL AND stopped_at IS "
	"NULL;"
	"CREATE INDEX sequences_lead ON sequences(lead_id);"
	"CREATE TABLE mail_flags ("
	"  lead_id INTEGER PRIMARY KEY REFERENCES leads(id) ON DELETE CASCADE,"
	"  do_not_email INTEGER NOT NULL DEFAULT 0,"
	"  bounced_at INTEGER,"
	"  bounce TEXT,"
	"  changed_at INTEGER"
	");"
	"ALTER TABLE outbox ADD COLUMN sender TEXT;"
	"ALTER TABLE outbox ADD COLUMN headers TEXT;"
	/* the daily cap counts a sender's sequence mail of the day */
	"CREATE INDEX outbox_seq_sender ON outbox(sender, created_at) WHERE kind = 'sequence';",

	/* 10: the first page of `list --status S` and `list --stage S` (in id
	 * order, the default, either way) reads its rows off an index in that
	 * order and stops, instead of sorting every lead of the status or stage
	 * (issue 18). stays_stage carries the lead: the funnel reads a stage's
	 * stays of some length, and the leads that ever were in a lost stage,
	 * from the index alone (lib/db_funnel.c). */
	"CREATE INDEX leads_status_id ON leads(status, id);"
	"CREATE INDEX leads_stage_id ON leads(stage, id);"
	"DROP INDEX stays_stage;"
	"CREATE INDEX stays_stage ON stays(stage, secs, lead_id);",

	/* 11: a rep's open tasks (`task list --owner`, `task --mine`, the
	 * digest) off an index of the open ones: tasks_owner_ci walked every
	 * task the rep ever had, done ones too, to find the few still open. */
	"CREATE INDEX tasks_owner_open ON tasks(owner COLLATE NOCASE, due_at) WHERE done_at IS "
	"NULL;",
};

/* SQLite only */
const char *db_sqlite_version(void)
{
	return sqlite3_libversion();
}

int db_schema_version(void)
{
	return (int)ARRAY_LEN(migrations);
}

/* ---- errors ---- */

int db_fail(struct db *db, struct lerr *err, const char *what)
{
	int rc = db_errcode(db);
	int prim = rc & 0xff;
	if (db->pg && rc == SQLITE_BUSY_RECOVERY) /* the server's reason (db_pg.c code_of) */
		return lerr_set(err, EX_TEMPFAIL, "'%s': %s (try again)", db->path, db_errmsg(db));
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
		return lerr_set(err, EX_TEMPFAIL,
		                "database busy: '%s' is locked by another leads process "
		                "(gave up after %d ms; try again)",
		                db->path, db->busy_ms);
	if (prim == SQLITE_CONSTRAINT)
		return lerr_set(err, EX_DATAERR, "%s: %s", what, db_errmsg(db));
	if (prim == SQLITE_FULL || prim == SQLITE_IOERR || prim == SQLITE_CANTOPEN ||
	    prim == SQLITE_READONLY)
		return lerr_set(err, EX_IOERR, "'%s': %s", db->path, db_errmsg(db));
	if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB)
		return lerr_set(err, EX_DATAERR, "'%s' is not a leads database: %s", db->path,
		                db_errmsg(db));
	return lerr_set(err, EX_SOFTWARE, "%s: %s: %s", what, db->pg ? "postgresql" : "sqlite",
	                db_errmsg(db));
}

/* ---- statement cache ---- */

static int events_flush(struct db *db, struct lerr *err);

/*
 * LEADS_TRACE_SQL=1 (hidden, for tests/0470-query-plans.bats): every
 * statement's text goes to stderr when it is first prepared, one line
 * each, "leads-sql: " first, so a test can run EXPLAIN QUERY PLAN over
 * exactly the SQL a command runs.
 */
static void trace_sql(const char *sql)
{
	static int on = -1;
	if (on < 0) {
		const char *e = getenv("LEADS_TRACE_SQL");
		on = e && *e && strcmp(e, "0") != 0;
	}
	if (!on)
		return;
	fputs("leads-sql: ", stderr);
	for (const char *p = sql; *p; p++)
		fputc(*p == '\n' || *p == '\t' ? ' ' : *p, stderr);
	fputc('\n', stderr);
}

struct dbst *db_prep(struct db *db, const char *sql, struct lerr *err)
{
	if (db->defer && db->defer->npend && events_flush(db, err))
		return NULL;
	return db_prep_keep(db, sql, err);
}

struct dbst *db_prep_keep(struct db *db, const char *sql, struct lerr *err)
{
	if (db->bulk && db->bulk->load && db_load_flush(db, err))
		return NULL;
	for (int i = 0; i < db->ncache; i++) {
		if (db->cache[i].sql == sql) {
			struct dbst *st = &db->cache[i].st;
			st_reset(st);
			st_clear(st);
			return st;
		}
	}
	struct dbst st;
	trace_sql(sql);
	if (st_prepare(db, sql, true, &st) != SQLITE_OK) {
		db_fail(db, err, "prepare");
		return NULL;
	}
	if (db->ncache < DB_CACHE_SLOTS) {
		db->cache[db->ncache].sql = sql;
		db->cache[db->ncache].st = st;
		return &db->cache[db->ncache++].st;
	}
	/* a full cache is a bug: statements are constants, not built per row */
	st_release(&st);
	lerr_set(err, EX_SOFTWARE, "statement cache full");
	return NULL;
}

struct dbst *db_prepare_once(struct db *db, const char *sql, struct lerr *err)
{
	if (db_load_of(db) && db_load_flush(db, err))
		return NULL;
	struct dbst *st = xcalloc(1, sizeof *st);
	trace_sql(sql);
	if (st_prepare(db, sql, false, st) != SQLITE_OK) {
		free(st);
		db_fail(db, err, "prepare");
		return NULL;
	}
	return st;
}

void db_bind_text(struct dbst *st, int i, const char *s)
{
	if (s)
		st_bind_text(st, i, s, -1);
	else
		st_bind_null(st, i);
}

char *db_col_text(struct dbst *st, int i)
{
	const char *s = st_col_text(st, i);
	return s ? xstrdup(s) : NULL;
}

int db_exec(struct db *db, const char *sql, struct lerr *err)
{
	if (db_load_of(db) && db_load_flush(db, err))
		return err ? err->code : EX_SOFTWARE;
	if (db->defer && db->defer->npend && events_flush(db, err))
		return err ? err->code : EX_SOFTWARE;
	if (db_exec_raw(db, sql) != SQLITE_OK)
		return db_fail(db, err, "exec");
	return 0;
}

/* ---- open / migrate ---- */

static int create_file(const char *path, struct lerr *err)
{
	const char *slash = strrchr(path, '/');
	if (slash && slash != path) {
		char *dir = xstrndup(path, (size_t)(slash - path));
		int rc = mkdir_p(dir);
		int e = errno;
		if (rc != 0) {
			lerr_set(err, EX_IOERR, "cannot create directory '%s': %s", dir,
			         strerror(e));
			free(dir);
			return EX_IOERR;
		}
		free(dir);
	}
	/*
	 * Made under a temporary name (0600: lead data is personal data; SQLite
	 * gives -wal/-shm the same mode) until it has SQLite's header, then
	 * linked into place: nobody ever sees the database as an empty file,
	 * which only init accepts, and of two processes creating it at once
	 * one links and the other finds the file there.
	 */
	size_t n = strlen(path);
	char *tmp = xmalloc(n + sizeof ".XXXXXX");
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".XXXXXX", sizeof ".XXXXXX");
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return lerr_set(err, EX_IOERR, "cannot create database '%s': %s", path,
		                strerror(e));
	}
	close(fd);
	sqlite3 *sq = NULL;
	int rc = sqlite3_open_v2(tmp, &sq, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) /* 8 KiB pages halve the page work of bulk loads and index builds */
		rc = sqlite3_exec(sq, "PRAGMA page_size = 8192; PRAGMA journal_mode = WAL", NULL,
		                  NULL, NULL);
	char msg[256];
	snprintf(msg, sizeof msg, "%s", sq ? sqlite3_errmsg(sq) : "out of memory");
	if (sqlite3_close(sq) != SQLITE_OK && rc == SQLITE_OK)
		rc = SQLITE_IOERR;
	int e = 0;
	struct stat st;
	if (rc == SQLITE_OK && link(tmp, path) != 0 && errno != EEXIST) {
		/* a file system without hard links: rename, unless it appeared meanwhile */
		e = errno;
		if (access(path, F_OK) == 0 || rename(tmp, path) == 0)
			e = 0;
	} else if (rc == SQLITE_OK && stat(path, &st) != 0 && errno == ENOENT) {
		/* a symbolic link to a file to be: create its target, as before */
		int fd2 = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd2 < 0)
			e = errno;
		else
			close(fd2);
	}
	unlink(tmp);
	free(tmp);
	if (rc != SQLITE_OK)
		return lerr_set(err, EX_IOERR, "cannot create database '%s': %s", path, msg);
	if (e)
		return lerr_set(err, EX_IOERR, "cannot create database '%s': %s", path,
		                strerror(e));
	return 0;
}

const char *db_file_untrusted(const char *path, char *buf, size_t n, const char **fix)
{
	struct stat st;
	if (pg_is_conninfo(path) || stat(path, &st) != 0)
		return NULL;
	return file_untrusted(&st, buf, n, fix);
}

/* The -wal beside path has frames (changes not yet in the file)? */
static bool wal_has_frames(const char *path)
{
	struct sb s = SB_INIT;
	sb_adds(&s, path);
	sb_adds(&s, "-wal");
	struct stat st;
	bool r = stat(sb_str(&s), &st) == 0 && st.st_size > 0;
	sb_free(&s);
	return r;
}

/* "file:" URI of path with immutable=1: its bytes percent-encoded but the
 * unreserved ones, so '?', '#' and '%' in a name stay part of it. */
static char *immutable_uri(const char *path)
{
	struct sb s = SB_INIT;
	sb_adds(&s, "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("/._-~", *p))
			sb_addc(&s, (char)*p);
		else
			sb_addf(&s, "%%%02X", *p);
	}
	sb_adds(&s, "?immutable=1");
	return s.buf;
}

/* SQLite only */
static int user_version(struct db *db, int *v, struct lerr *err)
{
	struct dbst *st = db_prepare_once(db, "PRAGMA user_version", NULL);
	if (!st)
		return db_fail(db, err, "read schema version");
	int rc = st_step(st);
	if (rc == SQLITE_ROW)
		*v = st_col_int(st, 0);
	st_finalize(st);
	if (rc != SQLITE_ROW)
		return db_fail(db, err, "read schema version");
	/* no leads ever writes a negative version: not ours, or damaged */
	if (*v < 0)
		return lerr_set(err, EX_DATAERR,
		                "'%s' has schema version %d, which no leads writes; "
		                "not a leads database, or a damaged one",
		                db->path, *v);
	if (*v == 0) {
		/* version 0 is a new file: one that holds tables already belongs to
		 * something else, and leads must not add its own beside them */
		st = db_prepare_once(
		    db, "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'", NULL);
		if (!st)
			return db_fail(db, err, "read schema");
		rc = st_step(st);
		int64_t n = rc == SQLITE_ROW ? st_col_int64(st, 0) : 0;
		st_finalize(st);
		if (rc != SQLITE_ROW)
			return db_fail(db, err, "read schema");
		if (n > 0)
			return lerr_set(err, EX_DATAERR,
			                "'%s' is not a leads database (it holds %lld table%s of "
			                "something else); nothing was changed",
			                db->path, (long long)n, n == 1 ? "" : "s");
	}
	return 0;
}

/* SQLite only */
static int migrate(struct db *db, struct lerr *err)
{
	int have = 0, want = db_schema_version();
	int rc = user_version(db, &have, err);
	if (rc)
		return rc;
	if (have > want)
		return lerr_set(err, EX_DATAERR,
		                "'%s' has schema version %d, newer than this leads (%d); "
		                "upgrade leads",
		                db->path, have, want);
	while (have < want) {
		if ((rc = db_begin(db, err)))
			return rc;
		/* Another process may have migrated while we waited for the lock. */
		if ((rc = user_version(db, &have, err))) {
			db_rollback(db);
			return rc;
		}
		if (have >= want) {
			db_rollback(db);
			break;
		}
		/*
		 * A step a transaction; but a new file takes every step in one:
		 * a crash still leaves it empty, and one commit (one fsync) in
		 * place of one a step is 40-60 ms off the first command, the
		 * import of a new database included.
		 */
		bool fresh = have == 0;
		do {
			char pragma[64];
			snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", have + 1);
			if ((rc = db_exec(db, migrations[have], err)) ||
			    (rc = db_exec(db, pragma, err))) {
				db_rollback(db);
				return rc;
			}
			have++;
		} while (fresh && have < want);
		if ((rc = db_commit(db, err)))
			return rc;
	}
	return 0;
}

static int busy_ms_default(void)
{
	/* Long enough that 8 reps writing at once never see "busy". */
	const char *s = getenv("LEADS_BUSY_TIMEOUT");
	int64_t v;
	if (s && str_to_i64(s, &v) && v >= 0 && v <= 3600000)
		return (int)v;
	return 30000;
}

/*
 * leads is one thread with one connection: no mutexes anywhere in SQLite,
 * and no allocation statistics (they take a global mutex on every malloc).
 */
/* SQLite only */
static void sqlite_setup(void)
{
	static bool done;
	if (done)
		return;
	done = true;
	sqlite3_config(SQLITE_CONFIG_SINGLETHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_initialize();
}

/*
 * SQLite only: open the connection of db to the file at path and set it up
 * (exists: the file was there before). 0, or an exit code with err set.
 */
static int sqlite_open(struct db *db, const char *path, int flags, bool exists, struct lerr *err)
{
	int oflags = SQLITE_OPEN_NOMUTEX;
	oflags |= (flags & DB_READONLY) ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	char *uri = NULL;
	if (flags & DB__IMMUTABLE) {
		uri = immutable_uri(path);
		oflags |= SQLITE_OPEN_URI;
	}
	int orc = sqlite3_open_v2(uri ? uri : path, &db->sq, oflags, NULL);
	free(uri);
	if (orc != SQLITE_OK)
		return lerr_set(err, EX_IOERR, "cannot open database '%s': %s", path,
		                db->sq ? sqlite3_errmsg(db->sq) : "out of memory");
	sqlite3_extended_result_codes(db->sq, 1);
	sqlite3_busy_timeout(db->sq, db->busy_ms);

	int rc;
	if ((rc = db_exec(db, "PRAGMA foreign_keys = ON", err)))
		return rc;
	/* A new file: 8 KiB pages halve the page work of bulk loads and index
	 * builds (a no-op when another process created the tables first). */
	if (!exists && (rc = db_exec(db, "PRAGMA page_size = 8192", err)))
		return rc;
	if (!(flags & DB_READONLY)) {
		/* a file that is not ours (a version no leads writes, tables of
		 * something else) is refused before WAL rewrites its header */
		int v;
		if (exists && (rc = user_version(db, &v, err)))
			return rc;
		/* WAL: readers never block the writer; FULL: a commit survives power loss. */
		if ((rc = db_exec(db, "PRAGMA journal_mode = WAL", err)) ||
		    (rc = db_exec(db, "PRAGMA synchronous = FULL", err)) ||
		    (rc = db_exec(db, "PRAGMA cache_size = -8192", err)))
			return rc;
	}
	return 0;
}

/*
 * A PostgreSQL database (conninfo: a libpq URI or key=value string): the
 * schema is created by the first writing command (DB_CREATE) and brought
 * up to date by any, as a file's is. The JSON helpers (lib/db_json.c,
 * jansson) need no database, so both backends read and write JSON alike.
 */
static int pg_open(const char *conninfo, int flags, struct db **out, struct lerr *err)
{
	struct db *db = xcalloc(1, sizeof *db);
	db->busy_ms = busy_ms_default();
	int rc = pg_connect(conninfo, db->busy_ms, (flags & DB_CREATE) != 0, &db->pg, err);
	if (rc) {
		free(db);
		return rc;
	}
	db->path = xstrdup(pg_display(db->pg));
	int have = 0, want = db_schema_version();
	if (pg_migration_count() != want) {
		rc = lerr_set(err, EX_SOFTWARE, "the PostgreSQL schema has %d steps, SQLite's %d",
		              pg_migration_count(), want);
		goto fail;
	}
	if (pg_schema_version(db->pg, &have)) {
		rc = db_fail(db, err, "read schema version");
		goto fail;
	}
	if (have > want) {
		rc = lerr_set(
		    err, EX_DATAERR,
		    "'%s' has schema version %d, newer than this leads (%d); upgrade leads",
		    db->path, have, want);
		goto fail;
	}
	if (have == 0 && !(flags & DB_CREATE)) {
		rc = lerr_set(err, EX_NOINPUT,
		              "no database at '%s' (create it with 'leads init' or 'leads add')",
		              db->path);
		goto fail;
	}
	if (have < want && (flags & DB_READONLY)) {
		rc = lerr_set(err, EX_TEMPFAIL,
		              "'%s' has schema version %d, older than this leads (%d); a reading "
		              "command does not upgrade it: run 'leads init' (or any command that "
		              "writes) first",
		              db->path, have, want);
		goto fail;
	}
	if (have < want && pg_migrate(db->pg, want)) {
		rc = db_fail(db, err, "create the schema");
		goto fail;
	}
	*out = db;
	return 0;
fail:
	db_close(db);
	return rc;
}

int db_open(const char *path, int flags, struct db **out, struct lerr *err)
{
	sqlite_setup();
	*out = NULL;
	if (pg_is_conninfo(path))
		return pg_open(path, flags, out, err);
	struct stat st;
	bool exists = stat(path, &st) == 0;
	if (exists && S_ISDIR(st.st_mode))
		return lerr_set(err, EX_NOINPUT, "database '%s' is a directory", path);
	/* leads never leaves an empty file (create_file); one found was made by
	 * hand or cut short: init may make it the database, nothing else uses it */
	if (exists && S_ISREG(st.st_mode) && st.st_size == 0 && !(flags & DB_EMPTY_OK) &&
	    !wal_has_frames(path))
		return lerr_set(
		    err, EX_DATAERR,
		    "'%s' is an empty file, not a leads database ('leads init' makes it "
		    "one)",
		    path);
	if (!exists) {
		if (!(flags & DB_CREATE))
			return lerr_set(err, EX_NOINPUT,
			                "no database at '%s' (create it with 'leads init' or "
			                "'leads add')",
			                path);
		int rc = create_file(path, err);
		if (rc)
			return rc;
	}

	struct db *db = xcalloc(1, sizeof *db);
	db->path = xstrdup(path);
	db->busy_ms = busy_ms_default();
	int rc;
	if ((rc = sqlite_open(db, path, flags, exists, err)))
		goto fail;
	if (!(flags & DB_READONLY)) {
		if ((rc = migrate(db, err)))
			goto fail;
	} else {
		int have = 0;
		if ((rc = user_version(db, &have, err))) {
			/*
			 * A WAL file needs its -shm, which a reader cannot make in a
			 * read-only directory or beside another user's file: read the
			 * file as immutable then, unless its -wal holds changes the
			 * file lacks (they would be missed: better the error).
			 */
			int prim = sqlite3_errcode(db->sq) & 0xff;
			if (!(flags & DB__IMMUTABLE) &&
			    (prim == SQLITE_CANTOPEN || prim == SQLITE_READONLY) &&
			    !wal_has_frames(path)) {
				db_close(db);
				return db_open(path, flags | DB__IMMUTABLE, out, err);
			}
			goto fail;
		}
		if (have != db_schema_version()) {
			/* a reading command never writes, so never upgrades an older
			 * file: 75 as documented, a writing command (the next sweep,
			 * 'leads init') upgrades it and the read then works */
			rc = lerr_set(
			    err, have > db_schema_version() ? EX_DATAERR : EX_TEMPFAIL,
			    have > db_schema_version()
			        ? "'%s' has schema version %d, newer than this leads (%d); "
			          "upgrade leads"
			        : "'%s' has schema version %d, older than this leads (%d); "
			          "a reading command does not upgrade it: run 'leads init' "
			          "(or any command that writes) first",
			    path, have, db_schema_version());
			goto fail;
		}
	}
	*out = db;
	return 0;
fail:
	db_close(db);
	return rc;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (int i = 0; i < db->ncache; i++)
		st_release(&db->cache[i].st);
	db_disconnect(db);
	free(db->lead_cols);
	free(db->sql_insert);
	free(db->sql_update);
	free(db->sql_by_id);
	free(db->sql_insert_id);
	free(db->sql_insert_many);
	db_bulk_finish(db->bulk);
	if (db->defer) {
		free(db->defer->pend);
		sb_free(&db->defer->text);
		free(db->defer);
	}
	sb_free(&db->stage_names);
	free(db->path);
	free(db);
}

const char *db_path(const struct db *db)
{
	return db->path;
}

int db_sync_ids(struct db *db, struct lerr *err)
{
	if (!db->pg)
		return 0; /* SQLite: the next rowid is the largest plus one anyway */
	return db_exec(
	    db,
	    "SELECT setval(pg_get_serial_sequence(t, 'id'), m + 1, false) FROM ("
	    "  SELECT 'imports' AS t, (SELECT coalesce(max(id), 0) FROM imports) AS m"
	    /* the id of a lead merged away names another lead: never again */
	    "  UNION ALL SELECT 'leads', GREATEST((SELECT coalesce(max(id), 0) FROM leads),"
	    "    (SELECT coalesce(max(id), 0) FROM lead_aliases))"
	    "  UNION ALL SELECT 'events', (SELECT coalesce(max(id), 0) FROM events)"
	    "  UNION ALL SELECT 'stays', (SELECT coalesce(max(id), 0) FROM stays)"
	    "  UNION ALL SELECT 'tasks', (SELECT coalesce(max(id), 0) FROM tasks)"
	    "  UNION ALL SELECT 'outbox', (SELECT coalesce(max(id), 0) FROM outbox)"
	    "  UNION ALL SELECT 'sequences', (SELECT coalesce(max(id), 0) FROM sequences)) ids "
	    "WHERE m > 0",
	    err);
}

int db_begin(struct db *db, struct lerr *err)
{
	if (db->pg) /* BEGIN and the write lock: what IMMEDIATE means for SQLite */
		return pg_begin(db->pg) ? db_fail(db, err, "begin") : 0;
	return db_exec(db, "BEGIN IMMEDIATE", err);
}

int db_commit(struct db *db, struct lerr *err)
{
	int rc = db_events_defer(db, false, err);
	if (rc) {
		db_rollback(db);
		return rc;
	}
	rc = db_exec(db, "COMMIT", err);
	if (rc)
		db_rollback(db);
	return rc;
}

void db_rollback(struct db *db)
{
	if (db_load_of(db)) {
		pg_copy_abort(db->pg); /* a no-op unless a COPY is in progress */
		db_load_drop(db);
	}
	if (db->defer) {
		db->defer->npend = 0;
		db->defer->on = false;
		db->defer->rc = 0;
		sb_reset(&db->defer->text);
	}
	if (db_in_txn(db))
		db_exec_raw(db, "ROLLBACK");
}

/* ---- bulk loading ---- */

static bool leads_empty(struct db *db)
{
	struct dbst *st = db_prep(db, "SELECT NOT EXISTS (SELECT 1 FROM leads)", NULL);
	if (!st)
		return false;
	bool empty = st_step(st) == SQLITE_ROW && st_col_int(st, 0);
	st_reset(st);
	return empty;
}

void db_load_drop(struct db *db)
{
	if (!db->bulk)
		return;
	db_load_free(db->bulk->load);
	db->bulk->load = NULL;
}

struct db_bulk *db_bulk_prepare(struct db *db)
{
	struct db_bulk *b = xcalloc(1, sizeof *b);
	b->db = db;
	db->bulk = b;
	if (db->pg || !leads_empty(db))
		return b;
	/*
	 * A load into an empty table writes only rows we make consistent
	 * ourselves: checking each foreign key as it goes (an event or a task
	 * looks up its lead; a lead inserted after what refers to it, as a
	 * bulk import with routing does, looks up five tables) costs more than
	 * one check of the whole at the end (db_bulk_end). The setting
	 * cannot change inside a transaction: it is made here, before BEGIN.
	 */
	if (db_exec_raw(db, "PRAGMA foreign_keys = OFF") == SQLITE_OK)
		b->nofk = true;
	/* Needs the only connection; when others are open it fails and WAL stays. */
	struct dbst *st = db_prepare_once(db, "PRAGMA journal_mode = DELETE", NULL);
	if (!st)
		return b;
	if (st_step(st) == SQLITE_ROW && strcmp(st_col_text(st, 0), "delete") == 0)
		b->journal = true;
	st_finalize(st);
	return b;
}

/* SQLite only: the indexes are read from sqlite_master, dropped by their quoted names */
int db_bulk_begin(struct db_bulk *b, bool all, uint64_t bytes, bool *bulk, struct lerr *err)
{
	struct db *db = b->db;
	*bulk = false;
	if (db->pg) {
		/*
		 * COPY, when the import finds the duplicates itself (db_load.c).
		 * Into a table with leads, their keys are read first (db_load_seed;
		 * about 190 bytes of memory and 3 us a lead), which pays when the
		 * file is big beside them (a round trip a row costs 300 us): at
		 * least 64 bytes of file a lead there, else row by row.
		 */
		if (!all)
			return 0;
		int64_t next; /* the largest id there + 1: at most the leads there + 1 */
		bool dense;
		int rc = db_import_ids(db, &next, &dense, err);
		if (rc || bytes / 64 < (uint64_t)next - 1)
			return rc;
		if ((rc = db_exec(db, "SET CONSTRAINTS ALL DEFERRED", err)))
			return rc;
		db_build_lead_sql(db);
		b->load = db_load_new(next, dense, db->lead_cols);
		db_load_match(b->load, b->match_email, b->match_ext);
		/* the indexes stay: rebuilding them after the load is faster (1M rows:
		 * 12.0 s, 16.5 s kept), but dropping them would lock every reader out
		 * of leads until the import commits, where SQLite's readers go on */
		*bulk = true;
		return 0;
	}
	if (!leads_empty(db)) {
		/*
		 * Into leads in use, the indexes stay; but the full-text index
		 * filled a row at a time by its trigger made a 50,000-row import
		 * 7 times slower (0.7 s -> 4.5 s): for a file of 1 MiB or more
		 * the insert trigger goes for the import and db_bulk_end fills
		 * the new leads' rows in one statement (0.3 s for 50,000).
		 */
		if (bytes < (1u << 20))
			return 0;
		struct dbst *mx = db_prep(db, "SELECT coalesce(max(id), 0) FROM leads", err);
		if (!mx)
			return err->code;
		int mrc = st_step(mx);
		int64_t top = mrc == SQLITE_ROW ? st_col_int64(mx, 0) : 0;
		st_reset(mx);
		if (mrc != SQLITE_ROW)
			return db_fail(db, err, "bulk load");
		int drc = db_exec(db, "DROP TRIGGER lead_fts_insert", err);
		if (!drc) {
			b->fts_after = top;
			b->fts_insert_dropped = true;
		}
		return drc;
	}
	/* a query a row less (db_lead_insert): 5% of a bulk load */
	struct dbst *na = db_prep(db, "SELECT NOT EXISTS (SELECT 1 FROM lead_aliases)", err);
	if (!na)
		return err->code;
	b->no_aliases = st_step(na) == SQLITE_ROW && st_col_int(na, 0);
	st_reset(na);
	/*
	 * Rebuilding every index by one sort is cheaper than maintaining it row
	 * by row (measured: even for stage and status, with few distinct keys).
	 * Unless the caller finds duplicates itself, keep the two that do.
	 */
	struct dbst *st = db_prep(db,
	                          "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
	                          "AND tbl_name = 'leads' AND sql IS NOT NULL "
	                          "AND (?1 OR name NOT IN ('leads_email', 'leads_ext'))",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, all);
	*bulk = true;
	size_t n = 0, cap2 = 0, cap3 = 0;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		b->sql = xgrow(b->sql, &cap2, n + 1, sizeof *b->sql);
		b->names = xgrow(b->names, &cap3, n + 1, sizeof *b->names);
		b->names[n] = db_col_text(st, 0);
		b->sql[n] = db_col_text(st, 1);
		n++;
	}
	st_reset(st);
	b->n = n;
	int ret = rc == SQLITE_DONE ? 0 : db_fail(db, err, "bulk load");
	/* the full-text index: filled once at the end, not by a trigger a row */
	if (!ret && !(ret = db_exec(db, FTS_DROP_TRIGGERS, err)))
		b->fts = true;
	for (size_t i = 0; i < n && !ret; i++) {
		/* names come from the schema, quoted as identifiers */
		char *sql = sqlite3_mprintf("DROP INDEX \"%w\"", b->names[i]);
		ret = db_exec(db, sql, err);
		sqlite3_free(sql);
	}
	return ret;
}

/*
 * Build one saved index now (name) or all that are left (NULL). Sorting a
 * million keys is where a bulk load spends its time: give the sorter a
 * larger cache while it runs.
 */
/* SQLite only */
int db_bulk_build(struct db *db, const char *name, struct lerr *err)
{
	struct db_bulk *b = db->bulk;
	if (!b || !b->n)
		return 0;
	int rc = db_exec(db, "PRAGMA cache_size = -16384", err);
	for (size_t i = 0; !rc && i < b->n; i++) {
		if (!b->sql[i] || (name && strcmp(b->names[i], name) != 0))
			continue;
		rc = db_exec(db, b->sql[i], err);
		if (!rc) {
			free(b->sql[i]);
			b->sql[i] = NULL;
		}
	}
	int rc2 = db_exec(db, "PRAGMA cache_size = -8192", rc ? NULL : err);
	return rc ? rc : rc2;
}

bool db_bulk_pending(struct db *db, const char *name)
{
	struct db_bulk *b = db->bulk;
	for (size_t i = 0; b && i < b->n; i++)
		if (b->sql[i] && strcmp(b->names[i], name) == 0)
			return true;
	return false;
}

/* Forget the saved indexes (built, or rolled back with the transaction). */
static void bulk_forget(struct db_bulk *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->sql[i]);
		free(b->names[i]);
	}
	free(b->names);
	free(b->sql);
	b->names = b->sql = NULL;
	b->n = 0;
}

/* SQLite only: the foreign keys db_bulk_prepare turned off, checked at once. */
static int sqlite_fk_check(struct db *db, struct lerr *err)
{
	struct dbst *st = db_prepare_once(db, "PRAGMA foreign_key_check", NULL);
	if (!st)
		return db_fail(db, err, "check foreign keys");
	int rc = st_step(st);
	if (rc == SQLITE_ROW)
		rc = lerr_set(err, EX_SOFTWARE,
		              "%s row %lld refers to a lead that is not there (a bug: please "
		              "report it); nothing was imported",
		              st_col_text(st, 0), (long long)st_col_int64(st, 1));
	else
		rc = rc == SQLITE_DONE ? 0 : db_fail(db, err, "check foreign keys");
	st_finalize(st);
	return rc;
}

int db_bulk_end(struct db_bulk *b, struct lerr *err)
{
	struct db *db = b->db;
	if (b->load) { /* PostgreSQL: the last of the COPY */
		int rc = db_load_flush(db, err);
		db_load_drop(db);
		if (rc)
			return rc;
	}
	if (db->pg) /* the leads came with their ids */
		return db_sync_ids(db, err);
	int rc = db_bulk_build(db, NULL, err);
	bulk_forget(b);
	if (!rc && b->fts_insert_dropped) {
		rc = db_exec(db, FTS_TRIGGER_INSERT, err);
		struct dbst *st = rc ? NULL : db_prep(db, FTS_FILL_AFTER, err);
		if (!rc && !st)
			rc = err->code;
		if (st) {
			st_bind_int64(st, 1, b->fts_after);
			int src = st_step(st);
			st_reset(st);
			if (src != SQLITE_DONE)
				rc = db_fail(db, err, "fill the search index");
		}
		b->fts_insert_dropped = false;
	}
	/* the index is filled later, by the sweep (db_fts_fill): filling it here
	 * would make an import of a million leads take 10 s more */
	if (!rc && b->fts && !(rc = db_exec(db, FTS_TRIGGERS, err)))
		rc = db_state_set(db, "fts_stale", "1", err);
	b->fts = false;
	if (rc || !b->nofk)
		return rc;
	return sqlite_fk_check(db, err);
}

bool db_fts_stale(struct db *db)
{
	if (db->pg)
		return false;
	char *v = db_state_get(db, "fts_stale");
	bool stale = v != NULL;
	free(v);
	return stale;
}

int db_fts_fill(struct db *db, bool *filled, struct lerr *err)
{
	*filled = false;
	if (!db_fts_stale(db))
		return 0;
	int rc = db_exec(
	    db, "DELETE FROM lead_fts;" FTS_FILL "DELETE FROM state WHERE key = 'fts_stale';", err);
	*filled = rc == 0;
	return rc;
}

void db_bulk_finish(struct db_bulk *b)
{
	if (!b)
		return;
	struct db *db = b->db;
	db_load_free(b->load);
	bulk_forget(b);
	/* dropped triggers come back with the rollback */
	if (b->nofk)
		db_exec_raw(db, "PRAGMA foreign_keys = ON");
	if (b->journal)
		db_exec_raw(db, "PRAGMA journal_mode = WAL");
	if (db->bulk == b)
		db->bulk = NULL;
	free(b);
}

/* ---- stages ---- */

int db_sync_stages(struct db *db, const struct config *cfg, struct lerr *err)
{
	/* Compare first: the common case is "nothing changed" and costs one read. */
	struct dbst *st = db_prep(db,
	                          "SELECT key, name, grp FROM stages WHERE in_config <> 0 "
	                          "ORDER BY position",
	                          err);
	if (!st)
		return err->code;
	size_t i = 0;
	bool same = true;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		if (i >= cfg->nstages || strcmp(st_col_text(st, 0), cfg->stages[i].key) ||
		    strcmp(st_col_text(st, 1), cfg->stages[i].name) ||
		    strcmp(st_col_text(st, 2), stage_group_name(cfg->stages[i].grp)))
			same = false;
		i++;
	}
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "read stages");
	if (same && i == cfg->nstages)
		return 0;

	db->stage_names_loaded = false; /* names may change: db_stage_name asks again */
	if ((rc = db_exec(db, "UPDATE stages SET in_config = 0", err)))
		return rc;
	for (i = 0; i < cfg->nstages; i++) {
		st = db_prep(db,
		             "INSERT INTO stages(key, name, position, grp, in_config) "
		             "VALUES (?1, ?2, ?3, ?4, 1) ON CONFLICT(key) DO UPDATE SET "
		             "name = ?2, position = ?3, grp = ?4, in_config = 1",
		             err);
		if (!st)
			return err->code;
		st_bind_text_static(st, 1, cfg->stages[i].key, -1);
		st_bind_text_static(st, 2, cfg->stages[i].name, -1);
		st_bind_int64(st, 3, (int64_t)i);
		st_bind_text_static(st, 4, stage_group_name(cfg->stages[i].grp), -1);
		if (st_step(st) != SQLITE_DONE)
			return db_fail(db, err, "sync stages");
	}
	/*
	 * Positions moved: recompute each lead's furthest position reached
	 * from its history, so the funnel stays right after a reorder. Lost
	 * stages do not count: a lost lead keeps how far it got (0 if it never
	 * left the lost stages, as every lead entered at the top).
	 */
	return db_exec(db,
	               "UPDATE leads SET reached_pos = ("
	               "  SELECT coalesce(max(s.position), 0) FROM stages s"
	               "  WHERE s.in_config <> 0 AND s.grp <> 'lost' AND s.key IN ("
	               "    SELECT to_val FROM events e WHERE e.lead_id = leads.id"
	               "      AND e.kind IN ('created', 'moved')"
	               "    UNION SELECT leads.stage))",
	               err);
}

int db_stage_names_load(struct db *db, struct lerr *err)
{
	struct dbst *st = db_prep(db, "SELECT key, name FROM stages", err);
	if (!st)
		return err->code;
	sb_reset(&db->stage_names);
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < 2; i++) {
			const char *t = st_col_text(st, i);
			sb_adds(&db->stage_names, t ? t : "");
			sb_addc(&db->stage_names, '\0');
		}
	}
	st_reset(st);
	db->stage_names_loaded = rc == SQLITE_DONE;
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "read the stages");
}

char *db_stage_name(struct db *db, const char *key)
{
	if (db->stage_names_loaded) {
		const char *p = db->stage_names.buf, *end = p + db->stage_names.len;
		while (p < end) { /* key\0name\0 ... */
			const char *name = p + strlen(p) + 1;
			if (strcmp(p, key) == 0)
				return xstrdup(name);
			p = name + strlen(name) + 1;
		}
		return NULL;
	}
	struct dbst *st = db_prep(db, "SELECT name FROM stages WHERE key = ?1", NULL);
	if (!st)
		return NULL;
	st_bind_text_static(st, 1, key, -1);
	char *name = st_step(st) == SQLITE_ROW ? db_col_text(st, 0) : NULL;
	st_reset(st);
	return name;
}

/* ---- leads ---- */

/*
 * The lead statements list every column of lead_fields, so they are built
 * once per connection from that table (constant text, no user data) and
 * then cached like any other statement.
 */
void db_build_lead_sql(struct db *db)
{
	if (db->lead_cols)
		return;
	struct sb cols = SB_INIT, sql = SB_INIT;
	for (int i = 1; i < lead_nfields; i++)
		sb_addf(&cols, "%s%s", i > 1 ? ", " : "", lead_fields[i].name);
	db->lead_cols = sb_detach(&cols);

	sb_addf(&sql, "INSERT INTO leads(%s) VALUES (", db->lead_cols);
	for (int i = 1; i < lead_nfields; i++)
		sb_addf(&sql, "%s?%d", i > 1 ? ", " : "", i);
	sb_adds(&sql, ")");
	db->sql_insert = sb_detach(&sql);

	sb_adds(&sql, "UPDATE leads SET ");
	for (int i = 1; i < lead_nfields; i++)
		sb_addf(&sql, "%s%s = ?%d", i > 1 ? ", " : "", lead_fields[i].name, i);
	sb_addf(&sql, " WHERE id = ?%d", lead_nfields);
	db->sql_update = sb_detach(&sql);

	sb_addf(&sql, "SELECT id, %s FROM leads WHERE id = ?1", db->lead_cols);
	db->sql_by_id = sb_detach(&sql);

	sb_addf(&sql, "INSERT INTO leads(id, %s) VALUES (?%d", db->lead_cols, lead_nfields);
	for (int i = 1; i < lead_nfields; i++)
		sb_addf(&sql, ", ?%d", i);
	sb_adds(&sql, ")");
	db->sql_insert_id = sb_detach(&sql);
}

static const char *lead_cols(struct db *db)
{
	db_build_lead_sql(db);
	return db->lead_cols;
}

/*
 * Bind fields 1..n-1 of l as ?1..?(n-1). st comes from db_prep, which
 * cleared its bindings: the empty fields are NULL already (an import binds
 * a million rows, a third of their fields empty).
 */
/* Bind the fields of l as parameters base + 1 .. base + lead_nfields - 1. */
static void bind_lead_at(struct dbst *st, const struct lead *l, int base)
{
	for (int i = 1; i < lead_nfields; i++) {
		const struct field_desc *f = &lead_fields[i];
		if (f->kind == FK_TEXT && l->t[f->idx])
			st_bind_text_static(st, base + i, l->t[f->idx], -1);
		else if (f->kind != FK_TEXT && l->has[f->idx])
			st_bind_int64(st, base + i, l->i[f->idx]);
	}
}

static void bind_lead(struct dbst *st, const struct lead *l)
{
	bind_lead_at(st, l, 0);
}

/* Read a row "id, <lead_cols>" starting at column col. */
void db_read_lead(struct dbst *st, int col, struct lead *l)
{
	lead_init(l);
	for (int i = 0; i < lead_nfields; i++) {
		const struct field_desc *f = &lead_fields[i];
		int c = col + i;
		if (f->kind == FK_TEXT) {
			l->t[f->idx] = db_col_text(st, c);
		} else if (st_col_type(st, c) != SQLITE_NULL) {
			l->i[f->idx] = st_col_int64(st, c);
			l->has[f->idx] = true;
		}
	}
}

int db_lead_insert(struct db *db, struct lead *l, struct lerr *err)
{
	if (db_load_of(db)) {
		int64_t id = 0;
		int rc = db_load_lead(db, l, &id, err);
		lead_set_int(l, LI_ID, id);
		return rc;
	}
	db_build_lead_sql(db);
	/* SQLite hands out the largest id plus one: never the id of a lead
	 * merged away, which still names the lead it was merged into
	 * (lead_aliases). PostgreSQL's identity never hands one out twice. */
	int64_t next = 0;
	if (!db->pg && !(db->bulk && db->bulk->no_aliases)) {
		struct dbst *q = db_prep(db,
		                         "SELECT (SELECT max(id) FROM lead_aliases) + 1 WHERE "
		                         "(SELECT max(id) FROM lead_aliases) >= "
		                         "coalesce((SELECT max(id) FROM leads), 0)",
		                         err);
		if (!q)
			return err->code;
		int qrc = st_step(q);
		if (qrc == SQLITE_ROW)
			next = st_col_int64(q, 0);
		st_reset(q);
		if (qrc != SQLITE_ROW && qrc != SQLITE_DONE)
			return db_fail(db, err, "insert lead");
	}
	struct dbst *st = db_prep(db, next ? db->sql_insert_id : db->sql_insert, err);
	if (!st)
		return err->code;
	bind_lead(st, l);
	if (next)
		st_bind_int64(st, lead_nfields, next);
	if (st_step(st) != SQLITE_DONE) {
		int prim = db_errcode(db);
		st_reset(st);
		if (prim == SQLITE_CONSTRAINT && l->t[LT_EMAIL]) {
			int64_t other = 0;
			if (db_lead_id_by_email(db, l->t[LT_EMAIL], &other, NULL) == 1)
				return lerr_set(err, EX_DATAERR,
				                "a lead with email '%s' already exists (#%lld)",
				                l->t[LT_EMAIL], (long long)other);
		}
		return db_fail(db, err, "insert lead");
	}
	lead_set_int(l, LI_ID, next ? next : db_last_id(db));
	st_reset(st);
	return 0;
}

#define LEADS_CHUNK 16 /* rows a statement: 16 x 34 parameters */

int db_leads_insert(struct db *db, struct lead *v, size_t n, size_t *done, struct lerr *err)
{
	*done = 0;
	size_t i = 0;
	/* a bulk load on SQLite: no look at the aliases a row (db_lead_insert) */
	if (!db->pg && db->bulk && db->bulk->no_aliases && !db_load_of(db)) {
		db_build_lead_sql(db);
		if (!db->sql_insert_many) {
			struct sb sql = SB_INIT;
			sb_addf(&sql, "INSERT INTO leads(%s) VALUES ", db->lead_cols);
			for (int r = 0; r < LEADS_CHUNK; r++) {
				sb_adds(&sql, r ? ", (" : "(");
				for (int k = 1; k < lead_nfields; k++)
					sb_addf(&sql, "%s?%d", k > 1 ? ", " : "",
					        r * (lead_nfields - 1) + k);
				sb_addc(&sql, ')');
			}
			db->sql_insert_many = sb_detach(&sql);
		}
		for (; n - i >= LEADS_CHUNK; i += LEADS_CHUNK) {
			struct dbst *st = db_prep(db, db->sql_insert_many, err);
			if (!st)
				return err->code;
			for (int r = 0; r < LEADS_CHUNK; r++)
				bind_lead_at(st, &v[i + (size_t)r], r * (lead_nfields - 1));
			int rc = st_step(st);
			st_reset(st);
			if (rc != SQLITE_DONE)
				return db_fail(db, err, "insert leads");
			*done += LEADS_CHUNK;
		}
	}
	for (; i < n; i++) {
		int rc = db_lead_insert(db, &v[i], err);
		if (rc)
			return rc;
		(*done)++;
	}
	return 0;
}

/* Step one of the statements of db_build_lead_sql that take every field and the id last. */
static int step_lead(struct db *db, const char *sql, const struct lead *l, int *rc,
                     struct lerr *err)
{
	struct dbst *st = db_prep(db, sql, err);
	if (!st)
		return err->code;
	bind_lead(st, l);
	st_bind_int64(st, lead_nfields, l->i[LI_ID]);
	*rc = st_step(st);
	st_reset(st);
	return 0;
}

int db_lead_insert_id(struct db *db, const struct lead *l, struct lerr *err)
{
	if (db_load_of(db))
		return db_load_lead(db, l, NULL, err);
	db_build_lead_sql(db);
	int rc, ret = step_lead(db, db->sql_insert_id, l, &rc, err);
	if (ret)
		return ret;
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "insert lead");
}

int db_lead_updated(struct db *db, int rc, const struct lead *l, struct lerr *err)
{
	if (rc == SQLITE_DONE)
		return 0;
	if ((db_errcode(db) & 0xff) == SQLITE_CONSTRAINT && l->t[LT_EMAIL])
		return lerr_set(err, EX_DATAERR, "another lead already has email '%s'",
		                l->t[LT_EMAIL]);
	return db_fail(db, err, "update lead");
}

int db_lead_update(struct db *db, const struct lead *l, struct lerr *err)
{
	db_build_lead_sql(db);
	int rc, ret = step_lead(db, db->sql_update, l, &rc, err);
	return ret ? ret : db_lead_updated(db, rc, l, err);
}

int db_lead_by_id(struct db *db, int64_t id, struct lead *out, struct lerr *err)
{
	db_build_lead_sql(db);
	struct dbst *st = db_prep(db, db->sql_by_id, err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, id);
	int rc = st_step(st);
	if (rc == SQLITE_ROW) {
		db_read_lead(st, 0, out);
		st_reset(st);
		return 0;
	}
	st_reset(st);
	if (rc != SQLITE_DONE)
		return db_fail(db, err, "read lead");
	return lerr_set(err, EX_NOINPUT, "no lead with id %lld", (long long)id);
}

int db_lead_id_by_email(struct db *db, const char *email, int64_t *id, struct lerr *err)
{
	struct dbst *st = db_prep(db, "SELECT id FROM leads WHERE email = ?1", err);
	if (!st)
		return err ? err->code : EX_SOFTWARE;
	st_bind_text_static(st, 1, email, -1);
	int rc = st_step(st);
	if (rc == SQLITE_ROW)
		*id = st_col_int64(st, 0);
	st_reset(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	db_fail(db, err, "find lead");
	return -1;
}

int db_lead_find(struct db *db, const char *ref, struct lead *out, struct lerr *err)
{
	int64_t id;
	const char *r = ref;
	if (*r == '#')
		r++;
	if (str_to_i64(r, &id) && id > 0) {
		int rc = db_lead_by_id(db, id, out, err);
		if (rc == EX_NOINPUT)
			lerr_set(err, EX_NOINPUT, "no lead matches '%s'", ref);
		return rc;
	}
	char *email;
	if (!strchr(ref, '@') || !lead_email_normalize(ref, &email))
		return lerr_set(err, EX_NOINPUT,
		                "no lead matches '%s' (give a lead id or an email address)", ref);
	int found = db_lead_id_by_email(db, email, &id, err);
	free(email);
	if (found < 0)
		return err->code;
	if (found == 0)
		return lerr_set(err, EX_NOINPUT, "no lead matches '%s'", ref);
	return db_lead_by_id(db, id, out, err);
}

int64_t db_lead_count(struct db *db)
{
	struct dbst *st = db_prep(db, "SELECT count(*) FROM leads", NULL);
	if (!st)
		return -1;
	int64_t n = st_step(st) == SQLITE_ROW ? st_col_int64(st, 0) : -1;
	st_reset(st);
	return n;
}

/*
 * The list query. The SQL text is built from constant fragments only; every
 * value the user gave is a bound parameter. The sort column comes from the
 * field table, never from the user's string.
 */
int db_lead_query(struct db *db, const struct lead_filter *f, db_lead_fn fn, void *ctx,
                  struct lerr *err)
{
	struct sb sql = SB_INIT;
	/* list TEXT in id order on SQLite: the index drives, in rowid order, so
	 * the first page needs only the first matches (db_text_clause) */
	/* after a bulk import the index waits for the sweep: search without it */
	bool stale = f->text && db_fts_stale(db);
	char *tq = f->text && !stale ? db_text_query(db, f->text) : NULL;
	bool fts_drives = tq && !db->pg && !f->sort;
	sb_addf(&sql, "SELECT id, %s FROM %s WHERE TRUE", lead_cols(db),
	        fts_drives ? "lead_fts CROSS JOIN leads ON leads.id = lead_fts.rowid" : "leads");
	if (fts_drives)
		sb_adds(&sql, " AND lead_fts MATCH ?12");
	else if (tq)
		sb_adds(&sql, db_text_clause(db));
	else if (stale)
		sb_adds(&sql, " AND (" FTS_DOC(
		                  "leads") " || ' ' || coalesce((SELECT "
		                           "group_concat(json_extract(e.data, '$.text'), ' ') FROM "
		                           "events e WHERE "
		                           "e.lead_id = leads.id AND e.kind IN " FTS_NOTE_KINDS
		                           "), '')) LIKE ?12 "
		                           "ESCAPE '\\'");
	if (f->stage)
		sb_adds(&sql, " AND stage = ?15");
	else if (f->stages_json)
		sb_adds(&sql, " AND stage IN (SELECT value FROM json_each(?1))");
	if (f->status)
		sb_adds(&sql, " AND status = ?2");
	if (f->owner)
		sb_adds(&sql, *f->owner && strcmp(f->owner, "-") ? " AND owner = ?3 COLLATE NOCASE"
		                                                 : " AND owner IS NULL");
	if (f->source)
		sb_adds(&sql, " AND source = ?4 COLLATE NOCASE");
	if (f->search) {
		sb_adds(&sql, " AND (FALSE");
		for (int i = 0; i < lead_nfields; i++)
			if (lead_fields[i].flags & FF_SEARCH)
				sb_addf(&sql, " OR %s LIKE ?5 ESCAPE '\\'", lead_fields[i].name);
		sb_adds(&sql, " OR extra LIKE ?5 ESCAPE '\\')");
	}
	if (f->created_since)
		sb_adds(&sql, " AND created_at >= ?6");
	if (f->created_until)
		sb_adds(&sql, " AND created_at < ?7");
	if (f->activity_since)
		sb_adds(&sql, " AND last_activity_at >= ?8");
	if (f->activity_until)
		sb_adds(&sql, " AND coalesce(last_activity_at, created_at) < ?9");
	if (f->has_min_score)
		sb_adds(&sql, " AND score >= ?10");
	bool by_name = f->sort && strcmp(f->sort, "name") == 0;
	const struct field_desc *sort = f->sort && !by_name ? lead_field(f->sort) : NULL;
	if (f->sort && !sort && !by_name) {
		sb_free(&sql);
		free(tq);
		return lerr_set(err, EX_USAGE, "cannot sort by '%s': no such field", f->sort);
	}
	const char *dir = f->desc ? "DESC" : "ASC";
	if (by_name) /* as people file names: last, then first, any case */
		sb_addf(&sql,
		        " ORDER BY lower(coalesce(last_name, first_name, company, email)) %s, "
		        "lower(coalesce(first_name, '')) %s, id %s",
		        dir, dir, dir);
	else if (sort && f->sort_order_json) /* an order by meaning: ?14 lists it */
		sb_addf(&sql,
		        " ORDER BY coalesce((SELECT CAST(key AS INTEGER) FROM json_each(?14) "
		        "WHERE value = leads.%s), 1000000) %s, id",
		        sort->name, dir);
	else
		sb_addf(&sql, " ORDER BY %s %s%s",
		        sort         ? sort->name
		        : fts_drives ? "lead_fts.rowid"
		                     : "id",
		        dir, sort && sort->idx != LI_ID ? ", id" : "");
	if (f->limit > 0)
		sb_adds(&sql, " LIMIT ?11");

	struct dbst *st = db_prepare_once(db, sql.buf, NULL);
	if (!st) {
		sb_free(&sql);
		free(tq);
		return db_fail(db, err, "list leads");
	}
	sb_free(&sql);
	db_bind_text(st, 1, f->stages_json);
	db_bind_text(st, 15, f->stage);
	db_bind_text(st, 2, f->status);
	db_bind_text(st, 3, f->owner);
	db_bind_text(st, 4, f->source);
	if (f->search) {
		struct sb pat = SB_INIT;
		sb_addc(&pat, '%');
		for (const char *p = f->search; *p; p++) {
			if (*p == '%' || *p == '_' || *p == '\\')
				sb_addc(&pat, '\\');
			sb_addc(&pat, *p);
		}
		sb_addc(&pat, '%');
		st_bind_text(st, 5, pat.buf, -1);
		sb_free(&pat);
	}
	st_bind_int64(st, 6, f->created_since);
	st_bind_int64(st, 7, f->created_until);
	st_bind_int64(st, 8, f->activity_since);
	st_bind_int64(st, 9, f->activity_until);
	st_bind_int64(st, 10, f->min_score);
	st_bind_int64(st, 11, f->limit);
	if (sort && f->sort_order_json)
		db_bind_text(st, 14, f->sort_order_json);
	if (tq)
		st_bind_text(st, 12, tq, -1);
	if (tq && db->pg) {
		char *any = db_text_query_any(db, f->text);
		st_bind_text(st, 13, any, -1);
		free(any);
	}
	free(tq);    /* st_bind_text copies */
	if (stale) { /* the words in order, anything between */
		struct sb pat = SB_INIT;
		sb_addc(&pat, '%');
		for (const char *p = f->text; *p; p++) {
			if (*p == '%' || *p == '_' || *p == '\\')
				sb_addc(&pat, '\\');
			sb_addc(&pat, *p == ' ' ? '%' : *p);
		}
		sb_addc(&pat, '%');
		st_bind_text(st, 12, pat.buf, -1);
		sb_free(&pat);
	}
	if (f->stream)
		st_stream(st);

	int rc, ret = 0;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		struct lead l;
		db_read_lead(st, 0, &l);
		ret = fn(&l, ctx);
		lead_free(&l);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_fail(db, err, "list leads");
	st_finalize(st);
	return ret;
}

int db_stage_counts(struct db *db, db_count_fn fn, void *ctx, struct lerr *err)
{
	struct dbst *st = db_prep(db, "SELECT stage, count(*) FROM leads GROUP BY stage", err);
	if (!st)
		return err->code;
	int rc;
	while ((rc = st_step(st)) == SQLITE_ROW)
		fn(st_col_text(st, 0), st_col_int64(st, 1), ctx);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "count leads");
}

/* ---- events ---- */

/* ---- deferred history rows (db_events_defer) ---- */

#define EVENT_CHUNK 32 /* rows per INSERT; 7 parameters each */

static const char *event_chunk_sql(void)
{
	static char *sql;
	if (!sql) {
		struct sb b = SB_INIT;
		sb_adds(&b, "INSERT INTO events(lead_id, at, actor, kind, from_val, to_val, data) "
		            "VALUES ");
		for (int r = 0; r < EVENT_CHUNK; r++) {
			sb_adds(&b, r ? ", (" : "(");
			for (int c = 1; c <= 7; c++)
				sb_addf(&b, "%s?%d", c > 1 ? ", " : "", r * 7 + c);
			sb_addc(&b, ')');
		}
		sql = sb_detach(&b);
	}
	return sql;
}

static const char *pend_str(const struct db_defer *d, size_t off)
{
	return off == SIZE_MAX ? NULL : d->text.buf + off;
}

static int event_insert(struct db *db, const struct event *ev, struct lerr *err);

/* Write the kept rows, in order: whole chunks, then one by one. */
static int events_flush(struct db *db, struct lerr *err)
{
	struct db_defer *d = db->defer;
	if (!d)
		return 0;
	if (d->rc)
		return lerr_set(err, d->rc, "history rows could not be written earlier");
	if (!d->npend || d->flushing)
		return 0;
	d->flushing = true;
	int rc = 0, i = 0;
	for (; !rc && d->npend - i >= EVENT_CHUNK; i += EVENT_CHUNK) {
		struct dbst *st = db_prep_keep(db, event_chunk_sql(), err);
		if (!st) {
			rc = err ? err->code : EX_SOFTWARE;
			break;
		}
		for (int r = 0; r < EVENT_CHUNK; r++) {
			const struct pending_event *p = &d->pend[i + r];
			st_bind_int64(st, r * 7 + 1, p->lead_id);
			st_bind_int64(st, r * 7 + 2, p->at);
			for (int c = 0; c < 5; c++)
				db_bind_text(st, r * 7 + 3 + c, pend_str(d, p->text[c]));
		}
		int step = st_step(st);
		st_reset(st);
		if (step != SQLITE_DONE)
			rc = db_fail(db, err, "record history");
	}
	for (; !rc && i < d->npend; i++) {
		const struct pending_event *p = &d->pend[i];
		struct event ev = { .lead_id = p->lead_id,
			            .at = p->at,
			            .actor = pend_str(d, p->text[0]),
			            .kind = pend_str(d, p->text[1]),
			            .from = pend_str(d, p->text[2]),
			            .to = pend_str(d, p->text[3]),
			            .data = pend_str(d, p->text[4]) };
		rc = event_insert(db, &ev, err);
	}
	d->npend = 0;
	sb_reset(&d->text);
	d->flushing = false;
	if (rc)
		d->rc = rc;
	return rc;
}

int db_events_defer(struct db *db, bool on, struct lerr *err)
{
	int rc = events_flush(db, err);
	if (on && !db->defer)
		db->defer = xcalloc(1, sizeof *db->defer);
	if (db->defer)
		db->defer->on = on && !rc;
	return rc;
}

static void pend_add(struct db_defer *d, size_t *off, const char *s)
{
	if (!s) {
		*off = SIZE_MAX;
		return;
	}
	*off = d->text.len;
	sb_add(&d->text, s, strlen(s) + 1); /* with its NUL */
}

int db_event_add(struct db *db, const struct event *ev, struct lerr *err)
{
	struct db_defer *d = db->defer;
	if (!d || !d->on)
		return event_insert(db, ev, err);
	if (d->npend == EVENT_CHUNK) {
		int rc = events_flush(db, err);
		if (rc)
			return rc;
	}
	if (!d->pend)
		d->pend = xcalloc(EVENT_CHUNK, sizeof *d->pend);
	struct pending_event *p = &d->pend[d->npend++];
	p->lead_id = ev->lead_id;
	p->at = ev->at;
	pend_add(d, &p->text[0], ev->actor);
	pend_add(d, &p->text[1], ev->kind);
	pend_add(d, &p->text[2], ev->from);
	pend_add(d, &p->text[3], ev->to);
	pend_add(d, &p->text[4], ev->data);
	return 0;
}

static int event_insert(struct db *db, const struct event *ev, struct lerr *err)
{
	struct dbst *st =
	    db_prep_keep(db,
	                 "INSERT INTO events(lead_id, at, actor, kind, from_val, to_val, "
	                 "data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	                 err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, ev->lead_id);
	st_bind_int64(st, 2, ev->at);
	db_bind_text(st, 3, ev->actor);
	db_bind_text(st, 4, ev->kind);
	db_bind_text(st, 5, ev->from);
	db_bind_text(st, 6, ev->to);
	db_bind_text(st, 7, ev->data);
	int rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "record history");
}

int db_events_for(struct db *db, int64_t lead_id, db_event_fn fn, void *ctx, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "SELECT id, lead_id, at, actor, kind, from_val, to_val, data "
	                          "FROM events WHERE lead_id = ?1 ORDER BY at, id",
	                          err);
	if (!st)
		return err->code;
	st_bind_int64(st, 1, lead_id);
	int rc, ret = 0;
	while ((rc = st_step(st)) == SQLITE_ROW) {
		struct event ev = {
			.id = st_col_int64(st, 0),
			.lead_id = st_col_int64(st, 1),
			.at = st_col_int64(st, 2),
			.actor = st_col_text(st, 3),
			.kind = st_col_text(st, 4),
			.from = st_col_text(st, 5),
			.to = st_col_text(st, 6),
			.data = st_col_text(st, 7),
		};
		if ((ret = fn(&ev, ctx)))
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_fail(db, err, "read history");
	st_reset(st);
	return ret;
}

/* ---- state ---- */

char *db_state_get(struct db *db, const char *key)
{
	struct dbst *st = db_prep(db, "SELECT value FROM state WHERE key = ?1", NULL);
	if (!st)
		return NULL;
	st_bind_text_static(st, 1, key, -1);
	char *v = st_step(st) == SQLITE_ROW ? db_col_text(st, 0) : NULL;
	st_reset(st);
	return v;
}

int db_state_set(struct db *db, const char *key, const char *value, struct lerr *err)
{
	struct dbst *st = db_prep(db,
	                          "INSERT INTO state(key, value) VALUES (?1, ?2) "
	                          "ON CONFLICT(key) DO UPDATE SET value = ?2",
	                          err);
	if (!st)
		return err->code;
	st_bind_text_static(st, 1, key, -1);
	db_bind_text(st, 2, value);
	int rc = st_step(st);
	st_reset(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, err, "save state");
}
