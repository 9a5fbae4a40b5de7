/* Lines that change after they are printed: see lines.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ui/lines.h"
#include "ui/markup.h"
#include "ui/ui_internal.h"
#include "ui/winlist.h"
#include "ui/wstr.h"
#include "util/log.h"

#define BAR_WIDTH 20 /* cells of an upload's progress bar */

/* The bare part of a full JID, malloc'd. */
static char *bare_of(const char *jid)
{
	return jid ? strndup(jid, strcspn(jid, "/")) : NULL;
}

/* Appends src (n characters, style st) to *text and *attrs, *len long. */
static bool append(wchar_t **text, unsigned char **attrs, size_t *len, const wchar_t *src, size_t n,
                   unsigned char st)
{
	wchar_t *t = realloc(*text, (*len + n + 1) * sizeof(**text));
	unsigned char *a;

	if (!t)
		return false;
	*text = t;
	a = realloc(*attrs, *len + n + 1);
	if (!a)
		return false;
	*attrs = a;
	wmemcpy(t + *len, src, n);
	memset(a + *len, st, n);
	*len += n;
	t[*len] = L'\0';
	a[*len] = 0;
	return true;
}

bool lines_message_text(const char *body, const char *xhtml, bool action, const char *oob_url,
                        wchar_t **text, unsigned char **attrs)
{
	wchar_t *url = NULL;
	size_t len;
	bool ok = true;

	*text = NULL;
	*attrs = NULL;
	if (action && body && !strncmp(body, "/me ", 4)) {
		*text = wstr_from_utf8(body + 4, 1, NULL);
	} else if (xhtml && markup_render(xhtml, text, attrs) == 0 && *text && **text) {
		/* the rendering */
	} else {
		free(*text);
		free(*attrs);
		*attrs = NULL;
		*text = wstr_from_utf8(body ? body : "", 1, NULL);
	}
	if (!*text)
		return false;
	if (!oob_url)
		return true;
	/* The link itself: underlined, where the eye looks for it. */
	url = wstr_from_utf8(oob_url, 0, NULL);
	len = wcslen(*text);
	if (!url) {
		ok = false;
	} else if (!*attrs && !(*attrs = calloc(len + 1, 1))) {
		ok = false;
	} else if (!wcscmp(*text, url)) {
		memset(*attrs, STY_LINK, len);
	} else {
		ok = append(text, attrs, &len, L"\n", 1, 0) &&
		     append(text, attrs, &len, url, wcslen(url), STY_LINK);
	}
	free(url);
	if (!ok) {
		free(*text);
		free(*attrs);
		*text = NULL;
		*attrs = NULL;
	}
	return ok;
}

/* The newest line of w with id, of that kind. */
static struct window_line *find(struct window *w, const char *id, enum window_line_kind kind)
{
	for (size_t i = w->count; id && i-- > 0;) {
		struct window_line *l = window_line_at(w, i);

		if (l->kind == kind &&
		    ((l->id && !strcmp(l->id, id)) || (l->alt_id && !strcmp(l->alt_id, id))))
			return l;
	}
	return NULL;
}

static void changed(struct ui *ui, struct window *w)
{
	if (w == winlist_current(ui))
		ui->dirty |= DIRTY_CHAT;
}

bool lines_correct(struct ui *ui, struct window *w, enum window_line_kind kind,
                   const struct nt_event *ev)
{
	const typeof(ev->u.message) *m = &ev->u.message;
	struct window_line *l = w ? find(w, m->replaces, kind) : NULL;
	wchar_t *text;
	unsigned char *attrs;
	char *alt;

	if (!l || l->retracted)
		return false;
	if (!lines_message_text(m->body, m->xhtml, m->action, m->oob_url, &text, &attrs)) {
		log_error("ui: out of memory: a correction is not shown");
		return true;
	}
	window_line_set_text(l, text, attrs);
	l->edited = true;
	l->action = m->action;
	/* The correction is a message of its own: its receipt is still to come. */
	l->mark = MARK_NONE;
	alt = m->id ? strdup(m->id) : NULL;
	if (alt) {
		free(l->alt_id);
		l->alt_id = alt;
	}
	changed(ui, w);
	if (kind == WL_MSG_PEER)
		winlist_activity(ui, w, ACT_INFO);
	return true;
}

/* Raises the mark of l, and of every own message before it in w: a
 * marker or receipt of a message implies the earlier ones (XEP-0333). */
static void mark_up_to(struct ui *ui, struct window *w, struct window_line *l,
                       enum window_mark mark, bool earlier)
{
	bool seen = false;

	for (size_t i = w->count; i-- > 0;) {
		struct window_line *x = window_line_at(w, i);

		if (x == l)
			seen = true;
		if (!seen || x->kind != WL_MSG_OWN || x->mark >= mark)
			continue;
		if (x == l || earlier)
			x->mark = mark;
	}
	changed(ui, w);
}

void lines_receipt(struct ui *ui, const struct nt_event *ev)
{
	char *bare = bare_of(ev->u.receipt.from);
	struct window *w = bare ? winlist_find(ui, bare) : NULL;
	struct window_line *l = NULL;

	free(bare);
	if (!ev->u.receipt.id)
		return;
	if (w)
		l = find(w, ev->u.receipt.id, WL_MSG_OWN);
	/* Sent from another window (/msg in the console): look everywhere. */
	for (size_t i = 0; !l && i < ui->nwins; i++) {
		w = ui->wins[i];
		l = find(w, ev->u.receipt.id, WL_MSG_OWN);
	}
	if (l)
		mark_up_to(ui, w, l, MARK_DELIVERED, false);
}

