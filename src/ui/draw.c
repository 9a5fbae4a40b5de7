/* Layout and rendering.
 *
 * Nothing else in natter writes to the terminal.  Text becomes cells (one
 * spacing character plus its combining marks, with a width from wcwidth)
 * before it is drawn, so the column arithmetic here always agrees with
 * what ncurses puts on the screen. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <wchar.h>

#include "core/core.h"
#include "ui/draw.h"
#include "ui/omemo.h"
#include "ui/ui_internal.h"
#include "ui/winlist.h"
#include "ui/wstr.h"

#define DRAW_NAME_MAX   24 /* characters of a window name in the window list */
#define DRAW_PROMPT_MAX 24 /* characters of a window name in the prompt */

struct draw_cell {
	wchar_t wc[CCHARW_MAX]; /* spacing character, combining marks, NUL */
	unsigned char n;
	unsigned char width; /* 0 only for a line break */
	unsigned char elem;
	unsigned char style; /* STY_* from XHTML-IM, on top of elem's look */
};

struct draw_cells {
	struct draw_cell *c;
	size_t n, cap;
	size_t body; /* first cell a line may be wrapped at */
	int indent;  /* columns continuation rows start at */
};

struct draw_row {
	size_t start, end;
	int col;
};

/* name as it fits in max characters: cut names end in an ellipsis, so a
 * cut "bob@localhost.evil.example" never reads as "bob@localhost". */
static const wchar_t *draw_fit_name(const wchar_t *name, size_t max, wchar_t *buf, size_t len)
{
	size_t n = wcslen(name);

	if (n <= max || max < 2 || len < max + 1)
		return name;
	wmemcpy(buf, name, max - 1);
	buf[max - 1] = L'\u2026';
	buf[max] = 0;
	return buf;
}

static void cells_free(struct draw_cells *cs)
{
	free(cs->c);
	memset(cs, 0, sizeof(*cs));
}

static int cells_push_styled(struct draw_cells *cs, wchar_t wc, enum theme_elem e,
                             unsigned char style)
{
	struct draw_cell *c;
	int w = wc == L'\n' ? 0 : wstr_cwidth(wc);

	if (w == 0 && wc != L'\n') {
		/* A combining mark joins the cell before it; with none to join
		 * (or no room left in the cell) it is dropped, never drawn alone. */
		if (cs->n && cs->c[cs->n - 1].width && cs->c[cs->n - 1].n < CCHARW_MAX - 1) {
			c = &cs->c[cs->n - 1];
			c->wc[c->n++] = wc;
			c->wc[c->n] = 0;
		}
		return 0;
	}
	if (cs->n == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 128;
		struct draw_cell *p = realloc(cs->c, cap * sizeof(*p));

		if (!p)
			return -1;
		cs->c = p;
		cs->cap = cap;
	}
	c = &cs->c[cs->n++];
	memset(c, 0, sizeof(*c));
	c->wc[0] = wc;
	c->n = 1;
	c->width = (unsigned char)w;
	c->elem = (unsigned char)e;
	c->style = style;
	return 0;
}

static int cells_push(struct draw_cells *cs, wchar_t wc, enum theme_elem e)
{
	return cells_push_styled(cs, wc, e, 0);
}

static int cells_pushw(struct draw_cells *cs, const wchar_t *s, size_t n, enum theme_elem e)
{
	size_t i;

	for (i = 0; i < n && s[i]; i++)
		if (cells_push(cs, s[i], e))
			return -1;
	return 0;
}

/* Plain ASCII from our own format strings. */
static int cells_pushs(struct draw_cells *cs, const char *s, enum theme_elem e)
{
	for (; *s; s++)
		if (cells_push(cs, (wchar_t)(unsigned char)*s, e))
			return -1;
	return 0;
}

static int cells_width(const struct draw_cells *cs, size_t from, size_t to)
{
	int w = 0;

	for (; from < to; from++)
		w += cs->c[from].width;
	return w;
}

static int draw_same_day(time_t a, time_t b)
{
	struct tm ta, tb;

	localtime_r(&a, &ta);
	localtime_r(&b, &tb);
	return ta.tm_year == tb.tm_year && ta.tm_yday == tb.tm_yday;
}

/* A scrollback line as cells: "HH:MM [delayed] <nick> text", or for a
 * /me line "HH:MM * nick text"; then "(edited)" and the delivery mark. */
