/* test_imap.c - import mapping: presets on the sample exports, header
 * handling, --map, vocabularies, dates, names, extra JSON, debris. */
#include "tap.h"

#include "csv.h"
#include "imap.h"
#include "lead.h"
#include "ltime.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXAMPLES "../../examples/import/"

/* ---- helpers ------------------------------------------------------------ */

/* The full sales cycle (the built-in default) and the appointment-setting
 * template, as the caller would pass cfg->stages. */
static struct stage full[] = {
	{ .key = "prospecting", .name = "Prospecting", .grp = GRP_ACTIVE },
	{ .key = "contacted", .name = "Contacted", .grp = GRP_ACTIVE },
	{ .key = "appointment-set", .name = "Appointment Set", .grp = GRP_ACTIVE },
	{ .key = "proposal-sent", .name = "Proposal Sent", .grp = GRP_ACTIVE },
	{ .key = "customer-agreed", .name = "Customer Agreed", .grp = GRP_ACTIVE },
	{ .key = "closed-deal", .name = "Closed Deal", .grp = GRP_WON },
	{ .key = "customer", .name = "Customer", .grp = GRP_WON },
	{ .key = "lost", .name = "Lost", .grp = GRP_LOST },
};
static struct stage appt[] = {
	{ .key = "prospecting", .name = "Prospecting", .grp = GRP_ACTIVE },
	{ .key = "contacted", .name = "Contacted", .grp = GRP_ACTIVE },
	{ .key = "appointment-set", .name = "Appointment Set", .grp = GRP_WON },
	{ .key = "closed-deal", .name = "Closed Deal", .grp = GRP_WON },
	{ .key = "lost", .name = "Lost", .grp = GRP_LOST },
};
static struct stage desk[] = {
	{ .key = "added", .name = "Added", .grp = GRP_ACTIVE },
	{ .key = "negotiation", .name = "Negotiation", .grp = GRP_ACTIVE },
	{ .key = "legal", .name = "Legal", .grp = GRP_ACTIVE },
	{ .key = "execution", .name = "Execution", .grp = GRP_WON },
	{ .key = "dropped", .name = "Dropped", .grp = GRP_LOST },
};

struct rec {
	char **f;
	size_t n;
	uint64_t line;
};

struct file {
	struct rec *r;
	size_t n;
};

static bool load(const char *path, struct file *out)
{
	memset(out, 0, sizeof *out);
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		diag("cannot open %s", path);
		return false;
	}
	struct lerr err = { 0 };
	struct csv_reader *r = csv_open_fd(fd, NULL, &err);
	if (!r) {
		diag("%s: %s", path, err.msg);
		close(fd);
		return false;
	}
	struct csv_rec rec;
	int rc;
	size_t cap = 0;
	while ((rc = csv_next(r, &rec, &err)) == 1) {
		out->r = xgrow(out->r, &cap, out->n + 1, sizeof *out->r);
		struct rec *x = &out->r[out->n++];
		x->n = rec.n;
		x->line = rec.line;
		x->f = xcalloc(rec.n, sizeof *x->f);
		for (size_t i = 0; i < rec.n; i++)
			x->f[i] = xstrndup(rec.f[i].s, rec.f[i].len);
	}
	if (rc != 0)
		diag("%s: %s", path, err.msg);
	csv_close(r);
	close(fd);
	return rc == 0;
}

static void file_free(struct file *f)
{
	for (size_t i = 0; i < f->n; i++)
		strv_free(f->r[i].f, f->r[i].n);
	free(f->r);
}

static const char *const *cells(const struct rec *r)
{
	return (const char *const *)r->f;
}

static int64_t iso(const char *s)
{
	int64_t t = 0;
	if (!ltime_parse(s, &t))
		diag("bad ISO time in the test: %s", s);
	return t;
}

/* The mapping of a column, described as --detect prints it. */
static char *describe(const struct imap *m, const char *col)
{
	int i = imap_col_find(m, col);
	if (i < 0)
		return xstrdup("(no such column)");
	struct sb sb = SB_INIT;
	imap_col_describe(&m->cols[i], &sb);
	return sb_detach(&sb);
}

static void is_map(const struct imap *m, const char *col, const char *want, const char *file)
{
	char *d = describe(m, col);
	char name[256];
	snprintf(name, sizeof name, "%s: %s -> %s", file, col, want);
	is_str(d, want, name);
	free(d);
}

/* Does the extra JSON of a lead hold this exact "key":"value" text? */
static bool extra_has(const struct lead *l, const char *kv)
{
	return l->t[LT_EXTRA] && strstr(l->t[LT_EXTRA], kv);
}

/* ---- the sample exports, end to end -------------------------------------- */

struct sample {
	const char *file;
	const char *preset;
	size_t rows;         /* leads expected (debris skipped) */
	const char *datecol; /* a date column and the format detected */
	enum imap_datefmt datefmt;
	struct lead *leads; /* filled by run_sample */
};

/*
 * Read a sample like `leads import` would: skip blank rows before the
 * header, detect the preset, map, detect each date column over all
 * rows, then turn every record into a lead on the full sales cycle.
 */
static struct imap run_sample(struct sample *s, struct file *f)
{
	struct imap m;
	memset(&m, 0, sizeof m);
	char path[256];
	snprintf(path, sizeof path, EXAMPLES "%s", s->file);
	ok(load(path, f), "%s: read", s->file);
	size_t h = 0;
	while (h < f->n && imap_row_blank(cells(&f->r[h]), f->r[h].n))
		h++;
	struct lerr err = { 0 };
	if (!ok(h < f->n && imap_init(&m, cells(&f->r[h]), f->r[h].n, &err) == 0, "%s: header",
	        s->file))
		return m;
	struct imap_detection d;
	imap_detect(&m, &d);
	is_str(imap_preset_name(d.preset), s->preset, s->file);
	ok(d.conf >= IMAP_CONF_MEDIUM, "%s: confidence %s (score %d, distinct %d, runner-up %s %d)",
	   s->file, imap_conf_name(d.conf), d.score, d.distinct, imap_preset_name(d.runner_up),
	   d.runner_score);
	imap_use_preset(&m, d.preset);

	/* which rows are leads */
	bool *use = xcalloc(f->n, sizeof *use);
	bool footer = false;
	size_t nleads = 0;
	for (size_t i = h + 1; i < f->n; i++) {
		const struct rec *r = &f->r[i];
		if (imap_row_blank(cells(r), r->n) || imap_row_footer(cells(r), r->n, &footer))
			continue;
		use[i] = true;
		nleads++;
	}
	is_int(nleads, s->rows, s->file);

	/* pass 1: date formats */
	for (size_t c = 0; c < m.ncols; c++) {
		if (!imap_col_is_date(&m.cols[c]))
			continue;
		struct imap_datedet dd;
		imap_datedet_init(&dd);
		for (size_t i = 0; i < f->n; i++)
			if (use[i])
				imap_datedet_feed(&dd, f->r[i].f[m.skip + c], f->r[i].line);
		enum imap_datefmt fmt = IMAP_DATE_AUTO;
		enum imap_dverdict v = imap_datedet_verdict(&dd, m.cols[c].name, &fmt, &err);
		ok(v == IMAP_DV_ONE, "%s: column '%s' has one date format (%s)", s->file,
		   m.cols[c].name, v == IMAP_DV_ONE ? imap_datefmt_name(fmt) : err.msg);
		if (str_ieq(m.cols[c].name, s->datecol))
			is_str(imap_datefmt_name(fmt), imap_datefmt_name(s->datefmt), s->datecol);
		m.cols[c].date = fmt;
		imap_datedet_free(&dd);
	}

	/* pass 2: leads */
	struct imap_vmap *vm = imap_vmap_new(m.preset, full, ARRAY_LEN(full));
	s->leads = xcalloc(nleads + 1, sizeof *s->leads);
	size_t k = 0, errors = 0, unknown = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (!use[i])
			continue;
		struct imap_warn w = { 0 };
		lead_init(&s->leads[k]);
		if (imap_row(&m, vm, cells(&f->r[i]), f->r[i].n, &s->leads[k], &w, &err) != 0) {
			diag("%s:%" PRIu64 ": %s", s->file, f->r[i].line, err.msg);
			errors++;
		}
		if (w.unknown || w.bad_value) {
			diag("%s:%" PRIu64 ": %s", s->file, f->r[i].line, w.msg);
			unknown++;
		}
		k++;
	}
	is_int(errors, 0, "every row maps");
	is_int(unknown, 0, "every status/stage value is known, every number parses");
	imap_vmap_free(vm);
	free(use);
	return m;
}

static void free_leads(struct sample *s)
{
	for (size_t i = 0; i < s->rows; i++)
		lead_free(&s->leads[i]);
	free(s->leads);
}

#define T(l, f) ((l)->t[f])

