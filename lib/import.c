/*
 * import.c - the import engine: header, mapping, dates, then one pass of
 * rows into the database (see import.h).
 *
 * Two passes over the file only when a date column's format has to be
 * detected from all its values (a column of 03/04/2024-style dates may be
 * MM/DD or DD/MM, and only the whole column tells); the caller hands us a
 * seekable descriptor for that, spooling a pipe to a temporary file.
 */
#include "import.h"
#include "tz.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lyaml.h"
#include "ltime.h"
#include "route.h"
#include "rules.h"
#include "score.h"
#include "lifecycle.h"
#include "workflow.h"

/* The cells of a record as the const char * array imap wants. */
struct cells {
	const char **v;
	size_t n, cap;
	bool unguard;   /* our own export: take off its formula guard */
	const char **u; /* the cells without it */
	size_t ucap;
};

/*
 * `leads export` guards a cell that a spreadsheet would run as a formula
 * with a leading apostrophe ('+1 503 555 0101, '=x): reading our own
 * export back takes it off again, or every such phone would come back
 * with an apostrophe. The original cells stay in c->v for the rejects.
 */
static const char *const *map_cells(struct cells *c)
{
	if (!c->unguard)
		return c->v;
	c->u = xgrow(c->u, &c->ucap, c->n, sizeof *c->u);
	for (size_t i = 0; i < c->n; i++) {
		c->u[i] = csv_unguard(c->v[i]);
	}
	return c->u;
}

static void cells_from(struct cells *c, const struct csv_rec *rec)
{
	c->v = xgrow(c->v, &c->cap, rec->n, sizeof *c->v);
	for (size_t i = 0; i < rec->n; i++)
		c->v[i] = rec->f[i].s;
	c->n = rec->n;
}

/* Prefix a reader error with the file name: "leads.csv: line 3: ...". */
static int file_err(const struct import_opts *o, int rc, struct lerr *err)
{
	char msg[sizeof err->msg];
	snprintf(msg, sizeof msg, "%s", err->msg);
	return lerr_set(err, rc, "%s: %s", o->file, msg);
}

/* The first non-blank record: the header. */
static int read_header(const struct import_opts *o, struct csv_reader *r, struct cells *c,
                       uint64_t *line, struct lerr *err)
{
	struct csv_rec rec;
	int rc;
	while ((rc = csv_next(r, &rec, err)) == 1) {
		cells_from(c, &rec);
		if (!imap_row_blank(c->v, c->n)) {
			*line = rec.line;
			return 0;
		}
	}
	if (rc == 0)
		return lerr_set(err, EX_DATAERR, "%s: no header row (the file is empty)", o->file);
	return file_err(o, rc, err);
}

static int open_reader(struct import_opts *o, struct csv_reader **r, struct lerr *err)
{
	*r = csv_open_fd(o->fd, &o->csv, err);
	if (!*r)
		return err->code == EX_USAGE ? EX_USAGE
		                             : file_err(o, err->code ? err->code : EX_DATAERR, err);
	return 0;
}

/* Header, preset and user overrides: everything but dates and values. */
/*
 * A header one distinct column short of a vendor: its stage and status
 * values may decide (imap_detect_values), from the first rows; then back
 * to the start of the file and past the header again.
 */
static int detect_by_values(struct import_opts *o, struct csv_reader **r, struct cells *c,
                            const struct imap *m, struct imap_detection *d, struct lerr *err)
{
	struct csv_rec rec;
	int rc;
	for (int k = 0; k < 1000 && (rc = csv_next(*r, &rec, err)) == 1; k++) {
		cells_from(c, &rec);
		if (imap_detect_values(m, d, c->v, c->n) || !d->nv)
			break; /* decided, or no vendor's stage or status column */
	}
	csv_close(*r);
	*r = NULL;
	if (lseek(o->fd, 0, SEEK_SET) < 0)
		return lerr_set(err, EX_IOERR, "cannot rewind '%s': %s", o->file, strerror(errno));
	if ((rc = open_reader(o, r, err)))
		return rc;
	uint64_t hline;
	return read_header(o, *r, c, &hline, err);
}

static int setup_mapping(struct import_opts *o, struct csv_reader **rp, struct cells *c,
                         struct imap *m, struct imap_detection *d, struct lerr *err)
{
	uint64_t hline;
	int rc = read_header(o, *rp, c, &hline, err);
	if (rc)
		return rc;
	if ((rc = imap_init(m, c->v, c->n, err)))
		return file_err(o, rc, err);
	m->tz = o->tz;
	if (o->header)
		o->header(o->ctx, c->v, c->n);
	memset(d, 0, sizeof *d);
	imap_detect(m, d);
	if (!o->preset && d->near && (rc = detect_by_values(o, rp, c, m, d, err)))
		return rc;
	if (o->preset) {
		const struct imap_preset *p = imap_preset_find(o->preset);
		if (!p) {
			struct sb names = SB_INIT;
			for (size_t i = 0; imap_preset_names[i]; i++)
				sb_addf(&names, "%s%s", i ? ", " : "", imap_preset_names[i]);
			rc = lerr_set(err, EX_USAGE, "unknown preset '%s' (presets: %s)", o->preset,
			              sb_str(&names));
			sb_free(&names);
			return rc;
		}
		d->preset = p;
	}
	imap_use_preset(m, d->preset);
	for (size_t i = 0; o->maps && o->maps[i]; i++)
		if ((rc = imap_parse_map(m, o->maps[i], err)))
			return rc;
	if (o->map_file_text &&
	    (rc = imap_parse_map_text(m, o->map_file_text, o->map_file_name, err)))
		return rc;
	for (size_t i = 0; o->ignores && o->ignores[i]; i++)
		if ((rc = imap_ignore(m, o->ignores[i], err)))
			return rc;
	return 0;
}

/*
 * Feed one value to a column's detector, except a value that no format
 * reads at all (02/30/2024, "soon"): that is one bad row, rejected with
 * its line in pass 2, not a reason to stop the whole import. A value that
 * some format reads but the column's other values rule out (2024-03-14
 * among 03/14/2024) still stops it: the column mixes formats.
 */
static void datedet_feed(struct imap_datedet *d, const char *v, uint64_t line)
{
	unsigned before = d->possible;
	imap_datedet_feed(d, v, line);
	if (d->possible || !before)
		return;
	int64_t t;
	for (int f = IMAP_DATE_ISO; f <= IMAP_DATE_EPOCH_S; f++)
		if (imap_date_parse((enum imap_datefmt)f, v, &t))
			return;
	/* undo: no format reads it, so it says nothing about the column */
	d->possible = before;
	free(d->bad);
	d->bad = NULL;
	d->bad_line = 0;
	if (--d->nvalues == 0) {
		free(d->sample);
		d->sample = NULL;
	}
}

/*
 * What the file tells of the locale that wrote it, for the day/month
 * order when no value proves it: the first reason found for each order.
 */
struct locale_ev {
	char dmy[200], mdy[200];
	unsigned seen; /* IMAP_HINT_* kinds already found */
};

/* The vendors whose exports write dates in the user's locale, where
 * month-first locales (en_US) write times with AM/PM. */
static bool locale_vendor(const struct imap *m)
{
	const char *p = imap_preset_name(m->preset);
	return strcmp(p, "salesforce") == 0 || strcmp(p, "zoho") == 0 || strcmp(p, "suitecrm") == 0;
}

static void locale_value(struct locale_ev *ev, const struct imap *m, const struct imap_col *col,
                         const char *v)
{
	unsigned h = imap_date_hints(v) & ~ev->seen;
	if (!h)
		return;
	ev->seen |= h;
	size_t n = strlen(v);
	if (n > 40) /* on a character's first byte */
		for (n = 40; n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80; n--)
			;
	char *t = str_trim(xstrndup(v, n));
	if ((h & IMAP_HINT_DAY_WORD) && !ev->dmy[0])
		snprintf(ev->dmy, sizeof ev->dmy,
		         "column '%.40s' writes the day before the month's name ('%s')", col->name,
		         t);
	if ((h & IMAP_HINT_WORD_DAY) && !ev->mdy[0])
		snprintf(ev->mdy, sizeof ev->mdy,
		         "column '%.40s' writes the month's name before the day ('%s')", col->name,
		         t);
	if ((h & IMAP_HINT_24H) && locale_vendor(m) && !ev->dmy[0])
		snprintf(ev->dmy, sizeof ev->dmy,
		         "it is a %s export with 24-hour times ('%s'), which its month-first "
		         "locales write with AM/PM",
		         imap_preset_name(m->preset), t);
	free(t);
}

