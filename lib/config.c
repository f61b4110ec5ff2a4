/*
 * config.c - YAML -> struct config, validation, the built-in default and
 * writing the effective config back as YAML.
 *
 * Each mapping is walked with a key table (lib/lyaml.h); cross-checks that
 * need the whole file (stage keys, the groups present, managers for
 * escalation) run after the walk and point at the nodes concerned.
 */
#include "config.h"
#include "lyaml.h"
#include "tz.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const grp_names[] = { "active", "won", "lost" };
static const char *const role_names[] = { "rep", "manager" };
static const char *const default_priorities[] = { "low", "normal", "high", "urgent" };

#define DEFAULT_MAIL_FROM "leads <leads@localhost>"
#define DEFAULT_SENDMAIL  "/usr/sbin/sendmail -t -i"

const char *stage_group_name(enum stage_group g)
{
	return (size_t)g < ARRAY_LEN(grp_names) ? grp_names[g] : "?";
}

/* ---- sections other modules parse ---- */

struct section {
	const char *key;
	config_parse_fn parse;
	config_write_fn write;
	config_release_fn release;
};

#define MAX_SECTIONS 16
static struct section sections[MAX_SECTIONS] = {
	{ "business_hours", NULL, NULL, NULL }, { "routing", NULL, NULL, NULL },
	{ "scoring", NULL, NULL, NULL },        { "workflows", NULL, NULL, NULL },
	{ "import", NULL, NULL, NULL },
};
static size_t nsections = 5;

static const char *const core_keys[] = { "pipeline",   "priorities", "default_priority",
	                                 "categories", "status",     "team",
	                                 "mail",       "timezone",   "alias" };

int config_register_section(const char *key, config_parse_fn parse, config_write_fn write,
                            config_release_fn release)
{
	if (str_empty(key))
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(core_keys); i++)
		if (strcmp(core_keys[i], key) == 0)
			return -1;
	size_t i = 0;
	while (i < nsections && strcmp(sections[i].key, key) != 0)
		i++;
	if (i == nsections) {
		if (nsections == MAX_SECTIONS)
			return -1;
		sections[nsections++].key = xstrdup(key); /* lives as long as the program */
	}
	sections[i].parse = parse;
	sections[i].write = write;
	sections[i].release = release;
	return 0;
}

/* ---- small helpers ---- */

char *config_slug(const char *name)
{
	struct sb sb = SB_INIT;
	bool dash = false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		unsigned char c = *p;
		bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
		if (c >= 'A' && c <= 'Z') {
			c = (unsigned char)(c - 'A' + 'a');
			keep = true;
		}
		if (!keep) {
			dash = sb.len > 0;
			continue;
		}
		if (dash)
			sb_addc(&sb, '-');
		dash = false;
		sb_addc(&sb, (char)c);
	}
	return sb_detach(&sb);
}

static bool has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

static bool email_ok(const char *s)
{
	const char *at = strchr(s, '@');
	if (!at || at == s || strchr(at + 1, '@') || !at[1])
		return false;
	/* local part: no spaces, specials or empty dot-separated atoms */
	for (const char *p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7f || strchr("(),:;<>[]\\\"", c))
			return false;
		if (c == '.' && (p == s || p + 1 == at || p[1] == '.'))
			return false;
	}
	/* domain: dot-separated labels of letters, digits and inner dashes */
	const char *label = at + 1;
	for (const char *p = at + 1;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '.' || c == '\0') {
			if (p == label || label[0] == '-' || p[-1] == '-')
				return false;
			if (c == '\0')
				return true;
			label = p + 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c >= 0x80))
			return false;
	}
}

/* "addr@host" or "Display Name <addr@host>". */
static bool mailbox_ok(const char *s)
{
	const char *lt = strrchr(s, '<');
	if (!lt)
		return email_ok(s);
	size_t n = strlen(lt);
	if (n < 3 || lt[n - 1] != '>' || strchr(s, '>') != lt + n - 1)
		return false;
	char *addr = xstrndup(lt + 1, n - 2);
	bool ok = email_ok(addr);
	free(addr);
	return ok;
}

/* ---- the built-in default ---- */

static void set_stage(struct stage *st, const char *name, enum stage_group g)
{
	memset(st, 0, sizeof *st);
	st->name = xstrdup(name);
	st->key = config_slug(name);
	st->grp = g;
	st->probability = -1;
}

static char **strv_dup(const char *const *v, size_t n)
{
	char **out = xcalloc(n + 1, sizeof *out);
	for (size_t i = 0; i < n; i++)
		out[i] = xstrdup(v[i]);
	return out;
}

