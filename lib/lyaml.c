/*
 * lyaml.c - libyaml documents with netplan-style diagnostics.
 *
 * Loading runs libyaml twice over the text in memory: first the event
 * parser, which stops early on the things that would make the second pass
 * slow or unsafe (nesting deeper than LY_MAX_DEPTH, a second document) and
 * notes which lines belong to quoted or block scalars (where a tab is
 * content, not indentation); then yaml_parser_load() builds the document.
 * A last pass walks the document the way a section parser would, with
 * every alias expanded, and refuses it when that grows past the file's own
 * node count plus LY_MAX_ALIAS_NODES or finds an alias inside its anchor.
 */
#include "lyaml.h"
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Past this many diagnostics only the count goes on. */
#define LY_MAX_DIAGS 200

/* ---- the source text and diagnostics ---- */

static void index_lines(struct yaml_ctx *y)
{
	size_t cap = 0, n = 0;
	size_t *v = NULL;
	v = xgrow(v, &cap, n + 1, sizeof *v);
	v[n++] = 0;
	for (size_t i = 0; i < y->len; i++) {
		if (y->src[i] == '\n') {
			v = xgrow(v, &cap, n + 1, sizeof *v);
			v[n++] = i + 1;
		}
	}
	y->lines = v;
	y->nlines = n;
}

/* Bytes of line `line` (0-based), without the line break; false if none. */
static bool line_text(const struct yaml_ctx *y, size_t line, const char **s, size_t *n)
{
	if (line >= y->nlines)
		return false;
	size_t a = y->lines[line];
	size_t b = line + 1 < y->nlines ? y->lines[line + 1] - 1 : y->len;
	if (b > a && y->src[b - 1] == '\r')
		b--;
	if (line == 0 && b - a >= 3 && memcmp(y->src, "\xEF\xBB\xBF", 3) == 0)
		a += 3; /* libyaml does not count the byte order mark */
	if (a > b)
		return false;
	*s = y->src + a;
	*n = b - a;
	return true;
}

static size_t utf8_len(unsigned char c)
{
	if (c < 0xC0)
		return 1;
	if (c < 0xE0)
		return 2;
	if (c < 0xF0)
		return 3;
	return 4;
}

/*
 * Append "  <line>\n  <caret>" for column col (in characters, as libyaml
 * counts them). Long lines show a window around the column; control
 * characters print as '?' so a config file cannot drive the terminal.
 */
static void add_source(struct sb *sb, const char *s, size_t n, size_t col)
{
	size_t first = col > 100 ? col - 60 : 0, last = first + 160;
	struct sb caret = SB_INIT;
	size_t i = 0, c = 0;
	sb_adds(sb, "\n  ");
	sb_adds(&caret, "\n  ");
	if (first > 0) {
		sb_adds(sb, "...");
		sb_adds(&caret, "   ");
	}
	while (i < n && c < last) {
		size_t w = utf8_len((unsigned char)s[i]);
		bool bad = w > n - i || !utf8_valid(s + i, w, NULL);
		if (bad)
			w = 1;
		if (c >= first) {
			unsigned char ch = (unsigned char)s[i];
			if (ch == '\t')
				sb_addc(sb, '\t');
			else if (ch < 0x20 || ch == 0x7f || bad)
				sb_addc(sb, '?');
			else
				sb_add(sb, s + i, w);
			if (c < col)
				sb_addc(&caret, ch == '\t' ? '\t' : ' ');
		}
		i += w;
		c++;
	}
	if (i < n)
		sb_adds(sb, "...");
	for (; c < col && c < last; c++)
		sb_addc(&caret, ' ');
	sb_addc(&caret, '^');
	sb_adds(sb, sb_str(&caret));
	sb_free(&caret);
}

static void push_diag(struct yaml_ctx *y, bool warning, bool pos, size_t line, size_t col,
                      char *text)
{
	if (!warning)
		y->nerrors++;
	y->diags = xgrow(y->diags, &y->capdiags, y->ndiags + 1, sizeof *y->diags);
	struct config_diag *d = &y->diags[y->ndiags++];
	d->text = text;
	d->warning = warning;
	d->line = pos ? (int)(line + 1) : 0;
	d->col = pos ? (int)(col + 1) : 0;
}