/*
 * Pass 1: decide each date column's format from all its values. Only run
 * when some date column has no format yet. The day/month order of the
 * columns whose values allow both is decided, in this order, by: a
 * column whose values prove it (12/25/2024), or whose --date-format
 * names it; else the file's locale (locale_ev: its report footer's
 * language, dates with the month's name, the 24-hour clock of a vendor
 * export, a ';' delimiter), when it points one way only; else it is
 * asked for (EX_DATAERR), or with ask false (--detect) only said. *said
 * gets which rule decided, for the report; empty when no column needed
 * one.
 */
static int detect_dates(struct import_opts *o, struct csv_reader *r, struct imap *m, bool ask,
                        struct sb *said, struct lerr *err)
{
	size_t nd = 0;
	for (size_t i = 0; i < m->ncols; i++)
		nd += imap_col_is_date(&m->cols[i]) && m->cols[i].date == IMAP_DATE_AUTO;
	if (!nd)
		return 0;
	struct imap_datedet *det = xcalloc(m->ncols, sizeof *det);
	for (size_t i = 0; i < m->ncols; i++)
		imap_datedet_init(&det[i]);
	struct cells c = { 0 };
	struct csv_rec rec;
	struct locale_ev ev = { .seen = 0 };
	bool in_footer = false, proved = false;
	const char *hcol, *hlang = imap_header_language(m, &hcol);
	if (hlang)
		snprintf(ev.dmy, sizeof ev.dmy,
		         "the header is in %s (column '%.40s'), a language whose dates are day "
		         "first",
		         hlang, hcol);
	int rc;
	while ((rc = csv_next(r, &rec, err)) == 1) {
		if (o->stop && *o->stop) {
			rc = lerr_set(err, 128 + *o->stop, "interrupted; nothing was imported");
			break;
		}
		cells_from(&c, &rec);
		if (imap_row_blank(c.v, c.n))
			continue;
		if (imap_row_footer(c.v, c.n, &in_footer)) {
			const char *lang = imap_footer_language(c.v[0]);
			if (lang && strcmp(lang, "Japanese") != 0 && !ev.dmy[0])
				snprintf(
				    ev.dmy, sizeof ev.dmy,
				    "the report's footer is in %s, a language whose dates are day "
				    "first",
				    lang);
			continue;
		}
		for (size_t i = 0; i < m->ncols; i++) {
			size_t k = m->skip + i;
			if (imap_col_is_date(&m->cols[i]) && m->cols[i].date == IMAP_DATE_AUTO &&
			    k < c.n) {
				datedet_feed(&det[i], c.v[k], rec.line);
				proved |= det[i].only_mdy || det[i].only_dmy;
				/* the locale matters only while no value proves the order */
				if (!proved && ev.seen != 7 && c.v[k][0])
					locale_value(&ev, m, &m->cols[i], c.v[k]);
			}
		}
	}
	if (rc > 0 && rc < 128)
		rc = file_err(o, rc, err);
	if (csv_delimiter(r) == ';' && !ev.dmy[0])
		snprintf(ev.dmy, sizeof ev.dmy,
		         "the file is separated by ';', the list separator of the locales with a "
		         "decimal comma, which all write the day first");
	/* Day/month order is the file's, not a column's: one whose values prove
	 * it (12/25/2024) decides for those that only hold ambiguous ones. */
	enum imap_datefmt order = IMAP_DATE_AUTO;
	bool conflict = false;
	struct sb why = SB_INIT;
	for (size_t i = 0; rc == 0 && i < m->ncols; i++) {
		const struct imap_col *col = &m->cols[i];
		enum imap_datefmt given = col->date;
		if (!imap_col_is_date(col))
			continue;
		bool auto_ = given == IMAP_DATE_AUTO;
		bool mdy = given == IMAP_DATE_MDY || given == IMAP_DATE_ANY_MDY ||
		           (auto_ && det[i].only_mdy);
		bool dmy = given == IMAP_DATE_DMY || given == IMAP_DATE_ANY_DMY ||
		           (auto_ && det[i].only_dmy);
		conflict |= mdy && dmy;
		if (mdy != dmy) {
			enum imap_datefmt o2 = mdy ? IMAP_DATE_MDY : IMAP_DATE_DMY;
			conflict |= order != IMAP_DATE_AUTO && order != o2;
			if (order == IMAP_DATE_AUTO && auto_)
				sb_addf(&why, "column '%s' proves it ('%s')", col->name,
				        det[i].proof ? det[i].proof : "?");
			else if (order == IMAP_DATE_AUTO)
				sb_addf(&why, "--date-format says so for column '%s'", col->name);
			order = o2;
		}
	}
	if (conflict) {
		order = IMAP_DATE_AUTO;
		sb_reset(&why);
	}
	/* no value proves it: the locale, if it points one way */
	if (order == IMAP_DATE_AUTO && !conflict && (ev.dmy[0] != 0) != (ev.mdy[0] != 0)) {
		order = ev.dmy[0] ? IMAP_DATE_DMY : IMAP_DATE_MDY;
		sb_adds(&why, ev.dmy[0] ? ev.dmy : ev.mdy);
	} else if (order == IMAP_DATE_AUTO && !conflict && ev.dmy[0] && ev.mdy[0]) {
		sb_addf(&why, "the file's hints disagree: %s, but %s", ev.dmy, ev.mdy);
	}
	struct sb cols = SB_INIT;
	for (size_t i = 0; rc == 0 && i < m->ncols; i++) {
		if (!imap_col_is_date(&m->cols[i]) || m->cols[i].date != IMAP_DATE_AUTO)
			continue;
		enum imap_datefmt fmt = IMAP_DATE_ISO;
		switch (imap_datedet_verdict(&det[i], m->cols[i].name, &fmt, err)) {
		case IMAP_DV_EMPTY:
			break;
		case IMAP_DV_ONE:
			m->cols[i].date = fmt;
			break;
		case IMAP_DV_AMBIGUOUS:
			sb_addf(&cols, "%s'%s'", cols.len ? ", " : "", m->cols[i].name);
			if (order == IMAP_DATE_AUTO && ask) {
				rc = file_err(o, err->code ? err->code : EX_DATAERR, err);
				break;
			}
			m->cols[i].date = order; /* (AUTO: --detect says so) */
			err->code = 0;
			err->msg[0] = '\0';
			break;
		case IMAP_DV_BAD:
			/* formats mixed in one column: each value as it reads,
			 * an unreadable one kept as text with a warning */
			m->cols[i].date = order == IMAP_DATE_MDY   ? IMAP_DATE_ANY_MDY
			                  : order == IMAP_DATE_DMY ? IMAP_DATE_ANY_DMY
			                                           : IMAP_DATE_AUTO;
			err->code = 0;
			err->msg[0] = '\0';
			break;
		}
	}
	if (rc == 0 && cols.len && order != IMAP_DATE_AUTO)
		sb_addf(said, "dates: %s read %s, as %s; if not, say --date-format %s",
		        sb_str(&cols),
		        order == IMAP_DATE_DMY ? "day first (DD/MM)" : "month first (MM/DD)",
		        sb_str(&why), order == IMAP_DATE_DMY ? "mdy" : "dmy");
	else if (rc == 0 && cols.len)
		sb_addf(said,
		        "dates: %s may be month or day first: %s; the import asks for "
		        "--date-format mdy or dmy",
		        sb_str(&cols), why.len ? sb_str(&why) : "nothing in the file tells");
	sb_free(&why);
	sb_free(&cols);
	for (size_t i = 0; i < m->ncols; i++)
		imap_datedet_free(&det[i]);
	free(det);
	free(c.v);
	return rc;
}

/* ---- owners: the old CRM's names mapped, the others kept ---- */

/* the config's import: section (parsed below) */
struct import_config {
	struct import_pair {
		char *value, *stage, *status; /* one of stage and status */
	} * v;
	size_t n, cap;
	struct owner_pair {
		char *from, *to; /* to: a member name, or "-" */
	} * owners;
	size_t nowners, capowners;
	char *src; /* the section as written, for config show */
};

/* A set of names without regard to case: open addressing over indexes. */
struct owner_set {
	uint64_t *h; /* hash, 0: empty */
	size_t *ix;  /* the entry's index */
	size_t cap, n;
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++) {
		h ^= (unsigned char)tolower((unsigned char)*s);
		h *= 1099511628211u;
	}
	return h ? h : 1;
}

