/* rules.c - what routing and scoring share (see rules.h). */
#include "rules.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Freed by route.c and score.c; declared here to keep their headers small. */
void route_config_free(struct route_config *rc);
void score_config_free(struct score_config *sc);

struct rules_config *rules_of(struct config *cfg)
{
	if (!cfg->rules)
		cfg->rules = xcalloc(1, sizeof *cfg->rules);
	return cfg->rules;
}

void rules_release(struct config *cfg)
{
	struct rules_config *r = cfg->rules;
	if (!r)
		return;
	route_config_free(r->route);
	score_config_free(r->score);
	free(r->routing_yaml);
	free(r->scoring_yaml);
	free(r);
	cfg->rules = NULL;
}

/* ---- echo ---- */

static void scalar(struct sb *out, const yaml_node_t *n)
{
	const char *s = ly_scalar(n);
	if (!s || ly_is_null(n)) {
		sb_adds(out, "~");
		return;
	}
	/* keep plain words plain (true, 50, 30d), quote anything flow style would misread */
	if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && *s &&
	    !strpbrk(s, ",[]{}#:&*!|>'\"%@`") && s[0] != '-' && s[0] != '?' && s[0] != ' ' &&
	    s[strlen(s) - 1] != ' ') {
		sb_adds(out, s);
		return;
	}
	ly_emit_str(out, s);
}

static void flow(struct yaml_ctx *y, struct sb *out, yaml_node_t *n)
{
	if (ly_is_map(n)) {
		sb_addc(out, '{');
		for (size_t i = 0; i < ly_map_len(n); i++) {
			if (i)
				sb_adds(out, ", ");
			scalar(out, ly_map_key(y, n, i));
			sb_adds(out, ": ");
			flow(y, out, ly_map_val(y, n, i));
		}
		sb_addc(out, '}');
	} else if (ly_is_seq(n)) {
		sb_addc(out, '[');
		for (size_t i = 0; i < ly_seq_len(n); i++) {
			if (i)
				sb_adds(out, ", ");
			flow(y, out, ly_seq_at(y, n, i));
		}
		sb_addc(out, ']');
	} else {
		scalar(out, n);
	}
}

/* One level in block style at indent, the rest in flow style. */
static void block(struct yaml_ctx *y, struct sb *out, yaml_node_t *n, int indent, int levels)
{
	if (levels == 0 || (!ly_is_map(n) && !ly_is_seq(n)) || ly_seq_len(n) + ly_map_len(n) == 0) {
		sb_addc(out, ' ');
		flow(y, out, n);
		sb_addc(out, '\n');
		return;
	}
	sb_addc(out, '\n');
	if (ly_is_seq(n)) {
		for (size_t i = 0; i < ly_seq_len(n); i++) {
			sb_addf(out, "%*s-", indent, "");
			block(y, out, ly_seq_at(y, n, i), indent + 2, 0);
		}
		return;
	}
	for (size_t i = 0; i < ly_map_len(n); i++) {
		sb_addf(out, "%*s", indent, "");
		scalar(out, ly_map_key(y, n, i));
		sb_addc(out, ':');
		block(y, out, ly_map_val(y, n, i), indent + 2, levels - 1);
	}
}

char *rules_yaml_echo(struct yaml_ctx *y, const char *key, yaml_node_t *n)
{
	struct sb out = SB_INIT;
	sb_addf(&out, "%s:", key);
	block(y, &out, n, 2, 3);
	return sb_detach(&out);
}

/* ---- mail ---- */

static void line(struct sb *out, const char *label, const char *value)
{
	if (str_empty(value))
		return;
	/* "  %-9s %s\n" without printf: a bulk run writes a million of these */
	size_t n = strlen(label);
	sb_add(out, "  ", 2);
	sb_add(out, label, n);
	sb_add(out, "          ", n < 10 ? 10 - n : 1);
	sb_adds(out, value);
	sb_addc(out, '\n');
}

