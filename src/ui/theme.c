/* Theme files and the colour pairs they turn into. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ui/theme.h"

#ifndef NATTER_DATADIR
#define NATTER_DATADIR "/usr/local/share/natter"
#endif

static const char *const theme_names[TH_COUNT] = {
    [TH_STATUS] = "status",
    [TH_STATUS_CUR] = "status.current",
    [TH_STATUS_ACT] = "status.activity",
    [TH_STATUS_ONLINE] = "status.online",
    [TH_STATUS_OFFLINE] = "status.offline",
    [TH_TIME] = "time",
    [TH_DELAYED] = "delayed",
    [TH_NICK_OWN] = "nick.own",
    [TH_NICK_PEER] = "nick.peer",
    [TH_TEXT] = "text",
    [TH_TEXT_OWN] = "text.own",
    [TH_INFO] = "info",
    [TH_ERROR] = "error",
    [TH_PRESENCE] = "presence",
    [TH_INPUT] = "input",
    [TH_PROMPT] = "prompt",
    [TH_ROSTER] = "roster",
    [TH_ROSTER_GROUP] = "roster.group",
    [TH_ROSTER_CUR] = "roster.current",
    [TH_ROSTER_UNREAD] = "roster.unread",
    [TH_ROSTER_SUB] = "roster.subscription",
    [TH_PRES_ONLINE] = "presence.online",
    [TH_PRES_CHAT] = "presence.chat",
    [TH_PRES_AWAY] = "presence.away",
    [TH_PRES_XA] = "presence.xa",
    [TH_PRES_DND] = "presence.dnd",
    [TH_PRES_OFFLINE] = "presence.offline",
    [TH_BORDER] = "border",
    [TH_STATUS_TYPING] = "status.typing",
    [TH_RECEIPT] = "receipt",
    [TH_STATUS_HILITE] = "status.highlight",
    [TH_HIGHLIGHT] = "highlight",
    [TH_SUBJECT] = "subject",
};

/* The built-in default; themes/default.theme spells out the same values. */
static const struct theme_style theme_builtin[TH_COUNT] = {
    [TH_STATUS] = {COLOR_WHITE, COLOR_BLUE, A_NORMAL},
    [TH_STATUS_CUR] = {COLOR_WHITE, COLOR_BLUE, A_BOLD},
    [TH_STATUS_ACT] = {COLOR_YELLOW, COLOR_BLUE, A_BOLD},
    [TH_STATUS_ONLINE] = {COLOR_GREEN, COLOR_BLUE, A_BOLD},
    [TH_STATUS_OFFLINE] = {COLOR_RED, COLOR_BLUE, A_BOLD},
    [TH_TIME] = {COLOR_CYAN, -1, A_NORMAL},
    [TH_DELAYED] = {COLOR_MAGENTA, -1, A_NORMAL},
    [TH_NICK_OWN] = {COLOR_GREEN, -1, A_BOLD},
    [TH_NICK_PEER] = {COLOR_YELLOW, -1, A_BOLD},
    [TH_TEXT] = {-1, -1, A_NORMAL},
    [TH_TEXT_OWN] = {-1, -1, A_NORMAL},
    [TH_INFO] = {COLOR_CYAN, -1, A_NORMAL},
    [TH_ERROR] = {COLOR_RED, -1, A_BOLD},
    [TH_PRESENCE] = {COLOR_BLUE, -1, A_NORMAL},
    [TH_INPUT] = {-1, -1, A_NORMAL},
    [TH_PROMPT] = {-1, -1, A_BOLD},
    [TH_ROSTER] = {-1, -1, A_NORMAL},
    [TH_ROSTER_GROUP] = {COLOR_MAGENTA, -1, A_BOLD},
    [TH_ROSTER_CUR] = {-1, -1, A_REVERSE},
    [TH_ROSTER_UNREAD] = {COLOR_YELLOW, -1, A_BOLD},
    [TH_ROSTER_SUB] = {-1, -1, A_DIM},
    [TH_PRES_ONLINE] = {COLOR_GREEN, -1, A_BOLD},
    [TH_PRES_CHAT] = {COLOR_CYAN, -1, A_BOLD},
    [TH_PRES_AWAY] = {COLOR_YELLOW, -1, A_NORMAL},
    [TH_PRES_XA] = {COLOR_MAGENTA, -1, A_NORMAL},
    [TH_PRES_DND] = {COLOR_RED, -1, A_BOLD},
    [TH_PRES_OFFLINE] = {-1, -1, A_DIM},
    [TH_BORDER] = {COLOR_BLUE, -1, A_NORMAL},
    [TH_STATUS_TYPING] = {COLOR_CYAN, COLOR_BLUE, A_BOLD},
    [TH_RECEIPT] = {COLOR_GREEN, -1, A_NORMAL},
    [TH_STATUS_HILITE] = {COLOR_WHITE, COLOR_RED, A_BOLD},
    [TH_HIGHLIGHT] = {COLOR_RED, -1, A_BOLD},
    [TH_SUBJECT] = {COLOR_CYAN, -1, A_BOLD},
};

