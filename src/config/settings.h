/* Settings: $XDG_CONFIG_HOME/natter/natterrc, INI.  Every setting is one
 * row of a table (name, section, type, bounds, default, help). */
#ifndef NATTER_CONFIG_SETTINGS_H
#define NATTER_CONFIG_SETTINGS_H

#include <stdbool.h>

struct settings {
	/* [connection] */
	int connect_timeout;  /* s, bound on one connection attempt (default 20) */
	int reconnect_min;    /* s, first back-off step (default 1) */
	int reconnect_max;    /* s, back-off ceiling (default 300) */
	int ping_interval;    /* s of silence before a keepalive ping (default 60) */
	int ping_timeout;     /* s before an unanswered ping counts as a dead link (default 20) */
	int close_timeout;    /* s to wait for the server's </stream:stream> (default 3) */
	/* [history] */
	int mam_initial;      /* archived messages fetched on a first login (default 200) */
	/* [privacy] */
	bool reveal_os;       /* answer XEP-0092 with the OS name (default false) */
	bool read_markers;    /* the UI tells contacts it showed their messages (default true) */
	/* [ui] */
	char *theme;          /* default "default" */
	bool bell;            /* default true */
	int inactive_after;   /* s without a key before the server hears "inactive" (0: never) */
	/* [general] */
	char *default_account; /* account: the one natter opens without -a */
	char *opener;          /* the command /open hands a link to (default xdg-open) */
};

/* Defaults, then the file at path if it exists.  -1 with a malloc'd *err
 * naming the line for a malformed file, an unknown key or a value out of
 * bounds. */
int settings_load(const char *path, struct settings *out, char **err);
void settings_free(struct settings *s);

#endif
