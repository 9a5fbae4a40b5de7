/* Loading history pages into windows, with day separators between them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "core/core.h"
#include "ui/backlog.h"
#include "ui/draw.h"
#include "ui/lines.h"
#include "ui/markup.h"
#include "ui/ui_internal.h"
#include "ui/winlist.h"
#include "ui/wstr.h"
#include "util/log.h"

/* A stored live copy is the same message when it is this close in time. */
#define BACKLOG_SAME_SECS 120

struct backlog_row {
	long long id;
	time_t when;
	enum window_line_kind kind;
	char *stanza_id; /* receipts, markers and corrections that come later name it */
	char *nick;
	wchar_t *text;
	unsigned char *attrs;
	bool edited, retracted, action;
	enum window_mark mark;
	const char *tag; /* static: "[OMEMO] " for a message that travelled encrypted */
};

/* One page as core_history_page() hands it over, oldest first.  The rows
 * are copied: the core's strings live only during the callback. */
struct backlog_page {
	struct ui *ui;
	const struct window *w;
	struct backlog_row *rows;
	size_t n;
	bool nomem;
};

static void backlog_row_free(struct backlog_row *r)
{
	free(r->stanza_id);
	free(r->nick);
	free(r->text);
	free(r->attrs);
}

static void backlog_page_free(struct backlog_page *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		backlog_row_free(&p->rows[i]);
	free(p->rows);
}

static void backlog_collect(const struct nt_history_message *m, void *ud)
{
	struct backlog_page *p = ud;
	bool own = m->direction && !strcmp(m->direction, "out");
	struct backlog_row r = {.id = m->id, .kind = own ? WL_MSG_OWN : WL_MSG_PEER};

	if (p->nomem || p->n == BACKLOG_PAGE)
		return;
	r.when = ui_event_time(m->ts_ms);
	r.nick = ui_rooms_line_nick(p->ui, p->w, m->from, own);
	r.edited = m->edited;
	r.retracted = m->retracted;
	r.action = m->action && !m->retracted;
	r.mark = m->delivery && !strcmp(m->delivery, "displayed")   ? MARK_DISPLAYED
	         : m->delivery && !strcmp(m->delivery, "delivered") ? MARK_DELIVERED
	                                                            : MARK_NONE;
	/* theirs too: a correction or retraction that comes later names it */
	if (m->stanza_id && !(r.stanza_id = strdup(m->stanza_id)))
		p->nomem = true;
	r.tag = m->encrypted ? "[OMEMO] " : NULL;
	if (r.retracted) {
		r.text = wstr_from_utf8("(this message was retracted)", 0, NULL);
	} else if (m->encrypted && (!m->body || !*m->body)) {
		/* Stored undecryptable: said as it was when it came. */
		r.kind = WL_ERROR;
		r.text = wstr_from_utf8(
		    "[this OMEMO message could not be decrypted on this device]", 1, NULL);
	} else if (!lines_message_text(m->body, m->xhtml, r.action, m->oob_url, &r.text,
	                               &r.attrs)) {
		r.text = NULL;
	}
	if (!r.nick || !r.text) {
		backlog_row_free(&r);
		p->nomem = true;
		return;
	}
	p->rows[p->n++] = r;
}

/* Fills p with the page before before_id (0: the newest); the row count,
 * or -1 when there is no store to read. */
static int backlog_fetch(struct ui *ui, struct window *w, long long before_id,
                         struct backlog_page *p)
{
	int rc;

	memset(p, 0, sizeof(*p));
	p->ui = ui;
	p->w = w;
	if (!ui->core || !w->jid)
		return -1;
	p->rows = calloc(BACKLOG_PAGE, sizeof(*p->rows));
	if (!p->rows) {
		log_error("ui: out of memory: no history for %s", w->jid);
		return -1;
	}
	rc = core_history_page(ui->core, w->jid, before_id, BACKLOG_PAGE, backlog_collect, p);
	if (p->nomem)
		log_error("ui: out of memory: part of the history with %s is not shown", w->jid);
	if (rc < 0)
		return -1;
	/* A short page is the start of the conversation. */
	w->backlog = rc < BACKLOG_PAGE ? BACKLOG_END : BACKLOG_MORE;
	if (p->n)
		w->oldest_id = p->rows[0].id;
	return (int)p->n;
}