struct config *config_default(void)
{
	static const struct {
		const char *name;
		enum stage_group g;
	} def[] = {
		{ "Prospecting", GRP_ACTIVE },     { "Contacted", GRP_ACTIVE },
		{ "Appointment Set", GRP_ACTIVE }, { "Proposal Sent", GRP_ACTIVE },
		{ "Customer Agreed", GRP_ACTIVE }, { "Closed Deal", GRP_WON },
		{ "Customer", GRP_WON },           { "Lost", GRP_LOST },
	};
	struct config *cfg = xcalloc(1, sizeof *cfg);
	cfg->nstages = ARRAY_LEN(def);
	cfg->stages = xcalloc(cfg->nstages, sizeof *cfg->stages);
	for (size_t i = 0; i < cfg->nstages; i++)
		set_stage(&cfg->stages[i], def[i].name, def[i].g);
	cfg->npriorities = ARRAY_LEN(default_priorities);
	cfg->priorities = strv_dup(default_priorities, cfg->npriorities);
	cfg->default_priority = xstrdup("normal");
	cfg->inactive_after.secs = 30 * 86400;
	cfg->mail_from = xstrdup(DEFAULT_MAIL_FROM);
	cfg->mail_sendmail = xstrdup(DEFAULT_SENDMAIL);
	return cfg;
}

static void clear_stage(struct stage *st)
{
	free(st->key);
	free(st->name);
	strv_free(st->steps, st->nsteps);
}

static void free_stages(struct stage *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		clear_stage(&v[i]);
	free(v);
}

static void clear_member(struct member *m)
{
	free(m->name);
	free(m->email);
	free(m->role);
	strv_free(m->groups, m->ngroups);
}

static void free_team(struct member *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		clear_member(&v[i]);
	free(v);
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	/* Each distinct release once: routing and scoring may share one. */
	for (size_t i = 0; i < nsections; i++) {
		if (!sections[i].release)
			continue;
		bool dup = false;
		for (size_t j = 0; j < i && !dup; j++)
			dup = sections[j].release == sections[i].release;
		if (!dup)
			sections[i].release(cfg);
	}
	free(cfg->path);
	free_stages(cfg->stages, cfg->nstages);
	strv_free(cfg->priorities, cfg->npriorities);
	free(cfg->default_priority);
	strv_free(cfg->categories, cfg->ncategories);
	free_team(cfg->team, cfg->nteam);
	free(cfg->mail_from);
	free(cfg->mail_sendmail);
	free(cfg->timezone);
	tz_free(cfg->tz);
	strv_free(cfg->alias_names, cfg->naliases);
	strv_free(cfg->alias_values, cfg->naliases);
	for (size_t i = 0; i < cfg->ndiags; i++)
		free(cfg->diags[i].text);
	free(cfg->diags);
	free(cfg);
}

/* ---- parsing ---- */

struct pstate {
	struct yaml_ctx *y;
	struct config *cfg;
	yaml_node_t *stages_node;     /* the list, when the file has a pipeline */
	yaml_node_t **stage_maps;     /* the mapping of each stage, same order */
	yaml_node_t **member_maps;    /* the mapping of each member */
	yaml_node_t *priorities_node; /* when given */
	yaml_node_t *default_priority_node;
};

static int h_group(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct stage *st = obj;
	int g;
	if (ly_enum(y, val, k->key, grp_names, ARRAY_LEN(grp_names), &g) != 0)
		return -1;
	st->grp = (enum stage_group)g;
	return 0;
}

/*
 * probability: a stage's chance of being won, "90" or "90%" (percent,
 * 0-100) or a fraction written with a decimal point, 0.0-1.0 ("0.9");
 * kept in basis points.
 */
static int h_probability(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct stage *st = obj;
	const char *s = ly_is_scalar(val) ? ly_scalar(val) : NULL;
	if (!s)
		return ly_error(y, val, "expected a number for %s, got %s", k->key, ly_kind(val));
	char *end = NULL;
	double v = strtod(s, &end);
	bool percent = end && *end == '%';
	if (percent)
		end++;
	if (end == s || !end || *end || !(v >= 0 && v <= 100) || strchr(s, 'e') || strchr(s, 'E') ||
	    !isdigit((unsigned char)*s))
		return ly_error(y, val,
		                "bad probability '%s' (a percentage 0-100 such as 90 or 90%%, or "
		                "a fraction 0.0-1.0 such as 0.9)",
		                s);
	if (!percent && strchr(s, '.') && v <= 1.0)
		v *= 100;
	st->probability = (int)(v * 100 + 0.5);
	return 0;
}

static const struct ly_key stage_keys[] = {
	{ .key = "name", .fn = ly_h_str, .off = offsetof(struct stage, name), .required = true },
	{ .key = "key", .fn = ly_h_str, .off = offsetof(struct stage, key) },
	{ .key = "group", .fn = h_group },
	{ .key = "steps",
	  .fn = ly_h_strv,
	  .off = offsetof(struct stage, steps),
	  .off_n = offsetof(struct stage, nsteps) },
	{ .key = "remind_after", .fn = ly_h_dur, .off = offsetof(struct stage, remind_after) },
	{ .key = "repeat", .fn = ly_h_dur, .off = offsetof(struct stage, repeat) },
	{ .key = "escalate_after",
	  .fn = ly_h_int,
	  .off = offsetof(struct stage, escalate_after),
	  .min = 0,
	  .max = 1000 },
	{ .key = "probability", .fn = h_probability },
};

