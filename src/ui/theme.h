/* Themes: which colours and attributes each part of the screen uses.
 *
 * A theme file is lines of "element = [FG [BG]] [ATTR...]" ('#' starts a
 * comment); elements a file leaves out keep the built-in default.  Files
 * are looked up as $XDG_CONFIG_HOME/natter/themes/NAME.theme, then in the
 * installed data directory; default, light and mono are also built in.  With NO_COLOR set
 * (https://no-color.org) or a terminal without colours, the monochrome built-in is used whatever
 * the theme says, so nothing relies on colour alone. */
#ifndef NATTER_UI_THEME_H
#define NATTER_UI_THEME_H

#include <curses.h>

enum theme_elem {
	TH_STATUS,         /* the status bar */
	TH_STATUS_CUR,     /* the current window in the window list */
	TH_STATUS_ACT,     /* a window with unread messages */
	TH_STATUS_ONLINE,  /* connection state when online */
	TH_STATUS_OFFLINE, /* connection state otherwise */
	TH_TIME,
	TH_DELAYED, /* timestamp and mark of a delayed (offline) message */
	TH_NICK_OWN,
	TH_NICK_PEER,
	TH_TEXT,
	TH_TEXT_OWN,
	TH_INFO,
	TH_ERROR,
	TH_PRESENCE,
	TH_INPUT,
	TH_PROMPT,
	TH_ROSTER,        /* roster pane: a contact's name */
	TH_ROSTER_GROUP,  /* a group heading */
	TH_ROSTER_CUR,    /* the contact whose window is shown */
	TH_ROSTER_UNREAD, /* a contact's unread count */
	TH_ROSTER_SUB,    /* subscription notes: pending, none, from */
	TH_PRES_ONLINE,   /* presence symbols, in the pane and beyond */
	TH_PRES_CHAT,
	TH_PRES_AWAY,
	TH_PRES_XA,
	TH_PRES_DND,
	TH_PRES_OFFLINE,
	TH_BORDER,        /* between the roster pane and the chat */
	TH_STATUS_TYPING, /* "typing..." in the status bar */
	TH_RECEIPT,       /* the delivery mark after an own message */
	TH_STATUS_HILITE, /* a window where our nick was mentioned */
	TH_HIGHLIGHT,     /* a room message that mentions our nick */
	TH_SUBJECT,       /* a room's subject, above its messages */
	TH_COUNT
};

struct theme_style {
	short fg, bg; /* -1: the terminal's default */
	attr_t attr;
};

struct theme {
	char *name;
	struct theme_style st[TH_COUNT];
};

/* Loads theme name into *t (replacing what it held).  Returns 0, or -1 with
 * a malloc'd *err (unknown theme, bad line) leaving *t unchanged.  name
 * NULL means "default". */
int theme_load(struct theme *t, const char *name, char **err);
void theme_clear(struct theme *t);

/* Sets up the colour pairs for t; call after initscr() and on every load. */
void theme_apply(const struct theme *t);

/* Attributes (colour pair included) to draw element e with. */
attr_t theme_attr(const struct theme *t, enum theme_elem e);
short theme_pair(const struct theme *t, enum theme_elem e);

/* Whether the built-in or installed theme called name exists (for /theme). */
int theme_exists(const char *name);

struct theme_entry {
	char *name;
	const char *where; /* "yours", "installed" or "built-in": the one that loads */
};

/* Every theme theme_load() can find, sorted by name, in a malloc'd array
 * (free with theme_list_free).  The count, or -1 on ENOMEM. */
int theme_list(struct theme_entry **out);
void theme_list_free(struct theme_entry *v, size_t n);

#endif
