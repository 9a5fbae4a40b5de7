/* The window list: opening, switching, closing and printing into windows. */
#ifndef NATTER_UI_WINLIST_H
#define NATTER_UI_WINLIST_H

#include <stdbool.h>
#include <time.h>
#include <wchar.h>

#include "ui/window.h"

struct ui;

struct window *winlist_current(struct ui *ui);
struct window *winlist_console(struct ui *ui);
struct window *winlist_find(struct ui *ui, const char *bare_jid);
struct window *winlist_by_id(struct ui *ui, unsigned id);
/* The window whose JID or shown name (as in its tab) is name. */
struct window *winlist_find_name(struct ui *ui, const char *name);

/* The window where messages from strangers wait once UI_STRANGER_WINDOWS
 * of them have windows of their own; created when first needed. */
struct window *winlist_strangers(struct ui *ui);

/* The chat window for bare_jid, created at the end of the list if needed. */
struct window *winlist_open(struct ui *ui, const char *bare_jid);
/* Appends a window that is no chat (jid NULL), named name; NULL on ENOMEM. */
struct window *winlist_open_other(struct ui *ui, const char *name);

/* Makes window index current; tell_core also points plain text at it. */
void winlist_select(struct ui *ui, size_t index, bool tell_core);
size_t winlist_index(struct ui *ui, const struct window *w);

/* Closes window index (never the console); -1 if it cannot. */
int winlist_close(struct ui *ui, size_t index);

/* Appends a line to w and marks what needs drawing, activity and the bell.
 * Returns the line (NULL on ENOMEM) for callers that add to it. */
struct window_line *winlist_print(struct ui *ui, struct window *w, enum window_line_kind kind,
                                  time_t when, bool delayed, const char *nick, const char *text);
/* The same for text already wide and styled; takes text and attrs. */
struct window_line *winlist_print_wide(struct ui *ui, struct window *w, enum window_line_kind kind,
                                       time_t when, bool delayed, const char *nick, wchar_t *text,
                                       unsigned char *attrs);
/* Raises w's activity mark (never lowers it) when it is not on screen. */
void winlist_activity(struct ui *ui, struct window *w, enum window_activity a);
/* The session is up: the outbox went out, no line waits any more. */
void winlist_clear_queued(struct ui *ui);
/* printf into w as an info or error line. */
void winlist_printf(struct ui *ui, struct window *w, enum window_line_kind kind, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

#endif
