/* State shared by the terminal UI's files (not for the rest of natter:
 * ui.h is the UI's whole public face). */
#ifndef NATTER_UI_UI_INTERNAL_H
#define NATTER_UI_UI_INTERNAL_H

#include <curses.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "config/settings.h"
#include "loop/loop.h"
#include "ui/contacts.h"
#include "ui/input.h"
#include "ui/pubsubwin.h"
#include "ui/rooms.h"
#include "ui/theme.h"
#include "ui/window.h"

enum ui_conn { CONN_OFFLINE, CONN_CONNECTING, CONN_ONLINE, CONN_RECONNECTING };

/* What the next draw has to redo; events only set these. */
enum ui_dirty {
	DIRTY_STATUS = 1 << 0,
	DIRTY_CHAT = 1 << 1,
	DIRTY_INPUT = 1 << 2,
	DIRTY_LAYOUT = 1 << 3, /* sizes changed: rebuild the panes, repaint everything */
	DIRTY_ROSTER = 1 << 4,
	DIRTY_OCC = 1 << 5, /* the occupant list and the subject of the room shown */
	DIRTY_ALL = DIRTY_STATUS | DIRTY_CHAT | DIRTY_INPUT | DIRTY_ROSTER | DIRTY_OCC,
};

/* The roster pane: shown left of the chat pane when asked for and when the
 * terminal has room for both. */
#define PANE_MIN_COLS 60 /* narrower terminals hide the pane */
#define PANE_WIDTH    26 /* columns, its right border included */
/* A room's occupant list, right of its messages, when what is left for
 * them is at least OCC_MIN_CHAT columns wide. */
#define OCC_WIDTH    20 /* its left border included */
#define OCC_MIN_CHAT 40

#define UI_KNOWN_JIDS 512 /* contacts remembered for tab completion */
/* Anyone may write to us: strangers' messages open windows of their own
 * until this many are open, then wait in one "strangers" window. */
#define UI_STRANGER_WINDOWS 10
/* What the network changes is drawn at most this often (ms); keys at once. */
#define UI_DRAW_MS 40
/* The shortest time between two bells. */
#define UI_BELL_MS      1000
#define UI_PASSWORD_MAX 1024 /* bytes of a typed password */

/* Our own XEP-0085 state towards the peer of the window being typed in. */
enum ui_typing { TYPING_NONE, TYPING_COMPOSING, TYPING_PAUSED };

struct ui {
	struct loop *loop;
	struct core *core;
	SCREEN *screen;
	struct theme theme;
	bool bell;         /* ring for messages in other windows (settings [ui] bell) */
	bool bell_pending; /* rung once by the next draw, however many arrived */
	unsigned dirty;
	bool keyed;          /* a key or resize since the last draw: draw at once */
	uint64_t drawn_at;   /* loop time of the last draw */
	uint64_t bell_at;    /* loop time of the last bell */
	uint64_t draw_timer; /* the next draw of what the network changed */

	/* Panes; NULL while the terminal is too small to show them (roster
	 * also while hidden).  draw_layout() owns the split: roster left of
	 * chat, status bar and input line across the whole width. */
	WINDOW *chat, *status, *inputw, *roster;
	WINDOW *occ, *topic; /* a room's occupant list and subject (room windows only) */
	WINDOW *keys;        /* 1x1, never drawn: keys are read through it */
	int chat_rows, chat_cols, cols;

	struct contacts contacts;
	bool pane_on;      /* the user wants the roster pane (F2, /pane) */
	bool pane_offline; /* it lists offline contacts too ([ui] roster_offline, /pane offline) */
	struct rooms rooms;
	bool occ_on;         /* the user wants rooms' occupant lists (F3, /occupants) */
	bool show_joins;     /* occupants coming and going are shown ([rooms] show_joins) */
	bool room_bell;      /* every room message rings, not just mentions ([rooms] bell) */
	bool mark_highlight; /* the next line added mentions our nick (ui_rooms.c) */

	struct window **wins; /* wins[0] is the console */
	size_t nwins, cur;
	unsigned next_id;
	struct window *by_jid;   /* the chat windows by key (window.h) */
	size_t stranger_windows; /* windows opened by strangers' messages */

	struct input input;
	/* Tab completion cycling through several candidates. */
	char **comp;
	size_t ncomp, comp_i, comp_from;

