/*
 * db_pg.c - PostgreSQL under the storage layer: a connection and
 * statements that behave like SQLite's (see db_pg.h for the rules).
 */
#include "db_pg.h"

#include <ctype.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "pgsql.h"

/* type oids (catalog/pg_type_d.h is in the server's headers) */
#define BOOLOID    16
#define INT8OID    20
#define INT2OID    21
#define INT4OID    23
#define TEXTOID    25
#define OIDOID     26
#define FLOAT4OID  700
#define FLOAT8OID  701
#define NUMERICOID 1700

/* pg_advisory_xact_lock key of the write lock: "leads" */
#define WRITE_LOCK 108101097100115LL
/* and of schema migrations */
#define SCHEMA_LOCK 108101097100116LL

struct pgdb {
	PGconn *c;
	char *display;
	int busy_ms;
	int code;
	char *msg;
	int64_t changes, last_id;
	unsigned nstmt; /* names of prepared statements: s1, s2, ... */
	bool trace;
	const char *trace_sql;
	FILE *wire; /* LEADS_PG_TRACE: libpq's trace of the protocol messages */
	/*
	 * pg_begin() sends nothing: BEGIN and the lock go with the next
	 * statement, in the same round trip (begin_key: the lock's key).
	 */
	bool begin_pending;
	long long begin_key;
	int begin_busy; /* the busy timeout when pg_begin() was called */
	/* statements finalized, deallocated in a later round trip once many */
	char (*unused)[16];
	unsigned nunused;
	/*
	 * The results expected from the open pipeline, in order (settle()):
	 * 'b' BEGIN and the lock, 'p' a Parse, 'P' the Parse of the statement
	 * waited for, 'd' a write deferred (its result: changes and id), 'x'
	 * the statement waited for, 'q' anything else.
	 */
	struct pexp {
		char kind;
		unsigned flags;
	} * exp;
	unsigned nexp, capexp;
	bool batch_tx; /* the pipeline runs in a transaction */
	bool retype;   /* the Parse waited for failed to type a parameter (outside a transaction) */
	int sticky;    /* a deferred write failed: the transaction's error until ROLLBACK */
	struct pgst *streaming; /* the statement whose rows are coming (pgst_stream) */
};

struct pgst {
	struct pgdb *pg;
	char *sql;
	unsigned flags;
	char name[16]; /* "" until prepared on the server */
	int nparams;
	char **val;  /* text of each parameter, NULL for NULL */
	Oid *types;  /* text for those the statement never mentions, else inferred */
	bool *isint; /* bound as an integer last (the others: text or NULL) */
	PGresult *res;
	int row, nrows;
	bool done;
	bool stream; /* rows one at a time as they come, not the whole result */
	bool risky;  /* a parameter the server may fail to type: prepared under a savepoint */
};

/* ---- libpq, loaded when a PostgreSQL database is named ----
 *
 * Linking libpq cost every command, on a file too, the loading of it and
 * its twenty-odd libraries (Kerberos, LDAP, OpenSSL...): some 3 ms and 43%
 * of the instructions of a `leads add`. So only its header is used at build
 * time, for the types and prototypes, and the library is opened by name the
 * first time a connection string is given. LEADS_LIBPQ names another file
 * to open instead, for the tests of a missing library.
 */
#define PQ_FUNCS(X)                                                                                \
	X(PQclear)                                                                                 \
	X(PQcmdStatus)                                                                             \
	X(PQcmdTuples)                                                                             \
	X(PQconnectdbParams)                                                                       \
	X(PQconninfoFree)                                                                          \
	X(PQconninfoParse)                                                                         \
	X(PQfreemem)                                                                               \
	X(PQerrorMessage)                                                                          \
	X(PQenterPipelineMode)                                                                     \
	X(PQexitPipelineMode)                                                                      \
	X(PQdb)                                                                                    \
	X(PQescapeIdentifier)                                                                      \
	X(PQexec)                                                                                  \
	X(PQexecPrepared)                                                                          \
	X(PQfinish)                                                                                \
	X(PQftype)                                                                                 \
	X(PQgetResult)                                                                             \
	X(PQgetisnull)                                                                             \
	X(PQgetvalue)                                                                              \
	X(PQhost)                                                                                  \
	X(PQnfields)                                                                               \
	X(PQntuples)                                                                               \
	X(PQpipelineStatus)                                                                        \
	X(PQport)                                                                                  \
	X(PQpipelineSync)                                                                          \
	X(PQprepare)                                                                               \
	X(PQputCopyData)                                                                           \
	X(PQputCopyEnd)                                                                            \
	X(PQresultErrorField)                                                                      \
	X(PQresultErrorMessage)                                                                    \
	X(PQresultStatus)                                                                          \
	X(PQsendPrepare)                                                                           \
	X(PQsendQueryParams)                                                                       \
	X(PQsendQueryPrepared)                                                                     \
	X(PQsetNoticeProcessor)                                                                    \
	X(PQsetSingleRowMode)                                                                      \
	X(PQstatus)                                                                                \
	X(PQsetTraceFlags)                                                                         \
	X(PQtrace)                                                                                 \
	X(PQtransactionStatus)

static struct {
#define PQ_FIELD(f) __typeof__(f) *f;
	PQ_FUNCS(PQ_FIELD)
#undef PQ_FIELD
} pq;

static int pq_load(struct lerr *err)
{
	static void *lib;
	if (lib)
		return 0;
	const char *path = getenv("LEADS_LIBPQ");
	if (!path || !*path)
		path = "libpq.so.5";
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *why = dlerror();
		return lerr_set(err, EX_UNAVAILABLE,
		                "PostgreSQL needs libpq.so.5 (Debian package libpq5), which could "
		                "not be loaded: %s",
		                why ? why : path);
	}
	const char *missing = NULL;
#define PQ_RESOLVE(f)                                                                              \
	if (!(*(void **)&pq.f = dlsym(h, #f)) && !missing)                                         \
		missing = #f;
	PQ_FUNCS(PQ_RESOLVE)
#undef PQ_RESOLVE
	if (missing) {
		dlclose(h);
		memset(&pq, 0, sizeof pq);
		return lerr_set(
		    err, EX_UNAVAILABLE,
		    "PostgreSQL needs libpq.so.5 (Debian package libpq5), and %s has no %s", path,
		    missing);
	}
	lib = h;
	return 0;
}

bool pg_is_conninfo(const char *s)
{
	if (strncmp(s, "postgres://", 11) == 0 || strncmp(s, "postgresql://", 13) == 0)
		return true;
	/* key=value: a word, then '=' (a file name may hold '=', but not this way) */
	const char *p = s;
	while (isspace((unsigned char)*p))
		p++;
	const char *w = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	if (p == w)
		return false;
	while (isspace((unsigned char)*p))
		p++;
	return *p == '='; /* a file named so is given as ./key=value */
}

/* ---- errors ---- */

static int settle(struct pgdb *pg, struct pgst *st);
static bool pipe_query(struct pgdb *pg, const char *sql, char kind);
static int prepare(struct pgst *st);

static void set_err(struct pgdb *pg, int code, const char *msg)
{
	pg->code = code;
	free(pg->msg);
	/* libpq's messages end in a newline and may have a DETAIL line */
	size_t n = strcspn(msg, "\n");
	while (n && isspace((unsigned char)msg[n - 1]))
		n--;
	pg->msg = xstrndup(msg, n);
}

/*
 * SQLite's code for a SQLSTATE. Waiting too long for the write lock is
 * SQLITE_BUSY (db_fail: "locked by another leads process"); what the
 * server says passes with a retry is SQLITE_BUSY_RECOVERY (db_fail:
 * the server's reason, "try again"): a serialization failure, a
 * deadlock, a limit (too many connections for the server, the role or
 * the database: class 53 but a full disk or memory), a server starting
 * up or going down (class 57P), a read-only session (a standby, the
 * old primary during a failover), and a connection lost.
 */
static int code_of(const char *state)
{
	if (!state)
		return SQLITE_BUSY_RECOVERY; /* no SQLSTATE: the connection is gone */
	if (strcmp(state, "23505") == 0)
		return SQLITE_CONSTRAINT_UNIQUE;
	if (strcmp(state, "23503") == 0)
		return SQLITE_CONSTRAINT_FOREIGNKEY;
	if (strcmp(state, "23514") == 0)
		return SQLITE_CONSTRAINT_CHECK;
	if (strcmp(state, "23502") == 0)
		return SQLITE_CONSTRAINT_NOTNULL;
	if (strncmp(state, "23", 2) == 0)
		return SQLITE_CONSTRAINT;
	if (strcmp(state, "55P03") == 0) /* lock timeout */
		return SQLITE_BUSY;
	if (strcmp(state, "53100") == 0) /* disk full */
		return SQLITE_FULL;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "53300") == 0 || strcmp(state, "53400") == 0 ||
	    strcmp(state, "53000") == 0 || strncmp(state, "57P", 3) == 0 ||
	    strcmp(state, "25006") == 0 || strcmp(state, "08006") == 0 ||
	    strcmp(state, "08003") == 0 || strcmp(state, "08001") == 0 ||
	    strcmp(state, "08004") == 0)
		return SQLITE_BUSY_RECOVERY;
	if (strncmp(state, "08", 2) == 0) /* connection exception */
		return SQLITE_IOERR;
	return SQLITE_ERROR;
}