/* The slot of name (whose strings are names[ix]) or the empty slot for it. */
static size_t oset_slot(const struct owner_set *os, char *const *names, const char *name,
                        uint64_t h)
{
	size_t j = (size_t)h & (os->cap - 1);
	while (os->h[j] && !(os->h[j] == h && strcasecmp(names[os->ix[j]], name) == 0))
		j = (j + 1) & (os->cap - 1);
	return j;
}

/* Find name; or, with add, insert it as index `add_ix`. Returns the index
 * or SIZE_MAX. */
static size_t oset_find(struct owner_set *os, char *const *names, const char *name, bool add,
                        size_t add_ix)
{
	uint64_t h = name_hash(name);
	if (os->cap) {
		size_t j = oset_slot(os, names, name, h);
		if (os->h[j])
			return os->ix[j];
	}
	if (!add)
		return SIZE_MAX;
	if (2 * (os->n + 1) > os->cap) {
		struct owner_set big = { 0 };
		big.cap = os->cap ? 2 * os->cap : 16;
		big.h = xcalloc(big.cap, sizeof *big.h);
		big.ix = xcalloc(big.cap, sizeof *big.ix);
		for (size_t j = 0; j < os->cap; j++)
			if (os->h[j]) {
				size_t k = (size_t)os->h[j] & (big.cap - 1);
				while (big.h[k])
					k = (k + 1) & (big.cap - 1);
				big.h[k] = os->h[j];
				big.ix[k] = os->ix[j];
			}
		big.n = os->n;
		free(os->h);
		free(os->ix);
		*os = big;
	}
	size_t j = oset_slot(os, names, name, h);
	os->h[j] = h;
	os->ix[j] = add_ix;
	os->n++;
	return add_ix;
}

static void oset_free(struct owner_set *os)
{
	if (!os)
		return;
	free(os->h);
	free(os->ix);
	free(os);
}

void import_stats_free(struct import_stats *st)
{
	for (size_t i = 0; i < st->nunmapped; i++)
		free(st->unmapped_owners[i]);
	free(st->unmapped_owners);
	oset_free(st->owner_set_);
	st->unmapped_owners = NULL;
	st->nunmapped = 0;
	st->owner_set_ = NULL;
}

/* The owner map of this run: the config's import.owners, then --owner-map. */
struct owner_map {
	char **from, **to;
	size_t n, cap;
	struct owner_set set;
};

static struct owner_map run_owners;

static void owner_map_put(struct owner_map *om, const char *from, const char *to)
{
	char *f = xstrdup(from);
	str_trim(f);
	size_t i = oset_find(&om->set, om->from, f, false, 0);
	if (i != SIZE_MAX) { /* a later entry wins */
		free(f);
		free(om->to[i]);
		om->to[i] = xstrdup(to);
		return;
	}
	size_t c = om->cap;
	om->from = xgrow(om->from, &c, om->n + 1, sizeof *om->from);
	om->to = xgrow(om->to, &om->cap, om->n + 1, sizeof *om->to);
	om->from[om->n] = f;
	om->to[om->n] = xstrdup(to);
	oset_find(&om->set, om->from, f, true, om->n);
	om->n++;
}

static void owner_map_free(struct owner_map *om)
{
	for (size_t i = 0; i < om->n; i++) {
		free(om->from[i]);
		free(om->to[i]);
	}
	free(om->from);
	free(om->to);
	free(om->set.h);
	free(om->set.ix);
	memset(om, 0, sizeof *om);
}

/* Check a target and add the pair; EX_USAGE (--owner-map) or EX_CONFIG. */
static int owner_map_add(struct owner_map *om, const struct config *cfg, const char *from,
                         const char *to, int code, const char *where, struct lerr *err)
{
	const char *t = to;
	while (*t == ' ' || *t == '\t')
		t++;
	if (strcmp(t, "-") == 0 || str_ieq(t, "none")) {
		owner_map_put(om, from, "-");
		return 0;
	}
	const struct member *m = config_member(cfg, t);
	if (!m && cfg->nteam)
		return lerr_set(err, code, "%s: '%s' is no team member (for owner '%s')", where, t,
		                from);
	owner_map_put(om, from, m ? m->name : t);
	return 0;
}

