/*
 * graph.h - `leads config graph`: the configuration as a Graphviz DOT
 * digraph: the pipeline (stages clustered by group, the configured order
 * dotted, the moves leads actually made solid with their counts), the
 * routing rules as a decision chain ending in members, pools and routers,
 * and the workflows (event -> tasks). Names only ever appear inside
 * quoted labels, escaped (graph_dot_str); node ids are made up here.
 */
#ifndef LEADS_GRAPH_H
#define LEADS_GRAPH_H

#include "config.h"
#include "db.h"
#include "util.h"

/* A DOT quoted string for s: quotes and backslashes escaped, a newline as
 * \n, other control characters as a space, invalid UTF-8 as '?'. */
void graph_dot_str(struct sb *out, const char *s);

/* The storage side (lib/db_forecast.c): created and moved events, counted. */
int db_graph_moves(struct db *db,
                   void (*fn)(bool moved, const char *from, const char *to, int64_t n, void *ctx),
                   void *ctx, struct lerr *err);

/* The moves from the history (db may be NULL: none); 0 or an error. */
int graph_dot(const struct config *cfg, struct db *db, struct sb *out, struct lerr *err);

#endif