/* The outcome of a command result: 0 if it worked, else the error kept. */
static int result_err(struct pgdb *pg, PGresult *r)
{
	ExecStatusType s = r ? pq.PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_EMPTY_QUERY)
		return 0;
	if (pg->trace) { /* LEADS_TRACE_SQL: which statement failed, for whoever debugs */
		const char *to = getenv("LEADS_TRACE_SQL");
		FILE *f = to && *to == '/' ? fopen(to, "a") : NULL; /* a file, or stderr */
		fprintf(f ? f : stderr, "leads: postgresql: %s: %s",
		        pg->trace_sql ? pg->trace_sql : "?", pq.PQresultErrorMessage(r));
		if (f)
			fclose(f);
	}
	const char *m = r ? pq.PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	set_err(pg, code_of(r ? pq.PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL),
	        m ? m : pq.PQerrorMessage(pg->c));
	return pg->code;
}

int pg_errcode(const struct pgdb *pg)
{
	return pg->code;
}

const char *pg_errmsg(const struct pgdb *pg)
{
	return pg->msg ? pg->msg : "not an error";
}

/* The writes deferred, settled to be counted; an error is the transaction's. */
static void settle_for(const struct pgdb *cpg)
{
	struct pgdb *pg = (struct pgdb *)(uintptr_t)cpg;
	if (pg->nexp && !pg->sticky)
		pg->sticky = settle(pg, NULL);
}

int64_t pg_changes(const struct pgdb *pg)
{
	settle_for(pg);
	return pg->changes;
}

int64_t pg_last_id(const struct pgdb *pg)
{
	settle_for(pg);
	return pg->last_id;
}

/* ---- connection ---- */

static void no_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/*
 * The connection string as given, for messages, with every secret libpq
 * accepts masked, however it is spelled: password and sslpassword as
 * keywords (spaces around '=', quoted or not), the password of a URI's
 * user:PASSWORD@ (up to the last '@' before the query, so that an
 * unencoded '/' or '@' in it is masked whole), and password= or
 * sslpassword= among its query parameters (their names percent-decoded,
 * as libpq does). The secrets found are kept in *sec for scrub(), which
 * takes them out of libpq's own messages too.
 */
struct secrets {
	char *v[32];
	int n;
	bool misread; /* a URI's password holds '/' or '@': libpq reads it otherwise */
};

static void secret_add(struct secrets *sec, const char *s, size_t n)
{
	if (sec && n && sec->n < (int)ARRAY_LEN(sec->v))
		sec->v[sec->n++] = xstrndup(s, n);
}

static void secrets_free(struct secrets *sec)
{
	for (int i = 0; i < sec->n; i++)
		free(sec->v[i]);
	sec->n = 0;
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* s[0..n) percent-decoded (a bad escape kept as it is) */
static char *pct_decode(const char *s, size_t n)
{
	struct sb b = SB_INIT;
	for (size_t i = 0; i < n; i++) {
		int h, l;
		if (s[i] == '%' && i + 2 < n && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			sb_addc(&b, (char)(h * 16 + l));
			i += 2;
		} else {
			sb_addc(&b, s[i]);
		}
	}
	return sb_detach(&b);
}

static bool secret_key(const char *k, size_t n)
{
	return (n == 8 && strncasecmp(k, "password", 8) == 0) ||
	       (n == 11 && strncasecmp(k, "sslpassword", 11) == 0);
}

/* a secret as given and as libpq reads it (percent-decoded) */
static void secret_add_pct(struct secrets *sec, const char *s, size_t n)
{
	secret_add(sec, s, n);
	char *d = pct_decode(s, n);
	if (strlen(d) != n || memcmp(d, s, n) != 0)
		secret_add(sec, d, strlen(d));
	free(d);
}

static void mask_uri(struct sb *sb, const char *s, struct secrets *sec)
{
	const char *auth = strstr(s, "://") + 3;
	const char *q = auth + strcspn(auth, "?");
	const char *at = NULL;
	for (const char *p = auth; p < q; p++)
		if (*p == '@')
			at = p;
	const char *p = s;
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		if (colon) {
			sb_add(sb, p, (size_t)(colon + 1 - p));
			sb_adds(sb, "***");
			secret_add_pct(sec, colon + 1, (size_t)(at - colon - 1));
			if (sec && (memchr(auth, '/', (size_t)(at - auth)) ||
			            memchr(auth, '@', (size_t)(at - auth))))
				sec->misread = true;
			p = at;
		}
	}
	sb_add(sb, p, (size_t)(q - p));
	p = q;
	while (*p) { /* '?' or '&', then key=value */
		sb_addc(sb, *p++);
		size_t n = strcspn(p, "&");
		const char *eq = memchr(p, '=', n);
		char *key = eq ? pct_decode(p, (size_t)(eq - p)) : NULL;
		if (key && secret_key(key, strlen(key))) {
			sb_add(sb, p, (size_t)(eq + 1 - p));
			sb_adds(sb, "***");
			secret_add_pct(sec, eq + 1, n - (size_t)(eq + 1 - p));
		} else {
			sb_add(sb, p, n);
		}
		free(key);
		p += n;
	}
}

static void mask_kv(struct sb *sb, const char *s, struct secrets *sec)
{
	const char *p = s;
	while (*p) {
		const char *w = p;
		while (isspace((unsigned char)*p))
			p++;
		const char *k = p;
		while (*p && !isspace((unsigned char)*p) && *p != '=')
			p++;
		bool secret = secret_key(k, (size_t)(p - k));
		while (isspace((unsigned char)*p))
			p++;
		if (*p != '=') { /* libpq refuses it; what follows a secret's name is hidden */
			if (secret) {
				sb_add(sb, w, (size_t)(p - w));
				if (*p) {
					sb_adds(sb, "***");
					secret_add(sec, p, strlen(p));
				}
				return;
			}
			sb_add(sb, w, (size_t)(p - w));
			continue;
		}
		p++;
		while (isspace((unsigned char)*p))
			p++;
		sb_add(sb, w, (size_t)(p - w));
		const char *v = p;
		struct sb val = SB_INIT;
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++) {
				if (*p == '\\' && p[1])
					p++;
				sb_addc(&val, *p);
			}
			if (*p)
				p++;
		} else {
			for (; *p && !isspace((unsigned char)*p); p++) {
				if (*p == '\\' && p[1])
					p++;
				sb_addc(&val, *p);
			}
		}
		if (secret) {
			sb_adds(sb, *v == '\'' ? "'***'" : "***");
			secret_add(sec, v, (size_t)(p - v));
			secret_add(sec, sb_str(&val), strlen(sb_str(&val)));
		} else {
			sb_add(sb, v, (size_t)(p - v));
		}
		sb_free(&val);
	}
}

static char *mask_secrets(const char *conninfo, struct secrets *sec)
{
	struct sb sb = SB_INIT;
	if (strncmp(conninfo, "postgres://", 11) == 0 ||
	    strncmp(conninfo, "postgresql://", 13) == 0)
		mask_uri(&sb, conninfo, sec);
	else
		mask_kv(&sb, conninfo, sec);
	return sb_detach(&sb);
}

char *pg_mask_password(const char *conninfo)
{
	return mask_secrets(conninfo, NULL);
}

/* s with every from replaced by to */
static char *replace_all(char *s, const char *from, const char *to)
{
	size_t n = strlen(from);
	if (!n || !strstr(s, from))
		return s;
	struct sb b = SB_INIT;
	const char *p = s, *f;
	while ((f = strstr(p, from))) {
		sb_add(&b, p, (size_t)(f - p));
		sb_adds(&b, to);
		p = f + n;
	}
	sb_adds(&b, p);
	free(s);
	return sb_detach(&b);
}

/*
 * One of libpq's messages about conninfo, without its secrets: libpq
 * quotes the whole string (a bad IPv6 address), a value (a bad
 * %-escape), or a piece of a password misread as a port (an unencoded
 * '/' in a URI's password).
 */
static char *scrub(const char *msg, const char *conninfo, const char *masked,
                   const struct secrets *sec)
{
	char *s = replace_all(xstrdup(msg), conninfo, masked);
	for (int i = 0; i < sec->n; i++) {
		s = replace_all(s, sec->v[i], "***");
		/* and its pieces, as libpq splits a URI */
		const char *p = sec->v[i];
		while (*p) {
			size_t n = strcspn(p, "/@:?&,=");
			if (n >= 2) {
				char *piece = xstrndup(p, n);
				s = replace_all(s, piece, "***");
				free(piece);
			}
			p += n;
			if (*p)
				p++;
		}
	}
	return s;
}

