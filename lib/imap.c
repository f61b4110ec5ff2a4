/*
 * imap.c - import mapping: presets, header matching, value vocabularies,
 * date detection. See imap.h for the contract.
 *
 * Where the vendor names come from: the vendors' documentation as cited
 * below, and for the names no document lists (export column spellings)
 * public code that reads real exports. Not checked against live exports
 * of every version and language: exports change, so the tables are
 * generous, every column they do not know is kept as a custom field, and
 * --map fixes the rest. Least certain, and worth a real export when one
 * turns up: Pipedrive's "Lead - Created" (vs "Lead - Lead created"),
 * SuiteCRM's export header language (labels vs database names: both are
 * here), and Close's "lead_name" vs "display_name" (both are here).
 *
 *  - Salesforce. Data Loader exports use API names, from the Object
 *    Reference, "Lead" (developer.salesforce.com/docs/atlas.en-us.
 *    object_reference.meta/object_reference/sforce_api_objects_lead.htm):
 *    Id, FirstName, LastName, Company, Email, LeadSource, Status,
 *    OwnerId, CreatedDate, AnnualRevenue, NumberOfEmployees, ... Report
 *    exports use the labels of the Field Reference (salesforce_field_
 *    reference_Lead.htm: "Lead Owner", "Company / Account", "Lead
 *    Source", "Lead Status", "Create Date"). Default Lead Status
 *    picklist: Open - Not Contacted, Working - Contacted, Closed -
 *    Converted, Closed - Not Converted; Lightning orgs: New, Working,
 *    Nurturing, Qualified, Unqualified. Report CSVs end with "Grand
 *    Totals (N records)", "Confidential Information - Do Not Distribute"
 *    and a copyright line.
 *  - HubSpot. Knowledge base "HubSpot's default contact properties" and
 *    the import/export articles (knowledge.hubspot.com): labels "Record
 *    ID" (older "Contact ID"), "First Name", "Phone Number", "Company
 *    Name", "Job Title", "Lead Status", "Lifecycle Stage", "Create Date",
 *    "Contact owner", "Original Source"; internal names from the CRM
 *    properties API: firstname, hs_lead_status, lifecyclestage,
 *    createdate, hubspot_owner_id, hs_object_id. Lifecycle stages:
 *    Subscriber, Lead, Marketing Qualified Lead, Sales Qualified Lead,
 *    Opportunity, Customer, Evangelist, Other. Lead status internal
 *    values NEW, OPEN, IN_PROGRESS, OPEN_DEAL, UNQUALIFIED,
 *    ATTEMPTED_TO_CONTACT, CONNECTED, BAD_TIMING. API dates are epoch ms.
 *  - Zoho CRM. "Modules & Fields" (zoho.com/crm/help/api/modules-
 *    fields.html) and the v2 API field api_names: Lead Owner/Owner, First
 *    Name/First_Name, Lead Status/Lead_Status, Created Time/Created_Time,
 *    Designation; lookups export a second "<Field>.id" column. Contacts
 *    and Accounts exports: Contact Owner/Account Owner, Account Name (a
 *    contact's company, an account's name), Mailing and Billing address
 *    columns; the id column is Record Id (older exports: Contact Id,
 *    Account Id). Lead
 *    Status picklist: Attempted to Contact, Contact in Future, Contacted,
 *    Junk Lead, Lost Lead, Not Contacted, Pre-Qualified, Not Qualified.
 *  - Pipedrive. Knowledge base "Importing: mandatory fields"
 *    (support.pipedrive.com); exports name columns "<Entity> - <Field>", e.g.
 *    "Person - Email - Work", "Person - Phone - Mobile", "Person - Job
 *    title", "Organization - Name", "Lead - Title", "Deal - Stage" (the
 *    same names appear in public scripts that read these exports).
 *    Default deal pipeline: Qualified, Contact Made, Demo Scheduled,
 *    Proposal Made, Negotiations Started; deal status open/won/lost.
 *  - SuiteCRM. modules/Leads/vardefs.php (first_name, last_name, email1,
 *    account_name, status, lead_source, date_entered, assigned_user_name,
 *    phone_work, ...) and the LBL_* strings of modules/Leads/language/
 *    en_us.lang.php ("Office Phone", "Assigned to", "Date Created").
 *    lead_status_dom: New, Assigned, In Process, Converted, Recycled, Dead.
 *  - Close. API docs (developer.close.com): "Exports" (lead exports as
 *    CSV, date_format original or iso8601), "Leads" (custom fields as
 *    custom.<name>); CSV columns id, display_name, lead_name, url,
 *    status_label, date_created, primary_contact_name, primary_contact_
 *    primary_email, ... Default lead statuses: Potential, Bad Fit,
 *    Qualified, Customer.
 */
#include "imap.h"
#include "tz.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ltime.h"
#include "tz.h"

/* ---- String helpers -------------------------------------------------- */

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static const char *skip_ws(const char *p)
{
	while (is_ws(*p))
		p++;
	return p;
}

/* s trimmed, as a start and a length. */
static void trim_span(const char *s, const char **b, size_t *len)
{
	if (!s)
		s = "";
	s = skip_ws(s);
	const char *e = s + strlen(s);
	while (e > s && is_ws(e[-1]))
		e--;
	*b = s;
	*len = (size_t)(e - s);
}

static char *trim_dup(const char *s)
{
	const char *b;
	size_t n;
	trim_span(s, &b, &n);
	return xstrndup(b, n);
}

static bool cell_empty(const char *s)
{
	return !s || !*skip_ws(s);
}

/* Characters loose matching ignores: whitespace, '_' and '-'. */
static bool loose_skip(char c)
{
	return is_ws(c) || c == '_' || c == '-';
}

/*
 * The one comparison of names and values: ASCII case-insensitive,
 * ignoring whitespace, '_' and '-' ("First Name" = "first_name" =
 * "FirstName", "IN_PROGRESS" = "In Progress"); '.', '/' and the rest
 * count, so "Lead Owner.id" is not "Lead Owner".
 */
static bool loose_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a && loose_skip(*a))
			a++;
		while (*b && loose_skip(*b))
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return false;
		a++;
		b++;
	}
}

/* ---- Presets ---------------------------------------------------------- */

/*
 * One known column. col: a header name (matched loosely), or a pattern
 * "prefix*" / "*suffix" (matched case-insensitively on the trimmed name).
 * to: a lead field name, "name" (full name, split), "extra" (a JSON
 * object), "-" (ignore), "+" (a custom field under the column's own
 * name: claims the column so no generic name takes it), "+KEY" (a custom
 * field named KEY), "+*" (a custom field named by what the pattern's
 * '*' matched).
 */
struct pentry {
	const char *col;
	const char *to;
};

/* Stages named abstractly, resolved against the configured pipeline. */
enum sref {
	S_NONE,
	S_FIRST_ACTIVE, /* the first active stage */
	S_CONTACTED,    /* "Contacted" if present, else the 2nd active stage */
	S_MEETING,      /* "Appointment Set" if present, else the 3rd active stage */
	S_PROPOSAL,     /* "Proposal Sent" if present, else the 4th active stage */
	S_AGREED,       /* "Customer Agreed" if present, else the 5th active stage */
	S_FIRST_WON,    /* the first won stage */
	S_CUSTOMER,     /* "Customer" if present, else the first won stage */
	S_FIRST_LOST,   /* the first lost stage */
};

static const struct {
	enum stage_group grp;
	int nth;            /* 0-based within the group, clamped to its last stage */
	const char *prefer; /* a stage of this name (any group) wins */
} sref_defs[] = {
	[S_NONE] = { GRP_ACTIVE, 0, NULL },
	[S_FIRST_ACTIVE] = { GRP_ACTIVE, 0, NULL },
	[S_CONTACTED] = { GRP_ACTIVE, 1, "Contacted" },
	[S_MEETING] = { GRP_ACTIVE, 2, "Appointment Set" },
	[S_PROPOSAL] = { GRP_ACTIVE, 3, "Proposal Sent" },
	[S_AGREED] = { GRP_ACTIVE, 4, "Customer Agreed" },
	[S_FIRST_WON] = { GRP_WON, 0, NULL },
	[S_CUSTOMER] = { GRP_WON, 0, "Customer" },
	[S_FIRST_LOST] = { GRP_LOST, 0, NULL },
};

/* A vendor value: the stage it means and the status (NULL = no say). */
struct vocab {
	const char *value;
	enum sref stage;
	const char *status;
};

struct imap_preset {
	const char *name;
	const char *label;
	const char *ext_source; /* written to ext_source; NULL for leads/generic */
	const struct pentry *cols;
	size_t ncols;
	const struct vocab *vocab;
	size_t nvocab;
	bool fields;  /* the `leads` preset: the columns are lead_fields[] */
	bool generic; /* fall back on the generic names */
};

static const struct pentry salesforce_cols[] = {
	/* Data Loader / API names */
	{ "Id", "ext_id" },
	{ "FirstName", "first_name" },
	{ "LastName", "last_name" },
	{ "Name", "name" },
	{ "Email", "email" },
	{ "Company", "company" },
	{ "Title", "title" },
	{ "Phone", "phone" },
	{ "MobilePhone", "phone" },
	{ "LeadSource", "source" },
	{ "Status", "status" },
	{ "CreatedDate", "created_at" },
	{ "LastModifiedDate", "updated_at" },
	{ "LastActivityDate", "last_activity_at" },
	{ "OwnerId", "owner" },
	{ "Industry", "industry" },
	{ "AnnualRevenue", "+annual_revenue" },
	{ "NumberOfEmployees", "+employees" },
	{ "Website", "website" },
	{ "City", "city" },
	{ "State", "state" },
	{ "Country", "country" },
	{ "Street", "+" },
	{ "PostalCode", "+" },
	{ "Rating", "+" },
	{ "Description", "+" },
	{ "Salutation", "+" },
	{ "IsConverted", "+" },
	{ "IsDeleted", "+" },
	{ "ConvertedDate", "+" },
	{ "CreatedById", "+" },
	{ "LastModifiedById", "+" },
	{ "MasterRecordId", "+" },
	/* report labels */
	{ "Lead Owner", "owner" },
	{ "Company / Account", "company" },
	{ "Mobile", "phone" },
	{ "Lead Source", "source" },
	{ "Lead Status", "status" },
	{ "Create Date", "created_at" },
	{ "Created Date", "created_at" },
	{ "Last Modified Date", "updated_at" },
	{ "Last Activity", "last_activity_at" },
	{ "Lead ID", "ext_id" },
	{ "Annual Revenue", "+annual_revenue" },
	{ "No. of Employees", "+employees" },
	{ "State/Province", "state" },
	{ "Zip/Postal Code", "+" },
	{ "Converted", "+" },
	/* report labels in the other languages of its reports (header_words) */
	{ "Lead-Inhaber", "owner" },
	{ "Firma/Account", "company" },
	{ "Erstelldatum", "created_at" },
	{ "Propriétaire du lead", "owner" },
	{ "Société/Compte", "company" },
	{ "Statut du lead", "status" },
	{ "Date de création", "created_at" },
	{ "Propietario del candidato", "owner" },
	{ "Empresa/Cuenta", "company" },
	{ "Estado del candidato", "status" },
	{ "Fecha de creación", "created_at" },
	{ "Proprietário do lead", "owner" },
	{ "Empresa/Conta", "company" },
	{ "Status do lead", "status" },
	{ "Data de criação", "created_at" },
	{ "リード所有者", "owner" },
	{ "リード状況", "status" },
	{ "作成日", "created_at" },
};

static const struct vocab salesforce_vocab[] = {
	{ "Open - Not Contacted", S_FIRST_ACTIVE, "new" },
	{ "Working - Contacted", S_CONTACTED, "active" },
	{ "Closed - Converted", S_FIRST_WON, NULL },
	{ "Closed - Not Converted", S_FIRST_LOST, "unqualified" },
	/* Lightning's default lead path */
	{ "New", S_FIRST_ACTIVE, "new" },
	{ "Working", S_CONTACTED, "active" },
	{ "Nurturing", S_CONTACTED, "inactive" },
	{ "Qualified", S_FIRST_WON, NULL }, /* the converted status there */
	{ "Unqualified", S_FIRST_LOST, "unqualified" },
};

static const struct pentry hubspot_cols[] = {
	/* export labels */
	{ "Record ID", "ext_id" },
	{ "Contact ID", "ext_id" },
	{ "Email", "email" },
	{ "Phone Number", "phone" },
	{ "Mobile Phone Number", "phone" },
	{ "Company Name", "company" },
	{ "Job Title", "title" },
	{ "Lead Status", "status" },
	{ "Lifecycle Stage", "stage" },
	{ "Create Date", "created_at" },
	{ "Last Modified Date", "updated_at" },
	{ "Last Activity Date", "last_activity_at" },
	{ "Contact owner", "owner" },
	{ "HubSpot Owner", "owner" },
	{ "Original Source", "source" },
	{ "Original Source Drill-Down 1", "+" },
	{ "Original Source Drill-Down 2", "+" },
	{ "Website URL", "website" },
	{ "State/Region", "state" },
	{ "Country/Region", "country" },
	{ "Annual Revenue", "+annual_revenue" },
	{ "Number of Employees", "+employees" },
	{ "Street Address", "+" },
	{ "Postal Code", "+" },
	/* internal property names */
	{ "hs_object_id", "ext_id" },
	{ "vid", "ext_id" },
	{ "firstname", "first_name" },
	{ "lastname", "last_name" },
	{ "phone", "phone" },
	{ "mobilephone", "phone" },
	{ "company", "company" },
	{ "jobtitle", "title" },
	{ "hs_lead_status", "status" },
	{ "lifecyclestage", "stage" },
	{ "createdate", "created_at" },
	{ "lastmodifieddate", "updated_at" },
	{ "notes_last_updated", "last_activity_at" },
	{ "hubspot_owner_id", "owner" },
	{ "hs_analytics_source", "source" },
	{ "hs_analytics_source_data_1", "+" },
	{ "annualrevenue", "+annual_revenue" },
	{ "numemployees", "+employees" },
	{ "address", "+" },
	{ "zip", "+" },
};

static const struct vocab hubspot_vocab[] = {
	/* hs_lead_status: internal values and labels match loosely */
	{ "NEW", S_FIRST_ACTIVE, "new" },
	{ "OPEN", S_FIRST_ACTIVE, "active" },
	{ "IN_PROGRESS", S_CONTACTED, "active" },
	{ "OPEN_DEAL", S_PROPOSAL, "active" },
	{ "ATTEMPTED_TO_CONTACT", S_CONTACTED, "active" },
	{ "CONNECTED", S_CONTACTED, "active" },
	{ "BAD_TIMING", S_NONE, "inactive" },
	{ "UNQUALIFIED", S_FIRST_LOST, "unqualified" },
	/* lifecyclestage: a stage only, the lead status says the status */
	{ "subscriber", S_FIRST_ACTIVE, NULL },
	{ "lead", S_FIRST_ACTIVE, NULL },
	{ "marketingqualifiedlead", S_FIRST_ACTIVE, NULL },
	{ "salesqualifiedlead", S_CONTACTED, NULL },
	{ "opportunity", S_PROPOSAL, NULL },
	{ "customer", S_CUSTOMER, NULL },
	{ "evangelist", S_CUSTOMER, NULL },
	{ "other", S_NONE, NULL },
};

