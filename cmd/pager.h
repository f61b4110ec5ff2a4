/* pager.h - long output through $PAGER on a terminal (see pager.c). */
#ifndef LEADS_PAGER_H
#define LEADS_PAGER_H

struct ctx;

/* Let the config have a top-level `pager:` (false, true or a command). */
void pager_register_config(void);
/*
 * Send standard output through the pager from now on, if it is a terminal,
 * the format is a table, paging is not turned off and the command does not
 * write; the pager is waited for at exit. Idempotent.
 */
void pager_start(struct ctx *c);
/* The same for a read-only subcommand of a command that may write. */
void pager_start_reading(struct ctx *c);

#endif