static void test_salesforce_dataloader(void)
{
	struct sample s = {
		"salesforce-dataloader.csv", "salesforce", 10, "CreatedDate", IMAP_DATE_ISO, NULL
	};
	struct file f;
	struct imap m = run_sample(&s, &f);
	is_map(&m, "OwnerId", "owner", s.file);
	is_map(&m, "AnnualRevenue", "extra.annual_revenue", s.file);
	is_map(&m, "Description", "extra.Description", s.file);
	struct lead *l = &s.leads[0];
	is_str(T(l, LT_FIRST_NAME), "José", "UTF-8 first name");
	is_str(T(l, LT_LAST_NAME), "Álvarez", "UTF-8 last name");
	is_str(T(l, LT_EMAIL), "jose.alvarez@andina-logistica.co", "email");
	is_str(T(l, LT_EXT_ID), "00Q5g00000LmN1aEAF", "Id -> ext_id");
	is_str(T(l, LT_EXT_SOURCE), "salesforce", "ext_source");
	is_str(T(l, LT_SOURCE), "Web", "LeadSource -> source");
	is_str(T(l, LT_STAGE), "prospecting", "Open - Not Contacted -> first active stage");
	is_str(T(l, LT_STATUS), "new", "Open - Not Contacted -> new");
	is_int(l->i[LI_CREATED_AT], iso("2024-01-08T14:02:11Z"), "CreatedDate");
	ok(extra_has(l, "\"Status\":\"Open - Not Contacted\""), "vendor status kept in extra");
	ok(extra_has(l, "\"annual_revenue\":\"4200000\""), "annual revenue kept");
	l = &s.leads[1];
	is_str(T(l, LT_COMPANY), "Fairchild & Sons, Bakers", "quoted comma");
	is_str(T(l, LT_STAGE), "contacted", "Working - Contacted -> Contacted");
	is_str(T(l, LT_STATUS), "active", "Working - Contacted -> active");
	ok(extra_has(l, "Called back on Tuesday.\\nWants pricing"), "embedded newline escaped: %s",
	   T(l, LT_EXTRA));
	l = &s.leads[2];
	ok(T(l, LT_EMAIL) == NULL, "empty email stays empty");
	ok(extra_has(l, "Referred by \\\"Kowalski Group\\\"; no email yet"), "quotes escaped");
	ok(!extra_has(l, "annual_revenue"), "empty values are left out of extra");
	is_str(T(&s.leads[3], LT_STAGE), "closed-deal", "Closed - Converted -> first won stage");
	is_str(T(&s.leads[4], LT_STAGE), "lost", "Closed - Not Converted -> lost");
	is_str(T(&s.leads[4], LT_STATUS), "unqualified", "Closed - Not Converted -> unqualified");
	is_str(T(&s.leads[6], LT_LAST_NAME), "O'Brien", "apostrophe");
	free_leads(&s);
	imap_free(&m);
	file_free(&f);
}

static void test_salesforce_report(void)
{
	struct sample s = { "salesforce-report.csv", "salesforce",  12,
		            "Create Date",           IMAP_DATE_MDY, NULL };
	struct file f;
	struct imap m = run_sample(&s, &f);
	is_map(&m, "Company / Account", "company", s.file);
	is_map(&m, "Lead Owner", "owner", s.file);
	is_map(&m, "Last Activity", "last_activity_at", s.file);
	is_map(&m, "Zip/Postal Code", "extra.Zip/Postal Code", s.file);
	struct lead *l = &s.leads[0];
	is_str(T(l, LT_OWNER), "Dana Whitfield", "Lead Owner");
	is_str(T(l, LT_STATE), "CA", "State/Province");
	is_int(l->i[LI_CREATED_AT], iso("2024-01-04T09:12:00Z"), "1/4/2024 9:12 AM");
	is_int(l->i[LI_LAST_ACTIVITY_AT], iso("2024-01-05"), "1/5/2024");
	is_int(s.leads[1].i[LI_CREATED_AT], iso("2024-01-09T14:45:00Z"), "2:45 PM");
	ok(!s.leads[2].has[LI_LAST_ACTIVITY_AT], "empty date: not set");
	is_str(T(&s.leads[1], LT_COMPANY), "Lee & Partners, LLP", "quoted comma");
	is_str(T(&s.leads[11], LT_LAST_NAME), "Murphy", "last lead before the footer");
	free_leads(&s);
	imap_free(&m);
	file_free(&f);
}

static void test_hubspot(void)
{
	struct sample a = { "hubspot.csv", "hubspot", 10, "Create Date", IMAP_DATE_ISO, NULL };
	struct sample b = { "hubspot-internal.csv", "hubspot",          10,
		            "createdate",           IMAP_DATE_EPOCH_MS, NULL };
	struct file fa, fb;
	struct imap ma = run_sample(&a, &fa), mb = run_sample(&b, &fb);
	is_map(&ma, "Lifecycle Stage", "stage", a.file);
	is_map(&ma, "Lead Status", "status", a.file);
	is_map(&ma, "Contact owner", "owner", a.file);
	is_map(&ma, "Record ID", "ext_id", a.file);
	is_map(&mb, "hs_lead_status", "status", b.file);
	is_map(&mb, "lifecyclestage", "stage", b.file);
	is_map(&mb, "hubspot_owner_id", "owner", b.file);
	is_map(&mb, "message", "extra.message", b.file);
	/* The labels and the internal values say the same thing. */
	for (size_t i = 0; i < 10; i++) {
		struct lead *x = &a.leads[i], *y = &b.leads[i];
		char name[128];
		snprintf(name, sizeof name, "hubspot row %zu: same stage both ways", i + 1);
		is_str(T(x, LT_STAGE), T(y, LT_STAGE), name);
		snprintf(name, sizeof name, "hubspot row %zu: same status both ways", i + 1);
		is_str(T(x, LT_STATUS), T(y, LT_STATUS), name);
		snprintf(name, sizeof name, "hubspot row %zu: same creation time both ways", i + 1);
		is_int(x->i[LI_CREATED_AT], y->i[LI_CREATED_AT], name);
	}
	is_str(T(&a.leads[0], LT_STAGE), "prospecting", "New + Lead");
	is_str(T(&a.leads[0], LT_STATUS), "new", "New");
	is_str(T(&a.leads[1], LT_STAGE), "contacted", "Attempted + MQL: furthest stage");
	is_str(T(&a.leads[5], LT_STAGE), "proposal-sent", "Open Deal + Opportunity");
	is_str(T(&a.leads[6], LT_STATUS), "inactive", "Bad Timing -> inactive");
	is_str(T(&a.leads[7], LT_STAGE), "lost", "Unqualified: lost over first active");
	is_str(T(&a.leads[7], LT_STATUS), "unqualified", "Unqualified");
	is_str(T(&a.leads[8], LT_STAGE), "customer", "Customer: the won stage named Customer");
	is_str(T(&a.leads[8], LT_STATUS), "active", "Connected -> active");
	is_int(a.leads[9].i[LI_CREATED_AT], iso("2024-03-14T09:30:00Z"), "Create Date");
	ok(T(&a.leads[9], LT_OWNER) == NULL, "no owner");
	ok(extra_has(&a.leads[3], "Needs SSO.\\nAlso asked about \\\"bulk import\\\""),
	   "message with newline and quotes");
	free_leads(&a);
	free_leads(&b);
	imap_free(&ma);
	imap_free(&mb);
	file_free(&fa);
	file_free(&fb);
}

static void test_zoho(void)
{
	struct sample s = { "zoho.csv", "zoho", 9, "Created Time", IMAP_DATE_DMY, NULL };
	struct file f;
	struct imap m = run_sample(&s, &f);
	is_map(&m, "Lead Owner", "owner", s.file);
	is_map(&m, "Lead Owner.id", "extra.Lead Owner.id", s.file);
	is_map(&m, "Designation", "title", s.file);
	is_map(&m, "Record Id", "ext_id", s.file);
	struct lead *l = &s.leads[0];
	is_str(T(l, LT_OWNER), "Anita Desai", "owner is the name, not the id");
	ok(extra_has(l, "\"Lead Owner.id\":\"zcrm_5725767000000315001\""), "lookup id kept");
	is_int(l->i[LI_CREATED_AT], iso("2024-01-02T10:15:00Z"), "02/01/2024 is 2 January");
	is_str(T(l, LT_STATUS), "new", "Not Contacted");
	is_str(T(&s.leads[3], LT_FIRST_NAME), "Émilie", "UTF-8");
	is_str(T(&s.leads[3], LT_STATUS), "inactive", "Contact in Future");
	is_str(T(&s.leads[5], LT_STAGE), "lost", "Not Qualified");
	is_str(T(&s.leads[6], LT_STATUS), "unqualified", "Junk Lead");
	free_leads(&s);
	imap_free(&m);
	file_free(&f);
}