/* A reason libpq gives for a failed connection that passes: try again. */
static bool busy_reason(const char *m)
{
	static const char *const busy[] = {
		"starting up",
		"in recovery",
		"shutting down",
		"too many clients",
		"too many connections",
		"remaining connection slots",
		"hot standby",
		"session is read-only",
		"not yet accepting connections",
		"not accepting connections",
		"closed the connection unexpectedly",
		"terminating connection",
		"is not the primary server",
		"in standby mode",
	};
	for (size_t i = 0; i < ARRAY_LEN(busy); i++)
		if (strstr(m, busy[i]))
			return true;
	return false;
}

/* libpq's reason for a failed connection: the database named does not exist */
static bool no_such_db(PGconn *c)
{
	const char *m = pq.PQerrorMessage(c);
	return strstr(m, "database \"") && strstr(m, "\" does not exist");
}

/*
 * CREATE DATABASE for conninfo's database, through the maintenance
 * database (postgres) on the same server, as the same role: 0, else
 * the reason in *why (malloc'd). Another leads creating it meanwhile is
 * no failure.
 */
static int create_db(const char *conninfo, const char *name, char **why)
{
	const char *keys[] = { "dbname", "dbname", "fallback_application_name", NULL };
	const char *vals[] = { conninfo, "postgres", "leads", NULL };
	PGconn *c = pq.PQconnectdbParams(keys, vals, 1);
	if (!c || pq.PQstatus(c) != CONNECTION_OK) {
		*why = xstrdup(c ? pq.PQerrorMessage(c) : "out of memory");
		pq.PQfinish(c);
		return -1;
	}
	char *ident = pq.PQescapeIdentifier(c, name, strlen(name));
	struct sb sql = SB_INIT;
	sb_addf(&sql, "CREATE DATABASE %s", ident ? ident : "\"\"");
	if (ident)
		pq.PQfreemem(ident);
	PGresult *r = pq.PQexec(c, sb_str(&sql));
	sb_free(&sql);
	const char *state = r ? pq.PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	int rc = 0;
	if (pq.PQresultStatus(r) != PGRES_COMMAND_OK && !(state && strcmp(state, "42P04") == 0)) {
		const char *m = r ? pq.PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
		*why = xstrdup(m ? m : pq.PQerrorMessage(c));
		rc = -1;
	}
	pq.PQclear(r);
	pq.PQfinish(c);
	return rc;
}

int pg_connect(const char *conninfo, int busy_ms, bool create, struct pgdb **out, struct lerr *err)
{
	*out = NULL;
	int lrc = pq_load(err);
	if (lrc)
		return lrc;
	struct secrets sec = { 0 };
	char *disp = mask_secrets(conninfo, &sec);
	/* a string libpq cannot read is said so, not blamed on a server it never named */
	char *perr = NULL;
	PQconninfoOption *opts = pq.PQconninfoParse(conninfo, &perr);
	if (!opts) {
		char *why = scrub(perr ? perr : "out of memory", conninfo, disp, &sec);
		size_t n = strcspn(why, "\n");
		int rc = lerr_set(err, EX_USAGE, "'%s' is not a PostgreSQL connection string: %.*s",
		                  disp, (int)n, why);
		free(why);
		if (perr)
			pq.PQfreemem(perr);
		free(disp);
		secrets_free(&sec);
		return rc;
	}
	/*
	 * The session speaks what the storage layer expects, whatever the
	 * role's defaults: said in the startup packet (options, after the
	 * user's own), which costs no round trip as SET statements did.
	 */
	const char *user_opts = getenv("PGOPTIONS");
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "options") == 0 && o->val)
			user_opts = o->val;
	struct sb ob = SB_INIT;
	sb_addf(&ob,
	        "%s%s-c client_min_messages=warning -c TimeZone=UTC "
	        "-c standard_conforming_strings=on",
	        user_opts ? user_opts : "", user_opts && *user_opts ? " " : "");
	char *options = sb_detach(&ob);
	pq.PQconninfoFree(opts);
	const char *keys[] = { "dbname", "options", "client_encoding", "fallback_application_name",
		               NULL };
	const char *vals[] = { conninfo, options, "UTF8", "leads", NULL };
	PGconn *c = pq.PQconnectdbParams(keys, vals, 1);
	if (!c) {
		free(disp);
		secrets_free(&sec);
		free(options);
		return lerr_set(err, EX_OSERR, "cannot connect to PostgreSQL: out of memory");
	}
	if (pq.PQstatus(c) != CONNECTION_OK && no_such_db(c)) {
		/* as a file: a writer creates it, a reader finds none */
		char *name = xstrdup(pq.PQdb(c) ? pq.PQdb(c) : "");
		char *why = NULL;
		int rc = 0;
		if (!create)
			rc = lerr_set(
			    err, EX_NOINPUT,
			    "no database at '%s' (create it with 'leads init' or 'leads add')",
			    disp);
		else if (create_db(conninfo, name, &why)) {
			char *clean = scrub(why, conninfo, disp, &sec);
			rc = lerr_set(err, EX_CANTCREAT,
			              "cannot create database '%s' for '%s': %.*s", name, disp,
			              (int)strcspn(clean, "\n"), clean);
			free(clean);
		}
		free(why);
		free(name);
		if (rc) {
			free(disp);
			secrets_free(&sec);
			free(options);
			pq.PQfinish(c);
			return rc;
		}
		pq.PQfinish(c);
		c = pq.PQconnectdbParams(keys, vals, 1);
		if (!c) {
			free(disp);
			secrets_free(&sec);
			free(options);
			return lerr_set(err, EX_OSERR,
			                "cannot connect to PostgreSQL: out of memory");
		}
	}
	if (pq.PQstatus(c) != CONNECTION_OK) {
		char *m = scrub(pq.PQerrorMessage(c), conninfo, disp, &sec);
		/* "connection to server at ... failed: REASON" or just the reason */
		const char *why = strstr(m, "failed: ");
		why = why ? why + 8 : m;
		size_t n = strcspn(why, "\n");
		/* any host's reason: with several hosts, the standby's is the one that counts */
		bool busy = busy_reason(m);
		const char *host = pq.PQhost(c), *port = pq.PQport(c);
		struct sb lb = SB_INIT;
		sb_addf(&lb, "(host %s, port %s): %.*s%s%s", host && *host ? host : "localhost",
		        port && *port ? port : "5432", (int)n, why, busy ? " (try again)" : "",
		        sec.misread ? " (in a URI, a password's '/' is written %2F and its '@' %40)"
		                    : "");
		char *line = sb_detach(&lb);
		char *clean = scrub(line, conninfo, disp, &sec);
		int rc = lerr_set(err, busy ? EX_TEMPFAIL : EX_IOERR, "cannot connect to '%s' %s",
		                  disp, clean);
		free(line);
		free(clean);
		free(m);
		free(disp);
		secrets_free(&sec);
		free(options);
		pq.PQfinish(c);
		return rc;
	}
	secrets_free(&sec);
	free(options);
	pq.PQsetNoticeProcessor(c, no_notices, NULL);
	struct pgdb *pg = xcalloc(1, sizeof *pg);
	pg->c = c;
	pg->busy_ms = busy_ms;
	pg->display = disp;
	pg->trace = getenv("LEADS_TRACE_SQL") != NULL;
	/* for the tests that count round trips: every message after the connection */
	const char *wire = getenv("LEADS_PG_TRACE");
	if (wire && *wire && (pg->wire = fopen(wire, "a"))) {
		pq.PQtrace(c, pg->wire);
		pq.PQsetTraceFlags(c, PQTRACE_SUPPRESS_TIMESTAMPS);
	}
	*out = pg;
	return 0;
}

void pg_disconnect(struct pgdb *pg)
{
	if (!pg)
		return;
	pq.PQfinish(pg->c);
	if (pg->wire)
		fclose(pg->wire);
	free(pg->unused);
	free(pg->exp);
	free(pg->display);
	free(pg->msg);
	free(pg);
}

const char *pg_display(const struct pgdb *pg)
{
	return pg->display;
}

/*
 * While a statement streams its rows (pgst_stream), the connection is
 * its own until the last has come: another statement is a bug of the
 * caller's, stopped here with SQLITE_MISUSE, before libpq is confused.
 */
static int streaming(struct pgdb *pg)
{
	if (!pg->streaming)
		return 0;
	set_err(pg, SQLITE_MISUSE, "a statement ran while another was streaming its rows");
	return pg->code;
}

/* The statements of BEGIN and the lock, waiting at most the busy timeout. */
static void begin_sql(long long key, int busy_ms, char *sql, size_t n)
{
	snprintf(sql, n, "BEGIN; SET LOCAL lock_timeout = %d; SELECT pg_advisory_xact_lock(%lld)",
	         busy_ms > 0 ? busy_ms : 1, key);
}

/* Run a command whose outcome does not matter (savepoints, a ROLLBACK). */
static void quietly(struct pgdb *pg, const char *sql);

