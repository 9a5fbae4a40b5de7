/* The list of windows and what goes into them. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

#include "core/core.h"
#include "ui/backlog.h"
#include "ui/draw.h"
#include "ui/typing.h"
#include "ui/ui_internal.h"
#include "ui/winlist.h"
#include "ui/wstr.h"

struct window *winlist_current(struct ui *ui)
{
	return ui->wins[ui->cur];
}

struct window *winlist_console(struct ui *ui)
{
	return ui->wins[0];
}

struct window *winlist_find(struct ui *ui, const char *bare_jid)
{
	struct window *w = NULL;
	char small[256], *key = small;
	size_t n = strlen(bare_jid);

	/* Found by hash: the roster pane asks for every contact it draws. */
	if (n >= sizeof small && !(key = malloc(n + 1)))
		return NULL;
	/* the same conversation: the bare JID in any case, the resource (a
	 * room occupant's nick) exactly */
	memcpy(key, bare_jid, n + 1);
	window_key_fold(key);
	HASH_FIND_STR(ui->by_jid, key, w);
	if (key != small)
		free(key);
	return w;
}

/* Appends w to the list; 0, or -1 on ENOMEM (w is then freed). */
static int winlist_append(struct ui *ui, struct window *w)
{
	struct window **arr = realloc(ui->wins, (ui->nwins + 1) * sizeof(*arr));

	if (!arr) {
		window_free(w);
		return -1;
	}
	ui->wins = arr;
	ui->wins[ui->nwins++] = w;
	if (w->key)
		HASH_ADD_KEYPTR(hh, ui->by_jid, w->key, strlen(w->key), w);
	ui->dirty |= DIRTY_STATUS;
	return 0;
}

struct window *winlist_strangers(struct ui *ui)
{
	struct window *w;
	size_t i;

	for (i = 1; i < ui->nwins; i++)
		if (ui->wins[i]->strangers)
			return ui->wins[i];
	w = window_new(++ui->next_id, NULL);
	if (!w)
		return NULL;
	free(w->name);
	w->name = wstr_from_utf8("strangers", 0, NULL);
	w->strangers = true;
	if (!w->name) {
		window_free(w);
		return NULL;
	}
	if (winlist_append(ui, w))
		return NULL;
	winlist_printf(ui, w, WL_INFO,
	               "messages from people who are not in your roster wait here once %d of "
	               "them have windows of their own; /msg JID opens the conversation",
	               UI_STRANGER_WINDOWS);
	return w;
}

struct window *winlist_find_name(struct ui *ui, const char *name)
{
	struct window *w = winlist_find(ui, name);
	wchar_t *wide;

	if (w)
		return w;
	wide = wstr_from_utf8(name, 0, NULL);
	for (size_t i = 0; wide && i < ui->nwins && !w; i++)
		if (!wcscasecmp(ui->wins[i]->name, wide))
			w = ui->wins[i];
	free(wide);
	return w;
}

struct window *winlist_by_id(struct ui *ui, unsigned id)
{
	size_t i;

	for (i = 0; i < ui->nwins; i++)
		if (ui->wins[i]->id == id)
			return ui->wins[i];
	return NULL;
}

size_t winlist_index(struct ui *ui, const struct window *w)
{
	size_t i;

	for (i = 0; i < ui->nwins; i++)
		if (ui->wins[i] == w)
			return i;
	return 0;
}

struct window *winlist_open(struct ui *ui, const char *bare_jid)
{
	struct window *w = winlist_find(ui, bare_jid);

	if (w)
		return w;
	/* A room's window, or one with an occupant of a room we are in. */
	w = window_new_kind(++ui->next_id, bare_jid,
	                    !rooms_find(&ui->rooms, bare_jid) ? WIN_CHAT
	                    : strchr(bare_jid, '/')           ? WIN_PRIVATE
	                                                      : WIN_ROOM);
	if (!w || winlist_append(ui, w))
		return NULL;
	/* A chat takes its contact's name; a room's window keeps the room's
	 * localpart, a private one "room/nick" (window_new_kind). */
	if (w->kind == WIN_CHAT) {
		char *name = ui_name_of(ui, bare_jid);

		/* Without it the window keeps the localpart window_new() gave. */
		if (name)
			window_set_name(w, name);
		free(name);
	}
	backlog_open(ui, w);
	return w;
}

struct window *winlist_open_other(struct ui *ui, const char *name)
{
	struct window *w = window_new(++ui->next_id, NULL);

	if (!w || window_set_name(w, name)) {
		window_free(w);
		return NULL;
	}
	return winlist_append(ui, w) ? NULL : w;
}