static int h_stages(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pstate *ps = obj;
	struct config *cfg = ps->cfg;
	if (!ly_is_seq(val))
		return ly_error(y, val, "expected a list of stages for %s, got %s", k->key,
		                ly_kind(val));
	size_t n = ly_seq_len(val), m = 0;
	if (n == 0)
		return ly_error(y, val, "the pipeline has no stages");
	struct stage *v = xcalloc(n, sizeof *v);
	ps->stage_maps = xcalloc(n, sizeof *ps->stage_maps);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = ly_seq_at(y, val, i);
		struct stage st = { .probability = -1 };
		ly_walk(y, item, "stage", stage_keys, ARRAY_LEN(stage_keys), &st);
		if (!st.name) {
			clear_stage(&st);
			continue;
		}
		st.line = ly_line(item);
		ps->stage_maps[m] = item;
		v[m++] = st;
	}
	free_stages(cfg->stages, cfg->nstages);
	cfg->stages = v;
	cfg->nstages = m;
	ps->stages_node = val;
	return 0;
}

static const struct ly_key pipeline_keys[] = {
	{ .key = "stages", .fn = h_stages, .required = true },
};

static int h_pipeline(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	return ly_walk(y, val, k->key, pipeline_keys, ARRAY_LEN(pipeline_keys), obj);
}

static int h_role(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct member *m = obj;
	int r;
	if (ly_enum(y, val, k->key, role_names, ARRAY_LEN(role_names), &r) != 0)
		return -1;
	free(m->role);
	m->role = xstrdup(role_names[r]);
	return 0;
}

static const struct ly_key member_keys[] = {
	{ .key = "name", .fn = ly_h_str, .off = offsetof(struct member, name), .required = true },
	{ .key = "email", .fn = ly_h_str, .off = offsetof(struct member, email), .required = true },
	{ .key = "role", .fn = h_role },
	{ .key = "groups",
	  .fn = ly_h_strv,
	  .off = offsetof(struct member, groups),
	  .off_n = offsetof(struct member, ngroups) },
	{ .key = "weight",
	  .fn = ly_h_int,
	  .off = offsetof(struct member, weight),
	  .min = 1,
	  .max = 1000 },
	{ .key = "capacity",
	  .fn = ly_h_int,
	  .off = offsetof(struct member, capacity),
	  .min = 0,
	  .max = 1000000000 },
	{ .key = "away", .fn = ly_h_bool, .off = offsetof(struct member, away) },
};

static int h_team(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pstate *ps = obj;
	struct config *cfg = ps->cfg;
	if (ly_is_null(val))
		return 0;
	if (!ly_is_seq(val))
		return ly_error(y, val, "expected a list of team members for %s, got %s", k->key,
		                ly_kind(val));
	size_t n = ly_seq_len(val), m = 0;
	struct member *v = xcalloc(n + 1, sizeof *v);
	ps->member_maps = xcalloc(n + 1, sizeof *ps->member_maps);
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item = ly_seq_at(y, val, i);
		struct member mb = { .weight = 1 };
		ly_walk(y, item, "team member", member_keys, ARRAY_LEN(member_keys), &mb);
		if (!mb.name || !mb.email) {
			clear_member(&mb);
			continue;
		}
		if (!mb.role)
			mb.role = xstrdup("rep");
		ps->member_maps[m] = item;
		v[m++] = mb;
	}
	free_team(cfg->team, cfg->nteam);
	cfg->team = v;
	cfg->nteam = m;
	return 0;
}

static int h_priorities(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pstate *ps = obj;
	char **v = NULL;
	size_t n = 0;
	if (ly_strv(y, val, k->key, &v, &n) != 0)
		return -1;
	if (n == 0) {
		strv_free(v, n);
		return ly_error(y, val, "priorities must list at least one priority");
	}
	strv_free(ps->cfg->priorities, ps->cfg->npriorities);
	ps->cfg->priorities = v;
	ps->cfg->npriorities = n;
	ps->priorities_node = val;
	return 0;
}

static int h_default_priority(struct yaml_ctx *y, yaml_node_t *val, void *obj,
                              const struct ly_key *k)
{
	struct pstate *ps = obj;
	if (ly_str(y, val, k->key, &ps->cfg->default_priority) != 0)
		return -1;
	ps->default_priority_node = val;
	return 0;
}

static int h_categories(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pstate *ps = obj;
	return ly_strv(y, val, k->key, &ps->cfg->categories, &ps->cfg->ncategories);
}

static const struct ly_key status_keys[] = {
	{ .key = "inactive_after", .fn = ly_h_dur, .off = offsetof(struct config, inactive_after) },
};