/* What every element looks like without colour: distinct by attribute. */
static const struct theme_style theme_mono[TH_COUNT] = {
    [TH_STATUS] = {-1, -1, A_REVERSE},
    [TH_STATUS_CUR] = {-1, -1, A_REVERSE | A_BOLD},
    [TH_STATUS_ACT] = {-1, -1, A_REVERSE | A_BOLD | A_UNDERLINE},
    [TH_STATUS_ONLINE] = {-1, -1, A_REVERSE | A_BOLD},
    [TH_STATUS_OFFLINE] = {-1, -1, A_REVERSE},
    [TH_TIME] = {-1, -1, A_NORMAL},
    [TH_DELAYED] = {-1, -1, A_UNDERLINE},
    [TH_NICK_OWN] = {-1, -1, A_BOLD},
    [TH_NICK_PEER] = {-1, -1, A_BOLD | A_UNDERLINE},
    [TH_TEXT] = {-1, -1, A_NORMAL},
    [TH_TEXT_OWN] = {-1, -1, A_NORMAL},
    [TH_INFO] = {-1, -1, A_NORMAL},
    [TH_ERROR] = {-1, -1, A_BOLD},
    [TH_PRESENCE] = {-1, -1, A_NORMAL},
    [TH_INPUT] = {-1, -1, A_NORMAL},
    [TH_PROMPT] = {-1, -1, A_BOLD},
    [TH_ROSTER] = {-1, -1, A_NORMAL},
    [TH_ROSTER_GROUP] = {-1, -1, A_BOLD | A_UNDERLINE},
    [TH_ROSTER_CUR] = {-1, -1, A_REVERSE},
    [TH_ROSTER_UNREAD] = {-1, -1, A_BOLD},
    [TH_ROSTER_SUB] = {-1, -1, A_DIM},
    [TH_PRES_ONLINE] = {-1, -1, A_BOLD},
    [TH_PRES_CHAT] = {-1, -1, A_BOLD},
    [TH_PRES_AWAY] = {-1, -1, A_NORMAL},
    [TH_PRES_XA] = {-1, -1, A_NORMAL},
    [TH_PRES_DND] = {-1, -1, A_BOLD | A_UNDERLINE},
    [TH_PRES_OFFLINE] = {-1, -1, A_DIM},
    [TH_BORDER] = {-1, -1, A_NORMAL},
    [TH_STATUS_TYPING] = {-1, -1, A_REVERSE | A_BOLD},
    [TH_RECEIPT] = {-1, -1, A_NORMAL},
    [TH_STATUS_HILITE] = {-1, -1, A_BOLD | A_UNDERLINE},
    [TH_HIGHLIGHT] = {-1, -1, A_REVERSE},
    [TH_SUBJECT] = {-1, -1, A_BOLD | A_UNDERLINE},
};

