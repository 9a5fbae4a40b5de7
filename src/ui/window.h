/* Conversation windows: the console (always first) and one per chat, each
 * with a bounded scrollback of lines and its own input history. */
#ifndef NATTER_UI_WINDOW_H
#define NATTER_UI_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <uthash.h>
#include <wchar.h>

#include "ui/recall.h"

#define WINDOW_SCROLLBACK 2000 /* lines kept per window */
#define WINDOW_RING_FIRST 32   /* the ring starts this small and doubles */

enum window_line_kind {
	WL_INFO,
	WL_ERROR,
	WL_PRESENCE,
	WL_MSG_PEER,
	WL_MSG_OWN,
	WL_DAY, /* "-- Saturday 21 November 2026 --" between messages of two days */
};

/* Styles within a line's text (XHTML-IM), one byte per character. */
enum window_style {
	STY_BOLD = 1 << 0,
	STY_ITALIC = 1 << 1,
	STY_UNDERLINE = 1 << 2,
	STY_CODE = 1 << 3,
	STY_LINK = 1 << 4,
};

/* How far an own message got (XEP-0184 receipts, XEP-0333 markers). */
enum window_mark { MARK_NONE, MARK_DELIVERED, MARK_DISPLAYED };

struct window_line {
	time_t when;
	enum window_line_kind kind;
	bool delayed;          /* stored and forwarded: when is the original time */
	enum window_mark mark; /* own messages: shown as a check mark or two */
	bool queued;           /* own message typed offline, not handed to the server yet */
	bool edited;           /* corrected since it was sent (XEP-0308) */
	bool retracted;        /* withdrawn by its sender (XEP-0424): text is a notice */
	bool action;           /* a /me line (XEP-0245): text is what follows "/me " */
	wchar_t *nick;         /* messages only */
	wchar_t *text;         /* sanitised; may hold '\n' */
	unsigned char *attrs;  /* STY_* per character of text, or NULL: all plain */
	char *id;              /* messages: the stanza id receipts, markers and corrections name */
	char *alt_id;          /* the id of its newest correction, which they may name too */
	char *key;             /* an info line that changes in place (an upload), or NULL */
	long long store_id;    /* row in the history store; 0 for lines shown live */
	bool highlight;        /* a room message that mentions our nick */
	const char *tag;       /* static mark before the nick ("[OMEMO] "), or NULL */
};

/* Ordered: a stronger mark replaces a weaker one, never the reverse. */
enum window_activity { ACT_NONE, ACT_INFO, ACT_MSG, ACT_HIGHLIGHT };

enum window_kind {
	WIN_CONSOLE,
	WIN_CHAT,    /* with a contact (jid is bare) */
	WIN_ROOM,    /* a room (jid is its bare JID) */
	WIN_PRIVATE, /* with a room's occupant (jid is room@service/nick) */
};

/* How far back the history store can still take the window (backlog.c). */
enum window_backlog {
	BACKLOG_NONE, /* no store, or not a chat: nothing to load */
	BACKLOG_MORE, /* older rows may exist before oldest_id */
	BACKLOG_END,  /* everything stored is loaded */
};

/* What the peer says about its side of the conversation (XEP-0085). */
enum window_peer_state { PEER_IDLE, PEER_COMPOSING };

struct window {
	unsigned id;           /* stable while it lives; positions change on /close */
	enum window_kind kind; /* WIN_CONSOLE also for the strangers' and PubSub windows */
	char *jid;             /* bare JID of the peer (see kind); NULL for the
	                        * console, the strangers' and the PubSub window */
	bool strangers;        /* where messages from strangers wait (ui.c) */
	bool by_stranger;      /* opened by a message from someone not in the roster */
	char *key;             /* jid, its bare part's ASCII letters lower-cased
	                        * (window_key_fold): winlist's index */
	UT_hash_handle hh;
	wchar_t *name;  /* shown in the window list */
	char *presence; /* a chat's contact as last heard: "away: at lunch" */
	/* A ring that grows as lines come, up to WINDOW_SCROLLBACK: a window
	 * someone opened with one message costs one small block, not room for
	 * 2,000 lines. */
	struct window_line *lines;
	size_t cap, head, count;
	unsigned scroll; /* screen rows scrolled back from the newest */
	enum window_activity act;
	unsigned unread; /* peer messages since the window was last shown */
	enum window_peer_state peer_state;
	bool unseen; /* a peer message came that the screen has not shown yet */
	struct recall hist;
	enum window_backlog backlog;
	long long oldest_id; /* the oldest store row loaded */
	bool gap;            /* newest lines gave way to older ones: reload at the bottom */
	int last_day;        /* window_day() of the newest message line, 0 when none */
	bool pubsub;         /* the PubSub window (pubsubwin.c): no peer, no chat */
};

/* Names the window (shown in the window list and the prompt); 0 or -1. */
int window_set_name(struct window *w, const char *name);
/* A chat window with jid (NULL: the console); window_new_kind for the
 * others (a private window is named "room/nick"). */
struct window *window_new(unsigned id, const char *jid);
struct window *window_new_kind(unsigned id, const char *jid, enum window_kind kind);
/* Folds key in place to the form winlist indexes windows by: the bare
 * JID's ASCII letters lower-cased, the resource kept exactly. */
void window_key_fold(char *key);
void window_free(struct window *w);

/* The i-th stored line, oldest first. */
struct window_line *window_line_at(struct window *w, size_t i);

/* Appends a line, dropping the oldest when full.  nick may be NULL;
 * strings are UTF-8 and copied.  Returns the line or NULL on ENOMEM. */
struct window_line *window_add(struct window *w, enum window_line_kind kind, time_t when,
                               const char *nick, const char *text);

/* The same with text already wide (from markup_render): takes text and
 * attrs (may be NULL) whether or not it succeeds. */
struct window_line *window_add_wide(struct window *w, enum window_line_kind kind, time_t when,
                                    const char *nick, wchar_t *text, unsigned char *attrs);

/* Puts a line before the oldest; when the ring is full the newest line
 * gives way (w->gap is set).  Takes text and attrs like window_add_wide. */
struct window_line *window_prepend_wide(struct window *w, enum window_line_kind kind, time_t when,
                                        const char *nick, wchar_t *text, unsigned char *attrs);

/* Removes the newest line. */
void window_drop_newest(struct window *w);

/* A number for the local calendar day of t: equal days, equal numbers. */
int window_day(time_t t);

/* "-- Saturday 21 November 2026 --" for the day of t, malloc'd (NULL on ENOMEM). */
wchar_t *window_day_text(time_t t);

/* Whether a line of this kind is a message (day separators go between them). */
bool window_is_message(enum window_line_kind kind);

/* The newest line carrying stanza id (or whose newest correction does),
 * or NULL. */
struct window_line *window_find_id(struct window *w, const char *id);
/* The newest line with that key, or NULL. */
struct window_line *window_find_key(struct window *w, const char *key);
/* Gives l new text (wide, taken, as window_add_wide); false on ENOMEM
 * (l keeps its old text). */
bool window_line_set_text(struct window_line *l, wchar_t *text, unsigned char *attrs);

void window_clear(struct window *w);

#endif
