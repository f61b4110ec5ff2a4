/*
 * test_form.c - the web form parser (lib/form.c) and the intake's field
 * mapping and name split (lib/intake.c).
 */
#include "tap.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "form.h"
#include "hooks.h"
#include "intake.h"
#include "util.h"

static int parse(const char *ct, const char *body, struct form *f, char *msg)
{
	form_free(f);
	return form_parse(ct, body, strlen(body), f, msg, 256);
}

static void split(const char *full, const char *first, const char *last)
{
	char *a, *b;
	intake_split_name(full, &a, &b);
	is_str(a, first, full);
	is_str(b, last, full);
	free(a);
	free(b);
}

static char *mapped(const struct config *cfg, const char *body)
{
	struct form f = { 0 };
	char msg[256];
	form_parse_urlencoded(body, strlen(body), &f, msg, sizeof msg);
	struct sb sb = SB_INIT;
	intake_map(cfg, &f, &sb);
	form_free(&f);
	return sb_detach(&sb);
}

int main(void)
{
	struct form f = { 0 };
	char msg[256];
	const char *url = "application/x-www-form-urlencoded";

	is_int(parse(url, "a=1&b=x+y%21&&c=&d", &f, msg), 0, "urlencoded");
	is_int((int)f.n, 4, "four fields, an empty piece skipped");
	is_str(form_get(&f, "B"), "x y!", "+ and %%21 decoded, names ignore case");
	is_str(form_get(&f, "d"), "", "a name alone is an empty value");
	is_int(parse(url, "a=%4", &f, msg), 400, "a cut escape");
	is_int(parse(url, "a=%00", &f, msg), 400, "a NUL");
	is_int(parse(url, "a=%c3%28", &f, msg), 400, "invalid UTF-8");
	is_str(msg, "invalid UTF-8 in field 'a'", "the message names the field");
	is_int(parse(url, "a=1&A=2", &f, msg), 400, "a duplicate");
	is_int(parse(url, "=1", &f, msg), 400, "no name");
	is_int(parse("text/plain", "a=1", &f, msg), 415, "another type");
	is_int(parse(NULL, "a=1", &f, msg), 415, "no type");
	is_int(parse("Application/X-WWW-Form-Urlencoded; charset=UTF-8", "a=1", &f, msg), 0,
	       "the type ignores case and parameters");

	const char *mp = "multipart/form-data; boundary=\"b b\"";
	is_int(parse(mp,
	             "preamble\r\n--b b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n"
	             "1\r\n2\r\n--b b\r\ncontent-disposition: form-data; name=y\r\n"
	             "Content-Type: text/plain\r\n\r\n\r\n--b b--\r\n",
	             &f, msg),
	       0, "multipart, quoted boundary");
	is_str(form_get(&f, "x"), "1\r\n2", "a value keeps its line breaks");
	is_str(form_get(&f, "y"), "", "an empty part");
	is_int(parse(mp,
	             "--b b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a\"\r\n\r\n"
	             "x\r\n--b b--\r\n",
	             &f, msg),
	       400, "a file upload");
	is_int(parse(mp, "--b b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1", &f, msg),
	       400, "no closing boundary");
	is_int(parse("multipart/form-data", "", &f, msg), 415, "no boundary");

	is_int(parse("application/json", "{\"a\":\"x\",\"n\":1.5,\"t\":true,\"z\":null}", &f, msg),
	       0, "JSON");
	is_str(form_get(&f, "n"), "1.5", "a number as text");
	is_str(form_get(&f, "t"), "1", "true as 1, as add --json");
	ok(!form_get(&f, "z"), "null left out");
	is_int(parse("application/json", "[1]", &f, msg), 400, "not an object");
	is_int(parse("application/json", "{\"a\":{}}", &f, msg), 400, "a nested object");
	is_int(parse("application/json", "{\"a\":\"\\u0000\"}", &f, msg), 400, "a NUL");
	is_int(parse("application/json", "{\"a\":1,\"a\":2}", &f, msg), 400, "a duplicate");
	form_free(&f);

	split("Bo Ek", "Bo", "Ek");
	split("  Anna Maria  von Berg ", "Anna Maria  von", "Berg");
	split("Cher", "Cher", NULL);
	split("   ", NULL, NULL);
	split("Ana\xc2\xa0Lima", "Ana", "Lima");

	is_str(intake_alias("Full-Name"), "name", "alias ignores case and '-'");
	is_str(intake_alias("organisation"), "company", "organisation");
	ok(!intake_alias("favourite_colour"), "no alias");

	char *j = mapped(NULL, "name=Bo+Ek&utm_source=ads&utm_Medium=cpc&submit=Send&_token=x&"
	                       "Colour=red&email=");
	is_str(j,
	       "{\"name\":\"Bo Ek\",\"source\":\"ads\",\"extra.utm_source\":\"ads\","
	       "\"extra.utm_medium\":\"cpc\",\"extra.Colour\":\"red\"}",
	       "the mapping");
	free(j);
	j = mapped(NULL, "source=site&utm_source=ads");
	is_str(j, "{\"source\":\"site\",\"extra.utm_source\":\"ads\"}",
	       "a form's own source wins over utm_source");
	free(j);

	hooks_register_config();
	const char *yaml = "intake:\n  honeypot: hp\n  fields: {org_name: company, x: ignore}\n";
	struct config *cfg = config_load_mem("t.yaml", yaml, strlen(yaml));
	is_int((int)cfg->nerrors, 0, "the intake config loads");
	j = mapped(cfg, "org_name=Acme&x=1&hp=&company=Other");
	is_str(j, "{\"company\":\"Acme\"}",
	       "intake.fields first; a later field for the same key is "
	       "left out; an empty honeypot too");
	free(j);
	config_free(cfg);
	return done_testing();
}
