/*
 * test_mail.c - message rendering (RFC 5322, 2045, 2047), header
 * injection, templates, argv splitting and the sendmail pipe.
 */
#include "tap.h"

#include "mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode a header value: unfold, then decode =?UTF-8?Q?...?= words
 * (whitespace between adjacent encoded-words is dropped, RFC 2047 6.2). */
static char *decode_header(const char *v)
{
	struct sb unf = SB_INIT, out = SB_INIT;
	for (const char *p = v; *p; p++)
		if (*p != '\n')
			sb_addc(&unf, *p);
	const char *p = sb_str(&unf);
	bool prev_word = false;
	while (*p) {
		if (strncmp(p, "=?UTF-8?Q?", 10) == 0) {
			const char *e = strstr(p + 10, "?=");
			if (!e)
				break;
			/* drop the blanks between two encoded-words */
			while (prev_word && out.len && out.buf[out.len - 1] == ' ')
				out.buf[--out.len] = '\0';
			for (const char *q = p + 10; q < e; q++) {
				if (*q == '_')
					sb_addc(&out, ' ');
				else if (*q == '=' && hexval(q[1]) >= 0 && hexval(q[2]) >= 0) {
					sb_addc(&out, (char)(hexval(q[1]) * 16 + hexval(q[2])));
					q += 2;
				} else
					sb_addc(&out, *q);
			}
			p = e + 2;
			prev_word = true;
			continue;
		}
		if (*p != ' ')
			prev_word = false;
		sb_addc(&out, *p++);
	}
	sb_free(&unf);
	return sb_detach(&out);
}

static char *decode_qp(const char *s)
{
	struct sb out = SB_INIT;
	for (const char *p = s; *p; p++) {
		if (*p == '=' && p[1] == '\n') {
			p++;
			continue;
		}
		if (*p == '=' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			sb_addc(&out, (char)(hexval(p[1]) * 16 + hexval(p[2])));
			p += 2;
			continue;
		}
		sb_addc(&out, *p);
	}
	return sb_detach(&out);
}

/* The header block split into lines; returns the value of header name
 * (continuation lines included) or NULL. */
static char *header(const char *msg, const char *name)
{
	size_t n = strlen(name);
	const char *end = strstr(msg, "\n\n");
	for (const char *p = msg; p && p < end; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, name, n) == 0 && p[n] == ':') {
			struct sb v = SB_INIT;
			const char *q = p + n + 2;
			for (;;) {
				size_t len = strcspn(q, "\n");
				sb_add(&v, q, len);
				q += len + 1;
				if (*q != ' ' && *q != '\t')
					break;
				sb_addc(&v, '\n');
			}
			return sb_detach(&v);
		}
	}
	return NULL;
}

/* Names of the header fields in order, "From,To,..." */
static char *header_names(const char *msg)
{
	struct sb out = SB_INIT;
	const char *end = strstr(msg, "\n\n");
	for (const char *p = msg; p && p < end; p = strchr(p, '\n') + 1) {
		if (*p == ' ' || *p == '\t')
			continue;
		size_t n = strcspn(p, ":\n");
		if (out.len)
			sb_addc(&out, ',');
		sb_add(&out, p, n);
	}
	return sb_detach(&out);
}

static bool lines_within(const char *msg, size_t max)
{
	for (const char *p = msg; *p;) {
		size_t n = strcspn(p, "\n");
		if (n > max)
			return false;
		p += n + (p[n] == '\n');
	}
	return true;
}