static void test_pipedrive(void)
{
	struct sample s = {
		"pipedrive.csv", "pipedrive", 9, "Lead - Created", IMAP_DATE_ISO, NULL
	};
	struct file f;
	struct imap m = run_sample(&s, &f);
	is_map(&m, "Person - Name", "name (split into first_name, last_name)", s.file);
	is_map(&m, "Lead - Title", "extra.Lead - Title", s.file);
	is_map(&m, "Organization - Name", "company", s.file);
	is_map(&m, "Lead - Value", "value", s.file);
	struct lead *l = &s.leads[0];
	is_str(T(l, LT_FIRST_NAME), "Hiroshi", "split first");
	is_str(T(l, LT_LAST_NAME), "Sato", "split last");
	is_int(l->i[LI_VALUE], 1800000, "value in cents");
	is_str(T(l, LT_EXT_ID), "8b6f7c1e-2f4a-4c53-9d1e-0a1b2c3d4e01", "Lead - ID");
	is_str(T(&s.leads[1], LT_FIRST_NAME), "Lucía Fernández", "last word is the last name");
	is_str(T(&s.leads[1], LT_LAST_NAME), "García", "last word is the last name");
	ok(extra_has(&s.leads[1], "\"Organization - Address\":\"Calle Mayor 10\\n28013 Madrid\""),
	   "address with newline");
	ok(!s.leads[2].has[LI_VALUE], "empty value");
	is_int(s.leads[5].i[LI_VALUE], 725050, "7250.50");
	ok(extra_has(&s.leads[5], "\\\"Big Apple\\\" Deli chain"), "quoted title");
	is_str(T(&s.leads[6], LT_FIRST_NAME), "Cher", "one word: first name");
	ok(T(&s.leads[6], LT_LAST_NAME) == NULL, "one word: no last name");
	is_str(T(&s.leads[7], LT_LAST_NAME), "King Jr.", "suffix stays with the last name");
	free_leads(&s);
	imap_free(&m);
	file_free(&f);
}

static void test_suitecrm(void)
{
	struct sample s = { "suitecrm.csv", "suitecrm", 9, "Date Created", IMAP_DATE_DMY, NULL };
	struct file f;
	struct imap m = run_sample(&s, &f);
	is_map(&m, "Email Address", "email", s.file);
	is_map(&m, "Office Phone", "phone", s.file);
	is_map(&m, "Mobile", "phone (when empty, else extra)", s.file);
	is_map(&m, "Assigned to", "owner", s.file);
	struct lead *l = &s.leads[0];
	is_str(T(l, LT_PHONE), "+49 30 555 0301", "office phone first");
	ok(extra_has(l, "\"Mobile\":\"+49 170 555 0301\""), "second phone kept in extra");
	is_int(l->i[LI_CREATED_AT], iso("2024-01-08T10:15:00Z"), "08.01.2024 10:15");
	is_str(T(&s.leads[2], LT_PHONE), "+33 4 55 55 03 03", "office phone");
	is_str(T(&s.leads[3], LT_STAGE), "closed-deal", "Converted");
	is_str(T(&s.leads[4], LT_STATUS), "inactive", "Recycled");
	is_str(T(&s.leads[5], LT_STAGE), "lost", "Dead");
	is_str(T(&s.leads[6], LT_PHONE), "+34 93 555 0307", "office phone");
	is_str(T(&s.leads[7], LT_CITY), "Poznań", "UTF-8 city");
	free_leads(&s);
	imap_free(&m);
	file_free(&f);
}

static void test_close(void)
{
	struct sample s = { "close.csv", "close", 9, "date_created", IMAP_DATE_ISO, NULL };
	struct file f;
	struct imap m = run_sample(&s, &f);
	is_map(&m, "lead_name", "company", s.file);
	is_map(&m, "url", "extra.url", s.file);
	is_map(&m, "custom.Lead Source", "source", s.file);
	is_map(&m, "custom.Industry", "extra.Industry", s.file);
	is_map(&m, "custom.Seats", "extra.Seats", s.file);
	struct lead *l = &s.leads[0];
	is_str(T(l, LT_FIRST_NAME), "Rachel", "contact name split");
	is_str(T(l, LT_SOURCE), "Website", "custom.Lead Source");
	ok(extra_has(l, "\"Industry\":\"Energy\""), "custom.Industry as Industry");
	is_int(l->i[LI_CREATED_AT], iso("2024-01-04T17:22:10Z"), "fraction dropped");
	is_int(s.leads[2].i[LI_CREATED_AT], iso("2024-01-19T12:40:00Z"), "zone +01:00");
	is_int(s.leads[3].i[LI_CREATED_AT], iso("2024-01-27T03:15:31Z"), "zone -08:00");
	is_str(T(&s.leads[3], LT_STAGE), "customer", "Customer");
	is_str(T(&s.leads[4], LT_STATUS), "unqualified", "Bad Fit");
	is_str(T(&s.leads[7], LT_FIRST_NAME), "María José", "two first names");
	free_leads(&s);
	imap_free(&m);
	file_free(&f);
}

/* ---- detection on other spellings ---------------------------------------- */

static const char *detect(const char *const *h, size_t n)
{
	struct imap m;
	struct lerr err = { 0 };
	if (imap_init(&m, h, n, &err) != 0)
		return "(init failed)";
	struct imap_detection d;
	imap_detect(&m, &d);
	const char *name = imap_preset_name(d.preset);
	imap_free(&m);
	return name;
}

static void test_detect_variants(void)
{
	const char *zoho_api[] = { "Owner",   "Owner.id",    "First_Name",  "Last_Name",   "Email",
		                   "Company", "Lead_Status", "Lead_Source", "Created_Time" };
	is_str(detect(zoho_api, ARRAY_LEN(zoho_api)), "zoho", "Zoho API names");
	const char *pd_plain[] = { "Title",        "Name",   "Email (Work)", "Phone (Work)",
		                   "Organization", "Source", "Owner",        "Created",
		                   "Lead created", "Labels" };
	is_str(detect(pd_plain, ARRAY_LEN(pd_plain)), "pipedrive", "Pipedrive without prefixes");
	const char *suite_db[] = { "id",          "first_name",   "last_name",
		                   "email1",      "account_name", "status",
		                   "lead_source", "date_entered", "assigned_user_name",
		                   "phone_work" };
	is_str(detect(suite_db, ARRAY_LEN(suite_db)), "suitecrm", "SuiteCRM database names");
	const char *hs_old[] = { "Contact ID",  "First Name",      "Last Name",   "Email",
		                 "Lead Status", "Lifecycle Stage", "Create Date", "HubSpot Owner" };
	is_str(detect(hs_old, ARRAY_LEN(hs_old)), "hubspot", "HubSpot, older Contact ID");
	const char *plain[] = { "E-mail", "Name", "Firma", "Phone", "Created" };
	is_str(detect(plain, ARRAY_LEN(plain)), "generic", "unknown CSV: generic");
	const char *shared[] = { "First Name", "Last Name", "Email", "Company", "Lead Status" };
	is_str(detect(shared, ARRAY_LEN(shared)), "generic", "only shared names: generic");

	/* our own export: the columns come from lead_fields */
	const char *h[64];
	size_t n = 0;
	for (int i = 0; i < lead_nfields && n < ARRAY_LEN(h); i++)
		if (lead_fields[i].flags & FF_EXPORT)
			h[n++] = lead_fields[i].name;
	is_str(detect(h, n), "leads", "leads export header");

	/* generic fallback maps common names */
	struct imap m;
	struct lerr err = { 0 };
	imap_init(&m, plain, ARRAY_LEN(plain), &err);
	imap_use_preset(&m, imap_preset_find("generic"));
	is_map(&m, "E-mail", "email", "generic");
	is_map(&m, "Name", "name (split into first_name, last_name)", "generic");
	is_map(&m, "Firma", "extra.Firma", "generic");
	is_map(&m, "Created", "created_at", "generic");
	imap_free(&m);

	ok(imap_preset_find("SalesForce") == imap_preset_find("salesforce"), "find ignores case");
	ok(imap_preset_find("nope") == NULL, "unknown preset");
	for (size_t i = 0; imap_preset_names[i]; i++)
		ok(imap_preset_find(imap_preset_names[i]) != NULL, "preset %s exists",
		   imap_preset_names[i]);
	is_int(imap_presets_check(&err), 0, "every preset table entry names a real field");
}

/* ---- the leads preset: export -> import ------------------------------- */