static int draw_line_cells(struct ui *ui, const struct window_line *l, struct draw_cells *cs)
{
	enum theme_elem body = TH_TEXT;
	char ts[48];
	struct tm tm;
	int rc;

	if (l->kind == WL_DAY) {
		cs->body = 0;
		cs->indent = 0;
		return cells_pushw(cs, l->text, wcslen(l->text), TH_TIME);
	}
	localtime_r(&l->when, &tm);
	/* [ui] timestamp; a delayed line of another day shows its date too. */
	{
		const char *fmt = ui->settings.timestamp ? ui->settings.timestamp : "%H:%M";
		size_t k = l->delayed && !draw_same_day(l->when, time(NULL))
		               ? strftime(ts, sizeof ts - 1, "%m-%d ", &tm)
		               : 0;
		size_t w;

		/* The user's own format, from natterrc: checked by strftime. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		w = strftime(ts + k, sizeof ts - 1 - k, fmt, &tm);
#pragma GCC diagnostic pop

		/* A format too long for the field shows the plain time. */
		if (!w && *fmt)
			w = strftime(ts + k, sizeof ts - 1 - k, "%H:%M", &tm);
		ts[k + w] = ' ';
		ts[k + w + 1] = '\0';
	}
	rc = cells_pushs(cs, ts, l->delayed ? TH_DELAYED : TH_TIME);
	if (!rc && l->delayed)
		rc = cells_pushs(cs, "[delayed] ", TH_DELAYED);
	if (!rc && l->tag)
		rc = cells_pushs(cs, l->tag, TH_DELAYED);
	if (!rc && l->nick) {
		enum theme_elem e = l->highlight            ? TH_HIGHLIGHT
		                    : l->kind == WL_MSG_OWN ? TH_NICK_OWN
		                                            : TH_NICK_PEER;

		rc = cells_pushs(cs, l->action && !l->retracted ? "* " : "<", e);
		rc = rc ? rc : cells_pushw(cs, l->nick, wcslen(l->nick), e);
		rc = rc ? rc : cells_pushs(cs, l->action && !l->retracted ? " " : "> ", e);
	}
	switch (l->kind) {
	case WL_MSG_OWN:
		body = TH_TEXT_OWN;
		break;
	case WL_MSG_PEER:
		body = TH_TEXT;
		break;
	case WL_INFO:
		body = TH_INFO;
		break;
	case WL_ERROR:
		body = TH_ERROR;
		break;
	case WL_PRESENCE:
		body = TH_PRESENCE;
		break;
	case WL_DAY:
		break;
	}
	if (l->highlight)
		body = TH_HIGHLIGHT;
	cs->body = cs->n;
	cs->indent = cells_width(cs, 0, cs->n);
	if (cs->indent * 2 >= ui->chat_cols)
		cs->indent = 0;
	if (rc)
		return rc;
	if (l->retracted)
		body = TH_DELAYED;
	if (l->attrs) {
		size_t i;

		for (i = 0; l->text[i] && !rc; i++)
			rc = cells_push_styled(cs, l->text[i], body, l->attrs[i]);
	} else {
		rc = cells_pushw(cs, l->text, wcslen(l->text), body);
	}
	if (!rc && l->edited && !l->retracted)
		rc = cells_pushs(cs, " (edited)", TH_DELAYED);
	/* U+2713 is narrow everywhere (not East Asian ambiguous): one for
	 * delivered, two for read. */
	if (!rc && l->mark && !l->retracted)
		rc = cells_pushw(cs, l->mark == MARK_DISPLAYED ? L" \u2713\u2713" : L" \u2713",
		                 l->mark == MARK_DISPLAYED ? 3 : 2, TH_RECEIPT);
	if (!rc && l->queued)
		rc = cells_pushs(cs, " (not sent yet)", TH_DELAYED);
	return rc;
}

/* Where the row starting at cell start (column col) ends, breaking at the
 * last space of the body when a word would not fit.  *next is where the
 * following row starts. */
static size_t draw_row_end(const struct draw_cells *cs, size_t start, int col, int width,
                           size_t *next)
{
	size_t i, space = (size_t)-1;

	for (i = start; i < cs->n; i++) {
		const struct draw_cell *c = &cs->c[i];

		if (!c->width) {
			*next = i + 1;
			return i;
		}
		if (col + c->width > width) {
			if (i == start) {
				/* Wider than the pane: give it a row of its own. */
				*next = i + 1;
				return i + 1;
			}
			if (space != (size_t)-1) {
				*next = space + 1;
				return space;
			}
			*next = i;
			return i;
		}
		if (i >= cs->body && i > start && c->wc[0] == L' ')
			space = i;
		col += c->width;
	}
	*next = cs->n;
	return cs->n;
}

/* Splits cells into rows for a pane width columns wide; malloc'd array. */
static struct draw_row *draw_rows(const struct draw_cells *cs, int width, size_t *nrows)
{
	struct draw_row *rows = malloc((cs->n + 1) * sizeof(*rows));
	size_t start = 0, n = 0;
	int col = 0, hang = 0;

	if (!rows)
		return NULL;
	do {
		size_t next, end;

		rows[n].start = start;
		rows[n].end = end = draw_row_end(cs, start, col, width, &next);
		rows[n].col = col;
		n++;
		start = next;
		col = cs->indent;
		if (end < cs->n && cs->c[end].wc[0] == L'\n') {
			/* A line of its own: rows it wraps onto hang under its text,
			 * past its leading spaces ("  /help - ..." lists). */
			hang = 0;
			for (size_t i = next; i < cs->n && cs->c[i].wc[0] == L' '; i++)
				hang++;
			if (cs->indent + hang > width / 2)
				hang = 0;
		} else {
			col += hang;
		}
	} while (start < cs->n && n <= cs->n);
	*nrows = n;
	return rows;
}

/* Markup styles as terminal attributes; a terminal without italics shows
 * whatever it does instead, which is still not the plain text. */