/* Messages quote values from the file: keep them on one line. */
static void add_message(struct sb *sb, const char *msg)
{
	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		if (*p == '\n')
			sb_adds(sb, "\\n");
		else if (*p == '\t')
			sb_adds(sb, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			sb_addc(sb, '?');
		else
			sb_addc(sb, (char)*p);
	}
}

static size_t ndropped(const struct yaml_ctx *y)
{
	return y->ndiags > LY_MAX_DIAGS ? y->ndiags - LY_MAX_DIAGS : 0;
}

/* pos: whether line/col mean anything. */
static void vreport(struct yaml_ctx *y, bool warning, bool pos, size_t line, size_t col,
                    const char *fmt, va_list ap) PRINTF_LIKE(6, 0);
static void vreport(struct yaml_ctx *y, bool warning, bool pos, size_t line, size_t col,
                    const char *fmt, va_list ap)
{
	if (y->ndiags >= LY_MAX_DIAGS) {
		/* Only counted; ly_take_diags says how many were left out. */
		if (!warning)
			y->nerrors++;
		y->ndiags++;
		return;
	}
	struct sb sb = SB_INIT;
	if (pos)
		sb_addf(&sb, "%s:%zu:%zu: ", y->name, line + 1, col + 1);
	else
		sb_addf(&sb, "%s: ", y->name);
	struct sb msg = SB_INIT;
	sb_vaddf(&msg, fmt, ap);
	add_message(&sb, sb_str(&msg));
	sb_free(&msg);
	const char *s;
	size_t n;
	if (pos && line_text(y, line, &s, &n))
		add_source(&sb, s, n, col);
	push_diag(y, warning, pos, line, col, sb_detach(&sb));
}

void ly_report_at(struct yaml_ctx *y, bool warning, size_t line, size_t col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(y, warning, true, line, col, fmt, ap);
	va_end(ap);
}

int ly_error(struct yaml_ctx *y, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (at)
		vreport(y, false, true, at->start_mark.line, at->start_mark.column, fmt, ap);
	else
		vreport(y, false, false, 0, 0, fmt, ap);
	va_end(ap);
	return -1;
}

void ly_warning(struct yaml_ctx *y, const yaml_node_t *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (at)
		vreport(y, true, true, at->start_mark.line, at->start_mark.column, fmt, ap);
	else
		vreport(y, true, false, 0, 0, fmt, ap);
	va_end(ap);
}

int ly_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

static int diag_cmp(const void *a, const void *b)
{
	const struct config_diag *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return 0;
}

void ly_take_diags(struct yaml_ctx *y, struct config_diag **diags, size_t *n, size_t *nerrors)
{
	size_t dropped = ndropped(y);
	size_t kept = y->ndiags - dropped;
	/* By position, keeping the order found among equals (insertion sort:
	 * stable, and there are at most LY_MAX_DIAGS). */
	for (size_t i = 1; i < kept; i++) {
		struct config_diag d = y->diags[i];
		size_t j = i;
		while (j > 0 && diag_cmp(&y->diags[j - 1], &d) > 0) {
			y->diags[j] = y->diags[j - 1];
			j--;
		}
		y->diags[j] = d;
	}
	if (dropped) {
		struct sb sb = SB_INIT;
		sb_addf(&sb, "%s: %zu more problems not shown", y->name, dropped);
		y->diags = xgrow(y->diags, &y->capdiags, kept + 1, sizeof *y->diags);
		y->diags[kept].text = sb_detach(&sb);
		y->diags[kept].warning = false;
		y->diags[kept].line = y->diags[kept].col = 0;
		kept++;
	}
	*diags = y->diags;
	*n = kept;
	*nerrors = y->nerrors;
	y->diags = NULL;
	y->ndiags = y->capdiags = y->nerrors = 0;
}

/* ---- loading ---- */