	struct settings settings; /* a copy, kept up to date from /set */
	enum ui_conn conn;
	/* A disconnection is said with the reconnection that follows it in the
	 * same loop pass, as one line; alone only when none follows. */
	char *offline_reason; /* said at the next draw unless a retry took it */
	bool offline_was_online;
	bool lost;                   /* a session was lost: the next login is a reconnection */
	char *jid;                   /* own JID as the server bound it */
	char *own_show, *own_status; /* our presence as the server echoed it; NULL: online */
	uint64_t reconnect_at;       /* loop_now_ms() of the next attempt */
	uint64_t countdown;          /* timer refreshing "reconnecting in N s" */

	char *known[UI_KNOWN_JIDS];
	size_t nknown;

	/* What the PubSub window has seen, for completion (pubsubwin.c). */
	struct pubsub_view pubsub;

	int winch_pipe[2];
	bool esc;            /* ESC seen: the next key is Alt+key */
	uint64_t keys_timer; /* more keys to read after a long paste */
	int key_alt_left, key_alt_right, key_paste_start, key_paste_end;
	bool pasting; /* between the bracketed-paste markers */

	/* The last certificate refused may be pinned with /tls trust (Tab on
	 * an empty console line offers it). */
	bool tls_refused;

	/* The password prompt (prompt.c): typed bytes, never shown or kept. */
	struct {
		bool on;
		size_t len;
		char buf[UI_PASSWORD_MAX];
	} pw;

	/* Whether anyone looks (focus.c): XEP-0352 and XEP-0333 displayed. */
	bool focused;       /* the terminal has the focus (or never said otherwise) */
	bool idle;          /* no key for inactive_after seconds */
	bool active;        /* what the core was last told */
	int inactive_after; /* seconds; 0: never idle */
	uint64_t last_key;  /* loop_now_ms() */
	uint64_t idle_timer;
	int key_focus_in, key_focus_out;

	/* Chat states we send as the user types (typing.c). */
	enum ui_typing typing;
	char *typing_jid;      /* whom the state was sent to */
	uint64_t typed_at;     /* loop_now_ms() of the last edit */
	uint64_t typing_timer; /* "paused" once the keys stop */
	FILE *log;
};

/* ui.c */
void ui_submit(struct ui *ui, const char *line);
/* An event's time (UTC ms since the epoch, as the core gives it) as
 * time_t; 0 (none given) is now.  The UI never parses time strings. */
time_t ui_event_time(int64_t ms);
/* Our own name in message lines (the localpart of jid), malloc'd. */
char *ui_nick(const char *jid);
/* How a JID is named on screen: a contact's roster name (or localpart when
 * no other contact has it), anyone else's whole bare JID; malloc'd. */
char *ui_name_of(struct ui *ui, const char *jid);
/* SIGWINCH: reads the new size and re-lays out. */
void ui_resized(struct ui *ui);
/* KEY_RESIZE: ncurses already knows the size; re-lay out. */
void ui_relayout(struct ui *ui);
const char *ui_own_jid(const struct ui *ui);
/* F2 and /pane: shows or hides the roster pane; false when the terminal
 * is too narrow for it to show. */
bool ui_pane_set(struct ui *ui, bool on);
/* The answer of one of the UI's own commands, in the window it was typed
 * in (origin) and, for an error, in the console too. */
void ui_cmd_reply(struct ui *ui, uint64_t origin, bool error, const char *text);
/* The line for a message event (ev->u.message): its text as
 * lines_message_text() renders it, marked as an action or as corrected;
 * NULL when it says nothing (or on ENOMEM). */
struct window_line *ui_print_message(struct ui *ui, struct window *w, enum window_line_kind kind,
                                     time_t when, const char *nick, const struct nt_event *ev);
/* F3 and /occupants: shows or hides rooms' occupant lists. */
void ui_occ_set(struct ui *ui, bool on);

/* ui_rooms.c: the room events, and the messages of rooms and of their
 * occupants (ev->u.message.room set). */
void ui_rooms_event(struct ui *ui, const struct nt_event *ev);
void ui_rooms_message(struct ui *ui, const struct nt_event *ev);
/* The nick to show for a stored message in w from "from". */
char *ui_rooms_line_nick(struct ui *ui, const struct window *w, const char *from, bool own);

#endif
