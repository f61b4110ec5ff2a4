/*
 * intake.h - leads from web forms (`leads intake`, leads-intake(1)).
 *
 * The CGI program validates a submission and writes it to a spool
 * directory, one file per submission (written under a temporary name,
 * then renamed); it never opens the database. `leads intake --drain` and
 * the sweep import the spool as the database's owner.
 *
 *   intake:
 *     spool: /var/spool/leads/intake  # default; relative to the config's dir
 *     max_body: 65536                 # bytes, at most 1048576
 *     honeypot: website_url           # a field people leave empty
 *     redirect: https://example.com/thanks
 *     reject_when: {field: extra.message, regex: "viagra|casino"}
 *     fields: {org_name: company, how_did_you_hear: source, newsletter: ignore}
 *     opens: false                    # the tracking pixel (off by default)
 *     url: https://example.com/cgi-bin/leads-intake
 *     secret_file: /etc/leads/intake.secret   # or secret: ...
 */
#ifndef LEADS_INTAKE_H
#define LEADS_INTAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "form.h"
#include "util.h"

#define INTAKE_DEFAULT_SPOOL    "/var/spool/leads/intake"
#define INTAKE_DEFAULT_MAX_BODY 65536
#define INTAKE_MAX_BODY         1048576

struct cond;
struct intake_config {
	char *spool; /* NULL: INTAKE_DEFAULT_SPOOL */
	int max_body;
	char *honeypot;
	char *redirect;
	struct cond *reject_when;
	char **map_from, **map_to; /* intake.fields */
	size_t nmap;
	bool opens;
	char *url;
	char *secret;
	char *secret_file;
	char *src;
};

void intake_register_config(void);
/* The section, or defaults (a static all-default one) when absent. */
const struct intake_config *intake_config(const struct config *cfg);
/* The spool directory: absolute, or relative to the config file's dir. */
char *intake_spool_dir(const struct config *cfg);

/*
 * The lead field a common form field name stands for ("organization" ->
 * company, "full_name" -> name, "utm_source" -> extra.utm_source), or
 * NULL when the name is none of them. Case, '-' and ' ' are ignored.
 * "name" is a full name that intake_split_name() splits. Shared by
 * `add --json` and the intake.
 */
const char *intake_alias(const char *key);
/* Split a full name: the last word is the last name, the rest the first
 * ("Bo Ek" -> Bo / Ek; "Ek" -> first Ek, no last). Trims spaces. */
void intake_split_name(const char *full, char **first, char **last);

/*
 * Map a parsed form to a JSON object of lead fields, as `add --json`
 * reads it: intake.fields first, then intake_alias(), utm_* as custom
 * fields (utm_source also as source when the form has none), the
 * honeypot, empty values and names starting with '_' or "submit" left
 * out, any other name a custom field.
 */
void intake_map(const struct config *cfg, const struct form *f, struct sb *json);

/*
 * Write text to a new file in dir: a temporary name opened with O_EXCL,
 * written, fsynced, chmod 0640, renamed to "<time>-<pid>-<rand>.json".
 * 0, or an exit code with a message (for the server's log) in err.
 */
int intake_spool_write(const char *dir, const char *text, struct lerr *err);

/*
 * The opens token of outbox message id: "ID.HEX" where HEX is the first
 * 16 bytes of HMAC-SHA256(secret, "leads-open:ID") (libcrypto, loaded on
 * demand). 0, or EX_UNAVAILABLE / EX_CONFIG with err filled.
 */
int intake_token(const struct config *cfg, int64_t id, char *out, size_t n, struct lerr *err);
/* Check a token; 1 valid (*id set), 0 forged or malformed, or an exit code. */
int intake_token_check(const struct config *cfg, const char *token, int64_t *id, struct lerr *err);
/* The pixel URL for message id ("URL?o=TOKEN"), NULL when opens are off. */
char *intake_pixel_url(const struct config *cfg, int64_t id, struct lerr *err);

#endif