/* What a reloaded line keeps of its row, as a live message would have
 * left it: where it is in the store, its check marks, whether it was
 * corrected, retracted or a /me, and the id that later receipts,
 * markers and corrections name. */
static void backlog_mark(struct window_line *l, struct backlog_row *r)
{
	if (!l)
		return;
	l->store_id = r->id;
	l->mark = r->mark;
	l->edited = r->edited;
	l->retracted = r->retracted;
	l->action = r->action;
	l->tag = r->tag;
	l->id = r->stanza_id; /* taken */
	r->stanza_id = NULL;
}

void backlog_open(struct ui *ui, struct window *w)
{
	struct backlog_page p;
	size_t i;

	w->backlog = BACKLOG_NONE;
	if (backlog_fetch(ui, w, 0, &p) > 0) {
		for (i = 0; i < p.n; i++) {
			struct backlog_row *r = &p.rows[i];
			struct window_line *l;

			if (w->last_day && window_day(r->when) != w->last_day)
				window_add_wide(w, WL_DAY, r->when, NULL, window_day_text(r->when),
				                NULL);
			l = window_add_wide(w, r->kind, r->when, r->nick, r->text, r->attrs);
			r->text = NULL; /* taken */
			r->attrs = NULL;
			backlog_mark(l, r);
		}
		if (w == winlist_current(ui))
			ui->dirty |= DIRTY_CHAT;
	}
	backlog_page_free(&p);
}

/* The time of the oldest message line in w, or -1 when it has none. */
static time_t backlog_first_when(struct window *w)
{
	size_t i;

	for (i = 0; i < w->count; i++) {
		struct window_line *l = window_line_at(w, i);

		if (window_is_message(l->kind))
			return l->when;
	}
	return (time_t)-1;
}

/* Before a prepend into a full ring: the newest line is about to go, so
 * the view (counted from the bottom) moves up by its rows. */
static void backlog_make_room(struct ui *ui, struct window *w)
{
	unsigned rows;

	if (w->count < WINDOW_SCROLLBACK)
		return; /* the ring grows: nothing gives way */
	rows = (unsigned)draw_line_rows(ui, window_line_at(w, w->count - 1));
	w->scroll = w->scroll > rows ? w->scroll - rows : 0;
}

bool backlog_older(struct ui *ui, struct window *w)
{
	struct backlog_page p;
	time_t next = backlog_first_when(w);
	size_t i;
	bool added = false;

	if (w->backlog != BACKLOG_MORE)
		return false;
	if (backlog_fetch(ui, w, w->oldest_id, &p) < 0) {
		w->backlog = BACKLOG_NONE;
		backlog_page_free(&p);
		return false;
	}
	/* Newest first, each above the last: separators go between days. */
	for (i = p.n; i-- > 0;) {
		struct backlog_row *r = &p.rows[i];
		struct window_line *l;

		if (next != (time_t)-1 && window_day(next) != window_day(r->when)) {
			backlog_make_room(ui, w);
			window_prepend_wide(w, WL_DAY, next, NULL, window_day_text(next), NULL);
		}
		backlog_make_room(ui, w);
		l = window_prepend_wide(w, r->kind, r->when, r->nick, r->text, r->attrs);
		r->text = NULL;
		r->attrs = NULL;
		backlog_mark(l, r);
		added |= l != NULL;
		next = r->when;
	}
	backlog_page_free(&p);
	if (added)
		ui->dirty |= DIRTY_CHAT | DIRTY_STATUS;
	return added;
}

void backlog_reload(struct ui *ui, struct window *w)
{
	window_clear(w);
	backlog_open(ui, w);
	ui->dirty |= DIRTY_CHAT | DIRTY_STATUS;
}

struct window_line *backlog_dedupe(struct window *w, struct window_line *l)
{
	struct window_line *prev, stored;

	if (w->count < 2 || l != window_line_at(w, w->count - 1))
		return l;
	prev = window_line_at(w, w->count - 2);
	if (!prev->store_id || prev->kind != l->kind || wcscmp(prev->text, l->text) ||
	    labs((long)(prev->when - l->when)) > BACKLOG_SAME_SECS)
		return l;
	/* The live line takes the stored one's place (and its id); the stored
	 * copy, now newest, goes. */
	stored = *prev;
	*prev = *l;
	prev->store_id = stored.store_id;
	*l = stored;
	window_drop_newest(w);
	return prev;
}
