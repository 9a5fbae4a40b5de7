/* Window contents: scrollback rings and their lines. */
#include "config.h"

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

int window_set_name(struct window *w, const char *name)
{
	wchar_t *wide = wstr_from_utf8(name, 0, NULL);

	if (!wide)
		return -1;
	free(w->name);
	w->name = wide;
	return 0;
}

struct window *window_new(unsigned id, const char *jid)
{
	struct window *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->id = id;
	w->lines = calloc(WINDOW_SCROLLBACK, sizeof(*w->lines));
	if (jid) {
		w->jid = strdup(jid);
		w->name = w->jid ? window_short_name(jid) : NULL;
	} else {
		w->name = wstr_from_utf8("console", 0, NULL);
	}
	if (!w->lines || !w->name || (jid && !w->jid)) {
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
	free(l->tag);
	memset(l, 0, sizeof(*l));
}

void window_clear(struct window *w)
{
	size_t i;

	for (i = 0; i < w->count; i++)
		window_line_free(window_line_at(w, i));
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
	if (w->lines)
		window_clear(w);
	recall_clear(&w->hist);
	free(w->lines);
	free(w->jid);
	free(w->name);
	free(w);
}

struct window_line *window_line_at(struct window *w, size_t i)
{
	return &w->lines[(w->head + i) % WINDOW_SCROLLBACK];
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
	if (window_is_message(kind))
		w->last_day = window_day(when);
	if (w->count == WINDOW_SCROLLBACK) {
		window_line_free(&w->lines[w->head]);
		w->head = (w->head + 1) % WINDOW_SCROLLBACK;
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
	if (w->count == WINDOW_SCROLLBACK) {
		window_drop_newest(w);
		w->gap = true;
	}
	w->head = (w->head + WINDOW_SCROLLBACK - 1) % WINDOW_SCROLLBACK;
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

struct window_line *window_find_tag(struct window *w, const char *tag)
{
	size_t i;

	for (i = w->count; i-- > 0;) {
		struct window_line *l = window_line_at(w, i);

		if (l->tag && !strcmp(l->tag, tag))
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
