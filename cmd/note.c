/* note.c - `leads note` and `leads log`: activities with a lead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "ltime.h"

const struct opt opts_note[] = { { 0 } };

enum { G_NOTE, G_AT };
const struct opt opts_log[] = {
	[G_NOTE] = { "note", 'm', "TEXT", "what happened", 0, COMP_NONE, NULL },
	[G_AT] = { "at", 0, "TIME",
	           "meeting: when (ISO 8601); a future time schedules it, a past one "
	           "records it held then",
	           0, COMP_NONE, NULL },
	{ 0 },
};

/* Activity names on the command line and the event kinds they record. */
static const char *const activities[][2] = {
	{ "call", "call" },
	{ "email", "email" },
	{ "meeting", "meeting" },
	{ "email-opened", "email_opened" },
};

static int activity(struct ctx *c, const char *ref, const char *kind, const char *text)
{
	struct lead l;
	int rc = find_lead(c, ref, &l);
	if (rc)
		return rc;
	struct sb data = SB_INIT;
	json_obj1(&data, "text", text);
	struct lc lc = ctx_lc(c);
	if (lc_log(&lc, &l, kind, data.len ? data.buf : NULL, 0, kind, 0))
		rc = fail_err(c);
	sb_free(&data);
	lead_free(&l);
	return rc;
}