static int owner_map_load(struct owner_map *om, const struct import_opts *o, struct lerr *err)
{
	const struct config *cfg = o->hooks->cfg;
	const struct import_config *ic = cfg->import;
	int rc = 0;
	for (size_t i = 0; ic && i < ic->nowners && !rc; i++)
		rc = owner_map_add(om, cfg, ic->owners[i].from, ic->owners[i].to, EX_CONFIG,
		                   "import owners", err);
	if (rc || !o->owner_map)
		return rc;
	/* CSV: old,new a line; a first line "old,new" is a header; blank
	 * lines and # comments are skipped */
	int fd = open(o->owner_map, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lerr_set(err, EX_NOINPUT, "cannot open owner map '%s': %s", o->owner_map,
		                strerror(errno));
	struct csv_opts co = { .delim = ',' };
	struct csv_reader *r = csv_open_fd(fd, &co, err);
	if (!r) {
		close(fd);
		return err->code ? err->code : EX_DATAERR;
	}
	struct csv_rec rec;
	int k;
	char where[300];
	while (!rc && (k = csv_next(r, &rec, err)) == 1) {
		const char *f0 = rec.f[0].s;
		if ((rec.n == 1 && !*f0) || f0[0] == '#')
			continue;
		snprintf(where, sizeof where, "--owner-map %s:%llu", o->owner_map,
		         (unsigned long long)rec.line);
		if (rec.n != 2 || !*f0) {
			rc = lerr_set(err, EX_DATAERR, "%s: expected old,new", where);
			break;
		}
		if (rec.line == 1 && str_ieq(rec.f[1].s, "new"))
			continue;
		rc = owner_map_add(om, cfg, f0, rec.f[1].s, EX_DATAERR, where, err);
	}
	if (!rc && k > 1)
		rc = k;
	csv_close(r);
	close(fd);
	return rc;
}

/* An owner no member and no map entry names: kept on the lead as the
 * custom field source_owner, listed once in the summary. */
static void note_unmapped(struct import_stats *st, const char *owner)
{
	if (!st->owner_set_)
		st->owner_set_ = xcalloc(1, sizeof *st->owner_set_);
	if (oset_find(st->owner_set_, st->unmapped_owners, owner, false, 0) == SIZE_MAX) {
		size_t cap = st->nunmapped;
		st->unmapped_owners = xgrow(st->unmapped_owners, &cap, st->nunmapped + 1,
		                            sizeof *st->unmapped_owners);
		st->unmapped_owners[st->nunmapped] = xstrdup(owner);
		oset_find(st->owner_set_, st->unmapped_owners, owner, true, st->nunmapped);
		st->nunmapped++;
	}
}

static void keep_source_owner(struct lead *l, const char *owner, struct import_stats *st)
{
	note_unmapped(st, owner);
	struct sb sb = SB_INIT;
	const char *x = l->t[LT_EXTRA];
	size_t xn = x ? strlen(x) : 0;
	if (xn >= 2 && x[xn - 1] == '}') {
		sb_add(&sb, x, xn - 1);
		sb_adds(&sb, xn > 2 ? ",\"source_owner\":" : "\"source_owner\":");
	} else {
		sb_adds(&sb, "{\"source_owner\":");
	}
	sb_add_json_str(&sb, owner);
	sb_addc(&sb, '}');
	free(l->t[LT_EXTRA]);
	l->t[LT_EXTRA] = sb.buf;
}

/* --detect: the owners of the file that no member and no map entry name,
 * each once, before anything is written. */
static int detect_owners(struct import_opts *o, struct csv_reader *r, const struct imap *m,
                         struct import_stats *st, struct lerr *err)
{
	const struct config *cfg = o->hooks->cfg;
	size_t col = SIZE_MAX;
	for (size_t i = 0; i < m->ncols && col == SIZE_MAX; i++)
		if (m->cols[i].kind == IMAP_FIELD && m->cols[i].field->kind == FK_TEXT &&
		    m->cols[i].field->idx == LT_OWNER && !m->cols[i].secondary)
			col = i;
	if (col == SIZE_MAX || !cfg->nteam)
		return 0;
	int rc = owner_map_load(&run_owners, o, err);
	struct cells c = { 0 };
	struct csv_rec rec;
	bool in_footer = false;
	while (!rc && (rc = csv_next(r, &rec, err)) == 1) {
		rc = 0;
		cells_from(&c, &rec);
		if (imap_row_blank(c.v, c.n) || imap_row_footer(c.v, c.n, &in_footer))
			continue;
		size_t k = m->skip + col;
		if (k >= c.n)
			continue;
		char *v = xstrdup(c.v[k]);
		str_trim(v);
		const char *name = v;
		if (*v && run_owners.n) {
			size_t i = oset_find(&run_owners.set, run_owners.from, v, false, 0);
			if (i != SIZE_MAX)
				name = strcmp(run_owners.to[i], "-") == 0 ? "" : run_owners.to[i];
		}
		if (*name && !config_member(cfg, name))
			note_unmapped(st, name);
		free(v);
	}
	if (rc > 0 && rc < 128)
		rc = file_err(o, rc, err);
	free(c.v);
	owner_map_free(&run_owners);
	return rc;
}

int import_detect(struct import_opts *o, struct imap *m, struct imap_detection *d,
                  struct import_stats *st, struct lerr *err)
{
	struct csv_reader *r;
	struct cells c = { 0 };
	memset(m, 0, sizeof *m);
	int rc = open_reader(o, &r, err);
	if (rc)
		return rc;
	rc = setup_mapping(o, &r, &c, m, d, err);
	/* the day/month order and what decided it (without --date-format) */
	bool dates = false;
	for (size_t i = 0; !rc && i < m->ncols && !(o->date_formats && o->date_formats[0]); i++)
		dates |= imap_col_is_date(&m->cols[i]);
	if (dates) {
		struct sb said = SB_INIT;
		rc = detect_dates(o, r, m, false, &said, err);
		if (!rc && said.len)
			imap_add_note(m, sb_str(&said));
		sb_free(&said);
		csv_close(r);
		r = NULL;
		uint64_t hline;
		if (!rc && lseek(o->fd, 0, SEEK_SET) < 0)
			rc = lerr_set(err, EX_IOERR, "cannot rewind '%s': %s", o->file,
			              strerror(errno));
		if (!rc && !(rc = open_reader(o, &r, err)))
			rc = read_header(o, r, &c, &hline, err);
	}
	free(c.v);
	if (!rc && st)
		rc = detect_owners(o, r, m, st, err);
	csv_close(r);
	return rc;
}

/* Complete an imported lead with what the file did not say. */
static int finish_lead(struct import_opts *o, struct lead *l, uint64_t line, int64_t batch,
                       struct import_stats *st, struct lerr *err)
{
	struct hook_env *h = o->hooks;
	const struct config *cfg = h->cfg;
	/* (the email: checked and normalised by imap_row) */
	if (lc_identifiable(l, err)) /* the one rule add and edit keep too */
		return err->code;
	if (o->extra_json && l->t[LT_EXTRA] && !db_json_valid(h->db, l->t[LT_EXTRA]))
		return lerr_set(err, EX_DATAERR, "the extra column is not a JSON object");
	lead_set(l, LT_ASSIGNED_RULE, NULL);
	l->has[LI_ID] = false; /* our own export's id: the database gives a new one */
	if (l->t[LT_OWNER] && run_owners.n) {
		size_t i = oset_find(&run_owners.set, run_owners.from, l->t[LT_OWNER], false, 0);
		if (i != SIZE_MAX)
			lead_set(l, LT_OWNER,
			         strcmp(run_owners.to[i], "-") == 0 ? NULL : run_owners.to[i]);
	}
	if (l->t[LT_OWNER]) {
		const struct member *mem = config_member(cfg, l->t[LT_OWNER]);
		if (mem) {
			lead_set(l, LT_OWNER, mem->name);
		} else if (cfg->nteam && o->strict) {
			return lerr_set(err, EX_DATAERR, "unknown owner '%s'", l->t[LT_OWNER]);
		} else if (cfg->nteam) {
			if (!st->warnings++)
				snprintf(st->first_warning, sizeof st->first_warning,
				         "line %llu: unknown owner '%s' (kept as source_owner)",
				         (unsigned long long)line, l->t[LT_OWNER]);
			keep_source_owner(l, l->t[LT_OWNER], st);
			lead_set(l, LT_OWNER, NULL);
		}
	}
	if (l->t[LT_PRIORITY]) {
		const char *p = config_priority(cfg, l->t[LT_PRIORITY]);
		if (!p || strcmp(p, l->t[LT_PRIORITY]) != 0)
			lead_set(l, LT_PRIORITY, p);
	}
	/* a value map gives the stage key itself: found without a lookup */
	const struct stage *s = NULL;
	for (size_t i = 0; l->t[LT_STAGE] && i < cfg->nstages && !s; i++)
		if (strcmp(cfg->stages[i].key, l->t[LT_STAGE]) == 0)
			s = &cfg->stages[i];
	if (!s && l->t[LT_STAGE])
		s = config_stage(cfg, l->t[LT_STAGE]);
	if (!s)
		s = config_first_stage(cfg);
	/* the rest as for every new lead (add's too) */
	lc_new_defaults(cfg, l, s, h->now);
	lead_set_int(l, LI_IMPORT_BATCH, batch);
	lead_set_int(l, LI_SOURCE_LINE, (int64_t)line);
	return 0;
}

static const char *match_name(enum import_match mm)
{
	static const char *const names[] = { "email", "external id", "phone", "name and company" };
	return names[mm];
}

/* A refused row: counted and handed to the rejects file, or the end under --strict. */
static int reject_row(const struct import_opts *o, const struct cells *c, uint64_t line,
                      struct import_stats *st, const struct lerr *e, struct lerr *err)
{
	st->rejected++;
	if (o->strict)
		return lerr_set(err, EX_DATAERR, "%s:%llu: %s", o->file, (unsigned long long)line,
		                e->msg);
	if (o->reject)
		o->reject(o->ctx, line, e->msg, c->v, c->n);
	return 0;
}

/*
 * Map and complete one row: 0 with l ready to store, else e says why the
 * row is refused (l is then freed). Touches no database unless a column
 * holds a JSON object to check (o->extra_json): the bulk path runs it on
 * a thread of its own.
 */
static int row_lead(struct import_opts *o, const struct imap *m, const struct imap_vmap *vm,
                    struct cells *c, uint64_t line, struct import_stats *st, struct lead *l,
                    struct lerr *e)
{
	const char *const *v = map_cells(c);
	lead_init(l);
	struct imap_warn w = { 0 };
	int rc = imap_row(m, vm, v, c->n, l, &w, e);
	/* an email that is no address: the lead is kept (the text in a custom
	 * field) only when something else identifies it, and not under --strict */
	struct lerr ignored;
	if (!rc && w.bad_email && (o->strict || lc_identifiable(l, &ignored))) {
		int n = (int)(w.bad_email_len < 200 ? w.bad_email_len : 200);
		rc = lerr_set(e, EX_DATAERR, "invalid email '%.*s'%s", n, w.bad_email,
		              o->strict ? "" : " and no name, company or phone");
	} else if (w.unknown + w.bad_value && o->strict && !rc) {
		rc = lerr_set(e, EX_DATAERR, "%s", w.msg); /* --strict: a bad row */
	} else if (w.unknown + w.bad_value) {
		if (!st->warnings)
			snprintf(st->first_warning, sizeof st->first_warning, "line %llu: %s",
			         (unsigned long long)line, w.msg);
		st->warnings += (uint64_t)(w.unknown + w.bad_value);
	}
	if (!rc)
		rc = finish_lead(o, l, line, st->batch, st, e);
	if (rc)
		lead_free(l);
	return rc;
}

/* ---- the rows of the file ---- */

struct rows {
	struct import_opts *o;
	const struct imap *m;
	const struct imap_vmap *vm;
	struct csv_reader *r;
	struct cells *c;
	struct import_stats *st;
	struct lc_import *li; /* what writes the leads (lib/lifecycle.h) */
	struct engines *en;   /* the bulk path runs the engines as it stores (or NULL) */
};

/* One data row: 0 done (inserted, updated, skipped or rejected), else fatal. */
static int import_row(struct rows *rw, uint64_t line, struct lerr *err)
{
	struct import_opts *o = rw->o;
	struct import_stats *st = rw->st;
	struct cells *c = rw->c;
	struct hook_env *h = o->hooks;
	struct lerr e = { 0 };
	struct lead l;
	if (row_lead(o, rw->m, rw->vm, c, line, st, &l, &e))
		return reject_row(o, c, line, st, &e, err);
	int64_t dup = 0;
	enum import_match how = MATCH_EMAIL;
	int rc = 0;
	for (int i = 0; !dup && !o->bulk && i < o->nmatch; i++) {
		how = o->match[i];
		if ((rc = db_import_find(h->db, how, &l, &dup, err))) {
			lead_free(&l);
			return rc; /* a storage error is fatal */
		}
	}
	if (dup) {
		if (o->on_dup == DUP_ERROR) {
			lerr_set(&e, EX_DATAERR, "duplicate of lead #%lld (same %s)",
			         (long long)dup, match_name(how));
			lead_free(&l);
			return reject_row(o, c, line, st, &e, err);
		}
		if (o->on_dup == DUP_UPDATE) {
			bool changed = false;
			rc = lc_import_update(rw->li, dup, &l, line, &changed);
			if (!rc && changed)
				st->updated++;
			else if (!rc)
				st->dup_skipped++;
		} else {
			st->dup_skipped++;
		}
		lead_free(&l);
		return rc;
	}
	if (o->only_update) {
		st->not_found++;
		lead_free(&l);
		return 0;
	}
	/* the bulk path runs the engines after the load (bulk_after) */
	if (o->bulk)
		rc = db_lead_insert(h->db, &l, err);
	else
		rc = lc_import_new(rw->li, &l);
	st->inserted += !rc;
	lead_free(&l);
	return rc;
}

/* ---- the config's import: section ---- */

static void import_release(struct config *cfg)
{
	struct import_config *ic = cfg->import;
	if (!ic)
		return;
	for (size_t i = 0; i < ic->n; i++) {
		free(ic->v[i].value);
		free(ic->v[i].stage);
		free(ic->v[i].status);
	}
	free(ic->v);
	for (size_t i = 0; i < ic->nowners; i++) {
		free(ic->owners[i].from);
		free(ic->owners[i].to);
	}
	free(ic->owners);
	free(ic->src);
	free(ic);
	cfg->import = NULL;
}

/* stages: or statuses: (a mapping of the files' values to ours) */
static int parse_value_map(struct yaml_ctx *y, yaml_node_t *n, const char *what,
                           struct import_config *ic, const struct config *cfg)
{
	if (!n || ly_is_null(n))
		return 0;
	if (!ly_is_map(n))
		return ly_error(y, n, "expected a mapping of values to %s for import %s, got %s",
		                what, what, ly_kind(n));
	bool stages = strcmp(what, "stages") == 0;
	int rc = 0;
	for (size_t i = 0; i < ly_map_len(n); i++) {
		yaml_node_t *kn = ly_map_key(y, n, i), *vn = ly_map_val(y, n, i);
		const char *k = ly_scalar(kn), *v = ly_scalar(vn);
		if (str_empty(k) || !v) {
			rc = ly_error(y, str_empty(k) ? kn : vn,
			              "expected a value: %s pair in import %s",
			              stages ? "stage" : "status", what);
			continue;
		}
		if (stages && strcmp(v, "-") != 0 && !config_stage(cfg, v)) {
			rc = ly_error(y, vn, "unknown stage '%s' for '%s' in import stages", v, k);
			continue;
		}
		if (!stages && !lead_status_ok(v)) {
			rc = ly_error(
			    y, vn,
			    "unknown status '%s' for '%s' in import statuses (new, active, "
			    "inactive, unqualified)",
			    v, k);
			continue;
		}
		ic->v = xgrow(ic->v, &ic->cap, ic->n + 1, sizeof *ic->v);
		struct import_pair *p = &ic->v[ic->n++];
		p->value = xstrdup(k);
		p->stage = stages ? xstrdup(v) : NULL;
		p->status = stages ? NULL : xstrdup(v);
	}
	return rc;
}

/* owners: old name or id -> team member (checked at import time: the team
 * may come after this section) */
static int parse_owner_map(struct yaml_ctx *y, yaml_node_t *n, struct import_config *ic)
{
	if (!n || ly_is_null(n))
		return 0;
	if (!ly_is_map(n))
		return ly_error(y, n,
		                "expected a mapping of old owners to team members for "
		                "import owners, got %s",
		                ly_kind(n));
	int rc = 0;
	for (size_t i = 0; i < ly_map_len(n); i++) {
		yaml_node_t *kn = ly_map_key(y, n, i), *vn = ly_map_val(y, n, i);
		const char *k = ly_scalar(kn), *v = ly_scalar(vn);
		if (str_empty(k) || str_empty(v)) {
			rc = ly_error(y, str_empty(k) ? kn : vn,
			              "expected an old owner: team member pair in import owners");
			continue;
		}
		ic->owners = xgrow(ic->owners, &ic->capowners, ic->nowners + 1, sizeof *ic->owners);
		ic->owners[ic->nowners].from = xstrdup(k);
		ic->owners[ic->nowners++].to = xstrdup(v);
	}
	return rc;
}

static int parse_import(struct yaml_ctx *y, yaml_node_t *node, struct config *cfg)
{
	import_release(cfg);
	struct import_config *ic = xcalloc(1, sizeof *ic);
	cfg->import = ic;
	ic->src = rules_yaml_echo(y, "import", node);
	if (ly_is_null(node))
		return 0;
	if (!ly_is_map(node))
		return ly_error(
		    y, node, "expected a mapping (stages:, statuses:, owners:) for import, got %s",
		    ly_kind(node));
	int rc = 0;
	for (size_t i = 0; i < ly_map_len(node); i++) {
		yaml_node_t *kn = ly_map_key(y, node, i);
		const char *k = ly_scalar(kn);
		if (!k || (strcmp(k, "stages") != 0 && strcmp(k, "statuses") != 0 &&
		           strcmp(k, "owners") != 0))
			rc = ly_error(y, kn,
			              "unknown key '%s' in import (expected: stages, statuses, "
			              "owners)",
			              k ? k : "?");
	}
	if (parse_owner_map(y, ly_map_get(y, node, "owners"), ic))
		rc = -1;
	/* both, so that every problem is reported at once */
	if (parse_value_map(y, ly_map_get(y, node, "stages"), "stages", ic, cfg))
		rc = -1;
	if (parse_value_map(y, ly_map_get(y, node, "statuses"), "statuses", ic, cfg))
		rc = -1;
	return rc;
}

static void write_import(const struct config *cfg, struct sb *out)
{
	if (cfg->import && cfg->import->src)
		sb_adds(out, cfg->import->src);
}

void import_register_config(void)
{
	config_register_section("import", parse_import, write_import, import_release);
}

/* The config's value maps, then the command line's, which win. */
static int value_maps(const struct import_opts *o, struct imap_vmap *vm, struct lerr *err)
{
	const struct import_config *ic = o->hooks->cfg->import;
	int rc = 0;
	for (size_t i = 0; ic && i < ic->n && !rc; i++)
		rc = imap_vmap_add(vm, ic->v[i].value, ic->v[i].stage, ic->v[i].status, err);
	if (!rc && o->stage_map)
		rc = imap_vmap_parse_stage(vm, o->stage_map, err);
	if (!rc && o->status_map)
		rc = imap_vmap_parse_status(vm, o->status_map, err);
	return rc;
}

/* ---- the engines on the bulk path ---- */

/*
 * Routing, scoring and workflows run on each lead before its one INSERT,
 * so the lead goes in with its owner and score and is never read back or
 * updated (that pass cost three times the import itself). The lead gets
 * its id from us first (db_import_ids) for what the engines write about it.
 *
 * Duplicates are only removed after the load (db_import_dedupe), and a
 * duplicate must not take a turn in a round robin or get a mail. So the
 * keys seen so far are kept as 64-bit hashes: a row whose key was seen
 * is stored as it is and waits; after the duplicate pass, those of them
 * that are still there (keys that only collided: practically never) get
 * the engines then. A row that is not a duplicate is never held back,
 * so pools turn exactly as row by row.
 */
struct seen {
	uint64_t *h; /* open addressing; 0 = empty */
	size_t cap, n;
};

static uint64_t hash_add(uint64_t h, const char *s)
{
	return fnv1a(fnv1a(h, s, strlen(s)), "\xff", 1); /* and the end of the string */
}

/* The home slot of h (hash_home; the capacity is a power of two). */
static size_t seen_home(const struct seen *s, uint64_t h)
{
	return hash_home(h, (unsigned)__builtin_ctzll((unsigned long long)s->cap));
}

/* Room for keys keys in all, the table at most half full. */
static void seen_reserve(struct seen *s, size_t keys)
{
	if (2 * keys <= s->cap)
		return;
	size_t cap = s->cap ? s->cap : 1024;
	while (2 * keys > cap)
		cap *= 2;
	struct seen big = { xcalloc(cap, sizeof *big.h), cap, s->n };
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->h[i])
			continue;
		size_t j = seen_home(&big, s->h[i]);
		while (big.h[j])
			j = (j + 1) & (cap - 1);
		big.h[j] = s->h[i];
	}
	free(s->h);
	*s = big;
}

