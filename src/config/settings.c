/* natterrc: defaults, then the file.  Every setting is a row of
 * settings_table; nothing else in this file knows a setting's name. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <strings.h>
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
     .name = "typing",
     .type = SET_BOOL,
     .def = true,
     .help = "tell contacts when you type (XEP-0085 chat states)",
     .offset = OFF(typing)},
    {.section = "privacy",
     .name = "receipts",
     .type = SET_BOOL,
     .def = true,
     .help = "answer and ask for delivery receipts (XEP-0184)",
     .offset = OFF(receipts)},
    {.section = "privacy",
     .name = "read_markers",
     .type = SET_BOOL,
     .def = true,
     .help = "tell contacts when their messages were shown to you (XEP-0333 displayed)",
     .offset = OFF(read_markers)},
    {.section = "ui",
     .name = "timestamp",
     .type = SET_STRING,
     .def_str = "%H:%M",
     .help = "how a line's time is shown (strftime(3), e.g. %H:%M:%S)",
     .offset = OFF(timestamp)},
    {.section = "ui",
     .name = "eventcmd",
     .type = SET_STRING,
     .def_str = NULL,
     .help = "shell command run on each new message (NATTER_FROM, NATTER_BODY, NATTER_TYPE set)",
     .offset = OFF(eventcmd)},
    {.section = "ui",
     .name = "notify",
     .type = SET_BOOL,
     .def = false,
     .help = "desktop notifications of new messages through notify-send",
     .offset = OFF(notify)},
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
     .name = "roster_offline",
     .type = SET_BOOL,
     .def = false,
     .help = "the roster pane lists offline contacts too (/pane offline toggles it)",
     .offset = OFF(roster_offline)},
    {.section = "ui",
     .name = "occupants",
     .type = SET_BOOL,
     .def = true,
     .help = "show a room's occupant list beside it (F3 and /occupants toggle it)",
     .offset = OFF(occupants)},
    {.section = "ui",
     .name = "inactive_after",
     .type = SET_INT,
     .min = 0,
     .max = 86400,
     .def = 300,
     .help = "seconds without a key before the server is told nobody looks (XEP-0352; 0: "
             "never)",
     .offset = OFF(inactive_after)},
    {.section = "rooms",
     .name = "show_joins",
     .type = SET_BOOL,
     .def = true,
     .help = "show occupants joining and leaving in room windows",
     .offset = OFF(show_joins)},
    {.section = "rooms",
     .name = "bell",
     .type = SET_BOOL,
     .def = false,
     .help = "ring the bell for every room message, not only when your nick is mentioned",
     .offset = OFF(room_bell)},
    {.section = "rooms",
     .name = "self_ping",
     .type = SET_INT,
     .min = 0,
     .max = 86400,
     .def = 300,
     .help = "seconds of silence from a room before checking we are still in it "
             "(XEP-0410); 0: never",
     .offset = OFF(self_ping)},
    {.section = "presence",
     .name = "auto_away",
     .type = SET_INT,
     .min = 0,
     .max = 1440,
     .def = 0,
     .help = "minutes without a key before your presence becomes away; 0: never",
     .offset = OFF(auto_away)},
    {.section = "presence",
     .name = "auto_xa",
     .type = SET_INT,
     .min = 0,
     .max = 1440,
     .def = 0,
     .help = "minutes without a key before your presence becomes xa (extended away); 0: never",
     .offset = OFF(auto_xa)},
    {.section = "presence",
     .name = "auto_away_message",
     .type = SET_STRING,
     .def_str = NULL,
     .help = "the status text while away by idleness; unset: your own status text stays",
     .offset = OFF(auto_away_message)},
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
	for (i = 0; i < s->nwarnings; i++)
		free(s->warnings[i]);
	free(s->warnings);
	s->warnings = NULL;
	s->nwarnings = 0;
}

int settings_copy(struct settings *dst, const struct settings *src)
{
	*dst = *src;
	dst->warnings = NULL;
	dst->nwarnings = 0;
	for (size_t i = 0; i < TABLE_LEN; i++)
		if (settings_table[i].type == SET_STRING)
			*(char **)field(dst, &settings_table[i]) = NULL;
	for (size_t i = 0; i < TABLE_LEN; i++) {
		const struct setting_def *d = &settings_table[i];
		const char *v;

		/* Only a string field holds a pointer: reading one from an int
		 * or bool field is a misaligned load (UBSan stops natter). */
		if (d->type != SET_STRING)
			continue;
		v = *(char *const *)((const char *)src + d->offset);
		if (v && !(*(char **)field(dst, d) = strdup(v))) {
			settings_free(dst);
			return -1;
		}
	}
	return 0;
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
	const char *path;
	int seen[TABLE_LEN]; /* line each setting was given on, 0 if not */
	struct settings *out;
	bool nomem;
};