/* Run PostgreSQL's own SQL (no rewriting, no rows wanted): 0 or an error code. */
static int run(struct pgdb *pg, const char *sql)
{
	if (streaming(pg))
		return pg->code;
	if (strcmp(sql, "ROLLBACK") == 0) {
		(void)settle(pg, NULL); /* what was deferred goes with the transaction */
		pg->sticky = 0;
	} else if (pg->sticky) {
		return pg->sticky;
	} else if (pq.PQpipelineStatus(pg->c) != PQ_PIPELINE_OFF) {
		/* one statement (COMMIT): in the same round trip as the writes deferred */
		if (!strchr(sql, ';')) {
			if (!pipe_query(pg, sql, 'q')) {
				set_err(pg, SQLITE_BUSY_RECOVERY, pq.PQerrorMessage(pg->c));
				(void)settle(pg, NULL);
				return pg->code;
			}
			return settle(pg, NULL);
		}
		int rc = settle(pg, NULL);
		if (rc)
			return rc;
	}
	char *with = NULL;
	if (pg->begin_pending) {
		pg->begin_pending = false;
		if (strcmp(sql, "ROLLBACK") == 0) /* nothing was sent: nothing to undo */
			return 0;
		char b[200];
		begin_sql(pg->begin_key, pg->begin_busy, b, sizeof b);
		struct sb sb = SB_INIT;
		sb_addf(&sb, "%s; %s", b, sql); /* one round trip; an error stops the rest */
		with = sb_detach(&sb);
	}
	PGresult *r = pq.PQexec(pg->c, with ? with : sql);
	int rc = result_err(pg, r);
	pq.PQclear(r);
	if (rc && with && pg_in_tx(pg))
		quietly(pg, "ROLLBACK");
	free(with);
	return rc;
}

/* Run a command whose outcome does not matter (savepoints, a ROLLBACK). */
static void quietly(struct pgdb *pg, const char *sql)
{
	if (pq.PQpipelineStatus(pg->c) != PQ_PIPELINE_OFF)
		(void)settle(pg, NULL);
	if (strcmp(sql, "ROLLBACK") == 0)
		pg->sticky = 0;
	pq.PQclear(pq.PQexec(pg->c, sql));
}

int pg_exec(struct pgdb *pg, const char *sql)
{
	unsigned flags;
	int np;
	char *text = pgsql_translate(sql, &flags, &np);
	pg->trace_sql = text; /* named by LEADS_TRACE_SQL if it fails */
	int rc = run(pg, text);
	pg->trace_sql = NULL;
	free(text);
	return rc;
}

/*
 * BEGIN and the transaction-level advisory lock key, now,
 * waiting for it at most the busy timeout; rolled back if it fails.
 */
static int begin_locked(struct pgdb *pg, long long key, int busy_ms)
{
	char sql[200];
	begin_sql(key, busy_ms, sql, sizeof sql);
	int rc = run(pg, sql);
	if (rc && pg_in_tx(pg))
		quietly(pg, "ROLLBACK");
	return rc;
}

/*
 * The write transaction: BEGIN and the lock are sent with the next
 * statement (execute, run), which saves a round trip per command; a
 * lock not granted in time is that statement's error (SQLITE_BUSY).
 */
int pg_begin(struct pgdb *pg)
{
	if (streaming(pg))
		return pg->code;
	if (pg->begin_pending || pq.PQtransactionStatus(pg->c) != PQTRANS_IDLE)
		return begin_locked(pg, WRITE_LOCK,
		                    pg->busy_ms); /* as before: the server says what is wrong */
	pg->begin_pending = true;
	pg->begin_key = WRITE_LOCK;
	pg->begin_busy = pg->busy_ms;
	return 0;
}

/* BEGIN and the lock, if pg_begin() left them to go with a statement, now. */
static int flush_begin(struct pgdb *pg)
{
	if (!pg->begin_pending)
		return 0;
	pg->begin_pending = false;
	return begin_locked(pg, pg->begin_key, pg->begin_busy);
}

void pg_set_busy(struct pgdb *pg, int ms)
{
	pg->busy_ms = ms;
}

bool pg_in_tx(const struct pgdb *pg)
{
	if (pg->begin_pending)
		return true;
	PGTransactionStatusType t = pq.PQtransactionStatus(pg->c);
	return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* ---- COPY ---- */

int pg_copy_begin(struct pgdb *pg, const char *sql)
{
	if (streaming(pg) || settle(pg, NULL) || flush_begin(pg))
		return pg->code;
	PGresult *r = pq.PQexec(pg->c, sql);
	int rc = pq.PQresultStatus(r) == PGRES_COPY_IN ? 0 : result_err(pg, r);
	if (!rc && pq.PQresultStatus(r) != PGRES_COPY_IN) {
		set_err(pg, SQLITE_ERROR, "not a COPY FROM STDIN");
		rc = pg->code;
	}
	pq.PQclear(r);
	return rc;
}

int pg_copy_put(struct pgdb *pg, const char *buf, size_t n)
{
	while (n) {
		int part = n > (1u << 30) ? 1 << 30 : (int)n;
		if (pq.PQputCopyData(pg->c, buf, part) != 1) {
			set_err(pg, SQLITE_IOERR, pq.PQerrorMessage(pg->c));
			return pg->code;
		}
		buf += part;
		n -= (size_t)part;
	}
	return SQLITE_OK;
}

int pg_copy_end(struct pgdb *pg)
{
	if (pq.PQputCopyEnd(pg->c, NULL) != 1) {
		set_err(pg, SQLITE_IOERR, pq.PQerrorMessage(pg->c));
		return pg->code;
	}
	int rc = 0;
	PGresult *r;
	while ((r = pq.PQgetResult(pg->c))) {
		if (!rc)
			rc = result_err(pg, r);
		pq.PQclear(r);
	}
	return rc;
}

void pg_copy_abort(struct pgdb *pg)
{
	if (pq.PQputCopyEnd(pg->c, "the import stopped") == 1) {
		PGresult *r;
		while ((r = pq.PQgetResult(pg->c)))
			pq.PQclear(r);
	}
}

void pg_copy_text(struct sb *b, const char *s, size_t n)
{
	const char *end = s + n;
	while (s < end) {
		size_t k = strcspn(s, "\\\t\n\r"); /* stops at a NUL too */
		if (k > (size_t)(end - s))
			k = (size_t)(end - s);
		sb_add(b, s, k);
		if ((s += k) == end)
			return;
		switch (*s) {
		case '\\':
			sb_add(b, "\\\\", 2);
			break;
		case '\t':
			sb_add(b, "\\t", 2);
			break;
		case '\n':
			sb_add(b, "\\n", 2);
			break;
		case '\r':
			sb_add(b, "\\r", 2);
			break;
		default: /* a NUL inside: the server says what is wrong with it */
			sb_addc(b, *s);
		}
		s++;
	}
}

void pg_copy_int(struct sb *b, int64_t v)
{
	char d[24], *p = d + sizeof d;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	sb_add(b, p, (size_t)(d + sizeof d - p));
}

/* ---- statements ---- */

struct pgst *pgst_prepare(struct pgdb *pg, const char *sql)
{
	struct pgst *st = xcalloc(1, sizeof *st);
	st->pg = pg;
	st->sql = pgsql_translate(sql, &st->flags, &st->nparams);
	st->val = st->nparams ? xcalloc((size_t)st->nparams, sizeof *st->val) : NULL;
	st->types = st->nparams ? xcalloc((size_t)st->nparams, sizeof *st->types) : NULL;
	st->isint = st->nparams ? xcalloc((size_t)st->nparams, sizeof *st->isint) : NULL;
	/*
	 * SQLite lets a statement skip parameters (a filter that is off binds
	 * ?3 but never says it); PostgreSQL must know every parameter's type.
	 */
	for (int i = 0; i < st->nparams; i++)
		st->types[i] = TEXTOID;
	for (const char *p = st->sql; *p; p++) {
		if (*p == '\'' || *p == '"') {
			char q = *p;
			while (p[1] && p[1] != q)
				p++;
			if (p[1])
				p++;
		} else if (*p == '$' && p[1] >= '1' && p[1] <= '9') {
			int n = atoi(p + 1);
			if (n >= 1 && n <= st->nparams)
				st->types[n - 1] = 0; /* the server infers it from its use */
		}
	}
	/*
	 * A parameter the SQL casts to text is text (pgsql_translate writes
	 * "?1 IS NULL OR x = ?1 COLLATE NOCASE" so, and the server would
	 * deduce two types for it). One left to the server that is tested
	 * with IS may still be untypable (42P18): such a statement is
	 * prepared under a savepoint in a transaction (prepare()), the others
	 * with no more than their first run's round trip (execute()).
	 */
	for (const char *p = st->sql; (p = strstr(p, "CAST($")); p++) {
		int n = atoi(p + 6);
		if (n >= 1 && n <= st->nparams &&
		    strncmp(p + 6 + strspn(p + 6, "0123456789"), " AS text)", 9) == 0)
			st->types[n - 1] = TEXTOID;
	}
	for (const char *p = st->sql; (p = strchr(p, '$')); p++) {
		int n = atoi(p + 1);
		if (n >= 1 && n <= st->nparams && !st->types[n - 1] &&
		    strncmp(p + 1 + strspn(p + 1, "0123456789"), " IS ", 4) == 0)
			st->risky = true;
	}
	st->row = -1;
	return st;
}

static int bind_set(struct pgst *st, int i, char *v)
{
	if (i < 1 || i > st->nparams) {
		free(v);
		return SQLITE_RANGE;
	}
	free(st->val[i - 1]);
	st->val[i - 1] = v;
	st->isint[i - 1] = false;
	return SQLITE_OK;
}

int pgst_bind_int64(struct pgst *st, int i, int64_t v)
{
	char buf[24];
	snprintf(buf, sizeof buf, "%lld", (long long)v);
	int rc = bind_set(st, i, xstrdup(buf));
	if (rc == SQLITE_OK)
		st->isint[i - 1] = true;
	return rc;
}

int pgst_bind_text(struct pgst *st, int i, const char *s, int n)
{
	if (!s) /* as sqlite3_bind_text: a NULL pointer is SQL NULL */
		return bind_set(st, i, NULL);
	return bind_set(st, i, n < 0 ? xstrdup(s) : xstrndup(s, (size_t)n));
}

int pgst_bind_null(struct pgst *st, int i)
{
	return bind_set(st, i, NULL);
}

static void count_changes(struct pgdb *pg, PGresult *r)
{
	const char *cmd = pq.PQcmdStatus(r);
	if (strncmp(cmd, "INSERT", 6) == 0 || strncmp(cmd, "UPDATE", 6) == 0 ||
	    strncmp(cmd, "DELETE", 6) == 0)
		pg->changes = strtoll(pq.PQcmdTuples(r), NULL, 10);
}

/*
 * Prepare st on the server (as s1, s2, ...); 0 or an error code. A
 * parameter PostgreSQL cannot type from its use alone ("?1 IS NULL OR
 * ..."): the statement is prepared again with what was bound as text or
 * NULL typed text, the integers left to the server. A failure inside a
 * transaction aborts it, so there the first try runs under a savepoint.
 */
static int prepare(struct pgst *st)
{
	struct pgdb *pg = st->pg;
	if (streaming(pg) || settle(pg, NULL))
		return pg->code;
	bool tx = st->risky && pq.PQtransactionStatus(pg->c) == PQTRANS_INTRANS;
	snprintf(st->name, sizeof st->name, "s%u", ++pg->nstmt);
	if (tx)
		quietly(pg, "SAVEPOINT leads_prepare");
	PGresult *r = pq.PQprepare(pg->c, st->name, st->sql, st->nparams, st->types);
	const char *state = r ? pq.PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state && (strcmp(state, "42P08") == 0 || strcmp(state, "42P18") == 0)) {
		pq.PQclear(r);
		if (tx)
			quietly(pg, "ROLLBACK TO SAVEPOINT leads_prepare");
		for (int i = 0; i < st->nparams; i++)
			if (!st->isint[i])
				st->types[i] = TEXTOID;
		r = pq.PQprepare(pg->c, st->name, st->sql, st->nparams, st->types);
	}
	int rc = result_err(pg, r);
	pq.PQclear(r);
	if (tx)
		quietly(pg, rc ? "ROLLBACK TO SAVEPOINT leads_prepare"
		               : "RELEASE SAVEPOINT leads_prepare");
	if (rc)
		st->name[0] = '\0';
	return rc;
}