static void parser_error(struct yaml_ctx *y, const yaml_parser_t *p, const bool *tabline)
{
	if (p->error == YAML_MEMORY_ERROR) {
		ly_error(y, NULL, "out of memory while reading the YAML");
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		/* Encoding problems come with a byte offset, not a mark. */
		size_t off = p->problem_offset, line = 0;
		while (line + 1 < y->nlines && y->lines[line + 1] <= off)
			line++;
		size_t col = 0;
		if (line < y->nlines)
			for (size_t i = y->lines[line]; i < off && i < y->len; col++)
				i += utf8_len((unsigned char)y->src[i]);
		if (p->problem_value >= 0)
			ly_report_at(y, false, line, col, "invalid YAML: %s (byte 0x%02x)",
			             p->problem ? p->problem : "unreadable text",
			             (unsigned)p->problem_value & 0xffu);
		else
			ly_report_at(y, false, line, col, "invalid YAML: %s",
			             p->problem ? p->problem : "unreadable text");
		return;
	}
	size_t line = p->problem_mark.line, col = p->problem_mark.column;
	if (line < y->nlines && tabline[line])
		return; /* the tab itself has been reported: that is the cause */
	const char *problem = p->problem ? p->problem : "cannot parse";
	if (p->context && (p->context_mark.line != line || p->context_mark.column != col))
		ly_report_at(y, false, line, col, "invalid YAML: %s (%s at line %zu, column %zu)",
		             problem, p->context, p->context_mark.line + 1,
		             p->context_mark.column + 1);
	else if (p->context)
		ly_report_at(y, false, line, col, "invalid YAML: %s (%s)", problem, p->context);
	else
		ly_report_at(y, false, line, col, "invalid YAML: %s", problem);
}

/* Column (in characters) of the first tab in a line's indentation, or -1. */
static long indent_tab(const struct yaml_ctx *y, size_t line)
{
	const char *s;
	size_t n;
	if (!line_text(y, line, &s, &n))
		return -1;
	/* Blank lines and comments too: libyaml refuses tabs there as well. */
	for (size_t i = 0; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
		if (s[i] == '\t')
			return (long)i;
	return -1;
}

/* Mark the lines inside a quoted or block scalar: tabs there are text. */
static void exempt_scalar(const yaml_event_t *ev, bool *exempt, size_t nlines)
{
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		return;
	size_t a = ev->start_mark.line + 1, b = ev->end_mark.line;
	if (ev->end_mark.column > 0)
		b++;
	for (size_t l = a; l < b && l < nlines; l++)
		exempt[l] = true;
}

/*
 * The event pass. Returns false after reporting when the text must not be
 * loaded; reports tab indentation either way.
 */
static bool event_pass(struct yaml_ctx *y, size_t *alias_line, size_t *alias_col, bool *aliases)
{
	bool *exempt = xcalloc(y->nlines, sizeof *exempt);
	bool *tabline = xcalloc(y->nlines, sizeof *tabline);
	yaml_parser_t p;
	yaml_event_t ev;
	bool ok = true, failed_parse = false;
	size_t depth = 0, docs = 0, stop_line = SIZE_MAX;

	*aliases = false;
	if (!yaml_parser_initialize(&p)) {
		free(exempt);
		free(tabline);
		ly_error(y, NULL, "out of memory while reading the YAML");
		return false;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)y->src, y->len);
	for (;;) {
		if (!yaml_parser_parse(&p, &ev)) {
			ok = false;
			failed_parse = true;
			stop_line = p.error == YAML_READER_ERROR ? 0 : p.problem_mark.line;
			break;
		}
		bool end = ev.type == YAML_STREAM_END_EVENT;
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1) {
				ly_report_at(y, false, ev.start_mark.line, ev.start_mark.column,
				             "only one YAML document is allowed in a config file");
				ok = false;
				end = true;
			}
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > LY_MAX_DEPTH) {
				ly_report_at(y, false, ev.start_mark.line, ev.start_mark.column,
				             "nesting deeper than %d levels", LY_MAX_DEPTH);
				ok = false;
				end = true;
			}
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			exempt_scalar(&ev, exempt, y->nlines);
			break;
		case YAML_ALIAS_EVENT:
			if (!*aliases) {
				*aliases = true;
				*alias_line = ev.start_mark.line;
				*alias_col = ev.start_mark.column;
			}
			break;
		default:
			break;
		}
		if (!ok && !end)
			end = true;
		if (!ok)
			stop_line = ev.start_mark.line;
		yaml_event_delete(&ev);
		if (end)
			break;
	}

	/* Tabs in indentation, up to where parsing got. */
	for (size_t l = 0; l < y->nlines && (l <= stop_line || stop_line == SIZE_MAX); l++) {
		if (exempt[l])
			continue;
		long col = indent_tab(y, l);
		if (col < 0)
			continue;
		tabline[l] = true;
		ly_report_at(y, false, l, (size_t)col,
		             "tab character in indentation (indent with spaces)");
	}
	if (failed_parse)
		parser_error(y, &p, tabline);
	yaml_parser_delete(&p);
	free(exempt);
	free(tabline);
	return ok;
}