static void test_render(void)
{
	struct mail_msg m = { .from = "Leads Bot <leads@example.com>",
		              .to = "ana@example.com",
		              .subject = "Reminder: Acme idle for 7d",
		              .body = "Hello Ana,\n\nplain body.\n",
		              .date = 1795510800, /* 2026-11-24T09:00:00Z */
		              .msgid = "<leads.1.abc@example.com>" };
	char *out;
	struct lerr e;
	ok(mail_render(&m, &out, &e) == 0, "render a plain message");
	is_str(out,
	       "From: \"Leads Bot\" <leads@example.com>\n"
	       "To: ana@example.com\n"
	       "Subject: Reminder: Acme idle for 7d\n"
	       "Date: Tue, 24 Nov 2026 09:00:00 +0000\n"
	       "Message-ID: <leads.1.abc@example.com>\n"
	       "MIME-Version: 1.0\n"
	       "Content-Type: text/plain; charset=utf-8\n"
	       "Content-Transfer-Encoding: 7bit\n"
	       "Auto-Submitted: auto-generated\n"
	       "\n"
	       "Hello Ana,\n\nplain body.\n",
	       "exact plain message");
	free(out);

	/* RFC 2047 for non-ASCII subject and names */
	m.to = "José Müller <jose@example.com>";
	m.cc = "Mia Manager <mia@example.com>";
	m.subject = "Lembrete: João Ção está parado há 7 dias — ação necessária já, "
	            "por favor, 日本語のテキストも";
	m.body = "Olá José,\n\nçãõ — linha longa " /* a long line gets soft breaks */
	         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	         "aaaaaaaaaaaaaa\n.hidden dot line\nFrom the start\ntrailing space \n";
	ok(mail_render(&m, &out, &e) == 0, "render a non-ASCII message");
	char *subj = header(out, "Subject");
	ok(subj && strncmp(subj, "=?UTF-8?Q?", 10) == 0, "subject is encoded-words");
	char *dec = decode_header(subj ? subj : "");
	is_str(dec, m.subject, "subject decodes back exactly");
	free(dec);
	free(subj);
	char *to = header(out, "To");
	dec = decode_header(to ? to : "");
	is_str(dec, "José Müller <jose@example.com>", "To display name decodes back");
	free(dec);
	free(to);
	ok(lines_within(out, 78), "no line over 78 characters");
	char *names = header_names(out);
	is_str(names,
	       "From,To,Cc,Subject,Date,Message-ID,MIME-Version,Content-Type,"
	       "Content-Transfer-Encoding,Auto-Submitted",
	       "header fields");
	free(names);
	ok(strstr(out, "Content-Transfer-Encoding: quoted-printable\n") != NULL, "QP body");
	const char *body = strstr(out, "\n\n") + 2;
	ok(strstr(body, "\n.") == NULL && strstr(body, "\nFrom ") == NULL,
	   "no line starts with '.' or 'From '");
	dec = decode_qp(body);
	is_str(dec, m.body, "QP body decodes back exactly");
	free(dec);
	free(out);
}

static void test_injection(void)
{
	struct mail_msg m = { .from = "leads@example.com",
		              .to = "ana@example.com",
		              .subject = "Hi\r\nBcc: evil@attacker.example\r\n\r\nbody",
		              .body = "x\r\nBcc: evil@attacker.example\n",
		              .date = 0,
		              .msgid = "<x@y>" };
	char *out;
	struct lerr e;
	ok(mail_render(&m, &out, &e) == 0, "render with CR/LF in the subject");
	char *names = header_names(out);
	is_str(names,
	       "From,To,Subject,Date,Message-ID,MIME-Version,Content-Type,"
	       "Content-Transfer-Encoding,Auto-Submitted",
	       "CR/LF in the subject adds no header");
	free(names);
	char *s = header(out, "Subject");
	is_str(s, "Hi Bcc: evil@attacker.example  body", "the subject stays one value");
	free(s);
	free(out);

	m.subject = "ok";
	m.to = "Evil\r\nBcc: x@attacker.example <ana@example.com>";
	ok(mail_render(&m, &out, &e) == 0, "CR/LF in a display name");
	names = header_names(out);
	ok(strstr(names, "Bcc") == NULL, "no Bcc header from a display name: %s", names);
	free(names);
	free(out);

	static const char *const bad[] = {
		"ana@example.com\nBcc: x@y.example",
		"ana@example.com, x@y.example",
		"<ana@example.com> x",
		"ana",
		"a@b@c",
		"ana@example.com\r",
		"",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		m.to = bad[i];
		is_int(mail_render(&m, &out, &e), EX_DATAERR, "bad recipient refused");
	}
	m.to = "ana@example.com";
	m.cc = "mia@example.com\nBcc: x@y.example";
	is_int(mail_render(&m, &out, &e), EX_DATAERR, "bad Cc refused");

	/* a subject that looks like an encoded-word is encoded itself */
	m.cc = NULL;
	m.subject = "=?UTF-8?Q?fake?=";
	ok(mail_render(&m, &out, &e) == 0, "render a fake encoded-word");
	s = header(out, "Subject");
	char *dec = decode_header(s);
	is_str(dec, "=?UTF-8?Q?fake?=", "a literal '=?' survives");
	free(dec);
	free(s);
	free(out);
}

