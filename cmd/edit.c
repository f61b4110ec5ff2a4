/* edit.c - `leads edit LEAD --FIELD VALUE ...`: change fields, with history. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

const struct opt opts_edit[] = {
	FIELD_OPTS,
	{ 0 },
};

int cmd_edit(struct ctx *c, struct args *a)
{
	bool any = false;
	for (int i = 0; i < NFIELD_OPTS; i++)
		any |= a->val[i] != NULL;
	if (!any)
		return usage_error(c, "nothing to change");
	struct lead l;
	int rc = find_lead(c, a->argv[0], &l);
	if (rc)
		return rc;
	char *owner = l.t[LT_OWNER] ? xstrdup(l.t[LT_OWNER]) : NULL;
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
	}
	free(owner);
	lead_free(&l);
	return rc;
}