struct expand {
	struct yaml_ctx *y;
	unsigned char *onpath;
	size_t visits, budget;
	int depth;
	size_t alias_line, alias_col;
	bool aliases;
};

/* Walk node id as a section parser would, aliases expanded. */
static int expand_check(struct expand *x, int id)
{
	yaml_node_t *n = yaml_document_get_node(&x->y->doc, id);
	if (!n)
		return 0;
	if (x->onpath[id]) {
		ly_error(x->y, n, "an alias refers to a node that contains it");
		return -1;
	}
	if (++x->visits > x->budget) {
#define BOMB_MSG "aliases expand the document by more than %d nodes; refusing it"
		if (x->aliases)
			ly_report_at(x->y, false, x->alias_line, x->alias_col, BOMB_MSG,
			             LY_MAX_ALIAS_NODES);
		else
			ly_error(x->y, n, BOMB_MSG, LY_MAX_ALIAS_NODES);
#undef BOMB_MSG
		return -1;
	}
	if (n->type == YAML_SCALAR_NODE)
		return 0;
	if (++x->depth > LY_MAX_DEPTH) {
		ly_error(x->y, n, "nesting deeper than %d levels (through aliases)", LY_MAX_DEPTH);
		return -1;
	}
	x->onpath[id] = 1;
	int rc = 0;
	if (n->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = n->data.sequence.items.start;
		     rc == 0 && it < n->data.sequence.items.top; it++)
			rc = expand_check(x, *it);
	} else if (n->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = n->data.mapping.pairs.start;
		     rc == 0 && pr < n->data.mapping.pairs.top; pr++) {
			rc = expand_check(x, pr->key);
			if (rc == 0)
				rc = expand_check(x, pr->value);
		}
	}
	x->onpath[id] = 0;
	x->depth--;
	return rc;
}

static void load_text(struct yaml_ctx *y)
{
	size_t aline = 0, acol = 0;
	bool aliases = false;
	index_lines(y);
	if (!event_pass(y, &aline, &acol, &aliases))
		return;

	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		ly_error(y, NULL, "out of memory while reading the YAML");
		return;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)y->src, y->len);
	if (!yaml_parser_load(&p, &y->doc)) {
		bool *none = xcalloc(y->nlines, sizeof *none);
		parser_error(y, &p, none);
		free(none);
		yaml_parser_delete(&p);
		return;
	}
	yaml_parser_delete(&p);
	y->have_doc = true;

	/* "UTC\u0000x" is a valid YAML string that every C string reading it
	 * would cut at the NUL (to "UTC"): refuse it where it is */
	bool nul = false;
	for (yaml_node_t *n = y->doc.nodes.start; n < y->doc.nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE &&
		    memchr(n->data.scalar.value, '\0', n->data.scalar.length)) {
			ly_error(y, n,
			         "a NUL character in a string (\\0, \\x00 or \\u0000): "
			         "leads cannot keep one");
			nul = true;
		}
	yaml_node_t *root = yaml_document_get_root_node(&y->doc);
	if (!root || nul)
		return; /* an empty file, or one refused */
	size_t nnodes = (size_t)(y->doc.nodes.top - y->doc.nodes.start);
	struct expand x = {
		.y = y,
		.onpath = xcalloc(nnodes + 2, 1),
		.budget = nnodes + LY_MAX_ALIAS_NODES,
		.alias_line = aline,
		.alias_col = acol,
		.aliases = aliases,
	};
	int rc = expand_check(&x, 1);
	free(x.onpath);
	if (rc == 0)
		y->root = root;
}

static void ctx_init(struct yaml_ctx *y, const char *name)
{
	memset(y, 0, sizeof *y);
	y->name = xstrdup(name);
}

void ly_load_mem(struct yaml_ctx *y, const char *name, const char *text, size_t len)
{
	ctx_init(y, name);
	if (len > LY_MAX_BYTES) {
		ly_error(y, NULL, "file is larger than %u MiB; refusing to read it",
		         LY_MAX_BYTES >> 20);
		y->src = xstrdup("");
		index_lines(y);
		return;
	}
	y->src = xstrndup(text, len);
	y->len = len;
	load_text(y);
}

