/* The line reader and error keeping that the accounts file and natterrc
 * share (see ini.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ini.h"

/* The INI dialect of inih (which natter used to read these files with),
 * but for one difference: a value runs to the end of the line, because
 * ';' is common in passwords and shell commands and inline comments would
 * silently cut them. */
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

/* A name or value of the current line, made a C string in place: the byte
 * after a name is its ']', separator or a blank, never part of the value,
 * and the byte after a value is a blank or the line ending. */
static const char *terminate(char *line, const char *s, size_t len)
{
	line[s - line + len] = '\0';
	return s;
}

/* One line, with its ending. */
static void one_line(struct ini_file *ini, char *s, size_t len, char **section)
{
	const struct ini_ops *ops = ini->ops;
	struct ini_line l;
	const char *k, *v;
	char *copy;

	if (memchr(s, '\0', len)) {
		ini_fail(ini, ini->lineno, "line holds a NUL byte");
		return;
	}
	if (ini->lineno == 1 && len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
		s += 3;
		len -= 3;
	}
	ini_line_split(s, len, &l);
	switch (l.kind) {
	case INI_LINE_BLANK:
		break;
	case INI_LINE_BAD:
		ini_fail(ini, ini->lineno, "%s", ops->syntax_error);
		break;
	case INI_LINE_SECTION:
		copy = strndup(l.name, l.name_len);
		if (!copy) {
			ini_nomem(ini);
			break;
		}
		free(*section);
		*section = copy;
		ops->section(ini->user, ini->lineno, copy);
		break;
	case INI_LINE_KEY:
		v = terminate(s, l.value, l.value_len);
		k = terminate(s, l.name, l.name_len);
		ops->key(ini->user, ini->lineno, *section, k, v);
		break;
	}
}

int ini_read(struct ini_file *ini, FILE *f, const struct ini_ops *ops, void *user)
{
	char *section = strdup("");
	ssize_t n;

	ini->ops = ops;
	ini->user = user;
	if (!section)
		ini_nomem(ini);
	while (!ini_failed(ini)) {
		errno = 0;
		n = getline(&ini->buf, &ini->cap, f);
		if (n < 0) {
			if (ferror(f))
				ini_fail(ini, ini->lineno + 1, "cannot read: %s", strerror(errno));
			else if (errno == ENOMEM)
				ini_nomem(ini);
			break;
		}
		ini->lineno++;
		one_line(ini, ini->buf, (size_t)n, &section);
	}
	if (ini->buf)
		explicit_bzero(ini->buf, ini->cap);
	free(ini->buf);
	ini->buf = NULL;
	ini->cap = 0;
	free(section);
	return ini_failed(ini) ? -1 : 0;
}