/* A line left out: said, and the rest goes on. */
static __attribute__((format(printf, 3, 4))) void warn(struct load *ld, int line, const char *fmt,
                                                       ...)
{
	char *text = NULL, *w = NULL, **grown;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	grown = text && asprintf(&w, "%s:%d: %s", ld->path, line, text) >= 0
	            ? realloc(ld->out->warnings, (ld->out->nwarnings + 1) * sizeof(*grown))
	            : NULL;
	free(text);
	if (!grown) {
		free(w);
		ld->nomem = true;
		return;
	}
	ld->out->warnings = grown;
	grown[ld->out->nwarnings++] = w;
}

static void ld_section(void *user, int line, const char *name)
{
	struct load *ld = user;
	size_t i;

	for (i = 0; i < TABLE_LEN; i++)
		if (!strcmp(settings_table[i].section, name))
			return;
	warn(ld, line, "unknown section [%s]: its settings are left out", name);
}

static int parse_bool(const char *v)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i]))
			return 1;
		if (!strcasecmp(v, no[i]))
			return 0;
	}
	return -1;
}

/* Puts v into d's field of s: NULL, or why it cannot (static text in
 * *why_buf's sense: formatted into a malloc'd string). */
static char *store_value(struct settings *s, const struct setting_def *d, const char *v)
{
	char *end, *why = NULL, *copy;
	long n;
	int b;

	switch (d->type) {
	case SET_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (!isdigit((unsigned char)(*v == '-' ? v[1] : *v)) || errno || *end ||
		    n < d->min || n > d->max) {
			if (asprintf(&why,
			             "%s in [%s] must be a number from %d to %d (got '%.64s')",
			             d->name, d->section, d->min, d->max, v) < 0)
				why = NULL;
			return why ? why : strdup("out of memory");
		}
		*(int *)field(s, d) = (int)n;
		return NULL;
	case SET_BOOL:
		b = parse_bool(v);
		if (b < 0) {
			if (asprintf(&why, "%s in [%s] must be yes or no (got '%.64s')", d->name,
			             d->section, v) < 0)
				why = NULL;
			return why ? why : strdup("out of memory");
		}
		*(bool *)field(s, d) = b;
		return NULL;
	case SET_STRING:
		if (!*v) {
			if (asprintf(&why, "%s in [%s] has no value", d->name, d->section) < 0)
				why = NULL;
			return why ? why : strdup("out of memory");
		}
		copy = strdup(v);
		if (!copy)
			return strdup("out of memory");
		free(*(char **)field(s, d));
		*(char **)field(s, d) = copy;
		return NULL;
	}
	return NULL;
}