static int h_status(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pstate *ps = obj;
	return ly_walk(y, val, k->key, status_keys, ARRAY_LEN(status_keys), ps->cfg);
}

static int h_mail_from(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct config *cfg = obj;
	char *s = NULL;
	if (ly_str(y, val, k->key, &s) != 0)
		return -1;
	if (has_control(s) || !mailbox_ok(s)) {
		ly_error(y, val,
		         "invalid address '%s' for from (expected name@example.com or "
		         "\"Name <name@example.com>\")",
		         s);
		free(s);
		return -1;
	}
	free(cfg->mail_from);
	cfg->mail_from = s;
	return 0;
}

static int h_sendmail(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct config *cfg = obj;
	char *s = NULL;
	if (ly_str(y, val, k->key, &s) != 0)
		return -1;
	if (has_control(s) || s[strspn(s, " ")] == '\0') {
		ly_error(y, val, "sendmail must be a command line on one line");
		free(s);
		return -1;
	}
	free(cfg->mail_sendmail);
	cfg->mail_sendmail = s;
	return 0;
}

static const struct ly_key mail_keys[] = {
	{ .key = "from", .fn = h_mail_from },
	{ .key = "sendmail", .fn = h_sendmail },
};

static int h_section(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k);

static int h_mail(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pstate *ps = obj;
	/* and the registered subsections "mail.NAME" (mail.templates) */
	struct ly_key keys[ARRAY_LEN(mail_keys) + MAX_SECTIONS];
	memcpy(keys, mail_keys, sizeof mail_keys);
	size_t n = ARRAY_LEN(mail_keys);
	for (size_t i = 0; i < nsections; i++)
		if (strncmp(sections[i].key, "mail.", 5) == 0)
			keys[n++] = (struct ly_key){ .key = sections[i].key + 5, .fn = h_section };
	return ly_walk(y, val, k->key, keys, n, ps->cfg);
}

/* Where to point for key `key` of mapping map: its value, else the map. */
static yaml_node_t *at_key(struct yaml_ctx *y, yaml_node_t *map, const char *key)
{
	yaml_node_t *n = ly_map_get(y, map, key);
	return n ? n : map;
}

/*
 * Names and keys of all stages must be distinct (ignoring case), since
 * config_stage() finds a stage by either: entry 2i is the name of stage i,
 * 2i+1 its key (left out when it is the name).
 */
static void check_stage_names(struct pstate *ps)
{
	struct yaml_ctx *y = ps->y;
	struct config *cfg = ps->cfg;
	size_t n = cfg->nstages * 2;
	const char **v = xcalloc(n + 1, sizeof *v);
	size_t *first = xcalloc(n + 1, sizeof *first);
	for (size_t i = 0; i < cfg->nstages; i++) {
		v[2 * i] = cfg->stages[i].name;
		if (*cfg->stages[i].key && !str_ieq(cfg->stages[i].key, cfg->stages[i].name))
			v[2 * i + 1] = cfg->stages[i].key;
	}
	ly_find_dups(v, n, first);
	for (size_t e = 0; e < n; e++) {
		size_t f = first[e];
		if (f == SIZE_MAX)
			continue;
		const struct stage *st = &cfg->stages[e / 2], *o = &cfg->stages[f / 2];
		yaml_node_t *map = ps->stage_maps[e / 2];
		yaml_node_t *name_n = at_key(y, map, "name");
		yaml_node_t *key_n = ly_map_get(y, map, "key");
		bool is_key = e % 2, o_key = f % 2;
		if (!o_key && str_ieq(o->key, v[f]))
			o_key = is_key; /* o's name is its key too */
		if (!is_key && !o_key)
			ly_error(y, name_n, "duplicate stage name '%s' (first at line %d)",
			         st->name, o->line);
		else if (is_key && o_key)
			ly_error(y, key_n, "duplicate stage key '%s' (also stage '%s' at line %d)",
			         st->key, o->name, o->line);
		else if (is_key && !key_n && first[e - 1] != SIZE_MAX)
			continue; /* the key comes from the name, already reported */
		else
			ly_error(y, is_key && key_n ? key_n : name_n,
			         "stage '%s' and stage '%s' (line %d) would both be found as '%s'; "
			         "rename one or change its key",
			         st->name, o->name, o->line, v[e]);
	}
	free(v);
	free(first);
}