static void test_leads_roundtrip(void)
{
	const char *h[64], *v[64];
	size_t n = 0;
	for (int i = 0; i < lead_nfields && n < ARRAY_LEN(h); i++) {
		const struct field_desc *f = &lead_fields[i];
		if (!(f->flags & FF_EXPORT))
			continue;
		h[n] = f->name;
		v[n] = "";
		if (f->kind == FK_TIME)
			v[n] = "2024-03-14T09:30:00Z";
		else if (f->kind == FK_MONEY)
			v[n] = "1200.50";
		else if (f->kind == FK_INT)
			v[n] = "7";
		else if (strcmp(f->name, "email") == 0)
			v[n] = "ana@example.com";
		else if (strcmp(f->name, "stage") == 0)
			v[n] = "proposal-sent";
		else if (strcmp(f->name, "status") == 0)
			v[n] = "active";
		else if (strcmp(f->name, "extra") == 0)
			v[n] = "{\"Region\":\"EMEA\",\"n\":3}";
		else if (strcmp(f->name, "ext_source") == 0)
			v[n] = "hubspot";
		else if (strcmp(f->name, "close_date") == 0)
			v[n] = "2024-06-30";
		else
			v[n] = f->name; /* the value names its column */
		n++;
	}
	struct imap m;
	struct lerr err = { 0 };
	imap_init(&m, h, n, &err);
	imap_use_preset(&m, imap_preset_find("leads"));
	for (size_t i = 0; i < m.ncols; i++)
		ok(m.cols[i].kind == IMAP_FIELD || m.cols[i].kind == IMAP_EXTRA_JSON,
		   "leads: column %s maps to its field", m.cols[i].name);
	struct imap_vmap *vm = imap_vmap_new(m.preset, full, ARRAY_LEN(full));
	struct lead l;
	lead_init(&l);
	struct imap_warn w = { 0 };
	is_int(imap_row(&m, vm, v, n, &l, &w, &err), 0, "leads row");
	for (size_t i = 0; i < n; i++) {
		const struct field_desc *f = lead_field(h[i]);
		if (f->kind != FK_TEXT || f->idx == LT_EXTRA || f->idx == LT_STAGE ||
		    f->idx == LT_STATUS)
			continue;
		is_str(T(&l, f->idx), v[i], h[i]);
	}
	is_str(T(&l, LT_STAGE), "proposal-sent", "stage key");
	is_str(T(&l, LT_STATUS), "active", "status");
	is_str(T(&l, LT_EXTRA), "{\"Region\":\"EMEA\",\"n\":3}", "extra unchanged");
	is_int(l.i[LI_VALUE], 120050, "value");
	is_int(l.i[LI_CREATED_AT], iso("2024-03-14T09:30:00Z"), "created_at");
	is_int(l.i[LI_SCORE], 7, "score");
	is_int(w.unknown, 0, "no unknown values");
	lead_free(&l);

	/* an extra object plus custom columns: merged */
	const char *h2[] = { "email", "extra", "Notes" };
	const char *v2[] = { "bo@example.com", "{ \"a\": 1 }", "say \"hi\"" };
	struct imap m2;
	imap_init(&m2, h2, 3, &err);
	imap_use_preset(&m2, imap_preset_find("leads"));
	lead_init(&l);
	is_int(imap_row(&m2, vm, v2, 3, &l, &w, &err), 0, "row with extra and a custom column");
	is_str(T(&l, LT_EXTRA), "{\"a\": 1,\"Notes\":\"say \\\"hi\\\"\"}", "merged extra");
	lead_free(&l);
	const char *v3[] = { "bo@example.com", "not json", "" };
	lead_init(&l);
	imap_row(&m2, vm, v3, 3, &l, &w, &err);
	is_str(T(&l, LT_EXTRA), "{\"extra\":\"not json\"}", "non-object extra kept as text");
	lead_free(&l);
	imap_free(&m2);
	imap_vmap_free(vm);
	imap_free(&m);
}

/* ---- header handling ---------------------------------------------------- */

static void test_header(void)
{
	struct imap m;
	struct lerr err = { 0 };
	const char *h[] = {
		"", " ", "\xEF\xBB\xBF Email ", "email", "", "Email_2", "EMAIL", "Name ", "", ""
	};
	is_int(imap_init(&m, h, ARRAY_LEN(h), &err), 0, "init");
	is_int(m.skip, 2, "two leading empty columns skipped");
	is_int(m.width, 10, "raw width");
	is_int(m.ncols, 6, "trailing empty columns dropped");
	is_str(m.cols[0].name, "Email", "trimmed, BOM stripped");
	is_str(m.cols[1].name, "email_3", "duplicate renamed past the existing Email_2");
	is_str(m.cols[2].name, "column_5", "empty name in the middle: column_N (file position)");
	is_str(m.cols[3].name, "Email_2", "an existing Email_2 keeps its name");
	is_str(m.cols[4].name, "EMAIL_4", "third duplicate");
	is_str(m.cols[5].name, "Name", "trimmed");
	is_int(m.nnotes, 2, "two renames noted");
	if (m.nnotes)
		is_str(m.notes[0], "duplicate column 'email' (column 4) renamed 'email_3'", "note");
	is_int(imap_col_find(&m, " email "), 0, "find: trimmed, case-insensitive");
	is_int(imap_col_find(&m, "EMAIL_2"), 3, "find renamed");
	is_int(imap_col_find(&m, "nope"), -1, "find missing");
	imap_use_preset(&m, imap_preset_find("generic"));
	is_map(&m, "Email", "email", "dup");
	is_map(&m, "email_3", "extra.email_3", "a renamed duplicate is a custom field");

	/* row shapes */
	const char *ok1[] = { "", "", "a@x.io", "", "", "", "", "Ana", "", "" };
	is_int(imap_row_shape(&m, ok1, 10, &err), 0, "full row");
	is_int(imap_row_shape(&m, ok1, 8, &err), 0, "row without the trailing empty cells");
	const char *ok2[] = { "", "", "a@x.io", "", "", "", "", "Ana", "", "", "", "" };
	is_int(imap_row_shape(&m, ok2, 12, &err), 0, "extra empty cells tolerated");
	is_int(imap_row_shape(&m, ok1, 7, &err), EX_DATAERR, "too few");
	is_str(err.msg, "too few fields: 7, the header has 8", "too few: message");
	const char *bad1[] = { "x", "", "a@x.io", "", "", "", "", "Ana", "", "" };
	is_int(imap_row_shape(&m, bad1, 10, &err), EX_DATAERR, "value in a skipped column");
	is_str(err.msg, "field 1 has a value but no column header", "skipped column: message");
	const char *bad2[] = { "", "", "a@x.io", "", "", "", "", "Ana", "", "", "zz" };
	is_int(imap_row_shape(&m, bad2, 11, &err), EX_DATAERR, "too many");
	is_str(err.msg, "too many fields: 11, the header has 10", "too many: message");
	imap_free(&m);

	const char *blank[] = { "", "  " };
	is_int(imap_init(&m, blank, 2, &err), EX_DATAERR, "blank header is an error");
	ok(imap_row_blank(blank, 2), "blank row");
	ok(imap_row_blank(blank, 0), "no cells: blank");
	ok(!imap_row_blank(h, 3), "not blank");
}

/* ---- overrides ----------------------------------------------------------- */

static void test_map(void)
{
	const char *h[] = { "E-Mail-Adresse", "Firma", "Vorname", "Nachname", "Name, Full",
		            "Quelle",         "Notiz", "Telefon", "Tel 2" };
	struct imap m;
	struct lerr err = { 0 };
	imap_init(&m, h, ARRAY_LEN(h), &err);
	imap_use_preset(&m, imap_preset_find("generic"));
	is_map(&m, "E-Mail-Adresse", "extra.E-Mail-Adresse", "before --map");
	is_int(imap_parse_map(&m,
	                      "E-Mail-Adresse=email, Firma = company,Vorname=first-name,"
	                      "\"Name, Full\"=name,Quelle=extra.lead_source,Notiz=-,",
	                      &err),
	       0, "--map parses");
	is_map(&m, "E-Mail-Adresse", "email", "--map");
	is_map(&m, "Firma", "company", "--map trims");
	is_map(&m, "Vorname", "first_name", "--map: '-' equals '_'");
	is_map(&m, "Name, Full", "extra.Name, Full (full name; first/last columns exist)",
	       "quoted column with a comma; full name secondary");
	is_map(&m, "Quelle", "extra.lead_source", "extra.KEY");
	is_map(&m, "Notiz", "-", "ignored");
	ok(m.cols[0].origin == IMAP_BY_USER, "origin user");

	is_int(imap_parse_map(&m, "Telefon=phone,Tel 2=phone", &err), 0, "two columns, one field");
	is_map(&m, "Telefon", "phone", "first user column feeds the field");
	is_map(&m, "Tel 2", "phone (when empty, else extra)", "the second is a fallback");

	is_int(imap_parse_map(&m, "E-Mail-Adrese=email", &err), EX_USAGE, "unknown column");
	is_str(err.msg, "no column 'E-Mail-Adrese' in the header (did you mean 'E-Mail-Adresse'?)",
	       "did you mean a column");
	is_int(imap_parse_map(&m, "Firma=compnay", &err), EX_USAGE, "unknown field");
	is_str(err.msg, "column 'Firma': unknown field 'compnay' (did you mean 'company'?)",
	       "did you mean a field");
	is_int(imap_parse_map(&m, "Firma=frobnicate", &err), EX_USAGE, "unknown field, far");
	ok(strstr(err.msg, "unknown field 'frobnicate'") != NULL, "names it: %s", err.msg);
	is_int(imap_parse_map(&m, "Firma=import_batch", &err), EX_USAGE, "not importable");
	is_str(err.msg, "column 'Firma': field 'import_batch' cannot be imported",
	       "not importable");
	is_int(imap_parse_map(&m, "Firma=id", &err), EX_USAGE, "id is not importable");
	is_int(imap_parse_map(&m, "Firma", &err), EX_USAGE, "no '='");
	is_str(err.msg, "'Firma' is not NAME=VALUE", "no '=': message");
	is_int(imap_parse_map(&m, "=email", &err), EX_USAGE, "empty column");
	is_int(imap_parse_map(&m, "Firma=extra.", &err), EX_USAGE, "empty extra key");
	is_int(imap_parse_map(&m, "\"Firma=company", &err), EX_USAGE, "unterminated quote");
	is_map(&m, "Firma", "company", "failed overrides change nothing");
	is_int(imap_ignore(&m, "firma", &err), 0, "--ignore");
	is_map(&m, "Firma", "-", "--ignore");

	/* a map file */
	const char *text = "# CRM export from 2019\n"
	                   "\n"
	                   "Firma = company\r\n"
	                   "  Name, Full=name\n"
	                   "Notiz=extra.Notes\n";
	is_int(imap_parse_map_text(&m, text, "map.txt", &err), 0, "map file");
	is_map(&m, "Firma", "company", "map file");
	is_map(&m, "Notiz", "extra.Notes", "map file: extra");
	is_int(imap_parse_map_text(&m, "Firma=company\nbogus line\n", "map.txt", &err), EX_USAGE,
	       "map file error");
	is_str(err.msg, "map.txt:2: expected Column=field, got 'bogus line'", "map file: line");
	is_int(imap_parse_map_text(&m, "Firma=company\n\nFirma=compny\n", "m", &err), EX_USAGE,
	       "map file: bad field");
	is_str(err.msg, "m:3: column 'Firma': unknown field 'compny' (did you mean 'company'?)",
	       "map file: bad field names file and line");
	imap_free(&m);

	/* --map's '=' inside a column name: the last '=' splits */
	const char *h2[] = { "a=b", "x" };
	imap_init(&m, h2, 2, &err);
	imap_use_preset(&m, imap_preset_find("generic"));
	is_int(imap_parse_map(&m, "a=b=email", &err), 0, "last '=' splits");
	is_map(&m, "a=b", "email", "column with '='");
	imap_free(&m);
}