void winlist_select(struct ui *ui, size_t index, bool tell_core)
{
	struct window *w;

	if (index >= ui->nwins)
		return;
	if (index != ui->cur) {
		recall_reset(&winlist_current(ui)->hist);
		typing_leave(ui);
		/* A room's window has its subject and occupants beside it. */
		if ((winlist_current(ui)->kind == WIN_ROOM) != (ui->wins[index]->kind == WIN_ROOM))
			ui->dirty |= DIRTY_LAYOUT;
	}
	ui->cur = index;
	w = ui->wins[index];
	w->act = ACT_NONE;
	w->unread = 0;
	if (tell_core && ui->core)
		core_set_current_chat(ui->core, w->jid);
	ui->dirty |= DIRTY_ALL;
}

int winlist_close(struct ui *ui, size_t index)
{
	struct window *w;

	if (index == 0 || index >= ui->nwins)
		return -1;
	w = ui->wins[index];
	memmove(ui->wins + index, ui->wins + index + 1,
	        (ui->nwins - index - 1) * sizeof(*ui->wins));
	ui->nwins--;
	if (w->key)
		HASH_DEL(ui->by_jid, w);
	ui->stranger_windows -= w->by_stranger;
	window_free(w);
	if (ui->cur >= index)
		ui->cur--;
	/* The window now shown may have other panes than the one closed. */
	ui->dirty |= DIRTY_LAYOUT;
	/* Closing the current window shows its left neighbour: keep the core's
	 * idea of where plain text goes in step with what is on screen. */
	winlist_select(ui, ui->cur, true);
	return 0;
}

void winlist_activity(struct ui *ui, struct window *w, enum window_activity a)
{
	if (w != winlist_current(ui) && a > w->act) {
		w->act = a;
		ui->dirty |= DIRTY_STATUS;
	}
}

/* Activity, unread count, bell and scroll position for a line just added. */
static struct window_line *winlist_added(struct ui *ui, struct window *w, struct window_line *l)
{
	if (!l)
		return NULL;
	if (ui->mark_highlight) {
		l->highlight = true;
		ui->mark_highlight = false;
	}
	if (w != winlist_current(ui)) {
		winlist_activity(ui, w,
		                 l->highlight             ? ACT_HIGHLIGHT
		                 : l->kind == WL_MSG_PEER ? ACT_MSG
		                 : l->kind == WL_PRESENCE ? ACT_NONE
		                                          : ACT_INFO);
		if (l->kind == WL_MSG_PEER) {
			w->unread++;
			/* The roster pane shows it next to the contact or room. */
			ui->dirty |= DIRTY_ROSTER;
			/* A room's chatter rings only when it names us, unless
			 * asked ([rooms] bell). */
			if (!l->delayed && ui->bell &&
			    (w->kind != WIN_ROOM || l->highlight || ui->room_bell))
				ui->bell_pending = true;
		}
		return l;
	}
	/* Someone reading back should not have the text pulled from under
	 * them: keep the view where it is while lines arrive below. */
	if (w->scroll) {
		w->scroll += (unsigned)draw_line_rows(ui, l);
		ui->dirty |= DIRTY_STATUS;
	}
	ui->dirty |= DIRTY_CHAT;
	return l;
}

/* A message of another day than the one before it gets a separator line. */
static void winlist_day_break(struct ui *ui, struct window *w, enum window_line_kind kind,
                              time_t when)
{
	struct window_line *l;
	int day;

	if (!window_is_message(kind) || !w->last_day)
		return;
	day = window_day(when);
	if (day == w->last_day)
		return;
	l = window_add_wide(w, WL_DAY, when, NULL, window_day_text(when), NULL);
	if (l && w == winlist_current(ui) && w->scroll)
		w->scroll += (unsigned)draw_line_rows(ui, l);
	/* The message about to be added sets last_day; a separator does not. */
}

struct window_line *winlist_print(struct ui *ui, struct window *w, enum window_line_kind kind,
                                  time_t when, bool delayed, const char *nick, const char *text)
{
	struct window_line *l;

	winlist_day_break(ui, w, kind, when);
	l = window_add(w, kind, when, nick, text);

	if (l)
		l->delayed = delayed;
	return winlist_added(ui, w, l);
}

struct window_line *winlist_print_wide(struct ui *ui, struct window *w, enum window_line_kind kind,
                                       time_t when, bool delayed, const char *nick, wchar_t *text,
                                       unsigned char *attrs)
{
	struct window_line *l;

	winlist_day_break(ui, w, kind, when);
	l = window_add_wide(w, kind, when, nick, text, attrs);

	if (l)
		l->delayed = delayed;
	return winlist_added(ui, w, l);
}

void winlist_printf(struct ui *ui, struct window *w, enum window_line_kind kind, const char *fmt,
                    ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	winlist_print(ui, w, kind, time(NULL), false, NULL, s);
	free(s);
}

void winlist_clear_queued(struct ui *ui)
{
	for (size_t i = 0; i < ui->nwins; i++) {
		struct window *w = ui->wins[i];

		for (size_t k = 0; k < w->count; k++) {
			struct window_line *l = window_line_at(w, k);

			if (l->queued) {
				l->queued = false;
				if (w == winlist_current(ui))
					ui->dirty |= DIRTY_CHAT;
			}
		}
	}
}