/*
 * The next rows of a streaming statement into st->res: one (single-row
 * mode), or all that are left if libpq would not give them one at a time.
 * SQLITE_ROW, else SQLITE_DONE or an error code, and the walk is over.
 */
static int stream_next(struct pgst *st)
{
	struct pgdb *pg = st->pg;
	pq.PQclear(st->res);
	st->res = pq.PQgetResult(pg->c);
	ExecStatusType s = pq.PQresultStatus(st->res);
	if (st->res &&
	    (s == PGRES_SINGLE_TUPLE || (s == PGRES_TUPLES_OK && pq.PQntuples(st->res)))) {
		st->nrows = pq.PQntuples(st->res);
		st->row = -1;
		return SQLITE_ROW;
	}
	/* the end (no result, or PGRES_TUPLES_OK without rows) or an error */
	int rc = st->res ? result_err(pg, st->res) : 0;
	pq.PQclear(st->res);
	st->res = NULL;
	PGresult *r;
	while ((r = pq.PQgetResult(pg->c)))
		pq.PQclear(r);
	pg->streaming = NULL;
	st->nrows = 0;
	st->done = true;
	return rc ? rc : SQLITE_DONE;
}

/* The result of the next query in the pipeline (its last), NULL if none came. */
static PGresult *pipe_take(struct pgdb *pg)
{
	PGresult *last = NULL, *r;
	while ((r = pq.PQgetResult(pg->c))) {
		bool sync = pq.PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		pq.PQclear(last);
		last = r;
		if (sync)
			break;
	}
	return last;
}

/* What a statement's result says: its rows kept in st->res, or done. */
static void took(struct pgst *st, PGresult *r)
{
	struct pgdb *pg = st->pg;
	count_changes(pg, r);
	if (pq.PQresultStatus(r) != PGRES_TUPLES_OK || (st->flags & PGSQL_RETURNS_ID)) {
		int n = pq.PQntuples(r);
		if ((st->flags & PGSQL_RETURNS_ID) && n > 0)
			pg->last_id = strtoll(pq.PQgetvalue(r, n - 1, 0), NULL, 10);
		pq.PQclear(r);
		st->done = true;
		return;
	}
	st->res = r;
	st->nrows = pq.PQntuples(r);
	st->row = -1;
}

/*
 * Round trips. A statement is sent in libpq's pipeline mode: BEGIN and
 * the lock if pending, its Parse the first time, its Bind and Execute,
 * then one Sync and the results, all in one round trip. A write in a
 * transaction whose result nobody waits for (an INSERT, UPDATE or
 * DELETE, except on leads, whose unique keys the callers check by the
 * statement's outcome: an INSERT, or an UPDATE that sets the email or
 * the external id) is deferred: sent, not synced, its result read
 * with the next statement's, or when its changes or id are asked for,
 * or at COMMIT. Its error is then the error of what comes next, and the
 * transaction's until it is rolled back.
 */
static bool pipe_open(struct pgdb *pg)
{
	return pq.PQpipelineStatus(pg->c) != PQ_PIPELINE_OFF || pq.PQenterPipelineMode(pg->c);
}

static void expect(struct pgdb *pg, char kind, unsigned flags)
{
	if (pg->nexp == pg->capexp) {
		pg->capexp = pg->capexp ? pg->capexp * 2 : 16;
		pg->exp = xrealloc(pg->exp, pg->capexp * sizeof *pg->exp);
	}
	pg->exp[pg->nexp].kind = kind;
	pg->exp[pg->nexp++].flags = flags;
}

static bool pipe_query(struct pgdb *pg, const char *sql, char kind)
{
	if (!pq.PQsendQueryParams(pg->c, sql, 0, NULL, NULL, NULL, NULL, 0))
		return false;
	expect(pg, kind, 0);
	return true;
}

static bool pipe_begin(struct pgdb *pg)
{
	if (!pg->begin_pending)
		return true;
	pg->begin_pending = false;
	char lt[64], lk[64];
	snprintf(lt, sizeof lt, "SET LOCAL lock_timeout = %d",
	         pg->begin_busy > 0 ? pg->begin_busy : 1);
	snprintf(lk, sizeof lk, "SELECT pg_advisory_xact_lock(%lld)", pg->begin_key);
	return pipe_query(pg, "BEGIN", 'b') && pipe_query(pg, lt, 'b') && pipe_query(pg, lk, 'b');
}

static bool pipe_stmt(struct pgst *st, bool deferred)
{
	struct pgdb *pg = st->pg;
	if (!st->name[0]) {
		snprintf(st->name, sizeof st->name, "s%u", ++pg->nstmt);
		if (!pq.PQsendPrepare(pg->c, st->name, st->sql, st->nparams, st->types))
			return false;
		expect(pg, deferred ? 'p' : 'P', 0);
	}
	if (!pq.PQsendQueryPrepared(pg->c, st->name, st->nparams, (const char *const *)st->val,
	                            NULL, NULL, 0))
		return false;
	expect(pg, deferred ? 'd' : 'x', st->flags);
	return true;
}

/* the statements finalized so far, once there are many */
static bool pipe_dealloc(struct pgdb *pg)
{
	if (pg->nunused < 32)
		return true;
	bool ok = true;
	for (unsigned i = 0; ok && i < pg->nunused; i++) {
		char sql[40];
		snprintf(sql, sizeof sql, "DEALLOCATE %s", pg->unused[i]);
		ok = pipe_query(pg, sql, 'q');
	}
	pg->nunused = 0;
	return ok;
}

/*
 * Sync the open pipeline and read its results: 0, or the first error
 * (a lock not granted rolls the transaction back, as begin_locked).
 * st: the statement waited for ('P', 'x'), its rows kept.
 */