static void ld_key(void *user, int line, const char *section, const char *name, const char *value)
{
	struct load *ld = user;
	const struct setting_def *d = NULL;
	char *why;
	size_t i;

	for (i = 0; i < TABLE_LEN && !d; i++)
		if (!strcmp(settings_table[i].section, section) &&
		    !strcmp(settings_table[i].name, name))
			d = &settings_table[i];
	if (!d) {
		if (*section)
			warn(ld, line, "unknown setting '%s' in [%s]: left out", name, section);
		else
			warn(ld, line, "setting '%s' is outside a [section]: left out", name);
		return;
	}
	i = d - settings_table;
	if (ld->seen[i])
		warn(ld, line, "%s in [%s] given again (first at line %d): the last one counts",
		     d->name, d->section, ld->seen[i]);
	ld->seen[i] = line;
	why = store_value(ld->out, d, value);
	if (why) {
		warn(ld, line, "%s: the default is used", why);
		free(why);
	}
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
		warn(ld, line,
		     "reconnect_min (%d) is larger than reconnect_max (%d): both are "
		     "taken as %d",
		     ld->out->reconnect_min, ld->out->reconnect_max, ld->out->reconnect_max);
		ld->out->reconnect_min = ld->out->reconnect_max;
	}
}

int settings_load(const char *path, struct settings *out, char **err)
{
	struct load ld = {.ini.path = path, .path = path, .out = out};
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
	ini_read(&ld.ini, f, &ld_ops, &ld);
	fclose(f);
	if (ini_failed(&ld.ini)) {
		/* A line inih cannot read at all: said, and the rest stays. */
		char *e = ini_take_error(&ld.ini), **grown;

		grown = e ? realloc(out->warnings, (out->nwarnings + 1) * sizeof(*grown)) : NULL;
		if (!grown) {
			free(e);
			goto nomem;
		}
		out->warnings = grown;
		grown[out->nwarnings++] = e;
	}
	ld_check(&ld);
	if (ld.nomem)
		goto nomem;
	return 0;
nomem:
	*err = strdup("out of memory");
	return -1;
}

static const struct setting_def *find_def(const char *key)
{
	const char *dot = strchr(key, '.');
	const struct setting_def *found = NULL;

	for (size_t i = 0; i < TABLE_LEN; i++) {
		const struct setting_def *d = &settings_table[i];

		if (dot ? (strlen(d->section) == (size_t)(dot - key) &&
		           !strncmp(d->section, key, (size_t)(dot - key)) &&
		           !strcmp(d->name, dot + 1))
		        : !strcmp(d->name, key)) {
			if (found)
				return NULL; /* the name alone is ambiguous */
			found = d;
		}
	}
	return found;
}

int settings_set(struct settings *s, const char *key, const char *value, const char **section,
                 const char **name, char **err)
{
	const struct setting_def *d = find_def(key);

	*err = NULL;
	if (!d) {
		if (asprintf(err, "no setting %s (/set lists them)", key) < 0)
			*err = NULL;
		return -1;
	}
	*err = store_value(s, d, value);
	if (*err)
		return -1;
	if (s->reconnect_min > s->reconnect_max) {
		if (asprintf(err, "reconnect_min would be larger than reconnect_max") < 0)
			*err = NULL;
		return -1;
	}
	if (section)
		*section = d->section;
	if (name)
		*name = d->name;
	return 0;
}

char *settings_describe(const struct settings *s, const char *key)
{
	const struct setting_def *only = key ? find_def(key) : NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f;

	if (key && !only) {
		errno = ENOENT;
		return NULL;
	}
	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < TABLE_LEN; i++) {
		const struct setting_def *d = &settings_table[i];
		const void *v = (const char *)s + d->offset;

		if (only && d != only)
			continue;
		fprintf(f, "%s%s.%s = ", len ? "\n" : "", d->section, d->name);
		if (d->type == SET_INT)
			fprintf(f, "%d", *(const int *)v);
		else if (d->type == SET_BOOL)
			fprintf(f, "%s", *(const bool *)v ? "yes" : "no");
		else
			fprintf(f, "%s", *(char *const *)v ? *(char *const *)v : "(unset)");
		fprintf(f, "  (%s)", d->help);
		fflush(f);
	}
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}