/* A character device that reads as nothing: `-c /dev/null`, no config. */
static bool is_dev_null(const struct stat *st)
{
	struct stat dn;
	return S_ISCHR(st->st_mode) && stat("/dev/null", &dn) == 0 && S_ISCHR(dn.st_mode) &&
	       dn.st_rdev == st->st_rdev;
}

int ly_load_file(struct yaml_ctx *y, const char *path, struct lerr *err)
{
	/*
	 * Only a regular file (or /dev/null): a FIFO nobody writes to would
	 * block open() and read() forever, a terminal would wait for typing.
	 * Checked before open(), which is what blocks on a FIFO; O_NONBLOCK
	 * and the fstat() after it close the window of a swap in between.
	 */
	struct stat pre;
	if (stat(path, &pre) == 0 && !S_ISREG(pre.st_mode) && !S_ISDIR(pre.st_mode) &&
	    !is_dev_null(&pre))
		return lerr_set(err, EX_CONFIG, "cannot read %s: not a regular file (%s)", path,
		                S_ISFIFO(pre.st_mode)   ? "a FIFO"
		                : S_ISSOCK(pre.st_mode) ? "a socket"
		                : S_ISCHR(pre.st_mode)  ? "a character device"
		                : S_ISBLK(pre.st_mode)  ? "a block device"
		                                        : "not a file");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		return lerr_set(err,
		                e == ENOENT || e == EACCES || e == ENOTDIR ? EX_NOINPUT : EX_IOERR,
		                "cannot open %s: %s", path, strerror(e));
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return lerr_set(err, EX_IOERR, "cannot read %s: %s", path, strerror(e));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return lerr_set(err, EX_NOINPUT, "cannot read %s: it is a directory", path);
	}
	if (!S_ISREG(st.st_mode) && !is_dev_null(&st)) {
		close(fd);
		return lerr_set(err, EX_CONFIG, "cannot read %s: not a regular file", path);
	}
	/* Read at most one byte past the limit: enough to know it is too big. */
	struct sb sb = SB_INIT;
	char buf[65536];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			sb_free(&sb);
			return lerr_set(err, EX_IOERR, "cannot read %s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		sb_add(&sb, buf, (size_t)r);
		if (sb.len > LY_MAX_BYTES)
			break;
	}
	close(fd);
	ly_load_mem(y, path, sb_str(&sb), sb.len);
	y->mode = (unsigned)st.st_mode;
	y->st = st;
	sb_free(&sb);
	return 0;
}

void ly_free(struct yaml_ctx *y)
{
	if (y->have_doc)
		yaml_document_delete(&y->doc);
	for (size_t i = 0; i < y->ndiags - ndropped(y); i++)
		free(y->diags[i].text);
	free(y->diags);
	free(y->lines);
	free(y->src);
	free(y->name);
	memset(y, 0, sizeof *y);
}

/* ---- nodes ---- */

bool ly_is_map(const yaml_node_t *n)
{
	return n && n->type == YAML_MAPPING_NODE;
}

bool ly_is_seq(const yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE;
}

bool ly_is_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

bool ly_is_null(const yaml_node_t *n)
{
	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = (const char *)n->data.scalar.value;
	return !*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	       strcmp(s, "NULL") == 0;
}

const char *ly_kind(const yaml_node_t *n)
{
	if (ly_is_null(n))
		return "nothing";
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a string";
	}
}

const char *ly_scalar(const yaml_node_t *n)
{
	return ly_is_scalar(n) ? (const char *)n->data.scalar.value : NULL;
}

size_t ly_seq_len(const yaml_node_t *n)
{
	return ly_is_seq(n) ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
	                    : 0;
}

yaml_node_t *ly_seq_at(struct yaml_ctx *y, const yaml_node_t *n, size_t i)
{
	if (i >= ly_seq_len(n))
		return NULL;
	return yaml_document_get_node(&y->doc, n->data.sequence.items.start[i]);
}

size_t ly_map_len(const yaml_node_t *n)
{
	return ly_is_map(n) ? (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start) : 0;
}

