/* edit.c - `leads edit LEAD --FIELD VALUE ...`: change fields, with history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "sequence.h"

enum { E_DNE = NFIELD_OPTS, E_OK };
const struct opt opts_edit[] = {
	FIELD_OPTS,
	[E_DNE] = { "do-not-email", 0, NULL,
	            "send this lead no mail (sequences stop; every send checks it)", 0, COMP_NONE,
	            NULL },
	[E_OK] = { "email-ok", 0, NULL, "mail to this lead is allowed again", 0, COMP_NONE, NULL },
	{ 0 },
};

/* --do-not-email / --email-ok: the flag every send to the lead checks. */
static int mail_flag(struct ctx *c, struct lead *l, bool dne)
{
	int n = 0;
	if (db_mail_do_not_email(c->db, l->i[LI_ID], dne, c->now, &c->err) ||
	    (dne &&
	     db_seq_stop_lead(c->db, l->i[LI_ID], NULL, "do not email", c->now, &n, &c->err)))
		return fail_err(c);
	return record(c, l, "do_not_email", dne ? "false" : "true", dne ? "true" : "false", NULL);
}

int cmd_edit(struct ctx *c, struct args *a)
{
	bool any = false;
	for (int i = 0; i < NFIELD_OPTS; i++)
		any |= a->val[i] != NULL;
	bool flag = a->val[E_DNE] || a->val[E_OK];
	if (a->val[E_DNE] && a->val[E_OK])
		return usage_error(c, "give one of --do-not-email and --email-ok");
	if (!any && !flag)
		return usage_error(c, "nothing to change");
	struct lead l;
	int rc = find_lead(c, a->argv[0], &l);
	if (rc)
		return rc;
	if (flag && (rc = mail_flag(c, &l, a->val[E_DNE] != NULL))) {
		lead_free(&l);
		return rc;
	}
	if (!any) {
		lead_free(&l);
		return 0;
	}
	char *owner = l.t[LT_OWNER] ? xstrdup(l.t[LT_OWNER]) : NULL;
	char *email = l.t[LT_EMAIL] ? xstrdup(l.t[LT_EMAIL]) : NULL;
	if (!(rc = set_fields_from_args(c, &l, a)) && lc_identifiable(&l, &c->err))
		rc = usage_error(c, "lead #%lld would have no email, name, company or phone left",
		                 (long long)l.i[LI_ID]);
	if (!rc && !(rc = lead_action(c, &l)) && !(rc = run_hook(c, &l, HK_UPDATED, NULL))) {
		/* the new owner is told, the open tasks follow (lib/lifecycle.h) */
		struct lc lc = ctx_lc(c);
		if ((rc = lc_owner_changed(&lc, &l, owner, true)))
			rc = fail_err(c);
		if (!rc && (rc = db_lead_update(c->db, &l, &c->err)))
			rc = fail_err(c);
		/* a new address has not bounced: mail may go to it again */
		bool changed = (email == NULL) != (l.t[LT_EMAIL] == NULL) ||
		               (email && strcmp(email, l.t[LT_EMAIL]) != 0);
		if (!rc && changed && db_mail_bounce_clear(c->db, l.i[LI_ID], &c->err))
			rc = fail_err(c);
	}
	free(email);
	free(owner);
	lead_free(&l);
	return rc;
}