/* ---- vocabularies ----------------------------------------------------- */

static const char *stage_of(const struct imap_vmap *vm, const struct stage *st, const char *v)
{
	struct imap_value r;
	enum imap_vres res = imap_vmap_resolve(vm, v, &r);
	if (res == IMAP_V_UNKNOWN)
		return "?";
	return r.stage >= 0 ? st[r.stage].key : "-";
}

static const char *status_of(const struct imap_vmap *vm, const char *v)
{
	struct imap_value r;
	enum imap_vres res = imap_vmap_resolve(vm, v, &r);
	if (res == IMAP_V_UNKNOWN)
		return "?";
	return r.status ? r.status : "-";
}

struct vcase {
	const char *value, *stage, *status;
};

static void vcheck(const char *preset, const struct stage *st, size_t n, const struct vcase *c,
                   size_t nc)
{
	struct imap_vmap *vm = imap_vmap_new(imap_preset_find(preset), st, n);
	for (size_t i = 0; i < nc; i++) {
		char name[200];
		snprintf(name, sizeof name, "%s: '%s' -> stage %s", preset, c[i].value, c[i].stage);
		is_str(stage_of(vm, st, c[i].value), c[i].stage, name);
		snprintf(name, sizeof name, "%s: '%s' -> status %s", preset, c[i].value,
		         c[i].status);
		is_str(status_of(vm, c[i].value), c[i].status, name);
	}
	imap_vmap_free(vm);
}

static void test_vocab(void)
{
	static const struct vcase sf[] = {
		{ "Open - Not Contacted", "prospecting", "new" },
		{ "Working - Contacted", "contacted", "active" },
		{ "Closed - Converted", "closed-deal", "-" },
		{ "Closed - Not Converted", "lost", "unqualified" },
		{ "closed-not converted", "lost", "unqualified" },
		{ "Nurturing", "contacted", "inactive" },
		{ "Hot", "?", "?" },
	};
	vcheck("salesforce", full, ARRAY_LEN(full), sf, ARRAY_LEN(sf));
	static const struct vcase hs[] = {
		{ "NEW", "prospecting", "new" },
		{ "OPEN", "prospecting", "active" },
		{ "IN_PROGRESS", "contacted", "active" },
		{ "In Progress", "contacted", "active" },
		{ "OPEN_DEAL", "proposal-sent", "active" },
		{ "ATTEMPTED_TO_CONTACT", "contacted", "active" },
		{ "Attempted to contact", "contacted", "active" },
		{ "CONNECTED", "contacted", "active" },
		{ "UNQUALIFIED", "lost", "unqualified" },
		{ "BAD_TIMING", "-", "inactive" },
		{ "Bad Timing", "-", "inactive" },
		{ "subscriber", "prospecting", "-" },
		{ "lead", "prospecting", "-" },
		{ "marketingqualifiedlead", "prospecting", "-" },
		{ "Sales Qualified Lead", "contacted", "-" },
		{ "opportunity", "proposal-sent", "-" },
		{ "customer", "customer", "-" },
		{ "evangelist", "customer", "-" },
		{ "other", "-", "-" },
	};
	vcheck("hubspot", full, ARRAY_LEN(full), hs, ARRAY_LEN(hs));
	static const struct vcase zo[] = {
		{ "Not Contacted", "prospecting", "new" },
		{ "Attempted to Contact", "contacted", "active" },
		{ "Contacted", "contacted", "active" },
		{ "Contact in Future", "contacted", "inactive" },
		{ "Pre-Qualified", "contacted", "active" },
		{ "Not Qualified", "lost", "unqualified" },
		{ "Junk Lead", "lost", "unqualified" },
		{ "Lost Lead", "lost", "-" },
	};
	vcheck("zoho", full, ARRAY_LEN(full), zo, ARRAY_LEN(zo));
	static const struct vcase su[] = {
		{ "New", "prospecting", "new" },           { "Assigned", "prospecting", "active" },
		{ "In Process", "contacted", "active" },   { "Converted", "closed-deal", "-" },
		{ "Recycled", "prospecting", "inactive" }, { "Dead", "lost", "unqualified" },
	};
	vcheck("suitecrm", full, ARRAY_LEN(full), su, ARRAY_LEN(su));
	static const struct vcase pd[] = {
		{ "open", "-", "active" },
		{ "won", "closed-deal", "-" },
		{ "lost", "lost", "-" },
		{ "Demo Scheduled", "appointment-set", "-" },
		{ "Negotiations Started", "customer-agreed", "-" },
	};
	vcheck("pipedrive", full, ARRAY_LEN(full), pd, ARRAY_LEN(pd));
	static const struct vcase cl[] = {
		{ "Potential", "prospecting", "new" },
		{ "Qualified", "contacted", "active" },
		{ "Customer", "customer", "-" },
		{ "Bad Fit", "lost", "unqualified" },
	};
	vcheck("close", full, ARRAY_LEN(full), cl, ARRAY_LEN(cl));

	/* the same names on other pipelines */
	static const struct vcase sf_appt[] = {
		{ "Working - Contacted", "contacted", "active" },
		{ "Closed - Converted", "appointment-set", "-" },
		{ "Closed - Not Converted", "lost", "unqualified" },
	};
	vcheck("salesforce", appt, ARRAY_LEN(appt), sf_appt, ARRAY_LEN(sf_appt));
	static const struct vcase hs_appt[] = {
		{ "OPEN_DEAL", "contacted", "active" }, /* 4th active clamps to the last */
		{ "customer", "appointment-set", "-" }, /* no stage named Customer: first won */
	};
	vcheck("hubspot", appt, ARRAY_LEN(appt), hs_appt, ARRAY_LEN(hs_appt));
	static const struct vcase sf_desk[] = {
		{ "Open - Not Contacted", "added", "new" },
		{ "Working - Contacted", "negotiation", "active" }, /* no Contacted: 2nd active */
		{ "Closed - Converted", "execution", "-" },
		{ "Closed - Not Converted", "dropped", "unqualified" },
	};
	vcheck("salesforce", desk, ARRAY_LEN(desk), sf_desk, ARRAY_LEN(sf_desk));
	static const struct vcase pd_desk[] = {
		{ "Demo Scheduled", "legal", "-" },       /* 3rd active */
		{ "Negotiations Started", "legal", "-" }, /* 5th clamps to the last active */
	};
	vcheck("pipedrive", desk, ARRAY_LEN(desk), pd_desk, ARRAY_LEN(pd_desk));

	/* literal values, generic words, unknown, empty */
	struct imap_vmap *vm = imap_vmap_new(imap_preset_find("salesforce"), full, ARRAY_LEN(full));
	struct imap_value r;
	is_int(imap_vmap_resolve(vm, "  ", &r), IMAP_V_EMPTY, "empty value");
	is_int(imap_vmap_resolve(vm, "Appointment Set", &r), IMAP_V_OK, "a stage name");
	ok(r.literal && r.stage == 2, "literal stage");
	is_int(imap_vmap_resolve(vm, "proposal-sent", &r), IMAP_V_OK, "a stage key");
	ok(r.literal && r.stage == 3, "literal stage key");
	is_int(imap_vmap_resolve(vm, "Inactive", &r), IMAP_V_OK, "our own status");
	ok(r.literal && r.status && strcmp(r.status, "inactive") == 0, "literal status");
	is_str(stage_of(vm, full, "Closed Won"), "closed-deal", "generic: closed won");
	is_str(stage_of(vm, full, "Lost"), "lost", "literal: the Lost stage");
	is_int(imap_vmap_resolve(vm, "Frozen", &r), IMAP_V_UNKNOWN, "unknown value");

	/* overrides */
	struct lerr err = { 0 };
	is_int(imap_vmap_parse_stage(vm, "Hot=Proposal Sent, Frozen = lost", &err), 0,
	       "--stage-map");
	is_int(imap_vmap_parse_status(vm, "Frozen=inactive,Working - Contacted=new", &err), 0,
	       "--status-map");
	is_str(stage_of(vm, full, "hot"), "proposal-sent", "--stage-map value");
	is_str(status_of(vm, "hot"), "-", "--stage-map sets no status");
	is_str(stage_of(vm, full, "Frozen"), "lost", "stage and status maps combine");
	is_str(status_of(vm, "Frozen"), "inactive", "stage and status maps combine");
	is_str(stage_of(vm, full, "Working - Contacted"), "contacted",
	       "a status override keeps the built-in stage");
	is_str(status_of(vm, "Working - Contacted"), "new", "status override wins");
	is_int(imap_vmap_add(vm, "Closed - Converted", "Customer", NULL, &err), 0, "config pair");
	is_str(stage_of(vm, full, "Closed - Converted"), "customer", "config pair wins");
	is_int(imap_vmap_add(vm, "Parked", "-", "inactive", &err), 0, "'-' stage: none");
	is_str(stage_of(vm, full, "Parked"), "-", "no stage");
	is_int(imap_vmap_parse_stage(vm, "Hot=Proposal", &err), EX_USAGE, "unknown stage");
	ok(strstr(err.msg, "unknown stage 'Proposal' for 'Hot' (stages: Prospecting, Contacted,") ==
	       err.msg,
	   "unknown stage lists the stages: %s", err.msg);
	is_int(imap_vmap_parse_status(vm, "Hot=warm", &err), EX_USAGE, "unknown status");
	is_str(err.msg, "unknown status 'warm' for 'Hot' (new, active, inactive, unqualified)",
	       "unknown status message");
	is_int(imap_vmap_parse_stage(vm, "Hot", &err), EX_USAGE, "not a pair");
	imap_vmap_free(vm);

	/* the leads preset takes values literally, nothing generic */
	vm = imap_vmap_new(imap_preset_find("leads"), full, ARRAY_LEN(full));
	is_int(imap_vmap_resolve(vm, "Closed Won", &r), IMAP_V_UNKNOWN, "leads: literal only");
	is_int(imap_vmap_resolve(vm, "closed-deal", &r), IMAP_V_OK, "leads: stage key");
	imap_vmap_free(vm);
}