static void check_stages(struct pstate *ps)
{
	struct yaml_ctx *y = ps->y;
	struct config *cfg = ps->cfg;
	bool have[3] = { false, false, false };
	bool manager = false;
	for (size_t i = 0; i < cfg->nteam; i++)
		manager = manager || strcmp(cfg->team[i].role, "manager") == 0;

	for (size_t i = 0; i < cfg->nstages; i++) {
		struct stage *st = &cfg->stages[i];
		yaml_node_t *map = ps->stage_maps[i];
		yaml_node_t *name_n = at_key(y, map, "name");
		yaml_node_t *key_n = ly_map_get(y, map, "key");

		if (has_control(st->name))
			ly_error(y, name_n, "stage name must be on one line");
		if (st->key) {
			char *slug = config_slug(st->key);
			if (strcmp(slug, st->key) != 0)
				ly_error(y, key_n,
				         "invalid stage key '%s' (use lower-case letters, digits "
				         "and dashes, e.g. '%s')",
				         st->key, *slug ? slug : "stage-1");
			free(slug);
		} else {
			st->key = config_slug(st->name);
			if (!*st->key)
				ly_error(y, name_n,
				         "cannot make a stage key from the name '%s'; add a key",
				         st->name);
		}
	}
	check_stage_names(ps);

	for (size_t i = 0; i < cfg->nstages; i++) {
		struct stage *st = &cfg->stages[i];
		yaml_node_t *map = ps->stage_maps[i];
		have[st->grp] = true;
		bool remind = !ldur_is_zero(st->remind_after);
		if (!ldur_is_zero(st->repeat) && !remind)
			ly_error(y, at_key(y, map, "repeat"), "repeat needs remind_after");
		if (st->escalate_after > 0) {
			yaml_node_t *esc = at_key(y, map, "escalate_after");
			if (!remind)
				ly_error(y, esc, "escalate_after needs remind_after");
			else if (st->escalate_after > 1 && ldur_is_zero(st->repeat))
				ly_error(y, esc,
				         "escalate_after: %d needs repeat (without it only one "
				         "reminder is sent)",
				         st->escalate_after);
			if (!manager)
				ly_error(y, esc,
				         "escalate_after needs a team member with role: manager");
		}
		if (st->probability >= 0 && st->grp != GRP_ACTIVE)
			ly_warning(
			    y, at_key(y, map, "probability"),
			    "probability has no effect in a %s stage (only the open leads of "
			    "active stages are forecast)",
			    grp_names[st->grp]);
		if (remind && st->grp != GRP_ACTIVE)
			ly_warning(y, at_key(y, map, "remind_after"),
			           "remind_after has no effect in a %s stage (only active stages "
			           "send reminders)",
			           grp_names[st->grp]);
	}
	if (cfg->nstages == 0)
		return; /* reported already */
	yaml_node_t *list = ps->stages_node;
	if (!have[GRP_ACTIVE])
		ly_error(y, list, "the pipeline has no active stage (group: active)");
	else if (cfg->stages[0].grp != GRP_ACTIVE)
		ly_error(y, at_key(y, ps->stage_maps[0], "group"),
		         "the first stage must be active: new leads start there");
	if (!have[GRP_WON])
		ly_error(y, list, "the pipeline has no won stage (group: won)");
	if (!have[GRP_LOST])
		ly_error(y, list, "the pipeline has no lost stage (group: lost)");
}

static void check_team(struct pstate *ps)
{
	struct yaml_ctx *y = ps->y;
	struct config *cfg = ps->cfg;
	for (size_t i = 0; i < cfg->nteam; i++) {
		struct member *m = &cfg->team[i];
		yaml_node_t *map = ps->member_maps[i];
		if (has_control(m->name))
			ly_error(y, at_key(y, map, "name"), "member name must be on one line");
		if (!email_ok(m->email))
			ly_error(y, at_key(y, map, "email"), "invalid email address '%s'",
			         m->email);
	}
	/* config_member() finds a member by name or email: all distinct. */
	size_t n = cfg->nteam * 2;
	const char **v = xcalloc(n + 1, sizeof *v);
	size_t *first = xcalloc(n + 1, sizeof *first);
	for (size_t i = 0; i < cfg->nteam; i++) {
		v[2 * i] = cfg->team[i].name;
		if (!str_ieq(cfg->team[i].email, cfg->team[i].name))
			v[2 * i + 1] = cfg->team[i].email;
	}
	ly_find_dups(v, n, first);
	for (size_t e = 0; e < n; e++) {
		size_t f = first[e];
		if (f == SIZE_MAX)
			continue;
		yaml_node_t *map = ps->member_maps[e / 2];
		const struct member *o = &cfg->team[f / 2];
		int oline = ly_line(ps->member_maps[f / 2]);
		if (e % 2 == 0 && f % 2 == 0)
			ly_error(y, at_key(y, map, "name"),
			         "duplicate team member '%s' (first at line %d)", v[e], oline);
		else if (e % 2 == 1 && f % 2 == 1)
			ly_error(y, at_key(y, map, "email"),
			         "'%s' is also the email of '%s' (line %d)", v[e], o->name, oline);
		else
			ly_error(y, at_key(y, map, e % 2 ? "email" : "name"),
			         "'%s' is also the %s of '%s' (line %d)", v[e],
			         f % 2 ? "email" : "name", o->name, oline);
	}
	free(v);
	free(first);
}