static int settle(struct pgdb *pg, struct pgst *st)
{
	PGconn *c = pg->c;
	if (pq.PQpipelineStatus(c) == PQ_PIPELINE_OFF)
		return 0;
	int rc = 0;
	bool from_begin = false, ok = pq.PQpipelineSync(c);
	if (!ok) {
		set_err(pg, SQLITE_BUSY_RECOVERY, pq.PQerrorMessage(c));
		rc = pg->code;
	}
	for (unsigned i = 0; ok && i < pg->nexp; i++) {
		const struct pexp *e = &pg->exp[i];
		PGresult *r = pipe_take(pg);
		if (e->kind == 'P' && st) {
			const char *state = r ? pq.PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
			if (!rc && !pg->batch_tx && state &&
			    (strcmp(state, "42P08") == 0 || strcmp(state, "42P18") == 0))
				pg->retype = true;
			else if (!rc)
				rc = result_err(pg, r);
			if (rc || pg->retype)
				st->name[0] = '\0';
		} else if (e->kind == 'x' && st) {
			if (!rc && !pg->retype && !(rc = result_err(pg, r))) {
				took(st, r);
				r = NULL;
			}
		} else if (!rc) {
			rc = result_err(pg, r);
			from_begin = rc && e->kind == 'b';
			if (!rc && e->kind == 'd') {
				count_changes(pg, r);
				int n = pq.PQntuples(r);
				if ((e->flags & PGSQL_RETURNS_ID) && n > 0)
					pg->last_id = strtoll(pq.PQgetvalue(r, n - 1, 0), NULL, 10);
			}
		}
		pq.PQclear(r);
	}
	if (ok)
		pq.PQclear(pipe_take(pg)); /* the Sync's */
	pg->nexp = 0;
	if (!pq.PQexitPipelineMode(c)) {
		PGresult *r;
		while ((r = pq.PQgetResult(c)))
			pq.PQclear(r);
		if (!pq.PQexitPipelineMode(c) && !rc) {
			set_err(pg, SQLITE_BUSY_RECOVERY, pq.PQerrorMessage(c));
			rc = pg->code;
		}
	}
	if (rc && from_begin && pg_in_tx(pg))
		quietly(pg, "ROLLBACK");
	return rc;
}

/* A write whose result no caller waits for (see settle). */
static bool deferrable(const struct pgst *st)
{
	const char *q = st->sql;
	while (isspace((unsigned char)*q))
		q++;
	const char *t = NULL;
	if (strncasecmp(q, "INSERT INTO ", 12) == 0)
		t = q + 12;
	else if (strncasecmp(q, "UPDATE ", 7) == 0)
		t = q + 7;
	else if (strncasecmp(q, "DELETE FROM ", 12) == 0)
		t = q + 12;
	if (!t)
		return false;
	/* on leads, only an UPDATE that sets neither unique key (route, score) */
	if (strncmp(t, "leads", 5) == 0 && !isalnum((unsigned char)t[5]) && t[5] != '_' &&
	    (toupper((unsigned char)*q) != 'U' || strstr(t, "email") || strstr(t, "ext_id")))
		return false;
	/* rows of its own to return: waited for */
	return !strstr(q, "RETURNING") || (st->flags & PGSQL_RETURNS_ID);
}

static int pipelined(struct pgst *st, bool tx)
{
	struct pgdb *pg = st->pg;
	bool deferred = tx && deferrable(st);
	if (!pipe_open(pg)) {
		set_err(pg, SQLITE_BUSY_RECOVERY, pq.PQerrorMessage(pg->c));
		return pg->code;
	}
	if (!pg->nexp)
		pg->batch_tx = tx;
	bool ok = pipe_begin(pg) && pipe_stmt(st, deferred) && (deferred || pipe_dealloc(pg));
	if (ok && deferred) {
		st->done = true;
		/*
		 * Results unread pile up on the server, which stops reading
		 * once its socket buffer is full while this side is still
		 * writing: synced every few hundred.
		 */
		if (pg->nexp >= 256 && (pg->sticky = settle(pg, NULL)))
			return pg->sticky;
		return 0;
	}
	int rc = settle(pg, ok ? st : NULL);
	if (!ok && !rc) {
		set_err(pg, SQLITE_BUSY_RECOVERY, pq.PQerrorMessage(pg->c));
		rc = pg->code;
	}
	if (pg->retype) { /* outside a transaction: prepared again, typed by what was bound */
		pg->retype = false;
		if (prepare(st))
			return pg->code;
		return pipelined(st, false);
	}
	return rc;
}

/* Run st with its bindings: its rows kept in st->res, or done; 0 or an error code. */
static int execute(struct pgst *st)
{
	struct pgdb *pg = st->pg;
	if (streaming(pg))
		return pg->code;
	if (pg->sticky)
		return pg->sticky;
	bool tx = pg->begin_pending || pq.PQpipelineStatus(pg->c) != PQ_PIPELINE_OFF ||
	          pq.PQtransactionStatus(pg->c) == PQTRANS_INTRANS;
	if (!st->stream && !(st->risky && tx && !st->name[0]))
		return pipelined(st, tx);
	/* the rows as they come, or a Parse that may fail: BEGIN first, on its own */
	if (settle(pg, NULL) || flush_begin(pg) || (!st->name[0] && prepare(st)))
		return pg->code;
	if (!st->stream)
		return pipelined(st, tx);
	if (!pq.PQsendQueryPrepared(pg->c, st->name, st->nparams, (const char *const *)st->val,
	                            NULL, NULL, 0)) {
		set_err(pg, SQLITE_IOERR, pq.PQerrorMessage(pg->c));
		return pg->code;
	}
	(void)pq.PQsetSingleRowMode(pg->c); /* if not, the rows come whole (stream_next) */
	pg->streaming = st;
	return 0;
}

void pgst_stream(struct pgst *st)
{
	st->stream = true;
}

int pgst_step(struct pgst *st)
{
	struct pgdb *pg = st->pg;
	if (st->done)
		return SQLITE_DONE;
	if (!st->res && pg->streaming != st) {
		pg->trace_sql = st->sql; /* named by LEADS_TRACE_SQL if it fails */
		int rc = execute(st);
		pg->trace_sql = NULL;
		if (rc)
			return rc;
		if (st->done)
			return SQLITE_DONE;
	}
	if (++st->row < st->nrows)
		return SQLITE_ROW;
	if (pg->streaming == st) {
		pg->trace_sql = st->sql;
		int rc = stream_next(st);
		pg->trace_sql = NULL;
		if (rc == SQLITE_ROW)
			st->row = 0;
		return rc;
	}
	st->done = true;
	return SQLITE_DONE;
}

void pgst_reset(struct pgst *st)
{
	/* a walk left before its end: the rest of the rows read and dropped
	 * (cancelling would fail the transaction it runs in) */
	while (st->pg->streaming == st && stream_next(st) == SQLITE_ROW)
		;
	pq.PQclear(st->res);
	st->res = NULL;
	st->row = -1;
	st->nrows = 0;
	st->done = false;
}

void pgst_clear(struct pgst *st)
{
	for (int i = 0; i < st->nparams; i++) {
		free(st->val[i]);
		st->val[i] = NULL;
	}
}

void pgst_finalize(struct pgst *st)
{
	if (!st)
		return;
	pgst_reset(st);
	pgst_clear(st);
	if (st->name[0]) { /* DEALLOCATEd in a later round trip, or at the end of the session */
		struct pgdb *pg = st->pg;
		if (!(pg->nunused & (pg->nunused + 1)) || !pg->unused) /* 0, 1, 3, 7, ...: grow */
			pg->unused =
			    xrealloc(pg->unused, (pg->nunused + 1) * 2 * sizeof *pg->unused);
		memcpy(pg->unused[pg->nunused++], st->name, sizeof st->name);
	}
	free(st->val);
	free(st->types);
	free(st->isint);
	free(st->sql);
	free(st);
}

static bool col_ok(const struct pgst *st, int i)
{
	return st->res && st->row >= 0 && st->row < st->nrows && i >= 0 &&
	       i < pq.PQnfields(st->res);
}

int pgst_col_type(struct pgst *st, int i)
{
	if (!col_ok(st, i) || pq.PQgetisnull(st->res, st->row, i))
		return SQLITE_NULL;
	switch (pq.PQftype(st->res, i)) {
	case BOOLOID:
	case INT2OID:
	case INT4OID:
	case INT8OID:
	case OIDOID:
		return SQLITE_INTEGER;
	case FLOAT4OID:
	case FLOAT8OID:
	case NUMERICOID:
		return SQLITE_FLOAT;
	default:
		return SQLITE_TEXT;
	}
}

const char *pgst_col_text(struct pgst *st, int i)
{
	if (!col_ok(st, i) || pq.PQgetisnull(st->res, st->row, i))
		return NULL;
	const char *v = pq.PQgetvalue(st->res, st->row, i);
	if (pq.PQftype(st->res, i) == BOOLOID) /* SQLite's truth values are 1 and 0 */
		return *v == 't' ? "1" : "0";
	return v;
}

int64_t pgst_col_int64(struct pgst *st, int i)
{
	const char *v = pgst_col_text(st, i);
	if (!v)
		return 0;
	if (pgst_col_type(st, i) == SQLITE_FLOAT) /* as SQLite: toward zero */
		return (int64_t)strtod(v, NULL);
	return strtoll(v, NULL, 10);
}

