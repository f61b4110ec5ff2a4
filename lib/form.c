/*
 * form.c - web form bodies (form.h): urlencoded, multipart and JSON.
 */
#include "form.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static int bad(char *msg, size_t msgsz, int status, const char *fmt, ...) PRINTF_LIKE(4, 5);
static int bad(char *msg, size_t msgsz, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, msgsz, fmt, ap);
	va_end(ap);
	return status;
}

/* A field name as it may appear in a message: printable ASCII, cut short. */
static void safe_name(const char *s, char *out, size_t n)
{
	size_t j = 0;
	for (; *s && j + 1 < n && j < 40; s++)
		out[j++] = (*s >= 0x20 && *s < 0x7f && *s != '"' && *s != '\\') ? *s : '?';
	out[j] = '\0';
}

/* Add one field, taking name and value; checks text, limits and duplicates. */
static int add_field(struct form *f, char *name, char *value, char *msg, size_t msgsz)
{
	size_t bad_at;
	char shown[48];
	int rc = 0;
	if (!*name)
		rc = bad(msg, msgsz, 400, "a field has no name");
	else if (strlen(name) > FORM_MAX_NAME)
		rc = bad(msg, msgsz, 400, "a field name is longer than %d bytes", FORM_MAX_NAME);
	else if (!utf8_valid(name, strlen(name), &bad_at))
		rc = bad(msg, msgsz, 400, "invalid UTF-8 in a field name");
	else if (!utf8_valid(value, strlen(value), &bad_at)) {
		safe_name(name, shown, sizeof shown);
		rc = bad(msg, msgsz, 400, "invalid UTF-8 in field '%s'", shown);
	} else if (f->n >= FORM_MAX_FIELDS)
		rc = bad(msg, msgsz, 400, "more than %d fields", FORM_MAX_FIELDS);
	else if (form_get(f, name)) {
		safe_name(name, shown, sizeof shown);
		rc = bad(msg, msgsz, 400, "field '%s' given twice", shown);
	}
	if (rc) {
		free(name);
		free(value);
		return rc;
	}
	f->v = xgrow(f->v, &f->cap, f->n + 1, sizeof *f->v);
	f->v[f->n].name = name;
	f->v[f->n].value = value;
	f->n++;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode one urlencoded piece; NULL on a bad escape or a NUL byte. */
static char *url_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '+') {
			ch = ' ';
		} else if (ch == '%') {
			int hi = i + 1 < n ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				free(out);
				return NULL;
			}
			ch = (char)(hi * 16 + lo);
			i += 2;
		}
		if (ch == '\0') {
			free(out);
			return NULL;
		}
		out[j++] = ch;
	}
	out[j] = '\0';
	return out;
}

int form_parse_urlencoded(const char *s, size_t len, struct form *f, char *msg, size_t msgsz)
{
	size_t i = 0;
	while (i < len) {
		size_t end = i;
		while (end < len && s[end] != '&' && s[end] != ';')
			end++;
		if (end > i) {
			const char *eq = memchr(s + i, '=', end - i);
			size_t nlen = eq ? (size_t)(eq - (s + i)) : end - i;
			char *name = url_decode(s + i, nlen);
			char *value =
			    eq ? url_decode(eq + 1, (size_t)(s + end - eq - 1)) : xstrdup("");
			if (!name || !value) {
				free(name);
				free(value);
				return bad(msg, msgsz, 400, "bad percent-encoding in the form");
			}
			int rc = add_field(f, name, value, msg, msgsz);
			if (rc)
				return rc;
		}
		i = end + 1;
	}
	return 0;
}

/* A parameter of a header value: boundary=..., name="..." (quoted or not). */
static char *header_param(const char *h, size_t hlen, const char *param)
{
	size_t plen = strlen(param);
	size_t i = 0;
	while (i < hlen) {
		/* after a ';' */
		while (i < hlen && h[i] != ';')
			i++;
		if (i >= hlen)
			break;
		i++;
		while (i < hlen && (h[i] == ' ' || h[i] == '\t'))
			i++;
		if (i + plen < hlen && strncasecmp(h + i, param, plen) == 0 && h[i + plen] == '=') {
			i += plen + 1;
			struct sb v = SB_INIT;
			if (i < hlen && h[i] == '"') {
				i++;
				while (i < hlen && h[i] != '"') {
					if (h[i] == '\\' && i + 1 < hlen)
						i++;
					sb_addc(&v, h[i++]);
				}
				if (i >= hlen) {
					sb_free(&v);
					return NULL;
				}
			} else {
				while (i < hlen && h[i] != ';' && h[i] != ' ' && h[i] != '\t' &&
				       h[i] != '\r' && h[i] != '\n')
					sb_addc(&v, h[i++]);
			}
			return sb_detach(&v);
		}
	}
	return NULL;
}

static const char *memmem_(const char *h, size_t hn, const char *n, size_t nn)
{
	if (nn == 0 || hn < nn)
		return NULL;
	for (size_t i = 0; i + nn <= hn; i++)
		if (h[i] == n[0] && memcmp(h + i, n, nn) == 0)
			return h + i;
	return NULL;
}