static void check_priorities(struct pstate *ps)
{
	struct config *cfg = ps->cfg;
	if (ps->default_priority_node) {
		const char *p = config_priority(cfg, cfg->default_priority);
		if (!p) {
			struct sb sb = SB_INIT;
			for (size_t i = 0; i < cfg->npriorities; i++)
				sb_addf(&sb, "%s%s", i ? ", " : "", cfg->priorities[i]);
			ly_error(ps->y, ps->default_priority_node,
			         "default_priority '%s' is not one of the priorities (%s)",
			         cfg->default_priority, sb_str(&sb));
			sb_free(&sb);
			return;
		}
		char *canon = xstrdup(p);
		free(cfg->default_priority);
		cfg->default_priority = canon;
	} else if (ps->priorities_node) {
		const char *p = config_priority(cfg, "normal");
		free(cfg->default_priority);
		cfg->default_priority = xstrdup(p ? p : cfg->priorities[0]);
	}
}

static int h_section(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	(void)y, (void)val, (void)obj, (void)k;
	return 0; /* run after the core sections: see run_sections() */
}

static void run_sections(struct pstate *ps, yaml_node_t *root)
{
	struct yaml_ctx *y = ps->y;
	for (size_t s = 0; s < nsections; s++) {
		/* "mail.templates": key templates inside the core section mail */
		const char *want = sections[s].key, *dot = strchr(want, '.');
		yaml_node_t *map = root;
		if (dot) {
			char core[32];
			snprintf(core, sizeof core, "%.*s", (int)(dot - want), want);
			map = ly_map_get(y, root, core);
			want = dot + 1;
			if (!ly_is_map(map))
				continue;
		}
		for (size_t i = 0; i < ly_map_len(map); i++) {
			yaml_node_t *kn = ly_map_key(y, map, i);
			const char *key = ly_scalar(kn);
			if (!key || strcmp(key, want) != 0)
				continue;
			if (!sections[s].parse) {
				ly_error(y, kn, "section '%s' is not supported by this build", key);
				break;
			}
			sections[s].parse(y, ly_map_val(y, map, i), ps->cfg);
			break; /* a repeated key was reported by the walker */
		}
	}
}

static int h_timezone(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pstate *ps = obj;
	return ly_tz(y, val, k->key, &ps->cfg->timezone, &ps->cfg->tz);
}

/* `alias: {today: "task --mine --due today"}`: names are single words. */
static int h_alias(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	struct pstate *ps = obj;
	struct config *cfg = ps->cfg;
	if (ly_is_null(val))
		return 0;
	if (!ly_is_map(val))
		return ly_error(y, val,
		                "expected a mapping of alias: \"command words\" for %s, got %s",
		                k->key, ly_kind(val));
	size_t n = ly_map_len(val);
	cfg->alias_names = xcalloc(n + 1, sizeof *cfg->alias_names);
	cfg->alias_values = xcalloc(n + 1, sizeof *cfg->alias_values);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *kn = ly_map_key(y, val, i), *vn = ly_map_val(y, val, i);
		const char *name = ly_scalar(kn);
		if (!name || !*name || name[0] == '-' || strpbrk(name, " \t\r\n") ||
		    has_control(name)) {
			rc = ly_error(y, kn, "an alias name is one word not starting with '-'");
			continue;
		}
		char *v = NULL;
		if (ly_str(y, vn, name, &v) != 0) {
			rc = -1;
			continue;
		}
		if (has_control(v) || v[strspn(v, " ")] == '\0') {
			free(v);
			rc = ly_error(y, vn, "alias '%s' must be a command line on one line", name);
			continue;
		}
		cfg->alias_names[cfg->naliases] = xstrdup(name);
		cfg->alias_values[cfg->naliases++] = v;
	}
	return rc;
}

const char *config_alias(const struct config *cfg, const char *name)
{
	for (size_t i = 0; cfg && name && i < cfg->naliases; i++)
		if (strcmp(cfg->alias_names[i], name) == 0)
			return cfg->alias_values[i];
	return NULL;
}

static void parse_root(struct pstate *ps, yaml_node_t *root)
{
	struct ly_key keys[ARRAY_LEN(core_keys) + MAX_SECTIONS];
	static const ly_handler core_fn[] = { h_pipeline,   h_priorities, h_default_priority,
		                              h_categories, h_status,     h_team,
		                              h_mail,       h_timezone,   h_alias };
	size_t n = 0;
	for (size_t i = 0; i < ARRAY_LEN(core_keys); i++)
		keys[n++] = (struct ly_key){ .key = core_keys[i], .fn = core_fn[i] };
	for (size_t i = 0; i < nsections; i++)
		if (!strchr(sections[i].key, '.'))
			keys[n++] = (struct ly_key){ .key = sections[i].key, .fn = h_section };

	if (!ly_is_map(root)) {
		if (!ly_is_null(root))
			ly_error(ps->y, root,
			         "expected a mapping of sections (pipeline:, team:, ...), "
			         "got %s",
			         ly_kind(root));
		return;
	}
	ly_walk(ps->y, root, "the config", keys, n, ps);
	if (ps->stages_node)
		check_stages(ps); /* the built-in pipeline needs no checking */
	check_team(ps);
	check_priorities(ps);
	run_sections(ps, root);
}