/* Record h (not 0) in slot j, found for it by seen_slot. */
static void seen_take(struct seen *s, size_t j, uint64_t h)
{
	s->n += !s->h[j];
	s->h[j] = h;
}

/* Where h (not 0) is, or the empty slot it would take: one probe serves both. */
static size_t seen_slot(const struct seen *s, uint64_t h)
{
	size_t i = seen_home(s, h);
	while (s->h[i] && s->h[i] != h)
		i = (i + 1) & (s->cap - 1);
	return i;
}

struct engines {
	struct seen email, ext;
	bool by_email, by_ext;
	int64_t next_id; /* the next lead's id: handed out by the reader thread */
	/* ids for kept rows only, as row by row (db_import_ids); the rows held
	 * back are numbered from next_again up, out of the way */
	bool dense;
	int64_t next_again;
	int64_t *later; /* stored without the engines, for after the duplicate pass */
	size_t nlater, caplater;
};

/*
 * The reader thread has time to spare while this one inserts: it computes
 * a new lead's default score, the part of the engines that needs nothing
 * but the lead and the config. Not when routing would change what the
 * score sees first: score_new_lead refuses rules on the assignment, and
 * routing sets updated_at to now, so the lead must have that already.
 */
static bool score_ahead(const struct hook_env *h, const struct lead *l, struct cond_cache *cc,
                        int64_t *score)
{
	return l->has[LI_UPDATED_AT] && l->i[LI_UPDATED_AT] == h->now &&
	       score_new_lead(h->cfg, l, h->now, cc, score);
}