/* Unknown values are kept and counted; stage precedence across columns. */
static void test_row_values(void)
{
	const char *h[] = { "Email",          "Lead Status", "Lifecycle Stage",
		            "Annual Revenue", "Value",       "Create Date" };
	struct imap m;
	struct lerr err = { 0 };
	imap_init(&m, h, ARRAY_LEN(h), &err);
	imap_use_preset(&m, imap_preset_find("hubspot"));
	m.cols[5].date = IMAP_DATE_ISO;
	struct imap_vmap *vm = imap_vmap_new(m.preset, full, ARRAY_LEN(full));
	struct lead l;
	struct imap_warn w = { 0 };
	const char *r1[] = { "a@b.co", "Hot", "opportunity", "1,000,000", "$12,000", "" };
	lead_init(&l);
	is_int(imap_row(&m, vm, r1, 6, &l, &w, &err), 0, "row with an unknown status");
	is_int(w.unknown, 1, "one unknown value");
	is_str(w.msg, "column 'Lead Status': unknown value 'Hot'", "warning text");
	ok(extra_has(&l, "\"Lead Status\":\"Hot\""), "unknown value kept in extra");
	is_str(T(&l, LT_STAGE), "proposal-sent", "the other column still sets the stage");
	ok(T(&l, LT_STATUS) == NULL, "no status");
	is_int(l.i[LI_VALUE], 1200000, "money");
	ok(extra_has(&l, "\"annual_revenue\":\"1,000,000\""), "revenue as text");
	lead_free(&l);

	const char *r2[] = { "a@b.co", "", "", "", "about 12k", "2024-02-30" };
	lead_init(&l);
	w = (struct imap_warn){ 0 };
	is_int(imap_row(&m, vm, r2, 6, &l, &w, &err), 0, "an impossible date keeps the lead");
	is_int(w.bad_value, 2, "two warnings");
	ok(extra_has(&l, "\"Create Date\":\"2024-02-30\""), "the date kept as text");
	lead_free(&l);
	const char *r3[] = { "a@b.co", "", "", "", "about 12k", "" };
	lead_init(&l);
	w = (struct imap_warn){ 0 };
	is_int(imap_row(&m, vm, r3, 6, &l, &w, &err), 0, "bad money is a warning");
	is_int(w.bad_value, 1, "counted");
	ok(extra_has(&l, "\"Value\":\"about 12k\""), "bad money kept in extra");
	ok(!l.has[LI_VALUE], "no value");
	lead_free(&l);

	/* a won stage from one column beats an active one from another,
	 * in either order; the first status wins */
	const char *r4[] = { "a@b.co", "CONNECTED", "customer", "", "", "" };
	lead_init(&l);
	imap_row(&m, vm, r4, 6, &l, &w, &err);
	is_str(T(&l, LT_STAGE), "customer", "won over active");
	is_str(T(&l, LT_STATUS), "active", "status from lead status");
	lead_free(&l);
	const char *r5[] = { "a@b.co", "UNQUALIFIED", "customer", "", "", "" };
	lead_init(&l);
	imap_row(&m, vm, r5, 6, &l, &w, &err);
	is_str(T(&l, LT_STAGE), "lost", "between two outcomes, the first column wins");
	lead_free(&l);

	/* without a vocabulary: taken literally */
	lead_init(&l);
	imap_row(&m, NULL, r1, 6, &l, &w, &err);
	is_str(T(&l, LT_STATUS), "Hot", "no vmap: literal");
	lead_free(&l);
	imap_vmap_free(vm);
	imap_free(&m);

	/* full name split only when first/last are missing in the row */
	const char *h2[] = { "Name", "First Name", "Last Name" };
	imap_init(&m, h2, 3, &err);
	imap_use_preset(&m, imap_preset_find("generic"));
	const char *r6[] = { "Ana María Gómez", "", "" };
	lead_init(&l);
	imap_row(&m, NULL, r6, 3, &l, &w, &err);
	is_str(T(&l, LT_FIRST_NAME), "Ana María", "fallback full name used when both are empty");
	is_str(T(&l, LT_LAST_NAME), "Gómez", "fallback full name: last");
	ok(!extra_has(&l, "Gómez"), "used, so not kept twice");
	lead_free(&l);
	const char *r7[] = { "Ana M. Gómez", "Ana", "Gómez" };
	lead_init(&l);
	imap_row(&m, NULL, r7, 3, &l, &w, &err);
	is_str(T(&l, LT_FIRST_NAME), "Ana", "first name column wins");
	ok(extra_has(&l, "\"Name\":\"Ana M. Gómez\""), "full name kept in extra");
	lead_free(&l);
	imap_free(&m);

	/* custom keys stay unique */
	const char *h3[] = { "Notes", "Comment" };
	imap_init(&m, h3, 2, &err);
	imap_use_preset(&m, imap_preset_find("generic"));
	imap_parse_map(&m, "Comment=extra.Notes", &err);
	const char *r8[] = { "one", "two" };
	lead_init(&l);
	imap_row(&m, NULL, r8, 2, &l, &w, &err);
	is_str(T(&l, LT_EXTRA), "{\"Notes\":\"one\",\"Notes_2\":\"two\"}", "keys stay unique");
	lead_free(&l);
	imap_free(&m);
}

/* ---- dates -------------------------------------------------------------- */

static void is_date(enum imap_datefmt f, const char *s, const char *want)
{
	int64_t t = 0;
	char name[160];
	snprintf(name, sizeof name, "%s: '%s'", imap_datefmt_name(f), s);
	if (!want) {
		ok(!imap_date_parse(f, s, &t), "%s is refused", name);
		return;
	}
	if (ok(imap_date_parse(f, s, &t), "%s parses", name))
		is_int(t, iso(want), name);
}

static enum imap_dverdict verdict(const char *const *v, size_t n, enum imap_datefmt *fmt,
                                  struct lerr *err)
{
	struct imap_datedet d;
	imap_datedet_init(&d);
	for (size_t i = 0; i < n; i++)
		imap_datedet_feed(&d, v[i], i + 2);
	*fmt = IMAP_DATE_AUTO;
	enum imap_dverdict r = imap_datedet_verdict(&d, "Created", fmt, err);
	imap_datedet_free(&d);
	return r;
}