yaml_node_t *ly_map_key(struct yaml_ctx *y, const yaml_node_t *n, size_t i)
{
	if (i >= ly_map_len(n))
		return NULL;
	return yaml_document_get_node(&y->doc, n->data.mapping.pairs.start[i].key);
}

yaml_node_t *ly_map_val(struct yaml_ctx *y, const yaml_node_t *n, size_t i)
{
	if (i >= ly_map_len(n))
		return NULL;
	return yaml_document_get_node(&y->doc, n->data.mapping.pairs.start[i].value);
}

yaml_node_t *ly_map_get(struct yaml_ctx *y, const yaml_node_t *n, const char *key)
{
	for (size_t i = 0; i < ly_map_len(n); i++) {
		const char *k = ly_scalar(ly_map_key(y, n, i));
		if (k && strcmp(k, key) == 0)
			return ly_map_val(y, n, i);
	}
	return NULL;
}

/* ---- scalar getters ---- */

static const char *expect_scalar(struct yaml_ctx *y, const yaml_node_t *n, const char *what,
                                 const char *want)
{
	if (ly_is_null(n)) {
		ly_error(y, n, "%s needs a value (%s)", what, want);
		return NULL;
	}
	if (!ly_is_scalar(n)) {
		ly_error(y, n, "expected %s for %s, got %s", want, what, ly_kind(n));
		return NULL;
	}
	return ly_scalar(n);
}

int ly_str(struct yaml_ctx *y, const yaml_node_t *n, const char *what, char **out)
{
	const char *s = expect_scalar(y, n, what, "a string");
	if (!s)
		return -1;
	if (!*s)
		return ly_error(y, n, "%s must not be empty", what);
	free(*out);
	*out = xstrdup(s);
	return 0;
}