void lines_marker(struct ui *ui, const struct nt_event *ev)
{
	char *bare = bare_of(ev->u.marker.from);
	/* Only the contact's own conversation: nobody else can say it read
	 * what we wrote to it. */
	struct window *w = bare ? winlist_find(ui, bare) : NULL;
	struct window_line *l = w ? find(w, ev->u.marker.id, WL_MSG_OWN) : NULL;

	free(bare);
	if (l)
		mark_up_to(ui, w, l,
		           strcmp(ev->u.marker.type, "received") ? MARK_DISPLAYED : MARK_DELIVERED,
		           true);
}

void lines_retracted(struct ui *ui, const struct nt_event *ev)
{
	const typeof(ev->u.retracted) *r = &ev->u.retracted;
	const char *me = ui_own_jid(ui);
	bool own = me && r->from && strcspn(me, "/") == strcspn(r->from, "/") &&
	           !strncasecmp(me, r->from, strcspn(me, "/"));
	char *bare = bare_of(own ? r->to : r->from);
	struct window *w = bare ? winlist_find(ui, bare) : NULL;
	struct window_line *l = w ? find(w, r->id, own ? WL_MSG_OWN : WL_MSG_PEER) : NULL;

	free(bare);
	if (!l)
		return;
	if (!window_line_set_text(l, wstr_from_utf8("(this message was retracted)", 0, NULL),
	                          NULL)) {
		log_error("ui: out of memory: a retraction is not shown");
		return;
	}
	l->retracted = true;
	l->action = false;
	changed(ui, w);
}

/* "upload NAME [#########...........]  45%  450.0 KiB of 1.0 MiB" */
static char *bar(const char *path, uint64_t sent, uint64_t total)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	unsigned pct = total ? (unsigned)(sent * 100 / total) : 100;
	unsigned full = pct * BAR_WIDTH / 100;
	char cells[BAR_WIDTH + 1], *s = NULL;

	for (unsigned i = 0; i < BAR_WIDTH; i++)
		cells[i] = i < full ? '#' : '.';
	cells[BAR_WIDTH] = '\0';
	if (asprintf(&s, "upload %s [%s] %3u%%  %.1f of %.1f KiB", name, cells, pct,
	             (double)sent / 1024, (double)total / 1024) < 0)
		s = NULL;
	return s;
}

/* The progress line of path's upload in w, made when absent. */
static struct window_line *upload_line(struct ui *ui, struct window *w, const char *path)
{
	char *tag = NULL;
	struct window_line *l;

	if (asprintf(&tag, "upload:%s", path) < 0)
		return NULL;
	l = window_find_key(w, tag);
	if (!l && (l = winlist_print(ui, w, WL_INFO, time(NULL), false, NULL, ""))) {
		l->key = tag;
		tag = NULL;
	}
	free(tag);
	return l;
}

void lines_upload(struct ui *ui, const struct nt_event *ev)
{
	bool done = ev->kind == NT_EV_UPLOAD;
	const char *path = done ? ev->u.upload.path : ev->u.upload_progress.path;
	char *bare = bare_of(done ? ev->u.upload.to : ev->u.upload_progress.to), *s = NULL;
	struct window *w = bare ? winlist_open(ui, bare) : NULL;
	struct window_line *l;

	free(bare);
	if (!w || !path || !(l = upload_line(ui, w, path)))
		return;
	if (done) {
		if (asprintf(&s, "uploaded %s (%.1f KiB)", path, (double)ev->u.upload.size / 1024) <
		    0)
			s = NULL;
	} else {
		s = bar(path, ev->u.upload_progress.sent, ev->u.upload_progress.total);
	}
	if (s && window_line_set_text(l, wstr_from_utf8(s, 0, NULL), NULL))
		changed(ui, w);
	free(s);
}

void lines_upload_failed(struct ui *ui, const char *text)
{
	const char *colon;
	char *path, *tag = NULL, *s = NULL;

	if (!text || strncmp(text, "upload of ", 10) || !(colon = strstr(text + 10, ": ")))
		return;
	path = strndup(text + 10, (size_t)(colon - text - 10));
	if (!path || asprintf(&tag, "upload:%s", path) < 0 ||
	    asprintf(&s, "upload of %s stopped", path) < 0) {
		free(path);
		free(tag);
		return;
	}
	for (size_t i = 1; i < ui->nwins; i++) {
		struct window_line *l = window_find_key(ui->wins[i], tag);

		if (l && window_line_set_text(l, wstr_from_utf8(s, 0, NULL), NULL))
			changed(ui, ui->wins[i]);
	}
	free(path);
	free(tag);
	free(s);
}

struct window_line *lines_last_own(struct window *w)
{
	for (size_t i = w->count; i-- > 0;) {
		struct window_line *l = window_line_at(w, i);

		if (l->kind == WL_MSG_OWN)
			return l->retracted ? NULL : l;
	}
	return NULL;
}