/* The keys of a lead for the tables of keys seen: 0 for none. */
static void seen_keys(const struct engines *en, const char *email, const char *ext_id,
                      const char *ext_source, uint64_t *ke, uint64_t *kx)
{
	*ke = *kx = 0;
	if (en->by_email && email) {
		*ke = hash_add(FNV1A_INIT, email);
		*ke |= *ke == 0; /* 0 marks an empty slot */
	}
	if (en->by_ext && ext_id) {
		*kx = hash_add(hash_add(FNV1A_INIT, ext_id), ext_source ? ext_source : "");
		*kx |= *kx == 0;
	}
}

/* A lead there before the import (PostgreSQL, db_import_seed): its keys are seen. */
static void seen_seed(void *ctx, const char *email, const char *ext_id, const char *ext_source)
{
	struct engines *en = ctx;
	uint64_t k[2];
	seen_keys(en, email, ext_id, ext_source, &k[0], &k[1]);
	struct seen *t[2] = { &en->email, &en->ext };
	for (int i = 0; i < 2; i++) {
		if (!k[i])
			continue;
		seen_reserve(t[i], t[i]->n + 1);
		seen_take(t[i], seen_slot(t[i], k[i]), k[i]);
	}
}

/*
 * Which of the n leads v[] are duplicates of an earlier row that is kept
 * (again[])? The keys of a row held back are not recorded, as the
 * duplicate pass will remove it. Called in file order by the reader
 * thread, a block at a time: the keys are hashed and their slots fetched
 * ahead (a table of a million keys is a cache miss a probe) before the
 * probes, in order, find and record them.
 */
#define SEEN_RUN 64
static void seen_rows(struct engines *en, const struct lead *v, size_t n, bool *again)
{
	for (size_t at = 0; at < n; at += SEEN_RUN) {
		size_t k = n - at < SEEN_RUN ? n - at : SEEN_RUN;
		uint64_t ke[SEEN_RUN], kx[SEEN_RUN];
		/* no growing below: the slots fetched stay the slots probed */
		if (en->by_email)
			seen_reserve(&en->email, en->email.n + k);
		if (en->by_ext)
			seen_reserve(&en->ext, en->ext.n + k);
		for (size_t i = 0; i < k; i++) {
			const struct lead *l = &v[at + i];
			seen_keys(en, l->t[LT_EMAIL], l->t[LT_EXT_ID], l->t[LT_EXT_SOURCE], &ke[i],
			          &kx[i]);
			if (ke[i])
				__builtin_prefetch(&en->email.h[seen_home(&en->email, ke[i])]);
			if (kx[i])
				__builtin_prefetch(&en->ext.h[seen_home(&en->ext, kx[i])]);
		}
		for (size_t i = 0; i < k; i++) {
			size_t ie = 0, ix = 0;
			again[at + i] = (ke[i] && en->email.h[ie = seen_slot(&en->email, ke[i])]) ||
			                (kx[i] && en->ext.h[ix = seen_slot(&en->ext, kx[i])]);
			if (again[at + i])
				continue;
			/* new keys: into the slots found, which nothing has taken since */
			if (ke[i])
				seen_take(&en->email, ie, ke[i]);
			if (kx[i])
				seen_take(&en->ext, ix, kx[i]);
		}
	}
}

/*
 * A block of rows mapped: which are duplicates, and the ids of the leads
 * to store, in file order, before the engines see them (a rule may look
 * at the id; what they write, tasks and mails, refers to it). Dense (see
 * db_import_ids), a row held back is numbered out of the way: it is a
 * duplicate the COPY leaves out, unless two keys' 64-bit hashes collided,
 * and then it is stored under that high id.
 */
static void number_rows(struct engines *en, struct lead *v, size_t n, bool *again)
{
	seen_rows(en, v, n, again);
	for (size_t i = 0; i < n; i++)
		lead_set_int(&v[i], LI_ID,
		             en->dense && again[i] ? en->next_again++ : en->next_id++);
}

/*
 * The next data row into rw->c: 1 a row (counted as read), 0 the end,
 * else an error (a reader's error prefixed with the file name, or the
 * signal that stopped us).
 */
static int next_row(struct rows *rw, bool *in_footer, uint64_t *line, struct lerr *err)
{
	struct import_opts *o = rw->o;
	struct csv_rec rec;
	int rc;
	while ((rc = csv_next(rw->r, &rec, err)) == 1) {
		if (o->stop && *o->stop)
			return lerr_set(err, 128 + *o->stop, "interrupted; nothing was imported");
		cells_from(rw->c, &rec);
		if (imap_row_blank(rw->c->v, rw->c->n))
			continue;
		if (imap_row_footer(rw->c->v, rw->c->n, in_footer)) {
			rw->st->footer++;
			continue;
		}
		rw->st->read++;
		if (o->progress && (rw->st->read & 4095) == 0)
			o->progress(o->ctx, csv_bytes_read(rw->r), rw->st->read);
		*line = rec.line;
		return 1;
	}
	return rc ? file_err(o, rc, err) : 0;
}

/* One row at a time: map it, look for its duplicate, store it, run the engines. */
static int rows_each(struct rows *rw, struct lerr *err)
{
	bool in_footer = false;
	uint64_t line;
	int rc;
	while ((rc = next_row(rw, &in_footer, &line, err)) == 1)
		if ((rc = import_row(rw, line, err)))
			return rc;
	return rc;
}

/*
 * The bulk path on two threads: a reader thread parses and maps rows
 * (row_lead: no database) and hands them over in blocks, in file order;
 * this thread only inserts them, the only one to use the connection.
 * Mapping and inserting cost about the same, so the load takes about half
 * the time on two cores (bench/import.sh). Counters are split: the reader
 * owns read, rejected, footer and warnings, this thread inserted.
 */
#define PIPE_BLOCK 256 /* leads handed over at a time */
#define PIPE_DEPTH 4   /* blocks in flight: a few hundred KB */

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* any change: a block full, a block free, the end */
	struct pipe_blk {
		struct lead v[PIPE_BLOCK];
		int64_t score[PIPE_BLOCK];  /* the default score, computed here when scored[] */
		uint64_t match[PIPE_BLOCK]; /* the routing rules it matches, when matched[] */
		bool scored[PIPE_BLOCK], matched[PIPE_BLOCK];
		bool again[PIPE_BLOCK]; /* a duplicate key: stored now, the engines later */
		size_t n;
	} blk[PIPE_DEPTH];
	size_t head, count; /* full blocks: blk[head], blk[head + 1], ... */
	bool done;          /* the reader has stopped, with rc and err */
	bool quit;          /* the writer failed: the reader stops */
	int rc;
	struct lerr err;
	struct rows *rw;
};