int ly_bool(struct yaml_ctx *y, const yaml_node_t *n, const char *what, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	const char *s = expect_scalar(y, n, what, "true or false");
	if (!s)
		return -1;
	for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
		if (str_ieq(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (str_ieq(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return ly_error(y, n, "expected true or false for %s, got '%s'", what, s);
}

int ly_int(struct yaml_ctx *y, const yaml_node_t *n, const char *what, int64_t min, int64_t max,
           int64_t *out)
{
	const char *s = expect_scalar(y, n, what, "a whole number");
	if (!s)
		return -1;
	int64_t v;
	bool ok = (*s == '-' || *s == '+' || (*s >= '0' && *s <= '9')) && str_to_i64(s, &v);
	if (!ok || v < min || v > max) {
		if (max == INT64_MAX || max == INT_MAX)
			return ly_error(y, n,
			                "expected a whole number of at least %" PRId64
			                " for %s, got '%s'",
			                min, what, s);
		return ly_error(y, n,
		                "expected a whole number from %" PRId64 " to %" PRId64
		                " for %s, got '%s'",
		                min, max, what, s);
	}
	*out = v;
	return 0;
}

int ly_dur(struct yaml_ctx *y, const yaml_node_t *n, const char *what, struct ldur *out)
{
	const char *s = expect_scalar(y, n, what, "a duration such as 30m, 2h, 3d, 1w or 3mo");
	if (!s)
		return -1;
	struct ldur d;
	if (!ldur_parse(s, &d))
		return ly_error(y, n,
		                "invalid duration '%s' for %s (expected a number and a unit: "
		                "30m, 2h, 3d, 1w, 3mo)",
		                s, what);
	*out = d;
	return 0;
}

int ly_tz(struct yaml_ctx *y, const yaml_node_t *n, const char *what, char **name, struct tz **tz)
{
	char *s = NULL;
	if (ly_str(y, n, what, &s) != 0)
		return -1;
	struct lerr e = { 0 };
	if (tz_load(s, tz, &e) != 0) {
		free(s);
		return ly_error(y, n, "%s", e.msg);
	}
	*name = s;
	return 0;
}

static void join_names(struct sb *sb, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_adds(sb, ", ");
		sb_adds(sb, names[i]);
	}
}

int ly_enum(struct yaml_ctx *y, const yaml_node_t *n, const char *what, const char *const *names,
            size_t nnames, int *out)
{
	struct sb sb = SB_INIT;
	join_names(&sb, names, nnames);
	const char *s = expect_scalar(y, n, what, sb_str(&sb));
	int rc = -1;
	if (s) {
		for (size_t i = 0; i < nnames; i++) {
			if (str_ieq(s, names[i])) {
				*out = (int)i;
				rc = 0;
				break;
			}
		}
		if (rc != 0)
			ly_error(y, n, "invalid %s '%s' (expected: %s)", what, s, sb_str(&sb));
	}
	sb_free(&sb);
	return rc;
}

int ly_strv(struct yaml_ctx *y, const yaml_node_t *n, const char *what, char ***v, size_t *nv)
{
	if (ly_is_null(n)) {
		strv_free(*v, *nv);
		*v = NULL;
		*nv = 0;
		return 0;
	}
	if (!ly_is_seq(n)) {
		if (ly_is_scalar(n))
			return ly_error(y, n, "expected a list for %s, got a string (write [%s])",
			                what, ly_scalar(n));
		return ly_error(y, n, "expected a list for %s, got %s", what, ly_kind(n));
	}
	size_t len = ly_seq_len(n);
	char **out = xcalloc(len + 1, sizeof *out);
	int rc = 0;
	for (size_t i = 0; i < len; i++)
		if (ly_str(y, ly_seq_at(y, n, i), what, &out[i]) != 0)
			rc = -1;
	size_t *first = xcalloc(len + 1, sizeof *first);
	ly_find_dups((const char *const *)out, len, first);
	for (size_t i = 0; i < len; i++)
		if (first[i] != SIZE_MAX)
			rc = ly_error(y, ly_seq_at(y, n, i),
			              "'%s' appears twice in %s (first at line %d)", out[i], what,
			              ly_line(ly_seq_at(y, n, first[i])));
	free(first);
	if (rc != 0) {
		strv_free(out, len);
		return -1;
	}
	strv_free(*v, *nv);
	*v = out;
	*nv = len;
	return 0;
}

struct dup_ent {
	const char *s;
	size_t i;
};

static int ci_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = (unsigned char)*a, z = (unsigned char)*b;
		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (z >= 'A' && z <= 'Z')
			z += 'a' - 'A';
		if (x != z || !x)
			return x - z;
	}
}

static int dup_cmp(const void *a, const void *b)
{
	const struct dup_ent *x = a, *y = b;
	int c = ci_cmp(x->s, y->s);
	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

void ly_find_dups(const char *const *v, size_t n, size_t *first)
{
	struct dup_ent *e = xcalloc(n + 1, sizeof *e);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		first[i] = SIZE_MAX;
		if (v[i])
			e[m++] = (struct dup_ent){ v[i], i };
	}
	qsort(e, m, sizeof *e, dup_cmp);
	for (size_t i = 1, head = 0; i < m; i++) {
		if (ci_cmp(e[head].s, e[i].s) == 0)
			first[e[i].i] = e[head].i;
		else
			head = i;
	}
	free(e);
}

/* ---- the walker ---- */

int ly_walk(struct yaml_ctx *y, yaml_node_t *map, const char *what, const struct ly_key *keys,
            size_t nkeys, void *obj)
{
	size_t before = y->nerrors;
	if (!ly_is_map(map) && !ly_is_null(map))
		return ly_error(y, map, "expected a mapping for %s, got %s", what, ly_kind(map));
	int *seen = xcalloc(nkeys + 1, sizeof *seen); /* line where each key was, 0 = not */
	for (size_t i = 0; i < ly_map_len(map); i++) {
		yaml_node_t *kn = ly_map_key(y, map, i);
		const char *key = ly_scalar(kn);
		if (!key || ly_is_null(kn)) {
			ly_error(y, kn, "expected a key name in %s, got %s", what, ly_kind(kn));
			continue;
		}
		size_t k = 0;
		while (k < nkeys && strcmp(keys[k].key, key) != 0)
			k++;
		if (k == nkeys) {
			struct sb sb = SB_INIT;
			for (size_t j = 0; j < nkeys; j++)
				sb_addf(&sb, "%s%s", j ? ", " : "", keys[j].key);
			ly_error(y, kn, "unknown key '%s' in %s (expected: %s)", key, what,
			         sb_str(&sb));
			sb_free(&sb);
			continue;
		}
		if (seen[k]) {
			ly_error(y, kn, "duplicate key '%s' in %s (first at line %d)", key, what,
			         seen[k]);
			continue;
		}
		seen[k] = ly_line(kn);
		if (keys[k].fn)
			keys[k].fn(y, ly_map_val(y, map, i), obj, &keys[k]);
	}
	for (size_t k = 0; k < nkeys; k++)
		if (keys[k].required && !seen[k])
			ly_error(y, map, "missing key '%s' in %s", keys[k].key, what);
	free(seen);
	return y->nerrors > before ? -1 : 0;
}

static void *field(void *obj, size_t off)
{
	return (char *)obj + off;
}

int ly_h_str(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	return ly_str(y, val, k->key, field(obj, k->off));
}

int ly_h_bool(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	return ly_bool(y, val, k->key, field(obj, k->off));
}

int ly_h_int(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	int64_t min = k->min, max = k->max, v;
	if (min == 0 && max == 0)
		max = INT_MAX;
	if (min < INT_MIN)
		min = INT_MIN;
	if (max > INT_MAX)
		max = INT_MAX;
	if (ly_int(y, val, k->key, min, max, &v) != 0)
		return -1;
	*(int *)field(obj, k->off) = (int)v;
	return 0;
}

int ly_h_dur(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	return ly_dur(y, val, k->key, field(obj, k->off));
}

int ly_h_strv(struct yaml_ctx *y, yaml_node_t *val, void *obj, const struct ly_key *k)
{
	return ly_strv(y, val, k->key, field(obj, k->off), field(obj, k->off_n));
}

/* ---- writing ---- */

static bool isalnum_ascii(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Words a YAML 1.1 reader would take for something else than a string. */
static bool special_word(const char *s)
{
	static const char *const words[] = { "true", "false", "yes", "no",   "on",
		                             "off",  "y",     "n",   "null", "~" };
	for (size_t i = 0; i < ARRAY_LEN(words); i++)
		if (str_ieq(s, words[i]))
			return true;
	return strspn(s, "0123456789.+-eE_:") == strlen(s);
}

static bool plain_ok(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s);
	if (n == 0 || special_word(s))
		return false;
	if (!(isalnum_ascii(u[0]) || u[0] >= 0x80 || u[0] == '/' || u[0] == '_' || u[0] == '('))
		return false;
	if (u[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = u[i];
		if (c >= 0x80) {
			/* NEL, LS, PS, BOM and C1 controls need escapes. */
			if (c == 0xC2 && u[i + 1] <= 0x9F)
				return false;
			if (c == 0xE2 && u[i + 1] == 0x80 && (u[i + 2] == 0xA8 || u[i + 2] == 0xA9))
				return false;
			if (c == 0xEF && u[i + 1] == 0xBB && u[i + 2] == 0xBF)
				return false;
			continue;
		}
		if (isalnum_ascii(c))
			continue;
		if (!strchr(" _-./@()+<>=", c))
			return false;
		if (c == ' ' && u[i + 1] == ' ')
			return false; /* folding would keep it, but it reads badly */
	}
	return true;
}

void ly_emit_str(struct sb *out, const char *s)
{
	if (plain_ok(s)) {
		sb_adds(out, s);
		return;
	}
	const unsigned char *u = (const unsigned char *)s;
	sb_addc(out, '"');
	for (size_t i = 0; u[i]; i++) {
		unsigned char c = u[i];
		switch (c) {
		case '"':
			sb_adds(out, "\\\"");
			continue;
		case '\\':
			sb_adds(out, "\\\\");
			continue;
		case '\n':
			sb_adds(out, "\\n");
			continue;
		case '\t':
			sb_adds(out, "\\t");
			continue;
		case '\r':
			sb_adds(out, "\\r");
			continue;
		default:
			break;
		}
		if (c < 0x20 || c == 0x7f) {
			sb_addf(out, "\\x%02x", c);
		} else if (c == 0xC2 && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F) {
			sb_addf(out, "\\x%02x", u[i + 1]);
			i++;
		} else if (c == 0xE2 && u[i + 1] == 0x80 &&
		           (u[i + 2] == 0xA8 || u[i + 2] == 0xA9)) {
			sb_adds(out, u[i + 2] == 0xA8 ? "\\L" : "\\P");
			i += 2;
		} else if (c == 0xEF && u[i + 1] == 0xBB && u[i + 2] == 0xBF) {
			sb_adds(out, "\\uFEFF");
			i += 2;
		} else {
			sb_addc(out, (char)c);
		}
	}
	sb_addc(out, '"');
}
