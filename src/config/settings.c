/* natterrc: defaults, then the file.  Every setting is a row of
 * settings_table; nothing else in this file knows a setting's name. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/ini.h"
#include "config/settings.h"

enum setting_type { SET_INT, SET_BOOL, SET_STRING };

struct setting_def {
	const char *section;
	const char *name;
	enum setting_type type;
	int min, max;        /* SET_INT */
	int def;             /* SET_INT and SET_BOOL */
	const char *def_str; /* SET_STRING; NULL: unset */
	const char *help;
	size_t offset; /* into struct settings */
};

#define OFF(f) offsetof(struct settings, f)

static const struct setting_def settings_table[] = {
    {.section = "connection",
     .name = "connect_timeout",
     .type = SET_INT,
     .min = 1,
     .max = 3600,
     .def = 20,
     .help = "seconds one connection attempt may take",
     .offset = OFF(connect_timeout)},
    {.section = "connection",
     .name = "reconnect_min",
     .type = SET_INT,
     .min = 1,
     .max = 3600,
     .def = 1,
     .help = "seconds before the first reconnection attempt",
     .offset = OFF(reconnect_min)},
    {.section = "connection",
     .name = "reconnect_max",
     .type = SET_INT,
     .min = 1,
     .max = 86400,
     .def = 300,
     .help = "longest wait between reconnection attempts, seconds",
     .offset = OFF(reconnect_max)},
    {.section = "connection",
     .name = "ping_interval",
     .type = SET_INT,
     .min = 5,
     .max = 3600,
     .def = 60,
     .help = "seconds of silence before a keepalive ping",
     .offset = OFF(ping_interval)},
    {.section = "connection",
     .name = "ping_timeout",
     .type = SET_INT,
     .min = 1,
     .max = 600,
     .def = 20,
     .help = "seconds before an unanswered ping means a dead link",
     .offset = OFF(ping_timeout)},
    {.section = "connection",
     .name = "close_timeout",
     .type = SET_INT,
     .min = 0,
     .max = 60,
     .def = 3,
     .help = "seconds to wait for the server to close the stream",
     .offset = OFF(close_timeout)},
    {.section = "history",
     .name = "mam_initial",
     .type = SET_INT,
     .min = 0,
     .max = 10000,
     .def = 200,
     .help = "archived messages (XEP-0313) fetched when an account's history is empty",
     .offset = OFF(mam_initial)},
    {.section = "privacy",
     .name = "reveal_os",
     .type = SET_BOOL,
     .def = false,
     .help = "tell software version queries (XEP-0092) the operating system",
     .offset = OFF(reveal_os)},
    {.section = "privacy",
     .name = "read_markers",
     .type = SET_BOOL,
     .def = true,
     .help = "tell contacts when their messages were shown to you (XEP-0333 displayed)",
     .offset = OFF(read_markers)},
    {.section = "ui",
     .name = "theme",
     .type = SET_STRING,
     .def_str = "default",
     .help = "colour theme",
     .offset = OFF(theme)},
    {.section = "ui",
     .name = "bell",
     .type = SET_BOOL,
     .def = true,
     .help = "ring the terminal bell on a new message",
     .offset = OFF(bell)},
    {.section = "ui",
     .name = "inactive_after",
     .type = SET_INT,
     .min = 0,
     .max = 86400,
     .def = 300,
     .help = "seconds without a key before the server is told nobody looks (XEP-0352; 0: "
             "never)",
     .offset = OFF(inactive_after)},
    {.section = "general",
     .name = "account",
     .type = SET_STRING,
     .def_str = NULL,
     .help = "the account natter opens without -a",
     .offset = OFF(default_account)},
    {.section = "general",
     .name = "opener",
     .type = SET_STRING,
     .def_str = "xdg-open",
     .help = "the command /open runs with a link as its last argument",
     .offset = OFF(opener)},
};

#define TABLE_LEN (sizeof(settings_table) / sizeof(settings_table[0]))

static void *field(struct settings *s, const struct setting_def *d)
{
	return (char *)s + d->offset;
}

void settings_free(struct settings *s)
{
	size_t i;

	for (i = 0; i < TABLE_LEN; i++) {
		if (settings_table[i].type == SET_STRING) {
			free(*(char **)field(s, &settings_table[i]));
			*(char **)field(s, &settings_table[i]) = NULL;
		}
	}
}

static int settings_defaults(struct settings *s)
{
	const struct setting_def *d;
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < TABLE_LEN; i++) {
		d = &settings_table[i];
		if (d->type == SET_INT)
			*(int *)field(s, d) = d->def;
		else if (d->type == SET_BOOL)
			*(bool *)field(s, d) = d->def;
		else if (d->def_str && !(*(char **)field(s, d) = strdup(d->def_str)))
			return -1;
	}
	return 0;
}