/* The built-in light theme: themes/light.theme's lines over the default,
 * so /theme light works before (or without) installing. */
static const char theme_light[] = "status = black cyan\n"
                                  "status.current = black cyan bold\n"
                                  "status.activity = red cyan bold\n"
                                  "status.online = blue cyan bold\n"
                                  "status.offline = red cyan bold\n"
                                  "time = blue\n"
                                  "delayed = magenta\n"
                                  "nick.own = green bold\n"
                                  "nick.peer = magenta bold\n"
                                  "text = default\n"
                                  "text.own = default\n"
                                  "info = blue\n"
                                  "error = red bold\n"
                                  "presence = cyan\n"
                                  "input = default\n"
                                  "prompt = black bold\n"
                                  "roster = default\n"
                                  "roster.group = magenta bold\n"
                                  "roster.current = reverse\n"
                                  "roster.unread = red bold\n"
                                  "roster.subscription = default dim\n"
                                  "border = cyan\n"
                                  "presence.online = green bold\n"
                                  "presence.chat = blue bold\n"
                                  "presence.away = magenta\n"
                                  "presence.xa = magenta dim\n"
                                  "presence.dnd = red bold\n"
                                  "presence.offline = default dim\n"
                                  "status.typing = blue cyan bold\n"
                                  "receipt = green\n"
                                  "status.highlight = white red bold\n"
                                  "highlight = red bold\n"
                                  "subject = blue bold\n";

static const char *const theme_builtins[] = {"default", "light", "mono"};

static const struct {
	const char *name;
	short color;
} theme_colors[] = {
    {"default", -1},
    {"black", COLOR_BLACK},
    {"red", COLOR_RED},
    {"green", COLOR_GREEN},
    {"yellow", COLOR_YELLOW},
    {"blue", COLOR_BLUE},
    {"magenta", COLOR_MAGENTA},
    {"cyan", COLOR_CYAN},
    {"white", COLOR_WHITE},
};

static const struct {
	const char *name;
	attr_t attr;
} theme_attrs[] = {
    {"normal", A_NORMAL},       {"bold", A_BOLD},       {"dim", A_DIM},
    {"underline", A_UNDERLINE}, {"reverse", A_REVERSE}, {"standout", A_STANDOUT},
    {"italic", A_ITALIC},       {"blink", A_BLINK},
};

/* Set by theme_apply(): whether colour pairs are in use. */
static int theme_colour;

static int theme_name_ok(const char *name)
{
	const char *p;

	if (!*name || strlen(name) > 64)
		return 0;
	for (p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return 0;
	return 1;
}

/* The file a theme would load from, malloc'd; NULL when none exists. */
static char *theme_path(const char *name)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char *cand[2] = {NULL, NULL}, *found = NULL;
	int i;

	if (xdg && *xdg) {
		if (asprintf(&cand[0], "%s/natter/themes/%s.theme", xdg, name) < 0)
			cand[0] = NULL;
	} else if (home && *home) {
		if (asprintf(&cand[0], "%s/.config/natter/themes/%s.theme", home, name) < 0)
			cand[0] = NULL;
	}
	if (asprintf(&cand[1], "%s/themes/%s.theme", NATTER_DATADIR, name) < 0)
		cand[1] = NULL;
	for (i = 0; i < 2; i++) {
		if (!found && cand[i] && access(cand[i], R_OK) == 0)
			found = cand[i];
		else
			free(cand[i]);
	}
	return found;
}

static bool theme_is_builtin(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(theme_builtins) / sizeof(theme_builtins[0]); i++)
		if (!strcmp(name, theme_builtins[i]))
			return true;
	return false;
}

int theme_exists(const char *name)
{
	char *p;

	if (!theme_name_ok(name))
		return 0;
	if (theme_is_builtin(name))
		return 1;
	p = theme_path(name);
	free(p);
	return p != NULL;
}