int pgst_col_bytes(struct pgst *st, int i)
{
	const char *v = pgst_col_text(st, i);
	return v ? (int)strlen(v) : 0;
}

int pgst_col_count(struct pgst *st)
{
	return st->res ? pq.PQnfields(st->res) : 0;
}

/* ---- schema ---- */

/*
 * The same tables as SQLite's migrations (db.c), step for step. Text
 * compares and sorts by bytes (collation "C", as SQLite's BINARY), and
 * `COLLATE NOCASE` finds the collation nocase; integers are 64 bits;
 * ids come from identity sequences, so unlike SQLite's rowids they are
 * never handed out twice, even after the newest rows were deleted (a
 * largest-plus-one trigger walked every row an aborted import left in the
 * index, on every insert after it); the stays triggers are SQLite's, in
 * PL/pgSQL. After rows are stored with their ids (a bulk import, db copy),
 * db_sync_ids() moves the sequences past them. Foreign keys are checked
 * at once but may be deferred to the commit: a bulk import defers them,
 * as it turns them off on SQLite, since the engines write a lead's tasks
 * before the COPY has sent the lead.
 */
static const char *const pg_migrations[] = {
	/* 1 */
	"CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', "
	"  deterministic = false);"
	"CREATE FUNCTION json_valid(t text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$"
	"BEGIN PERFORM t::json; RETURN true; EXCEPTION WHEN others THEN RETURN false; END $$;"
	/* json_extract(x, '$.key') of SQLite, for one key: its value as text */
	"CREATE FUNCTION json_extract(t text, path text) RETURNS text LANGUAGE sql IMMUTABLE AS "
	"  $$ SELECT t::json ->> substr(path, 3) $$;"
	/* json_each(x) of SQLite, for objects and arrays: key and value as text */
	"CREATE FUNCTION leads_json_each(t text, OUT key text, OUT value text) RETURNS SETOF record"
	"  LANGUAGE sql IMMUTABLE AS $$"
	"  SELECT e.key, e.value FROM json_each_text(CASE WHEN json_typeof(t::json) = 'object'"
	"    THEN t::json END) e"
	"  UNION ALL SELECT (a.o - 1)::text, a.v FROM json_array_elements_text("
	"    CASE WHEN json_typeof(t::json) = 'array' THEN t::json END) WITH ORDINALITY a(v, o) $$;"
	"CREATE TABLE stages ("
	"  key text COLLATE \"C\" PRIMARY KEY, name text COLLATE \"C\" NOT NULL, position bigint "
	"NOT NULL,"
	"  grp text COLLATE \"C\" NOT NULL CHECK (grp IN ('active','won','lost')),"
	"  in_config bigint NOT NULL DEFAULT 1);"
	"CREATE TABLE imports ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, file text COLLATE \"C\" NOT "
	"NULL, preset text COLLATE \"C\", "
	"started_at bigint NOT NULL,"
	"  finished_at bigint, actor text COLLATE \"C\", counts text COLLATE \"C\", reverted_at "
	"bigint);"
	"CREATE TABLE leads ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text COLLATE \"C\","
	"  first_name text COLLATE \"C\", last_name text COLLATE \"C\", phone text COLLATE \"C\", "
	"company text COLLATE \"C\", title text COLLATE \"C\","
	"  website text COLLATE \"C\", industry text COLLATE \"C\", city text COLLATE \"C\", state "
	"text COLLATE \"C\", country text COLLATE \"C\","
	"  source text COLLATE \"C\", owner text COLLATE \"C\", stage text COLLATE \"C\" NOT NULL, "
	"step text COLLATE \"C\","
	"  status text COLLATE \"C\" NOT NULL DEFAULT 'new'"
	"    CHECK (status IN ('new', 'active', 'inactive', 'unqualified')),"
	"  priority text COLLATE \"C\", category text COLLATE \"C\", score bigint NOT NULL DEFAULT "
	"0, value bigint,"
	"  created_at bigint NOT NULL, updated_at bigint NOT NULL, last_activity_at bigint,"
	"  stage_entered_at bigint NOT NULL, assigned_at bigint, ext_source text COLLATE \"C\", "
	"ext_id text COLLATE \"C\","
	"  import_batch bigint, extra text COLLATE \"C\", assigned_rule text COLLATE \"C\", "
	"source_line bigint,"
	"  reached_pos bigint);"
	"CREATE UNIQUE INDEX leads_email ON leads(email);"
	"CREATE INDEX leads_stage ON leads(stage, stage_entered_at, reached_pos, value);"
	"CREATE INDEX leads_owner ON leads(owner, status) WHERE owner IS NOT NULL;"
	"CREATE INDEX leads_status ON leads(status, last_activity_at);"
	"CREATE UNIQUE INDEX leads_ext ON leads(ext_id, ext_source) WHERE ext_id IS NOT NULL;"
	"CREATE TABLE events ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  lead_id bigint NOT NULL REFERENCES leads(id) ON DELETE CASCADE DEFERRABLE,"
	"  at bigint NOT NULL, actor text COLLATE \"C\", kind text COLLATE \"C\" NOT NULL, "
	"from_val text COLLATE \"C\", to_val text COLLATE \"C\","
	"  data text COLLATE \"C\" CHECK (data IS NULL OR json_valid(data)));"
	"CREATE INDEX events_lead ON events(lead_id, at);"
	"CREATE INDEX events_kind ON events(kind, at);"
	"CREATE TABLE stays ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  lead_id bigint NOT NULL REFERENCES leads(id) ON DELETE CASCADE DEFERRABLE,"
	"  stage text COLLATE \"C\" NOT NULL, entered_at bigint NOT NULL, left_at bigint NOT NULL,"
	"  secs bigint NOT NULL);"
	"CREATE INDEX stays_lead ON stays(lead_id);"
	"CREATE INDEX stays_stage ON stays(stage, secs);"
	"CREATE TABLE stay_hist ("
	"  stage text COLLATE \"C\" NOT NULL, lo bigint NOT NULL, n bigint NOT NULL, secs bigint "
	"NOT NULL,"
	"  PRIMARY KEY (stage, lo));"
	"CREATE FUNCTION leads_stay() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  INSERT INTO stays(lead_id, stage, entered_at, left_at, secs) VALUES (OLD.id,"
	"    OLD.stage, OLD.stage_entered_at, GREATEST(OLD.stage_entered_at,"
	"    NEW.stage_entered_at), GREATEST(0, NEW.stage_entered_at - OLD.stage_entered_at));"
	"  RETURN NULL; END $$;"
	"CREATE TRIGGER leads_stay AFTER UPDATE OF stage ON leads FOR EACH ROW"
	"  WHEN (OLD.stage IS DISTINCT FROM NEW.stage) EXECUTE FUNCTION leads_stay();"
	"CREATE FUNCTION stay_bucket(secs bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$"
	"  SELECT CASE WHEN secs < 3600 THEN secs - secs % 60"
	"    WHEN secs < 86400 THEN secs - secs % 600"
	"    WHEN secs < 2592000 THEN secs - secs % 3600"
	"    WHEN secs < 31449600 THEN secs - secs % 86400"
	"    ELSE secs - secs % 604800 END $$;"
	"CREATE FUNCTION stays_add() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  INSERT INTO stay_hist AS h (stage, lo, n, secs) VALUES (NEW.stage,"
	"    stay_bucket(NEW.secs), 1, NEW.secs)"
	"  ON CONFLICT (stage, lo) DO UPDATE SET n = h.n + 1, secs = h.secs + excluded.secs;"
	"  RETURN NULL; END $$;"
	"CREATE TRIGGER stays_add AFTER INSERT ON stays FOR EACH ROW EXECUTE FUNCTION stays_add();"
	"CREATE FUNCTION stays_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	"  UPDATE stay_hist SET n = n - 1, secs = secs - OLD.secs"
	"    WHERE stage = OLD.stage AND lo = stay_bucket(OLD.secs);"
	"  RETURN NULL; END $$;"
	"CREATE TRIGGER stays_del AFTER DELETE ON stays FOR EACH ROW EXECUTE FUNCTION stays_del();"
	"CREATE TABLE tasks ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  lead_id bigint NOT NULL REFERENCES leads(id) ON DELETE CASCADE DEFERRABLE,"
	"  owner text COLLATE \"C\", title text COLLATE \"C\" NOT NULL, notes text COLLATE \"C\", "
	"created_at bigint NOT NULL,"
	"  due_at bigint NOT NULL, notify_at bigint, notified_at bigint, done_at bigint,"
	"  late bigint NOT NULL DEFAULT 0, rule text COLLATE \"C\", idem_key text COLLATE \"C\" "
	"UNIQUE);"
	"CREATE INDEX tasks_open ON tasks(due_at) WHERE done_at IS NULL;"
	"CREATE INDEX tasks_lead ON tasks(lead_id);"
	"CREATE INDEX tasks_owner ON tasks(owner, due_at);"
	"CREATE INDEX tasks_notify ON tasks(notify_at) WHERE done_at IS NULL AND notified_at IS "
	"NULL;"
	"CREATE TABLE outbox ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, idem_key text COLLATE \"C\" NOT "
	"NULL UNIQUE, kind text COLLATE "
	"\"C\" NOT NULL,"
	"  lead_id bigint REFERENCES leads(id) ON DELETE SET NULL DEFERRABLE,"
	"  rcpt text COLLATE \"C\" NOT NULL, cc text COLLATE \"C\", subject text COLLATE \"C\" NOT "
	"NULL, body text COLLATE \"C\" NOT NULL,"
	"  created_at bigint NOT NULL, next_try_at bigint NOT NULL,"
	"  tries bigint NOT NULL DEFAULT 0, last_error text COLLATE \"C\", sent_at bigint, "
	"failed_at bigint,"
	"  claim text COLLATE \"C\", claim_until bigint);"
	"CREATE INDEX outbox_due ON outbox(next_try_at) WHERE sent_at IS NULL AND failed_at IS "
	"NULL;"
	"CREATE TABLE state (key text COLLATE \"C\" PRIMARY KEY, value text COLLATE \"C\");"
	"CREATE TABLE scores ("
	"  lead_id bigint NOT NULL REFERENCES leads(id) ON DELETE CASCADE DEFERRABLE,"
	"  name text COLLATE \"C\" NOT NULL, value bigint NOT NULL, PRIMARY KEY (lead_id, name));",

	/* 2 */
	"ALTER TABLE leads ADD COLUMN import_owner text COLLATE \"C\";"
	"ALTER TABLE leads ADD COLUMN import_rule text COLLATE \"C\";"
	"CREATE INDEX outbox_lead ON outbox(lead_id);",

	/* 3 */
	"ALTER TABLE outbox ADD COLUMN unknown_at bigint;",

	/* 4: as SQLite's 4 (see db.c) */
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

	/* 5: lifecycle (db.c) */
	"ALTER TABLE tasks ADD COLUMN cancelled_at bigint;"
	"ALTER TABLE tasks ADD COLUMN owner_given integer NOT NULL DEFAULT 0;"
	"ALTER TABLE imports ADD COLUMN quiet_before bigint;",

	/* 6: `leads list TEXT`: PostgreSQL's own text search, GIN indexes on
	 * the lead's fields and on the text of notes (db_lookup.c queries them).
	 * A tsvector holds at most 1 MB: the text indexed is the first 100,000
	 * characters of the fields and of each note (a 1 MB field is stored
	 * whole, searched by its beginning). */
	"CREATE FUNCTION leads_text(fn text, ln text, co text, em text, ph text, ti "
	"text, ex text) RETURNS tsvector LANGUAGE sql IMMUTABLE AS $$ SELECT "
	"to_tsvector('simple', left(coalesce(fn, '') || ' ' || coalesce(ln, '') || ' ' || "
	"coalesce(co, '') || ' ' || translate(coalesce(em, ''), '@.', '  ') || ' ' || coalesce(ph, "
	"'') || ' ' "
	"|| coalesce(ti, ''), 100000)) || CASE WHEN ex IS NULL THEN ''::tsvector "
	"WHEN length(ex) > 100000 THEN to_tsvector('simple', left(ex, 100000)) ELSE "
	"jsonb_to_tsvector('simple', ex::jsonb, '[\"string\", \"numeric\"]') END $$;"
	"CREATE INDEX leads_text ON leads USING gin (leads_text(first_name, last_name, "
	"company, email, phone, title, extra));"
	"CREATE FUNCTION leads_note_text(d text) RETURNS tsvector LANGUAGE sql "
	"IMMUTABLE AS $$ SELECT to_tsvector('simple', left(coalesce(d::json ->> 'text', ''), "
	"100000)) $$;"
	"CREATE INDEX events_text ON events USING gin (leads_note_text(data)) WHERE "
	"kind IN ('note', 'call', 'email', 'meeting', 'meeting_scheduled');",

	/* 7: leads merge (db.c) */
	"CREATE TABLE lead_aliases ("
	"  id bigint PRIMARY KEY,"
	"  lead_id bigint NOT NULL REFERENCES leads(id) ON DELETE CASCADE DEFERRABLE,"
	"  email text COLLATE \"C\", merged_at bigint NOT NULL, actor text COLLATE \"C\","
	"  import_batch bigint);"
	"CREATE INDEX lead_aliases_lead ON lead_aliases(lead_id);"
	"CREATE INDEX lead_aliases_email ON lead_aliases(email) WHERE email IS NOT NULL;",

	/* 8: close_date (db.c) */
	"ALTER TABLE leads ADD COLUMN close_date text COLLATE \"C\";",

	/* 9: sequences and mail flags (db.c) */
	"CREATE TABLE sequences ("
	"  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	"  lead_id bigint NOT NULL REFERENCES leads(id) ON DELETE CASCADE DEFERRABLE,"
	"  name text COLLATE \"C\" NOT NULL, step bigint NOT NULL DEFAULT 0,"
	"  started_at bigint NOT NULL, next_at bigint, done_at bigint, stopped_at bigint,"
	"  stop_reason text COLLATE \"C\");"
	"CREATE INDEX sequences_due ON sequences(next_at) WHERE done_at IS NULL AND stopped_at IS "
	"NULL;"
	"CREATE INDEX sequences_lead ON sequences(lead_id);"
	"CREATE TABLE mail_flags ("
	"  lead_id bigint PRIMARY KEY REFERENCES leads(id) ON DELETE CASCADE DEFERRABLE,"
	"  do_not_email bigint NOT NULL DEFAULT 0, bounced_at bigint, bounce text COLLATE \"C\","
	"  changed_at bigint);"
	"ALTER TABLE outbox ADD COLUMN sender text COLLATE \"C\";"
	"ALTER TABLE outbox ADD COLUMN headers text COLLATE \"C\";"
	"CREATE INDEX outbox_seq_sender ON outbox(sender, created_at) WHERE kind = 'sequence';",

	/* 10: list's first page by status or stage, the funnel's stays (db.c) */
	"CREATE INDEX leads_status_id ON leads(status, id);"
	"CREATE INDEX leads_stage_id ON leads(stage, id);"
	"DROP INDEX stays_stage;"
	"CREATE INDEX stays_stage ON stays(stage, secs, lead_id);",

	/* 11: a rep's open tasks (db.c) */
	"CREATE INDEX tasks_owner_open ON tasks(owner COLLATE NOCASE, due_at) WHERE done_at IS "
	"NULL;",
};

