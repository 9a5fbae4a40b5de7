/* Window contents: scrollback rings and their lines. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/window.h"
#include "ui/wstr.h"

/* The part of a JID people recognise: the localpart, else the domain. */
static wchar_t *window_short_name(const char *jid)
{
	const char *at = strchr(jid, '@');
	char *tmp;
	wchar_t *w;
	size_t n;

	if (!at || at == jid)
		return wstr_from_utf8(jid, 0, NULL);
	n = (size_t)(at - jid);
	tmp = strndup(jid, n);
	if (!tmp)
		return NULL;
	w = wstr_from_utf8(tmp, 0, NULL);
	free(tmp);
	return w;
}

/* "room/nick": which room a private conversation is in shows. */
static wchar_t *window_private_name(const char *jid)
{
	const char *slash = strchr(jid, '/'), *at = strchr(jid, '@');
	char *tmp = NULL;
	wchar_t *w;

	if (!slash)
		return window_short_name(jid);
	if (asprintf(&tmp, "%.*s%s", (int)(at && at < slash ? at - jid : 0), jid, slash) < 0)
		return NULL;
	w = wstr_from_utf8(tmp, 0, NULL);
	free(tmp);
	return w;
}

int window_set_name(struct window *w, const char *name)
{
	wchar_t *wide = wstr_from_utf8(name, 0, NULL);

	if (!wide)
		return -1;
	free(w->name);
	w->name = wide;
	return 0;
}