static struct config *load_ctx(struct yaml_ctx *y)
{
	struct config *cfg = config_default();
	struct pstate ps = { .y = y, .cfg = cfg };
	char why[128];
	const char *fix;
	if (y->mode && file_untrusted(&y->st, why, sizeof why, &fix))
		ly_warning(y, NULL,
		           "the file is %s: whoever can change it decides who gets leads and "
		           "which sendmail command runs; %s",
		           why, fix);
	if (y->root)
		parse_root(&ps, y->root);
	free(ps.stage_maps);
	free(ps.member_maps);
	ly_take_diags(y, &cfg->diags, &cfg->ndiags, &cfg->nerrors);
	ly_free(y);
	return cfg;
}

struct config *config_load(const char *path, struct lerr *err)
{
	struct yaml_ctx y;
	if (ly_load_file(&y, path, err) != 0)
		return NULL;
	struct config *cfg = load_ctx(&y);
	cfg->path = xstrdup(path);
	return cfg;
}

struct config *config_load_mem(const char *name, const char *text, size_t len)
{
	struct yaml_ctx y;
	ly_load_mem(&y, name, text, len);
	return load_ctx(&y);
}

/* ---- references for section parsers ---- */

static const char *closest(const char *s, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t bd = 3; /* at most two edits away */
	for (size_t i = 0; i < n; i++) {
		size_t d = str_distance(s, names[i]);
		if (d < bd) {
			bd = d;
			best = names[i];
		}
	}
	return best;
}

static void unknown_ref(struct yaml_ctx *y, yaml_node_t *node, const char *what, const char *s,
                        const char *const *names, size_t n)
{
	const char *near = closest(s, names, n);
	struct sb sb = SB_INIT;
	if (near)
		sb_addf(&sb, "did you mean '%s'?", near);
	else if (n == 0)
		sb_adds(&sb, "there are none");
	else if (n <= 12)
		for (size_t i = 0; i < n; i++)
			sb_addf(&sb, "%s%s", i ? ", " : "known: ", names[i]);
	else
		sb_addf(&sb, "%zu known", n);
	ly_error(y, node, "unknown %s '%s' (%s)", what, s, sb_str(&sb));
	sb_free(&sb);
}

const struct member *config_ref_member(struct yaml_ctx *y, struct yaml_node_s *node,
                                       const struct config *cfg)
{
	char *s = NULL;
	if (ly_str(y, node, "team member", &s) != 0)
		return NULL;
	const struct member *m = config_member(cfg, s);
	if (!m) {
		const char **names = xcalloc(cfg->nteam + 1, sizeof *names);
		for (size_t i = 0; i < cfg->nteam; i++)
			names[i] = cfg->team[i].name;
		unknown_ref(y, node, "team member", s, names, cfg->nteam);
		free(names);
	}
	free(s);
	return m;
}

const struct stage *config_ref_stage(struct yaml_ctx *y, struct yaml_node_s *node,
                                     const struct config *cfg)
{
	char *s = NULL;
	if (ly_str(y, node, "stage", &s) != 0)
		return NULL;
	const struct stage *st = config_stage(cfg, s);
	if (!st) {
		const char **names = xcalloc(cfg->nstages + 1, sizeof *names);
		for (size_t i = 0; i < cfg->nstages; i++)
			names[i] = cfg->stages[i].name;
		unknown_ref(y, node, "stage", s, names, cfg->nstages);
		free(names);
	}
	free(s);
	return st;
}

/* ---- lookups ---- */

const struct stage *config_stage(const struct config *cfg, const char *name)
{
	if (str_empty(name))
		return NULL;
	/* a name first, then a key: one pass (the engines ask once a lead or more) */
	const struct stage *by_key = NULL;
	for (size_t i = 0; i < cfg->nstages; i++) {
		if (str_ieq(cfg->stages[i].name, name))
			return &cfg->stages[i];
		if (!by_key && str_ieq(cfg->stages[i].key, name))
			by_key = &cfg->stages[i];
	}
	return by_key;
}

int config_stage_pos(const struct config *cfg, const char *key)
{
	const struct stage *st = config_stage(cfg, key);
	return st ? (int)(st - cfg->stages) : -1;
}

const struct stage *config_first_stage(const struct config *cfg)
{
	return cfg->nstages ? &cfg->stages[0] : NULL;
}

const struct member *config_member(const struct config *cfg, const char *name)
{
	if (str_empty(name))
		return NULL;
	for (size_t i = 0; i < cfg->nteam; i++)
		if (str_ieq(cfg->team[i].name, name) || str_ieq(cfg->team[i].email, name))
			return &cfg->team[i];
	return NULL;
}