int pg_migration_count(void)
{
	return (int)ARRAY_LEN(pg_migrations);
}

/* The version in leads_schema (0 when it has no row yet). */
static int read_version(struct pgdb *pg, int *have)
{
	*have = 0;
	PGresult *r = pq.PQexec(pg->c, "SELECT version FROM leads_schema");
	int rc = result_err(pg, r);
	int rows = rc ? 0 : pq.PQntuples(r);
	if (rows == 1)
		*have = atoi(pq.PQgetvalue(r, 0, 0));
	pq.PQclear(r);
	if (!rc && (*have < 0 || rows > 1)) {
		/* no leads writes that: not ours, or damaged; touch nothing */
		set_err(pg, SQLITE_CORRUPT, "leads_schema holds a version no leads writes");
		rc = pg->code;
	}
	return rc;
}

int pg_schema_version(struct pgdb *pg, int *have)
{
	*have = 0;
	/* one round trip: a table that is not there (42P01) is version 0 */
	PGresult *r = pq.PQexec(pg->c, "SELECT version FROM leads_schema");
	const char *state = r ? pq.PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state && strcmp(state, "42P01") == 0) {
		pq.PQclear(r);
		return 0;
	}
	int rc = result_err(pg, r);
	int rows = rc ? 0 : pq.PQntuples(r);
	if (rows == 1)
		*have = atoi(pq.PQgetvalue(r, 0, 0));
	pq.PQclear(r);
	if (!rc && (*have < 0 || rows > 1)) {
		set_err(pg, SQLITE_CORRUPT, "leads_schema holds a version no leads writes");
		rc = pg->code;
	}
	return rc;
}

int pg_migrate(struct pgdb *pg, int want)
{
	if (want > pg_migration_count())
		want = pg_migration_count();
	for (;;) {
		int have = 0;
		int rc = begin_locked(pg, SCHEMA_LOCK, pg->busy_ms);
		if (rc)
			return rc;
		/* under the lock: another host may have moved it on meanwhile */
		if (!(rc = run(
		          pg,
		          "CREATE TABLE IF NOT EXISTS leads_schema (version integer NOT NULL)")))
			rc = read_version(pg, &have);
		if (!rc && have < want && !(rc = run(pg, pg_migrations[have]))) {
			char sql[80];
			snprintf(sql, sizeof sql,
			         have ? "UPDATE leads_schema SET version = %d"
			              : "INSERT INTO leads_schema VALUES (%d)",
			         have + 1);
			rc = run(pg, sql);
		}
		if (rc) {
			quietly(pg, "ROLLBACK");
			return rc;
		}
		if ((rc = run(pg, "COMMIT")) || have >= want)
			return rc;
	}
}