struct load {
	struct ini_file ini;
	int seen[TABLE_LEN]; /* line each setting was given on, 0 if not */
	struct settings *out;
};

/* Unknown sections are refused even when they are empty. */
static void ld_section(void *user, int line, const char *name)
{
	struct load *ld = user;
	size_t i;

	for (i = 0; i < TABLE_LEN; i++)
		if (!strcmp(settings_table[i].section, name))
			return;
	ini_fail(&ld->ini, line, "unknown section [%s]", name);
}

static void set_value(struct load *ld, int line, const struct setting_def *d, const char *v)
{
	char *end;
	long n;

	switch (d->type) {
	case SET_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (!isdigit((unsigned char)(*v == '-' ? v[1] : *v)) || errno || *end ||
		    n < d->min || n > d->max) {
			ini_fail(&ld->ini, line,
			         "%s in [%s] must be a number from %d to %d (got '%.64s')", d->name,
			         d->section, d->min, d->max, v);
			return;
		}
		*(int *)field(ld->out, d) = (int)n;
		return;
	case SET_BOOL:
		if (strcmp(v, "true") && strcmp(v, "false")) {
			ini_fail(&ld->ini, line, "%s in [%s] must be true or false (got '%.64s')",
			         d->name, d->section, v);
			return;
		}
		*(bool *)field(ld->out, d) = !strcmp(v, "true");
		return;
	case SET_STRING:
		if (!*v) {
			ini_fail(&ld->ini, line, "%s in [%s] has no value", d->name, d->section);
			return;
		}
		free(*(char **)field(ld->out, d));
		*(char **)field(ld->out, d) = strdup(v);
		if (!*(char **)field(ld->out, d)) {
			ini_nomem(&ld->ini);
			return;
		}
		return;
	}
}

static void ld_key(void *user, int line, const char *section, const char *name, const char *value)
{
	struct load *ld = user;
	const struct setting_def *d = NULL;
	size_t i;

	for (i = 0; i < TABLE_LEN && !d; i++)
		if (!strcmp(settings_table[i].section, section) &&
		    !strcmp(settings_table[i].name, name))
			d = &settings_table[i];
	if (!d) {
		if (*section)
			ini_fail(&ld->ini, line, "unknown setting '%s' in [%s]", name, section);
		else
			ini_fail(&ld->ini, line, "setting '%s' is outside a [section]", name);
		return;
	}
	i = d - settings_table;
	if (ld->seen[i]) {
		ini_fail(&ld->ini, line, "%s in [%s] given twice (first at line %d)", d->name,
		         d->section, ld->seen[i]);
		return;
	}
	ld->seen[i] = line;
	set_value(ld, line, d, value);
}

static const struct ini_ops ld_ops = {
    .section = ld_section,
    .key = ld_key,
    .syntax_error = "expected 'key = value' or '[section]'",
};

static int seen_line(const struct load *ld, size_t offset)
{
	size_t i;

	for (i = 0; i < TABLE_LEN; i++)
		if (settings_table[i].offset == offset)
			return ld->seen[i];
	return 0;
}

/* Bounds that involve two settings. */
static void ld_check(struct load *ld)
{
	int line;

	if (ld->out->reconnect_min > ld->out->reconnect_max) {
		line = seen_line(ld, OFF(reconnect_min));
		if (seen_line(ld, OFF(reconnect_max)) > line)
			line = seen_line(ld, OFF(reconnect_max));
		ini_fail(&ld->ini, line, "reconnect_min (%d) is larger than reconnect_max (%d)",
		         ld->out->reconnect_min, ld->out->reconnect_max);
	}
}

int settings_load(const char *path, struct settings *out, char **err)
{
	struct settings tmp;
	struct load ld = {.ini.path = path, .out = &tmp};
	FILE *f;

	*err = NULL;
	if (settings_defaults(out) < 0)
		goto nomem;
	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		if (asprintf(err, "cannot open %s: %s", path, strerror(errno)) < 0)
			*err = NULL;
		return -1;
	}
	if (settings_defaults(&tmp) < 0) {
		fclose(f);
		settings_free(&tmp);
		goto nomem;
	}
	ini_read(&ld.ini, f, &ld_ops, &ld);
	fclose(f);
	if (!ini_failed(&ld.ini))
		ld_check(&ld);
	if (ini_failed(&ld.ini)) {
		/* *out keeps the defaults */
		settings_free(&tmp);
		*err = ini_take_error(&ld.ini);
		return -1;
	}
	settings_free(out);
	*out = tmp;
	return 0;
nomem:
	*err = strdup("out of memory");
	return -1;
}