static const struct pentry zoho_cols[] = {
	{ "Record Id", "ext_id" },
	{ "Lead Id", "ext_id" },
	{ "Contact Id", "ext_id" },
	{ "Account Id", "ext_id" },
	{ "Lead Owner", "owner" },
	{ "Contact Owner", "owner" },
	{ "Account Owner", "owner" },
	{ "Owner", "owner" },
	/* a contact's company; an account's own name */
	{ "Account Name", "company" },
	{ "First Name", "first_name" },
	{ "Last Name", "last_name" },
	{ "Email", "email" },
	{ "Secondary Email", "email" },
	{ "Company", "company" },
	{ "Designation", "title" },
	{ "Title", "title" },
	{ "Phone", "phone" },
	{ "Mobile", "phone" },
	{ "Lead Status", "status" },
	{ "Lead Source", "source" },
	{ "Created Time", "created_at" },
	{ "Modified Time", "updated_at" },
	{ "Last Activity Time", "last_activity_at" },
	{ "Industry", "industry" },
	{ "Annual Revenue", "+annual_revenue" },
	{ "No. of Employees", "+employees" },
	{ "No_of_Employees", "+employees" },
	{ "Website", "website" },
	{ "City", "city" },
	{ "State", "state" },
	{ "Country", "country" },
	{ "Street", "+" },
	{ "Zip Code", "+" },
	{ "Description", "+" },
	{ "Salutation", "+" },
	{ "Rating", "+" },
	{ "Created By", "+" },
	{ "Modified By", "+" },
	{ "Email Opt Out", "+" },
	{ "Skype ID", "+" },
	{ "Twitter", "+" },
	/* contacts: the mailing address; accounts: the billing address */
	{ "Mailing City", "city" },
	{ "Mailing State", "state" },
	{ "Mailing Country", "country" },
	{ "Billing City", "city" },
	{ "Billing State", "state" },
	{ "Billing Country", "country" },
	{ "Employees", "+employees" },
	/* lookup ids ("Lead Owner.id", "Owner.id", "Created By.id"): kept */
	{ "*.id", "+" },
};

static const struct vocab zoho_vocab[] = {
	{ "Not Contacted", S_FIRST_ACTIVE, "new" },
	{ "Attempted to Contact", S_CONTACTED, "active" },
	{ "Contact in Future", S_CONTACTED, "inactive" },
	{ "Contacted", S_CONTACTED, "active" },
	{ "Pre-Qualified", S_CONTACTED, "active" },
	{ "Not Qualified", S_FIRST_LOST, "unqualified" },
	{ "Junk Lead", S_FIRST_LOST, "unqualified" },
	{ "Lost Lead", S_FIRST_LOST, NULL },
};

static const struct pentry pipedrive_cols[] = {
	{ "Person - Name", "name" },
	{ "Person - First name", "first_name" },
	{ "Person - Last name", "last_name" },
	{ "Person - Email", "email" },
	{ "Person - Email - Work", "email" },
	{ "Person - Email - Home", "email" },
	{ "Person - Email - Other", "email" },
	{ "Person - Phone", "phone" },
	{ "Person - Phone - Work", "phone" },
	{ "Person - Phone - Mobile", "phone" },
	{ "Person - Phone - Home", "phone" },
	{ "Person - Phone - Other", "phone" },
	{ "Person - Job title", "title" },
	/* a people export: the person's own id, owner, organization and
	 * creation (in a leads or deals export the Lead/Deal columns come
	 * first in the file and win; these fill in when those are empty) */
	{ "Person - ID", "ext_id" },
	{ "Person - Owner", "owner" },
	{ "Person - Organization", "company" },
	{ "Person - Person created", "created_at" },
	{ "Person - Created", "created_at" },
	{ "Organization - Name", "company" },
	{ "Lead - Organization", "company" },
	{ "Deal - Organization", "company" },
	{ "Organization - ID", "+" },
	{ "Organization - Address", "+" },
	/* A lead's title names the lead ("Acme - 50 seats"), not a job. */
	{ "Lead - Title", "+" },
	{ "Lead - Source", "source" },
	{ "Lead - Owner", "owner" },
	{ "Lead - Created", "created_at" },
	{ "Lead - Lead created", "created_at" },
	{ "Lead - Value", "value" },
	{ "Lead - ID", "ext_id" },
	{ "Lead - Status", "status" },
	{ "Lead - Labels", "+" },
	{ "Deal - Title", "+" },
	{ "Deal - Status", "status" },
	{ "Deal - Stage", "stage" },
	{ "Deal - Value", "value" },
	{ "Deal - Owner", "owner" },
	{ "Deal - Deal created", "created_at" },
	{ "Deal - ID", "ext_id" },
	/* the same without the entity prefix, and "Email (Work)" style */
	{ "Name", "name" },
	{ "First name", "first_name" },
	{ "Last name", "last_name" },
	{ "Email - Work", "email" },
	{ "Email (Work)", "email" },
	{ "Email - Home", "email" },
	{ "Email (Home)", "email" },
	{ "Email - Other", "email" },
	{ "Email (Other)", "email" },
	{ "Phone - Work", "phone" },
	{ "Phone (Work)", "phone" },
	{ "Phone - Mobile", "phone" },
	{ "Phone (Mobile)", "phone" },
	{ "Phone - Home", "phone" },
	{ "Phone (Home)", "phone" },
	{ "Job title", "title" },
	{ "Organization", "company" },
	{ "Title", "+" },
	{ "Source", "source" },
	{ "Owner", "owner" },
	{ "Created", "created_at" },
	{ "Lead created", "created_at" },
	{ "Person created", "created_at" },
	{ "Deal created", "created_at" },
	{ "Value", "value" },
	{ "ID", "ext_id" },
	{ "Labels", "+" },
};

static const struct vocab pipedrive_vocab[] = {
	{ "open", S_NONE, "active" },
	{ "won", S_FIRST_WON, NULL },
	{ "lost", S_FIRST_LOST, NULL },
	{ "archived", S_NONE, "inactive" },
	/* the default deal pipeline */
	{ "Qualified", S_FIRST_ACTIVE, NULL },
	{ "Contact Made", S_CONTACTED, NULL },
	{ "Demo Scheduled", S_MEETING, NULL },
	{ "Needs Defined", S_MEETING, NULL },
	{ "Proposal Made", S_PROPOSAL, NULL },
	{ "Negotiations Started", S_AGREED, NULL },
};

static const struct pentry suitecrm_cols[] = {
	/* database names */
	{ "id", "ext_id" },
	{ "first_name", "first_name" },
	{ "last_name", "last_name" },
	{ "name", "name" },
	{ "email1", "email" },
	{ "email_address", "email" },
	{ "email2", "email" },
	{ "account_name", "company" },
	{ "status", "status" },
	{ "lead_source", "source" },
	{ "date_entered", "created_at" },
	{ "date_modified", "updated_at" },
	{ "assigned_user_name", "owner" },
	{ "assigned_user_id", "+" },
	{ "title", "title" },
	{ "phone_work", "phone" },
	{ "phone_mobile", "phone" },
	{ "phone_home", "phone" },
	{ "phone_other", "phone" },
	{ "phone_fax", "+" },
	{ "department", "+" },
	{ "website", "website" },
	{ "primary_address_street", "+" },
	{ "primary_address_city", "city" },
	{ "primary_address_state", "state" },
	{ "primary_address_postalcode", "+" },
	{ "primary_address_country", "country" },
	{ "description", "+" },
	{ "salutation", "+" },
	{ "status_description", "+" },
	{ "lead_source_description", "+" },
	{ "refered_by", "+" },
	{ "opportunity_amount", "value" },
	{ "converted", "+" },
	{ "deleted", "+" },
	{ "created_by", "+" },
	{ "modified_user_id", "+" },
	{ "do_not_call", "+" },
	/* translated labels (en_us) */
	{ "ID", "ext_id" },
	{ "Email Address", "email" },
	{ "Account Name", "company" },
	{ "Date Created", "created_at" },
	{ "Date Modified", "updated_at" },
	{ "Assigned to", "owner" },
	{ "Assigned User", "owner" },
	{ "Assigned User Name", "owner" },
	{ "Office Phone", "phone" },
	{ "Mobile", "phone" },
	{ "Home Phone", "phone" },
	{ "Other Phone", "phone" },
	{ "Fax", "+" },
	{ "Primary Address Street", "+" },
	{ "Primary Address City", "city" },
	{ "Primary Address State", "state" },
	{ "Primary Address Postal Code", "+" },
	{ "Primary Address Country", "country" },
	{ "Status Description", "+" },
	{ "Lead Source Description", "+" },
	{ "Referred By", "+" },
	{ "Opportunity Amount", "value" },
};

static const struct vocab suitecrm_vocab[] = {
	{ "New", S_FIRST_ACTIVE, "new" },           { "Assigned", S_FIRST_ACTIVE, "active" },
	{ "In Process", S_CONTACTED, "active" },    { "Converted", S_FIRST_WON, NULL },
	{ "Recycled", S_FIRST_ACTIVE, "inactive" }, { "Dead", S_FIRST_LOST, "unqualified" },
};

static const struct pentry close_cols[] = {
	{ "id", "ext_id" },
	{ "lead_name", "company" }, /* a Close lead is a company */
	{ "display_name", "company" },
	{ "url", "+" }, /* the lead's page in Close, not its web site */
	{ "html_url", "+" },
	{ "description", "+" },
	{ "status_id", "+" },
	{ "status_label", "status" },
	{ "date_created", "created_at" },
	{ "date_updated", "updated_at" },
	{ "last_activity_date", "last_activity_at" },
	{ "created_by", "+" },
	{ "created_by_name", "+" },
	{ "updated_by", "+" },
	{ "updated_by_name", "+" },
	{ "primary_contact_name", "name" },
	{ "primary_contact_first_name", "first_name" },
	{ "primary_contact_last_name", "last_name" },
	{ "primary_contact_title", "title" },
	{ "primary_contact_primary_email", "email" },
	{ "primary_contact_primary_email_type", "+" },
	{ "primary_contact_other_emails", "+" },
	{ "primary_contact_primary_phone", "phone" },
	{ "primary_contact_primary_phone_type", "+" },
	{ "primary_contact_other_phones", "+" },
	{ "primary_contact_primary_url", "+" },
	{ "primary_contact_other_urls", "+" },
	{ "primary_address_address_1", "+" },
	{ "primary_address_address_2", "+" },
	{ "primary_address_city", "city" },
	{ "primary_address_state", "state" },
	{ "primary_address_zipcode", "+" },
	{ "primary_address_country", "country" },
	/* Close has no owner nor source field: teams add custom ones */
	{ "custom.Lead Owner", "owner" },
	{ "custom.Lead Source", "source" },
	{ "custom.*", "+*" },
};

static const struct vocab close_vocab[] = {
	{ "Potential", S_FIRST_ACTIVE, "new" },
	{ "Qualified", S_CONTACTED, "active" },
	{ "Customer", S_CUSTOMER, NULL },
	{ "Bad Fit", S_FIRST_LOST, "unqualified" },
	/* opportunity statuses in lead_opps exports */
	{ "Won", S_FIRST_WON, NULL },
	{ "Lost", S_FIRST_LOST, NULL },
};

/* Common names: the generic preset, and the fallback of the vendor ones. */
static const struct pentry generic_cols[] = {
	{ "Email", "email" },
	{ "E-mail", "email" },
	{ "Email Address", "email" },
	{ "Mail", "email" },
	{ "Work Email", "email" },
	{ "Business Email", "email" },
	{ "First Name", "first_name" },
	{ "Given Name", "first_name" },
	{ "Forename", "first_name" },
	{ "Last Name", "last_name" },
	{ "Surname", "last_name" },
	{ "Family Name", "last_name" },
	/* the same in the languages the presets' reports come in (names that
	 * mean one thing only: "Nom", "Nombre" and "Name" do not) */
	{ "Correo electrónico", "email" },
	{ "Correo", "email" },
	{ "Courriel", "email" },
	{ "Adresse e-mail", "email" },
	{ "Endereço de email", "email" },
	{ "メール", "email" },
	{ "メールアドレス", "email" },
	{ "Vorname", "first_name" },
	{ "Prénom", "first_name" },
	{ "Primeiro nome", "first_name" },
	{ "名", "first_name" },
	{ "Nachname", "last_name" },
	{ "Apellidos", "last_name" },
	{ "Apellido", "last_name" },
	{ "Sobrenome", "last_name" },
	{ "姓", "last_name" },
	{ "Société", "company" },
	{ "Empresa", "company" },
	{ "会社名", "company" },
	{ "Name", "name" },
	{ "Full Name", "name" },
	{ "Contact Name", "name" },
	{ "Company", "company" },
	{ "Company Name", "company" },
	{ "Organization", "company" },
	{ "Organisation", "company" },
	{ "Account", "company" },
	{ "Account Name", "company" },
	{ "Phone", "phone" },
	{ "Phone Number", "phone" },
	{ "Telephone", "phone" },
	{ "Tel", "phone" },
	{ "Mobile", "phone" },
	{ "Mobile Phone", "phone" },
	{ "Cell", "phone" },
	{ "Title", "title" },
	{ "Job Title", "title" },
	{ "Position", "title" },
	{ "Role", "title" },
	{ "Designation", "title" },
	{ "Website", "website" },
	{ "Web Site", "website" },
	{ "URL", "website" },
	{ "Industry", "industry" },
	{ "City", "city" },
	{ "Town", "city" },
	{ "State", "state" },
	{ "Region", "state" },
	{ "Province", "state" },
	{ "State/Province", "state" },
	{ "State/Region", "state" },
	{ "Country", "country" },
	{ "Country/Region", "country" },
	{ "Source", "source" },
	{ "Lead Source", "source" },
	{ "Origin", "source" },
	{ "Channel", "source" },
	{ "Status", "status" },
	{ "Lead Status", "status" },
	{ "Stage", "stage" },
	{ "Lifecycle Stage", "stage" },
	{ "Pipeline Stage", "stage" },
	{ "Deal Stage", "stage" },
	{ "Owner", "owner" },
	{ "Lead Owner", "owner" },
	{ "Assigned To", "owner" },
	{ "Sales Rep", "owner" },
	{ "Rep", "owner" },
	{ "Account Owner", "owner" },
	{ "Created", "created_at" },
	{ "Created At", "created_at" },
	{ "Created Date", "created_at" },
	{ "Create Date", "created_at" },
	{ "Date Created", "created_at" },
	{ "Created On", "created_at" },
	{ "Creation Date", "created_at" },
	{ "Date Added", "created_at" },
	{ "ID", "ext_id" },
	{ "Record ID", "ext_id" },
	{ "Lead ID", "ext_id" },
	{ "Value", "value" },
	{ "Amount", "value" },
	{ "Deal Value",
	  "value" }, /* the expected close of a deal (Salesforce, HubSpot, Pipedrive, Zoho) */
	{ "Close Date", "close_date" },
	{ "CloseDate", "close_date" },
	{ "Expected Close Date", "close_date" },
	{ "Closing Date", "close_date" },
	{ "Deal - Expected close date", "close_date" },
};

/* Last resort for every preset but `leads`, after our own names. */
static const struct vocab generic_vocab[] = {
	{ "open", S_NONE, "active" },
	{ "working", S_CONTACTED, "active" },
	{ "contacted", S_CONTACTED, "active" },
	{ "qualified", S_CONTACTED, "active" },
	{ "unqualified", S_FIRST_LOST, "unqualified" },
	{ "disqualified", S_FIRST_LOST, "unqualified" },
	{ "won", S_FIRST_WON, NULL },
	{ "closed won", S_FIRST_WON, NULL },
	{ "lost", S_FIRST_LOST, NULL },
	{ "closed lost", S_FIRST_LOST, NULL },
	{ "customer", S_CUSTOMER, NULL },
	{ "dead", S_FIRST_LOST, "unqualified" },
	{ "junk", S_FIRST_LOST, "unqualified" },
};

/* Each preset's index, and its name, come from IMAP_PRESETS (imap.h). */
#define PRESET_ENUM_(n) P_##n,
enum { IMAP_PRESETS(PRESET_ENUM_) P__N };
_Static_assert(P_generic == P__N - 1, "generic is the last preset (detection skips it)");

#define PRESET(n, l, x, c, v, f, g) [P_##n] = { #n, l, x, c, ARRAY_LEN(c), v, ARRAY_LEN(v), f, g }
#define PRESET_OWN(n, l, f, g)      [P_##n] = { #n, l, NULL, NULL, 0, NULL, 0, f, g }

