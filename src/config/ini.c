/* The line reader and error keeping that the accounts file and natterrc
 * share (see ini.h); inih still does the parsing. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ini.h"

/* inih reads each line into a fixed buffer; a longer line would be split
 * into two lines, so the reader refuses it first.  The buffer must hold
 * the line, "\r\n" and the terminating NUL. */
#define LINE_MAX_LEN (INI_MAX_LINE - 3)

const size_t ini_line_max = LINE_MAX_LEN;

/* The one difference from inih: a value runs to the end of the line,
 * because ';' is common in passwords and shell commands and inih's inline
 * comments would silently cut them. */
void ini_line_split(const char *s, size_t len, struct ini_line *l)
{
	const char *end = s + len, *sep;

	memset(l, 0, sizeof(*l));
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	if (s == end || *s == ';' || *s == '#') {
		l->kind = INI_LINE_BLANK;
		return;
	}
	if (*s == '[') {
		sep = memchr(s, ']', end - s);
		l->kind = sep ? INI_LINE_SECTION : INI_LINE_BAD;
		l->name = s + 1;
		l->name_len = sep ? (size_t)(sep - s - 1) : 0;
		return;
	}
	for (sep = s; sep < end && *sep != '=' && *sep != ':'; sep++)
		;
	if (sep == end) {
		l->kind = INI_LINE_BAD;
		return;
	}
	l->kind = INI_LINE_KEY;
	l->name = s;
	l->name_len = sep - s;
	while (l->name_len && isspace((unsigned char)s[l->name_len - 1]))
		l->name_len--;
	for (sep++; sep < end && isspace((unsigned char)*sep); sep++)
		;
	l->value = sep;
	l->value_len = end - sep;
}

void ini_fail(struct ini_file *ini, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int rc;

	if (ini_failed(ini))
		return;
	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		ini->nomem = true;
		return;
	}
	if (line > 0)
		rc = asprintf(&ini->err, "%s:%d: %s", ini->path, line, msg);
	else
		rc = asprintf(&ini->err, "%s", msg);
	free(msg);
	if (rc < 0) {
		ini->err = NULL;
		ini->nomem = true;
		return;
	}
	ini->err_line = line;
}

void ini_nomem(struct ini_file *ini)
{
	ini->nomem = true;
}

bool ini_failed(const struct ini_file *ini)
{
	return ini->err || ini->nomem;
}

char *ini_take_error(struct ini_file *ini)
{
	char *err = ini->err;

	ini->err = NULL;
	/* on ENOMEM the result may be NULL: nothing could be allocated for it */
	return err ? err : strdup("out of memory");
}

/* The name of a line ini_line_split() found, made a C string in place; the
 * byte after it is the ']' or a separator or blank, never part of the
 * value, and inih already has its own copy of the line. */
static const char *terminate(struct ini_file *ini, const char *s, size_t len)
{
	ini->line[s - ini->line + len] = '\0';
	return s;
}

/* inih's line reader.  It hands inih whole lines, refuses lines inih would
 * split, counts lines (the Debian build of inih passes no line numbers) and
 * passes section headers on itself so that empty and repeated sections are
 * seen too.  Returning NULL ends the parse, which is how errors stop it. */
static char *read_line(char *str, int num, void *stream)
{
	struct ini_file *ini = stream;
	struct ini_line l;
	char *s;
	ssize_t n;
	size_t len;

	if (ini_failed(ini))
		return NULL;
	errno = 0;
	n = getline(&ini->buf, &ini->cap, ini->f);
	if (n < 0) {
		if (ferror(ini->f))
			ini_fail(ini, ini->lineno + 1, "cannot read: %s", strerror(errno));
		else if (errno == ENOMEM)
			ini->nomem = true;
		return NULL;
	}
	ini->lineno++;
	len = (size_t)n;
	if (memchr(ini->buf, '\0', len)) {
		ini_fail(ini, ini->lineno, "line holds a NUL byte");
		return NULL;
	}
	s = ini->buf;
	if (ini->lineno == 1 && len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
		s += 3;
		len -= 3;
	}
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	/* Without leading blanks inih never treats a line as the continuation
	 * of the previous value, which would be a surprise in these files. */
	while (len && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	ini_line_split(s, len, &l);
	if (l.kind == INI_LINE_BLANK) {
		/* a comment of any length is harmless: inih need not see it */
		len = 0;
	} else if (len > LINE_MAX_LEN || len + 3 > (size_t)num) {
		ini_fail(ini, ini->lineno, "line is longer than %d bytes",
		         num - 3 < LINE_MAX_LEN ? num - 3 : LINE_MAX_LEN);
		return NULL;
	}
	memcpy(str, s, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	ini->line = s;
	ini->line_len = len;
	if (l.kind == INI_LINE_SECTION) {
		ini->ops->section(ini->user, ini->lineno, terminate(ini, l.name, l.name_len));
		if (ini_failed(ini))
			return NULL;
	}
	return str;
}

/* inih's handler, called for each key line.  inih's name and value are not
 * used: the value is taken from the raw line (see ini_line_split()). */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct ini_file *ini = user;
	struct ini_line l;
	const char *k, *v;

	(void)name;
	(void)value;
	if (ini_failed(ini))
		return 0;
	ini_line_split(ini->line, ini->line_len, &l);
	if (l.kind != INI_LINE_KEY) {
		ini_fail(ini, ini->lineno, "cannot read this line");
		return 0;
	}
	v = terminate(ini, l.value, l.value_len);
	k = terminate(ini, l.name, l.name_len);
	ini->ops->key(ini->user, ini->lineno, section, k, v);
	return !ini_failed(ini);
}

int ini_read(struct ini_file *ini, FILE *f, const struct ini_ops *ops, void *user)
{
	int rc;

	ini->f = f;
	ini->ops = ops;
	ini->user = user;
	rc = ini_parse_stream(read_line, ini, on_key, ini);
	if (rc == -2) {
		ini->nomem = true;
	} else if (rc > 0 && !ini->nomem && (!ini->err || rc < ini->err_line)) {
		/* inih goes on after a line it cannot read; that line came first */
		free(ini->err);
		ini->err = NULL;
		ini_fail(ini, rc, "%s", ops->syntax_error);
	}
	if (ini->buf)
		explicit_bzero(ini->buf, ini->cap);
	free(ini->buf);
	ini->buf = NULL;
	ini->cap = 0;
	ini->line = NULL;
	ini->line_len = 0;
	ini->f = NULL;
	return ini_failed(ini) ? -1 : 0;
}