static attr_t draw_style(unsigned char style)
{
	attr_t a = A_NORMAL;

	if (style & STY_BOLD)
		a |= A_BOLD;
	if (style & STY_ITALIC)
		a |= A_ITALIC;
	if (style & (STY_UNDERLINE | STY_LINK))
		a |= A_UNDERLINE;
	if (style & STY_CODE)
		a |= A_DIM;
	return a;
}

static int draw_cells_at(struct ui *ui, WINDOW *win, int y, int x, int maxx,
                         const struct draw_cells *cs, size_t from, size_t to)
{
	for (; from < to; from++) {
		const struct draw_cell *c = &cs->c[from];
		cchar_t cc;

		if (!c->width)
			continue;
		if (x + c->width > maxx)
			break;
		if (setcchar(&cc, c->wc, theme_attr(&ui->theme, c->elem) | draw_style(c->style),
		             theme_pair(&ui->theme, c->elem), NULL) == OK)
			mvwadd_wch(win, y, x, &cc);
		x += c->width;
	}
	return x;
}

/* Draws UTF-8 text in one style, clipped at maxx; returns the next column. */
static int draw_text(struct ui *ui, WINDOW *win, int y, int x, int maxx, const wchar_t *s,
                     enum theme_elem e)
{
	struct draw_cells cs = {0};

	if (cells_pushw(&cs, s, wcslen(s), e) == 0)
		x = draw_cells_at(ui, win, y, x, maxx, &cs, 0, cs.n);
	cells_free(&cs);
	return x;
}

static int draw_utf8(struct ui *ui, WINDOW *win, int y, int x, int maxx, const char *s,
                     enum theme_elem e)
{
	wchar_t *w = wstr_from_utf8(s, 0, NULL);

	if (!w)
		return x;
	x = draw_text(ui, win, y, x, maxx, w, e);
	free(w);
	return x;
}

int draw_line_rows(struct ui *ui, const struct window_line *l)
{
	struct draw_cells cs = {0};
	struct draw_row *rows;
	size_t n = 1;

	if (ui->chat_cols > 0 && draw_line_cells(ui, l, &cs) == 0) {
		rows = draw_rows(&cs, ui->chat_cols, &n);
		free(rows);
		if (!rows)
			n = 1;
	}
	cells_free(&cs);
	return (int)n;
}

/* A chat window keeps its first row for a title line, when it can spare it. */
static bool draw_has_title(const struct ui *ui, const struct window *w)
{
	return w->jid && ui->chat_rows > 4;
}

unsigned draw_max_scroll(struct ui *ui, struct window *w)
{
	unsigned total = 0, rows = (unsigned)ui->chat_rows - (draw_has_title(ui, w) ? 1 : 0);
	size_t i;

	for (i = 0; i < w->count; i++)
		total += (unsigned)draw_line_rows(ui, window_line_at(w, i));
	return total > rows ? total - rows : 0;
}

/* "bob@localhost — away: at lunch": who the chat is with and how they are. */
static void draw_title(struct ui *ui, struct window *w)
{
	const struct contact *ct = contacts_find(&ui->contacts, w->jid);
	char *name = wstr_to_utf8(w->name, wcslen(w->name));
	int x;

	x = draw_text(ui, ui->chat, 0, 0, ui->chat_cols, w->name, TH_STATUS);
	/* A contact named otherwise: which address it is. */
	if (name && strcmp(name, w->jid)) {
		x = draw_utf8(ui, ui->chat, 0, x, ui->chat_cols, "  ", TH_STATUS);
		x = draw_utf8(ui, ui->chat, 0, x, ui->chat_cols, w->jid, TH_STATUS);
	}
	free(name);
	x = draw_utf8(ui, ui->chat, 0, x, ui->chat_cols, "  ", TH_STATUS);
	draw_utf8(ui, ui->chat, 0, x, ui->chat_cols,
	          w->presence                              ? w->presence
	          : ct && contact_show(ct) != SHOW_OFFLINE ? "online"
	          : ct && ct->in_roster                    ? "offline"
	                                                   : "not in your roster",
	          TH_STATUS);
}

/* Fills the pane from the bottom up, newest line last, skipping the rows
 * the window is scrolled back by. */
static void draw_chat(struct ui *ui)
{
	struct window *w = winlist_current(ui);
	unsigned skip = w->scroll;
	size_t i = w->count;
	int y = ui->chat_rows, top = draw_has_title(ui, w) ? 1 : 0;

	werase(ui->chat);
	if (top)
		draw_title(ui, w);
	while (i-- > 0 && y > top) {
		struct draw_cells cs = {0};
		struct draw_row *rows = NULL;
		size_t r, n;

		if (draw_line_cells(ui, window_line_at(w, i), &cs) == 0)
			rows = draw_rows(&cs, ui->chat_cols, &n);
		for (r = rows ? n : 0; r-- > 0 && y > top;) {
			if (skip) {
				skip--;
				continue;
			}
			y--;
			draw_cells_at(ui, ui->chat, y, rows[r].col, ui->chat_cols, &cs,
			              rows[r].start, rows[r].end);
		}
		free(rows);
		cells_free(&cs);
	}
	wnoutrefresh(ui->chat);
}