static const struct imap_preset presets[P__N] = {
	PRESET(salesforce, "Salesforce (Data Loader or report export)", "salesforce",
	       salesforce_cols, salesforce_vocab, false, true),
	PRESET(hubspot, "HubSpot contacts export (labels or internal names)", "hubspot",
	       hubspot_cols, hubspot_vocab, false, true),
	PRESET(zoho, "Zoho CRM leads, contacts or accounts export", "zoho", zoho_cols, zoho_vocab,
	       false, true),
	PRESET(pipedrive, "Pipedrive leads, people or deals export", "pipedrive", pipedrive_cols,
	       pipedrive_vocab, false, true),
	PRESET(suitecrm, "SuiteCRM leads export (labels or database names)", "suitecrm",
	       suitecrm_cols, suitecrm_vocab, false, true),
	PRESET(close, "Close leads export", "close", close_cols, close_vocab, false, true),
	PRESET_OWN(leads, "leads' own `leads export`", true, false),
	PRESET_OWN(generic, "any CSV with common column names", false, true),
};
#define NPRESETS ARRAY_LEN(presets)
#define GENERIC  (&presets[P_generic])

#define PRESET_NAME_(n) #n,
const char *const imap_preset_names[] = { IMAP_PRESETS(PRESET_NAME_) NULL };

const struct imap_preset *imap_preset_find(const char *name)
{
	for (size_t i = 0; name && i < NPRESETS; i++)
		if (str_ieq(presets[i].name, name))
			return &presets[i];
	return NULL;
}

const char *imap_preset_name(const struct imap_preset *p)
{
	return p ? p->name : "none";
}

const char *imap_preset_label(const struct imap_preset *p)
{
	return p ? p->label : "";
}

/* A field a column may feed: exported or editable, but not our own id
 * (a new database numbers its leads itself; `leads` maps it anyway). */
static bool importable(const struct field_desc *f)
{
	return f && (f->flags & (FF_EXPORT | FF_EDIT)) && !(f->kind == FK_INT && f->idx == LI_ID);
}

/* Match a name against a table: exact names first, then patterns. *rest
 * is what a pattern's '*' matched. */
static char fold(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

/* The first character loose_eq compares, folded. */
static char loose_first(const char *s)
{
	while (*s && loose_skip(*s))
		s++;
	return fold(*s);
}

static const struct pentry *table_match(const struct pentry *t, size_t n, const char *name,
                                        const char **rest)
{
	/* every column of a header is looked up in each table, 100k of them in a
	 * wide export: an entry whose first character differs is passed over
	 * without a call (or a strlen) */
	char first = loose_first(name), first0 = fold(name[0]);
	for (size_t i = 0; i < n; i++)
		if (loose_first(t[i].col) == first && loose_eq(name, t[i].col) &&
		    !strchr(t[i].col, '*')) {
			*rest = NULL;
			return &t[i];
		}
	size_t nl = strlen(name);
	for (size_t i = 0; i < n; i++) {
		const char *c = t[i].col;
		if (c[0] != '*' && fold(c[0]) != first0)
			continue; /* not "*suffix", and no "prefix*" of name */
		size_t cl = strlen(c);
		if (cl == 0 || (c[0] != '*' && c[cl - 1] != '*'))
			continue; /* patterns are "prefix*" or "*suffix" */
		if (c[cl - 1] == '*' && nl > cl - 1 && strncasecmp(name, c, cl - 1) == 0) {
			*rest = name + cl - 1;
			return &t[i];
		}
		if (c[0] == '*' && nl > cl - 1 && strcasecmp(name + nl - (cl - 1), c + 1) == 0) {
			*rest = name;
			return &t[i];
		}
	}
	return NULL;
}

/* For the `leads` preset: a column named like an exported field. */
static const struct field_desc *export_field(const char *name)
{
	for (int i = 0; i < lead_nfields; i++)
		if ((lead_fields[i].flags & FF_EXPORT) && loose_eq(name, lead_fields[i].name))
			return &lead_fields[i];
	return NULL;
}

/*
 * Does preset p know this column by its own table (not the generic
 * fallback)? For detection: 0 no, 1 loosely ("CreatedDate" for "Created
 * Date"), 2 spelled exactly so (case aside) or by a pattern.
 */
static int preset_knows(const struct imap_preset *p, const char *name)
{
	const char *rest;
	const struct pentry *e;
	if (p->fields) {
		const struct field_desc *f = export_field(name);
		return !f ? 0 : str_ieq(f->name, name) ? 2 : 1;
	}
	if (p == GENERIC)
		e = table_match(generic_cols, ARRAY_LEN(generic_cols), name, &rest);
	else
		e = table_match(p->cols, p->ncols, name, &rest);
	if (!e)
		return 0;
	/* exact: the vendor's own spelling, case included (Salesforce's API
	 * names "FirstName" are not HubSpot's internal "firstname") */
	if (rest || strcmp(e->col, name) == 0)
		return 2;
	/* a loose match found first; an exact spelling may come later */
	const struct pentry *t = p == GENERIC ? generic_cols : p->cols;
	size_t n = p == GENERIC ? ARRAY_LEN(generic_cols) : p->ncols;
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].col, name) == 0)
			return 2;
	return 1;
}

/* ---- Targets ---------------------------------------------------------- */

struct target {
	enum imap_kind kind;
	const struct field_desc *field;
	const char *key; /* IMAP_EXTRA; NULL = the column's name */
};

/* A user target: field name, "name", "extra", "extra.KEY", "-". */
static int parse_target(const char *to, struct target *t, struct lerr *err)
{
	memset(t, 0, sizeof *t);
	if (strcmp(to, "-") == 0) {
		t->kind = IMAP_IGNORE;
		return 0;
	}
	if (strncasecmp(to, "extra.", 6) == 0) {
		if (!to[6])
			return lerr_set(err, EX_USAGE, "'extra.' needs a custom field name");
		t->kind = IMAP_EXTRA;
		t->key = to + 6;
		return 0;
	}
	const struct field_desc *f = lead_field(to);
	if (!f && str_ieq(to, "name")) {
		t->kind = IMAP_NAME;
		return 0;
	}
	if (f && f->kind == FK_TEXT && f->idx == LT_EXTRA) {
		t->kind = IMAP_EXTRA_JSON;
		return 0;
	}
	if (f && importable(f)) {
		t->kind = IMAP_FIELD;
		t->field = f;
		return 0;
	}
	if (f)
		return lerr_set(err, EX_USAGE, "field '%s' cannot be imported", f->name);
	/* did you mean */
	const char *best = NULL;
	size_t bd = SIZE_MAX;
	for (int i = 0; i < lead_nfields; i++) {
		if (!importable(&lead_fields[i]))
			continue;
		size_t d = str_distance(to, lead_fields[i].name);
		if (d < bd) {
			bd = d;
			best = lead_fields[i].name;
		}
	}
	if (best && bd <= 2)
		return lerr_set(err, EX_USAGE, "unknown field '%s' (did you mean '%s'?)", to, best);
	return lerr_set(err, EX_USAGE,
	                "unknown field '%s' (a lead field, name, extra, extra.NAME or -)", to);
}

static void col_set_key(struct imap_col *c, const char *key)
{
	char *k = xstrdup(key && *key ? key : c->name);
	free(c->key);
	c->key = k;
}

static void col_apply(struct imap_col *c, const struct target *t, enum imap_origin origin)
{
	c->kind = t->kind;
	c->field = t->field;
	c->origin = origin;
	col_set_key(c, t->kind == IMAP_EXTRA ? t->key : NULL);
}

/* A preset entry's target, with the '+' forms. False if it names no
 * real field (a bug in a table; imap_presets_check finds it). */
static bool preset_target(const char *to, const char *rest, struct target *t)
{
	memset(t, 0, sizeof *t);
	if (to[0] == '+') {
		t->kind = IMAP_EXTRA;
		t->key = to[1] == '*' ? rest : to[1] ? to + 1 : NULL;
		return true;
	}
	return parse_target(to, t, NULL) == 0;
}

int imap_presets_check(struct lerr *err)
{
	for (size_t p = 0; p < NPRESETS; p++) {
		if (!presets[p].name) /* a word in IMAP_PRESETS without a row */
			return lerr_set(err, EX_SOFTWARE, "preset %s: no table row",
			                imap_preset_names[p]);
		for (size_t i = 0; i < presets[p].ncols; i++) {
			struct target t;
			if (!preset_target(presets[p].cols[i].to, "x", &t))
				return lerr_set(
				    err, EX_SOFTWARE, "preset %s: column '%s': bad target '%s'",
				    presets[p].name, presets[p].cols[i].col, presets[p].cols[i].to);
		}
	}
	for (size_t i = 0; i < ARRAY_LEN(generic_cols); i++) {
		struct target t;
		if (!preset_target(generic_cols[i].to, "x", &t))
			return lerr_set(err, EX_SOFTWARE, "generic column '%s': bad target '%s'",
			                generic_cols[i].col, generic_cols[i].to);
	}
	return 0;
}

/* ---- Header ------------------------------------------------------------ */

static void note(struct imap *m, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void note(struct imap *m, const char *fmt, ...)
{
	struct sb sb = SB_INIT;
	va_list ap;
	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	m->notes = xrealloc(m->notes, (m->nnotes + 1) * sizeof *m->notes);
	m->notes[m->nnotes++] = sb_detach(&sb);
}

bool imap_row_blank(const char *const *cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!cell_empty(cells[i]))
			return false;
	return true;
}

static bool istarts(const char *s, const char *pre)
{
	return strncasecmp(s, pre, strlen(pre)) == 0;
}

static bool icontains(const char *s, const char *needle)
{
	size_t n = strlen(needle);
	for (; *s; s++)
		if (strncasecmp(s, needle, n) == 0)
			return true;
	return false;
}

/*
 * Salesforce report footers, in the languages of its reports (English,
 * German, French, Spanish, Portuguese, Japanese): a prefix of the first
 * cell, matched without regard to ASCII case.
 */
struct fword {
	const char *w;
	const char *lang; /* NULL: English, or no language at all */
};
static const struct fword totals_words[] = {
	{ "Grand Totals", NULL },        { "Gesamtsummen", "German" },
	{ "Gesamtsumme", "German" },     { "Totaux généraux", "French" },
	{ "Total général", "French" },   { "Totales generales", "Spanish" },
	{ "Total general", "Spanish" },  { "Totais gerais", "Portuguese" },
	{ "Total geral", "Portuguese" }, { "総計", "Japanese" },
};
static const struct fword footer_starts[] = {
	{ "Confidential Information", NULL },
	{ "Vertrauliche Informationen", "German" },
	{ "Informations confidentielles", "French" },
	{ "Información confidencial", "Spanish" },
	{ "Informações confidenciais", "Portuguese" },
	{ "Informacoes confidenciais", "Portuguese" },
	{ "機密情報", "Japanese" },
	{ "社外秘", "Japanese" },
	{ "Copyright", NULL },
	{ "\xC2\xA9" /* (c) sign */, NULL },
	{ "Generated By:", NULL },
	{ "Erstellt von:", "German" },
	{ "Erstellt durch:", "German" },
	{ "Généré par", "French" },
	{ "Generado por:", "Spanish" },
	{ "Gerado por:", "Portuguese" },
	{ "作成者:", "Japanese" },
};
static const struct fword footer_contains[] = {
	{ "All rights reserved", NULL },
	{ "Alle Rechte vorbehalten", "German" },
	{ "Tous droits réservés", "French" },
	{ "Todos los derechos reservados", "Spanish" },
	{ "Todos os direitos reservados", "Portuguese" },
	{ "無断転載", "Japanese" },
};

/* "Grand Totals (12 records)" / "(1 record)", "Gesamtsummen (12 Datensätze)",
 * "Totaux généraux (12 enregistrements)", "総計 (12 レコード)" */
static bool grand_totals(const char *s)
{
	s = skip_ws(s);
	size_t i = 0;
	while (i < ARRAY_LEN(totals_words) && !istarts(s, totals_words[i].w))
		i++;
	if (i == ARRAY_LEN(totals_words))
		return false;
	s = skip_ws(s + strlen(totals_words[i].w));
	if (*s++ != '(')
		return false;
	const char *d = s;
	while (isdigit((unsigned char)*s) || *s == ',' || *s == '.')
		s++;
	if (s == d)
		return false;
	s = skip_ws(s);
	/* "records)", "Datensätze)", "レコード)": one word, then the parenthesis */
	const char *w = s;
	while (*s && *s != ')' && !is_ws(*s))
		s++;
	if (s == w || *s != ')')
		return false;
	return *skip_ws(s + 1) == '\0';
}

bool imap_row_footer(const char *const *cells, size_t n, bool *in_footer)
{
	if (n == 0 || cell_empty(cells[0]))
		return false;
	if (grand_totals(cells[0])) {
		*in_footer = true;
		return true;
	}
	for (size_t i = 1; i < n; i++)
		if (!cell_empty(cells[i]))
			return false;
	const char *s = skip_ws(cells[0]);
	for (size_t i = 0; i < ARRAY_LEN(footer_starts) && !*in_footer; i++)
		*in_footer = istarts(s, footer_starts[i].w);
	for (size_t i = 0; i < ARRAY_LEN(footer_contains) && !*in_footer; i++)
		*in_footer = icontains(s, footer_contains[i].w);
	return *in_footer;
}

/* Column names of Salesforce reports (and the generic names) in the
 * languages of its reports: the language of a header. */
static const struct fword header_words[] = {
	{ "Lead-Inhaber", "German" },
	{ "Firma/Account", "German" },
	{ "Erstelldatum", "German" },
	{ "Vorname", "German" },
	{ "Nachname", "German" },
	{ "Propriétaire du lead", "French" },
	{ "Société/Compte", "French" },
	{ "Statut du lead", "French" },
	{ "Date de création", "French" },
	{ "Prénom", "French" },
	{ "Propietario del candidato", "Spanish" },
	{ "Empresa/Cuenta", "Spanish" },
	{ "Estado del candidato", "Spanish" },
	{ "Fecha de creación", "Spanish" },
	{ "Apellidos", "Spanish" },
	{ "Proprietário do lead", "Portuguese" },
	{ "Empresa/Conta", "Portuguese" },
	{ "Status do lead", "Portuguese" },
	{ "Data de criação", "Portuguese" },
	{ "Sobrenome", "Portuguese" },
};

const char *imap_header_language(const struct imap *m, const char **column)
{
	for (size_t i = 0; i < m->ncols; i++)
		for (size_t k = 0; k < ARRAY_LEN(header_words); k++)
			if (loose_eq(m->cols[i].name, header_words[k].w)) {
				*column = m->cols[i].name;
				return header_words[k].lang;
			}
	return NULL;
}

const char *imap_footer_language(const char *cell)
{
	const char *s = skip_ws(cell);
	for (size_t i = 0; i < ARRAY_LEN(totals_words); i++)
		if (istarts(s, totals_words[i].w))
			return totals_words[i].lang;
	for (size_t i = 0; i < ARRAY_LEN(footer_starts); i++)
		if (istarts(s, footer_starts[i].w))
			return footer_starts[i].lang;
	for (size_t i = 0; i < ARRAY_LEN(footer_contains); i++)
		if (icontains(s, footer_contains[i].w))
			return footer_contains[i].lang;
	return NULL;
}

void imap_add_note(struct imap *m, const char *msg)
{
	note(m, "%s", msg);
}

/*
 * A set of names without regard to ASCII case (what str_ieq compares),
 * each with a number: header names are checked and renamed in time
 * linear in the number of columns (100k columns: a wide export, or a
 * hostile one).
 */
struct nameset {
	struct nameslot {
		const char *name; /* not owned; NULL: empty */
		uint64_t h;
		unsigned k; /* the next suffix to try for this base name */
	} * v;
	size_t cap, n;
};

