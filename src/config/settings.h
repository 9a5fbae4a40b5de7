/* Settings: $XDG_CONFIG_HOME/natter/natterrc, INI.  Every setting is one
 * row of a table (name, section, type, bounds, default, help). */
#ifndef NATTER_CONFIG_SETTINGS_H
#define NATTER_CONFIG_SETTINGS_H

#include <stdbool.h>

struct settings {
	/* [connection] */
	int connect_timeout; /* s, bound on one connection attempt (default 20) */
	int reconnect_min;   /* s, first back-off step (default 1) */
	int reconnect_max;   /* s, back-off ceiling (default 300) */
	int ping_interval;   /* s of silence before a keepalive ping (default 60) */
	int ping_timeout;    /* s before an unanswered ping counts as a dead link (default 20) */
	int close_timeout;   /* s to wait for the server's </stream:stream> (default 3) */
	/* [history] */
	int mam_initial; /* archived messages fetched on a first login (default 200) */
	/* [privacy] */
	bool reveal_os;    /* answer XEP-0092 with the OS name (default false) */
	bool typing;       /* send typing notifications (XEP-0085; default true) */
	bool receipts;     /* answer and ask for delivery receipts (XEP-0184; default true) */
	bool read_markers; /* the UI tells contacts it showed their messages (default true) */
	/* [ui] */
	char *theme;         /* default "default" */
	bool bell;           /* default true */
	char *timestamp;     /* strftime format of a line's time (default "%H:%M") */
	char *eventcmd;      /* a shell command run on each new message, or NULL */
	bool notify;         /* desktop notifications through notify-send (default false) */
	int inactive_after;  /* s without a key before the server hears "inactive" (0: never) */
	bool roster_offline; /* the roster pane lists offline contacts (default false) */
	bool occupants;      /* the occupant list shows beside a room (default true) */
	/* [rooms] */
	bool show_joins; /* occupants joining and leaving are shown (default true) */
	bool room_bell;  /* ring for every room message, not just mentions (false) */
	int self_ping;   /* s of room silence before a XEP-0410 self-ping; 0 off (300) */
	/* [presence] */
	int auto_away;           /* min without a key before away; 0 never (default 0) */
	int auto_xa;             /* min without a key before xa; 0 never (default 0) */
	char *auto_away_message; /* status text while away by idleness, or NULL */
	char *default_account;   /* [general] account: the one natter opens without -a */
	char *opener; /* [general] the command /open hands a link to (default xdg-open) */
	/* What settings_load() did not take, one "path:line: reason" each. */
	char **warnings;
	size_t nwarnings;
};

/* Defaults, then the file at path if it exists.  A line natter cannot take
 * (an unknown section or key, a value out of bounds, a key given twice) is
 * left out with a warning in out->warnings naming the file and line, and
 * the rest is used: a typo never stops natter.  Booleans take true/false,
 * yes/no, on/off, 1/0.  -1 with a malloc'd *err only when the file cannot
 * be read at all (or ENOMEM). */
int settings_load(const char *path, struct settings *out, char **err);
void settings_free(struct settings *s);
/* A deep copy (without the warnings): 0, or -1 on ENOMEM. */
int settings_copy(struct settings *dst, const struct settings *src);

/* Sets "section.name" (or a name that is unique across sections) to value
 * in s, checked as the file's would be.  0, or -1 with a malloc'd *err.
 * *section and *name (may be NULL) get the setting's own, static. */
int settings_set(struct settings *s, const char *key, const char *value, const char **section,
                 const char **name, char **err);
/* Every setting, or only key's ("section.name" or a unique name), as
 * "section.name = value  (help)", one a line (malloc'd).  NULL with errno
 * ENOENT for an unknown key, or on ENOMEM. */
char *settings_describe(const struct settings *s, const char *key);

#endif
