/*
 * pgsql.c - the SQL the storage layer writes for SQLite, said the way
 * PostgreSQL says it (see pgsql.h). A small scanner, not a parser: it
 * knows string literals, quoted identifiers, comments, parentheses and
 * words, which is all the rewrites below need.
 */
#include "pgsql.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static bool word_eq(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(p, w, n) == 0;
}

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static const char *skip_space(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* The next word at p (after blanks): its start in *w and length, or 0. */
static size_t next_word(const char *p, const char **w)
{
	p = skip_space(p);
	*w = p;
	size_t n = 0;
	while (is_word(p[n]))
		n++;
	return n;
}

/*
 * From just after an opening parenthesis: the matching ')' and the
 * number of top-level commas before it. Strings and nested parentheses
 * are stepped over. NULL if unbalanced.
 */
static const char *close_paren(const char *p, int *commas)
{
	int depth = 0;
	*commas = 0;
	for (; *p; p++) {
		if (*p == '\'' || *p == '"') {
			char q = *p;
			for (p++; *p && !(*p == q && p[1] != q); p++)
				if (*p == q)
					p++;
			if (!*p)
				return NULL;
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')') {
			if (depth-- == 0)
				return p;
		} else if (*p == ',' && depth == 0) {
			(*commas)++;
		}
	}
	return NULL;
}

/* Tables whose rows have an `id` an INSERT hands back (last_insert_rowid). */
static bool has_id(const char *w, size_t n)
{
	static const char *const tables[] = { "leads", "imports", "events",
		                              "stays", "tasks",   "outbox" };
	for (size_t i = 0; i < ARRAY_LEN(tables); i++)
		if (word_eq(w, n, tables[i]))
			return true;
	return false;
}

/* A pending rewrite at a closing parenthesis (by depth). */
struct closer {
	int depth;
	const char *text;
};

char *pgsql_translate(const char *sql, unsigned *flags, int *nparams)
{
	struct sb out = SB_INIT;
	struct closer cl[32];
	int ncl = 0, depth = 0, nparam = 0;
	bool ignore = false, insert_id = false, returning = false, first = true;
	*flags = 0;
	for (const char *p = sql; *p;) {
		if (*p == '\'' || *p == '"') { /* literal or quoted name: as it is */
			char q = *p;
			const char *s = p++;
			while (*p && !(*p == q && p[1] != q))
				p += *p == q ? 2 : 1;
			if (*p)
				p++;
			sb_add(&out, s, (size_t)(p - s));
			continue;
		}
		if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			p = e ? e + 2 : p + strlen(p);
			sb_addc(&out, ' ');
			continue;
		}
		if (*p == '?') { /* ?NNN or ? -> $NNN */
			p++;
			int n = 0;
			if (isdigit((unsigned char)*p)) {
				while (isdigit((unsigned char)*p))
					n = n * 10 + (*p++ - '0');
			} else {
				n = nparam + 1;
			}
			if (n > nparam)
				nparam = n;
			const char *w;
			size_t nw = next_word(p, &w);
			if (nw && word_eq(w, nw, "COLLATE")) /* a collation needs a type */
				sb_addf(&out, "CAST($%d AS text)", n);
			else
				sb_addf(&out, "$%d", n);
			continue;
		}
		if (*p == '+' && is_word(p[1])) {
			/* unary +col: SQLite's way to keep an index out of the plan */
			size_t k = out.len;
			while (k && isspace((unsigned char)out.buf[k - 1]))
				k--;
			char prev = k ? out.buf[k - 1] : '(';
			if (strchr("(,=<>", prev) ||
			    (k >= 3 && (strncasecmp(out.buf + k - 3, "AND", 3) == 0 ||
			                strncasecmp(out.buf + k - 3, "NOT", 3) == 0)) ||
			    (k >= 2 && strncasecmp(out.buf + k - 2, "OR", 2) == 0) ||
			    (k >= 3 && strncasecmp(out.buf + k - 3, " BY", 3) == 0) ||
			    (k >= 5 && strncasecmp(out.buf + k - 5, "WHERE", 5) == 0)) {
				p++;
				continue;
			}
		}
		if (*p == '(') {
			depth++;
			sb_addc(&out, *p++);
			continue;
		}
		if (*p == ')') {
			if (ncl && cl[ncl - 1].depth == depth) {
				sb_adds(&out, cl[--ncl].text);
			}
			depth--;
			sb_addc(&out, *p++);
			continue;
		}
		if (!is_word(*p) || (p > sql && is_word(p[-1]))) {
			sb_addc(&out, *p++);
			continue;
		}
		size_t n = 0;
		while (is_word(p[n]))
			n++;
		const char *w = p;
		p += n;
		const char *w2;
		size_t n2 = next_word(p, &w2);
		bool call = *skip_space(p) == '(';
		if (first && word_eq(w, n, "INSERT")) {
			first = false;
			sb_adds(&out, "INSERT");
			if (n2 && word_eq(w2, n2, "OR")) { /* INSERT OR IGNORE */
				const char *w3;
				size_t n3 = next_word(w2 + n2, &w3);
				if (n3 && word_eq(w3, n3, "IGNORE")) {
					ignore = true;
					p = w3 + n3;
				}
			}
			const char *w3;
			size_t n3 = next_word(p, &w3);
			if (n3 && word_eq(w3, n3, "INTO")) {
				const char *t;
				size_t nt = next_word(w3 + n3, &t);
				insert_id = has_id(t, nt);
			}
			continue;
		}
		first = false;
		if (word_eq(w, n, "RETURNING"))
			returning = true;
		if (word_eq(w, n, "LIKE")) { /* SQLite's LIKE ignores ASCII case */
			sb_adds(&out, "ILIKE");
		} else if (word_eq(w, n, "IMMEDIATE")) {
			/* BEGIN IMMEDIATE: the caller takes the write lock */
		} else if (word_eq(w, n, "temp") && *p == '.') {
			p++; /* temp.name: temporary tables are found first anyway */
		} else if (word_eq(w, n, "INDEXED") && n2 && word_eq(w2, n2, "BY")) {
			const char *w3;
			size_t n3 = next_word(w2 + n2, &w3);
			p = w3 + n3; /* INDEXED BY name: a hint for SQLite's planner */
		} else if (word_eq(w, n, "REAL")) {
			sb_adds(&out, "double precision");
		} else if (word_eq(w, n, "INTEGER")) {
			sb_adds(&out, "bigint"); /* SQLite's integers have 64 bits */
		} else if (word_eq(w, n, "ifnull") && call) {
			sb_adds(&out, "coalesce");
		} else if ((word_eq(w, n, "min") || word_eq(w, n, "max")) && call) {
			int commas;
			const char *open = skip_space(p);
			if (close_paren(open + 1, &commas) && commas > 0)
				sb_adds(&out, word_eq(w, n, "min") ? "LEAST" : "GREATEST");
			else
				sb_add(&out, w, n);
		} else if (word_eq(w, n, "group_concat") && call) {
			int commas;
			const char *open = skip_space(p);
			sb_adds(&out, "string_agg");
			if (close_paren(open + 1, &commas) && commas == 0 && ncl < 32) {
				/* one argument: SQLite's default separator */
				p = open + 1;
				sb_adds(&out, "((");
				cl[ncl++] = (struct closer){ depth + 1, ")::text, ','" };
				depth++;
			}
		} else if (word_eq(w, n, "json_each") && call) {
			sb_adds(&out, "leads_json_each"); /* the schema's: objects and arrays */
		} else if (word_eq(w, n, "IS") && !n2) {
			/* a IS ?2, a IS 'x': NULL-safe equality */
			sb_adds(&out, "IS NOT DISTINCT FROM");
		} else if (word_eq(w, n, "IS") && n2 &&
		           !(word_eq(w2, n2, "NULL") || word_eq(w2, n2, "TRUE") ||
		             word_eq(w2, n2, "FALSE") || word_eq(w2, n2, "DISTINCT"))) {
			/* a IS b, a IS NOT b: SQLite's comparisons that treat NULL as a value */
			if (word_eq(w2, n2, "NOT")) {
				const char *w3;
				size_t n3 = next_word(w2 + n2, &w3);
				if (n3 &&
				    (word_eq(w3, n3, "NULL") || word_eq(w3, n3, "TRUE") ||
				     word_eq(w3, n3, "FALSE") || word_eq(w3, n3, "DISTINCT"))) {
					sb_add(&out, w, n);
				} else {
					sb_adds(&out, "IS DISTINCT FROM");
					p = w2 + n2;
				}
			} else {
				sb_adds(&out, "IS NOT DISTINCT FROM");
			}
		} else {
			sb_add(&out, w, n);
		}
	}
	/* the ON CONFLICT of INSERT OR IGNORE, and the new row's id */
	while (out.len &&
	       (out.buf[out.len - 1] == ';' || isspace((unsigned char)out.buf[out.len - 1])))
		out.buf[--out.len] = '\0';
	if (ignore)
		sb_adds(&out, " ON CONFLICT DO NOTHING");
	if (insert_id && !returning) {
		sb_adds(&out, " RETURNING id");
		*flags |= PGSQL_RETURNS_ID;
	}
	*nparams = nparam;
	return sb_detach(&out);
}