static uint64_t ci_hash(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++) {
		h ^= (unsigned char)tolower((unsigned char)*s);
		h *= 1099511628211u;
	}
	return h;
}

static struct nameslot *ns_slot(struct nameset *ns, const char *name, uint64_t h)
{
	size_t j = (size_t)h & (ns->cap - 1);
	while (ns->v[j].name && !(ns->v[j].h == h && str_ieq(ns->v[j].name, name)))
		j = (j + 1) & (ns->cap - 1);
	return &ns->v[j];
}

static struct nameslot *ns_find(struct nameset *ns, const char *name)
{
	if (!ns->cap)
		return NULL;
	struct nameslot *e = ns_slot(ns, name, ci_hash(name));
	return e->name ? e : NULL;
}

/* Add name (kept by the caller) unless there; its slot either way. */
static struct nameslot *ns_add(struct nameset *ns, const char *name)
{
	if (2 * (ns->n + 1) > ns->cap) {
		struct nameset big = { xcalloc(ns->cap ? 2 * ns->cap : 64, sizeof *big.v),
			               ns->cap ? 2 * ns->cap : 64, ns->n };
		for (size_t i = 0; i < ns->cap; i++)
			if (ns->v[i].name)
				*ns_slot(&big, ns->v[i].name, ns->v[i].h) = ns->v[i];
		free(ns->v);
		*ns = big;
	}
	uint64_t h = ci_hash(name);
	struct nameslot *e = ns_slot(ns, name, h);
	if (!e->name) {
		e->name = name;
		e->h = h;
		e->k = 2;
		ns->n++;
	}
	return e;
}

int imap_init(struct imap *m, const char *const *cells, size_t n, struct lerr *err)
{
	memset(m, 0, sizeof *m);
	size_t first = 0, end = n;
	while (first < n && cell_empty(cells[first]))
		first++;
	while (end > first && cell_empty(cells[end - 1]))
		end--;
	if (first == end)
		return lerr_set(err, EX_DATAERR, "the header row is empty");
	m->skip = first;
	m->width = n;
	m->ncols = end - first;
	m->cols = xcalloc(m->ncols, sizeof *m->cols);
	/* the header's own names first: a renamed duplicate avoids them all */
	char **orig = xcalloc(m->ncols, sizeof *orig);
	struct nameset header = { 0 }, taken = { 0 };
	for (size_t i = 0; i < m->ncols; i++) {
		const char *raw = cells[first + i] ? cells[first + i] : "";
		/* a BOM the reader left on the first name */
		if (i == 0 && strncmp(skip_ws(raw), "\xEF\xBB\xBF", 3) == 0)
			raw = skip_ws(raw) + 3;
		orig[i] = trim_dup(raw);
		if (!*orig[i]) {
			free(orig[i]);
			struct sb sb = SB_INIT;
			sb_addf(&sb, "column_%zu", first + i + 1);
			orig[i] = sb_detach(&sb);
		}
		ns_add(&header, orig[i]);
	}
	for (size_t i = 0; i < m->ncols; i++) {
		struct imap_col *c = &m->cols[i];
		char *name = orig[i];
		/* Duplicates: the second "Email" becomes "Email_2", avoiding
		 * names already in the header ("Email_2" itself); the suffix
		 * goes on from the last one given to this name. */
		if (ns_find(&taken, name)) {
			struct nameslot *base = ns_find(&header, name);
			struct sb sb = SB_INIT;
			for (;; base->k++) {
				sb_reset(&sb);
				sb_addf(&sb, "%s_%u", name, base->k);
				if (!ns_find(&taken, sb_str(&sb)) && !ns_find(&header, sb_str(&sb)))
					break;
			}
			base->k++;
			note(m, "duplicate column '%s' (column %zu) renamed '%s'", name,
			     first + i + 1, sb_str(&sb));
			name = sb_detach(&sb);
		}
		c->name = name;
		ns_add(&taken, c->name);
		c->kind = IMAP_EXTRA;
		c->key = xstrdup(name);
		c->origin = IMAP_BY_DEFAULT;
		c->date = IMAP_DATE_AUTO;
	}
	/* the originals renamed away are no column's name */
	for (size_t i = 0; i < m->ncols; i++)
		if (m->cols[i].name != orig[i])
			free(orig[i]);
	free(orig);
	free(header.v);
	free(taken.v);
	return 0;
}

void imap_free(struct imap *m)
{
	for (size_t i = 0; i < m->ncols; i++) {
		free(m->cols[i].name);
		free(m->cols[i].key);
	}
	free(m->cols);
	strv_free(m->notes, m->nnotes);
	memset(m, 0, sizeof *m);
}

int imap_col_find(const struct imap *m, const char *name)
{
	char *t = trim_dup(name);
	int found = -1, loose = -1, nloose = 0;
	for (size_t i = 0; i < m->ncols && found < 0; i++) {
		if (str_ieq(m->cols[i].name, t))
			found = (int)i;
		else if (loose_eq(m->cols[i].name, t)) {
			loose = (int)i;
			nloose++;
		}
	}
	free(t);
	if (found >= 0)
		return found;
	return nloose == 1 ? loose : -1;
}

bool imap_col_is_date(const struct imap_col *c)
{
	return c->kind == IMAP_FIELD && c->field && c->field->kind == FK_TIME;
}

static bool vocab_field(const struct field_desc *f)
{
	return f->kind == FK_TEXT && (f->idx == LT_STAGE || f->idx == LT_STATUS);
}

/*
 * Decide which column feeds a field when several map to it: the first
 * one the user mapped, else the first in the file; the others are
 * secondary. Stage/status columns are all used (see imap_row). A full
 * name column is secondary when first/last name columns exist.
 */
static void recompute(struct imap *m)
{
	for (size_t i = 0; i < m->ncols; i++)
		m->cols[i].secondary = false;
	/* per field, in one pass: the first column the user mapped to it, else
	 * the first in the file */
	size_t *primary = xmalloc((size_t)lead_nfields * sizeof *primary);
	bool *by_user = xcalloc((size_t)lead_nfields, sizeof *by_user);
	for (int f = 0; f < lead_nfields; f++)
		primary[f] = SIZE_MAX;
	for (size_t i = 0; i < m->ncols; i++) {
		const struct imap_col *c = &m->cols[i];
		if (c->kind != IMAP_FIELD)
			continue;
		size_t f = (size_t)(c->field - lead_fields);
		bool user = c->origin == IMAP_BY_USER;
		if (primary[f] == SIZE_MAX || (user && !by_user[f])) {
			primary[f] = i;
			by_user[f] = user;
		}
	}
	bool first_last = false;
	for (size_t i = 0; i < m->ncols; i++) {
		struct imap_col *c = &m->cols[i];
		if (c->kind != IMAP_FIELD)
			continue;
		if (!vocab_field(c->field))
			c->secondary = primary[c->field - lead_fields] != i;
		if (c->field->kind == FK_TEXT &&
		    (c->field->idx == LT_FIRST_NAME || c->field->idx == LT_LAST_NAME))
			first_last = true;
	}
	free(primary);
	free(by_user);
	bool have_name = first_last;
	for (size_t i = 0; i < m->ncols; i++) {
		struct imap_col *c = &m->cols[i];
		if (c->kind != IMAP_NAME)
			continue;
		c->secondary = have_name;
		have_name = true;
	}
}

static void map_column(struct imap_col *c, const struct imap_preset *p)
{
	const char *rest = NULL;
	struct target t;
	if (p->fields) {
		const struct field_desc *f = export_field(c->name);
		if (f && f->kind == FK_INT && f->idx == LI_ID) {
			/* our own id: mapped by this preset only; the import
			 * decides (match on it, or let the database number) */
			memset(&t, 0, sizeof t);
			t.kind = IMAP_FIELD;
			t.field = f;
			col_apply(c, &t, IMAP_BY_PRESET);
		} else if (f && preset_target(f->name, NULL, &t)) {
			col_apply(c, &t, IMAP_BY_PRESET);
		}
		return;
	}
	const struct pentry *e = table_match(p->cols, p->ncols, c->name, &rest);
	if (e && preset_target(e->to, rest, &t)) {
		col_apply(c, &t, p == GENERIC ? IMAP_BY_GENERIC : IMAP_BY_PRESET);
		return;
	}
	if (!p->generic)
		return;
	e = table_match(generic_cols, ARRAY_LEN(generic_cols), c->name, &rest);
	if (e && preset_target(e->to, rest, &t)) {
		col_apply(c, &t, IMAP_BY_GENERIC);
		return;
	}
	/* a column named after one of our fields: "priority", "Category" */
	for (int i = 0; i < lead_nfields; i++) {
		const struct field_desc *f = &lead_fields[i];
		if (importable(f) && loose_eq(c->name, f->name) &&
		    preset_target(f->name, NULL, &t)) {
			col_apply(c, &t, IMAP_BY_GENERIC);
			return;
		}
	}
}

void imap_use_preset(struct imap *m, const struct imap_preset *p)
{
	m->preset = p;
	for (size_t i = 0; i < m->ncols; i++) {
		struct imap_col *c = &m->cols[i];
		c->kind = IMAP_EXTRA;
		c->field = NULL;
		c->origin = IMAP_BY_DEFAULT;
		col_set_key(c, NULL);
		if (p)
			map_column(c, p);
	}
	recompute(m);
}

/* ---- Detection ------------------------------------------------------------ */

const char *imap_conf_name(enum imap_conf c)
{
	switch (c) {
	case IMAP_CONF_LOW:
		return "low";
	case IMAP_CONF_MEDIUM:
		return "medium";
	case IMAP_CONF_HIGH:
		return "high";
	case IMAP_CONF_NONE:
		break;
	}
	return "none";
}

/*
 * Column names too common to tell a vendor: they may be in a preset's
 * table, but never count as its own evidence.
 */
static bool weak_name(const struct imap_preset *p, const char *name)
{
	static const char *const common[] = {
		"first",   "last",     "name",    "email",       "mail",       "phone",
		"mobile",  "fax",      "address", "street",      "city",       "state",
		"zip",     "postcode", "country", "company",     "title",      "website",
		"url",     "status",   "score",   "stage",       "source",     "owner",
		"id",      "industry", "notes",   "description", "value",      "created",
		"updated", "tags",     "labels",  "rating",      "salutation", "comments",
	};
	/* leads' own export: only its key columns are its own */
	static const char *const own[] = {
		"stage_entered_at", "last_activity_at", "ext_source", "ext_id",     "step",
		"priority",         "category",         "extra",      "updated_at", "created_at"
	};
	if (p->fields) {
		for (size_t i = 0; i < ARRAY_LEN(own); i++)
			if (str_ieq(name, own[i]))
				return false;
		return true;
	}
	/* lower case, as internal names are written (HubSpot's "address",
	 * "zip"); Salesforce's API names ("FirstName") are its own */
	for (size_t i = 0; i < ARRAY_LEN(common); i++)
		if (strcmp(name, common[i]) == 0)
			return true;
	return false;
}

void imap_detect(const struct imap *m, struct imap_detection *d)
{
	enum { NP = NPRESETS - 1 }; /* every preset but generic */
	int score[NP] = { 0 }, matched[NP] = { 0 }, distinct[NP] = { 0 };
	for (size_t i = 0; i < m->ncols; i++) {
		/*
		 * A column is distinct for a preset when that preset alone
		 * spells it so; failing that, when it alone knows it even
		 * loosely. The generic names count as one more claimant: a
		 * common name ("Created", "Owner") tells no vendor apart.
		 */
		int knows[NP], nloose = 0, nexact = 0, g = preset_knows(GENERIC, m->cols[i].name);
		for (size_t p = 0; p < NP; p++) {
			knows[p] = preset_knows(&presets[p], m->cols[i].name);
			nloose += knows[p] > 0;
			nexact += knows[p] == 2;
		}
		nloose += g > 0;
		nexact += g == 2;
		for (size_t p = 0; p < NP; p++) {
			if (!knows[p])
				continue;
			matched[p]++;
			if (((nexact == 1 && knows[p] == 2) || (nexact == 0 && nloose == 1)) &&
			    !weak_name(&presets[p], m->cols[i].name)) {
				distinct[p]++;
				score[p] += 3;
			} else {
				score[p] += 1;
			}
		}
	}
	int best = -1, second = -1;
	for (int p = 0; p < (int)NP; p++) {
		if (!matched[p])
			continue;
		if (best < 0 || score[p] > score[best] ||
		    (score[p] == score[best] && distinct[p] > distinct[best])) {
			second = best;
			best = p;
		} else if (second < 0 || score[p] > score[second] ||
		           (score[p] == score[second] && distinct[p] > distinct[second])) {
			second = p;
		}
	}
	memset(d, 0, sizeof *d);
	/* distinctive evidence: two columns no other preset (nor the common
	 * names) spells so */
	if (best < 0 || distinct[best] < 2) {
		d->preset = GENERIC;
		d->conf = IMAP_CONF_NONE;
		d->runner_up = best >= 0 ? &presets[best] : NULL;
		d->runner_score = best >= 0 ? score[best] : 0;
		d->near = true; /* values may decide (imap_detect_values) */
		if (best >= 0)
			snprintf(d->why, sizeof d->why,
			         "%s knows %d column%s, %d of them its own (2 needed)",
			         presets[best].name, matched[best], matched[best] == 1 ? "" : "s",
			         distinct[best]);
		else
			snprintf(d->why, sizeof d->why, "no vendor knows these columns");
		return;
	}
	d->preset = &presets[best];
	d->matched = matched[best];
	d->distinct = distinct[best];
	d->score = score[best];
	d->runner_up = second >= 0 ? &presets[second] : NULL;
	d->runner_score = second >= 0 ? score[second] : 0;
	int margin = d->score - d->runner_score;
	if (d->distinct >= 2 && margin >= 3)
		d->conf = IMAP_CONF_HIGH;
	else if (margin > 0)
		d->conf = IMAP_CONF_MEDIUM;
	else
		d->conf = IMAP_CONF_LOW;
}

/* Is v a value of p's vocabulary that no other preset has, of two words or
 * more ("Open - Not Contacted", "Attempted to Contact")? */
static bool vendor_value(const struct imap_preset *p, const char *v)
{
	if (!strchr(v, ' '))
		return false;
	bool mine = false;
	for (size_t i = 0; i < p->nvocab && !mine; i++)
		mine = loose_eq(v, p->vocab[i].value);
	for (size_t q = 0; mine && q < NPRESETS; q++)
		for (size_t i = 0; &presets[q] != p && i < presets[q].nvocab && mine; i++)
			mine = !loose_eq(v, presets[q].vocab[i].value);
	return mine;
}

bool imap_detect_values(const struct imap *m, struct imap_detection *d, const char *const *cells,
                        size_t n)
{
	if (d->preset != GENERIC || !d->near)
		return false;
	if (!d->vready) { /* once: the stage and status columns of each vendor */
		d->vready = true;
		for (size_t i = 0; i < m->ncols && d->nv < (int)ARRAY_LEN(d->vcol); i++)
			for (size_t q = 0; q < NPRESETS && d->nv < (int)ARRAY_LEN(d->vcol); q++) {
				const struct imap_preset *p = &presets[q];
				const char *rest;
				if (p->fields || p == GENERIC || !p->nvocab)
					continue;
				const struct pentry *e =
				    table_match(p->cols, p->ncols, m->cols[i].name, &rest);
				if (e &&
				    (strcmp(e->to, "status") == 0 || strcmp(e->to, "stage") == 0)) {
					d->vcol[d->nv] = i;
					d->vpre[d->nv++] = p;
				}
			}
	}
	for (int k = 0; k < d->nv; k++) {
		const struct imap_preset *p = d->vpre[k];
		size_t i = d->vcol[k];
		if (m->skip + i >= n)
			continue;
		char *v = trim_dup(cells[m->skip + i]);
		bool yes = vendor_value(p, v);
		free(v);
		if (yes) {
			/* a vendor's own words: evidence enough with its one column */
			d->preset = p;
			d->conf = IMAP_CONF_MEDIUM;
			d->runner_up = NULL;
			snprintf(d->why, sizeof d->why, "%s's own values in column '%s'", p->name,
			         m->cols[i].name);
			d->by_values = true;
			return true;
		}
	}
	return false;
}

