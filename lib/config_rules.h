/*
 * config_rules.h - the `routing:` and `scoring:` sections as read from the
 * config (lib/config_rules.c reads them, next to the other config
 * parsing); the engines evaluate them: lib/route.c the routing rules and
 * lib/score.c the scoring rules. Only those three files include this.
 */
#ifndef LEADS_CONFIG_RULES_H
#define LEADS_CONFIG_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ltime.h"

struct cond;

/* ---- routing ---- */

enum pick { PICK_MEMBER, PICK_ROUND_ROBIN, PICK_LEAST_LOADED, PICK_ROUTER, PICK_UNASSIGNED };

struct rrule {
	char *name;
	char *full; /* "name", or "member/name" in a member's router */
	int line;
	struct cond *when; /* NULL: always */
	enum pick pick;
	const struct member *member; /* PICK_MEMBER */
	const struct member **pool;  /* PICK_ROUND_ROBIN, PICK_LEAST_LOADED */
	int *weight;                 /* per pool member (1 unless weighted) */
	size_t npool;
	bool weighted;
	int *slots; /* round robin: pool indexes in rotation order */
	size_t nslots;
	size_t router; /* PICK_ROUTER: index into route_config.routers */
	char *cursor;  /* round robin: its key in the state table, "route.rr.<full>" */
	struct ldur reassign_after;
	bool has_reassign;
};

struct rset {
	const struct member *owner; /* NULL for the main rules */
	struct rrule *r;
	size_t n;
};

struct route_config {
	struct rset main; /* `default` is its last rule */
	struct rset *routers;
	size_t nrouters;
};

/* ---- scoring ---- */

struct srule {
	char *name;
	int line;
	struct cond *when; /* attribute: the test; behaviour: a gate (NULL: always) */
	int64_t points;
	bool behaviour;
	unsigned kinds; /* behaviour: bit per enum act_kind */
	char *kinds_txt;
	int64_t max; /* 0: no max */
	int64_t within;
	char *within_txt;
	int64_t half_life;
	char *half_txt;
};

struct thresh {
	char *name;
	int64_t at;
	char *instructions;
	struct ldur due;
	int line;
	char **notify; /* notify: team members or addresses, besides the owner */
	size_t nnotify;
};

struct sdef {
	char *name; /* "score" for the default */
	struct srule *r;
	size_t nr;
	int64_t cap;
	bool has_cap;
	struct thresh *t;
	size_t nt;
	bool uses_act;
};

struct score_config {
	struct sdef *d; /* the default first, when there is one */
	size_t n;
	bool has_default;
	bool uses_act;
	bool uses_assignment; /* a rule looks at what an assignment changes */
	bool uses_status;     /* a rule looks at what a change of status changes */
};

/* The sections as read (cfg->rules), NULL when the config has none. */
const struct route_config *route_config_of(const struct config *cfg);
const struct score_config *score_config_of(const struct config *cfg);

#endif