void window_key_fold(char *key)
{
	/* the bare JID in any case, the resource (an occupant's nick) exactly */
	for (char *p = key; p && *p && *p != '/'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
}

struct window *window_new(unsigned id, const char *jid)
{
	return window_new_kind(id, jid, jid ? WIN_CHAT : WIN_CONSOLE);
}

struct window *window_new_kind(unsigned id, const char *jid, enum window_kind kind)
{
	struct window *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->id = id;
	w->kind = jid ? kind : WIN_CONSOLE;
	if (jid) {
		w->jid = strdup(jid);
		w->key = strdup(jid);
		w->name = !w->jid               ? NULL
		          : kind == WIN_PRIVATE ? window_private_name(jid)
		                                : window_short_name(jid);
		window_key_fold(w->key);
	} else {
		w->name = wstr_from_utf8("console", 0, NULL);
	}
	if (!w->name || (jid && (!w->jid || !w->key))) {
		window_free(w);
		return NULL;
	}
	recall_init(&w->hist);
	return w;
}

static void window_line_free(struct window_line *l)
{
	free(l->nick);
	free(l->text);
	free(l->attrs);
	free(l->id);
	free(l->alt_id);
	free(l->key);
	memset(l, 0, sizeof(*l));
}

void window_clear(struct window *w)
{
	size_t i;

	for (i = 0; i < w->count; i++)
		window_line_free(window_line_at(w, i));
	/* A cleared window starts small again. */
	free(w->lines);
	w->lines = NULL;
	w->cap = 0;
	w->head = w->count = 0;
	w->scroll = 0;
	w->last_day = 0;
	w->gap = false;
}

void window_free(struct window *w)
{
	if (w)
		free(w->presence);
	if (!w)
		return;
	window_clear(w);
	recall_clear(&w->hist);
	free(w->lines);
	free(w->jid);
	free(w->key);
	free(w->name);
	free(w);
}

struct window_line *window_line_at(struct window *w, size_t i)
{
	return &w->lines[(w->head + i) % w->cap];
}

/* Room for one more line without dropping one, while the ring may still
 * grow; false when it is at its size (or out of memory). */
static bool window_grow(struct window *w)
{
	size_t cap = w->cap ? 2 * w->cap : WINDOW_RING_FIRST, i;
	struct window_line *lines;

	if (w->count < w->cap)
		return true;
	if (w->cap >= WINDOW_SCROLLBACK)
		return false;
	if (cap > WINDOW_SCROLLBACK)
		cap = WINDOW_SCROLLBACK;
	lines = calloc(cap, sizeof(*lines));
	if (!lines)
		return false;
	for (i = 0; i < w->count; i++)
		lines[i] = *window_line_at(w, i);
	free(w->lines);
	w->lines = lines;
	w->cap = cap;
	w->head = 0;
	return true;
}

/* A line's fields, nick decoded; false (everything freed) on ENOMEM. */
static bool window_line_make(struct window_line *l, enum window_line_kind kind, time_t when,
                             const char *nick, wchar_t *text, unsigned char *attrs)
{
	*l = (struct window_line){.when = when, .kind = kind, .text = text, .attrs = attrs};
	if (nick)
		l->nick = wstr_from_utf8(nick, 0, NULL);
	if (!l->text || (nick && !l->nick)) {
		window_line_free(l);
		return false;
	}
	return true;
}

int window_day(time_t t)
{
	struct tm tm;

	if (!localtime_r(&t, &tm))
		return 0;
	return (tm.tm_year + 1900) * 400 + tm.tm_yday + 1;
}

wchar_t *window_day_text(time_t t)
{
	char buf[96];
	struct tm tm;

	/* LC_TIME stays "C" (only LC_CTYPE follows the user): English names. */
	if (!localtime_r(&t, &tm) || !strftime(buf, sizeof buf, "-- %A %-d %B %Y --", &tm))
		return wstr_from_utf8("-- ? --", 0, NULL);
	return wstr_from_utf8(buf, 0, NULL);
}

bool window_is_message(enum window_line_kind kind)
{
	return kind == WL_MSG_PEER || kind == WL_MSG_OWN;
}

struct window_line *window_add_wide(struct window *w, enum window_line_kind kind, time_t when,
                                    const char *nick, wchar_t *text, unsigned char *attrs)
{
	struct window_line l, *slot;

	if (!window_line_make(&l, kind, when, nick, text, attrs))
		return NULL;
	if (!window_grow(w) && !w->count) {
		window_line_free(&l);
		return NULL;
	}
	if (window_is_message(kind))
		w->last_day = window_day(when);
	if (w->count == w->cap) {
		window_line_free(&w->lines[w->head]);
		w->head = (w->head + 1) % w->cap;
		w->count--;
	}
	slot = window_line_at(w, w->count);
	*slot = l;
	w->count++;
	return slot;
}

void window_drop_newest(struct window *w)
{
	if (!w->count)
		return;
	window_line_free(window_line_at(w, w->count - 1));
	w->count--;
}

struct window_line *window_prepend_wide(struct window *w, enum window_line_kind kind, time_t when,
                                        const char *nick, wchar_t *text, unsigned char *attrs)
{
	struct window_line l;

	if (!window_line_make(&l, kind, when, nick, text, attrs))
		return NULL;
	if (!window_grow(w) && !w->count) {
		window_line_free(&l);
		return NULL;
	}
	if (w->count == w->cap) {
		window_drop_newest(w);
		w->gap = true;
	}
	w->head = (w->head + w->cap - 1) % w->cap;
	w->count++;
	w->lines[w->head] = l;
	if (w->count == 1 && window_is_message(kind))
		w->last_day = window_day(when);
	return &w->lines[w->head];
}

struct window_line *window_add(struct window *w, enum window_line_kind kind, time_t when,
                               const char *nick, const char *text)
{
	return window_add_wide(w, kind, when, nick, wstr_from_utf8(text, 1, NULL), NULL);
}

struct window_line *window_find_id(struct window *w, const char *id)
{
	size_t i;

	for (i = w->count; i-- > 0;) {
		struct window_line *l = window_line_at(w, i);

		if ((l->id && !strcmp(l->id, id)) || (l->alt_id && !strcmp(l->alt_id, id)))
			return l;
	}
	return NULL;
}

struct window_line *window_find_key(struct window *w, const char *key)
{
	size_t i;

	for (i = w->count; i-- > 0;) {
		struct window_line *l = window_line_at(w, i);

		if (l->key && !strcmp(l->key, key))
			return l;
	}
	return NULL;
}

bool window_line_set_text(struct window_line *l, wchar_t *text, unsigned char *attrs)
{
	if (!text) {
		free(attrs);
		return false;
	}
	free(l->text);
	free(l->attrs);
	l->text = text;
	l->attrs = attrs;
	return true;
}