/* ---- User overrides ------------------------------------------------------ */

static int no_column(const struct imap *m, const char *column, struct lerr *err)
{
	const char *best = NULL;
	size_t bd = SIZE_MAX;
	for (size_t i = 0; i < m->ncols; i++) {
		size_t d = str_distance(column, m->cols[i].name);
		if (d < bd) {
			bd = d;
			best = m->cols[i].name;
		}
	}
	size_t len = strlen(column);
	if (best && bd <= (len / 3 > 2 ? len / 3 : 2))
		return lerr_set(err, EX_USAGE, "no column '%s' in the header (did you mean '%s'?)",
		                column, best);
	return lerr_set(err, EX_USAGE, "no column '%s' in the header", column);
}

int imap_set(struct imap *m, const char *column, const char *target, struct lerr *err)
{
	int i = imap_col_find(m, column);
	if (i < 0)
		return no_column(m, column, err);
	char *to = trim_dup(target);
	struct target t;
	int rc = parse_target(to, &t, err);
	if (rc == 0) {
		col_apply(&m->cols[i], &t, IMAP_BY_USER);
		recompute(m);
	} else {
		/* name the column too */
		char msg[sizeof err->msg];
		if (err) {
			snprintf(msg, sizeof msg, "%s", err->msg);
			lerr_set(err, rc, "column '%s': %s", m->cols[i].name, msg);
		}
	}
	free(to);
	return rc;
}

int imap_ignore(struct imap *m, const char *column, struct lerr *err)
{
	return imap_set(m, column, "-", err);
}

/*
 * Split "a=b,\"c,d\"=e" into pairs: commas outside double quotes end an
 * item, the last '=' outside quotes splits it. Calls fn for each.
 */
typedef int (*pair_fn)(void *ctx, const char *lhs, const char *rhs, struct lerr *err);

static int parse_pairs(const char *spec, pair_fn fn, void *ctx, struct lerr *err)
{
	struct sb cur = SB_INIT;
	long eq = -1;
	bool inq = false;
	int rc = 0;
	for (const char *p = spec ? spec : "";; p++) {
		if (*p == '\0' || (*p == ',' && !inq)) {
			if (inq) {
				rc = lerr_set(err, EX_USAGE, "unterminated quote in '%s'", spec);
				break;
			}
			char *item = xstrdup(sb_str(&cur));
			if (*skip_ws(item)) {
				if (eq < 0) {
					rc = lerr_set(err, EX_USAGE, "'%s' is not NAME=VALUE",
					              str_trim(item));
				} else {
					item[eq] = '\0';
					str_trim(item);
					char *rhs = str_trim(item + eq + 1);
					if (!*item || !*rhs)
						rc = lerr_set(err, EX_USAGE,
						              "'%s=%s' needs a name and a value",
						              item, rhs);
					else
						rc = fn(ctx, item, rhs, err);
				}
			}
			free(item);
			if (rc || *p == '\0')
				break;
			sb_reset(&cur);
			eq = -1;
			continue;
		}
		if (*p == '"') {
			if (inq && p[1] == '"') {
				sb_addc(&cur, '"');
				p++;
			} else {
				inq = !inq;
			}
			continue;
		}
		if (*p == '=' && !inq)
			eq = (long)cur.len;
		sb_addc(&cur, *p);
	}
	sb_free(&cur);
	return rc;
}

static int map_pair(void *ctx, const char *lhs, const char *rhs, struct lerr *err)
{
	return imap_set(ctx, lhs, rhs, err);
}

int imap_parse_map(struct imap *m, const char *spec, struct lerr *err)
{
	return parse_pairs(spec, map_pair, m, err);
}

int imap_parse_map_text(struct imap *m, const char *text, const char *fname, struct lerr *err)
{
	const char *p = text ? text : "";
	unsigned line = 0;
	while (*p) {
		const char *e = p;
		while (*e && *e != '\n')
			e++;
		line++;
		char *l = str_trim(xstrndup(p, (size_t)(e - p)));
		int rc = 0;
		if (*l && *l != '#') {
			char *eq = strrchr(l, '=');
			if (!eq) {
				rc = lerr_set(err, EX_USAGE,
				              "%s:%u: expected Column=field, got '%s'", fname, line,
				              l);
			} else {
				*eq = '\0';
				char *col = str_trim(l), *to = str_trim(eq + 1);
				if (!*col || !*to)
					rc = lerr_set(err, EX_USAGE, "%s:%u: expected Column=field",
					              fname, line);
				else if ((rc = imap_set(m, col, to, err)) != 0 && err) {
					char msg[sizeof err->msg];
					snprintf(msg, sizeof msg, "%s", err->msg);
					lerr_set(err, rc, "%s:%u: %s", fname, line, msg);
				}
			}
		}
		free(l);
		if (rc)
			return rc;
		p = *e ? e + 1 : e;
	}
	return 0;
}

void imap_col_describe(const struct imap_col *c, struct sb *out)
{
	switch (c->kind) {
	case IMAP_IGNORE:
		sb_adds(out, "-");
		break;
	case IMAP_FIELD:
		sb_adds(out, c->field->name);
		if (c->secondary)
			sb_adds(out, " (when empty, else extra)");
		break;
	case IMAP_NAME:
		if (c->secondary)
			sb_addf(out, "extra.%s (full name; first/last columns exist)", c->key);
		else
			sb_adds(out, "name (split into first_name, last_name)");
		break;
	case IMAP_EXTRA:
		sb_addf(out, "extra.%s", c->key);
		break;
	case IMAP_EXTRA_JSON:
		sb_adds(out, "extra (JSON object)");
		break;
	}
}

/* ---- Dates ------------------------------------------------------------------ */

static const char *const datefmt_names[] = {
	[IMAP_DATE_AUTO] = "auto",       [IMAP_DATE_ISO] = "iso",
	[IMAP_DATE_YMD] = "ymd",         [IMAP_DATE_MDY] = "mdy",
	[IMAP_DATE_DMY] = "dmy",         [IMAP_DATE_EPOCH_MS] = "epoch-ms",
	[IMAP_DATE_EPOCH_S] = "epoch-s", [IMAP_DATE_ANY_MDY] = "any-mdy",
	[IMAP_DATE_ANY_DMY] = "any-dmy", [IMAP_DATE_PATTERN] = "pattern",
};

bool imap_datefmt_parse(const char *name, enum imap_datefmt *fmt)
{
	for (size_t i = 0; name && i < IMAP_DATE_PATTERN; i++)
		if (loose_eq(name, datefmt_names[i])) {
			*fmt = (enum imap_datefmt)i;
			return true;
		}
	return false;
}

const char *imap_datefmt_name(enum imap_datefmt fmt)
{
	return (size_t)fmt < ARRAY_LEN(datefmt_names) ? datefmt_names[fmt] : "?";
}

/* min..max digits, and no more digits after them. */
static bool num(const char **pp, int min, int max, int *out)
{
	const char *p = *pp;
	int v = 0, k = 0;
	while (k < max && *p >= '0' && *p <= '9') {
		v = v * 10 + (*p - '0');
		p++;
		k++;
	}
	if (k < min || (*p >= '0' && *p <= '9'))
		return false;
	*pp = p;
	*out = v;
	return true;
}

/*
 * A zone at the end of a value: "", "UTC", "GMT", "Z", each optionally
 * followed by an offset, or an offset alone (+01:00, -0500, +1). *off is
 * the offset east of UTC in seconds.
 */
static _Thread_local bool date_zoned; /* the value being read named its zone */

static bool zone_tail(const char *p, int64_t *off)
{
	*off = 0;
	p = skip_ws(p);
	if (*p == '\0')
		return true;
	if (!strchr("UuGgZz+-", *p)) /* the usual: a time follows, no zone */
		return false;
	bool named = false;
	if ((strncasecmp(p, "UTC", 3) == 0 || strncasecmp(p, "GMT", 3) == 0)) {
		p += 3;
		named = true;
	} else if (*p == 'Z' || *p == 'z') {
		return (date_zoned = *skip_ws(p + 1) == '\0');
	}
	if (named)
		p = skip_ws(p);
	if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, h = 0, mi = 0, k = 0;
		p++;
		while (*p >= '0' && *p <= '9' && k < 4) {
			h = h * 10 + (*p++ - '0');
			k++;
		}
		if (k == 0 || k == 3)
			return false;
		if (k == 4) {
			mi = h % 100;
			h /= 100;
		} else if (*p == ':') {
			p++;
			if (!num(&p, 2, 2, &mi))
				return false;
		}
		if (h > 14 || mi > 59)
			return false;
		*off = sign * ((int64_t)h * 3600 + mi * 60);
	} else if (!named) {
		return false;
	}
	return (date_zoned = *skip_ws(p) == '\0');
}

/* What may follow a date: nothing, or [T| |, ]H:MM[:SS[.frac]] [AM|PM],
 * then a zone (zone_tail), which *secs takes off. */
static bool time_tail(const char *p, int64_t *secs)
{
	int64_t off;
	*secs = 0;
	if (zone_tail(p, &off) && (*skip_ws(p) == '\0' || is_ws(*p))) {
		*secs = -off; /* "14 Mar 2024 UTC" */
		return true;
	}
	if (*p == 'T' || *p == 't') {
		p++;
	} else {
		if (*p == ',')
			p++;
		if (!is_ws(*p))
			return false;
		p = skip_ws(p);
	}
	int h, mi, s = 0;
	if (!num(&p, 1, 2, &h) || *p != ':')
		return false;
	p++;
	if (!num(&p, 2, 2, &mi))
		return false;
	if (*p == ':') {
		p++;
		if (!num(&p, 2, 2, &s))
			return false;
		if (*p == '.') {
			p++;
			if (*p < '0' || *p > '9')
				return false;
			while (*p >= '0' && *p <= '9')
				p++;
		}
	}
	p = skip_ws(p);
	int ampm = 0; /* 1 = AM, 2 = PM */
	char c0 = (char)tolower((unsigned char)p[0]);
	if (c0 == 'a' || c0 == 'p') {
		char c1 = (char)tolower((unsigned char)p[1]);
		if (c1 == 'm') {
			p += 2;
		} else if (c1 == '.' && tolower((unsigned char)p[2]) == 'm' && p[3] == '.') {
			p += 4;
		} else {
			return false;
		}
		ampm = c0 == 'a' ? 1 : 2;
	}
	if (!zone_tail(p, &off))
		return false;
	if (ampm) {
		if (h < 1 || h > 12)
			return false;
		h = h % 12 + (ampm == 2 ? 12 : 0);
	} else if (h > 23) {
		return false;
	}
	if (mi > 59 || s > 59)
		return false;
	*secs = (int64_t)h * 3600 + mi * 60 + s - off;
	return true;
}

static bool civil(int y, int m, int d, const char *rest, int64_t *out)
{
	if (y < 1900 || y > 9999 || m < 1 || d < 1 ||
	    !ltime_valid_date(y, (unsigned)m, (unsigned)d))
		return false;
	int64_t secs;
	if (!time_tail(rest, &secs))
		return false;
	*out = ltime_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + secs;
	return true;
}

static bool parse_ymd(const char *s, int64_t *out)
{
	const char *p = skip_ws(s);
	int y, m, d;
	if (!num(&p, 4, 4, &y))
		return false;
	char sep = *p;
	if (sep != '-' && sep != '/' && sep != '.')
		return false;
	p++;
	if (!num(&p, 1, 2, &m) || *p != sep)
		return false;
	p++;
	if (!num(&p, 1, 2, &d))
		return false;
	return civil(y, m, d, p, out);
}

/*
 * Month names and their abbreviations in the languages the presets serve
 * (English, German, French, Spanish, Portuguese), lower case. A word names
 * a month when it is one of these or, three letters or more, begins one
 * ("Sept", "janv", "févr"); "Mrz" is listed as it is written.
 */
static const struct {
	const char *name;
	int month;
} month_names[] = {
	{ "january", 1 },   { "janvier", 1 },    { "januar", 1 },    { "enero", 1 },
	{ "janeiro", 1 },   { "jän", 1 },        { "february", 2 },  { "februar", 2 },
	{ "février", 2 },   { "fevrier", 2 },    { "febrero", 2 },   { "fevereiro", 2 },
	{ "march", 3 },     { "märz", 3 },       { "maerz", 3 },     { "mrz", 3 },
	{ "mars", 3 },      { "marzo", 3 },      { "março", 3 },     { "marco", 3 },
	{ "april", 4 },     { "avril", 4 },      { "abril", 4 },     { "may", 5 },
	{ "mai", 5 },       { "mayo", 5 },       { "maio", 5 },      { "june", 6 },
	{ "juni", 6 },      { "juin", 6 },       { "junio", 6 },     { "junho", 6 },
	{ "july", 7 },      { "juli", 7 },       { "juillet", 7 },   { "julio", 7 },
	{ "julho", 7 },     { "august", 8 },     { "août", 8 },      { "aout", 8 },
	{ "agosto", 8 },    { "september", 9 },  { "septembre", 9 }, { "septiembre", 9 },
	{ "setiembre", 9 }, { "setembro", 9 },   { "october", 10 },  { "oktober", 10 },
	{ "octobre", 10 },  { "octubre", 10 },   { "outubro", 10 },  { "november", 11 },
	{ "novembre", 11 }, { "noviembre", 11 }, { "novembro", 11 }, { "december", 12 },
	{ "dezember", 12 }, { "décembre", 12 },  { "decembre", 12 }, { "diciembre", 12 },
	{ "dezembro", 12 },
};

/* The month a word [w, w+n) names, or 0. ASCII case is folded; a trailing
 * '.' of an abbreviation is the caller's to drop. */
static int month_word(const char *w, size_t n)
{
	char low[16];
	if (n < 3 || n >= sizeof low)
		return 0;
	for (size_t i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)w[i]);
	/* "Mär", "Déc", "Févr": the capital of an accented letter, in UTF-8 */
	for (size_t i = 0; i + 1 < n; i++)
		if ((unsigned char)low[i] == 0xC3 && (unsigned char)low[i + 1] >= 0x80 &&
		    (unsigned char)low[i + 1] <= 0x9E)
			low[i + 1] = (char)(low[i + 1] + 0x20);
	for (size_t i = 0; i < ARRAY_LEN(month_names); i++) {
		const char *m = month_names[i].name;
		size_t k = strlen(m);
		if (k == n ? memcmp(m, low, n) == 0 : k > n && strncmp(m, low, n) == 0)
			return month_names[i].month;
	}
	return 0;
}

static bool is_alpha8(char c)
{
	return isalpha((unsigned char)c) || (unsigned char)c >= 0x80;
}

/* Two-digit years: 69-99 are 1969-1999, 00-68 are 2000-2068 (POSIX strptime's %y). */
static int year_of(int y, int digits)
{
	if (digits == 2)
		return y >= 69 ? 1900 + y : 2000 + y;
	return digits == 4 ? y : -1;
}

/*
 * A date with its month as a word, in any of the orders exports and
 * spreadsheets write: "Mar 14, 2024", "March 14 2024", "14-Mar-2024",
 * "14-Mar-24", "14 March 2024", "14. März 2024", "14 de marzo de 2024",
 * "2024-Mar-14", each optionally followed by a time and a zone.
 */