/* All of fp; NULL on a read error. */
static char *slurp(FILE *fp)
{
	struct sb sb = SB_INIT;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		sb_add(&sb, buf, n);
	if (ferror(fp)) {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

/* Trailing blanks and newlines off, leading blank lines off. */
static void trim_text(char *s)
{
	size_t n = strlen(s);
	while (n && strchr(" \t\r\n", s[n - 1]))
		s[--n] = '\0';
	size_t lead = 0;
	while (s[lead] == '\n' || s[lead] == '\r' ||
	       (s[lead] && strspn(s + lead, " \t") < strcspn(s + lead, "\n") &&
	        s[lead + strspn(s + lead, " \t")] == '\n'))
		lead += strcspn(s + lead, "\n") + 1;
	memmove(s, s + lead, strlen(s + lead) + 1);
}

/*
 * The note from $VISUAL or $EDITOR (else vi), as git commit does: a
 * temporary file with a comment naming the lead; '#' lines are dropped.
 */
static int from_editor(struct ctx *c, const struct lead *l, char **text)
{
	const char *ed = getenv("VISUAL");
	if (str_empty(ed) || str_ieq(getenv("TERM"), "dumb"))
		ed = getenv("EDITOR");
	if (str_empty(ed))
		ed = "vi";
	const char *dir = getenv("TMPDIR");
	struct sb path = SB_INIT;
	sb_addf(&path, "%s/leads-note-XXXXXX", str_empty(dir) ? "/tmp" : dir);
	int fd = mkstemp(path.buf);
	if (fd < 0) {
		int rc = fail(c, EX_CANTCREAT, "cannot create a temporary file in %s: %s",
		              str_empty(dir) ? "/tmp" : dir, strerror(errno));
		sb_free(&path);
		return rc;
	}
	char name[256];
	lead_display_name(l, name, sizeof name);
	FILE *fp = fdopen(fd, "w+");
	fprintf(fp,
	        "\n# The note for %s (#%lld). Lines starting with '#' are left out;\n"
	        "# an empty note records nothing.\n",
	        name, (long long)l->i[LI_ID]);
	int rc = 0;
	if (fflush(fp) != 0) {
		rc = fail(c, EX_IOERR, "cannot write '%s': %s", path.buf, strerror(errno));
	} else {
		/* as git runs it: the value is a shell command line */
		struct sb cmd = SB_INIT;
		sb_addf(&cmd, "%s \"$@\"", ed);
		pid_t pid = fork();
		if (pid == 0) {
			execl("/bin/sh", "sh", "-c", cmd.buf, ed, path.buf, (char *)NULL);
			_exit(127);
		}
		sb_free(&cmd);
		int status = 0;
		while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			rc = fail(c, EX_SOFTWARE, "the editor '%s' failed; nothing recorded", ed);
	}
	fclose(fp);
	if (!rc) {
		fp = fopen(path.buf, "r");
		char *raw = fp ? slurp(fp) : NULL;
		if (fp)
			fclose(fp);
		if (!raw) {
			rc = fail(c, EX_IOERR, "cannot read '%s' back", path.buf);
		} else {
			struct sb out = SB_INIT;
			for (char *line = raw; *line;) {
				size_t len = strcspn(line, "\n");
				if (line[0] != '#')
					sb_addf(&out, "%.*s\n", (int)len, line);
				line += len + (line[len] == '\n');
			}
			free(raw);
			*text = sb_detach(&out);
		}
	}
	unlink(path.buf);
	sb_free(&path);
	return rc;
}

/*
 * `note LEAD TEXT`; `note LEAD -` reads the text from standard input;
 * `note LEAD` opens the editor on a terminal. The text is read before the
 * write transaction begins, so nobody waits on the editor.
 */
int cmd_note(struct ctx *c, struct args *a)
{
	char *text = NULL;
	int rc = 0;
	if (a->argc > 1 && strcmp(a->argv[1], "-") != 0) {
		text = xstrdup(a->argv[1]);
	} else if (a->argc > 1) {
		if (!(text = slurp(stdin)))
			return fail(c, EX_IOERR, "cannot read the note from standard input: %s",
			            strerror(errno));
	} else if (!isatty(0) || !isatty(1)) {
		return usage_error(c, "give the note's text, or - to read it from standard input "
		                      "(the editor opens on a terminal only)");
	} else {
		struct lead l;
		if ((rc = find_lead(c, a->argv[0], &l)))
			return rc;
		rc = from_editor(c, &l, &text);
		lead_free(&l);
		if (rc)
			return rc;
	}
	bool typed = a->argc > 1 && strcmp(a->argv[1], "-") != 0;
	if (!typed)
		trim_text(text); /* what an editor or a pipe leaves around it */
	if (text[strspn(text, " \t\r\n")] == '\0') {
		free(text);
		if (typed)
			return usage_error(c, "the note is empty");
		return fail(c, EX_USAGE, "the note is empty; nothing recorded");
	}
	if ((rc = db_begin(c->db, &c->err)) || (rc = db_sync_stages(c->db, c->cfg, &c->err))) {
		free(text);
		db_rollback(c->db);
		return fail_err(c);
	}
	rc = activity(c, a->argv[0], "note", text);
	free(text);
	return tx_end(c, rc);
}

/*
 * `log LEAD meeting --at TIME`: a future meeting is scheduled (history
 * "meeting_scheduled", the meeting.scheduled event for workflows, which
 * may count back from it); a past one was held then (a "meeting" at TIME).
 * Either way logging it is an action on the lead.
 */
static int meeting_at(struct ctx *c, const char *ref, const char *when, const char *text)
{
	int64_t at;
	if (!parse_when(c, when, &at))
		return usage_error(c,
		                   "bad time '%s' for --at (e.g. 2026-11-26 15:00, tomorrow 10:00, "
		                   "fri 3pm; see leads(1), Times)",
		                   when);
	struct lead l;
	int rc = find_lead(c, ref, &l);
	if (rc)
		return rc;
	bool future = at > c->now;
	char iso[LTIME_BUFSZ];
	ltime_fmt(at, iso);
	struct sb data = SB_INIT;
	sb_adds(&data, "{\"at\":");
	sb_add_json_str(&data, iso);
	if (text) {
		sb_adds(&data, ",\"text\":");
		sb_add_json_str(&data, text);
	}
	sb_addc(&data, '}');
	struct lc lc = ctx_lc(c);
	if (lc_log(&lc, &l, future ? "meeting_scheduled" : "meeting", data.buf,
	           future ? c->now : at, "meeting", future ? at : 0))
		rc = fail_err(c);
	sb_free(&data);
	lead_free(&l);
	return rc;
}

int cmd_log(struct ctx *c, struct args *a)
{
	if (a->val[G_AT] && strcmp(a->argv[1], "meeting") != 0)
		return usage_error(c, "--at is for meetings only");
	if (a->val[G_AT])
		return meeting_at(c, a->argv[0], a->val[G_AT], a->val[G_NOTE]);
	for (size_t i = 0; i < ARRAY_LEN(activities); i++)
		if (strcmp(a->argv[1], activities[i][0]) == 0)
			return activity(c, a->argv[0], activities[i][1], a->val[G_NOTE]);
	return usage_error(c, "unknown activity '%s' (call, email, meeting, email-opened)",
	                   a->argv[1]);
}