static void test_templates(void)
{
	struct mail_vars v = { 0 };
	mail_var(&v, "rep.name", "Ana");
	mail_var(&v, "lead.name", "Bob {{rep.name}} Smith");
	mail_var(&v, "reminder.idle", "7d");
	mail_var(&v, "lead.stage", "Contacted");
	mail_var(&v, "reminder.number", "2");
	mail_var(&v, "reminder.since", "2026-11-17");
	mail_var(&v, "lead.id", "12");
	char *subj, *body;
	mail_compose(NULL, MK_REMINDER, &v, &subj, &body);
	is_str(subj, "Reminder: Bob {{rep.name}} Smith idle for 7d in Contacted",
	       "values are not expanded again");
	ok(strstr(body, "This is reminder 2.") != NULL, "body from the built-in template");
	free(subj);
	free(body);

	const char *yaml = "reminder:\n  subject: \"Hey {{ rep.name }}: {{lead.first_name}}\"\n"
	                   "late:\n  body: \"{{task.title}} {{lead.bogus}}\"\n"
	                   "digest:\n  subject: \"{{lead.name}}\"\n";
	struct yaml_ctx y;
	ly_load_mem(&y, "t.yaml", yaml, strlen(yaml));
	struct mail_templates *t = mail_templates_parse(&y, y.root);
	ok(t == NULL, "unknown placeholders are config errors");
	ok(y.ndiags >= 2 && strncmp(y.diags[0].text,
	                            "t.yaml:4:9: unknown placeholder '{{lead.bogus}}'", 47) == 0,
	   "at the line and column of the value: %s", y.ndiags ? y.diags[0].text : "");
	ok(y.ndiags >= 2 &&
	       strstr(y.diags[1].text, "t.yaml:6:12: unknown placeholder '{{lead.name}}' "
	                               "in the digest template") != NULL,
	   "digest has no lead: %s", y.ndiags > 1 ? y.diags[1].text : "");
	ly_free(&y);

	yaml = "reminder:\n  subject: \"Hey {{ rep.name }}: {{lead.first_name}}\"\n";
	ly_load_mem(&y, "t.yaml", yaml, strlen(yaml));
	t = mail_templates_parse(&y, y.root);
	ok(t != NULL, "a valid override");
	mail_var(&v, "lead.first_name", "Bob");
	mail_compose(t, MK_REMINDER, &v, &subj, &body);
	is_str(subj, "Hey Ana: Bob", "the override is used for the subject");
	ok(strstr(body, "This is reminder 2.") != NULL, "and the built-in for the body");
	free(subj);
	free(body);
	mail_templates_free(t);
	ly_free(&y);
	mail_vars_free(&v);
}

static void test_argv(void)
{
	int argc;
	struct lerr e;
	char **v = mail_split_argv("/usr/sbin/sendmail -t -i", &argc, &e);
	ok(v && argc == 3 && strcmp(v[0], "/usr/sbin/sendmail") == 0 && strcmp(v[2], "-i") == 0 &&
	       !v[3],
	   "plain words");
	strv_free(v, (size_t)argc);
	v = mail_split_argv("msmtp  -a 'my account' --from=\"a \\\"b\\\"\" x\\ y $HOME;rm", &argc,
	                    &e);
	ok(v && argc == 6, "quotes group words");
	if (v && argc == 6) {
		is_str(v[2], "my account", "single quotes");
		is_str(v[3], "--from=a \"b\"", "double quotes with escapes");
		is_str(v[4], "x y", "backslash escapes a blank");
		is_str(v[5], "$HOME;rm", "no shell syntax");
	}
	strv_free(v, v ? (size_t)argc : 0);
	ok(mail_split_argv("a 'b", &argc, &e) == NULL && e.code == EX_CONFIG, "unbalanced");
	ok(mail_split_argv("   ", &argc, &e) == NULL, "empty");
}