static bool parse_named(const char *s, int64_t *out)
{
	const char *p = skip_ws(s);
	int month = 0, nums[2], ndig[2], nn = 0;
	while (*p && (nn < 2 || !month)) {
		if (*p >= '0' && *p <= '9') {
			if (nn == 2)
				return false;
			const char *b = p;
			if (!num(&p, 1, 4, &nums[nn]))
				return false;
			ndig[nn++] = (int)(p - b);
		} else if (is_alpha8(*p)) {
			const char *b = p;
			while (is_alpha8(*p))
				p++;
			size_t n = (size_t)(p - b);
			int mo = month_word(b, n);
			if (mo && !month)
				month = mo;
			else if (!(n == 2 && strncasecmp(b, "de", 2) == 0))
				return false; /* only Spanish and Portuguese "de" between */
			if (*p == '.')
				p++;
		} else if (*p == ' ' || *p == '-' || *p == '/' || *p == '.' || *p == ',' ||
		           *p == '\t') {
			p++;
		} else {
			return false;
		}
		if (nn == 2 && month)
			break;
	}
	if (nn != 2 || !month)
		return false;
	int y, d;
	if (ndig[0] == 4) { /* 2024-Mar-14 */
		y = nums[0];
		d = nums[1];
		if (ndig[1] > 2)
			return false;
	} else {
		if (ndig[0] > 2)
			return false;
		d = nums[0];
		y = year_of(nums[1], ndig[1]);
	}
	if (*p == ',')
		p++;
	return civil(y, month, d, p, out);
}

/* A weekday (or any word that is no month) in front: "Thu, 14 Mar 2024",
 * "Thursday March 14, 2024", "Do., 14.03.2024". */
static const char *skip_weekday(const char *s)
{
	const char *p = skip_ws(s), *b = p;
	while (is_alpha8(*p) || (*p == '-' && p > b && is_alpha8(p[1])))
		p++;
	size_t n = (size_t)(p - b);
	if (n < 2 || month_word(b, n))
		return s;
	if (*p == '.')
		p++;
	if (*p == ',')
		p++;
	if (!is_ws(*p))
		return s;
	return skip_ws(p);
}

/* MM/DD/YYYY (month_first) or DD/MM/YYYY; '.' only day-first (German);
 * two-digit years (3/14/24, 14.03.24) by year_of(). A month written as a
 * word reads the same either way (parse_named). */
/* Whether the date part of p (up to its time) has a month word. */
static bool has_month_word(const char *p)
{
	for (; *p && *p != ':'; p++) {
		if (!is_alpha8(*p))
			continue;
		const char *b = p;
		while (is_alpha8(p[1]))
			p++;
		if (month_word(b, (size_t)(p + 1 - b)))
			return true;
	}
	return false;
}

static bool parse_xy(const char *s, bool month_first, int64_t *out)
{
	const char *p = skip_ws(s);
	if (*p < '0' || *p > '9') { /* "Thu, 3/14/2024", "Mar 14, 2024" */
		p = skip_weekday(s);
		if (*p < '0' || *p > '9')
			return parse_named(p, out);
	}
	const char *d = p;
	int a, b, y;
	if (!num(&p, 1, 2, &a))
		return has_month_word(d) && parse_named(d, out); /* "2024-Mar-14" */
	char sep = *p;
	if (sep != '/' && sep != '-' && !(sep == '.' && !month_first))
		return has_month_word(d) && parse_named(d, out); /* "14 Mar 2024" */
	p++;
	if (!num(&p, 1, 2, &b) || *p != sep)
		return has_month_word(d) && parse_named(d, out); /* "14-Mar-2024" */
	p++;
	const char *yb = p;
	if (!num(&p, 2, 4, &y) || (y = year_of(y, (int)(p - yb))) < 0)
		return false;
	return month_first ? civil(y, a, b, p, out) : civil(y, b, a, p, out);
}

/* Seconds: 9-10 digits, milliseconds: 12-13 (1973-2286 either way), so a
 * YYYYMMDD number or a small count is never taken for a time. */
static bool parse_epoch(const char *s, bool ms, int64_t *out)
{
	const char *p = skip_ws(s);
	int64_t v = 0;
	int k = 0;
	while (*p >= '0' && *p <= '9' && k < 14) {
		v = v * 10 + (*p - '0');
		p++;
		k++;
	}
	if (*skip_ws(p) != '\0')
		return false;
	if (ms ? (k < 12 || k > 13) : (k < 9 || k > 10))
		return false;
	date_zoned = true;
	*out = ms ? v / 1000 : v;
	return true;
}

static bool date_parse(enum imap_datefmt fmt, const char *s, int64_t *out)
{
	if (!s)
		return false;
	switch (fmt) {
	case IMAP_DATE_ISO: {
		const char *b;
		size_t n;
		trim_span(s, &b, &n);
		/* an offset or Z after the date part */
		for (size_t k = 10; k < n; k++)
			if (b[k] == '+' || b[k] == '-' || b[k] == 'Z' || b[k] == 'z')
				date_zoned = true;
		if (b[n] == '\0')
			return ltime_parse(b, out);
		char buf[64];
		if (n >= sizeof buf)
			return false;
		memcpy(buf, b, n);
		buf[n] = '\0';
		return ltime_parse(buf, out);
	}
	case IMAP_DATE_YMD:
		return parse_ymd(s, out);
	case IMAP_DATE_MDY:
		return parse_xy(s, true, out);
	case IMAP_DATE_DMY:
		return parse_xy(s, false, out);
	case IMAP_DATE_EPOCH_MS:
		return parse_epoch(s, true, out);
	case IMAP_DATE_EPOCH_S:
		return parse_epoch(s, false, out);
	case IMAP_DATE_ANY_MDY:
	case IMAP_DATE_ANY_DMY:
		for (int f = IMAP_DATE_ISO; f <= IMAP_DATE_EPOCH_S; f++)
			if ((f != IMAP_DATE_MDY || fmt == IMAP_DATE_ANY_MDY) &&
			    (f != IMAP_DATE_DMY || fmt == IMAP_DATE_ANY_DMY) &&
			    date_parse((enum imap_datefmt)f, s, out))
				return true;
		return false;
	case IMAP_DATE_PATTERN: /* imap_date_pattern(), with the column's pattern */
		return false;
	case IMAP_DATE_AUTO:
		break;
	}
	bool got = false;
	int64_t first = 0;
	for (int f = IMAP_DATE_ISO; f <= IMAP_DATE_EPOCH_S; f++) {
		int64_t t;
		if (!date_parse((enum imap_datefmt)f, s, &t))
			continue;
		if (got && t != first)
			return false;
		got = true;
		first = t;
	}
	if (got)
		*out = first;
	return got;
}

bool imap_datefmt_is_pattern(const char *fmt)
{
	return fmt && strchr(fmt, '%');
}

/* n digits at most (at least one) into *v. */
static bool pat_num(const char **pp, int max, int *v)
{
	const char *p = *pp;
	int k = 0;
	*v = 0;
	while (k < max && *p >= '0' && *p <= '9') {
		*v = *v * 10 + (*p++ - '0');
		k++;
	}
	if (!k)
		return false;
	*pp = p;
	return true;
}

static bool pat_run(const char *pat, const char **sp, int *y, int *mo, int *d, int *h, int *mi,
                    int *sec, int *ampm, int64_t *off, bool *zoned, int64_t *epoch, int depth)
{
	const char *s = *sp;
	for (const char *p = pat; *p; p++) {
		if (*p == ' ') {
			s = skip_ws(s);
			continue;
		}
		if (*p != '%') {
			if (tolower((unsigned char)*p) != tolower((unsigned char)*s))
				return false;
			s++;
			continue;
		}
		p++;
		int v;
		const char *b;
		switch (*p) {
		case 'Y':
			b = s;
			if (!pat_num(&s, 4, y) || s - b != 4)
				return false;
			break;
		case 'y':
			b = s;
			if (!pat_num(&s, 2, &v) || s - b != 2)
				return false;
			*y = year_of(v, 2);
			break;
		case 'm':
			if (!pat_num(&s, 2, mo))
				return false;
			break;
		case 'd':
		case 'e':
			s = *p == 'e' ? skip_ws(s) : s;
			if (!pat_num(&s, 2, d))
				return false;
			break;
		case 'H':
		case 'I':
			if (!pat_num(&s, 2, h))
				return false;
			break;
		case 'M':
			if (!pat_num(&s, 2, mi))
				return false;
			break;
		case 'S':
			if (!pat_num(&s, 2, sec))
				return false;
			if (*s == '.' && s[1] >= '0' && s[1] <= '9') /* a fraction */
				for (s++; *s >= '0' && *s <= '9'; s++)
					;
			break;
		case 'p': {
			char c0 = (char)tolower((unsigned char)s[0]);
			if ((c0 != 'a' && c0 != 'p') || tolower((unsigned char)s[1]) != 'm')
				return false;
			*ampm = c0 == 'a' ? 1 : 2;
			s += 2;
			break;
		}
		case 'b':
		case 'B':
		case 'h':
		case 'a':
		case 'A':
			b = s;
			while (is_alpha8(*s))
				s++;
			if (s == b)
				return false;
			if (*p != 'a' && *p != 'A' && !(*mo = month_word(b, (size_t)(s - b))))
				return false;
			if (*s == '.')
				s++;
			break;
		case 'z':
		case 'Z': {
			/* up to the next literal of the pattern, or the end */
			char stop = p[1] == '%' ? '\0' : p[1];
			const char *e = s;
			while (*e && *e != stop)
				e++;
			char zbuf[32];
			size_t zn = (size_t)(e - s);
			if (zn >= sizeof zbuf)
				return false;
			memcpy(zbuf, s, zn);
			zbuf[zn] = '\0';
			if (!zone_tail(zbuf, off) || zn == 0)
				return false;
			*zoned = true;
			s = e;
			break;
		}
		case 's': {
			int64_t t = 0;
			b = s;
			while (*s >= '0' && *s <= '9' && s - b < 12)
				t = t * 10 + (*s++ - '0');
			if (s == b)
				return false;
			*epoch = t;
			*zoned = true;
			break;
		}
		case 'T':
		case 'F':
		case 'D':
			if (depth > 0 ||
			    !pat_run(*p == 'T'   ? "%H:%M:%S"
			             : *p == 'F' ? "%Y-%m-%d"
			                         : "%m/%d/%y",
			             &s, y, mo, d, h, mi, sec, ampm, off, zoned, epoch, depth + 1))
				return false;
			break;
		case '%':
			if (*s++ != '%')
				return false;
			break;
		default:
			return false;
		}
	}
	*sp = s;
	return true;
}

bool imap_date_pattern(const char *pat, const char *s, int64_t *out, bool *zoned)
{
	int y = 1970, mo = 1, d = 1, h = 0, mi = 0, sec = 0, ampm = 0;
	int64_t off = 0, epoch = -1;
	*zoned = false;
	s = skip_ws(s);
	if (!pat_run(pat, &s, &y, &mo, &d, &h, &mi, &sec, &ampm, &off, zoned, &epoch, 0) ||
	    *skip_ws(s) != '\0')
		return false;
	if (epoch >= 0) {
		*out = epoch;
		return true;
	}
	if (ampm) {
		if (h < 1 || h > 12)
			return false;
		h = h % 12 + (ampm == 2 ? 12 : 0);
	}
	if (h > 23 || mi > 59 || sec > 59 || y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    !ltime_valid_date(y, (unsigned)mo, (unsigned)d))
		return false;
	*out = ltime_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
	       sec - off;
	return true;
}

bool imap_date_parse_zoned(enum imap_datefmt fmt, const char *s, int64_t *out, bool *zoned)
{
	date_zoned = false;
	bool ok = date_parse(fmt, s, out);
	*zoned = date_zoned;
	return ok;
}

bool imap_date_parse(enum imap_datefmt fmt, const char *s, int64_t *out)
{
	bool zoned;
	return imap_date_parse_zoned(fmt, s, out, &zoned);
}

/* A time after the date, on a 24-hour clock: "10:15", "16:20:05",
 * "T09:30:00.5Z", and no AM/PM after it. */
static bool clock_24h(const char *p)
{
	while (*p == ' ' || *p == ',' || *p == 'T')
		p++;
	int h, mi, sec;
	if (!num(&p, 1, 2, &h) || *p++ != ':' || !num(&p, 2, 2, &mi) || h > 23)
		return false;
	if (*p == ':' && (p++, !num(&p, 2, 2, &sec)))
		return false;
	if (*p == '.') /* a fraction */
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	p = skip_ws(p);
	return !(*p == 'a' || *p == 'A' || *p == 'p' || *p == 'P');
}

unsigned imap_date_hints(const char *v)
{
	int64_t t;
	const char *p = skip_ws(skip_weekday(v)), *b = p;
	if (is_alpha8(*p)) { /* "Mar 14, 2024", "March 14 2024" */
		while (is_alpha8(*p))
			p++;
		if (!month_word(b, (size_t)(p - b)))
			return 0;
		if (*p == '.')
			p++;
		p = skip_ws(p);
		int day;
		if (num(&p, 1, 2, &day) && (*p == ',' || is_ws(*p)) && parse_named(b, &t))
			return IMAP_HINT_WORD_DAY;
		return 0;
	}
	int a, m, y;
	if (!num(&p, 1, 2, &a))
		return 0;
	if (*p == '/' || *p == '-') { /* "03/01/2024 10:15": the clock may tell */
		const char *q = p + 1, *yb;
		if (num(&q, 1, 2, &m) && *q == *p && (yb = ++q, num(&q, 2, 4, &y)) && q - yb != 3 &&
		    *q && (parse_xy(b, true, &t) || parse_xy(b, false, &t)))
			return clock_24h(q) ? IMAP_HINT_24H : 0;
	}
	/* "14 Mar 2024", "14-Mar-24", "14. März 2024", "14 de marzo de 2024" */
	while (*p == ' ' || *p == '-' || *p == '.' || *p == '/')
		p++;
	if ((p[0] == 'd' || p[0] == 'D') && p[1] == 'e' && p[2] == ' ')
		p = skip_ws(p + 2);
	const char *w = p;
	while (is_alpha8(*p))
		p++;
	if (p > w && month_word(w, (size_t)(p - w)) && parse_named(b, &t))
		return IMAP_HINT_DAY_WORD;
	return 0;
}

#define ALL_FORMATS                                                                                \
	((1u << IMAP_DATE_ISO) | (1u << IMAP_DATE_YMD) | (1u << IMAP_DATE_MDY) |                   \
	 (1u << IMAP_DATE_DMY) | (1u << IMAP_DATE_EPOCH_MS) | (1u << IMAP_DATE_EPOCH_S))

void imap_datedet_init(struct imap_datedet *d)
{
	memset(d, 0, sizeof *d);
	d->possible = ALL_FORMATS;
}

void imap_datedet_feed(struct imap_datedet *d, const char *value, uint64_t line)
{
	if (cell_empty(value))
		return;
	d->nvalues++;
	if (!d->sample)
		d->sample = trim_dup(value);
	int64_t t, tm = 0, td = 0;
	bool proved = d->only_mdy || d->only_dmy;
	if (!d->possible) { /* the formats are mixed: still, the day/month proof */
		bool m = imap_date_parse(IMAP_DATE_MDY, value, &t);
		bool dd = imap_date_parse(IMAP_DATE_DMY, value, &t);
		d->only_mdy |= m && !dd;
		d->only_dmy |= dd && !m;
		if (!proved && (d->only_mdy || d->only_dmy))
			d->proof = trim_dup(value);
		return;
	}
	bool pm = false, pd = false;
	for (int f = IMAP_DATE_ISO; f <= IMAP_DATE_EPOCH_S; f++) {
		unsigned bit = 1u << f;
		if (!(d->possible & bit))
			continue;
		if (!imap_date_parse((enum imap_datefmt)f, value, &t)) {
			d->possible &= ~bit;
		} else if (f == IMAP_DATE_MDY) {
			pm = true;
			tm = t;
		} else if (f == IMAP_DATE_DMY) {
			pd = true;
			td = t;
		}
	}
	if (pm && pd && tm != td)
		d->differ = true;
	/* the day/month proof: a reading one order gives and the other not
	 * (once an order is ruled out, its parse is no longer tried) */
	d->only_mdy |= pm && !pd;
	d->only_dmy |= pd && !pm;
	if (!proved && (d->only_mdy || d->only_dmy))
		d->proof = trim_dup(value);
	if (!d->possible) {
		d->bad = trim_dup(value);
		d->bad_line = line;
	}
}