const char *config_priority(const struct config *cfg, const char *p)
{
	if (str_empty(p))
		return NULL;
	for (size_t i = 0; i < cfg->npriorities; i++)
		if (str_ieq(cfg->priorities[i], p))
			return cfg->priorities[i];
	return NULL;
}

bool config_category_ok(const struct config *cfg, const char *c)
{
	if (cfg->ncategories == 0 || str_empty(c))
		return true;
	for (size_t i = 0; i < cfg->ncategories; i++)
		if (str_ieq(cfg->categories[i], c))
			return true;
	return false;
}

/* ---- writing ---- */

static void put_kv(struct sb *out, int indent, const char *key, const char *val)
{
	sb_addf(out, "%*s%s: ", indent, "", key);
	ly_emit_str(out, val);
	sb_addc(out, '\n');
}

/* Flow style, like the examples: ly_emit_str quotes anything with ",[]{}". */
static void put_list(struct sb *out, int indent, const char *key, char *const *v, size_t n)
{
	sb_addf(out, "%*s%s: [", indent, "", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_adds(out, ", ");
		ly_emit_str(out, v[i]);
	}
	sb_adds(out, "]\n");
}

static void put_dur(struct sb *out, int indent, const char *key, struct ldur d)
{
	char buf[LTIME_BUFSZ];
	ldur_fmt(d, buf);
	sb_addf(out, "%*s%s: %s\n", indent, "", key, buf);
}

void config_write_yaml(const struct config *cfg, struct sb *out)
{
	sb_adds(out, "# leads configuration; see leads-config(5)\n");
	if (cfg->timezone)
		put_kv(out, 0, "timezone", cfg->timezone);
	sb_adds(out, "pipeline:\n  stages:\n");
	for (size_t i = 0; i < cfg->nstages; i++) {
		const struct stage *st = &cfg->stages[i];
		sb_adds(out, "    - ");
		put_kv(out, 0, "name", st->name);
		put_kv(out, 6, "key", st->key);
		put_kv(out, 6, "group", stage_group_name(st->grp));
		if (st->nsteps)
			put_list(out, 6, "steps", st->steps, st->nsteps);
		if (!ldur_is_zero(st->remind_after))
			put_dur(out, 6, "remind_after", st->remind_after);
		if (!ldur_is_zero(st->repeat))
			put_dur(out, 6, "repeat", st->repeat);
		if (st->escalate_after)
			sb_addf(out, "      escalate_after: %d\n", st->escalate_after);
		if (st->probability >= 0 && st->probability % 100)
			sb_addf(out, "      probability: %d.%02d%%\n", st->probability / 100,
			        st->probability % 100);
		else if (st->probability >= 0)
			sb_addf(out, "      probability: %d%%\n", st->probability / 100);
	}
	sb_adds(out, "\n");
	put_list(out, 0, "priorities", cfg->priorities, cfg->npriorities);
	put_kv(out, 0, "default_priority", cfg->default_priority);
	put_list(out, 0, "categories", cfg->categories, cfg->ncategories);
	sb_adds(out, "\nstatus:\n");
	put_dur(out, 2, "inactive_after", cfg->inactive_after);
	sb_adds(out, "\n");
	if (cfg->nteam == 0)
		sb_adds(out, "team: []\n");
	else
		sb_adds(out, "team:\n");
	for (size_t i = 0; i < cfg->nteam; i++) {
		const struct member *m = &cfg->team[i];
		sb_adds(out, "  - ");
		put_kv(out, 0, "name", m->name);
		put_kv(out, 4, "email", m->email);
		put_kv(out, 4, "role", m->role ? m->role : "rep");
		if (m->ngroups)
			put_list(out, 4, "groups", m->groups, m->ngroups);
		sb_addf(out, "    weight: %d\n    capacity: %d\n    away: %s\n", m->weight,
		        m->capacity, m->away ? "true" : "false");
	}
	sb_adds(out, "\nmail:\n");
	put_kv(out, 2, "from", cfg->mail_from);
	put_kv(out, 2, "sendmail", cfg->mail_sendmail);
	for (size_t i = 0; i < nsections; i++)
		if (sections[i].write && strncmp(sections[i].key, "mail.", 5) == 0)
			sections[i].write(cfg, out); /* "  templates:\n..." */
	for (size_t i = 0; i < nsections; i++)
		if (sections[i].write && !strchr(sections[i].key, '.')) {
			sb_adds(out, "\n");
			sections[i].write(cfg, out);
		}
	if (cfg->naliases)
		sb_adds(out, "\nalias:\n");
	for (size_t i = 0; i < cfg->naliases; i++) {
		sb_adds(out, "  ");
		ly_emit_str(out, cfg->alias_names[i]);
		sb_adds(out, ": ");
		ly_emit_str(out, cfg->alias_values[i]);
		sb_adds(out, "\n");
	}
}