static void test_pipe(void)
{
	char path[] = "/tmp/leads-test-mail-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "sh -c 'cat > \"$0\"' %s", path);
	struct lerr e = { 0 };
	const char *msg = "Subject: x\n\nhello\n";
	is_int(mail_pipe(cmd, msg, strlen(msg), 5000, NULL, &e), 0, "pipe to a command");
	FILE *fp = fopen(path, "r");
	char buf[64] = "";
	size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
	buf[n] = '\0';
	if (fp)
		fclose(fp);
	is_str(buf, msg, "the command got the message");
	unlink(path);

	is_int(mail_pipe("sh -c 'echo no relay >&2; exit 75'", msg, strlen(msg), 5000, NULL, &e),
	       EX_UNAVAILABLE, "non-zero exit");
	is_str(e.msg, "'sh' exited with status 75: no relay", "the reason and its output");
	is_int(mail_pipe("/nonexistent/sendmail -t", msg, strlen(msg), 5000, NULL, &e),
	       EX_UNAVAILABLE, "missing command");
	is_str(e.msg, "cannot run '/nonexistent/sendmail': No such file or directory",
	       "says which");
	is_int(mail_pipe("sleep 5", msg, strlen(msg), 200, NULL, &e), EX_UNAVAILABLE, "timeout");
	is_str(e.msg, "'sleep' timed out after 200 ms", "says so");
	/* the command's exit decides, not the end of its output: a child it
	 * leaves in the background holding the pipe does not delay it */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool maybe = true;
	is_int(mail_pipe("sh -c 'cat >/dev/null; echo queued; sleep 3 & exit 0'", msg, strlen(msg),
	                 2000, &maybe, &e),
	       0, "a sendmail that leaves a child holding the pipe");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ok(t1.tv_sec - t0.tv_sec < 2, "returns when the command exits, not at the timeout");
	ok(!maybe, "not maybe sent");
	is_int(mail_pipe("sh -c 'cat >/dev/null; echo queued; sleep 3 & exit 5'", msg, strlen(msg),
	                 2000, NULL, &e),
	       EX_UNAVAILABLE, "its exit status counts");
	is_str(e.msg, "'sh' exited with status 5: queued", "with what it said before exiting");
	/* a timeout once it had the whole message: maybe sent */
	is_int(mail_pipe("sh -c 'cat >/dev/null; sleep 5'", msg, strlen(msg), 200, &maybe, &e),
	       EX_UNAVAILABLE, "hangs after reading");
	ok(maybe, "maybe sent");
	/* killed once it had the message: no exit status says it was not sent */
	is_int(mail_pipe("sh -c 'cat >/dev/null; kill -9 $$'", msg, strlen(msg), 2000, &maybe, &e),
	       EX_UNAVAILABLE, "killed after reading");
	is_str(e.msg, "'sh' was killed by signal 9", "says so");
	ok(maybe, "maybe sent");
	/* a timeout before it read the message: certainly not sent */
	char *huge = malloc(1 << 20);
	memset(huge, 'x', 1 << 20);
	is_int(mail_pipe("sleep 5", huge, 1 << 20, 200, &maybe, &e), EX_UNAVAILABLE,
	       "hangs before reading");
	ok(!maybe, "not maybe sent");
	free(huge);
	/* a command that exits without reading a large message */
	char *big = malloc(1 << 20);
	memset(big, 'x', 1 << 20);
	is_int(mail_pipe("true", big, 1 << 20, 5000, NULL, &e), EX_UNAVAILABLE,
	       "a command that does not read");
	free(big);
}

int main(void)
{
	test_render();
	test_injection();
	test_templates();
	test_argv();
	test_pipe();
	return done_testing();
}