void rules_lead_details(const struct config *cfg, const struct lead *l, struct sb *out)
{
	char name[256], buf[64];
	lead_display_name(l, name, sizeof name);
	struct sb head = SB_INIT;
	snprintf(buf, sizeof buf, "#%" PRId64 " ", l->i[LI_ID]);
	sb_adds(&head, buf);
	sb_adds(&head, name);
	line(out, "Lead:", head.buf);
	sb_free(&head);
	line(out, "Email:", l->t[LT_EMAIL]);
	line(out, "Phone:", l->t[LT_PHONE]);
	line(out, "Company:", l->t[LT_COMPANY]);
	line(out, "Title:", l->t[LT_TITLE]);
	line(out, "Source:", l->t[LT_SOURCE]);
	const struct stage *st = l->t[LT_STAGE] ? config_stage(cfg, l->t[LT_STAGE]) : NULL;
	line(out, "Stage:", st ? st->name : l->t[LT_STAGE]);
	line(out, "Status:", l->t[LT_STATUS]);
	line(out, "Owner:", l->t[LT_OWNER]);
	snprintf(buf, sizeof buf, "%" PRId64, l->i[LI_SCORE]);
	line(out, "Score:", buf);
	if (l->has[LI_VALUE]) {
		lead_money_fmt(l->i[LI_VALUE], buf);
		line(out, "Value:", buf);
	}
	sb_addf(out, "\nSee it with: leads show %" PRId64 "\n", l->i[LI_ID]);
}

/* ---- batches ---- */

static void batch_clear(struct lead_batch *b)
{
	for (int i = 0; i < b->n; i++)
		lead_free(&b->v[i]);
	b->n = 0;
}

void lead_batch_free(struct lead_batch *b)
{
	batch_clear(b);
	for (int i = 0; i < LEAD_BATCH; i++)
		act_list_free(&b->acts[i].list);
}

static int batch_act(int64_t lead_id, int kind, int64_t at, void *ctx)
{
	struct lead_batch *b = ctx;
	/* ids ascend in the batch: binary search */
	int lo = 0, hi = b->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int64_t id = b->v[mid].i[LI_ID];
		if (id == lead_id) {
			act_list_add(&b->acts[mid].list, kind, at);
			return 0;
		}
		if (id < lead_id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return 0; /* a lead of the id range outside the scope */
}

static bool in_scope(const struct lead_batch *b, const struct lead *l)
{
	if (b->scope == RS_ALL)
		return true;
	if (b->scope == RS_UNASSIGNED && l->t[LT_OWNER])
		return false;
	const struct stage *st = l->t[LT_STAGE] ? config_stage(b->cfg, l->t[LT_STAGE]) : NULL;
	return st && st->grp == GRP_ACTIVE && strcmp(lead_get(l, LT_STATUS), "unqualified") != 0;
}

int lead_batch_next(struct db *db, struct lead_batch *b, struct lerr *err)
{
	batch_clear(b);
	/* read by id and keep the leads in scope, until a batch is full or the table ends */
	while (b->n < LEAD_BATCH) {
		int want = LEAD_BATCH - b->n, got = 0;
		int rc = db_lead_batch(db, b->scope, b->after, &b->v[b->n], want, &got, err);
		if (rc)
			return rc;
		if (got) /* before lead_free() below clears it */
			b->after = b->v[b->n + got - 1].i[LI_ID];
		int keep = b->n;
		for (int i = b->n; i < b->n + got; i++) {
			if (in_scope(b, &b->v[i]))
				b->v[keep++] = b->v[i];
			else
				lead_free(&b->v[i]);
		}
		b->n = keep;
		if (got < want)
			break;
	}
	if (b->n == 0)
		return 0;
	int rc = 0;
	for (int i = 0; i < b->n; i++) {
		struct act_src *a = &b->acts[i];
		a->db = db;
		a->rc = 0;
		act_list_reset(&a->list, b->v[i].i[LI_ID]);
		a->list.loaded = b->with_acts;
	}
	if (b->with_acts)
		rc = db_act_range(db, b->v[0].i[LI_ID], b->v[b->n - 1].i[LI_ID], batch_act, b, err);
	return rc;
}

void rules_lead_copy(struct lead *dst, const struct lead *src)
{
	*dst = *src;
	for (int i = 0; i < LT__COUNT; i++)
		dst->t[i] = src->t[i] ? xstrdup(src->t[i]) : NULL;
}

void rules_lead_snap(struct lead_snap *s, const struct lead *src)
{
	size_t len[LT__COUNT], need = 0;
	for (int i = 0; i < LT__COUNT; i++) {
		len[i] = src->t[i] ? strlen(src->t[i]) + 1 : 0;
		need += len[i];
	}
	if (need > s->cap) {
		free(s->buf);
		s->cap = need + need / 2 + 256;
		s->buf = xmalloc(s->cap);
	}
	s->l = *src;
	char *p = s->buf;
	for (int i = 0; i < LT__COUNT; i++) {
		if (!src->t[i])
			continue;
		memcpy(p, src->t[i], len[i]);
		s->l.t[i] = p;
		p += len[i];
	}
}

void rules_lead_snap_free(struct lead_snap *s)
{
	free(s->buf);
	memset(s, 0, sizeof *s);
}