static int parse_multipart(const char *ctype, const char *body, size_t len, struct form *f,
                           char *msg, size_t msgsz)
{
	char *b = header_param(ctype, strlen(ctype), "boundary");
	if (!b || !*b || strlen(b) > 70) {
		free(b);
		return bad(msg, msgsz, 415, "multipart/form-data needs a boundary");
	}
	struct sb delim = SB_INIT;
	sb_addf(&delim, "--%s", b);
	free(b);
	int rc = 0;
	const char *p = memmem_(body, len, delim.buf, delim.len);
	if (!p) {
		rc = bad(msg, msgsz, 400, "malformed multipart body");
		goto out;
	}
	const char *end = body + len;
	p += delim.len;
	for (;;) {
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break; /* the closing delimiter */
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
			p += 2;
		else if (end - p >= 1 && p[0] == '\n')
			p += 1;
		else {
			rc = bad(msg, msgsz, 400, "malformed multipart body");
			goto out;
		}
		/* headers, up to an empty line */
		const char *hend = memmem_(p, (size_t)(end - p), "\r\n\r\n", 4);
		size_t hskip = 4;
		if (!hend) {
			hend = memmem_(p, (size_t)(end - p), "\n\n", 2);
			hskip = 2;
		}
		if (!hend) {
			rc = bad(msg, msgsz, 400, "malformed multipart body");
			goto out;
		}
		char *name = NULL;
		bool file = false;
		const char *h = p;
		while (h < hend) {
			const char *eol = memchr(h, '\n', (size_t)(hend - h));
			size_t hl = eol ? (size_t)(eol - h) : (size_t)(hend - h);
			if (hl >= 20 && strncasecmp(h, "content-disposition:", 20) == 0) {
				free(name);
				name = header_param(h, hl, "name");
				char *fn = header_param(h, hl, "filename");
				file = fn != NULL;
				free(fn);
			}
			h += hl + 1;
		}
		const char *val = hend + hskip;
		struct sb d2 = SB_INIT;
		sb_addf(&d2, "\r\n%s", delim.buf);
		const char *next = memmem_(val, (size_t)(end - val), d2.buf, d2.len);
		size_t skip = d2.len;
		if (!next) {
			sb_reset(&d2);
			sb_addf(&d2, "\n%s", delim.buf);
			next = memmem_(val, (size_t)(end - val), d2.buf, d2.len);
			skip = d2.len;
		}
		sb_free(&d2);
		if (!next || !name) {
			free(name);
			rc = bad(msg, msgsz, 400, "malformed multipart body");
			goto out;
		}
		if (file) {
			free(name);
			rc = bad(msg, msgsz, 400, "file uploads are not accepted");
			goto out;
		}
		if (memchr(val, '\0', (size_t)(next - val))) {
			free(name);
			rc = bad(msg, msgsz, 400, "NUL byte in a field");
			goto out;
		}
		if ((rc = add_field(f, name, xstrndup(val, (size_t)(next - val)), msg, msgsz)))
			goto out;
		p = next + skip;
	}
out:
	sb_free(&delim);
	return rc;
}

static int parse_json(const char *body, size_t len, struct form *f, char *msg, size_t msgsz)
{
	if (memchr(body, '\0', len))
		return bad(msg, msgsz, 400, "NUL byte in the body");
	size_t bad_at;
	if (!utf8_valid(body, len, &bad_at))
		return bad(msg, msgsz, 400, "invalid UTF-8 in the body");
	json_error_t jerr;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return bad(msg, msgsz, 400, "malformed JSON");
	int rc = 0;
	if (!json_is_object(root)) {
		rc = bad(msg, msgsz, 400, "expected a JSON object");
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v)
	{
		char buf[64];
		const char *s = NULL;
		char shown[48];
		if (json_is_null(v))
			continue;
		if (json_is_string(v)) {
			if (strlen(json_string_value(v)) != json_string_length(v)) {
				rc = bad(msg, msgsz, 400, "NUL byte in a field");
				goto out;
			}
			s = json_string_value(v);
		} else if (json_is_integer(v)) {
			snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
			s = buf;
		} else if (json_is_real(v)) {
			snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
			s = buf;
		} else if (json_is_boolean(v)) {
			s = json_is_true(v) ? "1" : "0"; /* as add --json takes them */
		} else {
			safe_name(key, shown, sizeof shown);
			rc = bad(msg, msgsz, 400, "field '%s' must be a string or a number", shown);
			goto out;
		}
		if ((rc = add_field(f, xstrdup(key), xstrdup(s), msg, msgsz)))
			goto out;
	}
out:
	json_decref(root);
	return rc;
}

int form_parse(const char *ctype, const char *body, size_t len, struct form *f, char *msg,
               size_t msgsz)
{
	if (!ctype)
		ctype = "";
	size_t tl = strcspn(ctype, "; \t");
	if (tl == 33 && strncasecmp(ctype, "application/x-www-form-urlencoded", tl) == 0)
		return form_parse_urlencoded(body, len, f, msg, msgsz);
	if (tl == 19 && strncasecmp(ctype, "multipart/form-data", tl) == 0)
		return parse_multipart(ctype, body, len, f, msg, msgsz);
	if (tl == 16 && strncasecmp(ctype, "application/json", tl) == 0)
		return parse_json(body, len, f, msg, msgsz);
	return bad(msg, msgsz, 415,
	           "unsupported content type (send application/x-www-form-urlencoded, "
	           "multipart/form-data or application/json)");
}

const char *form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (str_ieq(f->v[i].name, name))
			return f->v[i].value;
	return NULL;
}

void form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].value);
	}
	free(f->v);
	f->v = NULL;
	f->n = f->cap = 0;
}