enum imap_dverdict imap_datedet_verdict(const struct imap_datedet *d, const char *column,
                                        enum imap_datefmt *fmt, struct lerr *err)
{
	static const enum imap_datefmt order[] = { IMAP_DATE_ISO, IMAP_DATE_YMD, IMAP_DATE_EPOCH_MS,
		                                   IMAP_DATE_EPOCH_S };
	if (!column)
		column = "?";
	if (d->nvalues == 0)
		return IMAP_DV_EMPTY;
	if (!d->possible) {
		char where[48] = "";
		if (d->bad_line)
			snprintf(where, sizeof where, "line %" PRIu64 ": ", d->bad_line);
		int64_t t;
		if (imap_date_parse(IMAP_DATE_AUTO, d->bad, &t) ||
		    imap_date_parse(IMAP_DATE_MDY, d->bad, &t))
			lerr_set(err, EX_DATAERR,
			         "column '%s': %s'%s' is not in the date format of the values "
			         "before it (like '%s'); use --date-format",
			         column, where, d->bad, d->sample);
		else
			lerr_set(err, EX_DATAERR,
			         "column '%s': %s'%s' is not a date (known formats: ISO 8601, "
			         "MM/DD/YYYY [hh:mm AM], DD/MM/YYYY, DD.MM.YY [HH:MM], "
			         "YYYY-MM-DD HH:MM:SS, Mar 14, 2024, 14-Mar-24, epoch seconds or "
			         "milliseconds)",
			         column, where, d->bad);
		return IMAP_DV_BAD;
	}
	for (size_t i = 0; i < ARRAY_LEN(order); i++)
		if (d->possible & (1u << order[i])) {
			*fmt = order[i];
			return IMAP_DV_ONE;
		}
	bool m = d->possible & (1u << IMAP_DATE_MDY), dm = d->possible & (1u << IMAP_DATE_DMY);
	if (m && dm && d->differ) {
		lerr_set(err, EX_DATAERR,
		         "column '%s': dates like '%s' may be MM/DD/YYYY or DD/MM/YYYY; "
		         "say which with --date-format mdy or --date-format dmy",
		         column, d->sample);
		return IMAP_DV_AMBIGUOUS;
	}
	/* both fit but never differ (every day equals its month): either */
	*fmt = m ? IMAP_DATE_MDY : IMAP_DATE_DMY;
	return IMAP_DV_ONE;
}

void imap_datedet_free(struct imap_datedet *d)
{
	free(d->bad);
	free(d->sample);
	free(d->proof);
	memset(d, 0, sizeof *d);
}

/* ---- Value vocabularies ------------------------------------------------- */

/*
 * Values are matched loosely (case, spaces, '_' and '-' ignored); keys
 * are stored in that normal form so a lookup normalizes the value once
 * and compares with strcmp: the import resolves one status per row.
 */
static size_t norm_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += !loose_skip(*s);
	return n;
}

static void norm_into(const char *s, char *out)
{
	for (; *s; s++)
		if (!loose_skip(*s))
			*out++ = (char)tolower((unsigned char)*s);
	*out = '\0';
}

static char *norm_dup(const char *s)
{
	char *k = xmalloc(norm_len(s) + 1);
	norm_into(s, k);
	return k;
}

/* A built-in meaning: preset vocabulary, our own names, generic words. */
struct ventry {
	char *key;
	int stage; /* index, -1 = none */
	const char *status;
	bool literal;
};

struct vpair {
	char *key;
	int stage; /* index, -1 = explicitly none */
	const char *status;
	bool has_stage, has_status;
};

struct imap_vmap {
	const struct imap_preset *p;
	const struct stage *stages;
	size_t nstages;
	struct ventry *built; /* in lookup order; the first match wins */
	size_t nbuilt, bcap;
	struct vpair *pairs;
	size_t npairs, cap;
};

static int ref_stage(const struct imap_vmap *vm, enum sref r);

static struct ventry *built_find(const struct imap_vmap *vm, const char *key)
{
	for (size_t i = 0; i < vm->nbuilt; i++)
		if (strcmp(vm->built[i].key, key) == 0)
			return &vm->built[i];
	return NULL;
}

static void built_add(struct imap_vmap *vm, const char *value, int stage, const char *status,
                      bool literal)
{
	char *key = norm_dup(value);
	struct ventry *e = built_find(vm, key);
	if (e) {
		/* an earlier meaning wins; a literal stage and status of the
		 * same name combine */
		if (literal && e->literal && e->stage < 0)
			e->stage = stage;
		free(key);
		return;
	}
	vm->built = xgrow(vm->built, &vm->bcap, vm->nbuilt + 1, sizeof *vm->built);
	vm->built[vm->nbuilt++] = (struct ventry){ key, stage, status, literal };
}

static void built_vocab(struct imap_vmap *vm, const struct vocab *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		built_add(vm, v[i].value, ref_stage(vm, v[i].stage), v[i].status, false);
}

struct imap_vmap *imap_vmap_new(const struct imap_preset *p, const struct stage *stages,
                                size_t nstages)
{
	struct imap_vmap *vm = xcalloc(1, sizeof *vm);
	vm->p = p;
	vm->stages = stages;
	vm->nstages = nstages;
	bool exact = p && p->fields; /* our own export: literal values only */
	if (p && !exact)
		built_vocab(vm, p->vocab, p->nvocab);
	for (int i = 0; lead_statuses[i]; i++)
		built_add(vm, lead_statuses[i], -1, lead_statuses[i], true);
	for (size_t i = 0; i < nstages; i++) {
		if (stages[i].name)
			built_add(vm, stages[i].name, (int)i, NULL, true);
		if (stages[i].key)
			built_add(vm, stages[i].key, (int)i, NULL, true);
	}
	if (!exact)
		built_vocab(vm, generic_vocab, ARRAY_LEN(generic_vocab));
	return vm;
}

void imap_vmap_free(struct imap_vmap *vm)
{
	if (!vm)
		return;
	for (size_t i = 0; i < vm->nbuilt; i++)
		free(vm->built[i].key);
	free(vm->built);
	for (size_t i = 0; i < vm->npairs; i++)
		free(vm->pairs[i].key);
	free(vm->pairs);
	free(vm);
}

static int stage_by_name(const struct imap_vmap *vm, const char *name)
{
	for (size_t i = 0; i < vm->nstages; i++)
		if ((vm->stages[i].name && loose_eq(vm->stages[i].name, name)) ||
		    (vm->stages[i].key && loose_eq(vm->stages[i].key, name)))
			return (int)i;
	return -1;
}

static const char *status_by_name(const char *s)
{
	for (int i = 0; lead_statuses[i]; i++)
		if (loose_eq(lead_statuses[i], s))
			return lead_statuses[i];
	return NULL;
}

int imap_vmap_add(struct imap_vmap *vm, const char *value, const char *stage, const char *status,
                  struct lerr *err)
{
	int si = -1;
	const char *st = NULL;
	if (stage && strcmp(stage, "-") != 0) {
		si = stage_by_name(vm, stage);
		if (si < 0) {
			struct sb sb = SB_INIT;
			for (size_t i = 0; i < vm->nstages; i++)
				sb_addf(&sb, "%s%s", i ? ", " : "", vm->stages[i].name);
			int rc = lerr_set(err, EX_USAGE, "unknown stage '%s' for '%s' (stages: %s)",
			                  stage, value, sb_str(&sb));
			sb_free(&sb);
			return rc;
		}
	}
	if (status && strcmp(status, "-") != 0) {
		st = status_by_name(status);
		if (!st)
			return lerr_set(err, EX_USAGE,
			                "unknown status '%s' for '%s' (new, active, inactive, "
			                "unqualified)",
			                status, value);
	}
	char *key = norm_dup(value);
	struct vpair *vp = NULL;
	for (size_t i = 0; i < vm->npairs && !vp; i++)
		if (strcmp(vm->pairs[i].key, key) == 0)
			vp = &vm->pairs[i];
	if (vp) {
		free(key);
	} else {
		vm->pairs = xgrow(vm->pairs, &vm->cap, vm->npairs + 1, sizeof *vm->pairs);
		vp = &vm->pairs[vm->npairs++];
		memset(vp, 0, sizeof *vp);
		vp->key = key;
		vp->stage = -1;
	}
	if (stage) {
		vp->has_stage = true;
		vp->stage = si;
	}
	if (status) {
		vp->has_status = true;
		vp->status = st;
	}
	return 0;
}

static int stage_pair(void *ctx, const char *lhs, const char *rhs, struct lerr *err)
{
	return imap_vmap_add(ctx, lhs, rhs, NULL, err);
}

static int status_pair(void *ctx, const char *lhs, const char *rhs, struct lerr *err)
{
	return imap_vmap_add(ctx, lhs, NULL, rhs, err);
}

int imap_vmap_parse_stage(struct imap_vmap *vm, const char *spec, struct lerr *err)
{
	return parse_pairs(spec, stage_pair, vm, err);
}

int imap_vmap_parse_status(struct imap_vmap *vm, const char *spec, struct lerr *err)
{
	return parse_pairs(spec, status_pair, vm, err);
}

static int ref_stage(const struct imap_vmap *vm, enum sref r)
{
	if (r == S_NONE)
		return -1;
	if (sref_defs[r].prefer) {
		int i = stage_by_name(vm, sref_defs[r].prefer);
		if (i >= 0)
			return i;
	}
	int k = 0, last = -1;
	for (size_t i = 0; i < vm->nstages; i++) {
		if (vm->stages[i].grp != sref_defs[r].grp)
			continue;
		if (k++ == sref_defs[r].nth)
			return (int)i;
		last = (int)i;
	}
	return last;
}

enum imap_vres imap_vmap_resolve(const struct imap_vmap *vm, const char *value,
                                 struct imap_value *out)
{
	out->stage = -1;
	out->status = NULL;
	out->literal = false;
	if (cell_empty(value))
		return IMAP_V_EMPTY;
	char small[128];
	size_t n = norm_len(value);
	char *key = n < sizeof small ? small : xmalloc(n + 1);
	norm_into(value, key);
	bool known = false;
	const struct ventry *e = built_find(vm, key);
	if (e) {
		known = true;
		out->stage = e->stage;
		out->status = e->status;
		out->literal = e->literal;
	}
	for (size_t i = 0; i < vm->npairs; i++) {
		const struct vpair *p = &vm->pairs[i];
		if (strcmp(p->key, key) != 0)
			continue;
		known = true;
		out->literal = false;
		if (p->has_stage)
			out->stage = p->stage;
		if (p->has_status)
			out->status = p->status;
		break;
	}
	if (key != small)
		free(key);
	return known ? IMAP_V_OK : IMAP_V_UNKNOWN;
}

/* ---- Names ------------------------------------------------------------------ */

static bool name_suffix(const char *w, size_t n)
{
	static const char *const sfx[] = { "jr", "jr.", "sr", "sr.", "ii",  "iii",
		                           "iv", "phd", "md", "esq", "esq." };
	for (size_t i = 0; i < ARRAY_LEN(sfx); i++)
		if (strlen(sfx[i]) == n && strncasecmp(w, sfx[i], n) == 0)
			return true;
	return false;
}

void imap_split_name(const char *full, char **first, char **last)
{
	const char *b;
	size_t n;
	trim_span(full, &b, &n);
	const char *comma = memchr(b, ',', n);
	if (comma && !memchr(comma + 1, ',', n - (size_t)(comma + 1 - b))) {
		/* "Gómez, Ana" (unless it is "Ana Gómez, Jr.") */
		const char *a = comma + 1;
		while (a < b + n && is_ws(*a))
			a++;
		if (!name_suffix(a, (size_t)(b + n - a))) {
			const char *le = comma;
			while (le > b && is_ws(le[-1]))
				le--;
			*last = xstrndup(b, (size_t)(le - b));
			*first = xstrndup(a, (size_t)(b + n - a));
			return;
		}
	}
	/* the last word, or the last two when it is a suffix ("King Jr.") */
	const char *e = b + n, *w = e;
	while (w > b && !is_ws(w[-1]))
		w--;
	if (w > b && name_suffix(w, (size_t)(e - w))) {
		const char *w2 = w;
		while (w2 > b && is_ws(w2[-1]))
			w2--;
		while (w2 > b && !is_ws(w2[-1]))
			w2--;
		if (w2 > b)
			w = w2;
	}
	if (w == b) {
		*first = xstrndup(b, n);
		*last = xstrdup("");
		return;
	}
	const char *fe = w;
	while (fe > b && (is_ws(fe[-1]) || fe[-1] == ','))
		fe--;
	*first = xstrndup(b, (size_t)(fe - b));
	*last = xstrndup(w, (size_t)(e - w));
}

/* ---- JSON ------------------------------------------------------------------- */

void imap_json_string(struct sb *out, const char *s)
{
	sb_add_json_strn(out, s ? s : "", s ? strlen(s) : 0);
}

char *imap_extra_json(const char *const *keys, const char *const *vals, size_t n)
{
	struct sb sb = SB_INIT;
	sb_addc(&sb, '{');
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_addc(&sb, ',');
		imap_json_string(&sb, keys[i]);
		sb_addc(&sb, ':');
		imap_json_string(&sb, vals[i]);
	}
	sb_addc(&sb, '}');
	return sb_detach(&sb);
}

/* ---- Rows -------------------------------------------------------------------- */

int imap_row_shape(const struct imap *m, const char *const *cells, size_t n, struct lerr *err)
{
	size_t need = m->skip + m->ncols;
	if (n < need)
		return lerr_set(err, EX_DATAERR, "too few fields: %zu, the header has %zu", n,
		                need);
	for (size_t i = 0; i < n; i++) {
		if (i >= m->skip && i < need)
			continue;
		if (cell_empty(cells[i]))
			continue;
		if (i < m->width)
			return lerr_set(err, EX_DATAERR,
			                "field %zu has a value but no column header", i + 1);
		return lerr_set(err, EX_DATAERR, "too many fields: %zu, the header has %zu", n,
		                m->width);
	}
	return 0;
}

/* The custom fields of one row, as spans into the cells. */
struct kv {
	const char *key;
	char *owned_key; /* when renamed to stay unique */
	const char *v;
	size_t vn;
};

struct rowctx {
	const struct imap *m;
	const struct imap_vmap *vm;
	struct lead *l;
	struct imap_warn *w;
	struct kv *kv; /* inl, or the heap when a row has more */
	size_t nkv, cap;
	struct kv inl[16];
	struct span {
		const char *s;
		size_t n;
	} * obj; /* insides of extra JSON objects */
	size_t nobj, objcap;
	int stage;
	const char *status;
	size_t *kh; /* kv indexes + 1 by key hash, for wide rows (kv_has) */
	size_t khcap;
	char *email_rest; /* the other addresses of the email cell */
	char *email_name; /* the display name of "Name <addr>" */
};