static int theme_parse_color(const char *w, short *out)
{
	size_t i;
	char *end;
	long n;

	for (i = 0; i < sizeof(theme_colors) / sizeof(theme_colors[0]); i++) {
		if (!strcasecmp(w, theme_colors[i].name)) {
			*out = theme_colors[i].color;
			return 0;
		}
	}
	if (!strncasecmp(w, "bright", 6)) {
		if (theme_parse_color(w + 6, out) || *out < 0)
			return -1;
		*out += 8;
		return 0;
	}
	errno = 0;
	n = strtol(w, &end, 10);
	if (errno || *end || end == w || n < 0 || n > 255)
		return -1;
	*out = (short)n;
	return 0;
}

static int theme_parse_attr(const char *w, attr_t *out)
{
	size_t i;

	for (i = 0; i < sizeof(theme_attrs) / sizeof(theme_attrs[0]); i++) {
		if (!strcasecmp(w, theme_attrs[i].name)) {
			*out |= theme_attrs[i].attr;
			return 0;
		}
	}
	return -1;
}

/* Parses "FG [BG] [ATTR...]" into *st. */
static int theme_parse_value(char *v, struct theme_style *st)
{
	struct theme_style s = {-1, -1, A_NORMAL};
	int ncolors = 0;
	char *save = NULL, *w;

	for (w = strtok_r(v, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		short c;

		if (theme_parse_attr(w, &s.attr) == 0)
			continue;
		if (ncolors >= 2 || theme_parse_color(w, &c))
			return -1;
		if (ncolors++ == 0)
			s.fg = c;
		else
			s.bg = c;
	}
	*st = s;
	return 0;
}

static char *theme_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

static int theme_parse_line(char *line, struct theme_style *st)
{
	char *eq, *key, *hash = strchr(line, '#');
	int i;

	if (hash)
		*hash = 0;
	key = theme_trim(line);
	if (!*key)
		return 0;
	eq = strchr(key, '=');
	if (!eq)
		return -1;
	*eq = 0;
	key = theme_trim(key);
	for (i = 0; i < TH_COUNT; i++)
		if (!strcmp(key, theme_names[i]))
			return theme_parse_value(theme_trim(eq + 1), &st[i]);
	return -1;
}

/* What a theme's file is read over (the whole theme when it has no file). */
static void theme_base(const char *name, struct theme_style *st)
{
	const char *p = theme_light, *nl;
	char line[128];

	memcpy(st, !strcmp(name, "mono") ? theme_mono : theme_builtin, sizeof(theme_builtin));
	if (strcmp(name, "light"))
		return;
	for (; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		snprintf(line, sizeof line, "%.*s", (int)(nl - p), p);
		theme_parse_line(line, st); /* our own text: it parses */
	}
}

static int theme_read_file(const char *path, struct theme_style *st, char **err)
{
	char line[512];
	unsigned lineno = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		if (asprintf(err, "%s: %s", path, strerror(errno)) < 0)
			*err = NULL;
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		lineno++;
		if (theme_parse_line(line, st) == 0)
			continue;
		if (asprintf(err, "%s:%u: not \"element = [FG [BG]] [ATTR...]\"", path, lineno) < 0)
			*err = NULL;
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

int theme_load(struct theme *t, const char *name, char **err)
{
	struct theme_style st[TH_COUNT];
	char *path, *dup;

	*err = NULL;
	if (!name)
		name = "default";
	if (!theme_name_ok(name)) {
		*err = strdup("a theme name is letters, digits, '-' and '_'");
		return -1;
	}
	theme_base(name, st);
	path = theme_path(name);
	if (path) {
		int rc = theme_read_file(path, st, err);

		free(path);
		if (rc)
			return -1;
	} else if (!theme_is_builtin(name)) {
		if (asprintf(err, "no theme called %s", name) < 0)
			*err = NULL;
		return -1;
	}
	dup = strdup(name);
	if (!dup)
		return -1;
	free(t->name);
	t->name = dup;
	memcpy(t->st, st, sizeof st);
	return 0;
}

void theme_clear(struct theme *t)
{
	free(t->name);
	t->name = NULL;
}

static int theme_no_color(void)
{
	const char *v = getenv("NO_COLOR");

	return v && *v;
}

/* A colour the terminal cannot show: bright ones fall back to the base
 * colour, anything else to the default. */
static short theme_fit(short c)
{
	if (c < COLORS)
		return c;
	if (c >= 8 && c < 16)
		return (short)(c - 8);
	return -1;
}

void theme_apply(const struct theme *t)
{
	int i;

	static bool started;

	theme_colour = false;
	if (!has_colors() || theme_no_color())
		return;
	if (!started) {
		started = start_color() == OK;
		/* -1 means the terminal's own colours, where it has them. */
		if (started)
			use_default_colors();
	}
	theme_colour = started && COLOR_PAIRS > TH_COUNT;
	if (!theme_colour)
		return;
	for (i = 0; i < TH_COUNT; i++)
		init_pair((short)(i + 1), theme_fit(t->st[i].fg), theme_fit(t->st[i].bg));
}

attr_t theme_attr(const struct theme *t, enum theme_elem e)
{
	if (!theme_colour)
		return theme_mono[e].attr;
	return t->st[e].attr;
}

short theme_pair(const struct theme *t, enum theme_elem e)
{
	return theme_colour ? (short)(e + 1) : 0;
}

static int theme_entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct theme_entry *)a)->name, ((const struct theme_entry *)b)->name);
}