static void test_dates(void)
{
	is_date(IMAP_DATE_ISO, "2024-03-14T09:30:15.123Z", "2024-03-14T09:30:15Z");
	is_date(IMAP_DATE_ISO, " 2024-03-14T09:30:15.000+02:00 ", "2024-03-14T07:30:15Z");
	is_date(IMAP_DATE_ISO, "2024-03-14 09:30", "2024-03-14T09:30:00Z");
	is_date(IMAP_DATE_ISO, "2024-02-30", NULL);
	is_date(IMAP_DATE_YMD, "2024-03-14 09:30:15", "2024-03-14T09:30:15Z");
	is_date(IMAP_DATE_YMD, "2024/3/14 9:30 PM", "2024-03-14T21:30:00Z");
	is_date(IMAP_DATE_YMD, "2024.03.14", "2024-03-14");
	is_date(IMAP_DATE_YMD, "2024-03/14", NULL);
	is_date(IMAP_DATE_MDY, "03/14/2024", "2024-03-14");
	is_date(IMAP_DATE_MDY, "3/14/2024 9:30 AM", "2024-03-14T09:30:00Z");
	is_date(IMAP_DATE_MDY, "3/14/2024, 9:30 PM", "2024-03-14T21:30:00Z");
	is_date(IMAP_DATE_MDY, "12/31/2024 12:00 AM", "2024-12-31T00:00:00Z");
	is_date(IMAP_DATE_MDY, "12/31/2024 12:15 pm", "2024-12-31T12:15:00Z");
	is_date(IMAP_DATE_MDY, "1/2/2024 11:59 p.m.", "2024-01-02T23:59:00Z");
	is_date(IMAP_DATE_MDY, "03/14/2024 23:05", "2024-03-14T23:05:00Z");
	is_date(IMAP_DATE_MDY, "02/30/2024", NULL);
	is_date(IMAP_DATE_MDY, "02/29/2023", NULL);
	is_date(IMAP_DATE_MDY, "02/29/2024", "2024-02-29");
	is_date(IMAP_DATE_MDY, "14/03/2024", NULL);
	is_date(IMAP_DATE_MDY, "03/14/2024 13:00 PM", NULL);
	is_date(IMAP_DATE_MDY, "03/14/2024 0:30 AM", NULL);
	is_date(IMAP_DATE_MDY, "03/14/2024 24:00", NULL);
	is_date(IMAP_DATE_MDY, "03.14.2024", NULL);
	is_date(IMAP_DATE_MDY, "03/14/24", "2024-03-14");
	is_date(IMAP_DATE_MDY, "3/14/69", "1969-03-14");
	is_date(IMAP_DATE_MDY, "3/14/68", "2068-03-14");
	is_date(IMAP_DATE_MDY, "3/14/202", NULL);
	is_date(IMAP_DATE_DMY, "14.03.24", "2024-03-14");
	/* month names, weekdays, zones (the same either way round) */
	is_date(IMAP_DATE_MDY, "Mar 14, 2024", "2024-03-14");
	is_date(IMAP_DATE_DMY, "Mar 14, 2024", "2024-03-14");
	is_date(IMAP_DATE_AUTO, "Mar 14, 2024", "2024-03-14");
	is_date(IMAP_DATE_AUTO, "14-Mar-2024", "2024-03-14");
	is_date(IMAP_DATE_AUTO, "14-Mar-24", "2024-03-14");
	is_date(IMAP_DATE_AUTO, "March 14 2024 9:30 PM", "2024-03-14T21:30:00Z");
	is_date(IMAP_DATE_AUTO, "Thu, 14 Mar 2024 10:00:00 GMT", "2024-03-14T10:00:00Z");
	is_date(IMAP_DATE_AUTO, "Thursday, March 14, 2024", "2024-03-14");
	is_date(IMAP_DATE_AUTO, "14. März 2024", "2024-03-14");
	is_date(IMAP_DATE_AUTO, "14 MÄRZ 2024", "2024-03-14");
	is_date(IMAP_DATE_AUTO, "14 déc. 2024", "2024-12-14");
	is_date(IMAP_DATE_AUTO, "14 de marzo de 2024", "2024-03-14");
	is_date(IMAP_DATE_AUTO, "14 de março de 2024 10:00", "2024-03-14T10:00:00Z");
	is_date(IMAP_DATE_AUTO, "2 Sept 2024", "2024-09-02");
	is_date(IMAP_DATE_AUTO, "2024-Mar-14", "2024-03-14");
	is_date(IMAP_DATE_AUTO, "Mar 32, 2024", NULL);
	is_date(IMAP_DATE_AUTO, "Mart 14, 2024", NULL);
	is_date(IMAP_DATE_AUTO, "14 Mar 2024 junk", NULL);
	is_date(IMAP_DATE_MDY, "3/14/2024 9:30 AM UTC", "2024-03-14T09:30:00Z");
	is_date(IMAP_DATE_MDY, "3/14/2024 9:30 AM GMT+1", "2024-03-14T08:30:00Z");
	is_date(IMAP_DATE_DMY, "14.03.2024 09:30 +0100", "2024-03-14T08:30:00Z");
	is_date(IMAP_DATE_YMD, "2024-03-14 09:30:00 -05:00", "2024-03-14T14:30:00Z");
	is_date(IMAP_DATE_YMD, "2024-03-14T09:30:00", "2024-03-14T09:30:00Z");
	is_date(IMAP_DATE_YMD, "2024-03-14 UTC", "2024-03-14");
	is_date(IMAP_DATE_MDY, "3/14/2024 9:30 +25:00", NULL);
	is_date(IMAP_DATE_MDY, "03/14/2024 9:3", NULL);
	is_date(IMAP_DATE_MDY, "03/14/2024 junk", NULL);
	is_date(IMAP_DATE_DMY, "14/03/2024", "2024-03-14");
	is_date(IMAP_DATE_DMY, "14.03.2024 09:30", "2024-03-14T09:30:00Z");
	is_date(IMAP_DATE_DMY, "14-03-2024 09:30:59", "2024-03-14T09:30:59Z");
	is_date(IMAP_DATE_DMY, "31.04.2024", NULL);
	is_date(IMAP_DATE_DMY, "14/03.2024", NULL);
	is_date(IMAP_DATE_EPOCH_MS, "1710408615000", "2024-03-14T09:30:15Z");
	is_date(IMAP_DATE_EPOCH_MS, "1710408615999", "2024-03-14T09:30:15Z");
	is_date(IMAP_DATE_EPOCH_MS, "1710408615", NULL);
	is_date(IMAP_DATE_EPOCH_S, "1710408615", "2024-03-14T09:30:15Z");
	is_date(IMAP_DATE_EPOCH_S, "20240314", NULL);
	is_date(IMAP_DATE_EPOCH_S, "-1710408615", NULL);
	is_date(IMAP_DATE_AUTO, "2024-03-14T09:30:15Z", "2024-03-14T09:30:15Z");
	is_date(IMAP_DATE_AUTO, "14/03/2024", "2024-03-14");
	is_date(IMAP_DATE_AUTO, "05/05/2024", "2024-05-05");
	is_date(IMAP_DATE_AUTO, "03/04/2024", NULL);
	is_date(IMAP_DATE_AUTO, "", NULL);
	is_date(IMAP_DATE_AUTO, "soon", NULL);
	/* --date-format patterns (strptime-like, locale-free) */
	{
		static const struct {
			const char *pat, *in, *want;
		} pats[] = {
			{ "%d.%m.%y", "14.03.24", "2024-03-14" },
			{ "%d.%m.%Y %H:%M", "14.03.2024 09:30", "2024-03-14T09:30:00Z" },
			{ "%b %e, %Y %I:%M %p", "Mar  5, 2024 10:00 PM", "2024-03-05T22:00:00Z" },
			{ "%d %B %Y", "14 März 2024", "2024-03-14" },
			{ "%a, %d %b %Y %T %Z", "Thu, 14 Mar 2024 10:00:00 GMT",
			  "2024-03-14T10:00:00Z" },
			{ "%FT%T%z", "2024-03-14T10:00:00+01:00", "2024-03-14T09:00:00Z" },
			{ "%D", "03/14/24", "2024-03-14" },
			{ "%s", "1710408615", "2024-03-14T09:30:15Z" },
			{ "%Y%m%d", "20240314", "2024-03-14" },
			{ "100%%", "100%", "1970-01-01" },
			{ "%d.%m.%y", "31.02.24", NULL },
			{ "%d.%m.%y", "14.03.2024", NULL },
			{ "%Y-%m-%d", "2024-03-14 junk", NULL },
			{ "%I:%M %p", "13:00 PM", NULL },
			{ "%Q", "x", NULL },
			{ "abc%", "abc", NULL },
		};
		for (size_t i = 0; i < ARRAY_LEN(pats); i++) {
			int64_t t = 0;
			bool zoned;
			char name[160];
			snprintf(name, sizeof name, "pattern '%s' on '%s'", pats[i].pat,
			         pats[i].in);
			bool got = imap_date_pattern(pats[i].pat, pats[i].in, &t, &zoned);
			if (!pats[i].want)
				ok(!got, "%s is refused", name);
			else if (ok(got, "%s parses", name))
				is_int(t, iso(pats[i].want), name);
		}
	}

	enum imap_datefmt f;
	ok(imap_datefmt_parse("epoch-ms", &f) && f == IMAP_DATE_EPOCH_MS, "--date-format epoch-ms");
	ok(imap_datefmt_parse("DMY", &f) && f == IMAP_DATE_DMY, "--date-format DMY");
	ok(imap_datefmt_parse("iso", &f) && f == IMAP_DATE_ISO, "--date-format iso");
	ok(imap_datefmt_parse("epoch_s", &f) && f == IMAP_DATE_EPOCH_S, "--date-format epoch_s");
	ok(!imap_datefmt_parse("yesterday", &f), "unknown --date-format");
	is_str(imap_datefmt_name(IMAP_DATE_MDY), "mdy", "name");

	/* detection over a whole column */
	struct lerr err = { 0 };
	const char *us[] = { "01/02/2024", "", "03/04/2024", "12/25/2024 10:00 AM" };
	is_int(verdict(us, 4, &f, &err), IMAP_DV_ONE, "a day > 12 decides: US");
	is_str(imap_datefmt_name(f), "mdy", "mdy");
	const char *eu[] = { "01/02/2024", "25/12/2024", "03/04/2024" };
	is_int(verdict(eu, 3, &f, &err), IMAP_DV_ONE, "a day > 12 decides: day first");
	is_str(imap_datefmt_name(f), "dmy", "dmy");
	const char *amb[] = { "01/02/2024", "03/04/2024 10:00", "11/12/2024" };
	is_int(verdict(amb, 3, &f, &err), IMAP_DV_AMBIGUOUS, "only ambiguous values");
	is_str(err.msg,
	       "column 'Created': dates like '01/02/2024' may be MM/DD/YYYY or DD/MM/YYYY; say "
	       "which with --date-format mdy or --date-format dmy",
	       "ambiguity message");
	const char *same[] = { "01/01/2024", "05/05/2024" };
	is_int(verdict(same, 2, &f, &err), IMAP_DV_ONE, "day == month everywhere: either reading");
	const char *dots[] = { "01.02.2024", "03.04.2024 10:00" };
	is_int(verdict(dots, 2, &f, &err), IMAP_DV_ONE, "dots are day first");
	is_str(imap_datefmt_name(f), "dmy", "dotted: dmy");
	const char *isov[] = { "2024-03-14T09:30:00Z", "2024-03-15 10:00", "2024-03-16" };
	is_int(verdict(isov, 3, &f, &err), IMAP_DV_ONE, "ISO");
	is_str(imap_datefmt_name(f), "iso", "iso");
	const char *ymd[] = { "2024-03-14 09:30:00", "2024/03/15 10:00" };
	is_int(verdict(ymd, 2, &f, &err), IMAP_DV_ONE, "YYYY/MM/DD");
	is_str(imap_datefmt_name(f), "ymd", "ymd");
	const char *ms[] = { "1710408615000", "1704276840000" };
	is_int(verdict(ms, 2, &f, &err), IMAP_DV_ONE, "epoch ms");
	is_str(imap_datefmt_name(f), "epoch-ms", "epoch-ms");
	const char *s10[] = { "1710408615", "1704276840" };
	is_int(verdict(s10, 2, &f, &err), IMAP_DV_ONE, "epoch s");
	is_str(imap_datefmt_name(f), "epoch-s", "epoch-s");
	const char *empty[] = { "", "  " };
	is_int(verdict(empty, 2, &f, &err), IMAP_DV_EMPTY, "no values");
	const char *bad[] = { "03/14/2024", "02/30/2024", "03/15/2024" };
	is_int(verdict(bad, 3, &f, &err), IMAP_DV_BAD, "an impossible date");
	ok(strstr(err.msg, "column 'Created': line 3: '02/30/2024' is not a date") == err.msg,
	   "names the bad value and its line: %s", err.msg);
	const char *mixed[] = { "03/14/2024", "14/03/2024" };
	is_int(verdict(mixed, 2, &f, &err), IMAP_DV_BAD, "US and day-first mixed");
	is_str(err.msg,
	       "column 'Created': line 3: '14/03/2024' is not in the date format of the values "
	       "before it (like '03/14/2024'); use --date-format",
	       "mixed formats message");
}