static void row_warn(struct imap_warn *w, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void row_warn(struct imap_warn *w, const char *fmt, ...)
{
	if (!w || w->msg[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof w->msg, fmt, ap);
	va_end(ap);
}

static uint64_t cs_hash(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211u;
	}
	return h;
}

/* A wide row (thousands of custom fields) looks its keys up in a hash of
 * kv indexes + 1, built once it passes KV_HASH_AT: linear in the columns. */
#define KV_HASH_AT 32

static void kv_hash_put(struct rowctx *x, size_t i)
{
	size_t j = (size_t)cs_hash(x->kv[i].key) & (x->khcap - 1);
	while (x->kh[j])
		j = (j + 1) & (x->khcap - 1);
	x->kh[j] = i + 1;
}

static bool kv_has(const struct rowctx *x, const char *key)
{
	if (x->kh) {
		size_t j = (size_t)cs_hash(key) & (x->khcap - 1);
		for (; x->kh[j]; j = (j + 1) & (x->khcap - 1))
			if (strcmp(x->kv[x->kh[j] - 1].key, key) == 0)
				return true;
		return false;
	}
	for (size_t i = 0; i < x->nkv; i++)
		if (strcmp(x->kv[i].key, key) == 0)
			return true;
	return false;
}

static void kv_add(struct rowctx *x, const char *key, const char *v, size_t vn)
{
	if (x->nkv == x->cap) {
		struct kv *heap = xmalloc(2 * x->cap * sizeof *heap);
		memcpy(heap, x->kv, x->nkv * sizeof *heap);
		if (x->kv != x->inl)
			free(x->kv);
		x->kv = heap;
		x->cap *= 2;
	}
	struct kv *e = &x->kv[x->nkv];
	e->owned_key = NULL;
	e->key = key;
	e->v = v;
	e->vn = vn;
	if (kv_has(x, key)) {
		struct sb sb = SB_INIT;
		for (unsigned k = 2;; k++) {
			sb_reset(&sb);
			sb_addf(&sb, "%s_%u", key, k);
			if (!kv_has(x, sb_str(&sb)))
				break;
		}
		e->owned_key = sb_detach(&sb);
		e->key = e->owned_key;
	}
	x->nkv++;
	if (x->nkv >= KV_HASH_AT && 2 * x->nkv > x->khcap) {
		free(x->kh);
		x->khcap = x->khcap ? 2 * x->khcap : 4 * KV_HASH_AT;
		x->kh = xcalloc(x->khcap, sizeof *x->kh);
		for (size_t i = 0; i < x->nkv; i++)
			kv_hash_put(x, i);
	} else if (x->kh) {
		kv_hash_put(x, x->nkv - 1);
	}
}

static void set_text(struct lead *l, int idx, const char *v, size_t vn)
{
	free(l->t[idx]);
	l->t[idx] = xstrndup(v, vn);
}

static void apply_vocab(struct rowctx *x, const struct imap_col *c, const char *v, size_t vn)
{
	const struct field_desc *f = c->field;
	if (!x->vm) {
		if (!x->l->t[f->idx])
			set_text(x->l, f->idx, v, vn);
		return;
	}
	char small[128], *val = vn < sizeof small ? small : xmalloc(vn + 1);
	memcpy(val, v, vn);
	val[vn] = '\0';
	struct imap_value r;
	enum imap_vres res = imap_vmap_resolve(x->vm, val, &r);
	if (res == IMAP_V_UNKNOWN) {
		if (x->w)
			x->w->unknown++;
		row_warn(x->w, "column '%s': unknown value '%s'", c->name, val);
		kv_add(x, c->key, v, vn);
	} else if (res == IMAP_V_OK) {
		if (!r.literal)
			kv_add(x, c->key, v, vn); /* keep the vendor's word */
		if (r.stage >= 0) {
			/* the stage furthest along wins; won/lost over active */
			const struct stage *st = x->vm->stages;
			if (x->stage < 0)
				x->stage = r.stage;
			else if (st[x->stage].grp == GRP_ACTIVE &&
			         (st[r.stage].grp != GRP_ACTIVE || r.stage > x->stage))
				x->stage = r.stage;
		}
		if (r.status && !x->status)
			x->status = r.status;
	}
	if (val != small)
		free(val);
}

/*
 * close_date: a date as the column's date format reads it, stored as the
 * calendar day "YYYY-MM-DD" (of the instant in UTC); one it cannot read is
 * kept as a custom field with a warning, as for numbers.
 */
static void apply_close_date(struct rowctx *x, const struct imap_col *c, const char *v, size_t vn,
                             const char *raw)
{
	char buf[16];
	int64_t t = 0;
	if (vn == 10) {
		memcpy(buf, v, 10);
		buf[10] = '\0';
		if (lead_date_ok(buf, NULL)) {
			lead_set(x->l, LT_CLOSE_DATE, buf);
			return;
		}
	}
	if (imap_date_parse(c->date, raw, &t)) {
		int64_t y;
		unsigned m, d;
		ltime_civil_from_days(t >= 0 ? t / 86400 : -((-t + 86399) / 86400), &y, &m, &d);
		if (y >= 1000 && y <= 9999) {
			snprintf(buf, sizeof buf, "%04d-%02u-%02u", (int)y, m, d);
			lead_set(x->l, LT_CLOSE_DATE, buf);
			return;
		}
	}
	if (x->w)
		x->w->bad_value++;
	row_warn(x->w, "column '%s': '%.*s' is not a date; kept as a custom field", c->name,
	         (int)(vn > 64 ? 64 : vn), v);
	kv_add(x, c->key, v, vn);
}

/*
 * The email cell: normalised as add and edit do (lib/lead.c); "Name <addr>"
 * gives the address (the name too, when the row has none); of several
 * addresses the first is the email, the others a custom field. A cell
 * that holds no address is not the row's end (import's one leniency,
 * DECISIONS "One validator"): the text is kept as a custom field under
 * the column's name with a warning, the email left empty, and the caller
 * keeps the lead if something else identifies it (w->bad_email).
 */
static void apply_email(struct rowctx *x, const struct imap_col *c, const char *v, size_t vn)
{
	struct lead *l = x->l;
	bool plain = true; /* the usual cell: one bare ASCII address */
	/* not plain: separators, a display name, and the lead bytes of the
	 * invisible characters lead_text_clean takes out (é, ü... are plain) */
	static const char special[] = ",;< \xC2\xE1\xE2\xE3\xEF";
	char small[256];
	if (vn < sizeof small) {
		memcpy(small, v, vn);
		small[vn] = '\0';
		plain = !small[strcspn(small, special)];
	} else {
		plain = false;
	}
	if (plain) {
		set_text(l, LT_EMAIL, v, vn);
		if (lead_email_canon(l->t[LT_EMAIL]))
			return;
	} else {
		char *cell = xstrndup(v, vn), *addr, *name, *rest;
		bool ok =
		    !x->email_rest && !x->email_name && lead_email_split(cell, &addr, &name, &rest);
		free(cell);
		if (ok) {
			free(l->t[LT_EMAIL]);
			l->t[LT_EMAIL] = addr;
			x->email_name = name;
			x->email_rest = rest;
			if (rest)
				kv_add(x, "other_emails", rest, strlen(rest));
			return;
		}
	}
	free(l->t[LT_EMAIL]);
	l->t[LT_EMAIL] = NULL;
	if (x->w) {
		x->w->bad_value++;
		if (!x->w->bad_email) {
			x->w->bad_email = v;
			x->w->bad_email_len = vn;
		}
	}
	row_warn(x->w, "column '%s': '%.*s' is not an email address; kept as a custom field",
	         c->name, (int)(vn > 64 ? 64 : vn), v);
	kv_add(x, c->key, v, vn);
}

static int apply_field(struct rowctx *x, const struct imap_col *c, const char *raw, const char *v,
                       size_t vn, struct lerr *err)
{
	(void)err; /* no value refuses the row here: kept as a custom field */
	const struct field_desc *f = c->field;
	struct lead *l = x->l;
	if (f->kind == FK_TEXT) {
		if (f->idx == LT_EMAIL && !(c->secondary && l->t[f->idx])) {
			apply_email(x, c, v, vn);
		} else if (vocab_field(f)) {
			apply_vocab(x, c, v, vn);
		} else if (f->idx == LT_CLOSE_DATE && !(c->secondary && l->t[f->idx])) {
			apply_close_date(x, c, v, vn, raw);
		} else if (c->secondary && l->t[f->idx]) {
			kv_add(x, c->key, v, vn);
		} else {
			set_text(l, f->idx, v, vn);
		}
		return 0;
	}
	if (c->secondary && l->has[f->idx]) {
		kv_add(x, c->key, v, vn);
		return 0;
	}
	int64_t n = 0;
	char small[64];
	bool zoned = false; /* FK_TIME: the value carried its own zone */
	switch (f->kind) {
	case FK_TIME:
		if (c->date == IMAP_DATE_PATTERN
		        ? imap_date_pattern(c->pattern, raw, &n, &zoned)
		        : imap_date_parse_zoned(c->date, raw, &n, &zoned)) {
			/* a local time of the file's zone (--timezone) */
			if (x->m->tz && !zoned)
				n = tz_local_to_utc(x->m->tz, n);
		} else {
			/* the lead is kept, the text too: a warning (--strict: a reject) */
			int64_t t;
			bool ambiguous = c->date == IMAP_DATE_AUTO &&
			                 imap_date_parse(IMAP_DATE_MDY, raw, &t) &&
			                 imap_date_parse(IMAP_DATE_DMY, raw, &n);
			if (x->w)
				x->w->bad_value++;
			if (c->date == IMAP_DATE_AUTO)
				row_warn(x->w, "column '%s': '%.*s' is %s; kept as a custom field",
				         c->name, (int)(vn > 64 ? 64 : vn), v,
				         ambiguous
				             ? "an ambiguous date (use --date-format mdy or dmy)"
				             : "not a date");
			else
				row_warn(x->w,
				         "column '%s': '%.*s' is not a date in the %s format; kept "
				         "as a custom field",
				         c->name, (int)(vn > 64 ? 64 : vn), v,
				         c->date == IMAP_DATE_PATTERN ? c->pattern
				                                      : imap_datefmt_name(c->date));
			kv_add(x, c->key, v, vn);
			return 0;
		}
		break;
	case FK_MONEY:
	case FK_INT:
		if (vn < sizeof small) {
			memcpy(small, v, vn);
			small[vn] = '\0';
		}
		if (vn >= sizeof small ||
		    !(f->kind == FK_MONEY ? lead_money_parse(small, &n) : str_to_i64(small, &n))) {
			if (x->w)
				x->w->bad_value++;
			row_warn(x->w, "column '%s': '%.*s' is not a %s; kept as a custom field",
			         c->name, (int)(vn > 64 ? 64 : vn), v,
			         f->kind == FK_MONEY ? "money amount (at most " LEAD_MONEY_MAX_TEXT
			                               ")"
			                             : "number");
			kv_add(x, c->key, v, vn);
			return 0;
		}
		break;
	case FK_TEXT:
		break;
	}
	lead_set_int(l, (enum lead_int)f->idx, n);
	return 0;
}

static void apply_name(struct rowctx *x, const struct imap_col *c, const char *v, size_t vn)
{
	struct lead *l = x->l;
	if (c->secondary && (l->t[LT_FIRST_NAME] || l->t[LT_LAST_NAME])) {
		kv_add(x, c->key, v, vn);
		return;
	}
	char *full = xstrndup(v, vn), *first, *last;
	imap_split_name(full, &first, &last);
	if (!l->t[LT_FIRST_NAME])
		lead_set(l, LT_FIRST_NAME, first);
	if (!l->t[LT_LAST_NAME])
		lead_set(l, LT_LAST_NAME, last);
	free(full);
	free(first);
	free(last);
}

/* The inside of a JSON object text "{ ... }", trimmed; false if s is not
 * shaped like an object. */
static bool obj_inner(const char *s, size_t n, const char **in, size_t *inn)
{
	if (n < 2 || s[0] != '{' || s[n - 1] != '}')
		return false;
	const char *b = s + 1, *e = s + n - 1;
	while (b < e && is_ws(*b))
		b++;
	while (e > b && is_ws(e[-1]))
		e--;
	*in = b;
	*inn = (size_t)(e - b);
	return true;
}

static char *build_extra(const struct rowctx *x)
{
	if (x->nobj == 0 && x->nkv == 0)
		return NULL;
	/* one allocation for the usual row: nothing to escape */
	size_t est = 2;
	for (size_t i = 0; i < x->nobj; i++)
		est += x->obj[i].n + 1;
	for (size_t i = 0; i < x->nkv; i++)
		est += strlen(x->kv[i].key) + x->kv[i].vn + 6;
	struct sb sb = { xmalloc(est + 16), 0, est + 16 };
	sb.buf[0] = '\0';
	bool any = false;
	sb_addc(&sb, '{');
	for (size_t i = 0; i < x->nobj; i++) {
		if (!x->obj[i].n)
			continue;
		if (any)
			sb_addc(&sb, ',');
		sb_add(&sb, x->obj[i].s, x->obj[i].n);
		any = true;
	}
	for (size_t i = 0; i < x->nkv; i++) {
		if (any)
			sb_addc(&sb, ',');
		imap_json_string(&sb, x->kv[i].key);
		sb_addc(&sb, ':');
		sb_add_json_strn(&sb, x->kv[i].v, x->kv[i].vn);
		any = true;
	}
	if (!any) {
		sb_free(&sb);
		return NULL;
	}
	sb_addc(&sb, '}');
	return sb_detach(&sb);
}

int imap_row(const struct imap *m, const struct imap_vmap *vm, const char *const *cells, size_t n,
             struct lead *l, struct imap_warn *w, struct lerr *err)
{
	int rc = imap_row_shape(m, cells, n, err);
	if (rc)
		return rc;
	const char *const *row = cells + m->skip;
	/* our own export is read back byte for byte: no trimming */
	bool exact = m->preset && m->preset->fields;
	struct rowctx x = { .m = m, .vm = vm, .l = l, .w = w, .stage = -1 };
	x.kv = x.inl;
	x.cap = ARRAY_LEN(x.inl);
	/* primary columns first, so a secondary one knows whether its field is filled */
	for (int pass = 0; pass < 2 && !rc; pass++) {
		for (size_t i = 0; i < m->ncols && !rc; i++) {
			const struct imap_col *c = &m->cols[i];
			if (c->secondary != (pass == 1))
				continue;
			const char *v;
			size_t vn;
			trim_span(row[i], &v, &vn);
			if (vn == 0)
				continue;
			if (exact && c->kind != IMAP_EXTRA_JSON) {
				v = row[i];
				vn = strlen(v);
			}
			switch (c->kind) {
			case IMAP_IGNORE:
				break;
			case IMAP_EXTRA:
				kv_add(&x, c->key, v, vn);
				break;
			case IMAP_EXTRA_JSON: {
				const char *in;
				size_t inn;
				if (obj_inner(v, vn, &in, &inn)) {
					x.obj = xgrow(x.obj, &x.objcap, x.nobj + 1, sizeof *x.obj);
					x.obj[x.nobj].s = in;
					x.obj[x.nobj++].n = inn;
				} else {
					kv_add(&x, c->key, v, vn);
				}
				break;
			}
			case IMAP_NAME:
				apply_name(&x, c, v, vn);
				break;
			case IMAP_FIELD:
				rc = apply_field(&x, c, row[i], v, vn, err);
				break;
			}
		}
	}
	if (!rc) {
		if (vm && x.stage >= 0)
			lead_set(l, LT_STAGE, vm->stages[x.stage].key);
		if (x.status)
			lead_set(l, LT_STATUS, x.status);
		if (m->preset && m->preset->ext_source && !l->t[LT_EXT_SOURCE])
			lead_set(l, LT_EXT_SOURCE, m->preset->ext_source);
		if (x.email_name && !l->t[LT_FIRST_NAME] && !l->t[LT_LAST_NAME]) {
			char *first, *last;
			imap_split_name(x.email_name, &first, &last);
			lead_set(l, LT_FIRST_NAME, first);
			lead_set(l, LT_LAST_NAME, last);
			free(first);
			free(last);
		}
		free(l->t[LT_EXTRA]);
		l->t[LT_EXTRA] = build_extra(&x);
	}
	for (size_t i = 0; i < x.nkv; i++)
		free(x.kv[i].owned_key);
	if (x.kv != x.inl)
		free(x.kv);
	free(x.obj);
	free(x.email_rest);
	free(x.email_name);
	free(x.kh);
	return rc;
}