/* Adds name unless listed already: earlier sources win, as in theme_path. */
static int theme_list_add(struct theme_entry **v, size_t *n, size_t *cap, const char *name,
                          size_t len, const char *where)
{
	struct theme_entry *e;
	size_t i;

	for (i = 0; i < *n; i++)
		if (strlen((*v)[i].name) == len && !strncmp((*v)[i].name, name, len))
			return 0;
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;

		e = realloc(*v, ncap * sizeof(*e));
		if (!e)
			return -1;
		*v = e;
		*cap = ncap;
	}
	e = &(*v)[*n];
	e->name = strndup(name, len);
	if (!e->name)
		return -1;
	e->where = where;
	(*n)++;
	return 0;
}

/* The NAME.theme files in dir. */
static int theme_list_dir(const char *dir, const char *where, struct theme_entry **v, size_t *n,
                          size_t *cap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return 0; /* none there is the usual case */
	while (rc == 0 && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char *base;

		if (len <= 6 || strcmp(de->d_name + len - 6, ".theme"))
			continue;
		base = strndup(de->d_name, len - 6);
		if (!base) {
			rc = -1;
			break;
		}
		if (theme_name_ok(base))
			rc = theme_list_add(v, n, cap, base, len - 6, where);
		free(base);
	}
	closedir(d);
	return rc;
}

int theme_list(struct theme_entry **out)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct theme_entry *v = NULL;
	size_t n = 0, cap = 0, i;
	char *own = NULL, *inst = NULL;
	int rc = 0;

	if (xdg && *xdg)
		rc = asprintf(&own, "%s/natter/themes", xdg);
	else if (home && *home)
		rc = asprintf(&own, "%s/.config/natter/themes", home);
	if (rc < 0 || asprintf(&inst, "%s/themes", NATTER_DATADIR) < 0) {
		free(own);
		return -1;
	}
	rc = own ? theme_list_dir(own, "yours", &v, &n, &cap) : 0;
	if (rc == 0)
		rc = theme_list_dir(inst, "installed", &v, &n, &cap);
	for (i = 0; rc == 0 && i < sizeof(theme_builtins) / sizeof(theme_builtins[0]); i++)
		rc = theme_list_add(&v, &n, &cap, theme_builtins[i], strlen(theme_builtins[i]),
		                    "built-in");
	free(own);
	free(inst);
	if (rc) {
		theme_list_free(v, n);
		return -1;
	}
	qsort(v, n, sizeof(*v), theme_entry_cmp);
	*out = v;
	return (int)n;
}

void theme_list_free(struct theme_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}