/* ---- names, JSON, debris -------------------------------------------------- */

static void is_split(const char *whole, const char *first, const char *last)
{
	char *f, *l;
	imap_split_name(whole, &f, &l);
	char name[128];
	snprintf(name, sizeof name, "split '%s': first", whole);
	is_str(f, first, name);
	snprintf(name, sizeof name, "split '%s': last", whole);
	is_str(l, last, name);
	free(f);
	free(l);
}

static void test_names(void)
{
	is_split("Ana María Gómez", "Ana María", "Gómez");
	is_split("  Ana   Gómez  ", "Ana", "Gómez");
	is_split("Gómez, Ana", "Ana", "Gómez");
	is_split("Cher", "Cher", "");
	is_split("", "", "");
	is_split("Martin Luther King Jr.", "Martin Luther", "King Jr.");
	is_split("Sammy Davis, Jr.", "Sammy", "Davis, Jr.");
	is_split("李 小龙", "李", "小龙");
}

static void test_json(void)
{
	struct sb sb = SB_INIT;
	imap_json_string(&sb, "a\"b\\c/d\n\r\t\b\f\x01\x1f\x7f é ☃ 😀");
	is_str(sb_str(&sb), "\"a\\\"b\\\\c/d\\n\\r\\t\\b\\f\\u0001\\u001f\x7f é ☃ 😀\"",
	       "escapes quotes, backslashes and control characters; keeps UTF-8");
	sb_reset(&sb);
	imap_json_string(&sb, "bad \xE9t\xE9 \xC3 \xED\xA0\x80 ok");
	is_str(sb_str(&sb), "\"bad \\ufffdt\\ufffd \\ufffd \\ufffd\\ufffd\\ufffd ok\"",
	       "invalid UTF-8 (Latin-1, truncated, surrogate) becomes U+FFFD");
	sb_reset(&sb);
	imap_json_string(&sb, "");
	is_str(sb_str(&sb), "\"\"", "empty string");
	sb_free(&sb);
	const char *k[] = { "Lead Owner.id", "Notes \"x\"", "n" };
	const char *v[] = { "zcrm_1", "line1\nline2", "" };
	char *j = imap_extra_json(k, v, 3);
	is_str(j, "{\"Lead Owner.id\":\"zcrm_1\",\"Notes \\\"x\\\"\":\"line1\\nline2\",\"n\":\"\"}",
	       "extra object");
	free(j);
	j = imap_extra_json(NULL, NULL, 0);
	is_str(j, "{}", "empty object");
	free(j);
}

static void test_debris(void)
{
	bool in = false;
	const char *gt[] = { "Grand Totals (12 records)", "", "" };
	ok(imap_row_footer(gt, 3, &in) && in, "Grand Totals");
	in = false;
	const char *gts[] = { "Grand Totals (1,204 records)", "", "12345.00" };
	ok(imap_row_footer(gts, 3, &in), "Grand Totals with sums");
	in = false;
	const char *conf[] = { "Confidential Information - Do Not Distribute" };
	ok(imap_row_footer(conf, 1, &in), "Confidential");
	in = false;
	const char *copy[] = { "Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved.",
		               "", "" };
	ok(imap_row_footer(copy, 3, &in), "copyright");
	const char *org[] = { "Northwind Traders" };
	ok(imap_row_footer(org, 1, &in), "after a footer, a single-cell row is debris");
	in = false;
	ok(!imap_row_footer(org, 1, &in), "before a footer it is not");
	const char *lead[] = { "Grand Totals Inc.", "x@y.co" };
	ok(!imap_row_footer(lead, 2, &in), "a company named Grand Totals is a lead");
	const char *gt2[] = { "Grand Totals (many records)" };
	ok(!imap_row_footer(gt2, 1, &in), "not a count");
	const char *two[] = { "Confidential Information - Do Not Distribute", "x" };
	ok(!imap_row_footer(two, 2, &in), "more than one cell: a lead");
	in = true;
	ok(!imap_row_footer(lead, 2, &in), "a full row after a footer is not debris");
	const char *empty[] = { "", "" };
	ok(!imap_row_footer(empty, 2, &in), "blank is imap_row_blank's business");
}

/* What a date value says of the locale that wrote it; footer languages. */
static void test_date_hints(void)
{
	static const struct {
		const char *v;
		unsigned want;
	} t[] = {
		{ "5 Jun 2024", IMAP_HINT_DAY_WORD },
		{ "14-Mar-24", IMAP_HINT_DAY_WORD },
		{ "14. März 2024", IMAP_HINT_DAY_WORD },
		{ "14 de marzo de 2024", IMAP_HINT_DAY_WORD },
		{ "Thu, 14 Mar 2024 10:00:00 GMT", IMAP_HINT_DAY_WORD },
		{ "Jun 5, 2024", IMAP_HINT_WORD_DAY },
		{ "March 14 2024 9:30 AM", IMAP_HINT_WORD_DAY },
		{ "03/01/2024 10:15", IMAP_HINT_24H },
		{ "03-01-2024 16:20:05", IMAP_HINT_24H },
		{ "03/01/2024 10:15 AM", 0 },
		{ "3/1/2024 9:30 pm", 0 },
		{ "03/01/2024", 0 },
		{ "2024-03-01 10:15", 0 },
		{ "2024-Mar-14", 0 },
		{ "14.03.2024 10:15", 0 }, /* dots are day first anyway */
		{ "03/01/2024 25:15", 0 },
		{ "soon", 0 },
		{ "", 0 },
	};
	for (size_t i = 0; i < ARRAY_LEN(t); i++)
		if (!is_int(imap_date_hints(t[i].v), t[i].want, "date hints"))
			diag("of '%s'", t[i].v);
	is_str(imap_footer_language("Gesamtsummen (2 Datensätze)"), "German", "footer: German");
	is_str(imap_footer_language("Généré par : Anne"), "French", "footer: French");
	ok(imap_footer_language("Grand Totals (2 records)") == NULL, "footer: English");
	ok(imap_footer_language("Confidential Information - Do Not Distribute") == NULL,
	   "footer: English again");
}

int main(void)
{
	test_salesforce_dataloader();
	test_salesforce_report();
	test_hubspot();
	test_zoho();
	test_pipedrive();
	test_suitecrm();
	test_close();
	test_detect_variants();
	test_leads_roundtrip();
	test_header();
	test_map();
	test_vocab();
	test_row_values();
	test_dates();
	test_date_hints();
	test_names();
	test_json();
	test_debris();
	return done_testing();
}
