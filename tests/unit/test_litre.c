/*
 * test_litre.c - literal regexes: which patterns are taken, and for every
 * one taken, the same answer as regexec(3) on every value, both with and
 * without REG_ICASE.
 */
#include "tap.h"

#include "litre.h"

#include <regex.h>
#include <stdio.h>

static const char *const taken[] = {
	"ceo|cfo|vp",
	"^director",
	"@(mailinator|trashmail)\\.",
	"engineer",
	"^vp$",
	"inc\\.$",
	"^(mr|mrs|ms)\\. ",
	"(gmail|yahoo|hotmail)\\.com$",
	"a\\+b",
	"^\\(555\\)",
	"Ünïcode",
	"x/y",
	"-",
};

static const char *const refused[] = {
	"",     "^",    "$",    "^$",   "a.b",    "colou?r", "[abc]", "a*",    "a+",  "a{2}",
	"^a|b", "a|b$", "(a|)", "(|a)", "(a)(b)", "(a|b)|c", "a\\w",  "\\1",   "a\\", "(a",
	"a)",   "a$b",  "a^b",  "(a|b", "a||b",   "|a",      "a|",    "a|(b)",
};

static const char *const values[] = {
	"CEO",
	"ceo",
	"Chief Executive Officer",
	"VP Sales",
	"vp",
	"svp",
	"Director of IT",
	"director",
	"Managing Director",
	"ana@mailinator.com",
	"ana@MAILINATOR.COM",
	"ana@trashmail.net",
	"ana@mailinatorXcom",
	"Engineer",
	"Senior engineer",
	"Acme Inc.",
	"Acme Inc",
	"Mr. Smith",
	"Mrs. Smith",
	"mrs smith",
	"ana@gmail.com",
	"ana@gmail.com.evil",
	"a+b",
	"aab",
	"(555) 0100",
	"555 0100",
	"Ünïcode",
	"ünïcode",
	"x/y",
	"",
	"a",
	"-",
};

static int agree(const char *pat, bool icase)
{
	struct litre lr;
	if (!litre_compile(pat, icase, &lr))
		return -1;
	regex_t re;
	if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB | (icase ? REG_ICASE : 0)) != 0) {
		litre_free(&lr);
		return -2;
	}
	int bad = 0;
	for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
		bool want = regexec(&re, values[i], 0, NULL, 0) == 0;
		if (litre_match(&lr, values[i]) != want) {
			diag("/%s/%s on '%s': regexec says %d", pat, icase ? "i" : "", values[i],
			     want);
			bad++;
		}
	}
	regfree(&re);
	litre_free(&lr);
	return bad;
}

int main(void)
{
	for (size_t i = 0; i < sizeof taken / sizeof *taken; i++) {
		is_int(agree(taken[i], false), 0, taken[i]);
		is_int(agree(taken[i], true), 0, taken[i]);
	}
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
		struct litre lr;
		char name[64];
		snprintf(name, sizeof name, "not literal: '%s'", refused[i]);
		ok(!litre_compile(refused[i], false, &lr), "%s", name);
	}
	return done_testing();
}
