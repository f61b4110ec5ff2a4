/*
 * litre.h - literal regular expressions matched without the regex engine.
 *
 * Most regexes in routing and scoring rules are words and alternatives of
 * words: "ceo|cfo|vp", "^director", "@(mailinator|trashmail)\.". glibc's
 * regexec costs a few thousand instructions a call even for those, and a
 * rule is tried on every lead of a million-lead `route --all` or import.
 * litre_compile recognises such a pattern and turns it into a list of
 * literal strings with its anchors; litre_match then gives exactly what
 * regexec would (POSIX ERE, the "C" locale leads runs in: bytes, with
 * REG_ICASE folding ASCII letters only). Anything else is not recognised
 * and stays with regexec.
 *
 * Recognised, with LIT a run of ordinary characters or backslash-escaped
 * punctuation:
 *     LIT|LIT|...                     anywhere in the value
 *     [^] LIT [ ( LIT|LIT|... ) LIT ] [$]
 */
#ifndef LEADS_LITRE_H
#define LEADS_LITRE_H

#include <stdbool.h>
#include <stddef.h>

struct litre {
	char **alt; /* the literal strings (lower case when icase) */
	size_t *len;
	size_t n;
	bool start, end; /* anchored at the start / end of the value */
	bool icase;
};

/* A literal pattern into *out (true), or false: use regcomp. */
bool litre_compile(const char *pattern, bool icase, struct litre *out);
bool litre_match(const struct litre *re, const char *s);
void litre_free(struct litre *re);

#endif