static void pipe_publish(struct pipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->count++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/*
 * The reader's part of the engines for a block of rows mapped: which are
 * duplicates, their ids (number_rows), then for the others what needs
 * nothing but the lead and the config: the default score and which
 * routing rules match.
 */
static void engines_ahead(struct rows *rw, struct pipe_blk *b)
{
	const struct hook_env *h = rw->o->hooks;
	memset(b->again, 0, sizeof b->again);
	memset(b->scored, 0, sizeof b->scored);
	memset(b->matched, 0, sizeof b->matched);
	if (!rw->en)
		return;
	number_rows(rw->en, b->v, b->n, b->again);
	for (size_t i = 0; i < b->n; i++) {
		if (b->again[i])
			continue;
		/* the rules of both look up the same custom fields: each one once */
		struct cond_cache cc = { 0 };
		b->scored[i] = score_ahead(h, &b->v[i], &cc, &b->score[i]);
		b->matched[i] = !h->no_route &&
		                route_new_lead_matches(h->cfg, &b->v[i], h->now, &cc, &b->match[i]);
		cond_cache_reset(&cc);
	}
}

static void *pipe_reader(void *arg)
{
	struct pipe *p = arg;
	struct rows *rw = p->rw;
	struct pipe_blk *b = NULL;
	bool in_footer = false;
	uint64_t line;
	int rc;
	for (;;) {
		if (!b) {
			pthread_mutex_lock(&p->mu);
			while (p->count == PIPE_DEPTH && !p->quit)
				pthread_cond_wait(&p->cv, &p->mu);
			b = p->quit ? NULL : &p->blk[(p->head + p->count) % PIPE_DEPTH];
			pthread_mutex_unlock(&p->mu);
			if (!b) {
				rc = 0; /* the writer's error is the one to report */
				break;
			}
			/* the leads the writer stored from it: freed here, where
			 * they were made, and off the writer's time */
			for (size_t i = 0; i < b->n; i++)
				lead_free(&b->v[i]);
			b->n = 0;
		}
		if ((rc = next_row(rw, &in_footer, &line, &p->err)) != 1)
			break;
		struct lerr e = { 0 };
		if (row_lead(rw->o, rw->m, rw->vm, rw->c, line, rw->st, &b->v[b->n], &e)) {
			if ((rc = reject_row(rw->o, rw->c, line, rw->st, &e, &p->err)))
				break;
			continue;
		}
		if (++b->n == PIPE_BLOCK) {
			engines_ahead(rw, b);
			pipe_publish(p);
			b = NULL;
		}
	}
	if (b && !rc && b->n) {
		engines_ahead(rw, b);
		pipe_publish(p);
	} else if (b) {
		for (size_t i = 0; i < b->n; i++)
			lead_free(&b->v[i]);
		b->n = 0;
	}
	pthread_mutex_lock(&p->mu);
	p->done = true;
	p->rc = rc;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int rows_piped(struct rows *rw, struct lerr *err)
{
	struct pipe *p = xcalloc(1, sizeof *p);
	p->rw = rw;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_t t;
	if (pthread_create(&t, NULL, pipe_reader, p) != 0) {
		pthread_cond_destroy(&p->cv);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return rows_each(rw, err); /* no thread to be had: one at a time */
	}
	int rc = 0;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->count == 0 && !p->done)
			pthread_cond_wait(&p->cv, &p->mu);
		struct pipe_blk *b = p->count ? &p->blk[p->head] : NULL;
		pthread_mutex_unlock(&p->mu);
		if (!b)
			break;
		if (!rc) {
			const int64_t *score[PIPE_BLOCK];
			const uint64_t *match[PIPE_BLOCK];
			struct engines *en = rw->en;
			for (size_t i = 0; i < b->n; i++) {
				score[i] = b->scored[i] ? &b->score[i] : NULL;
				match[i] = b->matched[i] ? &b->match[i] : NULL;
				/* a duplicate key: stored now, the engines after the duplicate pass
				 */
				if (en && b->again[i]) {
					en->later = xgrow(en->later, &en->caplater, en->nlater + 1,
					                  sizeof *en->later);
					en->later[en->nlater++] = b->v[i].i[LI_ID];
				}
			}
			size_t done = 0;
			rc = lc_import_decided(rw->li, b->v, b->n, b->again, score, match, &done);
			rw->st->inserted += done;
		}
		pthread_mutex_lock(&p->mu);
		p->head = (p->head + 1) % PIPE_DEPTH;
		p->count--;
		p->quit |= rc != 0;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_join(t, NULL);
	if (!rc && p->rc) {
		*err = p->err;
		rc = p->rc;
	}
	/* the leads of the last blocks stored (the reader frees the others) */
	for (size_t k = 0; k < PIPE_DEPTH; k++)
		for (size_t i = 0; i < p->blk[k].n; i++)
			lead_free(&p->blk[k].v[i]);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return rc;
}

/* The size of the file to import (stdin is spooled to one), 0 if unknown. */
static uint64_t import_file_bytes(const struct import_opts *o)
{
	struct stat sb;
	return fstat(o->fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0
	           ? (uint64_t)sb.st_size
	           : 0;
}

/* May this import run in bulk mode (when the database is empty)? */
static bool import_bulk_ok(const struct import_opts *o)
{
	for (int i = 0; i < o->nmatch; i++)
		if (o->match[i] != MATCH_EMAIL && o->match[i] != MATCH_EXT_ID)
			return false;
	return o->on_dup == DUP_SKIP && !o->only_update && !o->strict;
}

/* Bulk mode, after the load: the engines see each lead in file order. */
static int bulk_hook(const struct lead *stored, void *p)
{
	return lc_import_stored(p, stored);
}

static int bulk_after(struct import_opts *o, struct lc_import *li, struct engines *en,
                      struct import_stats *st, struct lerr *err)
{
	uint64_t removed = 0;
	int rc = db_import_dedupe(o->hooks->db, st->batch, o->match, o->nmatch, &removed, err);
	if (rc)
		return rc;
	st->inserted -= removed;
	st->dup_skipped += removed;
	if (!lc_import_engines(li))
		return 0;
	if (!en)
		return db_import_each(o->hooks->db, st->batch, bulk_hook, li, err);
	/* the rows held back that were no duplicates after all */
	for (size_t i = 0; i < en->nlater && !rc; i++) {
		struct lead l;
		struct lerr e;
		if (db_lead_by_id(o->hooks->db, en->later[i], &l, &e) != 0) {
			if (e.code != EX_NOINPUT)
				rc = lerr_set(err, e.code, "%s", e.msg);
			continue; /* removed: a duplicate */
		}
		rc = lc_import_stored(li, &l);
		lead_free(&l);
	}
	return rc;
}

/* The file into the transaction import_run opened (import.h says the rest). */
static int import_rows(struct import_opts *o, struct import_stats *st, struct lerr *err)
{
	struct hook_env *h = o->hooks;
	struct csv_reader *r = NULL;
	struct cells c = { 0 };
	struct imap m = { 0 };
	struct imap_detection d;
	struct imap_vmap *vm = NULL;
	bool routing = false;
	memset(st, 0, sizeof *st);
	struct lc_import li;
	lc_import_begin(&li, h, o->events, 0);
	/* --date-format: FMT for every date column, or COL=FMT for one; FMT a
	 * name or a strftime-style pattern */
	enum imap_datefmt forced = IMAP_DATE_AUTO;
	const char *forced_pat = NULL;
	for (size_t i = 0; o->date_formats && o->date_formats[i]; i++) {
		const char *spec = o->date_formats[i], *eq = strchr(spec, '=');
		const char *fmt = eq && !memchr(spec, '%', (size_t)(eq - spec)) ? eq + 1 : spec;
		enum imap_datefmt f;
		if (!imap_datefmt_is_pattern(fmt) && !imap_datefmt_parse(fmt, &f))
			return lerr_set(
			    err, EX_USAGE,
			    "unknown date format '%s' (iso, ymd, mdy, dmy, epoch-ms, "
			    "epoch-s, any-mdy, any-dmy, or a pattern such as %%d.%%m.%%y)",
			    fmt);
		if (fmt == spec) {
			forced_pat = imap_datefmt_is_pattern(fmt) ? fmt : NULL;
			forced = forced_pat ? IMAP_DATE_PATTERN : f;
		}
	}

	struct tz *tz = NULL;
	if (o->timezone && tz_load(o->timezone, &tz, err)) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		return lerr_set(err, EX_USAGE, "--timezone: %s", why);
	}
	int rc = owner_map_load(&run_owners, o, err);
	if (!rc)
		rc = open_reader(o, &r, err);
	if (rc) {
		owner_map_free(&run_owners);
		tz_free(tz);
		return rc;
	}
	if ((rc = setup_mapping(o, &r, &c, &m, &d, err)))
		goto out;
	m.tz = tz ? tz : o->tz; /* --timezone, else the config's zone, else UTC */
	snprintf(st->preset, sizeof st->preset, "%s", imap_preset_name(d.preset));
	c.unguard = d.preset == imap_preset_find("leads");
	for (size_t i = 0; o->notice && i < m.nnotes; i++)
		o->notice(o->ctx, m.notes[i]);
	for (size_t i = 0; i < m.ncols; i++)
		if (imap_col_is_date(&m.cols[i])) {
			m.cols[i].date = forced;
			m.cols[i].pattern = forced_pat;
		}
	for (size_t i = 0; o->date_formats && o->date_formats[i]; i++) {
		const char *spec = o->date_formats[i], *eq = strchr(spec, '=');
		if (!eq || memchr(spec, '%', (size_t)(eq - spec)))
			continue;
		char *col = xstrndup(spec, (size_t)(eq - spec));
		int k = imap_col_find(&m, col);
		if (k < 0 || !imap_col_is_date(&m.cols[k])) {
			rc =
			    lerr_set(err, EX_USAGE,
			             k < 0 ? "--date-format: no column '%s'"
			                   : "--date-format: column '%s' is not a date column (map "
			                     "it to one with --map)",
			             col);
			free(col);
			goto out;
		}
		free(col);
		struct imap_col *dc = &m.cols[k];
		dc->pattern = imap_datefmt_is_pattern(eq + 1) ? eq + 1 : NULL;
		if (dc->pattern)
			dc->date = IMAP_DATE_PATTERN;
		else
			imap_datefmt_parse(eq + 1, &dc->date);
	}
	/* (before detect_dates, which decides the AUTO columns) */
	bool two_pass = false;
	for (size_t i = 0; i < m.ncols; i++)
		two_pass |= imap_col_is_date(&m.cols[i]) && m.cols[i].date == IMAP_DATE_AUTO;
	struct sb said = SB_INIT;
	rc = detect_dates(o, r, &m, true, &said, err);
	if (!rc && said.len && o->notice)
		o->notice(o->ctx, sb_str(&said));
	sb_free(&said);
	if (rc)
		goto out;
	if (two_pass) {
		/* back to the start for the real pass */
		csv_close(r);
		r = NULL;
		if (lseek(o->fd, 0, SEEK_SET) < 0) {
			rc = lerr_set(err, EX_IOERR, "cannot rewind '%s': %s", o->file,
			              strerror(errno));
			goto out;
		}
		uint64_t hline;
		if ((rc = open_reader(o, &r, err)) || (rc = read_header(o, r, &c, &hline, err)))
			goto out;
	}

	vm = imap_vmap_new(m.preset, h->cfg->stages, h->cfg->nstages);
	if ((rc = value_maps(o, vm, err)))
		goto out;
	o->extra_json = false;
	for (size_t i = 0; i < m.ncols; i++)
		o->extra_json |= m.cols[i].kind == IMAP_EXTRA_JSON;
	if ((rc = db_import_prepare(h->db, o->match, o->nmatch, err)))
		goto out;
	if ((rc = db_import_begin(h->db, o->file, st->preset, h->actor, h->now, &st->batch, err)))
		goto out;
	li.batch = st->batch;
	/* which rows came quietly: their stage reminders count from now (sweep) */
	int64_t quiet = lc_import_quiet_before(&li);
	if (quiet && (rc = db_lc_import_quiet_set(h->db, st->batch, quiet, err)))
		goto out;

	/*
	 * Routing keeps its pool cursors in memory and gathers one digest mail
	 * per member for the whole import (route_bulk_begin); each lead's
	 * assignment stays on the lead (hook_env.import_assign).
	 */
	h->import_assign = true;
	/* a bulk run for the digests too: the file's own owners are told in them */
	routing = true;
	route_bulk_begin();
	bool piped = o->bulk && !o->extra_json;
	struct engines en = { 0 };
	struct rows rows = { o, &m, vm, r, &c, st, &li, NULL };
	if (piped && lc_import_engines(&li)) {
		for (int i = 0; i < o->nmatch; i++) {
			en.by_email |= o->match[i] == MATCH_EMAIL;
			en.by_ext |= o->match[i] == MATCH_EXT_ID;
		}
		if ((rc = db_import_ids(h->db, &en.next_id, &en.dense, err)))
			goto out;
		en.next_again = en.next_id + ((int64_t)1 << 40);
		/* sized for the file's rows at the start (rows of 64 bytes and
		 * more; at most 8 MB): the first keys are not rehashed again and again */
		uint64_t rows_guess = import_file_bytes(o) / 64;
		rows_guess = rows_guess < ((uint64_t)1 << 19) ? rows_guess : (uint64_t)1 << 19;
		if (en.by_email)
			seen_reserve(&en.email, (size_t)rows_guess);
		if (en.by_ext)
			seen_reserve(&en.ext, (size_t)rows_guess);
		rows.en = &en;
	}
	/* a bulk import into leads already there (PostgreSQL): their keys */
	if (o->bulk)
		rc = db_import_seed(h->db, rows.en ? seen_seed : NULL, &en, err);
	/* the bulk path maps rows on a second thread while this one stores them */
	if (!rc)
		rc = piped ? rows_piped(&rows, err) : rows_each(&rows, err);
	if (!rc && o->progress)
		o->progress(o->ctx, csv_bytes_read(r), st->read);
	if (!rc && o->bulk)
		rc = bulk_after(o, &li, rows.en, st, err);
	free(en.email.h);
	free(en.ext.h);
	free(en.later);
	if (rc)
		goto out;
	if (routing) {
		routing = false;
		if ((rc = route_bulk_end(h)))
			goto out;
	}
	rc = db_import_finish(h->db, st->batch, st, h->now, err);
out:
	if (routing) {
		/* as a dry run: write nothing into the failed transaction, forget it all */
		bool dry = h->dry_run;
		h->dry_run = true;
		route_bulk_end(h);
		h->dry_run = dry;
	}
	st->events_fired = li.fired;
	st->events_quiet = li.quiet;
	imap_vmap_free(vm);
	imap_free(&m);
	tz_free(tz);
	owner_map_free(&run_owners);
	free(c.v);
	free(c.u);
	if (r)
		csv_close(r);
	return rc;
}

/*
 * The whole protocol, in this order: a bulk session (before BEGIN: SQLite
 * may change the journal), the transaction, the stages, the bulk load's
 * begin (indexes or triggers dropped, or a COPY), the rows, the bulk
 * load's end (indexes rebuilt, keys checked), the caller's last word
 * (its rejects file on disk), then COMMIT, or ROLLBACK for a dry run or
 * any failure, and the session's end after either.
 */
int import_run(struct import_opts *o, struct import_stats *st, struct lerr *err)
{
	struct hook_env *h = o->hooks;
	struct db *db = h->db;
	bool dry = h->dry_run;
	memset(st, 0, sizeof *st);
	o->bulk = false;
	struct db_bulk *b = dry ? NULL : db_bulk_prepare(db);
	int rc = db_begin(db, err);
	if (!rc)
		rc = db_sync_stages(db, h->cfg, err);
	if (!rc && b)
		rc = db_bulk_begin(b, import_bulk_ok(o), import_file_bytes(o), &o->bulk, err);
	if (!rc)
		rc = import_rows(o, st, err);
	if (!rc && b)
		rc = db_bulk_end(b, err);
	/* a signal after the last row (duplicate removal, index rebuild: seconds
	 * on a big file) must not be ignored either: stop before the commit */
	if (!rc && o->stop && *o->stop)
		rc = lerr_set(err, 128 + *o->stop, "interrupted; nothing was imported");
	if (!rc && !dry && o->before_commit)
		rc = o->before_commit(o->ctx, err);
	if (rc || dry)
		db_rollback(db);
	else
		rc = db_commit(db, err);
	db_bulk_finish(b);
	return rc;
}
