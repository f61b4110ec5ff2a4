/*
 * form.h - the body of a web form, as `leads intake` receives it from a
 * CGI server: application/x-www-form-urlencoded, multipart/form-data
 * (text fields only) or a JSON object.
 *
 * The parser is strict, and every refusal is an HTTP status with a short
 * message that is safe to show the sender (it never names a file, a
 * query or an errno):
 *  - 415 for another content type, a multipart body without a boundary;
 *  - 400 for a bad percent escape, invalid UTF-8 (in a name or a value),
 *    a NUL byte, a file upload, a malformed multipart or JSON body, a
 *    JSON value that is an object or a list, more than FORM_MAX_FIELDS
 *    fields, a name longer than FORM_MAX_NAME bytes, or the same field
 *    name twice (case-insensitive: a duplicate is ambiguous, and the
 *    first-wins rule of some frameworks lets a crafted body hide a value
 *    from a filter, so leads refuses it).
 * The size of the body is the caller's to bound (intake.max_body).
 */
#ifndef LEADS_FORM_H
#define LEADS_FORM_H

#include <stddef.h>

#define FORM_MAX_FIELDS 100
#define FORM_MAX_NAME   200

struct form_field {
	char *name;  /* valid UTF-8, no NUL */
	char *value; /* valid UTF-8, no NUL; "" for an empty one */
};

struct form {
	struct form_field *v;
	size_t n, cap;
};

/*
 * Parse body (len bytes, any content) as content type ctype (the CGI
 * CONTENT_TYPE, parameters included). 0, or an HTTP status (400, 415)
 * with a message in msg (msgsz bytes). f is filled in any case, to be
 * freed with form_free.
 */
int form_parse(const char *ctype, const char *body, size_t len, struct form *f, char *msg,
               size_t msgsz);
/* The urlencoded part alone (a body, or a QUERY_STRING). */
int form_parse_urlencoded(const char *s, size_t len, struct form *f, char *msg, size_t msgsz);
/* The value of field name (case-insensitive), NULL when absent. */
const char *form_get(const struct form *f, const char *name);
void form_free(struct form *f);

#endif