/* Presence symbols: distinct without colour, and ASCII because ambiguous-
 * width symbols would shift the pane by a column on CJK terminals. */
static const struct {
	wchar_t sym;
	enum theme_elem elem;
} draw_shows[] = {
    [SHOW_OFFLINE] = {L'.', TH_PRES_OFFLINE}, [SHOW_DND] = {L'!', TH_PRES_DND},
    [SHOW_XA] = {L'-', TH_PRES_XA},           [SHOW_AWAY] = {L'~', TH_PRES_AWAY},
    [SHOW_ONLINE] = {L'+', TH_PRES_ONLINE},   [SHOW_CHAT] = {L'*', TH_PRES_CHAT},
};

#define DRAW_UNGROUPED "Contacts"

static bool draw_in_group(const struct contact *ct, const char *group)
{
	size_t i;

	if (!ct->ngroups)
		return !strcmp(group, DRAW_UNGROUPED);
	for (i = 0; i < ct->ngroups; i++)
		if (!strcmp(ct->groups[i], group))
			return true;
	return false;
}

/* Offline contacts hide unless asked for, or unless something about them
 * still needs the user: unread messages, the conversation on screen, our
 * request waiting for their answer. */
static bool draw_contact_shown(struct ui *ui, const struct contact *ct)
{
	struct window *w = winlist_find(ui, ct->jid);

	return ui->pane_offline || contact_show(ct) != SHOW_OFFLINE || ct->ask ||
	       (w && w->unread) || (w && w == winlist_current(ui));
}

/* "+ Bob             (2)": symbol, name or JID, then the unread count, or
 * the subscription when it is not the usual both-ways one. */
static void draw_roster_row(struct ui *ui, int y, int width, const struct contact *ct)
{
	struct window *w = winlist_find(ui, ct->jid);
	enum contact_show sh = contact_show(ct);
	wchar_t sym[2] = {draw_shows[sh].sym, 0}, note[24] = L"";
	enum theme_elem ne = TH_ROSTER_SUB, le = TH_ROSTER;
	int nw;

	if (w && w->unread) {
		swprintf(note, sizeof(note) / sizeof(note[0]), L"(%u)", w->unread);
		ne = TH_ROSTER_UNREAD;
	} else if (ct->ask) {
		wcscpy(note, L"pending");
	} else if (ct->sub && (!strcmp(ct->sub, "none") || !strcmp(ct->sub, "from"))) {
		swprintf(note, sizeof(note) / sizeof(note[0]), L"%s", ct->sub);
	}
	if (w && w == winlist_current(ui))
		le = TH_ROSTER_CUR;
	nw = wstr_width(note, wcslen(note));
	draw_text(ui, ui->roster, y, 1, width, sym, draw_shows[sh].elem);
	draw_utf8(ui, ui->roster, y, 3, width - (nw ? nw + 1 : 0), contact_label(ct), le);
	if (nw && nw < width - 4)
		draw_text(ui, ui->roster, y, width - nw, width, note, ne);
}

static int draw_group_cmp(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* The groups to list, sorted, contacts without one last as "Contacts";
 * malloc'd array of borrowed strings. */
static const char **draw_groups(struct ui *ui, size_t *n)
{
	struct contacts *c = &ui->contacts;
	size_t i, k, g, max = 1;
	const char **v;
	bool ungrouped = false;

	for (i = 0; i < c->n; i++)
		max += c->v[i]->ngroups;
	v = malloc(max * sizeof(*v));
	if (!v)
		return NULL;
	*n = 0;
	for (i = 0; i < c->n; i++) {
		struct contact *ct = c->v[i];

		if (!ct->in_roster)
			continue;
		ungrouped |= !ct->ngroups;
		for (k = 0; k < ct->ngroups; k++) {
			for (g = 0; g < *n && strcmp(v[g], ct->groups[k]); g++)
				;
			if (g == *n && strcmp(ct->groups[k], DRAW_UNGROUPED))
				v[(*n)++] = ct->groups[k];
			ungrouped |= !strcmp(ct->groups[k], DRAW_UNGROUPED);
		}
	}
	if (*n > 1)
		qsort(v, *n, sizeof(*v), draw_group_cmp);
	if (ungrouped)
		v[(*n)++] = DRAW_UNGROUPED;
	return v;
}

/* "# tea-room          (3)": the rooms we are in (and rooms whose window
 * is open), with their unread counts; a mention shows in its colour. */
static int draw_rooms(struct ui *ui, int y, int rows, int width)
{
	size_t i, shown = 0;

	for (i = 1; i < ui->nwins; i++) {
		struct window *w = ui->wins[i];
		struct room *r;
		wchar_t note[24] = L"";
		int nw;

		if (w->kind != WIN_ROOM || y >= rows)
			continue;
		if (!shown++)
			draw_utf8(ui, ui->roster, y++, 0, width, "Rooms", TH_ROSTER_GROUP);
		if (y >= rows)
			break;
		r = rooms_find(&ui->rooms, w->jid);
		if (w->unread)
			swprintf(note, sizeof(note) / sizeof(note[0]), L"(%u)", w->unread);
		nw = wstr_width(note, wcslen(note));
		draw_text(ui, ui->roster, y, 1, width, L"#",
		          r && r->joined ? TH_PRES_ONLINE : TH_PRES_OFFLINE);
		draw_text(ui, ui->roster, y, 3, width - (nw ? nw + 1 : 0), w->name,
		          w == winlist_current(ui) ? TH_ROSTER_CUR : TH_ROSTER);
		if (nw && nw < width - 4)
			draw_text(ui, ui->roster, y, width - nw, width, note,
			          w->act == ACT_HIGHLIGHT ? TH_HIGHLIGHT : TH_ROSTER_UNREAD);
		y++;
	}
	return y;
}

/* What a draw needs of each contact, worked out once per draw rather than
 * once per group it is listed under. */
struct draw_seen {
	bool shown, online;
};

/* Rooms first, then requests (they wait for an answer), then each group's
 * contacts; a contact in several groups is listed under each. */
static void draw_roster(struct ui *ui)
{
	struct contacts *c = &ui->contacts;
	int rows = getmaxy(ui->roster), width = PANE_WIDTH - 1, y = 0;
	struct draw_seen *seen = calloc(c->n ? c->n : 1, sizeof(*seen));
	const char **groups;
	size_t ng = 0, g, i, hidden = 0;

	werase(ui->roster);
	wattr_set(ui->roster, theme_attr(&ui->theme, TH_BORDER), theme_pair(&ui->theme, TH_BORDER),
	          NULL);
	mvwvline_set(ui->roster, 0, width, WACS_VLINE, rows);
	wattr_set(ui->roster, A_NORMAL, 0, NULL);
	y = draw_rooms(ui, y, rows, width);
	if (c->npending) {
		draw_utf8(ui, ui->roster, y++, 0, width, "Requests", TH_ROSTER_GROUP);
		for (i = 0; i < c->npending && y < rows; i++, y++) {
			draw_text(ui, ui->roster, y, 1, width, L"?", TH_ROSTER_UNREAD);
			draw_utf8(ui, ui->roster, y, 3, width, c->pending[i], TH_ROSTER);
		}
	}
	groups = seen ? draw_groups(ui, &ng) : NULL;
	for (i = 0; groups && i < c->n; i++) {
		if (!c->v[i]->in_roster)
			continue;
		seen[i].online = contact_show(c->v[i]) != SHOW_OFFLINE;
		seen[i].shown = draw_contact_shown(ui, c->v[i]);
		hidden += !seen[i].shown;
	}
	for (g = 0; groups && g < ng && y < rows; g++) {
		size_t online = 0, total = 0, shown = 0;
		wchar_t count[32];
		int hy = y++;

		for (i = 0; i < c->n; i++) {
			struct contact *ct = c->v[i];

			if (!ct->in_roster || !draw_in_group(ct, groups[g]))
				continue;
			total++;
			online += seen[i].online;
			if (!seen[i].shown)
				continue;
			shown++;
			if (y < rows)
				draw_roster_row(ui, y++, width, ct);
		}
		if (!shown) {
			y = hy; /* nothing to show under it: no heading either */
			continue;
		}
		swprintf(count, sizeof(count) / sizeof(count[0]), L" %zu/%zu", online, total);
		draw_text(ui, ui->roster, hy,
		          draw_utf8(ui, ui->roster, hy, 0, width - 6, groups[g], TH_ROSTER_GROUP),
		          width, count, TH_ROSTER_SUB);
	}
	if (!groups || (!ng && !c->npending && !y))
		draw_utf8(ui, ui->roster, y++, 1, width, groups ? "no contacts" : "out of memory",
		          TH_ROSTER_SUB);
	if (hidden && y < rows) {
		wchar_t note[48];

		swprintf(note, sizeof(note) / sizeof(note[0]), L"%zu offline hidden", hidden);
		draw_text(ui, ui->roster, rows - 1, 1, width, note, TH_ROSTER_SUB);
	}
	free(groups);
	free(seen);
	wnoutrefresh(ui->roster);
}

static enum contact_show draw_occ_show(const char *show)
{
	if (!show)
		return SHOW_ONLINE;
	return !strcmp(show, "chat")   ? SHOW_CHAT
	       : !strcmp(show, "away") ? SHOW_AWAY
	       : !strcmp(show, "xa")   ? SHOW_XA
	       : !strcmp(show, "dnd")  ? SHOW_DND
	                               : SHOW_ONLINE;
}

/* The occupants of the room shown, grouped by role, each with its presence
 * symbol; what does not fit is counted at the bottom. */
static void draw_occupants(struct ui *ui)
{
	static const char *const headings[ROLE_COUNT] = {"Moderators", "Participants", "Visitors",
	                                                 "Others"};
	struct room *r = rooms_find(&ui->rooms, winlist_current(ui)->jid);
	int rows = getmaxy(ui->occ), width = getmaxx(ui->occ), y = 0;
	size_t i, shown = 0;

	werase(ui->occ);
	wattr_set(ui->occ, theme_attr(&ui->theme, TH_BORDER), theme_pair(&ui->theme, TH_BORDER),
	          NULL);
	mvwvline_set(ui->occ, 0, 0, WACS_VLINE, rows);
	wattr_set(ui->occ, A_NORMAL, 0, NULL);
	if (!r || !r->joined) {
		draw_utf8(ui, ui->occ, 0, 2, width, "not in the room", TH_ROSTER_SUB);
		wnoutrefresh(ui->occ);
		return;
	}
	for (int role = 0; role < ROLE_COUNT; role++) {
		size_t n = 0;
		wchar_t head[48];

		for (i = 0; i < r->nocc; i++)
			n += r->occ[i].role == (enum room_role)role;
		if (!n || y >= rows)
			continue;
		swprintf(head, sizeof(head) / sizeof(head[0]), L"%s (%zu)", headings[role], n);
		draw_text(ui, ui->occ, y++, 1, width, head, TH_ROSTER_GROUP);
		for (i = 0; i < r->nocc && y < rows; i++) {
			const struct room_occ *o = &r->occ[i];
			enum contact_show sh = draw_occ_show(o->show);
			wchar_t sym[2] = {draw_shows[sh].sym, 0};

			if (o->role != (enum room_role)role)
				continue;
			/* The last row tells how many more there are. */
			if (y == rows - 1 && shown + 1 < r->nocc) {
				wchar_t more[32];

				swprintf(more, sizeof(more) / sizeof(more[0]), L" +%zu more",
				         r->nocc - shown);
				draw_text(ui, ui->occ, y++, 1, width, more, TH_ROSTER_SUB);
				break;
			}
			draw_text(ui, ui->occ, y, 2, width, sym, draw_shows[sh].elem);
			draw_utf8(ui, ui->occ, y++, 4, width, o->nick,
			          r->nick && !strcmp(o->nick, r->nick) ? TH_NICK_OWN : TH_ROSTER);
			shown++;
		}
	}
	wnoutrefresh(ui->occ);
}

/* The room's subject, the whole width above its messages. */
static void draw_topic(struct ui *ui)
{
	struct room *r = rooms_find(&ui->rooms, winlist_current(ui)->jid);
	const char *subject = r && r->subject && *r->subject ? r->subject : NULL;
	cchar_t bg;

	setcchar(&bg, L" ", theme_attr(&ui->theme, TH_SUBJECT), theme_pair(&ui->theme, TH_SUBJECT),
	         NULL);
	wbkgrndset(ui->topic, &bg);
	werase(ui->topic);
	draw_utf8(ui, ui->topic, 0, 0, getmaxx(ui->topic), subject ? subject : "(no subject)",
	          subject ? TH_SUBJECT : TH_ROSTER_SUB);
	wnoutrefresh(ui->topic);
}

static void draw_conn_state(struct ui *ui, wchar_t *buf, size_t n)
{
	uint64_t now = loop_now_ms(), left;

	switch (ui->conn) {
	case CONN_ONLINE:
		/* Our presence as the server echoed it: away, dnd, a status. */
		if (swprintf(buf, n, L"%s%s%.40s", ui->own_show ? ui->own_show : "online",
		             ui->own_status ? ": " : "", ui->own_status ? ui->own_status : "") < 0)
			swprintf(buf, n, L"%s", ui->own_show ? ui->own_show : "online");
		break;
	case CONN_CONNECTING:
		swprintf(buf, n, L"connecting");
		break;
	case CONN_RECONNECTING:
		left = ui->reconnect_at > now ? (ui->reconnect_at - now + 999) / 1000 : 0;
		swprintf(buf, n, L"reconnecting in %llu s", (unsigned long long)left);
		break;
	default:
		swprintf(buf, n, L"offline");
		break;
	}
}

/* The window list "[1:console] [2:bob*]" from column x up to maxx,
 * starting late enough that the current window shows. */
static void draw_winlist(struct ui *ui, int x, int maxx)
{
	wchar_t(*items)[DRAW_NAME_MAX + 32] = malloc(ui->nwins * sizeof(*items));
	int *width = malloc(ui->nwins * sizeof(*width)), tot = 0;
	size_t i, s = 0;

	if (!items || !width)
		goto out;
	for (i = 0; i < ui->nwins; i++) {
		struct window *w = ui->wins[i];
		const wchar_t *mark = w->act == ACT_HIGHLIGHT ? L"!"
		                      : w->act == ACT_MSG     ? L"*"
		                      : w->act == ACT_INFO    ? L"+"
		                                              : L"";

		wchar_t fit[DRAW_NAME_MAX + 1];

		if (swprintf(items[i], DRAW_NAME_MAX + 32, L"[%zu:%ls%ls]", i + 1,
		             draw_fit_name(w->name, DRAW_NAME_MAX, fit, DRAW_NAME_MAX + 1),
		             mark) < 0)
			items[i][0] = 0;
		width[i] = wstr_width(items[i], wcslen(items[i])) + 1;
	}
	for (i = 0; i <= ui->cur; i++)
		tot += width[i];
	while (s < ui->cur && x + tot + 2 > maxx)
		tot -= width[s++];
	if (s > 0)
		x = draw_text(ui, ui->status, 0, x, maxx, L"< ", TH_STATUS);
	for (i = s; i < ui->nwins; i++) {
		struct window *w = ui->wins[i];
		enum theme_elem e = i == ui->cur              ? TH_STATUS_CUR
		                    : w->act == ACT_HIGHLIGHT ? TH_STATUS_HILITE
		                    : w->act == ACT_MSG       ? TH_STATUS_ACT
		                                              : TH_STATUS;

		if (x + width[i] > maxx + 1) {
			draw_text(ui, ui->status, 0, x, maxx, L">", TH_STATUS);
			break;
		}
		x = draw_text(ui, ui->status, 0, x, maxx, items[i], e) + 1;
	}
out:
	free(items);
	free(width);
}

/* " online  me@host/res  [1:console] [2:bob*]   bob is typing…  -- more -- " */
static void draw_status(struct ui *ui)
{
	struct window *cw = winlist_current(ui);
	const wchar_t *more = cw->scroll ? L" -- more -- " : L"";
	int cols = ui->cols, x, right = cols - wstr_width(more, wcslen(more)), jid_max;
	wchar_t state[96], cur[DRAW_NAME_MAX + 32], typing[DRAW_NAME_MAX + 32];
	wchar_t fit[DRAW_NAME_MAX + 1];
	cchar_t bg;

	setcchar(&bg, L" ", theme_attr(&ui->theme, TH_STATUS), theme_pair(&ui->theme, TH_STATUS),
	         NULL);
	wbkgrndset(ui->status, &bg);
	werase(ui->status);
	/* The peer typing matters more than the window list: it goes first. */
	typing[0] = 0;
	if (cw->jid && cw->peer_state == PEER_COMPOSING &&
	    swprintf(typing, DRAW_NAME_MAX + 32, L" %ls is typing\u2026 ",
	             draw_fit_name(cw->name, DRAW_NAME_MAX, fit, DRAW_NAME_MAX + 1)) < 0)
		typing[0] = 0;
	if (*typing && wstr_width(typing, wcslen(typing)) * 3 < right) {
		right -= wstr_width(typing, wcslen(typing));
		draw_text(ui, ui->status, 0, right, right + wstr_width(typing, wcslen(typing)),
		          typing, TH_STATUS_TYPING);
	}
	/* An encrypted chat says so where the eye checks before typing. */
	if (ui_omemo_on(ui, cw) && right > 20) {
		right -= 8;
		draw_text(ui, ui->status, 0, right, right + 8, L"[OMEMO] ", TH_STATUS_ACT);
	}
	draw_conn_state(ui, state, sizeof(state) / sizeof(state[0]));
	x = draw_text(ui, ui->status, 0, 1, right, state,
	              ui->conn == CONN_ONLINE ? TH_STATUS_ONLINE : TH_STATUS_OFFLINE) +
	    2;
	/* The JID gives way to the current window's entry on a narrow screen. */
	if (swprintf(cur, DRAW_NAME_MAX + 32, L"[%zu:%ls*]  ", ui->cur + 1,
	             draw_fit_name(cw->name, DRAW_NAME_MAX, fit, DRAW_NAME_MAX + 1)) < 0)
		cur[0] = 0;
	jid_max = right - wstr_width(cur, wcslen(cur));
	if (ui_own_jid(ui) && jid_max > x + 4)
		x = draw_utf8(ui, ui->status, 0, x, jid_max, ui_own_jid(ui), TH_STATUS) + 2;
	draw_winlist(ui, x, right);
	if (*more)
		draw_text(ui, ui->status, 0, right, cols, more, TH_STATUS_ACT);
	wnoutrefresh(ui->status);
}

/* "password for alice@localhost: " and the cursor after it: no character,
 * not even its count, is shown. */
static void draw_password(struct ui *ui)
{
	const char *jid = ui->core ? core_jid(ui->core) : NULL;
	int x;

	x = draw_utf8(ui, ui->inputw, 0, 0, ui->cols, "password for ", TH_PROMPT);
	x = draw_utf8(ui, ui->inputw, 0, x, ui->cols, jid ? jid : "?", TH_PROMPT);
	x = draw_utf8(ui, ui->inputw, 0, x, ui->cols, ": ", TH_PROMPT);
	wmove(ui->inputw, 0, x < ui->cols ? x : ui->cols - 1);
}

/* Line breaks (from a paste) as a visible mark one column wide, the width
 * the input code already counts for them. */
static int draw_input_cells(struct draw_cells *cs, const wchar_t *s, size_t n)
{
	static const wchar_t mark = L'\u23ce';
	size_t i;

	for (i = 0; i < n; i++) {
		wchar_t wc = s[i] == L'\n' ? (wcwidth(mark) == 1 ? mark : L'|') : s[i];

		/* A joiner typed in stays in the line but takes no cell here. */
		if (!wstr_shown(wc))
			continue;
		if (cells_push(cs, wc, TH_INPUT))
			return -1;
	}
	return 0;
}

static void draw_input(struct ui *ui)
{
	struct window *w = winlist_current(ui);
	struct input *in = &ui->input;
	struct draw_cells cs = {0};
	wchar_t prompt[DRAW_PROMPT_MAX + 4], fit[DRAW_PROMPT_MAX + 1];
	int cols = ui->cols, x;

	werase(ui->inputw);
	if (ui->pw.on) {
		draw_password(ui);
		return;
	}
	swprintf(prompt, DRAW_PROMPT_MAX + 4, L"%ls> ",
	         draw_fit_name(w->name, DRAW_PROMPT_MAX, fit, DRAW_PROMPT_MAX + 1));
	x = draw_text(ui, ui->inputw, 0, 0, cols, prompt, TH_PROMPT);
	if (x >= cols - 1)
		x = 0;
	input_scroll_to_cursor(in, cols - x);
	if (draw_input_cells(&cs, in->buf + in->view, in->len - in->view) == 0)
		draw_cells_at(ui, ui->inputw, 0, x, cols, &cs, 0, cs.n);
	cells_free(&cs);
	wmove(ui->inputw, 0, x + wstr_width(in->buf + in->view, in->cur - in->view));
}

static void draw_free_panes(struct ui *ui)
{
	if (ui->chat)
		delwin(ui->chat);
	if (ui->status)
		delwin(ui->status);
	if (ui->inputw)
		delwin(ui->inputw);
	if (ui->roster)
		delwin(ui->roster);
	if (ui->occ)
		delwin(ui->occ);
	if (ui->topic)
		delwin(ui->topic);
	ui->chat = ui->status = ui->inputw = ui->roster = ui->occ = ui->topic = NULL;
	ui->chat_rows = 0;
}

bool draw_pane_fits(int cols)
{
	return cols >= PANE_MIN_COLS;
}

void draw_layout(struct ui *ui)
{
	int rows = LINES, cols = COLS, pane = 0, occ = 0, topic = 0;
	bool room = winlist_current(ui)->kind == WIN_ROOM;

	draw_free_panes(ui);
	ui->cols = ui->chat_cols = cols > 0 ? cols : 1;
	ui->dirty |= DIRTY_ALL;
	clearok(curscr, TRUE);
	if (rows < 3 || cols < 16)
		return;
	/* Roster pane and chat pane side by side on top, then the status bar
	 * and the input line across the whole width.  A room's window has its
	 * subject above the messages and its occupants right of them. */
	if (ui->pane_on && draw_pane_fits(cols))
		pane = PANE_WIDTH;
	if (room && rows >= 6)
		topic = 1;
	if (room && ui->occ_on && cols - pane - OCC_WIDTH >= OCC_MIN_CHAT)
		occ = OCC_WIDTH;
	ui->chat_rows = rows - 2 - topic;
	ui->chat_cols = cols - pane - occ;
	ui->chat = newwin(ui->chat_rows, ui->chat_cols, topic, pane);
	ui->status = newwin(1, cols, rows - 2, 0);
	ui->inputw = newwin(1, cols, rows - 1, 0);
	if (pane) {
		ui->roster = newwin(rows - 2, pane, 0, 0);
		if (ui->roster)
			leaveok(ui->roster, TRUE);
	}
	if (topic && (ui->topic = newwin(1, cols - pane, 0, pane)))
		leaveok(ui->topic, TRUE);
	if (occ && (ui->occ = newwin(ui->chat_rows, occ, topic, pane + ui->chat_cols)))
		leaveok(ui->occ, TRUE);
	if (!ui->chat || !ui->status || !ui->inputw || (pane && !ui->roster) ||
	    (topic && !ui->topic) || (occ && !ui->occ)) {
		/* Out of memory: the "too small" screen beats a crash. */
		draw_free_panes(ui);
		return;
	}
	leaveok(ui->chat, TRUE);
	leaveok(ui->status, TRUE);
}

void draw_free(struct ui *ui)
{
	draw_free_panes(ui);
}

static void draw_too_small(struct ui *ui)
{
	werase(stdscr);
	mvaddnstr(0, 0, "terminal too small", COLS);
	wnoutrefresh(stdscr);
}

void draw_screen(struct ui *ui)
{
	if (ui->dirty & DIRTY_LAYOUT)
		draw_layout(ui);
	if (!ui->chat) {
		draw_too_small(ui);
	} else {
		if (ui->dirty & DIRTY_CHAT)
			draw_chat(ui);
		if ((ui->dirty & DIRTY_ROSTER) && ui->roster)
			draw_roster(ui);
		if ((ui->dirty & DIRTY_OCC) && ui->occ)
			draw_occupants(ui);
		if ((ui->dirty & DIRTY_OCC) && ui->topic)
			draw_topic(ui);
		if (ui->dirty & DIRTY_STATUS)
			draw_status(ui);
		if (ui->dirty & DIRTY_INPUT)
			draw_input(ui);
		/* Last, so the terminal's cursor ends up in the input line. */
		wnoutrefresh(ui->inputw);
	}
	/* One bell a second at most: a flood into another window rang it
	 * with every paint (25 a second, each a write of its own).  What
	 * arrives in between is pending no more: it rang already. */
	if (ui->bell_pending) {
		uint64_t now = ui->loop ? loop_time(ui->loop) : 0;

		if (!now || !ui->bell_at || now >= ui->bell_at + UI_BELL_MS) {
			beep();
			ui->bell_at = now;
		}
		ui->bell_pending = false;
	}
	doupdate();
	ui->dirty = 0;
}
